/* Validation of JSON request bodies and their string members: no crash,
 * and an accepted body is always an object. The first byte picks the
 * Content-Type so both the media type check and the JSON parser run. */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *types[] = { "application/json", "application/json; charset=utf-8",
				       "text/plain", NULL };
	const char *ct = size ? types[data[0] % 4] : NULL;
	json_t *j = NULL;
	const char *why = NULL;

	if (size)
		data++, size--;
	if (tsunagu_api_parse_body(ct, (const char *)data, size, &j, &why) == 0) {
		const char *key, *s;
		json_t *v;
		if (!json_is_object(j))
			__builtin_trap();
		json_object_foreach(j, key, v) {
			if (tsunagu_api_get_string(j, key, 64, &s) == 0 && strlen(s) > 64)
				__builtin_trap();
		}
		json_decref(j);
	} else if (!why || j) {
		__builtin_trap();
	}
	return 0;
}
