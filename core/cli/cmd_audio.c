/* tsunagu audio normalize IN OUT   decode IN (WAV, MP3, Ogg, FLAC...) and
 *                                  write OUT as WAV mono 48 kHz S16LE —
 * exactly what tsunagud does to an uploaded guidance file. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "media_normalize.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tsunagu audio normalize IN OUT\n\n"
		"normalize  decodes IN (any format GStreamer decodes: WAV, MP3, Ogg Vorbis/Opus,\n"
		"           FLAC...) into OUT, a WAV file, mono, 48 kHz, 16-bit, as tsunagud\n"
		"           stores voice guidance; prints the duration. OUT is written whole or\n"
		"           not at all. Exit status 1 when IN cannot be used.\n");
}

static int normalize(const char *in_path, const char *out_path)
{
	tsunagu_media_input in = {.path = in_path};
	tsunagu_media_info info;
	GError *err = NULL;

	if (tsunagu_media_normalize(&in, out_path, NULL, &info, &err) < 0) {
		fprintf(stderr, "tsunagu audio normalize: %s: %s\n", in_path,
			err ? err->message : "failed");
		g_clear_error(&err);
		return 1;
	}
	printf("%s: %" G_GINT64_FORMAT ".%03d s, %" G_GUINT64_FORMAT " bytes, sha256 %s\n",
	       out_path, info.duration_ms / 1000, (int)(info.duration_ms % 1000), info.bytes,
	       info.sha256);
	return 0;
}

static int run(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc != 4 || strcmp(argv[1], "normalize") != 0) {
		usage(stderr);
		return 2;
	}
	return normalize(argv[2], argv[3]);
}

const tsunagu_cli_command tsunagu_cli_audio = {
	.name = "audio",
	.summary = "normalize an audio file for voice guidance (WAV mono 48 kHz)",
	.run = run,
	.usage = usage,
};
