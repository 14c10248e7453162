/* Normalization (core/media/media_normalize.h): inputs of every kind the
 * guidance library takes, made here with GStreamer into a temporary
 * directory, come out as WAV mono 48 kHz S16LE of the input's duration;
 * inputs it cannot use are refused with the right reason and leave no file
 * behind. */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>

#include "core.h"
#include "media_normalize.h"

typedef struct {
	char *dir;
} fixture;

static void fixture_setup(fixture *fx, gconstpointer data)
{
	fx->dir = g_dir_make_tmp("tsunagu-media-XXXXXX", NULL);
	g_assert_nonnull(fx->dir);
}

static void fixture_teardown(fixture *fx, gconstpointer data)
{
	GDir *d = g_dir_open(fx->dir, 0, NULL);
	const char *n;

	while (d && (n = g_dir_read_name(d))) {
		char *p = g_build_filename(fx->dir, n, NULL);
		g_unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(fx->dir);
	g_free(fx->dir);
}

static char *path_in(fixture *fx, const char *name)
{
	return g_build_filename(fx->dir, name, NULL);
}

/* Runs a gst-launch style description (with one %s for the output file)
 * to its end. */
static char *make_input(fixture *fx, const char *name, const char *desc)
{
	char *path = path_in(fx, name);
	GString *d = g_string_new(desc);
	g_string_replace(d, "%s", path, 1);
	char *full = g_string_free(d, FALSE);
	GError *err = NULL;
	GstElement *p = gst_parse_launch(full, &err);

	g_assert_no_error(err);
	gst_element_set_state(p, GST_STATE_PLAYING);
	GstBus *bus = gst_element_get_bus(p);
	GstMessage *m = gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE,
						   GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
	g_assert_cmpint(GST_MESSAGE_TYPE(m), ==, GST_MESSAGE_EOS);
	gst_message_unref(m);
	gst_object_unref(bus);
	gst_element_set_state(p, GST_STATE_NULL);
	gst_object_unref(p);
	g_free(full);
	return path;
}

static guint32 le32(const guint8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (guint32)p[3] << 24;
}

static guint16 le16(const guint8 *p)
{
	return (guint16)(p[0] | p[1] << 8);
}

/* The output's RIFF header says mono/48000/16-bit PCM and its sizes agree
 * with the file and with info. Returns the number of samples. */
static guint64 check_wav(const char *path, const tsunagu_media_info *info)
{
	char *data = NULL;
	gsize len = 0;

	g_assert_true(g_file_get_contents(path, &data, &len, NULL));
	const guint8 *h = (const guint8 *)data;
	g_assert_cmpuint(len, >, 44);
	g_assert_cmpmem(h, 4, "RIFF", 4);
	g_assert_cmpmem(h + 8, 8, "WAVEfmt ", 8);
	g_assert_cmpuint(le32(h + 4), ==, len - 8);
	g_assert_cmpuint(le16(h + 20), ==, 1);     /* PCM */
	g_assert_cmpuint(le16(h + 22), ==, 1);     /* mono */
	g_assert_cmpuint(le32(h + 24), ==, 48000); /* rate */
	g_assert_cmpuint(le32(h + 28), ==, 96000); /* byte rate */
	g_assert_cmpuint(le16(h + 32), ==, 2);     /* block align */
	g_assert_cmpuint(le16(h + 34), ==, 16);    /* bits */
	g_assert_cmpmem(h + 36, 4, "data", 4);
	g_assert_cmpuint(le32(h + 40), ==, len - 44);
	g_assert_cmpuint(info->bytes, ==, len);
	g_assert_cmpuint(info->samples, ==, (len - 44) / 2);
	g_assert_cmpint(info->duration_ms, ==, (gint64)(info->samples / 48));
	/* not silence: the test tone made it through */
	gint64 energy = 0;
	for (gsize i = 44; i + 1 < len; i += 2)
		energy += ABS((gint16)le16(h + i));
	g_assert_cmpint(energy / (gint64)((len - 44) / 2), >, 100);
	g_free(data);
	return info->samples;
}

/* The directory holds exactly the given number of files (no temporary one
 * left behind). */
static void assert_files(fixture *fx, unsigned want)
{
	GDir *d = g_dir_open(fx->dir, 0, NULL);
	unsigned n = 0;

	while (g_dir_read_name(d))
		n++;
	g_dir_close(d);
	g_assert_cmpuint(n, ==, want);
}

typedef struct {
	const char *name;
	const char *desc;  /* %s: the output */
	guint64 in_samples; /* at in_rate */
	int in_rate;
	guint64 tolerance;  /* output samples at 48 kHz */
} format_case;

/* A WAV: within one input frame (the resampler's filter swallows the last
 * one: 6 output samples from 8 kHz). A lossy codec:
 * within one of its frames at 48 kHz (MP3 1152 samples at 44.1 kHz,
 * Vorbis blocks) plus the encoder's padding it reports. */
static const format_case formats[] = {
	{ "wav44-stereo-16", "audiotestsrc num-buffers=100 samplesperbuffer=441 wave=sine"
	  " ! audio/x-raw,format=S16LE,rate=44100,channels=2 ! wavenc ! filesink location=%s",
	  44100, 44100, 2 },
	{ "wav8-mono-u8", "audiotestsrc num-buffers=40 samplesperbuffer=400 wave=sine"
	  " ! audio/x-raw,format=U8,rate=8000,channels=1 ! wavenc ! filesink location=%s",
	  16000, 8000, 7 },
	{ "wav96-stereo-24", "audiotestsrc num-buffers=50 samplesperbuffer=960 wave=sine"
	  " ! audio/x-raw,format=S24LE,rate=96000,channels=2 ! wavenc ! filesink location=%s",
	  48000, 96000, 1 },
	{ "wav22-6ch-32f", "audiotestsrc num-buffers=20 samplesperbuffer=2205 wave=sine"
	  " ! audio/x-raw,format=F32LE,rate=22050,channels=6 ! audioconvert ! wavenc"
	  " ! filesink location=%s",
	  44100, 22050, 3 },
	{ "mp3", "audiotestsrc num-buffers=100 samplesperbuffer=441 wave=sine"
	  " ! audio/x-raw,rate=44100,channels=2 ! lamemp3enc ! xingmux ! id3v2mux"
	  " ! filesink location=%s",
	  44100, 44100, 2 * 1254 },
	{ "ogg-vorbis", "audiotestsrc num-buffers=100 samplesperbuffer=441 wave=sine"
	  " ! audio/x-raw,rate=44100,channels=2 ! vorbisenc ! oggmux ! filesink location=%s",
	  44100, 44100, 2 * 2048 },
	{ "ogg-opus", "audiotestsrc num-buffers=100 samplesperbuffer=480 wave=sine"
	  " ! audio/x-raw,rate=48000,channels=1 ! opusenc ! oggmux ! filesink location=%s",
	  48000, 48000, 2 * 960 },
	{ "flac", "audiotestsrc num-buffers=100 samplesperbuffer=441 wave=sine"
	  " ! audio/x-raw,format=S16LE,rate=44100,channels=2 ! flacenc ! filesink location=%s",
	  44100, 44100, 2 },
	{ "ogg-video-and-audio", "audiotestsrc num-buffers=100 samplesperbuffer=441 wave=sine"
	  " ! audio/x-raw,rate=44100,channels=1 ! vorbisenc ! queue ! oggmux name=m"
	  " ! filesink location=%s videotestsrc num-buffers=25 ! theoraenc ! queue ! m.",
	  44100, 44100, 2 * 2048 },
};

static void test_format(fixture *fx, gconstpointer data)
{
	const format_case *c = data;
	char *in = make_input(fx, c->name, c->desc);
	char *out = path_in(fx, "out.wav");
	tsunagu_media_input input = {.path = in};
	tsunagu_media_info info;
	GError *err = NULL;

	g_assert_cmpint(tsunagu_media_normalize(&input, out, NULL, &info, &err), ==, 0);
	g_assert_no_error(err);
	guint64 got = check_wav(out, &info);
	guint64 want = c->in_samples * 48000 / (guint64)c->in_rate;
	guint64 diff = got > want ? got - want : want - got;
	if (diff > c->tolerance)
		g_error("%s: %" G_GUINT64_FORMAT " samples, expected %" G_GUINT64_FORMAT
			" +- %" G_GUINT64_FORMAT, c->name, got, want, c->tolerance);
	g_assert_cmpuint(strlen(info.sha256), ==, 64);
	assert_files(fx, 2);
	g_free(in);
	g_free(out);
}

/* The same bytes from memory give the same file as from a path. */
static void test_bytes_input(fixture *fx, gconstpointer data)
{
	char *in = make_input(fx, "in.wav", formats[0].desc);
	char *out1 = path_in(fx, "a.wav"), *out2 = path_in(fx, "b.wav"), *raw = NULL;
	gsize len;
	tsunagu_media_info i1, i2;

	g_assert_true(g_file_get_contents(in, &raw, &len, NULL));
	tsunagu_media_input from_path = {.path = in};
	tsunagu_media_input from_bytes = {.data = g_bytes_new_take(raw, len)};
	g_assert_cmpint(tsunagu_media_normalize(&from_path, out1, NULL, &i1, NULL), ==, 0);
	g_assert_cmpint(tsunagu_media_normalize(&from_bytes, out2, NULL, &i2, NULL), ==, 0);
	g_assert_cmpstr(i1.sha256, ==, i2.sha256);
	g_assert_cmpuint(i1.bytes, ==, i2.bytes);
	g_bytes_unref(from_bytes.data);
	g_free(in);
	g_free(out1);
	g_free(out2);
}

typedef struct {
	const char *name;
	int code;
} refusal;

static void refused(fixture *fx, const char *in, int code)
{
	char *out = path_in(fx, "out.wav");
	tsunagu_media_input input = {.path = in};
	tsunagu_media_info info;
	GError *err = NULL;
	unsigned before;
	GDir *d = g_dir_open(fx->dir, 0, NULL);

	for (before = 0; g_dir_read_name(d); before++)
		;
	g_dir_close(d);
	g_assert_cmpint(tsunagu_media_normalize(&input, out, NULL, &info, &err), <, 0);
	g_assert_error(err, TSUNAGU_MEDIA_ERROR, code);
	g_assert_cmpstr(err->message, !=, "");
	g_error_free(err);
	g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
	assert_files(fx, before);
	g_free(out);
}

static void test_refuse_garbage(fixture *fx, gconstpointer data)
{
	char *in = path_in(fx, "garbage.bin");
	guint8 bytes[8192];
	GRand *r = g_rand_new_with_seed(5);

	for (size_t i = 0; i < sizeof bytes; i++)
		bytes[i] = (guint8)g_rand_int(r);
	g_rand_free(r);
	g_assert_true(g_file_set_contents(in, (const char *)bytes, sizeof bytes, NULL));
	refused(fx, in, TSUNAGU_MEDIA_ERROR_UNDECODABLE);
	g_free(in);
}

static void test_refuse_text(fixture *fx, gconstpointer data)
{
	char *in = path_in(fx, "notes.txt");
	GString *s = g_string_new(NULL);

	for (int i = 0; i < 200; i++)
		g_string_append(s, "Welcome to tsunagu. This is not audio.\n");
	g_assert_true(g_file_set_contents(in, s->str, (gssize)s->len, NULL));
	g_string_free(s, TRUE);
	refused(fx, in, TSUNAGU_MEDIA_ERROR_UNDECODABLE);
	g_free(in);
}

static void test_refuse_empty(fixture *fx, gconstpointer data)
{
	char *in = path_in(fx, "empty.wav");

	g_assert_true(g_file_set_contents(in, "", 0, NULL));
	refused(fx, in, TSUNAGU_MEDIA_ERROR_EMPTY);
	g_free(in);
}

static void test_refuse_video_only(fixture *fx, gconstpointer data)
{
	char *in = make_input(fx, "video.ogv",
			      "videotestsrc num-buffers=30 ! theoraenc ! oggmux ! filesink location=%s");

	refused(fx, in, TSUNAGU_MEDIA_ERROR_NO_AUDIO);
	g_free(in);
}

/* A WAV header promising audio, then nothing: no samples. */
static void test_refuse_no_samples(fixture *fx, gconstpointer data)
{
	char *in = make_input(fx, "silent.wav",
			      "audiotestsrc num-buffers=0 ! audio/x-raw,format=S16LE,rate=8000,"
			      "channels=1 ! wavenc ! filesink location=%s");

	refused(fx, in, TSUNAGU_MEDIA_ERROR_EMPTY);
	g_free(in);
}

/* Over 30 minutes: refused while decoding, nothing written. Made cheaply
 * as 8 kHz 8-bit (29 MB) so the test stays fast. */
static void test_refuse_too_long(fixture *fx, gconstpointer data)
{
	char *in = make_input(fx, "long.wav",
			      "audiotestsrc num-buffers=1810 samplesperbuffer=8000 wave=sine"
			      " ! audio/x-raw,format=U8,rate=8000,channels=1 ! wavenc"
			      " ! filesink location=%s");

	refused(fx, in, TSUNAGU_MEDIA_ERROR_TOO_LONG);
	g_free(in);
}

static void test_refuse_missing(fixture *fx, gconstpointer data)
{
	char *in = path_in(fx, "absent.wav");

	refused(fx, in, TSUNAGU_MEDIA_ERROR_IO);
	g_free(in);
}

/* ---- the asynchronous form: the answer arrives on the loop thread ---------- */

typedef struct {
	tsunagu_core *core;
	int status;
	tsunagu_media_info info;
	GThread *thread;
	bool done;
} async_result;

static void async_done(int status, const tsunagu_media_info *info, const GError *err, void *p)
{
	async_result *r = p;

	r->status = status;
	if (info)
		r->info = *info;
	r->thread = g_thread_self();
	r->done = true;
	g_main_loop_quit(r->core->loop);
}

static void test_async(fixture *fx, gconstpointer data)
{
	tsunagu_core core = {0};
	async_result r = {.core = &core};
	char *in = make_input(fx, "in.wav", formats[1].desc);
	char *out = path_in(fx, "out.wav");
	tsunagu_media_input input = {.path = in};

	core.context = g_main_context_default();
	core.loop = g_main_loop_new(core.context, FALSE);
	core.loop_thread = g_thread_self();
	core.state = TSUNAGU_CORE_RUNNING;
	g_assert_cmpint(tsunagu_media_normalize_async(&core, &input, out, async_done, &r, NULL),
			==, 0);
	g_main_loop_run(core.loop);
	g_assert_true(r.done);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_true(r.thread == core.loop_thread);
	check_wav(out, &r.info);
	g_main_loop_unref(core.loop);
	g_free(in);
	g_free(out);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(tsunagu_media_init(), ==, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
		char *name = g_strconcat("/media/normalize/", formats[i].name, NULL);
		g_test_add(name, fixture, &formats[i], fixture_setup, test_format, fixture_teardown);
		g_free(name);
	}
#define ADD(path, fn) g_test_add(path, fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/media/normalize/bytes", test_bytes_input);
	ADD("/media/refuse/garbage", test_refuse_garbage);
	ADD("/media/refuse/text", test_refuse_text);
	ADD("/media/refuse/empty", test_refuse_empty);
	ADD("/media/refuse/video-only", test_refuse_video_only);
	ADD("/media/refuse/no-samples", test_refuse_no_samples);
	ADD("/media/refuse/too-long", test_refuse_too_long);
	ADD("/media/refuse/missing", test_refuse_missing);
	ADD("/media/async", test_async);
	return g_test_run();
}
