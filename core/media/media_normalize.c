/* The normalization pipeline (media_normalize.h):
 *
 *   filesrc | giostreamsrc ! decodebin ! audioconvert ! capsfilter(mono)
 *     ! audioresample ! appsink(S16LE, 48 kHz, mono)
 *
 * Down-mixing before resampling halves the resampler's work for stereo
 * input, and both run on integers (S16) because the output is S16 anyway.
 * The appsink callback writes each buffer straight into the temporary file
 * on the streaming thread; the calling thread only waits on the bus.
 */
#define TSUNAGU_LOG_TOPIC "media"
#include "media_normalize.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define WAV_HEADER_BYTES 44
#define BYTES_PER_FRAME 2
#define MAX_SAMPLES ((uint64_t)TSUNAGU_MEDIA_MAX_DURATION_MS * (TSUNAGU_MEDIA_RATE / 1000))
/* Output writes go through a stdio buffer this large: one write(2) per
 * ~256 KiB instead of one per decoded buffer. */
#define OUT_BUFFER_BYTES (256 * 1024)
/* audioresample quality (0..10, GStreamer's default 4): see docs/guidance.md
 * for the measurement behind the choice. */
#define RESAMPLE_QUALITY 4

/* The waiting thread looks at the pipeline this often when the bus is
 * quiet, and gives up after this long without a buffer moving: decodebin
 * swallows some of its children's errors while it is still plugging (a
 * damaged Ogg found by the fuzz target), leaving every thread idle. */
#define POLL_NS (100 * GST_MSECOND)
#define STALL_MS_DEFAULT 20000

/* decodebin's GstAutoplugSelectResult (not in a public header). */
enum { AUTOPLUG_TRY = 0, AUTOPLUG_EXPOSE = 1 };

G_DEFINE_QUARK(tsunagu-media-error-quark, tsunagu_media_error)

typedef struct {
	GstElement *pipeline;
	GstElement *convert; /* decodebin's audio pad links here (a queue) */
	GstBus *bus;
	FILE *out;
	/* of the PCM samples: OpenSSL's SHA-256 (already linked through
	 * libwebsockets) uses the CPU's SHA extensions, 8x GChecksum's speed,
	 * which was a third of the whole normalization's CPU time */
	EVP_MD_CTX *sum;
	int64_t stall_us;
	uint64_t samples;    /* streaming thread, read by the caller after the end */
	gint audio_linked;   /* atomic */
	gint progress;       /* atomic: buffers out of the source and into the file */
	GMutex lock;         /* guards error */
	GError *error;       /* the first failure of ours (streaming thread or cancel) */
	int error_errno;
} job;

/* Records the first failure and wakes the waiting caller. Any thread. */
static void job_fail(job *j, int err, tsunagu_media_error code, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);
static void job_fail(job *j, int err, tsunagu_media_error code, const char *fmt, ...)
{
	va_list ap;
	bool first;

	g_mutex_lock(&j->lock);
	first = j->error == NULL;
	if (first) {
		va_start(ap, fmt);
		j->error = g_error_new_valist(TSUNAGU_MEDIA_ERROR, code, fmt, ap);
		va_end(ap);
		j->error_errno = err;
	}
	g_mutex_unlock(&j->lock);
	if (first)
		gst_bus_post(j->bus, gst_message_new_application(
					     NULL, gst_structure_new_empty("tsunagu-media-fail")));
}

int tsunagu_media_init(void)
{
	static gsize done;
	static int status;

	if (g_once_init_enter(&done)) {
		GError *err = NULL;
		if (!gst_init_check(NULL, NULL, &err)) {
			tlog_error("GStreamer not available: %s", err ? err->message : "?");
			g_clear_error(&err);
			status = -ENOTSUP;
		}
		g_once_init_leave(&done, 1);
	}
	return status;
}

/* ---- the streaming side (GStreamer threads; j is the caller's) ------------ */

static GstFlowReturn on_new_sample(GstAppSink *sink, gpointer p)
{
	job *j = p;
	GstSample *sample = gst_app_sink_pull_sample(sink);
	GstBuffer *buf = sample ? gst_sample_get_buffer(sample) : NULL;
	GstMapInfo map;
	GstFlowReturn ret = GST_FLOW_OK;

	if (!buf || !gst_buffer_map(buf, &map, GST_MAP_READ)) {
		if (sample)
			gst_sample_unref(sample);
		return sample ? GST_FLOW_OK : GST_FLOW_EOS;
	}
	g_atomic_int_inc(&j->progress);
	j->samples += map.size / BYTES_PER_FRAME;
	if (j->samples > MAX_SAMPLES) {
		job_fail(j, -EINVAL, TSUNAGU_MEDIA_ERROR_TOO_LONG,
			 "the audio is longer than %d minutes",
			 TSUNAGU_MEDIA_MAX_DURATION_MS / 60000);
		ret = GST_FLOW_ERROR;
	} else if (fwrite(map.data, 1, map.size, j->out) != map.size) {
		job_fail(j, -EIO, TSUNAGU_MEDIA_ERROR_IO, "cannot write the output: %s",
			 g_strerror(errno));
		ret = GST_FLOW_ERROR;
	} else {
		EVP_DigestUpdate(j->sum, map.data, map.size);
	}
	gst_buffer_unmap(buf, &map);
	gst_sample_unref(sample);
	return ret;
}

/* decodebin asks before plugging each element: video, image and subtitle
 * streams are exposed undecoded (and left unlinked) — a video's audio track
 * needs no video decoder, and decoding pictures would only cost time. */
static int on_autoplug_select(GstElement *bin, GstPad *pad, GstCaps *caps,
			      GstElementFactory *factory, gpointer p)
{
	const char *klass = gst_element_factory_get_metadata(factory, GST_ELEMENT_METADATA_KLASS);

	if (klass && !strstr(klass, "Demux") &&
	    (strstr(klass, "Video") || strstr(klass, "Image") || strstr(klass, "Subtitle")))
		return AUTOPLUG_EXPOSE;
	return AUTOPLUG_TRY;
}

static void on_pad_added(GstElement *decodebin, GstPad *pad, gpointer p)
{
	job *j = p;
	GstCaps *caps = gst_pad_get_current_caps(pad);
	const GstStructure *s;
	bool audio;

	if (!caps)
		caps = gst_pad_query_caps(pad, NULL);
	s = gst_caps_get_size(caps) ? gst_caps_get_structure(caps, 0) : NULL;
	audio = s && gst_structure_has_name(s, "audio/x-raw");
	gst_caps_unref(caps);
	/* the first audio stream only: a second language track is ignored */
	if (!audio || !g_atomic_int_compare_and_exchange(&j->audio_linked, 0, 1))
		return;
	GstPad *sinkpad = gst_element_get_static_pad(j->convert, "sink");
	if (gst_pad_link(pad, sinkpad) != GST_PAD_LINK_OK)
		job_fail(j, -EINVAL, TSUNAGU_MEDIA_ERROR_UNDECODABLE,
			 "the audio stream cannot be converted");
	gst_object_unref(sinkpad);
}

static void on_no_more_pads(GstElement *decodebin, gpointer p)
{
	job *j = p;

	if (!g_atomic_int_get(&j->audio_linked))
		job_fail(j, -EINVAL, TSUNAGU_MEDIA_ERROR_NO_AUDIO, "the file has no audio stream");
}

static GstPadProbeReturn on_source_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer p)
{
	job *j = p;

	g_atomic_int_inc(&j->progress);
	return GST_PAD_PROBE_OK;
}

static void on_cancelled(GCancellable *cancel, gpointer p)
{
	job_fail(p, -ECANCELED, TSUNAGU_MEDIA_ERROR_CANCELLED, "cancelled");
}

/* ---- building and running ------------------------------------------------- */

static GstElement *make(GstElement *bin, const char *factory, GError **err)
{
	GstElement *e = gst_element_factory_make(factory, NULL);

	if (!e) {
		g_set_error(err, TSUNAGU_MEDIA_ERROR, TSUNAGU_MEDIA_ERROR_IO,
			    "the GStreamer element %s is not installed", factory);
		return NULL;
	}
	gst_bin_add(GST_BIN(bin), e);
	return e;
}

static int build(job *j, const tsunagu_media_input *in, GError **err)
{
	GstElement *src, *dec, *convert, *mono, *resample, *q_out;
	GstCaps *caps;

	j->pipeline = gst_pipeline_new("tsunagu-normalize");
	j->bus = gst_pipeline_get_bus(GST_PIPELINE(j->pipeline));
	if (in->path) {
		if (!(src = make(j->pipeline, "filesrc", err)))
			return -ENOTSUP;
		g_object_set(src, "location", in->path, NULL);
	} else {
		GInputStream *stream = g_memory_input_stream_new_from_bytes(in->data);
		if (!(src = make(j->pipeline, "giostreamsrc", err))) {
			g_object_unref(stream);
			return -ENOTSUP;
		}
		g_object_set(src, "stream", stream, NULL);
		g_object_unref(stream);
	}
	/* Three streaming threads, split by queues: decoding, converting and
	 * resampling, hashing and writing — on two cores about half the time
	 * of one thread doing all. j->convert is the first queue. */
	if (!(dec = make(j->pipeline, "decodebin", err)) ||
	    !(j->convert = make(j->pipeline, "queue", err)) ||
	    !(convert = make(j->pipeline, "audioconvert", err)) ||
	    !(mono = make(j->pipeline, "capsfilter", err)) ||
	    !(resample = make(j->pipeline, "audioresample", err)) ||
	    !(q_out = make(j->pipeline, "queue", err)))
		return -ENOTSUP;
	GstElement *sink = make(j->pipeline, "appsink", err);
	if (!sink)
		return -ENOTSUP;

	caps = gst_caps_new_simple("audio/x-raw", "channels", G_TYPE_INT, 1, NULL);
	g_object_set(mono, "caps", caps, NULL);
	gst_caps_unref(caps);
	g_object_set(resample, "quality", RESAMPLE_QUALITY, NULL);
	caps = gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "rate",
				   G_TYPE_INT, TSUNAGU_MEDIA_RATE, "channels", G_TYPE_INT, 1,
				   "layout", G_TYPE_STRING, "interleaved", NULL);
	/* sync=false: as fast as the decoder goes, not in real time */
	g_object_set(sink, "caps", caps, "sync", FALSE, "async", FALSE, NULL);
	gst_caps_unref(caps);
	GstAppSinkCallbacks cbs = {.new_sample = on_new_sample};
	gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cbs, j, NULL);

	GstPad *srcpad = gst_element_get_static_pad(src, "src");
	gst_pad_add_probe(srcpad, GST_PAD_PROBE_TYPE_BUFFER, on_source_buffer, j, NULL);
	gst_object_unref(srcpad);
	g_signal_connect(dec, "autoplug-select", G_CALLBACK(on_autoplug_select), j);
	g_signal_connect(dec, "pad-added", G_CALLBACK(on_pad_added), j);
	g_signal_connect(dec, "no-more-pads", G_CALLBACK(on_no_more_pads), j);
	if (!gst_element_link(src, dec) ||
	    !gst_element_link_many(j->convert, convert, mono, resample, q_out, sink, NULL)) {
		g_set_error(err, TSUNAGU_MEDIA_ERROR, TSUNAGU_MEDIA_ERROR_IO,
			    "the normalization pipeline cannot be linked");
		return -EIO;
	}
	return 0;
}

/* Turns GStreamer's error into the caller's: what the person who gave the
 * file can act on, not GStreamer's internals (those go to the debug log). */
static int map_gst_error(job *j, GError *gerr, const char *debug, GError **err)
{
	bool audio = g_atomic_int_get(&j->audio_linked);

	tlog_debug("GStreamer: %s (%s)", gerr->message, debug ? debug : "");
	if (gerr->domain == GST_RESOURCE_ERROR &&
	    (gerr->code == GST_RESOURCE_ERROR_NOT_FOUND ||
	     gerr->code == GST_RESOURCE_ERROR_OPEN_READ || gerr->code == GST_RESOURCE_ERROR_READ)) {
		g_set_error(err, TSUNAGU_MEDIA_ERROR, TSUNAGU_MEDIA_ERROR_IO,
			    "cannot read the input: %s", gerr->message);
		return -EIO;
	}
	if (!audio && gerr->domain == GST_STREAM_ERROR &&
	    (gerr->code == GST_STREAM_ERROR_FAILED || gerr->code == GST_STREAM_ERROR_FORMAT) &&
	    debug && strstr(debug, "not-linked")) {
		g_set_error(err, TSUNAGU_MEDIA_ERROR, TSUNAGU_MEDIA_ERROR_NO_AUDIO,
			    "the file has no audio stream");
		return -EINVAL;
	}
	g_set_error(err, TSUNAGU_MEDIA_ERROR, TSUNAGU_MEDIA_ERROR_UNDECODABLE,
		    "not an audio format that can be decoded (%s)", gerr->message);
	return -EINVAL;
}

/* Waits for the end on the calling thread: 0 at EOS, else the error. */
static int wait_end(job *j, GError **err)
{
	int ret = 1;
	int seen = -1;
	int64_t last_move = g_get_monotonic_time();

	while (ret == 1) {
		GstMessage *m = gst_bus_timed_pop_filtered(
			j->bus, POLL_NS, GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_APPLICATION);
		if (!m) {
			int now = g_atomic_int_get(&j->progress);
			if (now != seen) {
				seen = now;
				last_move = g_get_monotonic_time();
			} else if (gst_element_get_state(j->pipeline, NULL, NULL, 0) ==
					   GST_STATE_CHANGE_FAILURE ||
				   g_get_monotonic_time() - last_move > j->stall_us) {
				job_fail(j, -EINVAL, TSUNAGU_MEDIA_ERROR_UNDECODABLE,
					 "the file is damaged or not an audio format that can be "
					 "decoded (the decoder stopped)");
			}
			continue;
		}
		switch (GST_MESSAGE_TYPE(m)) {
		case GST_MESSAGE_EOS:
			ret = 0;
			break;
		case GST_MESSAGE_APPLICATION:
			ret = -1; /* ours: j->error says */
			break;
		default: {
			GError *gerr = NULL;
			char *debug = NULL;
			gst_message_parse_error(m, &gerr, &debug);
			ret = -1;
			/* an error of ours makes elements fail too: ours explains it */
			g_mutex_lock(&j->lock);
			if (!j->error)
				j->error_errno = map_gst_error(j, gerr, debug, &j->error);
			g_mutex_unlock(&j->lock);
			g_error_free(gerr);
			g_free(debug);
			break;
		}
		}
		gst_message_unref(m);
	}
	if (ret == 0)
		return 0;
	g_mutex_lock(&j->lock);
	ret = j->error_errno;
	g_propagate_error(err, j->error);
	j->error = NULL;
	g_mutex_unlock(&j->lock);
	return ret;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

/* The canonical 44-byte header of a PCM WAV, mono S16 at 48 kHz. */
static void wav_header(uint8_t h[WAV_HEADER_BYTES], uint32_t data_bytes)
{
	memcpy(h, "RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0", 24);
	put_le32(h + 4, 36 + data_bytes);
	put_le32(h + 24, TSUNAGU_MEDIA_RATE);
	put_le32(h + 28, TSUNAGU_MEDIA_RATE * BYTES_PER_FRAME);
	memcpy(h + 32, "\x02\0\x10\0data", 8);
	put_le32(h + 40, data_bytes);
}

/* Completes the temporary file: its real header, on disk, then renamed. */
static int finish_file(job *j, const char *tmp, const char *out_path, GError **err)
{
	uint8_t h[WAV_HEADER_BYTES];
	int e = 0;

	wav_header(h, (uint32_t)(j->samples * BYTES_PER_FRAME));
	if (fflush(j->out) != 0 || fseek(j->out, 0, SEEK_SET) != 0 ||
	    fwrite(h, 1, sizeof h, j->out) != sizeof h || fflush(j->out) != 0 ||
	    fsync(fileno(j->out)) != 0)
		e = errno ? errno : EIO;
	if (fclose(j->out) != 0 && !e)
		e = errno;
	j->out = NULL;
	if (!e && rename(tmp, out_path) != 0)
		e = errno;
	if (e) {
		g_set_error(err, TSUNAGU_MEDIA_ERROR, TSUNAGU_MEDIA_ERROR_IO,
			    "cannot write %s: %s", out_path, g_strerror(e));
		return -EIO;
	}
	return 0;
}

static int open_tmp(job *j, const char *out_path, char **tmp_out, GError **err)
{
	char *tmp = g_strconcat(out_path, ".tmp-XXXXXX", NULL);
	uint8_t h[WAV_HEADER_BYTES];
	int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0644);

	if (fd < 0 || !(j->out = fdopen(fd, "w+b"))) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
			g_unlink(tmp);
		}
		g_set_error(err, TSUNAGU_MEDIA_ERROR, TSUNAGU_MEDIA_ERROR_IO,
			    "cannot create a file beside %s: %s", out_path, g_strerror(e));
		g_free(tmp);
		return -EIO;
	}
	setvbuf(j->out, NULL, _IOFBF, OUT_BUFFER_BYTES);
	wav_header(h, 0); /* rewritten with the sizes at the end */
	fwrite(h, 1, sizeof h, j->out);
	*tmp_out = tmp;
	return 0;
}

static void hex_digest(EVP_MD_CTX *sum, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(sum, d, &n);
	for (unsigned int i = 0; i < n && i < 32; i++)
		g_snprintf(out + 2 * i, 3, "%02x", d[i]);
	out[64] = 0;
}

static int check_input(const tsunagu_media_input *in, GError **err)
{
	GStatBuf st;

	if (!in || !!in->path == !!in->data) {
		g_set_error(err, TSUNAGU_MEDIA_ERROR, TSUNAGU_MEDIA_ERROR_IO,
			    "give either a path or bytes");
		return -EINVAL;
	}
	if (in->path && g_stat(in->path, &st) != 0) {
		int e = errno;
		g_set_error(err, TSUNAGU_MEDIA_ERROR, TSUNAGU_MEDIA_ERROR_IO, "cannot read %s: %s",
			    in->path, g_strerror(e));
		return -EIO;
	}
	if (in->path ? st.st_size == 0 : g_bytes_get_size(in->data) == 0) {
		g_set_error(err, TSUNAGU_MEDIA_ERROR, TSUNAGU_MEDIA_ERROR_EMPTY, "the file is empty");
		return -EINVAL;
	}
	return 0;
}

int tsunagu_media_normalize(const tsunagu_media_input *in, const char *out_path,
			    GCancellable *cancel, tsunagu_media_info *info, GError **err)
{
	job j = {0};
	char *tmp = NULL;
	gulong cancel_id = 0;
	int ret;

	if (!out_path || !info)
		return -EINVAL;
	if ((ret = check_input(in, err)) < 0)
		return ret;
	if ((ret = tsunagu_media_init()) < 0) {
		g_set_error(err, TSUNAGU_MEDIA_ERROR, TSUNAGU_MEDIA_ERROR_IO,
			    "GStreamer is not available");
		return ret;
	}
	g_mutex_init(&j.lock);
	j.stall_us = (in->stall_ms > 0 ? in->stall_ms : STALL_MS_DEFAULT) * 1000;
	j.sum = EVP_MD_CTX_new();
	if (!j.sum || !EVP_DigestInit_ex(j.sum, EVP_sha256(), NULL)) {
		g_set_error(err, TSUNAGU_MEDIA_ERROR, TSUNAGU_MEDIA_ERROR_IO, "no SHA-256");
		ret = -ENOMEM;
		goto out;
	}
	if ((ret = build(&j, in, err)) < 0)
		goto out;
	if ((ret = open_tmp(&j, out_path, &tmp, err)) < 0)
		goto out;
	if (cancel)
		cancel_id = g_cancellable_connect(cancel, G_CALLBACK(on_cancelled), &j, NULL);
	gst_element_set_state(j.pipeline, GST_STATE_PLAYING);
	ret = wait_end(&j, err);
	/* stops the streaming threads: after this no callback touches j */
	gst_element_set_state(j.pipeline, GST_STATE_NULL);
	if (cancel_id)
		g_cancellable_disconnect(cancel, cancel_id);
	if (ret == 0 && j.samples == 0) {
		bool audio = g_atomic_int_get(&j.audio_linked);
		g_set_error(err, TSUNAGU_MEDIA_ERROR,
			    audio ? TSUNAGU_MEDIA_ERROR_EMPTY : TSUNAGU_MEDIA_ERROR_NO_AUDIO,
			    audio ? "the file holds no audio samples" : "the file has no audio stream");
		ret = -EINVAL;
	}
	if (ret == 0)
		ret = finish_file(&j, tmp, out_path, err);
	if (ret == 0) {
		info->samples = j.samples;
		info->duration_ms = (int64_t)(j.samples / (TSUNAGU_MEDIA_RATE / 1000));
		info->bytes = WAV_HEADER_BYTES + j.samples * BYTES_PER_FRAME;
		hex_digest(j.sum, info->sha256);
	}
out:
	if (j.out)
		fclose(j.out);
	if (ret < 0 && tmp)
		g_unlink(tmp);
	g_free(tmp);
	if (j.pipeline) {
		gst_element_set_state(j.pipeline, GST_STATE_NULL);
		gst_object_unref(j.pipeline);
	}
	if (j.bus)
		gst_object_unref(j.bus);
	if (j.error)
		g_error_free(j.error);
	EVP_MD_CTX_free(j.sum);
	g_mutex_clear(&j.lock);
	return ret;
}
