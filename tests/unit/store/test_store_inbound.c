/* Store: what one inbound chat message reads and writes — the identity and
 * conversation lookup in one read, the rows of migration 11 (messages
 * checked without a temporary B-tree, events without AUTOINCREMENT) and that
 * migration on a database of schema 10. */
#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "store_sqlite.h"
#include "store_test_util.h"

/* ---- tsunagu_store_conversation_of_identity ------------------------------------ */

static int64_t identity(store_fixture *fx, const char *channel, const char *who)
{
	int64_t contact = 0;
	bool created = false;

	g_assert_cmpint(tsunagu_store_contact_identity(fx->store, channel, who, NULL, &contact,
						       &created), ==, 0);
	return contact;
}

static void test_of_identity(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_conversation *conv = (void *)1;
	int64_t contact = 0, found = 0, old = 0, open = 0, line = 0;

	/* Unknown: nothing set. */
	g_assert_cmpint(tsunagu_store_conversation_of_identity(fx->store, "web", "v1", &found, &conv),
			==, -ENOENT);
	g_assert_null(conv);
	g_assert_cmpint(found, ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_of_identity(fx->store, "", "v1", &found, &conv),
			==, -EINVAL);
	g_assert_cmpint(tsunagu_store_conversation_of_identity(fx->store, "web", NULL, &found,
							       &conv), ==, -EINVAL);

	/* Known, no conversation yet. */
	contact = identity(fx, "web", "v1");
	g_assert_cmpint(tsunagu_store_conversation_of_identity(fx->store, "web", "v1", &found, &conv),
			==, 0);
	g_assert_cmpint(found, ==, contact);
	g_assert_null(conv);

	/* A closed one is not returned; the newest one not closed is, as
	 * find_active + get return it; one on another channel is not. The
	 * open batch is seen (nothing is flushed here). */
	g_assert_cmpint(tsunagu_store_conversation_create(fx->store, "web", contact, &old), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, old, TSUNAGU_CONV_CLOSED),
			==, 0);
	g_assert_cmpint(tsunagu_store_conversation_of_identity(fx->store, "web", "v1", &found, &conv),
			==, 0);
	g_assert_null(conv);
	g_assert_cmpint(tsunagu_store_conversation_create(fx->store, "line", contact, &line), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(fx->store, "web", contact, &open), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_visitor(fx->store, open, "{\"page\":\"/a\"}"),
			==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, open, TSUNAGU_CONV_SNOOZED),
			==, 0);
	g_assert_cmpint(tsunagu_store_conversation_of_identity(fx->store, "web", "v1", &found, &conv),
			==, 0);
	g_assert_nonnull(conv);

	tsunagu_store_conversation *want = NULL;
	int64_t active = 0;
	g_assert_cmpint(tsunagu_store_conversation_find_active(fx->store, contact, "web", &active), ==,
			0);
	g_assert_cmpint(active, ==, open);
	g_assert_cmpint(tsunagu_store_conversation_get(fx->store, open, &want), ==, 0);
	g_assert_cmpint(conv->id, ==, want->id);
	g_assert_cmpstr(conv->public_id, ==, want->public_id);
	g_assert_cmpstr(conv->channel, ==, "web");
	g_assert_cmpint(conv->contact_id, ==, contact);
	g_assert_cmpint(conv->state, ==, TSUNAGU_CONV_SNOOZED);
	g_assert_cmpstr(conv->visitor_json, ==, "{\"page\":\"/a\"}");
	g_assert_cmpint(conv->created_at_us, ==, want->created_at_us);
	g_assert_cmpint(conv->updated_at_us, ==, want->updated_at_us);
	g_assert_cmpint(conv->waiting_since_us, ==, want->waiting_since_us);
	g_assert_cmpstr(conv->route_json, ==, want->route_json);
	tsunagu_store_conversation_free(want);
	tsunagu_store_conversation_free(conv);

	/* The other channel's identity of the same contact finds its own. */
	g_assert_cmpint(identity(fx, "line", "U1"), !=, contact);
	g_assert_cmpint(tsunagu_store_conversation_of_identity(fx->store, "line", "U1", &found,
							       &conv), ==, 0);
	g_assert_null(conv); /* a new contact: the "line" conversation is v1's */
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
}

/* ---- the rows every message writes -------------------------------------------------- */

/* Whether the program of sql opens a temporary B-tree. */
static bool uses_temp_btree(sqlite3 *db, const char *sql)
{
	char *explain = g_strconcat("EXPLAIN ", sql, NULL);
	sqlite3_stmt *st = NULL;
	bool found = false;

	g_assert_cmpint(sqlite3_prepare_v2(db, explain, -1, &st, NULL), ==, SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		if (strcmp((const char *)sqlite3_column_text(st, 1), "OpenEphemeral") == 0)
			found = true;
	sqlite3_finalize(st);
	g_free(explain);
	return found;
}

/* The statements an inbound message writes build no temporary B-tree per
 * execution (SQLite 3.40 builds one for a CHECK of `x IN (3 or more
 * values)`: migration 11 took it out of messages); the message INSERT
 * still refuses an unknown conversation and stores a retried id once. */
static void test_message_writes_no_temp_btree(store_fixture *fx, gconstpointer data)
{
	tsunagu_sqlite *sq = tsunagu_store_backend_handle(fx->store);
	sqlite3 *db = tsunagu_store_sqlite_db(fx->store);
	int64_t conv = fixture_conversation(fx, "web"), id = 0, seq = 0;
	unsigned checked = 0;

	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "hello", "c1", &id), ==, 0);
	int64_t id_first = id;
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "message.customer", conv, 0, "{}",
						   &seq), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);

	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, sq->stmts);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const char *sql = sqlite3_sql(value);
		if (!strstr(sql, "INSERT INTO messages") && !strstr(sql, "INSERT INTO events") &&
		    !strstr(sql, "UPDATE conversations SET last_customer_message_at"))
			continue;
		if (uses_temp_btree(db, sql))
			g_error("builds a temporary B-tree: %s", sql);
		checked++;
	}
	g_assert_cmpuint(checked, ==, 3);
	/* A message of no conversation is refused, retried id or not, and
	 * leaves nothing behind. */
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv + 100, TSUNAGU_MSG_CUSTOMER, 0,
						     "lost", "c1", &id), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv + 100, TSUNAGU_MSG_CUSTOMER, 0,
						     "lost", "c2", &id), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv + 100, TSUNAGU_MSG_NOTE, 0,
						     "lost", NULL, &id), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(query_int(db, "SELECT count(*) FROM messages"), ==, 1);
	/* The same id on the conversation is the stored message. */
	int64_t again = 0;
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "hello", "c1", &again), ==, -EEXIST);
	g_assert_cmpint(again, ==, id_first);
	/* The kinds are still checked. */
	g_assert_cmpint(sqlite3_exec(db, "INSERT INTO messages (conversation_id, channel, kind, body,"
				     " created_at) VALUES (1, 'web', 'bogus', 'x', 1)",
				     NULL, NULL, NULL), ==, SQLITE_CONSTRAINT_CHECK);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
}

/* ---- migration 11 on a database of schema 10 ------------------------------------------- */

/* Schema 10's messages and events (migration 1's definitions), rows kept,
 * and sqlite_sequence as if events 6..9 had been deleted. */
static const char BACK_TO_10[] =
	"BEGIN;"
	"CREATE TABLE events_10 ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, type TEXT NOT NULL,"
	"  conversation_id INTEGER, actor_staff_id INTEGER,"
	"  payload TEXT NOT NULL DEFAULT '{}'"
	"    CHECK (json_valid(payload) AND substr(ltrim(payload), 1, 1) = '{'));"
	"INSERT INTO events_10 SELECT * FROM events;"
	"DROP TABLE events;"
	"ALTER TABLE events_10 RENAME TO events;"
	"DELETE FROM sqlite_sequence WHERE name = 'events';"
	"INSERT INTO sqlite_sequence (name, seq) VALUES ('events', 9);"
	"CREATE INDEX events_type ON events(type, at) WHERE type NOT LIKE 'message.%';"
	"CREATE TABLE messages_10 ("
	"  id INTEGER PRIMARY KEY,"
	"  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
	"  channel TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN"
	"    ('customer', 'operator', 'note', 'system', 'draft')),"
	"  author_staff_id INTEGER REFERENCES staff(id),"
	"  body TEXT NOT NULL, provider_message_id TEXT, created_at INTEGER NOT NULL,"
	"  UNIQUE (channel, provider_message_id));"
	"INSERT INTO messages_10 SELECT * FROM messages;"
	"DROP TABLE messages;"
	"ALTER TABLE messages_10 RENAME TO messages;"
	"CREATE INDEX messages_conversation ON messages(conversation_id, id);"
	"DELETE FROM schema_version WHERE version >= 11;"
	"COMMIT;";

static void reopen(store_fixture *fx)
{
	tsunagu_store_options opts = { 0 };

	fixture_open(fx, &opts);
	g_assert_cmpint(tsunagu_store_schema_version(fx->store), ==,
			tsunagu_sqlite_migrations_latest());
}

static void close_store(store_fixture *fx)
{
	tsunagu_store_close(fx->store);
	fx->store = NULL;
}

static void test_migration_11(store_fixture *fx, gconstpointer data)
{
	static const tsunagu_msg_kind kinds[] = { TSUNAGU_MSG_CUSTOMER, TSUNAGU_MSG_OPERATOR,
						  TSUNAGU_MSG_NOTE, TSUNAGU_MSG_SYSTEM };
	int64_t conv = fixture_conversation(fx, "web"), id = 0, seq = 0, ids = 0;
	GPtrArray *list = NULL;
	sqlite3 *peer;

	for (unsigned i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, kinds[i], 0, "text",
							     i == 0 ? "client-1" : NULL, &id), ==, 0);
		ids += id;
	}
	for (int i = 0; i < 5; i++)
		g_assert_cmpint(tsunagu_store_event_append(fx->store, "t", conv, 0, "{\"n\":1}", &seq),
				==, 0);
	g_assert_cmpint(seq, ==, 5);
	close_store(fx);

	peer = fixture_peer(fx);
	g_assert_cmpint(sqlite3_exec(peer, BACK_TO_10, NULL, NULL, NULL), ==, SQLITE_OK);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM sqlite_master WHERE name = 'messages'"
				  " AND sql LIKE '%kind IN%'"), ==, 1);
	reopen(fx);

	/* Every row and id kept; the kinds checked by equalities; the highest
	 * sequence handed out kept by a placeholder; no AUTOINCREMENT. */
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM messages"), ==, 4);
	g_assert_cmpint(query_int(peer, "SELECT sum(id) FROM messages"), ==, ids);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM sqlite_master WHERE sql LIKE"
				  " '%kind IN%' AND name = 'messages'"), ==, 0);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM sqlite_master WHERE name = 'events'"
				  " AND sql LIKE '%AUTOINCREMENT%'"), ==, 0);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM sqlite_sequence WHERE name = 'events'"),
			==, 0);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM events"), ==, 6);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM events WHERE seq = 9"
				  " AND type = 'store.sequence_kept'"), ==, 1);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM sqlite_master WHERE name IN"
				  " ('events_type', 'messages_conversation', 'events_keep_newest')"),
			==, 3);
	g_assert_cmpint(tsunagu_store_events_last_seq(fx->store), ==, 9);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "t", conv, 0, NULL, &seq), ==, 0);
	g_assert_cmpint(seq, ==, 10);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "again", "client-1", &id), ==, -EEXIST);
	g_assert_cmpint(tsunagu_store_message_list(fx->store, conv, 0, 10, &list), ==, 0);
	g_assert_cmpuint(list->len, ==, 4);
	g_ptr_array_unref(list);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(sqlite3_exec(peer, "DELETE FROM events WHERE seq = 10", NULL, NULL, NULL), ==,
			SQLITE_CONSTRAINT);
	close_store(fx);

	/* Applied again (idempotent): the same rows, no second placeholder. */
	g_assert_cmpint(sqlite3_exec(peer, "DELETE FROM schema_version WHERE version >= 11", NULL,
				     NULL, NULL), ==, SQLITE_OK);
	reopen(fx);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM events"), ==, 7);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM messages"), ==, 4);
	g_assert_cmpint(tsunagu_store_events_last_seq(fx->store), ==, 10);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "t", conv, 0, NULL, &seq), ==, 0);
	g_assert_cmpint(seq, ==, 11);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	sqlite3_close(peer);
}

/* ---- the statement profile (TSUNAGU_SQL_PROFILE) ------------------------------- */

/* The count of the profile line whose statement starts with prefix; -1 if
 * there is none. Also checks the lines come most time first. */
static int64_t profile_count(const char *text, const char *prefix)
{
	char **lines = g_strsplit(text, "\n", -1);
	int64_t found = -1;
	double last = G_MAXDOUBLE;

	for (char **l = lines; *l && **l; l++) {
		uint64_t count = 0;
		double us = 0;
		int used = 0;
		g_assert_cmpint(sscanf(*l, "%" G_GUINT64_FORMAT " %lf %n", &count, &us, &used), ==, 2);
		g_assert_cmpfloat(us, <=, last);
		last = us;
		if (g_str_has_prefix(*l + used, prefix))
			found = (int64_t)count;
	}
	g_strfreev(lines);
	return found;
}

static void test_statement_profile(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_options opts = { 0 };
	char *file = g_build_filename(fx->dir, "profile.txt", NULL), *text = NULL;
	int64_t contact = 0, conv = 0;

	g_setenv("TSUNAGU_SQL_PROFILE", file, TRUE);
	fixture_open(fx, &opts);
	g_unsetenv("TSUNAGU_SQL_PROFILE");
	contact = identity(fx, "web", "p1");
	for (int i = 0; i < 3; i++)
		g_assert_cmpint(tsunagu_store_conversation_create(fx->store, "web", contact, &conv), ==, 0);
	g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS)); /* written at the close */
	tsunagu_store_close(fx->store);
	fx->store = NULL;
	g_assert_true(g_file_get_contents(file, &text, NULL, NULL));
	g_assert_cmpint(profile_count(text, "INSERT INTO conversations "), ==, 3);
	g_assert_cmpint(profile_count(text, "-- pages written"), >, 0);
	g_free(text);
	g_free(file);

	/* Without the variable: no file. */
	fixture_open(fx, &opts);
	tsunagu_store_close(fx->store);
	fx->store = NULL;
	file = g_build_filename(fx->dir, "profile.txt", NULL);
	g_assert_cmpint(g_remove(file), ==, 0);
	fixture_open(fx, &opts);
	tsunagu_store_close(fx->store);
	fx->store = NULL;
	g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
	g_free(file);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, store_fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/store/conversation-of-identity", test_of_identity);
	ADD("/store/message-writes-no-temp-btree", test_message_writes_no_temp_btree);
	ADD("/store/migration-11", test_migration_11);
	g_test_add("/store/statement-profile", store_fixture, "no-open", fixture_setup,
		   test_statement_profile, fixture_teardown);
	return g_test_run();
}
