/* Calls from trunks (docs/sip.md "Call flow"). The core's call engine
 * decides; this file carries it out on the wire and reports back:
 *
 *   INVITE from a trunk -> (100 by nua) -> call_incoming()
 *     QUEUED            200 + welcome guidance, then hold audio looped;
 *                       RING -> INVITE every registered contact of the
 *                       operator's extensions; the first 200 ->
 *                       call_answered() -> bridge (or BYE on -EPIPE)
 *     NOT_IN_OPERATION  200 + out-of-hours guidance, BYE, call_missed
 *     QUEUE_FULL        200 + busy guidance, BYE, call_missed
 *   caller BYE/CANCEL -> call_ended(); operator BYE -> BYE caller,
 *   call_ended(); HANGUP/MISSED from the engine -> BYE/CANCEL everything.
 *
 * Ownership: st->calls owns every sip_call; a call owns its rings and
 * legs. A nua handle's hmagic points at its call or ring while we own it;
 * a handle we are done with gets a BYE/CANCEL and hmagic NULL, and sip.c
 * destroys it when its dialog ends. A call stays allocated while
 * call_incoming()'s callback is pending (it holds the pointer). Loop thread.
 */
#include <errno.h>
#include <string.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include "sip.h"

/* ---- calls and rings ------------------------------------------------------------ */

sip_call *sip_call_new(sip_state *st, bool outbound)
{
	sip_call *c = g_new0(sip_call, 1);
	c->kind = SIP_HANDLE_CALLER;
	c->st = st;
	c->outbound = outbound;
	c->rings = g_ptr_array_new();
	g_ptr_array_add(st->calls, c);
	return c;
}

static void call_free(sip_call *c)
{
	g_ptr_array_remove(c->st->calls, c);
	g_ptr_array_unref(c->rings);
	g_free(c->conversation);
	g_free(c->sip_call_id);
	g_free(c->line);
	g_free(c->remote_id);
	g_free(c);
}

sip_call *sip_call_find(sip_state *st, int64_t call_id)
{
	for (guint i = 0; call_id && i < st->calls->len; i++) {
		sip_call *c = st->calls->pdata[i];
		if (c->call_id == call_id && c->phase != SIP_CALL_OVER)
			return c;
	}
	return NULL;
}

/* Hands a handle back to sip.c: it is destroyed when its dialog ends. */
static void release(nua_handle_t *nh)
{
	nua_handle_bind(nh, NULL);
}

void sip_ring_end(sip_ring *r)
{
	if (r->nh) {
		if (r->answered)
			nua_bye(r->nh, TAG_END());
		else
			nua_cancel(r->nh, TAG_END());
		release(r->nh);
	}
	if (r->call->talking == r)
		r->call->talking = NULL;
	g_ptr_array_remove(r->call->rings, r);
	if (r->leg)
		sip_leg_free(r->leg);
	g_free(r);
}

sip_ring *sip_ring_start(sip_call *call, int64_t staff_id, const char *contact)
{
	sip_state *st = call->st;
	sip_ring *r = g_new0(sip_ring, 1);
	char *sdp = NULL, *from = NULL, *to = NULL;
	r->kind = SIP_HANDLE_RING;
	r->call = call;
	r->staff_id = staff_id;
	if (sip_leg_new(st->media, &r->leg) || !(sdp = sip_leg_offer(r->leg, &r->local)))
		goto fail;
	/* The phone shows who calls: the customer's number (or ours on a
	 * call-back, where the operator is called first). */
	bool v6 = strchr(st->listen_host, ':') != NULL;
	const char *who = call->outbound ? st->caller_id : call->remote_id;
	from = g_strdup_printf(v6 ? "<sip:%s@[%s]:%u>" : "<sip:%s@%s:%u>",
			       who && who[0] ? who : "anonymous", st->listen_host,
			       (unsigned)st->listen_port);
	/* In angle brackets: bare, the contact's URI parameters (;transport=TCP)
	 * would be read as parameters of the To header. */
	to = g_strdup_printf("<%s>", contact);
	r->nh = nua_handle(st->nua, (nua_hmagic_t *)r, NUTAG_URL(contact),
			   SIPTAG_TO_STR(to), SIPTAG_FROM_STR(from), TAG_END());
	if (!r->nh)
		goto fail;
	g_ptr_array_add(call->rings, r);
	nua_invite(r->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
		   TAG_END());
	g_free(sdp);
	g_free(from);
	g_free(to);
	return r;
fail:
	if (r->leg)
		sip_leg_free(r->leg);
	g_free(r);
	g_free(sdp);
	g_free(from);
	g_free(to);
	return NULL;
}

/* Ends the customer's side and every ring; frees the call unless the
 * host's call_incoming() callback still holds it. Reports nothing. */
void sip_call_teardown(sip_call *call)
{
	while (call->rings->len)
		sip_ring_end(call->rings->pdata[0]);
	if (call->nh) {
		if (call->phase == SIP_CALL_ASKING && !call->outbound)
			nua_respond(call->nh, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END());
		else if (call->outbound && call->phase == SIP_CALL_DIALING)
			nua_cancel(call->nh, TAG_END());
		else
			nua_bye(call->nh, TAG_END());
		release(call->nh);
		call->nh = NULL;
	}
	if (call->leg) {
		sip_leg_free(call->leg);
		call->leg = NULL;
	}
	call->phase = SIP_CALL_OVER;
	if (!call->cb_pending)
		call_free(call);
}

/* The far end left, or a phone hung up a talking call: tell the engine
 * (once), then tear down. reason: a call_missed() reason, or NULL for
 * call_ended(). */
static void finish(sip_call *call, const char *reason)
{
	sip_state *st = call->st;
	if (!call->host_done && call->call_id) {
		/* With "queued", the call's info lines; its steps between are
		 * debug (one a message, hundreds a second on a busy line). */
		if (call->talking)
			st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO,
				     "call %lld (%s) ended, answered by staff %lld",
				     (long long)call->call_id, call->remote_id ? call->remote_id : "?",
				     (long long)call->talking->staff_id);
		else
			st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "call %lld (%s) ended: %s",
				     (long long)call->call_id, call->remote_id ? call->remote_id : "?",
				     reason ? reason : "not answered");
		int rc = reason ? st->api->call_missed(st->host, call->call_id, reason)
				: st->api->call_ended(st->host, call->call_id);
		if (rc && rc != -EPIPE)
			st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN, "call %lld: %s: %s",
				     (long long)call->call_id, reason ? "call_missed" : "call_ended",
				     g_strerror(-rc));
	}
	call->host_done = true;
	sip_call_teardown(call);
}

/* ---- guidance ------------------------------------------------------------------- */

static const char *closing_reason(int disposition)
{
	return disposition == TSUNAGU_PLUGIN_CALL_QUEUE_FULL ? "noOperator" : "notInOperation";
}

/* The file of a guidance (api->free() it), or NULL when none is uploaded. */
static char *guidance(sip_call *call, int kind)
{
	char *path = NULL;
	/* a core without the guidance store: nothing is ever uploaded */
	if (!TSUNAGU_HOST_HAS(call->st->api, guidance_path) ||
	    call->st->api->guidance_path(call->st->host, call->line, kind, &path) != 0)
		return NULL;
	return path;
}

/* Plays a guidance into the customer's leg. false when there is none. */
static bool play(sip_call *call, int kind, bool loop, sip_leg_done_fn done)
{
	sip_state *st = call->st;
	char *path = call->leg ? guidance(call, kind) : NULL;
	if (!path)
		return false;
	int rc = sip_leg_play(call->leg, path, loop, done, call);
	if (rc)
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN, "call %lld: guidance %s: %s",
			     (long long)call->call_id, path, g_strerror(-rc));
	st->api->free(path);
	return rc == 0;
}

static void on_closing_done(sip_leg *leg, int status, void *ud)
{
	sip_call *call = ud;
	if (status == -ECANCELED || call->phase != SIP_CALL_GUIDANCE)
		return;
	finish(call, closing_reason(call->disposition));
}

static void on_welcome_done(sip_leg *leg, int status, void *ud)
{
	sip_call *call = ud;
	if (status == -ECANCELED || call->phase != SIP_CALL_QUEUED || call->talking)
		return;
	play(call, TSUNAGU_PLUGIN_GUIDANCE_QUEUE, true, NULL);
}

static int closing_kind(int disposition)
{
	return disposition == TSUNAGU_PLUGIN_CALL_QUEUE_FULL ? TSUNAGU_PLUGIN_GUIDANCE_BUSY
							     : TSUNAGU_PLUGIN_GUIDANCE_OUT_OF_HOURS;
}

/* The customer's leg knows where to send: the audio of the call's phase
 * starts (right after the 200, or at the ACK of a late offer). */
static void start_audio(sip_call *call)
{
	if (call->phase == SIP_CALL_QUEUED && !call->talking) {
		if (!play(call, TSUNAGU_PLUGIN_GUIDANCE_WELCOME, false, on_welcome_done))
			play(call, TSUNAGU_PLUGIN_GUIDANCE_QUEUE, true, NULL);
	} else if (call->phase == SIP_CALL_GUIDANCE) {
		/* (replaced since on_incoming() checked, or unplayable) */
		if (!play(call, closing_kind(call->disposition), false, on_closing_done))
			finish(call, closing_reason(call->disposition));
	}
}

/* ---- inbound INVITE -------------------------------------------------------------- */

int sip_call_answer_sdp(sip_call *call, const sip_sdp_audio *offer, char **sdp_out)
{
	sip_state *st = call->st;
	int rc = call->leg ? 0 : sip_leg_new(st->media, &call->leg);
	if (rc)
		return rc;
	/* Late offer (an INVITE without SDP): ours, the answer comes with
	 * the ACK. */
	if (call->local.awaiting_answer) {
		*sdp_out = sip_leg_offer(call->leg, &call->local);
		return *sdp_out ? 0 : -ENOMEM;
	}
	/* The offer's first codec we handle: the far end prefers it. */
	if ((rc = sip_offer_apply(call->leg, &call->local, offer)))
		return rc;
	if (!call->local.session)
		call->local.session = (uint64_t)g_get_real_time();
	*sdp_out = sip_sdp_build(sip_leg_local_ip(call->leg), sip_leg_local_port(call->leg),
				 call->local.session, ++call->local.version, &call->local.codec, 1);
	return *sdp_out ? 0 : -ENOMEM;
}

static void incoming_decided(int status, const char *conversation, int64_t call_id,
			     int disposition, void *ud);

/* The host's answer to call_incoming() (loop thread; ud: the sip_call). */
static void on_incoming(int status, const char *conversation, int64_t call_id, int disposition,
			void *ud)
{
	sip_state *st = ((sip_call *)ud)->st;
	incoming_decided(status, conversation, call_id, disposition, ud);
	/* its 200 (or refusal) goes out now, not in the next iteration */
	sip_loop_run(st->loop);
}

static void incoming_decided(int status, const char *conversation, int64_t call_id,
			     int disposition, void *ud)
{
	sip_call *call = ud;
	sip_state *st = call->st;
	char *sdp = NULL;

	call->cb_pending = false;
	call->call_id = call_id;
	if (status == 0)
		call->conversation = g_strdup(conversation);
	if (call->phase == SIP_CALL_OVER) {
		/* The caller left (CANCEL) while the engine decided. */
		if (status == 0 && call_id)
			st->api->call_ended(st->host, call_id);
		call_free(call);
		return;
	}
	if (status) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_ERROR, "call %s: call_incoming: %s",
			     call->sip_call_id, g_strerror(-status));
		call->host_done = true;
		if (call->nh)
			nua_respond(call->nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		call->phase = SIP_CALL_OVER;
		if (call->nh)
			release(call->nh);
		call->nh = NULL;
		call_free(call);
		return;
	}
	/* Nothing uploaded to say why the call cannot be taken: do not answer
	 * it only to hang up (480 at once); still missed. */
	if (disposition != TSUNAGU_PLUGIN_CALL_QUEUED) {
		char *path = guidance(call, closing_kind(disposition));
		st->api->free(path);
		if (!path) {
			st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO,
				     "call %lld (%s): %s, conversation %s, no guidance: 480",
				     (long long)call_id, call->remote_id, closing_reason(disposition),
				     call->conversation);
			finish(call, closing_reason(disposition));
			return;
		}
	}
	call->disposition = disposition;
	bool queued = disposition == TSUNAGU_PLUGIN_CALL_QUEUED;
	int rc = sip_call_answer_sdp(call, &call->remote, &sdp);
	if (rc) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_ERROR, "call %lld: no media leg: %s",
			     (long long)call_id, g_strerror(-rc));
		finish(call, queued ? NULL : closing_reason(disposition));
		return;
	}
	nua_respond(call->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	g_free(sdp);
	call->phase = queued ? SIP_CALL_QUEUED : SIP_CALL_GUIDANCE;
	if (queued)
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "call %lld (%s) queued, conversation %s",
			     (long long)call_id, call->remote_id, call->conversation);
	else
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "call %lld (%s): %s, conversation %s",
			     (long long)call_id, call->remote_id, closing_reason(disposition),
			     call->conversation);
	if (!call->local.awaiting_answer)
		start_audio(call);
}

static const char *trunk_ha1(const char *username, void *ud)
{
	const sip_trunk *t = sip_accounts_trunk_by_user(ud, username);
	return t ? t->ha1 : NULL;
}

/* Which trunk an INVITE comes from: by source address, else by digest.
 * NULL when it has been answered (407 challenge or 403). */
static const sip_trunk *identify(sip_state *st, nua_handle_t *nh, const sip_t *sip,
				 const char *source)
{
	const sip_trunk *t = sip_accounts_trunk_by_source(st->accounts, source);
	char *user = NULL;
	bool any_auth = false;
	if (t)
		return t;
	for (guint i = 0; i < st->accounts->trunks->len; i++)
		any_auth = any_auth || ((sip_trunk *)st->accounts->trunks->pdata[i])->username;
	int rc = any_auth ? sip_digest_verify(&st->digest, sip->sip_proxy_authorization, "INVITE",
					      st->api->monotonic_us(st->host), trunk_ha1,
					      st->accounts, &user)
			  : -EACCES;
	if (rc == 0) {
		t = sip_accounts_trunk_by_user(st->accounts, user);
		g_free(user);
		return t;
	}
	if (rc == -ENOENT || rc == -ESTALE) {
		char *ch = sip_digest_challenge(&st->digest, st->api->monotonic_us(st->host),
						rc == -ESTALE);
		nua_respond(nh, SIP_407_PROXY_AUTH_REQUIRED, NUTAG_WITH_THIS(st->nua),
			    SIPTAG_PROXY_AUTHENTICATE_STR(ch), TAG_END());
		g_free(ch);
		return NULL;
	}
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN, "INVITE from %s refused: not a trunk",
		     source);
	nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(st->nua), TAG_END());
	return NULL;
}

void sip_call_invite(sip_state *st, nua_handle_t *nh, const sip_t *sip, const char *source)
{
	sip_sdp_audio offer;
	const char *why = NULL;

	if (!st->started || st->stopping) {
		nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_THIS(st->nua), TAG_END());
		return;
	}
	const sip_trunk *trunk = identify(st, nh, sip, source);
	if (!trunk)
		return;
	const sip_payload_t *pl = sip->sip_payload;
	/* No body at all: a late offer (ours goes in the 200). */
	bool late = !pl || pl->pl_len == 0;
	int rc = late ? 0 : sip_sdp_parse(pl->pl_data, pl->pl_len, &offer, &why);
	if (late)
		memset(&offer, 0, sizeof offer);
	if (rc) {
		/* 488 for what we cannot take (no audio, no common codec), 400
		 * for a description we cannot read. */
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN, "INVITE from %s: %s", source,
			     why ? why : "unusable SDP offer");
		if (rc == -EINVAL)
			nua_respond(nh, 400, why, NUTAG_WITH_THIS(st->nua), TAG_END());
		else
			nua_respond(nh, SIP_488_NOT_ACCEPTABLE, NUTAG_WITH_THIS(st->nua),
				    TAG_END());
		return;
	}
	if (!st->have_calls) {
		nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_THIS(st->nua), TAG_END());
		return;
	}
	sip_call *call = sip_call_new(st, false);
	call->phase = SIP_CALL_ASKING;
	call->nh = nh;
	call->remote = offer;
	call->local.awaiting_answer = late;
	call->line = g_strdup(trunk->name);
	const char *user = sip->sip_from ? sip->sip_from->a_url->url_user : NULL;
	call->remote_id = g_strdup(user && user[0] ? user : "anonymous");
	call->sip_call_id = g_strdup(sip->sip_call_id ? sip->sip_call_id->i_id : "");
	nua_handle_bind(nh, (nua_hmagic_t *)call);
	call->cb_pending = true;
	tsunagu_plugin_call_in in = {
		.struct_size = sizeof in,
		.channel = SIP_CHANNEL,
		.caller_id = call->remote_id,
		.caller_name = sip->sip_from ? sip->sip_from->a_display : NULL,
		.line = call->line,
		.provider_call_id = call->sip_call_id,
	};
	rc = st->api->call_incoming(st->host, &in, on_incoming, call);
	if (rc) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_ERROR, "call_incoming: %s",
			     g_strerror(-rc));
		call->host_done = true;
		call->cb_pending = false;
		call->phase = SIP_CALL_QUEUED; /* answered here, not by teardown */
		nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		release(nh);
		call->nh = NULL;
		sip_call_teardown(call);
	}
}

/* ---- events on our handles -------------------------------------------------------- */

/* A 2xx from an operator's phone. */
static void ring_answered(sip_ring *r, const sip_t *sip)
{
	sip_call *call = r->call;
	sip_state *st = call->st;
	sip_sdp_audio ans;
	const sip_payload_t *pl = sip ? sip->sip_payload : NULL;
	r->answered = true;
	if (!pl || sip_sdp_parse(pl->pl_data, pl->pl_len, &ans, NULL) ||
	    sip_offer_apply(r->leg, &r->local, &ans)) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN,
			     "call %lld: the phone answered without usable SDP", (long long)call->call_id);
		int64_t staff = r->staff_id;
		sip_ring_end(r);
		if (!call->outbound || call->phase != SIP_CALL_OVER)
			st->api->call_rejected(st->host, call->call_id, staff);
		return;
	}
	if (call->outbound) {
		sip_call_out_operator_answered(call, r);
		return;
	}
	int rc = call->phase == SIP_CALL_QUEUED && !call->talking
			 ? st->api->call_answered(st->host, call->call_id, r->staff_id)
			 : -EPIPE;
	if (rc) {
		/* over, or taken by someone else: hang this phone up */
		sip_ring_end(r);
		return;
	}
	/* The other contacts of this operator stop ringing; other operators'
	 * phones get STOP_RING from the engine. */
	for (guint i = call->rings->len; i-- > 0;) {
		sip_ring *o = call->rings->pdata[i];
		if (o != r && o->staff_id == r->staff_id)
			sip_ring_end(o);
	}
	call->talking = r;
	call->phase = SIP_CALL_TALKING;
	rc = sip_bridge(call->leg, r->leg);
	st->api->log(st->host, rc ? TSUNAGU_PLUGIN_LOG_ERROR : TSUNAGU_PLUGIN_LOG_DEBUG,
		     "call %lld answered by staff %lld%s", (long long)call->call_id,
		     (long long)r->staff_id, rc ? ": bridge failed" : "");
}

static void ring_event(sip_ring *r, nua_event_t event, int status, const sip_t *sip,
		       tagi_t tags[])
{
	sip_call *call = r->call;
	sip_state *st = call->st;
	int cs = -1;
	if (event == nua_r_invite && status >= 200 && status < 300 && !r->answered) {
		ring_answered(r, sip);
		return;
	}
	if (event == nua_i_state)
		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
	bool gone = (event == nua_r_invite && status >= 300) || event == nua_i_bye ||
		    cs == nua_callstate_terminated;
	if (!gone)
		return;
	int64_t staff = r->staff_id;
	bool was_talking = call->talking == r;
	bool was_answered = r->answered;
	nua_handle_bind(r->nh, NULL);
	if (event != nua_i_bye && cs == nua_callstate_terminated)
		nua_handle_destroy(r->nh);
	r->nh = NULL; /* already over on the wire */
	sip_ring_end(r);
	if (was_talking) {
		/* the operator hung up: the caller goes too */
		finish(call, NULL);
		return;
	}
	if (was_answered || call->phase == SIP_CALL_OVER)
		return;
	/* Declined, busy, unreachable: the next operator rings, unless this
	 * operator has another contact still ringing. */
	for (guint i = 0; i < call->rings->len; i++)
		if (((sip_ring *)call->rings->pdata[i])->staff_id == staff)
			return;
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "call %lld: staff %lld's phone: %d",
		     (long long)call->call_id, (long long)staff, status);
	st->api->call_rejected(st->host, call->call_id, staff);
	if (call->outbound) {
		/* a call-back whose operator did not pick up never started */
		call->host_done = true;
		sip_call_teardown(call);
	}
}

static void caller_event(sip_call *call, nua_event_t event, int status, const sip_t *sip,
			 tagi_t tags[])
{
	int cs = -1;
	if (call->outbound && event == nua_r_invite) {
		sip_call_out_customer_response(call, status, sip);
		return;
	}
	if (event == nua_i_state)
		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
	if (event != nua_i_bye && event != nua_i_cancel && cs != nua_callstate_terminated)
		return;
	/* The customer hung up (or the dialog died): nua answers the BYE or
	 * CANCEL itself; the handle is ours to destroy once terminated. */
	nua_handle_t *nh = call->nh;
	nua_handle_bind(nh, NULL);
	if (cs == nua_callstate_terminated)
		nua_handle_destroy(nh);
	call->nh = NULL;
	if (call->phase == SIP_CALL_ASKING) {
		call->phase = SIP_CALL_OVER;
		if (call->leg)
			sip_leg_free(call->leg);
		call->leg = NULL;
		return; /* on_incoming() reports it */
	}
	if (call->phase == SIP_CALL_GUIDANCE)
		finish(call, closing_reason(call->disposition));
	else
		finish(call, NULL);
}

void sip_call_dialog_request(sip_state *st, nua_event_t event, nua_handle_t *nh, void *hmagic,
			     const sip_t *sip)
{
	bool ring = *(sip_handle_kind *)hmagic == SIP_HANDLE_RING;
	sip_ring *r = ring ? hmagic : NULL;
	sip_call *call = ring ? r->call : hmagic;
	sip_leg *leg = ring ? r->leg : call->leg;
	sip_sdp_local *local = ring ? &r->local : &call->local;

	if (event == nua_i_invite) {
		sip_offer_reinvite(st, nh, leg, local, sip);
		return;
	}
	/* nua_i_ack */
	int rc = sip_offer_ack(st, leg, local, sip);
	if (rc == -EALREADY)
		return;
	if (rc == 0) {
		if (!ring)
			start_audio(call);
		return;
	}
	/* An answer we cannot use: no media, so no call (RFC 3261 13.3.1.4). */
	if (ring) {
		int64_t staff = r->staff_id;
		bool was_talking = call->talking == r;
		sip_ring_end(r);
		if (was_talking)
			finish(call, NULL);
		else if (call->phase != SIP_CALL_OVER)
			st->api->call_rejected(st->host, call->call_id, staff);
		return;
	}
	if (call->phase == SIP_CALL_GUIDANCE)
		finish(call, closing_reason(call->disposition));
	else
		finish(call, NULL);
}

void sip_call_nua_event(sip_state *st, nua_event_t event, int status, const char *phrase,
			nua_handle_t *nh, void *hmagic, const sip_t *sip, tagi_t tags[])
{
	if (*(sip_handle_kind *)hmagic == SIP_HANDLE_RING)
		ring_event(hmagic, event, status, sip, tags);
	else
		caller_event(hmagic, event, status, sip, tags);
}

/* ---- requests of the engine -------------------------------------------------------- */

static int ring(sip_state *st, sip_call *call, const tsunagu_plugin_call_event *ev)
{
	if (call->phase != SIP_CALL_QUEUED || call->talking)
		return -EPIPE;
	GPtrArray *contacts = sip_registrar_contacts(st, ev->staff_login);
	int started = 0;
	for (guint i = 0; i < contacts->len; i++)
		started += sip_ring_start(call, ev->staff_id, contacts->pdata[i]) != NULL;
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_DEBUG, "call %lld: ringing %s on %d phone(s)",
		     (long long)call->call_id, ev->staff_login ? ev->staff_login : "?", started);
	g_ptr_array_unref(contacts);
	return started ? 0 : -ENOENT;
}

int sip_call_event(sip_state *st, const tsunagu_plugin_call_event *ev)
{
	if (!st->started)
		return -ESHUTDOWN;
	if (ev->kind == TSUNAGU_PLUGIN_CALL_EV_DIAL)
		return sip_call_dial(st, ev);
	sip_call *call = sip_call_find(st, ev->call_id);
	if (!call)
		return -ENOENT;
	switch (ev->kind) {
	case TSUNAGU_PLUGIN_CALL_EV_RING:
		return ring(st, call, ev);
	case TSUNAGU_PLUGIN_CALL_EV_STOP_RING:
		for (guint i = call->rings->len; i-- > 0;) {
			sip_ring *r = call->rings->pdata[i];
			if (r->staff_id == ev->staff_id && call->talking != r)
				sip_ring_end(r);
		}
		return 0;
	case TSUNAGU_PLUGIN_CALL_EV_HANGUP:
	case TSUNAGU_PLUGIN_CALL_EV_MISSED:
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "call %lld ended by the core (%s)",
			     (long long)call->call_id, ev->reason ? ev->reason : "");
		call->host_done = true;
		sip_call_teardown(call);
		return 0;
	}
	return -EINVAL;
}

void sip_calls_hangup_all(sip_state *st)
{
	for (guint i = st->calls->len; i-- > 0;) {
		if (i >= st->calls->len)
			continue;
		sip_call *c = st->calls->pdata[i];
		if (c->phase != SIP_CALL_OVER) {
			c->host_done = true;
			sip_call_teardown(c);
		}
	}
}

void sip_calls_free_all(sip_state *st)
{
	while (st->calls->len) {
		sip_call *c = st->calls->pdata[0];
		c->cb_pending = false; /* the host cancelled it before destroy() */
		c->host_done = true;
		sip_call_teardown(c);
	}
}
