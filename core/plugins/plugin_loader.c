/* The plugin loader: finds *.so files, negotiates the ABI, checks the
 * description and config, and runs init/start/stop/destroy. A plugin that
 * fails any check is refused with one log line and the daemon goes on. */
#define TSUNAGU_LOG_TOPIC "plugins"
#include "log.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#include "config.h"
#include "paths.h"
#include "plugin_host.h"
#include "plugins.h"
#include "tsunagu_build_config.h"

/* The 1.0 description ends at deliver; anything shorter cannot be read. */
#define DESC_MIN_SIZE (offsetof(tsunagu_plugin_desc, deliver) + sizeof(void (*)(void)))
/* The 1.2 description, which has call_event. */
#define DESC_CALLS_SIZE (offsetof(tsunagu_plugin_desc, call_event) + sizeof(void (*)(void)))
#define SCHEMA_MAX_KEYS 256

static void refuse(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The one line a refused plugin gets. */
static void refuse(const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	tlog_error("refused %s: %s; running without it", path, why);
	g_free(why);
}

/* ---- where --------------------------------------------------------------------- */

int tsunagu_plugins_new(tsunagu_core *core, tsunagu_plugins **out)
{
	if (!core || !out)
		return -EINVAL;
	tsunagu_plugins *p = g_new0(tsunagu_plugins, 1);
	p->core = core;
	/* plugins.dir, else <build>/plugins from the build tree, else the
	 * installed plugin dir (paths.h; documented in plugins.h). */
	p->dir = core->config ? tsunagu_path_plugins_dir(core->config) : g_strdup(TSUNAGU_PLUGINDIR);
	const char *disabled = core->config ? tsunagu_config_string(core->config, "plugins.disabled")
					    : "";
	p->disabled = g_strsplit(disabled ? disabled : "", ",", -1);
	for (char **d = p->disabled; *d; d++)
		g_strstrip(*d);
	p->loaded = g_ptr_array_new();
	p->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	p->retired = g_ptr_array_new_with_free_func((GDestroyNotify)tsunagu_host_free);
	tsunagu_host_calls_subscribe(p);
	*out = p;
	return 0;
}

static bool is_disabled(const tsunagu_plugins *p, const char *name)
{
	for (char **d = p->disabled; *d; d++)
		if (**d && strcmp(*d, name) == 0)
			return true;
	return false;
}

static tsunagu_host *find_loaded(const tsunagu_plugins *p, const char *name)
{
	for (guint i = 0; i < p->loaded->len; i++) {
		tsunagu_host *h = g_ptr_array_index(p->loaded, i);
		if (strcmp(h->name, name) == 0)
			return h;
	}
	return NULL;
}

/* ---- checks ------------------------------------------------------------------------ */

static bool plugin_name_valid(const char *s)
{
	size_t n = s ? strnlen(s, 33) : 0;
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_islower(s[i]) && !g_ascii_isdigit(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* Translates the SDK schema to the config module's; NULL + *why on a bad one. */
static tsunagu_conf_key *schema_convert(const tsunagu_plugin_conf_key *in, const char **why)
{
	GArray *keys = g_array_new(TRUE, TRUE, sizeof(tsunagu_conf_key));
	for (unsigned i = 0; in && in[i].key; i++) {
		const tsunagu_plugin_conf_key *k = &in[i];
		if (i >= SCHEMA_MAX_KEYS || !plugin_name_valid(k->key) ||
		    strcmp(k->key, "enabled") == 0 || k->type > TSUNAGU_PLUGIN_CONF_DURATION) {
			*why = "its config schema is malformed (bad key name or type)";
			g_array_free(keys, TRUE);
			return NULL;
		}
		static const tsunagu_conf_type types[] = {TSUNAGU_CONF_STRING, TSUNAGU_CONF_INT,
							  TSUNAGU_CONF_BOOL, TSUNAGU_CONF_DURATION};
		tsunagu_conf_key ck = {k->key, types[k->type],
				       k->default_value ? k->default_value : "", k->doc};
		g_array_append_val(keys, ck);
	}
	return (tsunagu_conf_key *)g_array_free(keys, FALSE);
}

/* Checks [plugin.NAME]; *enabled from its `enabled` key. 0 or -EINVAL (logged). */
static int config_check(tsunagu_plugins *p, const char *path, const tsunagu_plugin_desc *d,
			bool *enabled)
{
	const char *why = NULL;
	GError *err = NULL;
	int rc = -EINVAL;
	char *section = g_strconcat("plugin.", d->name, NULL);
	tsunagu_conf_key *keys = schema_convert(d->config_schema, &why);

	*enabled = true;
	if (!keys) {
		refuse(path, "plugin '%s': %s", d->name, why);
		goto out;
	}
	if (!p->core->config) {
		rc = 0;
		goto out;
	}
	if (!tsunagu_config_check_section(p->core->config, section, keys, &err)) {
		refuse(path, "plugin '%s': invalid config: %s", d->name, err->message);
		goto out;
	}
	const char *en = tsunagu_config_section_value(p->core->config, section, "enabled");
	if (en && !tsunagu_conf_parse_bool(en, enabled)) {
		refuse(path, "plugin '%s': invalid config: enabled = \"%s\"", d->name, en);
		goto out;
	}
	rc = 0;
out:
	g_clear_error(&err);
	g_free(keys);
	g_free(section);
	return rc;
}

/* The checks on a description, before anything of the plugin runs but its
 * entry. Logs the refusal; returns 0 or a negative errno. */
static int desc_check(const tsunagu_plugins *p, const char *path, const tsunagu_plugin_desc *d)
{
	if (!d) {
		refuse(path, "%s() returned no description (it does not support host ABI %u.%u)",
		       TSUNAGU_PLUGIN_ENTRY_SYMBOL, TSUNAGU_PLUGIN_ABI_MAJOR, TSUNAGU_PLUGIN_ABI_MINOR);
		return -ENOEXEC;
	}
	if (d->abi_major != TSUNAGU_PLUGIN_ABI_MAJOR) {
		refuse(path, "built for plugin ABI %u.%u, this host speaks ABI %u.%u (major must match)",
		       d->abi_major, d->abi_minor, TSUNAGU_PLUGIN_ABI_MAJOR, TSUNAGU_PLUGIN_ABI_MINOR);
		return -EPROTO;
	}
	if (d->struct_size < DESC_MIN_SIZE) {
		refuse(path, "description struct_size %u is smaller than the ABI %u.0 layout (%zu)",
		       d->struct_size, TSUNAGU_PLUGIN_ABI_MAJOR, (size_t)DESC_MIN_SIZE);
		return -ENOEXEC;
	}
	if (!plugin_name_valid(d->name)) {
		refuse(path, "plugin name missing or invalid (want [a-z0-9_-], 1..32 chars)");
		return -ENOEXEC;
	}
	if (!d->init || !d->destroy) {
		refuse(path, "plugin '%s' lacks its %s callback", d->name,
		       d->init ? "destroy" : "init");
		return -ENOEXEC;
	}
	if ((d->capabilities & TSUNAGU_PLUGIN_CAP_CHANNEL) && !d->deliver) {
		refuse(path, "plugin '%s' declares a channel but has no deliver callback", d->name);
		return -ENOEXEC;
	}
	/* 1.2: call_event took reserved[0]; a shorter description has none */
	if ((d->capabilities & TSUNAGU_PLUGIN_CAP_CALLS) &&
	    (d->struct_size < DESC_CALLS_SIZE || !d->call_event)) {
		refuse(path, "plugin '%s' declares calls but has no call_event callback%s", d->name,
		       d->struct_size < DESC_CALLS_SIZE ? " (description older than ABI 1.2)" : "");
		return -ENOEXEC;
	}
	tsunagu_host *other = find_loaded(p, d->name);
	if (other) {
		refuse(path, "a plugin named '%s' is already loaded from %s", d->name, other->path);
		return -EEXIST;
	}
	return 0;
}

/* ---- loading -------------------------------------------------------------------------- */

static char *file_stem(const char *path)
{
	char *base = g_path_get_basename(path);
	if (g_str_has_suffix(base, ".so"))
		base[strlen(base) - 3] = '\0';
	return base;
}

/* dlopen, entry, description checks. On success *dl and *desc are set and
 * the caller owns dl; otherwise the refusal (or skip) is logged. */
static int open_desc(tsunagu_plugins *p, const char *path, void **dl_out,
		     const tsunagu_plugin_desc **desc_out)
{
	int rc;
	void *dl = NULL;
	char *stem = file_stem(path);

	if (is_disabled(p, stem)) {
		tlog_info("skipped %s: disabled by plugins.disabled", path);
		rc = -ECANCELED;
		goto out;
	}
	/* NODELETE: dlclose() runs the plugin's destructors' bookkeeping but
	 * leaves the code mapped. Libraries a plugin pulls in (sofia-sip,
	 * GStreamer) register thread-local keys and atexit work with GLib and
	 * libc that outlive any dlclose(); unmapping them aborted the next GLib
	 * allocation (pthread_setspecific EINVAL) when a later plugin loaded. */
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!dl) {
		const char *e = dlerror();
		refuse(path, "not a loadable library: %s", e ? e : "unknown error");
		rc = -ENOEXEC;
		goto out;
	}
	dlerror();
	tsunagu_plugin_entry_fn entry;
	*(void **)&entry = dlsym(dl, TSUNAGU_PLUGIN_ENTRY_SYMBOL);
	if (!entry) {
		refuse(path, "no exported symbol %s (not a tsunagu plugin, or built without "
			     "TSUNAGU_PLUGIN_EXPORT)", TSUNAGU_PLUGIN_ENTRY_SYMBOL);
		rc = -ENOEXEC;
		goto out;
	}
	const tsunagu_plugin_desc *desc = entry(TSUNAGU_PLUGIN_ABI_MAJOR, TSUNAGU_PLUGIN_ABI_MINOR);
	rc = desc_check(p, path, desc);
	if (rc)
		goto out;
	g_hash_table_add(p->seen, g_strdup(desc->name));
	if (is_disabled(p, desc->name)) {
		tlog_info("skipped %s: plugin '%s' disabled by plugins.disabled", path, desc->name);
		rc = -ECANCELED;
		goto out;
	}
	*dl_out = dl;
	*desc_out = desc;
	dl = NULL;
out:
	if (dl)
		dlclose(dl);
	g_free(stem);
	return rc;
}

int tsunagu_plugins_load_file(tsunagu_plugins *p, const char *path)
{
	void *dl = NULL;
	const tsunagu_plugin_desc *desc = NULL;
	tsunagu_host *h = NULL;
	int rc = open_desc(p, path, &dl, &desc);
	if (rc)
		goto out;
	bool enabled;
	rc = config_check(p, path, desc, &enabled);
	if (rc)
		goto out;
	if (!enabled) {
		tlog_info("skipped %s: [plugin.%s] enabled = false", path, desc->name);
		rc = -ECANCELED;
		goto out;
	}

	h = tsunagu_host_new(p, path, dl, desc);
	rc = h->desc.init(h, tsunagu_host_api_table(), &h->state);
	if (rc != 0) {
		int e = rc < 0 ? -rc : rc;
		refuse(path, "plugin '%s' init failed: %s (%d)", h->name, g_strerror(e), rc);
		rc = rc < 0 ? rc : -EIO;
		/* init failed: destroy is not called; undo what it registered. */
		h->phase = TSUNAGU_PLUGIN_DESTROYED;
		if (!tsunagu_host_release(h))
			dl = NULL; /* posts still queued hold its code: keep it mapped */
		goto out;
	}
	h->phase = TSUNAGU_PLUGIN_INITED;
	g_ptr_array_add(p->loaded, h);
	tlog_info("loaded %s %s from %s", h->name, h->desc.version ? h->desc.version : "",
		  path);
	h = NULL;
	dl = NULL;
	rc = 0;
out:
	if (h)
		g_ptr_array_add(p->retired, h); /* its records may still be referenced */
	if (dl)
		dlclose(dl);
	return rc;
}

static gint compare_paths(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* *.so directly in dir, and one level below when below is true. */
static void collect(const char *dir, bool below, GPtrArray *out)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	if (!d)
		return;
	while ((name = g_dir_read_name(d))) {
		if (name[0] == '.')
			continue;
		char *path = g_build_filename(dir, name, NULL);
		if (g_str_has_suffix(name, ".so") && g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
			g_ptr_array_add(out, path);
			continue;
		}
		if (below && g_file_test(path, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
			collect(path, false, out);
		g_free(path);
	}
	g_dir_close(d);
}

static GPtrArray *plugin_files(const char *dir)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	collect(dir, true, files);
	g_ptr_array_sort(files, compare_paths);
	return files;
}

int tsunagu_plugins_load_all(tsunagu_plugins *p)
{
	if (!g_file_test(p->dir, G_FILE_TEST_IS_DIR)) {
		tlog_warn("plugin directory %s does not exist; no plugins loaded", p->dir);
		return 0;
	}
	GPtrArray *files = plugin_files(p->dir);
	for (guint i = 0; i < files->len; i++)
		tsunagu_plugins_load_file(p, g_ptr_array_index(files, i));
	g_ptr_array_free(files, TRUE);

	/* A section for a plugin that is not here is most likely a typo (or a
	 * plugin that is missing); say so, but it is no error. */
	char **sections = p->core->config ? tsunagu_config_plugin_sections(p->core->config) : NULL;
	for (char **s = sections; s && *s; s++)
		if (!g_hash_table_contains(p->seen, *s) && !is_disabled(p, *s))
			tlog_warn("config section [plugin.%s] matches no loaded plugin", *s);
	g_strfreev(sections);

	tlog_info("%u plugin(s) loaded from %s", p->loaded->len, p->dir);
	return (int)p->loaded->len;
}

int tsunagu_plugins_check_config(tsunagu_config *cfg, GError **err)
{
	tsunagu_core core = {.config = cfg};
	tsunagu_plugins *p = NULL;
	int rc = tsunagu_plugins_new(&core, &p);
	if (rc)
		return rc;
	GPtrArray *files = plugin_files(p->dir);
	for (guint i = 0; rc == 0 && i < files->len; i++) {
		void *dl = NULL;
		const tsunagu_plugin_desc *desc = NULL;
		const char *why = NULL;
		if (open_desc(p, g_ptr_array_index(files, i), &dl, &desc))
			continue; /* logged; the server would run without it */
		char *section = g_strconcat("plugin.", desc->name, NULL);
		tsunagu_conf_key *keys = schema_convert(desc->config_schema, &why);
		if (keys && !tsunagu_config_check_section(cfg, section, keys, err))
			rc = -EINVAL;
		g_free(keys);
		g_free(section);
		dlclose(dl);
	}
	g_ptr_array_free(files, TRUE);
	tsunagu_plugins_free(p);
	return rc;
}

/* ---- lifecycle ----------------------------------------------------------------------- */

/* destroy(), the host's cleanup, dlclose; moves h to retired. */
static void destroy_one(tsunagu_plugins *p, tsunagu_host *h)
{
	/* Acks still owed reach the plugin now, while it can take them. */
	tsunagu_host_cancel_inbound(h);
	g_atomic_int_set((gint *)&h->phase, TSUNAGU_PLUGIN_DESTROYED);
	h->desc.destroy(h->state);
	h->state = NULL;
	if (tsunagu_host_release(h)) {
		dlclose(h->dl);
	} else {
		tlog_warn("%s: posts still queued after destroy; library left mapped", h->name);
	}
	h->dl = NULL;
	g_ptr_array_remove(p->loaded, h);
	g_ptr_array_add(p->retired, h);
}

int tsunagu_plugins_start_all(tsunagu_plugins *p)
{
	int running = 0;
	/* Copy: a failing plugin leaves p->loaded while we walk it. */
	g_autoptr(GPtrArray) list = g_ptr_array_copy(p->loaded, NULL, NULL);
	for (guint i = 0; i < list->len; i++) {
		tsunagu_host *h = g_ptr_array_index(list, i);
		if (h->phase != TSUNAGU_PLUGIN_INITED)
			continue;
		int rc = h->desc.start ? h->desc.start(h->state) : 0;
		if (rc != 0) {
			int e = rc < 0 ? -rc : rc;
			refuse(h->path, "plugin '%s' start failed: %s (%d)", h->name, g_strerror(e),
			       rc);
			destroy_one(p, h);
			continue;
		}
		h->phase = TSUNAGU_PLUGIN_STARTED;
		running++;
	}
	return running;
}

void tsunagu_plugins_stop_all(tsunagu_plugins *p, int64_t deadline_us)
{
	for (guint i = p->loaded->len; i-- > 0;) {
		tsunagu_host *h = g_ptr_array_index(p->loaded, i);
		if (h->phase != TSUNAGU_PLUGIN_STARTED)
			continue;
		h->phase = TSUNAGU_PLUGIN_STOPPED;
		if (h->desc.stop)
			h->desc.stop(h->state, deadline_us);
		int64_t late = g_get_monotonic_time() - deadline_us;
		if (late > 0)
			tlog_warn("%s: stop returned %" G_GINT64_FORMAT " ms after the deadline",
				  h->name, late / 1000);
	}
}

void tsunagu_plugins_destroy_all(tsunagu_plugins *p)
{
	while (p->loaded->len > 0)
		destroy_one(p, g_ptr_array_index(p->loaded, p->loaded->len - 1));
}

void tsunagu_plugins_free(tsunagu_plugins *p)
{
	if (!p)
		return;
	tsunagu_plugins_destroy_all(p);
	tsunagu_host_calls_unsubscribe(p);
	g_ptr_array_free(p->loaded, TRUE);
	g_ptr_array_free(p->retired, TRUE);
	g_hash_table_destroy(p->seen);
	g_strfreev(p->disabled);
	g_free(p->dir);
	g_free(p);
}

unsigned tsunagu_plugins_count(const tsunagu_plugins *p)
{
	return p ? p->loaded->len : 0;
}

bool tsunagu_plugins_has(const tsunagu_plugins *p, const char *name)
{
	return p && name && find_loaded(p, name) != NULL;
}

const char *tsunagu_plugins_dir(const tsunagu_plugins *p)
{
	return p ? p->dir : NULL;
}
