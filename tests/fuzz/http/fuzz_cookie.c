/* Cookie header parsing: never crashes, every parsed name and value is a
 * NUL-free string found in the input, the first occurrence wins. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GHashTable *t = tsunagu_http_parse_cookies((const char *)data, size);
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, t);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		size_t kl = strlen(k), vl = strlen(v);
		if (kl == 0 || kl > size || vl > size)
			__builtin_trap();
		if (!memmem(data, size, k, kl))
			__builtin_trap();
	}
	g_hash_table_unref(t);
	return 0;
}
