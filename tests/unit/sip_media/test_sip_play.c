/* Unit tests of the GStreamer side (sip_pipeline.c): playing a WAV into a
 * leg, the switch from playing to bridged, transcoding between codecs.
 * The WAV is written by the test (a 440 Hz tone, mono 48 kHz S16LE, as
 * guidance_path() gives), the far end is a real socket on 127.0.0.1. */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip_media.h"
#include "sip_test_endpoint.h"

#define PORT_MIN 33000
#define PORT_MAX 33999

static char *tmpdir;

static void put16(FILE *f, uint16_t v)
{
	fputc(v & 0xff, f);
	fputc(v >> 8, f);
}

static void put32(FILE *f, uint32_t v)
{
	put16(f, (uint16_t)v);
	put16(f, (uint16_t)(v >> 16));
}

/* Writes ms milliseconds of a tone (or silence) as WAV; returns the path. */
static char *write_wav(const char *name, unsigned ms, double amplitude)
{
	char *path = g_build_filename(tmpdir, name, NULL);
	FILE *f = fopen(path, "wb");
	g_assert_nonnull(f);
	uint32_t samples = 48 * ms, bytes = samples * 2;
	fwrite("RIFF", 1, 4, f);
	put32(f, 36 + bytes);
	fwrite("WAVEfmt ", 1, 8, f);
	put32(f, 16);
	put16(f, 1);      /* PCM */
	put16(f, 1);      /* mono */
	put32(f, 48000);
	put32(f, 96000);  /* byte rate */
	put16(f, 2);      /* block align */
	put16(f, 16);
	fwrite("data", 1, 4, f);
	put32(f, bytes);
	for (uint32_t i = 0; i < samples; i++)
		put16(f, (uint16_t)(int16_t)(amplitude * 32767 * sin(2 * G_PI * 440 * i / 48000.0)));
	fclose(f);
	return path;
}

typedef struct {
	bool called;
	int status;
	int calls;
} done_rec;

/* Loop thread. user_data: the test's done_rec. */
static void on_done(sip_leg *leg, int status, void *user_data)
{
	done_rec *d = user_data;
	(void)leg;
	d->called = true;
	d->status = status;
	d->calls++;
}

typedef test_pair fixture;

static void setup(fixture *f, gconstpointer data)
{
	(void)data;
	test_pair_open(f, PORT_MIN, PORT_MAX);
}

static void teardown(fixture *f, gconstpointer data)
{
	(void)data;
	test_pair_close(f);
}

/* One stream: one SSRC, sequence +1 and timestamp +step every packet. */
static void assert_continuous(GArray *r, guint from, guint to, uint32_t step)
{
	for (guint i = from + 1; i < to; i++) {
		const test_pkt *p = &g_array_index(r, test_pkt, i);
		const test_pkt *q = &g_array_index(r, test_pkt, i - 1);
		g_assert_cmpuint(p->ssrc, ==, q->ssrc);
		g_assert_cmpuint((uint16_t)(p->seq - q->seq), ==, 1);
		if (step)
			g_assert_cmpuint(p->ts - q->ts, ==, step);
	}
}

static guint count_non_silent(const test_pkt *p, uint8_t silence1, uint8_t silence2)
{
	guint n = 0;
	for (size_t i = 0; i < p->payload_len; i++)
		n += p->payload[i] != silence1 && p->payload[i] != silence2;
	return n;
}

static void play_once(fixture *f, sip_codec codec, int pt, uint8_t sil1, uint8_t sil2)
{
	char *wav = write_wav("tone.wav", 1000, 0.5);
	g_assert_cmpint(sip_leg_set_remote(f->b, "127.0.0.1", f->eb.port, codec, pt), ==, 0);
	done_rec d = {0};
	g_assert_cmpint(sip_leg_play(f->b, wav, false, on_done, &d), ==, 0);
	g_assert_true(test_wait_flag(&d.called));
	g_assert_cmpint(d.status, ==, 0);
	g_assert_cmpint(d.calls, ==, 1);
	test_drain_loop();
	GArray *r = f->eb.pkts;
	/* 1 s in 20 ms packets */
	g_assert_cmpuint(r->len, >=, 49);
	g_assert_cmpuint(r->len, <=, 51);
	/* Opus: the first packet is shorter by the encoder's lookahead */
	assert_continuous(r, 0, r->len, codec == SIP_CODEC_OPUS ? 0 : 160);
	if (codec == SIP_CODEC_OPUS)
		assert_continuous(r, 1, r->len, 960);
	guint loud = 0;
	for (guint i = 0; i < r->len; i++) {
		const test_pkt *p = &g_array_index(r, test_pkt, i);
		g_assert_cmpuint(p->pt, ==, (guint)pt);
		if (codec != SIP_CODEC_OPUS && i + 1 < r->len)
			g_assert_cmpuint(p->payload_len, ==, 160);
		loud += count_non_silent(p, sil1, sil2) > p->payload_len / 2;
	}
	g_assert_cmpuint(loud, >=, r->len - 2);
	sip_leg_stats s;
	sip_leg_get_stats(f->b, &s);
	g_assert_cmpuint(s.tx_packets, ==, r->len);
	g_free(wav);
}

static void test_play_pcmu(fixture *f, gconstpointer data)
{
	(void)data;
	play_once(f, SIP_CODEC_PCMU, 0, 0xff, 0x7f);
}

static void test_play_pcma(fixture *f, gconstpointer data)
{
	(void)data;
	play_once(f, SIP_CODEC_PCMA, 8, 0xd5, 0x55);
}

static void test_play_opus(fixture *f, gconstpointer data)
{
	(void)data;
	/* an Opus packet of a tone is mostly non-repeating bytes; 0 never
	 * dominates */
	play_once(f, SIP_CODEC_OPUS, 96, 0x00, 0x00);
}

/* Playing (looped guidance), then bridged: the far end sees the relayed
 * packets continue the player's SSRC and sequence, timestamps onward. */
static void test_play_then_bridge(fixture *f, gconstpointer data)
{
	(void)data;
	char *wav = write_wav("short.wav", 100, 0.5); /* loops 100 ms */
	done_rec d = {0};
	g_assert_cmpint(sip_leg_play(f->b, wav, true, on_done, &d), ==, 0);
	g_assert_true(test_ep_wait(&f->eb, 12)); /* more than the file: it looped */
	g_assert_false(d.called);
	g_assert_cmpint(sip_bridge(f->a, f->b), ==, 0);
	g_assert_true(d.called);
	g_assert_cmpint(d.status, ==, -ECANCELED);
	test_drain_loop();
	guint played = f->eb.pkts->len;
	assert_continuous(f->eb.pkts, 0, played, 160);
	uint16_t pa = sip_leg_local_port(f->a);
	for (uint16_t s = 0; s < 5; s++)
		test_ep_send_rtp(&f->ea, pa, 0, (uint16_t)(9000 + s), 5000u + 160u * s, 0x5151, 160,
				 0x33);
	g_assert_true(test_ep_wait(&f->eb, played + 5));
	GArray *r = f->eb.pkts;
	assert_continuous(r, 0, r->len, 0);
	const test_pkt *last_played = &g_array_index(r, test_pkt, played - 1);
	const test_pkt *first_relayed = &g_array_index(r, test_pkt, played);
	g_assert_cmpint((int32_t)(first_relayed->ts - last_played->ts), >, 0);
	g_assert_cmpuint(first_relayed->payload[0], ==, 0x33);
	g_assert_cmpint(d.calls, ==, 1);
	g_free(wav);
}

static void test_stop_and_errors(fixture *f, gconstpointer data)
{
	(void)data;
	char *wav = write_wav("long.wav", 5000, 0.5);
	done_rec d = {0}, d2 = {0};
	g_assert_cmpint(sip_leg_play(f->b, wav, false, on_done, &d), ==, 0);
	g_assert_true(test_ep_wait(&f->eb, 2));
	/* a new play replaces the old one */
	g_assert_cmpint(sip_leg_play(f->b, wav, false, on_done, &d2), ==, 0);
	g_assert_cmpint(d.status, ==, -ECANCELED);
	guint before = f->eb.pkts->len;
	g_assert_true(test_ep_wait(&f->eb, before + 2));
	sip_leg_stop(f->b);
	g_assert_true(d2.called);
	g_assert_cmpint(d2.status, ==, -ECANCELED);
	assert_continuous(f->eb.pkts, 0, f->eb.pkts->len, 0);
	sip_leg_stop(f->b); /* stopping an idle leg is a no-op */
	g_assert_cmpint(d2.calls, ==, 1);

	/* not a WAV: done reports the failure */
	char *junk = g_build_filename(tmpdir, "junk.wav", NULL);
	g_assert_true(g_file_set_contents(junk, "this is not a wav file at all", -1, NULL));
	done_rec d3 = {0};
	g_assert_cmpint(sip_leg_play(f->b, junk, false, on_done, &d3), ==, 0);
	g_assert_true(test_wait_flag(&d3.called));
	g_assert_cmpint(d3.status, <, 0);
	g_assert_cmpint(d3.status, !=, -ECANCELED);

	/* no remote yet */
	sip_leg *c = NULL;
	g_assert_cmpint(sip_leg_new(f->m, &c), ==, 0);
	g_assert_cmpint(sip_leg_play(c, wav, false, NULL, NULL), ==, -ENOTCONN);
	/* freed while playing: the pipeline goes with it (ASan checks) */
	g_assert_cmpint(sip_leg_set_remote(c, "127.0.0.1", f->ea.port, SIP_CODEC_PCMU, 0), ==, 0);
	done_rec d4 = {0};
	g_assert_cmpint(sip_leg_play(c, wav, true, on_done, &d4), ==, 0);
	sip_leg_free(c);
	g_assert_cmpint(d4.status, ==, -ECANCELED);
	g_free(junk);
	g_free(wav);
}

/* A leg's sockets are plain descriptors; the one udpsink needs is a
 * GSocket over a duplicate, made when a file first plays. Freeing the leg
 * closes both: its ports are free at once, and a late packet to its old
 * port reaches nothing (ASan: no event of the freed leg is left in the
 * relay's epoll set). */
static void test_freed_after_playing(fixture *f, gconstpointer data)
{
	(void)data;
	char *wav = write_wav("free.wav", 2000, 0.5);
	sip_leg *c = NULL;
	g_assert_cmpint(sip_leg_new(f->m, &c), ==, 0);
	uint16_t port = sip_leg_local_port(c);
	g_assert_false(test_port_free(port));
	g_assert_false(test_port_free((uint16_t)(port + 1)));
	g_assert_cmpint(sip_leg_set_remote(c, "127.0.0.1", f->ea.port, SIP_CODEC_PCMU, 0), ==, 0);
	g_assert_cmpint(sip_leg_play(c, wav, false, NULL, NULL), ==, 0);
	g_assert_true(test_ep_wait(&f->ea, 2));
	sip_leg_free(c);
	test_ep_send_rtp(&f->eb, port, 0, 1, 160, 0x77, 160, 0x11);
	test_drain_loop();
	g_assert_true(test_port_free(port));
	g_assert_true(test_port_free((uint16_t)(port + 1)));
	/* the relay still works for the legs left */
	g_assert_cmpint(sip_bridge(f->a, f->b), ==, 0);
	guint before = f->eb.pkts->len;
	test_ep_send_rtp(&f->ea, sip_leg_local_port(f->a), 0, 10, 1600, 0x88, 160, 0x22);
	g_assert_true(test_ep_wait(&f->eb, before + 1));
	g_free(wav);
}

/* A re-INVITE moves the far end while hold audio plays: the audio follows
 * to the new address, the stream continues, done stays with the caller. */
static void test_play_follows_remote(fixture *f, gconstpointer data)
{
	(void)data;
	char *wav = write_wav("short.wav", 100, 0.5);
	done_rec d = {0};
	test_ep ec;
	test_ep_init(&ec);
	g_assert_cmpint(sip_leg_play(f->b, wav, true, on_done, &d), ==, 0);
	g_assert_true(test_ep_wait(&f->eb, 3));
	/* the same address again (a session refresh) changes nothing */
	g_assert_cmpint(sip_leg_set_remote(f->b, "127.0.0.1", f->eb.port, SIP_CODEC_PCMU, 0), ==, 0);
	g_assert_cmpint(sip_leg_set_remote(f->b, "127.0.0.1", ec.port, SIP_CODEC_PCMU, 0), ==, 0);
	g_assert_false(d.called);
	g_assert_true(test_ep_wait(&ec, 3));
	test_drain_loop();
	const test_pkt *last_old = &g_array_index(f->eb.pkts, test_pkt, f->eb.pkts->len - 1);
	const test_pkt *first_new = &g_array_index(ec.pkts, test_pkt, 0);
	g_assert_cmpuint(first_new->ssrc, ==, last_old->ssrc);
	g_assert_cmpuint((uint16_t)(first_new->seq - last_old->seq), ==, 1);
	sip_leg_stop(f->b);
	g_assert_cmpint(d.status, ==, -ECANCELED);
	g_assert_cmpint(d.calls, ==, 1);
	test_ep_clear(&ec);
	g_free(wav);
}

/* Different codecs: a PCMU far end bridged to a PCMA one through a
 * transcoding pipeline, both ways. */
static void test_transcode(fixture *f, gconstpointer data)
{
	(void)data;
	g_assert_cmpint(sip_leg_set_remote(f->b, "127.0.0.1", f->eb.port, SIP_CODEC_PCMA, 8), ==, 0);
	g_assert_cmpint(sip_bridge(f->a, f->b), ==, 0);
	uint16_t pa = sip_leg_local_port(f->a), pb = sip_leg_local_port(f->b);
	for (uint16_t s = 0; s < 20; s++) {
		/* µ-law 0x00 / A-law 0x2a: loud samples, not silence */
		test_ep_send_rtp(&f->ea, pa, 0, s, 160u * s, 0x1111, 160, 0x00);
		test_ep_send_rtp(&f->eb, pb, 8, s, 160u * s, 0x2222, 160, 0x2a);
	}
	g_assert_true(test_ep_wait(&f->eb, 15));
	g_assert_true(test_ep_wait(&f->ea, 15));
	for (guint i = 0; i < f->eb.pkts->len; i++) {
		const test_pkt *p = &g_array_index(f->eb.pkts, test_pkt, i);
		g_assert_cmpuint(p->pt, ==, 8);
		g_assert_cmpuint(count_non_silent(p, 0xd5, 0x55), >, 0);
	}
	for (guint i = 0; i < f->ea.pkts->len; i++)
		g_assert_cmpuint(g_array_index(f->ea.pkts, test_pkt, i).pt, ==, 0);
	assert_continuous(f->eb.pkts, 0, f->eb.pkts->len, 0);
	assert_continuous(f->ea.pkts, 0, f->ea.pkts->len, 0);
	sip_unbridge(f->b);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("sip_media_XXXXXX", NULL);
	g_assert_nonnull(tmpdir);
	g_test_add("/sip_media/play/pcmu", fixture, NULL, setup, test_play_pcmu, teardown);
	g_test_add("/sip_media/play/pcma", fixture, NULL, setup, test_play_pcma, teardown);
	g_test_add("/sip_media/play/opus", fixture, NULL, setup, test_play_opus, teardown);
	g_test_add("/sip_media/play/then_bridge", fixture, NULL, setup, test_play_then_bridge,
		   teardown);
	g_test_add("/sip_media/play/stop_and_errors", fixture, NULL, setup, test_stop_and_errors,
		   teardown);
	g_test_add("/sip_media/play/follows_remote", fixture, NULL, setup, test_play_follows_remote,
		   teardown);
	g_test_add("/sip_media/leg/freed_after_playing", fixture, NULL, setup,
		   test_freed_after_playing, teardown);
	g_test_add("/sip_media/bridge/transcode", fixture, NULL, setup, test_transcode, teardown);
	int rc = g_test_run();
	const char *names[] = {"tone.wav", "short.wav", "long.wav", "junk.wav"};
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		char *p = g_build_filename(tmpdir, names[i], NULL);
		g_unlink(p);
		g_free(p);
	}
	g_rmdir(tmpdir);
	g_free(tmpdir);
	return rc;
}
