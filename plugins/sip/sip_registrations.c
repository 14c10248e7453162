/* Registrations that survive a restart (sip.h, "sip_registrations.c").
 *
 * The bindings of the registrar live in memory; a copy is kept in the
 * plugin's settings so that a restarted tsunagud rings the phones it knew
 * at once instead of waiting for each to re-register (up to max_expires).
 * A setting holds at most 64 KiB, so the extensions are spread over
 * SIP_REG_SHARDS keys "registrations.<hex digit>" by a hash of the user
 * name; only a shard that changed is written again, at most once a second
 * (from the registrar's expiry tick), never on the path of a REGISTER.
 * Expiries are stored as wall-clock seconds (the monotonic clock restarts
 * with the process) and restored only when still in the future.
 *
 * Loop thread.
 */
#include <errno.h>
#include <string.h>

#include "sip.h"

#define SIP_REG_SHARDS 16
#define SIP_REG_SHARD_MAX (60 * 1024) /* under the 64 KiB of a setting */

static unsigned shard_of(const char *user)
{
	return g_str_hash(user) % SIP_REG_SHARDS;
}

void sip_registrations_changed(sip_state *st, const char *user)
{
	st->reg_dirty |= 1u << shard_of(user);
}

/* The stored form of one shard: {"user": [{"contact","source","expires"}]}. */
static json_t *shard_json(sip_state *st, unsigned shard, int64_t now_mono, int64_t now_wall,
			  unsigned *contacts)
{
	json_t *o = json_object();
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, st->bindings);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		GPtrArray *list = value;
		if (shard_of(key) != shard || list->len == 0)
			continue;
		json_t *a = json_array();
		for (guint i = 0; i < list->len; i++) {
			const sip_binding *b = list->pdata[i];
			int64_t left = (b->expires_us - now_mono) / G_USEC_PER_SEC;
			if (left <= 0)
				continue;
			++*contacts;
			json_array_append_new(a, json_pack("{s:s, s:s, s:I}", "contact", b->contact,
							   "source", b->source ? b->source : "?",
							   "expires", (json_int_t)(now_wall + left)));
		}
		json_object_set_new(o, key, a);
	}
	return o;
}

typedef struct {
	sip_state *st;
	unsigned shard, contacts;
} stored_req;

/* Loop thread; ud: a stored_req, ours. */
static void on_stored(int status, void *ud)
{
	stored_req *r = ud;
	sip_state *st = r->st;
	if (status && status != -ECANCELED)
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN,
			     "registrations.%x not stored (%s); phones re-register anyway", r->shard,
			     g_strerror(-status));
	else if (status == 0)
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_DEBUG, "registrations.%x stored (%u contacts)",
			     r->shard, r->contacts);
	g_free(r);
}

void sip_registrations_flush(sip_state *st)
{
	int64_t now_mono = st->api->monotonic_us(st->host);
	int64_t now_wall = g_get_real_time() / G_USEC_PER_SEC;
	for (unsigned shard = 0; st->reg_dirty && shard < SIP_REG_SHARDS; shard++) {
		if (!(st->reg_dirty & (1u << shard)))
			continue;
		st->reg_dirty &= ~(1u << shard);
		unsigned contacts = 0;
		json_t *o = shard_json(st, shard, now_mono, now_wall, &contacts);
		char *text = json_dumps(o, JSON_COMPACT);
		char key[32];
		g_snprintf(key, sizeof key, "registrations.%x", shard);
		stored_req *r = g_new(stored_req, 1);
		*r = (stored_req){.st = st, .shard = shard, .contacts = contacts};
		if (!text || strlen(text) > SIP_REG_SHARD_MAX) {
			st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN,
				     "%s: too many contacts to keep over a restart", key);
			g_free(r);
		} else if (st->api->setting_set(st->host, key, text, on_stored, r) != 0) {
			on_stored(-EIO, r);
		}
		free(text);
		json_decref(o);
	}
}

/* One stored binding of user into its list, when still valid. */
static bool restore_one(sip_state *st, GPtrArray *list, json_t *e, int64_t now_mono,
			int64_t now_wall)
{
	const char *contact = json_string_value(json_object_get(e, "contact"));
	const char *source = json_string_value(json_object_get(e, "source"));
	json_int_t expires = json_integer_value(json_object_get(e, "expires"));
	if (!contact || !contact[0] || strlen(contact) > 512 || strncmp(contact, "sip", 3) != 0 ||
	    expires <= now_wall || list->len >= 16)
		return false;
	for (guint i = 0; i < list->len; i++)
		if (strcmp(((sip_binding *)list->pdata[i])->contact, contact) == 0)
			return false;
	int64_t left = MIN((int64_t)expires - now_wall, st->max_expires_s);
	sip_binding *b = g_new0(sip_binding, 1);
	b->contact = g_strdup(contact);
	b->source = g_strdup(source && strlen(source) < 64 ? source : "?");
	b->expires_us = now_mono + left * G_USEC_PER_SEC;
	g_ptr_array_add(list, b);
	sip_registrar_expiry_due(st, b->expires_us);
	return true;
}

void sip_registrations_restore(sip_state *st)
{
	int64_t now_mono = st->api->monotonic_us(st->host);
	int64_t now_wall = g_get_real_time() / G_USEC_PER_SEC;
	unsigned restored = 0;
	for (unsigned shard = 0; shard < SIP_REG_SHARDS; shard++) {
		char key[32], *text = NULL;
		g_snprintf(key, sizeof key, "registrations.%x", shard);
		if (st->api->setting_get(st->host, key, &text) != 0)
			continue;
		json_t *o = json_loads(text, 0, NULL);
		st->api->free(text);
		const char *user;
		json_t *a;
		json_object_foreach(o, user, a) {
			/* an extension deleted meanwhile keeps nothing */
			if (!sip_accounts_extension(st->accounts, user) || !json_is_array(a))
				continue;
			GPtrArray *list = sip_registrar_bindings(st, user);
			size_t i;
			json_t *e;
			json_array_foreach(a, i, e)
				restored += restore_one(st, list, e, now_mono, now_wall);
		}
		json_decref(o);
	}
	if (restored)
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO,
			     "%u registration(s) restored from before the restart", restored);
}
