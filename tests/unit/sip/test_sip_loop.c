/* sofia-sip's message queue on a GLib loop (plugins/sip/sip_loop.c): a
 * chain of messages, each sent by the previous one's handler as nua's
 * stack and application do, runs within one loop iteration; messages the
 * loop thread sends to itself write no eventfd wakeup; a message from
 * another thread still wakes a loop blocked in poll(); a timer is waited
 * for, not spun on in its last millisecond. */
#include <glib.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include "sip_loop.h"

typedef struct {
	su_root_t *root;
	int hops_left;
	int ran;
	sip_loop *run_inside; /* each hop calls sip_loop_run() on it */
	int depth, max_depth;
} chain;

static void hop(su_root_magic_t *magic, su_msg_r msg, su_msg_arg_t *arg)
{
	chain *c = *(chain **)arg;
	c->ran++;
	c->depth++;
	if (c->depth > c->max_depth)
		c->max_depth = c->depth;
	if (c->hops_left-- > 0) {
		su_msg_r next = SU_MSG_R_INIT;
		g_assert_cmpint(su_msg_create(next, su_root_task(c->root), su_root_task(c->root),
					      hop, sizeof(chain *)), ==, 0);
		*(chain **)su_msg_data(next) = c;
		g_assert_cmpint(su_msg_send(next), ==, 0);
	}
	/* the next hop is queued: a run here would start it inside this one */
	if (c->run_inside)
		sip_loop_run(c->run_inside);
	c->depth--;
}

static void send_hop(chain *c)
{
	su_msg_r m = SU_MSG_R_INIT;
	g_assert_cmpint(su_msg_create(m, su_root_task(c->root), su_root_task(c->root), hop,
				      sizeof(chain *)), ==, 0);
	*(chain **)su_msg_data(m) = c;
	g_assert_cmpint(su_msg_send(m), ==, 0);
}

typedef struct {
	GMainContext *ctx;
	su_root_t *root;
	sip_loop *loop;
} fixture;

static void setup(fixture *f, gconstpointer data)
{
	bool skipped = false;
	su_init();
	f->ctx = g_main_context_new();
	g_main_context_push_thread_default(f->ctx);
	f->root = su_glib_root_create(NULL);
	g_assert_nonnull(f->root);
	g_assert_cmpint(sip_loop_attach(f->root, &f->loop, &skipped), ==, 0);
	/* Debian's sofia-sip 1.12.11: the table is the one sip_loop knows. */
	g_assert_true(skipped);
	g_source_attach(su_glib_root_gsource(f->root), f->ctx);
}

static void teardown(fixture *f, gconstpointer data)
{
	sip_loop_free(f->loop);
	su_root_destroy(f->root);
	g_main_context_pop_thread_default(f->ctx);
	g_main_context_unref(f->ctx);
	su_deinit();
}

static void test_chain_one_iteration(fixture *f, gconstpointer data)
{
	chain c = {.root = f->root, .hops_left = 6};
	sip_loop_stats s;

	send_hop(&c);
	g_assert_true(g_main_context_acquire(f->ctx));
	g_main_context_iteration(f->ctx, FALSE);
	/* all seven ran in the dispatch of the first */
	g_assert_cmpint(c.ran, ==, 7);
	g_assert_false(g_main_context_pending(f->ctx));
	sip_loop_get_stats(f->loop, &s);
	g_assert_cmpuint(s.drained, ==, 6);
	/* seven sends into an empty queue by the owner thread (this one:
	 * push_thread_default acquired the context), none woke */
	g_assert_cmpuint(s.wakeups_skipped, ==, 7);
	g_assert_cmpuint(s.wakeups_sent, ==, 0);
	g_main_context_release(f->ctx);
}

static void test_bounded(fixture *f, gconstpointer data)
{
	chain c = {.root = f->root, .hops_left = 3 * SIP_LOOP_MAX_ROUNDS};

	send_hop(&c);
	g_assert_true(g_main_context_acquire(f->ctx));
	g_main_context_iteration(f->ctx, FALSE);
	/* the first ran in the dispatch, then one pass per round */
	g_assert_cmpint(c.ran, ==, 1 + SIP_LOOP_MAX_ROUNDS);
	/* the rest is not lost: the next iterations run it without a wakeup */
	g_assert_true(g_main_context_pending(f->ctx));
	while (c.ran < 1 + 3 * SIP_LOOP_MAX_ROUNDS)
		g_main_context_iteration(f->ctx, FALSE);
	g_assert_cmpint(c.hops_left, ==, -1);
	g_main_context_release(f->ctx);
}

static gpointer other_thread(gpointer data)
{
	send_hop(data);
	return NULL;
}

static void test_other_thread_wakes(fixture *f, gconstpointer data)
{
	chain c = {.root = f->root, .hops_left = 0};
	sip_loop_stats s;

	g_assert_true(g_main_context_acquire(f->ctx));
	GThread *t = g_thread_new("sender", other_thread, &c);
	/* blocks in poll() until the other thread's message wakes it (a
	 * missing wakeup hangs here: the test times out) */
	while (c.ran == 0)
		g_main_context_iteration(f->ctx, TRUE);
	g_thread_join(t);
	sip_loop_get_stats(f->loop, &s);
	g_assert_cmpuint(s.wakeups_sent, >=, 1);
	g_main_context_release(f->ctx);
}

static void test_free_restores(fixture *f, gconstpointer data)
{
	chain c = {.root = f->root, .hops_left = 2};

	sip_loop_free(f->loop);
	f->loop = NULL;
	/* sofia's own behaviour again: one message per dispatch pass */
	send_hop(&c);
	g_assert_true(g_main_context_acquire(f->ctx));
	g_main_context_iteration(f->ctx, FALSE);
	g_assert_cmpint(c.ran, ==, 1);
	while (c.ran < 3)
		g_main_context_iteration(f->ctx, FALSE);
	g_main_context_release(f->ctx);
}

/* Outside the su source's dispatch (the host's callbacks), the queue runs
 * at once, without a loop iteration. */
static void test_run_outside(fixture *f, gconstpointer data)
{
	chain c = {.root = f->root, .hops_left = 3};
	sip_loop_stats s;

	send_hop(&c);
	sip_loop_run(f->loop);
	g_assert_cmpint(c.ran, ==, 4);
	sip_loop_get_stats(f->loop, &s);
	g_assert_cmpuint(s.runs, ==, 1);
	g_assert_cmpuint(s.dispatches, ==, 0);
}

/* Inside a sofia callback it does nothing: no handler runs inside another. */
static void test_run_inside_not_reentrant(fixture *f, gconstpointer data)
{
	chain c = {.root = f->root, .hops_left = 3, .run_inside = f->loop};

	send_hop(&c);
	g_main_context_iteration(f->ctx, FALSE);
	g_assert_cmpint(c.ran, ==, 4);
	g_assert_cmpint(c.max_depth, ==, 1);
}

static void on_timer(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	(*(int *)arg)++;
}

/* su_glib alone reports its source ready, with a zero timeout, from the
 * moment its first timer is less than a millisecond away: the loop spun
 * (hundreds of empty iterations per timer). Hooked, a timer takes a few
 * iterations and still fires when due, not before. */
static void test_timer_no_spin(fixture *f, gconstpointer data)
{
	const int timers = 5, ms = 20;
	int fired = 0, iterations = 0;
	su_timer_t *t = su_timer_create(su_root_task(f->root), ms);
	sip_loop_stats s;

	g_assert_nonnull(t);
	g_assert_true(g_main_context_acquire(f->ctx));
	for (int i = 0; i < timers; i++) {
		su_time_t set_at = su_now();
		g_assert_cmpint(su_timer_set(t, on_timer, &fired), ==, 0);
		while (fired == i) {
			g_main_context_iteration(f->ctx, TRUE);
			iterations++;
		}
		g_assert_cmpint(fired, ==, i + 1);
		g_assert_cmpint(su_duration(su_now(), set_at), >=, ms);
	}
	g_test_message("%d timers of %d ms: %d loop iterations", timers, ms, iterations);
	g_assert_cmpint(iterations, <=, 5 * timers);
	sip_loop_get_stats(f->loop, &s);
	g_test_message("prepares that waited a millisecond: %" G_GUINT64_FORMAT, s.early_timers);
	su_timer_destroy(t);
	g_main_context_release(f->ctx);
}

/* A message queued while a timer is under a millisecond away still runs
 * at once: the rounded-up wait is only for an empty queue. */
static void test_timer_message_first(fixture *f, gconstpointer data)
{
	int fired = 0;
	chain c = {.root = f->root, .hops_left = 0};
	su_timer_t *t = su_timer_create(su_root_task(f->root), 1);

	g_assert_true(g_main_context_acquire(f->ctx));
	g_assert_cmpint(su_timer_set(t, on_timer, &fired), ==, 0);
	send_hop(&c);
	g_main_context_iteration(f->ctx, FALSE);
	g_assert_cmpint(c.ran, ==, 1);
	while (!fired)
		g_main_context_iteration(f->ctx, TRUE);
	su_timer_destroy(t);
	g_main_context_release(f->ctx);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/sip/loop/chain-one-iteration", fixture, NULL, setup, test_chain_one_iteration,
		   teardown);
	g_test_add("/sip/loop/bounded", fixture, NULL, setup, test_bounded, teardown);
	g_test_add("/sip/loop/other-thread-wakes", fixture, NULL, setup, test_other_thread_wakes,
		   teardown);
	g_test_add("/sip/loop/free-restores", fixture, NULL, setup, test_free_restores, teardown);
	g_test_add("/sip/loop/run-outside", fixture, NULL, setup, test_run_outside, teardown);
	g_test_add("/sip/loop/run-inside-not-reentrant", fixture, NULL, setup,
		   test_run_inside_not_reentrant, teardown);
	g_test_add("/sip/loop/timer-no-spin", fixture, NULL, setup, test_timer_no_spin, teardown);
	g_test_add("/sip/loop/timer-message-first", fixture, NULL, setup,
		   test_timer_message_first, teardown);
	return g_test_run();
}
