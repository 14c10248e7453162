/* The voice guidance library on disk (TEL-5, docs/guidance.md): where the
 * normalized files live and which one a phone line plays.
 *
 * A guidance's file is <data_dir>/guidance/<id>-<sha256>.wav. A new upload
 * under the same name gets a new file name (its samples differ), so a call
 * still playing the old file keeps reading it; the old file is removed once
 * the new row is durable (a player that has it open keeps its data).
 * Thread: loop thread.
 */
#pragma once

#include "core.h"
#include "store_guidance.h"

/* <data_dir>/guidance, created (0700) when missing. Caller frees; NULL with
 * *err_out set (negative errno) when it cannot be created. */
char *tsunagu_guidance_dir(tsunagu_core *core, int *err_out);
/* Removes what uploads left behind when the daemon died mid-upload: the
 * `.upload-*` temporary files of <data_dir>/guidance (an upload writes its
 * normalized audio there, then renames it; a crash in between leaves it).
 * Run once at start, before the API takes uploads. Nothing else in the
 * directory is touched. *removed_out (may be NULL) gets the count. 0 (also
 * when the directory does not exist yet) or a negative errno. */
int tsunagu_guidance_sweep(tsunagu_core *core, unsigned *removed_out);
/* The file of g under core's data directory. Caller frees. */
char *tsunagu_guidance_file(tsunagu_core *core, const tsunagu_store_guidance *g);
/* "welcome", "queue", "busy", "out_of_hours" for the SDK's
 * tsunagu_plugin_guidance_kind (1..4); NULL otherwise. */
const char *tsunagu_guidance_kind_name(int kind);
/* The file to play for line (NULL or "": the default set) and kind name:
 * the line's set, else the default set. -ENOENT nothing set (or the file is
 * missing: logged), -EINVAL a bad kind. *path_out is the caller's. */
int tsunagu_guidance_path(tsunagu_core *core, const char *line, const char *kind,
			  char **path_out);
