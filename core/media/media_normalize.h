/* Audio normalization for voice guidance (TEL-5): whatever GStreamer
 * decodes (WAV of any rate, channel count and bit depth, MP3, Ogg
 * Vorbis/Opus, FLAC, the audio track of a video...) becomes one WAV file,
 * mono, 48 kHz, S16LE — the one format the phone channels play.
 *
 * The output is written to a temporary file beside out_path, synced, and
 * renamed onto out_path only when the whole input decoded: a failed or
 * refused input leaves no file at all, and a reader of out_path never sees
 * a partial one.
 *
 * Threads: tsunagu_media_normalize() blocks its caller while GStreamer's
 * streaming threads decode, so the daemon calls it only through
 * tsunagu_media_normalize_async(), which runs it on a thread of its own and
 * hands the result to the loop thread with one tsunagu_core_post().
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#include "core.h"

/* The output format: mono S16LE at this rate. */
#define TSUNAGU_MEDIA_RATE 48000
/* Longer inputs are refused (decoding stops as soon as the limit is
 * passed, so a small compressed file cannot make hours of audio). */
#define TSUNAGU_MEDIA_MAX_DURATION_MS (30 * 60 * 1000)

/* Why an input was refused: the GError code in TSUNAGU_MEDIA_ERROR. */
typedef enum {
	TSUNAGU_MEDIA_ERROR_UNDECODABLE, /* not a format GStreamer decodes (or damaged) */
	TSUNAGU_MEDIA_ERROR_EMPTY,       /* no bytes, or no audio samples at all */
	TSUNAGU_MEDIA_ERROR_NO_AUDIO,    /* a media file without an audio stream */
	TSUNAGU_MEDIA_ERROR_TOO_LONG,    /* over TSUNAGU_MEDIA_MAX_DURATION_MS */
	TSUNAGU_MEDIA_ERROR_IO,          /* the input or the output could not be read/written */
	TSUNAGU_MEDIA_ERROR_CANCELLED,
} tsunagu_media_error;
#define TSUNAGU_MEDIA_ERROR (tsunagu_media_error_quark())
GQuark tsunagu_media_error_quark(void);

/* The normalized file. */
typedef struct {
	int64_t duration_ms; /* samples / 48 (rounded down) */
	uint64_t samples;    /* mono frames at 48 kHz */
	uint64_t bytes;      /* the whole WAV file, header included */
	char sha256[65];     /* of the whole WAV file, lower-case hex */
} tsunagu_media_info;

/* What to decode: a file (path) or bytes in memory (data, referenced for
 * the duration of the call). Exactly one of them. */
typedef struct {
	const char *path;
	GBytes *data;
	/* Give up when no buffer moved for this long (0: 20 s): a damaged file
	 * can leave a decoder waiting forever. */
	int64_t stall_ms;
} tsunagu_media_input;

/* Initializes GStreamer once per process (later calls do nothing). Returns
 * 0 or -ENOTSUP with the reason logged. Any thread. */
int tsunagu_media_init(void);

/* Decodes in and writes out_path (replaced atomically). cancel (may be
 * NULL) is checked per decoded buffer. Returns 0 and fills *info, or a
 * negative errno (-EINVAL refused input, -EIO I/O, -ECANCELED) with *err
 * set to a message fit for the person who gave the file. Blocks; any thread
 * except the loop thread of a running daemon. */
int tsunagu_media_normalize(const tsunagu_media_input *in, const char *out_path,
			    GCancellable *cancel, tsunagu_media_info *info, GError **err);

/* The result of an asynchronous normalization, on the loop thread. status
 * and err as tsunagu_media_normalize (err borrowed for the call, NULL on
 * success); info borrowed for the call. */
typedef void (*tsunagu_media_done_fn)(int status, const tsunagu_media_info *info,
				      const GError *err, void *user_data);

/* Runs tsunagu_media_normalize on a thread of its own and calls done on the
 * loop thread of core. in->data is referenced, in->path copied. done runs
 * exactly once, unless the core stops first: then destroy(user_data) runs
 * instead (on the worker, with out_path removed). Returns 0, or a negative
 * errno (done not called, nothing to free). Loop thread. */
int tsunagu_media_normalize_async(tsunagu_core *core, const tsunagu_media_input *in,
				  const char *out_path, tsunagu_media_done_fn done,
				  void *user_data, GDestroyNotify destroy);
