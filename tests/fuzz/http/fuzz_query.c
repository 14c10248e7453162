/* Query strings: the raw parser (percent decoding) and the per-fragment
 * parser the server uses, plus the integer parser used on their values.
 * Checks: no crash, decoded strings hold no NUL, int64 round-trips. */
#include <glib.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GHashTableIter it;
	gpointer k, v;
	char *dec = NULL;

	tsunagu_http_parse_query_string(t, s, size);
	/* fragments split at '&' as the server gets them */
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i == size || s[i] == '&') {
			tsunagu_http_parse_query_fragment(t, s + start, i - start);
			start = i + 1;
		}
	}
	g_hash_table_iter_init(&it, t);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		int64_t n;
		if (!*(char *)k)
			__builtin_trap();
		if (tsunagu_http_parse_int64(v, &n) == 0) {
			/* accepted: exactly what strtoll reads from the whole text */
			char *end = NULL;
			errno = 0;
			long long c = strtoll(v, &end, 10);
			if (errno || !end || *end || c != n || !g_ascii_isdigit(((char *)v)[strlen(v) - 1]))
				__builtin_trap();
		}
	}
	if (tsunagu_http_percent_decode(s, size, true, &dec) == 0) {
		if (strlen(dec) > size)
			__builtin_trap();
		g_free(dec);
	}
	g_hash_table_unref(t);
	return 0;
}
