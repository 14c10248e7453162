/* Fuzzes the SIP plugin's digest verification (plugins/sip/sip_digest.c):
 * any Authorization header a phone or trunk sends. The input is the header
 * value; "NONCE" in it is replaced by a real nonce of ours and "RESPONSE"
 * by the right response for what the header says, so that the checks past
 * the nonce and the response (nc, the replay table) are reached too. Each input
 * is verified twice against a table of 2 entries: the second time it can
 * never be taken (a replay, or refused as before). */
#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include <sofia-sip/auth_digest.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#include "sip_accounts.h"
#include "sip_digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *lookup(const char *user, void *ud)
{
	return strcmp(user, "201") == 0 ? ud : NULL;
}

/* header with RESPONSE replaced by the response its fields call for (as
 * the phone of extension 201 computes it), or a copy when it cannot be. */
static char *with_response(const char *header, const char *ha1)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	char *out = NULL;
	sip_authorization_t *au = strstr(header, "RESPONSE") ? sip_authorization_make(home, header)
							     : NULL;
	auth_response_t ar[1] = {{.ar_size = sizeof ar[0]}};
	auth_hexmd5_t expect, h;
	g_strlcpy(h, ha1, sizeof h);
	if (au && au->au_params && auth_digest_response_get(home, ar, au->au_params) >= 0 &&
	    auth_digest_response(ar, expect, h, "REGISTER", NULL, 0) >= 0) {
		char **parts = g_strsplit(header, "RESPONSE", -1);
		out = g_strjoinv(expect, parts);
		g_strfreev(parts);
	}
	su_home_deinit(home);
	return out ? out : g_strdup(header);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sip_digest d;
	static char ha1[33];
	const int64_t now = 1000 * G_USEC_PER_SEC;
	if (!d.seen) {
		sip_digest_init(&d, "tsunagu");
		sip_accounts_ha1("201", "tsunagu", "secret", ha1);
		d.seen_max = 2;
	}
	if (size > 4096 || memchr(data, '\0', size))
		return 0;
	char *text = g_strndup((const char *)data, size);
	char *ch = sip_digest_challenge(&d, now, false);
	const char *p = strstr(ch, "nonce=\"") + 7;
	char *nonce = g_strndup(p, strcspn(p, "\""));
	char **parts = g_strsplit(text, "NONCE", -1);
	char *with_nonce = g_strjoinv(nonce, parts);
	char *header = with_response(with_nonce, ha1);
	g_free(with_nonce);
	su_home_t home[1] = {SU_HOME_INIT(home)};
	sip_authorization_t *au = sip_authorization_make(home, header);
	if (au) {
		char *user = NULL;
		int rc = sip_digest_verify(&d, au, "REGISTER", now + 1, lookup, ha1, &user);
		if (rc == 0 && (!user || strcmp(user, "201") != 0))
			g_error("taken without the user: %s", header);
		if (rc != 0 && rc != -ENOENT && rc != -ESTALE && rc != -EACCES)
			g_error("unexpected %d", rc);
		g_free(user);
		if (sip_digest_verify(&d, au, "REGISTER", now + 2, lookup, ha1, NULL) == 0)
			g_error("the same credentials were taken twice: %s", header);
		if (g_hash_table_size(d.seen) > 2)
			g_error("the nonce table grew past its bound");
	}
	su_home_deinit(home);
	g_free(header);
	g_strfreev(parts);
	g_free(nonce);
	g_free(ch);
	g_free(text);
	return 0;
}
