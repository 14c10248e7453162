/* Events for staff: GET /api/v1/events (a page of the log) and the events
 * WebSocket at /api/v1/events.
 *
 * WebSocket protocol (docs/api.md): the server first sends
 * {"type":"hello","committed_seq":C,"since":S}, then every committed event
 * with S < seq <= C from the store (in pages, paced by the send queue), then
 * live events as they commit. Only events with a sequence above the last one
 * sent are sent, so nothing is sent twice even while events commit during
 * the replay; and the replay runs until it has caught up with the bus's
 * committed sequence before live delivery starts, so nothing is missed. */
#define TSUNAGU_LOG_TOPIC "api"
#include "api.h"

#include <errno.h>
#include <string.h>

#include "events.h"
#include "http_parse.h"
#include "log.h"

#define REPLAY_PAGE 256
#define PAGE_MAX 1000

typedef struct {
	tsunagu_api *api;
	tsunagu_ws_conn *conn;
	int64_t staff_id;
	char *token_hash; /* the session the socket was opened with */
	int64_t last_sent;
	bool replaying;
	bool dead;        /* the connection is closing: send nothing more */
	unsigned sub_id;
	guint replay_source;
} ev_client;

/* The frame of ev, composed once however many clients receive it. */
static const char *event_text(tsunagu_api *api, const tsunagu_store_event *ev, size_t *len)
{
	if (!api->event_text || api->event_text_seq != ev->seq) {
		g_free(api->event_text);
		api->event_text = tsunagu_event_to_text(ev);
		api->event_text_len = strlen(api->event_text);
		api->event_text_seq = ev->seq;
	}
	*len = api->event_text_len;
	return api->event_text;
}

static void client_send(ev_client *cl, const tsunagu_store_event *ev)
{
	size_t len;
	const char *s;

	if (cl->dead)
		return;
	s = event_text(cl->api, ev, &len);
	if (tsunagu_ws_send(cl->conn, s, len, false) < 0)
		cl->dead = true; /* closed (slow consumer: 1008); the client resumes */
	else
		cl->last_sent = ev->seq;
}

/* GSource on the loop: sends the next page of the replay when the send
 * queue has room. */
static gboolean replay_step(gpointer data)
{
	ev_client *cl = data;
	tsunagu_events *events = cl->api->core->events;
	GPtrArray *page = NULL;
	int64_t committed;

	if (cl->dead || !events)
		goto done;
	if (tsunagu_ws_queued_bytes(cl->conn) > tsunagu_ws_queue_limit(cl->conn) / 2)
		return G_SOURCE_CONTINUE; /* let the client read first */
	committed = tsunagu_events_committed_seq(events);
	if (cl->last_sent >= committed)
		goto done;
	if (tsunagu_store_events_range(cl->api->core->store, cl->last_sent, committed, REPLAY_PAGE,
				       &page) < 0 ||
	    page->len == 0) {
		tlog_error("events replay after %" G_GINT64_FORMAT " failed", cl->last_sent);
		if (page)
			g_ptr_array_unref(page);
		tsunagu_ws_close(cl->conn, 1011, "replay failed");
		cl->dead = true;
		goto done;
	}
	for (guint i = 0; i < page->len && !cl->dead; i++)
		client_send(cl, page->pdata[i]);
	g_ptr_array_unref(page);
	return G_SOURCE_CONTINUE;
done:
	cl->replaying = false;
	cl->replay_source = 0;
	return G_SOURCE_REMOVE;
}

/* A socket lives only as long as the session it was opened with: logout,
 * a password change, disabling the account or plain expiry end it. */
static bool session_ended(ev_client *cl)
{
	tsunagu_store_session *s = NULL;
	int ret = tsunagu_store_session_get(cl->api->core->store, cl->token_hash,
					    tsunagu_core_now_us(), &s);
	tsunagu_store_session_free(s);
	if (ret != -ENOENT)
		return false;
	cl->dead = true;
	tsunagu_ws_close(cl->conn, 1008, "session ended");
	return true;
}

/* Staff events may end sessions; check this client's before delivering. */
static bool ends_client(ev_client *cl, const tsunagu_store_event *ev)
{
	return g_str_has_prefix(ev->type, "staff.") && session_ended(cl);
}

/* Every 30 s: expired sessions end their sockets too. Loop thread. */
static gboolean check_sessions(gpointer data)
{
	tsunagu_api *api = data;
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, api->event_clients);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		ev_client *cl = key;
		if (!cl->dead)
			session_ended(cl);
	}
	return G_SOURCE_CONTINUE;
}

/* Events bus subscriber: loop thread, ev borrowed. */
static void on_event(const tsunagu_store_event *ev, void *user_data)
{
	ev_client *cl = user_data;

	if (cl->dead)
		return;
	if (ends_client(cl, ev))
		return;
	/* during the replay the store delivers it; afterwards only newer */
	if (cl->replaying || ev->seq <= cl->last_sent)
		return;
	client_send(cl, ev);
}

static int ws_open(tsunagu_ws_conn *conn, const tsunagu_http_request *req, void *user_data)
{
	tsunagu_api *api = user_data;
	tsunagu_events *events = api->core->events;
	tsunagu_auth_session *auth;
	const char *since_s = tsunagu_http_request_query(req, "since");
	int64_t committed, since;
	ev_client *cl;
	json_t *hello;
	char *s;

	if (!events || !api->core->store)
		return 503;
	if (!tsunagu_api_same_origin(req))
		return 403;
	auth = tsunagu_api_session_of(api, req);
	if (!auth)
		return 401;
	if (tsunagu_permission_check("events.read", auth->staff->role, false) < 0) {
		tsunagu_auth_session_free(auth);
		return 403;
	}
	committed = tsunagu_events_committed_seq(events);
	since = committed;
	if (since_s && (tsunagu_http_parse_int64(since_s, &since) < 0 || since < 0)) {
		tsunagu_auth_session_free(auth);
		return 400;
	}
	if (since > committed)
		since = committed; /* from another database: nothing newer to replay */

	cl = g_new0(ev_client, 1);
	cl->api = api;
	cl->conn = conn;
	cl->staff_id = auth->staff->id;
	cl->token_hash = g_strdup(auth->session->token_hash);
	cl->last_sent = since;
	if (!api->session_check_source)
		api->session_check_source = g_timeout_add_seconds(30, check_sessions, api);
	tsunagu_auth_session_free(auth);
	tsunagu_ws_set_data(conn, cl);
	g_hash_table_add(api->event_clients, cl);

	hello = json_pack("{s:s,s:I,s:I}", "type", "hello", "committed_seq", (json_int_t)committed,
			  "since", (json_int_t)since);
	s = json_dumps(hello, JSON_COMPACT);
	tsunagu_ws_send(conn, s, strlen(s), false);
	free(s);
	json_decref(hello);

	cl->sub_id = tsunagu_events_subscribe(events, on_event, cl);
	if (since < committed) {
		cl->replaying = true;
		cl->replay_source = g_timeout_add(1, replay_step, cl);
	}
	return 0;
}

/* Clients may send {"type":"ping"}; anything else is ignored. */
static void ws_message(tsunagu_ws_conn *conn, const char *data, size_t len, bool binary,
		       void *user_data)
{
	json_t *j;

	if (binary)
		return;
	j = json_loadb(data, len, 0, NULL);
	if (j && g_strcmp0(json_string_value(json_object_get(j, "type")), "ping") == 0) {
		static const char pong[] = "{\"type\":\"pong\"}";
		tsunagu_ws_send(conn, pong, sizeof(pong) - 1, false);
	}
	json_decref(j);
}

static void ws_close(tsunagu_ws_conn *conn, void *user_data)
{
	tsunagu_api *api = user_data;
	ev_client *cl = tsunagu_ws_get_data(conn);

	if (!cl)
		return;
	if (cl->sub_id && api->core->events)
		tsunagu_events_unsubscribe(api->core->events, cl->sub_id);
	if (cl->replay_source)
		g_source_remove(cl->replay_source);
	g_hash_table_remove(api->event_clients, cl);
	tsunagu_ws_set_data(conn, NULL);
	g_free(cl->token_hash);
	g_free(cl);
}

static const tsunagu_ws_handlers ws_handlers = {
	.on_open = ws_open,
	.on_message = ws_message,
	.on_close = ws_close,
};

int tsunagu_api_events_ws_register(tsunagu_api *api)
{
	return tsunagu_http_ws_route(api->http, "/api/v1/events", &ws_handlers, api, api);
}

void tsunagu_api_events_ws_free(tsunagu_api *api)
{
	if (api->session_check_source)
		g_source_remove(api->session_check_source);
	api->session_check_source = 0;
	/* every client was closed (on_close) when the API's routes went away */
	if (g_hash_table_size(api->event_clients))
		tlog_error("%u events clients left at shutdown",
			   g_hash_table_size(api->event_clients));
}

/* GET /api/v1/events?after=N&limit=L: committed events only. */
static void page(tsunagu_api_call *call)
{
	const char *after_s = tsunagu_http_request_query(call->req, "after");
	const char *limit_s = tsunagu_http_request_query(call->req, "limit");
	int64_t after = 0, limit = 100, committed, next;
	GPtrArray *rows = NULL;
	json_t *arr;
	int ret;

	if ((after_s && (tsunagu_http_parse_int64(after_s, &after) < 0 || after < 0)) ||
	    (limit_s && (tsunagu_http_parse_int64(limit_s, &limit) < 0 || limit < 1 ||
			 limit > PAGE_MAX))) {
		tsunagu_api_error(call, 400, "bad_request",
				  "after: a sequence >= 0; limit: 1 to 1000");
		return;
	}
	if (!call->core->events) {
		tsunagu_api_error(call, 503, "unavailable", "the events bus is not running");
		return;
	}
	committed = tsunagu_events_committed_seq(call->core->events);
	next = after;
	arr = json_array();
	if (after < committed) {
		ret = tsunagu_store_events_range(call->core->store, after, committed,
						 (unsigned)limit, &rows);
		if (ret < 0) {
			json_decref(arr);
			tsunagu_api_error_errno(call, ret, "cannot read events");
			return;
		}
		for (guint i = 0; i < rows->len; i++) {
			const tsunagu_store_event *ev = rows->pdata[i];
			json_array_append_new(arr, tsunagu_event_to_json(ev));
			next = ev->seq;
		}
		g_ptr_array_unref(rows);
	}
	tsunagu_api_reply(call, 200,
			  json_pack("{s:o,s:I,s:I}", "events", arr, "committed_seq",
				    (json_int_t)committed, "next_after", (json_int_t)next));
}

const tsunagu_api_route tsunagu_api_event_routes[] = {
	{ "GET", "/api/v1/events", "events.read", false, page },
	{ NULL, NULL, NULL, false, NULL },
};
