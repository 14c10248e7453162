/* Call records (TEL-10) of a period, read off the loop thread: the store's
 * reader pool runs tsunagu_store_call_records and the caller hears of it
 * back on the loop thread (like the status-time report,
 * status_report_async.c). Thread: loop thread. */
#pragma once

#include <stdint.h>

#include "store.h"

/* Loop thread. status 0: records (GPtrArray of tsunagu_store_call* with
 * their record fields, oldest first; the callee's to unref) — or a negative
 * errno (-ETIMEDOUT, -ECANCELED at shutdown ...), records NULL. */
typedef void (*tsunagu_call_report_done)(int status, GPtrArray *records, void *user_data);

/* Calls queued in [from_us, to_us), of staff_id only when > 0, at most
 * TSUNAGU_CALL_RECORDS_MAX. Returns 0 (done will run) or a negative errno
 * (-EAGAIN the pool is full). */
int tsunagu_call_report_async(tsunagu_store *store, int64_t from_us, int64_t to_us,
			      int64_t staff_id, int64_t timeout_ms,
			      tsunagu_call_report_done done, void *user_data);
