/* SDP offer/answer of the SIP plugin (plugins/sip/sip_sdp.c): what real
 * phones and trunks send, what we refuse (400 vs 488), and our own
 * descriptions read back by the same parser. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "sip_sdp.h"

static int parse(const char *s, sip_sdp_audio *a)
{
	const char *why = NULL;
	int rc = sip_sdp_parse(s, strlen(s), a, &why);
	g_assert_true((rc == 0) == (why == NULL));
	return rc;
}

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"

static void test_sdp_offers(void)
{
	sip_sdp_audio a;
	/* SIPp's default: static payload types without rtpmap lines */
	g_assert_cmpint(parse(HEAD "m=audio 6000 RTP/AVP 0\r\n", &a), ==, 0);
	g_assert_cmpstr(a.address, ==, "192.0.2.1");
	g_assert_cmpuint(a.port, ==, 6000);
	g_assert_cmpuint(a.n_codecs, ==, 1);
	g_assert_cmpint(a.codecs[0].codec, ==, SIP_CODEC_PCMU);
	g_assert_false(a.on_hold);

	/* a softphone: Opus first (dynamic 96), then A-law, telephone-event
	 * and G.722 ignored; media-level c= wins */
	g_assert_cmpint(parse(HEAD "m=audio 7000 RTP/AVP 96 9 8 101\r\n"
				   "c=IN IP4 198.51.100.7\r\n"
				   "a=rtpmap:96 opus/48000/2\r\na=rtpmap:9 G722/8000\r\n"
				   "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
				   "a=sendrecv\r\n", &a), ==, 0);
	g_assert_cmpstr(a.address, ==, "198.51.100.7");
	g_assert_cmpuint(a.n_codecs, ==, 2);
	g_assert_cmpint(a.codecs[0].codec, ==, SIP_CODEC_OPUS);
	g_assert_cmpint(a.codecs[0].payload_type, ==, 96);
	g_assert_cmpint(a.codecs[1].codec, ==, SIP_CODEC_PCMA);
	g_assert_cmpint(a.codecs[1].payload_type, ==, 8);

	/* video first, audio second; hold */
	g_assert_cmpint(parse(HEAD "m=video 5000 RTP/AVP 31\r\nm=audio 5002 RTP/AVP 8\r\n"
				   "a=sendonly\r\n", &a), ==, 0);
	g_assert_cmpuint(a.port, ==, 5002);
	g_assert_true(a.on_hold);
	g_assert_cmpint(a.mode, ==, SIP_SDP_SENDONLY);
	g_assert_cmpint(parse(HEAD "m=audio 5002 RTP/AVP 8\r\na=inactive\r\n", &a), ==, 0);
	g_assert_true(a.on_hold);
	g_assert_cmpint(a.mode, ==, SIP_SDP_INACTIVE);

	/* IPv6 */
	g_assert_cmpint(parse("v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 2001:db8::5\r\n"
			      "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", &a), ==, 0);
	g_assert_cmpstr(a.address, ==, "2001:db8::5");
}

static void test_sdp_refused(void)
{
	sip_sdp_audio a;
	/* 488: nothing we can take */
	g_assert_cmpint(parse(HEAD "m=audio 6000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n", &a), ==,
			-ENOTSUP);
	g_assert_cmpuint(a.port, ==, 0);
	g_assert_cmpint(parse(HEAD "m=video 6000 RTP/AVP 31\r\n", &a), ==, -ENOTSUP);
	g_assert_cmpint(parse(HEAD "m=audio 0 RTP/AVP 0\r\n", &a), ==, -ENOTSUP);
	g_assert_cmpint(parse(HEAD "m=audio 6000 RTP/SAVP 0\r\n", &a), ==, -ENOTSUP);
	/* opus with a static number is not opus */
	g_assert_cmpint(parse(HEAD "m=audio 6000 RTP/AVP 3\r\na=rtpmap:3 opus/48000/2\r\n", &a), ==,
			-ENOTSUP);
	/* 400: not SDP, or no address to send to */
	g_assert_cmpint(parse("hello", &a), ==, -EINVAL);
	g_assert_cmpint(parse("", &a), ==, -EINVAL);
	g_assert_cmpint(parse("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
			      "m=audio 6000 RTP/AVP 0\r\n", &a), ==, -EINVAL);
	g_assert_cmpint(parse(HEAD "m=audio 99999 RTP/AVP 0\r\n", &a), !=, 0);
	/* m= lines sofia-sip 1.12.11's parser would loop forever on */
	g_assert_cmpint(parse(HEAD "m=audio 6000 RTP]/AVP 0\r\n", &a), ==, -EINVAL);
	g_assert_cmpint(parse(HEAD "m=audio 6000 RTP\377/AVP 0\r\n", &a), ==, -EINVAL);
	g_assert_cmpint(parse("v=0\r\nm=- 1 1 IN IP6 ::1\r\n", &a), ==, -EINVAL);
	g_assert_cmpint(parse(HEAD "m=audio 6000 RTP/AVP 0\rm=x", &a), ==, -EINVAL);
	g_assert_cmpint(sip_sdp_parse(HEAD "m=audio 6000 RTP/AVP 0\r\n\0x", sizeof(HEAD) + 25, &a,
				      NULL), ==, -EINVAL);
}

static void test_sdp_build(void)
{
	sip_sdp_audio a;
	char *s = sip_sdp_build("127.0.0.1", 20000, 42, 1, sip_sdp_our_codecs, 3);
	g_assert_nonnull(strstr(s, "m=audio 20000 RTP/AVP 0 8 111\r\n"));
	g_assert_nonnull(strstr(s, "a=rtpmap:111 opus/48000/2\r\n"));
	g_assert_cmpint(parse(s, &a), ==, 0);
	g_assert_cmpstr(a.address, ==, "127.0.0.1");
	g_assert_cmpuint(a.port, ==, 20000);
	g_assert_cmpuint(a.n_codecs, ==, 3);
	g_assert_cmpint(a.codecs[2].codec, ==, SIP_CODEC_OPUS);
	g_free(s);

	/* an answer: one codec, with the offerer's number */
	sip_sdp_codec opus = {SIP_CODEC_OPUS, 96};
	s = sip_sdp_build("::1", 20002, 42, 2, &opus, 1);
	g_assert_nonnull(strstr(s, "c=IN IP6 ::1\r\n"));
	g_assert_cmpint(parse(s, &a), ==, 0);
	g_assert_cmpuint(a.n_codecs, ==, 1);
	g_assert_cmpint(a.codecs[0].payload_type, ==, 96);
	g_free(s);
	/* answering a hold: sendonly -> recvonly, inactive -> inactive */
	s = sip_sdp_build_mode("127.0.0.1", 20002, 42, 3, &opus, 1,
			       sip_sdp_answer_mode(SIP_SDP_SENDONLY));
	g_assert_nonnull(strstr(s, "\r\na=recvonly\r\n"));
	g_assert_null(strstr(s, "sendrecv"));
	g_assert_cmpint(parse(s, &a), ==, 0);
	g_assert_cmpint(a.mode, ==, SIP_SDP_RECVONLY);
	g_free(s);
	g_assert_cmpint(sip_sdp_answer_mode(SIP_SDP_INACTIVE), ==, SIP_SDP_INACTIVE);
	g_assert_cmpint(sip_sdp_answer_mode(SIP_SDP_RECVONLY), ==, SIP_SDP_SENDONLY);
	g_assert_cmpint(sip_sdp_answer_mode(SIP_SDP_SENDRECV), ==, SIP_SDP_SENDRECV);
	g_assert_null(sip_sdp_build("", 1, 1, 1, &opus, 1));
	g_assert_null(sip_sdp_build("127.0.0.1", 1, 1, 1, &opus, 0));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sip/sdp/offers", test_sdp_offers);
	g_test_add_func("/sip/sdp/refused", test_sdp_refused);
	g_test_add_func("/sip/sdp/build", test_sdp_build);
	return g_test_run();
}
