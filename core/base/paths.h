/* Where things are by default. A binary that runs from its build tree uses
 * the source tree's rules/ and inbox and the build's plugins; an installed
 * one uses the installed data and plugin directories. A configured path
 * always wins. Each returns a newly allocated string (g_free). */
#pragma once

#include <stdbool.h>

#include "config.h"

/* True when the running executable lives under the meson build root. */
bool tsunagu_path_running_from_build(void);
char *tsunagu_path_rules_dir(const tsunagu_config *cfg);
char *tsunagu_path_inbox_dir(const tsunagu_config *cfg);
char *tsunagu_path_plugins_dir(const tsunagu_config *cfg);
/* store.path, or <data_dir>/tsunagu.db. */
char *tsunagu_path_database(const tsunagu_config *cfg, const char *data_dir);
