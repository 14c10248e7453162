/* The status-time report (core/domain/status_report.h) as a CSV download
 * for spreadsheets: RFC 4180 (every text cell quoted, quotes doubled, CRLF
 * line ends), UTF-8 with a byte-order mark so that Excel in Japan reads it
 * as UTF-8, one row per staff member and day followed by that staff
 * member's total row (date "total"). Durations come twice: seconds and
 * HH:MM:SS. A sub-type gets its own pair of columns, named
 * "<status>:<sub-type>".
 *
 * A text cell that starts with = + - @ (or a tab or carriage return) gets a
 * leading apostrophe, so a name such as "=HYPERLINK(...)" stays text in a
 * spreadsheet instead of becoming a formula.
 * Thread: any (pure).
 */
#pragma once

#include <glib.h>

#include "status_report.h"

/* Appends one CSV cell of text (quoted, neutralised) to out. */
void tsunagu_csv_text(GString *out, const char *text);
/* The whole file. Caller frees with g_string_free. */
GString *tsunagu_report_csv(const tsunagu_status_report *r);
