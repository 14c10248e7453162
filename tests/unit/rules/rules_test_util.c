#include "rules_test_util.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

char *rtu_tmpdir(void)
{
	GError *error = NULL;
	char *dir = g_dir_make_tmp("tsunagu-rules-XXXXXX", &error);
	g_assert_no_error(error);
	return dir;
}

void rtu_rmdir(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	while (d && (name = g_dir_read_name(d))) {
		char *path = g_build_filename(dir, name, NULL);
		if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
			rtu_rmdir(path);
		else
			g_unlink(path);
		g_free(path);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
}

void rtu_write_len(const char *dir, const char *name, const char *text, size_t len)
{
	char *path = g_build_filename(dir, name, NULL);
	GError *error = NULL;
	g_file_set_contents(path, text, (gssize)len, &error);
	g_assert_no_error(error);
	g_free(path);
}

void rtu_write(const char *dir, const char *name, const char *text)
{
	rtu_write_len(dir, name, text, strlen(text));
}

void rtu_options(tsunagu_rules_options *opts, const char *dir)
{
	memset(opts, 0, sizeof *opts);
	opts->dir = dir;
	opts->instruction_limit = 2000000;
	/* Under valgrind (meson test --setup valgrind) code runs ~50x slower:
	 * the wall-clock limit must not trip before the instruction limit. */
	opts->time_limit_ms = g_getenv("TSUNAGU_TEST_SLOW") ? 60000 : 1000;
	opts->memory_limit = 4 * 1024 * 1024;
}

tsunagu_rules *rtu_open(const char *dir)
{
	tsunagu_rules_options opts;
	tsunagu_rules *rules = NULL;
	GError *error = NULL;
	rtu_options(&opts, dir);
	int ret = tsunagu_rules_new(NULL, &opts, &rules, &error);
	g_assert_no_error(error);
	g_assert_cmpint(ret, ==, 0);
	g_assert_cmpuint(tsunagu_rules_generation(rules), ==, 1);
	return rules;
}

json_t *rtu_conv(const char *id, const char *channel)
{
	return json_pack("{s:s, s:s}", "id", id, "channel", channel);
}

void rtu_assert_file_line(const char *err, const char *file)
{
	g_assert_nonnull(err);
	size_t n = strlen(file);
	if (strncmp(err, file, n) != 0 || err[n] != ':')
		g_error("\"%s\" does not start with \"%s:\"", err, file);
	char *end = NULL;
	long line = strtol(err + n + 1, &end, 10);
	if (line <= 0 || !end || strncmp(end, ": ", 2) != 0)
		g_error("\"%s\" has no line number after \"%s:\"", err, file);
}
