/* The configuration: defaults, files, conf.d, types, errors with file:line. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "config.h"

typedef struct {
	char *dir;
	char *main;
} fixture;

static void setup(fixture *f, gconstpointer data)
{
	f->dir = g_dir_make_tmp("test-config-XXXXXX", NULL);
	f->main = g_build_filename(f->dir, "tsunagu.conf", NULL);
}

static void teardown(fixture *f, gconstpointer data)
{
	char *confd = g_build_filename(f->dir, "conf.d", NULL);
	GDir *d = g_dir_open(confd, 0, NULL);
	const char *n;
	while (d && (n = g_dir_read_name(d))) {
		char *p = g_build_filename(confd, n, NULL);
		g_unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(confd);
	g_free(confd);
	g_unlink(f->main);
	g_rmdir(f->dir);
	g_free(f->main);
	g_free(f->dir);
}

static void write_file(const char *path, const char *text)
{
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void test_defaults(void)
{
	tsunagu_config *cfg = tsunagu_config_new_defaults();
	g_assert_cmpstr(tsunagu_config_string(cfg, "http.listen"), ==, "127.0.0.1:8080");
	g_assert_cmpint(tsunagu_config_int(cfg, "http.max_body"), ==, 1024 * 1024);
	g_assert_cmpint(tsunagu_config_duration_ms(cfg, "rules.time_limit"), ==, 50);
	g_assert_cmpint(tsunagu_config_duration_ms(cfg, "auth.session_ttl"), ==, 12 * 3600 * 1000);
	g_assert_false(tsunagu_config_bool(cfg, "auth.cookie_secure"));
	g_assert_cmpstr(tsunagu_config_string(cfg, "store.synchronous"), ==, "full");
	tsunagu_config_free(cfg);
	/* No file at all is fine too. */
	GError *err = NULL;
	cfg = tsunagu_config_load(NULL, NULL, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(tsunagu_config_string(cfg, "http.listen"), ==, "127.0.0.1:8080");
	tsunagu_config_free(cfg);
}

static void test_file_and_conf_d(fixture *f, gconstpointer data)
{
	write_file(f->main, "# main\n[http]\nlisten = 127.0.0.1:9000\nmax_body = 2M\n"
			    "[rules]\ntime_limit = 250ms\n[auth]\ncookie_secure = yes\n"
			    "[server]\ndata_dir = \"/tmp/with space # and hash\"\n");
	char *confd = g_build_filename(f->dir, "conf.d", NULL);
	g_mkdir(confd, 0700);
	char *a = g_build_filename(confd, "10-a.conf", NULL);
	char *b = g_build_filename(confd, "20-b.conf", NULL);
	char *ignored = g_build_filename(confd, "30-c.conf.disabled", NULL);
	write_file(a, "[http]\nlisten = 127.0.0.1:9001\n");
	write_file(b, "[http]\nlisten = 127.0.0.1:9002 # later file wins\n");
	write_file(ignored, "[nonsense\n");
	GError *err = NULL;
	tsunagu_config *cfg = tsunagu_config_load(f->main, NULL, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(tsunagu_config_string(cfg, "http.listen"), ==, "127.0.0.1:9002");
	g_assert_cmpint(tsunagu_config_int(cfg, "http.max_body"), ==, 2 * 1024 * 1024);
	g_assert_cmpint(tsunagu_config_duration_ms(cfg, "rules.time_limit"), ==, 250);
	g_assert_true(tsunagu_config_bool(cfg, "auth.cookie_secure"));
	g_assert_cmpstr(tsunagu_config_string(cfg, "server.data_dir"), ==,
			"/tmp/with space # and hash");
	tsunagu_config_free(cfg);
	g_unlink(ignored);
	g_free(a);
	g_free(b);
	g_free(ignored);
	g_free(confd);
}

static void expect_error(fixture *f, const char *text, const char *line_prefix,
			 const char *fragment)
{
	write_file(f->main, text);
	GError *err = NULL;
	tsunagu_config *cfg = tsunagu_config_load(f->main, NULL, &err);
	g_assert_null(cfg);
	g_assert_nonnull(err);
	char *want = g_strconcat(f->main, ":", line_prefix, ": ", NULL);
	if (!g_str_has_prefix(err->message, want) || !strstr(err->message, fragment))
		g_error("expected \"%s...%s\", got \"%s\"", want, fragment, err->message);
	g_free(want);
	g_error_free(err);
}

static void test_errors_name_file_and_line(fixture *f, gconstpointer data)
{
	expect_error(f, "[http]\nlisten = x\nbogus = 1\n", "3", "unknown key 'bogus'");
	expect_error(f, "\n[nosuch]\n", "2", "unknown section [nosuch]");
	expect_error(f, "[http]\n\n\nmax_body = lots\n", "4", "must be an integer");
	expect_error(f, "[auth]\ncookie_secure = maybe\n", "2", "true or false");
	expect_error(f, "[rules]\ntime_limit = 5 parsecs\n", "2", "duration");
	expect_error(f, "listen = 1\n", "1", "outside of any [section]");
	expect_error(f, "[http]\njust words\n", "2", "expected key = value");
	expect_error(f, "[http\n", "1", "malformed section");
	expect_error(f, "[http]\nlisten = \"open\n", "2", "missing closing quote");
	expect_error(f, "[log]\nlevel = loud\n", "2", "log.level");
	expect_error(f, "[http]\nlisten = \xff\xfe\n", "2", "UTF-8");
}

static void test_plugin_sections(fixture *f, gconstpointer data)
{
	static const tsunagu_conf_key schema[] = {
		{"prefix", TSUNAGU_CONF_STRING, "echo: ", "reply prefix"},
		{"delay", TSUNAGU_CONF_DURATION, "0s", "reply delay"},
		{NULL, 0, NULL, NULL},
	};
	write_file(f->main, "[plugin.echo]\nprefix = \">> \"\n\n[plugin.other]\nwhatever = 1\n"
			    "[plugin.bad]\ndelay = soon\n[plugin.off]\nenabled = false\n");
	GError *err = NULL;
	tsunagu_config *cfg = tsunagu_config_load(f->main, NULL, &err);
	g_assert_no_error(err);
	char **names = tsunagu_config_plugin_sections(cfg);
	g_assert_cmpuint(g_strv_length(names), ==, 4);
	g_assert_cmpstr(names[0], ==, "bad");
	g_strfreev(names);

	g_assert_true(tsunagu_config_check_section(cfg, "plugin.echo", schema, &err));
	g_assert_cmpstr(tsunagu_config_section_value(cfg, "plugin.echo", "prefix"), ==, ">> ");
	g_assert_cmpstr(tsunagu_config_section_value(cfg, "plugin.echo", "delay"), ==, "0s");
	g_assert_cmpstr(tsunagu_config_section_value(cfg, "plugin.echo", "enabled"), ==, "true");

	g_assert_false(tsunagu_config_check_section(cfg, "plugin.other", schema, &err));
	g_assert_true(strstr(err->message, ":5: unknown key 'whatever'"));
	g_clear_error(&err);
	g_assert_false(tsunagu_config_check_section(cfg, "plugin.bad", schema, &err));
	g_assert_true(strstr(err->message, ":7: plugin.bad.delay must be a duration"));
	g_clear_error(&err);
	g_assert_true(tsunagu_config_check_section(cfg, "plugin.off", schema, &err));
	g_assert_cmpstr(tsunagu_config_section_value(cfg, "plugin.off", "enabled"), ==, "false");
	tsunagu_config_free(cfg);
}

static void test_set_and_dump_round_trip(fixture *f, gconstpointer data)
{
	GError *err = NULL;
	tsunagu_config *cfg = tsunagu_config_new_defaults();
	g_assert_true(tsunagu_config_set(cfg, "http.listen=[::1]:0", &err));
	g_assert_false(tsunagu_config_set(cfg, "http.nope=1", &err));
	g_assert_true(g_str_has_prefix(err->message, "<command line>:"));
	g_clear_error(&err);
	g_assert_false(tsunagu_config_set(cfg, "no-dot", &err));
	g_clear_error(&err);
	g_assert_true(tsunagu_config_set(cfg, "server.data_dir=/tmp/a \"b\"", &err));

	GString *out = g_string_new(NULL);
	tsunagu_config_dump(cfg, out);
	write_file(f->main, out->str);
	tsunagu_config *again = tsunagu_config_load(f->main, NULL, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(tsunagu_config_string(again, "http.listen"), ==, "[::1]:0");
	g_assert_cmpstr(tsunagu_config_string(again, "server.data_dir"), ==, "/tmp/a \"b\"");
	g_string_free(out, TRUE);
	tsunagu_config_free(again);
	tsunagu_config_free(cfg);
}

/* Typed reads parse a value once and keep it: a value set later is what
 * the next read returns, for every type, read twice. */
static void test_typed_reads_follow_changes(void)
{
	GError *err = NULL;
	tsunagu_config *cfg = tsunagu_config_new_defaults();
	for (int i = 0; i < 2; i++) {
		g_assert_cmpint(tsunagu_config_duration_ms(cfg, "rules.time_limit"), ==, 50);
		g_assert_cmpint(tsunagu_config_int(cfg, "http.max_body"), ==, 1024 * 1024);
		g_assert_false(tsunagu_config_bool(cfg, "auth.cookie_secure"));
	}
	g_assert_true(tsunagu_config_set(cfg, "rules.time_limit=2s", &err));
	g_assert_true(tsunagu_config_set(cfg, "http.max_body=2K", &err));
	g_assert_true(tsunagu_config_set(cfg, "auth.cookie_secure=yes", &err));
	g_assert_no_error(err);
	for (int i = 0; i < 2; i++) {
		g_assert_cmpint(tsunagu_config_duration_ms(cfg, "rules.time_limit"), ==, 2000);
		g_assert_cmpint(tsunagu_config_int(cfg, "http.max_body"), ==, 2048);
		g_assert_true(tsunagu_config_bool(cfg, "auth.cookie_secure"));
	}
	/* A refused value leaves the last good one. */
	g_assert_false(tsunagu_config_set(cfg, "rules.time_limit=soon", &err));
	g_clear_error(&err);
	g_assert_cmpint(tsunagu_config_duration_ms(cfg, "rules.time_limit"), ==, 2000);
	tsunagu_config_free(cfg);
}

static void test_value_parsers(void)
{
	int64_t v;
	bool b;
	g_assert_true(tsunagu_conf_parse_int("64K", &v) && v == 65536);
	g_assert_true(tsunagu_conf_parse_int("-3", &v) && v == -3);
	g_assert_false(tsunagu_conf_parse_int("99999999999999999999", &v));
	g_assert_false(tsunagu_conf_parse_int("9000000000G", &v));
	g_assert_false(tsunagu_conf_parse_int("", &v));
	g_assert_true(tsunagu_conf_parse_duration_ms("90s", &v) && v == 90000);
	g_assert_true(tsunagu_conf_parse_duration_ms("7d", &v) && v == 7 * 86400000LL);
	g_assert_true(tsunagu_conf_parse_duration_ms("1.5h", &v) && v == 5400000);
	g_assert_true(tsunagu_conf_parse_duration_ms("30", &v) && v == 30000);
	g_assert_false(tsunagu_conf_parse_duration_ms("-1s", &v));
	g_assert_false(tsunagu_conf_parse_duration_ms("1y", &v));
	g_assert_true(tsunagu_conf_parse_bool("OFF", &b) && !b);
	g_assert_false(tsunagu_conf_parse_bool("2", &b));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/value-parsers", test_value_parsers);
	g_test_add_func("/config/typed-reads-follow-changes", test_typed_reads_follow_changes);
	g_test_add("/config/file-and-conf.d", fixture, NULL, setup, test_file_and_conf_d, teardown);
	g_test_add("/config/errors-name-file-and-line", fixture, NULL, setup,
		   test_errors_name_file_and_line, teardown);
	g_test_add("/config/plugin-sections", fixture, NULL, setup, test_plugin_sections, teardown);
	g_test_add("/config/set-and-dump", fixture, NULL, setup, test_set_and_dump_round_trip,
		   teardown);
	return g_test_run();
}
