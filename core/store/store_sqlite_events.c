/* SQLite backend: the append-only events table. */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

static const char SQL_APPEND[] =
	"INSERT INTO events (at, type, conversation_id, actor_staff_id, payload)"
	" VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_RANGE[] =
	"SELECT seq, at, type, coalesce(conversation_id, 0), coalesce(actor_staff_id, 0), payload"
	" FROM events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3";
/* The newest event is never deleted (trigger events_keep_newest, migration
 * 11), so the highest sequence stored is the highest ever handed out. */
static const char SQL_LAST_SEQ[] = "SELECT coalesce(max(seq), 0) FROM events";

int tsunagu_sqlite_event_append(void *be, const char *type, int64_t conversation_id,
				int64_t actor_staff_id, const char *payload_json, int64_t *seq_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st;
	int r;

	/* No json_valid per row any more (migration 11): the payload's writer
	 * guarantees valid text (tsunagu_events_emit). The one check left is
	 * free and catches a caller handing over something else entirely. */
	if (payload_json[0] != '{') {
		tlog_error("event %s refused: its payload is not a JSON object", type);
		return -EINVAL;
	}
	st = tsunagu_sqlite_stmt(sq, SQL_APPEND);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, tsunagu_sqlite_now_us());
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	if (conversation_id > 0)
		sqlite3_bind_int64(st, 3, conversation_id);
	if (actor_staff_id > 0)
		sqlite3_bind_int64(st, 4, actor_staff_id);
	sqlite3_bind_text(st, 5, payload_json, -1, SQLITE_STATIC);
	r = tsunagu_sqlite_run(sq, st, "appending an event");
	if (r == 0 && seq_out)
		*seq_out = sqlite3_last_insert_rowid(sq->db);
	return r;
}

static void *event_row(sqlite3_stmt *st)
{
	tsunagu_store_event *ev = g_new0(tsunagu_store_event, 1);
	ev->seq = sqlite3_column_int64(st, 0);
	ev->at_us = sqlite3_column_int64(st, 1);
	ev->type = tsunagu_sqlite_column_dup(st, 2);
	ev->conversation_id = sqlite3_column_int64(st, 3);
	ev->actor_staff_id = sqlite3_column_int64(st, 4);
	ev->payload_json = tsunagu_sqlite_column_dup(st, 5);
	return ev;
}

int tsunagu_sqlite_events_range(void *be, int64_t after_seq, int64_t upto_seq, unsigned limit,
				GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_RANGE);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, after_seq);
	sqlite3_bind_int64(st, 2, upto_seq);
	sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : -1);
	return tsunagu_sqlite_rows(sq, st, event_row, (GDestroyNotify)tsunagu_store_event_free,
				   "reading events", out);
}

int64_t tsunagu_sqlite_events_last_seq(void *be)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_LAST_SEQ);
	int64_t seq;
	int r;

	if (!st)
		return -EIO;
	r = tsunagu_sqlite_step_row(sq, st, "reading the last event sequence");
	if (r <= 0)
		return r < 0 ? r : 0;
	seq = sqlite3_column_int64(st, 0);
	tsunagu_sqlite_done(st);
	return seq;
}
