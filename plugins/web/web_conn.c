/* The visitor WebSocket protocol (docs/widget.md "Visitor protocol").
 *
 * A socket starts NEW; a valid hello makes it HISTORY (the welcome frame
 * goes out and the host is asked for the history after the visitor's last
 * seen message id); once the last page is sent it is READY and gets every
 * message delivered to its visitor. Each socket remembers the highest
 * message id it sent (last_sent) and never sends one at or below it: the
 * history is read after the commit, so a message is sent exactly once,
 * whether it arrives through the history or through deliver().
 *
 * Every refusal is an error frame with a code; a refused frame stores
 * nothing. Loop thread only.
 */
#include <errno.h>
#include <string.h>

#include "web.h"
#include "web_frame.h"
#include "web_info.h"
#include "web_settings.h"

#define RESUME_PAGE 500

static void conn_unref(web_conn *c)
{
	if (--c->refs > 0)
		return;
	g_free(c->origin);
	g_free(c->host);
	g_free(c->user_agent);
	g_free(c->peer);
	g_free(c->sender);
	g_free(c->visitor_json);
	g_free(c);
}

static void send_text(web_state *st, tsunagu_host_ws *ws, const char *text)
{
	int rc = st->api->ws_send(ws, text, strlen(text), false);
	if (rc && rc != -EPIPE)
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_DEBUG, "send to a visitor: %s",
			     strerror(-rc));
}

void web_send_json(web_state *st, tsunagu_host_ws *ws, json_t *json)
{
	char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
	if (text && ws)
		send_text(st, ws, text);
	free(text);
	json_decref(json);
}

void web_send_error(web_state *st, tsunagu_host_ws *ws, const char *code, const char *message,
		    const char *id)
{
	web_send_json(st, ws, json_pack("{s:s, s:s, s:s, s:s?}", "type", "error", "code", code,
					"message", message, "id", id));
}

static const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case TSUNAGU_PLUGIN_MSG_CUSTOMER:
		return "customer";
	case TSUNAGU_PLUGIN_MSG_OPERATOR:
		return "operator";
	default:
		return "system";
	}
}

static json_t *time_json(int64_t us)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
	char *s = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S") : NULL;
	json_t *j = s ? json_sprintf("%s.%03dZ", s, (int)((us % G_USEC_PER_SEC) / 1000)) : json_null();
	g_free(s);
	if (dt)
		g_date_time_unref(dt);
	return j;
}

/* The client's own id of a customer message: the part of the provider id
 * after "<sender>:" (see on_send). */
static const char *client_id_of(const web_conn *c, const char *provider_id)
{
	size_t n = c->sender ? strlen(c->sender) : 0;
	if (!provider_id || !n || strncmp(provider_id, c->sender, n) != 0 || provider_id[n] != ':')
		return NULL;
	return provider_id + n + 1;
}

static json_t *message_json(int64_t id, uint32_t kind, const char *text, int64_t at_us,
			    const char *conversation, const char *client_id)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:s?, s:s?}", "id", (json_int_t)id, "kind",
			 kind_name(kind), "text", text, "at", time_json(at_us), "conversation",
			 conversation, "client_id", client_id);
}

/* ---- visitors: the READY sockets of each sender --------------------------- */

static void visitor_add(web_state *st, web_conn *c)
{
	GPtrArray *a = g_hash_table_lookup(st->visitors, c->sender);
	if (!a) {
		a = g_ptr_array_new();
		g_hash_table_insert(st->visitors, g_strdup(c->sender), a);
	}
	g_ptr_array_add(a, c);
}

static void visitor_remove(web_state *st, web_conn *c)
{
	GPtrArray *a = c->sender ? g_hash_table_lookup(st->visitors, c->sender) : NULL;
	if (!a)
		return;
	g_ptr_array_remove_fast(a, c);
	if (a->len == 0)
		g_hash_table_remove(st->visitors, c->sender);
}

/* Sends a message to every READY socket of sender not yet given it (except
 * `except`, which already has it). */
static void push_to_visitor(web_state *st, const char *sender, web_conn *except, int64_t id,
			    uint32_t kind, const char *text, int64_t at_us, const char *conversation,
			    const char *provider_id)
{
	GPtrArray *a = g_hash_table_lookup(st->visitors, sender);
	for (guint i = 0; a && i < a->len; i++) {
		web_conn *c = a->pdata[i];
		if (c == except || !c->ws || c->phase != WEB_CONN_READY || id <= c->last_sent)
			continue;
		c->last_sent = id;
		web_send_json(st, c->ws,
			      json_pack("{s:s, s:o}", "type", "message", "message",
					message_json(id, kind, text, at_us, conversation,
						     client_id_of(c, provider_id))));
	}
}

int web_conn_deliver(web_state *st, const tsunagu_plugin_outbound *msg)
{
	if (!msg->recipient_id || !msg->text)
		return -EINVAL;
	push_to_visitor(st, msg->recipient_id, NULL, msg->message_id, msg->kind, msg->text,
			g_get_real_time(), msg->conversation, NULL);
	/* A visitor who is not connected gets it with the history on return:
	 * nothing is lost, so this is not a failed delivery. */
	return 0;
}

/* ---- history and resume ---------------------------------------------------- */

typedef struct {
	web_conn *c;
	int64_t after;
	bool resume; /* after > 0: every missed message, page by page */
} history_req;

static int history_request(web_conn *c, int64_t after, bool resume);

static void on_history(int status, const tsunagu_plugin_message *msgs, size_t n, void *ud)
{
	history_req *hr = ud;
	web_conn *c = hr->c;
	web_state *st = c->st;
	bool more = false;

	if (status == -ECANCELED || !c->ws)
		goto out;
	if (status) {
		web_send_error(st, c->ws, "unavailable", "history not available, try again", NULL);
		st->api->ws_close(c->ws, 1011, "history not available");
		goto out;
	}
	json_t *list = json_array();
	int64_t last = hr->after;
	for (size_t i = 0; i < n; i++) {
		const tsunagu_plugin_message *m = &msgs[i];
		if (m->message_id <= c->last_sent)
			continue;
		c->last_sent = m->message_id;
		last = m->message_id;
		json_array_append_new(list, message_json(m->message_id, m->kind, m->text,
							 m->created_at_us, m->conversation,
							 client_id_of(c, m->provider_message_id)));
	}
	more = hr->resume && n == RESUME_PAGE;
	web_send_json(st, c->ws, json_pack("{s:s, s:o, s:b}", "type", "history", "messages", list,
					   "more", more));
	if (more && history_request(c, last, true) == 0)
		goto out;
	c->phase = WEB_CONN_READY;
	visitor_add(st, c);
out:
	conn_unref(c);
	g_free(hr);
}

static int history_request(web_conn *c, int64_t after, bool resume)
{
	web_state *st = c->st;
	history_req *hr = g_new0(history_req, 1);
	hr->c = c;
	hr->after = after;
	hr->resume = resume;
	c->refs++;
	int rc = st->api->history(st->host, WEB_CHANNEL, c->sender, after,
				  resume ? RESUME_PAGE : (uint32_t)st->history_limit, on_history, hr);
	if (rc) {
		c->refs--;
		g_free(hr);
	}
	return rc;
}

/* ---- hello ------------------------------------------------------------------- */

/* name when it is one of this widget's departments; else NULL, logged
 * (a page or visitor naming a department the admin did not define). */
static const char *known_department(web_conn *c, const char *name)
{
	if (!name)
		return NULL;
	if (web_settings_department(c->st->settings, name))
		return name;
	c->st->api->log(c->st->host, TSUNAGU_PLUGIN_LOG_INFO,
			"department '%s' ignored: not one of the widget's departments", name);
	return NULL;
}

static void on_hello(web_conn *c, const web_frame *f)
{
	web_state *st = c->st;
	const char *key = json_string_value(json_object_get(st->settings, "channel_key"));
	const char *secret = json_string_value(json_object_get(st->settings, "identity_secret"));
	char sender[WEB_SENDER_MAX + 8] = "", token[WEB_TOKEN_LEN + 1] = "";
	char *owner = NULL;
	int rc;

	if (c->phase != WEB_CONN_NEW) {
		web_send_error(st, c->ws, "bad_frame", "hello was already accepted", NULL);
		return;
	}
	if (!key || strcmp(f->channel, key) != 0) {
		web_send_error(st, c->ws, "bad_channel", "unknown channel key (data-channel)", NULL);
		st->api->ws_close(c->ws, 1008, "bad channel key");
		return;
	}
	if (!st->have_secret) {
		web_send_error(st, c->ws, "unavailable", "the widget is not ready", NULL);
		return;
	}
	if (f->token && *f->token) {
		if (!web_token_verify(st->token_secret, f->token, sender, sizeof sender)) {
			web_send_error(st, c->ws, "bad_token",
				       "this visitor token was not issued here; drop it", NULL);
			return;
		}
		g_strlcpy(token, f->token, sizeof token);
	} else {
		web_token_mint(st->token_secret, token);
		web_token_verify(st->token_secret, token, sender, sizeof sender);
	}
	if (f->user_id) {
		if (!secret || !*secret) {
			web_send_error(st, c->ws, "identity_invalid",
				       "identity verification is not configured", NULL);
			return;
		}
		if (!web_identity_verify(secret, f->user_id, f->user_hash)) {
			st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO,
				     "identity refused from %s: hash does not match", c->peer);
			web_send_error(st, c->ws, "identity_invalid",
				       "the user hash does not match this user id", NULL);
			return;
		}
		g_snprintf(sender, sizeof sender, "u:%s", f->user_id);
	}
	if (f->conversation) {
		rc = st->api->conversation_customer(st->host, f->conversation, &owner);
		bool mine = rc == 0 && strcmp(owner, sender) == 0;
		st->api->free(owner);
		if (!mine) {
			st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO,
				     "refused a conversation that is not the visitor's (from %s)",
				     c->peer);
			web_send_error(st, c->ws, "conversation_forbidden",
				       "this conversation is not yours", NULL);
			return;
		}
	}
	c->sender = g_strdup(sender);
	c->visitor_json = web_visitor_json(f->page_url, f->referrer, f->language, c->user_agent,
					   c->peer, known_department(c, f->department));
	c->phase = WEB_CONN_HISTORY;
	web_send_json(st, c->ws,
		      json_pack("{s:s, s:s, s:s?, s:o}", "type", "welcome", "token", token, "user",
				f->user_id, "widget", web_settings_public(st->settings)));
	rc = history_request(c, f->last_id, f->last_id > 0);
	if (rc) {
		web_send_error(st, c->ws, "unavailable", "history not available, try again", NULL);
		st->api->ws_close(c->ws, 1011, "history not available");
	}
}

/* ---- send ------------------------------------------------------------------------- */

typedef struct {
	web_conn *c;
	char *id;
	char *text;
	char *provider_id;
} send_req;

/* {"type":"ack","id":..,"message_id":N,"conversation":..}: one per visitor
 * message, so printed directly when no string needs escaping (the id is
 * printable ASCII, the conversation hex) instead of packed and dumped. */
static void send_ack(web_state *st, tsunagu_host_ws *ws, const char *id, int64_t message_id,
		     const char *conversation)
{
	if (strpbrk(id, "\"\\") || (conversation && strpbrk(conversation, "\"\\"))) {
		web_send_json(st, ws,
			      json_pack("{s:s, s:s, s:I, s:s?}", "type", "ack", "id", id,
					"message_id", (json_int_t)message_id, "conversation",
					conversation));
		return;
	}
	char *text = conversation
		? g_strdup_printf("{\"type\":\"ack\",\"id\":\"%s\",\"message_id\":%" G_GINT64_FORMAT
				  ",\"conversation\":\"%s\"}", id, message_id, conversation)
		: g_strdup_printf("{\"type\":\"ack\",\"id\":\"%s\",\"message_id\":%" G_GINT64_FORMAT
				  "}", id, message_id);
	send_text(st, ws, text);
	g_free(text);
}

static void on_ack(int status, const char *conversation, int64_t message_id, void *ud)
{
	send_req *sr = ud;
	web_conn *c = sr->c;
	web_state *st = c->st;

	if (status == -ECANCELED)
		goto out;
	if (status != 0 && status != -EEXIST) {
		if (c->ws)
			web_send_error(st, c->ws, "not_stored",
				       "the message was not stored; send it again", sr->id);
		goto out;
	}
	if (c->ws) {
		if (message_id > c->last_sent && c->phase == WEB_CONN_READY)
			c->last_sent = message_id;
		send_ack(st, c->ws, sr->id, message_id, conversation);
	}
	if (status == 0) /* the visitor's other tabs */
		push_to_visitor(st, c->sender, c, message_id, TSUNAGU_PLUGIN_MSG_CUSTOMER, sr->text,
				g_get_real_time(), conversation, sr->provider_id);
out:
	conn_unref(c);
	g_free(sr->id);
	g_free(sr->text);
	g_free(sr->provider_id);
	g_free(sr);
}

static bool rate_ok(web_conn *c, const char *id)
{
	int64_t retry = 0;
	if (web_ratelimit_hit(c->st->rate, c->sender, g_get_monotonic_time(), &retry))
		return true;
	web_send_json(c->st, c->ws,
		      json_pack("{s:s, s:s, s:s, s:s?, s:I}", "type", "error", "code", "rate_limited",
				"message", "too many messages; wait a moment", "id", id,
				"retry_after_ms", (json_int_t)(retry / 1000 + 1)));
	return false;
}

static void on_send(web_conn *c, const web_frame *f)
{
	web_state *st = c->st;
	if (c->phase != WEB_CONN_READY) {
		web_send_error(st, c->ws, "hello_first", "say hello first", f->id);
		return;
	}
	if (!rate_ok(c, f->id))
		return;
	/* The widget's picker sends the choice with the first message: it is
	 * what the route rules of the conversation this message opens see. */
	const char *department = known_department(c, f->department);
	if (department) {
		char *v = web_visitor_json_department(c->visitor_json, department);
		if (v) {
			g_free(c->visitor_json);
			c->visitor_json = v;
		}
	}
	send_req *sr = g_new0(send_req, 1);
	sr->c = c;
	sr->id = g_strdup(f->id);
	sr->text = g_strdup(f->text);
	/* Client ids are scoped by visitor: a retry after a reconnect is stored
	 * once, and two visitors never clash. */
	sr->provider_id = g_strconcat(c->sender, ":", f->id, NULL);
	c->refs++;
	tsunagu_plugin_inbound msg = {
		.struct_size = sizeof msg,
		.channel = WEB_CHANNEL,
		.sender_id = c->sender,
		.text = f->text,
		.provider_message_id = sr->provider_id,
		.visitor_json = c->visitor_json,
	};
	int rc = st->api->inbound(st->host, &msg, on_ack, sr);
	if (rc) {
		web_send_error(st, c->ws, rc == -ESHUTDOWN ? "unavailable" : "not_stored",
			       "the message was not accepted", f->id);
		c->refs--;
		g_free(sr->id);
		g_free(sr->text);
		g_free(sr->provider_id);
		g_free(sr);
	}
}

/* ---- attributes ---------------------------------------------------------------- */

typedef struct {
	web_conn *c;
	char *id;
	json_t *stored, *ignored;
} attrs_req;

static void on_attrs(int status, void *ud)
{
	attrs_req *ar = ud;
	web_conn *c = ar->c;
	if (status != -ECANCELED && c->ws) {
		if (status)
			web_send_error(c->st, c->ws, "not_stored", "attributes not stored", ar->id);
		else
			web_send_json(c->st, c->ws,
				      json_pack("{s:s, s:s?, s:O, s:O}", "type", "attributes_ok",
						"id", ar->id, "stored", ar->stored, "ignored",
						ar->ignored));
	}
	conn_unref(c);
	g_free(ar->id);
	json_decref(ar->stored);
	json_decref(ar->ignored);
	g_free(ar);
}

static void on_attributes(web_conn *c, const web_frame *f)
{
	web_state *st = c->st;
	tsunagu_plugin_attribute attrs[WEB_FRAME_ATTRS_MAX];
	size_t n = 0;
	const char *key;
	json_t *v;

	if (c->phase != WEB_CONN_READY) {
		web_send_error(st, c->ws, "hello_first", "say hello first", f->id);
		return;
	}
	if (!rate_ok(c, f->id))
		return;
	json_object_foreach(f->attributes, key, v) {
		if (n == WEB_FRAME_ATTRS_MAX)
			break;
		attrs[n++] = (tsunagu_plugin_attribute){.key = key, .value = json_string_value(v)};
	}
	attrs_req *ar = g_new0(attrs_req, 1);
	ar->c = c;
	ar->id = g_strdup(f->id);
	ar->stored = json_array();
	ar->ignored = json_array();
	c->refs++;
	int rc = st->api->contact_set_attributes(st->host, WEB_CHANNEL, c->sender, attrs, n, NULL,
						 on_attrs, ar);
	if (rc) {
		web_send_error(st, c->ws, "not_stored", "attributes not stored", f->id);
		c->refs--;
		g_free(ar->id);
		json_decref(ar->stored);
		json_decref(ar->ignored);
		g_free(ar);
		return;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(attrs[i].status ? ar->ignored : ar->stored,
				      json_string(attrs[i].key));
}

/* ---- the socket ------------------------------------------------------------------ */

static void on_message(tsunagu_host_ws *ws, const char *data, size_t len, bool binary, void *ud)
{
	web_state *st = ud;
	web_conn *c = st->api->ws_get_data(ws);
	web_frame f;
	const char *code, *why;

	if (!c)
		return;
	if (binary) {
		web_send_error(st, ws, "bad_frame", "frames are JSON text", NULL);
		return;
	}
	if (web_frame_parse(data, len, (size_t)st->max_text, &f, &code, &why)) {
		web_send_error(st, ws, code, why, f.error_id[0] ? f.error_id : NULL);
		return;
	}
	switch (f.type) {
	case WEB_FRAME_HELLO:
		on_hello(c, &f);
		break;
	case WEB_FRAME_SEND:
		on_send(c, &f);
		break;
	case WEB_FRAME_ATTRIBUTES:
		on_attributes(c, &f);
		break;
	case WEB_FRAME_PING:
		web_send_json(st, ws, json_pack("{s:s}", "type", "pong"));
		break;
	}
	web_frame_clear(&f);
}

static char *header_copy(web_state *st, const tsunagu_host_request *req, const char *name,
			 size_t max)
{
	const char *v = st->api->request_header(req, name);
	return v ? g_strndup(v, max) : NULL;
}

static int on_open(tsunagu_host_ws *ws, const tsunagu_host_request *req, void *ud)
{
	web_state *st = ud;
	web_conn *c = g_new0(web_conn, 1);
	c->st = st;
	c->ws = ws;
	c->refs = 1;
	c->origin = header_copy(st, req, "origin", 256);
	c->host = header_copy(st, req, "host", 256);
	c->user_agent = header_copy(st, req, "user-agent", 512);
	c->peer = g_strdup(st->api->request_peer(req));
	st->api->ws_set_data(ws, c);
	g_hash_table_add(st->conns, c);
	/* Refused with a frame rather than an HTTP status, so the page can
	 * tell the visitor (and its admin) why. */
	if (!web_origin_allowed(c->origin, c->host, (const char *const *)st->origins)) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "origin %s not allowed",
			     c->origin);
		web_send_error(st, ws, "origin_not_allowed",
			       "this site is not allowed to use the widget", NULL);
		st->api->ws_close(ws, 1008, "origin not allowed");
	}
	return 0;
}

static void on_close(tsunagu_host_ws *ws, void *ud)
{
	web_state *st = ud;
	web_conn *c = st->api->ws_get_data(ws);
	if (!c)
		return;
	if (c->phase == WEB_CONN_READY)
		visitor_remove(st, c);
	c->ws = NULL;
	g_hash_table_remove(st->conns, c);
	conn_unref(c);
}

const tsunagu_host_ws_handlers web_ws_handlers = {
	.struct_size = sizeof(tsunagu_host_ws_handlers),
	.on_open = on_open,
	.on_message = on_message,
	.on_close = on_close,
};

void web_conns_close_all(web_state *st, int code, const char *reason)
{
	GHashTableIter it;
	void *key;
	g_hash_table_iter_init(&it, st->conns);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		web_conn *c = key;
		if (c->ws)
			st->api->ws_close(c->ws, code, reason);
	}
}

/* destroy(): sockets still open are closed by the host without on_close;
 * pending answers were cancelled (-ECANCELED) before, dropping their refs. */
void web_conns_free_all(web_state *st)
{
	GHashTableIter it;
	void *key;
	g_hash_table_iter_init(&it, st->conns);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		web_conn *c = key;
		c->ws = NULL;
		g_hash_table_iter_remove(&it);
		conn_unref(c);
	}
	g_hash_table_remove_all(st->visitors);
}
