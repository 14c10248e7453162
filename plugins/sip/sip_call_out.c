/* Call-backs (TEL-1, call_event DIAL; docs/sip.md "Call-backs"): ring the
 * operator's phone first, and when it answers, INVITE the customer's number
 * through the outbound trunk; bridge and report call_answered() when the
 * customer answers. The operator's phone is a sip_ring of the call (as for
 * inbound calls); the customer's dialog is the call's own handle. A
 * customer who never answers makes the call missed "ringTimeout"; an
 * operator's phone that declines is call_rejected(). A trunk that challenges
 * our INVITE (401/407) gets the trunk's outbound credentials once
 * (nua_authenticate); a second challenge means they are wrong: the call-back
 * ends (missed "ringTimeout", the engine's only reason for an unanswered
 * call-back) and the log says why. Loop thread.
 */
#include <errno.h>
#include <string.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include "sip.h"

/* A number or SIP user: what may go before the @ of a request URI. */
static bool is_dialable(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && !strchr("+*#._-", s[i]))
			return false;
	return true;
}

int sip_call_dial(sip_state *st, const tsunagu_plugin_call_event *ev)
{
	const sip_trunk *trunk = sip_accounts_outbound_trunk(st->accounts);
	if (!trunk) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN,
			     "call-back %lld: no trunk with \"outbound\": true", (long long)ev->call_id);
		return -ENOTSUP;
	}
	if (!is_dialable(ev->remote_id)) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN, "call-back %lld: cannot dial \"%s\"",
			     (long long)ev->call_id, ev->remote_id ? ev->remote_id : "");
		return -EINVAL;
	}
	GPtrArray *contacts = sip_registrar_contacts(st, ev->staff_login);
	if (contacts->len == 0) {
		g_ptr_array_unref(contacts);
		return -ENOENT;
	}
	sip_call *call = sip_call_new(st, true);
	call->call_id = ev->call_id;
	call->conversation = g_strdup(ev->conversation);
	call->remote_id = g_strdup(ev->remote_id);
	call->line = g_strdup(trunk->name);
	call->dial_staff = ev->staff_id;
	call->phase = SIP_CALL_QUEUED;
	int started = 0;
	for (guint i = 0; i < contacts->len; i++)
		started += sip_ring_start(call, ev->staff_id, contacts->pdata[i]) != NULL;
	g_ptr_array_unref(contacts);
	if (!started) {
		call->host_done = true;
		sip_call_teardown(call);
		return -EIO;
	}
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO,
		     "call-back %lld to %s: ringing %s on %d phone(s)", (long long)ev->call_id,
		     ev->remote_id, ev->staff_login ? ev->staff_login : "?", started);
	return 0;
}

void sip_call_out_operator_answered(sip_call *call, sip_ring *r)
{
	sip_state *st = call->st;
	const sip_trunk *trunk = sip_accounts_outbound_trunk(st->accounts);
	char *sdp = NULL, *to = NULL, *from = NULL;
	if (call->phase != SIP_CALL_QUEUED || call->talking || !trunk) {
		sip_ring_end(r);
		return;
	}
	for (guint i = call->rings->len; i-- > 0;)
		if (call->rings->pdata[i] != r)
			sip_ring_end(call->rings->pdata[i]);
	call->talking = r;
	call->phase = SIP_CALL_DIALING;
	if (sip_leg_new(st->media, &call->leg) || !(sdp = sip_leg_offer(call->leg, &call->local)))
		goto fail;
	to = g_strdup_printf("<sip:%s@%s>", call->remote_id, trunk->address);
	bool v6 = strchr(st->listen_host, ':') != NULL;
	from = g_strdup_printf(v6 ? "<sip:%s@[%s]:%u>" : "<sip:%s@%s:%u>", st->caller_id,
			       st->listen_host, (unsigned)st->listen_port);
	call->nh = nua_handle(st->nua, (nua_hmagic_t *)call, SIPTAG_TO_STR(to),
			      SIPTAG_FROM_STR(from), TAG_END());
	if (!call->nh)
		goto fail;
	nua_invite(call->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
		   TAG_END());
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "call-back %lld: dialling %s via %s",
		     (long long)call->call_id, call->remote_id, trunk->name);
	g_free(sdp);
	g_free(to);
	g_free(from);
	return;
fail:
	g_free(sdp);
	g_free(to);
	g_free(from);
	st->api->call_missed(st->host, call->call_id, "ringTimeout");
	call->host_done = true;
	sip_call_teardown(call);
}

/* The realm of the first Digest challenge of a 401/407, or NULL. */
static const char *challenge_realm(const sip_t *sip, int status)
{
	const msg_auth_t *au = !sip ? NULL
			       : status == 407 ? sip->sip_proxy_authenticate
					       : sip->sip_www_authenticate;
	for (; au; au = au->au_next)
		if (au->au_scheme && g_ascii_strcasecmp(au->au_scheme, "Digest") == 0)
			return msg_params_find(au->au_params, "realm=");
	return NULL;
}

/* Answers the trunk's challenge with its outbound credentials. NULL when
 * the INVITE went again; else why we cannot (for the log). */
static const char *authenticate(sip_call *call, int status, const sip_t *sip)
{
	sip_state *st = call->st;
	const sip_trunk *trunk = sip_accounts_outbound_trunk(st->accounts);
	const char *quoted = challenge_realm(sip, status);
	char *password = NULL, *realm = NULL;
	const char *why = NULL;

	if (!trunk || !trunk->out_user)
		return "the outbound trunk asks for credentials and has none";
	if (call->auth_tries++ > 0)
		return "the outbound trunk refused our credentials";
	if (!quoted || !(realm = msg_unquote_dup(NULL, quoted)))
		return "the outbound trunk's challenge has no Digest realm";
	if (trunk->out_realm && strcmp(trunk->out_realm, realm) != 0) {
		why = "the outbound trunk challenged for another realm than outbound_realm";
		goto out;
	}
	if (!st->have_secret_key || sip_secret_open(st->secret_key, trunk->out_secret, &password)) {
		why = "the outbound password cannot be decrypted (secret_file changed?)";
		goto out;
	}
	/* "Digest:\"realm\":user:password": sofia splits at colons outside
	 * the quoted realm; user and password have none (sip_accounts.c) */
	char *cred = g_strdup_printf("Digest:%s:%s:%s", quoted, trunk->out_user, password);
	nua_authenticate(call->nh, NUTAG_AUTH(cred), TAG_END());
	memset(cred, 0, strlen(cred));
	g_free(cred);
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO,
		     "call-back %lld: answering the %d challenge of realm \"%s\" as %s",
		     (long long)call->call_id, status, realm, trunk->out_user);
out:
	sip_secret_free(password);
	su_free(NULL, realm);
	return why;
}

void sip_call_out_customer_response(sip_call *call, int status, const sip_t *sip)
{
	sip_state *st = call->st;
	sip_sdp_audio ans;
	if (status < 200 || call->phase != SIP_CALL_DIALING)
		return;
	if (status == 401 || status == 407) {
		const char *why = authenticate(call, status, sip);
		if (!why)
			return;
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN, "call-back %lld to %s failed: %s (%d)",
			     (long long)call->call_id, call->remote_id, why, status);
	}
	if (status >= 300) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "call-back %lld: %s answered %d",
			     (long long)call->call_id, call->remote_id, status);
		/* the dialog never started: nothing to BYE */
		nua_handle_bind(call->nh, NULL);
		call->nh = NULL;
		if (!call->host_done)
			st->api->call_missed(st->host, call->call_id, "ringTimeout");
		call->host_done = true;
		sip_call_teardown(call);
		return;
	}
	const sip_payload_t *pl = sip ? sip->sip_payload : NULL;
	call->phase = SIP_CALL_TALKING;
	if (!pl || sip_sdp_parse(pl->pl_data, pl->pl_len, &ans, NULL) ||
	    sip_offer_apply(call->leg, &call->local, &ans) ||
	    sip_bridge(call->leg, call->talking->leg)) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN,
			     "call-back %lld: the customer's side has no usable SDP",
			     (long long)call->call_id);
		st->api->call_ended(st->host, call->call_id);
		call->host_done = true;
		sip_call_teardown(call);
		return;
	}
	int rc = st->api->call_answered(st->host, call->call_id, call->dial_staff);
	if (rc) {
		call->host_done = true;
		sip_call_teardown(call);
		return;
	}
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "call-back %lld: talking",
		     (long long)call->call_id);
}
