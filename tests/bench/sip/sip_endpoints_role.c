/* bench-sip --role=endpoints: the RTP endpoints of bench-sip-calls (the
 * calls through a real tsunagud, tests/bench/README.md, "sip calls"). The
 * driver script sets the calls up with SIPp and this process is their
 * audio: the same 20 ms PCMU endpoints and loss count as bench-sip's own
 * load (sip_load.c), spoken to over stdin/stdout, one line each:
 *
 *   out  "ports P0 P1 ... P(2N-1)"   our ports, for the SDP of the calls
 *   in   "targets T0 ... T(2N-1)"    where endpoint k sends (tsunagud's leg)
 *   in   "run WARMUP SECONDS"
 *   out  "measuring"                 after the warm-up
 *   out  "figures SENT RECEIVED LOST SEND_ERRORS SECONDS"
 *   in   "quit" (or end of input)
 *
 * Any other line, or a bad one, is answered "error TEXT" and changes
 * nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_chat.h" /* bench_raise_nofile */
#include "bench_sip.h"

/* Parses "targets ..." into the load; 0 or -EINVAL (nothing set). */
static int set_targets(bench_load *load, int n, const char *line)
{
	int rc = -EINVAL;
	char **tok = g_strsplit(line, " ", -1);
	guint count = g_strv_length(tok);
	if (count != (guint)n + 1)
		goto out;
	for (int k = 0; k < n; k++) {
		char *end = NULL;
		long p = strtol(tok[k + 1], &end, 10);
		if (!end || *end || p < 1 || p > 65535)
			goto out;
	}
	for (int k = 0; k < n; k++)
		bench_load_set_target(load, k, (uint16_t)atoi(tok[k + 1]));
	rc = 0;
out:
	g_strfreev(tok);
	return rc;
}

int bench_role_endpoints(int argc, char **argv)
{
	int calls = argc > 1 ? atoi(argv[1]) : 0;
	int rc = 2;
	bench_load *load = NULL;
	GError *err = NULL;
	char line[1 << 17];
	if (calls <= 0 || calls > 2000) {
		fprintf(stderr, "endpoints: --role=endpoints CALLS (1..2000)\n");
		return 2;
	}
	bench_raise_nofile(1 << 16);
	load = bench_load_new(calls, &err);
	if (!load) {
		fprintf(stderr, "endpoints: %s\n", err->message);
		g_clear_error(&err);
		goto out;
	}
	printf("ports");
	for (int i = 0; i < 2 * calls; i++)
		printf(" %u", bench_load_port(load, i));
	printf("\n");
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		double warm = 0, secs = 0;
		if (strncmp(line, "targets ", 8) == 0) {
			if (set_targets(load, 2 * calls, line) < 0)
				printf("error targets: %d ports expected\n", 2 * calls);
		} else if (sscanf(line, "run %lf %lf", &warm, &secs) == 2 && warm >= 0 &&
			   warm <= 60 && secs > 0 && secs <= 60) {
			bench_load_figures f;
			bench_load_run(load, warm, 200, &f);
			printf("measuring\n");
			fflush(stdout);
			bench_load_run(load, secs, 300, &f);
			printf("figures %llu %llu %llu %llu %.3f\n", (unsigned long long)f.sent,
			       (unsigned long long)f.received, (unsigned long long)f.lost,
			       (unsigned long long)f.send_errors, f.seconds);
		} else if (strcmp(line, "quit") == 0) {
			break;
		} else {
			printf("error unknown or bad command\n");
		}
		fflush(stdout);
	}
	rc = 0;
out:
	bench_load_free(load);
	return rc;
}
