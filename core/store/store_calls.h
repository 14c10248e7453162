/* The calls and offers of the assignment engine (migration 5) in the store:
 * a phone conversation's calls with their states, times, missed reasons and
 * origins, and the offers the router makes to operators. Part of store.h
 * (which includes it where this section stood; a file of its own so that
 * neither grows past a readable size). Same conventions as store.h: 0 or a
 * negative errno, results owned by the caller, writes inside the
 * group-commit batch. Thread: loop thread.
 */
#pragma once

#include "store.h"

/* Implemented in store_engine.c (dispatch) and store_sqlite_calls.c. */

typedef struct {
	int64_t id;
	int64_t conversation_id;
	int64_t staff_id;        /* who answered (or makes an outbound call); 0 none */
	char *direction;         /* "inbound", "outbound" */
	char *state;             /* "queued", "ringing", "talking", "ended" */
	char *missed_reason;     /* NULL, "notInOperation", "noOperator", "ringTimeout", "userLeft" */
	int64_t queued_at_us;
	int64_t ringing_at_us;   /* 0 when never */
	int64_t answered_at_us;
	int64_t ended_at_us;
	int64_t acw_ended_at_us;
	/* migration 8: where the call came from (all may be NULL / 0) */
	char *provider_call_id;  /* the channel's id of the call (unique) */
	char *line;              /* the number or trunk called */
	char *disposition;       /* "queued", "notInOperation", "noOperator" (not rung) */
	int64_t linked_conversation_id; /* a call-back: the missed call's conversation */
	int ring_rounds;         /* rounds rung to everyone eligible without an answer */
	/* filled by tsunagu_store_call_records only (else NULL) */
	char *conversation_public_id;
	char *channel;
	char *staff_login;
	char *caller_id;         /* the customer's identity on the channel */
} tsunagu_store_call;
void tsunagu_store_call_free(tsunagu_store_call *c);

/* A new call (state queued, queued_at now). */
int tsunagu_store_call_create(tsunagu_store *store, int64_t conversation_id,
			      const char *direction, int64_t *id_out);
/* The same, and the new call as written (*out, caller owns it) without
 * reading it back: once per call (issue 5). */
int tsunagu_store_call_open(tsunagu_store *store, int64_t conversation_id, const char *direction,
			    tsunagu_store_call **out);
int tsunagu_store_call_get(tsunagu_store *store, int64_t id, tsunagu_store_call **out);
/* The call and its conversation in one read (the router's every call step
 * needs both: issue 5). Both owned by the caller; -ENOENT when no such call. */
int tsunagu_store_call_get_with_conversation(tsunagu_store *store, int64_t id,
					     tsunagu_store_call **call_out,
					     tsunagu_store_conversation **conv_out);
/* The newest call of a conversation; -ENOENT when none. */
int tsunagu_store_call_of_conversation(tsunagu_store *store, int64_t conversation_id,
				       tsunagu_store_call **out);
/* Writes staff_id, state, missed_reason, the times and the migration 8
 * fields of c (by c->id). -EEXIST: provider_call_id is another call's. */
int tsunagu_store_call_update(tsunagu_store *store, const tsunagu_store_call *c);
/* What tsunagu_store_call_write() writes of a call. */
typedef enum {
	/* staff_id, state, missed_reason and the times */
	TSUNAGU_STORE_CALL_STATE = 1 << 0,
	/* the migration 8 fields: provider_call_id, line, disposition,
	 * linked_conversation_id, ring_rounds */
	TSUNAGU_STORE_CALL_ORIGIN = 1 << 1,
} tsunagu_store_call_parts;
/* tsunagu_store_call_update() of only the parts (a mask of
 * tsunagu_store_call_parts) the caller changed: each step of a call
 * changes one, and the other's statement is work for nothing (issue 5).
 * -ENOENT: no such call. */
int tsunagu_store_call_write(tsunagu_store *store, const tsunagu_store_call *c,
			     unsigned parts);
/* The call a channel knows as provider_call_id; -ENOENT when none. */
/* The channel of call id's conversation alone (g_free it): the check a
 * channel's report of a call starts with, one light read; -ENOENT when
 * there is no such call. */
int tsunagu_store_call_channel(tsunagu_store *store, int64_t id, char **channel_out);
int tsunagu_store_call_by_provider(tsunagu_store *store, const char *provider_call_id,
				   tsunagu_store_call **out);
/* The call queue: inbound calls queued or ringing that the engine rings
 * (disposition NULL or "queued"), for the admin's queue limit. */
int tsunagu_store_calls_waiting_count(tsunagu_store *store, int64_t *count_out);
/* Calls in state (NULL: queued and ringing; "queued", "ringing",
 * "talking"), oldest first, at most limit (0: 200); GPtrArray of
 * tsunagu_store_call*, free func set. Calls decided missed on arrival
 * (disposition other than "queued") are left out. */
int tsunagu_store_calls_list(tsunagu_store *store, const char *state, unsigned limit,
			     GPtrArray **out);
/* The call records (TEL-10) of calls queued in [from_us, to_us), of
 * staff_id only when > 0, oldest first, at most limit (0: 100000), with
 * conversation_public_id, channel, staff_login and caller_id filled. For
 * reports: run it on a reader. */
#define TSUNAGU_CALL_RECORDS_MAX 100000
int tsunagu_store_call_records(tsunagu_store *store, int64_t from_us, int64_t to_us,
			       int64_t staff_id, unsigned limit, GPtrArray **out);
/* Every call of a conversation, oldest first (its call records). */
int tsunagu_store_calls_of_conversation(tsunagu_store *store, int64_t conversation_id,
					GPtrArray **out);

typedef struct {
	int64_t conversation_id;
	int64_t staff_id;
	bool call;              /* a call rings; else a chat was assigned on offer */
	char *state;            /* "pending", "missed", "declined" */
	int64_t deadline_us;    /* 0: none */
} tsunagu_store_offer;
void tsunagu_store_offer_free(tsunagu_store_offer *o);

/* Inserts or replaces the offer of conversation to staff as pending. */
int tsunagu_store_offer_put(tsunagu_store *store, int64_t conversation_id, int64_t staff_id,
			    bool call, int64_t deadline_us);
/* A pending offer ends: state "missed" or "declined" (kept: that operator
 * was tried), or NULL (deleted: accepted). -ENOENT: no pending offer. */
int tsunagu_store_offer_end(tsunagu_store *store, int64_t conversation_id, int64_t staff_id,
			    const char *state);
/* Forgets every offer of a conversation (answered, accepted, closed). */
int tsunagu_store_offers_clear(tsunagu_store *store, int64_t conversation_id);
/* The offers of a conversation (pending and tried), by staff id. GPtrArray
 * of tsunagu_store_offer*, free func set. */
int tsunagu_store_offers_of(tsunagu_store *store, int64_t conversation_id, GPtrArray **out);
/* Pending offers whose deadline is at or before now_us, oldest first, at
 * most limit (0: 100). */
int tsunagu_store_offers_due(tsunagu_store *store, int64_t now_us, unsigned limit,
			     GPtrArray **out);
/* The pending offers (chats and calls) made to staff_id, by conversation.
 * GPtrArray of tsunagu_store_offer*, free func set. */
int tsunagu_store_offers_pending_of_staff(tsunagu_store *store, int64_t staff_id,
					  GPtrArray **out);
/* The earliest pending deadline, -ENOENT when none. */
int tsunagu_store_offers_next(tsunagu_store *store, int64_t *deadline_us);
/* A number that changes whenever what tsunagu_store_offers_next() answers
 * may have changed: at every offer written through this store and every
 * write undone (a section rolled back, a batch lost). Not at the offers a
 * deleted conversation or staff member takes along: those can only make
 * an earlier answer early, never late. Lets the router skip the read
 * after most steps (issue 5). */
uint64_t tsunagu_store_offers_generation(tsunagu_store *store);
