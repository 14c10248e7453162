/* The media engine's private state, shared by its files:
 *   sip_media.c     the engine, legs, counters;
 *   sip_ports.c     the port range and the pool of bound pairs;
 *   sip_relay.c     the loop-side relay (recvmmsg/sendmmsg, rewriting);
 *   sip_pipeline.c  GStreamer: playing a WAV, transcoding a bridge.
 * Loop thread only, except the fields of sip_pipe marked otherwise.
 */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sip_media.h"
#include "sip_rtp.h"

#define TSUNAGU_LOG_TOPIC "sip.media"

/* What feeds the packets a leg sends to its far end. */
typedef enum {
	SIP_OUT_NONE,      /* nothing: idle */
	SIP_OUT_PLAYER,    /* a pipeline playing a file */
	SIP_OUT_RELAY,     /* the peer's packets, relayed by the loop */
	SIP_OUT_TRANSCODE, /* a pipeline transcoding the peer's packets */
} sip_out_kind;

/* The state of the one stream a leg sends, whoever produces it: each
 * producer continues from here so the far end sees one SSRC with no jump. */
typedef struct {
	uint32_t ssrc;
	uint16_t seq;          /* last sent */
	uint32_t ts;           /* last sent */
	int64_t sent_us;       /* monotonic time of the last one sent, 0 = none yet */
} sip_out_state;

/* A GStreamer pipeline that sends into a leg's socket (player or one
 * direction of a transcoding bridge). The pad probe on the payloader runs
 * on a streaming thread and writes only sent_count and ring; the loop reads
 * ring after the pipeline is in NULL (its threads joined). */
#define SIP_PIPE_RING 64 /* > packets ever queued between payloader and socket */
typedef struct sip_pipe {
	GstElement *pipeline;
	GstElement *appsrc;    /* transcode: where the loop pushes the peer's packets */
	GstElement *sink;      /* the udpsink */
	guint bus_watch;
	sip_leg *leg;          /* the leg it sends into (not owned) */
	sip_leg_done_fn done;
	void *user_data;
	char *path;            /* player: the file */
	bool loop;
	bool seeked;           /* looping: the first segment seek is done */
	bool stopped;          /* sip_pipe_stop ran: its figures are in the leg */
	/* written by the streaming thread */
	uint16_t next_seq;     /* the number of the next packet payloaded */
	gint sent_count;       /* atomic: packets payloaded so far */
	gint flushed;          /* payloaded but dropped by a flush (the
				* looping player's first seek) */
	char host[INET6_ADDRSTRLEN]; /* the udpsink's client, fixed at build */
	uint16_t port;
	struct {
		uint16_t seq;
		uint32_t ts;
		int64_t us;
	} ring[SIP_PIPE_RING]; /* packet i at ring[i % SIP_PIPE_RING] */
} sip_pipe;

/* A bound RTP/RTCP pair of ports (sip_ports.c). Both sockets stay in
 * m->epfd, the pair (its low bit set for RTCP) as the event's data, from
 * bind to close, through any number of legs. */
typedef struct sip_port_pair {
	int rtp_fd, rtcp_fd;   /* owned; plain sockets (a GSocket each cost a
				* GObject construction per socket, 4 a call) */
	uint16_t port;         /* RTP; RTCP is port + 1 */
	sip_leg *leg;          /* the leg using it; NULL while pooled */
	int64_t pooled_us;     /* pooled: quiet since (m->now_us clock) */
	unsigned pooled_rx;    /* datagrams received while pooled */
	bool stray;            /* still receiving a stream: out of the epoll set,
				* closed when it reaches the pool's head */
	GList link;            /* in m->pool */
} sip_port_pair;

struct sip_leg {
	sip_media *m;
	sip_port_pair *pair;   /* owned while the leg lives */
	int rtp_fd, rtcp_fd;   /* the pair's, copied for the packet path */
	GSocket *rtp_sock;     /* made on the first pipeline (sip_leg_rtp_socket),
				* over a dup of rtp_fd; udpsink borrows it */
	uint16_t port;         /* RTP; RTCP is port + 1 */

	bool has_remote;
	struct sockaddr_storage remote;
	socklen_t remote_len;
	char remote_ip[INET6_ADDRSTRLEN];
	uint16_t remote_port;
	sip_codec codec;
	int payload_type;

	sip_leg *peer;         /* bridged to, or NULL */
	sip_out_kind out_kind;
	sip_out_state out;
	/* SIP_OUT_RELAY: how the peer's source maps onto out; valid false
	 * until the first packet after a switch or an SSRC change. */
	struct {
		bool valid;
		uint32_t src_ssrc;
		uint16_t seq_delta;
		uint32_t ts_delta;
	} map;
	sip_pipe *pipe;        /* SIP_OUT_PLAYER / SIP_OUT_TRANSCODE */

	sip_rtp_rx rx;
	sip_leg_stats stats;
	uint64_t tx_dropped;   /* sendmmsg refused (full buffer, ICMP error) */
	GList link;            /* in m->legs */
};

struct sip_media {
	tsunagu_host *host;
	const tsunagu_host_api *api;
	char *bind_ip;
	struct sockaddr_storage bind_sa; /* bind_ip, port 0: the template of every bind
					  * (its family is the one remote addresses need) */
	socklen_t bind_len;
	uint16_t port_min, port_max;
	uint16_t next_port;    /* where the next search starts (even) */
	GQueue legs;
	int epfd;              /* every pair's sockets (sip_relay.c) */
	guint watch;           /* the epoll fd's source on the loop */
	GQueue pool;           /* sip_port_pair* freed, oldest (quiet longest) first */
	int64_t (*now_us)(void *ud); /* the pool's clock (tests set theirs) */
	void *now_ud;
};

/* Logs through the host when there is one (tests pass none). */
void sip_media_log(sip_media *m, int level, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Real time, whatever clock the host's timers use: RTP timestamps follow
 * the audio, which follows the wall. */
int64_t sip_media_now_us(void);
unsigned sip_codec_clock_rate(sip_codec codec);
/* The sequence number and timestamp the next packet of the leg's outgoing
 * stream carries when a new producer takes over at now: one after the last
 * sent, the timestamp advanced by the time since. */
void sip_out_next(const sip_leg *leg, int64_t now, uint16_t *seq, uint32_t *ts);

/* The leg's RTP socket as a GSocket for udpsink (made once, kept with the
 * leg); NULL when it cannot be made. Borrowed. */
GSocket *sip_leg_rtp_socket(sip_leg *leg);

/* sip_ports.c: the port range and the pool of bound pairs. */
/* How long nothing must have reached a pooled pair before a new leg takes
 * it: in-flight packets of the ended call and a far end that missed the
 * BYE show up well within it (RTP every 20 ms, RTCP every 5 s at most
 * shortened to a quiet check of the RTP socket). */
#define SIP_PORTS_QUARANTINE_US (4 * G_USEC_PER_SEC)
/* Pairs kept bound at most (two descriptors each): beyond, a freed pair is
 * closed as before. */
#define SIP_PORTS_POOL_MAX 1024
/* A pair for a new leg: from the pool when its head has been quiet for
 * SIP_PORTS_QUARANTINE_US, else bound round the range; when the range has
 * no free pair, the pool's oldest. -EADDRINUSE none at all. */
int sip_ports_take(sip_media *m, sip_port_pair **out);
/* The pair of a freed leg: pooled when reusable (no descriptor of it was
 * duplicated: a pipeline's udpsink may have set options on the socket) and
 * the pool has room, else closed. */
void sip_ports_give(sip_media *m, sip_port_pair *pair, bool reusable);
/* Closes every pooled pair (the engine's end). */
void sip_ports_close_pool(sip_media *m);
/* A datagram came to a pooled pair (sip_relay.c, after draining it): its
 * quarantine starts again. Inside the epoll batch: closes nothing. */
void sip_ports_pooled_rx(sip_media *m, sip_port_pair *pair, unsigned datagrams);

/* Reads and drops up to max datagrams waiting on fd (a pooled pair's, an
 * RTCP socket's: nothing is relayed from them); the number read. */
unsigned sip_ports_discard(int fd, unsigned max);

/* sip_relay.c */
int sip_relay_open(sip_media *m);
void sip_relay_close(sip_media *m);
/* Both sockets of a new pair into the epoll set. */
int sip_relay_watch(sip_media *m, sip_port_pair *pair);
/* Out of the epoll set (a pair whose descriptor is shared, or a stray). */
void sip_relay_unwatch(sip_media *m, sip_port_pair *pair);

/* sip_pipeline.c */
int sip_pipe_new_player(sip_leg *leg, const char *path, bool loop, sip_leg_done_fn done,
			void *user_data, sip_pipe **out);
int sip_pipe_new_transcoder(sip_leg *from, sip_leg *to, sip_pipe **out);
/* Pushes one RTP packet received on the peer into a transcoder (copied). */
void sip_pipe_push(sip_pipe *p, const uint8_t *buf, size_t len);
/* Stops the pipeline and folds what it sent into its leg's out state;
 * does not call done. */
void sip_pipe_stop(sip_pipe *p);
void sip_pipe_free(sip_pipe *p);
