/* Trunks and extensions, the SIP plugin's admin data
 * (plugins/sip/sip_accounts.c): validation with clear errors, HA1 instead
 * of passwords, keeping a stored HA1, loading and lookups. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sip_accounts.h"
#include "sip_secret.h"

static const unsigned char test_key[SIP_SECRET_KEY_BYTES] = {7, 7, 7};

static json_t *check(bool trunks, const char *body, json_t *prev, char **why)
{
	json_t *in = json_loads(body, 0, NULL);
	g_assert_nonnull(in);
	json_t *out = trunks ? sip_accounts_check_trunks(in, prev, "tsunagu", test_key, why)
			     : sip_accounts_check_extensions(in, prev, "tsunagu", why);
	json_decref(in);
	return out;
}

static void expect_error(bool trunks, const char *body, const char *msg)
{
	char *why = NULL;
	g_test_message("%s", body);
	json_t *out = check(trunks, body, NULL, &why);
	g_assert_null(out);
	g_assert_nonnull(why);
	if (!strstr(why, msg))
		g_error("\"%s\" does not say \"%s\"", why, msg);
	g_free(why);
}

static void test_accounts_extensions(void)
{
	char *why = NULL, ha1[33];
	json_t *st = check(false, "[{\"user\":\"201\",\"staff\":\"sato\",\"password\":\"pw\"}]",
			   NULL, &why);
	g_assert_nonnull(st);
	g_assert_null(why);
	sip_accounts_ha1("201", "tsunagu", "pw", ha1);
	/* md5("201:tsunagu:pw") */
	char *want = g_compute_checksum_for_string(G_CHECKSUM_MD5, "201:tsunagu:pw", -1);
	g_assert_cmpstr(ha1, ==, want);
	g_free(want);
	g_assert_cmpstr(json_string_value(json_object_get(json_array_get(st, 0), "ha1")), ==, ha1);
	g_assert_null(json_object_get(json_array_get(st, 0), "password"));

	/* without a password: keeps the stored HA1 */
	json_t *again = check(false, "[{\"user\":\"201\",\"staff\":\"suzuki\"}]", st, &why);
	g_assert_nonnull(again);
	g_assert_cmpstr(json_string_value(json_object_get(json_array_get(again, 0), "ha1")), ==, ha1);

	sip_accounts *a = sip_accounts_new();
	char *text = json_dumps(again, 0);
	g_assert_cmpint(sip_accounts_load_extensions(a, text), ==, 0);
	g_assert_cmpstr(sip_accounts_extension(a, "201")->staff, ==, "suzuki");
	g_assert_null(sip_accounts_extension(a, "202"));
	/* a damaged stored list is refused, the loaded one stays */
	g_assert_cmpint(sip_accounts_load_extensions(a, "[{\"user\":\"x\"}]"), ==, -EINVAL);
	g_assert_cmpint(sip_accounts_load_extensions(a, "not json"), ==, -EINVAL);
	g_assert_nonnull(sip_accounts_extension(a, "201"));

	json_t *view = sip_accounts_view(again);
	g_assert_true(json_is_true(json_object_get(json_array_get(view, 0), "auth")));
	g_assert_null(json_object_get(json_array_get(view, 0), "ha1"));
	json_decref(view);
	free(text);
	sip_accounts_free(a);
	json_decref(st);
	json_decref(again);

	expect_error(false, "{}", "JSON array");
	expect_error(false, "[1]", "not an object");
	expect_error(false, "[{\"user\":\"201\",\"staff\":\"s\"}]", "needs a password");
	expect_error(false, "[{\"user\":\"a b\",\"staff\":\"s\",\"password\":\"p\"}]", "user must");
	expect_error(false, "[{\"user\":\"201\",\"staff\":\"s\",\"password\":\"\"}]", "password");
	expect_error(false, "[{\"user\":\"201\",\"staff\":\"s\",\"password\":\"p\",\"ha1\":\"0\"}]",
		     "unknown key \"ha1\"");
	expect_error(false,
		     "[{\"user\":\"201\",\"staff\":\"s\",\"password\":\"p\"},"
		     "{\"user\":\"201\",\"staff\":\"t\",\"password\":\"q\"}]",
		     "listed twice");
}

/* The indexes a load rebuilds: by user and by staff login (a ring looks
 * up every extension of its operator), never answering from the list
 * before. */
static void test_accounts_extension_indexes(void)
{
	char ha1[33];
	sip_accounts_ha1("x", "r", "p", ha1);
	char *one = g_strdup_printf("[{\"user\":\"201\",\"staff\":\"suzuki\",\"ha1\":\"%s\"},"
				    "{\"user\":\"202\",\"staff\":\"sato\",\"ha1\":\"%s\"},"
				    "{\"user\":\"203\",\"staff\":\"suzuki\",\"ha1\":\"%s\"}]",
				    ha1, ha1, ha1);
	char *two = g_strdup_printf("[{\"user\":\"203\",\"staff\":\"sato\",\"ha1\":\"%s\"},"
				    "{\"user\":\"204\",\"staff\":\"sato\",\"ha1\":\"%s\"}]",
				    ha1, ha1);
	sip_accounts *a = sip_accounts_new();
	g_assert_null(sip_accounts_staff_extensions(a, "suzuki"));
	g_assert_cmpint(sip_accounts_load_extensions(a, one), ==, 0);
	const GPtrArray *s = sip_accounts_staff_extensions(a, "suzuki");
	g_assert_nonnull(s);
	g_assert_cmpuint(s->len, ==, 2);
	g_assert_cmpstr(((sip_extension *)s->pdata[0])->user, ==, "201"); /* list order */
	g_assert_cmpstr(((sip_extension *)s->pdata[1])->user, ==, "203");
	g_assert_cmpuint(sip_accounts_staff_extensions(a, "sato")->len, ==, 1);
	g_assert_null(sip_accounts_staff_extensions(a, "nobody"));
	g_assert_null(sip_accounts_staff_extensions(a, NULL));
	g_assert_null(sip_accounts_extension(a, NULL));
	g_assert_true(sip_accounts_extension(a, "203") == s->pdata[1]);

	/* 201 and 202 deleted, 203 moved to sato, 204 new */
	g_assert_cmpint(sip_accounts_load_extensions(a, two), ==, 0);
	g_assert_null(sip_accounts_staff_extensions(a, "suzuki"));
	g_assert_null(sip_accounts_extension(a, "201"));
	g_assert_null(sip_accounts_extension(a, "202"));
	g_assert_cmpstr(sip_accounts_extension(a, "203")->staff, ==, "sato");
	s = sip_accounts_staff_extensions(a, "sato");
	g_assert_cmpuint(s->len, ==, 2);
	g_assert_cmpstr(((sip_extension *)s->pdata[0])->user, ==, "203");
	g_assert_cmpstr(((sip_extension *)s->pdata[1])->user, ==, "204");
	/* a refused load keeps the indexes of the list in use */
	g_assert_cmpint(sip_accounts_load_extensions(a, "not json"), ==, -EINVAL);
	g_assert_cmpuint(sip_accounts_staff_extensions(a, "sato")->len, ==, 2);
	g_assert_nonnull(sip_accounts_extension(a, "204"));
	sip_accounts_free(a);
	g_free(one);
	g_free(two);
}

/* trunk_by_source remembers its last answer: a new trunk list must not be
 * answered from it. */
static void test_accounts_source_cache(void)
{
	sip_accounts *a = sip_accounts_new();
	g_assert_cmpint(sip_accounts_load_trunks(a, "[{\"name\":\"main\",\"allow\":[\"192.0.2.10\"]}]"),
			==, 0);
	g_assert_cmpstr(sip_accounts_trunk_by_source(a, "192.0.2.10")->name, ==, "main");
	g_assert_cmpstr(sip_accounts_trunk_by_source(a, "192.0.2.10")->name, ==, "main");
	g_assert_null(sip_accounts_trunk_by_source(a, "192.0.2.11"));
	g_assert_null(sip_accounts_trunk_by_source(a, "192.0.2.11"));
	g_assert_cmpint(sip_accounts_load_trunks(a, "[{\"name\":\"other\",\"allow\":[\"192.0.2.11\"]}]"),
			==, 0);
	g_assert_cmpstr(sip_accounts_trunk_by_source(a, "192.0.2.11")->name, ==, "other");
	g_assert_null(sip_accounts_trunk_by_source(a, "192.0.2.10"));
	g_assert_null(sip_accounts_trunk_by_source(a, ""));
	g_assert_null(sip_accounts_trunk_by_source(a, NULL));
	g_assert_cmpint(sip_accounts_load_trunks(a, "[]"), ==, 0);
	g_assert_null(sip_accounts_trunk_by_source(a, "192.0.2.11"));
	sip_accounts_free(a);
}

static void test_accounts_trunks(void)
{
	char *why = NULL;
	json_t *st = check(true,
			   "[{\"name\":\"main\",\"allow\":[\"192.0.2.10\",\"198.51.100.0/24\"],"
			   "\"address\":\"192.0.2.10:5060\",\"outbound\":true},"
			   "{\"name\":\"pbx\",\"username\":\"pbx1\",\"password\":\"pw\"},"
			   "{\"name\":\"v6\",\"allow\":[\"2001:db8::/32\"]}]",
			   NULL, &why);
	g_assert_null(why);
	g_assert_nonnull(st);
	sip_accounts *a = sip_accounts_new();
	char *text = json_dumps(st, 0);
	g_assert_cmpint(sip_accounts_load_trunks(a, text), ==, 0);
	g_assert_cmpstr(sip_accounts_trunk_by_source(a, "192.0.2.10")->name, ==, "main");
	g_assert_cmpstr(sip_accounts_trunk_by_source(a, "198.51.100.77")->name, ==, "main");
	g_assert_cmpstr(sip_accounts_trunk_by_source(a, "2001:db8::9")->name, ==, "v6");
	g_assert_null(sip_accounts_trunk_by_source(a, "192.0.2.11"));
	g_assert_null(sip_accounts_trunk_by_source(a, "not an ip"));
	g_assert_cmpstr(sip_accounts_trunk_by_user(a, "pbx1")->name, ==, "pbx");
	g_assert_null(sip_accounts_trunk_by_user(a, "main"));
	g_assert_cmpstr(sip_accounts_outbound_trunk(a)->address, ==, "192.0.2.10:5060");
	free(text);
	sip_accounts_free(a);
	json_decref(st);

	expect_error(true, "[{\"name\":\"x\"}]", "needs an allow list, a username, or both");
	expect_error(true, "[{\"name\":\"X\",\"allow\":[\"127.0.0.1\"]}]", "name must");
	expect_error(true, "[{\"name\":\"x\",\"allow\":[\"999.0.0.1\"]}]", "allow[0] is not an IP");
	expect_error(true, "[{\"name\":\"x\",\"allow\":\"127.0.0.1\"}]", "allow must be an array");
	expect_error(true, "[{\"name\":\"x\",\"username\":\"u\"}]", "needs a password");
	expect_error(true, "[{\"name\":\"x\",\"allow\":[\"127.0.0.1\"],\"outbound\":true}]",
		     "needs an address");
	expect_error(true, "[{\"name\":\"x\",\"allow\":[\"127.0.0.1\"],\"address\":\"h:0\"}]",
		     "address must be host:port");
	expect_error(true,
		     "[{\"name\":\"x\",\"allow\":[\"127.0.0.1\"]},"
		     "{\"name\":\"x\",\"allow\":[\"127.0.0.2\"]}]",
		     "used twice");
	expect_error(true,
		     "[{\"name\":\"x\",\"username\":\"u\",\"password\":\"p\"},"
		     "{\"name\":\"y\",\"username\":\"u\",\"password\":\"p\"}]",
		     "used twice");
}

/* Outbound credentials: the password sealed, never stored or shown in
 * clear; kept when the list comes back without it; refused without a key. */
static void test_accounts_outbound_auth(void)
{
	char *why = NULL, *plain = NULL;
	const char *body = "[{\"name\":\"carrier\",\"allow\":[\"192.0.2.10\"],"
			   "\"address\":\"192.0.2.10:5060\",\"outbound\":true,"
			   "\"outbound_username\":\"acct-1\",\"outbound_password\":\"s3cret!x\","
			   "\"outbound_realm\":\"carrier.example\"}]";
	json_t *st = check(true, body, NULL, &why);
	g_assert_null(why);
	json_t *t = json_array_get(st, 0);
	const char *sealed = json_string_value(json_object_get(t, "outbound_secret"));
	g_assert_nonnull(sealed);
	g_assert_null(json_object_get(t, "outbound_password"));
	char *text = json_dumps(st, 0);
	g_assert_null(strstr(text, "s3cret"));
	g_assert_cmpint(sip_secret_open(test_key, sealed, &plain), ==, 0);
	g_assert_cmpstr(plain, ==, "s3cret!x");
	sip_secret_free(plain);
	/* another key cannot open it; a damaged one is no sealed form */
	static const unsigned char other[SIP_SECRET_KEY_BYTES] = {8};
	g_assert_cmpint(sip_secret_open(other, sealed, &plain), ==, -EACCES);
	g_assert_cmpint(sip_secret_open(test_key, "not*base64", &plain), ==, -EINVAL);
	g_assert_cmpint(sip_secret_open(test_key, "AAAA", &plain), ==, -EINVAL);

	sip_accounts *a = sip_accounts_new();
	g_assert_cmpint(sip_accounts_load_trunks(a, text), ==, 0);
	const sip_trunk *tr = sip_accounts_outbound_trunk(a);
	g_assert_cmpstr(tr->out_user, ==, "acct-1");
	g_assert_cmpstr(tr->out_realm, ==, "carrier.example");
	g_assert_cmpstr(tr->out_secret, ==, sealed);
	sip_accounts_free(a);

	json_t *view = sip_accounts_view(st);
	json_t *v = json_array_get(view, 0);
	g_assert_true(json_is_true(json_object_get(v, "outbound_auth")));
	g_assert_null(json_object_get(v, "outbound_secret"));
	g_assert_cmpstr(json_string_value(json_object_get(v, "outbound_username")), ==, "acct-1");
	json_decref(view);

	/* sent again without the password: the sealed one stays; another
	 * user name needs its own password */
	json_t *again = check(true,
			      "[{\"name\":\"carrier\",\"allow\":[\"192.0.2.10\"],"
			      "\"outbound_username\":\"acct-1\"}]", st, &why);
	g_assert_nonnull(again);
	g_assert_cmpstr(json_string_value(json_object_get(json_array_get(again, 0),
							  "outbound_secret")), ==, sealed);
	json_decref(again);
	g_assert_null(check(true,
			    "[{\"name\":\"carrier\",\"allow\":[\"192.0.2.10\"],"
			    "\"outbound_username\":\"acct-2\"}]", st, &why));
	g_assert_nonnull(strstr(why, "needs an outbound_password"));
	g_free(why);
	/* no key: a password cannot be taken */
	json_t *in = json_loads(body, 0, NULL);
	g_assert_null(sip_accounts_check_trunks(in, NULL, "tsunagu", NULL, &why));
	g_assert_nonnull(strstr(why, "secret_file"));
	g_free(why);
	json_decref(in);
	free(text);
	json_decref(st);

	expect_error(true, "[{\"name\":\"x\",\"allow\":[\"127.0.0.1\"],\"outbound_password\":\"p\"}]",
		     "need an outbound_username");
	expect_error(true, "[{\"name\":\"x\",\"allow\":[\"127.0.0.1\"],\"outbound_username\":\"a\","
		     "\"outbound_password\":\"p:q\"}]", "without NUL or ':'");
	expect_error(true, "[{\"name\":\"x\",\"allow\":[\"127.0.0.1\"],\"outbound_username\":\"a:b\","
		     "\"outbound_password\":\"p\"}]", "outbound_username must");
	expect_error(true, "[{\"name\":\"x\",\"allow\":[\"127.0.0.1\"],\"outbound_username\":\"a\","
		     "\"outbound_password\":\"p\",\"outbound_realm\":\"a\\\"b\"}]", "outbound_realm must");
	expect_error(true, "[{\"name\":\"x\",\"allow\":[\"127.0.0.1\"],\"outbound_username\":\"a\","
		     "\"outbound_secret\":\"AAAA\"}]", "unknown key \"outbound_secret\"");
}

/* The key file: made 0600 when missing, the same key read back; a key
 * readable by others or of the wrong size is refused. */
static void test_secret_key_file(void)
{
	unsigned char k1[SIP_SECRET_KEY_BYTES], k2[SIP_SECRET_KEY_BYTES];
	char *dir = g_dir_make_tmp("sip-secret-XXXXXX", NULL);
	char *path = g_build_filename(dir, "key", NULL);
	g_assert_cmpint(sip_secret_key_load(path, k1), ==, 0);
	GStatBuf sb;
	g_assert_cmpint(g_stat(path, &sb), ==, 0);
	g_assert_cmpint(sb.st_mode & 0777, ==, 0600);
	g_assert_cmpint(sip_secret_key_load(path, k2), ==, 0);
	g_assert_cmpmem(k1, sizeof k1, k2, sizeof k2);
	g_assert_cmpint(g_chmod(path, 0644), ==, 0);
	g_assert_cmpint(sip_secret_key_load(path, k2), ==, -EPERM);
	g_assert_cmpint(g_chmod(path, 0600), ==, 0);
	g_assert_true(g_file_set_contents(path, "short", -1, NULL));
	g_assert_cmpint(g_chmod(path, 0600), ==, 0);
	g_assert_cmpint(sip_secret_key_load(path, k2), ==, -EINVAL);
	g_assert_cmpint(sip_secret_key_load("", k2), ==, -EINVAL);
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sip/accounts/extensions", test_accounts_extensions);
	g_test_add_func("/sip/accounts/extension_indexes", test_accounts_extension_indexes);
	g_test_add_func("/sip/accounts/trunks", test_accounts_trunks);
	g_test_add_func("/sip/accounts/source_cache", test_accounts_source_cache);
	g_test_add_func("/sip/accounts/outbound_auth", test_accounts_outbound_auth);
	g_test_add_func("/sip/secret/key_file", test_secret_key_file);
	return g_test_run();
}
