/* Pure parsers of the HTTP layer: no libwebsockets, no store, so that each
 * can be unit tested and fuzzed on its own (tests/fuzz/http/).
 * Every function takes untrusted bytes and either succeeds or returns
 * -EINVAL; none of them keeps a pointer into its input.
 * Thread: any (no shared state).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses a Cookie request header ("a=1; b=2") into a new table name -> value
 * (both owned by the table). Malformed pairs are skipped; the first
 * occurrence of a name wins (RFC 6265 5.4 ordering); quotes around a value
 * are removed. header may be NULL. Never returns NULL. */
GHashTable *tsunagu_http_parse_cookies(const char *header, size_t len);

/* Adds one query fragment "name=value" (already URL-decoded by the server) to
 * table (name -> value, owned by table). A fragment without '=' gets the
 * value "". Empty names and names longer than 256 bytes are ignored; the
 * first occurrence of a name wins. */
void tsunagu_http_parse_query_fragment(GHashTable *table, const char *frag, size_t len);

/* Splits a raw query string "a=1&b=%20x+y" (no leading '?') into table,
 * percent-decoding names and values and turning '+' into ' '. Returns
 * -EINVAL (table may then hold the pairs before the bad one) on a bad
 * escape or a decoded NUL. */
int tsunagu_http_parse_query_string(GHashTable *table, const char *query, size_t len);

/* Percent-decodes in[0..len) into a new NUL-terminated string. plus_space
 * turns '+' into ' '. -EINVAL on a malformed escape or a decoded NUL. */
int tsunagu_http_percent_decode(const char *in, size_t len, bool plus_space, char **out);

/* A whole decimal int64 ("0", "-3", "12"), nothing else: no spaces, no
 * sign-only, no overflow. -EINVAL otherwise. */
int tsunagu_http_parse_int64(const char *text, int64_t *out);

/* "127.0.0.1:8080", "[::1]:0", "localhost:80" -> host (without brackets,
 * caller frees), port 0..65535, ipv6 (true when the host is an IPv6
 * literal). -EINVAL on anything else (missing port, bad brackets, ...). */
int tsunagu_http_parse_listen(const char *listen, char **host, int *port, bool *ipv6);

/* Matches a route pattern ("/api/v1/conversations/ * /messages" where a '*'
 * segment matches one non-empty path segment) against a decoded path.
 * On a match returns true and, when params is not NULL, appends a copy of
 * each matched '*' segment to params (char*, caller's array with g_free as
 * free func). Trailing slashes are significant. */
bool tsunagu_http_match_pattern(const char *pattern, const char *path, GPtrArray *params);

/* Whether an Origin header value names the same host as the Host header
 * ("http://127.0.0.1:8080" vs "127.0.0.1:8080"; scheme ignored, host
 * compared case-insensitively, ports must be equal). false for "null",
 * malformed values, or a NULL host. */
bool tsunagu_http_origin_matches(const char *origin, const char *host);

/* The media type part of a Content-Type header, lower-cased, without
 * parameters ("Application/JSON; charset=utf-8" -> "application/json").
 * Caller frees; NULL when header is NULL or empty. */
char *tsunagu_http_media_type(const char *content_type);
