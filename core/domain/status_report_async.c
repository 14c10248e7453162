/* The status-time report off the loop thread: the query is copied, the
 * report is built on a reader of the store's pool (store.h, "readers"), and
 * the caller hears of it back on the loop thread. */
#define TSUNAGU_LOG_TOPIC "report"
#include "status_report.h"

#include <errno.h>

#include "log.h"

typedef struct {
	tsunagu_status_report_query q; /* staff_ids points into ids; tz a reference */
	GArray *ids;                   /* int64_t */
	char *team;                    /* resolved on the worker; may be NULL */
	tsunagu_status_report *r;      /* the result, until done takes it */
	tsunagu_status_report_done done;
	void *user_data;
} report_job;

static void report_job_free(report_job *job)
{
	if (job->q.tz)
		g_time_zone_unref(job->q.tz);
	g_array_unref(job->ids);
	g_free(job->team);
	tsunagu_status_report_free(job->r);
	g_free(job);
}

/* Read job: a worker thread with reader; job is ours until done. */
static int report_read(tsunagu_store *reader, void *data)
{
	report_job *job = data;
	int ret = 0;

	if (job->team)
		ret = tsunagu_store_team_get_by_name(reader, job->team, &job->q.team_id);
	if (ret == 0)
		ret = tsunagu_status_report_build(reader, &job->q, &job->r);
	return ret;
}

/* Read done: the loop thread. Hands the report over, then frees the job. */
static void report_done(int status, void *data)
{
	report_job *job = data;
	tsunagu_status_report *r = status == 0 ? job->r : NULL;

	job->r = NULL;
	job->done(status, r, job->user_data);
	report_job_free(job);
}

int tsunagu_status_report_build_async(tsunagu_store *store, const tsunagu_status_report_query *q,
				      const char *team, int64_t timeout_ms,
				      tsunagu_status_report_done done, void *user_data)
{
	report_job *job;
	int ret;

	if (!store || !q || !done || (q->n_staff && !q->staff_ids) ||
	    q->n_staff > TSUNAGU_REPORT_MAX_STAFF || (team && !*team) || timeout_ms < 0)
		return -EINVAL;
	job = g_new0(report_job, 1);
	job->q = *q;
	job->ids = g_array_sized_new(FALSE, FALSE, sizeof(int64_t), q->n_staff);
	if (q->n_staff)
		g_array_append_vals(job->ids, q->staff_ids, q->n_staff);
	job->q.staff_ids = (const int64_t *)(void *)job->ids->data;
	job->q.tz = q->tz ? g_time_zone_ref(q->tz) : NULL;
	job->team = g_strdup(team);
	job->done = done;
	job->user_data = user_data;
	ret = tsunagu_store_read_async(store, report_read, report_done, job, timeout_ms);
	if (ret < 0)
		report_job_free(job);
	return ret;
}
