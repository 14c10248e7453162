/* Conversations and their messages as staff see them (CONV-*). A
 * conversation is named by its random public id; every read checks the
 * caller's session, every write goes through the domain. */
#define TSUNAGU_LOG_TOPIC "api"
#include "api.h"

#include <errno.h>
#include <string.h>

#include "domain.h"
#include "http_parse.h"
#include "log.h"
#include "router.h"

#define MAX_TEXT (64 * 1024)

static bool public_id_valid(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (const char *c = s; *c; c++)
		if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_')
			return false;
	return true;
}

/* The conversation named by the first path parameter; answers 404 itself
 * and returns NULL when there is none. */
static tsunagu_store_conversation *load(tsunagu_api_call *call)
{
	tsunagu_store_conversation *c = NULL;
	const char *pid = call->params->len ? call->params->pdata[0] : NULL;

	if (!public_id_valid(pid) ||
	    tsunagu_store_conversation_get_by_public_id(call->core->store, pid, &c) < 0) {
		tsunagu_api_error(call, 404, "not_found", "no such conversation");
		return NULL;
	}
	return c;
}

/* A query parameter as a non-negative int64; false (answered 400) if bad. */
static bool query_int(tsunagu_api_call *call, const char *name, int64_t def, int64_t max,
		      int64_t *out)
{
	const char *s = tsunagu_http_request_query(call->req, name);

	*out = def;
	if (!s || !*s)
		return true;
	if (tsunagu_http_parse_int64(s, out) < 0 || *out < 0 || *out > max) {
		char *msg = g_strdup_printf("%s: a number from 0 to %" G_GINT64_FORMAT, name, max);
		tsunagu_api_error(call, 400, "bad_request", msg);
		g_free(msg);
		return false;
	}
	return true;
}

/* {id, login, display_name} of a staff member, or null. */
static json_t *staff_ref(tsunagu_store *store, int64_t id)
{
	tsunagu_store_staff *s = NULL;
	json_t *j;

	if (!id || tsunagu_store_staff_get(store, id, &s) < 0)
		return json_null();
	j = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "login", s->login, "display_name",
		      s->display_name ? s->display_name : "");
	tsunagu_store_staff_free(s);
	return j;
}

/* A row of the inbox lists (CONV-7): the conversation view with its
 * assignee as an object, the contact's name, the last customer-visible
 * message and whether the customer waits for an answer. */
static json_t *item_json(const tsunagu_store_conversation_item *it)
{
	json_t *j = tsunagu_api_conversation_json(it->conv);
	json_t *assignee = json_null(), *last = json_null();

	if (it->conv->assignee_id && it->assignee_login)
		assignee = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)it->conv->assignee_id,
				     "login", it->assignee_login, "display_name",
				     it->assignee_display_name ? it->assignee_display_name : "");
	if (it->last_kind)
		last = json_pack("{s:s,s:s,s:o}", "kind", tsunagu_msg_kind_name(it->last_kind),
				 "text", it->last_text ? it->last_text : "", "at",
				 tsunagu_api_time(it->last_at_us));
	json_object_set_new(j, "assignee", assignee);
	json_object_set_new(j, "contact", json_pack("{s:s?}", "name", it->contact_name));
	json_object_set_new(j, "last_message", last);
	json_object_set_new(j, "unreplied", json_boolean(it->unreplied));
	json_object_set_new(j, "waiting_since", tsunagu_api_time(it->conv->waiting_since_us));
	return j;
}

static bool channel_valid(const char *s)
{
	if (!s || !*s || strlen(s) > 32)
		return false;
	for (const char *c = s; *c; c++)
		if (!g_ascii_islower(*c) && !g_ascii_isdigit(*c) && *c != '_' && *c != '-')
			return false;
	return true;
}

/* GET /api/v1/conversations?view=...&channel=...&limit=N (CONV-7). */
static void list_view(tsunagu_api_call *call, const char *view_s)
{
	const char *channel = tsunagu_http_request_query(call->req, "channel");
	tsunagu_conv_view view = TSUNAGU_VIEW_ALL;
	GPtrArray *rows = NULL;
	int64_t limit;
	json_t *arr;
	int ret;

	if (view_s && tsunagu_conv_view_parse(view_s, &view) < 0) {
		tsunagu_api_error(call, 400, "bad_request", "view: all, mine, waiting, unreplied, "
							    "replied, snoozed or closed");
		return;
	}
	if (channel && *channel && !channel_valid(channel)) {
		tsunagu_api_error(call, 400, "bad_request", "channel: a channel name");
		return;
	}
	if (!query_int(call, "limit", 100, 500, &limit))
		return;
	ret = tsunagu_store_conversation_list_view(call->core->store, view,
						   tsunagu_api_staff_id(call),
						   channel && *channel ? channel : NULL,
						   (unsigned)limit, &rows);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot list conversations");
		return;
	}
	arr = json_array();
	for (guint i = 0; i < rows->len; i++) {
		const tsunagu_store_conversation_item *it = rows->pdata[i];
		json_t *j = item_json(it);
		/* a phone conversation shows its newest call's state (live) */
		tsunagu_store_call *c = NULL;
		if (strcmp(it->conv->channel, "phone") == 0 &&
		    tsunagu_store_call_of_conversation(call->core->store, it->conv->id, &c) == 0)
			json_object_set_new(j, "call",
					    json_pack("{s:I,s:s,s:s,s:s?}", "id", (json_int_t)c->id,
						      "direction", c->direction, "state", c->state,
						      "missed_reason", c->missed_reason));
		tsunagu_store_call_free(c);
		json_array_append_new(arr, j);
	}
	g_ptr_array_unref(rows);
	tsunagu_api_reply(call, 200, json_pack("{s:o,s:s}", "conversations", arr, "view",
					       tsunagu_conv_view_name(view)));
}

static void list(tsunagu_api_call *call)
{
	const char *state_s = tsunagu_http_request_query(call->req, "state");
	const char *assignee_s = tsunagu_http_request_query(call->req, "assignee");
	const char *view_s = tsunagu_http_request_query(call->req, "view");
	tsunagu_conv_state state = 0;
	int64_t assignee = 0, limit;
	GPtrArray *rows = NULL;
	json_t *arr;
	int ret;

	/* The views; the older state/assignee filters keep their plain rows. */
	if ((view_s && *view_s) || ((!state_s || !*state_s) && (!assignee_s || !*assignee_s))) {
		list_view(call, view_s && *view_s ? view_s : NULL);
		return;
	}

	if (state_s && *state_s && tsunagu_conv_state_parse(state_s, &state) < 0) {
		tsunagu_api_error(call, 400, "bad_request", "state: waiting, open, snoozed, "
							    "close_requested or closed");
		return;
	}
	if (assignee_s && strcmp(assignee_s, "me") == 0)
		assignee = tsunagu_api_staff_id(call);
	else if (assignee_s && *assignee_s &&
		 (tsunagu_http_parse_int64(assignee_s, &assignee) < 0 || assignee <= 0)) {
		tsunagu_api_error(call, 400, "bad_request", "assignee: me or a staff id");
		return;
	}
	if (!query_int(call, "limit", 100, 500, &limit))
		return;
	ret = tsunagu_store_conversation_list(call->core->store, state, assignee, (unsigned)limit,
					      &rows);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot list conversations");
		return;
	}
	arr = json_array();
	for (guint i = 0; i < rows->len; i++)
		json_array_append_new(arr, tsunagu_api_conversation_json(rows->pdata[i]));
	g_ptr_array_unref(rows);
	tsunagu_api_reply(call, 200, json_pack("{s:o}", "conversations", arr));
}

static json_t *detail_json(tsunagu_api_call *call, const tsunagu_store_conversation *c)
{
	json_t *j = tsunagu_api_conversation_json(c);
	json_t *tags = json_array();
	GPtrArray *t = NULL;
	tsunagu_store_contact *contact = NULL;
	bool participant = false;

	if (tsunagu_store_conversation_tags(call->core->store, c->id, &t) == 0) {
		for (guint i = 0; i < t->len; i++)
			json_array_append_new(tags, json_string(t->pdata[i]));
		g_ptr_array_unref(t);
	}
	json_object_set_new(j, "tags", tags);
	json_object_set_new(j, "assignee", staff_ref(call->core->store, c->assignee_id));
	json_object_set_new(j, "waiting_since", tsunagu_api_time(c->waiting_since_us));
	if (tsunagu_store_contact_get(call->core->store, c->contact_id, &contact) == 0) {
		json_object_set_new(j, "contact",
				    json_pack("{s:s,s:s?}", "id", contact->public_id, "name",
					      contact->name));
		tsunagu_store_contact_free(contact);
	}
	tsunagu_store_participant_is(call->core->store, c->id, tsunagu_api_staff_id(call),
				     &participant);
	json_object_set_new(j, "joined", json_boolean(participant));
	return j;
}

static void get(tsunagu_api_call *call)
{
	tsunagu_store_conversation *c = load(call);

	if (!c)
		return;
	json_t *j = detail_json(call, c);
	/* its call records (TEL-10), oldest first; empty but for phone */
	GPtrArray *calls = NULL;
	json_t *arr = json_array();
	int64_t now = tsunagu_core_now_us();
	if (tsunagu_store_calls_of_conversation(call->core->store, c->id, &calls) == 0) {
		for (guint i = 0; i < calls->len; i++)
			json_array_append_new(arr, tsunagu_api_call_json(call->core,
									 calls->pdata[i], now));
		g_ptr_array_unref(calls);
	}
	json_object_set_new(j, "calls", arr);
	tsunagu_api_reply(call, 200, json_pack("{s:o}", "conversation", j));
	tsunagu_store_conversation_free(c);
}

static void messages(tsunagu_api_call *call)
{
	tsunagu_store_conversation *c = load(call);
	GPtrArray *rows = NULL;
	int64_t after, limit;
	json_t *arr;
	int ret;

	if (!c)
		return;
	if (!query_int(call, "after", 0, INT64_MAX, &after) ||
	    !query_int(call, "limit", 200, 1000, &limit))
		goto out;
	ret = tsunagu_store_message_list(call->core->store, c->id, after, (unsigned)limit, &rows);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot list messages");
		goto out;
	}
	arr = json_array();
	for (guint i = 0; i < rows->len; i++)
		json_array_append_new(arr, tsunagu_api_message_json(rows->pdata[i]));
	g_ptr_array_unref(rows);
	tsunagu_api_reply(call, 200, json_pack("{s:o}", "messages", arr));
out:
	tsunagu_store_conversation_free(c);
}

/* Domain commit callback, loop thread: the message is durable (or not). */
static void posted(int status, void *user_data)
{
	tsunagu_api_call *call = user_data;
	json_t *j = call->pending;

	call->pending = NULL;
	if (status < 0) {
		json_decref(j);
		tsunagu_api_error(call, 500, "internal", "the message could not be stored");
		return;
	}
	tsunagu_api_reply(call, 201, j);
}

static void post(tsunagu_api_call *call)
{
	tsunagu_store_conversation *c = load(call);
	const char *kind_s, *text;
	tsunagu_msg_kind kind;
	bool participant = false;
	int64_t mid = 0, me;
	int ret;

	if (!c)
		return; /* answered 404: call is gone */
	me = tsunagu_api_staff_id(call);
	if (tsunagu_api_get_string(call->body, "kind", 16, &kind_s) < 0 ||
	    (strcmp(kind_s, "operator") != 0 && strcmp(kind_s, "note") != 0)) {
		tsunagu_api_error(call, 400, "bad_request", "kind: operator or note");
		goto out;
	}
	if (tsunagu_api_get_string(call->body, "text", MAX_TEXT, &text) < 0) {
		tsunagu_api_error(call, 400, "bad_request", "text: 1 to 65536 bytes of text");
		goto out;
	}
	kind = strcmp(kind_s, "operator") == 0 ? TSUNAGU_MSG_OPERATOR : TSUNAGU_MSG_NOTE;
	if (kind == TSUNAGU_MSG_OPERATOR) {
		tsunagu_store_participant_is(call->core->store, c->id, me, &participant);
		if (!tsunagu_api_allowed(call, "conversations.reply",
					 participant || c->assignee_id == me)) {
			tsunagu_api_error(call, 403, "forbidden",
					  "join the conversation to write to the customer");
			goto out;
		}
	} else if (!tsunagu_api_allowed(call, "conversations.note", false)) {
		tsunagu_api_error(call, 403, "forbidden", "your role does not allow this");
		goto out;
	}
	if (c->state == TSUNAGU_CONV_CLOSED && kind == TSUNAGU_MSG_OPERATOR) {
		tsunagu_api_error(call, 409, "conflict", "the conversation is closed");
		goto out;
	}
	if (!call->core->domain) {
		tsunagu_api_error(call, 503, "unavailable", "the domain is not running");
		goto out;
	}
	/* the answer is prepared now, sent by posted() after the commit */
	call->pending = json_object();
	ret = tsunagu_domain_post(call->core->domain, c->id, me, kind, text, &mid, posted, call);
	if (ret < 0) {
		json_decref(call->pending);
		call->pending = NULL;
		tsunagu_api_error_errno(call, ret, "cannot post the message");
		goto out;
	}
	json_object_set_new(call->pending, "message",
			    json_pack("{s:I,s:s,s:I,s:s,s:s}", "id", (json_int_t)mid, "kind",
				      kind_s, "author", (json_int_t)me, "text", text,
				      "conversation", c->public_id));
out:
	tsunagu_store_conversation_free(c);
}

static void join(tsunagu_api_call *call)
{
	tsunagu_store_conversation *c = load(call), *after = NULL;
	int ret;

	if (!c)
		return;
	if (!call->core->domain) {
		tsunagu_api_error(call, 503, "unavailable", "the domain is not running");
		goto out;
	}
	ret = tsunagu_domain_join(call->core->domain, c->id, tsunagu_api_staff_id(call));
	if (ret == 0)
		ret = tsunagu_store_conversation_get(call->core->store, c->id, &after);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot join the conversation");
		goto out;
	}
	tsunagu_api_reply_after_commit(call, 200,
				       json_pack("{s:o}", "conversation", detail_json(call, after)));
out:
	tsunagu_store_conversation_free(c);
	tsunagu_store_conversation_free(after);
}

/* Answers with the conversation as it is now, once the writes are durable;
 * extra (stolen, may be NULL) is merged into the answer. */
static void reply_fresh(tsunagu_api_call *call, int64_t id, json_t *extra)
{
	tsunagu_store_conversation *after = NULL;
	int ret = tsunagu_store_conversation_get(call->core->store, id, &after);

	if (ret < 0) {
		json_decref(extra);
		tsunagu_api_error_errno(call, ret, "cannot read the conversation");
		return;
	}
	json_t *j = json_pack("{s:o}", "conversation", detail_json(call, after));
	if (extra) {
		json_object_update(j, extra);
		json_decref(extra);
	}
	tsunagu_store_conversation_free(after);
	tsunagu_api_reply_after_commit(call, 200, j);
}

static bool have_router(tsunagu_api_call *call)
{
	if (call->core->router && call->core->domain)
		return true;
	tsunagu_api_error(call, 503, "unavailable", "the router is not running");
	return false;
}

/* POST /api/v1/conversations/{id}/assign {staff: id} (supervisors). */
static void assign(tsunagu_api_call *call)
{
	tsunagu_store_conversation *c = load(call); /* answers and frees call when NULL */
	json_t *staff;
	bool over = false;
	int ret;

	if (!c)
		return;
	staff = json_object_get(call->body, "staff");
	if (!json_is_integer(staff) || json_integer_value(staff) <= 0) {
		tsunagu_api_error(call, 400, "bad_request", "staff: a staff id");
		goto out;
	}
	if (!have_router(call))
		goto out;
	ret = tsunagu_router_assign(call->core->router, c->id, json_integer_value(staff),
				    tsunagu_api_staff_id(call), &over);
	if (ret == -EPIPE) {
		tsunagu_api_error(call, 409, "conflict", "the conversation is closed");
		goto out;
	}
	if (ret == -EINVAL) {
		tsunagu_api_error(call, 409, "conflict", "this account is disabled");
		goto out;
	}
	if (ret == -ENOENT) {
		tsunagu_api_error(call, 404, "not_found", "no such staff");
		goto out;
	}
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot assign the conversation");
		goto out;
	}
	reply_fresh(call, c->id, json_pack("{s:b}", "over_capacity", over));
out:
	tsunagu_store_conversation_free(c);
}

/* Until when to snooze: an optional {until: "ISO-8601"} body, in the
 * future and at most a year away. false when answered 400. */
static bool snooze_until(tsunagu_api_call *call, int64_t *until_us)
{
	size_t len = 0;
	const char *body = tsunagu_http_request_body(call->req, &len);
	const char *why = NULL, *text = NULL;
	json_t *obj = NULL;
	int64_t now = tsunagu_core_now_us();
	bool ok = true;

	*until_us = 0;
	if (!body || len == 0)
		return true;
	if (tsunagu_api_parse_body(tsunagu_http_request_header(call->req, "content-type"), body,
				   len, &obj, &why) < 0) {
		tsunagu_api_error(call, 400, "bad_request", why);
		return false;
	}
	int r = tsunagu_api_get_string(obj, "until", 64, &text);
	if (r == 0) {
		GDateTime *dt = g_date_time_new_from_iso8601(text, NULL);
		*until_us = dt ? g_date_time_to_unix(dt) * G_USEC_PER_SEC +
				    g_date_time_get_microsecond(dt) : 0;
		if (dt)
			g_date_time_unref(dt);
	}
	if (r == -EINVAL || (r == 0 && (*until_us <= now ||
					*until_us > now + (int64_t)366 * 24 * 3600 * G_USEC_PER_SEC))) {
		tsunagu_api_error(call, 400, "bad_request",
				  "until: an ISO-8601 time in the future, within a year");
		ok = false;
	}
	json_decref(obj);
	return ok;
}

typedef enum { DO_CLOSE, DO_SNOOZE, DO_REOPEN } lifecycle_op;

/* POST .../close, .../snooze {until?}, .../reopen: the assignee or a supervisor. */
static void lifecycle(tsunagu_api_call *call, lifecycle_op op)
{
	static const char *const action[] = { "conversations.close", "conversations.snooze",
					      "conversations.reopen" };
	/* load() answers (and frees call) when there is no such conversation:
	 * nothing may read call before the check */
	tsunagu_store_conversation *c = load(call);
	int64_t me, until = 0;
	int ret;

	if (!c)
		return;
	me = tsunagu_api_staff_id(call);
	if (!tsunagu_api_allowed(call, action[op], c->assignee_id == me)) {
		tsunagu_api_error(call, 403, "forbidden",
				  "only the assignee or a supervisor may do this");
		goto out;
	}
	if (op == DO_SNOOZE && !snooze_until(call, &until))
		goto out;
	if (!have_router(call))
		goto out;
	if (op == DO_CLOSE)
		ret = tsunagu_domain_close(call->core->domain, c->id, me);
	else if (op == DO_SNOOZE)
		ret = tsunagu_domain_snooze(call->core->domain, c->id, me, until);
	else
		ret = tsunagu_domain_reopen(call->core->domain, c->id, me);
	if (ret == -EALREADY || ret == -EPIPE) {
		tsunagu_api_error(call, 409, "conflict",
				  op == DO_REOPEN ? "the conversation is neither closed nor snoozed"
				  : op == DO_CLOSE ? "the conversation is closed already"
				  : ret == -EPIPE ? "the conversation is closed"
						  : "the conversation is snoozed already");
		goto out;
	}
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot change the conversation");
		goto out;
	}
	reply_fresh(call, c->id, NULL);
out:
	tsunagu_store_conversation_free(c);
}

static void close_conv(tsunagu_api_call *call)
{
	lifecycle(call, DO_CLOSE);
}

static void snooze_conv(tsunagu_api_call *call)
{
	lifecycle(call, DO_SNOOZE);
}

static void reopen_conv(tsunagu_api_call *call)
{
	lifecycle(call, DO_REOPEN);
}

const tsunagu_api_route tsunagu_api_conversation_routes[] = {
	{ "GET", "/api/v1/conversations", "conversations.list", false, list },
	{ "GET", "/api/v1/conversations/*", "conversations.read", false, get },
	{ "GET", "/api/v1/conversations/*/messages", "conversations.read", false, messages },
	/* kind operator needs conversations.reply, note conversations.note:
	 * the route declares the least of them, the handler checks the kind */
	{ "POST", "/api/v1/conversations/*/messages", "conversations.note", true, post },
	{ "POST", "/api/v1/conversations/*/join", "conversations.join", false, join },
	{ "POST", "/api/v1/conversations/*/assign", "conversations.assign", true, assign },
	/* the assignee (own) or a supervisor: checked in the handler; bodies optional */
	{ "POST", "/api/v1/conversations/*/close", "conversations.close", false, close_conv },
	{ "POST", "/api/v1/conversations/*/snooze", "conversations.snooze", false, snooze_conv },
	{ "POST", "/api/v1/conversations/*/reopen", "conversations.reopen", false, reopen_conv },
	{ NULL, NULL, NULL, false, NULL },
};
