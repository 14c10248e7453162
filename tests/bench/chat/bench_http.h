/* A blocking HTTP/1.1 client for the chat benchmark's driver: the few REST
 * calls that set the stage (login, create operators, raise their capacity).
 * One request per connection (Connection: close), loopback only. */
#ifndef BENCH_HTTP_H
#define BENCH_HTTP_H

#include <glib.h>
#include <jansson.h>

typedef struct {
	int status;      /* 0 if the request could not be made */
	char *body;      /* NUL-terminated, owned */
	char *session;   /* tsunagu_session cookie value if one was set, owned */
	json_t *json;    /* body parsed, or NULL; owned */
} bench_http_reply;

/* method path on 127.0.0.1:port with an optional JSON body, session cookie
 * and CSRF token (NULL to leave out). Always sends Origin:
 * http://127.0.0.1:PORT (the server's own origin). Waits at most
 * timeout_ms. 0 or -errno; reply filled either way (free it). */
int bench_http(int port, const char *method, const char *path, const char *json_body,
	       const char *session, const char *csrf, int timeout_ms, bench_http_reply *reply);

void bench_http_reply_clear(bench_http_reply *reply);

#endif
