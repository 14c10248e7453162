/* The media engine's ports: even/odd pairs bound round the configured
 * range, and the pool of pairs kept bound after their leg was freed so the
 * next leg skips socket/bind/epoll_ctl/close (16 system calls a call).
 *
 * The pool's safety (docs/sip-media.md, "Ports"): legs take packets from
 * any source address, so a late packet of a call's far end reaching the
 * port after a new call took it would be relayed into that call. A pooled
 * pair stays bound and watched: whatever reaches it is drained and
 * discarded, and restarts its quarantine. It goes to a new leg only once
 * nothing has reached it for SIP_PORTS_QUARANTINE_US, and its RTP socket
 * is read once more just before (a datagram there: not reused). A far end
 * still streaming to a freed port (it missed the BYE) therefore never gets
 * its port into another call while it sends; closing the port, as before,
 * guaranteed nothing once the range came round to it again.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip_media_internal.h"

/* Datagrams a pooled pair may receive before it counts as a stream that
 * did not stop (about a second of 20 ms RTP): out of the epoll set. */
#define STRAY_DATAGRAMS 50

/* Binds a UDP socket on the media address; -EADDRINUSE when taken. A
 * plain socket: two legs a call, two sockets a leg, and a GSocket each
 * (GObject construction, GInetAddress parsing, GError) was most of what a
 * call's media setup cost. */
static int bind_one(sip_media *m, uint16_t port, int *out)
{
	struct sockaddr_storage sa = m->bind_sa;
	if (sa.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&sa)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&sa)->sin_port = htons(port);
	int fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -EMFILE;
	if (bind(fd, (struct sockaddr *)&sa, m->bind_len) < 0) {
		int rc = errno == EADDRINUSE ? -EADDRINUSE : -EADDRNOTAVAIL;
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

/* Binds the next free even/odd pair of the range, searching round from
 * where the last one was bound so a just-closed port is bound again last. */
static int bind_pair(sip_media *m, sip_port_pair **out)
{
	unsigned pairs = (unsigned)(m->port_max - m->port_min + 1) / 2;
	uint16_t port = m->next_port;
	for (unsigned i = 0; i < pairs; i++, port = (uint16_t)(port + 2)) {
		if (port + 1 > m->port_max)
			port = m->port_min;
		int rtp = -1, rtcp = -1;
		int rc = bind_one(m, port, &rtp);
		if (rc == 0)
			rc = bind_one(m, (uint16_t)(port + 1), &rtcp);
		if (rc == 0) {
			sip_port_pair *p = g_new0(sip_port_pair, 1);
			p->rtp_fd = rtp;
			p->rtcp_fd = rtcp;
			p->port = port;
			p->link.data = p;
			m->next_port = (uint16_t)(port + 2 + 1 > m->port_max ? m->port_min : port + 2);
			rc = sip_relay_watch(m, p);
			if (rc < 0) {
				close(rtp);
				close(rtcp);
				g_free(p);
				return rc;
			}
			*out = p;
			return 0;
		}
		if (rtp >= 0)
			close(rtp);
		if (rc != -EADDRINUSE)
			return rc;
	}
	return -EADDRINUSE;
}

/* Closing a descriptor takes it out of the epoll set by itself (no other
 * descriptor of these sockets is left: duplicates are closed first). */
static void close_pair(sip_port_pair *p)
{
	close(p->rtp_fd);
	close(p->rtcp_fd);
	g_free(p);
}

unsigned sip_ports_discard(int fd, unsigned max)
{
	uint8_t buf[16];
	unsigned n = 0;
	for (unsigned i = 0; i < max; i++) {
		if (recv(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC) >= 0)
			n++;
		/* ECONNREFUSED: an ICMP error of an earlier send, not a datagram */
		else if (errno != EINTR && errno != ECONNREFUSED)
			break;
	}
	return n;
}

/* Empties both sockets: the range had no other pair, a pair still in its
 * quarantine goes to the new leg (what closing and binding again did). */
static void drain(sip_port_pair *p)
{
	sip_ports_discard(p->rtp_fd, 4096);
	sip_ports_discard(p->rtcp_fd, 4096);
}

static sip_port_pair *pool_pop(sip_media *m)
{
	GList *l = g_queue_peek_head_link(&m->pool);
	if (!l)
		return NULL;
	g_queue_unlink(&m->pool, l);
	return l->data;
}

int sip_ports_take(sip_media *m, sip_port_pair **out)
{
	int64_t now = m->now_us(m->now_ud);
	sip_port_pair *p;
	int rc;

	*out = NULL;
	while ((p = g_queue_peek_head(&m->pool)) &&
	       (p->stray || now - p->pooled_us >= SIP_PORTS_QUARANTINE_US)) {
		pool_pop(m);
		/* a datagram came after the relay's last read: not quiet */
		if (p->stray || sip_ports_discard(p->rtp_fd, 1) > 0) {
			close_pair(p);
			continue;
		}
		*out = p;
		return 0;
	}
	rc = bind_pair(m, &p);
	if (rc == 0) {
		*out = p;
		return 0;
	}
	/* Every other pair of the range is in use (or no descriptor is left):
	 * the one freed longest ago, as binding it again would have given. */
	if ((rc == -EADDRINUSE || rc == -EMFILE) && (p = pool_pop(m))) {
		if (p->stray)
			sip_relay_watch(m, p);
		p->stray = false;
		drain(p);
		*out = p;
		return 0;
	}
	return rc;
}

void sip_ports_give(sip_media *m, sip_port_pair *pair, bool reusable)
{
	if (!pair)
		return;
	pair->leg = NULL;
	if (!reusable || m->pool.length >= SIP_PORTS_POOL_MAX) {
		close_pair(pair);
		return;
	}
	pair->pooled_us = m->now_us(m->now_ud);
	pair->pooled_rx = 0;
	pair->stray = false;
	g_queue_push_tail_link(&m->pool, &pair->link);
}

void sip_ports_pooled_rx(sip_media *m, sip_port_pair *pair, unsigned datagrams)
{
	if (pair->stray)
		return;
	pair->pooled_rx += datagrams;
	if (pair->pooled_rx > STRAY_DATAGRAMS) {
		/* A stream that did not stop: stop reading it (it reaches the
		 * head as it is and is closed there, as a freed port was). */
		sip_relay_unwatch(m, pair);
		pair->stray = true;
		return;
	}
	/* Quiet since now: to the tail, so the pool stays in that order. */
	pair->pooled_us = m->now_us(m->now_ud);
	g_queue_unlink(&m->pool, &pair->link);
	g_queue_push_tail_link(&m->pool, &pair->link);
}

void sip_ports_close_pool(sip_media *m)
{
	sip_port_pair *p;
	while ((p = pool_pop(m)))
		close_pair(p);
}
