/* Fuzzes visitor token and identity hash checks (plugins/web/web_token.c):
 * no input is accepted as a token unless it is one the secret minted, and
 * nothing crashes on any length or byte. */
#include <glib.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "web_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char secret[WEB_TOKEN_SECRET_LEN];
	static bool ready;
	if (!ready) {
		if (sodium_init() < 0)
			g_error("sodium_init");
		memset(secret, 7, sizeof secret);
		ready = true;
	}
	char *text = g_strndup((const char *)data, size);
	char sender[WEB_SENDER_MAX + 1];
	if (web_token_verify(secret, text, sender, sizeof sender)) {
		/* only possible for a real token: check it is well formed */
		if (strlen(text) != WEB_TOKEN_LEN || strncmp(sender, "v:", 2) != 0)
			g_error("accepted a malformed token");
	}
	(void)web_identity_verify("a-secret-of-the-site", text, text);
	(void)web_identity_verify(text, "user-1", text);
	unsigned char out[WEB_TOKEN_SECRET_LEN];
	(void)web_secret_from_hex(text, out);
	g_free(text);
	return 0;
}
