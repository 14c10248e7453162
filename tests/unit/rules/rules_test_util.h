/* Helpers shared by the rules unit tests: temporary rule directories,
 * hosts with small limits, conversations, and error-format checks. */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "rules.h"

/* A fresh temporary directory (removed by rtu_rmdir). */
char *rtu_tmpdir(void);
void rtu_rmdir(const char *dir);
void rtu_write(const char *dir, const char *name, const char *text);
void rtu_write_len(const char *dir, const char *name, const char *text, size_t len);

/* Limits small enough for fast tests, big enough for real rules. */
void rtu_options(tsunagu_rules_options *opts, const char *dir);

/* Host over dir (no core); asserts that it loaded. */
tsunagu_rules *rtu_open(const char *dir);

/* {"id": id, "channel": channel} (new reference). */
json_t *rtu_conv(const char *id, const char *channel);

/* Asserts that err looks like "<file>:<line>: ..." with line > 0. */
void rtu_assert_file_line(const char *err, const char *file);
