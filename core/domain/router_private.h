/* Private to the router's files (router*.c): the router itself and the
 * helpers they share. Thread: loop thread only.
 *
 * router.c         placement, supervisors' assignments, the event bus, life
 * router_waiting.c the waiting list served as capacity frees
 * router_status.c  status and sub-types, capacity and routing settings,
 *                  login and logout
 * router_rr.c      round robin as seed 003 describes it
 * router_offers.c  offers with a deadline: acceptance, no-answer, autopause
 * router_calls.c   the call engine (queued, ringing, talking, after-call work)
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "router.h"
#include "router_route.h"
#include "rules.h"

struct tsunagu_router {
	tsunagu_core *core;
	unsigned subscription;
	tsunagu_timers *timers; /* borrowed from the rules host; NULL without one */
	guint deadline_source;  /* GLib timeout for the earliest offer deadline; 0 none */
	int64_t deadline_us;    /* what deadline_source is armed for */
	/* tsunagu_store_offers_generation() when deadline_us was read; the read
	 * is skipped while it holds (deadline_read) */
	uint64_t deadline_gen;
	bool deadline_read;
	bool missing_by_channel; /* a call.missed now is the channel's report, not the engine's */
};

/* An atomic unit whose events are dropped with its writes. */
int router_unit_begin(tsunagu_router *r, unsigned *mark);
int router_unit_end(tsunagu_router *r, unsigned mark, int ret);
/* Emits type with payload (stolen) inside the caller's unit. */
int router_emit(tsunagu_router *r, const char *type, int64_t conversation_id, int64_t actor,
		json_t *payload);

/* A conversation on the channel "phone" is a call; every other is a chat. */
bool router_is_phone(const tsunagu_store_conversation *conv);
/* Whether staff id can take a conversation of the kind now. */
bool router_eligible(tsunagu_router *r, int64_t id, bool phone);
/* The waiting conversations whose route admits a staff member (their id,
 * their teams: GArray of int64_t, borrowed for the walk's life), chats
 * when chat and calls when phone, oldest first (router_waiting.c). The
 * store's writes between steps are seen: the walk keeps only positions. */
typedef struct router_waiting_walk router_waiting_walk;
router_waiting_walk *router_waiting_walk_new(tsunagu_store *store, int64_t staff_id,
					     const GArray *teams, bool chat, bool phone);
/* The next conversation id: 0, -ENOENT at the end, or a store error. */
int router_waiting_walk_next(router_waiting_walk *w, int64_t *conversation_id);
/* No more conversations of the kind (calls when phone, else chats). */
void router_waiting_walk_stop(router_waiting_walk *w, bool phone);
void router_waiting_walk_free(router_waiting_walk *w);

/* Who gets a conversation of this route now (a chat, or a call when phone):
 * 0, or -ENOENT when nobody. exclude: GArray of int64_t or NULL. Round
 * robin keeps its state in the caller's unit. */
int router_pick(tsunagu_router *r, const router_route *route, bool phone,
		const GArray *exclude, int64_t *staff_id);
/* The same choice, writing nothing (the rules editor's dry run,
 * router_preview.c): round robin only reads its state. */
int router_pick_dry(tsunagu_router *r, const router_route *route, bool phone,
		    int64_t *staff_id);
/* The writes of one assignment, inside the caller's atomic unit (see
 * router.c). by_staff_id 0: the router. */
int router_assign_writes(tsunagu_router *r, const tsunagu_store_conversation *conv,
			 int64_t staff_id, int64_t by_staff_id, const router_route *route);
/* Places conv by route (kept with it) inside the caller's unit, never to
 * the staff in exclude — unless tried: they are the operators an offer
 * already went to, and when nobody else qualifies everyone is tried again.
 * *assignee_out (may be NULL): 0 when it waits (or rings: a call). */
int router_place_route(tsunagu_router *r, const tsunagu_store_conversation *conv,
		       router_route *route, const GArray *exclude, bool tried,
		       int64_t *assignee_out);
/* Unassigns conv (if assigned), back to waiting, and places it again. */
int router_requeue_writes(tsunagu_router *r, tsunagu_store_conversation *conv,
			  router_route *route, const GArray *exclude, bool tried);

/* Status change inside the caller's unit, with its event (router_status.c). */
int router_status_writes(tsunagu_router *r, int64_t staff_id, tsunagu_staff_status status,
			 int64_t subtype_id, int64_t by_staff_id, const char *reason);

/* Round robin (router_rr.c): the pick q (method round robin) of route with
 * seed 003's order, updating the kept state unless dry; and an assignment
 * made without a pick (the waiting list) taking its turn. */
int router_rr_pick(tsunagu_router *r, const router_route *route, tsunagu_store_pick *q,
		   bool dry, int64_t *staff_id);
int router_rr_took(tsunagu_router *r, const router_route *route, bool phone, int64_t staff_id);

/* Offers (router_offers.c). Configuration, read at each use. */
int64_t router_offer_timeout_us(tsunagu_router *r);
int64_t router_ring_timeout_us(tsunagu_router *r);
int router_max_missed(tsunagu_router *r);
/* routing.ring_rounds: rounds of ringing every eligible operator before a
 * call is given up (missed ringTimeout); 0 never. */
int router_ring_rounds(tsunagu_router *r);
/* The staff a conversation was offered to (pending or tried): GArray of
 * int64_t, never NULL. */
GArray *router_offered_to(tsunagu_router *r, int64_t conversation_id);
/* Keeps a pending offer with its deadline (0: none) and emits
 * conversation.offered (chats) inside the caller's unit. */
int router_offer_writes(tsunagu_router *r, const tsunagu_store_conversation *conv,
			int64_t staff_id, bool call, int64_t deadline_us);
/* Arms the timeout for the earliest pending deadline (after a commit). */
void router_arm_deadline(tsunagu_router *r);
/* An event of a staff member on a conversation accepts a pending chat
 * offer made to them (joined, replied, noted...). Loop thread, from the
 * router's event subscriber after the commit; ev and conv borrowed: conv
 * is the event's conversation if the subscriber read it, else NULL (a
 * call's has only rings: with it, no offer is read). */
void router_offers_on_event(tsunagu_router *r, const tsunagu_store_event *ev,
			    const tsunagu_store_conversation *conv);
/* staff_id left "available": their pending offers go on to the next
 * operator at once, not counted as missed (they were not there to take
 * them). Own units; failures are logged. */
void router_offers_withdraw(tsunagu_router *r, int64_t staff_id);

/* Calls (router_calls.c): rings a queued call of conv to whom its route
 * picks (only_staff > 0: that operator only, from the waiting list), inside
 * the caller's unit. *rung_out: how many operators now ring. */
int router_ring(tsunagu_router *r, const tsunagu_store_conversation *conv,
		int64_t only_staff, unsigned *rung_out);
/* call.ring_stopped {call, staff, reason}: staff_id's phone stops ringing
 * for call_id (the channel is told STOP_RING), inside the caller's unit. */
int router_ring_stopped(tsunagu_router *r, int64_t conversation_id, int64_t call_id,
			int64_t staff_id, const char *reason);
/* On conversation.closed / conversation.snoozed: the after-call work of
 * its answered, ended call ends (call.acw_ended). Loop thread, from the
 * router's event subscriber after the commit; ev and conv borrowed: conv is
 * the event's conversation as the subscriber read it, NULL when not read
 * (then nothing is skipped: a chat has no call to look for). */
void router_calls_on_event(tsunagu_router *r, const tsunagu_store_event *ev,
			   const tsunagu_store_conversation *conv);
