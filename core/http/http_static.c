/* Static files of the inbox, served under "/" from one directory. Paths
 * arrive normalized by libwebsockets (no "..", no "//"); the resolved file
 * must still lie inside the directory (symlinks included). */
#define TSUNAGU_LOG_TOPIC "http"
#include "http_private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tsunagu_build_config.h"

#define MAX_STATIC_FILE (16 * 1024 * 1024)

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".jpg", "image/jpeg" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
};

char *tsunagu_http_builtin_static_dir(void)
{
	char *src = g_build_filename(TSUNAGU_SOURCE_ROOT, "core", "inbox", NULL);

	if (g_file_test(src, G_FILE_TEST_IS_DIR))
		return src;
	g_free(src);
	return g_build_filename(TSUNAGU_DATADIR, "inbox", NULL);
}

static const char *content_type_of(const char *path)
{
	for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
		if (g_str_has_suffix(path, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

void tsunagu_http_static_handler(tsunagu_http_request *req, void *user_data)
{
	tsunagu_http *http = user_data;
	const char *path = tsunagu_http_request_path(req);
	char *rel = NULL, *full = NULL, *real = NULL, *root = NULL, *body = NULL;
	gsize len = 0;

	if (g_str_has_prefix(path, "/api/")) {
		tsunagu_http_respond_error(req, 404, "not_found", "no such resource");
		return;
	}
	rel = g_strdup(path + 1);
	if (!*rel || g_str_has_suffix(rel, "/")) {
		char *idx = g_strconcat(rel, "index.html", NULL);
		g_free(rel);
		rel = idx;
	}
	/* no hidden files, no parent references that slipped through */
	if (strstr(rel, "/.") || rel[0] == '.' || strstr(rel, "\\"))
		goto not_found;
	full = g_build_filename(http->static_dir, rel, NULL);
	real = realpath(full, NULL);
	root = realpath(http->static_dir, NULL);
	if (!real || !root || !g_str_has_prefix(real, root) || real[strlen(root)] != '/')
		goto not_found;
	if (!g_file_test(real, G_FILE_TEST_IS_REGULAR))
		goto not_found;
	GStatBuf st;
	if (g_stat(real, &st) != 0 || st.st_size > MAX_STATIC_FILE)
		goto not_found;
	if (!g_file_get_contents(real, &body, &len, NULL))
		goto not_found;
	tsunagu_http_add_header(req, "cache-control", "no-cache");
	tsunagu_http_respond(req, 200, content_type_of(real), body, len);
	goto out;
not_found:
	tsunagu_http_respond_error(req, 404, "not_found", "no such file");
out:
	g_free(rel);
	g_free(full);
	free(real);
	free(root);
	g_free(body);
}
