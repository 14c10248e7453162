/* Store: the group-commit window (store.commit_delay, commit_delay_ms in
 * tsunagu_store_options) and commit pacing (store.commit_interval,
 * commit_interval_ms). A batch gathers the writes of every iteration until
 * it has been open that long, and, paced, until the interval since the
 * previous commit has passed, on the core clock, which these tests move by
 * hand; the callbacks still run only after the commit. */
#include <errno.h>

#include "core.h"
#include "store_sqlite.h"
#include "store_test_util.h"

static int64_t fake_now = 1700000000000000;

static int64_t fake_clock(void)
{
	return fake_now;
}

typedef struct {
	int ran;
	int status[4];
	bool done;
} cb_log;

static void on_commit(int status, void *user_data)
{
	cb_log *log = user_data;

	log->status[log->ran++] = status;
	log->done = true;
}

static int count_commits(void *user_data)
{
	(*(int *)user_data)++;
	return 0;
}

/* Iterations that find nothing to do: the batch is not due. */
static void idle_iterations(store_fixture *fx)
{
	for (int i = 0; i < 20; i++)
		g_main_context_iteration(fx->context, FALSE);
}

/* n events, each one write. */
static void write_events(store_fixture *fx, int n)
{
	for (int i = 0; i < n; i++)
		g_assert_cmpint(tsunagu_store_event_append(fx->store, "e", 0, 0, NULL, NULL), ==, 0);
}

/* n writes and a callback that the window holds back: no commit, no
 * callback, however many iterations run. */
static void write_held(store_fixture *fx, int n, cb_log *log, const int *commits)
{
	int before = *commits;

	write_events(fx, n);
	tsunagu_store_on_commit(fx->store, on_commit, log);
	idle_iterations(fx);
	g_assert_cmpint(*commits, ==, before);
	g_assert_cmpint(log->ran, ==, 0);
}

static void open_paced(store_fixture *fx, int delay_ms, int interval_ms, int max_batch,
		       int *commits)
{
	tsunagu_store_options opts = { .commit_delay_ms = delay_ms,
				       .commit_interval_ms = interval_ms,
				       .max_batch = max_batch };

	fixture_open(fx, &opts);
	sqlite3_commit_hook(tsunagu_store_sqlite_db(fx->store), count_commits, commits);
}

static void open_window(store_fixture *fx, int delay_ms, int max_batch, int *commits)
{
	open_paced(fx, delay_ms, 0, max_batch, commits);
}

/* How long the loop would sleep now (nothing ready), without iterating. */
static int loop_timeout(store_fixture *fx)
{
	int priority = 0, timeout = -1;
	GPollFD fds[16];

	g_assert_true(g_main_context_acquire(fx->context));
	g_assert_false(g_main_context_prepare(fx->context, &priority));
	g_main_context_query(fx->context, priority, &timeout, fds, G_N_ELEMENTS(fds));
	g_main_context_check(fx->context, priority, fds, 0);
	g_main_context_release(fx->context);
	return timeout;
}

/* One write and its callback; the commit comes within the iteration. */
static void write_committed(store_fixture *fx, int *commits)
{
	cb_log log = { 0 };
	int before = *commits;

	write_events(fx, 1);
	tsunagu_store_on_commit(fx->store, on_commit, &log);
	g_main_context_iteration(fx->context, FALSE);
	g_assert_cmpint(*commits, ==, before + 1);
	g_assert_cmpint(log.ran, ==, 1);
	g_assert_cmpint(log.status[0], ==, 0);
}

static void test_window_gathers_iterations(store_fixture *fx, gconstpointer data)
{
	int commits = 0;
	cb_log log = { 0 };
	sqlite3 *peer;

	open_window(fx, 5, 0, &commits);
	peer = fixture_peer(fx);
	write_held(fx, 1, &log, &commits);
	/* A later iteration writes into the same batch. */
	fake_now += 3000;
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "b", 0, 0, NULL, NULL), ==, 0);
	tsunagu_store_on_commit(fx->store, on_commit, &log);
	fake_now += 1999; /* 4.999 ms since the first write */
	idle_iterations(fx);
	g_assert_cmpint(commits, ==, 0);
	g_assert_cmpint(log.ran, ==, 0); /* nothing acknowledged before the commit */
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM events"), ==, 0);
	g_assert_cmpint(tsunagu_store_events_last_seq(fx->store), ==, 2); /* our reads see it */

	fake_now += 1;
	g_assert_true(fixture_iterate_until(fx, &log.done));
	g_assert_cmpint(commits, ==, 1);
	g_assert_cmpint(log.ran, ==, 2);
	g_assert_cmpint(log.status[0], ==, 0);
	g_assert_cmpint(log.status[1], ==, 0);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM events"), ==, 2);

	/* The next batch has a window of its own, from its first write. */
	fake_now += 100000;
	log = (cb_log){ 0 };
	write_held(fx, 1, &log, &commits);
	fake_now += 5000;
	g_assert_true(fixture_iterate_until(fx, &log.done));
	g_assert_cmpint(commits, ==, 2);
	sqlite3_close(peer);
}

/* The loop sleeps no longer than what is left of the window. */
static void test_window_wakes_the_loop(store_fixture *fx, gconstpointer data)
{
	int commits = 0, timeout = -1;

	open_window(fx, 5, 0, &commits);
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "a", 0, 0, NULL, NULL), ==, 0);
	fake_now += 2000;
	timeout = loop_timeout(fx);
	g_assert_cmpint(timeout, >=, 0);
	g_assert_cmpint(timeout, <=, 3);
	g_assert_cmpint(commits, ==, 0);
}

/* max_batch, flush, and a clock that went back all commit within the
 * window; 0 is the end of the iteration, as without a window. */
static void test_window_bounds(store_fixture *fx, gconstpointer data)
{
	int commits = 0;
	cb_log log = { 0 };

	open_window(fx, 50, 3, &commits);
	write_events(fx, 3);
	g_assert_cmpint(commits, ==, 1); /* max_batch */
	write_events(fx, 1);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(commits, ==, 2);

	write_held(fx, 1, &log, &commits);
	fake_now -= 60 * G_USEC_PER_SEC; /* the wall clock was set back */
	g_assert_true(fixture_iterate_until(fx, &log.done));
	g_assert_cmpint(commits, ==, 3);
	g_assert_cmpint(log.status[0], ==, 0);
	tsunagu_store_close(fx->store);
	fx->store = NULL;

	log = (cb_log){ 0 };
	open_window(fx, 0, 0, &commits);
	write_events(fx, 1);
	tsunagu_store_on_commit(fx->store, on_commit, &log);
	g_main_context_iteration(fx->context, FALSE);
	g_assert_cmpint(log.ran, ==, 1);
	g_assert_cmpint(commits, ==, 4);
}

/* A batch already holding many writes (STORE_WINDOW_FULL, 64) does not
 * wait: its sync is shared enough, and its senders wait for their acks. */
static void test_window_full_batch(store_fixture *fx, gconstpointer data)
{
	int commits = 0;
	cb_log log = { 0 };

	open_window(fx, 50, 0, &commits);
	write_held(fx, 63, &log, &commits);
	write_events(fx, 1); /* the 64th */
	g_assert_true(fixture_iterate_until(fx, &log.done));
	g_assert_cmpint(commits, ==, 1);
	g_assert_cmpint(log.status[0], ==, 0);
}

/* Pacing alone: after a quiet spell a write commits within its iteration;
 * a write soon after a commit waits until the interval since that commit
 * has passed, gathering what comes meanwhile; then the next quiet write is
 * not held again. */
static void test_pacing(store_fixture *fx, gconstpointer data)
{
	int commits = 0;
	cb_log log = { 0 };
	sqlite3 *peer;

	open_paced(fx, 0, 30, 0, &commits);
	peer = fixture_peer(fx);
	write_committed(fx, &commits); /* the first commit: nothing to wait for */

	fake_now += 1000;
	write_held(fx, 1, &log, &commits);
	fake_now += 20000;
	g_assert_cmpint(tsunagu_store_event_append(fx->store, "b", 0, 0, NULL, NULL), ==, 0);
	tsunagu_store_on_commit(fx->store, on_commit, &log);
	fake_now += 8999; /* 29.999 ms since the commit */
	idle_iterations(fx);
	g_assert_cmpint(commits, ==, 1);
	g_assert_cmpint(log.ran, ==, 0);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM events"), ==, 1);

	fake_now += 1;
	g_assert_true(fixture_iterate_until(fx, &log.done));
	g_assert_cmpint(commits, ==, 2); /* both writes, one commit */
	g_assert_cmpint(log.ran, ==, 2);
	g_assert_cmpint(query_int(peer, "SELECT count(*) FROM events"), ==, 3);

	fake_now += 30000; /* quiet for the whole interval */
	write_committed(fx, &commits);
	sqlite3_close(peer);
}

/* Pacing with a window: a batch waits for the later of the two; the loop
 * sleeps no longer than what is left; a clock set back behind the last
 * commit commits at once. */
static void test_pacing_with_window(store_fixture *fx, gconstpointer data)
{
	int commits = 0, timeout = -1;
	cb_log log = { 0 };

	open_paced(fx, 5, 30, 0, &commits);
	write_held(fx, 1, &log, &commits);
	fake_now += 5000;
	g_assert_true(fixture_iterate_until(fx, &log.done)); /* the window, no commit before */
	g_assert_cmpint(commits, ==, 1);

	/* 40 ms later: the interval has passed, the window has not */
	fake_now += 40000;
	log = (cb_log){ 0 };
	write_held(fx, 1, &log, &commits);
	fake_now += 4999;
	idle_iterations(fx);
	g_assert_cmpint(commits, ==, 1);
	fake_now += 1;
	g_assert_true(fixture_iterate_until(fx, &log.done));
	g_assert_cmpint(commits, ==, 2);

	/* at once after a commit: the interval decides, and bounds the sleep */
	fake_now += 2000;
	log = (cb_log){ 0 };
	write_held(fx, 1, &log, &commits);
	timeout = loop_timeout(fx);
	g_assert_cmpint(timeout, >=, 27);
	g_assert_cmpint(timeout, <=, 28);
	g_assert_cmpint(commits, ==, 2);

	fake_now -= 10000; /* the wall clock was set back before the commit */
	g_assert_true(fixture_iterate_until(fx, &log.done));
	g_assert_cmpint(commits, ==, 3);
}

static void test_window_refused(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_options opts = { .path = fx->path, .commit_delay_ms = -1 };
	tsunagu_store *s = NULL;

	g_assert_cmpint(tsunagu_store_open(&opts, &s), ==, -EINVAL);
	g_assert_null(s);
	opts.commit_delay_ms = 0;
	opts.commit_interval_ms = -1;
	g_assert_cmpint(tsunagu_store_open(&opts, &s), ==, -EINVAL);
	g_assert_null(s);
}

int main(int argc, char **argv)
{
	store_test_init(&argc, &argv, fake_clock);
#define ADD(name, fn) \
	g_test_add(name, store_fixture, "no-open", fixture_setup, fn, fixture_teardown)
	ADD("/store/commit-window/gathers-iterations", test_window_gathers_iterations);
	ADD("/store/commit-window/wakes-the-loop", test_window_wakes_the_loop);
	ADD("/store/commit-window/bounds", test_window_bounds);
	ADD("/store/commit-window/full-batch", test_window_full_batch);
	ADD("/store/commit-window/pacing", test_pacing);
	ADD("/store/commit-window/pacing-with-window", test_pacing_with_window);
	ADD("/store/commit-window/refused", test_window_refused);
	return g_test_run();
}
