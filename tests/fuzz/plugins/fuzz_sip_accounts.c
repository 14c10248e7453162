/* Fuzzes the SIP plugin's admin data checks (plugins/sip/sip_accounts.c):
 * any PUT body of trunks or extensions is refused with a message or gives
 * a stored list that loads, checks again unchanged, and never carries a
 * password. The first byte picks trunks or extensions. */
#include <glib.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "sip_accounts.h"
#include "sip_secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *why = NULL;
	if (size < 1)
		return 0;
	bool trunks = data[0] & 1;
	json_t *in = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
	if (!in)
		return 0;
	static const unsigned char key[SIP_SECRET_KEY_BYTES] = {1};
	json_t *out = trunks ? sip_accounts_check_trunks(in, NULL, "tsunagu", key, &why)
			     : sip_accounts_check_extensions(in, NULL, "tsunagu", &why);
	if (!out == !why)
		g_error("a result and a reason, or neither");
	if (out) {
		char *text = json_dumps(out, JSON_COMPACT);
		sip_accounts *a = sip_accounts_new();
		int rc = trunks ? sip_accounts_load_trunks(a, text)
				: sip_accounts_load_extensions(a, text);
		if (rc || strstr(text, "\"password\"") || strstr(text, "\"outbound_password\""))
			g_error("stored form does not load or keeps a password: %s", text);
		guint n = trunks ? a->trunks->len : a->extensions->len;
		if (n != json_array_size(out))
			g_error("loaded %u of %zu", n, json_array_size(out));
		free(text);
		sip_accounts_free(a);
	}
	g_free(why);
	json_decref(out);
	json_decref(in);
	return 0;
}
