/* The status-time report (OP-6): per staff member, per local day and for a
 * whole period, the time spent in each status kind and sub-type, the chats
 * handled, the calls answered, call time and after-call work — computed from
 * the events table, never from counters that could drift.
 *
 * What counts, from the events (payload formats in docs/reports.md):
 *   staff.status_changed {staff, status, previous, subtype, previous_subtype}
 *       a status (and sub-type) holds from its event to the next one; before
 *       a staff member's first event of the period the status is that
 *       event's `previous`, or — no event in the period — the status of the
 *       newest event before it (offline when there is none). Time before a
 *       staff member's account existed is not counted.
 *   conversation.assigned {conversation, staff} of a conversation whose
 *       channel is not "phone": a chat handled by staff (distinct
 *       conversations per day; the period's figure counts each once).
 *   call.answered {call, staff} -> call.ended {call, staff, talk_ms}
 *       -> call.acw_ended {call, staff, acw_ms}: call time runs from answered
 *       to ended, after-call work from ended to acw_ended. When the start
 *       lies before the period, talk_ms / acw_ms date it (clipped to the
 *       period's start).
 * An interval still open counts up to min(now, end of the period). Every
 * interval is split at local midnight in the report's time zone (GTimeZone:
 * a DST day simply has 23 or 25 hours). Payloads that do not parse, or miss
 * what a figure needs, are skipped and counted in `skipped`.
 *
 * Durations are whole seconds, rounded per day and bucket; a period total
 * is the sum of its days, so a CSV adds up.
 * Thread: tsunagu_status_report_build runs on the thread that owns the store
 * it is given: the loop thread with the store, a worker with a reader.
 * tsunagu_status_report_build_async runs it on the store's reader pool, so a
 * long report never stalls the loop (chats, WebSockets, timers).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* A period is at most this many days (a leap year). */
#define TSUNAGU_REPORT_MAX_DAYS 366
/* At most this many staff ids in a filter. */
#define TSUNAGU_REPORT_MAX_STAFF 1000

typedef struct {
	tsunagu_staff_status status; /* the kind the sub-type belongs to */
	char *name;
	int64_t seconds;
} tsunagu_report_subtype;

typedef struct {
	int64_t seconds[4];   /* by tsunagu_staff_status (1..3); [0] unused */
	GPtrArray *subtypes;  /* tsunagu_report_subtype*, by status then name; owned */
	int64_t chats;        /* distinct conversations assigned */
	int64_t calls;        /* calls answered */
	int64_t call_seconds;
	int64_t acw_seconds;
} tsunagu_report_figures;

typedef struct {
	int64_t staff_id;
	char *login;
	char *display_name;
	tsunagu_role role;
	tsunagu_report_figures *days; /* n_days entries: day i is first + i days */
	tsunagu_report_figures total;
} tsunagu_report_row;

typedef struct {
	GDate first;          /* first day (local) */
	unsigned n_days;
	char *timezone;       /* the zone's identifier ("Asia/Tokyo") */
	int64_t *day_start_us; /* n_days + 1 local midnights; [n_days] is the end */
	int64_t now_us;       /* when it was computed */
	GPtrArray *rows;      /* tsunagu_report_row*, by staff id; owned */
	unsigned skipped;     /* events that did not parse */
} tsunagu_status_report;

typedef struct {
	GDate first;          /* first day, inclusive */
	GDate last;           /* last day, inclusive; at most MAX_DAYS after first */
	GTimeZone *tz;        /* borrowed; NULL: the server's local zone */
	int64_t now_us;       /* open intervals end at min(now, end) */
	const int64_t *staff_ids; /* borrowed; only these (n_staff 0: everyone) */
	unsigned n_staff;
	int64_t team_id;      /* > 0: only the team's members */
} tsunagu_status_report_query;

/* Computes the report. Staff members: everyone matching the filters who is
 * enabled, plus disabled accounts with activity in the period. -EINVAL for
 * a bad period (last before first, longer than MAX_DAYS) or filter,
 * -ENOENT for an unknown team, or a store error. *out is the caller's. */
int tsunagu_status_report_build(tsunagu_store *store, const tsunagu_status_report_query *q,
				tsunagu_status_report **out);
void tsunagu_status_report_free(tsunagu_status_report *r);

/* A report still running after this much wall time is stopped (the API
 * answers 503): a year of a large centre must not hold a reader forever. */
#define TSUNAGU_REPORT_TIMEOUT_MS 30000

/* status 0 and the report (the callee's, freed with
 * tsunagu_status_report_free), or a negative errno and NULL: -ENOENT no such
 * team, -ETIMEDOUT stopped after timeout_ms, -ECANCELED the store closed
 * first, or what tsunagu_status_report_build returns. Loop thread. */
typedef void (*tsunagu_status_report_done)(int status, tsunagu_status_report *r,
					   void *user_data);
/* Builds the report on a reader of store's pool (tsunagu_store_read_async):
 * q is copied (now_us included: read the clock before calling), team (a
 * team name, NULL for none) is resolved there and sets the team filter.
 * timeout_ms bounds the build (0: none). Returns 0 (done will run once, on
 * the loop thread, never from inside this call) or a negative errno (done
 * never runs): -EINVAL bad arguments, -EAGAIN too many queued, -ENOTSUP a
 * store without readers (in-memory). Loop thread. */
int tsunagu_status_report_build_async(tsunagu_store *store, const tsunagu_status_report_query *q,
				      const char *team, int64_t timeout_ms,
				      tsunagu_status_report_done done, void *user_data);

/* "YYYY-MM-DD" of day i of r into buf (11 bytes). */
void tsunagu_status_report_day_name(const tsunagu_status_report *r, unsigned i, char buf[11]);

/* ---- the period (status_report_period.c: no store, fuzzed) ------------------ */

/* Parses a calendar date "YYYY-MM-DD" (exactly: four-digit year 1970..9999,
 * two-digit month and day, a date that exists). -EINVAL otherwise. */
int tsunagu_report_parse_date(const char *text, GDate *out);
/* Checks first <= last and at most TSUNAGU_REPORT_MAX_DAYS days (inclusive);
 * *n_days gets the count. -EINVAL (and *why, static text) otherwise. */
int tsunagu_report_period_days(const GDate *first, const GDate *last, unsigned *n_days,
			       const char **why);
/* The local midnights that bound n_days days from first in tz: n_days + 1
 * times in µs since the epoch (g_free()). A midnight that does not exist
 * (a DST gap at 00:00) is the first instant of that day. */
int64_t *tsunagu_report_day_starts(const GDate *first, unsigned n_days, GTimeZone *tz);
/* "HH:MM:SS" of seconds (hours may exceed 99) into buf (24 bytes). */
void tsunagu_report_hms(int64_t seconds, char buf[24]);
