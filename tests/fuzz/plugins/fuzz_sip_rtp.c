/* Fuzzes the RTP header parser and the loss counter of the SIP media relay
 * (plugins/sip/media/sip_rtp.c): every datagram a far end sends reaches
 * sip_rtp_parse first. Nothing crashes or reads past the packet; what it
 * accepts is self-consistent and survives the relay's rewrite unchanged in
 * shape; the loss counter never counts more lost than expected. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "sip_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of the exact size, so ASan sees any read past the end. */
	uint8_t *buf = g_memdup2(data, size ? size : 1);
	sip_rtp_header h;
	if (sip_rtp_parse(buf, size, &h) == 0) {
		if (h.header_len < SIP_RTP_HEADER_MIN || h.header_len + h.payload_len > size ||
		    h.payload_type > 127 || h.marker > 1)
			g_error("inconsistent header");
		/* payload types below 64: never read as multiplexed RTCP */
		uint16_t seq = (uint16_t)(h.seq ^ 0xffffu);
		sip_rtp_rewrite(buf, (uint8_t)(h.seq & 0x3f), 1, seq, ~h.timestamp, ~h.ssrc);
		sip_rtp_header h2;
		if (sip_rtp_parse(buf, size, &h2) != 0 || h2.header_len != h.header_len ||
		    h2.payload_len != h.payload_len || h2.seq != seq)
			g_error("the rewrite changed the packet's shape");
	}
	/* The input as a sequence of (ssrc byte, seq) arrivals. */
	sip_rtp_rx rx = {0};
	uint64_t arrivals = 0;
	for (size_t i = 0; i + 3 <= size; i += 3) {
		sip_rtp_rx_update(&rx, data[i] & 3, (uint16_t)(data[i + 1] << 8 | data[i + 2]));
		arrivals++;
	}
	/* each arrival can at most reveal a jump of MAX_DROPOUT (3000) */
	if (sip_rtp_rx_lost(&rx) > arrivals * 3000)
		g_error("more lost than possible");
	g_free(buf);
	return 0;
}
