/* Conversations and messages: what channels hand in and staff write.
 * Every operation writes all of its rows and events or none of them
 * (tsunagu_store_atomic_*), and answers only after the commit. */
#define TSUNAGU_LOG_TOPIC "domain"
#include "domain.h"

#include <errno.h>
#include <string.h>

#include "conversation_view.h"
#include "domain_private.h"
#include "events.h"
#include "log.h"
#include "router.h"
#include "rules.h"

/* Longest message text accepted from any channel or staff member. */
#define MAX_TEXT_BYTES (64 * 1024)
#define MAX_VISITOR_BYTES (16 * 1024)

typedef struct {
	char *name;
	tsunagu_deliver_fn deliver;
	void *user_data;
	const void *owner;
} channel_reg;

static void channel_reg_free(void *p)
{
	channel_reg *c = p;
	g_free(c->name);
	g_free(c);
}

int tsunagu_domain_new(tsunagu_core *core, tsunagu_domain **out)
{
	tsunagu_domain *d = g_new0(tsunagu_domain, 1);
	d->core = core;
	d->channels = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, channel_reg_free);
	*out = d;
	return 0;
}

void tsunagu_domain_free(tsunagu_domain *domain)
{
	if (!domain)
		return;
	g_hash_table_unref(domain->channels);
	g_free(domain);
}

bool domain_channel_name_valid(const char *name)
{
	if (!name || !*name || strlen(name) > 32)
		return false;
	for (const char *p = name; *p; p++)
		if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '_' && *p != '-')
			return false;
	return true;
}

int tsunagu_domain_register_channel(tsunagu_domain *domain, const char *channel,
				    tsunagu_deliver_fn deliver, void *user_data, const void *owner)
{
	if (!domain_channel_name_valid(channel) || !deliver)
		return -EINVAL;
	channel_reg *old = g_hash_table_lookup(domain->channels, channel);
	if (old && old->owner != owner)
		return -EEXIST;
	channel_reg *c = g_new0(channel_reg, 1);
	c->name = g_strdup(channel);
	c->deliver = deliver;
	c->user_data = user_data;
	c->owner = owner;
	g_hash_table_replace(domain->channels, c->name, c);
	tlog_info("channel %s registered", channel);
	return 0;
}

static gboolean owned_by(void *key, void *value, void *owner)
{
	return ((channel_reg *)value)->owner == owner;
}

void tsunagu_domain_unregister_owner(tsunagu_domain *domain, const void *owner)
{
	g_hash_table_foreach_remove(domain->channels, owned_by, (void *)owner);
}

/* A JSON object of at most MAX_VISITOR_BYTES. Parsed only when it is going
 * to be written: a channel sends the same visitor with every message. */
bool domain_visitor_valid(const char *visitor_json)
{
	json_t *v = json_loads(visitor_json, JSON_REJECT_DUPLICATES, NULL);
	bool ok = json_is_object(v);
	json_decref(v);
	return ok;
}

static bool text_valid(const char *text)
{
	size_t len = text ? strlen(text) : 0;
	return len > 0 && len <= MAX_TEXT_BYTES && g_utf8_validate(text, (gssize)len, NULL);
}

/* The event of a stored message; its payload is composed as text
 * (tsunagu_event_message_payload), not packed and dumped: it is the one
 * event of every chat message. */
static int emit_message(tsunagu_events *events, const char *type,
			const tsunagu_store_conversation *conv, int64_t msg_id, const char *kind,
			int64_t author, const char *text)
{
	char *p = tsunagu_event_message_payload(conv->public_id, conv->channel, msg_id, kind,
						author, text);
	int ret = tsunagu_events_emit_text(events, type, conv->id, author, p, NULL);

	g_free(p);
	return ret;
}

/* ---- inbound ------------------------------------------------------------- */

typedef struct {
	tsunagu_inbound_cb cb;
	void *user_data;
	int status;
	int64_t conversation_id;
	char *public_id;
	int64_t message_id;
} inbound_ack;

static void inbound_committed(int status, void *p)
{
	inbound_ack *a = p;
	a->cb(status < 0 ? status : a->status, a->conversation_id, a->public_id, a->message_id,
	      a->user_data);
	g_free(a->public_id);
	g_free(a);
}

int domain_open_conversation(tsunagu_domain *d, const char *channel, int64_t contact_id,
			     const char *visitor_json, int64_t *conv_id,
			     tsunagu_store_conversation **conv_out)
{
	tsunagu_store *store = d->core->store;
	int ret;

	/* Writing a visitor changes the row again (updated_at): read it back. */
	if (visitor_json) {
		ret = tsunagu_store_conversation_create(store, channel, contact_id, conv_id);
		if (ret == 0)
			ret = tsunagu_store_conversation_set_visitor(store, *conv_id, visitor_json);
		if (ret == 0)
			ret = tsunagu_store_conversation_get(store, *conv_id, conv_out);
	} else {
		ret = tsunagu_store_conversation_open(store, channel, contact_id, conv_out);
		if (ret == 0)
			*conv_id = (*conv_out)->id;
	}
	if (ret < 0)
		return ret;
	json_t *payload = json_pack("{s:s, s:s}", "conversation", (*conv_out)->public_id,
				    "channel", channel);
	ret = tsunagu_events_emit(d->core->events, "conversation.created", *conv_id, 0, payload,
				  NULL);
	json_decref(payload);
	if (ret < 0 || (!d->core->rules && !d->core->router))
		return ret;

	json_t *view = tsunagu_conversation_view_new(d->core, *conv_out);
	tsunagu_route_decision *dec = tsunagu_rules_route(d->core->rules, view);
	json_decref(view);
	if (!dec)
		return 0;
	json_t *errors = json_array();
	for (unsigned i = 0; dec->errors && i < dec->errors->len; i++)
		json_array_append_new(errors, json_string(dec->errors->pdata[i]));
	payload = json_pack("{s:s, s:s, s:s?, s:i, s:O?, s:s?, s:o}", "conversation",
			    (*conv_out)->public_id, "rule", dec->rule_name, "file", dec->rule_file,
			    "line", dec->rule_line, "target", dec->target, "method", dec->method,
			    "errors", errors);
	ret = tsunagu_events_emit(d->core->events, "route.decided", *conv_id, 0, payload, NULL);
	json_decref(payload);
	if (ret == 0 && d->core->router)
		ret = tsunagu_router_place(d->core->router, *conv_out, dec->target, dec->method,
					   NULL);
	tsunagu_route_decision_free(dec);
	return ret;
}

int tsunagu_domain_inbound(tsunagu_domain *domain, const tsunagu_inbound_message *msg,
			   tsunagu_inbound_cb cb, void *user_data)
{
	tsunagu_store *store = domain->core->store;
	tsunagu_events *events = domain->core->events;
	tsunagu_store_conversation *conv = NULL;
	int64_t contact_id = 0, conv_id = 0, msg_id = 0;
	bool created = false;
	int ret;

	if (!msg || !cb || !domain_channel_name_valid(msg->channel) || !msg->sender_id ||
	    !*msg->sender_id || strlen(msg->sender_id) > 256 ||
	    !g_utf8_validate(msg->sender_id, -1, NULL) || !text_valid(msg->text) ||
	    (msg->sender_name && !g_utf8_validate(msg->sender_name, -1, NULL)) ||
	    (msg->provider_message_id && strlen(msg->provider_message_id) > 256) ||
	    (msg->visitor_json && strlen(msg->visitor_json) > MAX_VISITOR_BYTES))
		return -EINVAL;
	if (domain->core->state >= TSUNAGU_CORE_DRAINING)
		return -ESHUTDOWN;

	unsigned mark = tsunagu_events_mark(events);
	ret = tsunagu_store_atomic_begin(store);
	if (ret < 0)
		return ret;
	/* One read for a known sender; a new one is created, with no
	 * conversation yet. */
	ret = tsunagu_store_conversation_of_identity(store, msg->channel, msg->sender_id,
						     &contact_id, &conv);
	if (ret == -ENOENT)
		ret = tsunagu_store_contact_identity(store, msg->channel, msg->sender_id,
						     msg->sender_name, &contact_id, &created);
	if (ret < 0)
		goto out;
	if (!conv) {
		ret = msg->visitor_json && !domain_visitor_valid(msg->visitor_json) ? -EINVAL : 0;
		if (ret == 0)
			ret = domain_open_conversation(domain, msg->channel, contact_id, msg->visitor_json,
						&conv_id, &conv);
	} else {
		conv_id = conv->id;
		if (msg->visitor_json && g_strcmp0(conv->visitor_json, msg->visitor_json) != 0)
			ret = domain_visitor_valid(msg->visitor_json)
				      ? tsunagu_store_conversation_set_visitor(store, conv_id,
									       msg->visitor_json)
				      : -EINVAL;
	}
	if (ret < 0)
		goto out;

	ret = tsunagu_store_message_insert(store, conv_id, TSUNAGU_MSG_CUSTOMER, 0, msg->text,
					   msg->provider_message_id, &msg_id);
	if (ret == -EEXIST) {
		/* A retry of a stored message: acknowledge again and keep nothing
		 * of this attempt (not even a conversation opened for it). */
		tsunagu_store_atomic_end(store, false);
		tsunagu_events_rollback_to(events, mark);
		inbound_ack *a = g_new0(inbound_ack, 1);
		a->cb = cb;
		a->user_data = user_data;
		a->status = -EEXIST;
		a->message_id = msg_id;
		tsunagu_store_on_commit(store, inbound_committed, a);
		tsunagu_store_conversation_free(conv);
		return 0;
	}
	if (ret < 0)
		goto out;
	if (conv->state == TSUNAGU_CONV_SNOOZED) {
		ret = tsunagu_store_conversation_set_state(store, conv_id, TSUNAGU_CONV_OPEN);
		if (ret < 0)
			goto out;
	}
	ret = emit_message(events, "message.customer", conv, msg_id, NULL, 0, msg->text);
out:
	if (ret < 0) {
		tsunagu_store_atomic_end(store, false);
		tsunagu_events_rollback_to(events, mark);
		tlog_warn("inbound message on %s not stored: %s", msg->channel, g_strerror(-ret));
	} else {
		ret = tsunagu_store_atomic_end(store, true);
		if (ret == 0) {
			inbound_ack *a = g_new0(inbound_ack, 1);
			a->cb = cb;
			a->user_data = user_data;
			a->conversation_id = conv_id;
			a->public_id = g_strdup(conv->public_id);
			a->message_id = msg_id;
			tsunagu_store_on_commit(store, inbound_committed, a);
		}
	}
	tsunagu_store_conversation_free(conv);
	return ret;
}

/* ---- staff and system messages ------------------------------------------------ */

typedef struct {
	tsunagu_domain *domain;
	int64_t conversation_id;
	int64_t contact_id;
	int64_t message_id;
	tsunagu_msg_kind kind;
	char *channel;
	char *public_id;
	char *text;
	tsunagu_store_commit_cb cb;
	void *user_data;
} post_job;

static void post_job_free(post_job *j)
{
	g_free(j->channel);
	g_free(j->public_id);
	g_free(j->text);
	g_free(j);
}

static void deliver(post_job *j)
{
	tsunagu_domain *d = j->domain;
	channel_reg *c = g_hash_table_lookup(d->channels, j->channel);
	char *recipient = NULL;
	int ret = -ENOTCONN;
	if (c) {
		ret = tsunagu_store_contact_identity_get(d->core->store, j->contact_id, j->channel,
							 &recipient);
		if (ret == 0)
			ret = c->deliver(j->channel, recipient, j->public_id, j->message_id, j->kind,
					 j->text, c->user_data);
	}
	if (ret < 0) {
		tlog_warn("message %" G_GINT64_FORMAT " not delivered on %s: %s", j->message_id,
			  j->channel, g_strerror(-ret));
		json_t *payload = json_pack("{s:s, s:I, s:s}", "conversation", j->public_id,
					    "message_id", (json_int_t)j->message_id, "reason",
					    g_strerror(-ret));
		tsunagu_events_emit(d->core->events, "message.failed", j->conversation_id, 0,
				    payload, NULL);
		json_decref(payload);
	}
	g_free(recipient);
}

static void post_committed(int status, void *p)
{
	post_job *j = p;
	if (status == 0 && (j->kind == TSUNAGU_MSG_OPERATOR || j->kind == TSUNAGU_MSG_SYSTEM))
		deliver(j);
	if (j->cb)
		j->cb(status, j->user_data);
	post_job_free(j);
}

int tsunagu_domain_post(tsunagu_domain *domain, int64_t conversation_id, int64_t staff_id,
			tsunagu_msg_kind kind, const char *text, int64_t *message_id_out,
			tsunagu_store_commit_cb cb, void *user_data)
{
	tsunagu_store *store = domain->core->store;
	tsunagu_events *events = domain->core->events;
	tsunagu_store_conversation *conv = NULL;
	int64_t msg_id = 0;
	int ret;

	if (kind != TSUNAGU_MSG_OPERATOR && kind != TSUNAGU_MSG_NOTE && kind != TSUNAGU_MSG_SYSTEM)
		return -EINVAL;
	if (!text_valid(text))
		return -EINVAL;
	ret = tsunagu_store_conversation_get(store, conversation_id, &conv);
	if (ret < 0)
		return ret;
	if (conv->state == TSUNAGU_CONV_CLOSED && kind != TSUNAGU_MSG_NOTE) {
		ret = -EPIPE;
		goto done;
	}

	unsigned mark = tsunagu_events_mark(events);
	ret = tsunagu_store_atomic_begin(store);
	if (ret < 0)
		goto done;
	ret = tsunagu_store_message_insert(store, conversation_id, kind, staff_id, text, NULL,
					   &msg_id);
	if (ret == 0) {
		char *type = g_strconcat("message.", tsunagu_msg_kind_name(kind), NULL);
		ret = emit_message(events, type, conv, msg_id, tsunagu_msg_kind_name(kind), staff_id,
				   text);
		g_free(type);
	}
	if (ret < 0) {
		tsunagu_store_atomic_end(store, false);
		tsunagu_events_rollback_to(events, mark);
		goto done;
	}
	ret = tsunagu_store_atomic_end(store, true);
	if (ret < 0)
		goto done;

	post_job *j = g_new0(post_job, 1);
	j->domain = domain;
	j->conversation_id = conversation_id;
	j->contact_id = conv->contact_id;
	j->message_id = msg_id;
	j->kind = kind;
	j->channel = g_strdup(conv->channel);
	j->public_id = g_strdup(conv->public_id);
	j->text = g_strdup(text);
	j->cb = cb;
	j->user_data = user_data;
	tsunagu_store_on_commit(store, post_committed, j);
	if (message_id_out)
		*message_id_out = msg_id;
done:
	tsunagu_store_conversation_free(conv);
	return ret;
}

int tsunagu_domain_join(tsunagu_domain *domain, int64_t conversation_id, int64_t staff_id)
{
	tsunagu_store *store = domain->core->store;
	tsunagu_events *events = domain->core->events;
	tsunagu_store_conversation *conv = NULL;
	int ret = tsunagu_store_conversation_get(store, conversation_id, &conv);
	if (ret < 0)
		return ret;
	if (conv->state == TSUNAGU_CONV_CLOSED) {
		ret = -EPIPE;
		goto done;
	}
	unsigned mark = tsunagu_events_mark(events);
	ret = tsunagu_store_atomic_begin(store);
	if (ret < 0)
		goto done;
	ret = tsunagu_store_participant_add(store, conversation_id, staff_id, "participant");
	bool assign = ret == 0 && conv->assignee_id == 0;
	if (assign) {
		ret = tsunagu_store_conversation_assign(store, conversation_id, staff_id, -1);
		if (ret == 0 && conv->state == TSUNAGU_CONV_WAITING)
			ret = tsunagu_store_conversation_set_state(store, conversation_id,
								   TSUNAGU_CONV_OPEN);
	}
	if (ret == 0) {
		json_t *payload = json_pack("{s:s, s:I}", "conversation", conv->public_id, "staff",
					    (json_int_t)staff_id);
		ret = tsunagu_events_emit(events, "conversation.joined", conversation_id, staff_id,
					  payload, NULL);
		json_object_set_new(payload, "by", json_integer(staff_id));
		if (ret == 0 && assign)
			ret = tsunagu_events_emit(events, "conversation.assigned", conversation_id,
						  staff_id, payload, NULL);
		json_decref(payload);
	}
	if (ret < 0) {
		tsunagu_store_atomic_end(store, false);
		tsunagu_events_rollback_to(events, mark);
	} else {
		ret = tsunagu_store_atomic_end(store, true);
	}
done:
	tsunagu_store_conversation_free(conv);
	return ret;
}

/* ---- lifecycle: close, snooze, reopen ------------------------------------------ */

typedef enum { LC_CLOSE, LC_SNOOZE, LC_REOPEN } lifecycle_op;

static int lifecycle(tsunagu_domain *domain, int64_t conversation_id, int64_t staff_id,
		     lifecycle_op op, int64_t until_us)
{
	static const char *const event_of[] = { "conversation.closed", "conversation.snoozed",
						 "conversation.reopened" };
	tsunagu_store *store = domain->core->store;
	tsunagu_events *events = domain->core->events;
	tsunagu_router *router = domain->core->router;
	tsunagu_store_conversation *conv = NULL;
	tsunagu_conv_state s;
	int ret = tsunagu_store_conversation_get(store, conversation_id, &conv);
	if (ret < 0)
		return ret;
	s = conv->state;
	if ((op == LC_CLOSE && s == TSUNAGU_CONV_CLOSED) ||
	    (op == LC_SNOOZE && s == TSUNAGU_CONV_SNOOZED) ||
	    (op == LC_REOPEN && s != TSUNAGU_CONV_CLOSED && s != TSUNAGU_CONV_SNOOZED)) {
		ret = -EALREADY;
		goto done;
	}
	if (op == LC_SNOOZE && s == TSUNAGU_CONV_CLOSED) {
		ret = -EPIPE;
		goto done;
	}
	unsigned mark = tsunagu_events_mark(events);
	ret = tsunagu_store_atomic_begin(store);
	if (ret < 0)
		goto done;
	json_t *payload = json_pack("{s:s, s:o}", "conversation", conv->public_id, "by",
				    staff_id ? json_integer(staff_id) : json_string("system"));
	if (op == LC_CLOSE) {
		ret = tsunagu_store_conversation_set_state(store, conversation_id,
							   TSUNAGU_CONV_CLOSED);
	} else if (op == LC_SNOOZE) {
		ret = tsunagu_store_conversation_set_state(store, conversation_id,
							   TSUNAGU_CONV_SNOOZED);
		if (ret == 0 && until_us > 0) {
			json_object_set_new(payload, "until_us", json_integer(until_us));
			ret = tsunagu_router_snooze_timer(router, conv->public_id, until_us);
		}
	} else if (conv->assignee_id || !router) {
		ret = tsunagu_store_conversation_set_state(
			store, conversation_id,
			conv->assignee_id ? TSUNAGU_CONV_OPEN : TSUNAGU_CONV_WAITING);
	}
	if (ret == 0)
		ret = tsunagu_events_emit(events, event_of[op], conversation_id, staff_id, payload,
					  NULL);
	json_decref(payload);
	/* unassigned: the router queues it and places it by its kept route */
	if (ret == 0 && op == LC_REOPEN && !conv->assignee_id && router)
		ret = tsunagu_router_requeue(router, conversation_id);
	if (ret == 0 && op != LC_SNOOZE && s == TSUNAGU_CONV_SNOOZED)
		tsunagu_router_snooze_timer(router, conv->public_id, 0);
	if (ret < 0) {
		tsunagu_store_atomic_end(store, false);
		tsunagu_events_rollback_to(events, mark);
	} else {
		ret = tsunagu_store_atomic_end(store, true);
	}
done:
	tsunagu_store_conversation_free(conv);
	return ret;
}

int tsunagu_domain_close(tsunagu_domain *domain, int64_t conversation_id, int64_t staff_id)
{
	return lifecycle(domain, conversation_id, staff_id, LC_CLOSE, 0);
}

int tsunagu_domain_snooze(tsunagu_domain *domain, int64_t conversation_id, int64_t staff_id,
			  int64_t until_us)
{
	return lifecycle(domain, conversation_id, staff_id, LC_SNOOZE, until_us);
}

int tsunagu_domain_reopen(tsunagu_domain *domain, int64_t conversation_id, int64_t staff_id)
{
	return lifecycle(domain, conversation_id, staff_id, LC_REOPEN, 0);
}
