/* bench-route (issue 4, item 7):
 *   (a) route rule evaluations per second through the real rules host,
 *       beside a bare lua_pcall of the same function (route_evals.c);
 *   (b) the latency of one assignment decision of the real router with
 *       1,000 operators online and 10,000 conversations waiting, on a real
 *       store with synchronous=FULL (route_decisions.c).
 * Prints the figures with the goals (>= 1,000,000 evaluations/s per core,
 * per-evaluation overhead <= 1.5x the bare call, decision p99 <= 1 ms) as
 * PASS/MISS. Figures only: it exits 0 whatever they are, and non-zero only
 * when it could not run. Bounded: counts are capped and each phase stops
 * after --seconds (at most 60). */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench_route.h"
#include "log.h"

#define MAX_EVALS 20000000
#define MAX_DECISIONS 1000000

bench_clock bench_clock_now(void)
{
	struct timespec w, c;

	clock_gettime(CLOCK_MONOTONIC, &w);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c);
	return (bench_clock){ .wall_ns = (int64_t)w.tv_sec * 1000000000 + w.tv_nsec,
			      .cpu_ns = (int64_t)c.tv_sec * 1000000000 + c.tv_nsec };
}

bench_clock bench_clock_since(bench_clock a, bench_clock b)
{
	return (bench_clock){ .wall_ns = b.wall_ns - a.wall_ns, .cpu_ns = b.cpu_ns - a.cpu_ns };
}

char *bench_route_mkdtemp(const char *parent)
{
	char *tmpl = g_build_filename(parent, "tsunagu-bench-route-XXXXXX", NULL);

	if (!g_mkdtemp(tmpl)) {
		fprintf(stderr, "bench-route: cannot create a directory in %s: %s\n", parent,
			g_strerror(errno));
		g_free(tmpl);
		return NULL;
	}
	return tmpl;
}

void bench_route_rmdir(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *path = g_build_filename(dir, name, NULL);
		g_unlink(path);
		g_free(path);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
}

const char *bench_verdict(bool pass)
{
	return pass ? "PASS" : "MISS";
}

int main(int argc, char **argv)
{
	bench_route_opts o = { .evals = 400000, .decisions = 20000, .seconds = 20 };
	char *dir = NULL;
	gboolean only_evals = FALSE, only_decisions = FALSE, keep = FALSE;
	GOptionEntry entries[] = {
		{ "evals", 'n', 0, G_OPTION_ARG_INT, &o.evals,
		  "(a) calls per variant (default 400000)", "N" },
		{ "decisions", 'd', 0, G_OPTION_ARG_INT, &o.decisions,
		  "(b) decisions per case (default 20000)", "N" },
		{ "seconds", 's', 0, G_OPTION_ARG_INT, &o.seconds,
		  "time budget of each phase, 1..60 (default 20)", "S" },
		{ "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir,
		  "where the rule files and the database go (default $TMPDIR); use a real disk",
		  "DIR" },
		{ "keep", 0, 0, G_OPTION_ARG_NONE, &keep,
		  "leave (b)'s database in DIR (its path is printed)", NULL },
		{ "evals-only", 0, 0, G_OPTION_ARG_NONE, &only_evals, "run (a) only", NULL },
		{ "decisions-only", 0, 0, G_OPTION_ARG_NONE, &only_decisions, "run (b) only",
		  NULL },
		{ NULL },
	};
	GOptionContext *oc = g_option_context_new("- route rules and router benchmark");
	GError *err = NULL;
	int ret = 0;

	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &err)) {
		fprintf(stderr, "bench-route: %s\n", err->message);
		g_error_free(err);
		g_option_context_free(oc);
		return 2;
	}
	g_option_context_free(oc);
	if (o.evals < 1 || o.evals > MAX_EVALS || o.decisions < 1 ||
	    o.decisions > MAX_DECISIONS || o.seconds < 1 || o.seconds > 60 ||
	    (only_evals && only_decisions)) {
		fprintf(stderr, "bench-route: --evals must be 1..%d, --decisions 1..%d, "
			"--seconds 1..60, and at most one of the --*-only options\n", MAX_EVALS,
			MAX_DECISIONS);
		g_free(dir);
		return 2;
	}
	o.dir = dir ? dir : g_get_tmp_dir();
	o.keep = keep;
	tsunagu_log_set_level(TSUNAGU_LOG_WARN);

	printf("bench-route: --evals %d --decisions %d --seconds %d --dir %s\n", o.evals,
	       o.decisions, o.seconds, o.dir);
	fflush(stdout);
	if (!only_decisions)
		ret = bench_route_evals(&o);
	fflush(stdout);
	if (ret == 0 && !only_evals)
		ret = bench_route_decisions(&o);
	g_free(dir);
	if (ret < 0)
		fprintf(stderr, "bench-route: could not run: %s\n", g_strerror(-ret));
	return ret < 0 ? 1 : 0;
}
