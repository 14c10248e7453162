/* calltest: a phone-like channel plugin for the black-box tests of the call
 * engine (tests/integration/calls_*.test.mjs). It drives the ABI 1.2 call
 * API as a SIP channel would, but from HTTP requests of the test instead of
 * SIP, and records every call_event() the engine sends it. A test fixture:
 * its routes are unauthenticated and it must never be installed.
 *
 *   POST /calltest/incoming?caller=&name=&line=&id=  call_incoming(); answers
 *        after the commit: {status, conversation, call, disposition}
 *   POST /calltest/answered?call=&login=             call_answered()  {rc}
 *   POST /calltest/rejected?call=&login=             call_rejected()  {rc}
 *   POST /calltest/ended?call=                       call_ended()     {rc}
 *   POST /calltest/missed?call=&reason=              call_missed()    {rc}
 *   POST /calltest/refuse?login=                     RING/DIAL to that login
 *                                                    returns -EBUSY from now on
 *   GET  /calltest/events                            {events: [{kind, call,
 *        conversation, channel, staff, login, remote, provider_call_id, reason}]}
 *   GET  /calltest/staff?login=                      staff_find() {rc, staff, role}
 *   GET  /calltest/guidance?line=&kind=              guidance_path() {rc, path}; kind
 *        welcome|queue|busy|out_of_hours (anything else is passed as 0); no
 *        line (or an empty one) asks for the default set (NULL)
 *   GET  /calltest/later?ms=N                        answers {waited: N} N ms
 *        later, from a timer (a handler that answers after returning)
 *
 * Built against the SDK headers (and jansson for its JSON) like any plugin. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <tsunagu/plugin.h>

typedef struct {
	tsunagu_host *host;
	const tsunagu_host_api *api;
	json_t *events;  /* what call_event() received, in order */
	json_t *refused; /* logins whose phone "refuses" to ring (object as set) */
} calltest;

static calltest g_ct;

static void reply_json(calltest *ct, tsunagu_host_request *req, int status, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	ct->api->respond(req, status, "application/json", text, text ? strlen(text) : 0);
	free(text);
	json_decref(j);
}

static const char *q(calltest *ct, tsunagu_host_request *req, const char *name)
{
	const char *v = ct->api->request_query(req, name);
	return v && *v ? v : NULL;
}

static int64_t q_int(calltest *ct, tsunagu_host_request *req, const char *name)
{
	const char *v = q(ct, req, name);
	return v ? strtoll(v, NULL, 10) : 0;
}

/* The staff id of ?login= (0 when unknown). */
static int64_t q_staff(calltest *ct, tsunagu_host_request *req)
{
	int64_t id = 0;
	const char *login = q(ct, req, "login");
	if (login && ct->api->staff_find(ct->host, login, &id, NULL) < 0)
		id = 0;
	return id;
}

/* kind names of the test to the SDK's tsunagu_plugin_guidance_kind. */
static int guidance_kind(const char *name)
{
	static const char *const names[] = {"welcome", "queue", "busy", "out_of_hours"};
	static const int kinds[] = {TSUNAGU_PLUGIN_GUIDANCE_WELCOME, TSUNAGU_PLUGIN_GUIDANCE_QUEUE,
				    TSUNAGU_PLUGIN_GUIDANCE_BUSY,
				    TSUNAGU_PLUGIN_GUIDANCE_OUT_OF_HOURS};
	for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i]) == 0)
			return kinds[i];
	return 0;
}

static void incoming_done(int status, const char *conversation, int64_t call_id,
			  int disposition, void *user_data)
{
	tsunagu_host_request *req = user_data;
	reply_json(&g_ct, req, 200,
		   json_pack("{s:i, s:s?, s:I, s:i}", "status", status, "conversation",
			     conversation, "call", (json_int_t)call_id, "disposition",
			     disposition));
}

static bool answer_later(void *user_data)
{
	tsunagu_host_request *req = user_data;
	int64_t ms = strtoll(g_ct.api->request_query(req, "ms"), NULL, 10);
	reply_json(&g_ct, req, 200, json_pack("{s:I}", "waited", (json_int_t)ms));
	return false;
}

static void on_request(tsunagu_host_request *req, void *user_data)
{
	calltest *ct = user_data;
	const char *path = ct->api->request_path(req);
	const char *what = path + strlen("/calltest/");
	int64_t call = q_int(ct, req, "call");
	int rc = -ENOENT;

	if (strcmp(what, "incoming") == 0) {
		tsunagu_plugin_call_in in = {
			.struct_size = sizeof in,
			.channel = "phone",
			.caller_id = q(ct, req, "caller"),
			.caller_name = q(ct, req, "name"),
			.line = q(ct, req, "line"),
			.provider_call_id = q(ct, req, "id"),
		};
		rc = ct->api->call_incoming(ct->host, &in, incoming_done, req);
		if (rc == 0)
			return; /* answered by incoming_done */
		reply_json(ct, req, 200, json_pack("{s:i}", "status", rc));
		return;
	}
	if (strcmp(what, "later") == 0) {
		int64_t ms = q_int(ct, req, "ms");
		if (ms <= 0 || ms > 600000 || !ct->api->timer_add(ct->host, (uint32_t)ms,
								  answer_later, req))
			reply_json(ct, req, 400, json_pack("{s:s}", "error", "ms: 1..600000"));
		return;
	}
	if (strcmp(what, "events") == 0) {
		reply_json(ct, req, 200, json_pack("{s:O}", "events", ct->events));
		return;
	}
	if (strcmp(what, "staff") == 0) {
		int64_t id = 0;
		int role = 0;
		const char *login = q(ct, req, "login");
		rc = ct->api->staff_find(ct->host, login, &id, &role);
		reply_json(ct, req, 200,
			   json_pack("{s:i, s:I, s:i}", "rc", rc, "staff", (json_int_t)id, "role",
				     role));
		return;
	}
	if (strcmp(what, "guidance") == 0) {
		char *file = NULL;
		rc = ct->api->guidance_path(ct->host, q(ct, req, "line"),
					    guidance_kind(q(ct, req, "kind")), &file);
		reply_json(ct, req, 200, json_pack("{s:i, s:s?}", "rc", rc, "path", file));
		ct->api->free(file);
		return;
	}
	if (strcmp(what, "answered") == 0)
		rc = ct->api->call_answered(ct->host, call, q_staff(ct, req));
	else if (strcmp(what, "rejected") == 0)
		rc = ct->api->call_rejected(ct->host, call, q_staff(ct, req));
	else if (strcmp(what, "ended") == 0)
		rc = ct->api->call_ended(ct->host, call);
	else if (strcmp(what, "missed") == 0)
		rc = ct->api->call_missed(ct->host, call, q(ct, req, "reason"));
	else if (strcmp(what, "refuse") == 0 && q(ct, req, "login")) {
		json_object_set_new(ct->refused, q(ct, req, "login"), json_true());
		rc = 0;
	} else {
		reply_json(ct, req, 404, json_pack("{s:s}", "error", "no such route"));
		return;
	}
	reply_json(ct, req, 200, json_pack("{s:i}", "rc", rc));
}

static int ct_call_event(void *state, const tsunagu_plugin_call_event *ev)
{
	static const char *const kinds[] = {"", "ring", "stop_ring", "hangup", "dial", "missed"};
	calltest *ct = state;
	json_array_append_new(
		ct->events,
		json_pack("{s:s, s:I, s:s?, s:s?, s:I, s:s?, s:s?, s:s?, s:s?}", "kind",
			  ev->kind < 6 ? kinds[ev->kind] : "unknown", "call",
			  (json_int_t)ev->call_id, "conversation", ev->conversation, "channel",
			  ev->channel, "staff", (json_int_t)ev->staff_id, "login", ev->staff_login,
			  "remote", ev->remote_id, "provider_call_id", ev->provider_call_id,
			  "reason", ev->reason));
	if ((ev->kind == TSUNAGU_PLUGIN_CALL_EV_RING || ev->kind == TSUNAGU_PLUGIN_CALL_EV_DIAL) &&
	    ev->staff_login && json_object_get(ct->refused, ev->staff_login))
		return -EBUSY;
	return 0;
}

static int ct_init(tsunagu_host *host, const tsunagu_host_api *api, void **state)
{
	calltest *ct = &g_ct;
	if (!TSUNAGU_HOST_HAS(api, call_incoming) || !TSUNAGU_HOST_HAS(api, guidance_path))
		return -ENOTSUP;
	memset(ct, 0, sizeof *ct);
	ct->host = host;
	ct->api = api;
	ct->events = json_array();
	ct->refused = json_object();
	int rc = api->register_channel(host, "phone");
	if (rc == 0)
		rc = api->http_route(host, NULL, "/calltest/", true, on_request, ct);
	if (rc) {
		json_decref(ct->events);
		json_decref(ct->refused);
		return rc;
	}
	*state = ct;
	return 0;
}

static void ct_destroy(void *state)
{
	calltest *ct = state;
	json_decref(ct->events);
	json_decref(ct->refused);
}

/* A phone channel delivers no text. */
static int ct_deliver(void *state, const tsunagu_plugin_outbound *msg)
{
	return 0;
}

static const tsunagu_plugin_desc ct_desc = {
	.abi_major = TSUNAGU_PLUGIN_ABI_MAJOR,
	.abi_minor = TSUNAGU_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(tsunagu_plugin_desc),
	.capabilities = TSUNAGU_PLUGIN_CAP_CHANNEL | TSUNAGU_PLUGIN_CAP_HTTP |
			TSUNAGU_PLUGIN_CAP_CALLS,
	.name = "calltest",
	.version = "1",
	.description = "test fixture: a phone channel driven over HTTP",
	.init = ct_init,
	.destroy = ct_destroy,
	.deliver = ct_deliver,
	.call_event = ct_call_event,
};

TSUNAGU_PLUGIN_EXPORT const tsunagu_plugin_desc *tsunagu_plugin_entry(uint32_t major,
								      uint32_t minor)
{
	return minor >= 2 ? &ct_desc : NULL;
}
