/* Readers and the reader pool (store.h, "readers"): a reader sees what is
 * committed and not the open batch, reads while the loop's batch holds the
 * write lock, refuses every write, stops a query at its deadline and is
 * usable again afterwards; the pool runs jobs on worker threads and reports
 * back on the submitter's context, and a store closed with jobs queued
 * still reports each of them exactly once. */
#include <errno.h>

#include "store_test_util.h"

static int64_t staff_count(tsunagu_store *store)
{
	int64_t n = -1;
	g_assert_cmpint(tsunagu_store_staff_count(store, &n), ==, 0);
	return n;
}

static void create_staff(store_fixture *fx, const char *login)
{
	g_assert_cmpint(tsunagu_store_staff_create(fx->store, login, login, NULL,
						   TSUNAGU_ROLE_OPERATOR, "x", NULL),
			==, 0);
}

static void test_snapshot(store_fixture *fx, gconstpointer data)
{
	tsunagu_store *reader = NULL;

	create_staff(fx, "a");
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_reader_open(fx->store, &reader), ==, 0);
	g_assert_cmpint(staff_count(reader), ==, 1);

	/* the loop's batch is open (and holds the write lock): the reader
	 * neither waits nor sees it */
	create_staff(fx, "b");
	g_assert_cmpint(staff_count(fx->store), ==, 2);
	g_assert_cmpint(staff_count(reader), ==, 1);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(staff_count(reader), ==, 2);
	tsunagu_store_reader_close(reader);
}

static void test_refuses_writes(store_fixture *fx, gconstpointer data)
{
	tsunagu_store *reader = NULL;
	int64_t id = 0;

	g_assert_cmpint(tsunagu_store_reader_open(fx->store, &reader), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_create(reader, "r", "r", NULL, TSUNAGU_ROLE_ADMIN, "x",
						   &id),
			==, -EROFS);
	g_assert_cmpint(tsunagu_store_event_append(reader, "x.y", 0, 0, "{}", NULL), ==, -EROFS);
	g_assert_cmpint(tsunagu_store_contact_identity(reader, "web", "v", "n", &id, NULL), ==,
			-EROFS);
	g_assert_cmpint(tsunagu_store_atomic_begin(reader), ==, -EROFS);
	g_assert_cmpint(tsunagu_store_atomic_end(reader, true), ==, -EROFS);
	g_assert_cmpint(tsunagu_store_flush(reader), ==, -EROFS);
	/* a reader is not a store to open readers or jobs on */
	g_assert_cmpint(tsunagu_store_reader_open(reader, &(tsunagu_store *){ NULL }), ==, -EINVAL);
	tsunagu_store_reader_close(reader);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(staff_count(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_events_last_seq(fx->store), ==, 0);
}

/* Scan callback: test thread; counts the events. */
static int count_event(const tsunagu_store_event *ev, const char *channel, void *user_data)
{
	(*(int *)user_data)++;
	return 0;
}

static void test_deadline(store_fixture *fx, gconstpointer data)
{
	const char *const types[] = { "staff.status_changed", NULL };
	tsunagu_store *reader = NULL;
	int seen = 0;

	for (int i = 0; i < 500; i++)
		g_assert_cmpint(tsunagu_store_event_append(fx->store, "staff.status_changed", 0, 0,
							   "{\"staff\":1}", NULL),
				==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_reader_open(fx->store, &reader), ==, 0);

	/* a deadline already passed: the query stops at the first check */
	g_assert_cmpint(tsunagu_store_reader_deadline(reader, 1), ==, 0);
	g_assert_cmpint(tsunagu_store_report_scan(reader, types, 0, INT64_MAX, count_event, &seen),
			==, -ETIMEDOUT);
	g_assert_cmpint(seen, <, 500);
	/* lifted: the same reader (and its cached statement) reads it all */
	g_assert_cmpint(tsunagu_store_reader_deadline(reader, 0), ==, 0);
	seen = 0;
	g_assert_cmpint(tsunagu_store_report_scan(reader, types, 0, INT64_MAX, count_event, &seen),
			==, 0);
	g_assert_cmpint(seen, ==, 500);
	g_assert_cmpint(tsunagu_store_reader_deadline(fx->store, 0), ==, -EINVAL);
	tsunagu_store_reader_close(reader);
}

typedef struct {
	GThread *loop_thread;
	GThread *ran_on;  /* the thread fn ran on */
	int64_t count;    /* what fn read */
	int status;       /* what done got */
	bool done;
	GThread *done_on;
} job_state;

/* Read job: a pool worker. */
static int count_job(tsunagu_store *reader, void *data)
{
	job_state *s = data;
	s->ran_on = g_thread_self();
	return tsunagu_store_staff_count(reader, &s->count);
}

/* Read done: the submitter's context (the test thread). */
static void job_done(int status, void *data)
{
	job_state *s = data;
	g_assert_false(s->done);
	s->done = true;
	s->status = status;
	s->done_on = g_thread_self();
}

static void wait_done(store_fixture *fx, const job_state *s)
{
	while (!s->done)
		g_main_context_iteration(fx->context, TRUE);
}

static void test_pool(store_fixture *fx, gconstpointer data)
{
	job_state s[5] = { 0 };

	g_main_context_push_thread_default(fx->context);
	create_staff(fx, "a");
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	for (unsigned i = 0; i < G_N_ELEMENTS(s); i++)
		g_assert_cmpint(tsunagu_store_read_async(fx->store, count_job, job_done, &s[i], 0),
				==, 0);
	/* done never runs from inside the submission */
	for (unsigned i = 0; i < G_N_ELEMENTS(s); i++)
		g_assert_false(s[i].done);
	for (unsigned i = 0; i < G_N_ELEMENTS(s); i++) {
		wait_done(fx, &s[i]);
		g_assert_cmpint(s[i].status, ==, 0);
		g_assert_cmpint(s[i].count, ==, 1);
		g_assert_true(s[i].ran_on != g_thread_self());
		g_assert_true(s[i].done_on == g_thread_self());
	}
	g_assert_cmpint(tsunagu_store_read_async(fx->store, NULL, job_done, &s[0], 0), ==, -EINVAL);
	g_main_context_pop_thread_default(fx->context);
}

static void test_pool_close(store_fixture *fx, gconstpointer data)
{
	job_state s[8] = { 0 };

	g_main_context_push_thread_default(fx->context);
	for (unsigned i = 0; i < G_N_ELEMENTS(s); i++)
		g_assert_cmpint(tsunagu_store_read_async(fx->store, count_job, job_done, &s[i], 0),
				==, 0);
	tsunagu_store_close(fx->store);
	fx->store = NULL;
	/* every job was reported once, from inside the close (the loop may
	 * never iterate again): done, or cancelled before it ran */
	for (unsigned i = 0; i < G_N_ELEMENTS(s); i++) {
		g_assert_true(s[i].done);
		if (s[i].status == -ECANCELED)
			g_assert_null(s[i].ran_on);
		else
			g_assert_cmpint(s[i].status, ==, 0);
	}
	g_main_context_pop_thread_default(fx->context);
}

static void test_memory(void)
{
	tsunagu_store_options opts = { .path = ":memory:" };
	tsunagu_store *store = NULL, *reader = NULL;
	job_state s = { 0 };

	g_assert_cmpint(tsunagu_store_open(&opts, &store), ==, 0);
	g_assert_cmpint(tsunagu_store_reader_open(store, &reader), ==, -ENOTSUP);
	g_assert_null(reader);
	g_assert_cmpint(tsunagu_store_read_async(store, count_job, job_done, &s, 0), ==, -ENOTSUP);
	tsunagu_store_close(store);
}

static const struct {
	const char *path;
	void (*fn)(store_fixture *fx, gconstpointer data);
} fixture_tests[] = {
	{ "/store/reader/snapshot", test_snapshot },
	{ "/store/reader/refuses_writes", test_refuses_writes },
	{ "/store/reader/deadline", test_deadline },
	{ "/store/reader/pool", test_pool },
	{ "/store/reader/pool_close", test_pool_close },
};

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(fixture_tests); i++)
		g_test_add(fixture_tests[i].path, store_fixture, NULL, fixture_setup,
			   fixture_tests[i].fn, fixture_teardown);
	g_test_add_func("/store/reader/memory", test_memory);
	return g_test_run();
}
