/* Fuzzes the guidance normalizer: any bytes as an uploaded file must give a
 * WAV mono 48 kHz file or a refusal with a reason and no file — never a
 * crash, a hang or a leak. GStreamer's demuxers and decoders are the parsers
 * under test here, through exactly the pipeline tsunagud runs. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>

#include "media_normalize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *dir, *out;
	tsunagu_media_info info;
	GError *err = NULL;

	if (!dir) {
		if (tsunagu_media_init() < 0 || !(dir = g_dir_make_tmp("fuzz-audio-XXXXXX", NULL)))
			abort();
		out = g_build_filename(dir, "out.wav", NULL);
	}
	/* a short stall limit: the replay meets stalled decoders */
	tsunagu_media_input in = {.data = g_bytes_new(data, size), .stall_ms = 500};
	int ret = tsunagu_media_normalize(&in, out, NULL, &info, &err);
	g_bytes_unref(in.data);
	if (ret == 0) {
		if (err || info.bytes != 44 + 2 * info.samples ||
		    !g_file_test(out, G_FILE_TEST_IS_REGULAR))
			abort();
		g_unlink(out);
	} else if (!err || !err->message[0] || g_file_test(out, G_FILE_TEST_EXISTS)) {
		abort();
	}
	g_clear_error(&err);
	return 0;
}
