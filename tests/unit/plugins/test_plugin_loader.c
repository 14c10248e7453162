/* The plugin loader against the test plugins built beside this file
 * (test_plugin.c): each broken plugin is refused with exactly one log line
 * naming the file and the reason, the good one runs its whole lifecycle, and
 * the loader keeps going. Needs no domain and no HTTP server. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "core.h"
#include "plugins.h"
#include <tsunagu/types.h>

typedef struct {
	tsunagu_core core;
	tsunagu_plugins *plugins;
	char *tmp;       /* temp dir: config file, copies of plugins */
	int saved_stderr;
	char *log_path;
} fixture;

static const char *plugin_dir(void)
{
	const char *d = g_getenv("TSUNAGU_TEST_PLUGIN_DIR");
	g_assert_nonnull(d);
	return d;
}

static char *plugin_path(const char *variant)
{
	char *file = g_strdup_printf("tp_%s.so", variant);
	char *path = g_build_filename(plugin_dir(), file, NULL);
	g_free(file);
	return path;
}

/* ---- log capture: tsunagu_log writes whole lines to fd 2 -------------------- */

static void capture_start(fixture *f)
{
	f->log_path = g_build_filename(f->tmp, "log.txt", NULL);
	int fd = open(f->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	g_assert_cmpint(fd, >=, 0);
	f->saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Stops capturing; returns the lines written meanwhile (caller frees). */
static char **capture_end(fixture *f)
{
	char *text = NULL;
	dup2(f->saved_stderr, STDERR_FILENO);
	close(f->saved_stderr);
	g_assert_true(g_file_get_contents(f->log_path, &text, NULL, NULL));
	/* Show it in the TAP output too, as comments. */
	char **lines = g_strsplit(g_strchomp(text), "\n", -1);
	for (char **l = lines; *l; l++)
		g_test_message("log: %s", *l);
	g_free(text);
	g_unlink(f->log_path);
	g_clear_pointer(&f->log_path, g_free);
	return lines;
}

static unsigned count_matching(char **lines, const char *needle)
{
	unsigned n = 0;
	for (char **l = lines; *l; l++)
		if (strstr(*l, needle))
			n++;
	return n;
}

/* ---- fixture ------------------------------------------------------------------ */

static void setup_with(fixture *f, const char *conf_text)
{
	GError *err = NULL;
	f->tmp = g_dir_make_tmp("tsunagu-plugins-XXXXXX", &err);
	g_assert_no_error(err);
	char *conf = g_build_filename(f->tmp, "tsunagu.conf", NULL);
	g_assert_true(g_file_set_contents(conf, conf_text ? conf_text : "", -1, NULL));
	char *conf_d = g_build_filename(f->tmp, "conf.d", NULL);
	f->core.config = tsunagu_config_load(conf, conf_d, &err);
	g_assert_no_error(err);
	f->core.context = g_main_context_default();
	f->core.state = TSUNAGU_CORE_RUNNING;
	f->core.loop_thread = g_thread_self();
	g_assert_cmpint(tsunagu_plugins_new(&f->core, &f->plugins), ==, 0);
	g_free(conf);
	g_free(conf_d);
}

/* What a test case starts from: a config file, and for some an expectation. */
typedef struct {
	const char *conf;
	const char *expect;
} tcase;

static void setup(fixture *f, gconstpointer data)
{
	const tcase *tc = data;
	setup_with(f, tc ? tc->conf : NULL);
}

static void teardown(fixture *f, gconstpointer data)
{
	tsunagu_plugins_free(f->plugins);
	tsunagu_config_free(f->core.config);
	/* The temp dir holds a config file and maybe copies of plugins. */
	GDir *d = g_dir_open(f->tmp, 0, NULL);
	const char *name;
	while (d && (name = g_dir_read_name(d))) {
		char *p = g_build_filename(f->tmp, name, NULL);
		g_unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(f->tmp);
	g_free(f->tmp);
}

/* Loads one variant and checks the one refusal line. */
static void expect_refused(fixture *f, const char *path, int want_rc, const char *reason)
{
	capture_start(f);
	int rc = tsunagu_plugins_load_file(f->plugins, path);
	char **lines = capture_end(f);
	g_assert_cmpint(rc, ==, want_rc);
	g_assert_cmpuint(tsunagu_plugins_count(f->plugins), ==, 0);
	g_assert_cmpuint(g_strv_length(lines), ==, 1);
	g_assert_nonnull(strstr(lines[0], "error plugins: refused "));
	g_assert_nonnull(strstr(lines[0], path));
	g_assert_nonnull(strstr(lines[0], reason));
	g_strfreev(lines);
}

/* ---- refusals ---------------------------------------------------------------- */

static void test_wrong_major(fixture *f, gconstpointer data)
{
	char *p = plugin_path("wrong_major");
	char *why = g_strdup_printf("built for plugin ABI 2.%u, this host speaks ABI 1.%u",
				    TSUNAGU_PLUGIN_ABI_MINOR, TSUNAGU_PLUGIN_ABI_MINOR);
	expect_refused(f, p, -EPROTO, why);
	g_free(why);
	g_free(p);
}

static void test_no_entry(fixture *f, gconstpointer data)
{
	char *p = plugin_path("no_entry");
	expect_refused(f, p, -ENOEXEC, "no exported symbol tsunagu_plugin_entry");
	g_free(p);
}

static void test_null_desc(fixture *f, gconstpointer data)
{
	char *p = plugin_path("null_desc");
	expect_refused(f, p, -ENOEXEC, "returned no description");
	g_free(p);
}

static void test_too_small(fixture *f, gconstpointer data)
{
	char *p = plugin_path("too_small");
	expect_refused(f, p, -ENOEXEC, "struct_size 16 is smaller than");
	g_free(p);
}

/* ABI 1.2: a phone channel (CAP_CALLS) needs call_event, read only when the
 * description's struct_size covers it. */
static void test_calls_no_event(fixture *f, gconstpointer data)
{
	char *p = plugin_path("calls_no_event");
	expect_refused(f, p, -ENOEXEC, "plugin 'calls_no_event' declares calls but has no "
				       "call_event callback");
	g_free(p);
}

static void test_calls_old(fixture *f, gconstpointer data)
{
	char *p = plugin_path("calls_old");
	expect_refused(f, p, -ENOEXEC, "has no call_event callback (description older than "
				       "ABI 1.2)");
	g_free(p);
}

static void test_init_fails(fixture *f, gconstpointer data)
{
	char *p = plugin_path("init_fails");
	expect_refused(f, p, -EADDRINUSE, "plugin 'init_fails' init failed: ");
	g_free(p);
}

static void test_bad_schema(fixture *f, gconstpointer data)
{
	char *p = plugin_path("bad_schema");
	expect_refused(f, p, -EINVAL, "config schema is malformed");
	g_free(p);
}

static void test_not_a_library(fixture *f, gconstpointer data)
{
	char *p = g_build_filename(f->tmp, "text.so", NULL);
	g_assert_true(g_file_set_contents(p, "not an ELF file\n", -1, NULL));
	expect_refused(f, p, -ENOEXEC, "not a loadable library");
	g_free(p);
}

static void test_duplicate(fixture *f, gconstpointer data)
{
	char *good = plugin_path("good");
	char *copy = g_build_filename(f->tmp, "good-copy.so", NULL);
	char *bytes = NULL;
	gsize len = 0;
	g_assert_true(g_file_get_contents(good, &bytes, &len, NULL));
	g_assert_true(g_file_set_contents(copy, bytes, (gssize)len, NULL));

	capture_start(f);
	g_assert_cmpint(tsunagu_plugins_load_file(f->plugins, good), ==, 0);
	int rc = tsunagu_plugins_load_file(f->plugins, copy);
	char **lines = capture_end(f);
	g_assert_cmpint(rc, ==, -EEXIST);
	g_assert_cmpuint(tsunagu_plugins_count(f->plugins), ==, 1);
	g_assert_cmpuint(count_matching(lines, "refused"), ==, 1);
	g_assert_cmpuint(count_matching(lines, "a plugin named 'good' is already loaded from"), ==, 1);
	g_strfreev(lines);
	g_free(bytes);
	g_free(good);
	g_free(copy);
}

/* An unknown key and a wrong type in [plugin.good]: refused with file:line. */
static void test_bad_config(fixture *f, gconstpointer data)
{
	const tcase *tc = data;
	const char *want = tc->expect;
	char *p = plugin_path("good");
	char *where = g_strdup_printf("%s/tsunagu.conf:%s", f->tmp, want);
	expect_refused(f, p, -EINVAL, where);
	g_free(where);
	g_free(p);
}

static void test_disabled(fixture *f, gconstpointer data)
{
	char *p = plugin_path("good");
	capture_start(f);
	int rc = tsunagu_plugins_load_file(f->plugins, p);
	char **lines = capture_end(f);
	g_assert_cmpint(rc, ==, -ECANCELED);
	g_assert_cmpuint(tsunagu_plugins_count(f->plugins), ==, 0);
	g_assert_cmpuint(count_matching(lines, "info  plugins: skipped"), ==, 1);
	g_assert_cmpuint(count_matching(lines, "refused"), ==, 0);
	g_strfreev(lines);
	g_free(p);
}

/* ---- the good plugin's lifecycle ----------------------------------------------- */

static bool wait_for_line(fixture *f, const char *needle, GString *seen)
{
	int64_t until = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < until) {
		g_main_context_iteration(NULL, FALSE);
		char *text = NULL;
		g_file_get_contents(f->log_path, &text, NULL, NULL);
		bool found = text && strstr(text, needle);
		g_free(text);
		if (found)
			return true;
		g_usleep(2000);
	}
	return false;
}

static void test_good_lifecycle(fixture *f, gconstpointer data)
{
	char *p = plugin_path("good");
	capture_start(f);
	g_assert_cmpint(tsunagu_plugins_load_file(f->plugins, p), ==, 0);
	g_assert_true(tsunagu_plugins_has(f->plugins, "good"));
	g_assert_cmpint(tsunagu_plugins_start_all(f->plugins), ==, 1);
	bool ticked = wait_for_line(f, "good: tick 2", NULL);
	bool posted = wait_for_line(f, "good: posted free ran", NULL);
	tsunagu_plugins_stop_all(f->plugins, g_get_monotonic_time() + G_USEC_PER_SEC);
	tsunagu_plugins_destroy_all(f->plugins);
	char **lines = capture_end(f);

	g_assert_true(ticked);
	g_assert_true(posted);
	g_assert_cmpuint(tsunagu_plugins_count(f->plugins), ==, 0);
	g_assert_false(tsunagu_plugins_has(f->plugins, "good"));
	g_assert_cmpuint(count_matching(lines, "refused"), ==, 0);
	g_assert_cmpuint(count_matching(lines, "plugins: loaded good 0.0.1 from"), ==, 1);
	/* config: file values where given, schema defaults elsewhere */
	g_assert_cmpuint(count_matching(lines, "good: init greeting=hi there count=3072 loud=1 "
					       "every=10 enabled=1 unknown=null int_of_string=-22"),
			 ==, 1);
	/* a host without a data directory (this fixture) says so */
	g_assert_cmpuint(count_matching(lines, "good: data_dir rc=-19 path=(none) same=1"), ==, 1);
	g_assert_cmpuint(count_matching(lines, "good: started timer=yes"), ==, 1);
	g_assert_cmpuint(count_matching(lines, "good: worker posted rc=0"), ==, 1);
	g_assert_cmpuint(count_matching(lines, "good: posted fn ran on loop thread"), ==, 1);
	/* the timer ended itself after returning false: never a third tick */
	g_assert_cmpuint(count_matching(lines, "good: tick "), ==, 2);
	g_assert_cmpuint(count_matching(lines, "good: stopping, deadline in future=1"), ==, 1);
	g_assert_cmpuint(count_matching(lines, "good: destroyed"), ==, 1);
	/* the order of the lifecycle */
	int init = -1, stop = -1, destroyed = -1;
	for (int i = 0; lines[i]; i++) {
		if (strstr(lines[i], "good: init "))
			init = i;
		if (strstr(lines[i], "good: stopping"))
			stop = i;
		if (strstr(lines[i], "good: destroyed"))
			destroyed = i;
	}
	g_assert_cmpint(init, <, stop);
	g_assert_cmpint(stop, <, destroyed);
	g_strfreev(lines);
	g_free(p);
}

static void test_start_fails(fixture *f, gconstpointer data)
{
	char *p = plugin_path("start_fails");
	capture_start(f);
	g_assert_cmpint(tsunagu_plugins_load_file(f->plugins, p), ==, 0);
	g_assert_cmpint(tsunagu_plugins_start_all(f->plugins), ==, 0);
	char **lines = capture_end(f);
	g_assert_cmpuint(tsunagu_plugins_count(f->plugins), ==, 0);
	g_assert_cmpuint(count_matching(lines, "refused"), ==, 1);
	g_assert_cmpuint(count_matching(lines, "plugin 'start_fails' start failed: "), ==, 1);
	/* a started-then-failed plugin still gets destroy() to free what init made */
	g_assert_cmpuint(count_matching(lines, "start_fails: destroyed"), ==, 1);
	g_strfreev(lines);
	g_free(p);
}

/* load_all over the whole build dir of test plugins: only the good ones run,
 * each broken one costs one line, and nothing stops the rest. */
static void test_load_all(fixture *f, gconstpointer data)
{
	capture_start(f);
	int n = tsunagu_plugins_load_all(f->plugins);
	char **lines = capture_end(f);
	g_assert_cmpint(n, ==, 2); /* good and start_fails pass init */
	g_assert_true(tsunagu_plugins_has(f->plugins, "good"));
	g_assert_true(tsunagu_plugins_has(f->plugins, "start_fails"));
	/* wrong_major, no_entry, null_desc, too_small, init_fails, bad_schema,
	 * calls_no_event, calls_old */
	g_assert_cmpuint(count_matching(lines, "refused"), ==, 8);
	g_assert_cmpuint(count_matching(lines, "[plugin.ghost] matches no loaded plugin"), ==, 1);
	g_assert_cmpstr(tsunagu_plugins_dir(f->plugins), ==, plugin_dir());
	g_strfreev(lines);
}

/* --check-config: sections checked against each plugin's schema, nothing
 * initialized, broken plugins logged but not a config error. */
static void test_check_config(fixture *f, gconstpointer data)
{
	const tcase *tc = data;
	GError *err = NULL;
	capture_start(f);
	int rc = tsunagu_plugins_check_config(f->core.config, &err);
	char **lines = capture_end(f);
	g_assert_cmpuint(count_matching(lines, "good: init"), ==, 0);
	if (tc->expect) {
		g_assert_cmpint(rc, ==, -EINVAL);
		g_assert_nonnull(err);
		g_assert_nonnull(strstr(err->message, tc->expect));
	} else {
		g_assert_cmpint(rc, ==, 0);
		g_assert_no_error(err);
	}
	g_clear_error(&err);
	g_strfreev(lines);
}

/* data_dir() (ABI 1.3): <data_dir>/plugins/<name>, made 0700 on the first
 * call, the same path on the next; a file in its place is refused. */
static void test_data_dir(fixture *f, gconstpointer data)
{
	char *p = plugin_path("good");
	char *data_dir = g_build_filename(f->tmp, "data", NULL);
	char *plugins_dir = g_build_filename(data_dir, "plugins", NULL);
	char *mine = g_build_filename(plugins_dir, "good", NULL);
	const tcase *tc = data;
	bool as_file = tc && tc->expect; /* a file stands where the directory goes */
	if (as_file) {
		g_assert_cmpint(g_mkdir_with_parents(plugins_dir, 0700), ==, 0);
		g_assert_true(g_file_set_contents(mine, "not a directory", -1, NULL));
	}
	f->core.data_dir = data_dir;
	capture_start(f);
	g_assert_cmpint(tsunagu_plugins_load_file(f->plugins, p), ==, 0);
	tsunagu_plugins_destroy_all(f->plugins);
	char **lines = capture_end(f);
	f->core.data_dir = NULL;

	char *want = as_file ? g_strdup("good: data_dir rc=-20 path=(none) same=1")
			     : g_strdup_printf("good: data_dir rc=0 path=%s same=1", mine);
	g_assert_cmpuint(count_matching(lines, want), ==, 1);
	GStatBuf st;
	g_assert_cmpint(g_stat(mine, &st), ==, 0);
	if (as_file) {
		g_assert_true(S_ISREG(st.st_mode));
		/* one error line per failed call (the plugin asks twice) */
		g_assert_cmpuint(count_matching(lines, "cannot create its data directory"), ==, 2);
		g_assert_cmpint(g_unlink(mine), ==, 0);
	} else {
		g_assert_true(S_ISDIR(st.st_mode));
		g_assert_cmpuint(st.st_mode & 0777, ==, 0700);
		g_assert_cmpint(g_rmdir(mine), ==, 0);
	}
	g_assert_cmpint(g_rmdir(plugins_dir), ==, 0);
	g_assert_cmpint(g_rmdir(data_dir), ==, 0);
	g_strfreev(lines);
	g_free(want);
	g_free(mine);
	g_free(plugins_dir);
	g_free(data_dir);
	g_free(p);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	static const tcase unknown_key = {"[plugin.good]\n# comment\nbogus = 1\n",
					  "3: unknown key 'bogus' in [plugin.good]"};
	static const tcase wrong_type = {"[plugin.good]\ncount = lots\n", "2: "};
	static const tcase disabled_list = {"[plugins]\ndisabled = x, good\n", NULL};
	static const tcase enabled_false = {"[plugin.good]\nenabled = false\n", NULL};
	static const tcase good_conf = {
		"[plugin.good]\ngreeting = \"hi there\"\ncount = 3K\nloud = yes\n", NULL};
	static char load_all_text[512];
	g_snprintf(load_all_text, sizeof load_all_text, "[plugins]\ndir = %s\n[plugin.ghost]\nx = 1\n",
		   plugin_dir());
	static tcase load_all = {load_all_text, NULL};
	static char check_ok_text[512], check_bad_text[512];
	g_snprintf(check_ok_text, sizeof check_ok_text, "[plugins]\ndir = %s\n[plugin.good]\ncount = 7\n",
		   plugin_dir());
	g_snprintf(check_bad_text, sizeof check_bad_text,
		   "[plugins]\ndir = %s\n[plugin.good]\ncount = 7\nloud = maybe\n", plugin_dir());
	static tcase check_ok = {check_ok_text, NULL};
	static tcase data_dir_file = {NULL, "file"};
	static tcase check_bad = {check_bad_text, "tsunagu.conf:5: plugin.good.loud must be"};

#define ADD(name, fn, data) g_test_add(name, fixture, data, setup, fn, teardown)
	ADD("/plugins/refuse/wrong-major", test_wrong_major, NULL);
	ADD("/plugins/refuse/no-entry", test_no_entry, NULL);
	ADD("/plugins/refuse/null-description", test_null_desc, NULL);
	ADD("/plugins/refuse/struct-too-small", test_too_small, NULL);
	ADD("/plugins/refuse/calls-without-call-event", test_calls_no_event, NULL);
	ADD("/plugins/refuse/calls-before-abi-1.2", test_calls_old, NULL);
	ADD("/plugins/refuse/init-fails", test_init_fails, NULL);
	ADD("/plugins/refuse/bad-schema", test_bad_schema, NULL);
	ADD("/plugins/refuse/not-a-library", test_not_a_library, NULL);
	ADD("/plugins/refuse/duplicate-name", test_duplicate, NULL);
	ADD("/plugins/refuse/unknown-config-key", test_bad_config, &unknown_key);
	ADD("/plugins/refuse/config-wrong-type", test_bad_config, &wrong_type);
	ADD("/plugins/skip/disabled-list", test_disabled, &disabled_list);
	ADD("/plugins/skip/enabled-false", test_disabled, &enabled_false);
	ADD("/plugins/lifecycle/good", test_good_lifecycle, &good_conf);
	ADD("/plugins/lifecycle/start-fails", test_start_fails, NULL);
	ADD("/plugins/data-dir/made", test_data_dir, NULL);
	ADD("/plugins/data-dir/not-a-directory", test_data_dir, &data_dir_file);
	ADD("/plugins/load-all", test_load_all, &load_all);
	ADD("/plugins/check-config/ok", test_check_config, &check_ok);
	ADD("/plugins/check-config/bad", test_check_config, &check_bad);
	return g_test_run();
}
