/* bench-route (issue 4, item 7): the route rules and the router under load.
 * Shared between the driver (bench_route.c) and its two parts. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
	int evals;          /* (a) calls per variant */
	int decisions;      /* (b) decisions per case */
	int seconds;        /* time budget of each phase, at most 60 */
	const char *dir;    /* where the rule files and the database go */
	bool keep;          /* leave the database behind (to inspect it) */
} bench_route_opts;

/* Both clocks at once: wall (CLOCK_MONOTONIC) and this thread's CPU
 * (CLOCK_THREAD_CPUTIME_ID), in nanoseconds. */
typedef struct {
	int64_t wall_ns;
	int64_t cpu_ns;
} bench_clock;

bench_clock bench_clock_now(void);
/* b - a, per field. */
bench_clock bench_clock_since(bench_clock a, bench_clock b);
/* A fresh directory under parent (g_free the result), or NULL with a
 * message on stderr. */
char *bench_route_mkdtemp(const char *parent);
/* Removes dir and the files in it (one level: all we create). */
void bench_route_rmdir(const char *dir);
/* "PASS" or "MISS". */
const char *bench_verdict(bool pass);

/* (a) rule evaluations: 0, or -errno when it could not run. */
int bench_route_evals(const bench_route_opts *o);
/* (b) assignment decision latency: 0, or -errno when it could not run. */
int bench_route_decisions(const bench_route_opts *o);
