/* The quick path of the visitor frame parser (web_frame.c): a frame that is
 * a flat JSON object of strings — every "send" and "ping" the widget writes
 * — is read without jansson's lexer, which cost a tenth of the loop's time
 * per chat message. Anything else is left to jansson.
 * Thread: any (no shared state).
 */
#pragma once

#include <jansson.h>
#include <stddef.h>

/* data (len bytes, not NUL-terminated) as the object json_loadb(data, len,
 * JSON_REJECT_DUPLICATES) would return, or NULL when it is not valid UTF-8
 * made of: optional whitespace, an object whose values are all strings
 * using no escape but \" \\ \/ \b \f \n \r \t, optional whitespace — or
 * repeats a key. NULL says nothing about validity: the caller then asks
 * jansson, whose answer (and error) is authoritative. The result is the
 * caller's (json_decref). */
json_t *web_frame_flat_parse(const char *data, size_t len);
