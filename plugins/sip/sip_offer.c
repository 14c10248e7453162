/* SDP inside an established dialog (sip.h, "sip_offer.c"): re-INVITEs of
 * a trunk or a phone — hold (a=sendonly / a=inactive / c=0.0.0.0), resume,
 * a new RTP address after a network change — and offers we make in a 200
 * whose answer comes with the ACK (late offer). The leg never changes
 * port: the far end keeps sending where it did, and whatever feeds the leg
 * (the relay of a bridge, guidance) carries on towards the new address
 * (sip_leg_set_remote). Loop thread.
 */
#include <errno.h>
#include <string.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include "sip.h"

char *sip_leg_offer(sip_leg *leg, sip_sdp_local *local)
{
	if (!local->session)
		local->session = (uint64_t)g_get_real_time();
	return sip_sdp_build(sip_leg_local_ip(leg), sip_leg_local_port(leg), local->session,
			     ++local->version, sip_sdp_our_codecs, G_N_ELEMENTS(sip_sdp_our_codecs));
}

int sip_offer_apply(sip_leg *leg, sip_sdp_local *local, const sip_sdp_audio *far)
{
	/* Keep the codec agreed when the far end still takes it: a leg that
	 * switches codec rebuilds its bridge (a transcoder, maybe) for
	 * nothing. local->codec is all zero (PCMU 0) before any agreement,
	 * which is also the first choice then. */
	const sip_sdp_codec *c = &far->codecs[0];
	for (size_t i = 0; local->version && i < far->n_codecs; i++)
		if (far->codecs[i].codec == local->codec.codec)
			c = &far->codecs[i];
	/* RFC 3264 8.4's hold of old (c=0.0.0.0) says nothing about where
	 * to send later: keep the address we had. */
	bool no_address = far->port == 0 || strcmp(far->address, "0.0.0.0") == 0 ||
			  strcmp(far->address, "::") == 0;
	int rc = no_address ? 0
			    : sip_leg_set_remote(leg, far->address, far->port, c->codec,
						 c->payload_type);
	if (rc == 0)
		local->codec = *c;
	return rc;
}

void sip_offer_reinvite(sip_state *st, nua_handle_t *nh, sip_leg *leg, sip_sdp_local *local,
			const sip_t *sip)
{
	sip_sdp_audio offer;
	const char *why = NULL;
	char *sdp = NULL;
	const sip_payload_t *pl = sip ? sip->sip_payload : NULL;

	if (!leg) {
		/* a dialog whose media is gone (being torn down) */
		nua_respond(nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		return;
	}
	if (local->awaiting_answer) {
		/* Our offer went in a 200 whose ACK (with the answer) has not
		 * come: a new offer now is glare (RFC 3261 14.2, RFC 6337 3.1).
		 * sofia-sip 1.12 answers such a re-INVITE 500 + Retry-After
		 * itself while the first INVITE's transaction lasts; this
		 * keeps the pending answer ours if one ever gets through. */
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN,
			     "re-INVITE refused: our offer awaits its answer (491)");
		nua_respond(nh, SIP_491_REQUEST_PENDING, TAG_END());
		return;
	}
	if (!pl || pl->pl_len == 0) {
		/* No offer: ours (the codec agreed only, so nothing changes
		 * unless the far end answers with a new address). */
		if (!local->session)
			local->session = (uint64_t)g_get_real_time();
		sdp = sip_sdp_build(sip_leg_local_ip(leg), sip_leg_local_port(leg), local->session,
				    ++local->version, &local->codec, 1);
		local->awaiting_answer = true;
		goto answer;
	}
	int rc = sip_sdp_parse(pl->pl_data, pl->pl_len, &offer, &why);
	if (rc == 0 && (rc = sip_offer_apply(leg, local, &offer)))
		why = g_strerror(-rc);
	if (rc) {
		/* RFC 3261 14.2: the session goes on as it was. */
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN, "re-INVITE refused: %s",
			     why ? why : "unusable offer");
		if (rc == -EINVAL)
			nua_respond(nh, 400, why ? why : "Bad Request", TAG_END());
		else
			nua_respond(nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		return;
	}
	local->awaiting_answer = false;
	sdp = sip_sdp_build_mode(sip_leg_local_ip(leg), sip_leg_local_port(leg), local->session,
				 ++local->version, &local->codec, 1, sip_sdp_answer_mode(offer.mode));
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "re-INVITE: %s:%u%s", offer.address,
		     (unsigned)offer.port, offer.on_hold ? " (hold)" : "");
answer:
	if (!sdp) {
		nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		return;
	}
	nua_respond(nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	g_free(sdp);
}

int sip_offer_ack(sip_state *st, sip_leg *leg, sip_sdp_local *local, const sip_t *sip)
{
	sip_sdp_audio ans;
	const char *why = "no SDP answer in the ACK";
	const sip_payload_t *pl = sip ? sip->sip_payload : NULL;

	if (!local->awaiting_answer)
		return -EALREADY;
	local->awaiting_answer = false;
	int rc = leg && pl && pl->pl_len ? sip_sdp_parse(pl->pl_data, pl->pl_len, &ans, &why)
					  : -EINVAL;
	if (rc == 0 && (rc = sip_offer_apply(leg, local, &ans)))
		why = g_strerror(-rc);
	if (rc) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN, "ACK: %s", why ? why : "unusable answer");
		return -EINVAL;
	}
	return 0;
}
