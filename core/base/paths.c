/* Default locations, build tree or installed. */
#include "paths.h"

#include <glib.h>
#include <string.h>

#include "tsunagu_build_config.h"

bool tsunagu_path_running_from_build(void)
{
	char *exe = g_file_read_link("/proc/self/exe", NULL);
	bool in_build = exe && g_str_has_prefix(exe, TSUNAGU_BUILD_ROOT "/");
	g_free(exe);
	return in_build;
}

static char *pick(const tsunagu_config *cfg, const char *key, const char *from_source,
		  const char *installed)
{
	const char *v = tsunagu_config_string(cfg, key);
	if (v && *v)
		return g_canonicalize_filename(v, NULL);
	return g_strdup(tsunagu_path_running_from_build() ? from_source : installed);
}

char *tsunagu_path_rules_dir(const tsunagu_config *cfg)
{
	return pick(cfg, "rules.dir", TSUNAGU_SOURCE_ROOT "/rules", TSUNAGU_DATADIR "/rules");
}

char *tsunagu_path_inbox_dir(const tsunagu_config *cfg)
{
	return pick(cfg, "http.static_dir", TSUNAGU_SOURCE_ROOT "/core/inbox",
		    TSUNAGU_DATADIR "/inbox");
}

char *tsunagu_path_plugins_dir(const tsunagu_config *cfg)
{
	return pick(cfg, "plugins.dir", TSUNAGU_BUILD_ROOT "/plugins", TSUNAGU_PLUGINDIR);
}

char *tsunagu_path_database(const tsunagu_config *cfg, const char *data_dir)
{
	const char *v = tsunagu_config_string(cfg, "store.path");
	if (v && *v)
		return strcmp(v, ":memory:") == 0 ? g_strdup(v) : g_canonicalize_filename(v, NULL);
	return g_build_filename(data_dir, "tsunagu.db", NULL);
}
