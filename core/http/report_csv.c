/* The status-time report as CSV (see report_csv.h for the format). */
#include "report_csv.h"

#include <string.h>

static const char *const status_names[] = { NULL, "available", "away", "offline" };

void tsunagu_csv_text(GString *out, const char *text)
{
	g_string_append_c(out, '"');
	/* spreadsheets run a cell that starts like a formula (CWE-1236) */
	if (text && text[0] && strchr("=+-@\t\r", text[0]))
		g_string_append_c(out, '\'');
	for (const char *p = text ? text : ""; *p; p++) {
		if (*p == '"')
			g_string_append_c(out, '"');
		g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}

static void duration(GString *out, int64_t seconds)
{
	char hms[24];

	tsunagu_report_hms(seconds, hms);
	g_string_append_printf(out, ",%" G_GINT64_FORMAT ",%s", seconds, hms);
}

/* The sub-type columns: every (status, name) of the report's totals, in
 * their order (by status, then name). */
static GPtrArray *subtype_columns(const tsunagu_status_report *r)
{
	GPtrArray *cols = g_ptr_array_new();

	for (guint i = 0; i < r->rows->len; i++) {
		const tsunagu_report_row *row = r->rows->pdata[i];
		for (guint k = 0; k < row->total.subtypes->len; k++) {
			tsunagu_report_subtype *s = row->total.subtypes->pdata[k];
			bool known = false;
			for (guint c = 0; c < cols->len && !known; c++) {
				const tsunagu_report_subtype *x = cols->pdata[c];
				known = x->status == s->status && strcmp(x->name, s->name) == 0;
			}
			if (!known)
				g_ptr_array_add(cols, s);
		}
	}
	return cols;
}

static int64_t subtype_seconds(const tsunagu_report_figures *f, const tsunagu_report_subtype *col)
{
	for (guint k = 0; k < f->subtypes->len; k++) {
		const tsunagu_report_subtype *s = f->subtypes->pdata[k];
		if (s->status == col->status && strcmp(s->name, col->name) == 0)
			return s->seconds;
	}
	return 0;
}

static void figures_row(GString *out, const char *date, const tsunagu_report_row *row,
			const tsunagu_report_figures *f, GPtrArray *cols)
{
	g_string_append_printf(out, "%s,%" G_GINT64_FORMAT ",", date, row->staff_id);
	tsunagu_csv_text(out, row->login);
	g_string_append_c(out, ',');
	tsunagu_csv_text(out, row->display_name);
	for (int s = TSUNAGU_STATUS_AVAILABLE; s <= TSUNAGU_STATUS_OFFLINE; s++)
		duration(out, f->seconds[s]);
	g_string_append_printf(out, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT, f->chats, f->calls);
	duration(out, f->call_seconds);
	duration(out, f->acw_seconds);
	for (guint c = 0; c < cols->len; c++)
		duration(out, subtype_seconds(f, cols->pdata[c]));
	g_string_append(out, "\r\n");
}

GString *tsunagu_report_csv(const tsunagu_status_report *r)
{
	GString *out = g_string_new("\xEF\xBB\xBF");
	GPtrArray *cols = subtype_columns(r);

	g_string_append(out, "date,staff_id,login,display_name");
	for (int s = TSUNAGU_STATUS_AVAILABLE; s <= TSUNAGU_STATUS_OFFLINE; s++)
		g_string_append_printf(out, ",%s_seconds,%s_hms", status_names[s], status_names[s]);
	g_string_append(out, ",chats,calls_answered,call_seconds,call_hms,acw_seconds,acw_hms");
	for (guint c = 0; c < cols->len; c++) {
		const tsunagu_report_subtype *s = cols->pdata[c];
		char *name = g_strdup_printf("%s:%s", status_names[s->status], s->name);
		char *secs = g_strconcat(name, " seconds", NULL), *hms = g_strconcat(name, " hms", NULL);
		g_string_append_c(out, ',');
		tsunagu_csv_text(out, secs);
		g_string_append_c(out, ',');
		tsunagu_csv_text(out, hms);
		g_free(name);
		g_free(secs);
		g_free(hms);
	}
	g_string_append(out, "\r\n");
	for (guint i = 0; i < r->rows->len; i++) {
		const tsunagu_report_row *row = r->rows->pdata[i];
		char day[11];
		for (unsigned d = 0; d < r->n_days; d++) {
			tsunagu_status_report_day_name(r, d, day);
			figures_row(out, day, row, &row->days[d], cols);
		}
		figures_row(out, "total", row, &row->total, cols);
	}
	g_ptr_array_unref(cols);
	return out;
}
