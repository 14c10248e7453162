/* Generations and reload: a good reload swaps in generation N+1; a bad one
 * (syntax error, load-time error, limit hit in the self-test) is refused
 * with every file:line while the last good generation keeps serving. Also
 * the rule fixtures of tests/rules/: every bad/NAME.lua names its expected
 * error on its first line ("-- expect: LINE: text"), good/ compiles clean
 * and decides as documented. */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "rules_test_util.h"

static const char good_v1[] =
	"route \"v1\" { to = team 'one' }\n";
static const char good_v2[] =
	"route \"v2 phone\" { when = function(c) return c.channel == 'phone' end,\n"
	"                    to = team 'voice' }\n"
	"route \"v2\" { to = team 'two' }\n";

static const char *decide(tsunagu_rules *rules, const char *channel)
{
	static char name[64];
	json_t *c = rtu_conv("c1", channel);
	tsunagu_route_decision *d = tsunagu_rules_route(rules, c);
	g_strlcpy(name, d->rule_name, sizeof name);
	tsunagu_route_decision_free(d);
	json_decref(c);
	return name;
}

static void expect_refused(tsunagu_rules *rules, const char *dir, const char *name,
			   const char *text, const char *file_line, const char *what)
{
	unsigned before = tsunagu_rules_generation(rules);
	rtu_write(dir, name, text);
	GError *error = NULL;
	g_assert_cmpint(tsunagu_rules_reload(rules, &error), ==, -EINVAL);
	g_assert_error(error, TSUNAGU_RULES_ERROR, EINVAL);
	g_test_message("refused: %s", error->message);
	if (!strstr(error->message, file_line) || !strstr(error->message, what))
		g_error("\"%s\" lacks \"%s\" or \"%s\"", error->message, file_line, what);
	g_error_free(error);
	g_assert_cmpuint(tsunagu_rules_generation(rules), ==, before);
}

static void test_reload(void)
{
	char *dir = rtu_tmpdir();
	rtu_write(dir, "route.lua", good_v1);
	tsunagu_rules *rules = rtu_open(dir);
	g_assert_cmpstr(decide(rules, "web"), ==, "v1");

	rtu_write(dir, "route.lua", good_v2);
	GError *error = NULL;
	g_assert_cmpint(tsunagu_rules_reload(rules, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpuint(tsunagu_rules_generation(rules), ==, 2);
	g_assert_cmpstr(decide(rules, "web"), ==, "v2");
	g_assert_cmpstr(decide(rules, "phone"), ==, "v2 phone");

	expect_refused(rules, dir, "route.lua", "route \"x\" {\n  to = team 'a',,\n}\n",
		       "route.lua:2:", "unexpected symbol");
	g_assert_cmpstr(decide(rules, "phone"), ==, "v2 phone");
	expect_refused(rules, dir, "route.lua",
		       "route \"spin\" {\n  when = function(c) while true do end end,\n"
		       "  to = all_available() }\n",
		       "route.lua:2: instruction limit exceeded", "self-test of route \"spin\"");
	expect_refused(rules, dir, "route.lua",
		       "route \"hog\" {\n  when = function(c)\n    local t = {}\n"
		       "    for i = 1, 1e9 do t[i] = i end\n  end,\n  to = all_available() }\n",
		       "route.lua:1:", "memory limit exceeded");
	expect_refused(rules, dir, "route.lua", "\n\nwhile true do end\n", "route.lua:3:",
		       "instruction limit exceeded");
	expect_refused(rules, dir, "route.lua", "route \"m\" { to = nobody(), method = 'x' }\n",
		       "route.lua:1:", "unknown method 'x'");
	/* two broken files: both reported */
	rtu_write(dir, "route.lua", good_v2);
	expect_refused(rules, dir, "workflow.lua",
		       "workflow \"w\" {\n  on = 'nope', run = function() end }\n",
		       "workflow.lua:1:", "unknown event 'nope'");
	rtu_write(dir, "z_third.lua", "route \"z\" { to = team(nil) }\n");
	GError *err2 = NULL;
	g_assert_cmpint(tsunagu_rules_reload(rules, &err2), ==, -EINVAL);
	g_assert_nonnull(strstr(err2->message, "workflow.lua:1:"));
	g_assert_nonnull(strstr(err2->message, "z_third.lua:1:"));
	g_error_free(err2);
	g_assert_cmpuint(tsunagu_rules_generation(rules), ==, 2);
	g_assert_cmpstr(decide(rules, "phone"), ==, "v2 phone");

	/* fixed: generation 3 */
	rtu_write(dir, "workflow.lua", "workflow \"w\" { on = 'message.customer', "
				       "run = function(c) return tag 'seen' end }\n");
	rtu_write(dir, "z_third.lua", "route \"z\" { to = team 'z' }\n");
	g_assert_cmpint(tsunagu_rules_reload(rules, NULL), ==, 0);
	g_assert_cmpuint(tsunagu_rules_generation(rules), ==, 3);
	tsunagu_rules_stats stats;
	tsunagu_rules_get_stats(rules, &stats);
	g_assert_cmpuint(stats.files, ==, 3);
	g_assert_cmpuint(stats.routes, ==, 3);
	g_assert_cmpuint(stats.workflows, ==, 1);
	tsunagu_rules_free(rules);
	rtu_rmdir(dir);
	g_free(dir);
}

static void test_bad_start_serves_default(void)
{
	char *dir = rtu_tmpdir();
	rtu_write(dir, "route.lua", "route \"broken\" { to = }\n");
	tsunagu_rules_options opts;
	rtu_options(&opts, dir);
	tsunagu_rules *rules = NULL;
	GError *error = NULL;
	g_assert_cmpint(tsunagu_rules_new(NULL, &opts, &rules, &error), ==, -EINVAL);
	g_assert_nonnull(rules);
	g_assert_nonnull(strstr(error->message, "route.lua:1:"));
	g_error_free(error);
	g_assert_cmpuint(tsunagu_rules_generation(rules), ==, 0);
	g_assert_cmpstr(decide(rules, "web"), ==, "default");
	rtu_write(dir, "route.lua", good_v1);
	g_assert_cmpint(tsunagu_rules_reload(rules, NULL), ==, 0);
	g_assert_cmpuint(tsunagu_rules_generation(rules), ==, 1);
	g_assert_cmpstr(decide(rules, "web"), ==, "v1");
	tsunagu_rules_free(rules);
	rtu_rmdir(dir);
	g_free(dir);
}

static void test_binary_chunk_file(void)
{
	char *dir = rtu_tmpdir();
	static const char chunk[] = "\x1bLuaT\0\x19\x93\r\n\x1a\n\x04\x08\x08";
	rtu_write_len(dir, "route.lua", chunk, sizeof chunk - 1);
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	char *path = g_build_filename(dir, "route.lua", NULL);
	const char *paths[] = {path, NULL};
	tsunagu_rules_options opts;
	rtu_options(&opts, NULL);
	g_assert_cmpint(tsunagu_rules_check_paths(paths, &opts, errors, NULL, NULL), ==, -EINVAL);
	g_assert_cmpuint(errors->len, ==, 1);
	rtu_assert_file_line(errors->pdata[0], path);
	g_assert_nonnull(strstr(errors->pdata[0], "binary chunk"));
	g_ptr_array_unref(errors);
	g_free(path);
	rtu_rmdir(dir);
	g_free(dir);
}

static void test_check_missing_path(void)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	const char *paths[] = {"/nonexistent/rules.lua", NULL};
	tsunagu_rules_options opts;
	rtu_options(&opts, NULL);
	g_assert_cmpint(tsunagu_rules_check_paths(paths, &opts, errors, NULL, NULL), ==, -ENOENT);
	g_assert_cmpuint(errors->len, ==, 1);
	g_ptr_array_unref(errors);
}

static char *fixture(const char *rel)
{
	const char *root = g_getenv("TSUNAGU_RULES_FIXTURES");
	g_assert_nonnull(root);
	return g_build_filename(root, rel, NULL);
}

static void test_bad_fixtures(void)
{
	char *dir = fixture("bad");
	GDir *d = g_dir_open(dir, 0, NULL);
	g_assert_nonnull(d);
	const char *name;
	unsigned n = 0;
	while ((name = g_dir_read_name(d))) {
		if (!g_str_has_suffix(name, ".lua"))
			continue;
		char *path = g_build_filename(dir, name, NULL);
		char *text = NULL;
		g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
		g_assert_true(g_str_has_prefix(text, "-- expect: "));
		char *nl = strchr(text, '\n');
		*nl = '\0';
		char *expect = text + strlen("-- expect: ");
		char *colon = strchr(expect, ':');
		*colon = '\0';
		char *want_prefix = g_strdup_printf("%s:%s:", path, expect);
		const char *want_text = colon + 2;

		GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
		const char *paths[] = {path, NULL};
		tsunagu_rules_options opts;
		rtu_options(&opts, NULL);
		g_test_message("fixture %s", name);
		g_assert_cmpint(tsunagu_rules_check_paths(paths, &opts, errors, NULL, NULL), ==,
				-EINVAL);
		g_assert_cmpuint(errors->len, >=, 1);
		const char *err = errors->pdata[0];
		if (!g_str_has_prefix(err, want_prefix) || !strstr(err, want_text))
			g_error("%s: got \"%s\", want \"%s ...%s...\"", name, err, want_prefix,
				want_text);
		g_ptr_array_unref(errors);
		g_free(want_prefix);
		g_free(text);
		g_free(path);
		n++;
	}
	g_dir_close(d);
	g_assert_cmpuint(n, >=, 20);
	g_free(dir);
}

static json_t *load_conv(const char *name)
{
	char *rel = g_build_filename("conversations", name, NULL);
	char *path = fixture(rel);
	json_t *c = json_load_file(path, 0, NULL);
	g_assert_nonnull(c);
	g_free(path);
	g_free(rel);
	return c;
}

/* Lua cuts chunk names past 60 bytes; errors must still name the whole
 * path the admin gave, whatever its length. */
static void test_long_paths_named_whole(void)
{
	char *dir = rtu_tmpdir();
	char *deep = g_build_filename(dir, "a-directory-name-long-enough-to-pass-lua-idsize",
				      "and-then-some-more", NULL);
	g_assert_cmpint(g_mkdir_with_parents(deep, 0700), ==, 0);
	rtu_write(deep, "route.lua", "route \"spin\" {\n  when = function(c)\n"
				     "    if c.id == 'x' then while true do end end\n"
				     "    return false\n  end,\n  to = nobody(),\n}\n"
				     "route \"bad\" { to = team(nil) }\n");
	char *file = g_build_filename(deep, "route.lua", NULL);
	g_assert_cmpuint(strlen(file), >, 100);
	const char *paths[] = {file, NULL};
	tsunagu_rules_options opts;
	rtu_options(&opts, NULL);
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	g_assert_cmpint(tsunagu_rules_check_paths(paths, &opts, errors, NULL, NULL), ==, -EINVAL);
	g_assert_cmpuint(errors->len, ==, 1);
	char *want = g_strconcat(file, ":8: ", NULL);
	if (!g_str_has_prefix(errors->pdata[0], want))
		g_error("got \"%s\", want \"%s...\"", (const char *)errors->pdata[0], want);
	g_free(want);
	g_ptr_array_unref(errors);

	/* a limit tripped at run time names the whole path too */
	rtu_write(deep, "route.lua", "route \"spin\" {\n  when = function(c)\n"
				     "    if c.id == 'x' then while true do end end\n"
				     "    return false\n  end,\n  to = nobody(),\n}\n");
	tsunagu_rules *rules = NULL;
	GError *err = NULL;
	g_assert_cmpint(tsunagu_rules_open_paths(paths, &opts, &rules, &err), ==, 0);
	json_t *c = rtu_conv("x", "web");
	tsunagu_route_decision *d = tsunagu_rules_route(rules, c);
	g_assert_cmpuint(d->errors->len, ==, 1);
	want = g_strconcat(file, ":3: instruction limit exceeded", NULL);
	if (!g_str_has_prefix(d->errors->pdata[0], want))
		g_error("got \"%s\", want \"%s...\"", (const char *)d->errors->pdata[0], want);
	g_free(want);
	tsunagu_route_decision_free(d);
	json_decref(c);
	tsunagu_rules_free(rules);
	g_unlink(file);
	g_free(file);
	g_free(deep);
	rtu_rmdir(dir);
	g_free(dir);
}

static void test_good_fixtures(void)
{
	char *dir = fixture("good");
	const char *paths[] = {dir, NULL};
	tsunagu_rules_options opts;
	rtu_options(&opts, NULL);
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	tsunagu_rules_stats stats;
	g_assert_cmpint(tsunagu_rules_check_paths(paths, &opts, errors, NULL, &stats), ==, 0);
	g_assert_cmpuint(errors->len, ==, 0);
	g_assert_cmpuint(stats.files, ==, 3);
	g_assert_cmpuint(stats.routes, ==, 6);
	g_assert_cmpuint(stats.workflows, ==, 4);
	g_assert_cmpuint(stats.autocloses, ==, 2);
	g_ptr_array_unref(errors);

	tsunagu_rules *rules = NULL;
	g_assert_cmpint(tsunagu_rules_open_paths(paths, &opts, &rules, NULL), ==, 0);
	json_t *vip = load_conv("vip_phone.json");
	tsunagu_route_decision *d = tsunagu_rules_route(rules, vip);
	g_assert_cmpstr(d->rule_name, ==, "VIP callers to the premium team");
	tsunagu_route_decision_free(d);
	tsunagu_workflow_result *r = tsunagu_rules_on_event(rules, "call.ended", vip,
							    TSUNAGU_RULES_DRY_RUN);
	g_assert_cmpuint(json_array_size(r->actions), ==, 1);
	json_t *send = json_array_get(r->actions, 0);
	g_assert_cmpstr(json_string_value(json_object_get(send, "action")), ==, "send");
	g_assert_cmpstr(json_string_value(json_object_get(send, "to")), ==, "+81312345678");
	g_assert_true(g_str_has_suffix(json_string_value(json_object_get(send, "text")),
				       "/conversations/conv-vip-phone"));
	tsunagu_workflow_result_free(r);
	json_decref(vip);

	json_t *campaign = load_conv("campaign_web.json");
	d = tsunagu_rules_route(rules, campaign);
	g_assert_cmpstr(d->rule_name, ==, "Campaign visitors");
	g_assert_cmpstr(d->method, ==, "round_robin");
	tsunagu_route_decision_free(d);
	json_decref(campaign);
	tsunagu_rules_free(rules);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rules/host/reload", test_reload);
	g_test_add_func("/rules/host/bad-start-serves-default", test_bad_start_serves_default);
	g_test_add_func("/rules/host/binary-chunk-file", test_binary_chunk_file);
	g_test_add_func("/rules/host/check-missing-path", test_check_missing_path);
	g_test_add_func("/rules/fixtures/bad", test_bad_fixtures);
	g_test_add_func("/rules/fixtures/good", test_good_fixtures);
	g_test_add_func("/rules/host/long-paths-named-whole", test_long_paths_named_whole);
	return g_test_run();
}
