/* The report queries of the store (OP-6): the scan gives the chosen types
 * within [from, to) in time order with the conversation's channel, stops
 * when the callback says so, and walks the events_type index (no full
 * scan); the last-event lookup finds the newest event of one staff member
 * before a time and not before a bound. */
#include <errno.h>
#include <string.h>

#include "core.h"
#include "store_sqlite.h"
#include "store_test_util.h"

static int64_t fake_now;

static int64_t fake_clock(void)
{
	return fake_now;
}

static void append_at(store_fixture *fx, int64_t at, const char *type, int64_t conv,
		      const char *payload)
{
	fake_now = at;
	g_assert_cmpint(tsunagu_store_event_append(fx->store, type, conv, 0, payload, NULL), ==, 0);
}

typedef struct {
	GString *seen; /* "type@at/channel;" */
	int stop_after;
} scan_log;

/* Scan callback: test thread; ev and channel borrowed. */
static int log_event(const tsunagu_store_event *ev, const char *channel, void *user_data)
{
	scan_log *log = user_data;
	g_string_append_printf(log->seen, "%s@%" G_GINT64_FORMAT "/%s;", ev->type, ev->at_us,
			       channel ? channel : "-");
	return --log->stop_after == 0 ? -ECANCELED : 0;
}

/* The statement of sql text containing needle, among the connection's. */
static sqlite3_stmt *find_stmt(store_fixture *fx, const char *needle)
{
	sqlite3 *db = tsunagu_store_sqlite_db(fx->store);
	for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st))
		if (strstr(sqlite3_sql(st), needle))
			return st;
	g_assert_not_reached();
	return NULL;
}

static void test_scan(store_fixture *fx, gconstpointer data)
{
	const char *const types[] = { "staff.status_changed", "conversation.assigned", NULL };
	scan_log log = { .seen = g_string_new(""), .stop_after = -1 };
	int64_t web = fixture_conversation(fx, "web");

	tsunagu_core_set_clock(fake_clock);
	append_at(fx, 100, "staff.status_changed", 0, "{\"staff\":1}");  /* before */
	append_at(fx, 200, "conversation.assigned", web, "{\"staff\":1}");
	append_at(fx, 300, "message.customer", web, "{}");              /* other type */
	append_at(fx, 250, "staff.status_changed", 0, "{\"staff\":2}");  /* clock went back */
	append_at(fx, 250, "conversation.assigned", 0, "{\"staff\":2}");
	append_at(fx, 400, "staff.status_changed", 0, "{\"staff\":1}");  /* at the end: out */
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);

	g_assert_cmpint(tsunagu_store_report_scan(fx->store, types, 200, 400, log_event, &log), ==, 0);
	g_assert_cmpstr(log.seen->str, ==,
			"conversation.assigned@200/web;staff.status_changed@250/-;"
			"conversation.assigned@250/-;");
	sqlite3_stmt *st = find_stmt(fx, "json_each(?1)");
	g_assert_cmpint(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0), ==, 0);

	/* the callback stops it */
	g_string_truncate(log.seen, 0);
	log.stop_after = 1;
	g_assert_cmpint(tsunagu_store_report_scan(fx->store, types, 0, 1000, log_event, &log), ==,
			-ECANCELED);
	g_assert_cmpstr(log.seen->str, ==, "staff.status_changed@100/-;");

	/* bad arguments */
	const char *const quote[] = { "a\"b", NULL };
	const char *const none[] = { NULL };
	g_assert_cmpint(tsunagu_store_report_scan(fx->store, quote, 0, 1, log_event, &log), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_report_scan(fx->store, none, 0, 1, log_event, &log), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_report_scan(fx->store, types, 2, 1, log_event, &log), ==, -EINVAL);
	/* message events are not indexed for reports (migration 10) */
	const char *const messages[] = { "staff.status_changed", "message.customer", NULL };
	g_assert_cmpint(tsunagu_store_report_scan(fx->store, messages, 0, 1000, log_event, &log), ==,
			-EINVAL);
	g_string_free(log.seen, TRUE);
	tsunagu_core_set_clock(NULL);
}

static void test_last_staff_event(store_fixture *fx, gconstpointer data)
{
	char *p = NULL;

	tsunagu_core_set_clock(fake_clock);
	append_at(fx, 100, "staff.status_changed", 0, "{\"staff\":1,\"status\":\"away\"}");
	append_at(fx, 200, "staff.status_changed", 0, "{\"staff\":1,\"status\":\"available\"}");
	append_at(fx, 300, "staff.status_changed", 0, "{\"staff\":2,\"status\":\"away\"}");
	append_at(fx, 300, "conversation.assigned", 0, "{\"staff\":1}");
	append_at(fx, 400, "staff.status_changed", 0, "{\"staff\":1,\"status\":\"offline\"}");
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);

	g_assert_cmpint(tsunagu_store_report_last_staff_event(fx->store, "staff.status_changed", 1,
							      0, 400, &p), ==, 0);
	g_assert_cmpstr(p, ==, "{\"staff\":1,\"status\":\"available\"}");
	g_clear_pointer(&p, g_free);
	g_assert_cmpint(tsunagu_store_report_last_staff_event(fx->store, "staff.status_changed", 1,
							      0, 401, &p), ==, 0);
	g_assert_cmpstr(p, ==, "{\"staff\":1,\"status\":\"offline\"}");
	g_clear_pointer(&p, g_free);
	/* the lower bound: nothing at or after 150 and before 200 */
	g_assert_cmpint(tsunagu_store_report_last_staff_event(fx->store, "staff.status_changed", 1,
							      150, 200, &p), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_report_last_staff_event(fx->store, "staff.status_changed", 3,
							      0, 1000, &p), ==, -ENOENT);
	g_assert_null(p);
	sqlite3_stmt *st = find_stmt(fx, "json_extract(payload, '$.staff')");
	g_assert_cmpint(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0), ==, 0);
	g_assert_cmpint(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_SORT, 0), ==, 0);
	g_assert_cmpint(tsunagu_store_report_last_staff_event(fx->store, "bad type", 1, 0, 1, &p),
			==, -EINVAL);
	g_assert_cmpint(tsunagu_store_report_last_staff_event(fx->store, "message.operator", 1, 0,
							      1000, &p), ==, -EINVAL);
	tsunagu_core_set_clock(NULL);
}

/* Whether the plan of sql walks events_type and nothing in full but the
 * JSON list of types. */
static void assert_plan_uses_index(sqlite3 *db, const char *sql)
{
	char *eqp = g_strconcat("EXPLAIN QUERY PLAN ", sql, NULL);
	sqlite3_stmt *st = NULL;
	unsigned walks = 0;

	g_assert_cmpint(sqlite3_prepare_v2(db, eqp, -1, &st, NULL), ==, SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(st, 3);
		if (g_str_has_prefix(detail, "SCAN") && !strstr(detail, "VIRTUAL TABLE"))
			g_assert_nonnull(strstr(detail, "INDEX"));
		walks += strstr(detail, "INDEX events_type") != NULL;
	}
	g_assert_cmpuint(walks, ==, 1);
	sqlite3_finalize(st);
	g_free(eqp);
}

/* Migration 14: only the reported types are in events_type: a message's
 * event and a call's other steps write the table alone. The report queries
 * repeat the index's condition, so SQLite picks the index even without
 * INDEXED BY, and other types are refused. */
static void test_unreported_events_unindexed(store_fixture *fx, gconstpointer data)
{
	static const char *const reported[] = { "staff.status_changed", "conversation.assigned",
						"call.answered", "call.ended", "call.acw_ended" };
	int64_t web = fixture_conversation(fx, "web");
	sqlite3 *db = tsunagu_store_sqlite_db(fx->store);
	char *p = NULL;

	tsunagu_core_set_clock(fake_clock);
	append_at(fx, 100, "message.customer", web, "{}");
	append_at(fx, 110, "message.operator", web, "{}");
	append_at(fx, 120, "call.offered", web, "{\"staff\":1}");
	append_at(fx, 130, "call.ringing", web, "{\"staff\":1}");
	for (size_t i = 0; i < G_N_ELEMENTS(reported); i++) {
		g_assert_true(tsunagu_sqlite_report_type(reported[i]));
		append_at(fx, 200 + (int64_t)i, reported[i], web, "{\"staff\":1}");
	}
	g_assert_false(tsunagu_sqlite_report_type("call.offered"));
	g_assert_false(tsunagu_sqlite_report_type("message.customer"));
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM events"), ==, 9);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM events INDEXED BY events_type"
				       " WHERE " TSUNAGU_SQLITE_EVENTS_REPORTED("")), ==, 5);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM pragma_index_list('events')"
				       " WHERE name = 'events_type' AND partial = 1"), ==, 1);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
				       " AND tbl_name = 'events'"), ==, 1);

	/* every reported type comes back from the scan, through the index */
	scan_log log = { .seen = g_string_new(""), .stop_after = -1 };
	const char *const all[] = { reported[0], reported[1], reported[2], reported[3],
				    reported[4], NULL };
	g_assert_cmpint(tsunagu_store_report_scan(fx->store, all, 0, 1000, log_event, &log), ==, 0);
	g_assert_cmpstr(log.seen->str, ==,
			"staff.status_changed@200/web;conversation.assigned@201/web;"
			"call.answered@202/web;call.ended@203/web;call.acw_ended@204/web;");
	g_assert_cmpint(tsunagu_store_report_last_staff_event(fx->store, "call.acw_ended", 1, 0,
							      1000, &p), ==, 0);
	g_free(p);
	const char *const needles[] = { "json_each(?1)", "json_extract(payload, '$.staff')" };
	for (size_t i = 0; i < G_N_ELEMENTS(needles); i++) {
		sqlite3_stmt *st = find_stmt(fx, needles[i]);
		GString *bare = g_string_new(sqlite3_sql(st));

		g_assert_cmpint(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0), ==, 0);
		assert_plan_uses_index(db, bare->str);
		g_assert_cmpuint(g_string_replace(bare, "INDEXED BY events_type", "", 0), ==, 1);
		assert_plan_uses_index(db, bare->str);
		g_string_free(bare, TRUE);
	}

	/* a type outside the index is refused, not scanned */
	const char *const offered[] = { "staff.status_changed", "call.offered", NULL };
	g_string_truncate(log.seen, 0);
	g_assert_cmpint(tsunagu_store_report_scan(fx->store, offered, 0, 1000, log_event, &log), ==,
			-EINVAL);
	g_assert_cmpstr(log.seen->str, ==, "");
	g_assert_cmpint(tsunagu_store_report_last_staff_event(fx->store, "call.ringing", 1, 0, 1000,
							      &p), ==, -EINVAL);
	g_string_free(log.seen, TRUE);
	tsunagu_core_set_clock(NULL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/store/reports/scan", store_fixture, NULL, fixture_setup, test_scan,
		   fixture_teardown);
	g_test_add("/store/reports/last_staff_event", store_fixture, NULL, fixture_setup,
		   test_last_staff_event, fixture_teardown);
	g_test_add("/store/reports/unreported_events_unindexed", store_fixture, NULL,
		   fixture_setup, test_unreported_events_unindexed, fixture_teardown);
	return g_test_run();
}
