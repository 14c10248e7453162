/* tsunagud: start-up order, the main loop, signals and an orderly stop.
 *
 * Start: config -> data dir -> store (migrations) -> events -> domain ->
 * first admin -> rules -> router -> GStreamer -> HTTP -> plugins -> RUNNING.
 * SIGTERM/SIGINT: stop intake (listen socket, plugins), let what was accepted
 * commit and answer, stop plugins, close the store, exit 0 — within
 * shutdown.timeout. A second signal exits at once. SIGHUP reloads the rules.
 */
#define TSUNAGU_LOG_TOPIC "main"
#include <dlfcn.h>
#include <errno.h>
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "domain.h"
#include "events.h"
#include "auth_first_admin.h"
#include "http.h"
#include "log.h"
#include "media_guidance.h"
#include "media_normalize.h"
#include "paths.h"
#include "plugins.h"
#include "router.h"
#include "rules.h"
#include "store.h"
#include "tsunagu_build_config.h"
#include "workflows.h"

typedef struct {
	char *config_path;
	char *conf_d;
	char *data_dir;
	char **sets;
	gboolean check_config;
	gboolean dump_config;
	gboolean version;
} options;

static tsunagu_core core_instance;
static guint drain_source;
static int64_t drain_deadline_us;

static int parse_args(int *argc, char ***argv, options *o)
{
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path,
		 "configuration file (default: none, built-in defaults)", "FILE"},
		{"conf-d", 0, 0, G_OPTION_ARG_FILENAME, &o->conf_d,
		 "directory of *.conf overrides (default: conf.d beside the file)", "DIR"},
		{"data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &o->data_dir,
		 "data directory (overrides server.data_dir)", "DIR"},
		{"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &o->sets,
		 "override one option, e.g. --set http.listen=127.0.0.1:9000", "KEY=VALUE"},
		{"check-config", 0, 0, G_OPTION_ARG_NONE, &o->check_config,
		 "check the configuration (core and plugin sections) and exit", NULL},
		{"dump-config", 0, 0, G_OPTION_ARG_NONE, &o->dump_config,
		 "print the effective configuration with every option documented", NULL},
		{"version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "print the version", NULL},
		{NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	GOptionContext *ctx = g_option_context_new("- tsunagu contact-center server");
	g_option_context_add_main_entries(ctx, entries, NULL);
	GError *err = NULL;
	bool ok = g_option_context_parse(ctx, argc, argv, &err);
	g_option_context_free(ctx);
	if (!ok) {
		fprintf(stderr, "tsunagud: %s\n", err->message);
		g_error_free(err);
		return -EINVAL;
	}
	return 0;
}

static tsunagu_config *load_config(const options *o)
{
	GError *err = NULL;
	tsunagu_config *cfg = tsunagu_config_load(o->config_path, o->conf_d, &err);
	for (char **s = o->sets; cfg && s && *s; s++)
		if (!tsunagu_config_set(cfg, *s, &err)) {
			tsunagu_config_free(cfg);
			cfg = NULL;
		}
	if (cfg && o->data_dir) {
		char *a = g_strconcat("server.data_dir=", o->data_dir, NULL);
		tsunagu_config_set(cfg, a, &err);
		g_free(a);
	}
	if (!cfg) {
		fprintf(stderr, "tsunagud: configuration error: %s\n", err->message);
		g_error_free(err);
	}
	return cfg;
}

static int make_data_dir(tsunagu_core *core)
{
	const char *dir = tsunagu_config_string(core->config, "server.data_dir");
	char *abs = g_canonicalize_filename(dir, NULL);
	if (g_mkdir_with_parents(abs, 0700) < 0) {
		int e = errno;
		tlog_error("cannot create data directory %s: %s", abs, g_strerror(e));
		g_free(abs);
		return -e;
	}
	core->data_dir = abs;
	return 0;
}

static void finish_stop(tsunagu_core *core)
{
	if (drain_source)
		g_source_remove(drain_source);
	drain_source = 0;
	g_main_loop_quit(core->loop);
}

/* Drain: the listen socket is closed; wait until the store has nothing left
 * to commit and answers had a moment to be written, or the deadline. */
static gboolean drain_tick(void *p)
{
	tsunagu_core *core = p;
	static int quiet_ticks;
	int ret = tsunagu_store_flush(core->store);
	if (ret < 0)
		tlog_error("final commit failed: %s", g_strerror(-ret));
	quiet_ticks++;
	if (quiet_ticks >= 3 || g_get_monotonic_time() >= drain_deadline_us) {
		drain_source = 0;
		g_main_loop_quit(core->loop);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_stop_signal(void *p)
{
	tsunagu_core *core = p;
	if (core->state >= TSUNAGU_CORE_DRAINING) {
		tlog_warn("second stop signal: exiting now");
		finish_stop(core);
		return G_SOURCE_CONTINUE;
	}
	tlog_info("stop requested: draining");
	core->state = TSUNAGU_CORE_DRAINING;
	int64_t timeout_ms = tsunagu_config_duration_ms(core->config, "shutdown.timeout");
	/* Leave a third of the budget for stopping plugins and closing. */
	drain_deadline_us = g_get_monotonic_time() + timeout_ms * 1000 * 2 / 3;
	if (core->http)
		tsunagu_http_stop_intake(core->http);
	if (core->plugins)
		tsunagu_plugins_stop_all(core->plugins, drain_deadline_us);
	drain_source = g_timeout_add(50, drain_tick, core);
	return G_SOURCE_CONTINUE;
}

static gboolean on_reload_signal(void *p)
{
	tsunagu_core *core = p;
	if (!core->rules)
		return G_SOURCE_CONTINUE;
	GError *err = NULL;
	int ret = tsunagu_rules_reload(core->rules, &err);
	if (ret < 0) {
		tlog_error("rules reload refused, generation %u keeps serving: %s",
			   tsunagu_rules_generation(core->rules), err ? err->message : "?");
		g_clear_error(&err);
	} else {
		tlog_info("rules reloaded: generation %u", tsunagu_rules_generation(core->rules));
	}
	return G_SOURCE_CONTINUE;
}

static int start_rules(tsunagu_core *core)
{
	char *dir = tsunagu_path_rules_dir(core->config);
	tsunagu_rules_options ro;
	tsunagu_rules_options_from_config(core->config, dir, &ro);
	ro.dir = dir;
	GError *err = NULL;
	int ret = tsunagu_rules_new(core, &ro, &core->rules, &err);
	/* Broken rules at start do not keep the server down: it routes by the
	 * built-in default (a conversation is never lost) until a reload
	 * (SIGHUP or the API) brings good rules. */
	if (ret < 0)
		tlog_error("rules in %s not loaded, serving the built-in default until a good "
			   "reload: %s", dir, err ? err->message : g_strerror(-ret));
	g_clear_error(&err);
	g_free(dir);
	if (!core->rules)
		return ret;
	return tsunagu_workflows_new(core, &core->workflows);
}

/* store.commit_delay or store.commit_interval, at most a second: every
 * acknowledgement and event waits for the commit, so longer only stalls
 * them. */
static int commit_wait_ms(tsunagu_core *core, const char *key)
{
	int64_t ms = tsunagu_config_duration_ms(core->config, key);

	if (ms > 1000) {
		tlog_warn("%s %" G_GINT64_FORMAT "ms is above 1s; 1s is used", key, ms);
		ms = 1000;
	}
	return (int)MAX(ms, 0);
}

static int start(tsunagu_core *core)
{
	int ret = make_data_dir(core);
	if (ret < 0)
		return ret;

	char *db = tsunagu_path_database(core->config, core->data_dir);
	tsunagu_store_options so = {
		.path = db,
		.synchronous = tsunagu_config_string(core->config, "store.synchronous"),
		.busy_timeout_ms = (int)tsunagu_config_duration_ms(core->config,
								   "store.busy_timeout"),
		.max_batch = (int)tsunagu_config_int(core->config, "store.max_batch"),
		.commit_delay_ms = commit_wait_ms(core, "store.commit_delay"),
		.commit_interval_ms = commit_wait_ms(core, "store.commit_interval"),
		.context = core->context,
	};
	ret = tsunagu_store_open(&so, &core->store);
	if (ret < 0) {
		tlog_error("cannot open the store %s: %s", db, g_strerror(-ret));
		g_free(db);
		return ret;
	}
	tlog_info("store %s (schema %d)", db, tsunagu_store_schema_version(core->store));
	g_free(db);

	if ((ret = tsunagu_events_new(core->store, &core->events)) < 0 ||
	    (ret = tsunagu_domain_new(core, &core->domain)) < 0)
		return ret;
	if ((ret = tsunagu_first_admin_ensure(core)) < 0)
		return ret;
	if ((ret = start_rules(core)) < 0)
		return ret;
	/* after the rules (their timer service wakes snoozed conversations),
	 * before HTTP and plugins (the API and channels place through it) */
	if ((ret = tsunagu_router_new(core, &core->router)) < 0)
		return ret;

	/* GStreamer once, on the loop thread before anything decodes; without
	 * it only guidance uploads fail (said when they are tried). */
	if (tsunagu_media_init() < 0)
		tlog_warn("GStreamer did not start: voice guidance cannot be uploaded");
	/* before the API takes uploads: what a crash left mid-upload goes */
	tsunagu_guidance_sweep(core, NULL);

	char *static_dir = tsunagu_path_inbox_dir(core->config);
	tsunagu_http_options ho = {
		.listen = tsunagu_config_string(core->config, "http.listen"),
		.max_body = (size_t)tsunagu_config_int(core->config, "http.max_body"),
		.max_ws_message = (size_t)tsunagu_config_int(core->config, "http.max_ws_message"),
		.static_dir = static_dir,
	};
	ret = tsunagu_http_start(core, &ho, &core->http);
	g_free(static_dir);
	if (ret < 0) {
		tlog_error("HTTP server not started: %s", g_strerror(-ret));
		return ret;
	}

	if ((ret = tsunagu_plugins_new(core, &core->plugins)) < 0)
		return ret;
	tsunagu_plugins_load_all(core->plugins);
	tsunagu_plugins_start_all(core->plugins);
	return 0;
}

static void stop(tsunagu_core *core)
{
	core->state = TSUNAGU_CORE_STOPPED;
	if (core->plugins) {
		/* Stopped already when draining; destroy ends their threads. */
		tsunagu_plugins_stop_all(core->plugins, g_get_monotonic_time() + 1000000);
		tsunagu_plugins_free(core->plugins);
		core->plugins = NULL;
	}
	tsunagu_http_free(core->http);
	core->http = NULL;
	if (core->store) {
		int ret = tsunagu_store_flush(core->store);
		if (ret < 0)
			tlog_error("final commit failed: %s", g_strerror(-ret));
	}
	tsunagu_workflows_free(core->workflows);
	core->workflows = NULL;
	tsunagu_router_free(core->router);
	core->router = NULL;
	tsunagu_rules_free(core->rules);
	core->rules = NULL;
	tsunagu_domain_free(core->domain);
	core->domain = NULL;
	tsunagu_events_free(core->events);
	core->events = NULL;
	tsunagu_store_close(core->store);
	core->store = NULL;
}

/* Runs --check-config / --dump-config; returns the exit status. */
static int check_or_dump(const tsunagu_config *config, bool dump)
{
	GError *err = NULL;
	if (tsunagu_plugins_check_config((tsunagu_config *)config, &err) < 0) {
		fprintf(stderr, "tsunagud: configuration error: %s\n", err->message);
		g_error_free(err);
		return 2;
	}
	if (dump) {
		GString *out = g_string_new(NULL);
		tsunagu_config_dump(config, out);
		fputs(out->str, stdout);
		g_string_free(out, TRUE);
	} else {
		printf("configuration ok\n");
	}
	return 0;
}

/* The allocator the process runs: the library whose malloc every other
 * library calls (the build's 'malloc' option, core/meson.build). Named in
 * --version and the ready line, so a build that lost its allocator (a
 * linker dropping it, a missing package) shows. */
static const char *allocator_name(void)
{
	void *(*volatile fn)(size_t) = malloc;
	Dl_info info;

	if (!dladdr((void *)fn, &info) || !info.dli_fname)
		return "unknown";
	if (strstr(info.dli_fname, "libmimalloc"))
		return "mimalloc";
	if (strstr(info.dli_fname, "libjemalloc"))
		return "jemalloc";
	if (strstr(info.dli_fname, "libc.so"))
		return "glibc";
	return info.dli_fname;
}

static int serve(tsunagu_core *core, const options *o)
{
	/* A peer that vanishes mid-write must not kill the server. */
	signal(SIGPIPE, SIG_IGN);
	core->context = g_main_context_default();
	core->loop = g_main_loop_new(core->context, FALSE);
	core->loop_thread = g_thread_self();
	core->config_path = g_strdup(o->config_path);
	core->state = TSUNAGU_CORE_STARTING;

	g_unix_signal_add(SIGTERM, on_stop_signal, core);
	g_unix_signal_add(SIGINT, on_stop_signal, core);
	g_unix_signal_add(SIGHUP, on_reload_signal, core);

	int ret = start(core);
	if (ret == 0) {
		core->state = TSUNAGU_CORE_RUNNING;
		tlog_info("tsunagud %s ready (malloc: %s)", TSUNAGU_VERSION, allocator_name());
		g_main_loop_run(core->loop);
	}
	stop(core);
	tlog_info("stopped");
	g_main_loop_unref(core->loop);
	g_free(core->config_path);
	g_free(core->data_dir);
	return ret == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	options o = {0};
	tsunagu_core *core = &core_instance;
	int status;

	setlocale(LC_ALL, "");
	if (parse_args(&argc, &argv, &o) < 0) {
		status = 2;
		goto out;
	}
	if (o.version) {
		printf("tsunagud %s (malloc: %s)\n", TSUNAGU_VERSION, allocator_name());
		status = 0;
		goto out;
	}
	core->config = load_config(&o);
	if (!core->config) {
		status = 2;
		goto out;
	}
	tsunagu_log_level level = TSUNAGU_LOG_INFO;
	tsunagu_log_level_parse(tsunagu_config_string(core->config, "log.level"), &level);
	tsunagu_log_set_level(level);

	if (o.check_config || o.dump_config)
		status = check_or_dump(core->config, o.dump_config);
	else
		status = serve(core, &o);
out:
	tsunagu_config_free(core->config);
	g_free(o.config_path);
	g_free(o.conf_d);
	g_free(o.data_dir);
	g_strfreev(o.sets);
	return status;
}
