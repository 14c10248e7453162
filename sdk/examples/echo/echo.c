/* echo: the SDK's example channel plugin.
 *
 * A client connects to the WebSocket path (default /plugins/echo/ws) and sends
 *     {"from":"alice","text":"hello","id":"m1"}
 * The plugin hands it to the host as a customer message on channel "echo".
 * Once the host has committed it, the plugin answers
 *     {"ack":"m1","conversation":"<public id>"}
 * and posts "<prefix>hello" into that conversation as a system message. The
 * core stores it and calls deliver(), which sends
 *     {"conversation":"<public id>","text":"echo: hello"}
 * to every open socket of that customer. Staff replies arrive the same way.
 * Errors come back as {"error":"...","id":"m1"}.
 *
 * Everything runs on the host's loop thread: the plugin has no thread of its
 * own, so it needs no lock.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <tsunagu/plugin.h>

#include "echo_json.h"

/* One client socket. Referenced by the socket itself (until on_close) and by
 * every message awaiting its ack, so an ack arriving after the client left
 * finds ws == NULL instead of a dangling pointer. */
typedef struct echo_conn {
	struct echo_conn *next;
	tsunagu_host_ws *ws; /* NULL once closed */
	char *from;          /* the customer identity this socket speaks for */
	int refs;
} echo_conn;

typedef struct {
	tsunagu_host *host;
	const tsunagu_host_api *api;
	char *prefix;
	char *path;
	echo_conn *conns; /* open sockets */
	int started;
} echo_state;

typedef struct {
	echo_state *st;
	echo_conn *conn;
	char *id;
	char *text;
} echo_pending;

static const tsunagu_plugin_conf_key echo_schema[] = {
	{"prefix", TSUNAGU_PLUGIN_CONF_STRING, "echo: ", "text put before the echoed message"},
	{"path", TSUNAGU_PLUGIN_CONF_STRING, "/plugins/echo/ws", "WebSocket path of the channel"},
	{NULL, 0, NULL, NULL},
};

static void conn_unref(echo_conn *c)
{
	if (--c->refs > 0)
		return;
	free(c->from);
	free(c);
}

static void conn_unlink(echo_state *st, echo_conn *c)
{
	for (echo_conn **p = &st->conns; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			c->next = NULL;
			return;
		}
	}
}

/* Sends {"k1":"v1","k2":"v2"} (v2 may be NULL: one member) to one socket. */
static void send_pair(echo_state *st, tsunagu_host_ws *ws, const char *k1, const char *v1,
		      const char *k2, const char *v2)
{
	echo_buf b = {0};
	int rc = echo_buf_add(&b, "{", 1);
	rc = rc ? rc : echo_buf_add_json_string(&b, k1);
	rc = rc ? rc : echo_buf_add(&b, ":", 1);
	rc = rc ? rc : echo_buf_add_json_string(&b, v1 ? v1 : "");
	if (k2 && v2) {
		rc = rc ? rc : echo_buf_add(&b, ",", 1);
		rc = rc ? rc : echo_buf_add_json_string(&b, k2);
		rc = rc ? rc : echo_buf_add(&b, ":", 1);
		rc = rc ? rc : echo_buf_add_json_string(&b, v2);
	}
	rc = rc ? rc : echo_buf_add(&b, "}", 1);
	if (rc == 0)
		rc = st->api->ws_send(ws, b.data, b.len, false);
	if (rc)
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN, "send failed: %s", strerror(-rc));
	free(b.data);
}

/* ---- inbound: socket -> host --------------------------------------------- */

static void on_ack(int status, const char *conversation, int64_t message_id, void *user_data)
{
	echo_pending *pm = user_data;
	echo_state *st = pm->st;
	tsunagu_host_ws *ws = pm->conn->ws;

	if (status == -ECANCELED) /* being unloaded: nothing may be sent any more */
		goto out;
	if (status != 0 && status != -EEXIST) {
		if (ws)
			send_pair(st, ws, "error", "not stored", "id", pm->id);
		goto out;
	}
	if (ws)
		send_pair(st, ws, "ack", pm->id, "conversation", conversation);
	if (status == 0) { /* a retried duplicate was echoed the first time */
		size_t n = strlen(st->prefix) + strlen(pm->text) + 1;
		char *reply = malloc(n);
		if (reply) {
			strcpy(reply, st->prefix);
			strcat(reply, pm->text);
			int rc = st->api->post_system_message(st->host, conversation, reply);
			if (rc)
				st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN,
					     "reply to %s not posted: %s", conversation, strerror(-rc));
			free(reply);
		}
	}
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_DEBUG, "message %lld acked",
		     (long long)message_id);
out:
	conn_unref(pm->conn);
	free(pm->id);
	free(pm->text);
	free(pm);
}

static void on_message(tsunagu_host_ws *ws, const char *data, size_t len, bool binary,
		       void *user_data)
{
	echo_state *st = user_data;
	echo_conn *c = st->api->ws_get_data(ws);
	char *from = echo_json_get_string(data, len, "from");
	char *text = echo_json_get_string(data, len, "text");
	char *id = echo_json_get_string(data, len, "id");
	char *provider_id = NULL;
	echo_pending *pm = NULL;

	if (binary || !from || !*from || !text || !*text) {
		send_pair(st, ws, "error", "expected {\"from\":..,\"text\":..,\"id\":..}", "id", id);
		goto out;
	}
	if (!c->from || strcmp(c->from, from) != 0) {
		free(c->from);
		c->from = from;
		from = NULL;
	}
	if (id) { /* ids are the client's: scope them by customer so two never clash */
		provider_id = malloc(strlen(c->from) + strlen(id) + 2);
		if (!provider_id)
			goto out;
		strcpy(provider_id, c->from);
		strcat(provider_id, ":");
		strcat(provider_id, id);
	}
	pm = calloc(1, sizeof *pm);
	if (!pm)
		goto out;
	pm->st = st;
	pm->conn = c;
	pm->id = id;
	pm->text = text;
	c->refs++;

	tsunagu_plugin_inbound msg = {
		.struct_size = sizeof msg,
		.channel = "echo",
		.sender_id = c->from,
		.text = text,
		.provider_message_id = provider_id,
	};
	int rc = st->api->inbound(st->host, &msg, on_ack, pm);
	if (rc) { /* on_ack will not run: undo what it would have released */
		send_pair(st, ws, "error", strerror(-rc), "id", id);
		c->refs--;
		free(pm);
		goto out;
	}
	id = text = NULL; /* owned by pm until on_ack */
out:
	free(provider_id);
	free(from);
	free(text);
	free(id);
}

/* ---- sockets ------------------------------------------------------------- */

static int on_open(tsunagu_host_ws *ws, const tsunagu_host_request *req, void *user_data)
{
	echo_state *st = user_data;
	echo_conn *c = calloc(1, sizeof *c);
	if (!c)
		return 503;
	c->ws = ws;
	c->refs = 1;
	c->next = st->conns;
	st->conns = c;
	st->api->ws_set_data(ws, c);
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_DEBUG, "client connected from %s",
		     st->api->request_peer(req));
	return 0;
}

static void on_close(tsunagu_host_ws *ws, void *user_data)
{
	echo_state *st = user_data;
	echo_conn *c = st->api->ws_get_data(ws);
	c->ws = NULL;
	conn_unlink(st, c);
	conn_unref(c);
}

/* ---- outbound: host -> socket --------------------------------------------- */

static int echo_deliver(void *state, const tsunagu_plugin_outbound *msg)
{
	echo_state *st = state;
	int sent = 0;
	for (echo_conn *c = st->conns; c; c = c->next) {
		if (c->ws && c->from && strcmp(c->from, msg->recipient_id) == 0) {
			send_pair(st, c->ws, "conversation", msg->conversation, "text", msg->text);
			sent++;
		}
	}
	/* Not connected: the message stays in the conversation; the core records
	 * that this delivery failed. */
	return sent ? 0 : -ENOTCONN;
}

/* ---- lifecycle ------------------------------------------------------------- */

static const tsunagu_host_ws_handlers echo_ws = {
	.struct_size = sizeof(tsunagu_host_ws_handlers),
	.on_open = on_open,
	.on_message = on_message,
	.on_close = on_close,
};

static void echo_destroy(void *state);

static int echo_init(tsunagu_host *host, const tsunagu_host_api *api, void **state)
{
	echo_state *st = calloc(1, sizeof *st);
	int rc = -ENOMEM;
	if (!st)
		return rc;
	st->host = host;
	st->api = api;
	const char *prefix = api->config_string(host, "prefix");
	const char *path = api->config_string(host, "path");
	rc = -EINVAL;
	if (!prefix || !path || path[0] != '/')
		goto fail;
	rc = -ENOMEM;
	st->prefix = strdup(prefix);
	st->path = strdup(path);
	if (!st->prefix || !st->path)
		goto fail;
	rc = api->register_channel(host, "echo");
	if (rc)
		goto fail;
	rc = api->ws_route(host, st->path, &echo_ws, st);
	if (rc)
		goto fail;
	*state = st;
	return 0;
fail:
	/* The host removes what was registered; only our memory is ours. */
	echo_destroy(st);
	return rc;
}

static int echo_start(void *state)
{
	echo_state *st = state;
	st->started = 1;
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "channel echo on ws %s", st->path);
	return 0;
}

static void echo_stop(void *state, int64_t deadline_us)
{
	echo_state *st = state;
	st->started = 0;
	for (echo_conn *c = st->conns; c; c = c->next)
		if (c->ws)
			st->api->ws_close(c->ws, 1001, "server stopping");
}

static void echo_destroy(void *state)
{
	echo_state *st = state;
	/* Sockets still open are closed by the host without on_close. */
	while (st->conns) {
		echo_conn *c = st->conns;
		st->conns = c->next;
		free(c->from);
		free(c);
	}
	free(st->prefix);
	free(st->path);
	free(st);
}

static const tsunagu_plugin_desc echo_desc = {
	.abi_major = TSUNAGU_PLUGIN_ABI_MAJOR,
	.abi_minor = TSUNAGU_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(tsunagu_plugin_desc),
	.capabilities = TSUNAGU_PLUGIN_CAP_CHANNEL | TSUNAGU_PLUGIN_CAP_WEBSOCKET,
	.name = "echo",
	.version = "1.0.0",
	.description = "example channel: echoes WebSocket messages back through the inbox",
	.config_schema = echo_schema,
	.init = echo_init,
	.start = echo_start,
	.stop = echo_stop,
	.destroy = echo_destroy,
	.deliver = echo_deliver,
};

TSUNAGU_PLUGIN_EXPORT const tsunagu_plugin_desc *tsunagu_plugin_entry(uint32_t host_abi_major,
								      uint32_t host_abi_minor)
{
	/* Built against 1.0: any 1.x host has everything used here. The host
	 * refuses another major itself; checking here too gives a NULL (and the
	 * host's "no description" line) instead of a call with a wrong table. */
	if (host_abi_major != TSUNAGU_PLUGIN_ABI_MAJOR)
		return NULL;
	return &echo_desc;
}
