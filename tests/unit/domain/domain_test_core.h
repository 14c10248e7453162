/* The core the domain tests run on: a store on a fresh SQLite file in a
 * temporary directory, the event bus and the domain, on the default main
 * context. Shared by test_domain.c and the router fixture. */
#pragma once

#include "core.h"

/* Fills core (memset first by the caller) and *dir, *db (owned by the
 * caller until domain_test_core_close). prefix names the directory. */
void domain_test_core_open(tsunagu_core *core, const char *prefix, const char *synchronous,
			   char **dir, char **db);
/* Commits, frees the domain, the events and the store, removes the files
 * and frees dir and db. */
void domain_test_core_close(tsunagu_core *core, char *dir, char *db);
/* Removes the files of the store at db: the database, its WAL and shared
 * memory, and the full-text index beside it. */
void domain_test_remove_store_files(const char *db);
