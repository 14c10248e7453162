/* Configuration files: parsing, the core schema with its defaults, typed
 * access. Errors always name "FILE:LINE" so an admin finds the line. */
#define TSUNAGU_LOG_TOPIC "config"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* The core's keys. Every option has a default so no file is needed; the doc
 * line is what --dump-config prints above the key. */
static const tsunagu_conf_key core_schema[] = {
	{"server.data_dir", TSUNAGU_CONF_STRING, "./tsunagu-data",
	 "directory for the database and uploaded files (created if missing)"},
	{"log.level", TSUNAGU_CONF_STRING, "info", "error, warn, info or debug"},
	{"http.listen", TSUNAGU_CONF_STRING, "127.0.0.1:8080",
	 "address:port of the HTTP/WebSocket server ([::1]:8080 for IPv6, port 0 = any free)"},
	{"http.max_body", TSUNAGU_CONF_INT, "1M", "largest request body accepted (bytes, K/M suffix)"},
	{"http.max_ws_message", TSUNAGU_CONF_INT, "64K", "largest WebSocket message accepted"},
	{"http.static_dir", TSUNAGU_CONF_STRING, "", "inbox files; empty = the built-in inbox"},
	{"store.path", TSUNAGU_CONF_STRING, "", "SQLite file; empty = <data_dir>/tsunagu.db"},
	{"store.synchronous", TSUNAGU_CONF_STRING, "full",
	 "SQLite synchronous: full (durable on power loss), normal, off"},
	{"store.busy_timeout", TSUNAGU_CONF_DURATION, "5s", "wait for a locked database"},
	{"store.max_batch", TSUNAGU_CONF_INT, "10000", "writes per group commit at most"},
	{"store.commit_delay", TSUNAGU_CONF_DURATION, "0ms",
	 "group-commit window: a batch commits once open this long, with every write made "
	 "meanwhile (0 = at the end of the loop iteration that wrote)"},
	{"store.commit_interval", TSUNAGU_CONF_DURATION, "30ms",
	 "commit pacing: a batch commits no sooner than this after the previous commit "
	 "(0 = no pacing)"},
	{"rules.dir", TSUNAGU_CONF_STRING, "", "directory of Lua rule files; empty = built-in rules"},
	{"rules.instruction_limit", TSUNAGU_CONF_INT, "1000000",
	 "Lua instructions per rule evaluation"},
	{"rules.time_limit", TSUNAGU_CONF_DURATION, "50ms", "wall-clock time per rule evaluation"},
	{"rules.memory_limit", TSUNAGU_CONF_INT, "8M", "memory per rule file"},
	{"routing.offer_timeout", TSUNAGU_CONF_DURATION, "0s",
	 "a chat the router assigns counts as offered until the operator accepts it; not accepted "
	 "in this time it goes to the next operator (0 = chats are assigned without offer)"},
	{"routing.ring_timeout", TSUNAGU_CONF_DURATION, "30s",
	 "a ringing call not answered in this time rings the next operator (0 = rings until "
	 "answered or the caller leaves)"},
	{"routing.ring_rounds", TSUNAGU_CONF_INT, "3",
	 "a call rung to every eligible operator this many times without an answer ends missed "
	 "ringTimeout (0 = rings until answered or the caller leaves)"},
	{"routing.max_missed_offers", TSUNAGU_CONF_INT, "3",
	 "consecutive offers an operator lets pass before being set away (0 = never)"},
	{"auth.session_ttl", TSUNAGU_CONF_DURATION, "12h", "staff session lifetime"},
	{"auth.login_max_failures", TSUNAGU_CONF_INT, "5",
	 "failed logins (per account and per address) before a lockout"},
	{"auth.login_window", TSUNAGU_CONF_DURATION, "5m", "window in which failures are counted"},
	{"auth.lockout", TSUNAGU_CONF_DURATION, "15m", "how long logins are refused after that"},
	{"auth.cookie_secure", TSUNAGU_CONF_BOOL, "false",
	 "mark the session cookie Secure (set true behind HTTPS)"},
	{"guidance.max_upload", TSUNAGU_CONF_INT, "50M",
	 "largest voice guidance upload accepted (bytes, K/M suffix)"},
	{"plugins.dir", TSUNAGU_CONF_STRING, "", "directory of plugin .so files; empty = built-in"},
	{"plugins.disabled", TSUNAGU_CONF_STRING, "", "comma-separated plugin names not to load"},
	{"shutdown.timeout", TSUNAGU_CONF_DURATION, "5s",
	 "how long SIGTERM waits for work in flight"},
	{NULL, 0, NULL, NULL},
};

typedef struct {
	char *value;
	char *file; /* where it was set; NULL for a default */
	int line;
	/* Core keys only: the schema entry, so a typed read needs one hash
	 * lookup and no scan of the schema, and the value parsed once. The
	 * domain reads timeouts on every call (issue 5: a linear strcmp scan
	 * and a parse per read showed in the per-call profile). A value that
	 * changes is a new conf_value, so the cache cannot go stale. */
	const tsunagu_conf_key *schema;
	bool parsed;
	int64_t number; /* int, duration (ms) or bool (0/1) */
} conf_value;

struct tsunagu_config {
	GHashTable *values;   /* "section.key" -> conf_value*, core keys */
	GHashTable *sections; /* "plugin.NAME" -> GHashTable key -> conf_value* */
};

G_DEFINE_QUARK(tsunagu-config-error-quark, tsunagu_config_error)

static void conf_value_free(void *p)
{
	conf_value *v = p;
	if (!v)
		return;
	g_free(v->value);
	g_free(v->file);
	g_free(v);
}

static conf_value *conf_value_new(const char *value, const char *file, int line)
{
	conf_value *v = g_new0(conf_value, 1);
	v->value = g_strdup(value);
	v->file = g_strdup(file);
	v->line = line;
	return v;
}

static const tsunagu_conf_key *schema_find(const tsunagu_conf_key *schema, const char *key)
{
	for (const tsunagu_conf_key *k = schema; k->key; k++)
		if (strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

bool tsunagu_conf_parse_int(const char *text, int64_t *out)
{
	if (!text || !*text)
		return false;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || end == text)
		return false;
	int64_t mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		mul = 1024LL * 1024 * 1024, end++;
	if (*end)
		return false;
	if (v > INT64_MAX / mul || v < INT64_MIN / mul)
		return false;
	*out = (int64_t)v * mul;
	return true;
}

bool tsunagu_conf_parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	if (!text)
		return false;
	for (unsigned i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (g_ascii_strcasecmp(text, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

bool tsunagu_conf_parse_duration_ms(const char *text, int64_t *out)
{
	if (!text || !*text || *text == '-')
		return false;
	char *end = NULL;
	errno = 0;
	double v = g_ascii_strtod(text, &end);
	if (errno || end == text || v < 0)
		return false;
	double mul;
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60e3;
	else if (strcmp(end, "h") == 0)
		mul = 3600e3;
	else if (strcmp(end, "d") == 0)
		mul = 86400e3;
	else
		return false;
	double ms = v * mul;
	if (ms > 9.2e18)
		return false;
	*out = (int64_t)ms;
	return true;
}

static bool value_valid(tsunagu_conf_type type, const char *value)
{
	int64_t i;
	bool b;
	switch (type) {
	case TSUNAGU_CONF_STRING:
		return true;
	case TSUNAGU_CONF_INT:
		return tsunagu_conf_parse_int(value, &i);
	case TSUNAGU_CONF_BOOL:
		return tsunagu_conf_parse_bool(value, &b);
	case TSUNAGU_CONF_DURATION:
		return tsunagu_conf_parse_duration_ms(value, &i);
	}
	return false;
}

static const char *type_name(tsunagu_conf_type type)
{
	switch (type) {
	case TSUNAGU_CONF_STRING:
		return "a string";
	case TSUNAGU_CONF_INT:
		return "an integer (optionally with K, M or G)";
	case TSUNAGU_CONF_BOOL:
		return "true or false";
	case TSUNAGU_CONF_DURATION:
		return "a duration (250ms, 90s, 10m, 24h, 7d)";
	}
	return "?";
}

static void set_error(GError **err, const char *file, int line, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);
static void set_error(GError **err, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(err, TSUNAGU_CONFIG_ERROR, 1, "%s:%d: %s", file, line, msg);
	g_free(msg);
}

/* Unquotes "..." with \" \\ \n \t escapes; bare values are trimmed. A '#'
 * after whitespace in a bare value starts a comment. */
static bool parse_value(const char *raw, char **out, const char **why)
{
	const char *p = raw;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '"') {
		GString *s = g_string_new(NULL);
		for (; *p; p++) {
			if ((*p == '#' || *p == ';') && s->len && (s->str[s->len - 1] == ' ' ||
								   s->str[s->len - 1] == '\t'))
				break;
			g_string_append_c(s, *p);
		}
		while (s->len && (s->str[s->len - 1] == ' ' || s->str[s->len - 1] == '\t'))
			g_string_truncate(s, s->len - 1);
		*out = g_string_free(s, FALSE);
		return true;
	}
	GString *s = g_string_new(NULL);
	for (p++; *p && *p != '"'; p++) {
		if (*p != '\\') {
			g_string_append_c(s, *p);
			continue;
		}
		p++;
		switch (*p) {
		case '"': g_string_append_c(s, '"'); break;
		case '\\': g_string_append_c(s, '\\'); break;
		case 'n': g_string_append_c(s, '\n'); break;
		case 't': g_string_append_c(s, '\t'); break;
		default:
			*why = "unknown escape in quoted value (use \\\" \\\\ \\n \\t)";
			g_string_free(s, TRUE);
			return false;
		}
	}
	if (*p != '"') {
		*why = "missing closing quote";
		g_string_free(s, TRUE);
		return false;
	}
	for (p++; *p == ' ' || *p == '\t'; p++)
		;
	if (*p && *p != '#' && *p != ';') {
		*why = "text after the closing quote";
		g_string_free(s, TRUE);
		return false;
	}
	*out = g_string_free(s, FALSE);
	return true;
}

static bool section_name_valid(const char *name)
{
	if (!*name)
		return false;
	for (const char *p = name; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
			return false;
	return true;
}

static GHashTable *plugin_section(tsunagu_config *cfg, const char *section)
{
	GHashTable *t = g_hash_table_lookup(cfg->sections, section);
	if (!t) {
		t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, conf_value_free);
		g_hash_table_insert(cfg->sections, g_strdup(section), t);
	}
	return t;
}

/* Parses one file's text into cfg. Core keys are checked against the schema
 * now; plugin sections are kept for their plugin to check. */
static bool parse_text(tsunagu_config *cfg, const char *file, const char *text, size_t len,
		       GError **err)
{
	if (!g_utf8_validate(text, (gssize)len, NULL)) {
		const char *end = NULL;
		g_utf8_validate(text, (gssize)len, &end);
		int line = 1;
		for (const char *p = text; p < end; p++)
			line += *p == '\n';
		set_error(err, file, line, "not valid UTF-8 (or contains a NUL byte)");
		return false;
	}
	char *section = NULL;
	bool ok = true;
	int lineno = 0;
	const char *p = text, *end = text + len;
	while (p < end && ok) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		char *line = g_strndup(p, (gsize)(eol - p));
		p = nl ? nl + 1 : end;
		lineno++;
		g_strstrip(line);
		if (!*line || *line == '#' || *line == ';') {
			g_free(line);
			continue;
		}
		if (*line == '[') {
			char *close = strchr(line, ']');
			if (!close || close[1] != '\0') {
				set_error(err, file, lineno, "malformed section header (expected [name])");
				ok = false;
			} else {
				*close = '\0';
				char *name = g_strstrip(line + 1);
				bool known = g_str_has_prefix(name, "plugin.") && section_name_valid(name + 7);
				if (!known) {
					char *prefix = g_strconcat(name, ".", NULL);
					for (const tsunagu_conf_key *k = core_schema; k->key && !known; k++)
						known = g_str_has_prefix(k->key, prefix);
					g_free(prefix);
				}
				if (!known) {
					set_error(err, file, lineno, "unknown section [%s]", name);
					ok = false;
				} else {
					g_free(section);
					section = g_strdup(name);
				}
			}
			g_free(line);
			continue;
		}
		char *eq = strchr(line, '=');
		if (!eq) {
			set_error(err, file, lineno, "expected key = value");
			ok = false;
			g_free(line);
			continue;
		}
		*eq = '\0';
		char *key = g_strstrip(line);
		const char *why = NULL;
		char *value = NULL;
		if (!*key) {
			set_error(err, file, lineno, "missing key before '='");
			ok = false;
		} else if (!section_name_valid(key) || strchr(key, '.')) {
			set_error(err, file, lineno, "invalid key name '%s' (letters, digits, _ and -)",
				  key);
			ok = false;
		} else if (!section) {
			set_error(err, file, lineno, "key '%s' outside of any [section]", key);
			ok = false;
		} else if (!parse_value(eq + 1, &value, &why)) {
			set_error(err, file, lineno, "%s", why);
			ok = false;
		} else if (g_str_has_prefix(section, "plugin.")) {
			g_hash_table_replace(plugin_section(cfg, section), g_strdup(key),
					     conf_value_new(value, file, lineno));
		} else {
			char *full = g_strconcat(section, ".", key, NULL);
			const tsunagu_conf_key *k = schema_find(core_schema, full);
			if (!k) {
				set_error(err, file, lineno, "unknown key '%s' in [%s]", key, section);
				ok = false;
			} else if (!value_valid(k->type, value)) {
				set_error(err, file, lineno, "%s must be %s, not \"%s\"", full,
					  type_name(k->type), value);
				ok = false;
			} else {
				conf_value *v = conf_value_new(value, file, lineno);
				v->schema = k;
				g_hash_table_replace(cfg->values, g_strdup(full), v);
			}
			g_free(full);
		}
		g_free(value);
		g_free(line);
	}
	g_free(section);
	return ok;
}

static bool check_core_values(tsunagu_config *cfg, GError **err)
{
	const char *lvl = tsunagu_config_string(cfg, "log.level");
	tsunagu_log_level l;
	if (tsunagu_log_level_parse(lvl, &l) < 0) {
		conf_value *v = g_hash_table_lookup(cfg->values, "log.level");
		set_error(err, v && v->file ? v->file : "<defaults>", v ? v->line : 0,
			  "log.level must be error, warn, info or debug, not \"%s\"", lvl);
		return false;
	}
	const char *sync = tsunagu_config_string(cfg, "store.synchronous");
	if (strcmp(sync, "full") && strcmp(sync, "normal") && strcmp(sync, "off") &&
	    strcmp(sync, "extra")) {
		conf_value *v = g_hash_table_lookup(cfg->values, "store.synchronous");
		set_error(err, v && v->file ? v->file : "<defaults>", v ? v->line : 0,
			  "store.synchronous must be full, extra, normal or off, not \"%s\"", sync);
		return false;
	}
	return true;
}

tsunagu_config *tsunagu_config_new_defaults(void)
{
	tsunagu_config *cfg = g_new0(tsunagu_config, 1);
	cfg->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, conf_value_free);
	cfg->sections = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      (GDestroyNotify)g_hash_table_unref);
	for (const tsunagu_conf_key *k = core_schema; k->key; k++) {
		conf_value *v = conf_value_new(k->default_value, NULL, 0);
		v->schema = k;
		g_hash_table_insert(cfg->values, g_strdup(k->key), v);
	}
	return cfg;
}

static bool load_file(tsunagu_config *cfg, const char *path, GError **err)
{
	char *text = NULL;
	gsize len = 0;
	GError *ferr = NULL;
	if (!g_file_get_contents(path, &text, &len, &ferr)) {
		g_set_error(err, TSUNAGU_CONFIG_ERROR, 2, "%s:0: cannot read: %s", path,
			    ferr->message);
		g_error_free(ferr);
		return false;
	}
	bool ok = parse_text(cfg, path, text, len, err);
	g_free(text);
	return ok;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

tsunagu_config *tsunagu_config_load(const char *path, const char *conf_d, GError **err)
{
	tsunagu_config *cfg = tsunagu_config_new_defaults();
	char *dir_owned = NULL;
	GPtrArray *names = NULL;

	if (path && !load_file(cfg, path, err))
		goto fail;
	if (!conf_d && path) {
		char *base = g_path_get_dirname(path);
		dir_owned = g_build_filename(base, "conf.d", NULL);
		g_free(base);
		conf_d = dir_owned;
	}
	if (conf_d && g_file_test(conf_d, G_FILE_TEST_IS_DIR)) {
		GDir *d = g_dir_open(conf_d, 0, NULL);
		names = g_ptr_array_new_with_free_func(g_free);
		const char *n;
		while (d && (n = g_dir_read_name(d)))
			if (g_str_has_suffix(n, ".conf") && n[0] != '.')
				g_ptr_array_add(names, g_build_filename(conf_d, n, NULL));
		if (d)
			g_dir_close(d);
		g_ptr_array_sort(names, compare_names);
		for (unsigned i = 0; i < names->len; i++)
			if (!load_file(cfg, names->pdata[i], err))
				goto fail;
	}
	if (!check_core_values(cfg, err))
		goto fail;
	if (names)
		g_ptr_array_unref(names);
	g_free(dir_owned);
	return cfg;
fail:
	if (names)
		g_ptr_array_unref(names);
	g_free(dir_owned);
	tsunagu_config_free(cfg);
	return NULL;
}

bool tsunagu_config_set(tsunagu_config *cfg, const char *assignment, GError **err)
{
	const char *eq = strchr(assignment, '=');
	const char *dot = eq ? memchr(assignment, '.', (size_t)(eq - assignment)) : NULL;
	if (!eq || !dot) {
		set_error(err, "<command line>", 0, "expected section.key=value, not \"%s\"",
			  assignment);
		return false;
	}
	char *section = g_strndup(assignment, (gsize)(dot - assignment));
	char *text = g_strdup_printf("[%s]\n%.*s = %s\n", section, (int)(eq - dot - 1), dot + 1,
				     eq + 1);
	bool ok = parse_text(cfg, "<command line>", text, strlen(text), err) &&
		  check_core_values(cfg, err);
	g_free(text);
	g_free(section);
	return ok;
}

void tsunagu_config_free(tsunagu_config *cfg)
{
	if (!cfg)
		return;
	g_hash_table_unref(cfg->values);
	g_hash_table_unref(cfg->sections);
	g_free(cfg);
}

/* The stored value of a core key: every core key has one (its default
 * at least), with its schema entry. */
static conf_value *core_value(const tsunagu_config *cfg, const char *key, tsunagu_conf_type type)
{
	conf_value *v = g_hash_table_lookup(cfg->values, key);
	if (!v || !v->schema || v->schema->type != type)
		g_error("config: no key %s of that type (programming error)", key);
	return v;
}

const char *tsunagu_config_string(const tsunagu_config *cfg, const char *key)
{
	return core_value(cfg, key, TSUNAGU_CONF_STRING)->value;
}

/* Values were validated when set (value_valid), so a parse cannot fail;
 * the cache write is the same number whoever makes it first. */
static int64_t core_number(const tsunagu_config *cfg, const char *key, tsunagu_conf_type type)
{
	conf_value *v = core_value(cfg, key, type);
	if (!v->parsed) {
		int64_t n = 0;
		bool b = false;
		if (type == TSUNAGU_CONF_INT)
			tsunagu_conf_parse_int(v->value, &n);
		else if (type == TSUNAGU_CONF_DURATION)
			tsunagu_conf_parse_duration_ms(v->value, &n);
		else if (tsunagu_conf_parse_bool(v->value, &b))
			n = b;
		v->number = n;
		v->parsed = true;
	}
	return v->number;
}

int64_t tsunagu_config_int(const tsunagu_config *cfg, const char *key)
{
	return core_number(cfg, key, TSUNAGU_CONF_INT);
}

bool tsunagu_config_bool(const tsunagu_config *cfg, const char *key)
{
	return core_number(cfg, key, TSUNAGU_CONF_BOOL) != 0;
}

int64_t tsunagu_config_duration_ms(const tsunagu_config *cfg, const char *key)
{
	return core_number(cfg, key, TSUNAGU_CONF_DURATION);
}

bool tsunagu_config_check_section(tsunagu_config *cfg, const char *section,
				  const tsunagu_conf_key *schema, GError **err)
{
	static const tsunagu_conf_key enabled_key = {"enabled", TSUNAGU_CONF_BOOL, "true",
						     "load this plugin"};
	GHashTable *t = plugin_section(cfg, section);
	GHashTableIter it;
	void *key, *val;
	g_hash_table_iter_init(&it, t);
	while (g_hash_table_iter_next(&it, &key, &val)) {
		conf_value *v = val;
		if (!v->file)
			continue; /* a default filled in by an earlier check */
		const tsunagu_conf_key *k = strcmp(key, "enabled") == 0
						    ? &enabled_key
						    : (schema ? schema_find(schema, key) : NULL);
		if (!k) {
			set_error(err, v->file, v->line, "unknown key '%s' in [%s]",
				  (const char *)key, section);
			return false;
		}
		if (!value_valid(k->type, v->value)) {
			set_error(err, v->file, v->line, "%s.%s must be %s, not \"%s\"", section,
				  (const char *)key, type_name(k->type), v->value);
			return false;
		}
	}
	if (!g_hash_table_contains(t, "enabled"))
		g_hash_table_insert(t, g_strdup("enabled"), conf_value_new("true", NULL, 0));
	for (const tsunagu_conf_key *k = schema; k && k->key; k++)
		if (!g_hash_table_contains(t, k->key))
			g_hash_table_insert(t, g_strdup(k->key),
					    conf_value_new(k->default_value, NULL, 0));
	return true;
}

const char *tsunagu_config_section_value(const tsunagu_config *cfg, const char *section,
					 const char *key)
{
	GHashTable *t = g_hash_table_lookup(cfg->sections, section);
	conf_value *v = t ? g_hash_table_lookup(t, key) : NULL;
	return v ? v->value : NULL;
}

char **tsunagu_config_plugin_sections(const tsunagu_config *cfg)
{
	GPtrArray *out = g_ptr_array_new();
	GHashTableIter it;
	void *key;
	g_hash_table_iter_init(&it, cfg->sections);
	while (g_hash_table_iter_next(&it, &key, NULL))
		if (g_str_has_prefix(key, "plugin."))
			g_ptr_array_add(out, g_strdup((const char *)key + 7));
	g_ptr_array_sort(out, compare_names);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static void dump_value(GString *out, const char *value)
{
	bool quote = !*value || strpbrk(value, "\"\\#;\n\t") || value[0] == ' ' ||
		     value[strlen(value) - 1] == ' ';
	if (!quote) {
		g_string_append(out, value);
		return;
	}
	g_string_append_c(out, '"');
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(out, '\\');
		if (*p == '\n')
			g_string_append(out, "\\n");
		else if (*p == '\t')
			g_string_append(out, "\\t");
		else
			g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}

void tsunagu_config_dump(const tsunagu_config *cfg, GString *out)
{
	const char *section = NULL;
	size_t section_len = 0;
	for (const tsunagu_conf_key *k = core_schema; k->key; k++) {
		const char *dot = strchr(k->key, '.');
		size_t slen = (size_t)(dot - k->key);
		if (!section || slen != section_len || strncmp(section, k->key, slen) != 0) {
			g_string_append_printf(out, "%s[%.*s]\n", section ? "\n" : "", (int)slen,
					       k->key);
			section = k->key;
			section_len = slen;
		}
		conf_value *v = g_hash_table_lookup(cfg->values, k->key);
		g_string_append_printf(out, "# %s (%s; default ", k->doc, type_name(k->type));
		dump_value(out, k->default_value);
		g_string_append(out, ")\n");
		g_string_append_printf(out, "%s = ", dot + 1);
		dump_value(out, v ? v->value : k->default_value);
		g_string_append_c(out, '\n');
	}
	char **names = tsunagu_config_plugin_sections(cfg);
	for (char **n = names; *n; n++) {
		char *sec = g_strconcat("plugin.", *n, NULL);
		GHashTable *t = g_hash_table_lookup(cfg->sections, sec);
		g_string_append_printf(out, "\n[%s]\n", sec);
		GList *keys = g_list_sort(g_hash_table_get_keys(t), (GCompareFunc)strcmp);
		for (GList *l = keys; l; l = l->next) {
			conf_value *v = g_hash_table_lookup(t, l->data);
			g_string_append_printf(out, "%s = ", (const char *)l->data);
			dump_value(out, v->value);
			g_string_append_c(out, '\n');
		}
		g_list_free(keys);
		g_free(sec);
	}
	g_strfreev(names);
}
