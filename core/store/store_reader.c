/* Readers: read-only store handles for worker threads, and the small pool
 * that runs read jobs (reports) on them so the loop thread never waits for
 * a long query. Backend-independent: the backend supplies the reader
 * connection through its reader_* ops. */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store.h"
#include "store_backend.h"
#include "store_private.h"

struct tsunagu_store_reader_pool {
	tsunagu_store *store; /* the owner; outlives the pool */
	GThreadPool *threads;
	GMutex lock;          /* guards what follows */
	GPtrArray *idle;      /* tsunagu_store* readers no worker holds */
	GPtrArray *busy;      /* tsunagu_store* readers a worker holds (interrupted at stop) */
	GPtrArray *finished;  /* read_job* whose done waits on its context */
	bool stopping;
};

typedef struct {
	tsunagu_store_reader_pool *pool;
	tsunagu_store_read_fn fn;
	tsunagu_store_read_done done;
	void *data;
	int64_t timeout_ms;
	GMainContext *context; /* where done runs; a reference */
	GSource *source;       /* the idle source that runs done, once finished */
	int status;
} read_job;

/* ---- one reader ------------------------------------------------------------- */

int tsunagu_store_reader_open(tsunagu_store *store, tsunagu_store **reader_out)
{
	tsunagu_store *reader = NULL;
	void *rbe = NULL;
	int r;

	if (!store || store->read_only || !reader_out)
		return -EINVAL;
	if (!store->ops->reader_open)
		return -ENOTSUP;
	r = store->ops->reader_open(store->be, &rbe);
	if (r < 0)
		return r;
	reader = g_new0(tsunagu_store, 1);
	reader->ops = store->ops;
	reader->be = rbe;
	reader->read_only = true;
	*reader_out = reader;
	return 0;
}

void tsunagu_store_reader_close(tsunagu_store *reader)
{
	if (!reader)
		return;
	g_return_if_fail(reader->read_only);
	reader->ops->reader_close(reader->be);
	g_free(reader);
}

int tsunagu_store_reader_deadline(tsunagu_store *reader, int64_t deadline_us)
{
	if (!reader || !reader->read_only || deadline_us < 0)
		return -EINVAL;
	reader->ops->reader_deadline(reader->be, deadline_us);
	return 0;
}

/* ---- the pool ------------------------------------------------------------------- */

/* A reader for the calling worker, bounded by deadline_us: an idle one, or
 * a new one (the pool never holds more than it has workers). */
static int pool_take(tsunagu_store_reader_pool *pool, int64_t deadline_us,
		     tsunagu_store **out)
{
	tsunagu_store *reader = NULL;
	int r = 0;

	g_mutex_lock(&pool->lock);
	if (pool->stopping)
		r = -ECANCELED;
	else if (pool->idle->len > 0)
		reader = g_ptr_array_steal_index(pool->idle, pool->idle->len - 1);
	g_mutex_unlock(&pool->lock);
	if (r < 0)
		return r;
	if (!reader) {
		r = tsunagu_store_reader_open(pool->store, &reader);
		if (r < 0)
			return r;
	}
	g_mutex_lock(&pool->lock);
	/* Registered and armed under the lock: stop either sees it busy and
	 * interrupts it, or has already said stop and it never runs. */
	if (pool->stopping) {
		r = -ECANCELED;
	} else {
		g_ptr_array_add(pool->busy, reader);
		reader->ops->reader_deadline(reader->be, deadline_us);
	}
	g_mutex_unlock(&pool->lock);
	if (r < 0) {
		tsunagu_store_reader_close(reader);
		return r;
	}
	*out = reader;
	return 0;
}

/* Gives the reader back; returns the job's status, -ECANCELED when the
 * pool stopped meanwhile (an interrupt then explains the failure). */
static int pool_give(tsunagu_store_reader_pool *pool, tsunagu_store *reader, int status)
{
	bool keep;

	g_mutex_lock(&pool->lock);
	g_ptr_array_remove_fast(pool->busy, reader);
	keep = !pool->stopping;
	if (keep)
		g_ptr_array_add(pool->idle, reader);
	g_mutex_unlock(&pool->lock);
	if (keep)
		return status;
	tsunagu_store_reader_close(reader);
	return status < 0 ? -ECANCELED : status;
}

static void job_deliver(read_job *job)
{
	job->done(job->status, job->data);
	g_source_unref(job->source);
	g_main_context_unref(job->context);
	g_free(job);
}

/* Idle source on the submitter's context (the loop thread): done, then the
 * job goes. */
static gboolean job_finish(gpointer p)
{
	read_job *job = p;
	tsunagu_store_reader_pool *pool = job->pool;

	g_mutex_lock(&pool->lock);
	g_ptr_array_remove_fast(pool->finished, job);
	g_mutex_unlock(&pool->lock);
	job_deliver(job);
	return G_SOURCE_REMOVE;
}

/* GThreadPool worker thread: item is a read_job (ours until handed to the
 * submitter's context), user_data the pool. */
static void pool_worker(gpointer item, gpointer user_data)
{
	tsunagu_store_reader_pool *pool = user_data;
	read_job *job = item;
	tsunagu_store *reader = NULL;
	int64_t deadline = 0;
	GSource *src;
	int r;

	if (job->timeout_ms > 0)
		deadline = g_get_monotonic_time() + job->timeout_ms * 1000;
	r = pool_take(pool, deadline, &reader);
	if (r == 0) {
		r = job->fn(reader, job->data);
		r = pool_give(pool, reader, r);
	}
	if (r == -ETIMEDOUT)
		tlog_warn("a read job ran longer than %" G_GINT64_FORMAT " ms and was stopped",
			  job->timeout_ms);
	job->status = r;
	/* Not g_main_context_invoke: it would run done right here whenever this
	 * thread can acquire the context (a loop between two iterations). */
	src = g_idle_source_new();
	g_source_set_priority(src, G_PRIORITY_DEFAULT);
	g_source_set_static_name(src, "tsunagu store read done");
	g_source_set_callback(src, job_finish, job, NULL);
	job->source = src;
	/* listed before attached: stop delivers what its loop never will */
	g_mutex_lock(&pool->lock);
	g_ptr_array_add(pool->finished, job);
	g_source_attach(src, job->context);
	g_mutex_unlock(&pool->lock);
}

static void pool_free(tsunagu_store_reader_pool *pool)
{
	g_ptr_array_unref(pool->finished);
	g_ptr_array_unref(pool->idle);
	g_ptr_array_unref(pool->busy);
	g_mutex_clear(&pool->lock);
	g_free(pool);
}

/* The pool with its first reader, opened here on the loop thread so that a
 * store without readers (in-memory) says so at submission, not in done. */
static int pool_new(tsunagu_store *store, tsunagu_store_reader_pool **out)
{
	tsunagu_store_reader_pool *pool;
	tsunagu_store *first = NULL;
	GError *err = NULL;
	int r = tsunagu_store_reader_open(store, &first);

	if (r < 0)
		return r;
	pool = g_new0(tsunagu_store_reader_pool, 1);
	pool->store = store;
	g_mutex_init(&pool->lock);
	pool->idle = g_ptr_array_new();
	pool->busy = g_ptr_array_new();
	pool->finished = g_ptr_array_new();
	pool->threads = g_thread_pool_new(pool_worker, pool, TSUNAGU_STORE_READERS, FALSE, &err);
	if (!pool->threads) {
		tlog_error("cannot start the reader pool: %s", err->message);
		g_error_free(err);
		tsunagu_store_reader_close(first);
		pool_free(pool);
		return -EAGAIN;
	}
	g_ptr_array_add(pool->idle, first);
	*out = pool;
	return 0;
}

int tsunagu_store_read_async(tsunagu_store *store, tsunagu_store_read_fn fn,
			     tsunagu_store_read_done done, void *data, int64_t timeout_ms)
{
	tsunagu_store_reader_pool *pool;
	read_job *job;
	GError *err = NULL;

	if (!store || store->read_only || !fn || !done || timeout_ms < 0)
		return -EINVAL;
	if (!store->ops->reader_open)
		return -ENOTSUP;
	if (!store->readers) {
		int r = pool_new(store, &store->readers);
		if (r < 0)
			return r;
	}
	pool = store->readers;
	if (g_thread_pool_unprocessed(pool->threads) >= TSUNAGU_STORE_READ_QUEUE_MAX)
		return -EAGAIN;
	job = g_new0(read_job, 1);
	job->pool = pool;
	job->fn = fn;
	job->done = done;
	job->data = data;
	job->timeout_ms = timeout_ms;
	job->context = g_main_context_ref_thread_default();
	/* with a non-exclusive pool, push only fails to start an extra thread;
	 * the job then waits for the others */
	if (!g_thread_pool_push(pool->threads, job, &err)) {
		tlog_warn("reader pool: %s", err->message);
		g_error_free(err);
	}
	return 0;
}

void tsunagu_store_readers_stop(tsunagu_store *store)
{
	tsunagu_store_reader_pool *pool = store->readers;

	if (!pool)
		return;
	g_mutex_lock(&pool->lock);
	pool->stopping = true;
	for (guint i = 0; i < pool->busy->len; i++) {
		tsunagu_store *reader = pool->busy->pdata[i];
		reader->ops->reader_interrupt(reader->be);
	}
	g_mutex_unlock(&pool->lock);
	/* queued jobs still run: they end at once with -ECANCELED */
	g_thread_pool_free(pool->threads, FALSE, TRUE);
	for (guint i = 0; i < pool->idle->len; i++)
		tsunagu_store_reader_close(pool->idle->pdata[i]);
	/* No worker is left. The loop may never iterate again (shutdown): the
	 * outcomes still waiting for it are delivered now. */
	for (guint i = 0; i < pool->finished->len; i++) {
		read_job *job = pool->finished->pdata[i];
		g_source_destroy(job->source);
		job_deliver(job);
	}
	pool_free(pool);
	store->readers = NULL;
}
