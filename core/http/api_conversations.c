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

static void list(tsunagu_api_call *call)
{
	const char *state_s = tsunagu_http_request_query(call->req, "state");
	const char *assignee_s = tsunagu_http_request_query(call->req, "assignee");
	tsunagu_conv_state state = 0;
	int64_t assignee = 0, limit;
	GPtrArray *rows = NULL;
	json_t *arr;
	int ret;

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
	tsunagu_api_reply(call, 200, json_pack("{s:o}", "conversation", detail_json(call, c)));
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

const tsunagu_api_route tsunagu_api_conversation_routes[] = {
	{ "GET", "/api/v1/conversations", "conversations.list", false, list },
	{ "GET", "/api/v1/conversations/*", "conversations.read", false, get },
	{ "GET", "/api/v1/conversations/*/messages", "conversations.read", false, messages },
	/* kind operator needs conversations.reply, note conversations.note:
	 * the route declares the least of them, the handler checks the kind */
	{ "POST", "/api/v1/conversations/*/messages", "conversations.note", true, post },
	{ "POST", "/api/v1/conversations/*/join", "conversations.join", false, join },
	{ NULL, NULL, NULL, false, NULL },
};
