/* Calls in the inbox (TEL-1, TEL-4): the waiting-calls list, answering or
 * rejecting a call, hanging up, calling a missed caller back, and the
 * admin's call queue limit. The call engine (router_calls.c) does the work;
 * the phone channel hears of it through the plugin host (call_event). */
#define TSUNAGU_LOG_TOPIC "api"
#include "api.h"

#include <errno.h>
#include <string.h>

#include "domain.h"
#include "log.h"
#include "router.h"

static int64_t ms_between(int64_t from_us, int64_t to_us)
{
	return from_us && to_us > from_us ? (to_us - from_us) / 1000 : 0;
}

json_t *tsunagu_api_call_record_json(const tsunagu_store_call *c, int64_t now_us)
{
	bool over = strcmp(c->state, "ended") == 0;
	int64_t until = over ? c->ended_at_us : now_us;
	/* ring time: from the first ring to the answer (or the end unanswered) */
	int64_t ring_end = c->answered_at_us ? c->answered_at_us : until;
	int64_t acw_end = c->acw_ended_at_us ? c->acw_ended_at_us : now_us;
	json_t *j = json_pack("{s:I, s:s?, s:s?, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:o}", "id",
			      (json_int_t)c->id, "conversation", c->conversation_public_id,
			      "channel", c->channel, "direction", c->direction, "state", c->state,
			      "missed_reason", c->missed_reason, "caller", c->caller_id, "line",
			      c->line, "staff_login", c->staff_login, "staff",
			      c->staff_id ? json_integer(c->staff_id) : json_null());
	json_object_set_new(j, "queued_at", tsunagu_api_time(c->queued_at_us));
	json_object_set_new(j, "ringing_at", tsunagu_api_time(c->ringing_at_us));
	json_object_set_new(j, "answered_at", tsunagu_api_time(c->answered_at_us));
	json_object_set_new(j, "ended_at", tsunagu_api_time(c->ended_at_us));
	json_object_set_new(j, "acw_ended_at", tsunagu_api_time(c->acw_ended_at_us));
	json_object_set_new(j, "waited_ms",
			    json_integer(ms_between(c->queued_at_us, c->answered_at_us
									? c->answered_at_us
									: until)));
	json_object_set_new(j, "ring_ms", json_integer(ms_between(c->ringing_at_us, ring_end)));
	json_object_set_new(j, "talk_ms", json_integer(c->answered_at_us
							       ? ms_between(c->answered_at_us, until)
							       : 0));
	json_object_set_new(j, "acw_ms", json_integer(c->answered_at_us && over
							      ? ms_between(c->ended_at_us, acw_end)
							      : 0));
	return j;
}

json_t *tsunagu_api_call_json(tsunagu_core *core, tsunagu_store_call *c, int64_t now_us)
{
	tsunagu_store_conversation *conv = NULL, *linked = NULL;
	tsunagu_store_staff *s = NULL;
	tsunagu_store *store = core->store;

	if (!c->conversation_public_id &&
	    tsunagu_store_conversation_get(store, c->conversation_id, &conv) == 0) {
		tsunagu_store_contact_identity_get(store, conv->contact_id, conv->channel,
						   &c->caller_id);
		c->conversation_public_id = g_steal_pointer(&conv->public_id);
		c->channel = g_steal_pointer(&conv->channel);
	}
	if (!c->staff_login && c->staff_id && tsunagu_store_staff_get(store, c->staff_id, &s) == 0)
		c->staff_login = g_steal_pointer(&s->login);
	json_t *j = tsunagu_api_call_record_json(c, now_us);
	if (c->linked_conversation_id &&
	    tsunagu_store_conversation_get(store, c->linked_conversation_id, &linked) == 0)
		json_object_set_new(j, "linked_conversation", json_string(linked->public_id));
	tsunagu_store_staff_free(s);
	tsunagu_store_conversation_free(linked);
	tsunagu_store_conversation_free(conv);
	return j;
}

static bool need_engine(tsunagu_api_call *call)
{
	if (call->core->router && call->core->domain)
		return true;
	tsunagu_api_error(call, 503, "unavailable", "the call engine is not running");
	return false;
}

/* The id in the path (the first *), 0 when it is not one. */
static int64_t path_id(const tsunagu_api_call *call)
{
	const char *s = call->params->len ? call->params->pdata[0] : NULL;
	char *end = NULL;
	int64_t id = s && g_ascii_isdigit(s[0]) ? g_ascii_strtoll(s, &end, 10) : 0;
	return id > 0 && end && !*end ? id : 0;
}

static void engine_error(tsunagu_api_call *call, int ret, const char *what)
{
	if (ret == -EPIPE)
		tsunagu_api_error(call, 409, "conflict", "the call is answered or over");
	else if (ret == -EPERM)
		tsunagu_api_error(call, 409, "conflict", "the call does not ring for you");
	else
		tsunagu_api_error_errno(call, ret, what);
}

/* GET /api/v1/calls?state=queued|ringing|talking: the waiting calls (no
 * state: queued and ringing), oldest first. */
static void calls_list(tsunagu_api_call *call)
{
	const char *state = tsunagu_http_request_query(call->req, "state");
	GPtrArray *list = NULL;
	if (state && !*state)
		state = NULL;
	int ret = tsunagu_store_calls_list(call->core->store, state, 0, &list);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "state must be queued, ringing or talking");
		return;
	}
	int64_t now = tsunagu_core_now_us();
	json_t *arr = json_array();
	for (guint i = 0; i < list->len; i++)
		json_array_append_new(arr, tsunagu_api_call_json(call->core, list->pdata[i], now));
	g_ptr_array_unref(list);
	tsunagu_api_reply(call, 200, json_pack("{s:o}", "calls", arr));
}

/* The call of the path, loaded (answers 404 itself). */
static tsunagu_store_call *path_call(tsunagu_api_call *call)
{
	tsunagu_store_call *c = NULL;
	int64_t id = path_id(call);
	if (!id || tsunagu_store_call_get(call->core->store, id, &c) < 0) {
		tsunagu_api_error(call, 404, "not_found", "no such call");
		return NULL;
	}
	return c;
}

static void reply_call(tsunagu_api_call *call, int64_t call_id)
{
	tsunagu_store_call *c = NULL;
	int ret = tsunagu_store_call_get(call->core->store, call_id, &c);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "no such call");
		return;
	}
	json_t *j = tsunagu_api_call_json(call->core, c, tsunagu_core_now_us());
	tsunagu_store_call_free(c);
	tsunagu_api_reply_after_commit(call, 200, json_pack("{s:o}", "call", j));
}

/* An operator acts on the call of the path for themself (answer, reject). */
typedef int (*call_action)(tsunagu_router *router, int64_t call_id, int64_t staff_id);

static void act_on_call(tsunagu_api_call *call, call_action action, const char *what)
{
	if (!need_engine(call))
		return;
	tsunagu_store_call *c = path_call(call);
	if (!c)
		return;
	int64_t id = c->id;
	tsunagu_store_call_free(c);
	int ret = action(call->core->router, id, tsunagu_api_staff_id(call));
	if (ret < 0)
		engine_error(call, ret, what);
	else
		reply_call(call, id);
}

/* POST /api/v1/calls/{id}/answer: the caller's phone rings for it (TEL-4). */
static void call_answer(tsunagu_api_call *call)
{
	act_on_call(call, tsunagu_router_call_take, "cannot answer the call");
}

/* POST /api/v1/calls/{id}/reject: the next operator's phone rings. */
static void call_reject(tsunagu_api_call *call)
{
	act_on_call(call, tsunagu_router_call_decline, "cannot reject the call");
}

/* POST /api/v1/calls/{id}/hangup: one's own call, or any (supervisors). */
static void call_hangup(tsunagu_api_call *call)
{
	if (!need_engine(call))
		return;
	tsunagu_store_call *c = path_call(call);
	if (!c)
		return;
	int64_t id = c->id, me = tsunagu_api_staff_id(call);
	bool own = c->staff_id == me;
	tsunagu_store_call_free(c);
	if (!tsunagu_api_allowed(call, "calls.hangup", own)) {
		tsunagu_api_error(call, 403, "forbidden", "not your call");
		return;
	}
	int ret = tsunagu_router_call_hangup(call->core->router, id, me, "hangup");
	if (ret < 0)
		engine_error(call, ret, "cannot hang up");
	else
		reply_call(call, id);
}

/* POST /api/v1/conversations/{id}/callback (TEL-1). */
static void conversation_callback(tsunagu_api_call *call)
{
	tsunagu_store_conversation *conv = NULL, *made = NULL;
	const char *pub = call->params->len ? call->params->pdata[0] : NULL;
	int64_t conv_id = 0, call_id = 0;

	if (!need_engine(call))
		return;
	int ret = tsunagu_store_conversation_get_by_public_id(call->core->store, pub, &conv);
	if (ret == 0)
		ret = tsunagu_domain_call_back(call->core->domain, conv->id,
					       tsunagu_api_staff_id(call), &conv_id, &call_id);
	if (ret == 0)
		ret = tsunagu_store_conversation_get(call->core->store, conv_id, &made);
	if (ret == -EPIPE)
		tsunagu_api_error(call, 409, "conflict", "its call was not missed");
	else if (ret == -EINVAL)
		tsunagu_api_error(call, 400, "bad_request", "not a phone conversation with a call");
	else if (ret < 0)
		tsunagu_api_error_errno(call, ret, "no such conversation");
	else
		tsunagu_api_reply_after_commit(
			call, 201,
			json_pack("{s:o, s:I}", "conversation", tsunagu_api_conversation_json(made),
				  "call", (json_int_t)call_id));
	tsunagu_store_conversation_free(made);
	tsunagu_store_conversation_free(conv);
}

/* GET /api/v1/calls/settings */
static void settings_get(tsunagu_api_call *call)
{
	if (!need_engine(call))
		return;
	tsunagu_api_reply(call, 200,
			  json_pack("{s:I}", "queue_limit",
				    (json_int_t)tsunagu_domain_call_queue_limit(call->core->domain)));
}

/* PUT /api/v1/calls/settings {queue_limit} */
static void settings_put(tsunagu_api_call *call)
{
	json_t *limit = json_object_get(call->body, "queue_limit");
	if (!need_engine(call))
		return;
	if (!json_is_integer(limit) || json_integer_value(limit) < 0 ||
	    json_integer_value(limit) > TSUNAGU_CALL_QUEUE_LIMIT_MAX) {
		tsunagu_api_error(call, 400, "bad_request",
				  "queue_limit must be an integer from 0 (unlimited) to 100000");
		return;
	}
	int ret = tsunagu_domain_call_set_queue_limit(call->core->domain,
						      json_integer_value(limit),
						      tsunagu_api_staff_id(call));
	if (ret < 0)
		tsunagu_api_error_errno(call, ret, "cannot change the call settings");
	else
		tsunagu_api_reply_after_commit(call, 200,
					       json_pack("{s:I}", "queue_limit",
							 (json_int_t)json_integer_value(limit)));
}

const tsunagu_api_route tsunagu_api_call_routes[] = {
	{ "GET", "/api/v1/calls", "calls.list", false, calls_list },
	{ "GET", "/api/v1/calls/settings", "calls.settings", false, settings_get },
	{ "PUT", "/api/v1/calls/settings", "calls.settings", true, settings_put },
	{ "POST", "/api/v1/calls/*/answer", "calls.answer", false, call_answer },
	{ "POST", "/api/v1/calls/*/reject", "calls.reject", false, call_reject },
	/* ownership (the call's staff) is checked in the handler */
	{ "POST", "/api/v1/calls/*/hangup", "calls.hangup", false, call_hangup },
	{ "POST", "/api/v1/conversations/*/callback", "calls.callback", false,
	  conversation_callback },
	{ NULL, NULL, NULL, false, NULL },
};
