/* Fuzzes the web plugin's settings checks (plugins/web/web_settings.c): an
 * admin's JSON change is accepted only when the result is usable — the
 * effective settings then always give a public view and an origin list. */
#include <glib.h>
#include <jansson.h>
#include <stdint.h>

#include "web_settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *defaults;
	const char *why = NULL;
	if (!defaults) {
		web_settings_config cfg = {"#2563eb", "#ffffff", "こんにちは", "Hello", "", "", "",
					   "default", ""};
		defaults = web_settings_defaults(&cfg, &why);
		if (!defaults)
			g_error("defaults refused: %s", why);
	}
	char *text = g_strndup((const char *)data, size);
	json_t *o = web_settings_override_parse(text);
	if (o) {
		json_t *eff = web_settings_effective(defaults, o);
		json_t *pub = web_settings_public(eff);
		json_t *adm = web_settings_admin_view(eff);
		char **origins = web_settings_origins(eff);
		if (!pub || !adm || !origins)
			g_error("accepted settings are not usable");
		g_strfreev(origins);
		json_decref(adm);
		json_decref(pub);
		json_decref(eff);
		json_t *merged = web_settings_override_merge(NULL, o);
		if (web_settings_check(merged, &why) != 0)
			g_error("a merge of valid settings is invalid");
		json_decref(merged);
		json_decref(o);
	}
	g_free(text);
	return 0;
}
