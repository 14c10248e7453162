/* A developer's statement profile of the SQLite backend: with the
 * environment variable TSUNAGU_SQL_PROFILE=FILE set, every statement the
 * loop's connection runs is counted with its time (SQLite's own
 * SQLITE_TRACE_PROFILE clock, microsecond resolution, wall time including
 * I/O waits) and the table is written to FILE when the store closes: one
 * line per statement text, "count total_us sql", most time first, and a
 * last line "pages 0 -- pages written" with the pages the connection wrote.
 *
 * Why: a benchmark's CPU per call or per message tells how much, not which
 * statements; the counts per call are what a change of the store's
 * operations is judged by (docs/store.md, "Profiling statements"). Off, it
 * costs one getenv() at open. Thread: loop thread (the connection's).
 */
#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
	char *sql;
	uint64_t count;
	uint64_t ns;
} profile_entry;

struct tsunagu_sqlite_profile {
	char *path;
	GHashTable *by_sql; /* statement text (owned by its entry) -> profile_entry* */
};

static void entry_free(gpointer p)
{
	profile_entry *e = p;
	g_free(e->sql);
	g_free(e);
}

static int on_profile(unsigned type, void *ctx, void *stmt, void *ns)
{
	tsunagu_sqlite_profile *p = ctx;
	const char *sql = type == SQLITE_TRACE_PROFILE ? sqlite3_sql(stmt) : NULL;
	profile_entry *e;

	if (!sql)
		return 0;
	e = g_hash_table_lookup(p->by_sql, sql);
	if (!e) {
		e = g_new0(profile_entry, 1);
		e->sql = g_strdup(sql);
		g_hash_table_insert(p->by_sql, e->sql, e);
	}
	e->count++;
	e->ns += (uint64_t)*(sqlite3_int64 *)ns;
	return 0;
}

void tsunagu_sqlite_profile_start(tsunagu_sqlite *sq)
{
	const char *path = getenv("TSUNAGU_SQL_PROFILE");

	if (!path || !*path)
		return;
	sq->profile = g_new0(tsunagu_sqlite_profile, 1);
	sq->profile->path = g_strdup(path);
	sq->profile->by_sql = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, entry_free);
	sqlite3_trace_v2(sq->db, SQLITE_TRACE_PROFILE, on_profile, sq->profile);
	tlog_info("statement profile on, written to %s when the store closes", path);
}

static gint by_time(gconstpointer a, gconstpointer b)
{
	const profile_entry *x = *(profile_entry *const *)a, *y = *(profile_entry *const *)b;
	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

void tsunagu_sqlite_profile_stop(tsunagu_sqlite *sq)
{
	tsunagu_sqlite_profile *p = sq->profile;
	GPtrArray *all = g_ptr_array_new();
	GHashTableIter it;
	gpointer value;
	FILE *f;

	if (!p)
		return;
	if (sq->db)
		sqlite3_trace_v2(sq->db, 0, NULL, NULL);
	g_hash_table_iter_init(&it, p->by_sql);
	while (g_hash_table_iter_next(&it, NULL, &value))
		g_ptr_array_add(all, value);
	g_ptr_array_sort(all, by_time);
	f = fopen(p->path, "w");
	if (!f) {
		tlog_warn("statement profile: cannot write %s: %s", p->path, g_strerror(errno));
	} else {
		for (guint i = 0; i < all->len; i++) {
			profile_entry *e = all->pdata[i];
			/* One line per statement: its text with newlines and tabs as spaces. */
			char *one = g_strdelimit(g_strdup(e->sql), "\n\t", ' ');
			fprintf(f, "%10" G_GUINT64_FORMAT " %12.1f %s\n", e->count, e->ns / 1000.0, one);
			g_free(one);
		}
		/* The pages this connection wrote to the WAL, in the same
		 * two-number shape (0 µs), last because it has no time. */
		int pages = 0, unused = 0;
		if (sq->db && sqlite3_db_status(sq->db, SQLITE_DBSTATUS_CACHE_WRITE, &pages, &unused,
						0) == SQLITE_OK)
			fprintf(f, "%10d %12.1f -- pages written (SQLITE_DBSTATUS_CACHE_WRITE)\n", pages,
				0.0);
		fclose(f);
	}
	g_ptr_array_free(all, TRUE);
	g_hash_table_destroy(p->by_sql);
	g_free(p->path);
	g_free(p);
	sq->profile = NULL;
}
