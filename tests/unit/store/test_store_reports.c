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

/* Migration 10: a message's event is written to the table alone, while the
 * report types stay in events_type; no index by conversation is left. */
static void test_message_events_unindexed(store_fixture *fx, gconstpointer data)
{
	int64_t web = fixture_conversation(fx, "web");
	sqlite3 *db = tsunagu_store_sqlite_db(fx->store);

	tsunagu_core_set_clock(fake_clock);
	append_at(fx, 100, "message.customer", web, "{}");
	append_at(fx, 110, "message.operator", web, "{}");
	append_at(fx, 120, "conversation.assigned", web, "{\"staff\":1}");
	append_at(fx, 130, "staff.status_changed", 0, "{\"staff\":1}");
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM events"), ==, 4);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM events INDEXED BY events_type"
				       " WHERE type NOT LIKE 'message.%'"), ==, 2);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM pragma_index_list('events')"
				       " WHERE name = 'events_type' AND partial = 1"), ==, 1);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
				       " AND tbl_name = 'events'"), ==, 1);
	tsunagu_core_set_clock(NULL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/store/reports/scan", store_fixture, NULL, fixture_setup, test_scan,
		   fixture_teardown);
	g_test_add("/store/reports/last_staff_event", store_fixture, NULL, fixture_setup,
		   test_last_staff_event, fixture_teardown);
	g_test_add("/store/reports/message_events_unindexed", store_fixture, NULL, fixture_setup,
		   test_message_events_unindexed, fixture_teardown);
	return g_test_run();
}
