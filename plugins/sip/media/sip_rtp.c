/* RTP header parsing and rewriting for the relay (see sip_rtp.h). */
#include <errno.h>

#include "sip_rtp.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int sip_rtp_parse(const uint8_t *buf, size_t len, sip_rtp_header *out)
{
	if (!buf || !out || len < SIP_RTP_HEADER_MIN)
		return -EINVAL;
	if ((buf[0] >> 6) != 2)
		return -EINVAL;
	uint8_t pt = buf[1] & 0x7f;
	/* RTCP SR..APP (200..204) read as marker + 72..76. */
	if ((buf[1] & 0x80) && pt >= 72 && pt <= 76)
		return -EINVAL;
	size_t hl = SIP_RTP_HEADER_MIN + 4u * (buf[0] & 0x0f);
	if (hl > len)
		return -EINVAL;
	if (buf[0] & 0x10) {
		if (hl + 4 > len)
			return -EINVAL;
		size_t words = (size_t)buf[hl + 2] << 8 | buf[hl + 3];
		hl += 4 + 4 * words;
		if (hl > len)
			return -EINVAL;
	}
	size_t pad = 0;
	if (buf[0] & 0x20) {
		pad = buf[len - 1];
		if (pad == 0 || pad > len - hl)
			return -EINVAL;
	}
	out->payload_type = pt;
	out->marker = buf[1] >> 7;
	out->seq = (uint16_t)(buf[2] << 8 | buf[3]);
	out->timestamp = rd32(buf + 4);
	out->ssrc = rd32(buf + 8);
	out->header_len = hl;
	out->payload_len = len - hl - pad;
	return 0;
}

void sip_rtp_rewrite(uint8_t *buf, uint8_t payload_type, uint8_t marker, uint16_t seq,
		     uint32_t timestamp, uint32_t ssrc)
{
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | (payload_type & 0x7f));
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[4] = (uint8_t)(timestamp >> 24);
	buf[5] = (uint8_t)(timestamp >> 16);
	buf[6] = (uint8_t)(timestamp >> 8);
	buf[7] = (uint8_t)timestamp;
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;
}

/* A jump this far either way is a restarted sender, not loss (RFC 3550
 * A.1 MAX_DROPOUT / MAX_MISORDER). */
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100

static void rx_start(sip_rtp_rx *rx, uint32_t ssrc, uint16_t seq)
{
	rx->lost_before = sip_rtp_rx_lost(rx);
	rx->ssrc = ssrc;
	rx->base_seq = seq;
	rx->max_seq = seq;
	rx->received = 1;
	rx->started = 1;
}

void sip_rtp_rx_update(sip_rtp_rx *rx, uint32_t ssrc, uint16_t seq)
{
	if (!rx->started || rx->ssrc != ssrc) {
		rx_start(rx, ssrc, seq);
		return;
	}
	uint16_t max16 = (uint16_t)rx->max_seq;
	uint16_t delta = (uint16_t)(seq - max16);
	if (delta < MAX_DROPOUT) {
		if (seq < max16) /* wrapped */
			rx->max_seq += 0x10000;
		rx->max_seq = (rx->max_seq & 0xffff0000u) | seq;
		rx->received++;
	} else if (delta <= 0x10000 - MAX_MISORDER) {
		/* A big jump: the sender restarted its sequence. */
		rx_start(rx, ssrc, seq);
	} else {
		rx->received++; /* late or duplicate */
	}
}

uint64_t sip_rtp_rx_lost(const sip_rtp_rx *rx)
{
	if (!rx->started)
		return rx->lost_before;
	uint64_t expected = (uint64_t)(rx->max_seq - rx->base_seq) + 1;
	uint64_t lost = expected > rx->received ? expected - rx->received : 0;
	return rx->lost_before + lost;
}
