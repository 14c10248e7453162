/* bench-chat --role=operators: the operators' load process. Holds the
 * operators' events WebSockets (tsunagud) or the listening connections of
 * the mirror groups, and measures when each visitor message first arrives.
 *
 * Commands on stdin (one per line): "mark" prints the figures since the
 * previous mark and starts a new interval; "count" prints the deliveries so
 * far in this interval; "quit" ends. It prints "ready
 * ..." once every connection is open (tsunagud: after its hello frame).
 *
 * A message counts as delivered the first time any connection receives it
 * (with several operators every events socket gets every event; the copies
 * are counted as frames, not as deliveries). Its latency is the receive time
 * minus the send time the visitor put in its text; both are CLOCK_MONOTONIC
 * on this machine. */
#include "bench_chat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define STDIN_TAG UINT32_MAX

#define MAX_RECONNECTS 50 /* per connection and run: bounded */

typedef struct {
	bench_ws ws;
	bool ready;
	char *path;       /* without ?since */
	char *headers;
	gint64 last_seq;  /* tsunagud: the last event sequence received */
	int reconnects;
} op_conn;

typedef struct {
	bench_mode mode;
	int port;
	op_conn *conns;
	int n_conns;
	int n_ready;
	int epfd;
	int n_visitors;
	int *seen;         /* highest message number received per visitor */
	/* the current interval */
	guint64 frames, delivered, copies, gaps, customer_frames;
	gint64 t_first, t_last;
	GArray *lat;       /* gint64 µs of each delivery */
	int closed, reconnects;
	int debug_frames;  /* BENCH_CHAT_DEBUG=N: print the first N frames */
	char first_error[128];
} op_state;

static void on_frame(bench_ws *ws, const char *data, size_t len, void *user)
{
	op_state *st = user;
	op_conn *c = &st->conns[ws->index];
	int v, n;
	gint64 t;

	if (!c->ready) {
		/* tsunagud greets with {"type":"hello",...}; the mirror sends
		 * nothing until someone writes */
		if (st->mode == BENCH_MODE_TSUNAGU && bench_has(data, len, "\"hello\"")) {
			c->ready = true;
			st->n_ready++;
		}
		return;
	}
	st->frames++;
	/* every event starts {"seq":N: remembered to resume after a close */
	if (st->mode == BENCH_MODE_TSUNAGU && len > 7 && memcmp(data, "{\"seq\":", 7) == 0)
		c->last_seq = g_ascii_strtoll(data + 7, NULL, 10);
	if (st->debug_frames > 0) {
		st->debug_frames--;
		fprintf(stderr, "operators: frame on %d: %.*s\n", ws->index, (int)MIN(len, 400), data);
	}
	if (st->mode == BENCH_MODE_TSUNAGU &&
	    !bench_has(data, len, "\"type\":\"message.customer\""))
		return;
	if (!bench_mark_parse(data, len, &v, &n, &t) || v < 0 || v >= st->n_visitors)
		return;
	st->customer_frames++;
	if (n <= st->seen[v]) {
		st->copies++;
		return;
	}
	gint64 now = bench_now_us();
	if (n > st->seen[v] + 1)
		st->gaps += (guint64)(n - st->seen[v] - 1);
	st->seen[v] = n;
	st->delivered++;
	if (!st->t_first)
		st->t_first = now;
	st->t_last = now;
	gint64 d = now - t;
	g_array_append_val(st->lat, d);
}

static void print_mark(op_state *st)
{
	/* before the result: the driver echoes lines it is not waiting for */
	if (st->first_error[0])
		printf("error %s\n", st->first_error);
	printf("stats frames=%" G_GUINT64_FORMAT " customer_frames=%" G_GUINT64_FORMAT
	       " delivered=%" G_GUINT64_FORMAT " copies=%" G_GUINT64_FORMAT " gaps=%" G_GUINT64_FORMAT
	       " first_us=%" G_GINT64_FORMAT " last_us=%" G_GINT64_FORMAT " p50_us=%" G_GINT64_FORMAT
	       " p99_us=%" G_GINT64_FORMAT " max_us=%" G_GINT64_FORMAT " closed=%d reconnects=%d\n",
	       st->frames, st->customer_frames, st->delivered, st->copies, st->gaps, st->t_first,
	       st->t_last, bench_percentile(st->lat, 50), bench_percentile(st->lat, 99),
	       bench_percentile(st->lat, 100), st->closed, st->reconnects);
	fflush(stdout);
	st->frames = st->delivered = st->copies = st->gaps = st->customer_frames = 0;
	st->t_first = st->t_last = 0;
	st->closed = st->reconnects = 0;
	g_array_set_size(st->lat, 0);
}

static struct sockaddr_in server_addr;
static char server_host[32];

/* Opens (or reopens) connection i; a reopened events socket resumes after
 * the last sequence it got, as the inbox does after a 1008. */
static int conn_open(op_state *st, int i)
{
	op_conn *c = &st->conns[i];
	char *path = c->last_seq ? g_strdup_printf("%s?since=%" G_GINT64_FORMAT, c->path, c->last_seq)
				 : g_strdup(c->path);
	int r = bench_ws_connect(&c->ws, &server_addr, server_host, path, c->headers);

	g_free(path);
	c->ws.index = i;
	if (r < 0)
		return r;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i };
	c->ws.want_out = true;
	epoll_ctl(st->epfd, EPOLL_CTL_ADD, c->ws.fd, &ev);
	return 0;
}

static void conn_event(op_state *st, op_conn *c, uint32_t events)
{
	int was_ready = c->ready;

	if (c->ws.state == BENCH_WS_CLOSED)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		bool connecting = c->ws.state == BENCH_WS_CONNECTING;
		if (bench_ws_read(&c->ws, on_frame, st) < 0) {
			st->closed++;
			if (!st->first_error[0])
				snprintf(st->first_error, sizeof(st->first_error), "conn %d: %s",
					 c->ws.index, c->ws.error);
			if (c->ready)
				st->n_ready--;
			c->ready = false;
			if (st->mode == BENCH_MODE_TSUNAGU && c->reconnects < MAX_RECONNECTS &&
			    conn_open(st, c->ws.index) == 0) {
				c->reconnects++;
				st->reconnects++;
			}
			return;
		}
		if (connecting && c->ws.state == BENCH_WS_OPEN && st->mode == BENCH_MODE_MIRROR &&
		    !was_ready) {
			c->ready = true;
			st->n_ready++;
		}
	}
	if (c->ws.out && c->ws.out->len) {
		int r = bench_ws_flush(&c->ws);
		if (r >= 0 && (r == 1) != c->ws.want_out) {
			struct epoll_event ev = { .events = EPOLLIN | (r == 1 ? EPOLLOUT : 0),
						  .data.u32 = (uint32_t)c->ws.index };
			epoll_ctl(st->epfd, EPOLL_CTL_MOD, c->ws.fd, &ev);
			c->ws.want_out = r == 1;
		}
	}
}

int bench_role_operators(int argc, char **argv)
{
	char *mode_s = NULL, *cookies_file = NULL;
	int groups = 1, per_group = 1, timeout_s = 30;
	op_state st = { 0 };
	GOptionEntry entries[] = {
		{ "mode", 0, 0, G_OPTION_ARG_STRING, &mode_s, "tsunagu or mirror", "MODE" },
		{ "port", 0, 0, G_OPTION_ARG_INT, &st.port, "server port on 127.0.0.1", "PORT" },
		{ "cookies", 0, 0, G_OPTION_ARG_FILENAME, &cookies_file,
		  "tsunagu: file with one session cookie per operator", "FILE" },
		{ "groups", 0, 0, G_OPTION_ARG_INT, &groups, "mirror: number of groups", "G" },
		{ "per-group", 0, 0, G_OPTION_ARG_INT, &per_group, "mirror: listeners per group", "N" },
		{ "visitors", 0, 0, G_OPTION_ARG_INT, &st.n_visitors, "visitor numbers are 0..N-1", "N" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("- bench-chat operators load process");
	GError *err = NULL;
	char **cookies = NULL, *text = NULL;
	GString *in = g_string_new(NULL);
	struct sockaddr_in addr = { .sin_family = AF_INET };
	char host[32];
	int ret = 1;
	bool eof = false;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "operators: %s\n", err->message);
		goto out;
	}
	st.mode = g_strcmp0(mode_s, "mirror") == 0 ? BENCH_MODE_MIRROR : BENCH_MODE_TSUNAGU;
	if (st.port <= 0 || st.n_visitors <= 0) {
		fprintf(stderr, "operators: --port and --visitors are required\n");
		goto out;
	}
	if (st.mode == BENCH_MODE_TSUNAGU) {
		if (!cookies_file || !g_file_get_contents(cookies_file, &text, NULL, &err)) {
			fprintf(stderr, "operators: --cookies: %s\n", err ? err->message : "required");
			goto out;
		}
		cookies = g_strsplit(g_strstrip(text), "\n", -1);
		st.n_conns = (int)g_strv_length(cookies);
	} else {
		st.n_conns = groups * per_group;
	}
	bench_raise_nofile(st.n_conns + 64);
	if (g_getenv("BENCH_CHAT_DEBUG"))
		st.debug_frames = atoi(g_getenv("BENCH_CHAT_DEBUG"));
	st.seen = g_new0(int, st.n_visitors);
	st.lat = g_array_sized_new(FALSE, FALSE, sizeof(gint64), 1 << 16);
	st.conns = g_new0(op_conn, st.n_conns);
	for (int i = 0; i < st.n_conns; i++)
		st.conns[i].ws.state = BENCH_WS_CLOSED, st.conns[i].ws.fd = -1;
	st.epfd = epoll_create1(EPOLL_CLOEXEC);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	struct epoll_event sev = { .events = EPOLLIN, .data.u32 = STDIN_TAG };
	epoll_ctl(st.epfd, EPOLL_CTL_ADD, 0, &sev);
	addr.sin_port = htons((uint16_t)st.port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(host, sizeof(host), "127.0.0.1:%d", st.port);

	server_addr = addr;
	g_strlcpy(server_host, host, sizeof(server_host));
	for (int i = 0; i < st.n_conns; i++) {
		op_conn *c = &st.conns[i];
		if (st.mode == BENCH_MODE_TSUNAGU) {
			c->path = g_strdup("/api/v1/events");
			c->headers = g_strdup_printf("Cookie: tsunagu_session=%s\r\nOrigin: http://%s\r\n",
						     g_strstrip(cookies[i]), host);
		} else {
			c->path = g_strdup_printf("/?mirror=g%d", i / per_group);
			c->headers = g_strdup("Sec-WebSocket-Protocol: lws-mirror-protocol\r\n");
		}
		if (conn_open(&st, i) < 0) {
			fprintf(stderr, "operators: connection %d: %s\n", i, c->ws.error);
			goto out;
		}
	}

	gint64 deadline = bench_now_us() + (gint64)timeout_s * 1000000;
	bool announced = false;
	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(st.epfd, evs, G_N_ELEMENTS(evs), 100);
		for (int k = 0; k < n; k++) {
			if (evs[k].data.u32 == STDIN_TAG)
				continue;
			conn_event(&st, &st.conns[evs[k].data.u32], evs[k].events);
		}
		if (!announced && st.n_ready == st.n_conns) {
			printf("ready conns=%d\n", st.n_conns);
			fflush(stdout);
			announced = true;
		} else if (!announced && bench_now_us() > deadline) {
			printf("failed ready=%d of=%d error=%s\n", st.n_ready, st.n_conns,
			       st.first_error[0] ? st.first_error : "timeout");
			fflush(stdout);
			goto out;
		}
		char *line;
		while ((line = bench_stdin_line(in, &eof))) {
			if (strcmp(line, "mark") == 0) {
				print_mark(&st);
			} else if (strcmp(line, "count") == 0) {
				printf("count delivered=%" G_GUINT64_FORMAT " reconnects=%d\n",
				       st.delivered, st.reconnects);
				fflush(stdout);
			} else if (strcmp(line, "quit") == 0) {
				g_free(line);
				ret = 0;
				goto out;
			}
			g_free(line);
		}
		if (eof) {
			ret = 0;
			goto out;
		}
	}
out:
	for (int i = 0; st.conns && i < st.n_conns; i++) {
		if (st.conns[i].ws.state != BENCH_WS_CLOSED)
			bench_ws_close(&st.conns[i].ws, NULL);
		g_free(st.conns[i].path);
		g_free(st.conns[i].headers);
	}
	if (st.epfd > 0)
		close(st.epfd);
	g_free(st.conns);
	g_free(st.seen);
	if (st.lat)
		g_array_unref(st.lat);
	g_strfreev(cookies);
	g_free(text);
	g_free(mode_s);
	g_free(cookies_file);
	g_string_free(in, TRUE);
	g_clear_error(&err);
	g_option_context_free(ctx);
	return ret;
}
