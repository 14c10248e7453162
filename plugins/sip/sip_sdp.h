/* SDP offer/answer of the SIP plugin (RFC 3264, audio only).
 *
 * An offer (from a trunk's INVITE or an operator phone's 200) is parsed with
 * sofia-sip's SDP parser into the one thing a leg needs: where to send RTP
 * and which codecs the far end takes, with their payload types. We answer
 * with exactly one codec, the first of the offer's that we handle (PCMU,
 * PCMA, Opus), so a leg never has to switch codec mid-stream; our own
 * offers list the three in that order.
 *
 * Pure functions, no state: any thread (the plugin calls them on the loop
 * thread). Outside input: tests/fuzz/plugins/fuzz_sip_sdp.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_media.h"

#define SIP_SDP_MAX_CODECS 8

typedef struct {
	sip_codec codec;
	int payload_type; /* the far end's number (0 and 8 for G.711) */
} sip_sdp_codec;

/* Which way a stream flows, from the side that wrote the description
 * (RFC 3264 5.1: a=sendrecv, the default, a=sendonly, a=recvonly,
 * a=inactive). */
typedef enum {
	SIP_SDP_SENDRECV = 0,
	SIP_SDP_SENDONLY,
	SIP_SDP_RECVONLY,
	SIP_SDP_INACTIVE,
} sip_sdp_mode;

/* The audio stream of a session description. */
typedef struct {
	char address[64];  /* c= of the audio m= line (or of the session) */
	uint16_t port;     /* 0: the stream is rejected / absent */
	bool on_hold;      /* sendonly or inactive, or c=0.0.0.0 */
	sip_sdp_mode mode; /* as written (c=0.0.0.0 alone leaves it sendrecv) */
	size_t n_codecs;   /* codecs we handle, in the offer's order */
	sip_sdp_codec codecs[SIP_SDP_MAX_CODECS];
} sip_sdp_audio;

/* Parses a session description (len bytes, need not be NUL-terminated).
 * Returns 0 and fills *out; -EINVAL when it is not valid SDP or has no
 * usable address (answer 400); -ENOTSUP when it has no RTP audio stream or
 * no codec we handle (answer 488). *why (may be NULL) gets a static reason. */
int sip_sdp_parse(const char *text, size_t len, sip_sdp_audio *out, const char **why);

/* Writes our description: audio at ip:port offering codecs[0..n) (an answer
 * passes exactly one). session_id/version go into o=. Returns a string
 * the caller frees with g_free(), or NULL when n is 0 or ip is empty. */
char *sip_sdp_build(const char *ip, uint16_t port, uint64_t session_id, uint64_t version,
		    const sip_sdp_codec *codecs, size_t n);

/* sip_sdp_build with a=<mode> instead of a=sendrecv: answering a hold
 * (RFC 3264 6.1: sendonly is answered recvonly, inactive inactive). */
char *sip_sdp_build_mode(const char *ip, uint16_t port, uint64_t session_id, uint64_t version,
			 const sip_sdp_codec *codecs, size_t n, sip_sdp_mode mode);
/* The mode that answers an offer of mode offered. */
sip_sdp_mode sip_sdp_answer_mode(sip_sdp_mode offered);

/* The codecs we offer in our own INVITEs, in order of preference. */
extern const sip_sdp_codec sip_sdp_our_codecs[3];
