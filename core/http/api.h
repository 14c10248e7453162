/* The REST/JSON API under /api/v1: the route table, the checks every call
 * goes through (session, Origin, CSRF, permission, JSON body), and the one
 * error shape {"error":{"code":..,"message":..}}.
 *
 * A call is answered exactly once with tsunagu_api_reply*() or
 * tsunagu_api_error(), which free it; until then it stays valid even if the
 * client went away (the answer is then dropped). Answering never touches the
 * API object, so a commit callback that runs during shutdown is safe.
 * Thread: loop thread only.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "auth.h"
#include "http.h"
#include "permissions.h"

/* One address may fail this many times the per-login limit: an office
 * behind one NAT must not be locked out by one person's typos, while one
 * client guessing across many logins still is. */
#define TSUNAGU_API_PEER_FACTOR 4

typedef struct tsunagu_api tsunagu_api;
typedef struct tsunagu_api_call tsunagu_api_call;
typedef void (*tsunagu_api_fn)(tsunagu_api_call *call);

typedef struct {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* "/api/v1/conversations/ * /messages" ('*': one segment) */
	const char *action;  /* a permissions.c action: every route declares one */
	bool json_body;      /* the body must be a JSON object (application/json) */
	tsunagu_api_fn fn;
} tsunagu_api_route;

struct tsunagu_api_call {
	tsunagu_api *api;
	tsunagu_core *core;
	tsunagu_http_request *req;
	const tsunagu_api_route *route;
	tsunagu_auth_session *auth; /* NULL on public routes */
	GPtrArray *params;          /* char*: the '*' segments of the pattern */
	json_t *body;               /* the JSON object when json_body, else NULL */
	json_t *pending;            /* reply_after_commit's answer */
	int pending_status;
};

struct tsunagu_api {
	tsunagu_http *http;
	tsunagu_core *core;
	tsunagu_ratelimit *ratelimit;      /* failed logins per login name */
	tsunagu_ratelimit *peer_ratelimit; /* per peer address, TSUNAGU_API_PEER_FACTOR x looser */
	GCancellable *cancel;      /* cancelled when the API goes away */
	int64_t session_ttl_ms;
	bool cookie_secure;
	GHashTable *event_clients; /* api_events.c: open events WebSockets */
	guint session_check_source; /* api_events.c: periodic session expiry check */
	char *event_text;           /* api_events.c: the last event's frame, shared */
	size_t event_text_len;
	int64_t event_text_seq;
};

/* Route tables of the api_*.c files, each ended by a NULL method. */
extern const tsunagu_api_route tsunagu_api_auth_routes[];
extern const tsunagu_api_route tsunagu_api_staff_routes[];
extern const tsunagu_api_route tsunagu_api_conversation_routes[];
extern const tsunagu_api_route tsunagu_api_rules_routes[];
extern const tsunagu_api_route tsunagu_api_event_routes[];
extern const tsunagu_api_route tsunagu_api_status_routes[];
extern const tsunagu_api_route tsunagu_api_report_routes[];
extern const tsunagu_api_route tsunagu_api_call_routes[];
extern const tsunagu_api_route tsunagu_api_call_report_routes[];

/* One call as the API shows it (api_calls.c): id, conversation, channel,
 * direction, state, missed_reason, caller, line, staff, staff_login, the
 * times, and waited_ms, ring_ms, talk_ms, acw_ms (running ones counted to
 * now_us). The record form reads only c (its record fields, as
 * tsunagu_store_call_records fills them: any thread); the other looks up
 * what is missing (into c) and adds linked_conversation (loop thread).
 * New references. */
json_t *tsunagu_api_call_record_json(const tsunagu_store_call *c, int64_t now_us);
/* The answer of a report built off the loop thread that did not succeed
 * (api_reports.c): 503 when the API went away (cancel) or it timed out
 * (hint: what to ask instead), else the errno's. True when it answered
 * (call freed); false when status is 0 (answer it yourself). */
bool tsunagu_api_report_failed(tsunagu_api_call *call, GCancellable *cancel, int status,
			       const char *hint);
json_t *tsunagu_api_call_json(tsunagu_core *core, tsunagu_store_call *c, int64_t now_us);
extern const tsunagu_api_route tsunagu_api_guidance_routes[];

/* api_guidance.c: the upload route's own body limit (guidance.max_upload). */
int tsunagu_api_guidance_register(tsunagu_api *api);

/* ---- answering ---------------------------------------------------------- */

/* Sends json (reference stolen; NULL: no body) with status and frees call. */
void tsunagu_api_reply(tsunagu_api_call *call, int status, json_t *json);
/* Sends a body that is not JSON (a CSV download), copied, with status and
 * content_type (and any headers added before); frees call. */
void tsunagu_api_reply_raw(tsunagu_api_call *call, int status, const char *content_type,
			   const char *body, size_t len);
/* The error shape. code is one of bad_request, unauthorized, forbidden,
 * csrf, not_found, method_not_allowed, payload_too_large, rate_limited,
 * conflict, unsupported_media_type, internal, unavailable. Frees call. */
void tsunagu_api_error(tsunagu_api_call *call, int status, const char *code, const char *message);
/* Maps a store/domain errno to an answer (-ENOENT 404, -EEXIST 409,
 * -EINVAL 400, -EACCES 403, else 500). Frees call. */
void tsunagu_api_error_errno(tsunagu_api_call *call, int err, const char *what);
/* Answers with json (stolen) only once the writes made so far are durable;
 * 500 if their commit fails. Frees call then. */
void tsunagu_api_reply_after_commit(tsunagu_api_call *call, int status, json_t *json);

/* ---- checks ------------------------------------------------------------- */

/* Whether the caller may do action (is_owner: on something of its own). */
bool tsunagu_api_allowed(const tsunagu_api_call *call, const char *action, bool is_owner);
/* The caller's staff id (0 on public routes). */
int64_t tsunagu_api_staff_id(const tsunagu_api_call *call);
/* The session of a request's cookie, or NULL. Caller frees. */
tsunagu_auth_session *tsunagu_api_session_of(tsunagu_api *api, const tsunagu_http_request *req);
/* Origin check: true when there is no Origin header or it names our Host. */
bool tsunagu_api_same_origin(const tsunagu_http_request *req);

/* ---- JSON helpers (api_json.c) ------------------------------------------ */

/* Validates a request body: media type application/json, a JSON object,
 * valid UTF-8, no duplicate keys, no trailing data. On error returns -EINVAL
 * and *why says what is wrong (static text). *out is the caller's. */
int tsunagu_api_parse_body(const char *content_type, const char *body, size_t len, json_t **out,
			   const char **why);
/* A string member: -ENOENT when absent (or null), -EINVAL when not a string,
 * empty, over max_len bytes, or holding control characters other than
 * tab/newline. *out is borrowed from obj. */
int tsunagu_api_get_string(json_t *obj, const char *key, size_t max_len, const char **out);
/* The i-th '*' segment of the route as a positive id; false when it is
 * not one. */
bool tsunagu_api_param_id(const tsunagu_api_call *call, guint i, int64_t *id);
/* "2026-11-21T15:10:22.123Z"; NULL (JSON null) for 0. */
json_t *tsunagu_api_time(int64_t us);
json_t *tsunagu_api_staff_json(const tsunagu_store_staff *s);
json_t *tsunagu_api_conversation_json(const tsunagu_store_conversation *c);
json_t *tsunagu_api_message_json(const tsunagu_store_message *m);

/* Emits an audit event; failures are logged, not fatal. payload stolen. */
void tsunagu_api_audit(tsunagu_api_call *call, const char *type, int64_t conversation_id,
		       json_t *payload);

/* api_events.c: the events WebSocket at /api/v1/events. */
int tsunagu_api_events_ws_register(tsunagu_api *api);
void tsunagu_api_events_ws_free(tsunagu_api *api);
