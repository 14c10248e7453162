/* The guidance library's files (media_guidance.h). */
#define TSUNAGU_LOG_TOPIC "media"
#include "media_guidance.h"

#include <errno.h>
#include <glib/gstdio.h>

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
