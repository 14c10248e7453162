/* The HTTP and WebSocket part of the host API: plugin routes on the core's
 * server. The core calls trampolines here with a host-owned record, so a
 * request or socket event for a plugin that is not running is answered by
 * the host and never reaches unloaded code. */
#define TSUNAGU_LOG_TOPIC "plugins"
#include "log.h"

#include <errno.h>
#include <string.h>

#include "auth.h"
#include "http.h"
#include "http_parse.h"
#include "plugin_host.h"

/* One route or WebSocket path of a plugin. Owned by h->routes; outlives the
 * registration (sockets opened on it may still close after unrouting). */
typedef struct {
	tsunagu_host *h;
	tsunagu_host_http_handler handler;
	tsunagu_host_ws_handlers ws;
	void *user_data;
	int min_role; /* > 0: http_route_staff(), the least tsunagu_role */
} host_route;

/* The core request's data slot while a plugin owns the request. */
typedef struct {
	tsunagu_host *h;
	int64_t staff_id; /* 0 unless the route is for staff */
	int role;
} host_req;

/* The core connection's data slot while a plugin owns the socket. */
typedef struct {
	tsunagu_host *h;
	void *data;   /* the plugin's, ws_set_data() */
	bool closing; /* ws_close() was called */
} host_ws_slot;

#define CORE_REQ(r) ((tsunagu_http_request *)(r))
#define CORE_WS(w) ((tsunagu_ws_conn *)(w))

static const char unavailable[] =
	"{\"error\":{\"code\":\"unavailable\",\"message\":\"plugin not running\"}}";

static int path_check(const char *path)
{
	if (!path || path[0] != '/' || strlen(path) > 256 || !g_utf8_validate(path, -1, NULL))
		return -EINVAL;
	if (strcmp(path, "/api") == 0 || g_str_has_prefix(path, "/api/"))
		return -EPERM; /* the core's REST API and events socket */
	return 0;
}

/* ---- HTTP ---------------------------------------------------------------------- */

static void respond_error(tsunagu_http_request *req, int status, const char *code,
			  const char *message)
{
	char *body = g_strdup_printf("{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code,
				     message);
	tsunagu_http_add_header(req, "cache-control", "no-store");
	tsunagu_http_respond(req, status, "application/json", body, strlen(body));
	g_free(body);
}

static bool state_changing(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	       strcmp(method, "OPTIONS") != 0;
}

/* The same checks, in the same order, as the REST API's dispatch (api.c):
 * session, Origin and CSRF for state-changing methods, then the role. On
 * refusal req is answered and false returned. */
static bool staff_allowed(tsunagu_host *h, tsunagu_http_request *req, int min_role,
			  host_req *rec)
{
	const char *method = tsunagu_http_request_method(req);
	const char *token = tsunagu_http_request_cookie(req, TSUNAGU_SESSION_COOKIE);
	const char *origin = tsunagu_http_request_header(req, "origin");
	tsunagu_auth_session *s = NULL;
	bool ok = false;

	if (!h->core || !h->core->store) {
		respond_error(req, 503, "unavailable", "the store is not open");
		return false;
	}
	if (state_changing(method) && origin &&
	    !tsunagu_http_origin_matches(origin, tsunagu_http_request_header(req, "host"))) {
		respond_error(req, 403, "forbidden", "cross-origin request refused");
		return false;
	}
	if (!token ||
	    tsunagu_auth_session_lookup(h->core->store, token, tsunagu_core_now_us(), &s) < 0) {
		respond_error(req, 401, "unauthorized", "log in first");
		return false;
	}
	if (state_changing(method) &&
	    !tsunagu_auth_secret_equal(tsunagu_http_request_header(req, "x-csrf-token"),
				       s->session->csrf_token)) {
		respond_error(req, 403, "csrf", "missing or wrong X-CSRF-Token header");
		goto out;
	}
	if ((int)s->staff->role < min_role) {
		respond_error(req, 403, "forbidden", "your role does not allow this");
		goto out;
	}
	rec->staff_id = s->staff->id;
	rec->role = (int)s->staff->role;
	ok = true;
out:
	tsunagu_auth_session_free(s);
	return ok;
}

static void http_run(tsunagu_http_request *req, void *user_data)
{
	host_route *r = user_data;
	tsunagu_host *h = r->h;
	if (h->phase != TSUNAGU_PLUGIN_STARTED) {
		tsunagu_http_respond(req, 503, "application/json", unavailable,
				     sizeof unavailable - 1);
		return;
	}
	host_req *rec = g_new0(host_req, 1);
	rec->h = h;
	if (r->min_role > 0 && !staff_allowed(h, req, r->min_role, rec)) {
		g_free(rec);
		return;
	}
	tsunagu_http_request_set_data(req, rec, g_free);
	g_hash_table_add(h->requests, req);
	r->handler((tsunagu_host_request *)req, r->user_data);
}

static int route_add(tsunagu_host *h, const char *method, const char *path, bool prefix,
		     int min_role, tsunagu_host_http_handler handler, void *user_data)
{
	int rc = path_check(path);
	if (!h || !handler || rc)
		return h && handler ? rc : -EINVAL;
	if (prefix && !g_str_has_suffix(path, "/"))
		return -EINVAL;
	if (h->phase >= TSUNAGU_PLUGIN_STOPPED)
		return -ESHUTDOWN;
	if (!h->core || !h->core->http)
		return -ENODEV;
	host_route *r = g_new0(host_route, 1);
	r->h = h;
	r->handler = handler;
	r->user_data = user_data;
	r->min_role = min_role;
	rc = tsunagu_http_route(h->core->http, method, path, prefix, http_run, r, h);
	if (rc) {
		g_free(r);
		return rc;
	}
	g_ptr_array_add(h->routes, r);
	return 0;
}

static int host_http_route(tsunagu_host *h, const char *method, const char *path, bool prefix,
			   tsunagu_host_http_handler handler, void *user_data)
{
	return route_add(h, method, path, prefix, 0, handler, user_data);
}

static int host_http_route_staff(tsunagu_host *h, const char *method, const char *path,
				 bool prefix, int min_role, tsunagu_host_http_handler handler,
				 void *user_data)
{
	if (min_role < TSUNAGU_PLUGIN_ROLE_OPERATOR || min_role > TSUNAGU_PLUGIN_ROLE_ADMIN)
		return -EINVAL;
	return route_add(h, method, path, prefix, min_role, handler, user_data);
}

/* Upgrade requests carry no record (their data slot is NULL). */
static int host_request_staff(const tsunagu_host_request *req, int64_t *staff_id, int *role)
{
	const host_req *rec = req ? tsunagu_http_request_get_data(CORE_REQ(req)) : NULL;
	if (!rec || rec->staff_id == 0)
		return -ENOENT;
	if (staff_id)
		*staff_id = rec->staff_id;
	if (role)
		*role = rec->role;
	return 0;
}

static const char *host_request_method(const tsunagu_host_request *req)
{
	return req ? tsunagu_http_request_method(CORE_REQ(req)) : NULL;
}

static const char *host_request_path(const tsunagu_host_request *req)
{
	return req ? tsunagu_http_request_path(CORE_REQ(req)) : NULL;
}

static const char *host_request_query(const tsunagu_host_request *req, const char *name)
{
	return req && name ? tsunagu_http_request_query(CORE_REQ(req), name) : NULL;
}

static const char *host_request_header(const tsunagu_host_request *req, const char *name)
{
	return req && name ? tsunagu_http_request_header(CORE_REQ(req), name) : NULL;
}

static const char *host_request_cookie(const tsunagu_host_request *req, const char *name)
{
	return req && name ? tsunagu_http_request_cookie(CORE_REQ(req), name) : NULL;
}

static const char *host_request_body(const tsunagu_host_request *req, size_t *len)
{
	size_t n = 0;
	const char *b = req ? tsunagu_http_request_body(CORE_REQ(req), &n) : NULL;
	if (len)
		*len = n;
	return b;
}

static const char *host_request_peer(const tsunagu_host_request *req)
{
	return req ? tsunagu_http_request_peer(CORE_REQ(req)) : NULL;
}

static void host_response_header(tsunagu_host_request *req, const char *name, const char *value)
{
	if (req && name && value)
		tsunagu_http_add_header(CORE_REQ(req), name, value);
}

static void host_respond(tsunagu_host_request *req, int status, const char *content_type,
			 const char *body, size_t len)
{
	if (!req)
		return;
	host_req *rec = tsunagu_http_request_get_data(CORE_REQ(req));
	/* A request the host already answered (plugin destroyed) is no longer
	 * in the set: answering twice would free it twice. */
	if (!rec || !g_hash_table_remove(rec->h->requests, req)) {
		tlog_error("a plugin answered a request twice or one it does not own; ignored");
		return;
	}
	tsunagu_http_respond(CORE_REQ(req), status, content_type, body ? body : "",
			     body ? len : 0);
}

/* ---- WebSocket ----------------------------------------------------------------- */

static int ws_open(tsunagu_ws_conn *conn, const tsunagu_http_request *req, void *user_data)
{
	host_route *r = user_data;
	tsunagu_host *h = r->h;
	if (h->phase != TSUNAGU_PLUGIN_STARTED)
		return 503;
	host_ws_slot *slot = g_new0(host_ws_slot, 1);
	slot->h = h;
	tsunagu_ws_set_data(conn, slot);
	g_hash_table_insert(h->ws_conns, conn, slot);
	int rc = r->ws.on_open ? r->ws.on_open((tsunagu_host_ws *)conn,
					       (const tsunagu_host_request *)req, r->user_data)
			       : 0;
	if (rc != 0) {
		g_hash_table_remove(h->ws_conns, conn);
		tsunagu_ws_set_data(conn, NULL);
		g_free(slot);
		return rc >= 400 && rc <= 599 ? rc : 403;
	}
	return 0;
}

static void ws_message(tsunagu_ws_conn *conn, const char *data, size_t len, bool binary,
		       void *user_data)
{
	host_route *r = user_data;
	host_ws_slot *slot = tsunagu_ws_get_data(conn);
	if (slot && tsunagu_host_alive(r->h) && r->ws.on_message)
		r->ws.on_message((tsunagu_host_ws *)conn, data, len, binary, r->user_data);
}

static void ws_closed(tsunagu_ws_conn *conn, void *user_data)
{
	host_route *r = user_data;
	host_ws_slot *slot = tsunagu_ws_get_data(conn);
	if (!slot)
		return;
	if (tsunagu_host_alive(r->h) && r->ws.on_close)
		r->ws.on_close((tsunagu_host_ws *)conn, r->user_data);
	g_hash_table_remove(r->h->ws_conns, conn);
	tsunagu_ws_set_data(conn, NULL);
	g_free(slot);
}

static const tsunagu_ws_handlers ws_trampolines = {
	.on_open = ws_open,
	.on_message = ws_message,
	.on_close = ws_closed,
};

static int host_ws_route(tsunagu_host *h, const char *path, const tsunagu_host_ws_handlers *hd,
			 void *user_data)
{
	int rc = path_check(path);
	if (!h || !hd || rc)
		return h && hd ? rc : -EINVAL;
	/* The 1.0 table ends at on_close; a later one may be longer. */
	if (hd->struct_size < offsetof(tsunagu_host_ws_handlers, on_close) + sizeof(hd->on_close) ||
	    !hd->on_message)
		return -EINVAL;
	if (h->phase >= TSUNAGU_PLUGIN_STOPPED)
		return -ESHUTDOWN;
	if (!h->core || !h->core->http)
		return -ENODEV;
	host_route *r = g_new0(host_route, 1);
	r->h = h;
	memcpy(&r->ws, hd, MIN((size_t)hd->struct_size, sizeof r->ws));
	r->user_data = user_data;
	rc = tsunagu_http_ws_route(h->core->http, path, &ws_trampolines, r, h);
	if (rc) {
		g_free(r);
		return rc;
	}
	g_ptr_array_add(h->routes, r);
	return 0;
}

static int host_ws_send(tsunagu_host_ws *ws, const char *data, size_t len, bool binary)
{
	host_ws_slot *slot = ws ? tsunagu_ws_get_data(CORE_WS(ws)) : NULL;
	if (!slot || (!data && len))
		return -EINVAL;
	if (slot->closing)
		return -EPIPE;
	return tsunagu_ws_send(CORE_WS(ws), data ? data : "", len, binary);
}

static void host_ws_close(tsunagu_host_ws *ws, int code, const char *reason)
{
	host_ws_slot *slot = ws ? tsunagu_ws_get_data(CORE_WS(ws)) : NULL;
	if (!slot || slot->closing)
		return;
	slot->closing = true;
	tsunagu_ws_close(CORE_WS(ws), code, reason);
}

static void host_ws_set_data(tsunagu_host_ws *ws, void *data)
{
	host_ws_slot *slot = ws ? tsunagu_ws_get_data(CORE_WS(ws)) : NULL;
	if (slot)
		slot->data = data;
}

static void *host_ws_get_data(const tsunagu_host_ws *ws)
{
	host_ws_slot *slot = ws ? tsunagu_ws_get_data((const tsunagu_ws_conn *)ws) : NULL;
	return slot ? slot->data : NULL;
}

/* ---- table and cleanup ---------------------------------------------------------- */

void tsunagu_host_http_fill(tsunagu_host_api *api)
{
	api->http_route = host_http_route;
	api->request_method = host_request_method;
	api->request_path = host_request_path;
	api->request_query = host_request_query;
	api->request_header = host_request_header;
	api->request_cookie = host_request_cookie;
	api->request_body = host_request_body;
	api->request_peer = host_request_peer;
	api->response_header = host_response_header;
	api->respond = host_respond;
	api->ws_route = host_ws_route;
	api->ws_send = host_ws_send;
	api->ws_close = host_ws_close;
	api->ws_set_data = host_ws_set_data;
	api->ws_get_data = host_ws_get_data;
	api->http_route_staff = host_http_route_staff;
	api->request_staff = host_request_staff;
}

void tsunagu_host_http_release(tsunagu_host *h)
{
	GHashTableIter it;
	void *key;

	g_hash_table_iter_init(&it, h->requests);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		g_hash_table_iter_remove(&it);
		tsunagu_http_respond(key, 503, "application/json", unavailable,
				     sizeof unavailable - 1);
	}
	/* Removing the routes closes their sockets and reports each close
	 * (ws_closed) right away, which frees its slot without calling the
	 * plugin, no longer alive: nothing of this plugin is referenced by the
	 * server afterwards. */
	if (h->core && h->core->http && h->routes->len)
		tsunagu_http_unroute_owner(h->core->http, h);
}

void tsunagu_host_http_free(tsunagu_host *h)
{
	/* Slots of sockets the server never reported closed (there was no
	 * server left to unroute from): the connections are gone with it. */
	GHashTableIter it;
	void *val;
	g_hash_table_iter_init(&it, h->ws_conns);
	while (g_hash_table_iter_next(&it, NULL, &val))
		g_free(val);
	g_hash_table_remove_all(h->ws_conns);
}
