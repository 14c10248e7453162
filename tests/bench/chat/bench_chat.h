/* bench-chat: the pieces of the chat benchmark shared by its three kinds of
 * process: the driver (bench_chat.c), the visitors' load process
 * (load_visitors.c) and the operators' load process (load_operators.c), all
 * one executable started with a different --role.
 *
 * The driver talks to each load process over its stdin/stdout, one command
 * or one result per line ("key=value" words), so the load processes stay
 * simple single-threaded epoll loops. */
#ifndef BENCH_CHAT_H
#define BENCH_CHAT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "bench_ws.h"

/* Which server the load talks to. */
typedef enum {
	BENCH_MODE_TSUNAGU, /* tsunagud: widget visitors, events WebSocket operators */
	BENCH_MODE_MIRROR,  /* libwebsockets-test-server's lws-mirror-protocol */
} bench_mode;

/* Every message a visitor sends carries this marker, with the visitor's
 * number, the message's number (1, 2, ... per visitor) and the
 * CLOCK_MONOTONIC send time in µs; receivers find it in any frame (the
 * event's text in tsunagud, the echoed frame in the mirror), so latency needs
 * no shared state between processes. */
#define BENCH_MARK "BENCH v="
int bench_mark_format(char *buf, size_t size, int visitor, int n, gint64 t_us);
/* Whether data holds the string literal lit (no NUL counted). */
#define bench_has(data, len, lit) (memmem((data), (len), (lit), sizeof(lit) - 1) != NULL)

/* Finds the marker in data; false if there is none. */
bool bench_mark_parse(const char *data, size_t len, int *visitor, int *n, gint64 *t_us);

/* ---- the visitor protocol of the widget (docs/widget.md), client side ---- */

typedef enum {
	BENCH_VP_OTHER,
	BENCH_VP_READY, /* the server accepted the visitor: it may send */
	BENCH_VP_ACK,   /* a message of ours was committed */
	BENCH_VP_ERROR, /* an error frame: counted and reported */
} bench_vp_kind;

/* The WebSocket path and extra headers for visitor number i (g_free both). */
char *bench_vp_path(bench_mode mode, int i, int groups);
char *bench_vp_headers(bench_mode mode, int port);
/* What to send once the socket is open (NULL: nothing, ready at once). */
char *bench_vp_hello(bench_mode mode, int i);
/* One chat message of the visitor carrying text (g_free). */
char *bench_vp_message(bench_mode mode, int i, int n, const char *text);
/* What a frame from the server means to visitor i. */
bench_vp_kind bench_vp_classify(bench_mode mode, int i, const char *data, size_t len);

/* ---- the roles ---- */
int bench_role_visitors(int argc, char **argv);
int bench_role_operators(int argc, char **argv);

/* ---- helpers of the load processes ---- */

/* Reads whole lines from the non-blocking fd 0 into buf; returns a line
 * (without the newline, g_free) or NULL when there is none yet; *eof set
 * when stdin closed (the driver went away: the load process ends). */
char *bench_stdin_line(GString *buf, bool *eof);

/* Sorted-array percentile (p in 0..100) of µs values, 0 if empty. */
gint64 bench_percentile(GArray *us, double p);

/* Raises RLIMIT_NOFILE's soft limit to its hard limit (or want, if lower);
 * returns the new soft limit. */
long bench_raise_nofile(long want);

#endif
