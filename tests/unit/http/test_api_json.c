/* Validation of API request bodies and members. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "api.h"

static int parse(const char *ct, const char *body, json_t **out, const char **why)
{
	return tsunagu_api_parse_body(ct, body, body ? strlen(body) : 0, out, why);
}

static void test_body(void)
{
	json_t *j = NULL;
	const char *why = NULL;

	g_assert_cmpint(parse("application/json", "{\"a\":1}", &j, &why), ==, 0);
	g_assert_true(json_is_object(j));
	json_decref(j);
	g_assert_cmpint(parse("application/json; charset=utf-8", "{}", &j, &why), ==, 0);
	json_decref(j);

	struct {
		const char *ct, *body;
	} bad[] = {
		{ NULL, "{}" },
		{ "text/plain", "{}" },
		{ "application/jsonx", "{}" },
		{ "application/json", "" },
		{ "application/json", "[]" },
		{ "application/json", "\"s\"" },
		{ "application/json", "{" },
		{ "application/json", "{} {}" },
		{ "application/json", "{\"a\":1,\"a\":2}" },
		{ "application/json", "{\"a\":\"\\u0000\"}" },
		{ "application/json", "{\"a\":\"\xff\"}" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		why = NULL;
		j = (json_t *)0x1;
		g_assert_cmpint(parse(bad[i].ct, bad[i].body, &j, &why), ==, -EINVAL);
		g_assert_null(j);
		g_assert_nonnull(why);
	}
}

static void test_get_string(void)
{
	json_t *o = json_pack("{s:s,s:s,s:i,s:n,s:s,s:s}", "ok", "hello", "empty", "", "num", 3,
			      "nul", "ctl", "a\x01z", "nl", "a\nb\tc");
	const char *s;

	g_assert_cmpint(tsunagu_api_get_string(o, "ok", 10, &s), ==, 0);
	g_assert_cmpstr(s, ==, "hello");
	g_assert_cmpint(tsunagu_api_get_string(o, "ok", 4, &s), ==, -EINVAL);
	g_assert_cmpint(tsunagu_api_get_string(o, "empty", 10, &s), ==, -EINVAL);
	g_assert_cmpint(tsunagu_api_get_string(o, "num", 10, &s), ==, -EINVAL);
	g_assert_cmpint(tsunagu_api_get_string(o, "nul", 10, &s), ==, -ENOENT);
	g_assert_cmpint(tsunagu_api_get_string(o, "missing", 10, &s), ==, -ENOENT);
	g_assert_cmpint(tsunagu_api_get_string(o, "ctl", 10, &s), ==, -EINVAL);
	g_assert_cmpint(tsunagu_api_get_string(o, "nl", 10, &s), ==, 0);
	g_assert_cmpint(tsunagu_api_get_string(NULL, "ok", 10, &s), ==, -ENOENT);
	json_decref(o);
}

static void test_time(void)
{
	json_t *t = tsunagu_api_time(1700000000123456LL);
	g_assert_cmpstr(json_string_value(t), ==, "2023-11-14T22:13:20.123Z");
	json_decref(t);
	t = tsunagu_api_time(0);
	g_assert_true(json_is_null(t));
	json_decref(t);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/http/api-json/body", test_body);
	g_test_add_func("/http/api-json/get-string", test_get_string);
	g_test_add_func("/http/api-json/time", test_time);
	return g_test_run();
}
