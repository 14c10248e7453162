/* The widget's files, embedded into web.so at build time (embed.py), so the
 * plugin needs no data directory. */
#pragma once

#include <stddef.h>

typedef struct {
	const char *path;         /* URL path served */
	const char *content_type;
	const char *data;
	size_t len;
} web_static_file;

/* Ends with an entry whose path is NULL. */
extern const web_static_file web_static_files[];
