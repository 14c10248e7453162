/* Visitor tokens and identity hashes: HMAC-SHA256 from libsodium, compared
 * in constant time. */
#include "web_token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define RAND_BYTES 16
#define MAC_BYTES 16

static void token_mac(const unsigned char secret[WEB_TOKEN_SECRET_LEN], const char *rand_hex,
		      unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state s;
	crypto_auth_hmacsha256_init(&s, secret, WEB_TOKEN_SECRET_LEN);
	crypto_auth_hmacsha256_update(&s, (const unsigned char *)"wv1:", 4);
	crypto_auth_hmacsha256_update(&s, (const unsigned char *)rand_hex, RAND_BYTES * 2);
	crypto_auth_hmacsha256_final(&s, mac);
}

void web_token_mint(const unsigned char secret[WEB_TOKEN_SECRET_LEN], char out[WEB_TOKEN_LEN + 1])
{
	unsigned char r[RAND_BYTES], mac[crypto_auth_hmacsha256_BYTES];
	randombytes_buf(r, sizeof r);
	sodium_bin2hex(out, RAND_BYTES * 2 + 1, r, sizeof r);
	token_mac(secret, out, mac);
	sodium_bin2hex(out + RAND_BYTES * 2, MAC_BYTES * 2 + 1, mac, MAC_BYTES);
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

bool web_token_verify(const unsigned char secret[WEB_TOKEN_SECRET_LEN], const char *token,
		      char *sender, size_t sender_size)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES], given[MAC_BYTES];
	if (!token || strlen(token) != WEB_TOKEN_LEN || !all_hex(token, WEB_TOKEN_LEN) ||
	    sender_size < 2 + RAND_BYTES * 2 + 1)
		return false;
	if (sodium_hex2bin(given, sizeof given, token + RAND_BYTES * 2, MAC_BYTES * 2, NULL, NULL,
			   NULL) != 0)
		return false;
	token_mac(secret, token, mac);
	if (sodium_memcmp(mac, given, MAC_BYTES) != 0)
		return false;
	snprintf(sender, sender_size, "v:%.*s", RAND_BYTES * 2, token);
	return true;
}

void web_identity_sign(const char *secret, const char *msg, char out[65])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state s;
	crypto_auth_hmacsha256_init(&s, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&s, (const unsigned char *)msg, strlen(msg));
	crypto_auth_hmacsha256_final(&s, mac);
	sodium_bin2hex(out, 65, mac, sizeof mac);
}

bool web_identity_verify(const char *secret, const char *user_id, const char *hash_hex)
{
	char want[65], got[65];
	if (!secret || !*secret || !user_id || !hash_hex || strlen(hash_hex) != 64)
		return false;
	for (size_t i = 0; i < 64; i++) {
		char c = hash_hex[i];
		got[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	got[64] = '\0';
	if (!all_hex(got, 64))
		return false;
	web_identity_sign(secret, user_id, want);
	bool ok = sodium_memcmp(want, got, 64) == 0;
	sodium_memzero(want, sizeof want);
	return ok;
}

bool web_secret_from_hex(const char *hex, unsigned char out[WEB_TOKEN_SECRET_LEN])
{
	size_t n = 0;
	if (!hex || strlen(hex) != WEB_TOKEN_SECRET_LEN * 2 || !all_hex(hex, WEB_TOKEN_SECRET_LEN * 2))
		return false;
	return sodium_hex2bin(out, WEB_TOKEN_SECRET_LEN, hex, WEB_TOKEN_SECRET_LEN * 2, NULL, &n,
			      NULL) == 0 &&
	       n == WEB_TOKEN_SECRET_LEN;
}
