/* SQLite backend: reader connections for worker threads (store_reader.c).
 * The database file opened again, read-only: in WAL mode such a connection
 * reads the last committed snapshot while the loop's connection writes, so
 * neither waits for the other. No migrations (the writer did them), no
 * checkpointer, no batch. A progress handler stops a query at its deadline
 * or when interrupted (store close). */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

/* VM steps between two looks at the clock: a look costs far less than the
 * steps, and a query still stops within a fraction of a millisecond. */
#define READER_PROGRESS_STEPS 1000

typedef struct {
	tsunagu_sqlite sq; /* first: the read operations take the reader as a tsunagu_sqlite */
	int64_t deadline_us; /* owner thread only */
	gint stop;           /* atomic: set by reader_interrupt from any thread */
} sqlite_reader;

/* SQLite progress callback: the owner thread, inside a step. Non-zero makes
 * the statement fail with SQLITE_INTERRUPT. */
static int reader_progress(void *p)
{
	sqlite_reader *rd = p;

	if (g_atomic_int_get(&rd->stop))
		return 1;
	return rd->deadline_us > 0 && g_get_monotonic_time() >= rd->deadline_us;
}

static void reader_stmt_finalize(gpointer st)
{
	sqlite3_finalize(st);
}

void tsunagu_sqlite_reader_close(void *reader)
{
	sqlite_reader *rd = reader;

	if (!rd)
		return;
	if (rd->sq.stmts)
		g_hash_table_destroy(rd->sq.stmts); /* finalizes the statements */
	if (rd->sq.fts_marks)
		g_array_free(rd->sq.fts_marks, TRUE);
	if (rd->sq.db && sqlite3_close(rd->sq.db) != SQLITE_OK)
		tlog_error("closing a reader of %s: %s", rd->sq.path, sqlite3_errmsg(rd->sq.db));
	g_free(rd->sq.path);
	g_free(rd);
}

int tsunagu_sqlite_reader_open(void *be, void **reader_out)
{
	const tsunagu_sqlite *sq = be;
	sqlite_reader *rd = NULL;
	int rc, r = 0;

	/* another connection to ":memory:" is another, empty database */
	if (sq->memory)
		return -ENOTSUP;
	rd = g_new0(sqlite_reader, 1);
	rd->sq.path = g_strdup(sq->path);
	rd->sq.busy_timeout_ms = sq->busy_timeout_ms;
	rd->sq.schema_version = sq->schema_version;
	rd->sq.stmts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					     reader_stmt_finalize);
	rd->sq.fts_marks = g_array_new(FALSE, FALSE, sizeof(int64_t));
	rc = sqlite3_open_v2(rd->sq.path, &rd->sq.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		tlog_error("cannot open a reader of %s: %s", rd->sq.path,
			   rd->sq.db ? sqlite3_errmsg(rd->sq.db) : sqlite3_errstr(rc));
		r = -EIO;
		goto out;
	}
	sqlite3_extended_result_codes(rd->sq.db, 1);
	/* a reader waits only while the writer recovers or resets the WAL */
	sqlite3_busy_timeout(rd->sq.db, rd->sq.busy_timeout_ms);
	sqlite3_progress_handler(rd->sq.db, READER_PROGRESS_STEPS, reader_progress, rd);
	*reader_out = rd;
	rd = NULL;
out:
	tsunagu_sqlite_reader_close(rd);
	return r;
}

void tsunagu_sqlite_reader_deadline(void *reader, int64_t deadline_us)
{
	sqlite_reader *rd = reader;

	rd->deadline_us = deadline_us;
	g_atomic_int_set(&rd->stop, 0);
}

void tsunagu_sqlite_reader_interrupt(void *reader)
{
	sqlite_reader *rd = reader;

	g_atomic_int_set(&rd->stop, 1);
}
