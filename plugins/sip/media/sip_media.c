/* The media engine: legs and the switch between idle, playing and bridged
 * (sip_media.h). Their ports are sip_ports.c's, the packet path is in
 * sip_relay.c, GStreamer in sip_pipeline.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sip_media_internal.h"

void sip_media_log(sip_media *m, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (m && m->api && m->api->log) {
		m->api->log(m->host, level, "%s", msg);
		return;
	}
	/* No host (unit tests, the benchmark): GLib's log, which tests can
	 * silence or assert on. */
	if (level <= TSUNAGU_PLUGIN_LOG_WARN)
		g_log(TSUNAGU_LOG_TOPIC, G_LOG_LEVEL_MESSAGE, "%s", msg);
	else
		g_log(TSUNAGU_LOG_TOPIC, G_LOG_LEVEL_DEBUG, "%s", msg);
}

int64_t sip_media_now_us(void)
{
	return g_get_monotonic_time();
}

void sip_out_next(const sip_leg *leg, int64_t now, uint16_t *seq, uint32_t *ts)
{
	/* Nothing sent yet: any step will do; one 20 ms G.711 frame. */
	uint32_t step = 160;
	if (leg->out.sent_us > 0) {
		int64_t elapsed = now - leg->out.sent_us;
		uint64_t samples = elapsed > 0
			? (uint64_t)elapsed * sip_codec_clock_rate(leg->codec) / 1000000u : 0;
		step = samples > 0 ? (uint32_t)samples : 1;
	}
	*seq = (uint16_t)(leg->out.seq + 1);
	*ts = leg->out.ts + step;
}

static int64_t monotonic_us(void *ud)
{
	(void)ud;
	return g_get_monotonic_time();
}

void sip_media_set_clock(sip_media *m, int64_t (*now_us)(void *ud), void *ud)
{
	m->now_us = now_us ? now_us : monotonic_us;
	m->now_ud = now_us ? ud : NULL;
}

unsigned sip_codec_clock_rate(sip_codec codec)
{
	return codec == SIP_CODEC_OPUS ? 48000 : 8000;
}

static bool codec_known(sip_codec c)
{
	return c == SIP_CODEC_PCMU || c == SIP_CODEC_PCMA || c == SIP_CODEC_OPUS;
}

int sip_media_new(tsunagu_host *host, const tsunagu_host_api *api, const char *bind_ip,
		  uint16_t port_min, uint16_t port_max, sip_media **out)
{
	int rc = 0;
	sip_media *m = NULL;
	if (!bind_ip || !out || port_min == 0 || port_max <= port_min)
		return -EINVAL;
	*out = NULL;
	/* RTP takes the even port of a pair (RFC 3550 11). */
	uint16_t first = (uint16_t)(port_min + (port_min & 1));
	if (first >= port_max)
		return -EINVAL;
	GInetAddress *addr = g_inet_address_new_from_string(bind_ip);
	if (!addr)
		return -EINVAL;
	m = g_new0(sip_media, 1);
	m->host = host;
	m->api = api;
	m->bind_ip = g_strdup(bind_ip);
	GSocketAddress *tmpl = g_inet_socket_address_new(addr, 0);
	m->bind_len = (socklen_t)g_socket_address_get_native_size(tmpl);
	bool native = g_socket_address_to_native(tmpl, &m->bind_sa, sizeof m->bind_sa, NULL);
	g_object_unref(tmpl);
	m->port_min = first;
	m->port_max = port_max;
	m->next_port = first;
	m->epfd = -1;
	m->now_us = monotonic_us;
	g_queue_init(&m->legs);
	g_queue_init(&m->pool);
	g_object_unref(addr);
	rc = native ? sip_relay_open(m) : -EINVAL;
	if (rc < 0) {
		sip_media_free(m);
		return rc;
	}
	if (!gst_is_initialized())
		gst_init(NULL, NULL);
	*out = m;
	return 0;
}

void sip_media_free(sip_media *m)
{
	if (!m)
		return;
	while (m->legs.head)
		sip_leg_free(m->legs.head->data);
	sip_ports_close_pool(m);
	sip_relay_close(m);
	g_free(m->bind_ip);
	g_free(m);
}

GSocket *sip_leg_rtp_socket(sip_leg *leg)
{
	if (leg->rtp_sock)
		return leg->rtp_sock;
	/* Over a duplicate: the GSocket closes its descriptor when freed,
	 * and the leg's stays the relay's. */
	int fd = dup(leg->rtp_fd);
	if (fd < 0)
		return NULL;
	leg->rtp_sock = g_socket_new_from_fd(fd, NULL);
	if (!leg->rtp_sock)
		close(fd);
	return leg->rtp_sock;
}

/* The leg's pair back to the ports: pooled unless a duplicate of its RTP
 * descriptor was made (udpsink's GSocket), which leaves the pair out of
 * the epoll set first (a duplicate would keep it there) and closes it. */
static void release_pair(sip_leg *leg)
{
	bool shared = leg->rtp_sock != NULL;
	if (shared)
		sip_relay_unwatch(leg->m, leg->pair);
	g_clear_object(&leg->rtp_sock);
	sip_ports_give(leg->m, leg->pair, !shared);
	leg->pair = NULL;
	leg->rtp_fd = leg->rtcp_fd = -1;
}

int sip_leg_new(sip_media *m, sip_leg **out)
{
	int rc = 0;
	sip_leg *leg = NULL;
	if (!m || !out)
		return -EINVAL;
	*out = NULL;
	leg = g_new0(sip_leg, 1);
	leg->m = m;
	leg->rtp_fd = leg->rtcp_fd = -1;
	leg->codec = SIP_CODEC_PCMU;
	leg->payload_type = SIP_CODEC_PCMU;
	leg->out.ssrc = g_random_int();
	leg->out.seq = (uint16_t)g_random_int();
	leg->out.ts = g_random_int();
	rc = sip_ports_take(m, &leg->pair);
	if (rc < 0)
		goto fail;
	leg->pair->leg = leg;
	leg->rtp_fd = leg->pair->rtp_fd;
	leg->rtcp_fd = leg->pair->rtcp_fd;
	leg->port = leg->pair->port;
	leg->link.data = leg;
	g_queue_push_tail_link(&m->legs, &leg->link);
	*out = leg;
	return 0;
fail:
	g_free(leg);
	return rc;
}

const char *sip_leg_local_ip(const sip_leg *leg)
{
	return leg ? leg->m->bind_ip : NULL;
}

uint16_t sip_leg_local_port(const sip_leg *leg)
{
	return leg ? leg->port : 0;
}

/* Numeric only (the SDP's c= line), straight into a sockaddr: a
 * GInetAddress and a GSocketAddress per leg cost more than the rest of
 * setting the remote. */
static int parse_remote(sip_leg *leg, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		len = sizeof(struct sockaddr_in6);
	} else {
		return -EINVAL;
	}
	if (ss.ss_family != leg->m->bind_sa.ss_family)
		return -EAFNOSUPPORT;
	leg->remote = ss;
	leg->remote_len = len;
	return 0;
}

int sip_leg_set_remote(sip_leg *leg, const char *ip, uint16_t port, sip_codec codec,
		       int payload_type)
{
	if (!leg || !ip || port == 0 || payload_type < 0 || payload_type > 127)
		return -EINVAL;
	if (!codec_known(codec))
		return -ENOTSUP;
	bool changed = !leg->has_remote || leg->codec != codec ||
		       leg->payload_type != payload_type || leg->remote_port != port ||
		       strcmp(leg->remote_ip, ip) != 0;
	bool codec_changed = leg->codec != codec || leg->payload_type != payload_type;
	int rc = parse_remote(leg, ip, port);
	if (rc < 0)
		return rc;
	g_strlcpy(leg->remote_ip, ip, sizeof leg->remote_ip);
	leg->remote_port = port;
	leg->has_remote = true;
	leg->codec = codec;
	leg->payload_type = payload_type;
	if (!changed)
		return 0; /* a session refresh: nothing to redo */
	/* The relay reads the address per packet; a pipeline has the old
	 * address and codec built in. A bridge's relay/transcode choice
	 * depends on both codecs: rebuild it. */
	if (leg->peer && (codec_changed || leg->out_kind == SIP_OUT_TRANSCODE ||
			  leg->peer->out_kind == SIP_OUT_TRANSCODE)) {
		sip_leg *peer = leg->peer;
		sip_unbridge(leg);
		rc = sip_bridge(leg, peer);
	} else if (leg->out_kind == SIP_OUT_PLAYER) {
		/* The file starts again towards the new address (hold audio
		 * after a re-INVITE); the caller's done goes to the new one. */
		sip_pipe *old = leg->pipe;
		char *path = g_strdup(old->path);
		bool loop = old->loop;
		sip_leg_done_fn done = old->done;
		void *ud = old->user_data;
		leg->pipe = NULL;
		leg->out_kind = SIP_OUT_NONE;
		sip_pipe_free(old); /* stops it, keeps the stream state */
		sip_pipe *p = NULL;
		rc = sip_pipe_new_player(leg, path, loop, done, ud, &p);
		g_free(path);
		if (rc < 0) {
			if (done)
				done(leg, rc, ud);
			return rc;
		}
		leg->pipe = p;
		leg->out_kind = SIP_OUT_PLAYER;
	}
	return rc;
}

/* Stops what feeds the leg's output (player or transcoder) and keeps the
 * stream state it reached so the next producer continues it. */
static void stop_output(sip_leg *leg, bool notify)
{
	sip_pipe *p = leg->pipe;
	if (!p) {
		leg->out_kind = SIP_OUT_NONE;
		return;
	}
	leg->pipe = NULL;
	sip_out_kind kind = leg->out_kind;
	leg->out_kind = SIP_OUT_NONE;
	sip_pipe_stop(p);
	sip_leg_done_fn done = p->done;
	void *ud = p->user_data;
	sip_pipe_free(p);
	if (notify && kind == SIP_OUT_PLAYER && done)
		done(leg, -ECANCELED, ud);
}

void sip_leg_free(sip_leg *leg)
{
	if (!leg)
		return;
	sip_unbridge(leg);
	stop_output(leg, true);
	g_queue_unlink(&leg->m->legs, &leg->link);
	release_pair(leg);
	g_free(leg);
}

int sip_leg_play(sip_leg *leg, const char *path, bool loop, sip_leg_done_fn done,
		 void *user_data)
{
	if (!leg || !path)
		return -EINVAL;
	if (!leg->has_remote)
		return -ENOTCONN;
	sip_unbridge(leg);
	stop_output(leg, true);
	sip_pipe *p = NULL;
	int rc = sip_pipe_new_player(leg, path, loop, done, user_data, &p);
	if (rc < 0)
		return rc;
	leg->pipe = p;
	leg->out_kind = SIP_OUT_PLAYER;
	return 0;
}

void sip_leg_stop(sip_leg *leg)
{
	if (leg && leg->out_kind == SIP_OUT_PLAYER)
		stop_output(leg, true);
}

/* Sets up what carries from's packets to to's far end. */
static int connect_direction(sip_leg *from, sip_leg *to)
{
	if (from->codec == to->codec) {
		to->out_kind = SIP_OUT_RELAY;
		to->map.valid = false;
		return 0;
	}
	sip_pipe *p = NULL;
	int rc = sip_pipe_new_transcoder(from, to, &p);
	if (rc < 0)
		return rc;
	to->pipe = p;
	to->out_kind = SIP_OUT_TRANSCODE;
	return 0;
}

int sip_bridge(sip_leg *a, sip_leg *b)
{
	int rc = 0;
	if (!a || !b || a == b || a->m != b->m)
		return -EINVAL;
	if ((a->peer && a->peer != b) || (b->peer && b->peer != a))
		return -EBUSY;
	if (a->peer == b)
		return 0;
	stop_output(a, true);
	stop_output(b, true);
	a->peer = b;
	b->peer = a;
	rc = connect_direction(a, b);
	if (rc == 0)
		rc = connect_direction(b, a);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	sip_unbridge(a);
	return rc;
}

void sip_unbridge(sip_leg *leg)
{
	if (!leg || !leg->peer)
		return;
	sip_leg *peer = leg->peer;
	leg->peer = NULL;
	peer->peer = NULL;
	stop_output(leg, false);
	stop_output(peer, false);
}

void sip_leg_get_stats(const sip_leg *leg, sip_leg_stats *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof *out);
	if (!leg)
		return;
	*out = leg->stats;
	out->rx_lost = sip_rtp_rx_lost(&leg->rx);
	if (leg->pipe && !leg->pipe->stopped)
		out->tx_packets += (uint64_t)g_atomic_int_get(&leg->pipe->sent_count);
}
