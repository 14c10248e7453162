/* Calls from phone channels as the domain sees them: a new inbound call
 * becomes a phone conversation with a decision (queued, not in operation,
 * queue full), the admin's call queue limit, and call-backs (TEL-1). The
 * call's life after that is the router's (router_calls.c). */
#define TSUNAGU_LOG_TOPIC "domain"
#include <errno.h>
#include <string.h>

#include "domain_private.h"
#include "events.h"
#include "log.h"
#include "router.h"
#include "rules.h"

#define CALLS_NS "calls"
#define QUEUE_LIMIT_KEY "queue_limit"
#define ID_MAX 256
#define VISITOR_MAX (16 * 1024)

typedef struct {
	tsunagu_call_arrival_cb cb;
	void *user_data;
	int status;
	char *public_id;
	int64_t call_id;
	int disposition;
} arrival_ack;

static void arrival_committed(int status, void *p)
{
	arrival_ack *a = p;
	int st = status < 0 ? status : a->status;
	a->cb(st, st == 0 || st == -EEXIST ? a->public_id : NULL, a->call_id,
	      st == 0 ? a->disposition : 0, a->user_data);
	g_free(a->public_id);
	g_free(a);
}

static void ack_after_commit(tsunagu_domain *d, int status, const char *public_id,
			     int64_t call_id, int disposition, tsunagu_call_arrival_cb cb,
			     void *user_data)
{
	arrival_ack *a = g_new0(arrival_ack, 1);
	*a = (arrival_ack){cb, user_data, status, g_strdup(public_id), call_id, disposition};
	tsunagu_store_on_commit(d->core->store, arrival_committed, a);
}

static bool text_ok(const char *s, bool required)
{
	if (!s)
		return !required;
	size_t n = strlen(s);
	return (n > 0 || !required) && n <= ID_MAX && g_utf8_validate(s, (gssize)n, NULL);
}

int64_t tsunagu_domain_call_queue_limit(tsunagu_domain *domain)
{
	char *text = NULL;
	int64_t limit = TSUNAGU_CALL_QUEUE_LIMIT_DEFAULT;
	if (domain && tsunagu_store_setting_get(domain->core->store, CALLS_NS, QUEUE_LIMIT_KEY,
						&text) == 0 &&
	    (!tsunagu_conf_parse_int(text, &limit) || limit < 0))
		limit = TSUNAGU_CALL_QUEUE_LIMIT_DEFAULT; /* not ours: written by hand */
	g_free(text);
	return limit;
}

int tsunagu_domain_call_set_queue_limit(tsunagu_domain *domain, int64_t limit,
					int64_t staff_id)
{
	if (!domain || limit < 0 || limit > TSUNAGU_CALL_QUEUE_LIMIT_MAX)
		return -EINVAL;
	int64_t previous = tsunagu_domain_call_queue_limit(domain);
	unsigned mark = tsunagu_events_mark(domain->core->events);
	char *text = g_strdup_printf("%" G_GINT64_FORMAT, limit);
	int ret = tsunagu_store_atomic_begin(domain->core->store);
	if (ret < 0)
		goto out;
	ret = tsunagu_store_setting_set(domain->core->store, CALLS_NS, QUEUE_LIMIT_KEY, text);
	if (ret == 0) {
		json_t *p = json_pack("{s:I, s:I}", "queue_limit", (json_int_t)limit, "previous",
				      (json_int_t)previous);
		ret = tsunagu_events_emit(domain->core->events, "calls.settings_changed", 0,
					  staff_id, p, NULL);
		json_decref(p);
	}
	if (ret < 0) {
		tsunagu_store_atomic_end(domain->core->store, false);
		tsunagu_events_rollback_to(domain->core->events, mark);
	} else {
		ret = tsunagu_store_atomic_end(domain->core->store, true);
	}
out:
	g_free(text);
	return ret;
}

/* Not in operation, queue full or queued: read before any write. */
static int decide(tsunagu_domain *d, const char *channel, int *disposition)
{
	bool open = true;
	int64_t waiting = 0, limit;
	int ret = tsunagu_rules_business_hours(d->core->rules, channel, tsunagu_core_now_us(),
					       &open);
	if (ret == 0 && !open) {
		*disposition = TSUNAGU_CALL_NOT_IN_OPERATION;
		return 0;
	}
	limit = tsunagu_domain_call_queue_limit(d);
	ret = limit > 0 ? tsunagu_store_calls_waiting_count(d->core->store, &waiting) : 0;
	if (ret < 0)
		return ret;
	*disposition = limit > 0 && waiting >= limit ? TSUNAGU_CALL_QUEUE_FULL : TSUNAGU_CALL_QUEUED;
	return 0;
}

static const char *disposition_text(int disposition)
{
	switch (disposition) {
	case TSUNAGU_CALL_NOT_IN_OPERATION:
		return "notInOperation";
	case TSUNAGU_CALL_QUEUE_FULL:
		return "noOperator";
	default:
		return "queued";
	}
}

/* The repeat of a call already stored: its id and conversation. */
static int repeated(tsunagu_domain *d, const char *provider_call_id,
		    tsunagu_call_arrival_cb cb, void *user_data)
{
	tsunagu_store_call *c = NULL;
	tsunagu_store_conversation *conv = NULL;
	int ret = tsunagu_store_call_by_provider(d->core->store, provider_call_id, &c);
	if (ret == 0)
		ret = tsunagu_store_conversation_get(d->core->store, c->conversation_id, &conv);
	if (ret == 0)
		ack_after_commit(d, -EEXIST, conv->public_id, c->id, 0, cb, user_data);
	tsunagu_store_conversation_free(conv);
	tsunagu_store_call_free(c);
	return ret;
}

int tsunagu_domain_call_incoming(tsunagu_domain *domain, const tsunagu_call_arrival *in,
				 tsunagu_call_arrival_cb cb, void *user_data)
{
	tsunagu_store *store = domain ? domain->core->store : NULL;
	tsunagu_store_conversation *conv = NULL;
	int64_t contact_id = 0, conv_id = 0, call_id = 0;
	int disposition = 0;
	bool created = false;
	unsigned mark;
	int ret;

	if (!domain || !in || !cb || !domain_channel_name_valid(in->channel) ||
	    !text_ok(in->caller_id, true) || !text_ok(in->caller_name, false) ||
	    !text_ok(in->line, false) || !text_ok(in->provider_call_id, true) ||
	    (in->visitor_json && (strlen(in->visitor_json) > VISITOR_MAX ||
				  !domain_visitor_valid(in->visitor_json))))
		return -EINVAL;
	if (domain->core->state >= TSUNAGU_CORE_DRAINING)
		return -ESHUTDOWN;
	if (!domain->core->router)
		return -ENODEV;
	ret = repeated(domain, in->provider_call_id, cb, user_data);
	if (ret != -ENOENT)
		return ret;
	ret = decide(domain, in->channel, &disposition);
	if (ret < 0)
		return ret;

	mark = tsunagu_events_mark(domain->core->events);
	ret = tsunagu_store_atomic_begin(store);
	if (ret < 0)
		return ret;
	ret = tsunagu_store_contact_identity(store, in->channel, in->caller_id, in->caller_name,
					     &contact_id, &created);
	if (ret == 0)
		ret = domain_open_conversation(domain, in->channel, contact_id, in->visitor_json,
					       &conv_id, &conv);
	if (ret == 0) {
		tsunagu_router_call_info info = {
			.provider_call_id = in->provider_call_id,
			.line = in->line,
			.disposition = disposition_text(disposition),
		};
		ret = tsunagu_router_call_arrive(domain->core->router, conv_id, &info, &call_id);
	}
	if (ret < 0) {
		tsunagu_store_atomic_end(store, false);
		tsunagu_events_rollback_to(domain->core->events, mark);
		tlog_warn("call %s on %s not taken: %s", in->provider_call_id, in->channel,
			  g_strerror(-ret));
	} else {
		ret = tsunagu_store_atomic_end(store, true);
		if (ret == 0)
			ack_after_commit(domain, 0, conv->public_id, call_id, disposition, cb,
					 user_data);
	}
	tsunagu_store_conversation_free(conv);
	return ret;
}

int tsunagu_domain_call_back(tsunagu_domain *domain, int64_t missed_conversation_id,
			     int64_t staff_id, int64_t *conversation_id_out,
			     int64_t *call_id_out)
{
	tsunagu_store *store = domain ? domain->core->store : NULL;
	tsunagu_store_conversation *missed = NULL, *conv = NULL;
	tsunagu_store_call *c = NULL;
	int64_t conv_id = 0, call_id = 0;
	unsigned mark = 0;
	bool unit = false;
	int ret;

	if (!domain || staff_id <= 0 || !domain->core->router)
		return -EINVAL;
	ret = tsunagu_store_conversation_get(store, missed_conversation_id, &missed);
	if (ret < 0)
		goto out;
	ret = tsunagu_store_call_of_conversation(store, missed->id, &c);
	if (ret == -ENOENT || (ret == 0 && strcmp(missed->channel, "phone") != 0))
		ret = -EINVAL;
	else if (ret == 0 && (!c->missed_reason || strcmp(c->state, "ended") != 0))
		ret = -EPIPE;
	if (ret < 0)
		goto out;
	mark = tsunagu_events_mark(domain->core->events);
	ret = tsunagu_store_atomic_begin(store);
	unit = ret == 0;
	if (ret == 0)
		ret = tsunagu_store_conversation_create(store, missed->channel, missed->contact_id,
							&conv_id);
	if (ret == 0)
		ret = tsunagu_store_conversation_get(store, conv_id, &conv);
	if (ret == 0) {
		json_t *p = json_pack("{s:s, s:s, s:s}", "conversation", conv->public_id, "channel",
				      conv->channel, "linked", missed->public_id);
		ret = tsunagu_events_emit(domain->core->events, "conversation.created", conv_id,
					  staff_id, p, NULL);
		json_decref(p);
	}
	if (ret == 0)
		ret = tsunagu_router_call_back(domain->core->router, conv_id, staff_id, missed->id,
					       &call_id);
out:
	if (unit && ret < 0) {
		tsunagu_store_atomic_end(store, false);
		tsunagu_events_rollback_to(domain->core->events, mark);
	} else if (unit) {
		ret = tsunagu_store_atomic_end(store, true);
	}
	if (ret == 0 && conversation_id_out)
		*conversation_id_out = conv_id;
	if (ret == 0 && call_id_out)
		*call_id_out = call_id;
	tsunagu_store_call_free(c);
	tsunagu_store_conversation_free(conv);
	tsunagu_store_conversation_free(missed);
	return ret;
}
