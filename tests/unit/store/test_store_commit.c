/* Store: opening, migrations, pragmas, group commit and its callbacks,
 * savepoint atomicity, backup, and the event sequence across restarts. */
#include <errno.h>
#include <glib/gstdio.h>

#include "store_sqlite.h"
#include "store_test_util.h"

#define NO_OPEN ((gconstpointer) "no-open")

/* ---- migrations and pragmas ------------------------------------------------- */

static void test_migrations(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_options opts = { 0 };
	int latest = tsunagu_sqlite_migrations_latest();
	sqlite3 *peer;

	g_assert_cmpint(latest, >=, 1);
	g_assert_cmpint(tsunagu_store_schema_version(fx->store), ==, latest);
	tsunagu_store_close(fx->store);
	fx->store = NULL;

	/* Re-opening applies nothing again. */
	fixture_open(fx, &opts);
	g_assert_cmpint(tsunagu_store_schema_version(fx->store), ==, latest);
	peer = fixture_peer(fx);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM schema_version"), ==, latest);
	/* The search index lives in a file of its own (migration 6). */
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM sqlite_master WHERE name = 'messages_fts'"),
			==, 0);
	tsunagu_store_close(fx->store);
	fx->store = NULL;

	/* A database written by a newer program is refused. */
	g_assert_cmpint(sqlite3_exec(peer, "INSERT INTO schema_version VALUES (999, 0)", NULL, NULL,
				     NULL), ==, SQLITE_OK);
	sqlite3_close(peer);
	tsunagu_store_options o = { .path = fx->path, .context = fx->context };
	tsunagu_store *s = NULL;
	g_assert_cmpint(tsunagu_store_open(&o, &s), ==, -EPROTO);
	g_assert_null(s);
}

static void test_pragmas(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_options opts = { 0 };
	tsunagu_store_options bad = { .path = fx->path, .synchronous = "sometimes" };
	tsunagu_store *s = NULL;
	sqlite3 *db;

	fixture_open(fx, &opts);
	db = tsunagu_store_sqlite_db(fx->store);
	g_assert_nonnull(db);
	sqlite3_stmt *st;
	g_assert_cmpint(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
	g_assert_cmpstr((const char *)sqlite3_column_text(st, 0), ==, "wal");
	sqlite3_finalize(st);
	g_assert_cmpint(query_int(db, "PRAGMA synchronous"), ==, 2); /* FULL */
	g_assert_cmpint(query_int(db, "PRAGMA foreign_keys"), ==, 1);
	tsunagu_store_close(fx->store);
	fx->store = NULL;

	tsunagu_store_options normal = { .synchronous = "normal", .busy_timeout_ms = 1234 };
	fixture_open(fx, &normal);
	db = tsunagu_store_sqlite_db(fx->store);
	g_assert_cmpint(query_int(db, "PRAGMA synchronous"), ==, 1); /* NORMAL */
	g_assert_cmpint(query_int(db, "PRAGMA busy_timeout"), ==, 1234);

	g_assert_cmpint(tsunagu_store_open(&bad, &s), ==, -EINVAL);
	g_assert_null(s);
}

/* ---- group commit ------------------------------------------------------------ */

typedef struct {
	GArray *order;  /* int: the tags of the callbacks in the order they ran */
	GArray *status; /* int: their statuses */
	int expected;
	bool done;
} cb_log;

typedef struct {
	cb_log *log;
	int tag;
} cb_arg;

static void on_commit(int status, void *user_data)
{
	cb_arg *a = user_data;

	g_array_append_val(a->log->order, a->tag);
	g_array_append_val(a->log->status, status);
	if ((int)a->log->order->len == a->log->expected)
		a->log->done = true;
}

static void cb_log_init(cb_log *log, int expected)
{
	log->order = g_array_new(FALSE, FALSE, sizeof(int));
	log->status = g_array_new(FALSE, FALSE, sizeof(int));
	log->expected = expected;
	log->done = false;
}

static void cb_log_clear(cb_log *log)
{
	g_array_free(log->order, TRUE);
	g_array_free(log->status, TRUE);
}

static int count_commits(void *user_data)
{
	(*(int *)user_data)++;
	return 0;
}

static int refuse_commit(void *user_data)
{
	(*(int *)user_data)++;
	return 1; /* turns the COMMIT into a ROLLBACK */
}

static void test_group_commit(store_fixture *fx, gconstpointer data)
{
	sqlite3 *db = tsunagu_store_sqlite_db(fx->store);
	sqlite3 *peer = fixture_peer(fx);
	int64_t conv = fixture_conversation(fx, "web");
	int commits = 0;
	cb_log log;
	cb_arg args[3];
	int64_t id;

	cb_log_init(&log, 3);
	sqlite3_commit_hook(db, count_commits, &commits);

	/* One "iteration": several writes of different kinds, callbacks between. */
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "a", conv, 0, NULL, NULL), ==, 0);
	args[0] = (cb_arg){ &log, 1 };
	tsunagu_store_on_commit(fx->store, on_commit, &args[0]);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "hello", "p-1", &id), ==, 0);
	args[1] = (cb_arg){ &log, 2 };
	tsunagu_store_on_commit(fx->store, on_commit, &args[1]);
	g_assert_cmpint(tsunagu_store_timer_set(fx->store, "t1", 5, NULL), ==, 0);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "b", conv, 0, "{\"x\":1}", NULL), ==, 0);
	args[2] = (cb_arg){ &log, 3 };
	tsunagu_store_on_commit(fx->store, on_commit, &args[2]);

	/* Nothing is durable nor acknowledged yet; another connection sees nothing. */
	g_assert_cmpint(commits, ==, 0);
	g_assert_cmpuint(log.order->len, ==, 0);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM events"), ==, 0);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM messages"), ==, 0);
	/* The store's own reads see the open batch. */
	g_assert_cmpint(tsunagu_store_events_last_seq(fx->store), ==, 2);

	g_assert_true(fixture_iterate_until(fx, &log.done));
	g_assert_cmpint(commits, ==, 1);
	for (int i = 0; i < 3; i++) {
		g_assert_cmpint(g_array_index(log.order, int, i), ==, i + 1);
		g_assert_cmpint(g_array_index(log.status, int, i), ==, 0);
	}
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM events"), ==, 2);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM messages"), ==, 1);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM rule_timers"), ==, 1);

	/* Idle store: nothing to commit, the source does not spin commits. */
	for (int i = 0; i < 5; i++)
		g_main_context_iteration(fx->context, FALSE);
	g_assert_cmpint(commits, ==, 1);

	sqlite3_commit_hook(db, NULL, NULL);
	sqlite3_close(peer);
	cb_log_clear(&log);
}

static void test_on_commit_without_batch(store_fixture *fx, gconstpointer data)
{
	cb_log log;
	cb_arg a;

	cb_log_init(&log, 1);
	a = (cb_arg){ &log, 7 };
	tsunagu_store_on_commit(fx->store, on_commit, &a);
	g_assert_cmpuint(log.order->len, ==, 0); /* never synchronous */
	g_assert_true(fixture_iterate_until(fx, &log.done));
	g_assert_cmpint(g_array_index(log.status, int, 0), ==, 0);
	cb_log_clear(&log);
}

static void test_commit_failure(store_fixture *fx, gconstpointer data)
{
	sqlite3 *db = tsunagu_store_sqlite_db(fx->store);
	int64_t conv = fixture_conversation(fx, "web");
	int attempts = 0;
	cb_log log;
	cb_arg args[2];
	int64_t id;

	cb_log_init(&log, 2);
	sqlite3_commit_hook(db, refuse_commit, &attempts);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "lost", "p-lost", &id), ==, 0);
	args[0] = (cb_arg){ &log, 1 };
	tsunagu_store_on_commit(fx->store, on_commit, &args[0]);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "lost", conv, 0, NULL, NULL), ==, 0);
	args[1] = (cb_arg){ &log, 2 };
	tsunagu_store_on_commit(fx->store, on_commit, &args[1]);

	g_assert_true(fixture_iterate_until(fx, &log.done));
	g_assert_cmpint(attempts, ==, 1);
	g_assert_cmpint(g_array_index(log.order, int, 0), ==, 1);
	g_assert_cmpint(g_array_index(log.order, int, 1), ==, 2);
	g_assert_cmpint(g_array_index(log.status, int, 0), ==, -EIO);
	g_assert_cmpint(g_array_index(log.status, int, 1), ==, -EIO);
	sqlite3_commit_hook(db, NULL, NULL);

	/* The batch is gone, and the store works on. */
	GPtrArray *msgs = NULL;
	g_assert_cmpint(tsunagu_store_message_list(fx->store, conv, 0, 0, &msgs), ==, 0);
	g_assert_cmpuint(msgs->len, ==, 0);
	g_ptr_array_unref(msgs);
	g_assert_cmpint(tsunagu_store_events_last_seq(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "kept", "p-lost", &id), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	sqlite3 *peer = fixture_peer(fx);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM messages"), ==, 1);
	sqlite3_close(peer);
	cb_log_clear(&log);
}

static void test_max_batch(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_options opts = { .max_batch = 3 };
	int commits = 0;
	cb_log log;
	cb_arg a;

	fixture_open(fx, &opts);
	sqlite3_commit_hook(tsunagu_store_sqlite_db(fx->store), count_commits, &commits);
	cb_log_init(&log, 1);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "e", 0, 0, NULL, NULL), ==, 0);
	a = (cb_arg){ &log, 1 };
	tsunagu_store_on_commit(fx->store, on_commit, &a);
	for (int i = 0; i < 6; i++)
		g_assert_cmpint(tsunagu_store_event_append(fx->store, "e", 0, 0, NULL, NULL), ==, 0);
	/* 7 writes with max_batch 3: two early commits, one batch of 1 open. */
	g_assert_cmpint(commits, ==, 2);
	/* The callback's writes are durable, but it still runs from the loop. */
	g_assert_cmpuint(log.order->len, ==, 0);
	g_assert_true(fixture_iterate_until(fx, &log.done));
	g_assert_cmpint(g_array_index(log.status, int, 0), ==, 0);
	g_assert_cmpint(commits, ==, 3);
	sqlite3_commit_hook(tsunagu_store_sqlite_db(fx->store), NULL, NULL);
	cb_log_clear(&log);
}

static void test_close_commits(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_options opts = { 0 };
	cb_log log;
	cb_arg a;

	cb_log_init(&log, 1);
	g_assert_cmpint(tsunagu_store_timer_set(fx->store, "k", 42, "{}"), ==, 0);
	a = (cb_arg){ &log, 1 };
	tsunagu_store_on_commit(fx->store, on_commit, &a);
	tsunagu_store_close(fx->store);
	fx->store = NULL;
	g_assert_true(log.done);
	g_assert_cmpint(g_array_index(log.status, int, 0), ==, 0);

	fixture_open(fx, &opts);
	int64_t due = 0;
	g_assert_cmpint(tsunagu_store_timer_next(fx->store, &due), ==, 0);
	g_assert_cmpint(due, ==, 42);
	cb_log_clear(&log);
}

/* ---- savepoints ------------------------------------------------------------------ */

static void test_savepoint_atomicity(store_fixture *fx, gconstpointer data)
{
	sqlite3 *db = tsunagu_store_sqlite_db(fx->store);
	int64_t conv = fixture_conversation(fx, "web");
	int64_t id = 0, contact = 0;
	GArray *hits = NULL;

	/* Make the last step of each multi-row operation fail, after its first
	 * rows were written. */
	g_assert_cmpint(sqlite3_exec(db,
				     "CREATE TEMP TRIGGER fail_touch BEFORE UPDATE ON conversations"
				     " BEGIN SELECT RAISE(ABORT, 'test'); END;"
				     "CREATE TEMP TRIGGER fail_identity BEFORE INSERT ON contact_identities"
				     " BEGIN SELECT RAISE(ABORT, 'test'); END;",
				     NULL, NULL, NULL), ==, SQLITE_OK);

	/* A write before, in the same batch, must survive the failures. */
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "before", 0, 0, NULL, NULL), ==, 0);
	int64_t contacts_before = query_int(db, "SELECT count(*) FROM contacts");
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "atomic-unique-text", "p-atomic", &id), <, 0);
	g_assert_cmpint(tsunagu_store_contact_identity(fx->store, "sms", "+8190", "X", &contact,
						       NULL), <, 0);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "after", 0, 0, NULL, NULL), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);

	g_assert_cmpint(query_int(db, "SELECT count(*) FROM messages"), ==, 0);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM contacts"), ==, contacts_before);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM events"), ==, 2);
	g_assert_cmpint(tsunagu_store_message_search(fx->store, "unique-text", 10, &hits), ==, 0);
	g_assert_cmpuint(hits->len, ==, 0);
	g_array_free(hits, TRUE);

	/* Inside an atomic section the write has no savepoint of its own: the
	 * section it left half-done cannot be kept, only undone. */
	int64_t events_before = query_int(db, "SELECT count(*) FROM events");
	g_assert_cmpint(tsunagu_store_atomic_begin(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "in-section", 0, 0, NULL, NULL), ==,
			0);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "atomic-unique-text", "p-section", &id), <, 0);
	g_assert_cmpint(tsunagu_store_atomic_end(fx->store, true), ==, -EIO);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "after-section", 0, 0, NULL, NULL),
			==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM messages"), ==, 0);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM events"), ==, events_before + 1);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM events WHERE type = 'in-section'"),
			==, 0);
	/* The next section is not affected. */
	g_assert_cmpint(tsunagu_store_atomic_begin(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "next-section", 0, 0, NULL, NULL),
			==, 0);
	g_assert_cmpint(tsunagu_store_atomic_end(fx->store, true), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM events WHERE type = 'next-section'"),
			==, 1);

	/* Without the triggers the same operations go through. */
	g_assert_cmpint(sqlite3_exec(db, "DROP TRIGGER fail_touch; DROP TRIGGER fail_identity;",
				     NULL, NULL, NULL), ==, SQLITE_OK);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "atomic-unique-text", "p-atomic", &id), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_message_search(fx->store, "unique-text", 10, &hits), ==, 0);
	g_assert_cmpuint(hits->len, ==, 1);
	g_assert_cmpint(g_array_index(hits, int64_t, 0), ==, id);
	g_array_free(hits, TRUE);
}

static void test_atomic_sections(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_options opts = { .max_batch = 2 };
	int commits = 0;
	int64_t conv, kept = 0, dropped = 0, seq = 0;
	GArray *hits = NULL;
	sqlite3 *db;

	fixture_open(fx, &opts);
	db = tsunagu_store_sqlite_db(fx->store);
	conv = fixture_conversation(fx, "web");
	sqlite3_commit_hook(db, count_commits, &commits);

	/* Outer section kept, inner one undone; max_batch (2) is reached
	 * inside the section but nothing commits before its end. */
	g_assert_cmpint(tsunagu_store_atomic_begin(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "outer message kept", "k1", &kept), ==, 0);
	g_assert_cmpint(tsunagu_store_atomic_begin(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "inner message dropped", "d1", &dropped), ==, 0);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "inner", conv, 0, NULL, NULL), ==, 0);
	g_assert_cmpint(commits, ==, 0);
	g_assert_cmpint(tsunagu_store_atomic_end(fx->store, false), ==, 0);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "outer", conv, 0, NULL, &seq), ==, 0);
	g_assert_cmpint(commits, ==, 0);
	g_assert_cmpint(tsunagu_store_atomic_end(fx->store, true), ==, 0);
	g_assert_cmpint(commits, ==, 1); /* the deferred early commit */

	g_assert_cmpint(query_int(db, "SELECT count(*) FROM messages"), ==, 1);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM events"), ==, 1);
	g_assert_cmpint(tsunagu_store_message_search(fx->store, "message", 10, &hits), ==, 0);
	g_assert_cmpuint(hits->len, ==, 1);
	g_assert_cmpint(g_array_index(hits, int64_t, 0), ==, kept);
	g_array_free(hits, TRUE);

	/* An undone section leaves nothing, the id it used is reused cleanly. */
	g_assert_cmpint(tsunagu_store_atomic_begin(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "never", "n1", &dropped), ==, 0);
	g_assert_cmpint(tsunagu_store_atomic_end(fx->store, false), ==, 0);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "second kept", "k2", &kept), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_message_search(fx->store, "never", 10, &hits), ==, 0);
	g_assert_cmpuint(hits->len, ==, 0);
	g_array_free(hits, TRUE);
	g_assert_cmpint(tsunagu_store_message_search(fx->store, "second", 10, &hits), ==, 0);
	g_assert_cmpuint(hits->len, ==, 1);
	g_array_free(hits, TRUE);

	/* Ending a section that is not open is an error. */
	g_assert_cmpint(tsunagu_store_atomic_end(fx->store, true), ==, -EIO);
	sqlite3_commit_hook(db, NULL, NULL);
}

/* ---- backup ----------------------------------------------------------------------- */

static void test_backup(store_fixture *fx, gconstpointer data)
{
	int64_t conv = fixture_conversation(fx, "web");
	char *copy = g_build_filename(fx->dir, "copy.db", NULL);
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	int64_t id;

	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "committed", NULL, &id), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	/* A batch is open while the backup runs. */
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "pending", NULL, &id), ==, 0);
	g_assert_cmpint(tsunagu_store_backup(fx->store, copy), ==, 0);
	g_assert_cmpint(tsunagu_store_backup(fx->store, copy), ==, 0); /* replaces */

	g_assert_cmpint(sqlite3_open_v2(copy, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), ==,
			SQLITE_OK);
	g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
	g_assert_cmpstr((const char *)sqlite3_column_text(st, 0), ==, "ok");
	sqlite3_finalize(st);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM messages WHERE body = 'committed'"), ==, 1);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM messages WHERE body = 'pending'"), ==, 0);
	g_assert_cmpint(query_int(db, "SELECT max(version) FROM schema_version"), ==,
			tsunagu_sqlite_migrations_latest());
	sqlite3_close(db);
	/* The copy opens as a store whose search index is built from it. */
	{
		tsunagu_store_options o = { .path = copy, .context = fx->context };
		tsunagu_store *restored = NULL;
		GArray *hits = NULL;
		g_assert_cmpint(tsunagu_store_open(&o, &restored), ==, 0);
		g_assert_cmpint(tsunagu_store_message_search(restored, "mmitte", 10, &hits), ==, 0);
		g_assert_cmpuint(hits->len, ==, 1);
		g_array_free(hits, TRUE);
		g_assert_cmpint(tsunagu_store_message_search(restored, "pending", 10, &hits), ==, 0);
		g_assert_cmpuint(hits->len, ==, 0);
		g_array_free(hits, TRUE);
		tsunagu_store_close(restored);
	}

	/* The open batch was not disturbed. */
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	sqlite3 *peer = fixture_peer(fx);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM messages"), ==, 2);
	sqlite3_close(peer);

	/* A path that cannot be written is an error, not a crash. */
	char *bad = g_build_filename(fx->dir, "missing", "dir", "x.db", NULL);
	g_assert_cmpint(tsunagu_store_backup(fx->store, bad), <, 0);
	g_free(bad);
	g_free(copy);
}

/* ---- events ------------------------------------------------------------------------ */

/* WAL checkpoints happen on the checkpoint thread, not in COMMIT: after
 * enough pages one completes, the WAL file is reused rather than growing,
 * and every row reads back from a fresh connection. */
static void test_checkpoints_off_the_loop(store_fixture *fx, gconstpointer data)
{
	tsunagu_sqlite *sq = tsunagu_store_backend_handle(fx->store);
	char *wal = g_strconcat(fx->path, "-wal", NULL);
	char *body = g_malloc(3001);
	memset(body, 'x', 3000);
	body[3000] = 0;
	int64_t conv = fixture_conversation(fx, "web"), id = 0;
	goffset biggest = 0;
	for (int round = 0; round < 8; round++) {
		int before = tsunagu_sqlite_checkpoints_done(sq);
		/* each round about 1,500 pages of WAL: over the 1000-page mark */
		for (int i = 0; i < 1500; i++) {
			g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER,
								     0, body, NULL, &id), ==, 0);
			if (i % 100 == 99)
				g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
		}
		g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
		for (int wait = 0; wait < 1000 && tsunagu_sqlite_checkpoints_done(sq) == before; wait++)
			g_usleep(10 * 1000);
		g_assert_cmpint(tsunagu_sqlite_checkpoints_done(sq), >, before);
		GStatBuf st;
		g_assert_cmpint(g_stat(wal, &st), ==, 0);
		if (st.st_size > biggest)
			biggest = st.st_size;
	}
	/* 8 rounds of ~5 MB: a WAL that never restarted would be ~40 MB; it is
	 * reused once past the 4000-page bound (16 MB) plus one round. */
	g_assert_cmpint(biggest, <, 28 * 1024 * 1024);
	sqlite3 *db = NULL;
	g_assert_cmpint(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM messages"), ==, 12000);
	sqlite3_close(db);
	g_free(body);
	g_free(wal);
}

/* What runs for every customer message and every reply never sorts: each
 * lookup walks an index in order (SQLite counts sorts per statement). */
static void test_message_path_never_sorts(store_fixture *fx, gconstpointer data)
{
	tsunagu_sqlite *sq = tsunagu_store_backend_handle(fx->store);
	int64_t staff = 0, contact = 0, conv = 0, id = 0, last = 0;
	bool created = false;
	g_assert_cmpint(tsunagu_store_staff_create(fx->store, "sato", "Sato", NULL,
						   TSUNAGU_ROLE_OPERATOR, "x", &staff), ==, 0);
	for (int i = 0; i < 50; i++) {
		char *who = g_strdup_printf("visitor-%d", i % 7);
		g_assert_cmpint(tsunagu_store_contact_identity(fx->store, "web", who, NULL, &contact,
							       &created), ==, 0);
		if (tsunagu_store_conversation_find_active(fx->store, contact, "web", &conv) < 0) {
			g_assert_cmpint(tsunagu_store_conversation_create(fx->store, "web", contact,
									  &conv), ==, 0);
			g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, conv, staff, -1),
					==, 0);
		}
		g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
							     "hello", NULL, &id), ==, 0);
		char *ext = NULL;
		g_assert_cmpint(tsunagu_store_contact_identity_get(fx->store, contact, "web", &ext), ==,
				0);
		g_assert_cmpstr(ext, ==, who);
		g_free(ext);
		g_assert_cmpint(tsunagu_store_event_append(fx->store, "message.customer", conv, 0, "{}",
							   &last), ==, 0);
		if (i % 10 == 9)
			g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
		g_free(who);
	}
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, sq->stmts);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		sqlite3_stmt *st = value;
		int sorts = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_SORT, 0);
		if (sorts)
			g_error("sorted %d times: %s", sorts, sqlite3_sql(st));
	}
}

static void test_events_seq(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_options opts = { 0 };
	int64_t seq = 0, prev = 0;
	GPtrArray *evs = NULL;

	for (int i = 0; i < 5; i++) {
		g_assert_cmpint(tsunagu_store_event_append(fx->store, "t", 0, 0, NULL, &seq), ==, 0);
		g_assert_cmpint(seq, >, prev);
		prev = seq;
	}
	g_assert_cmpint(tsunagu_store_events_last_seq(fx->store), ==, prev);
	tsunagu_store_close(fx->store);
	fx->store = NULL;

	/* The newest event cannot be deleted, not even behind the store's
	 * back (its sequence would be handed out again after a restart): the
	 * whole statement is refused. Older events can go. */
	sqlite3 *peer = fixture_peer(fx);
	g_assert_cmpint(sqlite3_exec(peer, "DELETE FROM events WHERE seq > 3", NULL, NULL, NULL), ==,
			SQLITE_CONSTRAINT);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM events"), ==, 5);
	g_assert_cmpint(sqlite3_exec(peer, "DELETE FROM events WHERE seq = 4", NULL, NULL, NULL), ==,
			SQLITE_OK);
	sqlite3_close(peer);
	fixture_open(fx, &opts);
	g_assert_cmpint(tsunagu_store_events_last_seq(fx->store), ==, prev);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "t", 9, 4, "{\"k\":\"v\"}", &seq), ==, 0);
	g_assert_cmpint(seq, >, prev);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);

	/* Bounds: after < seq <= upto, in order, limited. */
	g_assert_cmpint(tsunagu_store_events_range(fx->store, 1, 3, 0, &evs), ==, 0);
	g_assert_cmpuint(evs->len, ==, 2);
	g_assert_cmpint(((tsunagu_store_event *)evs->pdata[0])->seq, ==, 2);
	g_assert_cmpint(((tsunagu_store_event *)evs->pdata[1])->seq, ==, 3);
	g_ptr_array_unref(evs);
	g_assert_cmpint(tsunagu_store_events_range(fx->store, 0, INT64_MAX, 2, &evs), ==, 0);
	g_assert_cmpuint(evs->len, ==, 2);
	g_assert_cmpint(((tsunagu_store_event *)evs->pdata[0])->seq, ==, 1);
	g_ptr_array_unref(evs);
	g_assert_cmpint(tsunagu_store_events_range(fx->store, 3, 3, 0, &evs), ==, 0);
	g_assert_cmpuint(evs->len, ==, 0);
	g_ptr_array_unref(evs);
	g_assert_cmpint(tsunagu_store_events_range(fx->store, 3, INT64_MAX, 0, &evs), ==, 0);
	g_assert_cmpuint(evs->len, ==, 2);
	g_assert_cmpint(((tsunagu_store_event *)evs->pdata[0])->seq, ==, prev);
	tsunagu_store_event *ev = evs->pdata[1];
	g_assert_cmpint(ev->seq, ==, seq);
	g_assert_cmpstr(ev->type, ==, "t");
	g_assert_cmpint(ev->conversation_id, ==, 9);
	g_assert_cmpint(ev->actor_staff_id, ==, 4);
	g_assert_cmpstr(ev->payload_json, ==, "{\"k\":\"v\"}");
	g_assert_cmpint(ev->at_us, >, 0);
	g_ptr_array_unref(evs);

	/* Payload must be a JSON object; a bad one writes nothing. The store
	 * checks only the first byte (migration 11: no json_valid per row);
	 * tsunagu_events_emit refuses anything but an object, and the core's
	 * text composers are fuzzed (tests/fuzz/store). */
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "t", 0, 0, "[1]", NULL), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "t", 0, 0, " {}", NULL), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, NULL, 0, 0, NULL, NULL), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_events_last_seq(fx->store), ==, seq);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn, data) \
	g_test_add(name, store_fixture, data, fixture_setup, fn, fixture_teardown)
	ADD("/store/migrations", test_migrations, NULL);
	ADD("/store/checkpoints-off-the-loop", test_checkpoints_off_the_loop, NULL);
	ADD("/store/message-path-never-sorts", test_message_path_never_sorts, NULL);
	ADD("/store/pragmas", test_pragmas, NO_OPEN);
	ADD("/store/group-commit/one-transaction", test_group_commit, NULL);
	ADD("/store/group-commit/on-commit-without-batch", test_on_commit_without_batch, NULL);
	ADD("/store/group-commit/failure", test_commit_failure, NULL);
	ADD("/store/group-commit/max-batch", test_max_batch, NO_OPEN);
	ADD("/store/group-commit/close-commits", test_close_commits, NULL);
	ADD("/store/savepoint-atomicity", test_savepoint_atomicity, NULL);
	ADD("/store/atomic-sections", test_atomic_sections, NO_OPEN);
	ADD("/store/backup", test_backup, NULL);
	ADD("/store/events/seq", test_events_seq, NULL);
	return g_test_run();
}
