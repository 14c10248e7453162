/* Normalization speed (issue 5, item 8): seconds of audio normalized per
 * second of wall time, tsunagud's normalizer (core/media) beside
 * `sox IN -r 48000 -c 1 -b 16 OUT` on the same inputs in the same run: a
 * 10-minute 44.1 kHz stereo WAV and an MP3 of it, both made here. Goal:
 * at least 2x sox. Prints figures; never fails on a slow result.
 *   bench-audio [--dir DIR] [--minutes N] [--runs N] */
#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>

#include "media_normalize.h"

static char *opt_dir;
static int opt_minutes = 10;
static int opt_runs = 3;

static void make(const char *desc)
{
	GError *err = NULL;
	GstElement *p = gst_parse_launch(desc, &err);

	if (!p) {
		fprintf(stderr, "bench-audio: %s\n", err->message);
		exit(2);
	}
	gst_element_set_state(p, GST_STATE_PLAYING);
	GstBus *bus = gst_element_get_bus(p);
	GstMessage *m = gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE,
						   GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
	if (GST_MESSAGE_TYPE(m) != GST_MESSAGE_EOS) {
		fprintf(stderr, "bench-audio: cannot make the input: %s\n", desc);
		exit(2);
	}
	gst_message_unref(m);
	gst_object_unref(bus);
	gst_element_set_state(p, GST_STATE_NULL);
	gst_object_unref(p);
}

/* Best of opt_runs, in seconds. */
static double time_ours(const char *in, const char *out)
{
	double best = 1e9;

	for (int i = 0; i < opt_runs; i++) {
		tsunagu_media_input input = {.path = in};
		tsunagu_media_info info;
		GError *err = NULL;
		gint64 t0 = g_get_monotonic_time();
		if (tsunagu_media_normalize(&input, out, NULL, &info, &err) < 0) {
			fprintf(stderr, "bench-audio: %s\n", err->message);
			exit(2);
		}
		best = MIN(best, (g_get_monotonic_time() - t0) / 1e6);
	}
	return best;
}

static double time_sox(const char *in, const char *out)
{
	double best = 1e9;

	for (int i = 0; i < opt_runs; i++) {
		char *argv[] = {"sox", (char *)in, "-r", "48000", "-c", "1", "-b", "16",
				(char *)out, NULL};
		int status = 0;
		gint64 t0 = g_get_monotonic_time();
		if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
				  &status, NULL) || status != 0) {
			fprintf(stderr, "bench-audio: sox failed (is it installed?)\n");
			exit(2);
		}
		best = MIN(best, (g_get_monotonic_time() - t0) / 1e6);
	}
	return best;
}

static void compare(const char *what, const char *in, const char *dir)
{
	char *ours_out = g_build_filename(dir, "ours.wav", NULL);
	char *sox_out = g_build_filename(dir, "sox.wav", NULL);
	double secs = opt_minutes * 60.0;
	double ours = time_ours(in, ours_out), sox = time_sox(in, sox_out);

	printf("%-28s tsunagu %6.3f s (%6.0f s/s)   sox %6.3f s (%6.0f s/s)   ratio %.2fx %s\n",
	       what, ours, secs / ours, sox, secs / sox, sox / ours,
	       sox / ours >= 2 ? "(goal >= 2x met)" : "(goal >= 2x NOT met)");
	g_unlink(ours_out);
	g_unlink(sox_out);
	g_free(ours_out);
	g_free(sox_out);
}

int main(int argc, char **argv)
{
	GOptionEntry entries[] = {
		{"dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_dir, "work directory", "DIR"},
		{"minutes", 0, 0, G_OPTION_ARG_INT, &opt_minutes, "input length (10)", "N"},
		{"runs", 0, 0, G_OPTION_ARG_INT, &opt_runs, "best of N runs (3)", "N"},
		{NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	GOptionContext *ctx = g_option_context_new("- normalization speed beside sox");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, NULL) || opt_minutes < 1 || opt_runs < 1)
		return 2;
	g_option_context_free(ctx);
	if (tsunagu_media_init() < 0)
		return 2;
	char *dir = g_dir_make_tmp("bench-audio-XXXXXX", NULL);
	if (opt_dir) {
		g_rmdir(dir);
		g_free(dir);
		dir = g_build_filename(opt_dir, "bench-audio", NULL);
		g_mkdir_with_parents(dir, 0700);
	}
	char *wav = g_build_filename(dir, "in.wav", NULL);
	char *mp3 = g_build_filename(dir, "in.mp3", NULL);
	/* two tones and a little noise: a resampler cannot take shortcuts */
	char *desc = g_strdup_printf(
		"audiotestsrc wave=sine freq=440 num-buffers=%d samplesperbuffer=4410 ! "
		"audio/x-raw,format=S16LE,rate=44100,channels=2 ! audiomixer name=mx ! "
		"audio/x-raw,format=S16LE,rate=44100,channels=2 ! tee name=t ! queue ! wavenc ! "
		"filesink location=%s t. ! queue ! lamemp3enc bitrate=128 ! filesink location=%s "
		"audiotestsrc wave=pink-noise volume=0.05 num-buffers=%d samplesperbuffer=4410 ! "
		"audio/x-raw,format=S16LE,rate=44100,channels=2 ! mx.",
		opt_minutes * 600, wav, mp3, opt_minutes * 600);
	printf("making %d minutes of 44.1 kHz stereo (WAV and MP3 128 kbit/s)...\n", opt_minutes);
	make(desc);
	g_free(desc);
	printf("best of %d runs; s/s = seconds of audio normalized per second\n", opt_runs);
	compare("WAV 44.1 kHz stereo 16-bit", wav, dir);
	compare("MP3 128 kbit/s stereo", mp3, dir);
	g_unlink(wav);
	g_unlink(mp3);
	g_rmdir(dir);
	g_free(wav);
	g_free(mp3);
	g_free(dir);
	return 0;
}
