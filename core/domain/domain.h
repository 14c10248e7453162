/* The domain: conversations and messages as channels and staff see them.
 * Channel plugins hand inbound customer messages here; operators' replies go
 * out through the channel that owns the conversation. Every change is stored
 * and emitted as an event; acknowledgements wait for the commit.
 * Thread: loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "store.h"

/* A customer message arriving on a channel. All strings borrowed. */
typedef struct {
	const char *channel;       /* the channel's name (the plugin's) */
	const char *sender_id;     /* the customer's identity on that channel */
	const char *sender_name;   /* may be NULL */
	const char *text;          /* UTF-8, non-empty */
	const char *provider_message_id; /* may be NULL; dedups retries */
	/* May be NULL. What the channel knows of the visitor, as a JSON object
	 * text (page_url, referrer, browser, os, language, ip, department,
	 * utm {source, medium, campaign}: RULES.md c.visitor). Stored on the
	 * conversation before the route rules run, replacing what was there. */
	const char *visitor_json;
} tsunagu_inbound_message;

/* After the commit: status 0 and where it went; or -EEXIST for a retry of a
 * message already stored (still a success to acknowledge; message_id is the
 * stored one, conversation_id 0 and conversation_public_id NULL); or another
 * negative errno when it was not stored. Strings borrowed for the call. */
typedef void (*tsunagu_inbound_cb)(int status, int64_t conversation_id,
				   const char *conversation_public_id, int64_t message_id,
				   void *user_data);

/* Outbound delivery to a channel: called (loop thread) for every message of
 * kind operator/system in a conversation of that channel, after it is
 * committed. Notes and drafts never reach it. Strings borrowed for the call.
 * Return 0 or a negative errno (logged, and emitted as message.failed). */
typedef int (*tsunagu_deliver_fn)(const char *channel, const char *recipient_id,
				  const char *conversation_public_id, int64_t message_id,
				  tsunagu_msg_kind kind, const char *text, void *user_data);

int tsunagu_domain_new(tsunagu_core *core, tsunagu_domain **out);
void tsunagu_domain_free(tsunagu_domain *domain);

/* -EEXIST when another owner has the channel name. */
int tsunagu_domain_register_channel(tsunagu_domain *domain, const char *channel,
				    tsunagu_deliver_fn deliver, void *user_data, const void *owner);
void tsunagu_domain_unregister_owner(tsunagu_domain *domain, const void *owner);

/* Stores the message in the contact's active conversation on that channel
 * (or a new one, which goes through the route rules), emits
 * conversation.created / message.customer, then calls cb after the commit.
 * Returns 0 (cb will run) or a negative errno (cb will not run). */
int tsunagu_domain_inbound(tsunagu_domain *domain, const tsunagu_inbound_message *msg,
			   tsunagu_inbound_cb cb, void *user_data);

/* A message written by staff (or the system when staff_id is 0). kind is
 * operator, note, or system. Customer-facing kinds are delivered through the
 * channel after the commit. *message_id_out may be NULL. cb may be NULL. */
int tsunagu_domain_post(tsunagu_domain *domain, int64_t conversation_id, int64_t staff_id,
			tsunagu_msg_kind kind, const char *text, int64_t *message_id_out,
			tsunagu_store_commit_cb cb, void *user_data);

/* Operator joins a conversation (CONV-2): becomes a participant; an unassigned
 * conversation is assigned to them and opened. */
int tsunagu_domain_join(tsunagu_domain *domain, int64_t conversation_id, int64_t staff_id);

/* Conversation lifecycle (CONV-1), by staff_id (0: the system). Each is one
 * atomic unit with its event (conversation.closed / .snoozed / .reopened
 * {conversation, by}); closing and snoozing free the assignee's capacity
 * (the router then offers them waiting conversations).
 * close: any state but closed (-EALREADY when closed).
 * snooze: open, waiting or close_requested (-EALREADY when snoozed, -EPIPE
 * when closed); until_us > 0 sets a durable wake-up (reopen) at that time.
 * reopen: closed or snoozed (-EALREADY otherwise): back to open with its
 * assignee, or to the waiting list (and the router) without one. */
int tsunagu_domain_close(tsunagu_domain *domain, int64_t conversation_id, int64_t staff_id);
int tsunagu_domain_snooze(tsunagu_domain *domain, int64_t conversation_id, int64_t staff_id,
			  int64_t until_us);
int tsunagu_domain_reopen(tsunagu_domain *domain, int64_t conversation_id, int64_t staff_id);

/* ---- calls from phone channels (domain_calls.c; docs/routing.md, Calls) ---- */

/* An inbound call arriving on a phone channel. All strings borrowed. */
typedef struct {
	const char *channel;          /* "phone": the call engine's channel */
	const char *caller_id;        /* the customer's identity on it: the contact */
	const char *caller_name;      /* may be NULL */
	const char *line;             /* the number or trunk called; may be NULL */
	const char *provider_call_id; /* required, unique: a repeat is -EEXIST */
	const char *visitor_json;     /* may be NULL; as tsunagu_inbound_message */
} tsunagu_call_arrival;

/* What the engine decided for a new call (numbers as the SDK's
 * tsunagu_plugin_call_disposition). */
typedef enum {
	TSUNAGU_CALL_QUEUED = 1,           /* queued; phones ring */
	TSUNAGU_CALL_NOT_IN_OPERATION = 2, /* outside business hours: never rung */
	TSUNAGU_CALL_QUEUE_FULL = 3,       /* over the queue limit: never rung */
} tsunagu_call_disposition;

/* After the commit. status 0: conversation (public id, borrowed for the
 * call), call_id and disposition; -EEXIST: provider_call_id is already the
 * call call_id (disposition 0, conversation its conversation's); another
 * negative errno: nothing stored. */
typedef void (*tsunagu_call_arrival_cb)(int status, const char *conversation, int64_t call_id,
					int disposition, void *user_data);

/* Finds or creates the contact (caller_id on channel), opens a NEW phone
 * conversation through the route rules, and decides: not in operation
 * when the rules' business_hours { } declaration says the channel is
 * closed now (no declaration: always open), queue full when the inbound
 * calls queued or ringing already reach the queue limit, else queued and
 * rung by the router. One atomic unit; cb after the commit. Returns 0 (cb
 * will run) or a negative errno (-EINVAL bad input, -ESHUTDOWN draining). */
int tsunagu_domain_call_incoming(tsunagu_domain *domain, const tsunagu_call_arrival *in,
				 tsunagu_call_arrival_cb cb, void *user_data);

/* The admin's call queue limit (settings "calls"/"queue_limit"): 0 means
 * unlimited; TSUNAGU_CALL_QUEUE_LIMIT_DEFAULT when unset. */
#define TSUNAGU_CALL_QUEUE_LIMIT_DEFAULT 10
#define TSUNAGU_CALL_QUEUE_LIMIT_MAX 100000
int64_t tsunagu_domain_call_queue_limit(tsunagu_domain *domain);
/* 0..TSUNAGU_CALL_QUEUE_LIMIT_MAX (-EINVAL otherwise); event
 * calls.settings_changed {queue_limit, previous} by staff_id. */
int tsunagu_domain_call_set_queue_limit(tsunagu_domain *domain, int64_t limit,
					int64_t staff_id);

/* A call-back (TEL-1) of the phone conversation missed_conversation_id
 * whose newest call was missed: a NEW phone conversation of the same
 * contact, linked to it, assigned to staff_id, with an outbound call
 * (call.dialing: the channel rings staff_id's phone, then dials the
 * customer). -ENOENT unknown, -EINVAL not a phone conversation, -EPIPE
 * its call was not missed. *conversation_id_out, *call_id_out may be NULL. */
int tsunagu_domain_call_back(tsunagu_domain *domain, int64_t missed_conversation_id,
			     int64_t staff_id, int64_t *conversation_id_out,
			     int64_t *call_id_out);
