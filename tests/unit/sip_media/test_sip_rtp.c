/* Unit tests of the RTP header parser and the loss counter (sip_rtp.c). */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "sip_rtp.h"

static size_t make_rtp(uint8_t *b, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
		       size_t payload)
{
	memset(b, 0, 12 + payload);
	b[0] = 0x80;
	b[1] = pt;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(ts >> 24);
	b[5] = (uint8_t)(ts >> 16);
	b[6] = (uint8_t)(ts >> 8);
	b[7] = (uint8_t)ts;
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	memset(b + 12, 0x55, payload);
	return 12 + payload;
}

static void test_parse_plain(void)
{
	uint8_t b[256];
	size_t n = make_rtp(b, 0, 0xabcd, 0x01020304, 0xdeadbeef, 160);
	sip_rtp_header h;
	g_assert_cmpint(sip_rtp_parse(b, n, &h), ==, 0);
	g_assert_cmpuint(h.payload_type, ==, 0);
	g_assert_cmpuint(h.marker, ==, 0);
	g_assert_cmpuint(h.seq, ==, 0xabcd);
	g_assert_cmpuint(h.timestamp, ==, 0x01020304);
	g_assert_cmpuint(h.ssrc, ==, 0xdeadbeef);
	g_assert_cmpuint(h.header_len, ==, 12);
	g_assert_cmpuint(h.payload_len, ==, 160);
}

static void test_parse_csrc_ext_padding(void)
{
	uint8_t b[256];
	size_t n = make_rtp(b, 8, 1, 2, 3, 40);
	b[0] = 0x80 | 0x20 | 0x10 | 2; /* padding, extension, 2 CSRCs */
	/* extension header at 12 + 8: one word of extension data */
	b[20] = 0xbe;
	b[21] = 0xde;
	b[22] = 0;
	b[23] = 1;
	b[n - 1] = 4; /* 4 bytes of padding */
	sip_rtp_header h;
	g_assert_cmpint(sip_rtp_parse(b, n, &h), ==, 0);
	g_assert_cmpuint(h.header_len, ==, 12 + 8 + 4 + 4);
	g_assert_cmpuint(h.payload_len, ==, n - h.header_len - 4);
}

static void test_parse_rejects(void)
{
	uint8_t b[256];
	sip_rtp_header h;
	size_t n = make_rtp(b, 0, 1, 2, 3, 20);
	g_assert_cmpint(sip_rtp_parse(b, 11, &h), ==, -EINVAL);
	g_assert_cmpint(sip_rtp_parse(NULL, 0, &h), ==, -EINVAL);
	b[0] = 0x40; /* version 1 */
	g_assert_cmpint(sip_rtp_parse(b, n, &h), ==, -EINVAL);
	b[0] = 0x80 | 15; /* 15 CSRCs: 72 bytes, longer than the packet */
	g_assert_cmpint(sip_rtp_parse(b, n, &h), ==, -EINVAL);
	b[0] = 0x90; /* extension claiming 0xffff words */
	b[12] = b[13] = b[14] = b[15] = 0xff;
	g_assert_cmpint(sip_rtp_parse(b, n, &h), ==, -EINVAL);
	make_rtp(b, 0, 1, 2, 3, 20);
	b[0] = 0xa0; /* padding longer than the payload */
	b[n - 1] = 200;
	g_assert_cmpint(sip_rtp_parse(b, n, &h), ==, -EINVAL);
	b[n - 1] = 0; /* zero padding count */
	g_assert_cmpint(sip_rtp_parse(b, n, &h), ==, -EINVAL);
	make_rtp(b, 0, 1, 2, 3, 20);
	b[1] = 200 & 0xff; /* RTCP SR multiplexed on the RTP port */
	g_assert_cmpint(sip_rtp_parse(b, n, &h), ==, -EINVAL);
}

static void test_rewrite(void)
{
	uint8_t b[64];
	size_t n = make_rtp(b, 0, 1, 2, 3, 20);
	sip_rtp_rewrite(b, 111, 1, 0xfffe, 0xfffffff0, 0x11223344);
	sip_rtp_header h;
	g_assert_cmpint(sip_rtp_parse(b, n, &h), ==, 0);
	g_assert_cmpuint(h.payload_type, ==, 111);
	g_assert_cmpuint(h.marker, ==, 1);
	g_assert_cmpuint(h.seq, ==, 0xfffe);
	g_assert_cmpuint(h.timestamp, ==, 0xfffffff0);
	g_assert_cmpuint(h.ssrc, ==, 0x11223344);
	g_assert_cmpuint(b[12], ==, 0x55); /* payload untouched */
}

static void test_loss_gaps_and_wrap(void)
{
	sip_rtp_rx rx = {0};
	g_assert_cmpuint(sip_rtp_rx_lost(&rx), ==, 0);
	/* 65530..65535, 0..9 with 65533 and 4, 5 missing: 3 lost across the wrap */
	for (uint32_t s = 65530; s < 65536 + 10; s++) {
		uint16_t seq = (uint16_t)s;
		if (seq == 65533 || seq == 4 || seq == 5)
			continue;
		sip_rtp_rx_update(&rx, 7, seq);
	}
	g_assert_cmpuint(sip_rtp_rx_lost(&rx), ==, 3);
	/* a late packet is not loss: it makes up for one */
	sip_rtp_rx_update(&rx, 7, 4);
	g_assert_cmpuint(sip_rtp_rx_lost(&rx), ==, 2);
}

static void test_loss_new_source(void)
{
	sip_rtp_rx rx = {0};
	sip_rtp_rx_update(&rx, 1, 10);
	sip_rtp_rx_update(&rx, 1, 12); /* 11 lost */
	sip_rtp_rx_update(&rx, 2, 500); /* a new SSRC restarts the count */
	sip_rtp_rx_update(&rx, 2, 501);
	g_assert_cmpuint(sip_rtp_rx_lost(&rx), ==, 1);
	sip_rtp_rx_update(&rx, 2, 20000); /* a restart of the same SSRC: no loss */
	sip_rtp_rx_update(&rx, 2, 20002);
	g_assert_cmpuint(sip_rtp_rx_lost(&rx), ==, 2);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sip_rtp/parse/plain", test_parse_plain);
	g_test_add_func("/sip_rtp/parse/csrc_ext_padding", test_parse_csrc_ext_padding);
	g_test_add_func("/sip_rtp/parse/rejects", test_parse_rejects);
	g_test_add_func("/sip_rtp/rewrite", test_rewrite);
	g_test_add_func("/sip_rtp/loss/gaps_and_wrap", test_loss_gaps_and_wrap);
	g_test_add_func("/sip_rtp/loss/new_source", test_loss_new_source);
	return g_test_run();
}
