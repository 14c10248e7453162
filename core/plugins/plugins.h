/* The plugin loader: finds channel plugins (*.so), checks them, and runs their
 * lifecycle. The ABI they are written against is the SDK (sdk/include/
 * tsunagu/plugin.h, docs/plugins.md); this is the daemon's side.
 *
 * WHERE. plugins.dir, when set, is the one directory searched. When empty:
 * a tsunagud running from the build tree (its executable lies under the
 * build root) searches <build>/plugins, where meson puts the bundled
 * plugins; an installed one searches the install's plugin dir
 * (<libdir>/tsunagu/plugins, the `plugindir` of tsunagu-plugin.pc). In the
 * chosen directory, *.so files directly in it and in its immediate
 * subdirectories are loaded, in name order (the build tree has one folder per
 * bundled plugin).
 *
 * WHICH. Every plugin except those named in plugins.disabled (comma-separated;
 * matched against the file name without .so before loading, and against the
 * plugin's name after) or whose [plugin.NAME] section says enabled = false.
 *
 * REFUSALS. A plugin is refused — one log line on topic "plugins", saying
 * which file and why, and the server runs on without it — when: the file is
 * not a loadable library, it has no tsunagu_plugin_entry symbol, the entry
 * returns NULL, the ABI major differs from the host's, struct_size is
 * smaller than the 1.0 layout, the name is missing or invalid, a required
 * callback is missing, the name is already loaded, its [plugin.NAME]
 * section does not match its schema (file:line), or its init() fails. A
 * failing start() is logged the same way and the plugin is destroyed.
 *
 * SHUTDOWN ORDER (main.c): tsunagu_plugins_stop_all(deadline) while HTTP and
 * the store still run, then tsunagu_plugins_destroy_all()/_free() before
 * tsunagu_http_free(): destroying a plugin answers its pending requests 503
 * and removes its routes, which closes its sockets. (If HTTP is freed first,
 * core->http must be NULL by then; the plugins then see on_close from it.)
 *
 * Thread: loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "core.h"

/* Reads plugins.dir and plugins.disabled from core->config. Loads nothing.
 * Returns 0 or a negative errno. */
int tsunagu_plugins_new(tsunagu_core *core, tsunagu_plugins **out);

/* Loads and init()s every plugin found (see WHERE/WHICH). Refusals are logged
 * and skipped; a missing directory is logged as a warning. Returns the
 * number of plugins initialized (>= 0). Uses core->domain and core->http
 * when set (a host function needing one that is NULL returns -ENODEV). */
int tsunagu_plugins_load_all(tsunagu_plugins *plugins);

/* Loads one file. Returns 0, or a negative errno after logging the one
 * refusal line (-ENOEXEC not a plugin / bad description, -EPROTO ABI
 * mismatch, -EEXIST duplicate name, -EINVAL bad config, -ECANCELED
 * disabled, or what init returned). */
int tsunagu_plugins_load_file(tsunagu_plugins *plugins, const char *path);

/* start()s every initialized plugin; a failing one is logged, destroyed and
 * unloaded. Returns the number running. */
int tsunagu_plugins_start_all(tsunagu_plugins *plugins);

/* stop()s every running plugin, in reverse load order, each with the same
 * absolute deadline (monotonic µs, g_get_monotonic_time()). */
void tsunagu_plugins_stop_all(tsunagu_plugins *plugins, int64_t deadline_us);

/* destroy()s every plugin in reverse load order, then removes its routes,
 * sockets, timers and channels and dlcloses it. */
void tsunagu_plugins_destroy_all(tsunagu_plugins *plugins);

/* Destroys whatever is still loaded, then frees. NULL is a no-op. */
void tsunagu_plugins_free(tsunagu_plugins *plugins);

/* For `tsunagud --check-config`: reads the description of every plugin that
 * would be loaded (its entry only: no init) and checks its [plugin.NAME]
 * section against its schema. A plugin that would be refused is logged and
 * skipped (the server would run without it), not an error. Returns 0, or
 * -EINVAL with err set to "FILE:LINE: message" for the first bad section.
 * Any section left without a plugin stays unchecked. */
int tsunagu_plugins_check_config(tsunagu_config *cfg, GError **err);

/* Inspection (admin API, tests). */
unsigned tsunagu_plugins_count(const tsunagu_plugins *plugins);
/* True when a plugin of that name is loaded and initialized or running. */
bool tsunagu_plugins_has(const tsunagu_plugins *plugins, const char *name);
/* The directory searched; owned by plugins. */
const char *tsunagu_plugins_dir(const tsunagu_plugins *plugins);
