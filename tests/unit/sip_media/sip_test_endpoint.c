/* A fake RTP far end (see sip_test_endpoint.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip_rtp.h"
#include "sip_test_endpoint.h"

/* Loop thread. user_data: the endpoint (owned by the test). */
static gboolean on_readable(gint fd, GIOCondition cond, gpointer user_data)
{
	test_ep *ep = user_data;
	uint8_t buf[1500];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0)
			break;
		sip_rtp_header h;
		if (sip_rtp_parse(buf, (size_t)n, &h) < 0)
			continue;
		test_pkt p = {.pt = h.payload_type,
			      .marker = h.marker,
			      .seq = h.seq,
			      .ts = h.timestamp,
			      .ssrc = h.ssrc,
			      .payload_len = h.payload_len};
		memcpy(p.payload, buf + h.header_len, h.payload_len);
		g_array_append_val(ep->pkts, p);
	}
	return G_SOURCE_CONTINUE;
}

void test_ep_init(test_ep *ep)
{
	memset(ep, 0, sizeof *ep);
	ep->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	g_assert_cmpint(ep->fd, >=, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	g_assert_cmpint(bind(ep->fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	socklen_t len = sizeof sa;
	g_assert_cmpint(getsockname(ep->fd, (struct sockaddr *)&sa, &len), ==, 0);
	ep->port = ntohs(sa.sin_port);
	ep->pkts = g_array_new(FALSE, TRUE, sizeof(test_pkt));
	ep->watch = g_unix_fd_add(ep->fd, G_IO_IN, on_readable, ep);
}

void test_ep_clear(test_ep *ep)
{
	if (ep->watch)
		g_source_remove(ep->watch);
	if (ep->fd >= 0)
		close(ep->fd);
	if (ep->pkts)
		g_array_unref(ep->pkts);
	memset(ep, 0, sizeof *ep);
	ep->fd = -1;
}

void test_ep_send_raw(test_ep *ep, uint16_t port, const uint8_t *buf, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(port)};
	ssize_t n = sendto(ep->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof sa);
	g_assert_cmpint(n, ==, (ssize_t)len);
}

void test_ep_send_rtp(test_ep *ep, uint16_t port, uint8_t pt, uint16_t seq, uint32_t ts,
		      uint32_t ssrc, size_t payload_len, uint8_t fill)
{
	uint8_t buf[1500];
	g_assert_cmpuint(payload_len, <=, sizeof buf - 12);
	memset(buf, fill, sizeof buf);
	buf[0] = 0x80;
	sip_rtp_rewrite(buf, pt, 0, seq, ts, ssrc);
	test_ep_send_raw(ep, port, buf, 12 + payload_len);
}

static gboolean on_deadline(gpointer user_data)
{
	*(bool *)user_data = true;
	return G_SOURCE_REMOVE;
}

bool test_run_until(bool (*pred)(const void *arg), const void *arg)
{
	bool expired = false;
	guint t = g_timeout_add_seconds(10, on_deadline, &expired);
	while (!pred(arg) && !expired)
		g_main_context_iteration(NULL, TRUE);
	if (!expired)
		g_source_remove(t);
	return pred(arg);
}

typedef struct {
	const test_ep *ep;
	guint n;
} ep_wait;

static bool ep_has(const void *arg)
{
	const ep_wait *w = arg;
	return w->ep->pkts->len >= w->n;
}

bool test_ep_wait(test_ep *ep, guint n)
{
	ep_wait w = {ep, n};
	return test_run_until(ep_has, &w);
}

static bool flag_set(const void *arg)
{
	return *(const bool *)arg;
}

bool test_wait_flag(const bool *flag)
{
	return test_run_until(flag_set, flag);
}

void test_drain_loop(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

void test_pair_open(test_pair *f, uint16_t port_min, uint16_t port_max)
{
	g_assert_cmpint(sip_media_new(NULL, NULL, "127.0.0.1", port_min, port_max, &f->m), ==, 0);
	g_assert_cmpint(sip_leg_new(f->m, &f->a), ==, 0);
	g_assert_cmpint(sip_leg_new(f->m, &f->b), ==, 0);
	test_ep_init(&f->ea);
	test_ep_init(&f->eb);
	g_assert_cmpint(sip_leg_set_remote(f->a, "127.0.0.1", f->ea.port, SIP_CODEC_PCMU, 0), ==, 0);
	g_assert_cmpint(sip_leg_set_remote(f->b, "127.0.0.1", f->eb.port, SIP_CODEC_PCMU, 0), ==, 0);
}

void test_pair_close(test_pair *f)
{
	sip_media_free(f->m); /* frees the legs still open */
	test_ep_clear(&f->ea);
	test_ep_clear(&f->eb);
	test_drain_loop();
}

bool test_port_free(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(port)};
	bool ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}
