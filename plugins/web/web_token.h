/* Visitor tokens and identity verification (docs/widget.md).
 *
 * A visitor token is minted by the server on a visitor's first contact and
 * kept by the page (localStorage): 32 hex digits of randomness followed by
 * 32 hex digits of HMAC-SHA256(server secret, "wv1:" + randomness),
 * truncated. Only the server can make one, so a guessed or altered token is
 * refused; the visitor is known to the core as "v:<randomness>", which
 * reveals nothing that would let staff (or logs) rebuild the token.
 *
 * Identity verification: a site that knows its user signs the user id with
 * a secret it shares with the widget settings, hash = hex(HMAC-SHA256(secret,
 * id)); such a visitor is known as "u:<id>" on every device.
 *
 * Thread: any (libsodium must be initialised: sodium_init()).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define WEB_TOKEN_SECRET_LEN 32
#define WEB_TOKEN_LEN 64
/* "v:" + 32 hex, or "u:" + a user id of at most 128 bytes */
#define WEB_SENDER_MAX (2 + 128)

/* Writes a fresh token (WEB_TOKEN_LEN chars + NUL) into out. */
void web_token_mint(const unsigned char secret[WEB_TOKEN_SECRET_LEN], char out[WEB_TOKEN_LEN + 1]);
/* Checks token; on success writes the visitor's sender id ("v:...") into
 * sender (>= WEB_SENDER_MAX + 1 bytes). Constant time in the MAC. */
bool web_token_verify(const unsigned char secret[WEB_TOKEN_SECRET_LEN], const char *token,
		      char *sender, size_t sender_size);
/* Whether hash_hex (64 hex digits, either case) is HMAC-SHA256(secret,
 * user_id). An empty secret verifies nothing. Constant time. */
bool web_identity_verify(const char *secret, const char *user_id, const char *hash_hex);
/* hex(HMAC-SHA256(secret, msg)) into out (65 bytes): what a site computes. */
void web_identity_sign(const char *secret, const char *msg, char out[65]);
/* Parses 64 hex digits into a secret; false when malformed. */
bool web_secret_from_hex(const char *hex, unsigned char out[WEB_TOKEN_SECRET_LEN]);
