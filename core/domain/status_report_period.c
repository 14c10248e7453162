/* The period of a status-time report: the dates a user types, the local
 * midnights that split it into days, and the HH:MM:SS of a duration. No
 * store here, so the date parser's fuzz target links this file alone. */
#include <errno.h>
#include <string.h>

#include "status_report.h"

static int two_digits(const char *p)
{
	if (!g_ascii_isdigit(p[0]) || !g_ascii_isdigit(p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

int tsunagu_report_parse_date(const char *text, GDate *out)
{
	int year = 0, month, day;

	/* strnlen: a missing terminator beyond 11 bytes is not read past */
	if (!text || !out || strnlen(text, 11) != 10 || text[4] != '-' || text[7] != '-')
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		if (!g_ascii_isdigit(text[i]))
			return -EINVAL;
		year = year * 10 + (text[i] - '0');
	}
	month = two_digits(text + 5);
	day = two_digits(text + 8);
	if (year < 1970 || month < 1 || day < 1 ||
	    !g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year))
		return -EINVAL;
	g_date_clear(out, 1);
	g_date_set_dmy(out, (GDateDay)day, (GDateMonth)month, (GDateYear)year);
	return 0;
}

int tsunagu_report_period_days(const GDate *first, const GDate *last, unsigned *n_days,
			       const char **why)
{
	const char *unused;
	const char **w = why ? why : &unused;
	int days;

	if (!first || !last || !n_days || !g_date_valid(first) || !g_date_valid(last)) {
		*w = "from and to must be dates (YYYY-MM-DD)";
		return -EINVAL;
	}
	days = g_date_days_between(first, last) + 1;
	if (days < 1) {
		*w = "to is before from";
		return -EINVAL;
	}
	if (days > TSUNAGU_REPORT_MAX_DAYS) {
		*w = "a period is at most 366 days";
		return -EINVAL;
	}
	*n_days = (unsigned)days;
	return 0;
}

int64_t *tsunagu_report_day_starts(const GDate *first, unsigned n_days, GTimeZone *tz)
{
	GTimeZone *zone = tz ? g_time_zone_ref(tz) : g_time_zone_new_local();
	int64_t *starts = g_new0(int64_t, n_days + 1);
	GDate d = *first;

	for (unsigned i = 0; i <= n_days; i++) {
		GDateTime *dt = g_date_time_new(zone, g_date_get_year(&d), g_date_get_month(&d),
						g_date_get_day(&d), 0, 0, 0);
		/* g_date_time_new fails only outside year 1..9999; the parser
		 * admits up to 9999-12-31, whose next midnight is out of range */
		starts[i] = dt ? g_date_time_to_unix(dt) * G_USEC_PER_SEC
			       : (i ? starts[i - 1] + (int64_t)24 * 3600 * G_USEC_PER_SEC : 0);
		/* zones whose rules moved a midnight backwards must not give a
		 * day a negative length */
		if (i && starts[i] < starts[i - 1])
			starts[i] = starts[i - 1];
		if (dt)
			g_date_time_unref(dt);
		if (i < n_days)
			g_date_add_days(&d, 1);
	}
	g_time_zone_unref(zone);
	return starts;
}

void tsunagu_report_hms(int64_t seconds, char buf[24])
{
	if (seconds < 0)
		seconds = 0;
	g_snprintf(buf, 24, "%02" G_GINT64_FORMAT ":%02d:%02d", seconds / 3600,
		   (int)(seconds / 60 % 60), (int)(seconds % 60));
}
