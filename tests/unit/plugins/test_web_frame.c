/* The web plugin's parsers of outside input: visitor frames, tokens and
 * identity hashes, User-Agent and URL parameters, origins, the settings an
 * admin sends, and the rate limiter. */
#include <errno.h>
#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "web_frame.h"
#include "web_info.h"
#include "web_ratelimit.h"
#include "web_settings.h"
#include "web_token.h"

static int parse(const char *s, size_t max_text, web_frame *f, const char **code)
{
	const char *why = NULL;
	int rc = web_frame_parse(s, strlen(s), max_text, f, code, &why);
	if (rc)
		g_assert_nonnull(why);
	return rc;
}

static void expect_refused(const char *s, const char *want_code)
{
	web_frame f;
	const char *code = NULL;
	g_test_message("frame: %.80s", s);
	g_assert_cmpint(parse(s, 100, &f, &code), ==, -EINVAL);
	g_assert_cmpstr(code, ==, want_code);
	g_assert_null(f.root);
}

static void test_frame_hello(void)
{
	web_frame f;
	const char *code;
	g_assert_cmpint(parse("{\"type\":\"hello\",\"channel\":\"default\",\"token\":\"t\","
			      "\"user\":{\"id\":\"u1\",\"hash\":\"ab\"},\"last_id\":42,"
			      "\"conversation\":\"c9\",\"page\":{\"url\":\"https://x/?a=1\","
			      "\"referrer\":\"r\",\"language\":\"ja\"}}",
			      100, &f, &code),
			==, 0);
	g_assert_cmpint(f.type, ==, WEB_FRAME_HELLO);
	g_assert_cmpstr(f.channel, ==, "default");
	g_assert_cmpstr(f.token, ==, "t");
	g_assert_cmpstr(f.user_id, ==, "u1");
	g_assert_cmpstr(f.user_hash, ==, "ab");
	g_assert_cmpint(f.last_id, ==, 42);
	g_assert_cmpstr(f.conversation, ==, "c9");
	g_assert_cmpstr(f.page_url, ==, "https://x/?a=1");
	g_assert_cmpstr(f.language, ==, "ja");
	web_frame_clear(&f);
	g_assert_cmpint(parse("{\"type\":\"hello\",\"channel\":\"k\",\"token\":null}", 100, &f, &code), ==, 0);
	g_assert_null(f.token);
	g_assert_cmpint(f.last_id, ==, 0);
	web_frame_clear(&f);

	expect_refused("{\"type\":\"hello\"}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"hello\",\"channel\":\"\"}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"hello\",\"channel\":5}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"hello\",\"channel\":\"k\",\"last_id\":-1}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"hello\",\"channel\":\"k\",\"last_id\":\"3\"}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"hello\",\"channel\":\"k\",\"user\":{\"id\":\"u\"}}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"hello\",\"channel\":\"k\",\"user\":{\"id\":\"a b\",\"hash\":\"x\"}}",
		       WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"hello\",\"channel\":\"k\",\"page\":[]}", WEB_ERR_BAD_FRAME);
	char *long_url = g_strdup_printf("{\"type\":\"hello\",\"channel\":\"k\",\"page\":{\"url\":\"%0*d\"}}",
					 WEB_FRAME_URL_MAX + 1, 0);
	expect_refused(long_url, WEB_ERR_BAD_FRAME);
	g_free(long_url);
}

static void test_frame_send(void)
{
	web_frame f;
	const char *code;
	g_assert_cmpint(parse("{\"type\":\"send\",\"id\":\"c1\",\"text\":\"\\u3053\\u3093\\nok\"}", 100,
			      &f, &code), ==, 0);
	g_assert_cmpint(f.type, ==, WEB_FRAME_SEND);
	g_assert_cmpstr(f.id, ==, "c1");
	g_assert_cmpstr(f.text, ==, "こん\nok");
	web_frame_clear(&f);

	/* exactly max_text bytes passes, one more is too large */
	char *ok = g_strdup_printf("{\"type\":\"send\",\"id\":\"c\",\"text\":\"%0*d\"}", 100, 0);
	g_assert_cmpint(parse(ok, 100, &f, &code), ==, 0);
	web_frame_clear(&f);
	char *big = g_strdup_printf("{\"type\":\"send\",\"id\":\"big\",\"text\":\"%0*d\"}", 101, 0);
	g_assert_cmpint(parse(big, 100, &f, &code), ==, -EINVAL);
	g_assert_cmpstr(code, ==, WEB_ERR_TOO_LARGE);
	g_assert_cmpstr(f.error_id, ==, "big");
	g_free(ok);
	g_free(big);

	expect_refused("{\"type\":\"send\",\"text\":\"no id\"}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"send\",\"id\":\"\",\"text\":\"x\"}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"send\",\"id\":\"c\"}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"send\",\"id\":\"c\",\"text\":\"\"}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"send\",\"id\":\"c\",\"text\":\" \\n\\t \"}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"send\",\"id\":\"c\",\"text\":\"a\\u0000b\"}", WEB_ERR_BAD_JSON);
	expect_refused("{\"type\":\"send\",\"id\":\"c\",\"text\":\"bell\\u0007\"}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"send\",\"id\":\"c\",\"text\":7}", WEB_ERR_BAD_FRAME);
}

static void test_frame_malformed(void)
{
	expect_refused("", WEB_ERR_BAD_JSON);
	expect_refused("{", WEB_ERR_BAD_JSON);
	expect_refused("{\"type\":\"ping\"} trailing", WEB_ERR_BAD_JSON);
	expect_refused("{\"type\":\"ping\",\"type\":\"ping\"}", WEB_ERR_BAD_JSON);
	expect_refused("\"\xff\xfe\"", WEB_ERR_BAD_JSON);
	expect_refused("[]", WEB_ERR_BAD_FRAME);
	expect_refused("{}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"launch\"}", WEB_ERR_BAD_FRAME);
	/* the frame as a whole is bounded before it is parsed */
	GString *s = g_string_new("{\"type\":\"ping\",\"pad\":\"");
	for (int i = 0; i < 100 + WEB_FRAME_OVERHEAD; i++)
		g_string_append_c(s, 'x');
	g_string_append(s, "\"}");
	expect_refused(s->str, WEB_ERR_TOO_LARGE);
	g_string_free(s, TRUE);
	/* deep nesting is refused, not a stack overflow */
	GString *deep = g_string_new("{\"type\":\"ping\",\"x\":");
	for (int i = 0; i < 5000; i++)
		g_string_append_c(deep, '[');
	web_frame f;
	const char *code, *why;
	g_assert_cmpint(web_frame_parse(deep->str, deep->len, 1 << 20, &f, &code, &why), ==, -EINVAL);
	g_string_free(deep, TRUE);
}

static void test_frame_attributes(void)
{
	web_frame f;
	const char *code;
	g_assert_cmpint(parse("{\"type\":\"attributes\",\"attributes\":{\"email\":\"a@b.jp\",\"plan\":null}}",
			      100, &f, &code), ==, 0);
	g_assert_cmpint(json_object_size(f.attributes), ==, 2);
	g_assert_null(f.id);
	web_frame_clear(&f);
	expect_refused("{\"type\":\"attributes\",\"attributes\":{}}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"attributes\",\"attributes\":{\"n\":1}}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"attributes\",\"attributes\":{\"\":\"x\"}}", WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"attributes\",\"attributes\":[]}", WEB_ERR_BAD_FRAME);
	GString *many = g_string_new("{\"type\":\"attributes\",\"attributes\":{");
	for (int i = 0; i <= WEB_FRAME_ATTRS_MAX; i++)
		g_string_append_printf(many, "%s\"k%d\":\"v\"", i ? "," : "", i);
	g_string_append(many, "}}");
	expect_refused(many->str, WEB_ERR_BAD_FRAME);
	g_string_free(many, TRUE);
}

static void test_token(void)
{
	unsigned char secret[WEB_TOKEN_SECRET_LEN], other[WEB_TOKEN_SECRET_LEN];
	char token[WEB_TOKEN_LEN + 1], token2[WEB_TOKEN_LEN + 1], sender[WEB_SENDER_MAX + 1];
	randombytes_buf(secret, sizeof secret);
	randombytes_buf(other, sizeof other);
	web_token_mint(secret, token);
	web_token_mint(secret, token2);
	g_assert_cmpuint(strlen(token), ==, WEB_TOKEN_LEN);
	g_assert_cmpstr(token, !=, token2);
	g_assert_true(web_token_verify(secret, token, sender, sizeof sender));
	g_assert_true(g_str_has_prefix(sender, "v:"));
	g_assert_cmpuint(strlen(sender), ==, 34);
	g_assert_true(strncmp(sender + 2, token, 32) == 0);
	g_assert_false(web_token_verify(other, token, sender, sizeof sender));
	for (size_t i = 0; i < WEB_TOKEN_LEN; i++) { /* every single-digit change is caught */
		char t[WEB_TOKEN_LEN + 1];
		memcpy(t, token, sizeof t);
		t[i] = t[i] == '0' ? '1' : '0';
		g_assert_false(web_token_verify(secret, t, sender, sizeof sender));
	}
	char upper[WEB_TOKEN_LEN + 1];
	for (size_t i = 0; i <= WEB_TOKEN_LEN; i++)
		upper[i] = g_ascii_toupper(token[i]);
	g_assert_false(web_token_verify(secret, upper, sender, sizeof sender));
	g_assert_false(web_token_verify(secret, "", sender, sizeof sender));
	g_assert_false(web_token_verify(secret, NULL, sender, sizeof sender));
	g_assert_false(web_token_verify(secret, token, sender, 10));

	unsigned char back[WEB_TOKEN_SECRET_LEN];
	g_assert_true(web_secret_from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", back));
	g_assert_cmpint(back[1], ==, 0x11);
	g_assert_false(web_secret_from_hex("0011", back));
	g_assert_false(web_secret_from_hex("zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", back));
}

static void test_identity(void)
{
	/* RFC 4231 test case 2: key "Jefe", "what do ya want for nothing?" */
	char sig[65];
	web_identity_sign("Jefe", "what do ya want for nothing?", sig);
	g_assert_cmpstr(sig, ==, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	g_assert_true(web_identity_verify("Jefe", "what do ya want for nothing?", sig));
	g_assert_true(web_identity_verify("Jefe", "what do ya want for nothing?",
					  "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843"));
	g_assert_false(web_identity_verify("Jefe", "what do ya want for nothing!", sig));
	g_assert_false(web_identity_verify("", "what do ya want for nothing?", sig));
	g_assert_false(web_identity_verify("Jefe", "what do ya want for nothing?", "5bdc"));
	g_assert_false(web_identity_verify("Jefe", "what do ya want for nothing?", NULL));
	sig[0] = 'g';
	g_assert_false(web_identity_verify("Jefe", "what do ya want for nothing?", sig));
}

static void test_user_agent(void)
{
	static const struct {
		const char *ua, *browser, *os;
	} cases[] = {
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Edge", "Windows"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome", "Windows"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari", "macOS"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari", "iOS"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1", "Chrome", "iOS"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36", "Chrome", "Android"},
		{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0 Mobile Safari/537.36", "Samsung Internet", "Android"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox", "Linux"},
		{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36", "Chrome", "ChromeOS"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 OPR/111.0", "Opera", "Windows"},
		{"Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko", "Internet Explorer", "Windows"},
		{"curl/8.5.0", "other", "other"},
		{"", "other", "other"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *b, *o;
		web_ua_parse(cases[i].ua, &b, &o);
		g_assert_cmpstr(b, ==, cases[i].browser);
		g_assert_cmpstr(o, ==, cases[i].os);
	}
	const char *b, *o;
	web_ua_parse(NULL, &b, &o);
	g_assert_cmpstr(b, ==, "other");
}

static void check_param(const char *url, const char *name, const char *want)
{
	char *got = web_url_param(url, name);
	g_assert_cmpstr(got, ==, want);
	g_free(got);
}

static void test_url_param(void)
{
	check_param("https://x.jp/a?utm_source=news&utm_campaign=spring+sale#top", "utm_campaign",
		    "spring sale");
	check_param("https://x.jp/a?utm_source=news&utm_campaign=spring+sale#top", "utm_source", "news");
	check_param("https://x.jp/a?q=%E3%81%82&x=1", "q", "あ");
	check_param("https://x.jp/a?utm_source=a&utm_source=b", "utm_source", "a");
	check_param("https://x.jp/a?xutm_source=a", "utm_source", NULL);
	check_param("https://x.jp/a#?utm_source=a", "utm_source", NULL);
	check_param("https://x.jp/a?utm_source=", "utm_source", "");
	check_param("https://x.jp/a?utm_source", "utm_source", NULL);
	check_param("https://x.jp/a?utm_source=%00", "utm_source", NULL);
	check_param("https://x.jp/a?utm_source=%ff", "utm_source", NULL);
	check_param("https://x.jp/a?utm_source=%4", "utm_source", "%4");
	check_param(NULL, "utm_source", NULL);
	GString *u = g_string_new("https://x.jp/?utm_source=");
	for (int i = 0; i < 300; i++)
		g_string_append_c(u, 'a');
	check_param(u->str, "utm_source", NULL);
	g_string_free(u, TRUE);
}

static void test_visitor_json(void)
{
	char *j = web_visitor_json("https://x.jp/?utm_source=news&utm_medium=mail", "https://r.jp/",
				   "ja-JP", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
				   "127.0.0.1", NULL);
	json_t *o = json_loads(j, 0, NULL);
	g_assert_nonnull(o);
	g_assert_cmpstr(json_string_value(json_object_get(o, "browser")), ==, "Firefox");
	g_assert_cmpstr(json_string_value(json_object_get(o, "os")), ==, "Linux");
	g_assert_cmpstr(json_string_value(json_object_get(o, "language")), ==, "ja-JP");
	g_assert_cmpstr(json_string_value(json_object_get(o, "ip")), ==, "127.0.0.1");
	json_t *utm = json_object_get(o, "utm");
	g_assert_cmpstr(json_string_value(json_object_get(utm, "source")), ==, "news");
	g_assert_cmpstr(json_string_value(json_object_get(utm, "medium")), ==, "mail");
	g_assert_null(json_object_get(utm, "campaign"));
	json_decref(o);
	g_free(j);
	j = web_visitor_json(NULL, NULL, NULL, NULL, NULL, NULL);
	g_assert_cmpstr(j, ==, "{\"browser\":\"other\",\"os\":\"other\"}");
	g_free(j);
}

/* Departments (RT-2 "department chosen by the visitor"): an admin's list,
 * a name in hello or send, and the visitor JSON the route rules read. */
static void test_departments(void)
{
	web_settings_config cfg = { .color_primary = "#2563eb", .color_text = "#fff",
				    .greeting_ja = "", .greeting_en = "", .show_on = "",
				    .hide_on = "", .allowed_origins = "", .channel_key = "default",
				    .identity_secret = "" };
	const char *why = NULL, *code = NULL;
	json_t *d = web_settings_defaults(&cfg, &why);
	g_assert_nonnull(d);
	g_assert_cmpuint(json_array_size(json_object_get(d, "departments")), ==, 0);
	g_assert_false(web_settings_department(d, "sales"));

	const char *bad[] = {
		"{\"departments\":{}}",
		"{\"departments\":[{\"name\":\"Sales\",\"label_ja\":\"営業\",\"label_en\":\"Sales\"}]}",
		"{\"departments\":[{\"name\":\"sales\",\"label_ja\":\"営業\"}]}",
		"{\"departments\":[{\"name\":\"sales\",\"label_ja\":\"\",\"label_en\":\"S\"}]}",
		"{\"departments\":[{\"name\":\"sales\",\"label_ja\":\"a\\nb\",\"label_en\":\"S\"}]}",
		"{\"departments\":[{\"name\":\"a\",\"label_ja\":\"A\",\"label_en\":\"A\"},"
		"{\"name\":\"a\",\"label_ja\":\"B\",\"label_en\":\"B\"}]}",
		"{\"departments\":[{\"name\":\"a\",\"label_ja\":\"A\",\"label_en\":\"A\",\"x\":1}]}",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		json_t *p = json_loads(bad[i], 0, NULL);
		g_assert_nonnull(p);
		g_assert_cmpint(web_settings_check(p, &why), ==, -EINVAL);
		g_assert_nonnull(strstr(why, "departments"));
		json_decref(p);
	}
	json_t *patch = json_loads("{\"departments\":[{\"name\":\"sales\",\"label_ja\":\"営業\","
				   "\"label_en\":\"Sales\"},{\"name\":\"support-2\","
				   "\"label_ja\":\"サポート\",\"label_en\":\"Support\"}]}", 0, NULL);
	g_assert_cmpint(web_settings_check(patch, &why), ==, 0);
	json_t *eff = web_settings_effective(d, patch);
	g_assert_true(web_settings_department(eff, "support-2"));
	g_assert_false(web_settings_department(eff, "billing"));
	json_t *pub = web_settings_public(eff);
	g_assert_cmpuint(json_array_size(json_object_get(pub, "departments")), ==, 2);
	json_decref(pub);

	/* frames: a name of a-z 0-9 _ -, in hello and in send */
	web_frame f;
	g_assert_cmpint(parse("{\"type\":\"hello\",\"channel\":\"default\",\"department\":\"sales\"}",
			      100, &f, &code), ==, 0);
	g_assert_cmpstr(f.department, ==, "sales");
	web_frame_clear(&f);
	g_assert_cmpint(parse("{\"type\":\"send\",\"id\":\"m1\",\"text\":\"hi\",\"department\":\"support-2\"}",
			      100, &f, &code), ==, 0);
	g_assert_cmpstr(f.department, ==, "support-2");
	web_frame_clear(&f);
	expect_refused("{\"type\":\"send\",\"id\":\"m1\",\"text\":\"hi\",\"department\":\"<b>\"}",
		       WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"hello\",\"channel\":\"default\",\"department\":7}",
		       WEB_ERR_BAD_FRAME);
	expect_refused("{\"type\":\"hello\",\"channel\":\"default\",\"department\":"
		       "\"abcdefghijabcdefghijabcdefghijabc\"}", WEB_ERR_BAD_FRAME);

	/* the visitor JSON carries it; setting it again replaces it */
	char *j = web_visitor_json("https://x.jp/", NULL, NULL, NULL, NULL, "sales");
	json_t *o = json_loads(j, 0, NULL);
	g_assert_cmpstr(json_string_value(json_object_get(o, "department")), ==, "sales");
	json_decref(o);
	char *j2 = web_visitor_json_department(j, "support-2");
	o = json_loads(j2, 0, NULL);
	g_assert_cmpstr(json_string_value(json_object_get(o, "department")), ==, "support-2");
	g_assert_cmpstr(json_string_value(json_object_get(o, "page_url")), ==, "https://x.jp/");
	json_decref(o);
	g_assert_null(web_visitor_json_department("[1]", "sales"));
	g_free(j);
	g_free(j2);
	json_decref(eff);
	json_decref(patch);
	json_decref(d);
}

static void test_origin(void)
{
	const char *const list[] = {"https://shop.example.jp", "http://localhost:3000", NULL};
	const char *const any[] = {"*", NULL};
	g_assert_true(web_origin_allowed(NULL, "tsunagu.example:8080", list));
	g_assert_true(web_origin_allowed("http://tsunagu.example:8080", "tsunagu.example:8080", list));
	g_assert_true(web_origin_allowed("https://SHOP.example.jp", "h", list));
	g_assert_true(web_origin_allowed("http://localhost:3000", "h", list));
	g_assert_false(web_origin_allowed("http://localhost:3001", "h", list));
	g_assert_false(web_origin_allowed("https://shop.example.jp.evil.net", "h", list));
	g_assert_false(web_origin_allowed("http://tsunagu.example:8081", "tsunagu.example:8080", list));
	g_assert_false(web_origin_allowed("null", "h", list));
	g_assert_false(web_origin_allowed("http://x", "h", NULL));
	g_assert_true(web_origin_allowed("http://anything.example", "h", any));
	g_assert_true(web_origin_valid("*"));
	g_assert_true(web_origin_valid("https://a.example:8443"));
	g_assert_true(web_origin_valid("http://[::1]:8080"));
	g_assert_false(web_origin_valid("https://a.example/path"));
	g_assert_false(web_origin_valid("ftp://a.example"));
	g_assert_false(web_origin_valid("https://"));
	g_assert_false(web_origin_valid("a.example"));
}

static void test_settings(void)
{
	web_settings_config cfg = {
		.color_primary = "#2563eb", .color_text = "#fff", .greeting_ja = "こんにちは",
		.greeting_en = "Hello", .show_on = " https://a.jp/* , ,https://b.jp/*", .hide_on = "",
		.allowed_origins = "https://a.jp", .channel_key = "default", .identity_secret = "",
	};
	const char *why = NULL;
	json_t *d = web_settings_defaults(&cfg, &why);
	g_assert_nonnull(d);
	g_assert_cmpuint(json_array_size(json_object_get(d, "show_on")), ==, 2);
	g_assert_cmpstr(json_string_value(json_array_get(json_object_get(d, "show_on"), 0)), ==,
			"https://a.jp/*");

	json_t *patch = json_loads("{\"color_primary\":\"#000\",\"greeting_en\":\"Hi\\nthere\","
				   "\"identity_secret\":\"0123456789abcdef\"}", 0, NULL);
	g_assert_cmpint(web_settings_check(patch, &why), ==, 0);
	json_t *ov = web_settings_override_merge(NULL, patch);
	json_t *eff = web_settings_effective(d, ov);
	g_assert_cmpstr(json_string_value(json_object_get(eff, "color_primary")), ==, "#000");
	g_assert_cmpstr(json_string_value(json_object_get(eff, "greeting_ja")), ==, "こんにちは");
	json_t *pub = web_settings_public(eff);
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(pub, "greeting"), "en")), ==,
			"Hi\nthere");
	g_assert_null(json_object_get(pub, "identity_secret"));
	g_assert_null(json_object_get(pub, "allowed_origins"));
	json_t *adm = web_settings_admin_view(eff);
	g_assert_null(json_object_get(adm, "identity_secret"));
	g_assert_true(json_is_true(json_object_get(adm, "identity_secret_set")));
	char **origins = web_settings_origins(eff);
	g_assert_cmpstr(origins[0], ==, "https://a.jp");
	g_assert_null(origins[1]);
	g_strfreev(origins);

	json_t *reset = json_loads("{\"color_primary\":null}", 0, NULL);
	json_t *ov2 = web_settings_override_merge(ov, reset);
	g_assert_null(json_object_get(ov2, "color_primary"));
	g_assert_nonnull(json_object_get(ov, "color_primary")); /* the old one untouched */
	char *text = json_dumps(ov2, 0);
	json_t *parsed = web_settings_override_parse(text);
	g_assert_nonnull(parsed);
	g_assert_null(web_settings_override_parse("{\"color_primary\":\"blue\"}"));
	g_assert_null(web_settings_override_parse("not json"));
	g_assert_null(web_settings_override_parse(NULL));
	free(text);

	static const char *const bad[] = {
		"{\"color_primary\":\"#12345\"}", "{\"color_text\":\"red\"}", "{\"channel_key\":\"\"}",
		"{\"channel_key\":\"a/b\"}", "{\"show_on\":\"x\"}", "{\"show_on\":[1]}",
		"{\"hide_on\":[\"\"]}", "{\"allowed_origins\":[\"https://a.jp/x\"]}",
		"{\"identity_secret\":\"short\"}", "{\"identity_secret\":\"has space in it 123\"}",
		"{\"greeting_en\":\"bell\\u0007\"}", "{\"nope\":1}", "[]",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		json_t *p = json_loads(bad[i], 0, NULL);
		g_assert_nonnull(p);
		why = NULL;
		g_assert_cmpint(web_settings_check(p, &why), ==, -EINVAL);
		g_assert_nonnull(why);
		json_decref(p);
	}
	web_settings_config badcfg = cfg;
	badcfg.color_primary = "blue";
	g_assert_null(web_settings_defaults(&badcfg, &why));
	badcfg = cfg;
	badcfg.allowed_origins = "https://a.jp, nonsense";
	g_assert_null(web_settings_defaults(&badcfg, &why));

	json_decref(parsed);
	json_decref(reset);
	json_decref(ov2);
	json_decref(adm);
	json_decref(pub);
	json_decref(eff);
	json_decref(ov);
	json_decref(patch);
	json_decref(d);
}

static void test_ratelimit(void)
{
	web_ratelimit *rl = web_ratelimit_new(3, 1000, 4);
	int64_t retry = 0;
	g_assert_true(web_ratelimit_hit(rl, "a", 0, NULL));
	g_assert_true(web_ratelimit_hit(rl, "a", 100, NULL));
	g_assert_true(web_ratelimit_hit(rl, "a", 200, NULL));
	g_assert_false(web_ratelimit_hit(rl, "a", 300, &retry));
	g_assert_cmpint(retry, ==, 700);
	g_assert_true(web_ratelimit_hit(rl, "b", 300, NULL)); /* others are not affected */
	g_assert_false(web_ratelimit_hit(rl, "a", 999, NULL));
	g_assert_true(web_ratelimit_hit(rl, "a", 1000, NULL)); /* the first hit left the window */
	g_assert_false(web_ratelimit_hit(rl, "a", 1050, NULL));
	g_assert_true(web_ratelimit_hit(rl, "a", 1100, NULL));
	web_ratelimit_prune(rl, 1350);
	g_assert_cmpuint(web_ratelimit_size(rl), ==, 1); /* b idle for a window */
	for (int i = 0; i < 10; i++) {
		char k[8];
		g_snprintf(k, sizeof k, "k%d", i);
		web_ratelimit_hit(rl, k, 2000 + i, NULL);
		g_assert_cmpuint(web_ratelimit_size(rl), <=, 4);
	}
	web_ratelimit_free(rl);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(sodium_init(), >=, 0);
	g_test_add_func("/plugins/web/frame/hello", test_frame_hello);
	g_test_add_func("/plugins/web/frame/send", test_frame_send);
	g_test_add_func("/plugins/web/frame/malformed", test_frame_malformed);
	g_test_add_func("/plugins/web/frame/attributes", test_frame_attributes);
	g_test_add_func("/plugins/web/token", test_token);
	g_test_add_func("/plugins/web/identity", test_identity);
	g_test_add_func("/plugins/web/user-agent", test_user_agent);
	g_test_add_func("/plugins/web/url-param", test_url_param);
	g_test_add_func("/plugins/web/visitor-json", test_visitor_json);
	g_test_add_func("/plugins/web/origin", test_origin);
	g_test_add_func("/plugins/web/departments", test_departments);
	g_test_add_func("/plugins/web/settings", test_settings);
	g_test_add_func("/plugins/web/ratelimit", test_ratelimit);
	return g_test_run();
}
