/* The host API's data_dir() (ABI 1.3): the directory where a plugin keeps
 * its own files. A plugin has no other way to find the daemon's data
 * directory (it sees only its own config section), and files it keeps —
 * the SIP plugin's key for outbound trunk passwords — belong beside the
 * database they go with, not in a path every admin must choose. */
#define TSUNAGU_LOG_TOPIC "plugins"
#include "log.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "core.h"
#include "plugin_host.h"

/* Loop thread. The path is h's (kept until the host is freed). */
static int host_data_dir(tsunagu_host *h, const char **path_out)
{
	char *path = NULL;
	GStatBuf st;
	int ret = 0;

	if (!h || !path_out)
		return -EINVAL;
	*path_out = NULL;
	/* From init() on: a plugin reads its files while it sets itself up. */
	if (h->phase >= TSUNAGU_PLUGIN_DESTROYED || !h->core)
		return -ESHUTDOWN;
	if (h->data_dir) {
		*path_out = h->data_dir;
		return 0;
	}
	if (!h->core->data_dir)
		return -ENODEV;
	path = g_build_filename(h->core->data_dir, "plugins", h->name, NULL);
	/* 0700: what a plugin keeps there (keys) is nobody else's business. */
	if (g_mkdir_with_parents(path, 0700) < 0) {
		ret = -errno;
		tlog_error("plugin %s: cannot create its data directory %s: %s", h->name, path,
			   g_strerror(errno));
		goto out;
	}
	if (g_stat(path, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		ret = -ENOTDIR;
		tlog_error("plugin %s: its data directory %s is not a directory", h->name, path);
		goto out;
	}
	h->data_dir = path;
	path = NULL;
	*path_out = h->data_dir;
out:
	g_free(path);
	return ret;
}

void tsunagu_host_files_fill(tsunagu_host_api *api)
{
	api->data_dir = host_data_dir;
}
