/* Changing the rule files for the management API (and the inbox's rules
 * editor): structural edits of one route rule (enable, disable, move,
 * delete) and whole-file replacement, each compiled and self-tested as a
 * draft of the whole directory before anything is written.
 *
 * The files stay the source of truth an admin may also edit by hand. A
 * write replaces the file atomically (temporary file in the same directory,
 * fsync, rename, fsync of the directory) after keeping the previous text in
 * <dir>/.history/<file>.1 (the newest) .. .<TSUNAGU_RULES_HISTORY>; the
 * loader never reads that directory (it starts with a dot and holds no
 * *.lua). Nothing here reloads: the caller decides.
 * Thread: loop thread (it compiles with the host's limits).
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>

#include "rules.h"

#define TSUNAGU_RULES_HISTORY 10
#define TSUNAGU_RULES_HISTORY_DIR ".history"

typedef enum {
	TSUNAGU_RULES_ENABLE,
	TSUNAGU_RULES_DISABLE,
	TSUNAGU_RULES_MOVE,   /* to a 1-based position among the route rules of its file */
	TSUNAGU_RULES_DELETE,
} tsunagu_rules_edit;

/* "enable", "disable", "move", "delete". */
const char *tsunagu_rules_edit_name(tsunagu_rules_edit action);

/* A file name the API may read or write: 1 to 64 bytes of [A-Za-z0-9_.-],
 * not starting with '.', ending in ".lua". */
bool tsunagu_rules_file_name_ok(const char *name);

/* The text of file name of the rules directory of live. -ENOENT, -EINVAL
 * (bad name), -EFBIG (over 1 MiB) or -EIO. *text is g_free()d. */
int tsunagu_rules_file_read(const tsunagu_rules *live, const char *name, char **text,
			    size_t *len);
/* The *.lua files of the directory: a new array of {"name", "size"}. */
json_t *tsunagu_rules_file_list(const tsunagu_rules *live);
/* A short fingerprint of a file's text (hex SHA-256, g_free()d): the
 * "version" a client sends back so that a save cannot silently overwrite
 * someone else's change. NULL text: "" (no such file). */
char *tsunagu_rules_text_version(const char *text, size_t len);

/* Writes text as file name (new or replaced), keeping the previous text in
 * the history. Does not compile it: callers validate first. 0 or -errno;
 * *why (may be NULL) says what failed. */
int tsunagu_rules_file_write(const tsunagu_rules *live, const char *name, const char *text,
			     size_t len, char **why);

/* The pure text transformation: text after action on the route rule name
 * declared on line (0: any line). 0 and *out (g_free), or -ENOENT (no such
 * declaration) or -ENOTSUP with *why (the declaration shares its lines with
 * other code, is written in an unusual way, the file does not scan) — the
 * admin then edits the text instead. position: for MOVE only. */
int tsunagu_rules_edit_text(const char *text, size_t len, const char *name, int line,
			    tsunagu_rules_edit action, int position, char **out, char **why);

/* The structural edit of the route rule name in the files of live's
 * directory: finds its file (the files must compile as they are), rewrites
 * it, compiles and self-tests the directory with the new text, checks the
 * rule changed as asked and only then writes the file. 0 and *file_out (the
 * file's name, g_free). Otherwise nothing is written and errors gets
 * "file:line: message" strings: -ENOENT no such route rule, -EINVAL the
 * result (or the files as they are) does not compile, -ENOTSUP the file is
 * too irregular to edit rule by rule, -ERANGE bad position, -EIO. */
int tsunagu_rules_edit_route(const tsunagu_rules *live, const char *name,
			     tsunagu_rules_edit action, int position, char **file_out,
			     GPtrArray *errors);
