/* Call records of a period on the store's reader pool (call_report.h). */
#define TSUNAGU_LOG_TOPIC "report"
#include "call_report.h"

#include <errno.h>

#include "log.h"

typedef struct {
	int64_t from_us, to_us, staff_id;
	GPtrArray *records; /* the result, until done takes it */
	tsunagu_call_report_done done;
	void *user_data;
} call_report_job;

/* Read job: a worker thread with reader; job is ours until done. */
static int records_read(tsunagu_store *reader, void *data)
{
	call_report_job *job = data;
	return tsunagu_store_call_records(reader, job->from_us, job->to_us, job->staff_id, 0,
					  &job->records);
}

/* Read done: the loop thread. */
static void records_done(int status, void *data)
{
	call_report_job *job = data;
	GPtrArray *records = status == 0 ? g_steal_pointer(&job->records) : NULL;
	job->done(status, records, job->user_data);
	if (job->records)
		g_ptr_array_unref(job->records);
	g_free(job);
}

int tsunagu_call_report_async(tsunagu_store *store, int64_t from_us, int64_t to_us,
			      int64_t staff_id, int64_t timeout_ms,
			      tsunagu_call_report_done done, void *user_data)
{
	if (!store || !done || to_us < from_us || staff_id < 0 || timeout_ms < 0)
		return -EINVAL;
	call_report_job *job = g_new0(call_report_job, 1);
	*job = (call_report_job){from_us, to_us, staff_id, NULL, done, user_data};
	int ret = tsunagu_store_read_async(store, records_read, records_done, job, timeout_ms);
	if (ret < 0)
		g_free(job);
	return ret;
}
