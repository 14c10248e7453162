/* The HTTP and WebSocket server: libwebsockets on the core's GLib loop
 * (LWS_SERVER_OPTION_GLIB with the loop as foreign loop).
 *
 * Routes are registered by the core (REST API under /api/v1, the inbox's
 * static files) and, through the plugin host API, by plugins. A request's body
 * is read whole (up to http.max_body, else 413) before its handler runs.
 * A handler answers once with tsunagu_http_respond(), either before it
 * returns or later from the loop thread (for example from a store commit
 * callback, so a webhook gets 2xx only for durable data). If the client goes
 * away first, the request stays valid until responded to; the answer is then
 * dropped. A connection waits TSUNAGU_HTTP_ANSWER_TIMEOUT_S for a later
 * answer, then is closed; handlers with a deadline of their own (reports:
 * TSUNAGU_REPORT_TIMEOUT_MS) answer before that.
 *
 * WebSockets are routed by URL path (no subprotocol needed).
 * Thread: every function here and every handler run on the loop thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* libwebsockets closes a connection whose request is not answered within
 * its timeout_secs (30 s, meant for reading headers and bodies); a handler
 * answering later would lose its client at the same moment as a 30 s
 * deadline of its own expired. A request not answered when its handler
 * returns gets this much instead. */
#define TSUNAGU_HTTP_ANSWER_TIMEOUT_S 90

typedef struct tsunagu_http_request tsunagu_http_request;
typedef struct tsunagu_ws_conn tsunagu_ws_conn;

typedef struct {
	const char *listen;      /* "127.0.0.1:8080", "[::1]:8080", "127.0.0.1:0" */
	size_t max_body;         /* bytes */
	size_t max_ws_message;   /* bytes */
	const char *static_dir;  /* inbox files served at "/"; NULL: none; "": the
				    built-in inbox (source tree or installed) */
} tsunagu_http_options;

int tsunagu_http_start(tsunagu_core *core, const tsunagu_http_options *opts, tsunagu_http **out);
/* Stops accepting new connections (drain); open ones continue. */
void tsunagu_http_stop_intake(tsunagu_http *http);
/* Closes everything: WebSocket handlers get on_close first. A request whose
 * handler has not answered yet stays valid; its later answer is dropped.
 * NULL is a no-op. */
void tsunagu_http_free(tsunagu_http *http);
/* The port actually bound (useful with port 0). */
int tsunagu_http_port(const tsunagu_http *http);

/* ---- plain HTTP ---------------------------------------------------------- */

/* req stays owned by the server; valid until tsunagu_http_respond(). */
typedef void (*tsunagu_http_handler)(tsunagu_http_request *req, void *user_data);

/* method NULL matches any method. path is exact, or a prefix when it ends
 * with '/' and prefix is true. The longest matching path wins. owner tags the
 * route so tsunagu_http_unroute_owner() removes all of a plugin's routes.
 * -EEXIST if the same method+path is taken. */
int tsunagu_http_route(tsunagu_http *http, const char *method, const char *path, bool prefix,
		       tsunagu_http_handler handler, void *user_data, const void *owner);
void tsunagu_http_unroute_owner(tsunagu_http *http, const void *owner);
/* Requests of method to exactly path may carry up to max_body bytes instead
 * of http.max_body (an upload endpoint). Setting it again replaces it. */
int tsunagu_http_set_max_body(tsunagu_http *http, const char *method, const char *path,
			      size_t max_body);

const char *tsunagu_http_request_method(const tsunagu_http_request *req);
const char *tsunagu_http_request_path(const tsunagu_http_request *req);   /* decoded, no query */
/* A query parameter (URL-decoded), NULL when absent. Owned by req. */
const char *tsunagu_http_request_query(const tsunagu_http_request *req, const char *name);
/* A request header, lower-case name ("content-type"), NULL when absent. */
const char *tsunagu_http_request_header(const tsunagu_http_request *req, const char *name);
/* A cookie's value, NULL when absent. */
const char *tsunagu_http_request_cookie(const tsunagu_http_request *req, const char *name);
const char *tsunagu_http_request_body(const tsunagu_http_request *req, size_t *len);
/* Peer address as text ("127.0.0.1"). */
const char *tsunagu_http_request_peer(const tsunagu_http_request *req);
/* Per-request slot for the handler's own use. */
void tsunagu_http_request_set_data(tsunagu_http_request *req, void *data, void (*free_fn)(void *));
void *tsunagu_http_request_get_data(const tsunagu_http_request *req);

/* Adds a response header (before respond). Copies both strings. */
void tsunagu_http_add_header(tsunagu_http_request *req, const char *name, const char *value);
/* Sends the answer (body copied) and releases req. Exactly once per request. */
void tsunagu_http_respond(tsunagu_http_request *req, int status, const char *content_type,
			  const char *body, size_t len);

/* ---- WebSocket ------------------------------------------------------------ */

typedef struct {
	/* After the upgrade. req gives path, query, headers, cookies of the
	 * upgrade request; it is valid only during this call and must not be
	 * responded to. Return 0 to accept, or an HTTP status (403...) to refuse
	 * (the upgrade is then not completed and on_close is never called).
	 * Messages sent from here go out first once the upgrade completes. */
	int (*on_open)(tsunagu_ws_conn *conn, const tsunagu_http_request *req, void *user_data);
	/* One whole message (fragments reassembled), data owned by the server. */
	void (*on_message)(tsunagu_ws_conn *conn, const char *data, size_t len, bool binary,
			   void *user_data);
	/* The connection is gone; conn is invalid after this returns. */
	void (*on_close)(tsunagu_ws_conn *conn, void *user_data);
} tsunagu_ws_handlers;

int tsunagu_http_ws_route(tsunagu_http *http, const char *path, const tsunagu_ws_handlers *h,
			  void *user_data, const void *owner);
/* Queues a text (or binary) message; copied. -EPIPE if the connection is
 * closing, -ENOBUFS if its send queue exceeds its limit (then it is closed). */
int tsunagu_ws_send(tsunagu_ws_conn *conn, const char *data, size_t len, bool binary);
/* Sends a close frame after the queued messages and ends the connection. */
void tsunagu_ws_close(tsunagu_ws_conn *conn, int code, const char *reason);
/* Bytes queued and not yet written, and the bound beyond which a send
 * closes the connection (1008): for producers that pace themselves. */
size_t tsunagu_ws_queued_bytes(const tsunagu_ws_conn *conn);
size_t tsunagu_ws_queue_limit(const tsunagu_ws_conn *conn);
void tsunagu_ws_set_data(tsunagu_ws_conn *conn, void *data);
void *tsunagu_ws_get_data(const tsunagu_ws_conn *conn);
