/* Round robin as the vendor guide describes it (seed 003): a fixed order
 * (staff id); after the last one the next round starts at the first. An
 * operator who cannot take a conversation when their turn comes (on a
 * call, away, full) is skipped — for now they are at the end of the order —
 * and is owed that turn: as soon as they can take one again they are served
 * first, then the order continues where it was (they are back in their own
 * place).
 *
 * State per route and kind, in settings (namespace "router", key
 * router_route_rr_key + ":phone" for calls): {"last": id, "owed": [ids in
 * the order they were skipped]}. A bare integer (what earlier versions
 * kept) is read as {"last": n}. */
#define TSUNAGU_LOG_TOPIC "router"
#include <errno.h>

#include "log.h"
#include "router_private.h"

#define SETTINGS_NS "router"
/* A bound on what one route can owe (every member once). */
#define OWED_MAX 10000

typedef struct {
	int64_t last;
	GArray *owed; /* int64_t */
} rr_state;

static char *state_key(const router_route *route, bool phone)
{
	char *key = router_route_rr_key(route);
	if (!phone)
		return key;
	char *k = g_strconcat(key, ":phone", NULL);
	g_free(key);
	return k;
}

static void state_load(tsunagu_router *r, const char *key, rr_state *st)
{
	char *value = NULL;
	st->last = 0;
	st->owed = g_array_new(FALSE, FALSE, sizeof(int64_t));
	if (tsunagu_store_setting_get(r->core->store, SETTINGS_NS, key, &value) < 0)
		return;
	json_t *o = json_loads(value, JSON_DECODE_ANY, NULL);
	if (json_is_integer(o)) {
		st->last = json_integer_value(o);
	} else if (json_is_object(o)) {
		json_t *v;
		size_t i;
		st->last = json_integer_value(json_object_get(o, "last"));
		json_array_foreach(json_object_get(o, "owed"), i, v)
			if (json_is_integer(v) && st->owed->len < OWED_MAX) {
				int64_t id = json_integer_value(v);
				g_array_append_val(st->owed, id);
			}
	}
	json_decref(o);
	g_free(value);
}

static int state_save(tsunagu_router *r, const char *key, const rr_state *st)
{
	json_t *owed = json_array();
	for (guint i = 0; i < st->owed->len; i++)
		json_array_append_new(owed, json_integer(g_array_index(st->owed, int64_t, i)));
	json_t *o = json_pack("{s:I, s:o}", "last", (json_int_t)st->last, "owed", owed);
	char *text = json_dumps(o, JSON_COMPACT);
	int ret = tsunagu_store_setting_set(r->core->store, SETTINGS_NS, key, text);
	free(text);
	json_decref(o);
	return ret;
}

static int owed_index(const rr_state *st, int64_t id)
{
	for (guint i = 0; i < st->owed->len; i++)
		if (g_array_index(st->owed, int64_t, i) == id)
			return (int)i;
	return -1;
}

/* The route's members (of q) strictly between above and below (0: no
 * bound) appended to ids. */
static int members_between(tsunagu_router *r, const tsunagu_store_pick *q, int64_t above,
			   int64_t below, GArray *ids)
{
	tsunagu_store_pick b = *q;
	GArray *got = NULL;
	b.ids_above = above;
	b.ids_below = below;
	int ret = tsunagu_store_staff_route_ids(r->core->store, &b, &got);
	if (ret == 0) {
		g_array_append_vals(ids, got->data, got->len);
		g_array_unref(got);
	}
	return ret;
}

static bool is_member(tsunagu_router *r, const tsunagu_store_pick *q, int64_t id)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	bool yes = members_between(r, q, id - 1, id + 1, ids) == 0 && ids->len == 1;
	g_array_unref(ids);
	return yes;
}

/* Marks as owed the route's members strictly between last and picked in
 * the circular order (they were passed over). Only those are read: the
 * pick walked just them, so a pick costs what it skipped, not the route. */
static int note_skipped(tsunagu_router *r, const tsunagu_store_pick *q, rr_state *st,
			int64_t picked)
{
	GArray *between = g_array_new(FALSE, FALSE, sizeof(int64_t));
	GHashTable *owed = NULL;
	int ret;

	if (st->last < picked) {
		ret = members_between(r, q, st->last, picked, between);
	} else {
		ret = members_between(r, q, st->last, 0, between);
		if (ret == 0)
			ret = members_between(r, q, 0, picked, between);
	}
	if (ret < 0 || between->len == 0)
		goto out;
	/* the keys point into both arrays: st->owed grows only once the
	 * table is no longer used */
	owed = g_hash_table_new(g_int64_hash, g_int64_equal);
	for (guint i = 0; i < st->owed->len; i++)
		g_hash_table_add(owed, &g_array_index(st->owed, int64_t, i));
	for (guint i = 0; i < between->len; i++) {
		int64_t *id = &g_array_index(between, int64_t, i);
		if (*id != picked && !g_hash_table_contains(owed, id))
			g_hash_table_add(owed, id);
		else
			*id = 0;
	}
	for (guint i = 0; i < between->len && st->owed->len < OWED_MAX; i++)
		if (g_array_index(between, int64_t, i))
			g_array_append_val(st->owed, g_array_index(between, int64_t, i));

out:
	if (owed)
		g_hash_table_unref(owed);
	g_array_unref(between);
	return ret;
}

int router_rr_pick(tsunagu_router *r, const router_route *route, tsunagu_store_pick *q,
		   bool dry, int64_t *staff_id)
{
	char *key = state_key(route, q->phone);
	rr_state st;
	int ret = -ENOENT;

	state_load(r, key, &st);
	/* owed turns first, in the order they were skipped */
	for (guint i = 0; i < st.owed->len && ret == -ENOENT; i++) {
		int64_t id = g_array_index(st.owed, int64_t, i);
		bool ok = false;
		/* out of the route now, or excluded: not their turn here */
		if (tsunagu_store_staff_eligible(r->core->store, id, q->phone, &ok) == 0 && ok &&
		    is_member(r, q, id)) {
			*staff_id = id;
			ret = 0;
		}
	}
	if (ret == -ENOENT) {
		q->rr_after = st.last;
		ret = tsunagu_store_staff_pick(r->core->store, q, staff_id);
		if (ret == 0 && !dry)
			ret = note_skipped(r, q, &st, *staff_id);
	}
	if (ret == 0 && !dry)
		ret = state_save(r, key, &st);
	g_array_unref(st.owed);
	g_free(key);
	return ret;
}

int router_rr_took(tsunagu_router *r, const router_route *route, bool phone, int64_t staff_id)
{
	char *key = state_key(route, phone);
	rr_state st;
	int ret;

	state_load(r, key, &st);
	int i = owed_index(&st, staff_id);
	if (i >= 0)
		g_array_remove_index(st.owed, (guint)i); /* an owed turn: the order stays */
	else
		st.last = staff_id;
	ret = state_save(r, key, &st);
	g_array_unref(st.owed);
	g_free(key);
	return ret;
}
