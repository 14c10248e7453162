/* The widget's settings (docs/widget.md "Admin settings"): colours,
 * greetings, the page URL patterns that show or hide it, the allowed site
 * origins, the channel key, the identity secret and the departments a
 * visitor may choose. Defaults come from the
 * [plugin.web] config keys; an admin's changes are kept as one JSON object
 * (the "override") in the plugin's settings and win key by key.
 * No host calls: unit-tested and fuzzed on their own.
 * Thread: any (no shared state).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/* The config values (strings as written; lists comma-separated). */
typedef struct {
	const char *color_primary, *color_text;
	const char *greeting_ja, *greeting_en;
	const char *show_on, *hide_on, *allowed_origins;
	const char *channel_key, *identity_secret;
} web_settings_config;

/* The defaults as a settings object, or NULL with *why set when a config
 * value is invalid (the same rules as an admin's change). */
json_t *web_settings_defaults(const web_settings_config *cfg, const char **why);
/* Checks an admin's change: an object of known keys, each valid or null
 * (null: back to the default). 0, or -EINVAL with *why a static sentence
 * naming the problem. */
int web_settings_check(json_t *patch, const char **why);
/* Parses a stored override text: NULL when it is not a valid change. */
json_t *web_settings_override_parse(const char *text);
/* override with patch applied (null members removed): a new object. */
json_t *web_settings_override_merge(json_t *override, json_t *patch);
/* defaults with override's members on top: a new object. */
json_t *web_settings_effective(json_t *defaults, json_t *override);
/* What the widget receives (welcome frame): colours, greetings, patterns,
 * departments. */
json_t *web_settings_public(json_t *effective);
/* What an admin sees: everything but the secret, which shows as
 * identity_secret_set: true/false. */
json_t *web_settings_admin_view(json_t *effective);
/* Whether name is one of the departments of effective (what a visitor may
 * choose: RULES.md c.visitor.department). */
bool web_settings_department(json_t *effective, const char *name);
/* A department name: 1-32 of a-z 0-9 _ - (the frame parser checks it too). */
bool web_department_name_valid(const char *s);
/* The allowed origins as a NULL-terminated vector (g_strfreev). */
char **web_settings_origins(json_t *effective);
