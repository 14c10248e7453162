/* Route patterns against paths, listen addresses, Origin checks and media
 * types. Input: "pattern\npath" or any bytes. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size); /* stops at a NUL */
	char *nl = strchr(text, '\n');
	const char *pattern = text, *path = nl ? nl + 1 : text;
	GPtrArray *params = g_ptr_array_new_with_free_func(g_free);
	char *host = NULL, *media;
	int port;
	bool v6;

	if (nl)
		*nl = '\0';
	if (tsunagu_http_match_pattern(pattern, path, params)) {
		/* every captured segment is non-empty and has no '/' */
		for (guint i = 0; i < params->len; i++) {
			const char *seg = params->pdata[i];
			if (!*seg || strchr(seg, '/'))
				__builtin_trap();
		}
	} else if (params->len) {
		__builtin_trap(); /* a failed match leaves params untouched */
	}
	if (tsunagu_http_parse_listen(text, &host, &port, &v6) == 0) {
		if (port < 0 || port > 65535 || !*host)
			__builtin_trap();
		g_free(host);
	}
	tsunagu_http_origin_matches(pattern, path);
	media = tsunagu_http_media_type(text);
	g_free(media);
	g_ptr_array_unref(params);
	g_free(text);
	return 0;
}
