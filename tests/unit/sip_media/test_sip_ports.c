/* The pool of port pairs (plugins/sip/media/sip_ports.c), on a controlled
 * clock: a freed leg's pair goes to a new leg only after its quarantine,
 * works there like a new one, and is never reused while something still
 * reaches it (a late packet restarts the quarantine, one waiting at reuse
 * time or a stream that does not stop closes it). Real sockets on
 * 127.0.0.1. */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip_media.h"
#include "sip_test_endpoint.h"

#define PORT_MIN 34000
#define PORT_MAX 34999
#define QUARANTINE_US (4 * G_USEC_PER_SEC) /* SIP_PORTS_QUARANTINE_US */

typedef struct {
	test_pair p;
	int64_t now;
	GPtrArray *legs; /* opened by the test, freed at teardown */
} fixture;

static int64_t clock_now(void *ud)
{
	return *(int64_t *)ud;
}

static void setup(fixture *f, gconstpointer data)
{
	(void)data;
	test_pair_open(&f->p, PORT_MIN, PORT_MAX);
	f->now = 1000 * G_USEC_PER_SEC;
	sip_media_set_clock(f->p.m, clock_now, &f->now);
	f->legs = g_ptr_array_new();
}

static void teardown(fixture *f, gconstpointer data)
{
	(void)data;
	for (guint i = 0; i < f->legs->len; i++)
		sip_leg_free(f->legs->pdata[i]);
	g_ptr_array_unref(f->legs);
	test_pair_close(&f->p);
}

static sip_leg *open_leg(fixture *f)
{
	sip_leg *leg = NULL;
	g_assert_cmpint(sip_leg_new(f->p.m, &leg), ==, 0);
	g_ptr_array_add(f->legs, leg);
	return leg;
}

/* Frees leg b of the pair, returning its port. */
static uint16_t free_b(fixture *f)
{
	uint16_t port = sip_leg_local_port(f->p.b);
	sip_leg_free(f->p.b);
	f->p.b = NULL;
	return port;
}

/* Waits out pb's quarantine (a leg opened a microsecond before gets
 * another port) and returns the leg that takes it, its far end eb's,
 * bridged to a. */
static sip_leg *reuse_after_quarantine(fixture *f, uint16_t pb)
{
	f->now += QUARANTINE_US - 1;
	g_assert_cmpuint(sip_leg_local_port(open_leg(f)), !=, pb);
	f->now += 1;
	sip_leg *y = open_leg(f);
	g_assert_cmpuint(sip_leg_local_port(y), ==, pb);
	g_assert_cmpint(sip_leg_set_remote(y, "127.0.0.1", f->p.eb.port, SIP_CODEC_PCMU, 0), ==, 0);
	g_assert_cmpint(sip_bridge(f->p.a, y), ==, 0);
	return y;
}

static void test_reuse_after_quarantine(fixture *f, gconstpointer data)
{
	(void)data;
	uint16_t pb = free_b(f);
	/* kept bound: nobody else gets the port meanwhile */
	g_assert_false(test_port_free(pb));
	sip_leg *y = reuse_after_quarantine(f, pb);
	/* the reused pair carries the new leg's packets both ways */
	uint16_t pa = sip_leg_local_port(f->p.a);
	for (uint16_t s = 1; s <= 3; s++)
		test_ep_send_rtp(&f->p.ea, pa, 0, s, 160u * s, 0xaaaa, 160, 1);
	g_assert_true(test_ep_wait(&f->p.eb, 3));
	for (uint16_t s = 1; s <= 2; s++)
		test_ep_send_rtp(&f->p.eb, pb, 0, s, 160u * s, 0xbbbb, 160, 2);
	g_assert_true(test_ep_wait(&f->p.ea, 2));
	sip_leg_stats st;
	sip_leg_get_stats(y, &st);
	g_assert_cmpuint(st.rx_packets, ==, 2);
}

/* A late packet of the ended call is dropped and restarts the wait. */
static void test_late_packet_restarts(fixture *f, gconstpointer data)
{
	(void)data;
	uint16_t pb = free_b(f);
	f->now += 3 * G_USEC_PER_SEC;
	test_ep_send_rtp(&f->p.eb, pb, 0, 9, 900, 0xdead, 160, 3);
	test_drain_loop();
	reuse_after_quarantine(f, pb);
	/* the late packet went nowhere: the bridge's other far end sees only
	 * what is sent after */
	test_ep_send_rtp(&f->p.eb, pb, 0, 10, 1060, 0xdead, 160, 4);
	g_assert_true(test_ep_wait(&f->p.ea, 1));
	test_drain_loop();
	g_assert_cmpuint(f->p.ea.pkts->len, ==, 1);
	g_assert_cmpuint(g_array_index(f->p.ea.pkts, test_pkt, 0).payload[0], ==, 4);
}

/* A datagram waiting on the port when a leg would take it: not reused,
 * closed (the packet is not anybody's). */
static void test_pending_at_take(fixture *f, gconstpointer data)
{
	(void)data;
	uint16_t pb = free_b(f);
	f->now += QUARANTINE_US;
	/* loopback delivers within the send: queued before the next line */
	test_ep_send_rtp(&f->p.eb, pb, 0, 9, 900, 0xdead, 160, 3);
	g_assert_cmpuint(sip_leg_local_port(open_leg(f)), !=, pb);
	g_assert_true(test_port_free(pb));
}

/* A far end that keeps sending to the freed port (it missed the BYE): the
 * pair is closed rather than ever reused. */
static void test_stray_stream_closed(fixture *f, gconstpointer data)
{
	(void)data;
	uint16_t pb = free_b(f);
	for (uint16_t s = 0; s < 60; s++)
		test_ep_send_rtp(&f->p.eb, pb, 0, s, 160u * s, 0xdead, 160, 5);
	test_drain_loop();
	f->now += QUARANTINE_US;
	g_assert_cmpuint(sip_leg_local_port(open_leg(f)), !=, pb);
	g_assert_true(test_port_free(pb));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/sip_media/ports/reuse_after_quarantine", fixture, NULL, setup,
		   test_reuse_after_quarantine, teardown);
	g_test_add("/sip_media/ports/late_packet_restarts", fixture, NULL, setup,
		   test_late_packet_restarts, teardown);
	g_test_add("/sip_media/ports/pending_at_take", fixture, NULL, setup, test_pending_at_take,
		   teardown);
	g_test_add("/sip_media/ports/stray_stream_closed", fixture, NULL, setup,
		   test_stray_stream_closed, teardown);
	return g_test_run();
}
