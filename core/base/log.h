/* Logging: one topic per module, structured lines on stderr.
 *
 * Every module declares its topic once at the top of its .c file:
 *
 *     #define TSUNAGU_LOG_TOPIC "store"
 *     #include "log.h"
 *
 * and then logs with tlog_info("opened %s", path). A line looks like
 *     2026-11-21T15:10:22.123Z info  store: opened /var/lib/tsunagu/tsunagu.db
 * Thread: any thread may log; lines are written whole (one write(2)).
 */
#pragma once

#include <stdarg.h>

typedef enum {
	TSUNAGU_LOG_ERROR = 0,
	TSUNAGU_LOG_WARN = 1,
	TSUNAGU_LOG_INFO = 2,
	TSUNAGU_LOG_DEBUG = 3,
} tsunagu_log_level;

/* Sets the most verbose level written (default INFO). Any thread. */
void tsunagu_log_set_level(tsunagu_log_level level);
/* Parses "error", "warn", "info", "debug"; returns -EINVAL otherwise. */
int tsunagu_log_level_parse(const char *name, tsunagu_log_level *out);
tsunagu_log_level tsunagu_log_get_level(void);

/* Writes one line. topic is borrowed, fmt is printf-like. Any thread. */
void tsunagu_log(tsunagu_log_level level, const char *topic, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tsunagu_logv(tsunagu_log_level level, const char *topic, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#ifndef TSUNAGU_LOG_TOPIC
#define TSUNAGU_LOG_TOPIC "core"
#endif

#define tlog_error(...) tsunagu_log(TSUNAGU_LOG_ERROR, TSUNAGU_LOG_TOPIC, __VA_ARGS__)
#define tlog_warn(...) tsunagu_log(TSUNAGU_LOG_WARN, TSUNAGU_LOG_TOPIC, __VA_ARGS__)
#define tlog_info(...) tsunagu_log(TSUNAGU_LOG_INFO, TSUNAGU_LOG_TOPIC, __VA_ARGS__)
#define tlog_debug(...) tsunagu_log(TSUNAGU_LOG_DEBUG, TSUNAGU_LOG_TOPIC, __VA_ARGS__)
