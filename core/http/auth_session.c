/* Session tokens and cookies: a random 256-bit token in the cookie, only its
 * SHA-256 in the store. */
#define TSUNAGU_LOG_TOPIC "auth"
#include "auth.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

char *tsunagu_auth_random_token(void)
{
	unsigned char raw[32];
	char *hex = g_malloc(sizeof(raw) * 2 + 1);

	if (sodium_init() < 0)
		g_error("libsodium cannot initialise");
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(raw) * 2 + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	return hex;
}

char *tsunagu_auth_token_hash(const char *token)
{
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1);
}

bool tsunagu_auth_token_wellformed(const char *token)
{
	if (!token || strlen(token) != 64)
		return false;
	for (const char *c = token; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false;
	return true;
}

bool tsunagu_auth_secret_equal(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b)
		return false;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb || la == 0)
		return false;
	return sodium_memcmp(a, b, la) == 0;
}

char *tsunagu_auth_session_cookie(const char *token, int64_t max_age_s, bool secure)
{
	return g_strdup_printf("%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%" G_GINT64_FORMAT
			       "%s",
			       TSUNAGU_SESSION_COOKIE, token ? token : "", token ? max_age_s : 0,
			       secure ? "; Secure" : "");
}

void tsunagu_auth_session_free(tsunagu_auth_session *s)
{
	if (!s)
		return;
	tsunagu_store_staff_free(s->staff);
	tsunagu_store_session_free(s->session);
	g_free(s);
}

int tsunagu_auth_session_lookup(tsunagu_store *store, const char *token, int64_t now_us,
				tsunagu_auth_session **out)
{
	tsunagu_store_session *sess = NULL;
	tsunagu_store_staff *staff = NULL;
	char *hash = NULL;
	int ret;

	*out = NULL;
	if (!tsunagu_auth_token_wellformed(token))
		return -ENOENT;
	hash = tsunagu_auth_token_hash(token);
	ret = tsunagu_store_session_get(store, hash, now_us, &sess);
	if (ret < 0)
		goto out;
	ret = tsunagu_store_staff_get(store, sess->staff_id, &staff);
	if (ret < 0)
		goto out;
	if (staff->disabled) {
		ret = -ENOENT;
		goto out;
	}
	*out = g_new0(tsunagu_auth_session, 1);
	(*out)->staff = staff;
	(*out)->session = sess;
	staff = NULL;
	sess = NULL;
out:
	g_free(hash);
	tsunagu_store_session_free(sess);
	tsunagu_store_staff_free(staff);
	return ret;
}
