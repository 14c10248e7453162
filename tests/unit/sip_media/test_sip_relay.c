/* Unit tests of the legs and the relay (sip_media.c, sip_relay.c): real UDP
 * sockets on 127.0.0.1, two fake far ends bridged through two legs. */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip_media.h"
#include "sip_test_endpoint.h"

#define PORT_MIN 31000
#define PORT_MAX 31999

typedef test_pair fixture;

static void setup(fixture *f, gconstpointer data)
{
	(void)data;
	test_pair_open(f, PORT_MIN, PORT_MAX);
}

static void teardown(fixture *f, gconstpointer data)
{
	(void)data;
	test_pair_close(f);
}

static void test_leg_ports(fixture *f, gconstpointer data)
{
	(void)data;
	g_assert_cmpstr(sip_leg_local_ip(f->a), ==, "127.0.0.1");
	uint16_t pa = sip_leg_local_port(f->a), pb = sip_leg_local_port(f->b);
	g_assert_cmpuint(pa % 2, ==, 0);
	g_assert_cmpuint(pb % 2, ==, 0);
	g_assert_cmpuint(pa, !=, pb);
	g_assert_cmpuint(pa, >=, PORT_MIN);
	g_assert_cmpuint(pb + 1, <=, PORT_MAX);
}

/* Both ways: each far end sees one SSRC of the leg (not the other far
 * end's), consecutive sequence numbers keeping the sender's gaps, the
 * timestamps' spacing kept, and the payload untouched. */
static void test_relay_both_ways(fixture *f, gconstpointer data)
{
	(void)data;
	g_assert_cmpint(sip_bridge(f->a, f->b), ==, 0);
	uint16_t pa = sip_leg_local_port(f->a), pb = sip_leg_local_port(f->b);
	/* a's far end: seq 65530..65539 (wrapping), 65533 lost on the way */
	guint sent = 0;
	for (uint32_t s = 65530; s < 65540; s++) {
		if (s == 65533)
			continue;
		test_ep_send_rtp(&f->ea, pa, 0, (uint16_t)s, 1000 + 160 * (s - 65530), 0xaaaa, 160,
				 (uint8_t)s);
		sent++;
	}
	for (uint16_t s = 7; s < 12; s++)
		test_ep_send_rtp(&f->eb, pb, 0, s, 160u * s, 0xbbbb, 160, 0x42);
	g_assert_true(test_ep_wait(&f->eb, sent));
	g_assert_true(test_ep_wait(&f->ea, 5));

	GArray *rb = f->eb.pkts;
	const test_pkt *first = &g_array_index(rb, test_pkt, 0);
	g_assert_cmpuint(first->ssrc, !=, 0xaaaa);
	g_assert_cmpuint(first->marker, ==, 1);
	for (guint i = 1; i < rb->len; i++) {
		const test_pkt *p = &g_array_index(rb, test_pkt, i);
		const test_pkt *q = &g_array_index(rb, test_pkt, i - 1);
		g_assert_cmpuint(p->ssrc, ==, first->ssrc);
		g_assert_cmpuint(p->pt, ==, 0);
		g_assert_cmpuint(p->payload_len, ==, 160);
		/* the lost one (after the third) stays a gap of two */
		uint16_t step = i == 3 ? 2 : 1;
		g_assert_cmpuint((uint16_t)(p->seq - q->seq), ==, step);
		g_assert_cmpuint(p->ts - q->ts, ==, 160u * step);
		g_assert_cmpuint(p->payload[0], ==, (uint8_t)(65530 + i + (i >= 3)));
	}
	GArray *ra = f->ea.pkts;
	g_assert_cmpuint(g_array_index(ra, test_pkt, 0).ssrc, !=, 0xbbbb);
	g_assert_cmpuint(g_array_index(ra, test_pkt, 0).ssrc, !=, first->ssrc);
	for (guint i = 1; i < ra->len; i++)
		g_assert_cmpuint((uint16_t)(g_array_index(ra, test_pkt, i).seq -
					    g_array_index(ra, test_pkt, i - 1).seq), ==, 1);

	sip_leg_stats sa, sb;
	sip_leg_get_stats(f->a, &sa);
	sip_leg_get_stats(f->b, &sb);
	g_assert_cmpuint(sa.rx_packets, ==, sent);
	g_assert_cmpuint(sa.rx_lost, ==, 1);
	g_assert_cmpuint(sa.rx_dropped, ==, 0);
	g_assert_cmpuint(sb.tx_packets, ==, sent);
	g_assert_cmpuint(sb.rx_packets, ==, 5);
	g_assert_cmpuint(sb.rx_lost, ==, 0);
	g_assert_cmpuint(sa.tx_packets, ==, 5);
}

/* Garbage is dropped and counted; what follows still flows. */
static void test_relay_malformed(fixture *f, gconstpointer data)
{
	(void)data;
	g_assert_cmpint(sip_bridge(f->a, f->b), ==, 0);
	uint16_t pa = sip_leg_local_port(f->a);
	uint8_t junk[1600];
	memset(junk, 0xff, sizeof junk);
	test_ep_send_raw(&f->ea, pa, junk, 1);         /* short */
	test_ep_send_raw(&f->ea, pa, junk, 11);        /* short */
	test_ep_send_raw(&f->ea, pa, junk, 200);       /* version 3 */
	junk[0] = 0x8f;                                /* 15 CSRCs in 40 bytes */
	test_ep_send_raw(&f->ea, pa, junk, 40);
	test_ep_send_raw(&f->ea, pa, junk, 0);         /* empty datagram */
	junk[0] = 0x80;
	test_ep_send_raw(&f->ea, pa, junk, sizeof junk); /* bigger than any RTP */
	test_ep_send_rtp(&f->ea, pa, 0, 1, 160, 0x1234, 160, 0x11);
	g_assert_true(test_ep_wait(&f->eb, 1));
	sip_leg_stats s;
	sip_leg_get_stats(f->a, &s);
	g_assert_cmpuint(s.rx_dropped, ==, 6);
	g_assert_cmpuint(s.rx_packets, ==, 1);
	g_assert_cmpuint(f->eb.pkts->len, ==, 1);
	g_assert_cmpuint(g_array_index(f->eb.pkts, test_pkt, 0).payload[0], ==, 0x11);
}

static bool leg_received_3(const void *arg)
{
	sip_leg_stats s;
	sip_leg_get_stats(arg, &s);
	return s.rx_packets >= 3;
}

/* Idle legs drop what they receive and count it. */
static void test_idle_drops(fixture *f, gconstpointer data)
{
	(void)data;
	uint16_t pa = sip_leg_local_port(f->a);
	for (uint16_t s = 0; s < 3; s++)
		test_ep_send_rtp(&f->ea, pa, 0, s, 0, 9, 160, 0);
	g_assert_true(test_run_until(leg_received_3, f->a));
	g_assert_cmpint(sip_bridge(f->a, f->b), ==, 0);
	test_ep_send_rtp(&f->ea, pa, 0, 3, 0, 9, 160, 0);
	g_assert_true(test_ep_wait(&f->eb, 1));
	sip_leg_stats s;
	sip_leg_get_stats(f->a, &s);
	g_assert_cmpuint(s.rx_packets, ==, 4);
	g_assert_cmpuint(s.rx_dropped, ==, 3);
	g_assert_cmpuint(f->eb.pkts->len, ==, 1);
}

/* Unbridge and bridge again: the far end still sees one stream. */
static void test_rebridge_continuous(fixture *f, gconstpointer data)
{
	(void)data;
	uint16_t pa = sip_leg_local_port(f->a);
	g_assert_cmpint(sip_bridge(f->a, f->b), ==, 0);
	for (uint16_t s = 0; s < 3; s++)
		test_ep_send_rtp(&f->ea, pa, 0, s, 160u * s, 1, 160, 0);
	g_assert_true(test_ep_wait(&f->eb, 3));
	sip_unbridge(f->a);
	g_assert_cmpint(sip_bridge(f->b, f->a), ==, 0);
	/* a new source with other numbers, as after a transfer */
	for (uint16_t s = 0; s < 3; s++)
		test_ep_send_rtp(&f->ea, pa, 0, (uint16_t)(40000 + s), 777u + 160u * s, 2, 160, 0);
	g_assert_true(test_ep_wait(&f->eb, 6));
	GArray *r = f->eb.pkts;
	for (guint i = 1; i < r->len; i++) {
		g_assert_cmpuint(g_array_index(r, test_pkt, i).ssrc, ==,
				 g_array_index(r, test_pkt, 0).ssrc);
		g_assert_cmpuint((uint16_t)(g_array_index(r, test_pkt, i).seq -
					    g_array_index(r, test_pkt, i - 1).seq), ==, 1);
		/* timestamps go forward across the switch */
		g_assert_cmpint((int32_t)(g_array_index(r, test_pkt, i).ts -
					  g_array_index(r, test_pkt, i - 1).ts), >, 0);
	}
	g_assert_cmpuint(g_array_index(r, test_pkt, 3).marker, ==, 1);
}

static void test_bridge_errors(fixture *f, gconstpointer data)
{
	(void)data;
	sip_leg *c = NULL;
	g_assert_cmpint(sip_leg_new(f->m, &c), ==, 0);
	g_assert_cmpint(sip_bridge(f->a, f->a), ==, -EINVAL);
	g_assert_cmpint(sip_bridge(f->a, f->b), ==, 0);
	g_assert_cmpint(sip_bridge(f->a, f->b), ==, 0); /* already: no-op */
	g_assert_cmpint(sip_bridge(f->a, c), ==, -EBUSY);
	g_assert_cmpint(sip_bridge(c, f->b), ==, -EBUSY);
	sip_leg_free(f->b); /* unbridges a */
	f->b = NULL;
	g_assert_cmpint(sip_bridge(f->a, c), ==, 0);
	g_assert_cmpint(sip_leg_set_remote(f->a, "not an ip", 4000, SIP_CODEC_PCMU, 0), ==,
			-EINVAL);
	g_assert_cmpint(sip_leg_set_remote(f->a, "127.0.0.1", 0, SIP_CODEC_PCMU, 0), ==, -EINVAL);
	g_assert_cmpint(sip_leg_set_remote(f->a, "127.0.0.1", 4000, SIP_CODEC_PCMU, 128), ==,
			-EINVAL);
	g_assert_cmpint(sip_leg_set_remote(f->a, "127.0.0.1", 4000, (sip_codec)9, 9), ==,
			-ENOTSUP);
	g_assert_cmpint(sip_leg_set_remote(f->a, "::1", 4000, SIP_CODEC_PCMU, 0), ==,
			-EAFNOSUPPORT);
	g_assert_cmpint(sip_leg_play(f->a, "/nonexistent/x.wav", false, NULL, NULL), ==, -ENOENT);
}

/* A range of two pairs holds two legs; the third gets -EADDRINUSE, and a
 * freed pair is taken again. A port another program holds is skipped. */
static void test_port_exhaustion(void)
{
	int blocker = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(32003)};
	g_assert_cmpint(bind(blocker, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	sip_media *m = NULL;
	sip_leg *l1 = NULL, *l2 = NULL, *l3 = NULL;
	g_assert_cmpint(sip_media_new(NULL, NULL, "127.0.0.1", 32001, 32006, &m), ==, 0);
	/* even pairs in 32001..32006: 32002/3 (blocked), 32004/5 */
	g_assert_cmpint(sip_leg_new(m, &l1), ==, 0);
	g_assert_cmpuint(sip_leg_local_port(l1), ==, 32004);
	g_assert_cmpint(sip_leg_new(m, &l2), ==, -EADDRINUSE);
	g_assert_null(l2);
	close(blocker);
	g_assert_cmpint(sip_leg_new(m, &l2), ==, 0);
	g_assert_cmpuint(sip_leg_local_port(l2), ==, 32002);
	g_assert_cmpint(sip_leg_new(m, &l3), ==, -EADDRINUSE);
	sip_leg_free(l1);
	g_assert_cmpint(sip_leg_new(m, &l3), ==, 0);
	g_assert_cmpuint(sip_leg_local_port(l3), ==, 32004);
	sip_media_free(m);

	g_assert_cmpint(sip_media_new(NULL, NULL, "127.0.0.1", 32001, 32001, &m), ==, -EINVAL);
	g_assert_cmpint(sip_media_new(NULL, NULL, "127.0.0.1", 32001, 32002, &m), ==, -EINVAL);
	g_assert_cmpint(sip_media_new(NULL, NULL, "nowhere", 32000, 32010, &m), ==, -EINVAL);
	test_drain_loop();
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/sip_media/leg/ports", fixture, NULL, setup, test_leg_ports, teardown);
	g_test_add("/sip_media/relay/both_ways", fixture, NULL, setup, test_relay_both_ways,
		   teardown);
	g_test_add("/sip_media/relay/malformed", fixture, NULL, setup, test_relay_malformed,
		   teardown);
	g_test_add("/sip_media/relay/idle_drops", fixture, NULL, setup, test_idle_drops, teardown);
	g_test_add("/sip_media/relay/rebridge_continuous", fixture, NULL, setup,
		   test_rebridge_continuous, teardown);
	g_test_add("/sip_media/bridge/errors", fixture, NULL, setup, test_bridge_errors, teardown);
	g_test_add_func("/sip_media/leg/port_exhaustion", test_port_exhaustion);
	return g_test_run();
}
