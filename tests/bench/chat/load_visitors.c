/* bench-chat --role=visitors: the visitors' load process. Each visitor is
 * one WebSocket speaking the widget's visitor protocol to tsunagud (or
 * writing plain frames to the mirror server), with up to --window messages
 * sent and not yet acknowledged.
 *
 * Commands on stdin, one per line, each answered by one result line:
 *   connect            open every visitor: "connected ok=N failed=N ..."
 *   warm               one message per visitor, wait for every ack: "warm ..."
 *                      (tsunagud creates and routes the conversations here,
 *                      outside the measured phases)
 *   run RATE SECONDS   send for SECONDS at RATE messages/s in total (0: as
 *                      fast as the window allows), then wait up to 10 s for
 *                      the outstanding acks: "run sent=N acked=N ..."
 *   quit
 * Every time printed is CLOCK_MONOTONIC in µs, comparable with the operators
 * process's. */
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
#define MAX_WINDOW 64
#define MAX_CONNECTING 256 /* handshakes in flight at once */
#define DRAIN_US (10 * G_USEC_PER_SEC)

typedef struct {
	bench_ws ws;
	bool ready;
	bool started;   /* connect() issued */
	int sent, acked;
	gint64 sent_at[MAX_WINDOW];
} visitor;

typedef struct {
	bench_mode mode;
	int port, count, window, groups, first;
	visitor *v;
	int epfd;
	struct sockaddr_in addr;
	char host[32];
	char *headers;
	int n_ready, n_failed, n_connecting, next_connect;
	/* the current phase */
	bool sending;
	double rate;       /* messages/s in total, 0 = unlimited */
	gint64 t_start, t_first_send, t_last_send, t_last_ack;
	guint64 p_sent, p_acked, errors, ack_frames;
	GArray *ack_lat;
	char first_error[160];
	GPtrArray *dirty;  /* visitors with queued output */
} vis_state;

static void note_error(vis_state *st, int i, const char *what, const char *data, size_t len)
{
	st->errors++;
	if (!st->first_error[0])
		snprintf(st->first_error, sizeof(st->first_error), "visitor %d: %s %.*s", i, what,
			 (int)MIN(len, 100), data ? data : "");
}

static void send_one(vis_state *st, visitor *v)
{
	char text[128];
	gint64 now = bench_now_us();
	int i = v->ws.index, n = v->sent + 1;
	char *msg;

	bench_mark_format(text, sizeof(text), st->first + i, n, now);
	msg = bench_vp_message(st->mode, st->first + i, n, text);
	bool was_empty = v->ws.out->len == 0;
	bench_ws_queue_text(&v->ws, msg, strlen(msg));
	g_free(msg);
	v->sent_at[v->sent % st->window] = now;
	v->sent++;
	st->p_sent++;
	if (!st->t_first_send)
		st->t_first_send = now;
	st->t_last_send = now;
	if (was_empty)
		g_ptr_array_add(st->dirty, v);
}

/* How many more messages the rate allows now (the whole window if none). */
static gint64 allowance(vis_state *st)
{
	if (!st->sending)
		return 0;
	if (st->rate <= 0)
		return G_MAXINT64;
	double due = (double)(bench_now_us() - st->t_start) / 1e6 * st->rate;
	return (gint64)due - (gint64)st->p_sent;
}

static void on_frame(bench_ws *ws, const char *data, size_t len, void *user)
{
	vis_state *st = user;
	visitor *v = &st->v[ws->index];

	switch (bench_vp_classify(st->mode, st->first + ws->index, data, len)) {
	case BENCH_VP_READY:
		if (!v->ready) {
			v->ready = true;
			st->n_ready++;
			st->n_connecting--;
		}
		break;
	case BENCH_VP_ACK:
		st->ack_frames++;
		if (v->acked >= v->sent) {
			note_error(st, ws->index, "ack for nothing:", data, len);
			break;
		}
		gint64 now = bench_now_us(), d = now - v->sent_at[v->acked % st->window];
		g_array_append_val(st->ack_lat, d);
		v->acked++;
		st->p_acked++;
		st->t_last_ack = now;
		if (st->sending && allowance(st) > 0)
			send_one(st, v);
		break;
	case BENCH_VP_ERROR:
		note_error(st, ws->index, "error frame:", data, len);
		break;
	default:
		break;
	}
}

static void start_connect(vis_state *st, int i)
{
	visitor *v = &st->v[i];
	char *path = bench_vp_path(st->mode, st->first + i, st->groups);
	int r = bench_ws_connect(&v->ws, &st->addr, st->host, path, st->headers);

	g_free(path);
	v->ws.index = i;
	v->started = true;
	if (r < 0) {
		st->n_failed++;
		note_error(st, i, v->ws.error, NULL, 0);
		return;
	}
	st->n_connecting++;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i };
	v->ws.want_out = true;
	epoll_ctl(st->epfd, EPOLL_CTL_ADD, v->ws.fd, &ev);
}

static void set_out_interest(vis_state *st, visitor *v, bool want)
{
	if (v->ws.state == BENCH_WS_CLOSED || v->ws.want_out == want)
		return;
	struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0),
				  .data.u32 = (uint32_t)v->ws.index };
	epoll_ctl(st->epfd, EPOLL_CTL_MOD, v->ws.fd, &ev);
	v->ws.want_out = want;
}

static void visitor_lost(vis_state *st, visitor *v)
{
	note_error(st, v->ws.index, v->ws.error, NULL, 0);
	if (v->ready)
		st->n_ready--;
	else
		st->n_connecting--;
	st->n_failed++;
	v->ready = false;
}

static void conn_event(vis_state *st, visitor *v, uint32_t events)
{
	if (v->ws.state == BENCH_WS_CLOSED)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		bool connecting = v->ws.state == BENCH_WS_CONNECTING;
		if (bench_ws_read(&v->ws, on_frame, st) < 0) {
			visitor_lost(st, v);
			return;
		}
		if (connecting && v->ws.state == BENCH_WS_OPEN) {
			char *hello = bench_vp_hello(st->mode, st->first + v->ws.index);
			if (hello) {
				bench_ws_queue_text(&v->ws, hello, strlen(hello));
				g_free(hello);
			} else if (!v->ready) {
				v->ready = true;
				st->n_ready++;
				st->n_connecting--;
			}
		}
	}
	if (v->ws.out->len) {
		int r = bench_ws_flush(&v->ws);
		if (r < 0) {
			visitor_lost(st, v);
			return;
		}
		set_out_interest(st, v, r == 1);
	}
}

static void flush_dirty(vis_state *st)
{
	for (guint k = 0; k < st->dirty->len; k++) {
		visitor *v = st->dirty->pdata[k];
		if (v->ws.state == BENCH_WS_CLOSED || v->ws.want_out || !v->ws.out->len)
			continue;
		int r = bench_ws_flush(&v->ws);
		if (r < 0)
			visitor_lost(st, v);
		else
			set_out_interest(st, v, r == 1);
	}
	g_ptr_array_set_size(st->dirty, 0);
}

/* Runs the loop until done(st) or the deadline; also keeps connecting and
 * topping up windows. Returns false at the deadline. */
static bool loop_until(vis_state *st, bool (*done)(vis_state *), gint64 deadline)
{
	guint cursor = 0;

	while (!done(st)) {
		struct epoll_event evs[512];
		gint64 now = bench_now_us();
		if (now >= deadline)
			return false;
		while (st->next_connect < st->count && st->n_connecting < MAX_CONNECTING)
			start_connect(st, st->next_connect++);
		/* top up: visitors with room in their window, fairly by turns */
		gint64 allow = allowance(st);
		for (int k = 0; k < st->count && allow > 0; k++) {
			visitor *v = &st->v[(cursor + (guint)k) % (guint)st->count];
			if (!v->ready || v->sent - v->acked >= st->window)
				continue;
			send_one(st, v);
			allow--;
		}
		cursor = (cursor + 1) % (guint)MAX(st->count, 1);
		flush_dirty(st);
		int timeout = st->sending && st->rate > 0 ? 1 : 20;
		int n = epoll_wait(st->epfd, evs, G_N_ELEMENTS(evs), timeout);
		for (int k = 0; k < n; k++) {
			if (evs[k].data.u32 == STDIN_TAG)
				continue;
			conn_event(st, &st->v[evs[k].data.u32], evs[k].events);
		}
		flush_dirty(st);
	}
	return true;
}

static bool all_connected(vis_state *st)
{
	return st->next_connect >= st->count && st->n_connecting == 0;
}

static bool all_acked(vis_state *st)
{
	for (int i = 0; i < st->count; i++)
		if (st->v[i].ready && st->v[i].acked < st->v[i].sent)
			return false;
	return true;
}

static gint64 phase_end;
static bool phase_over(vis_state *st)
{
	return bench_now_us() >= phase_end;
}

static void phase_reset(vis_state *st)
{
	st->t_first_send = st->t_last_send = st->t_last_ack = 0;
	st->p_sent = st->p_acked = st->errors = st->ack_frames = 0;
	st->first_error[0] = '\0';
	g_array_set_size(st->ack_lat, 0);
}

static void print_phase(vis_state *st, const char *name)
{
	/* before the result: the driver echoes lines it is not waiting for */
	if (st->first_error[0])
		printf("error %s\n", st->first_error);
	printf("%s sent=%" G_GUINT64_FORMAT " acked=%" G_GUINT64_FORMAT " errors=%" G_GUINT64_FORMAT
	       " ready=%d failed=%d first_send_us=%" G_GINT64_FORMAT " last_send_us=%" G_GINT64_FORMAT
	       " last_ack_us=%" G_GINT64_FORMAT " ack_p50_us=%" G_GINT64_FORMAT
	       " ack_p99_us=%" G_GINT64_FORMAT "\n",
	       name, st->p_sent, st->p_acked, st->errors, st->n_ready, st->n_failed, st->t_first_send,
	       st->t_last_send, st->t_last_ack, bench_percentile(st->ack_lat, 50),
	       bench_percentile(st->ack_lat, 99));
	fflush(stdout);
}

static void command(vis_state *st, const char *line)
{
	double rate = 0, seconds = 0;

	phase_reset(st);
	if (strcmp(line, "connect") == 0) {
		gint64 t0 = bench_now_us();
		loop_until(st, all_connected, t0 + 120 * G_USEC_PER_SEC);
		printf("connected ok=%d failed=%d of=%d ms=%" G_GINT64_FORMAT " error=%s\n", st->n_ready,
		       st->n_failed, st->count, (bench_now_us() - t0) / 1000,
		       st->first_error[0] ? st->first_error : "none");
		fflush(stdout);
	} else if (strcmp(line, "warm") == 0) {
		for (int i = 0; i < st->count; i++)
			if (st->v[i].ready)
				send_one(st, &st->v[i]);
		flush_dirty(st);
		loop_until(st, all_acked, bench_now_us() + 60 * G_USEC_PER_SEC);
		print_phase(st, "warm");
	} else if (sscanf(line, "run %lf %lf", &rate, &seconds) == 2 && seconds > 0 &&
		   seconds <= 600) {
		st->rate = rate;
		st->sending = true;
		st->t_start = bench_now_us();
		phase_end = st->t_start + (gint64)(seconds * 1e6);
		loop_until(st, phase_over, phase_end + G_USEC_PER_SEC);
		st->sending = false;
		loop_until(st, all_acked, bench_now_us() + DRAIN_US);
		print_phase(st, "run");
	} else {
		printf("unknown command %s\n", line);
		fflush(stdout);
	}
}

int bench_role_visitors(int argc, char **argv)
{
	char *mode_s = NULL;
	vis_state st = { .window = 8, .groups = 1 };
	GOptionEntry entries[] = {
		{ "mode", 0, 0, G_OPTION_ARG_STRING, &mode_s, "tsunagu or mirror", "MODE" },
		{ "port", 0, 0, G_OPTION_ARG_INT, &st.port, "server port on 127.0.0.1", "PORT" },
		{ "count", 0, 0, G_OPTION_ARG_INT, &st.count, "number of visitors", "N" },
		{ "first", 0, 0, G_OPTION_ARG_INT, &st.first, "number of the first visitor", "N" },
		{ "window", 0, 0, G_OPTION_ARG_INT, &st.window, "unacknowledged messages per visitor", "W" },
		{ "groups", 0, 0, G_OPTION_ARG_INT, &st.groups, "mirror: number of groups", "G" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("- bench-chat visitors load process");
	GError *err = NULL;
	GString *in = g_string_new(NULL);
	int ret = 1;
	bool eof = false;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "visitors: %s\n", err->message);
		goto out;
	}
	st.mode = g_strcmp0(mode_s, "mirror") == 0 ? BENCH_MODE_MIRROR : BENCH_MODE_TSUNAGU;
	if (st.port <= 0 || st.count <= 0 || st.count > 100000 || st.window < 1 ||
	    st.window > MAX_WINDOW) {
		fprintf(stderr, "visitors: need --port, --count 1..100000, --window 1..%d\n",
			MAX_WINDOW);
		goto out;
	}
	bench_raise_nofile(st.count + 64);
	st.v = g_new0(visitor, st.count);
	for (int i = 0; i < st.count; i++)
		st.v[i].ws.state = BENCH_WS_CLOSED, st.v[i].ws.fd = -1;
	st.ack_lat = g_array_sized_new(FALSE, FALSE, sizeof(gint64), 1 << 16);
	st.dirty = g_ptr_array_new();
	st.epfd = epoll_create1(EPOLL_CLOEXEC);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	struct epoll_event sev = { .events = EPOLLIN, .data.u32 = STDIN_TAG };
	epoll_ctl(st.epfd, EPOLL_CTL_ADD, 0, &sev);
	st.addr.sin_family = AF_INET;
	st.addr.sin_port = htons((uint16_t)st.port);
	st.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(st.host, sizeof(st.host), "127.0.0.1:%d", st.port);
	st.headers = bench_vp_headers(st.mode, st.port);
	phase_end = 0;

	while (!eof) {
		char *line;
		while ((line = bench_stdin_line(in, &eof))) {
			if (strcmp(line, "quit") == 0) {
				g_free(line);
				ret = 0;
				goto out;
			}
			command(&st, line);
			g_free(line);
		}
		/* idle between commands: keep answering pings, notice closes */
		struct epoll_event evs[256];
		int n = epoll_wait(st.epfd, evs, G_N_ELEMENTS(evs), 100);
		for (int k = 0; k < n; k++)
			if (evs[k].data.u32 != STDIN_TAG)
				conn_event(&st, &st.v[evs[k].data.u32], evs[k].events);
	}
	ret = 0;
out:
	for (int i = 0; st.v && i < st.count; i++)
		if (st.v[i].ws.state != BENCH_WS_CLOSED)
			bench_ws_close(&st.v[i].ws, NULL);
	if (st.epfd > 0)
		close(st.epfd);
	g_free(st.v);
	if (st.ack_lat)
		g_array_unref(st.ack_lat);
	if (st.dirty)
		g_ptr_array_unref(st.dirty);
	g_free(st.headers);
	g_free(mode_s);
	g_string_free(in, TRUE);
	g_clear_error(&err);
	g_option_context_free(ctx);
	return ret;
}
