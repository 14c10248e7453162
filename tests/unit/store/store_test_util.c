/* Helpers shared by the store unit tests (see store_test_util.h). */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <time.h>

#include "core.h"
#include "store_sqlite.h"
#include "store_test_util.h"

static void remove_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (!d)
		return;
	while ((name = g_dir_read_name(d))) {
		char *p = g_build_filename(dir, name, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			remove_tree(p);
		else
			g_unlink(p);
		g_free(p);
	}
	g_dir_close(d);
	g_rmdir(dir);
}

void fixture_open(store_fixture *fx, const tsunagu_store_options *opts)
{
	tsunagu_store_options o = *opts;
	int r;

	o.path = fx->path;
	o.context = fx->context;
	r = tsunagu_store_open(&o, &fx->store);
	g_assert_cmpint(r, ==, 0);
	g_assert_nonnull(fx->store);
}

void fixture_reopen_latest(store_fixture *fx)
{
	tsunagu_store_options opts = { 0 };

	tsunagu_store_close(fx->store);
	fx->store = NULL;
	fixture_open(fx, &opts);
	g_assert_cmpint(tsunagu_store_schema_version(fx->store), ==,
			tsunagu_sqlite_migrations_latest());
}

void fixture_setup(store_fixture *fx, gconstpointer data)
{
	GError *err = NULL;
	tsunagu_store_options opts = { 0 };

	fx->dir = g_dir_make_tmp("tsunagu-store-XXXXXX", &err);
	g_assert_no_error(err);
	fx->path = g_build_filename(fx->dir, "test.db", NULL);
	fx->context = g_main_context_new();
	if (data == NULL)
		fixture_open(fx, &opts);
}

void fixture_teardown(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_close(fx->store);
	/* Sources the store destroyed may still hold the context: drain it. */
	while (g_main_context_iteration(fx->context, FALSE))
		;
	g_main_context_unref(fx->context);
	remove_tree(fx->dir);
	g_free(fx->path);
	g_free(fx->dir);
}

bool fixture_iterate_until(store_fixture *fx, const bool *flag)
{
	for (int i = 0; i < 100 && !*flag; i++)
		g_main_context_iteration(fx->context, FALSE);
	return *flag;
}

sqlite3 *fixture_peer(store_fixture *fx)
{
	sqlite3 *db = NULL;

	g_assert_cmpint(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	return db;
}

int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int64_t fixture_conversation(store_fixture *fx, const char *channel)
{
	int64_t contact = 0, conv = 0;

	g_assert_cmpint(tsunagu_store_contact_create(fx->store, "Test", &contact), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(fx->store, channel, contact, &conv), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	return conv;
}

void store_test_init(int *argc, char ***argv, int64_t (*clock)(void))
{
	setenv("TZ", "UTC", 1);
	tzset();
	tsunagu_core_set_clock(clock);
	g_test_init(argc, argv, NULL);
}

int64_t fixture_staff(store_fixture *fx, const char *login)
{
	int64_t id = 0;
	g_assert_cmpint(tsunagu_store_staff_create(fx->store, login, login, NULL,
						   TSUNAGU_ROLE_OPERATOR, "x", &id),
			==, 0);
	return id;
}
