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
 * An operator qualifies when their status is 'available', their account is
 * enabled and open_chats < chat_capacity. The count is kept by the store in
 * the writing transaction, so conversations placed in the same loop
 * iteration (one batch) see each other and never push anyone past capacity.
 * Supervisors may assign by hand beyond capacity (tsunagu_router_assign).
 *
 * Methods: longest_idle (the earliest of max(last assignment, became
 * available)), fewest_handled (fewest assignments today, then idle),
 * round_robin (a fixed order by staff id after the last one this route
 * assigned, persisted; an unavailable operator is skipped), ring_all (for
 * chats, longest_idle: a chat goes to one operator; calls will ring all).
 *
 * Extension points for the full engine (issue 4): route_resolve() turns a
 * target into a route (phone capacity and inquiry types filter in the store
 * pick); tsunagu_store_pick carries exclude ids (offers declined, "exclude"
 * of workflow assigns); the round-robin pointer is per route in settings
 * (namespace "router"), where the seed's "returns to its place" ordering
 * can keep its state.
 *
 * Every assignment emits conversation.assigned {conversation, staff, by:
 * "router" | staff id, from?}; a conversation left waiting emits
 * conversation.waiting {conversation, reason}; status and capacity changes
 * emit staff.status_changed {staff, status, previous, reason} and
 * staff.capacity_changed {staff, chat_capacity, previous}, with the staff
 * member who made them as the event's actor (the audit record).
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

/* Sets a status; reason is "manual", "login" or "logout" (in the event);
 * by_staff_id 0 for the system. No event when it does not change. */
int tsunagu_router_set_status(tsunagu_router *router, int64_t staff_id,
			      tsunagu_staff_status status, int64_t by_staff_id, const char *reason);
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
