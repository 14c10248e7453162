/* The HTTP server: a libwebsockets context on the core's GLib loop, one
 * protocol that serves plain HTTP (routes) and WebSocket upgrades (ws
 * routes), and the route tables. */
#define TSUNAGU_LOG_TOPIC "http"
#include "http_private.h"

#include <errno.h>
#include <string.h>

#include "http_parse.h"
#include "log.h"

/* A WebSocket may queue this many bytes (or 16 of its largest messages,
 * whichever is more) before it counts as a slow consumer and is closed. */
#define WS_QUEUE_MIN (1024 * 1024)

static void route_entry_free(void *p)
{
	tsunagu_http_route_entry *r = p;
	g_free(r->method);
	g_free(r->path);
	g_free(r);
}

static void ws_route_entry_free(void *p)
{
	tsunagu_http_ws_route_entry *r = p;
	g_free(r->path);
	g_free(r);
}

static void lws_log_emit(int level, const char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		tsunagu_log(TSUNAGU_LOG_ERROR, "lws", "%.*s", (int)n, line);
	else
		tsunagu_log(TSUNAGU_LOG_WARN, "lws", "%.*s", (int)n, line);
}

/* ---- routes ----------------------------------------------------------- */

int tsunagu_http_route(tsunagu_http *http, const char *method, const char *path, bool prefix,
		       tsunagu_http_handler handler, void *user_data, const void *owner)
{
	if (!http || !path || path[0] != '/' || !handler)
		return -EINVAL;
	for (guint i = 0; i < http->routes->len; i++) {
		tsunagu_http_route_entry *r = http->routes->pdata[i];
		if (strcmp(r->path, path) == 0 && r->prefix == prefix &&
		    g_strcmp0(r->method, method) == 0)
			return -EEXIST;
	}
	tsunagu_http_route_entry *r = g_new0(tsunagu_http_route_entry, 1);
	r->method = g_strdup(method);
	r->path = g_strdup(path);
	r->prefix = prefix && g_str_has_suffix(path, "/");
	r->handler = handler;
	r->user_data = user_data;
	r->owner = owner;
	g_ptr_array_add(http->routes, r);
	return 0;
}

void tsunagu_http_unroute_owner(tsunagu_http *http, const void *owner)
{
	if (!http)
		return;
	for (guint i = http->routes->len; i-- > 0;) {
		tsunagu_http_route_entry *r = http->routes->pdata[i];
		if (r->owner == owner)
			g_ptr_array_remove_index(http->routes, i);
	}
	tsunagu_http_ws_unroute_owner(http, owner);
	for (guint i = http->ws_routes->len; i-- > 0;) {
		tsunagu_http_ws_route_entry *r = http->ws_routes->pdata[i];
		if (r->owner == owner)
			g_ptr_array_remove_index(http->ws_routes, i);
	}
}

int tsunagu_http_ws_route(tsunagu_http *http, const char *path, const tsunagu_ws_handlers *h,
			  void *user_data, const void *owner)
{
	if (!http || !path || path[0] != '/' || !h || !h->on_open)
		return -EINVAL;
	for (guint i = 0; i < http->ws_routes->len; i++) {
		tsunagu_http_ws_route_entry *r = http->ws_routes->pdata[i];
		if (strcmp(r->path, path) == 0)
			return -EEXIST;
	}
	tsunagu_http_ws_route_entry *r = g_new0(tsunagu_http_ws_route_entry, 1);
	r->path = g_strdup(path);
	r->handlers = *h;
	r->user_data = user_data;
	r->owner = owner;
	g_ptr_array_add(http->ws_routes, r);
	return 0;
}

static void body_limit_free(void *p)
{
	tsunagu_http_body_limit *l = p;
	g_free(l->method);
	g_free(l->path);
	g_free(l);
}

int tsunagu_http_set_max_body(tsunagu_http *http, const char *method, const char *path,
			      size_t max_body)
{
	tsunagu_http_body_limit *l;

	if (!http || !method || !path || path[0] != '/' || !max_body)
		return -EINVAL;
	for (guint i = 0; i < http->body_limits->len; i++) {
		l = http->body_limits->pdata[i];
		if (strcmp(l->method, method) == 0 && strcmp(l->path, path) == 0) {
			l->max_body = max_body;
			return 0;
		}
	}
	l = g_new0(tsunagu_http_body_limit, 1);
	l->method = g_strdup(method);
	l->path = g_strdup(path);
	l->max_body = max_body;
	g_ptr_array_add(http->body_limits, l);
	return 0;
}

/* The body limit of req: its route's own, else http.max_body. */
static size_t max_body_of(const tsunagu_http_request *req)
{
	const tsunagu_http *http = req->http;

	for (guint i = 0; i < http->body_limits->len; i++) {
		const tsunagu_http_body_limit *l = http->body_limits->pdata[i];
		if (strcmp(l->method, req->method) == 0 && strcmp(l->path, req->path) == 0)
			return l->max_body;
	}
	return http->max_body;
}

static bool route_matches_path(const tsunagu_http_route_entry *r, const char *path)
{
	if (r->prefix)
		return g_str_has_prefix(path, r->path) ||
		       /* "/api/v1/" also answers "/api/v1" */
		       (strlen(path) + 1 == strlen(r->path) &&
			strncmp(path, r->path, strlen(path)) == 0);
	return strcmp(r->path, path) == 0;
}

void tsunagu_http_dispatch(tsunagu_http_request *req)
{
	tsunagu_http *http = req->http;
	tsunagu_http_route_entry *best = NULL;
	bool path_known = false;
	size_t best_len = 0;

	req->dispatched = true;
	if (req->too_large) {
		req->close_after = true;
		tsunagu_http_respond_error(req, 413, "payload_too_large",
					   "the request body is larger than this endpoint accepts");
		return;
	}
	for (guint i = 0; i < http->routes->len; i++) {
		tsunagu_http_route_entry *r = http->routes->pdata[i];
		size_t len = strlen(r->path);
		if (!route_matches_path(r, req->path))
			continue;
		path_known = true;
		if (r->method && strcmp(r->method, req->method) != 0 &&
		    !(strcmp(r->method, "GET") == 0 && strcmp(req->method, "HEAD") == 0))
			continue;
		/* longest path wins; at equal length an exact route beats a
		 * prefix, a method-specific one beats a catch-all */
		if (!best || len > best_len ||
		    (len == best_len && ((!r->prefix && best->prefix) ||
					 (r->prefix == best->prefix && r->method && !best->method)))) {
			best = r;
			best_len = len;
		}
	}
	if (!best) {
		if (path_known)
			tsunagu_http_respond_error(req, 405, "method_not_allowed",
						   "this method is not allowed here");
		else
			tsunagu_http_respond_error(req, 404, "not_found", "no such resource");
		return;
	}
	req->in_dispatch = true;
	best->handler(req, best->user_data);
	/* req may be freed here (answered with the client gone) */
}

/* ---- the libwebsockets protocol --------------------------------------- */

/* After a dispatch: a request still here was not answered with its client
 * gone; one its handler will answer later gets TSUNAGU_HTTP_ANSWER_TIMEOUT_S
 * instead of lws' 30 s body timeout, which would cut the client off. */
static void answer_pending(struct lws *wsi, tsunagu_http_pss *pss)
{
	if (!pss->req || !pss->req->dispatched)
		return;
	pss->req->in_dispatch = false;
	if (!pss->req->responded)
		lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, TSUNAGU_HTTP_ANSWER_TIMEOUT_S);
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			 size_t len)
{
	tsunagu_http *http = lws_context_user(lws_get_context(wsi));
	tsunagu_http_pss *pss = user;
	tsunagu_http_request *req;

	switch (reason) {
	case LWS_CALLBACK_HTTP: {
		const char *method = tsunagu_http_wsi_method(wsi);
		if (!http || !pss || !method)
			return -1;
		if (pss->req) /* a pipelined request while one is pending */
			return -1;
		req = tsunagu_http_request_new(http, wsi, method, in ? (const char *)in : "/");
		pss->req = req;
		tsunagu_http_request_capture(req, wsi);
		if (req->body_expected && req->content_length > max_body_of(req)) {
			req->too_large = true;
			tsunagu_http_dispatch(req);
			return 0;
		}
		if (!req->body_expected)
			tsunagu_http_dispatch(req);
		answer_pending(wsi, pss);
		return 0;
	}
	case LWS_CALLBACK_HTTP_BODY:
		req = pss ? pss->req : NULL;
		if (!req || req->dispatched)
			return 0;
		if (req->body->len + len > max_body_of(req)) {
			req->too_large = true;
			tsunagu_http_dispatch(req);
			return 0;
		}
		g_byte_array_append(req->body, in, (guint)len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		req = pss ? pss->req : NULL;
		if (!req || req->dispatched)
			return 0;
		/* keep the body NUL-terminated (just past its length) */
		g_byte_array_append(req->body, (const guint8 *)"", 1);
		g_byte_array_set_size(req->body, req->body->len - 1);
		tsunagu_http_dispatch(req);
		answer_pending(wsi, pss);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE: {
		int r;
		req = pss ? pss->req : NULL;
		if (!req)
			return 0;
		r = tsunagu_http_request_write(req);
		if (r == 0)
			return 0;
		pss->req = NULL;
		tsunagu_http_request_free(req);
		if (r < 0 || r == 2)
			return -1;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	case LWS_CALLBACK_CLOSED_HTTP:
		req = pss ? pss->req : NULL;
		if (!req)
			return 0;
		pss->req = NULL;
		if (req->responded)
			tsunagu_http_request_free(req);
		else
			tsunagu_http_request_detach(req); /* freed by its respond() */
		return 0;

	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return http ? tsunagu_http_ws_filter(http, wsi, pss) : -1;
	case LWS_CALLBACK_ESTABLISHED:
		return tsunagu_http_ws_established(http, wsi, pss);
	case LWS_CALLBACK_RECEIVE:
		return tsunagu_http_ws_receive(http, wsi, pss, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return tsunagu_http_ws_writeable(http, wsi, pss);
	case LWS_CALLBACK_CLOSED:
		tsunagu_http_ws_closed(http, wsi, pss);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* tx_packet_size bounds one send(): lws' default (rx_buffer_size) cut a
 * WebSocket flush (every frame queued for a socket during a loop iteration,
 * http_ws.c) into 16 KiB sends, one per POLLOUT, copying the rest. HTTP
 * responses are written in chunks of their own (http_request.c). */
#define TX_PACKET_SIZE (1024 * 1024)
static const struct lws_protocols protocols[] = {
	{ "tsunagu", http_callback, sizeof(tsunagu_http_pss), 16 * 1024, 0, NULL, TX_PACKET_SIZE },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* Keepalive of WebSockets: lws pings a connection quiet for 30 s and hangs
 * up one that has not answered for 60 s. */
static const lws_retry_bo_t ws_retry = {
	.secs_since_valid_ping = 30,
	.secs_since_valid_hangup = 60,
};

/* ---- lifecycle ---------------------------------------------------------- */

int tsunagu_http_start(tsunagu_core *core, const tsunagu_http_options *opts, tsunagu_http **out)
{
	struct lws_context_creation_info info;
	void *foreign[1];
	tsunagu_http *http = NULL;
	int ret = 0;

	*out = NULL;
	if (!core || !opts || !core->loop)
		return -EINVAL;
	http = g_new0(tsunagu_http, 1);
	http->core = core;
	http->routes = g_ptr_array_new_with_free_func(route_entry_free);
	http->ws_routes = g_ptr_array_new_with_free_func(ws_route_entry_free);
	http->listen_fd = -1;
	http->requests = g_hash_table_new(g_direct_hash, g_direct_equal);
	http->ws_conns = g_hash_table_new(g_direct_hash, g_direct_equal);
	tsunagu_http_ws_flush_start(http, g_main_loop_get_context(core->loop));
	http->max_body = opts->max_body ? opts->max_body : 1024 * 1024;
	http->body_limits = g_ptr_array_new_with_free_func(body_limit_free);
	http->max_ws_message = opts->max_ws_message ? opts->max_ws_message : 64 * 1024;
	http->ws_queue_limit = MAX((size_t)WS_QUEUE_MIN, 16 * http->max_ws_message);
	if (opts->static_dir)
		http->static_dir = opts->static_dir[0] ? g_strdup(opts->static_dir)
						       : tsunagu_http_builtin_static_dir();

	ret = tsunagu_http_parse_listen(opts->listen ? opts->listen : "127.0.0.1:8080",
					&http->host, &http->port, &http->ipv6);
	if (ret < 0) {
		tlog_error("bad listen address \"%s\" (expected HOST:PORT or [IPV6]:PORT)",
			   opts->listen ? opts->listen : "");
		goto out;
	}

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
	memset(&info, 0, sizeof(info));
	foreign[0] = core->loop;
	info.foreign_loops = foreign;
	/* lws does not listen itself (CONTEXT_PORT_NO_LISTEN_SERVER): we bind
	 * the one configured address and hand it the accepted sockets (see
	 * http_listen.c), so nothing is ever bound to a wildcard. */
	info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_VALIDATE_UTF8 |
		       LWS_SERVER_OPTION_DISABLE_IPV6;
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.protocols = protocols;
	info.user = http;
	info.retry_and_idle_policy = &ws_retry;
	info.timeout_secs = 30;
	info.max_http_header_data = 8192;
	info.max_http_header_pool = 256;
	info.vhost_name = "tsunagu";
	http->ctx = lws_create_context(&info);
	if (!http->ctx) {
		tlog_error("cannot create the libwebsockets context");
		ret = -ENOMEM;
		goto out;
	}
	http->vhost = lws_get_vhost_by_name(http->ctx, "tsunagu");
	if (!http->vhost) {
		tlog_error("libwebsockets created no vhost");
		ret = -ENOMEM;
		goto out;
	}
	ret = tsunagu_http_listen_open(http);
	if (ret < 0)
		goto out;

	ret = tsunagu_api_new(http, core, &http->api);
	if (ret < 0)
		goto out;
	if (http->static_dir) {
		ret = tsunagu_http_route(http, "GET", "/", true, tsunagu_http_static_handler, http,
					 http);
		if (ret < 0)
			goto out;
	}
	if (http->ipv6)
		tlog_info("listening on [%s]:%d", http->host, http->port);
	else
		tlog_info("listening on %s:%d", http->host, http->port);
out:
	if (ret < 0) {
		tsunagu_http_free(http);
		return ret;
	}
	*out = http;
	return 0;
}

int tsunagu_http_port(const tsunagu_http *http)
{
	return http ? http->port : -1;
}

void tsunagu_http_stop_intake(tsunagu_http *http)
{
	if (!http || http->draining)
		return;
	http->draining = true;
	/* open connections stay until tsunagu_http_free() */
	tsunagu_http_listen_close(http);
	tlog_info("stopped accepting connections");
}

void tsunagu_http_free(tsunagu_http *http)
{
	GHashTableIter it;
	gpointer key;

	if (!http)
		return;
	tsunagu_http_listen_close(http);
	tsunagu_api_free(http->api);
	http->api = NULL;
	/* WebSocket handlers see on_close before anything goes away. */
	tsunagu_http_ws_free_all(http);
	/* Requests still waiting for their handler outlive the server: their
	 * answer will be dropped. Requests being written are freed by the
	 * CLOSED_HTTP callbacks of the context's destruction. */
	g_hash_table_iter_init(&it, http->requests);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		tsunagu_http_request *req = key;
		req->http = NULL;
		g_hash_table_iter_remove(&it);
	}
	if (http->ctx)
		lws_context_destroy(http->ctx);
	tsunagu_http_ws_flush_stop(http);
	g_hash_table_unref(http->requests);
	g_hash_table_unref(http->ws_conns);
	g_ptr_array_unref(http->routes);
	g_ptr_array_unref(http->ws_routes);
	g_ptr_array_unref(http->body_limits);
	g_free(http->host);
	g_free(http->static_dir);
	g_free(http);
}
