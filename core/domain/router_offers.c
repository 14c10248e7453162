/* The router's offers: a chat assigned on offer (routing.offer_timeout) or
 * a ringing call (routing.ring_timeout) that is not accepted in time goes
 * to the next eligible operator; after routing.max_missed_offers
 * consecutive misses the operator is set away (reason missed_offers), as
 * Asterisk's autopause does. Deadlines live in the store's offers table, so
 * a restart keeps them; one GLib timeout is armed for the earliest. */
#define TSUNAGU_LOG_TOPIC "router"
#include <errno.h>
#include <string.h>

#include "log.h"
#include "router_private.h"

#define DUE_PAGE 100

int64_t router_offer_timeout_us(tsunagu_router *r)
{
	const tsunagu_config *cfg = r->core->config;
	return cfg ? tsunagu_config_duration_ms(cfg, "routing.offer_timeout") * 1000 : 0;
}

int64_t router_ring_timeout_us(tsunagu_router *r)
{
	const tsunagu_config *cfg = r->core->config;
	return cfg ? tsunagu_config_duration_ms(cfg, "routing.ring_timeout") * 1000
		   : 30 * G_USEC_PER_SEC;
}

int router_ring_rounds(tsunagu_router *r)
{
	const tsunagu_config *cfg = r->core->config;
	int64_t n = cfg ? tsunagu_config_int(cfg, "routing.ring_rounds") : 3;
	return n < 0 ? 0 : (int)MIN(n, G_MAXINT);
}

int router_max_missed(tsunagu_router *r)
{
	const tsunagu_config *cfg = r->core->config;
	int64_t n = cfg ? tsunagu_config_int(cfg, "routing.max_missed_offers") : 3;
	return n < 0 ? 0 : (int)MIN(n, G_MAXINT);
}

GArray *router_offered_to(tsunagu_router *r, int64_t conversation_id)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	GPtrArray *offers = NULL;
	if (tsunagu_store_offers_of(r->core->store, conversation_id, &offers) == 0) {
		for (guint i = 0; i < offers->len; i++) {
			tsunagu_store_offer *o = offers->pdata[i];
			g_array_append_val(ids, o->staff_id);
		}
		g_ptr_array_unref(offers);
	}
	return ids;
}

int router_offer_writes(tsunagu_router *r, const tsunagu_store_conversation *conv,
			int64_t staff_id, bool call, int64_t deadline_us)
{
	int ret = tsunagu_store_offer_put(r->core->store, conv->id, staff_id, call, deadline_us);
	if (ret == 0 && !call)
		ret = router_emit(r, "conversation.offered", conv->id, 0,
				  json_pack("{s:s, s:I, s:o}", "conversation", conv->public_id,
					    "staff", (json_int_t)staff_id, "deadline",
					    deadline_us ? json_integer(deadline_us)
							: json_null()));
	return ret;
}

/* ---- the deadline timer ------------------------------------------------------- */

/* GLib timeout, loop thread. */
static gboolean deadline_due(gpointer data)
{
	tsunagu_router *r = data;
	r->deadline_source = 0;
	r->deadline_us = 0;
	r->deadline_read = false; /* read again whatever the tick wrote */
	tsunagu_router_tick(r, NULL);
	router_arm_deadline(r);
	return G_SOURCE_REMOVE;
}

void router_arm_deadline(tsunagu_router *r)
{
	uint64_t gen = tsunagu_store_offers_generation(r->core->store);
	int64_t due = 0;
	/* No offer written or write undone since the last read: the same
	 * answer (most steps of a call write none). */
	if (r->deadline_read && gen == r->deadline_gen)
		return;
	int ret = tsunagu_store_offers_next(r->core->store, &due);
	if (ret < 0)
		due = 0;
	r->deadline_read = ret == 0 || ret == -ENOENT;
	r->deadline_gen = gen;
	if (r->deadline_source && due == r->deadline_us)
		return;
	if (r->deadline_source)
		g_source_remove(r->deadline_source);
	r->deadline_source = 0;
	r->deadline_us = due;
	if (!due)
		return;
	int64_t wait_ms = (due - tsunagu_core_now_us()) / 1000 + 1;
	r->deadline_source = g_timeout_add((guint)CLAMP(wait_ms, 0, 3600 * 1000), deadline_due, r);
}

/* ---- missed and accepted ---------------------------------------------------------- */

/* Counts a miss for staff_id; at the limit they are set away. Inside the
 * caller's unit. */
static int count_miss(tsunagu_router *r, const tsunagu_store_conversation *conv,
		      int64_t staff_id)
{
	int missed = 0, max = router_max_missed(r);
	int ret = tsunagu_store_staff_count_missed(r->core->store, staff_id, true, &missed);
	if (ret == 0)
		ret = router_emit(r, "conversation.offer_missed", conv->id, 0,
				  json_pack("{s:s, s:I, s:i}", "conversation", conv->public_id,
					    "staff", (json_int_t)staff_id, "missed", missed));
	if (ret == 0 && max > 0 && missed >= max) {
		tsunagu_store_staff *s = NULL;
		ret = tsunagu_store_staff_get(r->core->store, staff_id, &s);
		if (ret == 0 && s->status == TSUNAGU_STATUS_AVAILABLE) {
			tlog_info("staff %" G_GINT64_FORMAT " missed %d offers in a row: away",
				  staff_id, missed);
			ret = router_status_writes(r, staff_id, TSUNAGU_STATUS_AWAY, 0, 0,
						   "missed_offers");
		}
		/* back from away, they start again from zero */
		if (ret == 0)
			ret = tsunagu_store_staff_count_missed(r->core->store, staff_id, false,
							       NULL);
		tsunagu_store_staff_free(s);
	}
	return ret;
}

/* An offer passed its deadline: counted, and the conversation goes on to
 * the next operator — a chat is taken back and placed again away from whom
 * it was offered to already; a call rings the next phone. Inside the
 * caller's unit. */
static int missed(tsunagu_router *r, tsunagu_store_conversation *conv, int64_t staff_id,
		  bool call)
{
	tsunagu_store_staff *s = NULL;
	/* someone who went away or offline meanwhile did not miss it: they
	 * were no longer there to take it (not counted) */
	bool there = tsunagu_store_staff_get(r->core->store, staff_id, &s) == 0 &&
		     s->status == TSUNAGU_STATUS_AVAILABLE;
	tsunagu_store_staff_free(s);
	int ret = tsunagu_store_offer_end(r->core->store, conv->id, staff_id,
					  there ? "missed" : "declined");
	if (ret == 0 && call) {
		tsunagu_store_call *c = NULL;
		if (tsunagu_store_call_of_conversation(r->core->store, conv->id, &c) == 0)
			ret = router_ring_stopped(r, conv->id, c->id, staff_id,
						  there ? "ring_timeout" : "unavailable");
		tsunagu_store_call_free(c);
	}
	if (ret == 0 && there)
		ret = count_miss(r, conv, staff_id);
	if (ret < 0 || call)
		return ret < 0 ? ret : router_ring(r, conv, 0, NULL);
	GArray *tried = router_offered_to(r, conv->id);
	router_route *route = router_route_parse(conv->route_json);
	ret = router_requeue_writes(r, conv, route, tried, true);
	router_route_free(route);
	g_array_unref(tried);
	return ret;
}

static int handle_due(tsunagu_router *r, const tsunagu_store_offer *o)
{
	tsunagu_store_conversation *conv = NULL;
	unsigned mark;
	int ret = tsunagu_store_conversation_get(r->core->store, o->conversation_id, &conv);
	if (ret < 0)
		return tsunagu_store_offer_end(r->core->store, o->conversation_id, o->staff_id,
					       NULL);
	ret = router_unit_begin(r, &mark);
	if (ret < 0)
		goto out;
	if (!o->call && (conv->assignee_id != o->staff_id || conv->state != TSUNAGU_CONV_OPEN))
		/* taken away, closed or snoozed meanwhile: nothing is offered any more */
		ret = tsunagu_store_offer_end(r->core->store, conv->id, o->staff_id, NULL);
	else
		ret = missed(r, conv, o->staff_id, o->call);
	ret = router_unit_end(r, mark, ret);
out:
	tsunagu_store_conversation_free(conv);
	return ret;
}

void router_offers_withdraw(tsunagu_router *r, int64_t staff_id)
{
	GPtrArray *offers = NULL;
	int ret = tsunagu_store_offers_pending_of_staff(r->core->store, staff_id, &offers);
	/* handle_due sees them no longer available: not counted, moved on */
	for (guint i = 0; ret == 0 && i < offers->len; i++)
		ret = handle_due(r, offers->pdata[i]);
	if (ret < 0)
		tlog_warn("withdrawing the offers of staff %" G_GINT64_FORMAT ": %s", staff_id,
			  g_strerror(-ret));
	if (offers)
		g_ptr_array_unref(offers);
}

int tsunagu_router_tick(tsunagu_router *router, unsigned *handled_out)
{
	unsigned handled = 0;
	int ret = 0;

	if (!router)
		return -EINVAL;
	/* Each page is handled before the next is read; a handled offer is no
	 * longer pending, so the loop ends. The bound keeps a store that keeps
	 * failing from spinning. */
	for (int round = 0; round < 1000; round++) {
		GPtrArray *due = NULL;
		ret = tsunagu_store_offers_due(router->core->store, tsunagu_core_now_us(), DUE_PAGE,
					       &due);
		if (ret < 0 || due->len == 0) {
			if (due)
				g_ptr_array_unref(due);
			break;
		}
		for (guint i = 0; i < due->len && ret == 0; i++) {
			ret = handle_due(router, due->pdata[i]);
			handled += ret == 0;
		}
		g_ptr_array_unref(due);
		if (ret < 0)
			break;
	}
	if (ret < 0)
		tlog_warn("handling offers past their deadline: %s", g_strerror(-ret));
	if (handled_out)
		*handled_out = handled;
	return ret;
}

int tsunagu_router_accept(tsunagu_router *router, int64_t conversation_id, int64_t staff_id)
{
	unsigned mark;
	int ret;

	if (!router)
		return -EINVAL;
	ret = router_unit_begin(router, &mark);
	if (ret < 0)
		return ret;
	ret = tsunagu_store_offer_end(router->core->store, conversation_id, staff_id, NULL);
	if (ret == 0)
		ret = tsunagu_store_offers_clear(router->core->store, conversation_id);
	if (ret == 0)
		ret = tsunagu_store_staff_count_missed(router->core->store, staff_id, false, NULL);
	return router_unit_end(router, mark, ret);
}

void router_offers_on_event(tsunagu_router *r, const tsunagu_store_event *ev,
			    const tsunagu_store_conversation *conv)
{
	/* A call's events are a phone conversation's, whose offers are rings
	 * (kind call), which no action accepts: an answer does. No read for
	 * them (call.answered carries its operator: one read a call). */
	if (!ev->conversation_id || ev->actor_staff_id <= 0 ||
	    strncmp(ev->type, "call.", 5) == 0 || (conv && router_is_phone(conv)) ||
	    strcmp(ev->type, "conversation.assigned") == 0 ||
	    strcmp(ev->type, "conversation.offered") == 0)
		return;
	GPtrArray *offers = NULL;
	if (tsunagu_store_offers_of(r->core->store, ev->conversation_id, &offers) < 0)
		return;
	for (guint i = 0; i < offers->len; i++) {
		tsunagu_store_offer *o = offers->pdata[i];
		if (!o->call && o->staff_id == ev->actor_staff_id &&
		    strcmp(o->state, "pending") == 0) {
			int ret = tsunagu_router_accept(r, ev->conversation_id, o->staff_id);
			if (ret < 0)
				tlog_warn("offer of conversation %" G_GINT64_FORMAT
					  " not accepted: %s",
					  ev->conversation_id, g_strerror(-ret));
		}
	}
	g_ptr_array_unref(offers);
}
