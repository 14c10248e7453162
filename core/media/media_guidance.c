/* The guidance library's files (media_guidance.h). */
#define TSUNAGU_LOG_TOPIC "media"
#include "media_guidance.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "log.h"
#include "tsunagu/types.h"

char *tsunagu_guidance_dir(tsunagu_core *core, int *err_out)
{
	char *dir = g_build_filename(core->data_dir, "guidance", NULL);

	if (g_mkdir_with_parents(dir, 0700) < 0) {
		int e = errno;
		tlog_error("cannot create %s: %s", dir, g_strerror(e));
		g_free(dir);
		*err_out = -e;
		return NULL;
	}
	*err_out = 0;
	return dir;
}

/* The prefix api_guidance.c gives an upload's file until it is renamed. */
#define UPLOAD_PREFIX ".upload-"

int tsunagu_guidance_sweep(tsunagu_core *core, unsigned *removed_out)
{
	char *dir = NULL;
	GDir *d = NULL;
	GError *err = NULL;
	const char *name;
	unsigned removed = 0;
	int ret = 0;

	if (!core || !core->data_dir) {
		ret = -EINVAL;
		goto out;
	}
	dir = g_build_filename(core->data_dir, "guidance", NULL);
	if (!(d = g_dir_open(dir, 0, &err))) {
		/* nothing was ever uploaded: nothing to sweep */
		if (!g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			tlog_error("cannot read %s: %s", dir, err->message);
			ret = -EIO;
		}
		goto out;
	}
	while ((name = g_dir_read_name(d))) {
		if (strncmp(name, UPLOAD_PREFIX, strlen(UPLOAD_PREFIX)) != 0)
			continue;
		char *path = g_build_filename(dir, name, NULL);
		/* only files: anything else there is not an upload of ours */
		if (g_file_test(path, G_FILE_TEST_IS_REGULAR) &&
		    !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
			if (g_unlink(path) == 0)
				removed++;
			else
				tlog_warn("cannot remove %s: %s", path, g_strerror(errno));
		}
		g_free(path);
	}
	if (removed)
		tlog_info("removed %u unfinished upload(s) from %s", removed, dir);
out:
	if (removed_out)
		*removed_out = removed;
	if (d)
		g_dir_close(d);
	g_clear_error(&err);
	g_free(dir);
	return ret;
}

char *tsunagu_guidance_file(tsunagu_core *core, const tsunagu_store_guidance *g)
{
	char base[96];

	g_snprintf(base, sizeof base, "%" G_GINT64_FORMAT "-%s.wav", g->id, g->sha256);
	return g_build_filename(core->data_dir, "guidance", base, NULL);
}

const char *tsunagu_guidance_kind_name(int kind)
{
	switch (kind) {
	case TSUNAGU_PLUGIN_GUIDANCE_WELCOME:
		return "welcome";
	case TSUNAGU_PLUGIN_GUIDANCE_QUEUE:
		return "queue";
	case TSUNAGU_PLUGIN_GUIDANCE_BUSY:
		return "busy";
	case TSUNAGU_PLUGIN_GUIDANCE_OUT_OF_HOURS:
		return "out_of_hours";
	default:
		return NULL;
	}
}

int tsunagu_guidance_path(tsunagu_core *core, const char *line, const char *kind,
			  char **path_out)
{
	tsunagu_store_guidance *g = NULL;
	char *path;
	int ret;

	if (!core || !core->store || !core->data_dir || !path_out)
		return -EINVAL;
	ret = tsunagu_store_guidance_resolve(core->store, line, kind, &g);
	if (ret < 0)
		return ret;
	path = tsunagu_guidance_file(core, g);
	/* a file removed by hand: say so once per lookup, play nothing */
	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		tlog_error("guidance \"%s\" (%s for line \"%s\"): %s is missing", g->name, kind,
			   line ? line : "", path);
		g_free(path);
		tsunagu_store_guidance_free(g);
		return -ENOENT;
	}
	tsunagu_store_guidance_free(g);
	*path_out = path;
	return 0;
}
