/* bench-route (b): the latency of one assignment decision of the real router
 * (core/domain/router.h) on a real store (an SQLite file, WAL,
 * synchronous=FULL as the server), with 1,000 operators available in 20
 * teams of 50 and 10,000 conversations waiting.
 *
 * place: tsunagu_router_place of a conversation just created, for
 *   all_available with each method and for a team target (a random team of
 *   the 20, longest idle). Operators have capacity 5 and about one chat
 *   open: each placed conversation is closed again outside the timing, so
 *   the load stays the same. The 10,000 waiting conversations wait for a
 *   supervisor (target nobody()): the waiting list is full, and none of them
 *   could go to an available operator (the router would have placed it).
 * offer: every operator is full and the 10,000 conversations wait for
 *   teams 1..19 (random). One of a random operator's chats closes (outside
 *   the timing, without the event, so the router does not react by itself)
 *   and tsunagu_router_offer(operator) is timed: it walks the waiting list
 *   oldest first to the first conversation whose route admits them and
 *   assigns it. A new waiting conversation replaces it (outside the timing).
 *   "offer, nothing waits for them": the same for operators of team 20,
 *   whom no waiting conversation admits: the whole list is walked.
 *
 * Each decision's writes join the store's batch like any loop iteration's;
 * the loop then runs once (outside the timing) and commits it. Latency is
 * wall time of the call (CLOCK_MONOTONIC); the thread's CPU time of the call
 * is shown beside it, as the machine may be shared. */
#include <errno.h>
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_route.h"
#include "core.h"
#include "events.h"
#include "router.h"
#include "store.h"

#define N_OPERATORS 1000
#define N_TEAMS 20
#define N_WAITING 10000
#define CAPACITY 5

typedef struct {
	tsunagu_core core;
	char *dir;
	int64_t staff[N_OPERATORS];   /* operator i is in team i % N_TEAMS */
	int64_t teams[N_TEAMS];
	char *team_names[N_TEAMS];
	GRand *rand;
} fixture;

static void spin(fixture *f)
{
	while (g_main_context_iteration(f->core.context, FALSE))
		;
}

static int must(int ret, const char *what)
{
	if (ret < 0)
		fprintf(stderr, "bench-route: %s: %s\n", what, g_strerror(-ret));
	return ret;
}

static int new_conversation(fixture *f, tsunagu_store_conversation **out)
{
	int64_t contact = 0, id = 0;
	int ret = tsunagu_store_contact_create(f->core.store, NULL, &contact);
	if (ret == 0)
		ret = tsunagu_store_conversation_create(f->core.store, "web", contact, &id);
	if (ret == 0)
		ret = tsunagu_store_conversation_get(f->core.store, id, out);
	return must(ret, "creating a conversation");
}

/* Creates a conversation and places it by target (no timing); *who (may be
 * NULL) gets the assignee, 0 when it waits. */
static int arrive(fixture *f, json_t *target, const char *method, int64_t *who)
{
	tsunagu_store_conversation *conv = NULL;
	int ret = new_conversation(f, &conv);
	if (ret == 0)
		ret = must(tsunagu_router_place(f->core.router, conv, target, method, who),
			   "placing a conversation");
	tsunagu_store_conversation_free(conv);
	return ret;
}

static json_t *team_target(fixture *f, int team)
{
	return json_pack("{s:s, s:s}", "kind", "team", "name", f->team_names[team]);
}

static int setup(fixture *f, const bench_route_opts *o)
{
	tsunagu_store_options so = { .synchronous = "full" };
	int ret;

	f->rand = g_rand_new_with_seed(7);
	f->dir = bench_route_mkdtemp(o->dir);
	if (!f->dir)
		return -EIO;
	char *db = g_build_filename(f->dir, "bench.db", NULL);
	so.path = db;
	f->core.context = g_main_context_default();
	f->core.loop = g_main_loop_new(f->core.context, FALSE);
	f->core.loop_thread = g_thread_self();
	f->core.state = TSUNAGU_CORE_RUNNING;
	ret = must(tsunagu_store_open(&so, &f->core.store), "opening the store");
	g_free(db);
	if (ret == 0)
		ret = must(tsunagu_events_new(f->core.store, &f->core.events), "events");
	if (ret == 0)
		ret = must(tsunagu_router_new(&f->core, &f->core.router), "router");
	for (int t = 0; ret == 0 && t < N_TEAMS; t++) {
		f->team_names[t] = g_strdup_printf("team-%02d", t + 1);
		ret = must(tsunagu_store_team_create(f->core.store, f->team_names[t], &f->teams[t]),
			   "creating a team");
	}
	for (int i = 0; ret == 0 && i < N_OPERATORS; i++) {
		char login[32];
		g_snprintf(login, sizeof login, "op%04d", i + 1);
		ret = tsunagu_store_staff_create(f->core.store, login, login, NULL,
						 TSUNAGU_ROLE_OPERATOR, "x", &f->staff[i]);
		if (ret == 0)
			ret = tsunagu_store_team_add_member(f->core.store, f->teams[i % N_TEAMS],
							    f->staff[i]);
		if (ret == 0)
			ret = tsunagu_store_staff_set_capacity(f->core.store, f->staff[i], CAPACITY);
		if (ret == 0)
			ret = tsunagu_store_staff_set_status(f->core.store, f->staff[i],
							     TSUNAGU_STATUS_AVAILABLE, NULL);
		must(ret, "creating an operator");
	}
	spin(f);
	/* The waiting list: conversations for a supervisor (nobody()). */
	json_t *nobody = json_pack("{s:s}", "kind", "nobody");
	for (int i = 0; ret == 0 && i < N_WAITING; i++) {
		ret = arrive(f, nobody, NULL, NULL);
		if (i % 1000 == 999)
			spin(f);
	}
	json_decref(nobody);
	/* About one chat open each, by the router itself. */
	for (int i = 0; ret == 0 && i < N_OPERATORS; i++) {
		ret = arrive(f, NULL, "round_robin", NULL);
		if (i % 100 == 99)
			spin(f);
	}
	spin(f);
	return ret;
}

static void teardown(fixture *f, bool keep)
{
	tsunagu_store_flush(f->core.store);
	tsunagu_router_free(f->core.router);
	tsunagu_events_free(f->core.events);
	tsunagu_store_close(f->core.store);
	if (f->core.loop)
		g_main_loop_unref(f->core.loop);
	for (int t = 0; t < N_TEAMS; t++)
		g_free(f->team_names[t]);
	if (f->rand)
		g_rand_free(f->rand);
	if (f->dir && keep)
		printf("  (database kept in %s)\n", f->dir);
	else if (f->dir)
		bench_route_rmdir(f->dir);
	g_free(f->dir);
}

/* ---- statistics ---------------------------------------------------------------- */

typedef struct {
	GArray *wall, *cpu; /* int64_t ns per decision */
	int assigned, waited;
} samples;

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct_ms(GArray *a, double p)
{
	if (a->len == 0)
		return 0;
	guint i = (guint)(p * (a->len - 1) + 0.5);
	return g_array_index(a, int64_t, i) / 1e6;
}

static void report(const char *label, samples *s, bool *all_pass)
{
	qsort(s->wall->data, s->wall->len, sizeof(int64_t), cmp_i64);
	qsort(s->cpu->data, s->cpu->len, sizeof(int64_t), cmp_i64);
	double p99 = pct_ms(s->wall, 0.99);
	printf("  %-36s %6u  p50 %6.3f  p99 %6.3f  max %7.3f ms  (cpu p50 %6.3f p99 %6.3f)"
	       "  %s\n", label, s->wall->len, pct_ms(s->wall, 0.5), p99, pct_ms(s->wall, 1.0),
	       pct_ms(s->cpu, 0.5), pct_ms(s->cpu, 0.99), bench_verdict(p99 <= 1.0));
	if (s->waited)
		printf("  %-36s (%d of them assigned nobody)\n", "", s->waited);
	*all_pass = *all_pass && p99 <= 1.0;
	g_array_unref(s->wall);
	g_array_unref(s->cpu);
}

static samples samples_new(void)
{
	return (samples){ .wall = g_array_new(FALSE, FALSE, sizeof(int64_t)),
			  .cpu = g_array_new(FALSE, FALSE, sizeof(int64_t)) };
}

static void record(samples *s, bench_clock a)
{
	bench_clock d = bench_clock_since(a, bench_clock_now());
	g_array_append_val(s->wall, d.wall_ns);
	g_array_append_val(s->cpu, d.cpu_ns);
}

static bool out_of_time(const bench_route_opts *o, bench_clock start)
{
	return bench_clock_since(start, bench_clock_now()).wall_ns / 1e9 > o->seconds;
}

/* ---- place ------------------------------------------------------------------- */

static int place_case(fixture *f, const bench_route_opts *o, bool team, const char *method,
		      samples *s)
{
	bench_clock start = bench_clock_now();
	int ret = 0;

	for (int i = 0; ret == 0 && i < o->decisions && !out_of_time(o, start); i++) {
		tsunagu_store_conversation *conv = NULL;
		json_t *target = team ? team_target(f, g_rand_int_range(f->rand, 0, N_TEAMS)) : NULL;
		int64_t who = 0;
		ret = new_conversation(f, &conv);
		spin(f); /* the decision starts a loop iteration of its own */
		if (ret == 0) {
			bench_clock a = bench_clock_now();
			ret = must(tsunagu_router_place(f->core.router, conv, target, method, &who),
				   "placing");
			record(s, a);
		}
		if (who)
			s->assigned++;
		else
			s->waited++;
		if (ret == 0 && who)
			ret = must(tsunagu_store_conversation_set_state(f->core.store, conv->id,
									TSUNAGU_CONV_CLOSED),
				   "closing");
		json_decref(target);
		tsunagu_store_conversation_free(conv);
		spin(f);
	}
	return ret;
}

/* ---- offer --------------------------------------------------------------------- */

/* From the place phase to the offer phase: the supervisor's conversations
 * closed, every operator full, 10,000 waiting for teams 1..19. */
static int fill_up(fixture *f)
{
	GPtrArray *page = NULL;
	int ret = 0;

	do {
		ret = must(tsunagu_store_waiting_list(f->core.store, 0, 0, 1000, &page), "list");
		for (guint i = 0; ret == 0 && i < page->len; i++)
			ret = tsunagu_store_conversation_set_state(
				f->core.store, ((tsunagu_store_conversation *)page->pdata[i])->id,
				TSUNAGU_CONV_CLOSED);
		guint n = page->len;
		g_ptr_array_unref(page);
		spin(f);
		if (n == 0)
			break;
	} while (ret == 0);
	/* Fill every operator: new chats until one finds nobody (that one is
	 * closed again: it would be admitted by everyone). */
	for (int i = 0; ret == 0 && i <= CAPACITY * N_OPERATORS; i++) {
		tsunagu_store_conversation *conv = NULL;
		int64_t who = 0;
		ret = new_conversation(f, &conv);
		if (ret == 0)
			ret = must(tsunagu_router_place(f->core.router, conv, NULL, NULL, &who),
				   "filling up");
		if (ret == 0 && !who)
			ret = tsunagu_store_conversation_set_state(f->core.store, conv->id,
								   TSUNAGU_CONV_CLOSED);
		tsunagu_store_conversation_free(conv);
		if (i % 500 == 499)
			spin(f);
		if (!who)
			break;
	}
	for (int i = 0; ret == 0 && i < N_WAITING; i++) {
		json_t *t = team_target(f, g_rand_int_range(f->rand, 0, N_TEAMS - 1));
		ret = arrive(f, t, NULL, NULL);
		json_decref(t);
		if (i % 1000 == 999)
			spin(f);
	}
	spin(f);
	GPtrArray *left = NULL;
	if (ret == 0)
		ret = must(tsunagu_store_waiting_list(f->core.store, 0, 0, N_WAITING + 1, &left),
			   "list");
	if (ret == 0 && left->len != N_WAITING) {
		fprintf(stderr, "bench-route: %u waiting instead of %d: operators not full?\n",
			left->len, N_WAITING);
		ret = -EINVAL;
	}
	if (left)
		g_ptr_array_unref(left);
	return ret;
}

/* One of the operator's open chats closes; NULL-safe errors. */
static int free_one_slot(fixture *f, int64_t staff_id)
{
	GPtrArray *open = NULL;
	int ret = must(tsunagu_store_conversation_list(f->core.store, TSUNAGU_CONV_OPEN, staff_id,
						      1, &open), "listing open chats");
	if (ret == 0 && open->len == 0)
		ret = -ENOENT;
	if (ret == 0)
		ret = must(tsunagu_store_conversation_set_state(
				   f->core.store, ((tsunagu_store_conversation *)open->pdata[0])->id,
				   TSUNAGU_CONV_CLOSED), "closing");
	if (open)
		g_ptr_array_unref(open);
	return ret;
}

/* idle_team: offers go to operators of team 20 (nothing waits for them). */
static int offer_case(fixture *f, const bench_route_opts *o, bool idle_team, samples *s)
{
	bench_clock start = bench_clock_now();
	int ret = 0;

	for (int i = 0; ret == 0 && i < o->decisions && !out_of_time(o, start); i++) {
		int k = g_rand_int_range(f->rand, 0, N_OPERATORS / N_TEAMS) * N_TEAMS;
		k += idle_team ? N_TEAMS - 1 : g_rand_int_range(f->rand, 0, N_TEAMS - 1);
		unsigned n = 0;
		ret = free_one_slot(f, f->staff[k]);
		spin(f);
		if (ret < 0)
			break;
		bench_clock a = bench_clock_now();
		ret = must(tsunagu_router_offer(f->core.router, f->staff[k], &n), "offering");
		record(s, a);
		if (n)
			s->assigned++;
		else
			s->waited++;
		spin(f);
		if (ret < 0)
			break;
		if (n) {
			/* keep 10,000 waiting */
			json_t *t = team_target(f, g_rand_int_range(f->rand, 0, N_TEAMS - 1));
			ret = arrive(f, t, NULL, NULL);
			json_decref(t);
		} else {
			/* keep the operator full */
			ret = arrive(f, NULL, NULL, NULL);
		}
		spin(f);
	}
	return ret;
}

int bench_route_decisions(const bench_route_opts *o)
{
	static const char *const methods[] = { "longest_idle", "fewest_handled", "round_robin" };
	fixture f = { 0 };
	bool pass = true;
	int ret;

	printf("(b) decision latency: %d operators available in %d teams, %d conversations"
	       " waiting,\n    synchronous=FULL, up to %d decisions or %d s per case "
	       "(goal p99 <= 1 ms)\n", N_OPERATORS, N_TEAMS, N_WAITING, o->decisions, o->seconds);
	fflush(stdout);
	bench_clock t0 = bench_clock_now();
	ret = setup(&f, o);
	if (ret < 0)
		goto out;
	printf("  (set up in %.1f s)\n", bench_clock_since(t0, bench_clock_now()).wall_ns / 1e9);
	for (size_t m = 0; ret == 0 && m < G_N_ELEMENTS(methods) + 1; m++) {
		bool team = m == G_N_ELEMENTS(methods);
		const char *method = team ? "longest_idle" : methods[m];
		samples s = samples_new();
		char label[64];
		ret = place_case(&f, o, team, method, &s);
		g_snprintf(label, sizeof label, "place %s, %s", team ? "team" : "all_available",
			   method);
		report(label, &s, &pass);
		fflush(stdout);
	}
	if (ret == 0)
		ret = fill_up(&f);
	for (int idle = 0; ret == 0 && idle < 2; idle++) {
		samples s = samples_new();
		ret = offer_case(&f, o, idle, &s);
		report(idle ? "offer, nothing waits for them" : "offer (capacity freed)", &s, &pass);
		fflush(stdout);
	}
	if (ret == 0)
		printf("decision p99 <= 1 ms in every case: %s\n", bench_verdict(pass));
out:
	teardown(&f, o->keep);
	return ret;
}
