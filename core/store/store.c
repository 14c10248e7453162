/* The backend-independent store: picks a backend, owns the group-commit batch
 * and its GSource, and the write discipline every operation goes through
 * (TSUNAGU_STORE_WRITE: savepoints, atomic sections). The operations
 * themselves are dispatched in store_data.c, store_routing.c,
 * store_engine.c, store_reports.c and store_guidance.c. */
#include <errno.h>
#include <string.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "core.h"
#include "log.h"
#include "store.h"
#include "store_backend.h"
#include "store_private.h"

#define STORE_DEFAULT_MAX_BATCH 10000
/* A batch holding this many writes commits at the end of the iteration even
 * inside its commit window: its sync is already shared by enough writes,
 * and under a closed loop of senders (each waiting for its acks, the chat
 * bench) waiting longer only idles the loop — measured, a 10 ms window
 * alone cut bench-chat's max rate by a third. */
#define STORE_WINDOW_FULL 64

typedef struct {
	tsunagu_store_commit_cb cb;
	void *user_data;
	int status; /* meaningful in store->ready only */
} store_callback;

typedef struct {
	GSource base;
	tsunagu_store *store;
} store_source;

static const tsunagu_store_backend_ops *const backends[] = {
	&tsunagu_store_sqlite_ops,
};

/* ---- group commit -------------------------------------------------------- */

static void batch_settle(tsunagu_store *store, int status)
{
	store_callback *cbs = (store_callback *)(void *)store->batch_cbs->data;

	for (guint i = 0; i < store->batch_cbs->len; i++) {
		store_callback c = cbs[i];
		c.status = status;
		g_array_append_val(store->ready, c);
	}
	g_array_set_size(store->batch_cbs, 0);
	if (status < 0)
		store->offers_gen++; /* the batch's writes are undone */
	store->batch_open = false;
	store->batch_writes = 0;
	store->atomic_depth = 0; /* the transaction ended them */
	store->spoiled_depth = 0;
}

static int batch_commit(tsunagu_store *store)
{
	int writes = store->batch_writes;
	int r;

	if (store->atomic_depth > 0)
		tlog_error("committing with %d atomic section(s) still open: a caller did not "
			   "end one within its loop iteration", store->atomic_depth);
	r = store->ops->commit(store->be);
	store->last_commit_us = tsunagu_core_now_us();
	if (r < 0)
		tlog_error("commit of a batch of %d writes failed: %s; the batch is lost", writes,
			   g_strerror(-r));
	batch_settle(store, r);
	return r;
}

/* Runs the callbacks whose outcome is known. The list is swapped out first so
 * that a callback may write, register callbacks or even close the store. */
static void run_ready(tsunagu_store *store)
{
	GArray *run = store->ready;

	if (run->len == 0)
		return;
	store->ready = g_array_new(FALSE, FALSE, sizeof(store_callback));
	for (guint i = 0; i < run->len; i++) {
		store_callback *c = &g_array_index(run, store_callback, i);
		c->cb(c->status, c->user_data);
	}
	g_array_free(run, TRUE);
}

/* Whether the open batch commits now. With a commit window, a batch waits
 * until it has been open commit_delay_us, so that the writes of the
 * iterations in between share its commit (one WAL sync instead of one per
 * iteration: at a hundred calls a second, each SIP message had its own);
 * with pacing, also until commit_interval_us after the previous commit, so
 * that under load commits come at most once per interval (each costs a
 * sync and a copy of every page it touched, shared pages again each time:
 * at a hundred calls a second, a 10 ms window still made about a hundred
 * commits a second), while after a quiet spell nothing waits. Neither holds
 * a batch already full enough (STORE_WINDOW_FULL); *timeout (when given)
 * is then how long the loop may sleep before it is due. Measured on the
 * core's clock so tests can move it; a clock that went back commits at
 * once rather than wait for it. */
static bool batch_due(const tsunagu_store *store, gint *timeout)
{
	int64_t now, due;

	if (!store->batch_open)
		return false;
	if ((store->commit_delay_us == 0 && store->commit_interval_us == 0) ||
	    store->batch_writes >= STORE_WINDOW_FULL)
		return true;
	now = tsunagu_core_now_us();
	if (now < store->batch_opened_us || now < store->last_commit_us)
		return true;
	due = store->batch_opened_us + store->commit_delay_us;
	if (store->commit_interval_us && store->last_commit_us)
		due = MAX(due, store->last_commit_us + store->commit_interval_us);
	if (now >= due)
		return true;
	if (timeout)
		*timeout = (gint)((due - now + 999) / 1000);
	return false;
}

/* Also where the reads of the iteration stop sharing their read transaction
 * (backend reads_end): GLib prepares every source before it polls, and
 * skips only sources of a lower priority than one already ready, in which
 * case it polls without waiting and the next iteration ends it. */
static gboolean source_prepare(GSource *source, gint *timeout)
{
	tsunagu_store *store = ((store_source *)source)->store;

	if (store->ops->reads_end)
		store->ops->reads_end(store->be);
	*timeout = -1;
	return store->ready->len > 0 || batch_due(store, timeout);
}

static gboolean source_check(GSource *source)
{
	tsunagu_store *store = ((store_source *)source)->store;

	return store->ready->len > 0 || batch_due(store, NULL);
}

static gboolean source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	tsunagu_store *store = ((store_source *)source)->store;

	if (batch_due(store, NULL))
		batch_commit(store);
	run_ready(store);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs source_funcs = {
	.prepare = source_prepare,
	.check = source_check,
	.dispatch = source_dispatch,
};

/* A multi-row write (atomic) has a savepoint of its own, but not inside a
 * section: a second level costs two statements and a second copy of every
 * page the write touches in SQLite's sub-journal. Its failure spoils the
 * section instead: the section can only be undone (atomic_end). The depth
 * does not change during one write, so begin and end agree. */
static bool own_savepoint(const tsunagu_store *store, bool atomic)
{
	return atomic && store->atomic_depth == 0;
}

/* Opens the batch if needed and, for a multi-row operation, a savepoint. */
static int write_begin(tsunagu_store *store, bool atomic)
{
	int r;

	if (store->read_only)
		return -EROFS;
	if (!store->batch_open) {
		r = store->ops->begin(store->be);
		if (r < 0)
			return r;
		store->batch_open = true;
		store->batch_writes = 0;
		store->batch_opened_us = tsunagu_core_now_us();
	}
	if (!atomic)
		return 0;
	r = store->ops->savepoint(store->be);
	if (r < 0 && !store->ops->in_transaction(store->be))
		batch_settle(store, -EIO);
	return r;
}

static int write_end(tsunagu_store *store, bool atomic, int status)
{
	if (atomic && store->ops->in_transaction(store->be)) {
		if (status < 0) {
			store->ops->rollback_to(store->be);
			store->offers_gen++;
		}
		if (store->ops->release(store->be) < 0 && status >= 0)
			status = -EIO;
	}
	if (!store->ops->in_transaction(store->be)) {
		/* The backend rolled the whole transaction back (I/O error, disk
		 * full): every write of the batch is gone, say so. */
		tlog_error("the backend aborted the open batch; its writes are lost");
		batch_settle(store, -EIO);
		return status < 0 ? status : -EIO;
	}
	/* Never commit early inside an atomic section: it would make half of
	 * it durable. The section's end checks again. */
	if (status >= 0 && ++store->batch_writes >= store->max_batch && store->atomic_depth == 0)
		batch_commit(store);
	return status;
}

/* One operation's write (TSUNAGU_STORE_WRITE): a savepoint of its own only
 * outside sections (own_savepoint). */
int tsunagu_store_write_begin(tsunagu_store *store, bool atomic)
{
	return write_begin(store, own_savepoint(store, atomic));
}

int tsunagu_store_write_end(tsunagu_store *store, bool atomic, int status)
{
	bool savepoint = own_savepoint(store, atomic);

	if (status < 0 && atomic && !savepoint && !store->spoiled_depth)
		store->spoiled_depth = store->atomic_depth;
	return write_end(store, savepoint, status);
}

/* ---- open, close, batch API ---------------------------------------------- */

int tsunagu_store_open(const tsunagu_store_options *opts, tsunagu_store **out)
{
	const tsunagu_store_backend_ops *ops = NULL;
	tsunagu_store *store = NULL;
	void *be = NULL;
	int r;

	if (!opts || !opts->path || !*opts->path || !out || opts->max_batch < 0 ||
	    opts->commit_delay_ms < 0 || opts->commit_interval_ms < 0)
		return -EINVAL;
	for (size_t i = 0; i < G_N_ELEMENTS(backends); i++) {
		if (backends[i]->abi_version != TSUNAGU_STORE_BACKEND_ABI ||
		    backends[i]->size < sizeof(tsunagu_store_backend_ops)) {
			tlog_error("backend %s: ABI %u size %u, expected ABI %u; skipped",
				   backends[i]->name, backends[i]->abi_version, backends[i]->size,
				   TSUNAGU_STORE_BACKEND_ABI);
			continue;
		}
		if (backends[i]->accepts(opts->path)) {
			ops = backends[i];
			break;
		}
	}
	if (!ops) {
		tlog_error("no store backend handles %s", opts->path);
		r = -EPROTONOSUPPORT;
		goto out;
	}
	r = ops->open(opts, &be);
	if (r < 0)
		goto out;

	store = g_new0(tsunagu_store, 1);
	store->ops = ops;
	store->be = be;
	store->max_batch = opts->max_batch > 0 ? opts->max_batch : STORE_DEFAULT_MAX_BATCH;
	store->commit_delay_us = (int64_t)opts->commit_delay_ms * 1000;
	store->commit_interval_us = (int64_t)opts->commit_interval_ms * 1000;
	store->batch_cbs = g_array_new(FALSE, FALSE, sizeof(store_callback));
	store->ready = g_array_new(FALSE, FALSE, sizeof(store_callback));
	store->source = g_source_new(&source_funcs, sizeof(store_source));
	((store_source *)store->source)->store = store;
	g_source_set_priority(store->source, G_PRIORITY_DEFAULT);
	g_source_set_static_name(store->source, "tsunagu store group commit");
	g_source_attach(store->source, opts->context);
	*out = store;
	r = 0;
out:
	return r;
}

void tsunagu_store_close(tsunagu_store *store)
{
	if (!store)
		return;
	if (store->read_only) {
		tsunagu_store_reader_close(store);
		return;
	}
	/* Workers may be reading: stop them before the backend goes. */
	tsunagu_store_readers_stop(store);
	/* Callbacks may write again; settle a bounded number of rounds, then
	 * tell whatever is left that it will never commit. */
	for (int round = 0; round < 16 && (store->batch_open || store->ready->len > 0); round++)
		tsunagu_store_flush(store);
	if (store->batch_open) {
		store->ops->rollback(store->be);
		batch_settle(store, -ESHUTDOWN);
	}
	run_ready(store);
	g_source_destroy(store->source);
	g_source_unref(store->source);
	store->ops->close(store->be);
	g_array_free(store->batch_cbs, TRUE);
	g_array_free(store->ready, TRUE);
	g_free(store);
}

void tsunagu_store_on_commit(tsunagu_store *store, tsunagu_store_commit_cb cb, void *user_data)
{
	store_callback c = { .cb = cb, .user_data = user_data, .status = 0 };

	g_return_if_fail(store && cb && !store->read_only);
	g_array_append_val(store->batch_open ? store->batch_cbs : store->ready, c);
}

int tsunagu_store_flush(tsunagu_store *store)
{
	int r = 0;

	if (!store)
		return -EINVAL;
	if (store->read_only)
		return -EROFS;
	if (store->batch_open)
		r = batch_commit(store);
	run_ready(store);
	return r;
}

int tsunagu_store_atomic_begin(tsunagu_store *store)
{
	int r;

	if (!store)
		return -EINVAL;
	r = write_begin(store, true);
	if (r == 0)
		store->atomic_depth++;
	return r;
}

int tsunagu_store_atomic_end(tsunagu_store *store, bool keep)
{
	int r = 0;

	if (!store)
		return -EINVAL;
	if (store->read_only)
		return -EROFS;
	if (!store->batch_open || store->atomic_depth == 0) {
		/* The batch failed (or was committed) under the section: its
		 * writes are not what the caller thinks. */
		tlog_error("atomic section ended with no section open");
		return -EIO;
	}
	if (store->spoiled_depth >= store->atomic_depth) { /* see own_savepoint */
		if (keep)
			tlog_warn("atomic section undone: a write in it failed");
		r = keep ? -EIO : 0;
		keep = false;
		store->spoiled_depth = 0;
	}
	store->atomic_depth--;
	if (!keep) {
		store->ops->rollback_to(store->be);
		store->offers_gen++;
	}
	if (store->ops->release(store->be) < 0)
		r = -EIO;
	if (!store->ops->in_transaction(store->be)) {
		tlog_error("the backend aborted the open batch; its writes are lost");
		batch_settle(store, -EIO);
		return -EIO;
	}
	if (store->atomic_depth == 0 && store->batch_writes >= store->max_batch)
		batch_commit(store);
	return r;
}

int tsunagu_store_schema_version(tsunagu_store *store)
{
	return store ? store->ops->schema_version(store->be) : -EINVAL;
}

int tsunagu_store_backup(tsunagu_store *store, const char *path)
{
	if (!store || !path || !*path)
		return -EINVAL;
	return store->ops->backup(store->be, path);
}

const tsunagu_store_backend_ops *tsunagu_store_backend(tsunagu_store *store)
{
	return store->ops;
}

void *tsunagu_store_backend_handle(tsunagu_store *store)
{
	return store->be;
}
