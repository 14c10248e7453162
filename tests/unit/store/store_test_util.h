/* Helpers shared by the store unit tests: a temporary directory per test
 * and a store opened in it on a private main context. */
#pragma once

#include <sqlite3.h>

#include "store.h"

typedef struct {
	char *dir;            /* temporary directory, removed by fixture_teardown */
	char *path;           /* <dir>/test.db */
	GMainContext *context;
	tsunagu_store *store;
} store_fixture;

/* Opens fx->store on fx->path with these options (path and context filled
 * in). Asserts success. */
void fixture_open(store_fixture *fx, const tsunagu_store_options *opts);
/* Closes fx->store and opens it again with the default options, which
 * applies the migrations the database lacks; asserts it is then at the
 * newest. */
void fixture_reopen_latest(store_fixture *fx);
void fixture_setup(store_fixture *fx, gconstpointer data);
void fixture_teardown(store_fixture *fx, gconstpointer data);

/* Iterates fx->context without blocking until *flag is true, at most a
 * bounded number of times; returns the flag. */
bool fixture_iterate_until(store_fixture *fx, const bool *flag);

/* A second, independent connection to the database (as another process
 * would see it). */
sqlite3 *fixture_peer(store_fixture *fx);
/* The integer result of a one-value query on db. */
int64_t query_int(sqlite3 *db, const char *sql);
/* g_test_init with the server's local date pinned (TZ=UTC: "today" of
 * fewest handled) and the core clock set to clock. */
void store_test_init(int *argc, char ***argv, int64_t (*clock)(void));
/* An operator (password "x"). */
int64_t fixture_staff(store_fixture *fx, const char *login);
/* A conversation (with its contact) on channel, committed. */
int64_t fixture_conversation(store_fixture *fx, const char *channel);
