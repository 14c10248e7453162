/* Store: the search index in its own file, kept by the indexer thread —
 * catching up after a restart, rebuilt when it is ahead of the store,
 * migration 6 on an older database, and the in-memory variant. */
#include <errno.h>
#include <glib/gstdio.h>

#include "store_sqlite.h"
#include "store_test_util.h"

#define NO_OPEN ((gconstpointer)1)

static int64_t insert(tsunagu_store *store, int64_t conv, const char *text)
{
	int64_t id = 0;

	g_assert_cmpint(tsunagu_store_message_insert(store, conv, TSUNAGU_MSG_CUSTOMER, 0, text,
						     NULL, &id), ==, 0);
	return id;
}

/* One message in a new conversation; its id as assert_found expects it. */
static char *one_message(store_fixture *fx, const char *text)
{
	int64_t id = insert(fx->store, fixture_conversation(fx, "web"), text);

	return g_strdup_printf("%" G_GINT64_FORMAT, id);
}

/* The ids a search finds, as "id,id" (newest first). */
static char *found(tsunagu_store *store, const char *text)
{
	GArray *hits = NULL;
	GString *s = g_string_new(NULL);

	g_assert_cmpint(tsunagu_store_message_search(store, text, 50, &hits), ==, 0);
	for (guint i = 0; i < hits->len; i++)
		g_string_append_printf(s, "%s%" G_GINT64_FORMAT, i ? "," : "",
				       g_array_index(hits, int64_t, i));
	g_array_free(hits, TRUE);
	return g_string_free(s, FALSE);
}

static void assert_found(tsunagu_store *store, const char *text, const char *expect)
{
	char *got = found(store, text);

	g_assert_cmpstr(got, ==, expect);
	g_free(got);
}

static char *index_path(store_fixture *fx)
{
	return g_strconcat(fx->path, ".search", NULL);
}

static void remove_index(store_fixture *fx)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char *base = index_path(fx);

	for (size_t i = 0; i < G_N_ELEMENTS(suffix); i++) {
		char *p = g_strconcat(base, suffix[i], NULL);
		g_unlink(p);
		g_free(p);
	}
	g_free(base);
}

/* Commits what is pending and closes the store. */
static void close_store(store_fixture *fx)
{
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	tsunagu_store_close(fx->store);
	fx->store = NULL;
}

static void reopen(store_fixture *fx)
{
	tsunagu_store_options opts = { 0 };

	if (fx->store)
		close_store(fx);
	fixture_open(fx, &opts);
}

/* Committed messages are found at once: a search waits for the indexer. */
static void test_found_after_commit(store_fixture *fx, gconstpointer data)
{
	int64_t conv = fixture_conversation(fx, "web");
	GString *expect = g_string_new(NULL);

	for (int round = 0; round < 20; round++) {
		insert(fx->store, conv, "ご注文ありがとうございます");
		int64_t b = insert(fx->store, conv, "在庫を確認します");
		g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
		g_string_prepend(expect, round ? "," : "");
		char *id = g_strdup_printf("%" G_GINT64_FORMAT, b);
		g_string_prepend(expect, id);
		g_free(id);
		assert_found(fx->store, "在庫を", expect->str);
	}
	g_string_free(expect, TRUE);
}

/* A lost index file is built again from the store at the next open. */
static void test_catch_up_after_restart(store_fixture *fx, gconstpointer data)
{
	int64_t conv = fixture_conversation(fx, "web");
	int64_t a = insert(fx->store, conv, "返品の手続きについて");
	int64_t b = insert(fx->store, conv, "返品は七日以内です");
	char *only_a = g_strdup_printf("%" G_GINT64_FORMAT, a);
	char *only_b = g_strdup_printf("%" G_GINT64_FORMAT, b);

	close_store(fx);
	remove_index(fx);
	reopen(fx);
	assert_found(fx->store, "返品の", only_a);
	assert_found(fx->store, "返品は七日", only_b);
	g_free(only_a);
	g_free(only_b);
}

/* An index whose mark is past the store's newest message (the store was
 * restored from an older backup), or a damaged index file, is built again. */
static void test_rebuilt_when_ahead(store_fixture *fx, gconstpointer data)
{
	char *expect = one_message(fx, "配送状況を教えて");
	char *ip = index_path(fx);
	sqlite3 *index = NULL;

	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	assert_found(fx->store, "配送状況", expect);
	close_store(fx);
	/* The index of another, newer store: nothing of ours, mark 1000. */
	g_assert_cmpint(sqlite3_open_v2(ip, &index, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(index, "DELETE FROM messages_fts;"
				     " UPDATE search_state SET indexed_upto = 1000",
				     NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close(index);
	reopen(fx);
	assert_found(fx->store, "配送状況", expect);

	/* A search file that is not a database at all is replaced too: the
	 * store still opens. */
	close_store(fx);
	remove_index(fx);
	g_assert_true(g_file_set_contents(ip, "this is not a database, at all", -1, NULL));
	reopen(fx);
	assert_found(fx->store, "配送状況", expect);
	g_free(expect);
	g_free(ip);
}

/* Migration 6 on a database of schema 5 (the index inside the store): the
 * old index goes, the new file is built from the messages. */
static void test_migration_from_5(store_fixture *fx, gconstpointer data)
{
	char *expect = one_message(fx, "領収書を発行してください");
	sqlite3 *peer;

	close_store(fx);
	remove_index(fx);
	peer = fixture_peer(fx);
	g_assert_cmpint(sqlite3_exec(peer, "DELETE FROM schema_version WHERE version > 5;"
				     "CREATE VIRTUAL TABLE messages_fts USING fts5(body,"
				     " content='messages', content_rowid='id', tokenize='trigram',"
				     " detail=none);"
				     "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');",
				     NULL, NULL, NULL), ==, SQLITE_OK);
	reopen(fx);
	g_assert_cmpint(tsunagu_store_schema_version(fx->store), ==,
			tsunagu_sqlite_migrations_latest());
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM sqlite_master WHERE name"
				  " LIKE 'messages_fts%'"), ==, 0);
	sqlite3_close(peer);
	assert_found(fx->store, "領収書", expect);
	g_free(expect);
}

/* A memory store indexes in its commit (no second connection can read it). */
static void test_memory_store(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_options o = { .path = ":memory:", .context = fx->context };
	tsunagu_store *store = NULL;
	int64_t contact = 0, conv = 0;

	g_assert_cmpint(tsunagu_store_open(&o, &store), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_create(store, "M", &contact), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(store, "web", contact, &conv), ==, 0);
	int64_t a = insert(store, conv, "メモリの中の索引");
	/* Not committed yet: not searchable. */
	assert_found(store, "中の索引", "");
	g_assert_cmpint(tsunagu_store_flush(store), ==, 0);
	char *expect = g_strdup_printf("%" G_GINT64_FORMAT, a);
	assert_found(store, "中の索引", expect);
	g_free(expect);
	g_assert_cmpint(tsunagu_sqlite_search_indexed(
				(tsunagu_sqlite *)tsunagu_store_backend_handle(store)),
			==, -1);
	tsunagu_store_close(store);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(store_fixture *, gconstpointer);
		gconstpointer data;
	} tests[] = {
		{ "/store/search/found-after-commit", test_found_after_commit, NULL },
		{ "/store/search/catch-up-after-restart", test_catch_up_after_restart, NULL },
		{ "/store/search/rebuilt-when-ahead", test_rebuilt_when_ahead, NULL },
		{ "/store/search/migration-from-5", test_migration_from_5, NULL },
		{ "/store/search/memory-store", test_memory_store, NO_OPEN },
	};

	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(tests); i++)
		g_test_add(tests[i].name, store_fixture, tests[i].data, fixture_setup, tests[i].fn,
			   fixture_teardown);
	return g_test_run();
}
