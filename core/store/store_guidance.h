/* The voice guidance library in the store (migration 9): the normalized
 * files admins uploaded (table guidance) and the guidance sets, per line and
 * kind, that phone channels play (table guidance_sets). The files themselves
 * live in the data directory (core/media/media_guidance.h); a row says what
 * is there. Same conventions as store.h: 0 or a negative errno, results
 * owned by the caller, writes inside the group-commit batch.
 * Thread: loop thread.
 */
#pragma once

#include "store.h"

/* A line's name or a guidance name: at most this many bytes. */
#define TSUNAGU_GUIDANCE_NAME_MAX 100
#define TSUNAGU_GUIDANCE_LINE_MAX 64

typedef struct {
	int64_t id;
	char *name;          /* unique */
	int64_t duration_ms;
	int64_t bytes;       /* of the normalized WAV file */
	char *sha256;        /* of its PCM samples, 64 hex; part of the file's name */
	int64_t created_at;  /* us; the last upload under this name */
	int64_t created_by;  /* staff id, 0 when unknown */
} tsunagu_store_guidance;
void tsunagu_store_guidance_free(tsunagu_store_guidance *g);

/* One cell of the set table. kind is "welcome", "queue", "busy" or
 * "out_of_hours"; line "" is the default set. */
typedef struct {
	char *line;
	char *kind;
	int64_t guidance_id;
} tsunagu_store_guidance_set;
void tsunagu_store_guidance_set_free(tsunagu_store_guidance_set *s);

/* A name or line: valid UTF-8 of at most max bytes without control
 * characters (empty only when empty_ok). */
bool tsunagu_guidance_text_valid(const char *s, size_t max, bool empty_ok);
/* True for the four kind names above. */
bool tsunagu_guidance_kind_valid(const char *kind);

int tsunagu_store_guidance_get(tsunagu_store *store, int64_t id, tsunagu_store_guidance **out);
int tsunagu_store_guidance_get_by_name(tsunagu_store *store, const char *name,
				       tsunagu_store_guidance **out);
/* Every guidance by name: tsunagu_store_guidance*, free func set. */
int tsunagu_store_guidance_list(tsunagu_store *store, GPtrArray **out);
/* g->id 0: inserts (-EEXIST name taken) and sets *id_out; else replaces the
 * audio fields (duration, bytes, sha256, created_at, created_by) of that row
 * (-ENOENT). */
int tsunagu_store_guidance_save(tsunagu_store *store, const tsunagu_store_guidance *g,
				int64_t *id_out);
/* -ENOENT no such row, -EBUSY a set still plays it (nothing deleted). */
int tsunagu_store_guidance_delete(tsunagu_store *store, int64_t id);
/* The whole set table by line, kind: tsunagu_store_guidance_set*. */
int tsunagu_store_guidance_sets(tsunagu_store *store, GPtrArray **out);
/* Replaces the whole set table with sets (tsunagu_store_guidance_set*), all
 * or nothing: -EINVAL a bad line or kind or a duplicate cell, -ENOENT a
 * guidance id that does not exist. */
int tsunagu_store_guidance_sets_replace(tsunagu_store *store, GPtrArray *sets);
/* The guidance to play for line (NULL or "": the default set) and kind: the
 * line's own cell, else the default set's; -ENOENT neither. */
int tsunagu_store_guidance_resolve(tsunagu_store *store, const char *line, const char *kind,
				   tsunagu_store_guidance **out);
