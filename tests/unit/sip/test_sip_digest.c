/* Digest authentication of the SIP plugin (plugins/sip/sip_digest.c):
 * responses computed as a phone would (RFC 2617 with qop=auth and
 * without), stale and forged nonces, wrong passwords, other realms. */
#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#include "sip_accounts.h"
#include "sip_digest.h"

#define T0 (1000 * G_USEC_PER_SEC)

static const char *lookup(const char *user, void *ud)
{
	return strcmp(user, "201") == 0 ? ud : NULL;
}

static char *md5(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static char *md5(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	char *h = g_compute_checksum_for_string(G_CHECKSUM_MD5, s, -1);
	g_free(s);
	return h;
}

/* The nonce of a challenge header value. */
static char *nonce_of(const char *challenge)
{
	const char *p = strstr(challenge, "nonce=\"");
	g_assert_nonnull(p);
	p += 7;
	return g_strndup(p, strcspn(p, "\""));
}

/* An Authorization header as a phone computes it. */
static char *credentials(const char *user, const char *realm, const char *password,
			 const char *nonce, bool qop)
{
	char *ha1 = md5("%s:%s:%s", user, realm, password);
	char *ha2 = md5("%s", "REGISTER:sip:127.0.0.1");
	char *resp = qop ? md5("%s:%s:00000001:abcdef:auth:%s", ha1, nonce, ha2)
			 : md5("%s:%s:%s", ha1, nonce, ha2);
	char *h = g_strdup_printf("Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
				  "uri=\"sip:127.0.0.1\", response=\"%s\", algorithm=MD5%s",
				  user, realm, nonce, resp,
				  qop ? ", qop=auth, nc=00000001, cnonce=\"abcdef\"" : "");
	g_free(ha1);
	g_free(ha2);
	g_free(resp);
	return h;
}

static int verify(const sip_digest *d, const char *header, int64_t now, const char *ha1,
		  char **user)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	sip_authorization_t *au = header ? sip_authorization_make(home, header) : NULL;
	if (header)
		g_assert_nonnull(au);
	int rc = sip_digest_verify(d, au, "REGISTER", now, lookup, (void *)ha1, user);
	su_home_deinit(home);
	return rc;
}

static void test_digest_roundtrip(void)
{
	sip_digest d;
	char ha1[33], *user = NULL;
	sip_digest_init(&d, "tsunagu");
	sip_accounts_ha1("201", "tsunagu", "secret", ha1);
	char *ch = sip_digest_challenge(&d, T0, false);
	g_assert_true(g_str_has_prefix(ch, "Digest realm=\"tsunagu\", nonce=\""));
	g_assert_null(strstr(ch, "stale"));
	char *nonce = nonce_of(ch);

	for (int qop = 0; qop < 2; qop++) {
		char *h = credentials("201", "tsunagu", "secret", nonce, qop);
		g_assert_cmpint(verify(&d, h, T0 + G_USEC_PER_SEC, ha1, &user), ==, 0);
		g_assert_cmpstr(user, ==, "201");
		g_clear_pointer(&user, g_free);
		g_free(h);
	}
	char *wrong = credentials("201", "tsunagu", "guess", nonce, true);
	g_assert_cmpint(verify(&d, wrong, T0, ha1, NULL), ==, -EACCES);
	char *unknown = credentials("202", "tsunagu", "secret", nonce, true);
	g_assert_cmpint(verify(&d, unknown, T0, ha1, NULL), ==, -EACCES);
	char *other_realm = credentials("201", "elsewhere", "secret", nonce, true);
	g_assert_cmpint(verify(&d, other_realm, T0, ha1, NULL), ==, -ENOENT);
	g_assert_cmpint(verify(&d, NULL, T0, ha1, NULL), ==, -ENOENT);
	/* old: challenge again (stale), not a refusal */
	char *h = credentials("201", "tsunagu", "secret", nonce, true);
	g_assert_cmpint(verify(&d, h, T0 + SIP_DIGEST_NONCE_TTL_US + 1, ha1, NULL), ==, -ESTALE);
	/* another secret (a restart) made it: forged */
	sip_digest d2;
	sip_digest_init(&d2, "tsunagu");
	g_assert_cmpint(verify(&d2, h, T0, ha1, NULL), ==, -EACCES);
	char *st = sip_digest_challenge(&d, T0, true);
	g_assert_nonnull(strstr(st, "stale=true"));
	g_free(st);
	g_free(h);
	g_free(wrong);
	g_free(unknown);
	g_free(other_realm);
	g_free(nonce);
	g_free(ch);
}

static void test_digest_garbage(void)
{
	sip_digest d;
	char ha1[33];
	sip_digest_init(&d, "tsunagu");
	sip_accounts_ha1("201", "tsunagu", "secret", ha1);
	const char *bad[] = {
		"Digest realm=\"tsunagu\"",
		"Digest username=\"201\", realm=\"tsunagu\", nonce=\"x\", uri=\"u\", response=\"r\"",
		"Digest username=\"201\", realm=\"tsunagu\", nonce=\"zzzzzzzzzzzzzzzz.00000000000000000000000000000000\", uri=\"u\", response=\"r\"",
		"Digest username=\"201\", realm=\"tsunagu\", nonce=\"0\", uri=\"u\", response=\"r\", qop=auth",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_cmpint(verify(&d, bad[i], T0, ha1, NULL), ==, -EACCES);
	g_assert_cmpint(verify(&d, "Basic dXNlcjpwYXNz", T0, ha1, NULL), ==, -ENOENT);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sip/digest/roundtrip", test_digest_roundtrip);
	g_test_add_func("/sip/digest/garbage", test_digest_garbage);
	return g_test_run();
}
