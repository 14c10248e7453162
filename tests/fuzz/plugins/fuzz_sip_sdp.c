/* Fuzzes the SIP plugin's SDP reader (plugins/sip/sip_sdp.c): any body of
 * an INVITE or a 200 is either refused (-EINVAL: 400, -ENOTSUP: 488) or
 * gives an address, a port and at least one codec we handle — and our
 * answer built from it reads back as the same stream. */
#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "sip_sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sip_sdp_audio a, back;
	int rc = sip_sdp_parse((const char *)data, size, &a, NULL);
	if (rc != 0 && rc != -EINVAL && rc != -ENOTSUP)
		g_error("unexpected %d", rc);
	if (rc)
		return 0;
	if (a.port == 0 || a.n_codecs == 0 || a.n_codecs > SIP_SDP_MAX_CODECS || !a.address[0])
		g_error("accepted an unusable stream");
	/* answered as a re-INVITE is: the direction that answers its mode */
	sip_sdp_mode mode = sip_sdp_answer_mode(a.mode);
	char *answer = sip_sdp_build_mode(a.address, a.port, 1, 1, a.codecs, 1, mode);
	if (!answer || sip_sdp_parse(answer, strlen(answer), &back, NULL) != 0 ||
	    back.port != a.port || strcmp(back.address, a.address) != 0 || back.mode != mode ||
	    back.codecs[0].codec != a.codecs[0].codec ||
	    back.codecs[0].payload_type != a.codecs[0].payload_type)
		g_error("our answer does not read back: %s", answer ? answer : "(null)");
	g_free(answer);
	return 0;
}
