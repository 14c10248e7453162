/* The echo example's JSON reader takes text from any WebSocket client: it
 * must pick the right member, decode escapes, and turn every malformed input
 * into NULL without reading out of bounds (run under ASan in CI). */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "echo_json.h"

static void expect(const char *json, const char *key, const char *want)
{
	/* A heap copy of exactly len bytes, no NUL: ASan catches a read past it. */
	size_t len = strlen(json);
	char *copy = g_malloc(len ? len : 1);
	memcpy(copy, json, len);
	char *got = echo_json_get_string(copy, len, key);
	if (want == NULL && got != NULL)
		g_error("%s [%s]: expected NULL, got \"%s\"", json, key, got);
	if (want != NULL)
		g_assert_cmpstr(got, ==, want);
	free(got);
	g_free(copy);
}

static void test_members(void)
{
	const char *msg = "{\"from\":\"alice\",\"text\":\"hello\",\"id\":\"m1\"}";
	expect(msg, "from", "alice");
	expect(msg, "text", "hello");
	expect(msg, "id", "m1");
	expect(msg, "absent", NULL);
	expect(" { \"a\" : 1 , \"b\" : [1, {\"x\": [true, null]}, \"s\"], \"c\" : \"ok\" } ", "c",
	       "ok");
	expect("{\"n\": -1.5e3, \"t\": \"v\"}", "t", "v");
	expect("{\"a\":\"first\",\"a\":\"second\"}", "a", "first");
	expect("{\"a\": 5}", "a", NULL); /* not a string */
	expect("{}", "a", NULL);
}

static void test_escapes(void)
{
	expect("{\"t\":\"a\\\"b\\\\c\\/d\\n\"}", "t", "a\"b\\c/d\n");
	expect("{\"t\":\"\\u3053\\u3093\"}", "t", "こん");
	expect("{\"t\":\"\\ud83d\\ude00\"}", "t", "\xf0\x9f\x98\x80");
	expect("{\"t\":\"日本語\"}", "t", "日本語");
	expect("{\"t\":\"\\u0000\"}", "t", NULL);     /* would cut the string */
	expect("{\"t\":\"\\ud83d\"}", "t", NULL);     /* lone high surrogate */
	expect("{\"t\":\"\\ude00\"}", "t", NULL);     /* lone low surrogate */
	expect("{\"t\":\"\\x\"}", "t", NULL);
	expect("{\"t\":\"\\u12\"}", "t", NULL);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"", "   ", "[]", "\"t\"", "{", "{\"t\"", "{\"t\":", "{\"t\":\"v\"",
		"{\"t\":\"v\",}", "{\"t\" \"v\"}", "{\"t\":\"v\"} x", "{\"t\":\"v\"}}",
		"{\"a\":[1,2}, \"t\":\"v\"}", "{\"t\":\"line\nbreak\"}", "{t:\"v\"}",
		"{\"a\":,\"t\":\"v\"}", "{\"t\":\"v\\",
		/* raw bytes that are not UTF-8: stray continuation, truncated
		 * sequence, overlong '/', an encoded surrogate, past U+10FFFF */
		"{\"t\":\"\x80\"}", "{\"t\":\"\xe3\x81\"}", "{\"t\":\"\xc0\xaf\"}",
		"{\"t\":\"\xed\xa0\x80\"}", "{\"t\":\"\xf4\x90\x80\x80\"}",
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++)
		expect(bad[i], "t", NULL);
	/* and well-formed UTF-8 in every length still reads */
	expect("{\"t\":\"\xc3\xa9\xe3\x81\x82\xf0\x9f\x98\x80\"}", "t",
	       "\xc3\xa9\xe3\x81\x82\xf0\x9f\x98\x80");
}

static void test_depth_bounded(void)
{
	GString *s = g_string_new("{\"a\":");
	for (int i = 0; i < 100000; i++)
		g_string_append_c(s, '[');
	expect(s->str, "t", NULL); /* refused, no stack overflow */
	g_string_free(s, TRUE);
}

static void test_writer(void)
{
	echo_buf b = {0};
	g_assert_cmpint(echo_buf_add_json_string(&b, "a\"b\\c\n\x01日"), ==, 0);
	g_assert_cmpstr(b.data, ==, "\"a\\\"b\\\\c\\u000a\\u0001日\"");
	/* what the writer writes, the reader reads back */
	char *obj = g_strdup_printf("{\"k\":%s}", b.data);
	expect(obj, "k", "a\"b\\c\n\x01日");
	g_free(obj);
	free(b.data);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/plugins/echo-json/members", test_members);
	g_test_add_func("/plugins/echo-json/escapes", test_escapes);
	g_test_add_func("/plugins/echo-json/malformed", test_malformed);
	g_test_add_func("/plugins/echo-json/depth-bounded", test_depth_bounded);
	g_test_add_func("/plugins/echo-json/writer", test_writer);
	return g_test_run();
}
