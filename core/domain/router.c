/* The router: placement of new conversations, the waiting list served as
 * capacity frees, supervisors' assignments, operator status and capacity. */
#define TSUNAGU_LOG_TOPIC "router"
#include "router.h"

#include <errno.h>
#include <string.h>

#include "domain.h"
#include "events.h"
#include "log.h"
#include "router_route.h"
#include "rules.h"

#define SNOOZE_PREFIX "snooze:"
#define SETTINGS_NS "router"
/* The waiting list is read in pages while an operator is offered work:
 * small at first (the oldest usually fits), doubling up to the maximum. */
#define OFFER_FIRST_PAGE 16
#define OFFER_PAGE 512

struct tsunagu_router {
	tsunagu_core *core;
	unsigned subscription;
	tsunagu_timers *timers; /* borrowed from the rules host; NULL without one */
};

/* ---- helpers ----------------------------------------------------------------- */

static bool qualifies(const tsunagu_store_staff *s)
{
	return s->status == TSUNAGU_STATUS_AVAILABLE && !s->disabled &&
	       s->open_chats < s->chat_capacity;
}

static bool staff_qualifies(tsunagu_router *r, int64_t id)
{
	tsunagu_store_staff *s = NULL;
	bool ok = tsunagu_store_staff_get(r->core->store, id, &s) == 0 && qualifies(s);
	tsunagu_store_staff_free(s);
	return ok;
}

/* An atomic unit whose events are dropped with its writes. */
static int unit_begin(tsunagu_router *r, unsigned *mark)
{
	*mark = tsunagu_events_mark(r->core->events);
	return tsunagu_store_atomic_begin(r->core->store);
}

static int unit_end(tsunagu_router *r, unsigned mark, int ret)
{
	if (ret < 0) {
		tsunagu_store_atomic_end(r->core->store, false);
		tsunagu_events_rollback_to(r->core->events, mark);
		return ret;
	}
	return tsunagu_store_atomic_end(r->core->store, true);
}

static int64_t rr_pointer(tsunagu_router *r, const router_route *route)
{
	char *key = router_route_rr_key(route), *value = NULL;
	int64_t after = 0;
	if (tsunagu_store_setting_get(r->core->store, SETTINGS_NS, key, &value) == 0)
		after = g_ascii_strtoll(value, NULL, 10);
	g_free(key);
	g_free(value);
	return after;
}

static int rr_remember(tsunagu_router *r, const router_route *route, int64_t staff_id)
{
	char *key = router_route_rr_key(route);
	char *value = g_strdup_printf("%" G_GINT64_FORMAT, staff_id);
	int ret = tsunagu_store_setting_set(r->core->store, SETTINGS_NS, key, value);
	g_free(key);
	g_free(value);
	return ret;
}

/* Who gets a conversation of this route now: 0 and -ENOENT when nobody. */
static int pick(tsunagu_router *r, const router_route *route, int64_t *staff_id)
{
	if (router_route_nobody(route))
		return -ENOENT;
	if (route->prefer && staff_qualifies(r, route->prefer)) {
		*staff_id = route->prefer;
		return 0;
	}
	if (!route->all && route->staff->len == 0 && route->teams->len == 0)
		return -ENOENT;
	char *staff = router_ids_json(route->staff), *teams = router_ids_json(route->teams);
	tsunagu_store_pick q = {
		.method = router_route_pick_method(route),
		.all = route->all,
		.staff_ids_json = staff,
		.team_ids_json = teams,
		.now_us = tsunagu_core_now_us(),
	};
	if (q.method == TSUNAGU_PICK_ROUND_ROBIN)
		q.rr_after = rr_pointer(r, route);
	int ret = tsunagu_store_staff_pick(r->core->store, &q, staff_id);
	g_free(staff);
	g_free(teams);
	return ret;
}

/* The writes of one assignment, inside the caller's atomic unit: assignee
 * (and the team of a one-team route), a waiting conversation opened, the
 * round-robin position, the event. by_staff_id 0: the router. */
static int assign_writes(tsunagu_router *r, const tsunagu_store_conversation *conv,
			 int64_t staff_id, int64_t by_staff_id, const router_route *route)
{
	tsunagu_store *store = r->core->store;
	int64_t team = -1;
	int ret;

	if (route && !route->all && route->staff->len == 0 && route->teams->len == 1 &&
	    staff_id != route->prefer)
		team = g_array_index(route->teams, int64_t, 0);
	ret = tsunagu_store_conversation_assign(store, conv->id, staff_id, team);
	if (ret == 0 && conv->state == TSUNAGU_CONV_WAITING)
		ret = tsunagu_store_conversation_set_state(store, conv->id, TSUNAGU_CONV_OPEN);
	if (ret == 0 && route && router_route_pick_method(route) == TSUNAGU_PICK_ROUND_ROBIN)
		ret = rr_remember(r, route, staff_id);
	if (ret < 0)
		return ret;
	json_t *payload = json_pack("{s:s, s:I, s:o}", "conversation", conv->public_id, "staff",
				    (json_int_t)staff_id, "by",
				    by_staff_id ? json_integer(by_staff_id) : json_string("router"));
	if (conv->assignee_id && conv->assignee_id != staff_id)
		json_object_set_new(payload, "from", json_integer(conv->assignee_id));
	if (route && !by_staff_id)
		json_object_set_new(payload, "method", json_string(route->method));
	ret = tsunagu_events_emit(r->core->events, "conversation.assigned", conv->id, by_staff_id,
				  payload, NULL);
	json_decref(payload);
	return ret;
}

/* ---- placement ------------------------------------------------------------------ */

static int place_route(tsunagu_router *r, const tsunagu_store_conversation *conv,
		       router_route *route, int64_t *assignee_out)
{
	int64_t staff_id = 0;
	char *text = router_route_to_json(route);
	int ret = tsunagu_store_conversation_set_route(r->core->store, conv->id, text);
	g_free(text);
	if (ret < 0)
		return ret;
	for (guint i = 0; i < route->notes->len; i++)
		tlog_warn("conversation %s: route: %s", conv->public_id,
			  (char *)route->notes->pdata[i]);
	ret = pick(r, route, &staff_id);
	if (ret == 0) {
		ret = assign_writes(r, conv, staff_id, 0, route);
	} else if (ret == -ENOENT) {
		staff_id = 0;
		json_t *payload = json_pack("{s:s, s:s}", "conversation", conv->public_id, "reason",
					    router_route_nobody(route) ? "nobody"
								       : "no_available_operator");
		ret = tsunagu_events_emit(r->core->events, "conversation.waiting", conv->id, 0,
					  payload, NULL);
		json_decref(payload);
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
	int ret = place_route(router, conv, route, assignee_out);
	router_route_free(route);
	return ret;
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
	if (conv->assignee_id)
		ret = tsunagu_store_conversation_assign(router->core->store, conv->id, 0, -1);
	if (ret == 0 && conv->state != TSUNAGU_CONV_WAITING)
		ret = tsunagu_store_conversation_set_state(router->core->store, conv->id,
							   TSUNAGU_CONV_WAITING);
	if (ret == 0) {
		conv->state = TSUNAGU_CONV_WAITING;
		conv->assignee_id = 0;
		router_route *route = router_route_parse(conv->route_json);
		ret = place_route(router, conv, route, NULL);
		router_route_free(route);
	}
	tsunagu_store_conversation_free(conv);
	return ret;
}

/* ---- the waiting list ----------------------------------------------------------- */

int tsunagu_router_offer(tsunagu_router *router, int64_t staff_id, unsigned *assigned_out)
{
	tsunagu_store *store = router->core->store;
	tsunagu_store_staff *s = NULL;
	GArray *teams = NULL;
	GHashTable *admits = NULL; /* route text -> GINT_TO_POINTER(1 no, 2 yes) */
	int64_t after_since = 0, after_id = 0;
	unsigned assigned = 0;
	int free_slots, ret;

	ret = tsunagu_store_staff_get(store, staff_id, &s);
	if (ret < 0 || !qualifies(s))
		goto out;
	free_slots = s->chat_capacity - s->open_chats;
	ret = tsunagu_store_staff_teams(store, staff_id, &teams);
	if (ret < 0)
		goto out;
	admits = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (unsigned size = OFFER_FIRST_PAGE, more = 1; more && free_slots > 0;
	     size = MIN(size * 2, OFFER_PAGE)) {
		GPtrArray *page = NULL;
		ret = tsunagu_store_waiting_list(store, after_since, after_id, size, &page);
		if (ret < 0)
			goto out;
		more = page->len == size;
		for (guint i = 0; i < page->len && free_slots > 0; i++) {
			tsunagu_store_conversation *conv = page->pdata[i];
			after_since = conv->waiting_since_us;
			after_id = conv->id;
			const char *key = conv->route_json ? conv->route_json : "";
			int known = GPOINTER_TO_INT(g_hash_table_lookup(admits, key));
			router_route *route = router_route_parse(conv->route_json);
			if (!known) {
				known = router_route_admits(route, staff_id, teams) ? 2 : 1;
				g_hash_table_insert(admits, g_strdup(key), GINT_TO_POINTER(known));
			}
			if (known == 2) {
				unsigned mark;
				ret = unit_begin(router, &mark);
				if (ret == 0)
					ret = unit_end(router, mark,
						       assign_writes(router, conv, staff_id, 0, route));
				if (ret == 0) {
					assigned++;
					free_slots--;
				}
			}
			router_route_free(route);
			if (ret < 0)
				break;
		}
		g_ptr_array_unref(page);
		if (ret < 0)
			goto out;
	}
out:
	if (ret < 0)
		tlog_warn("offering waiting conversations to staff %" G_GINT64_FORMAT ": %s",
			  staff_id, g_strerror(-ret));
	if (assigned)
		tlog_debug("staff %" G_GINT64_FORMAT " took %u waiting conversation(s)", staff_id,
			   assigned);
	if (assigned_out)
		*assigned_out = assigned;
	if (admits)
		g_hash_table_unref(admits);
	if (teams)
		g_array_unref(teams);
	tsunagu_store_staff_free(s);
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
		if (qualifies(s))
			ret = tsunagu_router_offer(router, s->id, &n);
		total += n;
	}
	if (all)
		g_ptr_array_unref(all);
	if (assigned_out)
		*assigned_out = total;
	return ret;
}

/* ---- supervisors, status, capacity ------------------------------------------------ */

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
				     s->open_chats >= s->chat_capacity;
	if (conv->assignee_id == staff_id && conv->state != TSUNAGU_CONV_WAITING)
		goto out;
	ret = unit_begin(router, &mark);
	if (ret == 0)
		ret = unit_end(router, mark, assign_writes(router, conv, staff_id, by_staff_id, NULL));
out:
	tsunagu_store_conversation_free(conv);
	tsunagu_store_staff_free(s);
	return ret;
}

int tsunagu_router_set_status(tsunagu_router *router, int64_t staff_id,
			      tsunagu_staff_status status, int64_t by_staff_id, const char *reason)
{
	tsunagu_staff_status previous = 0;
	unsigned mark;
	int ret;

	if (!router || !tsunagu_staff_status_name(status))
		return -EINVAL;
	ret = unit_begin(router, &mark);
	if (ret < 0)
		return ret;
	ret = tsunagu_store_staff_set_status(router->core->store, staff_id, status, &previous);
	if (ret == 0 && previous != status) {
		json_t *payload = json_pack("{s:I, s:s, s:s?, s:s}", "staff", (json_int_t)staff_id,
					    "status", tsunagu_staff_status_name(status), "previous",
					    tsunagu_staff_status_name(previous), "reason",
					    reason ? reason : "manual");
		ret = tsunagu_events_emit(router->core->events, "staff.status_changed", 0,
					  by_staff_id, payload, NULL);
		json_decref(payload);
		if (ret == 0)
			tlog_info("staff %" G_GINT64_FORMAT " is %s (%s)", staff_id,
				  tsunagu_staff_status_name(status), reason ? reason : "manual");
	}
	return unit_end(router, mark, ret);
}

int tsunagu_router_set_capacity(tsunagu_router *router, int64_t staff_id, int capacity,
				int64_t by_staff_id)
{
	tsunagu_store_staff *s = NULL;
	unsigned mark;
	int ret;

	if (!router || capacity < 0 || capacity > TSUNAGU_CHAT_CAPACITY_MAX)
		return -EINVAL;
	ret = tsunagu_store_staff_get(router->core->store, staff_id, &s);
	if (ret < 0)
		return ret;
	if (s->chat_capacity == capacity)
		goto out;
	ret = unit_begin(router, &mark);
	if (ret < 0)
		goto out;
	ret = tsunagu_store_staff_set_capacity(router->core->store, staff_id, capacity);
	if (ret == 0) {
		json_t *payload = json_pack("{s:I, s:i, s:i}", "staff", (json_int_t)staff_id,
					    "chat_capacity", capacity, "previous",
					    s->chat_capacity);
		ret = tsunagu_events_emit(router->core->events, "staff.capacity_changed", 0,
					  by_staff_id, payload, NULL);
		json_decref(payload);
	}
	ret = unit_end(router, mark, ret);
out:
	tsunagu_store_staff_free(s);
	return ret;
}

void tsunagu_router_logged_in(tsunagu_router *router, const tsunagu_store_staff *staff)
{
	if (!router || !staff || staff->role != TSUNAGU_ROLE_OPERATOR)
		return;
	int ret = tsunagu_router_set_status(router, staff->id, TSUNAGU_STATUS_AVAILABLE, staff->id,
					    "login");
	if (ret < 0)
		tlog_warn("staff %" G_GINT64_FORMAT " logged in but stays %s: %s", staff->id,
			  "unchanged", g_strerror(-ret));
}

void tsunagu_router_logged_out(tsunagu_router *router, int64_t staff_id)
{
	int64_t left = 0;

	if (!router)
		return;
	int ret = tsunagu_store_session_count_for_staff(router->core->store, staff_id,
							tsunagu_core_now_us(), &left);
	if (ret == 0 && left == 0)
		ret = tsunagu_router_set_status(router, staff_id, TSUNAGU_STATUS_OFFLINE, staff_id,
						"logout");
	if (ret < 0)
		tlog_warn("staff %" G_GINT64_FORMAT " logged out, status unchanged: %s", staff_id,
			  g_strerror(-ret));
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
 * workflows, timers). */
static void on_event(const tsunagu_store_event *ev, void *user_data)
{
	tsunagu_router *r = user_data;
	const char *t = ev->type;
	int64_t who = 0;

	if (strcmp(t, "conversation.closed") && strcmp(t, "conversation.snoozed") &&
	    strcmp(t, "conversation.assigned") && strcmp(t, "staff.status_changed") &&
	    strcmp(t, "staff.capacity_changed"))
		return;
	json_t *p = json_loads(ev->payload_json, 0, NULL);
	if (!strcmp(t, "conversation.closed") || !strcmp(t, "conversation.snoozed")) {
		tsunagu_store_conversation *conv = NULL;
		if (tsunagu_store_conversation_get(r->core->store, ev->conversation_id, &conv) == 0)
			who = conv->assignee_id;
		tsunagu_store_conversation_free(conv);
	} else if (!strcmp(t, "conversation.assigned")) {
		who = payload_int(p, "from");
	} else if (!strcmp(t, "staff.status_changed")) {
		const char *status = json_string_value(json_object_get(p, "status"));
		if (status && !strcmp(status, "available"))
			who = payload_int(p, "staff");
	} else {
		who = payload_int(p, "staff");
	}
	json_decref(p);
	if (who > 0)
		tsunagu_router_offer(r, who, NULL);
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
	g_free(router);
}
