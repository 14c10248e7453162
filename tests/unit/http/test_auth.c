/* Passwords (Argon2id), tokens, cookies and the login rate limiter with a
 * controlled clock. */
#include <errno.h>
#include <gio/gio.h>
#include <string.h>

#include "auth.h"

static int64_t fake_now;
static int64_t fake_clock(void)
{
	return fake_now;
}

static void test_password(void)
{
	char *h = NULL;
	g_assert_cmpint(tsunagu_auth_password_hash("correct horse battery", TSUNAGU_ROLE_OPERATOR,
						   &h), ==, 0);
	g_assert_true(g_str_has_prefix(h, "$argon2id$"));
	g_assert_true(tsunagu_auth_password_verify(h, "correct horse battery"));
	g_assert_false(tsunagu_auth_password_verify(h, "correct horse batterY"));
	g_assert_false(tsunagu_auth_password_verify(h, ""));
	g_assert_false(tsunagu_auth_password_verify("not a hash", "x"));
	g_assert_false(tsunagu_auth_password_verify(NULL, "x"));
	/* salted: the same password hashes differently */
	char *h2 = NULL;
	g_assert_cmpint(tsunagu_auth_password_hash("correct horse battery", TSUNAGU_ROLE_ADMIN, &h2),
			==, 0);
	g_assert_cmpstr(h, !=, h2);
	g_assert_true(tsunagu_auth_password_verify(h2, "correct horse battery"));
	g_free(h);
	g_free(h2);
	g_assert_cmpint(tsunagu_auth_password_hash("", TSUNAGU_ROLE_OPERATOR, &h), ==, -EINVAL);
	char *big = g_strnfill(TSUNAGU_PASSWORD_MAX_LEN + 1, 'x');
	g_assert_cmpint(tsunagu_auth_password_hash(big, TSUNAGU_ROLE_OPERATOR, &h), ==, -EINVAL);
	g_free(big);
	/* the dummy hash is a real hash that no guess matches */
	g_assert_true(g_str_has_prefix(tsunagu_auth_dummy_hash(), "$argon2id$"));
	g_assert_false(tsunagu_auth_password_verify(tsunagu_auth_dummy_hash(), ""));
}

typedef struct {
	GMainLoop *loop;
	int results[2];
	int n;
} async_ctx;

static void verified(GObject *src, GAsyncResult *res, gpointer data)
{
	async_ctx *c = data;
	c->results[c->n++] = tsunagu_auth_password_verify_finish(res);
	if (c->n == 2)
		g_main_loop_quit(c->loop);
}

/* Verification happens off the calling thread; the result comes back on
 * the caller's main context. */
static void test_password_async(void)
{
	char *h = NULL;
	async_ctx c = { g_main_loop_new(NULL, FALSE), { -1, -1 }, 0 };
	g_assert_cmpint(tsunagu_auth_password_hash("a long enough pw", TSUNAGU_ROLE_OPERATOR, &h),
			==, 0);
	tsunagu_auth_password_verify_async(h, "a long enough pw", NULL, verified, &c);
	tsunagu_auth_password_verify_async(h, "wrong", NULL, verified, &c);
	g_main_loop_run(c.loop);
	g_assert_cmpint(c.results[0] + c.results[1], ==, 1);
	g_main_loop_unref(c.loop);
	g_free(h);
}

static void test_tokens(void)
{
	char *a = tsunagu_auth_random_token(), *b = tsunagu_auth_random_token();
	g_assert_cmpuint(strlen(a), ==, 64);
	g_assert_true(tsunagu_auth_token_wellformed(a));
	g_assert_cmpstr(a, !=, b);
	char *ha = tsunagu_auth_token_hash(a);
	g_assert_cmpuint(strlen(ha), ==, 64);
	g_assert_cmpstr(ha, !=, a);
	char *ha2 = tsunagu_auth_token_hash(a);
	g_assert_cmpstr(ha, ==, ha2);
	g_assert_false(tsunagu_auth_token_wellformed("abc"));
	g_assert_false(tsunagu_auth_token_wellformed(NULL));
	char *upper = g_ascii_strup(a, -1);
	g_assert_false(tsunagu_auth_token_wellformed(upper));
	g_assert_true(tsunagu_auth_secret_equal(a, a));
	g_assert_false(tsunagu_auth_secret_equal(a, b));
	g_assert_false(tsunagu_auth_secret_equal(a, NULL));
	g_assert_false(tsunagu_auth_secret_equal("", ""));
	g_free(upper);
	g_free(a);
	g_free(b);
	g_free(ha);
	g_free(ha2);
}

static void test_cookie(void)
{
	char *c = tsunagu_auth_session_cookie("tok", 3600, false);
	g_assert_true(g_str_has_prefix(c, "tsunagu_session=tok;"));
	g_assert_nonnull(strstr(c, "; HttpOnly"));
	g_assert_nonnull(strstr(c, "; SameSite=Strict"));
	g_assert_nonnull(strstr(c, "; Path=/"));
	g_assert_nonnull(strstr(c, "Max-Age=3600"));
	g_assert_null(strstr(c, "Secure"));
	g_free(c);
	c = tsunagu_auth_session_cookie(NULL, 3600, true);
	g_assert_true(g_str_has_prefix(c, "tsunagu_session=;"));
	g_assert_nonnull(strstr(c, "Max-Age=0"));
	g_assert_nonnull(strstr(c, "; Secure"));
	g_free(c);
}

static void test_ratelimit(void)
{
	/* 3 failures within 60 s lock for 120 s */
	tsunagu_ratelimit *rl = tsunagu_ratelimit_new(3, 60000, 120000);
	tsunagu_core_set_clock(fake_clock);
	fake_now = 1000LL * G_USEC_PER_SEC;

	g_assert_cmpint(tsunagu_ratelimit_check(rl, "login:a"), ==, 0);
	g_assert_cmpint(tsunagu_ratelimit_fail(rl, "login:a"), ==, 0);
	fake_now += 10 * G_USEC_PER_SEC;
	g_assert_cmpint(tsunagu_ratelimit_fail(rl, "login:a"), ==, 0);
	g_assert_cmpint(tsunagu_ratelimit_check(rl, "login:b"), ==, 0);
	fake_now += 10 * G_USEC_PER_SEC;
	g_assert_cmpint(tsunagu_ratelimit_fail(rl, "login:a"), ==, 120000);
	g_assert_cmpint(tsunagu_ratelimit_check(rl, "login:a"), ==, 120000);
	g_assert_cmpint(tsunagu_ratelimit_check(rl, "login:b"), ==, 0);
	/* still locked near the end, free after it */
	fake_now += 119 * G_USEC_PER_SEC;
	g_assert_cmpint(tsunagu_ratelimit_check(rl, "login:a"), ==, 1000);
	/* a failure while locked does not extend the lock */
	g_assert_cmpint(tsunagu_ratelimit_fail(rl, "login:a"), ==, 1000);
	fake_now += 1 * G_USEC_PER_SEC;
	g_assert_cmpint(tsunagu_ratelimit_check(rl, "login:a"), ==, 0);
	/* after the lockout the count starts again */
	g_assert_cmpint(tsunagu_ratelimit_fail(rl, "login:a"), ==, 0);

	/* failures spread wider than the window never lock */
	for (int i = 0; i < 10; i++) {
		g_assert_cmpint(tsunagu_ratelimit_fail(rl, "login:slow"), ==, 0);
		if (i % 2)
			fake_now += 61 * G_USEC_PER_SEC;
	}
	/* reset forgets */
	tsunagu_ratelimit_fail(rl, "login:c");
	tsunagu_ratelimit_fail(rl, "login:c");
	tsunagu_ratelimit_reset(rl, "login:c");
	g_assert_cmpint(tsunagu_ratelimit_fail(rl, "login:c"), ==, 0);
	g_assert_cmpuint(tsunagu_ratelimit_size(rl), ==, 3);
	tsunagu_ratelimit_free(rl);
	tsunagu_core_set_clock(NULL);
}

/* A flood of distinct keys does not grow the table without bound. */
static void test_ratelimit_bounded(void)
{
	tsunagu_ratelimit *rl = tsunagu_ratelimit_new(5, 1000, 1000);
	char key[32];
	tsunagu_core_set_clock(fake_clock);
	fake_now = 5000LL * G_USEC_PER_SEC;
	for (int i = 0; i < 150000; i++) {
		g_snprintf(key, sizeof(key), "peer:%d", i);
		tsunagu_ratelimit_fail(rl, key);
		if (i % 1000 == 0)
			fake_now += 100 * 1000;
	}
	g_assert_cmpuint(tsunagu_ratelimit_size(rl), <=, 100000);
	tsunagu_ratelimit_free(rl);
	tsunagu_core_set_clock(NULL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/http/auth/password", test_password);
	g_test_add_func("/http/auth/password-async", test_password_async);
	g_test_add_func("/http/auth/tokens", test_tokens);
	g_test_add_func("/http/auth/cookie", test_cookie);
	g_test_add_func("/http/auth/ratelimit", test_ratelimit);
	g_test_add_func("/http/auth/ratelimit-bounded", test_ratelimit_bounded);
	return g_test_run();
}
