/* Store: the reads of one loop iteration outside a batch share one read
 * transaction (issue 5: in autocommit each read locked and unlocked the
 * file and took a WAL read mark, ~4 fcntl). What must hold: the transaction
 * ends before the loop waits again (the store source's prepare), so a
 * checkpoint is never held back by an idle loop; a write batch ends it
 * first and behaves as before; a failed batch is still reported lost. */
#include <errno.h>

#include "store_sqlite.h"
#include "store_test_util.h"

/* A PRAGMA wal_checkpoint(TRUNCATE) on peer: 1 when a reader of the store's
 * connection stopped it (busy), 0 when the WAL was emptied. */
static int64_t truncate_busy(sqlite3 *peer)
{
	return query_int(peer, "PRAGMA wal_checkpoint(TRUNCATE)");
}

/* Empties the WAL through peer, retrying while the checkpointer thread holds
 * the checkpoint lock (a bounded number of times): true once done. */
static bool wal_emptied(sqlite3 *peer)
{
	for (int i = 0; i < 200; i++) {
		if (truncate_busy(peer) == 0)
			return true;
		g_usleep(10000);
	}
	return false;
}

static char *setting(store_fixture *fx)
{
	char *v = NULL;
	int r = tsunagu_store_setting_get(fx->store, "core", "k", &v);

	g_assert_true(r == 0 || r == -ENOENT);
	return v;
}

static void test_reads_share_until_prepare(store_fixture *fx, gconstpointer data)
{
	sqlite3 *db = tsunagu_store_sqlite_db(fx->store);
	sqlite3 *peer = fixture_peer(fx);
	char *v;

	g_assert_cmpint(tsunagu_store_setting_set(fx->store, "core", "k", "one"), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	/* The migrations filled the WAL past the checkpointer thread's mark:
	 * empty it first (waiting for that thread if it runs), so that no
	 * checkpoint but the store's reader can hold the ones below back. */
	g_assert_true(wal_emptied(peer));
	g_assert_cmpint(sqlite3_busy_timeout(peer, 0), ==, SQLITE_OK);

	/* A read outside the batch leaves a read transaction open... */
	v = setting(fx);
	g_assert_cmpstr(v, ==, "one");
	g_free(v);
	g_assert_cmpint(sqlite3_txn_state(db, NULL), ==, SQLITE_TXN_READ);
	/* ...that the next read of the iteration shares: a commit by another
	 * connection in between is not seen, and the reader's mark holds a
	 * truncating checkpoint back. */
	g_assert_cmpint(sqlite3_exec(peer, "UPDATE settings SET value = 'two'", NULL, NULL, NULL),
			==, SQLITE_OK);
	v = setting(fx);
	g_assert_cmpstr(v, ==, "one");
	g_free(v);
	g_assert_cmpint(truncate_busy(peer), ==, 1);

	/* The loop's next iteration (its prepare) ends it: nothing is left
	 * open while the loop sleeps, the checkpoint goes through, and the
	 * next read sees the newest commit. */
	g_main_context_iteration(fx->context, FALSE);
	g_assert_cmpint(sqlite3_txn_state(db, NULL), ==, SQLITE_TXN_NONE);
	g_assert_cmpint(truncate_busy(peer), ==, 0);
	v = setting(fx);
	g_assert_cmpstr(v, ==, "two");
	g_free(v);
	sqlite3_close(peer);
}

static void test_write_after_read(store_fixture *fx, gconstpointer data)
{
	sqlite3 *db = tsunagu_store_sqlite_db(fx->store);
	sqlite3 *peer;
	char *v;

	v = setting(fx);
	g_assert_null(v);
	g_assert_cmpint(sqlite3_txn_state(db, NULL), ==, SQLITE_TXN_READ);

	/* The batch ends the read transaction and takes the write lock at
	 * once, as BEGIN IMMEDIATE did: another writer now waits. */
	g_assert_cmpint(tsunagu_store_setting_set(fx->store, "core", "k", "w"), ==, 0);
	g_assert_cmpint(sqlite3_txn_state(db, NULL), ==, SQLITE_TXN_WRITE);
	peer = fixture_peer(fx);
	g_assert_cmpint(sqlite3_busy_timeout(peer, 0), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(peer, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_BUSY);

	/* Reads inside the batch see its writes and open nothing of their own;
	 * the prepare leaves the batch alone. */
	v = setting(fx);
	g_assert_cmpstr(v, ==, "w");
	g_free(v);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(sqlite3_txn_state(db, NULL), ==, SQLITE_TXN_NONE);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM settings WHERE value = 'w'"), ==, 1);

	/* After the commit, a read of the same iteration opens a new one. */
	v = setting(fx);
	g_assert_cmpstr(v, ==, "w");
	g_free(v);
	g_assert_cmpint(sqlite3_txn_state(db, NULL), ==, SQLITE_TXN_READ);
	g_main_context_iteration(fx->context, FALSE);
	g_assert_cmpint(sqlite3_txn_state(db, NULL), ==, SQLITE_TXN_NONE);
	sqlite3_close(peer);
}

/* A batch whose writes failed atomically is undone as before, and the close
 * ends an open read transaction (the file closes without an error). */
static void test_savepoint_and_close(store_fixture *fx, gconstpointer data)
{
	char *v;

	g_assert_cmpint(tsunagu_store_atomic_begin(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_setting_set(fx->store, "core", "k", "undone"), ==, 0);
	g_assert_cmpint(tsunagu_store_atomic_end(fx->store, false), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	v = setting(fx);
	g_assert_null(v);
	tsunagu_store_close(fx->store);
	fx->store = NULL;
	sqlite3 *peer = fixture_peer(fx);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM settings WHERE key = 'k'"), ==, 0);
	sqlite3_close(peer);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, store_fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/store/read-txn/shared-until-prepare", test_reads_share_until_prepare);
	ADD("/store/read-txn/write-after-read", test_write_after_read);
	ADD("/store/read-txn/savepoint-and-close", test_savepoint_and_close);
	return g_test_run();
}
