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

/* An Authorization header as a phone computes it, with nonce-count nc. */
static char *credentials_nc(const char *user, const char *realm, const char *password,
			    const char *nonce, bool qop, unsigned nc)
{
	char *ha1 = md5("%s:%s:%s", user, realm, password);
	char *ha2 = md5("%s", "REGISTER:sip:127.0.0.1");
	char *resp = qop ? md5("%s:%s:%08x:abcdef:auth:%s", ha1, nonce, nc, ha2)
			 : md5("%s:%s:%s", ha1, nonce, ha2);
	char *q = qop ? g_strdup_printf(", qop=auth, nc=%08x, cnonce=\"abcdef\"", nc) : g_strdup("");
	char *h = g_strdup_printf("Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
				  "uri=\"sip:127.0.0.1\", response=\"%s\", algorithm=MD5%s",
				  user, realm, nonce, resp, q);
	g_free(q);
	g_free(ha1);
	g_free(ha2);
	g_free(resp);
	return h;
}

static char *credentials(const char *user, const char *realm, const char *password,
			 const char *nonce, bool qop)
{
	return credentials_nc(user, realm, password, nonce, qop, 1);
}

/* A digest of realm tsunagu and the HA1 of extension 201 ("secret"). */
static void init_201(sip_digest *d, char ha1[33])
{
	sip_digest_init(d, "tsunagu");
	sip_accounts_ha1("201", "tsunagu", "secret", ha1);
}

static int verify(sip_digest *d, const char *header, int64_t now, const char *ha1,
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
	init_201(&d, ha1);
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
	sip_digest_clear(&d);
	sip_digest_clear(&d2);
}

static void test_digest_garbage(void)
{
	sip_digest d;
	char ha1[33];
	init_201(&d, ha1);
	const char *bad[] = {
		"Digest realm=\"tsunagu\"",
		"Digest username=\"201\", realm=\"tsunagu\", nonce=\"x\", uri=\"u\", response=\"r\"",
		"Digest username=\"201\", realm=\"tsunagu\", nonce=\"zzzzzzzzzzzzzzzz.00000000000000000000000000000000\", uri=\"u\", response=\"r\"",
		"Digest username=\"201\", realm=\"tsunagu\", nonce=\"0\", uri=\"u\", response=\"r\", qop=auth",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_cmpint(verify(&d, bad[i], T0, ha1, NULL), ==, -EACCES);
	g_assert_cmpint(verify(&d, "Basic dXNlcjpwYXNz", T0, ha1, NULL), ==, -ENOENT);
	sip_digest_clear(&d);
}

/* Replays: the same credentials (same nonce, same or lower nc) get a fresh
 * challenge; a higher nc is taken; without qop a nonce is good once; the
 * table stays bounded and an evicted nonce stays refused. */
static void test_digest_replay(void)
{
	sip_digest d;
	char ha1[33];
	init_201(&d, ha1);
	char *ch = sip_digest_challenge(&d, T0, false);
	char *nonce = nonce_of(ch);
	char *nc1 = credentials_nc("201", "tsunagu", "secret", nonce, true, 1);
	char *nc2 = credentials_nc("201", "tsunagu", "secret", nonce, true, 2);
	char *nc5 = credentials_nc("201", "tsunagu", "secret", nonce, true, 5);
	g_assert_cmpint(verify(&d, nc1, T0 + 1, ha1, NULL), ==, 0);
	g_assert_cmpint(verify(&d, nc1, T0 + 2, ha1, NULL), ==, -ESTALE);
	g_assert_cmpint(verify(&d, nc5, T0 + 3, ha1, NULL), ==, 0);
	g_assert_cmpint(verify(&d, nc2, T0 + 4, ha1, NULL), ==, -ESTALE);
	g_assert_cmpint(verify(&d, nc5, T0 + 5, ha1, NULL), ==, -ESTALE);
	/* a wrong response does not burn a count */
	char *wrong = credentials_nc("201", "tsunagu", "guess", nonce, true, 9);
	g_assert_cmpint(verify(&d, wrong, T0 + 6, ha1, NULL), ==, -EACCES);
	char *nc9 = credentials_nc("201", "tsunagu", "secret", nonce, true, 9);
	g_assert_cmpint(verify(&d, nc9, T0 + 7, ha1, NULL), ==, 0);

	/* without qop: once */
	char *ch2 = sip_digest_challenge(&d, T0 + 10, false);
	char *nonce2 = nonce_of(ch2);
	char *plain = credentials("201", "tsunagu", "secret", nonce2, false);
	g_assert_null(strstr(plain, "nc="));
	g_assert_cmpint(verify(&d, plain, T0 + 11, ha1, NULL), ==, 0);
	g_assert_cmpint(verify(&d, plain, T0 + 12, ha1, NULL), ==, -ESTALE);

	/* bounded: 3 entries; the oldest nonces go and stay refused */
	d.seen_max = 3;
	char *n[5];
	for (int i = 0; i < 5; i++) {
		char *c = sip_digest_challenge(&d, T0 + 100 + i, false);
		n[i] = nonce_of(c);
		g_free(c);
		char *h = credentials_nc("201", "tsunagu", "secret", n[i], true, 1);
		g_assert_cmpint(verify(&d, h, T0 + 200, ha1, NULL), ==, 0);
		g_free(h);
		g_assert_cmpuint(g_hash_table_size(d.seen), <=, 3);
	}
	for (int i = 0; i < 5; i++) {
		char *h = credentials_nc("201", "tsunagu", "secret", n[i], true, 1);
		g_assert_cmpint(verify(&d, h, T0 + 300, ha1, NULL), ==, -ESTALE);
		g_free(h);
		g_free(n[i]);
	}
	/* stale entries are dropped to make room: a new nonce much later is taken */
	int64_t later = T0 + 2 * SIP_DIGEST_NONCE_TTL_US;
	char *c = sip_digest_challenge(&d, later, false);
	char *fresh = nonce_of(c);
	char *h = credentials_nc("201", "tsunagu", "secret", fresh, true, 1);
	g_assert_cmpint(verify(&d, h, later + 1, ha1, NULL), ==, 0);
	g_assert_cmpuint(g_hash_table_size(d.seen), ==, 1);
	g_free(h);
	g_free(fresh);
	g_free(c);

	g_free(plain);
	g_free(nonce2);
	g_free(ch2);
	g_free(nc9);
	g_free(wrong);
	g_free(nc1);
	g_free(nc2);
	g_free(nc5);
	g_free(nonce);
	g_free(ch);
	sip_digest_clear(&d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sip/digest/roundtrip", test_digest_roundtrip);
	g_test_add_func("/sip/digest/garbage", test_digest_garbage);
	g_test_add_func("/sip/digest/replay", test_digest_replay);
	return g_test_run();
}
