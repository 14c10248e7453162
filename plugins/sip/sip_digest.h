/* Digest authentication (RFC 2617 / 3261 §22) of REGISTERs from operators'
 * phones and INVITEs from trunks that are not on an allow-list.
 *
 * Stateless nonces: a nonce is a timestamp and its HMAC-SHA256 under a
 * secret made at start, so nothing is stored per challenge and a nonce
 * older than SIP_DIGEST_NONCE_TTL_US is answered with a fresh challenge
 * (stale=true) instead of a refusal. What stateless nonces cannot see is a
 * replay: the same Authorization sent again within the nonce's lifetime.
 * So the highest nonce-count (nc) accepted per nonce is kept in a table
 * bounded by SIP_DIGEST_SEEN_MAX entries, dropped once the nonce is stale;
 * credentials with an nc not above it (or, without qop, a nonce used once
 * already) get a fresh challenge (stale=true), never a login. When the
 * table is full the entry of the oldest nonce goes, and every nonce as old
 * as that is treated as used (so an evicted nonce cannot be replayed
 * either). Credentials are checked against HA1,
 * never a password (sip_accounts.h). Uses sofia-sip's digest primitives
 * (auth_digest.h) for the parsing and the response hash.
 *
 * One thread at a time per sip_digest (the table); the plugin calls it on
 * the loop thread.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include <sofia-sip/msg_types.h>

#define SIP_DIGEST_NONCE_TTL_US (300 * G_USEC_PER_SEC)
#define SIP_DIGEST_SEEN_MAX 4096

typedef struct {
	unsigned char secret[32];
	char realm[64];
	GHashTable *seen;   /* nonce -> sip_digest_seen*: the highest nc taken */
	int64_t used_upto;  /* nonces made at or before this are all used */
	guint seen_max;     /* SIP_DIGEST_SEEN_MAX (smaller in tests) */
} sip_digest;

/* A fresh secret (GLib random), the realm (truncated to 63 bytes) and an
 * empty nonce-count table. sip_digest_clear() frees it. */
void sip_digest_init(sip_digest *d, const char *realm);
void sip_digest_clear(sip_digest *d);

/* The value of a WWW-Authenticate / Proxy-Authenticate header with a new
 * nonce made at now_us (monotonic). g_free() it. */
char *sip_digest_challenge(const sip_digest *d, int64_t now_us, bool stale);

/* The HA1 of a user name, or NULL when unknown. Borrowed until the
 * verification returns. */
typedef const char *(*sip_digest_lookup_fn)(const char *username, void *user_data);

/* Checks the credentials of a request (the Authorization or
 * Proxy-Authorization header list, may be NULL) for method:
 *   0        valid; *user_out (may be NULL) gets the user name (g_free());
 *  -ENOENT   no credentials for our realm: challenge;
 *  -ESTALE   our nonce but too old, or valid credentials replayed (nc not
 *            above the last taken for that nonce): challenge with stale=true;
 *  -EACCES   unknown user, forged nonce or wrong response: 403. */
int sip_digest_verify(sip_digest *d, const msg_auth_t *au, const char *method,
		      int64_t now_us, sip_digest_lookup_fn lookup, void *user_data,
		      char **user_out);
