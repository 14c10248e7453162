/* bench-sip: concurrent bridged G.711 calls through the SIP plugin's media
 * relay, beside a plain GStreamer udpsrc ! udpsink relay (the peer).
 * See tests/bench/README.md, "sip", and bench_sip.h.
 *
 * For each number of calls N (--calls, ramped): 2N endpoints (this
 * process) send 20 ms PCMU packets through N bridged leg pairs of the relay
 * under test (a process of its own); the receiving endpoints count loss
 * from the RTP sequence numbers; the relay's CPU (/proc/PID/stat, every
 * thread) over the measured phase ÷ packets delivered is its cost per
 * packet. Each relay gets a warm-up first (--warmup), not counted. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_chat.h" /* bench_raise_nofile */
#include "bench_procs.h"
#include "bench_sip.h"

typedef struct {
	bench_load_figures f;
	double cpu_s;
	char relay_stats[160];
	bool ok;
} run_result;

static gchar *opt_calls = NULL;
static double opt_seconds = 10, opt_warmup = 2;
static gboolean opt_no_peer = FALSE;
static gint opt_port_min = 40000, opt_port_max = 49999;

static const GOptionEntry options[] = {
	{"calls", 0, 0, G_OPTION_ARG_STRING, &opt_calls,
	 "numbers of concurrent calls to ramp through (100,200,400,600,800)", "N,N,..."},
	{"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_seconds, "measured seconds per step (10, <= 60)",
	 "S"},
	{"warmup", 0, 0, G_OPTION_ARG_DOUBLE, &opt_warmup, "unmeasured seconds before (2)", "S"},
	{"no-peer", 0, 0, G_OPTION_ARG_NONE, &opt_no_peer, "skip the GStreamer peer", NULL},
	{"port-min", 0, 0, G_OPTION_ARG_INT, &opt_port_min, "relay port range start (40000)", "P"},
	{"port-max", 0, 0, G_OPTION_ARG_INT, &opt_port_max, "relay port range end (49999)", "P"},
	{NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* Starts the relay process, gives it the endpoints, points the endpoints
 * at its ports, runs the warm-up and the measured phase. */
static void measure(bench_load *load, int calls, const char *role_arg, run_result *res)
{
	memset(res, 0, sizeof *res);
	GError *err = NULL;
	char pmin[16], pmax[16];
	snprintf(pmin, sizeof pmin, "%d", opt_port_min);
	snprintf(pmax, sizeof pmax, "%d", opt_port_max);
	char *argv[] = {(char *)role_arg, "--port-min", pmin, "--port-max", pmax, NULL};
	bench_proc *p = bench_proc_load(role_arg + 7, argv, &err);
	if (!p) {
		fprintf(stderr, "%s: %s\n", role_arg, err->message);
		g_clear_error(&err);
		return;
	}
	GString *cmd = g_string_new(NULL);
	g_string_printf(cmd, "pairs %d", calls);
	for (int i = 0; i < 2 * calls; i++)
		g_string_append_printf(cmd, " %u", bench_load_port(load, i));
	bench_proc_send(p, cmd->str);
	g_string_free(cmd, TRUE);
	char *legs = bench_proc_expect(p, "legs", 60000);
	if (!legs) {
		fprintf(stderr, "%s: no legs (port range too small? --port-min/--port-max)\n",
			role_arg);
		goto out;
	}
	char **tok = g_strsplit(legs, " ", -1);
	int k = 0;
	for (; k < 2 * calls && tok[k + 1]; k++)
		bench_load_set_target(load, k, (uint16_t)atoi(tok[k + 1]));
	g_strfreev(tok);
	g_free(legs);
	if (k != 2 * calls)
		goto out;
	bench_load_figures warm;
	bench_load_run(load, opt_warmup, 200, &warm);
	double cpu0 = bench_proc_cpu(p->pid);
	bench_load_run(load, opt_seconds, 300, &res->f);
	double cpu1 = bench_proc_cpu(p->pid);
	res->cpu_s = cpu1 - cpu0;
	if (strcmp(role_arg, "--role=relay") == 0) {
		bench_proc_send(p, "stats");
		char *st = bench_proc_expect(p, "stats", 10000);
		if (st)
			g_strlcpy(res->relay_stats, st + 6, sizeof res->relay_stats);
		g_free(st);
	}
	res->ok = cpu0 >= 0 && cpu1 >= 0;
out:
	bench_proc_stop(p, SIGTERM, 10000);
}

static double loss_pct(const bench_load_figures *f)
{
	uint64_t expected = f->received + f->lost;
	return expected ? 100.0 * (double)f->lost / (double)expected : 0;
}

static double missing_pct(const bench_load_figures *f)
{
	return f->sent ? 100.0 * (double)(f->sent - MIN(f->sent, f->received)) / (double)f->sent
		       : 0;
}

static double us_per_pkt(const run_result *r)
{
	return r->f.received ? r->cpu_s * 1e6 / (double)r->f.received : 0;
}

static void print_row(const char *name, int calls, const run_result *r)
{
	if (!r->ok) {
		printf("%6d  %-5s  failed\n", calls, name);
		return;
	}
	printf("%6d  %-5s  %8.0f pkt/s  loss %6.3f %%  missing %6.3f %%  CPU %6.2f us/pkt  "
	       "%5.1f %% of a core\n",
	       calls, name, (double)r->f.received / opt_seconds, loss_pct(&r->f),
	       missing_pct(&r->f), us_per_pkt(r), 100.0 * r->cpu_s / opt_seconds);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--role=relay") == 0)
		return bench_role_relay(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "--role=gst") == 0)
		return bench_role_gst(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "--role=endpoints") == 0)
		return bench_role_endpoints(argc - 1, argv + 1);

	GError *err = NULL;
	GOptionContext *ctx = g_option_context_new("- SIP media relay benchmark");
	g_option_context_add_main_entries(ctx, options, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "%s\n", err->message);
		return 2;
	}
	g_option_context_free(ctx);
	if (opt_seconds <= 0 || opt_seconds > 60 || opt_warmup < 0 || opt_warmup > 60 ||
	    opt_port_min < 1024 || opt_port_max > 65535 || opt_port_max <= opt_port_min) {
		fprintf(stderr, "bad --seconds, --warmup or port range\n");
		return 2;
	}
	char **steps = g_strsplit(opt_calls ? opt_calls : "100,200,400,600,800", ",", -1);
	bench_raise_nofile(1 << 16);
	printf("bench-sip: bridged PCMU calls, 20 ms packets both ways, %.0f s per step\n",
	       opt_seconds);
	printf("  loss: sequence gaps at the receiving endpoints; missing: sent - received\n"
	       "  CPU: the relay process (all threads) per packet delivered\n");
	int worst_ok_calls = 0;
	for (int s = 0; steps[s]; s++) {
		int calls = atoi(steps[s]);
		if (calls <= 0 || calls > 2000 || 4 * calls > opt_port_max - opt_port_min + 1) {
			fprintf(stderr, "skipping %s calls: 1..2000 and 4 ports each\n", steps[s]);
			continue;
		}
		bench_load *load = bench_load_new(calls, &err);
		if (!load) {
			fprintf(stderr, "load: %s\n", err->message);
			g_clear_error(&err);
			break;
		}
		run_result ours, peer = {0};
		measure(load, calls, "--role=relay", &ours);
		print_row("ours", calls, &ours);
		if (ours.ok)
			printf("        relay counters: %s\n", ours.relay_stats);
		if (!opt_no_peer) {
			measure(load, calls, "--role=gst", &peer);
			print_row("gst", calls, &peer);
			if (ours.ok && peer.ok && us_per_pkt(&peer) > 0)
				printf("        ours / gst CPU per packet: %.2f\n",
				       us_per_pkt(&ours) / us_per_pkt(&peer));
		}
		if (ours.ok && loss_pct(&ours.f) < 0.5 && missing_pct(&ours.f) < 0.5)
			worst_ok_calls = MAX(worst_ok_calls, calls);
		bench_load_free(load);
		fflush(stdout);
	}
	printf("most calls with < 0.5 %% loss: %d (goal >= 400): %s\n", worst_ok_calls,
	       worst_ok_calls >= 400 ? "PASS" : "MISS");
	g_strfreev(steps);
	g_free(opt_calls);
	return 0;
}
