/* Private to the store library: the store handle itself and the batch
 * bookkeeping of store.c for the other backend-independent files
 * (store_routing.c, store_reader.c), which dispatch their operations exactly
 * as store.c does. Loop thread, except where store_reader.c says. */
#pragma once

#include <stdbool.h>

#include "store.h"
#include "store_backend.h"

typedef struct tsunagu_store_reader_pool tsunagu_store_reader_pool;

struct tsunagu_store {
	const tsunagu_store_backend_ops *ops;
	void *be;           /* the backend's handle, or its reader handle */
	int max_batch;
	int64_t commit_delay_us; /* 0: commit at the end of the iteration */
	int64_t commit_interval_us; /* 0: no pacing */
	int64_t last_commit_us;  /* tsunagu_core_now_us() of the last commit; 0: none */
	bool batch_open;
	int64_t batch_opened_us; /* tsunagu_core_now_us() of its first write */
	int batch_writes;   /* successful writes in the open batch */
	int atomic_depth;   /* open tsunagu_store_atomic_begin() sections */
	int spoiled_depth;  /* 0, or the section a multi-row write failed in (write_end) */
	GArray *batch_cbs;  /* store_callback: wait for the open batch */
	GArray *ready;      /* store_callback: outcome known, run on the next dispatch */
	GSource *source;
	/* A reader (store_reader.c): no batch, no source, no callbacks; every
	 * write is refused with -EROFS before it reaches the backend. */
	bool read_only;
	tsunagu_store_reader_pool *readers; /* the worker pool, made on first use */
	uint64_t offers_gen; /* tsunagu_store_offers_generation() */
};

/* Opens the batch if needed and, for a multi-row operation (atomic), a
 * savepoint — outside atomic sections only: inside one, a failed multi-row
 * write spoils the section instead, which tsunagu_store_atomic_end() then
 * undoes (store.c, own_savepoint). 0 or a negative errno (nothing to end
 * then). */
int tsunagu_store_write_begin(tsunagu_store *store, bool atomic);
/* Ends what write_begin opened with the operation's status and counts the
 * write; returns the status (or -EIO when the backend lost the batch). */
int tsunagu_store_write_end(tsunagu_store *store, bool atomic, int status);

/* store_reader.c: interrupts the pool's running reads, waits for its
 * workers (queued jobs end with -ECANCELED) and closes its readers. Called
 * by tsunagu_store_close before the backend closes. Loop thread. */
void tsunagu_store_readers_stop(tsunagu_store *store);

#define TSUNAGU_STORE_WRITE(store, atomic, call)                                  \
	do {                                                                      \
		int w_r_ = tsunagu_store_write_begin((store), (atomic));          \
		if (w_r_ < 0)                                                     \
			return w_r_;                                              \
		return tsunagu_store_write_end((store), (atomic), (call));        \
	} while (0)
