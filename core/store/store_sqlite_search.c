/* The full-text index of messages, off the loop thread.
 *
 * Indexing a batch's messages in the batch's own transaction cost the loop
 * about a tenth of its time at full load (FTS5 building and flushing its
 * segment at COMMIT). The index lives instead in a database file of its own,
 * <store>.search, written by an indexer thread through its own connection:
 * it reads the messages newer than its high-water mark from a WAL snapshot
 * of the store (no lock the loop waits for) and indexes them in batches, the
 * mark in the same transaction as the rows. So after a crash or a restart it
 * resumes where its last commit left off, and a store restored from an older
 * backup (mark above the newest message) is indexed again from scratch.
 *
 * A search first waits (bounded) until the indexer has read everything the
 * loop committed before it, so that committed messages are found as before;
 * only when the indexer is more than SEARCH_WAIT_MS behind does a search see
 * an index that lags.
 *
 * A ":memory:" store cannot be read by a second connection: there the index
 * is an attached in-memory database filled in the loop right before each
 * COMMIT (tests and tools only).
 */
#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

/* Messages per indexing transaction: large enough that FTS5 writes few
 * segments, small enough that a catch-up after restart commits often; and
 * at most INDEX_BATCH_BYTES of text, read in one short statement so that
 * the store's WAL is never pinned by a long read (a checkpoint cannot
 * complete past a reader's snapshot, and the WAL grows). */
#define INDEX_BATCH 4000
#define INDEX_BATCH_BYTES (4 * 1024 * 1024)
#define SEARCH_WAIT_MS 1000
/* Further behind than this (a catch-up after the first start on a large
 * store), a search does not wait at all: it would stall the loop for its
 * whole bound, search after search. */
#define SEARCH_WAIT_MAX_GAP 50000
/* The indexer lets commits gather this long between two passes unless a
 * search waits: one FTS5 transaction (a segment, its merges) per loop
 * commit cost the second core as much again at half the chat rate. */
#define INDEX_PACE_US (100 * G_TIME_SPAN_MILLISECOND)
/* The layout of the search file; another value rebuilds it. */
#define SEARCH_FORMAT 1

struct tsunagu_sqlite_search {
	GThread *thread;
	GMutex lock;
	GCond wake;        /* the indexer: more to do, or stop */
	GCond progress;    /* searches: the indexer moved on */
	int64_t target;    /* under lock: the newest message id the loop committed */
	int64_t indexed;   /* under lock: every committed message id <= this is indexed */
	bool stopping;     /* under lock */
	bool failed;       /* under lock: the indexer gave up (logged) */
	int waiters;       /* under lock: searches waiting for the indexer */
	char *path;        /* the search file */
	char *store_path;
	int busy_timeout_ms;
	sqlite3 *reader;   /* loop thread: searches */
	sqlite3_stmt *query;
};

/* Memory stores: the schema name "search" attached to the store connection. */
static const char SCHEMA_SQL[] =
	"CREATE TABLE IF NOT EXISTS %s.search_state ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1), indexed_upto INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO %s.search_state VALUES (1, 0);"
	/* The text is kept here too (no external content across files):
	 * LIKE checks it after the trigrams narrowed the candidates. */
	"CREATE VIRTUAL TABLE IF NOT EXISTS %s.messages_fts USING fts5("
	"  body, tokenize='trigram', detail=none);"
	"INSERT INTO %s.messages_fts (messages_fts, rank) VALUES ('automerge', 8);";
/* See store_sqlite_messages.c (like_pattern) for ?1 and ?2. */
static const char SQL_QUERY[] =
	"SELECT rowid FROM messages_fts WHERE body LIKE ?1 AND body LIKE ?2 ESCAPE '\\'"
	" ORDER BY rowid DESC LIMIT ?3";
static const char SQL_QUERY_ATTACHED[] =
	"SELECT rowid FROM search.messages_fts WHERE body LIKE ?1 AND body LIKE ?2 ESCAPE '\\'"
	" ORDER BY rowid DESC LIMIT ?3";
static const char SQL_INDEX_ATTACHED[] =
	"INSERT INTO search.messages_fts (rowid, body) SELECT id, body FROM main.messages"
	" WHERE id >= ?1";
/* The indexer's connection: main = the search file, m = the store. */
static const char SQL_NEXT[] =
	"SELECT id, body FROM m.messages WHERE id > ?1 ORDER BY id LIMIT ?2";
static const char SQL_INDEX[] = "INSERT INTO messages_fts (rowid, body) VALUES (?1, ?2)";
static const char SQL_MARK[] = "UPDATE search_state SET indexed_upto = ?1";
static const char SQL_NEWEST[] = "SELECT coalesce(max(id), 0) FROM messages";

static int exec_sql(sqlite3 *db, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return 0;
	tlog_error("search index: %s: %s", what, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return (rc & 0xff) == SQLITE_BUSY ? -EBUSY : -EIO;
}

static int create_schema(sqlite3 *db, const char *schema)
{
	char *sql = sqlite3_mprintf(SCHEMA_SQL, schema, schema, schema, schema);
	int r = exec_sql(db, sql, "creating the index");

	sqlite3_free(sql);
	return r;
}

static int64_t int64_query(sqlite3 *db, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, a);
		sqlite3_bind_int64(st, 2, b);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return v;
}

/* Opens (creating) the search file, WAL, its schema in the current format,
 * and empties it when its mark is past the store's newest message (a store
 * restored from an older backup). Loop thread, at open. */
static int open_search_file(tsunagu_sqlite_search *s, sqlite3 *store_db, int64_t newest)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					       SQLITE_OPEN_NOMUTEX, NULL);
	int64_t mark;
	int r = 0;

	if (rc != SQLITE_OK) {
		tlog_error("cannot open the search index %s: %s", s->path, sqlite3_errstr(rc));
		r = -EIO;
		goto out;
	}
	sqlite3_busy_timeout(db, s->busy_timeout_ms);
	if ((r = exec_sql(db, "PRAGMA journal_mode=WAL", "switching to WAL")) < 0)
		goto out;
	if (int64_query(db, "PRAGMA user_version", 0, 0) != SEARCH_FORMAT) {
		/* A file from another layout (or a new one): start over. */
		if ((r = exec_sql(db, "DROP TABLE IF EXISTS messages_fts;"
				      "DROP TABLE IF EXISTS search_state;", "resetting")) < 0)
			goto out;
		if ((r = create_schema(db, "main")) < 0)
			goto out;
		if ((r = exec_sql(db, "PRAGMA user_version=" G_STRINGIFY(SEARCH_FORMAT),
				  "recording the format")) < 0)
			goto out;
	}
	mark = int64_query(db, "SELECT indexed_upto FROM search_state", 0, 0);
	if (mark > newest) {
		tlog_warn("search index %s is ahead of the store (message %" G_GINT64_FORMAT
			  " > %" G_GINT64_FORMAT "): indexing again", s->path, mark, newest);
		if ((r = exec_sql(db, "BEGIN;"
				      "DELETE FROM messages_fts;"
				      "UPDATE search_state SET indexed_upto = 0; COMMIT;",
				  "emptying")) < 0)
			goto out;
		mark = 0;
	}
	s->indexed = mark < 0 ? 0 : mark;
	s->reader = db;
	db = NULL;
out:
	sqlite3_close(db);
	return r;
}

typedef struct {
	int64_t id;
	char body[]; /* NUL-terminated */
} index_row;

/* Reads the next messages after mark (a short read of the store, then the
 * statement is reset: no snapshot stays open). Sets *more when the batch
 * was cut and more may follow. Indexer thread. */
static int read_rows(sqlite3_stmt *next, int64_t mark, GPtrArray *rows, bool *more)
{
	size_t bytes = 0;
	int rc;

	sqlite3_bind_int64(next, 1, mark);
	sqlite3_bind_int64(next, 2, INDEX_BATCH);
	while (bytes < INDEX_BATCH_BYTES && (rc = sqlite3_step(next)) == SQLITE_ROW) {
		size_t len = (size_t)sqlite3_column_bytes(next, 1);
		index_row *row = g_malloc(sizeof(*row) + len + 1);
		row->id = sqlite3_column_int64(next, 0);
		memcpy(row->body, sqlite3_column_text(next, 1), len);
		row->body[len] = 0;
		g_ptr_array_add(rows, row);
		bytes += len;
	}
	*more = bytes >= INDEX_BATCH_BYTES || rows->len >= INDEX_BATCH;
	rc = bytes >= INDEX_BATCH_BYTES ? SQLITE_DONE : rc;
	sqlite3_reset(next);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -EIO;
}

/* One indexing transaction: the next messages after *mark, and the new mark
 * with them. Sets *more when there may be more after them. Indexer thread. */
static int index_pass(sqlite3 *db, sqlite3_stmt *next, sqlite3_stmt *index, sqlite3_stmt *set,
		      int64_t *mark, bool *more)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);
	int64_t upto = *mark;
	int r = read_rows(next, *mark, rows, more);

	if (r < 0 || rows->len == 0)
		goto out;
	if ((r = exec_sql(db, "BEGIN", "beginning")) < 0)
		goto out;
	for (guint i = 0; i < rows->len && r == 0; i++) {
		index_row *row = rows->pdata[i];
		sqlite3_bind_int64(index, 1, row->id);
		sqlite3_bind_text(index, 2, row->body, -1, SQLITE_STATIC);
		if (sqlite3_step(index) != SQLITE_DONE)
			r = -EIO;
		sqlite3_reset(index);
		upto = row->id;
	}
	sqlite3_bind_int64(set, 1, upto);
	if (r == 0 && sqlite3_step(set) != SQLITE_DONE)
		r = -EIO;
	sqlite3_reset(set);
	if (r == 0)
		r = exec_sql(db, "COMMIT", "committing");
	if (r < 0)
		exec_sql(db, "ROLLBACK", "rolling back");
	else
		*mark = upto;
out:
	if (r < 0)
		tlog_error("search index: indexing after message %" G_GINT64_FORMAT ": %s", *mark,
			   sqlite3_errmsg(db));
	g_ptr_array_unref(rows);
	return r;
}

static gpointer indexer_thread(gpointer data)
{
	tsunagu_sqlite_search *s = data;
	sqlite3 *db = NULL;
	sqlite3_stmt *next = NULL, *index = NULL, *set = NULL, *attach = NULL;
	int64_t mark;
	int rc = sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, s->busy_timeout_ms);
		/* Rebuildable from the store: losing the last commits to a
		 * power cut only means indexing them again. */
		rc = sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS m", -1, &attach, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(attach, 1, s->store_path, -1, SQLITE_STATIC);
		rc = sqlite3_step(attach) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, SQL_NEXT, -1, &next, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, SQL_INDEX, -1, &index, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, SQL_MARK, -1, &set, NULL);
	g_mutex_lock(&s->lock);
	if (rc != SQLITE_OK) {
		tlog_error("search indexer cannot start on %s: %s; searches of 3 characters or"
			   " more find nothing new until restart", s->path,
			   db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		s->failed = true;
		g_cond_broadcast(&s->progress);
		goto out;
	}
	mark = s->indexed;
	gint64 next_pass = 0;
	for (;;) {
		while (!s->stopping && s->indexed >= s->target)
			g_cond_wait(&s->wake, &s->lock);
		while (!s->stopping && !s->waiters && g_get_monotonic_time() < next_pass)
			g_cond_wait_until(&s->wake, &s->lock, next_pass);
		if (s->stopping)
			break;
		/* Read before the pass's snapshot: the snapshot then holds
		 * every commit up to goal. */
		int64_t goal = s->target;
		bool more = false;
		g_mutex_unlock(&s->lock);
		int r = index_pass(db, next, index, set, &mark, &more);
		g_mutex_lock(&s->lock);
		if (r < 0) {
			/* Tried again a second later (logged each time); a
			 * search meanwhile waits its bound, then sees the index
			 * as it is. */
			gint64 until = g_get_monotonic_time() + G_TIME_SPAN_SECOND;
			while (!s->stopping && g_cond_wait_until(&s->wake, &s->lock, until))
				;
			continue;
		}
		s->indexed = MAX(s->indexed, more ? mark : MAX(mark, goal));
		g_cond_broadcast(&s->progress);
		/* A catch-up goes on at once; after one, commits gather. */
		next_pass = more ? 0 : g_get_monotonic_time() + INDEX_PACE_US;
	}
out:
	g_mutex_unlock(&s->lock);
	sqlite3_finalize(attach);
	sqlite3_finalize(next);
	sqlite3_finalize(index);
	sqlite3_finalize(set);
	sqlite3_close(db);
	return NULL;
}

static void remove_search_file(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < G_N_ELEMENTS(suffix); i++) {
		char *p = g_strconcat(path, suffix[i], NULL);
		g_unlink(p);
		g_free(p);
	}
}

int tsunagu_sqlite_search_start(tsunagu_sqlite *sq)
{
	tsunagu_sqlite_search *s;
	int64_t newest = 0;
	int r;

	r = tsunagu_sqlite_int64_of(sq, SQL_NEWEST, 0, 0, &newest, 0, "reading the newest message");
	if (r < 0)
		return r;
	if (sq->memory) {
		r = exec_sql(sq->db, "ATTACH DATABASE ':memory:' AS search", "attaching");
		return r < 0 ? r : create_schema(sq->db, "search");
	}
	s = g_new0(tsunagu_sqlite_search, 1);
	g_mutex_init(&s->lock);
	g_cond_init(&s->wake);
	g_cond_init(&s->progress);
	s->path = g_strconcat(sq->path, ".search", NULL);
	s->store_path = g_strdup(sq->path);
	s->busy_timeout_ms = sq->busy_timeout_ms;
	sq->search = s;
	r = open_search_file(s, sq->db, newest);
	if (r < 0) {
		/* The index is only derived data: a damaged file is built anew
		 * rather than keeping the store from opening. */
		tlog_warn("search index %s unusable: building it anew", s->path);
		remove_search_file(s->path);
		r = open_search_file(s, sq->db, newest);
	}
	if (r < 0)
		goto fail;
	s->target = newest;
	if (sqlite3_prepare_v3(s->reader, SQL_QUERY, -1, SQLITE_PREPARE_PERSISTENT, &s->query,
			       NULL) != SQLITE_OK) {
		tlog_error("search index: %s", sqlite3_errmsg(s->reader));
		r = -EIO;
		goto fail;
	}
	s->thread = g_thread_try_new("tsunagu-index", indexer_thread, s, NULL);
	if (!s->thread) {
		tlog_error("cannot start the search indexer thread");
		r = -EAGAIN;
		goto fail;
	}
	return 0;
fail:
	tsunagu_sqlite_search_stop(sq);
	return r;
}

void tsunagu_sqlite_search_stop(tsunagu_sqlite *sq)
{
	tsunagu_sqlite_search *s = sq->search;

	if (!s)
		return;
	if (s->thread) {
		g_mutex_lock(&s->lock);
		s->stopping = true;
		g_cond_signal(&s->wake);
		g_mutex_unlock(&s->lock);
		g_thread_join(s->thread);
	}
	sqlite3_finalize(s->query);
	sqlite3_close(s->reader);
	g_mutex_clear(&s->lock);
	g_cond_clear(&s->wake);
	g_cond_clear(&s->progress);
	g_free(s->path);
	g_free(s->store_path);
	g_free(s);
	sq->search = NULL;
}

int tsunagu_sqlite_search_index_batch(tsunagu_sqlite *sq)
{
	sqlite3_stmt *st;

	if (sq->batch_first_id == 0 || sq->search)
		return 0;
	st = tsunagu_sqlite_stmt(sq, SQL_INDEX_ATTACHED);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, sq->batch_first_id);
	return tsunagu_sqlite_run(sq, st, "indexing the batch's messages");
}

void tsunagu_sqlite_search_committed(tsunagu_sqlite *sq, int64_t last_id)
{
	tsunagu_sqlite_search *s = sq->search;

	if (!s || last_id <= 0)
		return;
	g_mutex_lock(&s->lock);
	if (last_id > s->target) {
		s->target = last_id;
		g_cond_signal(&s->wake);
	}
	g_mutex_unlock(&s->lock);
}

sqlite3_stmt *tsunagu_sqlite_search_query(tsunagu_sqlite *sq, sqlite3 **db_out)
{
	tsunagu_sqlite_search *s = sq->search;
	gint64 until;

	if (!s) {
		*db_out = sq->db;
		return tsunagu_sqlite_stmt(sq, SQL_QUERY_ATTACHED);
	}
	until = g_get_monotonic_time() + SEARCH_WAIT_MS * G_TIME_SPAN_MILLISECOND;
	g_mutex_lock(&s->lock);
	if (s->target - s->indexed > SEARCH_WAIT_MAX_GAP) {
		tlog_info("search index %" G_GINT64_FORMAT " messages behind (catching up):"
			  " searching what is indexed", s->target - s->indexed);
		g_mutex_unlock(&s->lock);
		*db_out = s->reader;
		return s->query;
	}
	s->waiters++;
	g_cond_signal(&s->wake); /* no pacing while a search waits */
	while (s->indexed < s->target && !s->failed)
		if (!g_cond_wait_until(&s->progress, &s->lock, until)) {
			tlog_warn("search index %" G_GINT64_FORMAT " messages behind after %d ms:"
				  " searching what is indexed", s->target - s->indexed,
				  SEARCH_WAIT_MS);
			break;
		}
	s->waiters--;
	g_mutex_unlock(&s->lock);
	*db_out = s->reader;
	return s->query;
}

int64_t tsunagu_sqlite_search_indexed(tsunagu_sqlite *sq)
{
	tsunagu_sqlite_search *s = sq->search;
	int64_t v;

	if (!s)
		return -1;
	g_mutex_lock(&s->lock);
	v = s->indexed;
	g_mutex_unlock(&s->lock);
	return v;
}
