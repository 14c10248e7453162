/* Validation and merging of the widget settings. An admin's change goes
 * through the same checks as the config file, so whatever is stored is
 * always usable. */
#include "web_settings.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "web_info.h"

#define LIST_MAX 50
#define PATTERN_MAX 512
#define GREETING_MAX 500
#define DEPARTMENTS_MAX 20
#define DEPARTMENT_LABEL_MAX 64

typedef enum {
	K_COLOR,
	K_GREETING,
	K_PATTERNS,
	K_ORIGINS,
	K_CHANNEL_KEY,
	K_SECRET,
	K_DEPARTMENTS,
} kind;

static const struct {
	const char *key;
	kind k;
} keys[] = {
	{"color_primary", K_COLOR},    {"color_text", K_COLOR},
	{"greeting_ja", K_GREETING},   {"greeting_en", K_GREETING},
	{"show_on", K_PATTERNS},       {"hide_on", K_PATTERNS},
	{"allowed_origins", K_ORIGINS}, {"channel_key", K_CHANNEL_KEY},
	{"identity_secret", K_SECRET}, {"departments", K_DEPARTMENTS},
};

static bool color_valid(const char *s)
{
	size_t n = strlen(s);
	if (s[0] != '#' || (n != 4 && n != 7))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!g_ascii_isxdigit(s[i]))
			return false;
	return true;
}

static bool text_valid(const char *s, size_t max, bool newlines)
{
	size_t n = strlen(s);
	if (n > max || !g_utf8_validate(s, (gssize)n, NULL))
		return false;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && !(newlines && s[i] == '\n')) || s[i] == 0x7f)
			return false;
	return true;
}

static bool channel_key_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static bool secret_valid(const char *s)
{
	size_t n = strlen(s);
	if (n != 0 && (n < 16 || n > 256))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

bool web_department_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_islower(s[i]) && !g_ascii_isdigit(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* [{name, label_ja, label_en}]: names unique, labels short one-line text. */
static bool departments_valid(json_t *v)
{
	size_t i;
	json_t *d;
	if (!json_is_array(v) || json_array_size(v) > DEPARTMENTS_MAX)
		return false;
	json_array_foreach(v, i, d) {
		const char *name = json_string_value(json_object_get(d, "name"));
		if (!json_is_object(d) || json_object_size(d) != 3 || !name ||
		    strlen(name) != json_string_length(json_object_get(d, "name")) ||
		    !web_department_name_valid(name))
			return false;
		for (const char *const *k = (const char *const[]){ "label_ja", "label_en", NULL }; *k;
		     k++) {
			json_t *l = json_object_get(d, *k);
			const char *s = json_string_value(l);
			if (!s || !*s || strlen(s) != json_string_length(l) ||
			    !text_valid(s, DEPARTMENT_LABEL_MAX, false))
				return false;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(name, json_string_value(json_object_get(json_array_get(v, j),
									    "name"))) == 0)
				return false;
	}
	return true;
}

static bool list_valid(json_t *v, kind k)
{
	size_t i;
	json_t *e;
	if (!json_is_array(v) || json_array_size(v) > LIST_MAX)
		return false;
	json_array_foreach(v, i, e) {
		const char *s = json_string_value(e);
		if (!s || !*s || strlen(s) != json_string_length(e))
			return false;
		if (k == K_PATTERNS && !text_valid(s, PATTERN_MAX, false))
			return false;
		if (k == K_ORIGINS && !web_origin_valid(s))
			return false;
	}
	return true;
}

static int check_one(const char *key, json_t *v, const char **why)
{
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		if (strcmp(keys[i].key, key) != 0)
			continue;
		const char *s = json_string_value(v);
		if (s && strlen(s) != json_string_length(v))
			s = NULL; /* an embedded NUL */
		bool ok;
		switch (keys[i].k) {
		case K_COLOR:
			ok = s && color_valid(s);
			*why = "a colour is #rgb or #rrggbb";
			break;
		case K_GREETING:
			ok = s && text_valid(s, GREETING_MAX, true);
			*why = "a greeting is text of at most 500 bytes";
			break;
		case K_PATTERNS:
			ok = list_valid(v, K_PATTERNS);
			*why = "show_on and hide_on are lists of at most 50 URL patterns";
			break;
		case K_ORIGINS:
			ok = list_valid(v, K_ORIGINS);
			*why = "allowed_origins is a list of \"*\" or http(s)://host[:port]";
			break;
		case K_CHANNEL_KEY:
			ok = s && channel_key_valid(s);
			*why = "channel_key is 1-64 of A-Z a-z 0-9 _ -";
			break;
		case K_DEPARTMENTS:
			ok = departments_valid(v);
			*why = "departments is a list of at most 20 {name (a-z 0-9 _ -, unique), "
			       "label_ja, label_en (text of at most 64 bytes)}";
			break;
		default:
			ok = s && secret_valid(s);
			*why = "identity_secret is empty (off) or 16-256 printable ASCII characters";
			break;
		}
		return ok ? 0 : -EINVAL;
	}
	*why = "unknown setting";
	return -EINVAL;
}

int web_settings_check(json_t *patch, const char **why)
{
	const char *key;
	json_t *v;
	if (!json_is_object(patch)) {
		*why = "settings are a JSON object";
		return -EINVAL;
	}
	json_object_foreach(patch, key, v) {
		if (json_is_null(v))
			continue;
		if (check_one(key, v, why))
			return -EINVAL;
	}
	return 0;
}

static json_t *list_from_csv(const char *csv)
{
	json_t *a = json_array();
	char **parts = g_strsplit(csv ? csv : "", ",", -1);
	for (char **p = parts; *p; p++) {
		char *t = g_strstrip(*p);
		if (*t)
			json_array_append_new(a, json_string(t));
	}
	g_strfreev(parts);
	return a;
}

json_t *web_settings_defaults(const web_settings_config *cfg, const char **why)
{
	json_t *d = json_pack("{s:s?, s:s?, s:s?, s:s?, s:o, s:o, s:o, s:s?, s:s?}",
			      "color_primary", cfg->color_primary, "color_text", cfg->color_text,
			      "greeting_ja", cfg->greeting_ja, "greeting_en", cfg->greeting_en,
			      "show_on", list_from_csv(cfg->show_on), "hide_on",
			      list_from_csv(cfg->hide_on), "allowed_origins",
			      list_from_csv(cfg->allowed_origins), "channel_key", cfg->channel_key,
			      "identity_secret", cfg->identity_secret ? cfg->identity_secret : "");
	/* Departments are set by admins only (a list of objects has no config
	 * file form): none by default, and the widget shows no picker. */
	if (d)
		json_object_set_new(d, "departments", json_array());
	if (!d) {
		*why = "a setting is not UTF-8 text";
		return NULL;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (!json_object_get(d, keys[i].key) || check_one(keys[i].key, json_object_get(d, keys[i].key), why)) {
			json_decref(d);
			return NULL;
		}
	return d;
}

json_t *web_settings_override_parse(const char *text)
{
	const char *why;
	json_t *o = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!o || web_settings_check(o, &why) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *web_settings_override_merge(json_t *override, json_t *patch)
{
	json_t *out = override ? json_deep_copy(override) : json_object();
	const char *key;
	json_t *v;
	json_object_foreach(patch, key, v) {
		if (json_is_null(v))
			json_object_del(out, key);
		else
			json_object_set(out, key, v);
	}
	return out;
}

json_t *web_settings_effective(json_t *defaults, json_t *override)
{
	json_t *out = json_deep_copy(defaults);
	const char *key;
	json_t *v;
	if (override)
		json_object_foreach(override, key, v)
			if (!json_is_null(v))
				json_object_set(out, key, v);
	return out;
}

json_t *web_settings_public(json_t *e)
{
	json_t *deps = json_object_get(e, "departments");
	return json_pack("{s:O, s:O, s:{s:O, s:O}, s:O, s:O, s:O}", "color_primary",
			 json_object_get(e, "color_primary"), "color_text",
			 json_object_get(e, "color_text"), "greeting", "ja",
			 json_object_get(e, "greeting_ja"), "en", json_object_get(e, "greeting_en"),
			 "show_on", json_object_get(e, "show_on"), "hide_on",
			 json_object_get(e, "hide_on"), "departments",
			 deps ? deps : json_array());
}

bool web_settings_department(json_t *e, const char *name)
{
	size_t i;
	json_t *d;
	if (!name)
		return false;
	json_array_foreach(json_object_get(e, "departments"), i, d)
		if (strcmp(json_string_value(json_object_get(d, "name")), name) == 0)
			return true;
	return false;
}

json_t *web_settings_admin_view(json_t *e)
{
	json_t *out = json_deep_copy(e);
	const char *secret = json_string_value(json_object_get(e, "identity_secret"));
	json_object_del(out, "identity_secret");
	json_object_set_new(out, "identity_secret_set", json_boolean(secret && *secret));
	return out;
}

char **web_settings_origins(json_t *e)
{
	json_t *list = json_object_get(e, "allowed_origins");
	GPtrArray *a = g_ptr_array_new();
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		g_ptr_array_add(a, g_strdup(json_string_value(v)));
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}
