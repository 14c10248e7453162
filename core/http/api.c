/* The API front door: matches /api/v1 routes, runs the checks every call
 * needs in one place (session, Origin, CSRF, permission, body), answers in
 * the one error shape; and the health endpoints. */
#define TSUNAGU_LOG_TOPIC "api"
#include "api.h"

#include <errno.h>
#include <string.h>

#include "events.h"
#include "http_parse.h"
#include "http_private.h"
#include "log.h"

static const tsunagu_api_route *const route_tables[] = {
	tsunagu_api_auth_routes,	 tsunagu_api_staff_routes, tsunagu_api_conversation_routes,
	tsunagu_api_rules_routes, tsunagu_api_event_routes, tsunagu_api_status_routes,
	tsunagu_api_report_routes, tsunagu_api_call_routes, tsunagu_api_call_report_routes,
	tsunagu_api_guidance_routes, NULL,
};

/* ---- answering ---------------------------------------------------------- */

static void call_free(tsunagu_api_call *call)
{
	tsunagu_auth_session_free(call->auth);
	if (call->params)
		g_ptr_array_unref(call->params);
	if (call->body)
		json_decref(call->body);
	if (call->pending)
		json_decref(call->pending);
	g_free(call);
}

void tsunagu_api_reply(tsunagu_api_call *call, int status, json_t *json)
{
	char *s = json ? json_dumps(json, JSON_COMPACT) : NULL;

	tsunagu_http_add_header(call->req, "cache-control", "no-store");
	tsunagu_http_respond(call->req, status, s ? "application/json" : NULL, s, s ? strlen(s) : 0);
	free(s);
	if (json)
		json_decref(json);
	call_free(call);
}

void tsunagu_api_reply_raw(tsunagu_api_call *call, int status, const char *content_type,
			   const char *body, size_t len)
{
	tsunagu_http_add_header(call->req, "cache-control", "no-store");
	tsunagu_http_respond(call->req, status, content_type, body, len);
	call_free(call);
}

void tsunagu_api_error(tsunagu_api_call *call, int status, const char *code, const char *message)
{
	tsunagu_api_reply(call, status,
			  json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message));
}

void tsunagu_api_error_errno(tsunagu_api_call *call, int err, const char *what)
{
	switch (err) {
	case -ENOENT:
		tsunagu_api_error(call, 404, "not_found", what);
		break;
	case -EEXIST:
		tsunagu_api_error(call, 409, "conflict", what);
		break;
	case -EINVAL:
		tsunagu_api_error(call, 400, "bad_request", what);
		break;
	case -EACCES:
	case -EPERM:
		tsunagu_api_error(call, 403, "forbidden", what);
		break;
	default:
		tlog_error("%s %s: %s", tsunagu_http_request_method(call->req),
			   tsunagu_http_request_path(call->req), g_strerror(-err));
		tsunagu_api_error(call, 500, "internal", "internal error");
		break;
	}
}

/* Store commit callback: loop thread; call is ours until answered. */
static void after_commit(int status, void *user_data)
{
	tsunagu_api_call *call = user_data;
	json_t *j = call->pending;

	call->pending = NULL;
	if (status < 0) {
		if (j)
			json_decref(j);
		tlog_error("commit failed: %s", g_strerror(-status));
		tsunagu_api_error(call, 500, "internal", "the change could not be stored");
		return;
	}
	tsunagu_api_reply(call, call->pending_status, j);
}

void tsunagu_api_reply_after_commit(tsunagu_api_call *call, int status, json_t *json)
{
	call->pending = json;
	call->pending_status = status;
	tsunagu_store_on_commit(call->core->store, after_commit, call);
}

/* ---- checks ------------------------------------------------------------- */

bool tsunagu_api_allowed(const tsunagu_api_call *call, const char *action, bool is_owner)
{
	tsunagu_role role = call->auth ? call->auth->staff->role : 0;
	return tsunagu_permission_check(action, role, is_owner) == 0;
}

int64_t tsunagu_api_staff_id(const tsunagu_api_call *call)
{
	return call->auth ? call->auth->staff->id : 0;
}

tsunagu_auth_session *tsunagu_api_session_of(tsunagu_api *api, const tsunagu_http_request *req)
{
	const char *token = tsunagu_http_request_cookie(req, TSUNAGU_SESSION_COOKIE);
	tsunagu_auth_session *s = NULL;

	if (!token || !api->core->store)
		return NULL;
	if (tsunagu_auth_session_lookup(api->core->store, token, tsunagu_core_now_us(), &s) < 0)
		return NULL;
	return s;
}

bool tsunagu_api_same_origin(const tsunagu_http_request *req)
{
	const char *origin = tsunagu_http_request_header(req, "origin");

	if (!origin)
		return true; /* not a browser's cross-site request */
	return tsunagu_http_origin_matches(origin, tsunagu_http_request_header(req, "host"));
}

void tsunagu_api_audit(tsunagu_api_call *call, const char *type, int64_t conversation_id,
		       json_t *payload)
{
	int ret = -ENODEV;

	if (call->core->events)
		ret = tsunagu_events_emit(call->core->events, type, conversation_id,
					  tsunagu_api_staff_id(call), payload, NULL);
	if (ret < 0)
		tlog_error("audit event %s not recorded: %s", type, g_strerror(-ret));
	if (payload)
		json_decref(payload);
}

static bool state_changing(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	       strcmp(method, "OPTIONS") != 0;
}

/* ---- dispatch ----------------------------------------------------------- */

/* The handler of every /api/v1/ path. Loop thread; req owned by the server. */
static void api_dispatch(tsunagu_http_request *req, void *user_data)
{
	tsunagu_api *api = user_data;
	const char *method = tsunagu_http_request_method(req);
	const char *path = tsunagu_http_request_path(req);
	const tsunagu_api_route *route = NULL;
	const tsunagu_permission *perm;
	tsunagu_api_call *call = g_new0(tsunagu_api_call, 1);
	bool path_known = false;

	call->api = api;
	call->core = api->core;
	call->req = req;
	call->params = g_ptr_array_new_with_free_func(g_free);
	for (size_t t = 0; route_tables[t] && !route; t++) {
		for (const tsunagu_api_route *r = route_tables[t]; r->method; r++) {
			if (!tsunagu_http_match_pattern(r->pattern, path, call->params))
				continue;
			path_known = true;
			if (strcmp(r->method, method) == 0 ||
			    (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
				route = r;
				break;
			}
			g_ptr_array_set_size(call->params, 0);
		}
	}
	if (!route) {
		if (path_known)
			tsunagu_api_error(call, 405, "method_not_allowed",
					  "this method is not allowed here");
		else
			tsunagu_api_error(call, 404, "not_found", "no such endpoint");
		return;
	}
	call->route = route;
	perm = tsunagu_permission_find(route->action);
	if (!perm) {
		tlog_error("route %s %s declares unknown action %s", route->method, route->pattern,
			   route->action);
		tsunagu_api_error(call, 500, "internal", "internal error");
		return;
	}
	if (!api->core->store) {
		tsunagu_api_error(call, 503, "unavailable", "the store is not open");
		return;
	}
	if (state_changing(method) && !tsunagu_api_same_origin(req)) {
		tsunagu_api_error(call, 403, "forbidden", "cross-origin request refused");
		return;
	}
	if (!perm->public_action) {
		call->auth = tsunagu_api_session_of(api, req);
		if (!call->auth) {
			tsunagu_api_error(call, 401, "unauthorized", "log in first");
			return;
		}
		if (state_changing(method) &&
		    !tsunagu_auth_secret_equal(tsunagu_http_request_header(req, "x-csrf-token"),
					       call->auth->session->csrf_token)) {
			tsunagu_api_error(call, 403, "csrf",
					  "missing or wrong X-CSRF-Token header");
			return;
		}
		int least = tsunagu_permission_min_role(route->action);
		if (least == TSUNAGU_ROLE_NONE || (int)call->auth->staff->role < least) {
			tsunagu_api_error(call, 403, "forbidden",
					  "your role does not allow this");
			return;
		}
	}
	if (route->json_body) {
		size_t len;
		const char *body = tsunagu_http_request_body(req, &len);
		const char *why = NULL;
		if (tsunagu_api_parse_body(tsunagu_http_request_header(req, "content-type"), body,
					   len, &call->body, &why) < 0) {
			tsunagu_api_error(call, 400, "bad_request", why);
			return;
		}
	}
	route->fn(call);
}

/* ---- health ------------------------------------------------------------- */

static void respond_text(tsunagu_http_request *req, int status, const char *text)
{
	tsunagu_http_add_header(req, "cache-control", "no-store");
	tsunagu_http_respond(req, status, "application/json", text, strlen(text));
}

/* GET /healthz: the loop runs (we are answering from it). */
static void healthz(tsunagu_http_request *req, void *user_data)
{
	respond_text(req, 200, "{\"status\":\"ok\"}");
}

/* GET /readyz: store and rules loaded and not draining. */
static void readyz(tsunagu_http_request *req, void *user_data)
{
	tsunagu_api *api = user_data;
	tsunagu_core *core = api->core;

	if (core->state == TSUNAGU_CORE_DRAINING || core->state == TSUNAGU_CORE_STOPPED ||
	    api->http->draining)
		respond_text(req, 503, "{\"status\":\"draining\"}");
	else if (!core->store || !core->rules)
		respond_text(req, 503, "{\"status\":\"starting\"}");
	else
		respond_text(req, 200, "{\"status\":\"ready\"}");
}

/* ---- lifecycle ---------------------------------------------------------- */

int tsunagu_api_new(tsunagu_http *http, tsunagu_core *core, tsunagu_api **out)
{
	tsunagu_api *api = g_new0(tsunagu_api, 1);
	int64_t max_failures = 5, window_ms = 5 * 60 * 1000, lockout_ms = 15 * 60 * 1000;
	int ret;

	api->http = http;
	api->core = core;
	api->cancel = g_cancellable_new();
	api->session_ttl_ms = 12 * 3600 * 1000LL;
	if (core->config) {
		api->session_ttl_ms = tsunagu_config_duration_ms(core->config, "auth.session_ttl");
		api->cookie_secure = tsunagu_config_bool(core->config, "auth.cookie_secure");
		max_failures = tsunagu_config_int(core->config, "auth.login_max_failures");
		window_ms = tsunagu_config_duration_ms(core->config, "auth.login_window");
		lockout_ms = tsunagu_config_duration_ms(core->config, "auth.lockout");
	}
	api->ratelimit = tsunagu_ratelimit_new((unsigned)CLAMP(max_failures, 1, 1000000), window_ms,
					       lockout_ms);
	api->peer_ratelimit = tsunagu_ratelimit_new(
		(unsigned)CLAMP(max_failures * TSUNAGU_API_PEER_FACTOR, 1, 1000000), window_ms,
		lockout_ms);
	api->event_clients = g_hash_table_new(g_direct_hash, g_direct_equal);
	ret = tsunagu_http_route(http, NULL, "/api/v1/", true, api_dispatch, api, api);
	if (ret == 0)
		ret = tsunagu_http_route(http, "GET", "/healthz", false, healthz, api, api);
	if (ret == 0)
		ret = tsunagu_http_route(http, "GET", "/readyz", false, readyz, api, api);
	if (ret == 0)
		ret = tsunagu_api_events_ws_register(api);
	if (ret == 0)
		ret = tsunagu_api_guidance_register(api);
	if (ret < 0) {
		tsunagu_api_free(api);
		return ret;
	}
	*out = api;
	return 0;
}

void tsunagu_api_free(tsunagu_api *api)
{
	if (!api)
		return;
	g_cancellable_cancel(api->cancel);
	/* closes the events WebSockets: their on_close unsubscribes them */
	tsunagu_http_unroute_owner(api->http, api);
	tsunagu_api_events_ws_free(api);
	g_object_unref(api->cancel);
	tsunagu_ratelimit_free(api->ratelimit);
	tsunagu_ratelimit_free(api->peer_ratelimit);
	g_hash_table_unref(api->event_clients);
	g_free(api->event_text);
	g_free(api);
}
