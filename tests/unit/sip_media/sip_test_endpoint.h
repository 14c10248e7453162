/* A fake far end for the media tests and the benchmark's sanity checks: a
 * UDP socket on 127.0.0.1 watched on the default main context, recording
 * every RTP packet it receives. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sip_media.h"

typedef struct {
	uint8_t pt, marker;
	uint16_t seq;
	uint32_t ts, ssrc;
	uint8_t payload[1500];
	size_t payload_len;
} test_pkt;

typedef struct {
	int fd;
	uint16_t port;
	guint watch;
	GArray *pkts; /* test_pkt */
} test_ep;

void test_ep_init(test_ep *ep);
void test_ep_clear(test_ep *ep);
/* Sends one datagram to 127.0.0.1:port. */
void test_ep_send_raw(test_ep *ep, uint16_t port, const uint8_t *buf, size_t len);
void test_ep_send_rtp(test_ep *ep, uint16_t port, uint8_t pt, uint16_t seq, uint32_t ts,
		      uint32_t ssrc, size_t payload_len, uint8_t fill);
/* Runs the default main context until ep holds n packets; false when 10 s
 * of real time pass first (a safety net against a hang, not a measure). */
bool test_ep_wait(test_ep *ep, guint n);
/* Runs the default main context until pred(arg) holds (same safety net). */
bool test_run_until(bool (*pred)(const void *arg), const void *arg);
/* Runs the default main context until *flag is set (same safety net). */
bool test_wait_flag(const bool *flag);
/* Runs pending events of the default main context without blocking. */
void test_drain_loop(void);
/* Whether 127.0.0.1:port can be bound now (nothing of ours holds it). */
bool test_port_free(uint16_t port);

/* The fixture of the leg tests: a media engine on 127.0.0.1 with the port
 * range [port_min, port_max], two legs a and b, and their fake far ends ea
 * and eb, each leg sending PCMU to its far end. Opening asserts success. */
typedef struct {
	sip_media *m;
	sip_leg *a, *b;
	test_ep ea, eb;
} test_pair;
void test_pair_open(test_pair *f, uint16_t port_min, uint16_t port_max);
/* Frees the engine (and the legs still open), the far ends, and runs what
 * their teardown left pending on the loop. */
void test_pair_close(test_pair *f);
