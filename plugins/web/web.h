/* The web widget channel plugin: state shared by its parts.
 *   web.c        description, lifecycle, deliver(), static files
 *   web_conn.c   the visitor WebSocket protocol (docs/widget.md)
 *   web_admin.c  the admin settings API (role-gated HTTP)
 * The plugin starts no thread: everything runs on the host's loop thread.
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <tsunagu/plugin.h>

#include "web_ratelimit.h"
#include "web_token.h"

#define WEB_CHANNEL "web"
#define WEB_WS_PATH "/plugins/web/ws"
#define WEB_SETTINGS_KEY "widget"
#define WEB_SECRET_KEY "token_secret"

typedef struct web_state web_state;

/* One visitor socket. Referenced by the socket (until on_close) and by each
 * host call awaiting its answer (ack, history, attributes), so an answer
 * arriving after the socket closed finds ws == NULL. */
typedef enum {
	WEB_CONN_NEW = 0,     /* no hello yet */
	WEB_CONN_HISTORY,     /* hello accepted, history being sent */
	WEB_CONN_READY,       /* receives deliveries */
} web_conn_phase;

typedef struct {
	web_state *st;
	tsunagu_host_ws *ws; /* NULL once closed */
	int refs;
	web_conn_phase phase;
	char *origin, *host, *user_agent, *peer; /* from the upgrade request */
	char *sender;        /* "v:..." or "u:..." once hello is accepted */
	char *visitor_json;  /* what the rules see, from hello's page */
	int64_t last_sent;   /* highest message id sent on this socket */
} web_conn;

struct web_state {
	tsunagu_host *host;
	const tsunagu_host_api *api;
	bool started;
	json_t *defaults;  /* settings from [plugin.web] */
	json_t *override;  /* an admin's changes (stored), may be NULL */
	json_t *settings;  /* effective: defaults + override */
	char **origins;    /* allowed origins of the effective settings */
	unsigned char token_secret[WEB_TOKEN_SECRET_LEN];
	bool have_secret;
	int64_t max_text;
	int64_t history_limit;
	GHashTable *conns;    /* web_conn* open sockets (set) */
	GHashTable *visitors; /* sender -> GPtrArray of web_conn* (not owned) */
	web_ratelimit *rate;
	uint32_t prune_timer;
};

/* web.c: replaces the effective settings (after an admin's change). */
void web_settings_changed(web_state *st, json_t *override);

/* web_conn.c */
extern const tsunagu_host_ws_handlers web_ws_handlers;
int web_conn_deliver(web_state *st, const tsunagu_plugin_outbound *msg);
void web_conns_close_all(web_state *st, int code, const char *reason);
void web_conns_free_all(web_state *st);

/* web_admin.c: registers GET/PUT /plugins/web/admin/settings (admin). */
int web_admin_register(web_state *st);

/* Sends {"type":"error","code":..,"message":..[,"id":..]} to ws. */
void web_send_error(web_state *st, tsunagu_host_ws *ws, const char *code, const char *message,
		    const char *id);
/* Sends json (reference stolen) as one text message. */
void web_send_json(web_state *st, tsunagu_host_ws *ws, json_t *json);
