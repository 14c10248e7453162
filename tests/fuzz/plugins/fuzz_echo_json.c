/* Fuzzes the echo example's JSON reader, which parses what any WebSocket
 * client sends: any bytes give a string or NULL, never a crash; a string it
 * returns is valid UTF-8 without NUL, and writing it back as a JSON literal
 * and reading that again gives the same string. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echo_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"text", "from", "id", ""};
	for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
		char *v = echo_json_get_string((const char *)data, size, keys[k]);
		if (!v)
			continue;
		if (!g_utf8_validate(v, -1, NULL))
			g_error("returned invalid UTF-8 for key %s", keys[k]);
		echo_buf b = {0};
		if (echo_buf_add(&b, "{\"v\":", 5) == 0 && echo_buf_add_json_string(&b, v) == 0 &&
		    echo_buf_add(&b, "}", 1) == 0) {
			char *again = echo_json_get_string(b.data, b.len, "v");
			if (!again || strcmp(again, v) != 0)
				g_error("round trip changed \"%s\"", v);
			free(again);
		}
		free(b.data);
		free(v);
	}
	return 0;
}
