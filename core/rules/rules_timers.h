/* Durable timers: rows of the store's timers table (key, due time, JSON
 * payload) watched by one GLib timeout armed for the earliest due time.
 * When it fires, every due timer is deleted and dispatched, in the same
 * store batch, to the handler registered for the longest prefix of its key
 * ("wf:" workflow timers of the rules host, others for the domain). Timers
 * survive restarts: a new service arms itself for what the store still holds,
 * and timers that came due while the process was down fire at once.
 *
 * Due times use the domain clock (tsunagu_core_now_us), so tests that move
 * that clock call tsunagu_timers_fire_due(); the GLib timeout sleeps at most
 * a minute at a time so a clock that jumps is noticed.
 * Thread: loop thread only.
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <stdint.h>

#include "store.h"

typedef struct tsunagu_timers tsunagu_timers;

/* A timer came due and is already deleted. key and payload are borrowed for
 * the call. The handler may set new timers. Loop thread. */
typedef void (*tsunagu_timer_fn)(const char *key, json_t *payload, void *user_data);

/* context: where the GLib timeout runs (NULL: the thread default). */
int tsunagu_timers_new(tsunagu_store *store, GMainContext *context, tsunagu_timers **out);
void tsunagu_timers_free(tsunagu_timers *timers);

/* prefix is copied; one handler per prefix (-EEXIST otherwise). */
int tsunagu_timers_handle(tsunagu_timers *timers, const char *prefix, tsunagu_timer_fn fn,
			  void *user_data);
void tsunagu_timers_unhandle(tsunagu_timers *timers, const char *prefix);

/* Inserts or replaces the timer key; payload borrowed (NULL: {}). */
int tsunagu_timers_set(tsunagu_timers *timers, const char *key, int64_t due_at_us,
		       json_t *payload);
/* 0 also when there was no such timer. */
int tsunagu_timers_cancel(tsunagu_timers *timers, const char *key);
/* Fires every timer due now; returns how many fired or a negative errno. */
int tsunagu_timers_fire_due(tsunagu_timers *timers);
