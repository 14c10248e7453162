/* The waiting list served as capacity frees: an operator who can take work
 * is offered the oldest waiting conversations their route admits.
 *
 * The candidates come from the store's index of who each waiting
 * conversation admits (tsunagu_store_waiting_admitted): one ordered list
 * per way a route can admit the operator — everyone, them by id, each of
 * their teams — for chats and for calls as they can take them. The walk
 * merges those lists in waiting-list order (each is ordered by waiting
 * since, then id), so only candidates are read, oldest first, and an
 * operator whom nothing admits costs one statement of a few index seeks
 * (TSUNAGU_ADMITS_ANY_FOR_STAFF), not the list. */
#define TSUNAGU_LOG_TOPIC "router"
#include <errno.h>

#include "log.h"
#include "router_private.h"

/* Each list is read in batches: small at first (the oldest usually fits),
 * doubling up to the maximum. */
#define WALK_FIRST_BATCH 4
#define WALK_BATCH 64

typedef struct {
	tsunagu_admits_kind kind;
	int64_t ref;
	bool phone;
	GArray *batch; /* tsunagu_store_waiting_pos, read from at */
	guint at;
	unsigned size; /* of the next batch */
	bool end;      /* the last batch was short: nothing after it */
} admits_list;

struct router_waiting_walk {
	tsunagu_store *store;
	GArray *lists; /* admits_list */
	bool chat, phone;
	bool started;
	tsunagu_store_waiting_pos last; /* the last position returned */
};

static void add_list(router_waiting_walk *w, tsunagu_admits_kind kind, int64_t ref, bool phone)
{
	admits_list l = { .kind = kind, .ref = ref, .phone = phone, .size = WALK_FIRST_BATCH };
	g_array_append_val(w->lists, l);
}

router_waiting_walk *router_waiting_walk_new(tsunagu_store *store, int64_t staff_id,
					     const GArray *teams, bool chat, bool phone)
{
	router_waiting_walk *w = g_new0(router_waiting_walk, 1);
	w->store = store;
	w->lists = g_array_new(FALSE, TRUE, sizeof(admits_list));
	w->chat = chat;
	w->phone = phone;
	for (int p = 0; p < 2; p++) {
		if (!(p ? phone : chat))
			continue;
		add_list(w, TSUNAGU_ADMITS_ALL, 0, p);
		add_list(w, TSUNAGU_ADMITS_STAFF, staff_id, p);
		for (guint i = 0; teams && i < teams->len; i++)
			add_list(w, TSUNAGU_ADMITS_TEAM, g_array_index(teams, int64_t, i), p);
	}
	return w;
}

void router_waiting_walk_free(router_waiting_walk *w)
{
	if (!w)
		return;
	for (guint i = 0; i < w->lists->len; i++) {
		admits_list *l = &g_array_index(w->lists, admits_list, i);
		if (l->batch)
			g_array_unref(l->batch);
	}
	g_array_unref(w->lists);
	g_free(w);
}

void router_waiting_walk_stop(router_waiting_walk *w, bool phone)
{
	if (phone)
		w->phone = false;
	else
		w->chat = false;
}

static int cmp_pos(const tsunagu_store_waiting_pos *a, const tsunagu_store_waiting_pos *b)
{
	if (a->waiting_since_us != b->waiting_since_us)
		return a->waiting_since_us < b->waiting_since_us ? -1 : 1;
	return a->conversation_id < b->conversation_id	 ? -1
	       : a->conversation_id > b->conversation_id ? 1
							 : 0;
}

/* The head of l after the last position returned (a conversation in
 * several lists was returned once), NULL at its end. */
static int head(router_waiting_walk *w, admits_list *l, const tsunagu_store_waiting_pos **out)
{
	for (;;) {
		for (; l->batch && l->at < l->batch->len; l->at++) {
			const tsunagu_store_waiting_pos *p =
				&g_array_index(l->batch, tsunagu_store_waiting_pos, l->at);
			if (!w->started || cmp_pos(p, &w->last) > 0) {
				*out = p;
				return 0;
			}
		}
		if (l->end) {
			*out = NULL;
			return 0;
		}
		tsunagu_store_waiting_pos after = { 0, 0 };
		if (l->batch && l->batch->len)
			after = g_array_index(l->batch, tsunagu_store_waiting_pos, l->batch->len - 1);
		else if (w->started)
			after = w->last;
		GArray *next = NULL;
		int ret = tsunagu_store_waiting_admitted(w->store, l->kind, l->ref, l->phone,
							 after.waiting_since_us,
							 after.conversation_id, l->size, &next);
		if (ret < 0)
			return ret;
		l->end = next->len < l->size;
		l->size = MIN(l->size * 2, WALK_BATCH);
		if (l->batch)
			g_array_unref(l->batch);
		l->batch = next;
		l->at = 0;
	}
}

int router_waiting_walk_next(router_waiting_walk *w, int64_t *conversation_id)
{
	const tsunagu_store_waiting_pos *best = NULL;

	for (guint i = 0; i < w->lists->len; i++) {
		admits_list *l = &g_array_index(w->lists, admits_list, i);
		const tsunagu_store_waiting_pos *p = NULL;
		if (l->phone ? !w->phone : !w->chat)
			continue;
		int ret = head(w, l, &p);
		if (ret < 0)
			return ret;
		if (p && (!best || cmp_pos(p, best) < 0))
			best = p;
	}
	if (!best)
		return -ENOENT;
	w->last = *best;
	w->started = true;
	*conversation_id = best->conversation_id;
	return 0;
}

/* Gives conv (waiting, its route admits staff_id) to staff_id when they
 * can take it: a chat is assigned, a queued call rings them. *took: done. */
static int offer_one(tsunagu_router *r, tsunagu_store_conversation *conv, int64_t staff_id,
		     router_route *route, bool *took)
{
	bool phone = router_is_phone(conv);
	unsigned mark, rung = 0;
	int ret;

	*took = false;
	if (!router_eligible(r, staff_id, phone))
		return 0;
	ret = router_unit_begin(r, &mark);
	if (ret < 0)
		return ret;
	if (phone) {
		ret = router_ring(r, conv, staff_id, &rung);
		*took = rung > 0;
	} else {
		ret = router_assign_writes(r, conv, staff_id, 0, route);
		*took = ret == 0;
	}
	ret = router_unit_end(r, mark, ret);
	if (ret < 0)
		*took = false;
	return ret;
}

/* Offers conversation id (a candidate of the walk) to staff_id. */
static int offer_candidate(tsunagu_router *r, int64_t id, int64_t staff_id, const GArray *teams,
			   bool *took, bool *phone)
{
	tsunagu_store_conversation *conv = NULL;
	int ret = tsunagu_store_conversation_get(r->core->store, id, &conv);

	*took = false;
	if (ret < 0)
		return ret == -ENOENT ? 0 : ret;
	*phone = router_is_phone(conv);
	router_route *route = router_route_parse(conv->route_json);
	/* the index and the route agree by construction; the route decides */
	if (conv->state == TSUNAGU_CONV_WAITING && router_route_admits(route, staff_id, teams))
		ret = offer_one(r, conv, staff_id, route, took);
	router_route_free(route);
	tsunagu_store_conversation_free(conv);
	return ret;
}

/* Whether a conversation of the kind waits that a route list of staff_id
 * holds (*any): one statement for every list, where the walk reads the
 * operator's teams and then each list. */
static int anything_waits(tsunagu_store *store, int64_t staff_id, bool phone, bool *any)
{
	GArray *pos = NULL;
	int ret = tsunagu_store_waiting_admitted(store, TSUNAGU_ADMITS_ANY_FOR_STAFF, staff_id,
						 phone, 0, 0, 1, &pos);

	*any = ret == 0 && pos->len > 0;
	if (pos)
		g_array_unref(pos);
	return ret;
}

int tsunagu_router_offer(tsunagu_router *router, int64_t staff_id, unsigned *assigned_out)
{
	tsunagu_store *store = router->core->store;
	router_waiting_walk *walk = NULL;
	GArray *teams = NULL;
	unsigned assigned = 0;
	bool chat_ok = false, phone_ok;
	int64_t id = 0;
	int ret = 0;

	/* No read of the operator: every time capacity frees runs this (three
	 * times a call), and the eligibility checks read what it needs — someone
	 * unknown is eligible for nothing. A freed operator of a call centre
	 * usually finds nothing waiting for them: a probe of all their lists
	 * at once says so before their teams are read and a list walked (two
	 * statements where the walk took four to six). The chat check comes
	 * only when a chat they may take waits. */
	phone_ok = router_eligible(router, staff_id, true);
	ret = anything_waits(store, staff_id, false, &chat_ok);
	if (ret == 0 && phone_ok)
		ret = anything_waits(store, staff_id, true, &phone_ok);
	if (ret < 0)
		goto out;
	chat_ok = chat_ok && router_eligible(router, staff_id, false);
	if (!chat_ok && !phone_ok)
		goto out;
	ret = tsunagu_store_staff_teams(store, staff_id, &teams);
	if (ret < 0)
		goto out;
	walk = router_waiting_walk_new(store, staff_id, teams, chat_ok, phone_ok);
	while ((chat_ok || phone_ok) && (ret = router_waiting_walk_next(walk, &id)) == 0) {
		bool took = false, phone = false;
		ret = offer_candidate(router, id, staff_id, teams, &took, &phone);
		if (ret < 0)
			goto out;
		if (!took)
			continue;
		assigned++;
		if (phone)
			phone_ok = router_eligible(router, staff_id, true);
		else
			chat_ok = router_eligible(router, staff_id, false);
		if (!(phone ? phone_ok : chat_ok))
			router_waiting_walk_stop(walk, phone);
	}
	if (ret == -ENOENT)
		ret = 0; /* the end of the walk */
out:
	if (ret < 0)
		tlog_warn("offering waiting conversations to staff %" G_GINT64_FORMAT ": %s",
			  staff_id, g_strerror(-ret));
	if (assigned)
		tlog_debug("staff %" G_GINT64_FORMAT " took %u waiting conversation(s)", staff_id,
			   assigned);
	if (assigned_out)
		*assigned_out = assigned;
	router_waiting_walk_free(walk);
	if (teams)
		g_array_unref(teams);
	router_arm_deadline(router);
	return ret == -ENOENT ? 0 : ret;
}

int tsunagu_router_drain(tsunagu_router *router, unsigned *assigned_out)
{
	GPtrArray *all = NULL;
	unsigned total = 0;
	int ret = tsunagu_store_staff_list(router->core->store, &all);

	for (guint i = 0; ret == 0 && i < all->len; i++) {
		tsunagu_store_staff *s = all->pdata[i];
		unsigned n = 0;
		if (s->status == TSUNAGU_STATUS_AVAILABLE && !s->disabled)
			ret = tsunagu_router_offer(router, s->id, &n);
		total += n;
	}
	if (all)
		g_ptr_array_unref(all);
	if (assigned_out)
		*assigned_out = total;
	return ret;
}
