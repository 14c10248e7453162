/* Configuration: one file plus a conf.d/ directory of *.conf files read in
 * name order, later files overriding earlier ones.
 *
 * Syntax (INI-like, UTF-8):
 *     # comment            ; comment
 *     [section]
 *     key = value          strings may be "quoted" with \" \\ \n escapes
 *
 * Every key of the core has a built-in default (the schema in config.c), so
 * no file is needed. An unknown section or key, a wrong type, a bad line is
 * an error naming file and line. Sections named [plugin.NAME] belong to the
 * plugin NAME: they are kept raw at load time and checked against the
 * plugin's own schema when it is loaded (tsunagu_config_check_section()).
 *
 * Keys are addressed as "section.key" (e.g. "http.listen").
 * Thread: loaded on the loop thread at start; read-only afterwards, so any
 * thread may read a loaded config.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
	TSUNAGU_CONF_STRING,
	TSUNAGU_CONF_INT,      /* decimal integer, optional K/M/G suffix (x1024) */
	TSUNAGU_CONF_BOOL,     /* true/false/yes/no/on/off/1/0 */
	TSUNAGU_CONF_DURATION, /* "250ms", "90s", "10m", "24h", "7d"; bare number = seconds */
} tsunagu_conf_type;

/* One key of a schema. Arrays of these end with an entry whose key is NULL. */
typedef struct {
	const char *key;      /* "section.key" for the core; "key" in a plugin schema */
	tsunagu_conf_type type;
	const char *default_value; /* as it would be written in the file */
	const char *doc;      /* one line, shown by --dump-config */
} tsunagu_conf_key;

typedef struct tsunagu_config tsunagu_config;

#define TSUNAGU_CONFIG_ERROR (tsunagu_config_error_quark())
GQuark tsunagu_config_error_quark(void);

/* Loads path (may be NULL: defaults only) and, if it exists, the directory
 * conf_d (NULL: "<dir of path>/conf.d"). On error returns NULL and sets err
 * with "FILE:LINE: message". Caller owns the result. */
tsunagu_config *tsunagu_config_load(const char *path, const char *conf_d, GError **err);
/* Defaults only; never fails. */
tsunagu_config *tsunagu_config_new_defaults(void);
/* Overrides one core key from the command line ("http.listen=127.0.0.1:0").
 * Errors are reported with file "<command line>". */
bool tsunagu_config_set(tsunagu_config *cfg, const char *assignment, GError **err);
void tsunagu_config_free(tsunagu_config *cfg);

/* Typed getters for core keys. Asking for a key that is not in the schema or
 * has another type is a programming error (g_error). Strings are owned by cfg. */
const char *tsunagu_config_string(const tsunagu_config *cfg, const char *key);
int64_t tsunagu_config_int(const tsunagu_config *cfg, const char *key);
bool tsunagu_config_bool(const tsunagu_config *cfg, const char *key);
int64_t tsunagu_config_duration_ms(const tsunagu_config *cfg, const char *key);

/* Plugin sections. check_section validates [plugin.NAME] against schema
 * (NULL-terminated) and fills in defaults; errors name file and line. After
 * a successful check, section_value returns the value text of a key (owned by
 * cfg), default included. */
bool tsunagu_config_check_section(tsunagu_config *cfg, const char *section,
				  const tsunagu_conf_key *schema, GError **err);
const char *tsunagu_config_section_value(const tsunagu_config *cfg, const char *section,
					 const char *key);
/* Names (without "plugin.") of the [plugin.NAME] sections present; caller
 * frees with g_strfreev. */
char **tsunagu_config_plugin_sections(const tsunagu_config *cfg);
/* Whether the file set [plugin.NAME] enabled = false (true when absent). */

/* Parsing of single values, shared with plugin schemas and rules. Return
 * false on a malformed value. */
bool tsunagu_conf_parse_int(const char *text, int64_t *out);
bool tsunagu_conf_parse_bool(const char *text, bool *out);
bool tsunagu_conf_parse_duration_ms(const char *text, int64_t *out);

/* Writes every key with its effective value and doc, as a valid file. */
void tsunagu_config_dump(const tsunagu_config *cfg, GString *out);
