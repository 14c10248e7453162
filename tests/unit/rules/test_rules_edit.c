/* The declaration scanner and the structural edits of route rules: spans
 * survive comments and strings full of braces, long brackets and nested
 * tables; a file with several rules on one line or rules made by a loop is
 * refused, never mangled; an edit that would not compile writes nothing; a
 * good one keeps the previous text in the history. */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "rules_edit.h"
#include "rules_spans.h"
#include "rules_test_util.h"

static const char tricky[] =
	"-- a comment with { braces } and route \"fake\" { }\n"      /* 1 */
	"--[==[ a long comment\n"                                     /* 2 */
	"route \"also fake\" { ]] }\n"                                /* 3 */
	"]==]\n"                                                      /* 4 */
	"local s = [[ } { route \"in a long string\" { } ]]\n"        /* 5 */
	"\n"                                                          /* 6 */
	"-- the first real rule\n"                                    /* 7 */
	"route \"first\" {\n"                                         /* 8 */
	"  when = function(c) return c.visitor.page_url == \"}\" and\n" /* 9 */
	"    c.contact.attributes['{'] == 'it\\'s }' end,\n"          /* 10 */
	"  to = operators { \"sato\", team \"sales\" }, -- }\n"       /* 11 */
	"  method = \"round_robin\",\n"                               /* 12 */
	"}\n"                                                         /* 13 */
	"\n"                                                          /* 14 */
	"route 'second' { to = nobody(), enabled = true }\n"          /* 15 */
	"route \"third\" {\n"                                         /* 16 */
	"  enabled = false, -- switched off\n"                        /* 17 */
	"  to = all_available(),\n"                                   /* 18 */
	"}\n";                                                        /* 19 */

static GPtrArray *scan(const char *text)
{
	GPtrArray *spans = NULL;
	char *err = NULL;
	g_assert_cmpint(tsunagu_rules_scan(text, strlen(text), &spans, &err), ==, 0);
	g_assert_null(err);
	return spans;
}

static void test_scan_tricky(void)
{
	GPtrArray *spans = scan(tricky);
	g_assert_cmpuint(spans->len, ==, 3);
	tsunagu_rules_span *a = spans->pdata[0], *b = spans->pdata[1], *c = spans->pdata[2];
	g_assert_cmpstr(a->name, ==, "first");
	g_assert_cmpint(a->line, ==, 8);
	g_assert_cmpint(a->end_line, ==, 13);
	g_assert_false(a->shares_line);
	g_assert_false(a->has_enabled);
	/* the comment line above belongs to the rule, the blank line below too */
	g_assert_cmpuint(a->block_start, ==, (size_t)(strstr(tricky, "-- the first") - tricky));
	g_assert_cmpuint(a->block_end, ==, (size_t)(strstr(tricky, "route 'second'") - tricky));
	g_assert_cmpstr(b->name, ==, "second");
	g_assert_cmpint(b->line, ==, 15);
	g_assert_true(b->one_line_body);
	g_assert_true(b->has_enabled);
	g_assert_cmpint(strncmp(tricky + b->enabled_value_start, "true", 4), ==, 0);
	g_assert_cmpstr(c->name, ==, "third");
	g_assert_cmpint(c->end_line, ==, 19);
	g_assert_true(c->has_enabled);
	g_assert_cmpuint(c->enabled_value_end - c->enabled_value_start, ==, 5);
	g_assert_cmpuint(c->block_end, ==, strlen(tricky));
	g_ptr_array_unref(spans);
}

static void test_scan_refuses_broken(void)
{
	static const struct { const char *text; const char *err; } cases[] = {
		{ "route \"a\" {\n  to = nobody(),\n", "line 1: a bracket opened here is never closed" },
		{ "route \"a\" { to = team \"x }\n", "line 1: unfinished string" },
		{ "\n\n--[[ never closed\n", "line 3: unfinished long comment" },
		{ "local x = [==[ ]=] \n", "line 1: unfinished long string" },
		{ "route \"a\" { to = nobody() ) }\n", "line 1: brackets do not match" },
		{ "}\n", "line 1: a closing bracket without its opening one" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GPtrArray *spans = NULL;
		char *err = NULL;
		g_assert_cmpint(tsunagu_rules_scan(cases[i].text, strlen(cases[i].text), &spans, &err),
				==, -EINVAL);
		g_assert_null(spans);
		g_assert_cmpstr(err, ==, cases[i].err);
		g_free(err);
	}
}

/* Compiles text and returns the route names in order, "name-" for disabled. */
static char *routes_of(const char *text)
{
	tsunagu_rules_options opts;
	tsunagu_rules *rules = NULL;
	GError *error = NULL;
	rtu_options(&opts, NULL);
	g_assert_cmpint(tsunagu_rules_open_source("route.lua", text, strlen(text), &opts, &rules,
						  &error), ==, 0);
	json_t *list = tsunagu_rules_route_list(rules), *r;
	size_t i;
	GString *s = g_string_new("");
	json_array_foreach(list, i, r) {
		g_string_append_printf(s, "%s%s%s", i ? "," : "",
				       json_string_value(json_object_get(r, "name")),
				       json_is_true(json_object_get(r, "enabled")) ? "" : "-");
	}
	json_decref(list);
	tsunagu_rules_free(rules);
	return g_string_free(s, FALSE);
}

static char *edit(const char *text, const char *name, tsunagu_rules_edit action, int position)
{
	char *out = NULL, *why = NULL;
	int ret = tsunagu_rules_edit_text(text, strlen(text), name, 0, action, position, &out, &why);
	if (ret < 0)
		g_error("%s: %s", name, why);
	return out;
}

static void expect_routes(const char *text, const char *want)
{
	char *got = routes_of(text);
	if (strcmp(got, want) != 0)
		g_error("expected %s, got %s in:\n%s", want, got, text);
	g_free(got);
}

static void test_edit_text(void)
{
	expect_routes(tricky, "first,second,third-");
	char *t = edit(tricky, "first", TSUNAGU_RULES_DISABLE, 0);
	expect_routes(t, "first-,second,third-");
	g_assert_nonnull(strstr(t, "route \"first\" {\n  enabled = false,\n  when ="));
	char *t2 = edit(t, "first", TSUNAGU_RULES_ENABLE, 0);
	g_assert_cmpstr(t2, ==, tricky); /* the added line goes again, nothing else moved */
	g_free(t2);
	g_free(t);

	t = edit(tricky, "second", TSUNAGU_RULES_DISABLE, 0);
	g_assert_nonnull(strstr(t, "route 'second' { to = nobody(), enabled = false }"));
	expect_routes(t, "first,second-,third-");
	g_free(t);
	t = edit(tricky, "third", TSUNAGU_RULES_ENABLE, 0);
	g_assert_null(strstr(t, "switched off"));
	expect_routes(t, "first,second,third");
	g_free(t);

	t = edit(tricky, "third", TSUNAGU_RULES_MOVE, 1);
	expect_routes(t, "third-,first,second");
	/* the comment above "first" still sits above it */
	g_assert_nonnull(strstr(t, "-- the first real rule\nroute \"first\""));
	t2 = edit(t, "third", TSUNAGU_RULES_MOVE, 3);
	expect_routes(t2, "first,second,third-");
	g_free(t2);
	g_free(t);
	t = edit(tricky, "first", TSUNAGU_RULES_MOVE, 2);
	expect_routes(t, "second,first,third-");
	g_free(t);

	t = edit(tricky, "first", TSUNAGU_RULES_DELETE, 0);
	expect_routes(t, "second,third-");
	g_assert_null(strstr(t, "the first real rule"));
	g_assert_nonnull(strstr(t, "in a long string")); /* the rest is untouched */
	g_free(t);
}

static void test_edit_refused(void)
{
	static const char two_on_a_line[] =
		"route \"a\" { to = nobody() } route \"b\" { to = all_available() }\n"
		"route \"c\" { to = all_available() }\n";
	char *out = NULL, *why = NULL;
	g_assert_cmpint(tsunagu_rules_edit_text(two_on_a_line, strlen(two_on_a_line), "a", 0,
						TSUNAGU_RULES_DELETE, 0, &out, &why), ==, -ENOTSUP);
	g_assert_null(out);
	g_assert_nonnull(strstr(why, "line 1: route \"a\" shares its lines"));
	g_clear_pointer(&why, g_free);
	/* "c" stands alone and may change, but nothing may move around "a" and "b" */
	g_assert_cmpint(tsunagu_rules_edit_text(two_on_a_line, strlen(two_on_a_line), "c", 0,
						TSUNAGU_RULES_DISABLE, 0, &out, &why), ==, 0);
	g_clear_pointer(&out, g_free);
	g_assert_cmpint(tsunagu_rules_edit_text(two_on_a_line, strlen(two_on_a_line), "c", 0,
						TSUNAGU_RULES_MOVE, 1, &out, &why), ==, -ENOTSUP);
	g_clear_pointer(&why, g_free);
	g_assert_cmpint(tsunagu_rules_edit_text(tricky, strlen(tricky), "nope", 0,
						TSUNAGU_RULES_DELETE, 0, &out, &why), ==, -ENOENT);
	g_assert_cmpint(tsunagu_rules_edit_text(tricky, strlen(tricky), "first", 0,
						TSUNAGU_RULES_MOVE, 4, &out, &why), ==, -ERANGE);
	g_clear_pointer(&why, g_free);
}

static char *read_file(const char *dir, const char *name)
{
	char *path = g_build_filename(dir, name, NULL), *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		text = NULL;
	g_free(path);
	return text;
}

static void test_edit_route_in_dir(void)
{
	static const char with_local[] =
		"route \"first\" { to = nobody() }\n"
		"\n"
		"local sup = team \"support\"\n"
		"\n"
		"route \"second\" { to = sup }\n";
	char *dir = rtu_tmpdir();
	rtu_write(dir, "route.lua", with_local);
	rtu_write(dir, "zz_loop.lua",
		  "for _, n in ipairs({ 'x', 'y' }) do route(n) { to = nobody() } end\n");
	tsunagu_rules *rules = rtu_open(dir);
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	char *file = NULL;

	/* moving "second" above the local it uses would not compile: nothing written */
	g_assert_cmpint(tsunagu_rules_edit_route(rules, "second", TSUNAGU_RULES_MOVE, 1, &file,
						 errors), ==, -EINVAL);
	g_assert_cmpuint(errors->len, >, 0);
	rtu_assert_file_line(errors->pdata[0], "route.lua");
	char *now = read_file(dir, "route.lua");
	g_assert_cmpstr(now, ==, with_local);
	g_free(now);
	char *hist = g_build_filename(dir, ".history", "route.lua.1", NULL);
	g_assert_false(g_file_test(hist, G_FILE_TEST_EXISTS));
	g_ptr_array_set_size(errors, 0);

	/* rules made by a loop: refused with a clear error */
	g_assert_cmpint(tsunagu_rules_edit_route(rules, "x", TSUNAGU_RULES_DISABLE, 0, &file,
						 errors), ==, -ENOTSUP);
	g_assert_nonnull(strstr(errors->pdata[0], "edit the text instead"));
	g_ptr_array_set_size(errors, 0);
	g_assert_cmpint(tsunagu_rules_edit_route(rules, "missing", TSUNAGU_RULES_DELETE, 0, &file,
						 errors), ==, -ENOENT);

	/* a good edit: written, the previous text kept */
	g_assert_cmpint(tsunagu_rules_edit_route(rules, "first", TSUNAGU_RULES_DISABLE, 0, &file,
						 errors), ==, 0);
	g_assert_cmpstr(file, ==, "route.lua");
	g_free(file);
	now = read_file(dir, "route.lua");
	g_assert_nonnull(strstr(now, "route \"first\" { enabled = false, to = nobody() }"));
	g_free(now);
	char *old = read_file(dir, ".history/route.lua.1");
	g_assert_cmpstr(old, ==, with_local);
	g_free(old);
	/* a reload serves it; the disabled rule is skipped */
	g_assert_cmpint(tsunagu_rules_reload(rules, NULL), ==, 0);
	json_t *c = rtu_conv("c1", "web");
	tsunagu_route_decision *d = tsunagu_rules_route(rules, c);
	g_assert_cmpstr(d->rule_name, ==, "second");
	tsunagu_route_decision_free(d);
	json_decref(c);

	/* the history rotates: .1 is the newest previous text */
	g_assert_cmpint(tsunagu_rules_edit_route(rules, "first", TSUNAGU_RULES_ENABLE, 0, &file,
						 errors), ==, 0);
	g_free(file);
	old = read_file(dir, ".history/route.lua.2");
	g_assert_cmpstr(old, ==, with_local);
	g_free(old);
	now = read_file(dir, "route.lua");
	g_assert_cmpstr(now, ==, with_local);
	g_free(now);

	g_free(hist);
	g_ptr_array_unref(errors);
	tsunagu_rules_free(rules);
	rtu_rmdir(dir);
	g_free(dir);
}

static void test_file_names(void)
{
	g_assert_true(tsunagu_rules_file_name_ok("route.lua"));
	g_assert_true(tsunagu_rules_file_name_ok("10-vip_rules.lua"));
	g_assert_false(tsunagu_rules_file_name_ok(".route.lua"));
	g_assert_false(tsunagu_rules_file_name_ok("../route.lua"));
	g_assert_false(tsunagu_rules_file_name_ok("a/route.lua"));
	g_assert_false(tsunagu_rules_file_name_ok("route.lua.1"));
	g_assert_false(tsunagu_rules_file_name_ok(".lua"));
	g_assert_false(tsunagu_rules_file_name_ok(NULL));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rules/spans/tricky", test_scan_tricky);
	g_test_add_func("/rules/spans/broken", test_scan_refuses_broken);
	g_test_add_func("/rules/edit/text", test_edit_text);
	g_test_add_func("/rules/edit/refused", test_edit_refused);
	g_test_add_func("/rules/edit/dir", test_edit_route_in_dir);
	g_test_add_func("/rules/edit/file_names", test_file_names);
	return g_test_run();
}
