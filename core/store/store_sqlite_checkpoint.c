/* WAL checkpoints on a thread of their own. SQLite's automatic checkpoint
 * runs inside the COMMIT that crosses 1000 WAL pages: on the loop thread,
 * copying pages into the database file and fsyncing it while every socket
 * waits. Here a wal hook (called on the loop thread after each commit) only
 * wakes a thread, which checkpoints through its own connection in PASSIVE
 * mode: it never blocks the writer, and the writer never waits for it. */
#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

#include <errno.h>

/* The WAL size (pages) that asks for a checkpoint: SQLite's own default. */
#define CHECKPOINT_PAGES 1000
/* Under sustained writes a PASSIVE checkpoint beside the writer never
 * catches up with it, so SQLite never restarts the log and the WAL would
 * grow without bound. Past this size the loop checkpoints itself (what
 * SQLite does at 1000 pages): with no writer beside it, that one completes
 * and the next transaction starts the WAL over. */
#define CHECKPOINT_HARD_PAGES 4000

struct tsunagu_sqlite_checkpointer {
	GThread *thread;
	GMutex lock;
	GCond wake;
	bool wanted;   /* under lock */
	bool stopping; /* under lock */
	char *path;
	int busy_timeout_ms;
	gint done;     /* completed checkpoints (atomic) */
};

static gpointer checkpoint_thread(gpointer data)
{
	tsunagu_sqlite_checkpointer *c = data;
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		tlog_error("checkpointer cannot open %s: %s; the WAL grows until restart",
			   c->path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, c->busy_timeout_ms);
	g_mutex_lock(&c->lock);
	for (;;) {
		while (!c->wanted && !c->stopping)
			g_cond_wait(&c->wake, &c->lock);
		if (c->stopping)
			break;
		c->wanted = false;
		g_mutex_unlock(&c->lock);
		int log = 0, copied = 0;
		rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			tlog_warn("checkpoint of %s: %s", c->path, sqlite3_errmsg(db));
		else
			g_atomic_int_inc(&c->done);
		g_mutex_lock(&c->lock);
	}
	g_mutex_unlock(&c->lock);
	sqlite3_close(db);
	return NULL;
}

/* sqlite3_wal_hook: loop thread, right after a commit; pages = WAL size. */
static int on_wal_commit(void *data, sqlite3 *db, const char *name, int pages)
{
	tsunagu_sqlite_checkpointer *c = data;
	if (pages >= CHECKPOINT_HARD_PAGES) {
		/* BUSY while the thread checkpoints: the next commit tries again. */
		int64_t t0 = g_get_monotonic_time();
		int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		int64_t took_ms = (g_get_monotonic_time() - t0) / 1000;
		if (rc == SQLITE_OK)
			g_atomic_int_inc(&c->done);
		/* Every socket waited this long: say so when it is a stall (at a
		 * full chat load these take ~20 ms, a few times a second). */
		if (took_ms >= 100)
			tlog_info("the WAL reached %d pages: checkpointed on the loop in %" G_GINT64_FORMAT
				  " ms (%s)", pages, took_ms, rc == SQLITE_OK ? "done" : sqlite3_errstr(rc));
		return SQLITE_OK;
	}
	if (pages >= CHECKPOINT_PAGES) {
		g_mutex_lock(&c->lock);
		c->wanted = true;
		g_cond_signal(&c->wake);
		g_mutex_unlock(&c->lock);
	}
	return SQLITE_OK;
}

int tsunagu_sqlite_checkpointer_start(tsunagu_sqlite *sq)
{
	if (sq->memory || sq->checkpointer)
		return 0;
	tsunagu_sqlite_checkpointer *c = g_new0(tsunagu_sqlite_checkpointer, 1);
	g_mutex_init(&c->lock);
	g_cond_init(&c->wake);
	c->path = g_strdup(sq->path);
	c->busy_timeout_ms = sq->busy_timeout_ms;
	c->thread = g_thread_try_new("tsunagu-ckpt", checkpoint_thread, c, NULL);
	if (!c->thread) {
		tlog_warn("no checkpoint thread: checkpoints stay in the commit");
		g_free(c->path);
		g_free(c);
		return -EAGAIN;
	}
	/* Replaces SQLite's automatic checkpoint (itself a wal hook). */
	sqlite3_wal_hook(sq->db, on_wal_commit, c);
	sq->checkpointer = c;
	return 0;
}

void tsunagu_sqlite_checkpointer_stop(tsunagu_sqlite *sq)
{
	tsunagu_sqlite_checkpointer *c = sq->checkpointer;
	if (!c)
		return;
	sqlite3_wal_hook(sq->db, NULL, NULL);
	g_mutex_lock(&c->lock);
	c->stopping = true;
	g_cond_signal(&c->wake);
	g_mutex_unlock(&c->lock);
	g_thread_join(c->thread);
	g_mutex_clear(&c->lock);
	g_cond_clear(&c->wake);
	g_free(c->path);
	g_free(c);
	sq->checkpointer = NULL;
}

int tsunagu_sqlite_checkpoints_done(const tsunagu_sqlite *sq)
{
	return sq->checkpointer ? g_atomic_int_get(&sq->checkpointer->done) : 0;
}
