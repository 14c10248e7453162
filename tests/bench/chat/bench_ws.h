/* A minimal non-blocking WebSocket client over raw sockets for the chat
 * benchmark's load processes: one epoll loop drives thousands of these at
 * tens of thousands of frames per second, which a general client library
 * would spend most of the benchmark's CPU on. Loopback only.
 *
 * Client frames are masked with the all-zero key (RFC 6455 asks for a random
 * key against proxy cache poisoning; there is no proxy on loopback and XOR
 * with zero costs nothing, so the load stays cheap). Text/binary messages
 * must fit one frame; the server's fragmented messages are reassembled.
 * All functions run on the load process's only thread. */
#ifndef BENCH_WS_H
#define BENCH_WS_H

#include <glib.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum {
	BENCH_WS_CONNECTING, /* TCP connect and handshake in flight */
	BENCH_WS_OPEN,
	BENCH_WS_CLOSED,
} bench_ws_state;

typedef struct bench_ws bench_ws;

/* A whole message (text or binary) from the server; data is borrowed until
 * the callback returns and is NUL-terminated. */
typedef void (*bench_ws_message_fn)(bench_ws *ws, const char *data, size_t len, void *user);

struct bench_ws {
	int fd;
	bench_ws_state state;
	int index;         /* the owner's number for this connection */
	GByteArray *in;    /* bytes received and not yet parsed */
	GByteArray *out;   /* bytes to write; out_off already written */
	size_t out_off;
	GByteArray *frag;  /* a fragmented message being reassembled */
	bool want_out;     /* EPOLLOUT registered */
	int close_code;    /* from the server's close frame, 0 if none */
	char error[96];    /* why it closed, for the report */
};

/* Starts a non-blocking connect to addr and queues the upgrade request for
 * path with extra_headers (each ending in \r\n, may be NULL). host is the
 * Host header value ("127.0.0.1:PORT"). 0 or -errno. */
int bench_ws_connect(bench_ws *ws, const struct sockaddr_in *addr, const char *host,
		     const char *path, const char *extra_headers);

/* Appends one masked text frame to the output buffer; bench_ws_flush()
 * writes it. Frames queued in one loop iteration go out in one write. */
void bench_ws_queue_text(bench_ws *ws, const char *data, size_t len);

/* Writes what it can of the output buffer. Returns 1 if bytes remain (wait
 * for EPOLLOUT), 0 if all written, -errno on error (the socket is closed). */
int bench_ws_flush(bench_ws *ws);

/* Reads what is available and calls on_message for each whole message
 * (pings are answered, the handshake is checked, a close frame closes).
 * 0 while open or connecting, -errno once closed (see ws->error). */
int bench_ws_read(bench_ws *ws, bench_ws_message_fn on_message, void *user);

/* Closes the socket (no close handshake) and frees the buffers. */
void bench_ws_close(bench_ws *ws, const char *why);

/* Current CLOCK_MONOTONIC in microseconds: the one clock every load process
 * and the driver share on this machine. */
gint64 bench_now_us(void);

#endif
