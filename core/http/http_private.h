/* Internals shared by the files of the HTTP server (http_server.c,
 * http_request.c, http_ws.c, http_static.c). Not for other areas.
 * Thread: loop thread only.
 */
#pragma once

#include <libwebsockets.h>

#include "http.h"

typedef struct tsunagu_api tsunagu_api;

typedef struct {
	char *method; /* NULL: any */
	char *path;
	bool prefix;
	tsunagu_http_handler handler;
	void *user_data;
	const void *owner;
} tsunagu_http_route_entry;

typedef struct {
	char *path;
	tsunagu_ws_handlers handlers;
	void *user_data;
	const void *owner;
} tsunagu_http_ws_route_entry;

struct tsunagu_http {
	tsunagu_core *core;
	struct lws_context *ctx;
	struct lws_vhost *vhost;
	int listen_fd;          /* ours (http_listen.c); -1 once closed */
	GSource *listen_source;  /* NULL while accepting is paused */
	guint accept_pause_source; /* resumes accepting after EMFILE */
	char *host;
	int port;
	bool ipv6;
	bool draining;
	size_t max_body;
	GPtrArray *body_limits; /* tsunagu_http_body_limit*: routes allowed another max_body */
	size_t max_ws_message;
	size_t ws_queue_limit; /* bytes queued per WebSocket before it is closed */
	char *static_dir;      /* NULL: no static files */
	GPtrArray *routes;     /* tsunagu_http_route_entry* */
	GPtrArray *ws_routes;  /* tsunagu_http_ws_route_entry* */
	GHashTable *requests;  /* set of live tsunagu_http_request* (not yet responded) */
	GHashTable *ws_conns;  /* set of open tsunagu_ws_conn* */
	GPtrArray *ws_flush;   /* tsunagu_ws_conn* whose queue the next flush writes */
	GSource *ws_flush_source; /* http_ws.c: writes them once per loop iteration */
	tsunagu_api *api;
};

struct tsunagu_http_request {
	tsunagu_http *http;   /* NULL once the server is freed */
	struct lws *wsi;      /* NULL once the client went away */
	char *method;
	char *path;
	char *peer;
	GHashTable *query;    /* name -> value */
	GHashTable *headers;  /* lower-case name -> value */
	GHashTable *cookies;  /* parsed lazily */
	GByteArray *body;
	size_t content_length;
	bool body_expected;
	bool too_large;
	bool dispatched;
	bool in_dispatch;     /* handler running synchronously: wsi headers readable */
	void *data;
	void (*data_free)(void *);

	/* response */
	bool responded;
	int status;
	GPtrArray *resp_headers; /* name, value, name, value ... */
	char *resp_body;
	size_t resp_len;
	size_t resp_sent;
	bool headers_sent;
	bool close_after;
};

/* tsunagu_http_set_max_body(): one method and exact path. */
typedef struct {
	char *method;
	char *path;
	size_t max_body;
} tsunagu_http_body_limit;

/* Per-connection data libwebsockets allocates for us (zeroed). */
typedef struct {
	tsunagu_http_request *req; /* current HTTP request, or NULL */
	tsunagu_ws_conn *ws;       /* after a WebSocket upgrade */
} tsunagu_http_pss;

/* http_request.c */
tsunagu_http_request *tsunagu_http_request_new(tsunagu_http *http, struct lws *wsi,
					       const char *method, const char *path);
/* Releases a request that has been answered or whose server is gone. */
void tsunagu_http_request_free(tsunagu_http_request *req);
/* The client went away: the request lives on until its handler responds. */
void tsunagu_http_request_detach(tsunagu_http_request *req);
/* Writes (part of) the prepared response. Returns 0 to keep the connection,
 * 1 when the response is complete and the connection is to be closed, or
 * -1 on a write error. LWS_CALLBACK_HTTP_WRITEABLE. */
int tsunagu_http_request_write(tsunagu_http_request *req);
/* Method name of the request being parsed on wsi, NULL if not HTTP. */
const char *tsunagu_http_wsi_method(struct lws *wsi);
/* Copies the request line and headers of wsi into req. */
void tsunagu_http_request_capture(tsunagu_http_request *req, struct lws *wsi);
/* A JSON error answer in the one error shape. */
void tsunagu_http_respond_error(tsunagu_http_request *req, int status, const char *code,
				const char *message);

/* http_listen.c: binds exactly http->host:http->port (then the port
 * actually bound) and hands accepted sockets to the vhost. */
int tsunagu_http_listen_open(tsunagu_http *http);
void tsunagu_http_listen_close(tsunagu_http *http);

/* http_server.c */
void tsunagu_http_dispatch(tsunagu_http_request *req);

/* http_ws.c */
/* LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION .. CLOSED for WebSocket wsis. */
int tsunagu_http_ws_filter(tsunagu_http *http, struct lws *wsi, tsunagu_http_pss *pss);
int tsunagu_http_ws_established(tsunagu_http *http, struct lws *wsi, tsunagu_http_pss *pss);
int tsunagu_http_ws_receive(tsunagu_http *http, struct lws *wsi, tsunagu_http_pss *pss,
			    const void *in, size_t len);
int tsunagu_http_ws_writeable(tsunagu_http *http, struct lws *wsi, tsunagu_http_pss *pss);
void tsunagu_http_ws_closed(tsunagu_http *http, struct lws *wsi, tsunagu_http_pss *pss);
void tsunagu_http_ws_unroute_owner(tsunagu_http *http, const void *owner);
void tsunagu_http_ws_free_all(tsunagu_http *http);
/* The flush of queued messages (one send per connection and loop iteration)
 * on context; stop after the lws context is gone (its CLOSED callbacks take
 * the connections out of the flush list). */
void tsunagu_http_ws_flush_start(tsunagu_http *http, GMainContext *context);
void tsunagu_http_ws_flush_stop(tsunagu_http *http);

/* http_static.c: serves GET/HEAD under "/" from http->static_dir. */
void tsunagu_http_static_handler(tsunagu_http_request *req, void *user_data);
/* The inbox directory to use when http.static_dir is "": the source tree's
 * core/inbox when running from a build directory, else the installed one.
 * Caller frees. */
char *tsunagu_http_builtin_static_dir(void);

/* api.c: the REST API and the events WebSocket on this server. */
int tsunagu_api_new(tsunagu_http *http, tsunagu_core *core, tsunagu_api **out);
void tsunagu_api_free(tsunagu_api *api);
