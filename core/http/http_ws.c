/* WebSocket connections: routing of upgrades by path, reassembly of whole
 * messages, a bounded send queue per connection, orderly close. */
#define TSUNAGU_LOG_TOPIC "http"
#include "http_private.h"

#include <errno.h>
#include <string.h>

#include "log.h"

typedef struct {
	bool binary;
	size_t len;
	unsigned char buf[]; /* LWS_PRE bytes of headroom, then the payload */
} out_msg;

struct tsunagu_ws_conn {
	tsunagu_http *http;
	struct lws *wsi;
	tsunagu_ws_handlers handlers; /* zeroed once the route went away */
	void *route_data;
	const void *owner;
	void *data;
	bool opened;      /* on_open accepted it: on_close will be called */
	bool established;
	bool closing;
	int close_code;
	char *close_reason;
	GQueue queue;     /* out_msg* */
	size_t queued_bytes;
	GByteArray *rx;
	bool rx_binary;
};

static void conn_clear_queue(tsunagu_ws_conn *conn)
{
	out_msg *m;
	while ((m = g_queue_pop_head(&conn->queue)))
		g_free(m);
	conn->queued_bytes = 0;
}

static void conn_free(tsunagu_ws_conn *conn)
{
	conn_clear_queue(conn);
	g_byte_array_unref(conn->rx);
	g_free(conn->close_reason);
	g_free(conn);
}

/* Calls on_close once and forgets the handlers, so that nothing of a
 * removed route (an unloaded plugin) is called again. */
static void conn_notify_close(tsunagu_ws_conn *conn)
{
	tsunagu_ws_handlers h = conn->handlers;

	memset(&conn->handlers, 0, sizeof(conn->handlers));
	if (conn->opened && h.on_close) {
		conn->opened = false;
		h.on_close(conn, conn->route_data);
	}
	conn->opened = false;
}

int tsunagu_http_ws_filter(tsunagu_http *http, struct lws *wsi, tsunagu_http_pss *pss)
{
	tsunagu_http_ws_route_entry *route = NULL;
	tsunagu_http_request *req;
	tsunagu_ws_conn *conn;
	char path[1024];
	int n, status;

	if (!pss || http->draining)
		return -1;
	n = lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI);
	if (n <= 0)
		return -1;
	for (guint i = 0; i < http->ws_routes->len; i++) {
		tsunagu_http_ws_route_entry *r = http->ws_routes->pdata[i];
		if (strcmp(r->path, path) == 0) {
			route = r;
			break;
		}
	}
	if (!route) {
		tlog_debug("WebSocket upgrade to unknown path %s refused", path);
		return -1;
	}
	conn = g_new0(tsunagu_ws_conn, 1);
	conn->http = http;
	conn->wsi = wsi;
	conn->handlers = route->handlers;
	conn->route_data = route->user_data;
	conn->owner = route->owner;
	conn->rx = g_byte_array_new();
	g_queue_init(&conn->queue);
	pss->ws = conn;
	g_hash_table_add(http->ws_conns, conn);

	/* The upgrade request as a request object that is never answered. */
	req = tsunagu_http_request_new(NULL, wsi, "GET", path);
	tsunagu_http_request_capture(req, wsi);
	req->in_dispatch = true;
	status = conn->handlers.on_open(conn, req, conn->route_data);
	req->in_dispatch = false;
	tsunagu_http_request_free(req);
	if (status != 0) {
		tlog_debug("WebSocket %s refused by its handler (%d)", path, status);
		g_hash_table_remove(http->ws_conns, conn);
		pss->ws = NULL;
		conn_free(conn);
		return -1;
	}
	conn->opened = true;
	return 0;
}

int tsunagu_http_ws_established(tsunagu_http *http, struct lws *wsi, tsunagu_http_pss *pss)
{
	tsunagu_ws_conn *conn = pss ? pss->ws : NULL;

	if (!conn)
		return -1;
	conn->established = true;
	if (conn->queue.length || conn->closing)
		lws_callback_on_writable(wsi);
	return 0;
}

int tsunagu_http_ws_receive(tsunagu_http *http, struct lws *wsi, tsunagu_http_pss *pss,
			    const void *in, size_t len)
{
	tsunagu_ws_conn *conn = pss ? pss->ws : NULL;

	if (!conn || conn->closing)
		return 0;
	if (conn->rx->len == 0)
		conn->rx_binary = lws_frame_is_binary(wsi);
	if (conn->rx->len + len > http->max_ws_message) {
		static const char reason[] = "message too big";
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
				 (unsigned char *)reason, sizeof(reason) - 1);
		return -1;
	}
	g_byte_array_append(conn->rx, in, (guint)len);
	if (!lws_is_final_fragment(wsi))
		return 0;
	/* NUL past the end so text can be read as a string */
	g_byte_array_append(conn->rx, (const guint8 *)"", 1);
	g_byte_array_set_size(conn->rx, conn->rx->len - 1);
	if (conn->handlers.on_message)
		conn->handlers.on_message(conn, (const char *)conn->rx->data, conn->rx->len,
					  conn->rx_binary, conn->route_data);
	g_byte_array_set_size(conn->rx, 0);
	return 0;
}

int tsunagu_http_ws_writeable(tsunagu_http *http, struct lws *wsi, tsunagu_http_pss *pss)
{
	tsunagu_ws_conn *conn = pss ? pss->ws : NULL;
	out_msg *m;

	if (!conn)
		return -1;
	if (conn->queue.length) {
		/* Drain while the socket takes more (as lws' own mirror server does):
		 * one frame per writable callback let a busy socket fall behind by
		 * a frame every loop iteration until it hit its queue limit. */
		do {
			m = g_queue_pop_head(&conn->queue);
			int w = lws_write(wsi, m->buf + LWS_PRE, m->len,
					  m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
			conn->queued_bytes -= m->len;
			g_free(m);
			if (w < 0)
				return -1;
		} while (conn->queue.length && !lws_send_pipe_choked(wsi));
		if (conn->queue.length || conn->closing)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (conn->closing) {
		const char *reason = conn->close_reason ? conn->close_reason : "";
		lws_close_reason(wsi, (enum lws_close_status)conn->close_code,
				 (unsigned char *)reason, strlen(reason));
		return -1;
	}
	return 0;
}

void tsunagu_http_ws_closed(tsunagu_http *http, struct lws *wsi, tsunagu_http_pss *pss)
{
	tsunagu_ws_conn *conn = pss ? pss->ws : NULL;

	if (!conn)
		return;
	pss->ws = NULL;
	conn->wsi = NULL;
	conn->closing = true;
	conn_notify_close(conn);
	if (http)
		g_hash_table_remove(http->ws_conns, conn);
	conn_free(conn);
}

void tsunagu_http_ws_unroute_owner(tsunagu_http *http, const void *owner)
{
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, http->ws_conns);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		tsunagu_ws_conn *conn = key;
		if (conn->owner != owner)
			continue;
		conn_notify_close(conn);
		tsunagu_ws_close(conn, LWS_CLOSE_STATUS_GOINGAWAY, "going away");
	}
}

void tsunagu_http_ws_free_all(tsunagu_http *http)
{
	GHashTableIter it;
	gpointer key;

	/* on_close first, while everything they may touch still exists; the
	 * connections themselves are freed by lws's CLOSED callbacks. */
	g_hash_table_iter_init(&it, http->ws_conns);
	while (g_hash_table_iter_next(&it, &key, NULL))
		conn_notify_close(key);
}

int tsunagu_ws_send(tsunagu_ws_conn *conn, const char *data, size_t len, bool binary)
{
	out_msg *m;

	if (!conn || !conn->wsi || conn->closing)
		return -EPIPE;
	if (conn->queued_bytes + len > conn->http->ws_queue_limit) {
		/* A slow consumer: drop what it has not read and close; it
		 * resumes from its last sequence on reconnect. */
		tlog_warn("WebSocket send queue over %zu bytes: closing a slow consumer",
			  conn->http->ws_queue_limit);
		conn_clear_queue(conn);
		tsunagu_ws_close(conn, LWS_CLOSE_STATUS_POLICY_VIOLATION, "send queue full");
		return -ENOBUFS;
	}
	m = g_malloc(sizeof(*m) + LWS_PRE + len);
	m->binary = binary;
	m->len = len;
	if (len)
		memcpy(m->buf + LWS_PRE, data, len);
	g_queue_push_tail(&conn->queue, m);
	conn->queued_bytes += len;
	if (conn->established)
		lws_callback_on_writable(conn->wsi);
	return 0;
}

void tsunagu_ws_close(tsunagu_ws_conn *conn, int code, const char *reason)
{
	if (!conn || conn->closing || !conn->wsi)
		return;
	conn->closing = true;
	conn->close_code = code ? code : LWS_CLOSE_STATUS_NORMAL;
	/* a close reason fits in a control frame: at most 123 bytes */
	conn->close_reason = g_strndup(reason ? reason : "", 123);
	if (conn->established)
		lws_callback_on_writable(conn->wsi);
}

void tsunagu_ws_set_data(tsunagu_ws_conn *conn, void *data)
{
	conn->data = data;
}

void *tsunagu_ws_get_data(const tsunagu_ws_conn *conn)
{
	return conn->data;
}

size_t tsunagu_ws_queued_bytes(const tsunagu_ws_conn *conn)
{
	return conn ? conn->queued_bytes : 0;
}

size_t tsunagu_ws_queue_limit(const tsunagu_ws_conn *conn)
{
	return conn && conn->http ? conn->http->ws_queue_limit : 0;
}
