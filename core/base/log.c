/* Log sink: formats one line per call and writes it with a single write(2)
 * so lines from several threads never interleave. */
#include "log.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile int log_level = TSUNAGU_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void tsunagu_log_set_level(tsunagu_log_level level)
{
	g_atomic_int_set(&log_level, (int)level);
}

tsunagu_log_level tsunagu_log_get_level(void)
{
	return (tsunagu_log_level)g_atomic_int_get(&log_level);
}

int tsunagu_log_level_parse(const char *name, tsunagu_log_level *out)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(level_names); i++) {
		if (g_ascii_strcasecmp(name, level_names[i]) == 0) {
			*out = (tsunagu_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void tsunagu_logv(tsunagu_log_level level, const char *topic, const char *fmt, va_list ap)
{
	if ((int)level > g_atomic_int_get(&log_level))
		return;

	char line[2048];
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %-5s %s: ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (int)(tv.tv_usec / 1000),
			 level_names[level < 0 || level > 3 ? 2 : level], topic ? topic : "core");
	if (n < 0)
		return;
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	/* Control characters from outside input never reach the terminal raw. */
	for (size_t i = (size_t)n; i < len; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
			line[i] = '?';
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

void tsunagu_log(tsunagu_log_level level, const char *topic, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tsunagu_logv(level, topic, fmt, ap);
	va_end(ap);
}
