/* The watchdog that arms a rule call's limit hook only when the call runs
 * long.
 *
 * Why: in Lua 5.4 any hook, whatever its count, sends every instruction of
 * the interpreter through luaG_traceexec; a typical route condition (a few
 * dozen instructions) then costs about three times what it costs without a
 * hook (tests/bench/route). Almost every call ends within microseconds, so
 * the hook is armed only for a call still running after a tick
 * (RULES_WATCHDOG_TICK_US): from there on the instruction count and the
 * deadline are checked as before and a tripped limit still cannot be
 * swallowed by pcall (rules_sandbox.c).
 *
 * How: the calling thread publishes "call N of file F, started at S, runs
 * on thread T" in atomics (no lock, no system call on the hot path). A
 * watchdog thread samples that every period (a quarter of the smallest time
 * limit of the live files, bounded: 12.5 ms for the default 50 ms) while
 * calls happen, and sleeps on a condition variable after an idle second.
 * When it finds a call in progress it looks again when that call is a tick
 * old; a call still running then gets RULES_WATCHDOG_SIGNAL sent to thread
 * T, whose handler — running on the calling thread itself, as Lua's own
 * lua.c does for SIGINT — checks that call N is still the one in progress,
 * sets its deadline from its start S (the time limit is exact, however late
 * the hook comes) and calls lua_sethook, the one Lua function documented as
 * safe from a signal handler. The handler is installed with SA_RESTART; the
 * loop's poll() seeing EINTR is harmless.
 *
 * Sampling instead of a 1 ms tick: the tick woke the thread a thousand
 * times a second while calls happened (2.9 % of tsunagud's CPU at 100 SIP
 * calls/s, issue 5); a per-call POSIX timer was tried and costs two
 * timer_settime calls (5-10 µs in a VM) on every rule call. A long call is
 * now hooked within period + tick instead of two ticks; its instructions
 * before that go uncounted (the time limit still holds from its start).
 *
 * Thread: rules_watchdog_enter/leave on the thread that calls into Lua
 * (the loop thread in tsunagud); ref/unref on any thread.
 */
#define TSUNAGU_LOG_TOPIC "rules"
#include "log.h"
#include "rules_internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#define RULES_WATCHDOG_TICK_US 1000
#define RULES_WATCHDOG_PERIOD_MIN_US 1000
#define RULES_WATCHDOG_PERIOD_MAX_US 25000
#define RULES_WATCHDOG_IDLE_US G_USEC_PER_SEC
#define RULES_WATCHDOG_SIGNAL (SIGRTMIN + 5)

static struct {
	GMutex lock;      /* refs, limits, thread, quit, the condition variable */
	GCond wake;
	unsigned refs;
	GArray *limits;   /* int64_t time limits (µs) of the live files, one per ref */
	int64_t period_us; /* sampling period: from the smallest limit */
	GThread *thread;
	bool quit;
	bool handler_installed;

	/* Published by the calling thread, read by the watchdog and the handler. */
	atomic_uint_fast64_t current;  /* number of the call in progress; 0: none */
	atomic_uint_fast64_t started;  /* calls entered so far (the next number - 1) */
	atomic_int_fast64_t start_us;  /* when the call in progress began */
	rules_file *file_plain;        /* the file of the call in progress (owner thread only) */
	_Atomic(pthread_t) caller;     /* the owner thread */
	atomic_bool owned;
	atomic_bool sleeping;          /* the watchdog waits for the next call */
	atomic_bool thread_running;
	atomic_uint_fast64_t target;   /* the call the last signal was sent for */
	atomic_uint armed;             /* hooks the handler armed (tests) */
} wd = { .lock = { 0 } };

/* Nesting of rules calls on this thread: only the outermost is published. */
static _Thread_local unsigned depth;
static _Thread_local bool outer_watched;

static void on_signal(int sig)
{
	(void)sig;
	int saved = errno;
	/* On the owner thread, between two of its instructions: current,
	 * start_us and file_plain are what that thread last wrote. */
	uint_fast64_t n = atomic_load_explicit(&wd.current, memory_order_relaxed);
	rules_file *f = wd.file_plain;
	if (n != 0 && n == atomic_load(&wd.target) && f) {
		f->deadline_us = atomic_load_explicit(&wd.start_us, memory_order_relaxed) +
				 f->time_limit_us;
		rules_arm_limits(f);
		atomic_fetch_add_explicit(&wd.armed, 1, memory_order_relaxed);
	}
	errno = saved;
}

/* wd.lock held: a quarter of the smallest time limit, so that a long call
 * is hooked well before its deadline, bounded. */
static void update_period(void)
{
	int64_t min = RULES_WATCHDOG_PERIOD_MAX_US * 4;
	for (guint i = 0; i < wd.limits->len; i++)
		min = MIN(min, g_array_index(wd.limits, int64_t, i));
	wd.period_us = CLAMP(min / 4, RULES_WATCHDOG_PERIOD_MIN_US, RULES_WATCHDOG_PERIOD_MAX_US);
}

static gpointer watchdog_main(gpointer data)
{
	(void)data;
	uint_fast64_t last_started = 0;
	int64_t last_activity = g_get_monotonic_time(), sleep_us = RULES_WATCHDOG_TICK_US;

	g_mutex_lock(&wd.lock);
	while (!wd.quit) {
		int64_t period = wd.period_us;
		g_mutex_unlock(&wd.lock);
		g_usleep((gulong)sleep_us);
		int64_t now = g_get_monotonic_time();
		uint_fast64_t n = atomic_load(&wd.current);
		uint_fast64_t started = atomic_load(&wd.started);
		sleep_us = period;
		if (n != 0 && n != atomic_load(&wd.target)) {
			/* Read after current: a newer call only looks younger. */
			int64_t age = now - atomic_load(&wd.start_us);
			if (age >= RULES_WATCHDOG_TICK_US) {
				atomic_store(&wd.target, n);
				pthread_kill(atomic_load(&wd.caller), RULES_WATCHDOG_SIGNAL);
			} else {
				sleep_us = RULES_WATCHDOG_TICK_US - age; /* look again at one tick */
			}
		}
		if (n != 0 || started != last_started)
			last_activity = now;
		last_started = started;
		g_mutex_lock(&wd.lock);
		if (!wd.quit && now - last_activity > RULES_WATCHDOG_IDLE_US) {
			/* Sleep until a call starts: enter() wakes us when it sees
			 * the flag, after publishing; the first look comes a tick
			 * later. */
			atomic_store(&wd.sleeping, true);
			while (!wd.quit && atomic_load(&wd.sleeping))
				g_cond_wait(&wd.wake, &wd.lock);
			last_activity = g_get_monotonic_time();
			sleep_us = RULES_WATCHDOG_TICK_US;
		}
	}
	g_mutex_unlock(&wd.lock);
	return NULL;
}

int rules_watchdog_ref(int64_t time_limit_us)
{
	int ret = 0;
	g_mutex_lock(&wd.lock);
	if (!wd.handler_installed) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		if (sigaction(RULES_WATCHDOG_SIGNAL, &sa, NULL) < 0) {
			ret = -errno;
			tlog_error("cannot install the rule watchdog's signal handler: %s",
				   g_strerror(errno));
			goto out;
		}
		wd.handler_installed = true;
	}
	if (!wd.limits)
		wd.limits = g_array_new(FALSE, FALSE, sizeof(int64_t));
	g_array_append_val(wd.limits, time_limit_us);
	update_period();
	if (wd.refs++ == 0) {
		wd.quit = false;
		atomic_store(&wd.sleeping, false);
		wd.thread = g_thread_new("rules-watchdog", watchdog_main, NULL);
		atomic_store(&wd.thread_running, true);
	}
out:
	g_mutex_unlock(&wd.lock);
	return ret;
}

void rules_watchdog_unref(int64_t time_limit_us)
{
	GThread *t = NULL;
	g_mutex_lock(&wd.lock);
	for (guint i = 0; wd.limits && i < wd.limits->len; i++) {
		if (g_array_index(wd.limits, int64_t, i) == time_limit_us) {
			g_array_remove_index_fast(wd.limits, i);
			break;
		}
	}
	if (wd.limits)
		update_period();
	if (wd.refs > 0 && --wd.refs == 0) {
		wd.quit = true;
		atomic_store(&wd.thread_running, false);
		g_cond_signal(&wd.wake);
		t = wd.thread;
		wd.thread = NULL;
	}
	g_mutex_unlock(&wd.lock);
	if (t)
		g_thread_join(t);
}

bool rules_watchdog_enter(rules_file *f)
{
	if (depth++ != 0)
		return outer_watched; /* nested: as watched as the outer call */
	/* The first thread that calls into Lua owns the watchdog (tsunagud's
	 * loop thread); calls on any other thread arm their hook at once, as
	 * every call once did. Claimed once: the hot path is one comparison. */
	pthread_t self = pthread_self();
	if (G_UNLIKELY(!atomic_load_explicit(&wd.owned, memory_order_acquire))) {
		g_mutex_lock(&wd.lock);
		if (!atomic_load_explicit(&wd.owned, memory_order_relaxed)) {
			atomic_store_explicit(&wd.caller, self, memory_order_relaxed);
			atomic_store_explicit(&wd.owned, true, memory_order_release);
		}
		g_mutex_unlock(&wd.lock);
	}
	outer_watched = atomic_load_explicit(&wd.thread_running, memory_order_relaxed) &&
			pthread_equal(atomic_load_explicit(&wd.caller, memory_order_relaxed), self);
	if (!outer_watched)
		return false;
	/* Relaxed: the handler runs on this thread (a signal fence orders it
	 * with us); the watchdog thread seeing a value late only delays the
	 * arming by a period. */
	wd.file_plain = f;
	atomic_store_explicit(&wd.start_us, g_get_monotonic_time(), memory_order_relaxed);
	uint_fast64_t n = atomic_load_explicit(&wd.started, memory_order_relaxed) + 1;
	atomic_store_explicit(&wd.started, n, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&wd.current, n, memory_order_release);
	if (G_UNLIKELY(atomic_load_explicit(&wd.sleeping, memory_order_relaxed))) {
		g_mutex_lock(&wd.lock);
		atomic_store(&wd.sleeping, false);
		g_cond_signal(&wd.wake);
		g_mutex_unlock(&wd.lock);
	}
	return true;
}

void rules_watchdog_leave(bool watched)
{
	if (--depth != 0 || !watched)
		return;
	atomic_store_explicit(&wd.current, 0, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
}

unsigned rules_watchdog_armed(void)
{
	return atomic_load_explicit(&wd.armed, memory_order_relaxed);
}

int64_t rules_watchdog_period_us(void)
{
	g_mutex_lock(&wd.lock);
	int64_t p = wd.refs ? wd.period_us : 0;
	g_mutex_unlock(&wd.lock);
	return p;
}
