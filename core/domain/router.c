/* The router: placement of new conversations, supervisors' assignments and
 * reassignments, the event bus and the router's life (the waiting list
 * served as capacity frees: router_waiting.c). */
#define TSUNAGU_LOG_TOPIC "router"
#include "router.h"

#include <errno.h>
#include <string.h>

#include "domain.h"
#include "events.h"
#include "log.h"
#include "router_private.h"
#include "rules.h"

#define SNOOZE_PREFIX "snooze:"

/* ---- helpers ----------------------------------------------------------------- */

int router_unit_begin(tsunagu_router *r, unsigned *mark)
{
	*mark = tsunagu_events_mark(r->core->events);
	return tsunagu_store_atomic_begin(r->core->store);
}

int router_unit_end(tsunagu_router *r, unsigned mark, int ret)
{
	if (ret < 0) {
		tsunagu_store_atomic_end(r->core->store, false);
		tsunagu_events_rollback_to(r->core->events, mark);
		return ret;
	}
	return tsunagu_store_atomic_end(r->core->store, true);
}

int router_emit(tsunagu_router *r, const char *type, int64_t conversation_id, int64_t actor,
		json_t *payload)
{
	int ret = tsunagu_events_emit(r->core->events, type, conversation_id, actor, payload, NULL);
	json_decref(payload);
	return ret;
}

bool router_is_phone(const tsunagu_store_conversation *conv)
{
	return conv->channel && strcmp(conv->channel, "phone") == 0;
}

static bool excluded(const GArray *exclude, int64_t id)
{
	for (guint i = 0; exclude && i < exclude->len; i++)
		if (g_array_index(exclude, int64_t, i) == id)
			return true;
	return false;
}

bool router_eligible(tsunagu_router *r, int64_t id, bool phone)
{
	bool ok = false;
	return tsunagu_store_staff_eligible(r->core->store, id, phone, &ok) == 0 && ok;
}

static int pick(tsunagu_router *r, const router_route *route, bool phone, const GArray *exclude,
		bool dry, int64_t *staff_id)
{
	if (router_route_nobody(route))
		return -ENOENT;
	if (route->prefer && !excluded(exclude, route->prefer) &&
	    router_eligible(r, route->prefer, phone)) {
		*staff_id = route->prefer;
		return 0;
	}
	if (!route->all && route->staff->len == 0 && route->teams->len == 0)
		return -ENOENT;
	char *staff = router_ids_json(route->staff), *teams = router_ids_json(route->teams);
	char *ex = exclude ? router_ids_json(exclude) : NULL;
	tsunagu_store_pick q = {
		.method = router_route_pick_method(route),
		.phone = phone,
		.all = route->all,
		.staff_ids_json = staff,
		.team_ids_json = teams,
		.exclude_ids_json = ex,
		.now_us = tsunagu_core_now_us(),
	};
	int ret = q.method == TSUNAGU_PICK_ROUND_ROBIN
			  ? router_rr_pick(r, route, &q, dry, staff_id)
			  : tsunagu_store_staff_pick(r->core->store, &q, staff_id);
	g_free(staff);
	g_free(teams);
	g_free(ex);
	return ret;
}

int router_pick(tsunagu_router *r, const router_route *route, bool phone,
		const GArray *exclude, int64_t *staff_id)
{
	return pick(r, route, phone, exclude, false, staff_id);
}

int router_pick_dry(tsunagu_router *r, const router_route *route, bool phone,
		    int64_t *staff_id)
{
	return pick(r, route, phone, NULL, true, staff_id);
}

int router_assign_writes(tsunagu_router *r, const tsunagu_store_conversation *conv,
			 int64_t staff_id, int64_t by_staff_id, const router_route *route)
{
	tsunagu_store *store = r->core->store;
	int64_t team = -1;
	int ret;

	/* the team of a one-team route (the conversation is that team's) */
	if (route && !route->all && route->staff->len == 0 && route->teams->len == 1 &&
	    staff_id != route->prefer)
		team = g_array_index(route->teams, int64_t, 0);
	ret = tsunagu_store_conversation_assign_state(
		store, conv->id, staff_id, team,
		conv->state == TSUNAGU_CONV_WAITING ? TSUNAGU_CONV_OPEN : 0);
	if (ret == 0 && route && router_route_pick_method(route) == TSUNAGU_PICK_ROUND_ROBIN)
		ret = router_rr_took(r, route, router_is_phone(conv), staff_id);
	if (ret < 0)
		return ret;
	json_t *payload = json_pack("{s:s, s:I, s:o}", "conversation", conv->public_id, "staff",
				    (json_int_t)staff_id, "by",
				    by_staff_id ? json_integer(by_staff_id) : json_string("router"));
	if (conv->assignee_id && conv->assignee_id != staff_id)
		json_object_set_new(payload, "from", json_integer(conv->assignee_id));
	if (route && !by_staff_id)
		json_object_set_new(payload, "method", json_string(route->method));
	ret = router_emit(r, "conversation.assigned", conv->id, by_staff_id, payload);
	/* An offered chat: accepted by the operator's first action on it. */
	int64_t timeout = router_offer_timeout_us(r);
	if (ret == 0 && !by_staff_id && route && !router_is_phone(conv) && timeout > 0)
		ret = router_offer_writes(r, conv, staff_id, false,
					  tsunagu_core_now_us() + timeout);
	return ret;
}

/* ---- placement ------------------------------------------------------------------ */

static int emit_waiting(tsunagu_router *r, const tsunagu_store_conversation *conv,
			const router_route *route)
{
	return router_emit(r, "conversation.waiting", conv->id, 0,
			   json_pack("{s:s, s:s}", "conversation", conv->public_id, "reason",
				     router_route_nobody(route) ? "nobody"
								: "no_available_operator"));
}

/* Keeps route with conv (inside the caller's unit). */
static int keep_route(tsunagu_router *r, const tsunagu_store_conversation *conv,
		      const router_route *route)
{
	char *text = router_route_to_json(route);
	int ret = tsunagu_store_conversation_set_route(r->core->store, conv->id, text);
	g_free(text);
	for (guint i = 0; ret == 0 && i < route->notes->len; i++)
		tlog_warn("conversation %s: route: %s", conv->public_id,
			  (char *)route->notes->pdata[i]);
	return ret;
}

int router_place_route(tsunagu_router *r, const tsunagu_store_conversation *conv,
		       router_route *route, const GArray *exclude, bool tried,
		       int64_t *assignee_out)
{
	int64_t staff_id = 0;
	int ret = keep_route(r, conv, route);
	if (ret < 0)
		return ret;
	/* A call is rung, not assigned: it waits until its call comes in
	 * (tsunagu_router_call_incoming) and someone answers. */
	if (router_is_phone(conv)) {
		tsunagu_store_call *call = NULL;
		if (tsunagu_store_call_of_conversation(r->core->store, conv->id, &call) == 0 &&
		    strcmp(call->state, "queued") == 0)
			ret = router_ring(r, conv, 0, NULL);
		tsunagu_store_call_free(call);
		if (ret == 0 && assignee_out)
			*assignee_out = 0;
		return ret;
	}
	ret = router_pick(r, route, false, exclude, &staff_id);
	if (ret == -ENOENT && tried && exclude && exclude->len) {
		/* everyone was tried: start again from all of them */
		ret = tsunagu_store_offers_clear(r->core->store, conv->id);
		if (ret == 0)
			ret = router_pick(r, route, false, NULL, &staff_id);
	}
	if (ret == 0) {
		ret = router_assign_writes(r, conv, staff_id, 0, route);
	} else if (ret == -ENOENT) {
		staff_id = 0;
		ret = emit_waiting(r, conv, route);
	}
	if (ret == 0 && assignee_out)
		*assignee_out = staff_id;
	return ret;
}

int tsunagu_router_place(tsunagu_router *router, const tsunagu_store_conversation *conv,
			 json_t *target, const char *method, int64_t *assignee_out)
{
	if (!router || !conv)
		return -EINVAL;
	router_route *route = router_route_resolve(router->core, conv, target, method);
	int ret;
	/* A phone conversation just created has no call yet to ring (it comes with
	 * tsunagu_router_call_arrive): its route is kept, nothing read. */
	if (router_is_phone(conv)) {
		ret = keep_route(router, conv, route);
		if (ret == 0 && assignee_out)
			*assignee_out = 0;
	} else {
		ret = router_place_route(router, conv, route, NULL, false, assignee_out);
	}
	router_route_free(route);
	return ret;
}

/* router_private.h. */
int router_requeue_writes(tsunagu_router *r, tsunagu_store_conversation *conv,
			  router_route *route, const GArray *exclude, bool tried)
{
	tsunagu_store *store = r->core->store;
	int ret = 0;

	if (conv->assignee_id)
		ret = tsunagu_store_conversation_assign(store, conv->id, 0, -1);
	if (ret == 0 && conv->state != TSUNAGU_CONV_WAITING)
		ret = tsunagu_store_conversation_set_state(store, conv->id, TSUNAGU_CONV_WAITING);
	if (ret < 0)
		return ret;
	/* the assignment event names the one it was taken from */
	conv->state = TSUNAGU_CONV_WAITING;
	return router_place_route(r, conv, route, exclude, tried, NULL);
}

int tsunagu_router_requeue(tsunagu_router *router, int64_t conversation_id)
{
	tsunagu_store_conversation *conv = NULL;
	int ret;

	if (!router)
		return -EINVAL;
	ret = tsunagu_store_conversation_get(router->core->store, conversation_id, &conv);
	if (ret < 0)
		return ret;
	router_route *route = router_route_parse(conv->route_json);
	ret = router_requeue_writes(router, conv, route, NULL, false);
	router_route_free(route);
	tsunagu_store_conversation_free(conv);
	return ret;
}

int tsunagu_router_reassign(tsunagu_router *router, int64_t conversation_id, json_t *target,
			    const GArray *exclude, bool exclude_assignee)
{
	tsunagu_store_conversation *conv = NULL;
	GArray *ex = g_array_new(FALSE, FALSE, sizeof(int64_t));
	router_route *route = NULL;
	unsigned mark;
	int ret;

	if (!router) {
		ret = -EINVAL;
		goto out;
	}
	ret = tsunagu_store_conversation_get(router->core->store, conversation_id, &conv);
	if (ret < 0)
		goto out;
	if (conv->state == TSUNAGU_CONV_CLOSED) {
		ret = -EPIPE;
		goto out;
	}
	if (exclude)
		g_array_append_vals(ex, exclude->data, exclude->len);
	if (conv->assignee_id && exclude_assignee)
		g_array_append_val(ex, conv->assignee_id);
	route = target ? router_route_resolve(router->core, conv, target, NULL)
		       : router_route_parse(conv->route_json);
	if (target) {
		/* keep the method of the kept route */
		router_route *kept = router_route_parse(conv->route_json);
		g_free(route->method);
		route->method = g_strdup(kept->method);
		router_route_free(kept);
	}
	ret = router_unit_begin(router, &mark);
	if (ret == 0)
		ret = router_unit_end(router, mark, router_requeue_writes(router, conv, route, ex, false));
out:
	router_route_free(route);
	tsunagu_store_conversation_free(conv);
	g_array_unref(ex);
	return ret;
}

/* ---- supervisors ---------------------------------------------------------------- */

int tsunagu_router_assign(tsunagu_router *router, int64_t conversation_id, int64_t staff_id,
			  int64_t by_staff_id, bool *over_capacity_out)
{
	tsunagu_store *store = router->core->store;
	tsunagu_store_conversation *conv = NULL;
	tsunagu_store_staff *s = NULL;
	unsigned mark;
	int ret;

	ret = tsunagu_store_conversation_get(store, conversation_id, &conv);
	if (ret == 0)
		ret = tsunagu_store_staff_get(store, staff_id, &s);
	if (ret < 0)
		goto out;
	if (conv->state == TSUNAGU_CONV_CLOSED) {
		ret = -EPIPE;
		goto out;
	}
	if (s->disabled) {
		ret = -EINVAL;
		goto out;
	}
	if (over_capacity_out)
		*over_capacity_out = conv->assignee_id != staff_id &&
				     (router_is_phone(conv) ? s->open_phone >= s->call_capacity
							    : s->open_chats >= s->chat_capacity);
	if (conv->assignee_id == staff_id && conv->state != TSUNAGU_CONV_WAITING)
		goto out;
	ret = router_unit_begin(router, &mark);
	if (ret == 0) {
		/* a supervisor's choice ends whatever was offered */
		ret = tsunagu_store_offers_clear(store, conv->id);
		if (ret == 0)
			ret = router_assign_writes(router, conv, staff_id, by_staff_id, NULL);
		ret = router_unit_end(router, mark, ret);
	}
out:
	tsunagu_store_conversation_free(conv);
	tsunagu_store_staff_free(s);
	return ret;
}

/* ---- snooze wake-ups ----------------------------------------------------------------- */

int tsunagu_router_snooze_timer(tsunagu_router *router, const char *conversation_public_id,
				int64_t until_us)
{
	if (!conversation_public_id)
		return -EINVAL;
	if (!router || !router->timers)
		return 0; /* nobody to wake it: it stays snoozed until a message or a reopen */
	char *key = g_strconcat(SNOOZE_PREFIX, conversation_public_id, NULL);
	int ret = until_us > 0 ? tsunagu_timers_set(router->timers, key, until_us, NULL)
			       : tsunagu_timers_cancel(router->timers, key);
	g_free(key);
	return ret;
}

/* Timer service callback, loop thread; key and payload borrowed. */
static void snooze_due(const char *key, json_t *payload, void *user_data)
{
	tsunagu_router *r = user_data;
	tsunagu_store_conversation *conv = NULL;
	const char *pid = key + strlen(SNOOZE_PREFIX);

	if (tsunagu_store_conversation_get_by_public_id(r->core->store, pid, &conv) < 0)
		return;
	/* a customer message may have woken it already */
	if (conv->state == TSUNAGU_CONV_SNOOZED && r->core->domain) {
		int ret = tsunagu_domain_reopen(r->core->domain, conv->id, 0);
		if (ret < 0)
			tlog_warn("snoozed conversation %s not woken: %s", pid, g_strerror(-ret));
	}
	tsunagu_store_conversation_free(conv);
}

/* ---- capacity frees: the event bus ------------------------------------------------------ */

static int64_t payload_int(json_t *p, const char *key)
{
	json_t *v = json_object_get(p, key);
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* Event bus subscriber, loop thread, after the commit; ev borrowed. Every
 * way capacity frees ends in one of these events, whoever caused it (API,
 * workflows, timers, the call engine). */
static void on_event(const tsunagu_store_event *ev, void *user_data)
{
	tsunagu_router *r = user_data;
	const char *t = ev->type;
	tsunagu_store_conversation *conv = NULL;
	int64_t who = 0;

	/* A close or snooze needs its conversation (who held it); read once,
	 * first, it tells the two handlers below which of their reads to skip
	 * (nothing they write changes who held it). */
	bool ending = !strcmp(t, "conversation.closed") || !strcmp(t, "conversation.snoozed");
	if (ending && ev->conversation_id &&
	    tsunagu_store_conversation_get(r->core->store, ev->conversation_id, &conv) < 0)
		conv = NULL;
	router_offers_on_event(r, ev, conv);
	router_calls_on_event(r, ev, conv);
	if (!ending && strcmp(t, "conversation.assigned") && strcmp(t, "staff.status_changed") &&
	    strcmp(t, "staff.capacity_changed") && strcmp(t, "staff.routing_changed") &&
	    strcmp(t, "call.ended") && strcmp(t, "call.acw_ended") && strcmp(t, "call.missed"))
		return;
	json_t *p = tsunagu_events_payload(r->core->events, ev); /* borrowed */
	if (ending) {
		who = conv ? conv->assignee_id : 0;
	} else if (!strcmp(t, "conversation.assigned")) {
		who = payload_int(p, "from");
	} else if (!strcmp(t, "staff.status_changed")) {
		const char *status = json_string_value(json_object_get(p, "status"));
		if (status && !strcmp(status, "available"))
			who = payload_int(p, "staff");
		else if (status)
			/* gone to lunch with a chat still ringing: it goes on now,
			 * not when its deadline runs out */
			router_offers_withdraw(r, payload_int(p, "staff"));
	} else if (!strcmp(t, "call.missed")) {
		who = 0;
	} else {
		who = payload_int(p, "staff");
	}
	tsunagu_store_conversation_free(conv);
	if (who > 0)
		tsunagu_router_offer(r, who, NULL);
	else
		router_arm_deadline(r);
}

/* ---- life ------------------------------------------------------------------------------ */

int tsunagu_router_new(tsunagu_core *core, tsunagu_router **out)
{
	if (!core || !core->store || !core->events || !out)
		return -EINVAL;
	tsunagu_router *r = g_new0(tsunagu_router, 1);
	r->core = core;
	r->timers = core->rules ? tsunagu_rules_timers(core->rules) : NULL;
	if (r->timers && tsunagu_timers_handle(r->timers, SNOOZE_PREFIX, snooze_due, r) < 0) {
		tlog_warn("snooze wake-ups are handled elsewhere; not by the router");
		r->timers = NULL;
	}
	r->subscription = tsunagu_events_subscribe(core->events, on_event, r);
	unsigned n = 0;
	if (tsunagu_router_drain(r, &n) == 0 && n)
		tlog_info("%u waiting conversation(s) assigned at start", n);
	/* offers pending across the restart keep their deadlines */
	router_arm_deadline(r);
	*out = r;
	return 0;
}

void tsunagu_router_free(tsunagu_router *router)
{
	if (!router)
		return;
	tsunagu_events_unsubscribe(router->core->events, router->subscription);
	if (router->timers)
		tsunagu_timers_unhandle(router->timers, SNOOZE_PREFIX);
	if (router->deadline_source)
		g_source_remove(router->deadline_source);
	g_free(router);
}
