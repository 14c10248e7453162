/* The router: puts conversations with operators (OP-5, RT-3, RT-4) — the
 * chat part of the assignment engine. See docs/routing.md.
 *
 * A new conversation's route decision (rules.h: a target and a method) is
 * resolved to a *route*: who may receive it (everyone, given staff, given
 * teams, and a preferred operator tried first: the last operator or the CRM
 * owner) and how to choose among them. The route is kept with the
 * conversation (conversations.route) so that a conversation nobody could
 * take waits (state 'waiting', waiting_since set) and is assigned later:
 * whenever capacity frees for an operator — a conversation of theirs closed
 * or snoozed, reassigned away, their status became available, their
 * capacity was raised — the router offers them the longest-waiting
 * conversations whose route admits them, up to their capacity.
 *
 * An operator qualifies for a chat when their status is 'available', their
 * account is enabled, they receive chats, open_chats < chat_capacity and no
 * call of theirs rings or talks (unless chats_during_call); for a call
 * (a conversation on the channel "phone") when they receive calls,
 * open_phone < call_capacity, and no call of theirs rings, talks or is in
 * after-call work (tsunagu_store_pick). The counts are kept by the store in
 * the writing transaction, so conversations placed in the same loop
 * iteration (one batch) see each other and never push anyone past capacity.
 * Supervisors may assign by hand beyond capacity (tsunagu_router_assign).
 *
 * Methods: longest_idle (the earliest of max(last assignment, became
 * available, after-call work ended)), fewest_handled (fewest assignments
 * today, then idle), round_robin (a fixed order by staff id; someone skipped
 * because they could not take it is owed a turn and served first when they
 * can again — seed 003; state per route in settings, namespace "router"),
 * ring_all (a call rings every eligible operator at once; a chat goes to
 * the longest idle).
 *
 * Offers (docs/routing.md): with routing.offer_timeout > 0 a chat the
 * router assigns is offered until the operator accepts it (joins, replies,
 * any action of theirs on it, or tsunagu_router_accept); a call rings for
 * routing.ring_timeout. What is not accepted in time goes to the next
 * eligible operator (not back to those tried until everyone was); after
 * routing.max_missed_offers consecutive misses the operator is set away
 * (reason missed_offers). Deadlines are kept in the store (a restart keeps
 * them) and handled by a GLib timeout or tsunagu_router_tick.
 *
 * Events: conversation.assigned {conversation, staff, by: "router" | staff
 * id, from?}; conversation.waiting {conversation, reason};
 * conversation.offered {conversation, staff, deadline}; conversation.
 * offer_missed {conversation, staff, missed}; staff.status_changed {staff,
 * status, previous, subtype, previous_subtype, reason};
 * staff.capacity_changed {staff, chat_capacity, previous};
 * staff.routing_changed {staff, changed: {...}}; calls (event
 * conversation set): call.incoming {call, direction}, call.offered {call,
 * staff}, call.answered {call, staff}, call.ended {call, staff, talk_ms},
 * call.missed {call, reason, by: "channel" | "engine"}, call.acw_ended
 * {call, staff, acw_ms}, call.ring_stopped {call, staff, reason},
 * call.hangup {call, staff, reason}, call.dialing {call, staff}. The
 * staff member who made a change is the event's actor (the audit record).
 *
 * Thread: loop thread only. Needs core->store and core->events; uses
 * core->rules (snooze wake-up timers) and core->domain when present.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "store.h"

typedef struct tsunagu_router tsunagu_router;

/* Subscribes to the event bus, handles "snooze:" timers when core->rules
 * has a timer service, and offers the waiting conversations to every
 * qualifying operator (what waited across a restart). */
int tsunagu_router_new(tsunagu_core *core, tsunagu_router **out);
void tsunagu_router_free(tsunagu_router *router);

/* Places a conversation that was just created (state waiting): resolves
 * target/method (a route decision's; target borrowed, NULL: all available,
 * method NULL: longest_idle), keeps the route with it, and either assigns
 * it (and opens it) or leaves it waiting. Its writes join the caller's
 * batch: call it inside the caller's atomic unit. *assignee_out (may be
 * NULL) gets the staff id, 0 when it waits. */
int tsunagu_router_place(tsunagu_router *router, const tsunagu_store_conversation *conv,
			 json_t *target, const char *method, int64_t *assignee_out);
/* Puts a conversation back in the waiting list (a reopened conversation
 * without an assignee) and places it again by the route it keeps. */
int tsunagu_router_requeue(tsunagu_router *router, int64_t conversation_id);

/* Offers staff_id the longest-waiting conversations whose route admits
 * them while they qualify. *assigned_out (may be NULL): how many. */
int tsunagu_router_offer(tsunagu_router *router, int64_t staff_id, unsigned *assigned_out);
/* tsunagu_router_offer for every qualifying operator, by staff id. */
int tsunagu_router_drain(tsunagu_router *router, unsigned *assigned_out);

/* A supervisor's assignment (by_staff_id): any conversation that is not
 * closed, to any enabled staff member, even beyond capacity; a waiting one
 * is opened. *over_capacity_out (may be NULL): the assignee already had
 * chat_capacity open chats or more. -ENOENT unknown conversation or staff,
 * -EPIPE closed, -EINVAL disabled staff. Assigning to the current assignee
 * changes nothing and returns 0. */
int tsunagu_router_assign(tsunagu_router *router, int64_t conversation_id, int64_t staff_id,
			  int64_t by_staff_id, bool *over_capacity_out);

/* Sets a status (its kind's default sub-type); reason is "manual",
 * "login", "logout", "missed_offers"... (in the event); by_staff_id 0 for
 * the system. No event when it does not change. */
int tsunagu_router_set_status(tsunagu_router *router, int64_t staff_id,
			      tsunagu_staff_status status, int64_t by_staff_id, const char *reason);
/* tsunagu_router_set_status with a sub-type of that kind (0: the default);
 * -EINVAL when subtype_id is of another kind, -ENOENT unknown. */
int tsunagu_router_set_presence(tsunagu_router *router, int64_t staff_id,
				tsunagu_staff_status status, int64_t subtype_id,
				int64_t by_staff_id, const char *reason);
/* Routing settings (inquiry types, call capacity, chats during call, DND;
 * -1 unchanged) with the event staff.routing_changed {staff, changed}
 * (actor by_staff_id) when something changed; offers freed capacity. */
int tsunagu_router_set_routing(tsunagu_router *router, int64_t staff_id,
			       const tsunagu_store_staff_routing *rt, int64_t by_staff_id);
/* Deletes a status sub-type; its holders move to the kind's default, each
 * with staff.status_changed (reason "subtype_deleted"). -EPERM a default. */
int tsunagu_router_subtype_delete(tsunagu_router *router, int64_t subtype_id,
				  int64_t by_staff_id);
/* 0..TSUNAGU_CHAT_CAPACITY_MAX. */
int tsunagu_router_set_capacity(tsunagu_router *router, int64_t staff_id, int capacity,
				int64_t by_staff_id);

/* Session hooks of the API: a login makes an operator (role operator)
 * available; supervisors and admins keep their status. A logout that ends
 * a staff member's last unexpired session makes them offline. router may be
 * NULL (no-op). Failures are logged: a login or logout never fails here. */
void tsunagu_router_logged_in(tsunagu_router *router, const tsunagu_store_staff *staff);
void tsunagu_router_logged_out(tsunagu_router *router, int64_t staff_id);

/* Snooze wake-ups: sets (until_us > 0) or cancels the durable timer that
 * reopens the conversation. No-op without a router or a timer service. */
int tsunagu_router_snooze_timer(tsunagu_router *router, const char *conversation_public_id,
				int64_t until_us);

/* ---- offers ------------------------------------------------------------------ */

/* Handles every pending offer whose deadline is at or before
 * tsunagu_core_now_us() (the GLib timeout calls it; tests call it with a
 * controlled clock). *handled_out (may be NULL): how many. */
int tsunagu_router_tick(tsunagu_router *router, unsigned *handled_out);
/* staff_id accepts the chat offered to them (the inbox's "accept"; joining
 * or replying does it too). -ENOENT when nothing is offered to them. */
int tsunagu_router_accept(tsunagu_router *router, int64_t conversation_id, int64_t staff_id);
/* Assigns a conversation again through the route it keeps (or target when
 * given, borrowed; the kept method stays), never to the staff in exclude
 * (GArray of int64_t, may be NULL) nor, when exclude_assignee, its current
 * assignee; it waits when nobody qualifies (and is offered as capacity
 * frees, like any waiting conversation). For workflow actions (assign,
 * reassign). -EPIPE closed, -ENOENT unknown. */
int tsunagu_router_reassign(tsunagu_router *router, int64_t conversation_id, json_t *target,
			    const GArray *exclude, bool exclude_assignee);

/* ---- the call engine (driven by the phone channel through the plugin host) -- */

/* A call on conversation_id (channel "phone", placed by the route rules
 * like any conversation): direction "inbound" queues it and rings whom its
 * kept route picks (ring_all: every eligible operator), "outbound" is an
 * operator's call (tsunagu_router_call_outbound). *call_id_out: the call. */
int tsunagu_router_call_incoming(tsunagu_router *router, int64_t conversation_id,
				 int64_t *call_id_out);
/* Where an inbound call came from (tsunagu_router_call_arrive). Borrowed. */
typedef struct {
	const char *provider_call_id; /* the channel's id; unique; may be NULL */
	const char *line;             /* the number or trunk called; may be NULL */
	/* NULL or "queued": the engine rings it; "notInOperation" or
	 * "noOperator": decided missed on arrival, never rung (the channel
	 * plays its guidance, then reports tsunagu_router_call_missed). */
	const char *disposition;
	int64_t linked_conversation_id; /* 0 */
} tsunagu_router_call_info;
/* tsunagu_router_call_incoming with where it came from (info may be NULL).
 * A route of nobody() gives up at once: missed noOperator (by "engine"). */
int tsunagu_router_call_arrive(tsunagu_router *router, int64_t conversation_id,
			       const tsunagu_router_call_info *info, int64_t *call_id_out);
/* staff_id places a call to the customer of conversation_id: assigned to
 * them, state ringing until tsunagu_router_call_answered(call, staff_id). */
int tsunagu_router_call_outbound(tsunagu_router *router, int64_t conversation_id,
				 int64_t staff_id, int64_t *call_id_out);
/* staff_id answered (their phone was ringing): talking, the conversation
 * assigned to them; every other ringing phone stops. -EPERM: it was not
 * ringing for them; -EPIPE: the call is over or already answered. */
int tsunagu_router_call_answered(tsunagu_router *router, int64_t call_id, int64_t staff_id);
/* staff_id declined (or their phone stopped ringing): the next operator
 * rings. Not counted as a missed offer (a ring timeout is). */
int tsunagu_router_call_rejected(tsunagu_router *router, int64_t call_id, int64_t staff_id);
/* Hang-up. A talking call ends (call.ended; after-call work until its
 * conversation is closed or snoozed); a queued or ringing one is missed
 * (userLeft). */
int tsunagu_router_call_ended(tsunagu_router *router, int64_t call_id);
/* The channel gives up on a call before it was answered: reason
 * "notInOperation", "noOperator", "ringTimeout" or "userLeft". The call
 * ends (call.missed) and its conversation is closed (it stays listed with
 * its call for a call-back). */
int tsunagu_router_call_missed(tsunagu_router *router, int64_t call_id, const char *reason);
/* A call-back (TEL-1): tsunagu_router_call_outbound on a new conversation
 * linked to the missed call's (linked_conversation_id). call.dialing. */
int tsunagu_router_call_back(tsunagu_router *router, int64_t conversation_id,
			     int64_t staff_id, int64_t linked_conversation_id,
			     int64_t *call_id_out);
/* The core hangs up (the inbox, or TEL-4): a talking call ends (after-call
 * work follows), an outbound call still ringing ends unanswered; event
 * call.hangup {call, staff, reason} (actor by_staff_id), then call.ended.
 * -EPIPE: not talking (nor dialing). */
int tsunagu_router_call_hangup(tsunagu_router *router, int64_t call_id, int64_t by_staff_id,
			       const char *reason);
/* An operator takes a queued or ringing inbound call from the inbox (TEL-4):
 * their own talking call is hung up first (reason "answering_other"), the
 * other phones stop ringing (reason "taken") and theirs rings
 * (call.offered), even when they would not qualify. -EPIPE: answered, over
 * or decided missed. */
int tsunagu_router_call_take(tsunagu_router *router, int64_t call_id, int64_t staff_id);
/* An operator rejects a queued or ringing call from the inbox: their phone
 * stops ringing (reason "rejected") and the next operator rings; not
 * ringing for them, they are passed over for it. -EPIPE: answered or over. */
int tsunagu_router_call_decline(tsunagu_router *router, int64_t call_id, int64_t staff_id);
