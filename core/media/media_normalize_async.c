/* tsunagu_media_normalize_async(): a normalization on a thread of its own,
 * its result handed to the loop thread with one post, so a long file never
 * stalls the loop. */
#define TSUNAGU_LOG_TOPIC "media"
#include "media_normalize.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "log.h"

typedef struct {
	tsunagu_core *core;
	char *path;          /* the input file, or NULL */
	GBytes *data;        /* the input bytes, or NULL */
	char *out_path;
	int status;
	tsunagu_media_info info;
	GError *error;
	bool delivered;
	tsunagu_media_done_fn done;
	void *user_data;
	GDestroyNotify destroy;
} async_job;

/* Loop thread (posted). */
static void async_deliver(void *p)
{
	async_job *job = p;

	job->delivered = true;
	job->done(job->status, job->status == 0 ? &job->info : NULL, job->error, job->user_data);
}

/* After async_deliver on the loop thread, or instead of it on the worker
 * when the core has stopped: then nobody will record the file. */
static void async_free(void *p)
{
	async_job *job = p;

	if (!job->delivered) {
		if (job->status == 0)
			g_unlink(job->out_path);
		if (job->destroy)
			job->destroy(job->user_data);
	}
	g_free(job->path);
	if (job->data)
		g_bytes_unref(job->data);
	g_free(job->out_path);
	g_clear_error(&job->error);
	g_free(job);
}

/* The worker thread: owns job until the post takes it. */
static void *async_run(void *p)
{
	async_job *job = p;
	tsunagu_media_input in = {.path = job->path, .data = job->data};

	job->status = tsunagu_media_normalize(&in, job->out_path, NULL, &job->info, &job->error);
	/* on -ESHUTDOWN async_free has run already */
	tsunagu_core_post(job->core, async_deliver, job, async_free);
	return NULL;
}

int tsunagu_media_normalize_async(tsunagu_core *core, const tsunagu_media_input *in,
				  const char *out_path, tsunagu_media_done_fn done,
				  void *user_data, GDestroyNotify destroy)
{
	async_job *job;
	GThread *t;
	GError *err = NULL;

	if (!core || !in || !!in->path == !!in->data || !out_path || !done)
		return -EINVAL;
	job = g_new0(async_job, 1);
	job->core = core;
	job->path = g_strdup(in->path);
	job->data = in->data ? g_bytes_ref(in->data) : NULL;
	job->out_path = g_strdup(out_path);
	job->done = done;
	job->user_data = user_data;
	job->destroy = destroy;
	t = g_thread_try_new("tsunagu-normalize", async_run, job, &err);
	if (!t) {
		tlog_error("cannot start a normalization thread: %s", err->message);
		g_error_free(err);
		job->destroy = NULL; /* the caller keeps user_data: we return an error */
		job->delivered = true;
		async_free(job);
		return -EAGAIN;
	}
	g_thread_unref(t); /* detached: it ends by itself after its post */
	return 0;
}
