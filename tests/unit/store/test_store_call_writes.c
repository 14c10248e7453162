/* The writes of a call made cheaper (issue 5, round 3; migration 17): the
 * CHECK constraints still refuse what they refused, without a temporary
 * B-tree per statement; migration 17 applied to a database with rows (as
 * migration 16 left it) keeps every row and is idempotent; the missed-offer
 * count without RETURNING (the opened conversation built without RETURNING:
 * test_store_percall's conversation-open). Time is the core clock. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "core.h"
#include "store.h"
#include "store_sqlite.h"
#include "store_test_util.h"

static int64_t fake_now = 1000000000;

static int64_t fake_clock(void)
{
	return fake_now;
}

static sqlite3 *db_of(store_fixture *fx)
{
	return ((tsunagu_sqlite *)tsunagu_store_backend_handle(fx->store))->db;
}

/* The rc of sql run by hand (outside the store, as an admin's sqlite3). */
static int run(store_fixture *fx, const char *sql)
{
	return sqlite3_exec(db_of(fx), sql, NULL, NULL, NULL);
}

/* The (extended) rc of sql with ?1 bound to id, stepped once. */
static int run_id(store_fixture *fx, const char *sql, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	g_assert_cmpint(sqlite3_prepare_v2(db_of(fx), sql, -1, &st, NULL), ==, SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		rc = sqlite3_extended_errcode(db_of(fx));
	sqlite3_finalize(st);
	return rc;
}

/* How many temporary B-trees (OpenEphemeral) the program of sql opens,
 * trigger programs included (EXPLAIN lists them). */
static int ephemeral_tables(store_fixture *fx, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *explain = g_strconcat("EXPLAIN ", sql, NULL);
	int n = 0;

	g_assert_cmpint(sqlite3_prepare_v2(db_of(fx), explain, -1, &st, NULL), ==, SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		n += strcmp((const char *)sqlite3_column_text(st, 1), "OpenEphemeral") == 0;
	sqlite3_finalize(st);
	g_free(explain);
	return n;
}

/* The statements a call writes, in the shape the store runs them. */
static const char *const call_writes[] = {
	"INSERT INTO conversations (public_id, channel, contact_id, state, created_at,"
	" updated_at, waiting_since) VALUES (?1, ?2, ?3, 'waiting', ?4, ?4, ?4)",
	"UPDATE conversations SET state = ?2, updated_at = ?3 WHERE id = ?1",
	"UPDATE conversations SET route = ?2 WHERE id = ?1",
	"INSERT INTO calls (conversation_id, direction, state, queued_at) VALUES (?1, ?2, 'queued', ?3)",
	"UPDATE calls SET state = ?2, missed_reason = ?3 WHERE id = ?1",
	"INSERT INTO offers (conversation_id, staff_id, kind, state, deadline, created_at)"
	" VALUES (?1, ?2, 'call', 'pending', ?3, ?4)",
	"UPDATE offers SET state = ?3 WHERE conversation_id = ?1 AND staff_id = ?2",
	"INSERT INTO call_origins (call_id, disposition) VALUES (?1, ?2)",
	"UPDATE staff SET status = ?2, role = ?3, inquiry_types = ?4 WHERE id = ?1",
};

static void assert_no_ephemeral(store_fixture *fx)
{
	for (size_t i = 0; i < G_N_ELEMENTS(call_writes); i++) {
		if (ephemeral_tables(fx, call_writes[i]) != 0)
			g_error("a temporary B-tree per execution: %s", call_writes[i]);
	}
}

/* Each constraint refuses a bad value and takes every good one. */
static void assert_checks_enforced(store_fixture *fx, int64_t conv, int64_t staff)
{
	char *sql;
	int64_t call = 0;

	g_assert_cmpint(run_id(fx, "UPDATE conversations SET state = 'lost' WHERE id = ?1", conv), ==,
			SQLITE_CONSTRAINT_CHECK);
	static const char *const conv_states[] = { "open", "snoozed", "close_requested", "closed",
						   "waiting" };
	for (size_t i = 0; i < G_N_ELEMENTS(conv_states); i++) {
		sql = g_strdup_printf("UPDATE conversations SET state = '%s' WHERE id = %" G_GINT64_FORMAT,
				      conv_states[i], conv);
		g_assert_cmpint(run(fx, sql), ==, SQLITE_OK);
		g_free(sql);
	}
	g_assert_cmpint(tsunagu_store_call_create(fx->store, conv, "inbound", &call), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	static const char *const bad[] = {
		"UPDATE calls SET state = 'held' WHERE id = ?1",
		"UPDATE calls SET missed_reason = 'bored' WHERE id = ?1",
		"INSERT INTO call_origins (call_id, disposition) VALUES (?1, 'lost')",
		"INSERT INTO offers (conversation_id, staff_id, kind, state, created_at)"
		" VALUES (?1, 1, 'call', 'lost', 0)",
		"UPDATE staff SET status = 'asleep' WHERE id = ?1",
		"UPDATE staff SET role = 'owner' WHERE id = ?1",
		"UPDATE staff SET inquiry_types = 'mail' WHERE id = ?1",
		"INSERT INTO waiting_admits VALUES ('crowd', ?1, 0, 1, 1)",
	};
	static const char *const good[] = {
		"UPDATE calls SET state = 'ringing', missed_reason = 'ringTimeout' WHERE id = ?1",
		"UPDATE calls SET state = 'talking', missed_reason = 'userLeft' WHERE id = ?1",
		"UPDATE calls SET state = 'ended', missed_reason = NULL WHERE id = ?1",
		"INSERT INTO call_origins (call_id, disposition) VALUES (?1, 'noOperator')",
		"UPDATE staff SET status = 'away', role = 'admin', inquiry_types = 'phone'"
		" WHERE id = ?1",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		int64_t id = strstr(bad[i], "staff SET") ? staff : strstr(bad[i], "offers") ||
			     strstr(bad[i], "admits") ? conv : call;
		if (run_id(fx, bad[i], id) != SQLITE_CONSTRAINT_CHECK)
			g_error("not refused: %s", bad[i]);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
		if (run_id(fx, good[i], strstr(good[i], "staff SET") ? staff : call) != SQLITE_DONE)
			g_error("refused: %s: %s", good[i], sqlite3_errmsg(db_of(fx)));
	}
}

static void test_checks_fresh(store_fixture *fx, gconstpointer data)
{
	int64_t staff = fixture_staff(fx, "amelia");
	int64_t conv = fixture_conversation(fx, "phone");

	assert_no_ephemeral(fx);
	assert_checks_enforced(fx, conv, staff);
}

/* The constraint text as migrations 1..16 wrote it, put back by hand:
 * the database migration 17 finds in the field. */
static const char AS_SIXTEEN_LEFT_IT[] =
	"PRAGMA writable_schema=ON;"
	"UPDATE sqlite_schema SET sql = replace(sql, '(state = ''queued'' OR state = ''ringing''"
	" OR state = ''talking'' OR state = ''ended'')',"
	" 'state IN (''queued'', ''ringing'', ''talking'', ''ended'')') WHERE name = 'calls';"
	"UPDATE sqlite_schema SET sql = replace(sql, '(state = ''waiting'' OR state = ''open''"
	" OR state = ''snoozed'' OR state = ''close_requested'' OR state = ''closed'')',"
	" 'state IN    (''waiting'', ''open'', ''snoozed'', ''close_requested'', ''closed'')')"
	" WHERE name = 'conversations';"
	"PRAGMA writable_schema=OFF;"
	"CREATE INDEX staff_idle ON staff(status, idle_since, id);"
	"DELETE FROM schema_version WHERE version >= 17;";

/* The tables whose text AS_SIXTEEN_LEFT_IT put back. */
#define OLD_TEXT                                                                           \
	"SELECT count(*) FROM sqlite_schema WHERE sql LIKE"                                \
	" '%state IN (''queued'', ''ringing'', ''talking''%'"                              \
	" OR sql LIKE '%state IN    (''waiting'', ''open''%'"

static int64_t count_of(store_fixture *fx, const char *sql)
{
	return query_int(db_of(fx), sql);
}

/* On rows: every row kept, the constraints enforced after, the dropped
 * index gone, twice over (idempotent). */
static void test_migration_on_rows(store_fixture *fx, gconstpointer data)
{
	int64_t staff = fixture_staff(fx, "amelia");
	int64_t conv = 0, call = 0;

	for (int i = 0; i < 20; i++) {
		conv = fixture_conversation(fx, i % 2 ? "phone" : "web");
		g_assert_cmpint(tsunagu_store_call_create(fx->store, conv, "inbound", &call), ==, 0);
	}
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(run(fx, AS_SIXTEEN_LEFT_IT), ==, SQLITE_OK);
	g_assert_cmpint(count_of(fx, OLD_TEXT), ==, 2);
	for (int pass = 0; pass < 2; pass++) {
		fixture_reopen_latest(fx);
		g_assert_cmpint(count_of(fx, "SELECT count(*) FROM conversations"), ==, 20);
		g_assert_cmpint(count_of(fx, "SELECT count(*) FROM calls WHERE state = 'queued'"),
				==, 20);
		g_assert_cmpint(count_of(fx, OLD_TEXT), ==, 0);
		g_assert_cmpint(count_of(fx, "SELECT count(*) FROM sqlite_schema"
					 " WHERE name = 'staff_idle'"), ==, 0);
		g_assert_cmpint(count_of(fx, "SELECT count(*) FROM pragma_quick_check"), ==, 1);
		assert_no_ephemeral(fx);
		/* a second run finds nothing to do */
		g_assert_cmpint(run(fx, "DELETE FROM schema_version WHERE version >= 17"), ==,
				SQLITE_OK);
	}
	fixture_reopen_latest(fx);
	assert_checks_enforced(fx, conv, staff);
}

/* Counting up reads the count back; the reset is 0 without a read and
 * writes no row when the count is already 0; an unknown operator is -ENOENT
 * either way and nothing is written. */
static void test_missed_count(store_fixture *fx, gconstpointer data)
{
	int64_t staff = fixture_staff(fx, "amelia");
	int n = -1;

	g_assert_cmpint(tsunagu_store_staff_count_missed(fx->store, staff, true, &n), ==, 0);
	g_assert_cmpint(n, ==, 1);
	g_assert_cmpint(tsunagu_store_staff_count_missed(fx->store, staff, true, &n), ==, 0);
	g_assert_cmpint(n, ==, 2);
	g_assert_cmpint(tsunagu_store_staff_count_missed(fx->store, staff, false, &n), ==, 0);
	g_assert_cmpint(n, ==, 0);
	g_assert_cmpint(tsunagu_store_staff_count_missed(fx->store, staff, true, NULL), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(count_of(fx, "SELECT missed_offers FROM staff"), ==, 1);

	/* A reset of a count already 0 leaves the row alone (no row written:
	 * issue 5, a WAL page per answered call) and still says 0. */
	sqlite3 *db = tsunagu_store_sqlite_db(fx->store);
	g_assert_cmpint(tsunagu_store_staff_count_missed(fx->store, staff, false, NULL), ==, 0);
	int changes = sqlite3_total_changes(db);
	n = -1;
	g_assert_cmpint(tsunagu_store_staff_count_missed(fx->store, staff, false, &n), ==, 0);
	g_assert_cmpint(n, ==, 0);
	g_assert_cmpint(sqlite3_total_changes(db), ==, changes);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(count_of(fx, "SELECT missed_offers FROM staff"), ==, 0);
	n = -1;
	g_assert_cmpint(tsunagu_store_staff_count_missed(fx->store, staff + 1, true, &n), ==,
			-ENOENT);
	g_assert_cmpint(tsunagu_store_staff_count_missed(fx->store, staff + 1, false, &n), ==,
			-ENOENT);
	g_assert_cmpint(n, ==, -1);
}

int main(int argc, char **argv)
{
	store_test_init(&argc, &argv, fake_clock);
#define ADD(name, fn) g_test_add(name, store_fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/store/call-writes/checks-fresh", test_checks_fresh);
	ADD("/store/call-writes/migration-on-rows", test_migration_on_rows);
	ADD("/store/call-writes/missed-count", test_missed_count);
	return g_test_run();
}
