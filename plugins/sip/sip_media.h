/* The SIP plugin's media: RTP legs anchored in tsunagud (DESIGN.md, Media).
 *
 * Implemented in plugins/sip/media/ (static library sip_media, dependency
 * sip_media_dep; docs/sip-media.md). Signatures unchanged since the
 * committed interface; the notes below (THREADS, done, errors, counters)
 * say what the implementation does.
 *
 * Every call leg (the caller's trunk side, an operator's phone) is one
 * sip_leg: a pair of UDP sockets (RTP on an even port, RTCP on the next)
 * bound to the plugin's media address, taken from the configured port
 * range. Nothing ever flows directly between two endpoints.
 *
 * A leg is in one of three modes at a time:
 *   idle     packets received are dropped (and counted);
 *   playing  a GStreamer pipeline plays a normalized WAV file (guidance,
 *            hold audio) encoded to the leg's codec into the leg's socket
 *            (sip_leg_play);
 *   bridged  to one other leg (sip_bridge): when both legs have the same
 *            codec, packets are relayed by the loop with batched syscalls
 *            (recvmmsg/sendmmsg), rewriting SSRC/sequence/timestamp so each
 *            endpoint sees one continuous stream; with different codecs a
 *            GStreamer pipeline transcodes (one per direction).
 * Switching modes never tears the socket down, so the far end keeps
 * sending to the same address and hears no gap beyond a packet: whatever
 * feeds a leg (player, relay, transcoder) continues its one outgoing
 * stream (same SSRC, next sequence number, timestamp advanced by the time
 * elapsed), the first packet after a switch carrying the marker bit.
 * RTCP is received and dropped (each leg is its own RTP session). Packets
 * are accepted from any source address (phones behind NAT send from
 * elsewhere than their SDP says) and sent to the SDP's address.
 *
 * THREADS. Every function here: the loop thread only (the default GLib
 * main context, the core's loop: one epoll source for all legs, one bus
 * watch per pipeline). GStreamer streaming threads never touch a leg; they
 * touch only their own pipeline's counters, read after it stops.
 * Callbacks run on the loop thread.
 *
 * ERRORS. 0 or a negative errno; -EADDRINUSE when the port range is
 * exhausted, -EINVAL bad argument, -ENOTSUP a codec not handled (or a
 * GStreamer element missing), -EAFNOSUPPORT a remote address of the other
 * IP family than the media address, -ENOTCONN playing before
 * sip_leg_set_remote, -ENOENT no such file, -EBUSY see sip_bridge.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <tsunagu/plugin.h>

typedef struct sip_media sip_media;
typedef struct sip_leg sip_leg;

/* Codecs the plugin offers and accepts (payload types of RFC 3551 for
 * G.711; Opus is dynamic, its number comes from the SDP). */
typedef enum {
	SIP_CODEC_PCMU = 0, /* G.711 µ-law, 8 kHz */
	SIP_CODEC_PCMA = 8, /* G.711 A-law, 8 kHz */
	SIP_CODEC_OPUS = 111, /* Opus 48 kHz (the payload type is per leg) */
} sip_codec;

/* The media address, the port range and the host handles for logging
 * (host and api may be NULL: GLib's log, for tests and the benchmark).
 * bind_ip borrowed; the range [port_min, port_max] must hold at least one
 * even/odd pair. Initializes GStreamer if nothing has. */
int sip_media_new(tsunagu_host *host, const tsunagu_host_api *api, const char *bind_ip,
		  uint16_t port_min, uint16_t port_max, sip_media **out);
/* Frees every leg still open (stops their pipelines). */
void sip_media_free(sip_media *m);

/* The clock the port pool's quarantine reads (monotonic µs; NULL: GLib's
 * monotonic clock, the default). For tests. */
void sip_media_set_clock(sip_media *m, int64_t (*now_us)(void *ud), void *ud);

/* Opens a leg (two sockets: RTP on an even port, RTCP on the next). The
 * local address for the SDP comes from sip_leg_local_ip/port. A freed
 * leg's pair stays bound in a pool and goes to a new leg once nothing has
 * reached it for 4 s (docs/sip-media.md, "Ports"); otherwise ports are
 * bound round the range from where the last pair was bound, so a port just
 * closed is the last bound again; ports another program holds are skipped.
 * Until sip_leg_set_remote the codec is PCMU and nothing is sent. */
int sip_leg_new(sip_media *m, sip_leg **out);
const char *sip_leg_local_ip(const sip_leg *leg);
uint16_t sip_leg_local_port(const sip_leg *leg);
/* Where to send (from the far end's SDP) and in which codec; payload_type is
 * the number the far end uses (Opus: its dynamic number). May be called
 * again (re-INVITE, hold) at any time: the same values change nothing; a
 * new address or codec rebuilds the bridge (relay or transcoder) or
 * restarts the file playing towards the new address (its done callback
 * stays). ip borrowed. */
int sip_leg_set_remote(sip_leg *leg, const char *ip, uint16_t port, sip_codec codec,
		       int payload_type);
/* Frees the leg, its sockets pooled or closed; unbridges and stops playing
 * first (a playing leg's done runs with -ECANCELED before it is freed). */
void sip_leg_free(sip_leg *leg);

/* Plays a WAV file (mono 48 kHz S16LE, as guidance_path() gives; other WAVs
 * are converted) into the leg, encoded to its codec (20 ms packets) and
 * paced in real time, sent from the leg's own socket; loop: start again at
 * the end, without a gap in timestamps, until stopped. done (may be NULL)
 * runs once on the loop thread when it ends: status 0 at the end of the
 * file (never with loop), -ECANCELED stopped or replaced, another errno on
 * failure (-EINVAL not a WAV it can decode, -EIO). With 0 or a failure
 * done runs from the loop and may do anything with the leg (free it, play
 * the next file); with -ECANCELED it runs inside the call that stopped the
 * file (sip_leg_stop, sip_leg_play, sip_bridge, sip_leg_free) and must only
 * release user_data. A leg in a bridge is unbridged first. path borrowed. */
typedef void (*sip_leg_done_fn)(sip_leg *leg, int status, void *user_data);
int sip_leg_play(sip_leg *leg, const char *path, bool loop, sip_leg_done_fn done,
		 void *user_data);
void sip_leg_stop(sip_leg *leg);

/* Connects two legs both ways (each stops playing first). Same codec: the
 * loop relays; different codecs: a transcoding pipeline per direction.
 * Bridging two legs already bridged together is a no-op. -EBUSY when one
 * is already bridged to another leg, -EINVAL a == b or legs of two
 * engines. */
int sip_bridge(sip_leg *a, sip_leg *b);
void sip_unbridge(sip_leg *leg);

/* Counters since the leg was opened, for tests and the benchmark.
 * rx_packets: valid RTP received from the far end (forwarded or not);
 * tx_packets: sent to the far end (relayed, played or transcoded). */
typedef struct {
	uint64_t rx_packets, tx_packets;
	uint64_t rx_dropped;   /* malformed, or valid but not forwarded: received
				* while idle or playing, or a peer with no remote */
	uint64_t rx_lost;      /* gaps in the far end's RTP sequence numbers
				* (RFC 3550 A.1: expected - received; late
				* packets make up for it) */
} sip_leg_stats;
void sip_leg_get_stats(const sip_leg *leg, sip_leg_stats *out);
