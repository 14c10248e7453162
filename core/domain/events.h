/* The event bus: everything that happens is appended to the store's events
 * table (monotonic sequence) and, once its batch has committed, handed to
 * subscribers in sequence order (the inbox WebSocket, plugins, rules).
 *
 * A subscriber sees only committed events, each once, in order: committed_seq
 * is the highest sequence delivered so far, so a client that resumes after
 * sequence N replays (N, committed_seq] from the store and then receives live
 * events, which all have a greater sequence — no gap, no duplicate.
 * Thread: loop thread only.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "core.h"
#include "store.h"

typedef void (*tsunagu_event_fn)(const tsunagu_store_event *ev, void *user_data);

int tsunagu_events_new(tsunagu_store *store, tsunagu_events **out);
void tsunagu_events_free(tsunagu_events *events);

/* Appends an event. payload is borrowed (NULL: {}); anything but an object
 * is refused with -EINVAL and logged. This is the way for payloads from
 * outside the core (plugins, rules, the API): the store does not check a
 * payload (migration 11), jansson's objects are valid by construction.
 * *seq_out (may be NULL) gets its sequence. Subscribers get it after the
 * commit. */
int tsunagu_events_emit(tsunagu_events *events, const char *type, int64_t conversation_id,
			int64_t actor_staff_id, json_t *payload, int64_t *seq_out);
/* The same with the payload already composed as the text of a JSON object
 * (borrowed; NULL: {}): the hot paths build it with
 * tsunagu_event_append_json_string instead of packing and dumping a jansson
 * object per message. For the core's own composers only: the text is not
 * parsed again (the store checks no more than its first byte, '{'), so it
 * must be valid by construction — literal keys, integers, and strings
 * through tsunagu_event_append_json_string from valid UTF-8
 * (tests/fuzz/store/fuzz_event_payload.c). Never pass outside text here. */
int tsunagu_events_emit_text(tsunagu_events *events, const char *type, int64_t conversation_id,
			     int64_t actor_staff_id, const char *payload_json, int64_t *seq_out);
/* Appends s (UTF-8, NUL-terminated) to out as a JSON string literal:
 * quotes, backslashes and control characters escaped, the rest as is. */
void tsunagu_event_append_json_string(GString *out, const char *s);
/* The payload of a stored message's event, as the text of a JSON object:
 * {"conversation", "channel", "message_id", "kind" (unless NULL), "text",
 * "author" (unless 0)}. The strings must be valid UTF-8 (then so is the
 * JSON: tests/fuzz/store/fuzz_event_payload.c). g_free() the result. */
char *tsunagu_event_message_payload(const char *public_id, const char *channel, int64_t msg_id,
				    const char *kind, int64_t author, const char *text);

/* For a domain operation that may undo its writes: mark before it, and
 * rollback_to(mark) after tsunagu_store_atomic_end(store, false) so the
 * events of the undone writes are never delivered. */
unsigned tsunagu_events_mark(const tsunagu_events *events);
void tsunagu_events_rollback_to(tsunagu_events *events, unsigned mark);

/* Highest sequence handed to subscribers (every lower one is durable). */
int64_t tsunagu_events_committed_seq(const tsunagu_events *events);

/* ev is borrowed for the call. Returns a subscription id (> 0). */
unsigned tsunagu_events_subscribe(tsunagu_events *events, tsunagu_event_fn fn, void *user_data);
void tsunagu_events_unsubscribe(tsunagu_events *events, unsigned id);

/* For a subscriber, during the call for ev: ev's payload parsed, or NULL if
 * it does not parse (or ev is not the event being delivered). Parsed once
 * per event, by the first subscriber that asks, and shared by the others:
 * borrowed, valid until the subscriber returns; do not modify it (the next
 * subscriber reads the same object) — json_deep_copy() to keep or change it.
 * Loop thread. */
json_t *tsunagu_events_payload(tsunagu_events *events, const tsunagu_store_event *ev);

/* The same JSON as tsunagu_event_to_json, as compact text, composed without
 * parsing the payload (the store keeps only valid JSON objects): the
 * events WebSocket sends one of these per event and client. g_free(). */
char *tsunagu_event_to_text(const tsunagu_store_event *ev);

/* An event as the JSON the API and WebSocket send:
 * {"seq":N,"at":"ISO-8601","type":..,"conversation":..,"actor":..,"data":{..}}.
 * Caller owns the reference. */
json_t *tsunagu_event_to_json(const tsunagu_store_event *ev);
