/* WebSocket connections: routing of upgrades by path, reassembly of whole
 * messages, a bounded send queue per connection, orderly close.
 *
 * Sending: a message is queued and its connection marked; at the next loop
 * iteration one flush writes every marked connection's queue as one buffer
 * of frames with one send(). Asking lws for a WRITEABLE callback per message
 * instead toggled POLLOUT twice per message, and lws' glib event lib turns
 * every toggle into a g_source_modify_unix_fd() that signals GLib's wakeup
 * eventfd and costs a loop iteration: most of the CPU of a frame. WRITEABLE
 * is used only when the kernel did not take everything (lws then holds the
 * rest and asks for it itself) and for the close frame. */
#define TSUNAGU_LOG_TOPIC "http"
#include "http_private.h"

#include <errno.h>
#include <string.h>

#include "log.h"

typedef struct {
	bool binary;
	size_t len;
	unsigned char buf[]; /* the payload */
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
	bool flush_wanted; /* in http->ws_flush */
	GByteArray *rx;
	bool rx_binary;
};

static void conn_want_flush(tsunagu_ws_conn *conn);

static void conn_clear_queue(tsunagu_ws_conn *conn)
{
	out_msg *m;
	while ((m = g_queue_pop_head(&conn->queue)))
		g_free(m);
	conn->queued_bytes = 0;
}

static void conn_free(tsunagu_ws_conn *conn)
{
	if (conn->flush_wanted)
		g_ptr_array_remove_fast(conn->http->ws_flush, conn);
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
	if (conn->queue.length)
		conn_want_flush(conn);
	if (conn->closing)
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

/* The frame header of a server frame (FIN, unmasked; RFC 6455 5.2) of len
 * bytes into h (up to 10 bytes); returns its length. No extension is ever
 * negotiated (the context offers none), so the frames are plain. */
static size_t frame_header(unsigned char *h, bool binary, size_t len)
{
	h[0] = 0x80 | (binary ? 0x2 : 0x1);
	if (len < 126) {
		h[1] = (unsigned char)len;
		return 2;
	}
	if (len <= 0xffff) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		return 4;
	}
	h[1] = 127;
	for (int i = 0; i < 8; i++)
		h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	return 10;
}

/* Writes every queued message of conn as one buffer of frames (one send).
 * What the kernel does not take, lws keeps and writes first when the socket
 * is writable again; until then the queue waits for WRITEABLE and grows, so
 * a slow consumer still reaches the queue limit (with at most one flush
 * more held by lws). Returns 0, or -1 when the connection failed. Loop
 * thread. */
static int conn_write_queue(tsunagu_ws_conn *conn)
{
	GByteArray *buf;
	out_msg *m;
	int w;

	if (!conn->queue.length)
		return 0;
	if (lws_partial_buffered(conn->wsi)) {
		lws_callback_on_writable(conn->wsi);
		return 0;
	}
	buf = g_byte_array_sized_new((guint)(LWS_PRE + conn->queued_bytes +
					     10 * conn->queue.length));
	g_byte_array_set_size(buf, LWS_PRE);
	while ((m = g_queue_pop_head(&conn->queue))) {
		unsigned char h[10];
		g_byte_array_append(buf, h, (guint)frame_header(h, m->binary, m->len));
		g_byte_array_append(buf, m->buf, (guint)m->len);
		g_free(m);
	}
	conn->queued_bytes = 0;
	w = lws_write(conn->wsi, buf->data + LWS_PRE, buf->len - LWS_PRE, LWS_WRITE_RAW);
	g_byte_array_unref(buf);
	return w < 0 ? -1 : 0;
}

int tsunagu_http_ws_writeable(tsunagu_http *http, struct lws *wsi, tsunagu_http_pss *pss)
{
	tsunagu_ws_conn *conn = pss ? pss->ws : NULL;

	if (!conn)
		return -1;
	if (conn->queue.length) {
		if (conn_write_queue(conn) < 0)
			return -1;
		if (conn->closing)
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

/* Asks for conn's queue to be written at the next flush. */
static void conn_want_flush(tsunagu_ws_conn *conn)
{
	if (conn->flush_wanted)
		return;
	conn->flush_wanted = true;
	g_ptr_array_add(conn->http->ws_flush, conn);
}

/* The flush source: ready while a connection waits for its flush; its
 * dispatch writes them all. Loop thread. */
typedef struct {
	GSource source;
	tsunagu_http *http;
} flush_source;

static gboolean flush_prepare(GSource *source, gint *timeout)
{
	*timeout = -1;
	return ((flush_source *)source)->http->ws_flush->len > 0;
}

static gboolean flush_check(GSource *source)
{
	return ((flush_source *)source)->http->ws_flush->len > 0;
}

static gboolean flush_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	GPtrArray *conns = ((flush_source *)source)->http->ws_flush;

	/* Taken off one by one, so that a connection freed meanwhile (it
	 * leaves the array in conn_free) is never touched. */
	while (conns->len) {
		tsunagu_ws_conn *conn = g_ptr_array_steal_index_fast(conns, conns->len - 1);
		conn->flush_wanted = false;
		if (conn->wsi && conn_write_queue(conn) < 0)
			tsunagu_ws_close(conn, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "write failed");
	}
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs flush_funcs = {
	.prepare = flush_prepare,
	.check = flush_check,
	.dispatch = flush_dispatch,
};

void tsunagu_http_ws_flush_start(tsunagu_http *http, GMainContext *context)
{
	http->ws_flush = g_ptr_array_new();
	http->ws_flush_source = g_source_new(&flush_funcs, sizeof(flush_source));
	((flush_source *)http->ws_flush_source)->http = http;
	g_source_set_priority(http->ws_flush_source, G_PRIORITY_DEFAULT);
	g_source_set_static_name(http->ws_flush_source, "tsunagu WebSocket flush");
	g_source_attach(http->ws_flush_source, context);
}

void tsunagu_http_ws_flush_stop(tsunagu_http *http)
{
	if (http->ws_flush_source) {
		g_source_destroy(http->ws_flush_source);
		g_source_unref(http->ws_flush_source);
		http->ws_flush_source = NULL;
	}
	if (http->ws_flush)
		g_ptr_array_unref(http->ws_flush);
	http->ws_flush = NULL;
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
	m = g_malloc(sizeof(*m) + len);
	m->binary = binary;
	m->len = len;
	if (len)
		memcpy(m->buf, data, len);
	g_queue_push_tail(&conn->queue, m);
	conn->queued_bytes += len;
	if (conn->established)
		conn_want_flush(conn);
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
