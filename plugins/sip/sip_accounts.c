/* Trunks and extensions (sip_accounts.h). */
#include <errno.h>
#include <string.h>

#include "sip_accounts.h"
#include "sip_secret.h"

void sip_accounts_ha1(const char *user, const char *realm, const char *password, char out[33])
{
	char *a1 = g_strdup_printf("%s:%s:%s", user, realm, password);
	char *hex = g_compute_checksum_for_string(G_CHECKSUM_MD5, a1, -1);
	g_strlcpy(out, hex, 33);
	g_free(hex);
	memset(a1, 0, strlen(a1));
	g_free(a1);
}

static bool is_name(const char *s, size_t max, const char *extra, bool upper)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      (upper && c >= 'A' && c <= 'Z') || strchr(extra, c)))
			return false;
	}
	return true;
}

static bool is_hex32(const char *s)
{
	if (!s || strlen(s) != 32)
		return false;
	for (int i = 0; i < 32; i++)
		if (!g_ascii_isxdigit(s[i]))
			return false;
	return true;
}

/* "host:port" or "[v6]:port" with a port 1..65535; host a name or literal. */
static bool is_address(const char *s)
{
	if (!s || !s[0] || strlen(s) > 255)
		return false;
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || !colon[1])
		return false;
	guint64 port = 0;
	if (!g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL))
		return false;
	for (const char *p = s; p < colon; p++)
		if (!g_ascii_isalnum(*p) && !strchr(".-[]:", *p))
			return false;
	return true;
}

static GInetAddressMask *mask_of(const char *s)
{
	if (!s || !s[0] || strlen(s) > 64)
		return NULL;
	/* GLib warns on an out-of-range prefix length instead of failing:
	 * check it first (at most 3 digits; the family's limit is GLib's) */
	const char *slash = strchr(s, '/');
	guint64 bits = 0;
	if (slash && (strlen(slash + 1) > 3 ||
		      !g_ascii_string_to_unsigned(slash + 1, 10, 0, 128, &bits, NULL)))
		return NULL;
	return g_inet_address_mask_new_from_string(s, NULL);
}

/* The HA1 of the entry of prev whose key field equals value, or NULL. */
static const char *prev_ha1(json_t *prev, const char *key, const char *value)
{
	size_t i;
	json_t *e;
	json_array_foreach(prev, i, e) {
		const char *v = json_string_value(json_object_get(e, key));
		const char *ha1 = json_string_value(json_object_get(e, "ha1"));
		if (v && strcmp(v, value) == 0 && is_hex32(ha1))
			return ha1;
	}
	return NULL;
}

/* Entry i of a list (what: "extension", "trunk") is an object with only
 * the given keys; otherwise *why says which rule it breaks. */
static bool entry_shape(json_t *e, size_t i, const char *what, const char *const *keys,
			char **why)
{
	const char *k;
	json_t *v;

	if (!json_is_object(e)) {
		*why = g_strdup_printf("%s %zu: not an object", what, i);
		return false;
	}
	json_object_foreach(e, k, v) {
		bool ok = false;
		for (size_t j = 0; keys[j]; j++)
			ok = ok || strcmp(k, keys[j]) == 0;
		if (!ok) {
			*why = g_strdup_printf("%s %zu: unknown key \"%s\"", what, i, k);
			return false;
		}
	}
	return true;
}

/* A password given in the body, checked: NULL when absent; sets *err on a
 * bad one. */
static const char *password_of(json_t *e, const char **err)
{
	json_t *pw = json_object_get(e, "password");
	if (!pw)
		return NULL;
	const char *s = json_string_value(pw);
	if (!s || !s[0] || strlen(s) > 128 || strlen(s) != json_string_length(pw))
		*err = "password must be a string of 1..128 bytes without NUL";
	return s;
}

/* The HA1 of an entry: from its "password", else from the entry of prev whose
 * key is user (a list sent again without passwords keeps them). false when
 * there is none: *err then says why, or stays NULL when the entry simply has
 * no password and had none before. */
static bool entry_ha1(json_t *e, json_t *prev, const char *key, const char *user,
		      const char *realm, char ha1[33], const char **err)
{
	const char *pw = password_of(e, err);
	const char *old;

	if (*err)
		return false;
	if (pw) {
		sip_accounts_ha1(user, realm, pw, ha1);
		return true;
	}
	old = prev_ha1(prev, key, user);
	if (old)
		g_strlcpy(ha1, old, 33);
	return old != NULL;
}

/* stored: in is a stored list (keys "ha1" allowed, taken through prev). */
static json_t *check_extensions(json_t *in, json_t *prev, const char *realm, bool stored,
				char **why)
{
	const char *const keys[] = {"user", "staff", "password", stored ? "ha1" : NULL, NULL};
	json_t *out = json_array();
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	size_t i;
	json_t *e;

	*why = NULL;
	if (!json_is_array(in) || json_array_size(in) > SIP_ACCOUNTS_MAX) {
		*why = g_strdup_printf("the body must be a JSON array of at most %d extensions",
				       SIP_ACCOUNTS_MAX);
		goto fail;
	}
	json_array_foreach(in, i, e) {
		const char *err = NULL;
		const char *user = json_string_value(json_object_get(e, "user"));
		const char *staff = json_string_value(json_object_get(e, "staff"));
		if (!entry_shape(e, i, "extension", keys, why))
			goto fail;
		if (!is_name(user, 64, "._-", true)) {
			*why = g_strdup_printf("extension %zu: user must be 1..64 of A-Z a-z 0-9 . _ -", i);
			goto fail;
		}
		if (!staff || !staff[0] || strlen(staff) > 64) {
			*why = g_strdup_printf("extension %s: staff must be a staff login", user);
			goto fail;
		}
		if (g_hash_table_contains(seen, user)) {
			*why = g_strdup_printf("extension %s: listed twice", user);
			goto fail;
		}
		g_hash_table_add(seen, (gpointer)user);
		char ha1[33];
		if (!entry_ha1(e, prev, "user", user, realm, ha1, &err)) {
			*why = err ? g_strdup_printf("extension %s: %s", user, err)
				   : g_strdup_printf("extension %s: a new extension needs a password",
						     user);
			goto fail;
		}
		json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "user", user, "staff", staff,
						     "ha1", ha1));
	}
	g_hash_table_destroy(seen);
	return out;
fail:
	g_hash_table_destroy(seen);
	json_decref(out);
	return NULL;
}

/* The stored form of one trunk entry, or NULL with *why set. */
/* The sealed outbound password of trunk name in prev, when it was for user. */
static const char *prev_secret(json_t *prev, const char *name, const char *user)
{
	size_t i;
	json_t *e;
	json_array_foreach(prev, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));
		const char *u = json_string_value(json_object_get(e, "outbound_username"));
		if (n && u && strcmp(n, name) == 0 && strcmp(u, user) == 0)
			return json_string_value(json_object_get(e, "outbound_secret"));
	}
	return NULL;
}

/* A realm we can put between the quotes of a challenge answer. */
static bool is_realm(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == '\\' || s[i] == 0x7f)
			return false;
	return true;
}

/* The outbound credentials of trunk e into t (stored form). 0, or -EINVAL
 * with *why set. */
static int check_outbound_auth(json_t *e, json_t *t, const char *name, json_t *prev,
			       const unsigned char *key, bool stored, char **why)
{
	json_t *user = json_object_get(e, "outbound_username");
	json_t *realm = json_object_get(e, "outbound_realm");
	json_t *pw = json_object_get(e, "outbound_password");
	const char *u = json_string_value(user);
	const char *p = json_string_value(pw);
	const char *sealed = NULL;
	char *fresh = NULL;

	if (!user) {
		if (!realm && !pw)
			return 0;
		*why = g_strdup_printf("trunk %s: outbound_password and outbound_realm need an "
				       "outbound_username", name);
		return -EINVAL;
	}
	if (!is_name(u, 64, "._-+", true)) {
		*why = g_strdup_printf("trunk %s: outbound_username must be 1..64 of "
				       "A-Z a-z 0-9 . _ - +", name);
		return -EINVAL;
	}
	if (realm && !is_realm(json_string_value(realm))) {
		*why = g_strdup_printf("trunk %s: outbound_realm must be 1..63 bytes of text "
				       "without '\"' or '\\'", name);
		return -EINVAL;
	}
	/* sofia-sip takes credentials as "scheme:realm:user:password" and
	 * cuts the password at a colon: one would be sent wrong */
	if (pw && (!p || !p[0] || strlen(p) > 128 || strlen(p) != json_string_length(pw) ||
		   strchr(p, ':'))) {
		*why = g_strdup_printf("trunk %s: outbound_password must be a string of 1..128 "
				       "bytes without NUL or ':'", name);
		return -EINVAL;
	}
	if (pw && !key) {
		*why = g_strdup_printf("trunk %s: an outbound_password needs a key to encrypt it: "
				       "set secret_file in [plugin.sip]", name);
		return -EINVAL;
	}
	if (pw)
		sealed = fresh = sip_secret_seal(key, p);
	else if (stored)
		sealed = json_string_value(json_object_get(e, "outbound_secret"));
	else
		sealed = prev_secret(prev, name, u);
	if (!sealed || !sealed[0] || strlen(sealed) > 1024) {
		*why = g_strdup_printf("trunk %s: a new outbound_username needs an "
				       "outbound_password", name);
		return -EINVAL;
	}
	json_object_set(t, "outbound_username", user);
	if (realm)
		json_object_set(t, "outbound_realm", realm);
	json_object_set_new(t, "outbound_secret", json_string(sealed));
	g_free(fresh);
	return 0;
}

static json_t *check_trunk(json_t *e, size_t i, json_t *prev, const char *realm,
			   const unsigned char *key, bool stored, char **why)
{
	const char *const keys[] = {"name", "allow", "username", "password", "address",
				    "outbound", "outbound_username", "outbound_password",
				    "outbound_realm", stored ? "ha1" : NULL,
				    stored ? "outbound_secret" : NULL, NULL};
	const char *err = NULL;
	const char *name = json_string_value(json_object_get(e, "name"));
	json_t *allow = json_object_get(e, "allow");
	json_t *username = json_object_get(e, "username");
	json_t *address = json_object_get(e, "address");
	json_t *outbound = json_object_get(e, "outbound");
	json_t *t = NULL, *allow_out = json_array();
	size_t j;
	json_t *a;

	if (!entry_shape(e, i, "trunk", keys, why))
		goto fail;
	if (!is_name(name, 32, "_-", false)) {
		*why = g_strdup_printf("trunk %zu: name must be 1..32 of a-z 0-9 _ -", i);
		goto fail;
	}
	if (allow && (!json_is_array(allow) || json_array_size(allow) > 64)) {
		*why = g_strdup_printf("trunk %s: allow must be an array of at most 64 addresses", name);
		goto fail;
	}
	json_array_foreach(allow, j, a) {
		GInetAddressMask *m = mask_of(json_string_value(a));
		if (!m) {
			*why = g_strdup_printf("trunk %s: allow[%zu] is not an IP address or prefix "
					       "(192.0.2.10, 198.51.100.0/24, 2001:db8::/32)", name, j);
			goto fail;
		}
		g_object_unref(m);
		json_array_append(allow_out, a);
	}
	if (username && !is_name(json_string_value(username), 64, "._-", true)) {
		*why = g_strdup_printf("trunk %s: username must be 1..64 of A-Z a-z 0-9 . _ -", name);
		goto fail;
	}
	if (address && !is_address(json_string_value(address))) {
		*why = g_strdup_printf("trunk %s: address must be host:port", name);
		goto fail;
	}
	if (outbound && !json_is_boolean(outbound)) {
		*why = g_strdup_printf("trunk %s: outbound must be true or false", name);
		goto fail;
	}
	if (json_is_true(outbound) && !address) {
		*why = g_strdup_printf("trunk %s: an outbound trunk needs an address", name);
		goto fail;
	}
	if (json_array_size(allow_out) == 0 && !username) {
		*why = g_strdup_printf("trunk %s: needs an allow list, a username, or both", name);
		goto fail;
	}
	t = json_pack("{s:s, s:O, s:b}", "name", name, "allow", allow_out, "outbound",
		      json_is_true(outbound));
	if (address)
		json_object_set(t, "address", address);
	if (username) {
		const char *user = json_string_value(username);
		char ha1[33];
		if (!entry_ha1(e, prev, "username", user, realm, ha1, &err)) {
			*why = err ? g_strdup_printf("trunk %s: %s", name, err)
				   : g_strdup_printf("trunk %s: a username needs a password", name);
			goto fail;
		}
		json_object_set(t, "username", username);
		json_object_set_new(t, "ha1", json_string(ha1));
	}
	if (check_outbound_auth(e, t, name, prev, key, stored, why))
		goto fail;
	json_decref(allow_out);
	return t;
fail:
	json_decref(allow_out);
	json_decref(t);
	return NULL;
}

static json_t *check_trunks(json_t *in, json_t *prev, const char *realm,
			    const unsigned char *key, bool stored, char **why)
{
	json_t *out = json_array();
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	size_t i;
	json_t *e;

	*why = NULL;
	if (!json_is_array(in) || json_array_size(in) > SIP_ACCOUNTS_MAX) {
		*why = g_strdup_printf("the body must be a JSON array of at most %d trunks",
				       SIP_ACCOUNTS_MAX);
		goto fail;
	}
	json_array_foreach(in, i, e) {
		json_t *t = check_trunk(e, i, prev, realm, key, stored, why);
		if (!t)
			goto fail;
		const char *name = json_string_value(json_object_get(t, "name"));
		const char *user = json_string_value(json_object_get(t, "username"));
		char *ukey = user ? g_strconcat("\x01", user, NULL) : NULL;
		if (g_hash_table_contains(seen, name) || (ukey && g_hash_table_contains(seen, ukey))) {
			*why = g_strdup_printf("trunk %s: its name or username is used twice", name);
			g_free(ukey);
			json_decref(t);
			goto fail;
		}
		/* names and user names share one table: \x01 keeps them apart */
		g_hash_table_add(seen, g_strdup(name));
		if (ukey)
			g_hash_table_add(seen, ukey);
		json_array_append_new(out, t);
	}
	g_hash_table_destroy(seen);
	return out;
fail:
	g_hash_table_destroy(seen);
	json_decref(out);
	return NULL;
}

json_t *sip_accounts_check_extensions(json_t *in, json_t *prev, const char *realm, char **why)
{
	return check_extensions(in, prev, realm, false, why);
}

json_t *sip_accounts_check_trunks(json_t *in, json_t *prev, const char *realm,
				  const unsigned char *key, char **why)
{
	return check_trunks(in, prev, realm, key, false, why);
}

json_t *sip_accounts_view(json_t *stored)
{
	json_t *view = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(stored, i, e) {
		json_t *v = json_deep_copy(e);
		if (json_object_get(v, "ha1")) {
			json_object_del(v, "ha1");
			json_object_set_new(v, "auth", json_true());
		}
		if (json_object_get(v, "outbound_secret")) {
			json_object_del(v, "outbound_secret");
			json_object_set_new(v, "outbound_auth", json_true());
		}
		json_array_append_new(view, v);
	}
	return view;
}

/* ---- the loaded form ------------------------------------------------------ */

static void extension_free(gpointer p)
{
	sip_extension *e = p;
	g_free(e->user);
	g_free(e->staff);
	g_free(e->ha1);
	g_free(e);
}

static void trunk_free(gpointer p)
{
	sip_trunk *t = p;
	g_free(t->name);
	g_ptr_array_unref(t->allow);
	g_free(t->username);
	g_free(t->ha1);
	g_free(t->address);
	g_free(t->out_user);
	g_free(t->out_realm);
	g_free(t->out_secret);
	g_free(t);
}

sip_accounts *sip_accounts_new(void)
{
	sip_accounts *a = g_new0(sip_accounts, 1);
	a->extensions = g_ptr_array_new_with_free_func(extension_free);
	a->trunks = g_ptr_array_new_with_free_func(trunk_free);
	a->by_user = g_hash_table_new(g_str_hash, g_str_equal);
	a->by_staff = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					    (GDestroyNotify)g_ptr_array_unref);
	return a;
}

void sip_accounts_free(sip_accounts *a)
{
	if (!a)
		return;
	g_hash_table_destroy(a->by_user);
	g_hash_table_destroy(a->by_staff);
	g_ptr_array_unref(a->extensions);
	g_ptr_array_unref(a->trunks);
	g_free(a);
}

/* Stored text back through the checks (as if every entry kept its HA1), so
 * a hand-edited or damaged setting is refused the same way as a bad PUT. */
static json_t *reload(const char *text, bool trunks)
{
	json_t *in = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	char *why = NULL;
	json_t *out = NULL;
	if (in)
		out = trunks ? check_trunks(in, in, "", NULL, true, &why)
			     : check_extensions(in, in, "", true, &why);
	g_free(why);
	json_decref(in);
	return out;
}

int sip_accounts_load_extensions(sip_accounts *a, const char *stored_text)
{
	json_t *list = reload(stored_text, false);
	size_t i;
	json_t *e;
	if (!list)
		return -EINVAL;
	/* the indexes borrow the entries' strings: emptied first */
	g_hash_table_remove_all(a->by_user);
	g_hash_table_remove_all(a->by_staff);
	g_ptr_array_set_size(a->extensions, 0);
	json_array_foreach(list, i, e) {
		sip_extension *x = g_new0(sip_extension, 1);
		x->user = g_strdup(json_string_value(json_object_get(e, "user")));
		x->staff = g_strdup(json_string_value(json_object_get(e, "staff")));
		x->ha1 = g_ascii_strdown(json_string_value(json_object_get(e, "ha1")), -1);
		g_ptr_array_add(a->extensions, x);
		/* users are unique (the checks refuse a list naming one twice) */
		g_hash_table_insert(a->by_user, x->user, x);
		GPtrArray *mine = g_hash_table_lookup(a->by_staff, x->staff);
		if (!mine) {
			mine = g_ptr_array_new();
			g_hash_table_insert(a->by_staff, x->staff, mine);
		}
		g_ptr_array_add(mine, x);
	}
	json_decref(list);
	return 0;
}

int sip_accounts_load_trunks(sip_accounts *a, const char *stored_text)
{
	json_t *list = reload(stored_text, true);
	size_t i, j;
	json_t *e, *m;
	if (!list)
		return -EINVAL;
	g_ptr_array_set_size(a->trunks, 0);
	a->last_source[0] = '\0';
	a->last_trunk = NULL;
	json_array_foreach(list, i, e) {
		sip_trunk *t = g_new0(sip_trunk, 1);
		const char *ha1 = json_string_value(json_object_get(e, "ha1"));
		t->name = g_strdup(json_string_value(json_object_get(e, "name")));
		t->allow = g_ptr_array_new_with_free_func(g_object_unref);
		json_array_foreach(json_object_get(e, "allow"), j, m)
			g_ptr_array_add(t->allow, mask_of(json_string_value(m)));
		t->username = g_strdup(json_string_value(json_object_get(e, "username")));
		t->ha1 = ha1 ? g_ascii_strdown(ha1, -1) : NULL;
		t->address = g_strdup(json_string_value(json_object_get(e, "address")));
		t->outbound = json_is_true(json_object_get(e, "outbound"));
		t->out_user = g_strdup(json_string_value(json_object_get(e, "outbound_username")));
		t->out_realm = g_strdup(json_string_value(json_object_get(e, "outbound_realm")));
		t->out_secret = g_strdup(json_string_value(json_object_get(e, "outbound_secret")));
		g_ptr_array_add(a->trunks, t);
	}
	json_decref(list);
	return 0;
}

const sip_extension *sip_accounts_extension(const sip_accounts *a, const char *user)
{
	return user ? g_hash_table_lookup(a->by_user, user) : NULL;
}

const GPtrArray *sip_accounts_staff_extensions(const sip_accounts *a, const char *staff)
{
	return staff ? g_hash_table_lookup(a->by_staff, staff) : NULL;
}

const sip_trunk *sip_accounts_trunk_by_source(sip_accounts *a, const char *addr)
{
	if (addr && addr[0] && strcmp(addr, a->last_source) == 0)
		return a->last_trunk;
	GInetAddress *ip = addr ? g_inet_address_new_from_string(addr) : NULL;
	const sip_trunk *found = NULL;
	for (guint i = 0; ip && !found && i < a->trunks->len; i++) {
		const sip_trunk *t = a->trunks->pdata[i];
		for (guint j = 0; !found && j < t->allow->len; j++)
			if (g_inet_address_mask_matches(t->allow->pdata[j], ip))
				found = t;
	}
	if (ip) {
		g_object_unref(ip);
		/* only a numeric address is remembered: anything else is
		 * refused without the parse anyway */
		if (strlen(addr) < sizeof a->last_source) {
			g_strlcpy(a->last_source, addr, sizeof a->last_source);
			a->last_trunk = found;
		}
	}
	return found;
}

const sip_trunk *sip_accounts_trunk_by_user(const sip_accounts *a, const char *username)
{
	for (guint i = 0; username && i < a->trunks->len; i++) {
		const sip_trunk *t = a->trunks->pdata[i];
		if (t->username && strcmp(t->username, username) == 0)
			return t;
	}
	return NULL;
}

const sip_trunk *sip_accounts_outbound_trunk(const sip_accounts *a)
{
	for (guint i = 0; i < a->trunks->len; i++) {
		const sip_trunk *t = a->trunks->pdata[i];
		if (t->outbound && t->address)
			return t;
	}
	return NULL;
}
