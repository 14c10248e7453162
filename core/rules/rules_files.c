/* The rule files on disk for the management API: names, reading, and the
 * atomic write that keeps the previous text in the history (rules_edit.h). */
#define TSUNAGU_LOG_TOPIC "rules"
#include "log.h"
#include "rules_edit.h"
#include "rules_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

bool tsunagu_rules_file_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 5 || n > 64 || name[0] == '.' || !g_str_has_suffix(name, ".lua"))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(name[i]) && !strchr("_.-", name[i]))
			return false;
	return true;
}

int tsunagu_rules_file_read(const tsunagu_rules *live, const char *name, char **text,
			    size_t *len)
{
	GError *error = NULL;
	gsize n = 0;
	int ret = 0;

	*text = NULL;
	*len = 0;
	if (!live || !tsunagu_rules_file_name_ok(name))
		return -EINVAL;
	char *path = g_build_filename(live->dir, name, NULL);
	if (!g_file_get_contents(path, text, &n, &error)) {
		ret = g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? -ENOENT : -EIO;
		g_error_free(error);
		goto out;
	}
	if (n > RULES_MAX_FILE_SIZE) {
		g_clear_pointer(text, g_free);
		ret = -EFBIG;
		goto out;
	}
	*len = n;
out:
	g_free(path);
	return ret;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *tsunagu_rules_file_list(const tsunagu_rules *live)
{
	json_t *list = json_array();
	GDir *d = live ? g_dir_open(live->dir, 0, NULL) : NULL;
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	while (d && (name = g_dir_read_name(d)))
		if (tsunagu_rules_file_name_ok(name))
			g_ptr_array_add(names, g_strdup(name));
	if (d)
		g_dir_close(d);
	g_ptr_array_sort(names, compare_names);
	for (unsigned i = 0; i < names->len; i++) {
		char *path = g_build_filename(live->dir, names->pdata[i], NULL);
		GStatBuf st;
		if (g_stat(path, &st) == 0 && S_ISREG(st.st_mode))
			json_array_append_new(list, json_pack("{s:s, s:I}", "name", names->pdata[i],
							      "size", (json_int_t)st.st_size));
		g_free(path);
	}
	g_ptr_array_unref(names);
	return list;
}

char *tsunagu_rules_text_version(const char *text, size_t len)
{
	if (!text)
		return g_strdup("");
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, len);
}

/* Writes len bytes to path through a temporary file beside it: after a
 * crash either the old or the new text is there, never a part. */
static int write_atomic(const char *path, const char *text, size_t len, char **why)
{
	char *dir = g_path_get_dirname(path);
	char *base = g_path_get_basename(path);
	char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
	int fd = g_mkstemp_full(tmp, O_WRONLY, 0644), dfd = -1, ret = 0;

	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		done += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		ret = -errno;
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		ret = -errno;
		goto out;
	}
	g_clear_pointer(&tmp, g_free);
	/* the rename itself must survive a power cut too */
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd >= 0 && fsync(dfd) < 0)
		ret = -errno;
out:
	if (ret < 0 && why && !*why)
		*why = g_strdup_printf("%s: %s", path, g_strerror(-ret));
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (tmp)
		g_unlink(tmp);
	g_free(tmp);
	g_free(base);
	g_free(dir);
	return ret;
}

/* Shifts <name>.1 .. .N-1 one up (the oldest falls off) and keeps text as
 * <name>.1. */
static int keep_history(const char *dir, const char *name, const char *text, size_t len,
			char **why)
{
	char *hist = g_build_filename(dir, TSUNAGU_RULES_HISTORY_DIR, NULL);
	int ret = 0;

	if (g_mkdir_with_parents(hist, 0750) < 0) {
		ret = -errno;
		if (why)
			*why = g_strdup_printf("%s: %s", hist, g_strerror(errno));
		goto out;
	}
	for (int i = TSUNAGU_RULES_HISTORY - 1; i >= 1; i--) {
		char *from = g_strdup_printf("%s/%s.%d", hist, name, i);
		char *to = g_strdup_printf("%s/%s.%d", hist, name, i + 1);
		if (rename(from, to) < 0 && errno != ENOENT)
			tlog_warn("history: %s: %s", from, g_strerror(errno));
		g_free(from);
		g_free(to);
	}
	char *first = g_strdup_printf("%s/%s.1", hist, name);
	ret = write_atomic(first, text, len, why);
	g_free(first);
out:
	g_free(hist);
	return ret;
}

int tsunagu_rules_file_write(const tsunagu_rules *live, const char *name, const char *text,
			     size_t len, char **why)
{
	char *old = NULL, *path = NULL;
	size_t old_len = 0;
	int ret;

	if (!live || !tsunagu_rules_file_name_ok(name))
		return -EINVAL;
	if (len > RULES_MAX_FILE_SIZE)
		return -EFBIG;
	ret = tsunagu_rules_file_read(live, name, &old, &old_len);
	if (ret < 0 && ret != -ENOENT)
		goto out;
	if (ret == 0) {
		ret = keep_history(live->dir, name, old, old_len, why);
		if (ret < 0)
			goto out;
	}
	path = g_build_filename(live->dir, name, NULL);
	ret = write_atomic(path, text, len, why);
out:
	g_free(old);
	g_free(path);
	return ret;
}
