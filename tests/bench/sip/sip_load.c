/* The load of bench-sip: caller and operator endpoints sending 20 ms PCMU
 * packets (see bench_sip.h). One thread, epoll, non-blocking sockets;
 * the packets of the endpoints are spread over the 20 ms so the relay sees
 * a steady rate, not a burst every 20 ms. */
#include <arpa/inet.h>
#include <gio/gio.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_sip.h"
#include "bench_ws.h" /* bench_now_us */
#include "sip_rtp.h"

#define PTIME_US 20000
#define PAYLOAD 160 /* 20 ms of G.711 */

typedef struct {
	int fd;
	uint16_t port, target;
	uint16_t seq;
	uint32_t ts, ssrc;
	sip_rtp_rx rx;
} endpoint;

struct bench_load {
	int n;
	endpoint *eps;
	int epfd;
};

bench_load *bench_load_new(int calls, GError **err)
{
	bench_load *l = g_new0(bench_load, 1);
	l->n = 2 * calls;
	l->eps = g_new0(endpoint, l->n);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < l->n; i++)
		l->eps[i].fd = -1;
	for (int i = 0; i < l->n; i++) {
		endpoint *e = &l->eps[i];
		e->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t len = sizeof sa;
		if (e->fd < 0 || bind(e->fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
		    getsockname(e->fd, (struct sockaddr *)&sa, &len) < 0) {
			g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
				    "endpoint %d: %s", i, g_strerror(errno));
			bench_load_free(l);
			return NULL;
		}
		e->port = ntohs(sa.sin_port);
		e->ssrc = g_random_int();
		e->seq = (uint16_t)g_random_int();
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		epoll_ctl(l->epfd, EPOLL_CTL_ADD, e->fd, &ev);
	}
	return l;
}

void bench_load_free(bench_load *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->n; i++)
		if (l->eps[i].fd >= 0)
			close(l->eps[i].fd);
	if (l->epfd >= 0)
		close(l->epfd);
	g_free(l->eps);
	g_free(l);
}

uint16_t bench_load_port(const bench_load *l, int i)
{
	return l->eps[i].port;
}

void bench_load_set_target(bench_load *l, int i, uint16_t port)
{
	l->eps[i].target = port;
}

static void send_one(endpoint *e, bench_load_figures *f)
{
	uint8_t pkt[12 + PAYLOAD];
	memset(pkt + 12, 0x55, PAYLOAD);
	pkt[0] = 0x80;
	e->seq++;
	e->ts += PAYLOAD;
	sip_rtp_rewrite(pkt, 0, 0, e->seq, e->ts, e->ssrc);
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(e->target)};
	if (sendto(e->fd, pkt, sizeof pkt, 0, (struct sockaddr *)&to, sizeof to) < 0)
		f->send_errors++;
	else
		f->sent++;
}

static void drain(endpoint *e, bench_load_figures *f)
{
	enum { BATCH = 16 };
	static uint8_t bufs[BATCH][256];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	for (;;) {
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
			memset(&msgs[i], 0, sizeof msgs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(e->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			sip_rtp_header h;
			if (sip_rtp_parse(bufs[i], msgs[i].msg_len, &h) < 0)
				continue;
			sip_rtp_rx_update(&e->rx, h.ssrc, h.seq);
			f->received++;
		}
		if (n < BATCH)
			return;
	}
}

static void poll_until(bench_load *l, int64_t until, bench_load_figures *f)
{
	struct epoll_event evs[256];
	for (;;) {
		int64_t left = until - bench_now_us();
		int timeout = left > 0 ? (int)((left + 999) / 1000) : 0;
		int n = epoll_wait(l->epfd, evs, 256, timeout);
		for (int k = 0; k < n; k++)
			drain(&l->eps[evs[k].data.u32], f);
		if (bench_now_us() >= until)
			return;
	}
}

void bench_load_run(bench_load *l, double seconds, int drain_ms, bench_load_figures *out)
{
	memset(out, 0, sizeof *out);
	for (int i = 0; i < l->n; i++)
		memset(&l->eps[i].rx, 0, sizeof l->eps[i].rx);
	int64_t start = bench_now_us(), end = start + (int64_t)(seconds * 1e6);
	/* 20 slots of 1 ms: endpoint i sends in slot i % 20 of every 20 ms */
	int64_t slot_us = PTIME_US / 20;
	for (int64_t slot = 0;; slot++) {
		int64_t at = start + slot * slot_us;
		if (at >= end)
			break;
		poll_until(l, at, out);
		for (int i = (int)(slot % 20); i < l->n; i += 20)
			send_one(&l->eps[i], out);
	}
	poll_until(l, bench_now_us() + (int64_t)drain_ms * 1000, out);
	out->seconds = (double)(bench_now_us() - start) / 1e6;
	for (int i = 0; i < l->n; i++)
		out->lost += sip_rtp_rx_lost(&l->eps[i].rx);
}
