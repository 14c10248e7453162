/* Reports (OP-6): GET /api/v1/reports/status-time — the status-time report
 * of core/domain/status_report.h as JSON for the inbox, or as a CSV
 * download (report_csv.h). Supervisors and admins see everyone; an
 * operator sees only themself. Days are local to the server's time zone.
 * The report is built on the store's reader pool, never on the loop thread:
 * the answer is sent when it is done (dropped if the client left). */
#define TSUNAGU_LOG_TOPIC "api"
#include "api.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "report_csv.h"
#include "status_report.h"

static const char *const status_names[] = { NULL, "available", "away", "offline" };

static json_t *figures_json(const tsunagu_report_figures *f)
{
	json_t *subtypes = json_array();

	for (guint i = 0; i < f->subtypes->len; i++) {
		const tsunagu_report_subtype *s = f->subtypes->pdata[i];
		json_array_append_new(subtypes, json_pack("{s:s,s:s,s:I}", "status",
							  status_names[s->status], "subtype",
							  s->name, "seconds", (json_int_t)s->seconds));
	}
	return json_pack("{s:{s:I,s:I,s:I},s:o,s:I,s:I,s:I,s:I}", "seconds", "available",
			 (json_int_t)f->seconds[TSUNAGU_STATUS_AVAILABLE], "away",
			 (json_int_t)f->seconds[TSUNAGU_STATUS_AWAY], "offline",
			 (json_int_t)f->seconds[TSUNAGU_STATUS_OFFLINE], "subtypes", subtypes, "chats",
			 (json_int_t)f->chats, "calls", (json_int_t)f->calls, "call_seconds",
			 (json_int_t)f->call_seconds, "acw_seconds", (json_int_t)f->acw_seconds);
}

static json_t *report_json(const tsunagu_status_report *r)
{
	json_t *staff = json_array(), *days = json_array();
	char day[11];

	for (unsigned d = 0; d < r->n_days; d++) {
		tsunagu_status_report_day_name(r, d, day);
		json_array_append_new(days, json_string(day));
	}
	for (guint i = 0; i < r->rows->len; i++) {
		const tsunagu_report_row *row = r->rows->pdata[i];
		json_t *per_day = json_array();
		for (unsigned d = 0; d < r->n_days; d++)
			json_array_append_new(per_day, figures_json(&row->days[d]));
		json_array_append_new(staff,
				      json_pack("{s:I,s:s,s:s,s:s,s:o,s:o}", "id",
						(json_int_t)row->staff_id, "login", row->login,
						"display_name", row->display_name, "role",
						tsunagu_role_name(row->role), "total",
						figures_json(&row->total), "days", per_day));
	}
	tsunagu_status_report_day_name(r, 0, day);
	json_t *j = json_pack("{s:s,s:s,s:o,s:o,s:o}", "from", day, "timezone", r->timezone,
			      "generated_at", tsunagu_api_time(r->now_us), "days", days, "staff",
			      staff);
	tsunagu_status_report_day_name(r, r->n_days - 1, day);
	json_object_set_new(j, "to", json_string(day));
	return j;
}

/* "3,5,8": positive ids, at most TSUNAGU_REPORT_MAX_STAFF. */
static int parse_staff_ids(const char *text, GArray *ids)
{
	char **parts = g_strsplit(text, ",", TSUNAGU_REPORT_MAX_STAFF + 2);
	int ret = 0;

	for (char **p = parts; *p && ret == 0; p++) {
		char *end = NULL;
		int64_t id = g_ascii_isdigit((*p)[0]) ? g_ascii_strtoll(*p, &end, 10) : 0;
		if (id <= 0 || !end || *end || ids->len >= TSUNAGU_REPORT_MAX_STAFF)
			ret = -EINVAL;
		else
			g_array_append_val(ids, id);
	}
	g_strfreev(parts);
	return ids->len ? ret : -EINVAL;
}

static void answer(tsunagu_api_call *call, const tsunagu_status_report *r, bool csv)
{
	if (!csv) {
		tsunagu_api_reply(call, 200, report_json(r));
		return;
	}
	GString *text = tsunagu_report_csv(r);
	char from[11], to[11];
	tsunagu_status_report_day_name(r, 0, from);
	tsunagu_status_report_day_name(r, r->n_days - 1, to);
	char *disposition = g_strdup_printf("attachment; filename=\"status-time_%s_%s.csv\"",
					    from, to);
	tsunagu_http_add_header(call->req, "content-disposition", disposition);
	tsunagu_api_reply_raw(call, 200, "text/csv; charset=utf-8", text->str, text->len);
	g_free(disposition);
	g_string_free(text, TRUE);
}

typedef struct {
	tsunagu_api_call *call;
	GCancellable *cancel; /* a reference: tells whether the API still exists */
	bool csv;
} report_request;

bool tsunagu_api_report_failed(tsunagu_api_call *call, GCancellable *cancel, int status,
			       const char *hint)
{
	if (g_cancellable_is_cancelled(cancel) || status == -ECANCELED) {
		tsunagu_api_error(call, 503, "unavailable", "the server is shutting down");
	} else if (status == -ETIMEDOUT) {
		char *msg = g_strdup_printf("the report took longer than 30 seconds and was "
					    "stopped; %s", hint);
		tsunagu_api_error(call, 503, "unavailable", msg);
		g_free(msg);
	} else if (status < 0) {
		tsunagu_api_error_errno(call, status, "cannot compute the report");
	} else {
		return false;
	}
	return true;
}

/* The report is done (status_report.h): loop thread; r is ours. */
static void report_built(int status, tsunagu_status_report *r, void *user_data)
{
	report_request *rq = user_data;
	tsunagu_api_call *call = rq->call;

	if (status == -ENOENT && !g_cancellable_is_cancelled(rq->cancel))
		tsunagu_api_error(call, 404, "not_found", "no such team");
	else if (!tsunagu_api_report_failed(call, rq->cancel, status,
					    "ask for a shorter period or fewer staff"))
		answer(call, r, rq->csv);
	tsunagu_status_report_free(r);
	g_object_unref(rq->cancel);
	g_free(rq);
}

/* GET /api/v1/reports/status-time?from=&to=[&staff=][&team=][&format=csv] */
static void status_time(tsunagu_api_call *call)
{
	const char *from = tsunagu_http_request_query(call->req, "from");
	const char *to = tsunagu_http_request_query(call->req, "to");
	const char *staff = tsunagu_http_request_query(call->req, "staff");
	const char *team = tsunagu_http_request_query(call->req, "team");
	const char *format = tsunagu_http_request_query(call->req, "format");
	/* the domain clock, read here on the loop thread (tests control it) */
	tsunagu_status_report_query q = { .now_us = tsunagu_core_now_us() };
	report_request *rq = NULL;
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	int64_t me = tsunagu_api_staff_id(call);
	bool everyone = tsunagu_api_allowed(call, "reports.status_time", false);
	unsigned n_days;
	const char *why = NULL;
	int ret;

	if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
		tsunagu_api_error(call, 400, "bad_request", "format: json or csv");
		goto out;
	}
	if (tsunagu_report_parse_date(from, &q.first) < 0 ||
	    tsunagu_report_parse_date(to, &q.last) < 0) {
		tsunagu_api_error(call, 400, "bad_request",
				  "from and to must be dates (YYYY-MM-DD), both given");
		goto out;
	}
	if (tsunagu_report_period_days(&q.first, &q.last, &n_days, &why) < 0) {
		tsunagu_api_error(call, 400, "bad_request", why);
		goto out;
	}
	if (staff && parse_staff_ids(staff, ids) < 0) {
		tsunagu_api_error(call, 400, "bad_request",
				  "staff: a comma-separated list of staff ids");
		goto out;
	}
	if (!everyone) {
		/* an operator: their own figures only */
		bool others = team != NULL;
		for (guint i = 0; i < ids->len; i++)
			others |= g_array_index(ids, int64_t, i) != me;
		if (others) {
			tsunagu_api_error(call, 403, "forbidden",
					  "operators see only their own figures");
			goto out;
		}
		g_array_set_size(ids, 0);
		g_array_append_val(ids, me);
	}
	q.staff_ids = (const int64_t *)(void *)ids->data;
	q.n_staff = ids->len;
	rq = g_new0(report_request, 1);
	rq->call = call;
	rq->cancel = g_object_ref(call->api->cancel);
	rq->csv = format && strcmp(format, "csv") == 0;
	ret = tsunagu_status_report_build_async(call->core->store, &q, team,
						TSUNAGU_REPORT_TIMEOUT_MS, report_built, rq);
	if (ret < 0) {
		g_object_unref(rq->cancel);
		g_free(rq);
		if (ret == -EAGAIN)
			tsunagu_api_error(call, 503, "unavailable",
					  "too many reports are being computed; try again shortly");
		else
			tsunagu_api_error_errno(call, ret, "cannot compute the report");
	}
out:
	g_array_unref(ids);
}

const tsunagu_api_route tsunagu_api_report_routes[] = {
	{ "GET", "/api/v1/reports/status-time", "reports.status_time", false, status_time },
	{ NULL, NULL, NULL, false, NULL },
};
