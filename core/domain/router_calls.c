/* The call engine: the states of a call (queued, ringing, talking, ended)
 * and of the operator (ringing, on a call, after-call work), driven by the
 * phone channel. A call's conversation (channel "phone") waits in the
 * waiting list while its call is queued or rings; it is assigned when
 * answered. Ringing is a pending offer (kind call) per operator rung. */
#define TSUNAGU_LOG_TOPIC "router"
#include <errno.h>
#include <string.h>

#include "log.h"
#include "router_private.h"

static const char *const missed_reasons[] = { "notInOperation", "noOperator", "ringTimeout",
					      "userLeft", NULL };

static int acw_end_writes(tsunagu_router *r, int64_t conversation_id, tsunagu_store_call *c);
static int missed_step(tsunagu_router *r, tsunagu_store_conversation *conv,
		       tsunagu_store_call *c, const void *arg);
static int ended_step(tsunagu_router *r, tsunagu_store_conversation *conv,
		      tsunagu_store_call *c, const void *arg);

static json_t *call_payload(const tsunagu_store_call *c)
{
	return json_pack("{s:I}", "call", (json_int_t)c->id);
}

/* Each step writes the part of the call it changed
 * (tsunagu_store_call_write): the state and times, or the origin. The rare
 * endings (missed, a failed outbound call, a hang-up while dialing) write
 * both, so that nothing a step before left unwritten is lost. */
static void set_state(tsunagu_store_call *c, const char *state)
{
	g_free(c->state);
	c->state = g_strdup(state);
}

static bool pending(const tsunagu_store_offer *o)
{
	return o->call && strcmp(o->state, "pending") == 0;
}

/* Rings staff_id for call c of conv (inside the caller's unit). */
static int ring_one(tsunagu_router *r, const tsunagu_store_conversation *conv,
		    tsunagu_store_call *c, int64_t staff_id)
{
	int64_t timeout = router_ring_timeout_us(r);
	int ret = router_offer_writes(r, conv, staff_id, true,
				      timeout > 0 ? tsunagu_core_now_us() + timeout : 0);
	if (ret == 0) {
		json_t *p = call_payload(c);
		json_object_set_new(p, "staff", json_integer(staff_id));
		ret = router_emit(r, "call.offered", conv->id, 0, p);
	}
	return ret;
}

/* A call that came in decided missed (disposition) is never rung: the
 * channel plays its guidance and reports call_missed(). */
static bool rung_by_engine(const tsunagu_store_call *c)
{
	return !c->disposition || strcmp(c->disposition, "queued") == 0;
}

int router_ring_stopped(tsunagu_router *r, int64_t conversation_id, int64_t call_id,
			int64_t staff_id, const char *reason)
{
	return router_emit(r, "call.ring_stopped", conversation_id, 0,
			   json_pack("{s:I, s:I, s:s}", "call", (json_int_t)call_id, "staff",
				     (json_int_t)staff_id, "reason", reason));
}

/* call.ring_stopped for every phone that rings for c, except staff
 * except_id (inside the caller's unit, before the offers are forgotten).
 * answering: except_id answers — -EPERM, nothing emitted, unless their
 * phone rings (the one read of the offers tells both). */
static int stop_ringing(tsunagu_router *r, int64_t conversation_id, const tsunagu_store_call *c,
			int64_t except_id, const char *reason, bool answering)
{
	GPtrArray *offers = NULL;
	bool rings = false;
	int ret = tsunagu_store_offers_of(r->core->store, conversation_id, &offers);
	for (guint i = 0; ret == 0 && i < offers->len; i++) {
		tsunagu_store_offer *o = offers->pdata[i];
		rings |= o->staff_id == except_id && strcmp(o->state, "pending") == 0;
	}
	if (ret == 0 && answering && !rings)
		ret = -EPERM;
	for (guint i = 0; ret == 0 && i < offers->len; i++) {
		tsunagu_store_offer *o = offers->pdata[i];
		if (pending(o) && o->staff_id != except_id)
			ret = router_ring_stopped(r, conversation_id, c->id, o->staff_id, reason);
	}
	if (offers)
		g_ptr_array_unref(offers);
	return ret;
}

/* router_ring() with conv's newest call c already read (borrowed: its
 * state and times are updated in place, the caller frees it). What the
 * caller has is handed down, not read again: route (borrowed; NULL: parsed
 * here from conv) and cleared — conv has no offer (the caller's unit
 * cleared them): nobody was tried and nothing rings. */
static int ring_call(tsunagu_router *r, const tsunagu_store_conversation *conv,
		     tsunagu_store_call *c, const router_route *route, bool cleared,
		     int64_t only_staff, unsigned *rung_out)
{
	tsunagu_store *store = r->core->store;
	router_route *parsed = NULL;
	GArray *tried = NULL;
	GPtrArray *offers = NULL;
	unsigned rung = 0, ringing = 0;
	int64_t staff_id = 0;
	bool give_up = false;
	int ret;

	ret = 0;
	if ((strcmp(c->state, "queued") && strcmp(c->state, "ringing")) || !rung_by_engine(c))
		goto out; /* answered, over, or decided missed */
	if (cleared)
		offers = g_ptr_array_new();
	else
		ret = tsunagu_store_offers_of(store, conv->id, &offers);
	if (ret < 0)
		goto out;
	tried = g_array_new(FALSE, FALSE, sizeof(int64_t));
	for (guint i = 0; i < offers->len; i++) {
		tsunagu_store_offer *o = offers->pdata[i];
		g_array_append_val(tried, o->staff_id);
		ringing += pending(o);
	}
	if (!route)
		route = parsed = router_route_parse(conv->route_json);
	bool all = strcmp(route->method, "ring_all") == 0;
	if (only_staff) {
		/* from the waiting list: that operator, if not tried already */
		for (guint i = 0; i < tried->len; i++)
			if (g_array_index(tried, int64_t, i) == only_staff)
				goto out;
		ret = ring_one(r, conv, c, only_staff);
		rung += ret == 0;
	} else if (!ringing || all) {
		/* ring_all: every eligible operator (one ringing can no longer be
		 * picked); otherwise the one the method picks. Everyone tried and
		 * nobody ringing: a round ended unanswered — start again from all
		 * of them, or give up after routing.ring_rounds rounds. */
		for (int pass = 0; pass < 2 && ret == 0 && !rung && !ringing; pass++) {
			if (pass == 1 && tried->len) {
				/* only a round someone could answer counts: while
				 * everyone is busy the call just waits */
				ret = router_pick_dry(r, route, true, &staff_id);
				if (ret < 0)
					break;
				int max = router_ring_rounds(r);
				c->ring_rounds++;
				if (max > 0 && c->ring_rounds >= max) {
					give_up = true;
					break;
				}
				ret = tsunagu_store_call_write(store, c, TSUNAGU_STORE_CALL_ORIGIN);
				if (ret == 0)
					ret = tsunagu_store_offers_clear(store, conv->id);
				g_array_set_size(tried, 0);
			} else if (pass == 1) {
				break;
			}
			while (ret == 0 && (ret = router_pick(r, route, true, tried, &staff_id)) == 0) {
				ret = ring_one(r, conv, c, staff_id);
				g_array_append_val(tried, staff_id);
				rung += ret == 0;
				if (!all)
					break;
			}
			if (ret == -ENOENT)
				ret = 0;
		}
	}
	if (ret == 0 && give_up) {
		/* the engine gives up: the channel is told to end the caller's leg */
		ret = missed_step(r, (tsunagu_store_conversation *)conv, c, "ringTimeout");
		goto out;
	}
	if (ret == 0 && rung && strcmp(c->state, "queued") == 0) {
		set_state(c, "ringing");
		if (!c->ringing_at_us)
			c->ringing_at_us = tsunagu_core_now_us();
		ret = tsunagu_store_call_write(store, c, TSUNAGU_STORE_CALL_STATE);
	} else if (ret == 0 && !rung && !ringing && strcmp(c->state, "ringing") == 0) {
		/* nobody rings any more: queued until someone can take it */
		set_state(c, "queued");
		ret = tsunagu_store_call_write(store, c, TSUNAGU_STORE_CALL_STATE);
	}
out:
	if (rung_out)
		*rung_out = ret == 0 ? rung : 0;
	if (offers)
		g_ptr_array_unref(offers);
	if (tried)
		g_array_unref(tried);
	router_route_free(parsed);
	return ret == -ENOENT ? 0 : ret;
}

int router_ring(tsunagu_router *r, const tsunagu_store_conversation *conv,
		int64_t only_staff, unsigned *rung_out)
{
	tsunagu_store_call *c = NULL;
	int ret = tsunagu_store_call_of_conversation(r->core->store, conv->id, &c);

	if (ret == 0)
		ret = ring_call(r, conv, c, NULL, false, only_staff, rung_out);
	else if (rung_out)
		*rung_out = 0;
	tsunagu_store_call_free(c);
	return ret == -ENOENT ? 0 : ret; /* -ENOENT: no call yet */
}

/* ---- the API ----------------------------------------------------------------------- */

/* One step of a call's life inside its atomic unit: 0 or a negative errno
 * (the unit is then undone). */
typedef int (*conv_step)(tsunagu_router *r, tsunagu_store_conversation *conv, void *arg);
typedef int (*call_step)(tsunagu_router *r, tsunagu_store_conversation *conv,
			 tsunagu_store_call *c, const void *arg);

/* Runs step on conv (loaded by the caller) as one atomic unit and re-arms
 * the deadline timer (offers may have come or gone). */
static int conversation_run(tsunagu_router *r, tsunagu_store_conversation *conv, conv_step step,
			    void *arg)
{
	unsigned mark;
	int ret = router_unit_begin(r, &mark);

	if (ret == 0) {
		ret = router_unit_end(r, mark, step(r, conv, arg));
		router_arm_deadline(r);
	}
	return ret;
}

/* conversation_run on the conversation loaded first. */
static int with_conversation(tsunagu_router *r, int64_t conversation_id, conv_step step,
			     void *arg)
{
	tsunagu_store_conversation *conv = NULL;
	int ret;

	if (!r)
		return -EINVAL;
	ret = tsunagu_store_conversation_get(r->core->store, conversation_id, &conv);
	if (ret == 0)
		ret = conversation_run(r, conv, step, arg);
	tsunagu_store_conversation_free(conv);
	return ret;
}

typedef struct {
	tsunagu_store_call *call;
	call_step step;
	const void *arg;
} call_job;

static int call_job_run(tsunagu_router *r, tsunagu_store_conversation *conv, void *p)
{
	call_job *job = p;
	return job->step(r, conv, job->call, job->arg);
}

/* with_conversation for the conversation of call_id, the call loaded. */
static int with_call(tsunagu_router *r, int64_t call_id, call_step step, const void *arg)
{
	call_job job = {NULL, step, arg};
	tsunagu_store_conversation *conv = NULL;
	/* One joined read instead of the call, then its conversation. */
	int ret = r ? tsunagu_store_call_get_with_conversation(r->core->store, call_id, &job.call,
							       &conv)
		    : -EINVAL;
	if (ret == 0)
		ret = conversation_run(r, conv, call_job_run, &job);
	tsunagu_store_conversation_free(conv);
	tsunagu_store_call_free(job.call);
	return ret;
}

static bool unanswered(const tsunagu_store_call *c)
{
	return strcmp(c->state, "queued") == 0 || strcmp(c->state, "ringing") == 0;
}

/* A new call of conv (call.incoming); *out its id. */
static int create(tsunagu_router *r, tsunagu_store_conversation *conv, const char *direction,
		  tsunagu_store_call **c, int64_t *out)
{
	int ret = tsunagu_store_call_open(r->core->store, conv->id, direction, c);
	if (ret == 0) {
		json_t *p = call_payload(*c);
		json_object_set_new(p, "direction", json_string(direction));
		ret = router_emit(r, "call.incoming", conv->id, 0, p);
	}
	if (ret == 0 && out)
		*out = (*c)->id;
	return ret;
}

typedef struct {
	const tsunagu_router_call_info *info;
	int64_t *call_id_out;
} incoming_args;

/* The route says nobody takes it (RT-3, nobody()): the engine gives up at
 * once, missed noOperator (missed_step). */
static int incoming_step(tsunagu_router *r, tsunagu_store_conversation *conv, void *p)
{
	incoming_args *a = p;
	const tsunagu_router_call_info *info = a->info;
	tsunagu_store *store = r->core->store;
	tsunagu_store_call *c = NULL;
	int ret = 0;

	if (conv->state == TSUNAGU_CONV_CLOSED)
		return -EPIPE;
	if (!router_is_phone(conv))
		return -EINVAL;
	/* a call on a conversation already open is queued like a new one */
	if (conv->assignee_id)
		ret = tsunagu_store_conversation_assign(store, conv->id, 0, -1);
	if (ret == 0 && conv->state != TSUNAGU_CONV_WAITING)
		ret = tsunagu_store_conversation_set_state(store, conv->id, TSUNAGU_CONV_WAITING);
	conv->state = TSUNAGU_CONV_WAITING;
	conv->assignee_id = 0;
	if (ret == 0)
		ret = tsunagu_store_offers_clear(store, conv->id);
	if (ret == 0)
		ret = create(r, conv, "inbound", &c, a->call_id_out);
	if (ret == 0 && info) {
		c->provider_call_id = g_strdup(info->provider_call_id);
		c->line = g_strdup(info->line);
		c->disposition = g_strdup(info->disposition);
		c->linked_conversation_id = info->linked_conversation_id;
		ret = tsunagu_store_call_write(store, c, TSUNAGU_STORE_CALL_ORIGIN);
	}
	router_route *route = ret == 0 ? router_route_parse(conv->route_json) : NULL;
	if (ret == 0 && rung_by_engine(c) && router_route_nobody(route))
		ret = missed_step(r, conv, c, "noOperator");
	else if (ret == 0)
		/* c is the newest call and the offers were cleared above: no read */
		ret = ring_call(r, conv, c, route, true, 0, NULL);
	router_route_free(route);
	tsunagu_store_call_free(c);
	return ret;
}

int tsunagu_router_call_incoming(tsunagu_router *router, int64_t conversation_id,
				 int64_t *call_id_out)
{
	return tsunagu_router_call_arrive(router, conversation_id, NULL, call_id_out);
}

int tsunagu_router_call_arrive(tsunagu_router *router, int64_t conversation_id,
			       const tsunagu_router_call_info *info, int64_t *call_id_out)
{
	incoming_args a = {info, call_id_out};
	return with_conversation(router, conversation_id, incoming_step, &a);
}

typedef struct {
	int64_t staff_id;
	int64_t linked_conversation_id;
	int64_t *call_id_out;
} outbound_args;

static int outbound_step(tsunagu_router *r, tsunagu_store_conversation *conv, void *p)
{
	outbound_args *a = p;
	tsunagu_store_call *c = NULL;
	int ret;

	if (!router_is_phone(conv) || a->staff_id <= 0)
		return -EINVAL;
	ret = create(r, conv, "outbound", &c, a->call_id_out);
	if (ret == 0 && conv->assignee_id != a->staff_id)
		ret = router_assign_writes(r, conv, a->staff_id, a->staff_id, NULL);
	else if (ret == 0 && conv->state != TSUNAGU_CONV_OPEN)
		ret = tsunagu_store_conversation_set_state(r->core->store, conv->id,
							   TSUNAGU_CONV_OPEN);
	if (ret == 0) {
		c->staff_id = a->staff_id;
		c->linked_conversation_id = a->linked_conversation_id;
		set_state(c, "ringing");
		c->ringing_at_us = tsunagu_core_now_us();
		ret = tsunagu_store_call_update(r->core->store, c);
	}
	/* the channel rings the operator's phone, then dials the customer */
	if (ret == 0) {
		json_t *payload = call_payload(c);
		json_object_set_new(payload, "staff", json_integer(a->staff_id));
		ret = router_emit(r, "call.dialing", conv->id, a->staff_id, payload);
	}
	tsunagu_store_call_free(c);
	return ret;
}

int tsunagu_router_call_outbound(tsunagu_router *router, int64_t conversation_id,
				 int64_t staff_id, int64_t *call_id_out)
{
	outbound_args a = {staff_id, 0, call_id_out};
	return with_conversation(router, conversation_id, outbound_step, &a);
}

int tsunagu_router_call_back(tsunagu_router *router, int64_t conversation_id,
			     int64_t staff_id, int64_t linked_conversation_id,
			     int64_t *call_id_out)
{
	outbound_args a = {staff_id, linked_conversation_id, call_id_out};
	return with_conversation(router, conversation_id, outbound_step, &a);
}

static int answered_step(tsunagu_router *r, tsunagu_store_conversation *conv,
			 tsunagu_store_call *c, const void *arg)
{
	int64_t staff_id = *(const int64_t *)arg;
	tsunagu_store *store = r->core->store;
	bool outbound = strcmp(c->direction, "outbound") == 0;
	int ret = 0;

	if (!unanswered(c) || (outbound && strcmp(c->state, "ringing")))
		return -EPIPE;
	if (outbound && c->staff_id != staff_id)
		return -EPERM;
	if (!outbound) {
		/* only a phone that rings may answer; the others stop ringing.
		 * Its offer goes with the others (offers_clear), not alone first. */
		ret = stop_ringing(r, conv->id, c, staff_id, "answered", true);
		if (ret == 0)
			ret = tsunagu_store_offers_clear(store, conv->id);
		if (ret == 0)
			ret = tsunagu_store_staff_count_missed(store, staff_id, false, NULL);
		if (ret == 0) {
			router_route *route = router_route_parse(conv->route_json);
			ret = router_assign_writes(r, conv, staff_id, 0, route);
			router_route_free(route);
		}
	}
	if (ret == 0) {
		c->staff_id = staff_id;
		set_state(c, "talking");
		c->answered_at_us = tsunagu_core_now_us();
		ret = tsunagu_store_call_write(store, c, TSUNAGU_STORE_CALL_STATE);
	}
	if (ret == 0) {
		json_t *p = call_payload(c);
		json_object_set_new(p, "staff", json_integer(staff_id));
		ret = router_emit(r, "call.answered", conv->id, staff_id, p);
	}
	return ret;
}

int tsunagu_router_call_answered(tsunagu_router *router, int64_t call_id, int64_t staff_id)
{
	return with_call(router, call_id, answered_step, &staff_id);
}

/* An outbound call that never connects (the operator's phone declined or
 * the number failed) ends unanswered. */
static int outbound_failed(tsunagu_router *r, tsunagu_store_conversation *conv,
			   tsunagu_store_call *c, int64_t staff_id)
{
	if (strcmp(c->state, "ringing") != 0)
		return -EPIPE;
	if (c->staff_id != staff_id)
		return -EPERM;
	set_state(c, "ended");
	c->ended_at_us = tsunagu_core_now_us();
	int ret = tsunagu_store_call_update(r->core->store, c);
	if (ret == 0) {
		json_t *p = call_payload(c);
		json_object_set_new(p, "staff", json_integer(c->staff_id));
		json_object_set_new(p, "talk_ms", json_integer(0));
		json_object_set_new(p, "reason", json_string("rejected"));
		ret = router_emit(r, "call.ended", conv->id, 0, p);
	}
	return ret;
}

static int rejected_step(tsunagu_router *r, tsunagu_store_conversation *conv,
			 tsunagu_store_call *c, const void *arg)
{
	int64_t staff_id = *(const int64_t *)arg;
	if (strcmp(c->direction, "outbound") == 0)
		return outbound_failed(r, conv, c, staff_id);
	int ret = tsunagu_store_offer_end(r->core->store, conv->id, staff_id, "declined");
	return ret < 0 ? ret : router_ring(r, conv, 0, NULL);
}

int tsunagu_router_call_rejected(tsunagu_router *router, int64_t call_id, int64_t staff_id)
{
	return with_call(router, call_id, rejected_step, &staff_id);
}

/* Ends c unanswered with reason (arg): the phones stop, the conversation
 * closes. */
static int missed_step(tsunagu_router *r, tsunagu_store_conversation *conv,
		       tsunagu_store_call *c, const void *arg)
{
	const char *reason = arg;
	tsunagu_store *store = r->core->store;
	int ret;

	if (!unanswered(c))
		return -EPIPE;
	ret = stop_ringing(r, conv->id, c, 0, "missed", false);
	if (ret == 0)
		ret = tsunagu_store_offers_clear(store, conv->id);
	if (ret == 0) {
		set_state(c, "ended");
		g_free(c->missed_reason);
		c->missed_reason = g_strdup(reason);
		c->ended_at_us = tsunagu_core_now_us();
		ret = tsunagu_store_call_update(store, c);
	}
	if (ret == 0) {
		json_t *p = call_payload(c);
		json_object_set_new(p, "reason", json_string(reason));
		/* by the channel (it reported it) or the engine (it gave up: the
		 * channel is told to end the caller's leg) */
		json_object_set_new(p, "by", json_string(r->missing_by_channel ? "channel"
									     : "engine"));
		ret = router_emit(r, "call.missed", conv->id, 0, p);
	}
	if (ret == 0 && conv->state != TSUNAGU_CONV_CLOSED && !conv->assignee_id) {
		ret = tsunagu_store_conversation_set_state(store, conv->id, TSUNAGU_CONV_CLOSED);
		if (ret == 0)
			ret = router_emit(r, "conversation.closed", conv->id, 0,
					  json_pack("{s:s, s:s, s:s}", "conversation",
						    conv->public_id, "by", "system", "reason",
						    "call_missed"));
	}
	return ret;
}

int tsunagu_router_call_missed(tsunagu_router *router, int64_t call_id, const char *reason)
{
	for (const char *const *m = missed_reasons; reason && *m; m++)
		if (strcmp(*m, reason) == 0) {
			router->missing_by_channel = true;
			int ret = with_call(router, call_id, missed_step, *m);
			router->missing_by_channel = false;
			return ret;
		}
	return -EINVAL;
}

static int ended_step(tsunagu_router *r, tsunagu_store_conversation *conv,
		      tsunagu_store_call *c, const void *arg)
{
	int ret;

	if (strcmp(c->state, "ended") == 0)
		return -EPIPE;
	if (strcmp(c->state, "talking") != 0)
		return missed_step(r, conv, c, "userLeft");
	set_state(c, "ended");
	c->ended_at_us = tsunagu_core_now_us();
	ret = tsunagu_store_call_write(r->core->store, c, TSUNAGU_STORE_CALL_STATE);
	if (ret == 0) {
		json_t *p = call_payload(c);
		json_object_set_new(p, "staff", json_integer(c->staff_id));
		json_object_set_new(p, "talk_ms",
				    json_integer((c->ended_at_us - c->answered_at_us) / 1000));
		ret = router_emit(r, "call.ended", conv->id, 0, p);
	}
	/* closed or snoozed during the call: no after-call work */
	if (ret == 0 &&
	    (conv->state == TSUNAGU_CONV_CLOSED || conv->state == TSUNAGU_CONV_SNOOZED))
		ret = acw_end_writes(r, conv->id, c);
	return ret;
}

int tsunagu_router_call_ended(tsunagu_router *router, int64_t call_id)
{
	if (!router)
		return -EINVAL;
	router->missing_by_channel = true; /* the caller left: the channel knows */
	int ret = with_call(router, call_id, ended_step, NULL);
	router->missing_by_channel = false;
	return ret;
}

/* ---- the inbox: hang up, take a queued call, reject ----------------------------------- */

typedef struct {
	int64_t by_staff_id;
	const char *reason;
} hangup_args;

/* The core ends c (call.hangup: the channel tears it down and reports
 * nothing more): a talking call ends with after-call work; an outbound call
 * still ringing ends unanswered. Inside the caller's unit. */
static int hangup_writes(tsunagu_router *r, tsunagu_store_conversation *conv,
			 tsunagu_store_call *c, const hangup_args *a)
{
	bool dialing = strcmp(c->direction, "outbound") == 0 && strcmp(c->state, "ringing") == 0;
	int ret;

	if (strcmp(c->state, "talking") != 0 && !dialing)
		return -EPIPE;
	json_t *p = call_payload(c);
	json_object_set_new(p, "staff", json_integer(c->staff_id));
	json_object_set_new(p, "reason", json_string(a->reason));
	ret = router_emit(r, "call.hangup", conv->id, a->by_staff_id, p);
	if (ret < 0 || !dialing)
		return ret < 0 ? ret : ended_step(r, conv, c, NULL);
	set_state(c, "ended");
	c->ended_at_us = tsunagu_core_now_us();
	ret = tsunagu_store_call_update(r->core->store, c);
	if (ret == 0) {
		p = call_payload(c);
		json_object_set_new(p, "staff", json_integer(c->staff_id));
		json_object_set_new(p, "talk_ms", json_integer(0));
		ret = router_emit(r, "call.ended", conv->id, a->by_staff_id, p);
	}
	return ret;
}

static int hangup_step(tsunagu_router *r, tsunagu_store_conversation *conv,
		       tsunagu_store_call *c, const void *arg)
{
	return hangup_writes(r, conv, c, arg);
}

int tsunagu_router_call_hangup(tsunagu_router *router, int64_t call_id, int64_t by_staff_id,
			       const char *reason)
{
	hangup_args a = {by_staff_id, reason ? reason : "hangup"};
	return with_call(router, call_id, hangup_step, &a);
}

/* Ends staff_id's talking call, if any (TEL-4), inside the caller's unit. */
static int hangup_current(tsunagu_router *r, int64_t staff_id)
{
	GPtrArray *talking = NULL;
	int ret = tsunagu_store_calls_list(r->core->store, "talking", 10000, &talking);
	for (guint i = 0; ret == 0 && i < talking->len; i++) {
		tsunagu_store_call *t = talking->pdata[i];
		tsunagu_store_conversation *other = NULL;
		if (t->staff_id != staff_id)
			continue;
		ret = tsunagu_store_conversation_get(r->core->store, t->conversation_id, &other);
		if (ret == 0) {
			hangup_args a = {staff_id, "answering_other"};
			ret = hangup_writes(r, other, t, &a);
		}
		tsunagu_store_conversation_free(other);
	}
	if (talking)
		g_ptr_array_unref(talking);
	return ret;
}

static bool rings_for(tsunagu_router *r, int64_t conversation_id, int64_t staff_id)
{
	GPtrArray *offers = NULL;
	bool yes = false;
	if (tsunagu_store_offers_of(r->core->store, conversation_id, &offers) == 0)
		for (guint i = 0; i < offers->len; i++) {
			tsunagu_store_offer *o = offers->pdata[i];
			yes |= pending(o) && o->staff_id == staff_id;
		}
	if (offers)
		g_ptr_array_unref(offers);
	return yes;
}

static int take_step(tsunagu_router *r, tsunagu_store_conversation *conv,
		     tsunagu_store_call *c, const void *arg)
{
	int64_t staff_id = *(const int64_t *)arg;
	int ret;

	if (!unanswered(c) || strcmp(c->direction, "inbound") || !rung_by_engine(c))
		return -EPIPE;
	ret = hangup_current(r, staff_id);
	/* only their phone rings now */
	if (ret == 0)
		ret = stop_ringing(r, conv->id, c, staff_id, "taken", false);
	if (ret == 0 && rings_for(r, conv->id, staff_id))
		return 0;
	if (ret == 0)
		ret = tsunagu_store_offers_clear(r->core->store, conv->id);
	if (ret == 0)
		ret = ring_one(r, conv, c, staff_id);
	if (ret == 0 && strcmp(c->state, "queued") == 0) {
		set_state(c, "ringing");
		if (!c->ringing_at_us)
			c->ringing_at_us = tsunagu_core_now_us();
		ret = tsunagu_store_call_write(r->core->store, c, TSUNAGU_STORE_CALL_STATE);
	}
	return ret;
}

int tsunagu_router_call_take(tsunagu_router *router, int64_t call_id, int64_t staff_id)
{
	return with_call(router, call_id, take_step, &staff_id);
}

static int decline_step(tsunagu_router *r, tsunagu_store_conversation *conv,
			tsunagu_store_call *c, const void *arg)
{
	int64_t staff_id = *(const int64_t *)arg;
	tsunagu_store *store = r->core->store;
	int ret = 0;

	if (!unanswered(c) || strcmp(c->direction, "inbound"))
		return -EPIPE;
	if (rings_for(r, conv->id, staff_id))
		ret = router_ring_stopped(r, conv->id, c->id, staff_id, "rejected");
	else /* not ringing for them: they are passed over for this call */
		ret = tsunagu_store_offer_put(store, conv->id, staff_id, true, 0);
	if (ret == 0)
		ret = tsunagu_store_offer_end(store, conv->id, staff_id, "declined");
	return ret < 0 ? ret : router_ring(r, conv, 0, NULL);
}

int tsunagu_router_call_decline(tsunagu_router *router, int64_t call_id, int64_t staff_id)
{
	return with_call(router, call_id, decline_step, &staff_id);
}

/* ---- after-call work ----------------------------------------------------------------- */

static int acw_end_writes(tsunagu_router *r, int64_t conversation_id, tsunagu_store_call *c)
{
	c->acw_ended_at_us = tsunagu_core_now_us();
	int ret = tsunagu_store_call_write(r->core->store, c, TSUNAGU_STORE_CALL_STATE);
	if (ret == 0) {
		json_t *p = call_payload(c);
		json_object_set_new(p, "staff", json_integer(c->staff_id));
		json_object_set_new(p, "acw_ms",
				    json_integer((c->acw_ended_at_us - c->ended_at_us) / 1000));
		ret = router_emit(r, "call.acw_ended", conversation_id, 0, p);
	}
	return ret;
}

void router_calls_on_event(tsunagu_router *r, const tsunagu_store_event *ev,
			   const tsunagu_store_conversation *conv)
{
	tsunagu_store_call *c = NULL;
	unsigned mark;

	/* only a phone conversation has calls (create() checks): a chat's
	 * close reads none */
	if (!ev->conversation_id || (conv && !router_is_phone(conv)) ||
	    (strcmp(ev->type, "conversation.closed") &&
	     strcmp(ev->type, "conversation.snoozed")))
		return;
	if (tsunagu_store_call_of_conversation(r->core->store, ev->conversation_id, &c) < 0)
		return;
	if (strcmp(c->state, "ended") == 0 && c->answered_at_us && !c->acw_ended_at_us &&
	    router_unit_begin(r, &mark) == 0) {
		int ret = router_unit_end(r, mark, acw_end_writes(r, ev->conversation_id, c));
		if (ret < 0)
			tlog_warn("after-call work of call %" G_GINT64_FORMAT " not ended: %s",
				  c->id, g_strerror(-ret));
	}
	tsunagu_store_call_free(c);
}
