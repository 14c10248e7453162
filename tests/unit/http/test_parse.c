/* The pure parsers of core/http: cookies, queries, numbers, listen
 * addresses, route patterns, Origin and Content-Type. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "http_parse.h"

static GHashTable *cookies(const char *h)
{
	return tsunagu_http_parse_cookies(h, h ? strlen(h) : 0);
}

static void test_cookies(void)
{
	GHashTable *t = cookies("a=1; tsunagu_session=abc; b=\"q v\";c=;  d = x ");
	g_assert_cmpstr(g_hash_table_lookup(t, "a"), ==, "1");
	g_assert_cmpstr(g_hash_table_lookup(t, "tsunagu_session"), ==, "abc");
	g_assert_cmpstr(g_hash_table_lookup(t, "b"), ==, "q v");
	g_assert_cmpstr(g_hash_table_lookup(t, "c"), ==, "");
	g_assert_cmpstr(g_hash_table_lookup(t, "d"), ==, "x");
	g_assert_cmpuint(g_hash_table_size(t), ==, 5);
	g_hash_table_unref(t);

	/* first occurrence wins; junk is skipped; NULL is an empty jar */
	t = cookies("s=first; junk; =novalue; s=second;;");
	g_assert_cmpstr(g_hash_table_lookup(t, "s"), ==, "first");
	g_assert_cmpuint(g_hash_table_size(t), ==, 1);
	g_hash_table_unref(t);
	t = cookies(NULL);
	g_assert_cmpuint(g_hash_table_size(t), ==, 0);
	g_hash_table_unref(t);

	/* an embedded NUL within the given length does not smuggle a cookie */
	const char raw[] = "x=1\0y=2; z=3";
	t = tsunagu_http_parse_cookies(raw, sizeof(raw) - 1);
	g_assert_null(g_hash_table_lookup(t, "x"));
	g_assert_cmpstr(g_hash_table_lookup(t, "z"), ==, "3");
	g_hash_table_unref(t);
}

static void test_query(void)
{
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	tsunagu_http_parse_query_fragment(t, "since=42", 8);
	tsunagu_http_parse_query_fragment(t, "flag", 4);
	tsunagu_http_parse_query_fragment(t, "since=7", 7);
	tsunagu_http_parse_query_fragment(t, "=x", 2);
	tsunagu_http_parse_query_fragment(t, "a=b=c", 5);
	g_assert_cmpstr(g_hash_table_lookup(t, "since"), ==, "42");
	g_assert_cmpstr(g_hash_table_lookup(t, "flag"), ==, "");
	g_assert_cmpstr(g_hash_table_lookup(t, "a"), ==, "b=c");
	g_assert_cmpuint(g_hash_table_size(t), ==, 3);
	g_hash_table_remove_all(t);

	const char *q = "state=open&assignee=me&text=a%20b+c&amp%26=%E3%81%82";
	g_assert_cmpint(tsunagu_http_parse_query_string(t, q, strlen(q)), ==, 0);
	g_assert_cmpstr(g_hash_table_lookup(t, "state"), ==, "open");
	g_assert_cmpstr(g_hash_table_lookup(t, "text"), ==, "a b c");
	g_assert_cmpstr(g_hash_table_lookup(t, "amp&"), ==, "あ");
	g_hash_table_remove_all(t);
	g_assert_cmpint(tsunagu_http_parse_query_string(t, "a=%2", 4), ==, -EINVAL);
	g_assert_cmpint(tsunagu_http_parse_query_string(t, "a=%00", 5), ==, -EINVAL);
	g_assert_cmpint(tsunagu_http_parse_query_string(t, "a=%zz", 5), ==, -EINVAL);
	g_hash_table_unref(t);
}

static void test_percent(void)
{
	char *out = NULL;
	g_assert_cmpint(tsunagu_http_percent_decode("a%2Fb+c", 7, false, &out), ==, 0);
	g_assert_cmpstr(out, ==, "a/b+c");
	g_free(out);
	g_assert_cmpint(tsunagu_http_percent_decode("%", 1, false, &out), ==, -EINVAL);
	g_assert_null(out);
	g_assert_cmpint(tsunagu_http_percent_decode("%4", 2, false, &out), ==, -EINVAL);
	g_assert_cmpint(tsunagu_http_percent_decode("%41", 2, false, &out), ==, -EINVAL);
	g_assert_cmpint(tsunagu_http_percent_decode("%41", 3, false, &out), ==, 0);
	g_assert_cmpstr(out, ==, "A");
	g_free(out);
}

static void test_int64(void)
{
	int64_t v = 0;
	g_assert_cmpint(tsunagu_http_parse_int64("0", &v), ==, 0);
	g_assert_cmpint(v, ==, 0);
	g_assert_cmpint(tsunagu_http_parse_int64("-17", &v), ==, 0);
	g_assert_cmpint(v, ==, -17);
	g_assert_cmpint(tsunagu_http_parse_int64("9223372036854775807", &v), ==, 0);
	g_assert_cmpint(v, ==, INT64_MAX);
	g_assert_cmpint(tsunagu_http_parse_int64("-9223372036854775808", &v), ==, 0);
	g_assert_cmpint(v, ==, INT64_MIN);
	const char *bad[] = { "", "-", "+1", " 1", "1 ", "1x", "9223372036854775808",
			      "-9223372036854775809", "0x10", NULL };
	for (int i = 0; bad[i]; i++)
		g_assert_cmpint(tsunagu_http_parse_int64(bad[i], &v), ==, -EINVAL);
}

static void test_listen(void)
{
	char *host = NULL;
	int port = -1;
	bool v6 = true;
	g_assert_cmpint(tsunagu_http_parse_listen("127.0.0.1:8080", &host, &port, &v6), ==, 0);
	g_assert_cmpstr(host, ==, "127.0.0.1");
	g_assert_cmpint(port, ==, 8080);
	g_assert_false(v6);
	g_free(host);
	g_assert_cmpint(tsunagu_http_parse_listen("[::1]:0", &host, &port, &v6), ==, 0);
	g_assert_cmpstr(host, ==, "::1");
	g_assert_cmpint(port, ==, 0);
	g_assert_true(v6);
	g_free(host);
	const char *bad[] = { "", "127.0.0.1", "::1:80", "[::1]80", "[]:80", "h:65536",
			      "h:-1", "h:", ":80", "a b:80", "[::1:80", NULL };
	for (int i = 0; bad[i]; i++)
		g_assert_cmpint(tsunagu_http_parse_listen(bad[i], &host, &port, &v6), ==, -EINVAL);
}

static void test_pattern(void)
{
	GPtrArray *p = g_ptr_array_new_with_free_func(g_free);
	g_assert_true(tsunagu_http_match_pattern("/api/v1/conversations/*/messages",
						 "/api/v1/conversations/abc-1/messages", p));
	g_assert_cmpuint(p->len, ==, 1);
	g_assert_cmpstr(p->pdata[0], ==, "abc-1");
	g_ptr_array_set_size(p, 0);
	g_assert_true(tsunagu_http_match_pattern("/a/*", "/a/x", p));
	g_assert_cmpstr(p->pdata[0], ==, "x");
	g_ptr_array_set_size(p, 0);
	/* no match leaves params as it was */
	g_assert_false(tsunagu_http_match_pattern("/a/*/b", "/a/x/c", p));
	g_assert_cmpuint(p->len, ==, 0);
	g_assert_false(tsunagu_http_match_pattern("/a/*", "/a/", p));
	g_assert_false(tsunagu_http_match_pattern("/a/*", "/a/x/y", p));
	g_assert_false(tsunagu_http_match_pattern("/a", "/a/", p));
	g_assert_false(tsunagu_http_match_pattern("/a/*/b", "/a//b", p));
	g_assert_true(tsunagu_http_match_pattern("/a", "/a", NULL));
	g_assert_cmpuint(p->len, ==, 0);
	g_ptr_array_unref(p);
}

static void test_origin(void)
{
	g_assert_true(tsunagu_http_origin_matches("http://127.0.0.1:8080", "127.0.0.1:8080"));
	g_assert_true(tsunagu_http_origin_matches("https://Inbox.Example:443", "inbox.example:443"));
	g_assert_false(tsunagu_http_origin_matches("http://evil.example", "127.0.0.1:8080"));
	g_assert_false(tsunagu_http_origin_matches("http://127.0.0.1:8081", "127.0.0.1:8080"));
	g_assert_false(tsunagu_http_origin_matches("http://127.0.0.1:8080.evil", "127.0.0.1:8080"));
	g_assert_false(tsunagu_http_origin_matches("null", "127.0.0.1:8080"));
	g_assert_false(tsunagu_http_origin_matches("http://127.0.0.1:8080/x", "127.0.0.1:8080"));
	g_assert_false(tsunagu_http_origin_matches("http://127.0.0.1:8080", NULL));
	g_assert_false(tsunagu_http_origin_matches("://127.0.0.1:8080", "127.0.0.1:8080"));
}

static void test_media_type(void)
{
	char *m = tsunagu_http_media_type(" Application/JSON ; charset=utf-8");
	g_assert_cmpstr(m, ==, "application/json");
	g_free(m);
	g_assert_null(tsunagu_http_media_type(NULL));
	g_assert_null(tsunagu_http_media_type(" ;x"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/http/parse/cookies", test_cookies);
	g_test_add_func("/http/parse/query", test_query);
	g_test_add_func("/http/parse/percent", test_percent);
	g_test_add_func("/http/parse/int64", test_int64);
	g_test_add_func("/http/parse/listen", test_listen);
	g_test_add_func("/http/parse/pattern", test_pattern);
	g_test_add_func("/http/parse/origin", test_origin);
	g_test_add_func("/http/parse/media-type", test_media_type);
	return g_test_run();
}
