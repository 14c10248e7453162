/* GStreamer where audio is processed: playing a WAV into a leg, and one
 * direction of a bridge between legs of different codecs.
 *
 * What a pipeline receives from the network (a transcoder's appsrc of the
 * far end's RTP) goes through an rtpjitterbuffer before it is decoded:
 * packets that come out of order or bunched are put back in sequence and
 * paced, a lost one leaves a gap instead of shifting the audio. Its
 * latency is [plugin.sip] jitter_latency (docs/sip.md). A player reads a
 * file: it receives nothing, so it has none.
 *
 * Both end in the same tail: encoder ! payloader ! udpsink, the udpsink
 * sending from the leg's own socket (so the far end sees one source
 * address) and the payloader continuing the leg's outgoing stream (SSRC,
 * sequence, timestamp from sip_out_next). A probe on the payloader's output
 * records the last packet so the next producer continues after it.
 */
#include <errno.h>
#include <gst/app/gstappsrc.h>
#include <string.h>

#include "sip_media_internal.h"

/* One 20 ms packet, the usual telephony ptime (RFC 3551 4.5). */
#define PTIME_NS (20 * GST_MSECOND)
/* The jitter buffer's latency without a host (tests, benchmark), and the
 * most a setting may ask (more is an echo on a phone call). */
#define JITTER_LATENCY_MS 60
#define JITTER_LATENCY_MAX_MS 1000

/* [plugin.sip] jitter_latency in ms, clamped; the default without a host. */
static unsigned jitter_latency_ms(const sip_media *m)
{
	int64_t ms = JITTER_LATENCY_MS;
	if (m->api && m->api->config_duration_ms(m->host, "jitter_latency", &ms) != 0)
		ms = JITTER_LATENCY_MS;
	return (unsigned)CLAMP(ms, 0, JITTER_LATENCY_MAX_MS);
}

/* Streaming thread. p: owned by the leg; outlives the pipeline's threads
 * (sip_pipe_stop joins them before anything reads or frees p). Numbers
 * every packet itself and records it: packets a flush drops (the looping
 * player's first seek) would otherwise leave a gap in the sequence the far
 * end sees, and the ones still queued before the socket when the pipeline
 * stops are never sent, so sip_pipe_stop picks the last one the udpsink
 * counted as sent. */
static GstBuffer *record(sip_pipe *p, GstBuffer *b)
{
	if (gst_buffer_get_size(b) < SIP_RTP_HEADER_MIN)
		return b;
	b = gst_buffer_make_writable(b);
	GstMapInfo map;
	if (!gst_buffer_map(b, &map, GST_MAP_READWRITE))
		return b;
	uint8_t *h = map.data;
	uint16_t seq = p->next_seq++;
	h[2] = (uint8_t)(seq >> 8);
	h[3] = (uint8_t)seq;
	gint i = g_atomic_int_get(&p->sent_count) % SIP_PIPE_RING;
	p->ring[i].seq = seq;
	p->ring[i].ts = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
	p->ring[i].us = sip_media_now_us();
	gst_buffer_unmap(b, &map);
	g_atomic_int_inc(&p->sent_count);
	return b;
}

static gboolean record_in_list(GstBuffer **b, guint idx, gpointer user_data)
{
	(void)idx;
	*b = record(user_data, *b);
	return TRUE;
}

static uint64_t packets_sent(sip_pipe *p);

static GstPadProbeReturn on_payloaded(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	sip_pipe *p = user_data;
	(void)pad;
	if (info->type & GST_PAD_PROBE_TYPE_EVENT_FLUSH) {
		/* Flushing stops the streaming thread first: what was payloaded
		 * and not sent by now never will be; the next packet takes the
		 * number after the last one sent. */
		if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_FLUSH_STOP) {
			gint dropped = g_atomic_int_get(&p->sent_count) - (gint)packets_sent(p);
			g_atomic_int_set(&p->flushed, g_atomic_int_get(&p->flushed) + dropped);
			p->next_seq = (uint16_t)(p->next_seq - dropped);
		}
	} else if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
		GST_PAD_PROBE_INFO_DATA(info) = record(p, GST_PAD_PROBE_INFO_BUFFER(info));
	} else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
		GstBufferList *l = gst_buffer_list_make_writable(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
		gst_buffer_list_foreach(l, record_in_list, p);
		GST_PAD_PROBE_INFO_DATA(info) = l;
	}
	return GST_PAD_PROBE_OK;
}

/* The encoder and payloader of a codec, as a launch fragment. */
static const char *tail_for(sip_codec codec)
{
	switch (codec) {
	case SIP_CODEC_PCMU:
		return "audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay";
	case SIP_CODEC_PCMA:
		return "audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay";
	case SIP_CODEC_OPUS:
		return "audio/x-raw,rate=48000,channels=1 ! opusenc frame-size=20 ! "
		       "rtpopuspay name=pay";
	}
	return NULL;
}

/* The depayloader and decoder of a codec, after an appsrc of its RTP. */
static const char *head_for(sip_codec codec)
{
	switch (codec) {
	case SIP_CODEC_PCMU:
		return "rtppcmudepay ! mulawdec";
	case SIP_CODEC_PCMA:
		return "rtppcmadepay ! alawdec";
	case SIP_CODEC_OPUS:
		return "rtpopusdepay ! opusdec";
	}
	return NULL;
}

static const char *encoding_name(sip_codec codec)
{
	return codec == SIP_CODEC_PCMU ? "PCMU" : codec == SIP_CODEC_PCMA ? "PCMA" : "OPUS";
}

static void finish(sip_pipe *p, int status);

static int status_of(GError *err)
{
	if (err && err->domain == GST_RESOURCE_ERROR &&
	    (err->code == GST_RESOURCE_ERROR_NOT_FOUND ||
	     err->code == GST_RESOURCE_ERROR_OPEN_READ))
		return -ENOENT;
	if (err && err->domain == GST_STREAM_ERROR)
		return -EINVAL; /* not a WAV, or not one we can decode */
	return -EIO;
}

/* Loop thread (the bus watch is on the default main context). */
static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer user_data)
{
	sip_pipe *p = user_data;
	(void)bus;
	switch (GST_MESSAGE_TYPE(msg)) {
	case GST_MESSAGE_ASYNC_DONE:
		/* Prerolled: a looping player seeks with the segment flag so the
		 * end brings SEGMENT_DONE instead of EOS, and the running time
		 * (thus the RTP timestamps) goes on across the restart. */
		if (p->loop && GST_MESSAGE_SRC(msg) == GST_OBJECT(p->pipeline) && !p->seeked) {
			p->seeked = true;
			gst_element_seek_simple(p->pipeline, GST_FORMAT_TIME,
						GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_SEGMENT, 0);
			gst_element_set_state(p->pipeline, GST_STATE_PLAYING);
		}
		break;
	case GST_MESSAGE_SEGMENT_DONE:
		gst_element_seek_simple(p->pipeline, GST_FORMAT_TIME, GST_SEEK_FLAG_SEGMENT, 0);
		break;
	case GST_MESSAGE_EOS:
		finish(p, 0);
		return G_SOURCE_REMOVE;
	case GST_MESSAGE_ERROR: {
		GError *err = NULL;
		gst_message_parse_error(msg, &err, NULL);
		sip_media_log(p->leg->m, TSUNAGU_PLUGIN_LOG_WARN, "media on port %u: %s",
			      p->leg->port, err ? err->message : "error");
		int status = status_of(err);
		g_clear_error(&err);
		finish(p, status);
		return G_SOURCE_REMOVE;
	}
	default:
		break;
	}
	return G_SOURCE_CONTINUE;
}

/* The pipeline ended by itself: the leg goes idle and done runs last, so
 * it may free the leg or start something else on it. */
static void finish(sip_pipe *p, int status)
{
	sip_leg *leg = p->leg;
	p->bus_watch = 0; /* the caller returns G_SOURCE_REMOVE */
	if (leg->pipe == p) {
		leg->pipe = NULL;
		if (leg->out_kind == SIP_OUT_PLAYER || leg->out_kind == SIP_OUT_TRANSCODE)
			leg->out_kind = SIP_OUT_NONE;
	}
	sip_pipe_stop(p);
	sip_leg_done_fn done = p->done;
	void *ud = p->user_data;
	bool player = p->appsrc == NULL;
	sip_pipe_free(p);
	if (player && done)
		done(leg, status, ud);
}

/* Builds "<head> ! <tail> ! udpsink" and sets up the tail for leg. */
static int build(sip_leg *leg, const char *head, bool realtime, sip_pipe **out)
{
	int rc = 0;
	GError *err = NULL;
	sip_pipe *p = g_new0(sip_pipe, 1);
	p->leg = leg;
	char *desc = g_strdup_printf("%s ! audioconvert ! audioresample ! %s ! "
				     "udpsink name=sink close-socket=false sync=%s async=%s",
				     head, tail_for(leg->codec), realtime ? "true" : "false",
				     realtime ? "true" : "false");
	p->pipeline = gst_parse_launch_full(desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &err);
	g_free(desc);
	if (!p->pipeline) {
		sip_media_log(leg->m, TSUNAGU_PLUGIN_LOG_ERROR, "media pipeline: %s",
			      err ? err->message : "?");
		rc = -ENOTSUP; /* a GStreamer element is missing */
		goto fail;
	}
	GstElement *pay = gst_bin_get_by_name(GST_BIN(p->pipeline), "pay");
	GstElement *sink = gst_bin_get_by_name(GST_BIN(p->pipeline), "sink");
	p->sink = gst_object_ref(sink);
	uint16_t seq;
	uint32_t ts;
	sip_out_next(leg, sip_media_now_us(), &seq, &ts);
	p->next_seq = seq; /* on_payloaded numbers the packets */
	g_object_set(pay, "pt", (guint)leg->payload_type, "ssrc", leg->out.ssrc,
		     "timestamp-offset", ts, NULL);
	if (leg->codec != SIP_CODEC_OPUS)
		g_object_set(pay, "min-ptime", (gint64)PTIME_NS, "max-ptime", (gint64)PTIME_NS,
			     NULL);
	g_strlcpy(p->host, leg->remote_ip, sizeof p->host);
	p->port = leg->remote_port;
	g_object_set(sink, "socket", sip_leg_rtp_socket(leg), "host", p->host, "port", (gint)p->port, NULL);
	GstPad *src = gst_element_get_static_pad(pay, "src");
	gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
				       GST_PAD_PROBE_TYPE_EVENT_FLUSH,
			  on_payloaded, p, NULL);
	gst_object_unref(src);
	gst_object_unref(pay);
	gst_object_unref(sink);
	GstBus *bus = gst_element_get_bus(p->pipeline);
	p->bus_watch = gst_bus_add_watch(bus, on_bus, p);
	gst_object_unref(bus);
	*out = p;
	return 0;
fail:
	g_clear_error(&err);
	sip_pipe_free(p);
	return rc;
}

int sip_pipe_new_player(sip_leg *leg, const char *path, bool loop, sip_leg_done_fn done,
			void *user_data, sip_pipe **out)
{
	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
		return -ENOENT;
	char *quoted = g_strescape(path, NULL);
	char *head = g_strdup_printf("filesrc location=\"%s\" ! wavparse", quoted);
	g_free(quoted);
	sip_pipe *p = NULL;
	int rc = build(leg, head, true, &p);
	g_free(head);
	if (rc < 0)
		return rc;
	p->done = done;
	p->user_data = user_data;
	p->loop = loop;
	p->path = g_strdup(path);
	/* Looping: preroll first (on_bus seeks, then plays). */
	gst_element_set_state(p->pipeline, loop ? GST_STATE_PAUSED : GST_STATE_PLAYING);
	*out = p;
	return 0;
}

int sip_pipe_new_transcoder(sip_leg *from, sip_leg *to, sip_pipe **out)
{
	/* Without the jitter buffer the depayloader drops a packet that
	 * comes after a later one; with it only one later than the latency
	 * is lost. No retransmission to wait for on a phone call. */
	char *head = g_strdup_printf(
		"appsrc name=src is-live=true format=time do-timestamp=true "
		"caps=\"application/x-rtp,media=audio,clock-rate=%u,encoding-name=%s,payload=%d\" "
		"! rtpjitterbuffer name=jitter latency=%u do-retransmission=false "
		"! %s",
		sip_codec_clock_rate(from->codec), encoding_name(from->codec), from->payload_type,
		jitter_latency_ms(from->m), head_for(from->codec));
	sip_pipe *p = NULL;
	int rc = build(to, head, false, &p);
	g_free(head);
	if (rc < 0)
		return rc;
	p->appsrc = gst_bin_get_by_name(GST_BIN(p->pipeline), "src");
	gst_element_set_state(p->pipeline, GST_STATE_PLAYING);
	*out = p;
	return 0;
}

void sip_pipe_push(sip_pipe *p, const uint8_t *buf, size_t len)
{
	if (!p || !p->appsrc)
		return;
	gst_app_src_push_buffer(GST_APP_SRC(p->appsrc), gst_buffer_new_memdup(buf, len));
}

/* Packets the udpsink actually sent to the far end. Any thread. */
static uint64_t packets_sent(sip_pipe *p)
{
	GstStructure *st = NULL;
	guint64 n = 0;
	g_signal_emit_by_name(p->sink, "get-stats", p->host, (gint)p->port, &st);
	if (st) {
		gst_structure_get_uint64(st, "packets-sent", &n);
		gst_structure_free(st);
	}
	return n;
}

void sip_pipe_stop(sip_pipe *p)
{
	if (!p || !p->pipeline || p->stopped)
		return;
	p->stopped = true;
	if (p->bus_watch) {
		g_source_remove(p->bus_watch);
		p->bus_watch = 0;
	}
	/* Joins the streaming threads: ring is stable from here. */
	gst_element_set_state(p->pipeline, GST_STATE_NULL);
	uint64_t payloaded = (uint64_t)g_atomic_int_get(&p->sent_count);
	uint64_t sent = packets_sent(p);
	uint64_t flushed = (uint64_t)MAX(0, g_atomic_int_get(&p->flushed));
	/* ring index of the last packet sent */
	uint64_t last = sent + flushed;
	if (last > payloaded)
		last = payloaded;
	/* More than the ring behind would mean a queue we never build; then
	 * the newest is the best guess left. */
	if (payloaded - last >= SIP_PIPE_RING)
		last = payloaded;
	sip_leg *leg = p->leg;
	if (sent > 0 && last > 0) {
		unsigned i = (unsigned)((last - 1) % SIP_PIPE_RING);
		leg->out.seq = p->ring[i].seq;
		leg->out.ts = p->ring[i].ts;
		leg->out.sent_us = p->ring[i].us;
	}
	leg->stats.tx_packets += sent;
	g_atomic_int_set(&p->sent_count, 0);
}

void sip_pipe_free(sip_pipe *p)
{
	if (!p)
		return;
	if (p->pipeline) {
		sip_pipe_stop(p);
		g_clear_object(&p->appsrc);
		g_clear_object(&p->sink);
		gst_object_unref(p->pipeline);
	}
	g_free(p->path);
	g_free(p);
}
