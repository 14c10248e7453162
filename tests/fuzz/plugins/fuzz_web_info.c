/* Fuzzes what the web plugin reads from a visitor's headers and page URL
 * (plugins/web/web_info.c): the User-Agent, query parameters (UTM), the
 * visitor JSON built from them, and the Origin check. The input is split
 * at its first NUL into a URL and the rest (User-Agent and Origin). */
#include <glib.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "web_info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	size_t first = strlen(text);
	char *rest = first < size ? g_strndup((const char *)data + first + 1, size - first - 1)
				  : g_strdup("");
	const char *browser, *os;
	web_ua_parse(rest, &browser, &os);
	if (!browser || !os)
		g_error("no names");
	char *v = web_url_param(text, "utm_source");
	if (v && (strlen(v) > 256 || !g_utf8_validate(v, -1, NULL)))
		g_error("parameter out of bounds");
	g_free(v);
	char *j = web_visitor_json(text, rest, rest, rest, NULL, rest);
	json_t *o = json_loads(j, 0, NULL);
	if (!json_is_object(o))
		g_error("visitor json is not an object: %s", j);
	json_decref(o);
	g_free(j);
	const char *const allowed[] = {"https://shop.example.jp", NULL};
	(void)web_origin_allowed(rest, text, allowed);
	(void)web_origin_valid(rest);
	g_free(rest);
	g_free(text);
	return 0;
}
