/* Fuzzes the configuration parser: any bytes as a config file must give a
 * config or an error naming file:line — never a crash or a leak. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *path;
	if (!path) {
		int fd = g_file_open_tmp("fuzz-config-XXXXXX.conf", &path, NULL);
		if (fd < 0)
			return 0;
		close(fd);
	}
	/* No fsync: a replay writes this file thousands of times, and on a
	 * disk busy with someone's benchmark each fsync can take long. */
	if (!g_file_set_contents_full(path, (const char *)data, (gssize)size,
				      G_FILE_SET_CONTENTS_NONE, 0600, NULL))
		return 0;
	GError *err = NULL;
	tsunagu_config *cfg = tsunagu_config_load(path, "/nonexistent-conf.d", &err);
	if (cfg) {
		static const tsunagu_conf_key schema[] = {
			{"prefix", TSUNAGU_CONF_STRING, "x", "doc"},
			{"count", TSUNAGU_CONF_INT, "1", "doc"},
			{NULL, 0, NULL, NULL},
		};
		char **names = tsunagu_config_plugin_sections(cfg);
		for (char **n = names; *n; n++) {
			char *sec = g_strconcat("plugin.", *n, NULL);
			GError *e2 = NULL;
			if (!tsunagu_config_check_section(cfg, sec, schema, &e2))
				g_error_free(e2);
			g_free(sec);
		}
		g_strfreev(names);
		GString *out = g_string_new(NULL);
		tsunagu_config_dump(cfg, out);
		/* What dump writes must load again. */
		g_file_set_contents_full(path, out->str, (gssize)out->len,
					 G_FILE_SET_CONTENTS_NONE, 0600, NULL);
		GError *e3 = NULL;
		tsunagu_config *again = tsunagu_config_load(path, "/nonexistent-conf.d", &e3);
		if (!again)
			g_error("dumped config does not load again: %s", e3->message);
		tsunagu_config_free(again);
		g_string_free(out, TRUE);
		tsunagu_config_free(cfg);
	} else {
		/* Every error names the file and a line. */
		if (!err || !g_str_has_prefix(err->message, path))
			g_error("error without file:line: %s", err ? err->message : "(none)");
		g_error_free(err);
	}
	return 0;
}
