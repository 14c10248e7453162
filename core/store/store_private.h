/* Private to the store library: the batch bookkeeping of store.c for the
 * other backend-independent files (store_routing.c), which dispatch their
 * operations exactly as store.c does. Loop thread. */
#pragma once

#include <stdbool.h>

#include "store.h"
#include "store_backend.h"

/* Opens the batch if needed and, for a multi-row operation (atomic), a
 * savepoint. 0 or a negative errno (nothing to end then). */
int tsunagu_store_write_begin(tsunagu_store *store, bool atomic);
/* Ends what write_begin opened with the operation's status and counts the
 * write; returns the status (or -EIO when the backend lost the batch). */
int tsunagu_store_write_end(tsunagu_store *store, bool atomic, int status);

#define TSUNAGU_STORE_WRITE(store, atomic, call)                                  \
	do {                                                                      \
		int w_r_ = tsunagu_store_write_begin((store), (atomic));          \
		if (w_r_ < 0)                                                     \
			return w_r_;                                              \
		return tsunagu_store_write_end((store), (atomic), (call));        \
	} while (0)
