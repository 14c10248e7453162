/* The status-time report's query values: the date parser (from, to), the
 * period check, the day boundaries, and the CSV cell of any text. Input:
 * "FROM\nTO\nTEXT". Checks: no crash; an accepted date prints back as the
 * same text; day boundaries never go backwards; a CSV cell is quoted, its
 * quotes doubled, and never starts with a formula character. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "report_csv.h"
#include "status_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_date(const char *text)
{
	GDate d;
	char back[16];

	if (tsunagu_report_parse_date(text, &d) < 0)
		return;
	g_snprintf(back, sizeof back, "%04d-%02d-%02d", g_date_get_year(&d), g_date_get_month(&d),
		   g_date_get_day(&d));
	if (strcmp(back, text) != 0)
		__builtin_trap();
}

static void check_cell(const char *text)
{
	GString *out = g_string_new(NULL);
	size_t quotes = 0;

	tsunagu_csv_text(out, text);
	if (out->len < 2 || out->str[0] != '"' || out->str[out->len - 1] != '"')
		__builtin_trap();
	if (strchr("=+-@\t\r", out->str[1]) && out->str[1])
		__builtin_trap();
	for (size_t i = 1; i + 1 < out->len; i++)
		quotes += out->str[i] == '"';
	if (quotes % 2)
		__builtin_trap();
	g_string_free(out, TRUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = g_strndup((const char *)data, size);
	char **parts = g_strsplit(s, "\n", 3);
	GDate first, last;
	unsigned n = 0;

	for (int i = 0; parts[i]; i++)
		check_date(parts[i]);
	if (parts[0] && parts[1] && tsunagu_report_parse_date(parts[0], &first) == 0 &&
	    tsunagu_report_parse_date(parts[1], &last) == 0 &&
	    tsunagu_report_period_days(&first, &last, &n, NULL) == 0) {
		GTimeZone *tz = g_time_zone_new_identifier("America/New_York");
		int64_t *starts = tsunagu_report_day_starts(&first, n, tz);
		for (unsigned i = 0; i < n; i++)
			if (starts[i + 1] < starts[i])
				__builtin_trap();
		g_free(starts);
		g_time_zone_unref(tz);
	}
	if (parts[0] && parts[1] && parts[2])
		check_cell(parts[2]);
	g_strfreev(parts);
	g_free(s);
	return 0;
}
