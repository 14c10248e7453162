/* The relay: RTP of a same-codec bridge forwarded by the loop itself.
 *
 * One g_unix_fd_add source on the default main context (the core's loop)
 * for an epoll set of every leg's sockets. A wakeup drains each ready
 * socket in batches with recvmmsg,
 * rewrites each packet for the peer's far end and sends the batch with one
 * sendmmsg: two syscalls per batch instead of two per packet, and no
 * thread or copy beyond the kernel's.
 */
#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "sip_media_internal.h"

/* Packets per recvmmsg: at 50 packets/s per call a wakeup rarely finds more
 * than a few; 32 bounds the stack and one wakeup's time. */
#define BATCH 32
/* Larger than any RTP packet of an audio call; a datagram bigger than this
 * is truncated (MSG_TRUNC) and dropped as malformed. */
#define PKT_MAX 1500

/* A new source continues the leg's outgoing stream where the last producer
 * left it, so the far end's jitter buffer sees one clock. */
static void map_source(sip_leg *to, const sip_rtp_header *h, int64_t now)
{
	uint16_t seq;
	uint32_t ts;
	sip_out_next(to, now, &seq, &ts);
	to->map.valid = true;
	to->map.src_ssrc = h->ssrc;
	to->map.seq_delta = (uint16_t)(seq - h->seq);
	to->map.ts_delta = ts - h->timestamp;
}

/* Rewrites one packet from from's far end for to's; returns the marker to
 * set (the first packet of a new mapping starts a talkspurt). */
static void rewrite(sip_leg *from, sip_leg *to, uint8_t *buf, const sip_rtp_header *h,
		    int64_t now)
{
	uint8_t marker = h->marker;
	if (!to->map.valid || to->map.src_ssrc != h->ssrc) {
		map_source(to, h, now);
		marker = 1;
	}
	uint16_t seq = (uint16_t)(h->seq + to->map.seq_delta);
	uint32_t ts = h->timestamp + to->map.ts_delta;
	/* The codec's own number is per leg (Opus is dynamic); others, such as
	 * telephone-event, pass as they are. */
	uint8_t pt = h->payload_type == from->payload_type ? (uint8_t)to->payload_type
							   : h->payload_type;
	sip_rtp_rewrite(buf, pt, marker, seq, ts, to->out.ssrc);
	/* A reordered packet keeps its place; the state follows the newest. */
	if ((int16_t)(seq - to->out.seq) > 0 || to->out.sent_us == 0) {
		to->out.seq = seq;
		to->out.ts = ts;
	}
	to->out.sent_us = now;
}

static void send_batch(sip_leg *to, struct mmsghdr *msgs, unsigned n)
{
	unsigned done = 0;
	while (done < n) {
		int r = sendmmsg(to->rtp_fd, msgs + done, n - done, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* Full socket buffer or an ICMP error from the far end: the
			 * packets are lost like on the network; the far end's
			 * sequence numbers show it. */
			to->tx_dropped += n - done;
			return;
		}
		to->stats.tx_packets += (uint64_t)r;
		done += (unsigned)r;
	}
}

static void handle_batch(sip_leg *leg, uint8_t bufs[][PKT_MAX], struct mmsghdr *in, unsigned n)
{
	sip_leg *to = leg->peer;
	struct mmsghdr out[BATCH];
	struct iovec iov[BATCH];
	unsigned nout = 0;
	int64_t now = 0;
	for (unsigned i = 0; i < n; i++) {
		sip_rtp_header h;
		size_t len = in[i].msg_len;
		if ((in[i].msg_hdr.msg_flags & MSG_TRUNC) || sip_rtp_parse(bufs[i], len, &h) < 0) {
			leg->stats.rx_dropped++;
			continue;
		}
		leg->stats.rx_packets++;
		sip_rtp_rx_update(&leg->rx, h.ssrc, h.seq);
		if (!to || !to->has_remote) {
			leg->stats.rx_dropped++;
			continue;
		}
		if (to->out_kind == SIP_OUT_TRANSCODE && h.payload_type == leg->payload_type) {
			/* Only the codec's own packets: a decoder fed DTMF events
			 * would play them as noise. */
			sip_pipe_push(to->pipe, bufs[i], len);
			continue;
		}
		if (to->out_kind != SIP_OUT_RELAY) {
			leg->stats.rx_dropped++;
			continue;
		}
		if (!now)
			now = sip_media_now_us();
		rewrite(leg, to, bufs[i], &h, now);
		iov[nout].iov_base = bufs[i];
		iov[nout].iov_len = len;
		memset(&out[nout], 0, sizeof out[nout]);
		out[nout].msg_hdr.msg_iov = &iov[nout];
		out[nout].msg_hdr.msg_iovlen = 1;
		out[nout].msg_hdr.msg_name = &to->remote;
		out[nout].msg_hdr.msg_namelen = to->remote_len;
		nout++;
	}
	if (nout)
		send_batch(to, out, nout);
}

/* Drains one leg's RTP socket. Loop thread. */
static void read_rtp(sip_leg *leg)
{
	static uint8_t bufs[BATCH][PKT_MAX]; /* the loop is one thread */
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	for (;;) {
		for (unsigned i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = PKT_MAX;
			memset(&msgs[i], 0, sizeof msgs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(leg->rtp_fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN: drained. ECONNREFUSED: an ICMP error of an
			 * earlier send, reported here; it is not ours to act on. */
			if (errno == ECONNREFUSED)
				continue;
			return;
		}
		handle_batch(leg, bufs, msgs, (unsigned)n);
		if (n < BATCH)
			return;
	}
}

/* RTCP is not relayed (each leg is its own RTP session towards its far
 * end); draining keeps the socket from holding stale reports. */
static void read_rtcp(sip_leg *leg)
{
	sip_ports_discard(leg->rtcp_fd, BATCH);
}

/* The epoll set's data: the port pair, its low bit set for the RTCP
 * socket (pairs are aligned). */
#define RTCP_TAG ((uintptr_t)1)

/* A pooled pair (no leg): whatever reaches it is read and dropped, and
 * tells the pool the port is not quiet yet (sip_ports.c). */
static void read_pooled(sip_media *m, sip_port_pair *pair, int fd)
{
	unsigned n = sip_ports_discard(fd, BATCH);
	if (n)
		sip_ports_pooled_rx(m, pair, n);
}

/* Loop thread. user_data: the sip_media. One source for every socket of
 * the engine: GLib's loop polls and walks every source of the context on
 * each wakeup, so a source per socket would cost each packet a pass over
 * all calls; epoll hands back only the sockets that have packets. */
static gboolean on_ready(gint fd, GIOCondition cond, gpointer user_data)
{
	sip_media *m = user_data;
	(void)cond;
	struct epoll_event evs[64];
	for (;;) {
		int n = epoll_wait(fd, evs, 64, 0);
		if (n < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < n; i++) {
			uintptr_t v = (uintptr_t)evs[i].data.ptr;
			sip_port_pair *pair = (sip_port_pair *)(v & ~RTCP_TAG);
			if (!pair->leg)
				read_pooled(m, pair, v & RTCP_TAG ? pair->rtcp_fd : pair->rtp_fd);
			else if (v & RTCP_TAG)
				read_rtcp(pair->leg);
			else
				read_rtp(pair->leg);
		}
		if (n < 64)
			break;
	}
	return G_SOURCE_CONTINUE;
}

int sip_relay_open(sip_media *m)
{
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m->epfd < 0)
		return -errno;
	m->watch = g_unix_fd_add(m->epfd, G_IO_IN, on_ready, m);
	return 0;
}

void sip_relay_close(sip_media *m)
{
	if (m->watch)
		g_source_remove(m->watch);
	m->watch = 0;
	if (m->epfd >= 0)
		close(m->epfd);
	m->epfd = -1;
}

int sip_relay_watch(sip_media *m, sip_port_pair *pair)
{
	struct epoll_event rtp = {.events = EPOLLIN, .data.ptr = pair};
	struct epoll_event rtcp = {.events = EPOLLIN,
				   .data.ptr = (void *)((uintptr_t)pair | RTCP_TAG)};
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, pair->rtp_fd, &rtp) < 0)
		return -errno;
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, pair->rtcp_fd, &rtcp) < 0) {
		int rc = -errno;
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, pair->rtp_fd, NULL);
		return rc;
	}
	return 0;
}

/* Inside on_ready too (a stray pooled pair): an event of this pair still
 * in the current batch finds it alive (nothing is freed here). */
void sip_relay_unwatch(sip_media *m, sip_port_pair *pair)
{
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, pair->rtp_fd, NULL);
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, pair->rtcp_fd, NULL);
}
