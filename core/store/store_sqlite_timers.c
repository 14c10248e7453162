/* SQLite backend: durable rule timers (rule_timers). */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

static const char SQL_SET[] =
	"INSERT INTO rule_timers (key, due_at, payload) VALUES (?1, ?2, ?3)"
	" ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at, payload = excluded.payload";
static const char SQL_CANCEL[] = "DELETE FROM rule_timers WHERE key = ?1";
static const char SQL_DUE[] =
	"SELECT key, due_at, payload FROM rule_timers WHERE due_at <= ?1"
	" ORDER BY due_at, key LIMIT ?2";
static const char SQL_NEXT[] = "SELECT min(due_at) FROM rule_timers";

int tsunagu_sqlite_timer_set(void *be, const char *key, int64_t due_at_us,
			     const char *payload_json)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_SET);

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, due_at_us);
	sqlite3_bind_text(st, 3, payload_json, -1, SQLITE_STATIC);
	return tsunagu_sqlite_run(sq, st, "setting a timer");
}

int tsunagu_sqlite_timer_cancel(void *be, const char *key)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_CANCEL);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	r = tsunagu_sqlite_run(sq, st, "cancelling a timer");
	if (r == 0 && sqlite3_changes(sq->db) == 0)
		r = -ENOENT;
	return r;
}

static void *timer_row(sqlite3_stmt *st)
{
	tsunagu_store_timer *t = g_new0(tsunagu_store_timer, 1);
	t->key = tsunagu_sqlite_column_dup(st, 0);
	t->due_at_us = sqlite3_column_int64(st, 1);
	t->payload_json = tsunagu_sqlite_column_dup(st, 2);
	return t;
}

int tsunagu_sqlite_timer_due(void *be, int64_t now_us, unsigned limit, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_DUE);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, now_us);
	sqlite3_bind_int64(st, 2, limit);
	return tsunagu_sqlite_rows(sq, st, timer_row, (GDestroyNotify)tsunagu_store_timer_free,
				   "reading due timers", out);
}

int tsunagu_sqlite_timer_next(void *be, int64_t *due_at_us)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_NEXT);
	int r;

	if (!st)
		return -EIO;
	r = tsunagu_sqlite_step_row(sq, st, "reading the next timer");
	if (r < 0)
		return r;
	if (r == 0 || sqlite3_column_type(st, 0) == SQLITE_NULL) {
		tsunagu_sqlite_done(st);
		return -ENOENT;
	}
	*due_at_us = sqlite3_column_int64(st, 0);
	tsunagu_sqlite_done(st);
	return 0;
}
