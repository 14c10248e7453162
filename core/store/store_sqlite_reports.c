/* SQLite backend: the report queries over the events table (OP-6). Both walk
 * the events_type index (type, at): the scan seeks each type's range, the
 * lookup walks one type backwards from a time and stops at its first match.
 * The index holds the reported types only (migration 14), so both repeat its
 * condition word for word and refuse the other types with -EINVAL (a scan
 * of them would find nothing in the index). */
#include <errno.h>
#include <string.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

/* TSUNAGU_SQLITE_EVENTS_REPORTED's types: a unit test checks that each is
 * in the index and the next type is not (test_store_reports.c). */
static const char *const reported[] = {
	"staff.status_changed", "conversation.assigned", "call.answered", "call.ended",
	"call.acw_ended",
};

bool tsunagu_sqlite_report_type(const char *type)
{
	for (size_t i = 0; i < G_N_ELEMENTS(reported); i++)
		if (strcmp(type, reported[i]) == 0)
			return true;
	return false;
}

static int refuse_type(const char *type)
{
	tlog_warn("event type %s is not indexed for reports (migration 14)", type);
	return -EINVAL;
}

/* ?1 is a JSON list of the types: one cached statement serves any set. The
 * rows of several types come out of the index type by type, so SQLite sorts
 * them by time (its sorter spills to a temporary file when large, so
 * memory stays bounded). */
static const char SQL_SCAN[] =
	"SELECT e.seq, e.at, e.type, coalesce(e.conversation_id, 0),"
	" coalesce(e.actor_staff_id, 0), e.payload, c.channel"
	" FROM events e INDEXED BY events_type"
	" LEFT JOIN conversations c ON c.id = e.conversation_id"
	" WHERE e.type IN (SELECT value FROM json_each(?1)) AND e.at >= ?2 AND e.at < ?3"
	" AND " TSUNAGU_SQLITE_EVENTS_REPORTED("e.")
	" ORDER BY e.at, e.seq";
/* The payload's staff is not indexed: the walk reads the type's events from
 * before_us backwards until the first of this staff member (see
 * docs/store.md on the index a busy centre may want). */
static const char SQL_LAST_STAFF[] =
	"SELECT payload FROM events INDEXED BY events_type"
	" WHERE type = ?1 AND at < ?3 AND at >= ?4 AND " TSUNAGU_SQLITE_EVENTS_REPORTED("")
	" AND json_extract(payload, '$.staff') = ?2"
	" ORDER BY at DESC, seq DESC LIMIT 1";

int tsunagu_sqlite_report_scan(void *be, const char *const *types, int64_t from_us,
			       int64_t to_us, tsunagu_store_report_fn fn, void *user_data)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_SCAN);
	GString *list = g_string_new("[");
	int rc, r = 0;

	if (!st) {
		r = -EIO;
		goto out;
	}
	for (size_t i = 0; types[i]; i++)
		if (!tsunagu_sqlite_report_type(types[i])) {
			r = refuse_type(types[i]);
			goto out;
		}
	/* store_reports.c admits only [a-z0-9._] names: no escaping needed */
	for (size_t i = 0; types[i]; i++)
		g_string_append_printf(list, "%s\"%s\"", i ? "," : "", types[i]);
	g_string_append_c(list, ']');
	sqlite3_bind_text(st, 1, list->str, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from_us);
	sqlite3_bind_int64(st, 3, to_us);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		tsunagu_store_event ev = {
			.seq = sqlite3_column_int64(st, 0),
			.at_us = sqlite3_column_int64(st, 1),
			.type = (char *)sqlite3_column_text(st, 2),
			.conversation_id = sqlite3_column_int64(st, 3),
			.actor_staff_id = sqlite3_column_int64(st, 4),
			.payload_json = (char *)sqlite3_column_text(st, 5),
		};
		r = fn(&ev, (const char *)sqlite3_column_text(st, 6), user_data);
		if (r < 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(sq->db), "scanning events");
	tsunagu_sqlite_done(st);
out:
	g_string_free(list, TRUE);
	return r;
}

int tsunagu_sqlite_report_last_staff_event(void *be, const char *type, int64_t staff_id,
					   int64_t since_us, int64_t before_us,
					   char **payload_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st;
	int r;

	if (!tsunagu_sqlite_report_type(type))
		return refuse_type(type);
	st = tsunagu_sqlite_stmt(sq, SQL_LAST_STAFF);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, staff_id);
	sqlite3_bind_int64(st, 3, before_us);
	sqlite3_bind_int64(st, 4, since_us);
	r = tsunagu_sqlite_step_row(sq, st, "reading a staff member's last event");
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*payload_out = tsunagu_sqlite_column_dup(st, 0);
	tsunagu_sqlite_done(st);
	return 0;
}
