/* Digest authentication (sip_digest.h). */
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/auth_digest.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/su_alloc.h>

#include "sip_digest.h"

void sip_digest_init(sip_digest *d, const char *realm)
{
	for (size_t i = 0; i < sizeof d->secret; i += 4) {
		guint32 r = g_random_int();
		memcpy(d->secret + i, &r, 4);
	}
	g_strlcpy(d->realm, realm ? realm : "tsunagu", sizeof d->realm);
	d->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	d->used_upto = G_MININT64;
	d->seen_max = SIP_DIGEST_SEEN_MAX;
}

void sip_digest_clear(sip_digest *d)
{
	g_clear_pointer(&d->seen, g_hash_table_destroy);
}

typedef struct {
	int64_t made;  /* the nonce's time */
	guint64 nc;    /* the highest count taken; 0 without qop */
} sip_digest_seen;

/* Room for one more nonce: stale ones go first, then the oldest, whose time
 * becomes used_upto so that it stays refused. */
static void seen_make_room(sip_digest *d, int64_t now_us)
{
	GHashTableIter it;
	gpointer k, v;
	if (g_hash_table_size(d->seen) < d->seen_max)
		return;
	g_hash_table_iter_init(&it, d->seen);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (now_us - ((sip_digest_seen *)v)->made > SIP_DIGEST_NONCE_TTL_US)
			g_hash_table_iter_remove(&it);
	while (g_hash_table_size(d->seen) >= d->seen_max) {
		int64_t oldest = G_MAXINT64;
		g_hash_table_iter_init(&it, d->seen);
		while (g_hash_table_iter_next(&it, &k, &v))
			oldest = MIN(oldest, ((sip_digest_seen *)v)->made);
		d->used_upto = MAX(d->used_upto, oldest);
		g_hash_table_iter_init(&it, d->seen);
		while (g_hash_table_iter_next(&it, &k, &v))
			if (((sip_digest_seen *)v)->made <= oldest)
				g_hash_table_iter_remove(&it);
	}
}

/* Takes nc (hex, NULL without qop) for nonce, made at `made`: 0, or -ESTALE
 * when it is not above the last one taken (a replay). */
static int seen_take(sip_digest *d, const char *nonce, int64_t made, const char *nc_hex,
		     int64_t now_us)
{
	guint64 nc = 0;
	if (nc_hex && (strlen(nc_hex) != 8 ||
		       !g_ascii_string_to_unsigned(nc_hex, 16, 1, G_MAXUINT32, &nc, NULL)))
		return -EACCES;
	if (made <= d->used_upto)
		return -ESTALE;
	sip_digest_seen *s = g_hash_table_lookup(d->seen, nonce);
	if (s) {
		/* without qop (nc 0) a nonce is good once */
		if (nc <= s->nc)
			return -ESTALE;
		s->nc = nc;
		return 0;
	}
	seen_make_room(d, now_us);
	if (made <= d->used_upto)
		return -ESTALE;
	s = g_new(sip_digest_seen, 1);
	*s = (sip_digest_seen){.made = made, .nc = nc};
	g_hash_table_insert(d->seen, g_strdup(nonce), s);
	return 0;
}

/* "<16 hex digits of the time>.<32 hex digits of its HMAC>" */
static void make_nonce(const sip_digest *d, int64_t t, char out[50])
{
	char ts[17];
	g_snprintf(ts, sizeof ts, "%016" G_GINT64_MODIFIER "x", (guint64)t);
	char *mac = g_compute_hmac_for_string(G_CHECKSUM_SHA256, d->secret, sizeof d->secret, ts, -1);
	g_snprintf(out, 50, "%s.%.32s", ts, mac);
	g_free(mac);
}

char *sip_digest_challenge(const sip_digest *d, int64_t now_us, bool stale)
{
	char nonce[50];
	make_nonce(d, now_us, nonce);
	return g_strdup_printf("Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, qop=\"auth\"%s",
			       d->realm, nonce, stale ? ", stale=true" : "");
}

/* 0 ours and fresh (*made_out: its time), -ESTALE ours but old, -EACCES not
 * ours. */
static int check_nonce(const sip_digest *d, const char *nonce, int64_t now_us, int64_t *made_out)
{
	char expect[50];
	guint64 t = 0;
	if (!nonce || strlen(nonce) != 49 || nonce[16] != '.')
		return -EACCES;
	char ts[17];
	memcpy(ts, nonce, 16);
	ts[16] = '\0';
	if (!g_ascii_string_to_unsigned(ts, 16, 0, G_MAXINT64, &t, NULL))
		return -EACCES;
	make_nonce(d, (int64_t)t, expect);
	if (strcmp(expect, nonce) != 0)
		return -EACCES;
	if ((int64_t)t > now_us || now_us - (int64_t)t > SIP_DIGEST_NONCE_TTL_US)
		return -ESTALE;
	*made_out = (int64_t)t;
	return 0;
}

int sip_digest_verify(sip_digest *d, const msg_auth_t *au, const char *method,
		      int64_t now_us, sip_digest_lookup_fn lookup, void *user_data,
		      char **user_out)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	int rc = -ENOENT;

	for (; au; au = au->au_next) {
		auth_response_t ar[1];
		memset(ar, 0, sizeof ar);
		ar->ar_size = sizeof ar[0];
		auth_hexmd5_t expect;
		if (!au->au_scheme || strcasecmp(au->au_scheme, "Digest") != 0 || !au->au_params)
			continue;
		if (auth_digest_response_get(home, ar, au->au_params) < 0 || !ar->ar_realm ||
		    strcmp(ar->ar_realm, d->realm) != 0)
			continue;
		/* Our realm from here on: an answer, whatever it is. */
		rc = -EACCES;
		if (!ar->ar_username || !ar->ar_nonce || !ar->ar_uri || !ar->ar_response ||
		    (ar->ar_algorithm && !ar->ar_md5) || ar->ar_auth_int)
			break;
		if ((ar->ar_qop && (!ar->ar_cnonce || !ar->ar_nc)))
			break;
		int64_t made = 0;
		if ((rc = check_nonce(d, ar->ar_nonce, now_us, &made)) != 0)
			break;
		rc = -EACCES;
		const char *ha1 = lookup(ar->ar_username, user_data);
		if (!ha1 || strlen(ha1) != 32)
			break;
		auth_hexmd5_t h;
		g_strlcpy(h, ha1, sizeof h);
		if (auth_digest_response(ar, expect, h, method, NULL, 0) < 0)
			break;
		if (g_ascii_strcasecmp(expect, ar->ar_response) != 0)
			break;
		/* right credentials; only now may they count against the nonce */
		if ((rc = seen_take(d, ar->ar_nonce, made, ar->ar_qop ? ar->ar_nc : NULL, now_us)))
			break;
		if (user_out)
			*user_out = g_strdup(ar->ar_username);
		rc = 0;
		break;
	}
	su_home_deinit(home);
	return rc;
}
