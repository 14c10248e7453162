/* bench-sip: the SIP plugin's media relay under load (tests/bench/README.md,
 * "sip"). The driver (bench_sip.c) is also the load: fake caller and
 * operator endpoints (sip_load.c); the relays under test run in their own
 * process, this executable with --role=relay (ours, plugins/sip/media) or
 * --role=gst (the peer: one GStreamer udpsrc ! udpsink per direction),
 * both in sip_relays.c, so their CPU is measured apart from the load's. */
#ifndef BENCH_SIP_H
#define BENCH_SIP_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- the load: 2 endpoints per call, 20 ms G.711 packets ---- */
typedef struct bench_load bench_load;

/* Binds 2 * calls UDP sockets on 127.0.0.1; NULL with *err set. */
bench_load *bench_load_new(int calls, GError **err);
void bench_load_free(bench_load *l);
/* The local port of endpoint i (0 .. 2 * calls - 1). */
uint16_t bench_load_port(const bench_load *l, int i);
/* Where endpoint i sends: the relay's port for it. */
void bench_load_set_target(bench_load *l, int i, uint16_t port);

typedef struct {
	uint64_t sent;      /* packets the endpoints sent */
	uint64_t received;  /* packets the endpoints received */
	uint64_t lost;      /* gaps in the sequence numbers received */
	uint64_t send_errors;
	double seconds;     /* wall time of the phase */
} bench_load_figures;

/* Sends every endpoint's 20 ms packets (spread over the 20 ms) for seconds,
 * receiving and counting all the while; then keeps receiving drain_ms
 * more. The counts start at zero for each call. */
void bench_load_run(bench_load *l, double seconds, int drain_ms, bench_load_figures *out);

/* ---- the relay processes (--role=relay, --role=gst) ----
 * stdin: "pairs N P0 P1 ... P(2N-1)" (the endpoints' ports; pair i joins
 * endpoints 2i and 2i+1), then "stats", then "quit".
 * stdout: "legs L0 L1 ..." (where endpoint k sends), "stats ...". */
int bench_role_relay(int argc, char **argv);
int bench_role_gst(int argc, char **argv);

/* --role=endpoints CALLS: the RTP endpoints of the bench-sip-calls driver
 * (protocol in sip_endpoints_role.c). */
int bench_role_endpoints(int argc, char **argv);

#endif
