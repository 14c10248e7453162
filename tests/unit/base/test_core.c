/* tsunagu_core_post from other threads runs every call on the loop thread,
 * in order per thread; after the stop, a post is refused and its data freed. */
#include <errno.h>
#include <glib.h>

#include "core.h"

#define THREADS 4
#define PER_THREAD 2000

static tsunagu_core core;
static int ran, freed;
static int last_seen[THREADS];
static bool order_ok = true, thread_ok = true;

typedef struct {
	int thread;
	int n;
} job;

static void run_job(void *p)
{
	job *j = p;
	if (!tsunagu_core_on_loop(&core))
		thread_ok = false;
	if (j->n != last_seen[j->thread] + 1)
		order_ok = false;
	last_seen[j->thread] = j->n;
	if (++ran == THREADS * PER_THREAD)
		g_main_loop_quit(core.loop);
}

static void free_job(void *p)
{
	freed++;
	g_free(p);
}

static void *poster(void *p)
{
	int t = GPOINTER_TO_INT(p);
	for (int n = 1; n <= PER_THREAD; n++) {
		job *j = g_new(job, 1);
		j->thread = t;
		j->n = n;
		g_assert_cmpint(tsunagu_core_post(&core, run_job, j, free_job), ==, 0);
	}
	return NULL;
}

static gboolean give_up(void *p)
{
	g_error("posted calls did not all run");
	return G_SOURCE_REMOVE;
}

static void test_post_from_threads(void)
{
	core.context = g_main_context_default();
	core.loop = g_main_loop_new(core.context, FALSE);
	core.loop_thread = g_thread_self();
	core.state = TSUNAGU_CORE_RUNNING;
	GThread *th[THREADS];
	for (int i = 0; i < THREADS; i++) {
		last_seen[i] = 0;
		th[i] = g_thread_new("poster", poster, GINT_TO_POINTER(i));
	}
	guint guard = g_timeout_add_seconds(20, give_up, NULL);
	g_main_loop_run(core.loop);
	g_source_remove(guard);
	for (int i = 0; i < THREADS; i++)
		g_thread_join(th[i]);
	g_assert_cmpint(ran, ==, THREADS * PER_THREAD);
	g_assert_cmpint(freed, ==, THREADS * PER_THREAD);
	g_assert_true(order_ok);
	g_assert_true(thread_ok);

	core.state = TSUNAGU_CORE_STOPPED;
	job *late = g_new(job, 1);
	g_assert_cmpint(tsunagu_core_post(&core, run_job, late, free_job), ==, -ESHUTDOWN);
	g_assert_cmpint(freed, ==, THREADS * PER_THREAD + 1);
	g_main_loop_unref(core.loop);
}

static int64_t fixed_clock(void)
{
	return 1234567;
}

static void test_clock(void)
{
	tsunagu_core_set_clock(fixed_clock);
	g_assert_cmpint(tsunagu_core_now_us(), ==, 1234567);
	tsunagu_core_set_clock(NULL);
	g_assert_cmpint(tsunagu_core_now_us(), >, 1600000000LL * G_USEC_PER_SEC);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/core/post-from-threads", test_post_from_threads);
	g_test_add_func("/core/clock", test_clock);
	return g_test_run();
}
