/* The ABI 1.2 part of the host API: phone channels and the call engine.
 * A plugin with TSUNAGU_PLUGIN_CAP_CALLS and a call_event callback reports
 * what happened on the wire (call_incoming, call_answered ...); the engine's
 * requests reach it as call_event() (RING, STOP_RING, HANGUP, DIAL,
 * MISSED), translated from the router's events (docs/plugins.md, Calls):
 *
 *   call.offered {call, staff}              RING      staff's phone
 *   call.ring_stopped {call, staff, reason} STOP_RING staff's phone
 *   call.hangup {call, staff, reason}       HANGUP
 *   call.dialing {call, staff}              DIAL      staff's phone, then the customer
 *   call.missed {call, reason, by:"engine"} MISSED
 *
 * The router knows nothing of plugins: the plugins set subscribes to the
 * event bus. Events arrive after their commit; they are handed to the
 * plugin on a later loop iteration, in order, so that a call_incoming() cb
 * (which runs in the same commit) always comes before the call's first
 * RING. A RING the plugin refuses counts as call_rejected(); a refused DIAL
 * ends the outbound call. */
#define TSUNAGU_LOG_TOPIC "plugins"
#include "log.h"

#include <errno.h>
#include <string.h>

#include "domain.h"
#include "events.h"
#include "plugin_host.h"
#include "router.h"
#include "store.h"

#define MISSED_REASON_MAX 32

/* One call_incoming() awaiting its commit. Lives until the domain's
 * callback runs, even when the plugin was destroyed before (cancelled). */
typedef struct {
	tsunagu_host *h;
	tsunagu_host_call_cb cb;
	void *user_data;
	bool cancelled;
} host_call_ack;

/* One engine request waiting for the next loop iteration. */
typedef struct {
	uint32_t kind;
	int64_t call_id;
	int64_t staff_id;
	char *reason;
} call_request;

static void call_request_free(void *p)
{
	call_request *q = p;
	g_free(q->reason);
	g_free(q);
}

/* The plugin may use the call API: it runs and declared calls. */
static int calls_ready(const tsunagu_host *h)
{
	if (!h)
		return -EINVAL;
	if (!(h->desc.capabilities & TSUNAGU_PLUGIN_CAP_CALLS) || !h->desc.call_event)
		return -EPERM;
	if (h->phase != TSUNAGU_PLUGIN_STARTED)
		return -ESHUTDOWN;
	if (!h->core || !h->core->domain || !h->core->router || !h->core->store)
		return -ENODEV;
	return 0;
}

static bool owns_channel(const tsunagu_host *h, const char *channel)
{
	for (guint i = 0; channel && i < h->channels->len; i++)
		if (strcmp(g_ptr_array_index(h->channels, i), channel) == 0)
			return true;
	return false;
}

/* Calls remembered as the plugin's: at most this many, then forgotten
 * all at once (a forgotten one is read again). */
#define OWN_CALLS_MAX 4096

/* Remembers that call_id is of one of h's channels (a call's channel never
 * changes): its reports skip the read below. */
static void own_call_add(tsunagu_host *h, int64_t call_id)
{
	/* every event of a call to the plugin passes here: no copy when known */
	if (g_hash_table_contains(h->own_calls, &call_id))
		return;
	if (g_hash_table_size(h->own_calls) >= OWN_CALLS_MAX)
		g_hash_table_remove_all(h->own_calls);
	g_hash_table_add(h->own_calls, g_memdup2(&call_id, sizeof call_id));
}

/* A call of one of the plugin's channels: 0, -ENOENT unknown, -EPERM
 * another channel's. A call the plugin brought in (or was asked to dial)
 * is known without a read: every report of every call asks (issue 5). */
static int own_call(tsunagu_host *h, int64_t call_id)
{
	char *channel = NULL;
	if (call_id > 0 && g_hash_table_contains(h->own_calls, &call_id))
		return 0;
	int rc = call_id > 0 ? tsunagu_store_call_channel(h->core->store, call_id, &channel)
			     : -ENOENT;
	if (rc == 0 && !owns_channel(h, channel))
		rc = -EPERM;
	if (rc == 0)
		own_call_add(h, call_id);
	g_free(channel);
	return rc;
}

/* The end of a call: its later reports (none expected) read again. */
static void own_call_forget(tsunagu_host *h, int64_t call_id)
{
	g_hash_table_remove(h->own_calls, &call_id);
}

/* ---- what the plugin reports -------------------------------------------------- */

static void incoming_done(int status, const char *conversation, int64_t call_id,
			  int disposition, void *user_data)
{
	host_call_ack *a = user_data;
	if (!a->cancelled) {
		g_hash_table_remove(a->h->calls, a);
		if (status == 0 && call_id > 0)
			own_call_add(a->h, call_id);
		a->cb(status, conversation, call_id, disposition, a->user_data);
	}
	g_free(a);
}

static int host_call_incoming(tsunagu_host *h, const tsunagu_plugin_call_in *in,
			      tsunagu_host_call_cb cb, void *user_data)
{
	int rc = calls_ready(h);
	if (rc)
		return rc;
	if (!in || !cb ||
	    in->struct_size < offsetof(tsunagu_plugin_call_in, visitor_json) + sizeof(char *) ||
	    in->flags != 0)
		return -EINVAL;
	if (!owns_channel(h, in->channel))
		return -EPERM;
	tsunagu_call_arrival arrival = {
		.channel = in->channel,
		.caller_id = in->caller_id,
		.caller_name = in->caller_name,
		.line = in->line,
		.provider_call_id = in->provider_call_id,
		.visitor_json = in->visitor_json,
	};
	host_call_ack *a = g_new0(host_call_ack, 1);
	*a = (host_call_ack){h, cb, user_data, false};
	g_hash_table_add(h->calls, a);
	rc = tsunagu_domain_call_incoming(h->core->domain, &arrival, incoming_done, a);
	if (rc) {
		g_hash_table_remove(h->calls, a);
		g_free(a);
	}
	return rc;
}

void tsunagu_host_cancel_calls(tsunagu_host *h)
{
	GHashTableIter it;
	void *key;
	g_hash_table_iter_init(&it, h->calls);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		host_call_ack *a = key;
		a->cancelled = true; /* freed by incoming_done when the commit comes */
		g_hash_table_iter_remove(&it);
		a->cb(-ECANCELED, NULL, 0, 0, a->user_data);
	}
}

static int host_call_answered(tsunagu_host *h, int64_t call_id, int64_t staff_id)
{
	int rc = calls_ready(h);
	if (rc == 0)
		rc = staff_id > 0 ? own_call(h, call_id) : -EINVAL;
	return rc ? rc : tsunagu_router_call_answered(h->core->router, call_id, staff_id);
}

static int host_call_rejected(tsunagu_host *h, int64_t call_id, int64_t staff_id)
{
	int rc = calls_ready(h);
	if (rc == 0)
		rc = staff_id > 0 ? own_call(h, call_id) : -EINVAL;
	return rc ? rc : tsunagu_router_call_rejected(h->core->router, call_id, staff_id);
}

static int host_call_ended(tsunagu_host *h, int64_t call_id)
{
	int rc = calls_ready(h);
	if (rc == 0)
		rc = own_call(h, call_id);
	if (rc == 0 && (rc = tsunagu_router_call_ended(h->core->router, call_id)) == 0)
		own_call_forget(h, call_id);
	return rc;
}

static int host_call_missed(tsunagu_host *h, int64_t call_id, const char *reason)
{
	int rc = calls_ready(h);
	if (rc == 0)
		rc = reason && strlen(reason) < MISSED_REASON_MAX ? own_call(h, call_id) : -EINVAL;
	if (rc == 0 && (rc = tsunagu_router_call_missed(h->core->router, call_id, reason)) == 0)
		own_call_forget(h, call_id);
	return rc;
}

static int host_staff_find(tsunagu_host *h, const char *login, int64_t *staff_id_out,
			   int *role_out)
{
	tsunagu_store_staff *s = NULL;
	int rc = calls_ready(h);
	if (rc)
		return rc;
	if (!login || !*login || !staff_id_out)
		return -EINVAL;
	rc = tsunagu_store_staff_get_by_login(h->core->store, login, &s);
	if (rc == 0 && s->disabled)
		rc = -ENOENT;
	if (rc == 0) {
		*staff_id_out = s->id;
		if (role_out)
			*role_out = (int)s->role; /* the same numbers as tsunagu_plugin_role */
	}
	tsunagu_store_staff_free(s);
	return rc;
}

void tsunagu_host_calls_fill(tsunagu_host_api *api)
{
	api->call_incoming = host_call_incoming;
	api->call_answered = host_call_answered;
	api->call_rejected = host_call_rejected;
	api->call_ended = host_call_ended;
	api->call_missed = host_call_missed;
	api->staff_find = host_staff_find;
	/* guidance_path stays NULL until the guidance store fills it in */
}

/* ---- what the engine asks ------------------------------------------------------- */

/* The running calls plugin that owns channel, or NULL. */
static tsunagu_host *call_owner(tsunagu_plugins *p, const char *channel)
{
	for (guint i = 0; i < p->loaded->len; i++) {
		tsunagu_host *h = p->loaded->pdata[i];
		if (calls_ready(h) == 0 && owns_channel(h, channel))
			return h;
	}
	return NULL;
}

/* After the plugin refused a RING or DIAL: the phone declined. */
static void refused(tsunagu_plugins *p, const call_request *q, int rc)
{
	tlog_warn("call %" G_GINT64_FORMAT ": the channel refused to ring staff %" G_GINT64_FORMAT
		  ": %s", q->call_id, q->staff_id, g_strerror(rc < 0 ? -rc : rc));
	int ret = tsunagu_router_call_rejected(p->core->router, q->call_id, q->staff_id);
	if (ret < 0 && ret != -ENOENT && ret != -EPIPE)
		tlog_warn("call %" G_GINT64_FORMAT " not moved on: %s", q->call_id,
			  g_strerror(-ret));
}

static void dispatch(tsunagu_plugins *p, const call_request *q)
{
	tsunagu_store *store = p->core->store;
	tsunagu_store_call *c = NULL;
	tsunagu_store_conversation *conv = NULL;
	char *login = NULL, *remote = NULL;

	if (tsunagu_store_call_get(store, q->call_id, &c) < 0 ||
	    tsunagu_store_conversation_get(store, c->conversation_id, &conv) < 0)
		goto out;
	tsunagu_host *h = call_owner(p, conv->channel);
	if (!h)
		goto out; /* no phone channel runs: nobody to tell */
	own_call_add(h, c->id);
	if (q->staff_id > 0 && tsunagu_store_staff_login(store, q->staff_id, &login) < 0)
		goto out;
	/* the customer's number on the channel: the caller, or whom to dial */
	if (tsunagu_store_contact_identity_get(store, conv->contact_id, conv->channel, &remote) <
	    0)
		remote = NULL;
	bool to_staff = q->kind == TSUNAGU_PLUGIN_CALL_EV_RING ||
			q->kind == TSUNAGU_PLUGIN_CALL_EV_STOP_RING ||
			q->kind == TSUNAGU_PLUGIN_CALL_EV_DIAL;
	tsunagu_plugin_call_event ev = {
		.struct_size = sizeof ev,
		.kind = q->kind,
		.call_id = c->id,
		.conversation = conv->public_id,
		.channel = conv->channel,
		.staff_id = to_staff ? q->staff_id : 0,
		.staff_login = to_staff ? login : NULL,
		.remote_id = remote,
		.provider_call_id = c->provider_call_id,
		.reason = q->reason,
	};
	int rc = h->desc.call_event(h->state, &ev);
	if (rc && (q->kind == TSUNAGU_PLUGIN_CALL_EV_RING || q->kind == TSUNAGU_PLUGIN_CALL_EV_DIAL))
		refused(p, q, rc);
out:
	g_free(remote);
	g_free(login);
	tsunagu_store_conversation_free(conv);
	tsunagu_store_call_free(c);
}

/* GLib idle on the loop: hands the queued requests over, in order. */
static gboolean dispatch_queued(gpointer data)
{
	tsunagu_plugins *p = data;
	call_request *q;
	p->calls_idle = 0;
	/* requests made while dispatching (a refused RING rings the next
	 * phone) join the queue and are handed over in this same run */
	while ((q = g_queue_pop_head(p->call_requests))) {
		dispatch(p, q);
		call_request_free(q);
	}
	return G_SOURCE_REMOVE;
}

static int64_t payload_int(json_t *payload, const char *key)
{
	return json_integer_value(json_object_get(payload, key));
}

/* Event bus subscriber. Loop thread, after the commit; ev borrowed. */
static void on_event(const tsunagu_store_event *ev, void *user_data)
{
	tsunagu_plugins *p = user_data;
	static const struct {
		const char *type;
		uint32_t kind;
	} map[] = {
		{"call.offered", TSUNAGU_PLUGIN_CALL_EV_RING},
		{"call.ring_stopped", TSUNAGU_PLUGIN_CALL_EV_STOP_RING},
		{"call.hangup", TSUNAGU_PLUGIN_CALL_EV_HANGUP},
		{"call.dialing", TSUNAGU_PLUGIN_CALL_EV_DIAL},
		{"call.missed", TSUNAGU_PLUGIN_CALL_EV_MISSED},
	};
	uint32_t kind = 0;

	if (strncmp(ev->type, "call.", 5) != 0)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(map) && !kind; i++)
		if (strcmp(ev->type, map[i].type) == 0)
			kind = map[i].kind;
	if (!kind)
		return;
	json_t *payload = tsunagu_events_payload(p->core->events, ev); /* borrowed */
	const char *by = json_string_value(json_object_get(payload, "by"));
	/* the channel reported this miss itself: nothing to ask of it */
	if (kind == TSUNAGU_PLUGIN_CALL_EV_MISSED && (!by || strcmp(by, "engine") != 0))
		return;
	call_request *q = g_new0(call_request, 1);
	q->kind = kind;
	q->call_id = payload_int(payload, "call");
	q->staff_id = payload_int(payload, "staff");
	q->reason = g_strdup(json_string_value(json_object_get(payload, "reason")));
	g_queue_push_tail(p->call_requests, q);
	if (!p->calls_idle) {
		GSource *src = g_idle_source_new();
		/* The store's group commit (which delivers these events) runs
		 * at DEFAULT: at the idle priority the hand-over waited for an
		 * iteration of its own (~15 us of prepare/check/poll, a few
		 * per call); at DEFAULT it shares the next one. Still a later
		 * iteration than the commit, so the order above holds. */
		g_source_set_priority(src, G_PRIORITY_DEFAULT);
		g_source_set_callback(src, dispatch_queued, p, NULL);
		g_source_set_static_name(src, "tsunagu-call-events");
		p->calls_idle = g_source_attach(src, p->core->context);
		g_source_unref(src);
	}
}

void tsunagu_host_calls_subscribe(tsunagu_plugins *p)
{
	p->call_requests = g_queue_new();
	if (p->core && p->core->events)
		p->calls_subscription = tsunagu_events_subscribe(p->core->events, on_event, p);
}

void tsunagu_host_calls_unsubscribe(tsunagu_plugins *p)
{
	if (p->calls_subscription && p->core->events)
		tsunagu_events_unsubscribe(p->core->events, p->calls_subscription);
	p->calls_subscription = 0;
	if (p->calls_idle) {
		GSource *src = g_main_context_find_source_by_id(p->core->context, p->calls_idle);
		if (src)
			g_source_destroy(src);
	}
	p->calls_idle = 0;
	if (p->call_requests)
		g_queue_free_full(p->call_requests, call_request_free);
	p->call_requests = NULL;
}
