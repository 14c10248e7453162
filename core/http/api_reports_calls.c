/* Call records (TEL-10): GET /api/v1/reports/calls?from=&to=[&format=csv] —
 * every call queued in the period (local days of the server) with its
 * direction, missed reason, ring, talk and after-call-work time, staff and
 * line; as JSON for the inbox or as a CSV download (report_csv.h's cells).
 * Supervisors and admins see every call, an operator only their own. Read
 * on the store's reader pool, never on the loop thread. */
#define TSUNAGU_LOG_TOPIC "api"
#include "api.h"

#include <errno.h>
#include <string.h>

#include "call_report.h"
#include "log.h"
#include "report_csv.h"
#include "status_report.h"

typedef struct {
	tsunagu_api_call *call;
	GCancellable *cancel; /* a reference: tells whether the API still exists */
	bool csv;
	int64_t now_us;
	char *from, *to;      /* the dates asked, for the file name */
} calls_request;

static const char *const csv_columns[] = {
	"call", "conversation", "channel", "direction", "state", "missed_reason", "caller",
	"line", "staff", "queued_at", "answered_at", "ended_at", "waited_ms", "ring_ms",
	"talk_ms", "acw_ms", NULL,
};

static void csv_row(GString *out, json_t *rec)
{
	for (const char *const *c = csv_columns; *c; c++) {
		const char *key = strcmp(*c, "call") == 0 ? "id"
				  : strcmp(*c, "staff") == 0 ? "staff_login" : *c;
		json_t *v = json_object_get(rec, key);
		if (c != csv_columns)
			g_string_append_c(out, ',');
		if (json_is_integer(v))
			g_string_append_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			tsunagu_csv_text(out, json_is_string(v) ? json_string_value(v) : "");
	}
	g_string_append(out, "\r\n");
}

static void answer(calls_request *rq, GPtrArray *records)
{
	json_t *arr = json_array();
	for (guint i = 0; i < records->len; i++)
		json_array_append_new(arr, tsunagu_api_call_record_json(records->pdata[i],
									rq->now_us));
	if (!rq->csv) {
		tsunagu_api_reply(rq->call, 200,
				  json_pack("{s:s, s:s, s:o}", "from", rq->from, "to", rq->to,
					    "calls", arr));
		return;
	}
	/* a byte-order mark so that Excel in Japan reads UTF-8 */
	GString *text = g_string_new("\xEF\xBB\xBF");
	for (const char *const *c = csv_columns; *c; c++) {
		if (c != csv_columns)
			g_string_append_c(text, ',');
		tsunagu_csv_text(text, *c);
	}
	g_string_append(text, "\r\n");
	for (size_t i = 0; i < json_array_size(arr); i++)
		csv_row(text, json_array_get(arr, i));
	json_decref(arr);
	char *disposition = g_strdup_printf("attachment; filename=\"calls_%s_%s.csv\"", rq->from,
					    rq->to);
	tsunagu_http_add_header(rq->call->req, "content-disposition", disposition);
	tsunagu_api_reply_raw(rq->call, 200, "text/csv; charset=utf-8", text->str, text->len);
	g_free(disposition);
	g_string_free(text, TRUE);
}

/* The records are read (call_report.h): loop thread. */
static void records_read(int status, GPtrArray *records, void *user_data)
{
	calls_request *rq = user_data;

	if (!tsunagu_api_report_failed(rq->call, rq->cancel, status, "ask for a shorter period"))
		answer(rq, records);
	if (records)
		g_ptr_array_unref(records);
	g_object_unref(rq->cancel);
	g_free(rq->from);
	g_free(rq->to);
	g_free(rq);
}

/* GET /api/v1/reports/calls?from=&to=[&format=csv] */
static void calls_report(tsunagu_api_call *call)
{
	const char *from = tsunagu_http_request_query(call->req, "from");
	const char *to = tsunagu_http_request_query(call->req, "to");
	const char *format = tsunagu_http_request_query(call->req, "format");
	const char *why = NULL;
	GDate first, last;
	unsigned n_days;

	if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
		tsunagu_api_error(call, 400, "bad_request", "format: json or csv");
		return;
	}
	if (tsunagu_report_parse_date(from, &first) < 0 ||
	    tsunagu_report_parse_date(to, &last) < 0) {
		tsunagu_api_error(call, 400, "bad_request",
				  "from and to must be dates (YYYY-MM-DD), both given");
		return;
	}
	if (tsunagu_report_period_days(&first, &last, &n_days, &why) < 0) {
		tsunagu_api_error(call, 400, "bad_request", why);
		return;
	}
	int64_t *starts = tsunagu_report_day_starts(&first, n_days, NULL);
	/* an operator: their own calls only */
	int64_t staff = tsunagu_api_allowed(call, "reports.calls", false)
				? 0
				: tsunagu_api_staff_id(call);
	calls_request *rq = g_new0(calls_request, 1);
	*rq = (calls_request){call, g_object_ref(call->api->cancel),
			      format && strcmp(format, "csv") == 0, tsunagu_core_now_us(),
			      g_strdup(from), g_strdup(to)};
	int ret = tsunagu_call_report_async(call->core->store, starts[0], starts[n_days], staff,
					    TSUNAGU_REPORT_TIMEOUT_MS, records_read, rq);
	g_free(starts);
	if (ret < 0) {
		g_object_unref(rq->cancel);
		g_free(rq->from);
		g_free(rq->to);
		g_free(rq);
		if (ret == -EAGAIN)
			tsunagu_api_error(call, 503, "unavailable",
					  "too many reports are being computed; try again shortly");
		else
			tsunagu_api_error_errno(call, ret, "cannot read the call records");
	}
}

const tsunagu_api_route tsunagu_api_call_report_routes[] = {
	{ "GET", "/api/v1/reports/calls", "reports.calls", false, calls_report },
	{ NULL, NULL, NULL, false, NULL },
};
