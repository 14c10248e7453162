/* The admin API of trunks and extensions (docs/sip.md "Admin API"):
 *   GET /plugins/sip/admin/trunks      -> {"trunks": [...]}
 *   PUT /plugins/sip/admin/trunks      [...] -> the same, once durable
 *   GET /plugins/sip/admin/extensions  -> {"extensions": [...], "registered": {...}}
 *   PUT /plugins/sip/admin/extensions  [...] -> the same, once durable
 * A PUT replaces the whole list. Passwords go in, never out (HA1 is stored,
 * "auth": true is shown; a trunk's outbound password is stored sealed under
 * the key of [plugin.sip] secret_file, "outbound_auth": true is shown). Routed with http_route_staff(ADMIN): the host
 * checks session, Origin, CSRF and role first. Loop thread.
 */
#include <errno.h>
#include <string.h>

#include "plugin_json.h"
#include "sip.h"

#define TRUNKS_PATH "/plugins/sip/admin/trunks"
#define EXTENSIONS_PATH "/plugins/sip/admin/extensions"

static json_t *view(sip_state *st, bool trunks)
{
	if (trunks)
		return json_pack("{s:o}", "trunks", sip_accounts_view(st->trunks_stored));
	/* which extensions have a live phone right now: for the set-up page */
	json_t *reg = json_object();
	for (guint i = 0; i < st->accounts->extensions->len; i++) {
		const sip_extension *e = st->accounts->extensions->pdata[i];
		GPtrArray *list = g_hash_table_lookup(st->bindings, e->user);
		json_object_set_new(reg, e->user, json_integer(list ? list->len : 0));
	}
	return json_pack("{s:o, s:o}", "extensions", sip_accounts_view(st->extensions_stored),
			 "registered", reg);
}

/* The stored list becomes the live one. */
static void apply(sip_state *st, bool trunks, json_t *stored)
{
	char *text = json_dumps(stored, JSON_COMPACT);
	int rc = trunks ? sip_accounts_load_trunks(st->accounts, text)
			: sip_accounts_load_extensions(st->accounts, text);
	free(text);
	if (rc)
		return;
	/* a deleted extension's phones are dropped at the next expiry tick */
	if (!trunks)
		st->bindings_recheck = true;
	json_t **slot = trunks ? &st->trunks_stored : &st->extensions_stored;
	json_decref(*slot);
	*slot = json_incref(stored);
}

typedef struct {
	sip_state *st;
	tsunagu_host_request *req;
	json_t *stored;
	bool trunks;
} put_req;

static void on_saved(int status, void *ud)
{
	put_req *p = ud;
	if (status == -ECANCELED) {
		/* being unloaded: the host answers the request itself */
	} else if (status) {
		tsunagu_plugin_respond_error(p->st->api, p->req, 500, "internal",
					     "the list was not stored");
	} else {
		apply(p->st, p->trunks, p->stored);
		tsunagu_plugin_respond_json(p->st->api, p->req, 200, view(p->st, p->trunks));
	}
	json_decref(p->stored);
	g_free(p);
}

/* Every extension's staff login must exist (when the host can tell). */
static char *unknown_staff(sip_state *st, json_t *stored)
{
	size_t i;
	json_t *e;
	if (!TSUNAGU_HOST_HAS(st->api, staff_find))
		return NULL;
	json_array_foreach(stored, i, e) {
		const char *login = json_string_value(json_object_get(e, "staff"));
		int64_t id = 0;
		if (st->api->staff_find(st->host, login, &id, NULL) != 0)
			return g_strdup_printf("extension %s: no staff member with login \"%s\"",
					       json_string_value(json_object_get(e, "user")), login);
	}
	return NULL;
}

static void handle(sip_state *st, tsunagu_host_request *req, bool trunks)
{
	char *why = NULL, *text = NULL;
	json_t *in = NULL, *stored = NULL;

	switch (tsunagu_plugin_read_or_put(st->api, req, &in)) {
	case TSUNAGU_PLUGIN_READ:
		tsunagu_plugin_respond_json(st->api, req, 200, view(st, trunks));
		return;
	case TSUNAGU_PLUGIN_ANSWERED:
		return;
	case TSUNAGU_PLUGIN_WRITE:
		break;
	}
	stored = trunks ? sip_accounts_check_trunks(in, st->trunks_stored, st->digest.realm,
						    st->have_secret_key ? st->secret_key : NULL,
						    &why)
			: sip_accounts_check_extensions(in, st->extensions_stored,
							st->digest.realm, &why);
	if (stored && !trunks)
		why = unknown_staff(st, stored);
	if (!stored || why) {
		tsunagu_plugin_respond_error(st->api, req, 400,
					     "bad_request", why ? why : "invalid list");
		goto out;
	}
	text = json_dumps(stored, JSON_COMPACT);
	put_req *p = g_new0(put_req, 1);
	*p = (put_req){.st = st, .req = req, .stored = json_incref(stored), .trunks = trunks};
	int rc = st->api->setting_set(st->host, trunks ? SIP_SETTING_TRUNKS : SIP_SETTING_EXTENSIONS,
				      text, on_saved, p);
	if (rc) {
		json_decref(p->stored);
		g_free(p);
		tsunagu_plugin_respond_error(st->api, req, 500, "internal",
					     "the list was not stored");
		goto out;
	}
	int64_t staff = 0;
	st->api->request_staff(req, &staff, NULL);
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "%s changed by staff %lld (%zu entries)",
		     trunks ? "trunks" : "extensions", (long long)staff, json_array_size(stored));
out:
	free(text);
	g_free(why);
	json_decref(in);
	json_decref(stored);
}

static void trunks_route(tsunagu_host_request *req, void *ud)
{
	handle(ud, req, true);
}

static void extensions_route(tsunagu_host_request *req, void *ud)
{
	handle(ud, req, false);
}

int sip_admin_register(sip_state *st)
{
	int rc = st->api->http_route_staff(st->host, NULL, TRUNKS_PATH, false,
					   TSUNAGU_PLUGIN_ROLE_ADMIN, trunks_route, st);
	if (rc == 0)
		rc = st->api->http_route_staff(st->host, NULL, EXTENSIONS_PATH, false,
					       TSUNAGU_PLUGIN_ROLE_ADMIN, extensions_route, st);
	return rc;
}

static void load_one(sip_state *st, bool trunks)
{
	const char *key = trunks ? SIP_SETTING_TRUNKS : SIP_SETTING_EXTENSIONS;
	char *text = NULL;
	json_t *stored = NULL;
	if (st->api->setting_get(st->host, key, &text) == 0) {
		stored = json_loads(text, 0, NULL);
		int rc = trunks ? sip_accounts_load_trunks(st->accounts, text)
				: sip_accounts_load_extensions(st->accounts, text);
		if (rc) {
			st->api->log(st->host, TSUNAGU_PLUGIN_LOG_ERROR,
				     "the stored %s are invalid; none are in use", key);
			json_decref(stored);
			stored = NULL;
		}
	}
	st->api->free(text);
	json_t **slot = trunks ? &st->trunks_stored : &st->extensions_stored;
	json_decref(*slot);
	*slot = stored ? stored : json_array();
}

/* The key of outbound trunk passwords (sip_secret.h). Without one, trunks
 * keep working and only a new outbound password is refused, saying why.
 * A relative secret_file (the default, "secret.key") lives in the plugin's
 * data directory, beside the database whose passwords it seals. */
static void load_secret_key(sip_state *st)
{
	const char *conf = st->api->config_string(st->host, "secret_file");
	const char *dir = NULL;
	char *path = NULL;
	int rc;

	if (!conf || !conf[0])
		return; /* the admin's choice: no outbound passwords */
	if (g_path_is_absolute(conf)) {
		path = g_strdup(conf);
	} else {
		rc = TSUNAGU_HOST_HAS(st->api, data_dir) ? st->api->data_dir(st->host, &dir) : -ENOSYS;
		if (rc) {
			st->api->log(st->host, TSUNAGU_PLUGIN_LOG_ERROR,
				     "secret_file %s: relative, and the host gives no data directory (%s); "
				     "outbound trunk passwords cannot be used",
				     conf, g_strerror(-rc));
			return;
		}
		path = g_build_filename(dir, conf, NULL);
	}
	rc = sip_secret_key_load(path, st->secret_key);
	st->have_secret_key = rc == 0;
	if (rc)
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_ERROR,
			     "secret_file %s: %s; outbound trunk passwords cannot be used", path,
			     rc == -EPERM ? "readable by group or others (chmod 600 it)"
			     : rc == -EINVAL ? "not a key of 32 bytes" : g_strerror(-rc));
	g_free(path);
}

void sip_admin_load(sip_state *st)
{
	load_secret_key(st);
	load_one(st, true);
	load_one(st, false);
	sip_registrations_restore(st);
}
