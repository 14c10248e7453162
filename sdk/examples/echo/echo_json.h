/* Just enough JSON for the echo example: read the string members of one flat
 * object and write string literals. A real plugin may link a JSON library of
 * its own; the SDK itself needs none. */
#ifndef ECHO_JSON_H
#define ECHO_JSON_H

#include <stddef.h>

/* A growing, NUL-terminated text buffer. Zero-initialize; free data. */
typedef struct {
	char *data;
	size_t len, cap;
} echo_buf;

/* Appends len bytes. 0 or -ENOMEM. */
int echo_buf_add(echo_buf *b, const char *s, size_t len);
/* Appends s as a quoted JSON string (escaping what JSON requires). */
int echo_buf_add_json_string(echo_buf *b, const char *s);

/* Finds the string member key of the JSON object in json[0..len) and returns a
 * malloc'd UTF-8 copy (caller frees), or NULL when the text is not an object,
 * the member is absent, is not a string, or holds a NUL. Other members may be
 * any JSON value. */
char *echo_json_get_string(const char *json, size_t len, const char *key);

#endif
