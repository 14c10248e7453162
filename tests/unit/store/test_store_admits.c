/* The router's indexes (migration 7): waiting_admits kept by the triggers
 * through every change of a conversation and filled by the migration, its
 * ordered lists, and "fewest handled today" picked by two index walks in
 * exactly the order of the single sorting query it replaced. Time is
 * controlled through the core clock. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "core.h"
#include "store_sqlite.h"
#include "store_test_util.h"

static int64_t fake_now;

static int64_t fake_clock(void)
{
	return fake_now;
}

#define MINUTE ((int64_t)60 * G_USEC_PER_SEC)

/* What waiting_admits holds for conv: "kind:ref:phone" in key order,
 * space-separated ("" for none); every row carries the conversation's
 * waiting_since. Read on the store's connection: the open batch counts. */
static char *admits(store_fixture *fx, int64_t conv)
{
	sqlite3 *db = tsunagu_store_sqlite_db(fx->store);
	sqlite3_stmt *st = NULL;
	GString *s = g_string_new(NULL);

	g_assert_cmpint(sqlite3_prepare_v2(db,
					   "SELECT a.kind, a.ref, a.phone,"
					   " a.waiting_since IS c.waiting_since FROM waiting_admits a"
					   " JOIN conversations c ON c.id = a.conversation_id"
					   " WHERE a.conversation_id = ?1 ORDER BY 1, 2, 3",
					   -1, &st, NULL),
			==, SQLITE_OK);
	sqlite3_bind_int64(st, 1, conv);
	while (sqlite3_step(st) == SQLITE_ROW) {
		g_assert_cmpint(sqlite3_column_int(st, 3), ==, 1);
		g_string_append_printf(s, "%s%s:%lld:%d", s->len ? " " : "",
				       (const char *)sqlite3_column_text(st, 0),
				       (long long)sqlite3_column_int64(st, 1), sqlite3_column_int(st, 2));
	}
	sqlite3_finalize(st);
	return g_string_free(s, FALSE);
}

static void assert_admits(store_fixture *fx, int64_t conv, const char *want)
{
	char *got = admits(fx, conv);
	g_assert_cmpstr(got, ==, want);
	g_free(got);
}

static void route(store_fixture *fx, int64_t conv, const char *json)
{
	g_assert_cmpint(tsunagu_store_conversation_set_route(fx->store, conv, json), ==, 0);
}

static void state(store_fixture *fx, int64_t conv, tsunagu_conv_state s)
{
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, conv, s), ==, 0);
}

/* ---- the triggers ------------------------------------------------------------ */

static void test_routes(store_fixture *fx, gconstpointer data)
{
	fake_now = 1000 * MINUTE;
	int64_t c = fixture_conversation(fx, "web"), p = fixture_conversation(fx, "phone");

	/* a new conversation waits for everyone until routed */
	assert_admits(fx, c, "all:0:0");
	assert_admits(fx, p, "all:0:1");
	route(fx, c, "{\"all\":true,\"method\":\"round_robin\"}");
	assert_admits(fx, c, "all:0:0");
	route(fx, c, "{\"method\":\"longest_idle\",\"prefer\":5,\"staff\":[3,1,3]}");
	assert_admits(fx, c, "staff:1:0 staff:3:0 staff:5:0");
	route(fx, c, "{\"prefer\":3,\"staff\":[3]}");
	assert_admits(fx, c, "staff:3:0");
	route(fx, c, "{\"all\":true,\"teams\":[7,2],\"prefer\":4}");
	assert_admits(fx, c, "all:0:0 staff:4:0 team:2:0 team:7:0");
	/* what router_route_parse() ignores, the index ignores */
	route(fx, c, "{\"nobody\":true,\"all\":true,\"staff\":[1]}");
	assert_admits(fx, c, "");
	route(fx, c, "{\"method\":\"longest_idle\"}");
	assert_admits(fx, c, "");
	route(fx, c, "{\"all\":1,\"prefer\":0,\"staff\":{\"a\":1},\"teams\":[0,-1,\"4\",2.5,4]}");
	assert_admits(fx, c, "team:4:0");
	route(fx, c, "{\"prefer\":\"3\",\"nobody\":false,\"staff\":[2]}");
	assert_admits(fx, c, "staff:2:0");
	route(fx, c, "[1,2]");
	assert_admits(fx, c, "all:0:0");
	route(fx, c, NULL);
	assert_admits(fx, c, "all:0:0");
	route(fx, p, "{\"teams\":[1]}");
	assert_admits(fx, p, "team:1:1");
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	assert_admits(fx, p, "team:1:1");
}

static void test_transitions(store_fixture *fx, gconstpointer data)
{
	fake_now = 1000 * MINUTE;
	int64_t a = fixture_staff(fx, "a"), team = 0;
	int64_t c = fixture_conversation(fx, "web");

	route(fx, c, "{\"teams\":[1],\"staff\":[9]}");
	assert_admits(fx, c, "staff:9:0 team:1:0");
	/* assigned: it waits no more */
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, c, a, -1), ==, 0);
	state(fx, c, TSUNAGU_CONV_OPEN);
	assert_admits(fx, c, "");
	/* a route kept while open admits nobody yet */
	route(fx, c, "{\"all\":true}");
	assert_admits(fx, c, "");
	/* back to waiting, later: the rows carry the new waiting_since */
	fake_now += MINUTE;
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, c, 0, -1), ==, 0);
	state(fx, c, TSUNAGU_CONV_WAITING);
	assert_admits(fx, c, "all:0:0");
	tsunagu_store_conversation *conv = NULL;
	g_assert_cmpint(tsunagu_store_conversation_get(fx->store, c, &conv), ==, 0);
	g_assert_cmpint(conv->waiting_since_us, ==, fake_now);
	tsunagu_store_conversation_free(conv);
	/* snoozed, then reopened to the waiting list */
	state(fx, c, TSUNAGU_CONV_SNOOZED);
	assert_admits(fx, c, "");
	state(fx, c, TSUNAGU_CONV_WAITING);
	assert_admits(fx, c, "all:0:0");
	/* the route changes while it waits */
	route(fx, c, "{\"teams\":[3]}");
	assert_admits(fx, c, "team:3:0");
	/* team membership is not in the index: teams are ids */
	g_assert_cmpint(tsunagu_store_team_create(fx->store, "t", &team), ==, 0);
	g_assert_cmpint(tsunagu_store_team_add_member(fx->store, team, a), ==, 0);
	assert_admits(fx, c, "team:3:0");
	/* a rolled back unit leaves the index as it was */
	g_assert_cmpint(tsunagu_store_atomic_begin(fx->store), ==, 0);
	state(fx, c, TSUNAGU_CONV_CLOSED);
	assert_admits(fx, c, "");
	g_assert_cmpint(tsunagu_store_atomic_end(fx->store, false), ==, 0);
	assert_admits(fx, c, "team:3:0");
	state(fx, c, TSUNAGU_CONV_CLOSED);
	assert_admits(fx, c, "");
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	assert_admits(fx, c, "");
	sqlite3 *peer = fixture_peer(fx);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM waiting_admits"), ==, 0);
	sqlite3_close(peer);
}

/* ---- the lists ---------------------------------------------------------------- */

static GArray *admitted(store_fixture *fx, tsunagu_admits_kind kind, int64_t ref, bool phone,
			int64_t after_since, int64_t after_id, unsigned limit)
{
	GArray *out = NULL;
	g_assert_cmpint(tsunagu_store_waiting_admitted(fx->store, kind, ref, phone, after_since,
						       after_id, limit, &out),
			==, 0);
	return out;
}

static int64_t id_at(GArray *a, guint i)
{
	return g_array_index(a, tsunagu_store_waiting_pos, i).conversation_id;
}

static void test_lists(store_fixture *fx, gconstpointer data)
{
	int64_t ids[5];
	GArray *out = NULL;

	for (int i = 0; i < 5; i++) {
		fake_now = (1000 + 5 - i) * MINUTE; /* the newest id waits longest */
		ids[i] = fixture_conversation(fx, i == 4 ? "phone" : "web");
		route(fx, ids[i], i % 2 ? "{\"teams\":[2]}" : "{\"all\":true,\"teams\":[2]}");
	}
	/* chats of team 2, oldest first */
	GArray *a = admitted(fx, TSUNAGU_ADMITS_TEAM, 2, false, 0, 0, 0);
	g_assert_cmpuint(a->len, ==, 4);
	for (guint i = 0; i < 4; i++)
		g_assert_cmpint(id_at(a, i), ==, ids[3 - i]);
	g_assert_cmpint(g_array_index(a, tsunagu_store_waiting_pos, 0).waiting_since_us, ==,
			1002 * MINUTE);
	/* after a position, at most limit */
	tsunagu_store_waiting_pos p1 = g_array_index(a, tsunagu_store_waiting_pos, 1);
	GArray *b = admitted(fx, TSUNAGU_ADMITS_TEAM, 2, false, p1.waiting_since_us,
			     p1.conversation_id, 1);
	g_assert_cmpuint(b->len, ==, 1);
	g_assert_cmpint(id_at(b, 0), ==, ids[1]);
	GArray *all = admitted(fx, TSUNAGU_ADMITS_ALL, 0, false, 0, 0, 0);
	g_assert_cmpuint(all->len, ==, 2);
	g_assert_cmpint(id_at(all, 0), ==, ids[2]);
	g_assert_cmpint(id_at(all, 1), ==, ids[0]);
	GArray *calls = admitted(fx, TSUNAGU_ADMITS_ALL, 0, true, 0, 0, 0);
	g_assert_cmpuint(calls->len, ==, 1);
	g_assert_cmpint(id_at(calls, 0), ==, ids[4]);
	GArray *none = admitted(fx, TSUNAGU_ADMITS_STAFF, 2, false, 0, 0, 0);
	g_assert_cmpuint(none->len, ==, 0);
	g_assert_cmpint(tsunagu_store_waiting_admitted(fx->store, 0, 0, false, 0, 0, 0, &out), ==,
			-EINVAL);
	g_assert_null(out);
	g_array_unref(a);
	g_array_unref(b);
	g_array_unref(all);
	g_array_unref(calls);
	g_array_unref(none);
}

/* ---- the migration ------------------------------------------------------------- */

static void test_migration_fills(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_options opts = { 0 };
	const char *routes[] = { NULL, "{\"staff\":[4],\"prefer\":2}", "{\"nobody\":true}",
				 "{\"teams\":[3,1],\"all\":true}" };
	int64_t ids[4];
	char *want[4];

	fake_now = 1000 * MINUTE;
	for (int i = 0; i < 4; i++) {
		ids[i] = fixture_conversation(fx, i == 3 ? "phone" : "web");
		route(fx, ids[i], routes[i]);
	}
	state(fx, ids[2], TSUNAGU_CONV_OPEN);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	for (int i = 0; i < 4; i++)
		want[i] = admits(fx, ids[i]);
	g_assert_cmpstr(want[1], ==, "staff:2:0 staff:4:0");
	/* back to the schema before migration 7; those after it (8-10)
	 * are idempotent too and are applied again */
	g_assert_cmpint(sqlite3_exec(tsunagu_store_sqlite_db(fx->store),
				     "DROP TABLE waiting_admits; DROP INDEX staff_fewest;"
				     " DROP INDEX staff_idle_handled;"
				     " DROP TRIGGER waiting_admits_insert;"
				     " DROP TRIGGER waiting_admits_update;"
				     " DROP TRIGGER waiting_admits_delete;"
				     " DELETE FROM schema_version WHERE version >= 7;",
				     NULL, NULL, NULL),
			==, SQLITE_OK);
	tsunagu_store_close(fx->store);
	fx->store = NULL;
	fixture_open(fx, &opts);
	g_assert_cmpint(tsunagu_store_schema_version(fx->store), ==,
			tsunagu_sqlite_migrations_latest());
	for (int i = 0; i < 4; i++) {
		assert_admits(fx, ids[i], want[i]);
		g_free(want[i]);
	}
}

/* ---- fewest handled today -------------------------------------------------------- */

/* The single query the two walks replaced (one sort of everyone). */
#define OLD_TARGET                                                                         \
	" AND (?1 OR s.id IN (SELECT value FROM json_each(?2))"                            \
	"  OR s.id IN (SELECT tm.staff_id FROM team_members tm"                            \
	"   WHERE tm.team_id IN (SELECT value FROM json_each(?3))))"                       \
	" AND s.id NOT IN (SELECT value FROM json_each(?4))"                               \
	" ORDER BY CASE WHEN s.handled_day = date(?5 / 1000000, 'unixepoch', 'localtime')" \
	" THEN s.handled_today ELSE 0 END, s.idle_since, s.id LIMIT 1"
static const char OLD_CHAT[] =
	"SELECT s.id FROM staff s WHERE " TSUNAGU_SQLITE_CHAT_ELIGIBLE OLD_TARGET;
static const char OLD_PHONE[] =
	"SELECT s.id FROM staff s WHERE " TSUNAGU_SQLITE_PHONE_ELIGIBLE OLD_TARGET;

static int64_t old_pick(sqlite3 *db, const tsunagu_store_pick *q)
{
	sqlite3_stmt *st = NULL;
	int64_t id = 0;

	g_assert_cmpint(sqlite3_prepare_v2(db, q->phone ? OLD_PHONE : OLD_CHAT, -1, &st, NULL), ==,
			SQLITE_OK);
	sqlite3_bind_int(st, 1, q->all);
	sqlite3_bind_text(st, 2, q->staff_ids_json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, q->team_ids_json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, q->exclude_ids_json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, q->now_us);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

static void exec_printf(sqlite3 *db, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	g_assert_cmpint(sqlite3_exec(db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_free(sql);
}

/* Random staff rows: status, handled day (mode 0: none, yesterday, today
 * or tomorrow; else today) and count (0 included unless mode 2),
 * idle_since with ties, full or not, kinds. */
static void shuffle_staff(sqlite3 *db, GRand *rng, int64_t id, int mode)
{
	static const char *const days[] = { NULL, "1970-01-01", "1970-01-02", "1970-01-03" };
	static const char *const statuses[] = { "available", "available", "available", "away" };
	static const char *const types[] = { "both", "both", "chat", "phone" };
	const char *day = days[mode ? 2 : g_rand_int_range(rng, 0, 4)];

	exec_printf(db,
		    "UPDATE staff SET status = %Q, handled_day = %Q, handled_today = %d,"
		    " idle_since = %d, open_chats = %d, chat_capacity = 2, open_phone = %d,"
		    " inquiry_types = %Q WHERE id = %lld",
		    statuses[g_rand_int_range(rng, 0, 4)], day,
		    g_rand_int_range(rng, mode == 2 ? 1 : 0, 4),
		    g_rand_int_range(rng, 0, 6), g_rand_int_range(rng, 0, 3),
		    g_rand_int_range(rng, 0, 2), types[g_rand_int_range(rng, 0, 4)], (long long)id);
}

static void test_fewest_same_order(store_fixture *fx, gconstpointer data)
{
	GRand *rng = g_rand_new_with_seed(20261121);
	sqlite3 *db = tsunagu_store_sqlite_db(fx->store);
	int64_t ids[40], team = 0;
	unsigned found = 0, differ_from_idle = 0, some_today = 0;

	fake_now = 0;
	g_assert_cmpint(tsunagu_store_team_create(fx->store, "t", &team), ==, 0);
	for (int i = 0; i < 40; i++) {
		char login[16];
		g_snprintf(login, sizeof(login), "s%d", i);
		ids[i] = fixture_staff(fx, login);
		if (i % 3 == 0)
			g_assert_cmpint(tsunagu_store_team_add_member(fx->store, team, ids[i]), ==, 0);
	}
	char *team_json = g_strdup_printf("[%lld]", (long long)team);
	char *some = g_strdup_printf("[%lld,%lld,%lld]", (long long)ids[1], (long long)ids[5],
				     (long long)ids[8]);
	char *ex = g_strdup_printf("[%lld]", (long long)ids[4]);
	for (int round = 0; round < 300; round++) {
		/* "today" is 1970-01-02 (TZ=UTC) */
		int64_t now = (int64_t)86400 * G_USEC_PER_SEC + g_rand_int_range(rng, 0, 1000);
		int mode = g_rand_int_range(rng, 0, 3);
		for (int i = 0; i < 40; i++)
			shuffle_staff(db, rng, ids[i], mode);
		int target = g_rand_int_range(rng, 0, 3);
		tsunagu_store_pick q = {
			.method = TSUNAGU_PICK_FEWEST_HANDLED,
			.phone = g_rand_boolean(rng),
			.all = target == 0,
			.staff_ids_json = target == 1 ? some : "[]",
			.team_ids_json = target == 2 ? team_json : "[]",
			.exclude_ids_json = round % 2 ? ex : "[]",
			.now_us = now,
		};
		int64_t want = old_pick(db, &q), got = 0, idle = 0;
		int r = tsunagu_store_staff_pick(fx->store, &q, &got);
		g_assert_cmpint(r, ==, want ? 0 : -ENOENT);
		g_assert_cmpint(r == 0 ? got : 0, ==, want);
		found += want != 0;
		char *sql = g_strdup_printf("SELECT handled_day IS '1970-01-02' AND handled_today > 0"
					    " FROM staff WHERE id = %lld", (long long)want);
		some_today += want && query_int(db, sql);
		g_free(sql);
		q.method = TSUNAGU_PICK_LONGEST_IDLE;
		if (want && tsunagu_store_staff_pick(fx->store, &q, &idle) == 0 && idle != want)
			differ_from_idle++;
	}
	/* the data exercised both walks and the order differs from idle's */
	g_assert_cmpuint(found, >, 100);
	g_assert_cmpuint(some_today, >, 10);
	g_assert_cmpuint(found - some_today, >, 10);
	g_assert_cmpuint(differ_from_idle, >, 10);
	g_free(team_json);
	g_free(some);
	g_free(ex);
	g_rand_free(rng);
}

int main(int argc, char **argv)
{
	store_test_init(&argc, &argv, fake_clock);
#define ADD(name, fn) g_test_add(name, store_fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/store/admits/routes", test_routes);
	ADD("/store/admits/transitions", test_transitions);
	ADD("/store/admits/lists", test_lists);
	ADD("/store/admits/migration-fills", test_migration_fills);
	ADD("/store/fewest-handled/same-order", test_fewest_same_order);
	return g_test_run();
}
