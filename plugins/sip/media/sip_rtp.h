/* RTP header parsing and rewriting for the relay (RFC 3550 section 5.1).
 *
 * Pure functions on byte buffers received from the network: no state, no
 * allocation, so the fuzz target (tests/fuzz/plugins/fuzz_sip_rtp.c) covers
 * everything outside input reaches before a packet is forwarded.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SIP_RTP_HEADER_MIN 12

typedef struct {
	uint8_t payload_type; /* 0..127 */
	uint8_t marker;       /* 0 or 1 */
	uint16_t seq;
	uint32_t timestamp;
	uint32_t ssrc;
	size_t header_len;    /* fixed header + CSRCs + extension */
	size_t payload_len;   /* without padding */
} sip_rtp_header;

/* Parses one datagram. 0, or -EINVAL when it is not an RTP packet this
 * relay forwards: too short, version not 2, CSRC list, extension or
 * padding running past the end, or an RTCP packet multiplexed on the RTP
 * port (payload types 72..76 with the marker, RFC 5761). */
int sip_rtp_parse(const uint8_t *buf, size_t len, sip_rtp_header *out);

/* Writes sequence, timestamp, SSRC, payload type and marker into a packet
 * sip_rtp_parse accepted (len >= SIP_RTP_HEADER_MIN). */
void sip_rtp_rewrite(uint8_t *buf, uint8_t payload_type, uint8_t marker, uint16_t seq,
		     uint32_t timestamp, uint32_t ssrc);

/* Receive statistics of one source, as RFC 3550 A.1 counts them: lost is
 * expected minus received, so a reordered packet is not counted lost and a
 * duplicate can make up for one. A new SSRC starts a new count and keeps
 * what the old one lost. */
typedef struct {
	uint32_t ssrc;
	uint32_t base_seq;    /* extended */
	uint32_t max_seq;     /* extended: cycles << 16 | highest seq */
	uint64_t received;
	uint64_t lost_before; /* from earlier sources */
	int started;
} sip_rtp_rx;

void sip_rtp_rx_update(sip_rtp_rx *rx, uint32_t ssrc, uint16_t seq);
uint64_t sip_rtp_rx_lost(const sip_rtp_rx *rx);
