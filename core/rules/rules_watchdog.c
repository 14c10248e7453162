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
 * How: the calling thread publishes "call N of file F runs on thread T" in
 * atomics (no lock, no system call on the hot path). A watchdog thread polls
 * every tick while calls happen and sleeps on a condition variable after an
 * idle second. When it sees the same call in progress at two consecutive
 * ticks it sends RULES_WATCHDOG_SIGNAL to thread T, whose handler — running
 * on the calling thread itself, as Lua's own lua.c does for SIGINT — checks
 * that call N is still the one in progress and calls lua_sethook, the one
 * Lua function documented as safe from a signal handler. The handler is
 * installed with SA_RESTART; the loop's poll() seeing EINTR is harmless.
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
#define RULES_WATCHDOG_IDLE_US G_USEC_PER_SEC
#define RULES_WATCHDOG_SIGNAL (SIGRTMIN + 5)

static struct {
	GMutex lock;      /* refs, thread, quit, the condition variable */
	GCond wake;
	unsigned refs;
	GThread *thread;
	bool quit;
	bool handler_installed;

	/* Published by the calling thread, read by the watchdog and the handler. */
	atomic_uint_fast64_t current;  /* number of the call in progress; 0: none */
	atomic_uint_fast64_t started;  /* calls entered so far (the next number - 1) */
	rules_file *file_plain;        /* the file of the call in progress (owner thread only) */
	_Atomic(pthread_t) caller;     /* the owner thread */
	atomic_bool owned;
	atomic_bool sleeping;          /* the watchdog waits for the next call */
	atomic_bool thread_running;
	atomic_uint_fast64_t target;   /* the call the last signal was sent for */
	atomic_int_fast64_t target_seen_us; /* when the watchdog first saw it */
} wd = { .lock = { 0 } };

/* Nesting of rules calls on this thread: only the outermost is published. */
static _Thread_local unsigned depth;
static _Thread_local bool outer_watched;

static void on_signal(int sig)
{
	(void)sig;
	int saved = errno;
	/* On the owner thread, between two of its instructions: current and
	 * file_plain are what that thread last wrote. */
	uint_fast64_t n = atomic_load_explicit(&wd.current, memory_order_relaxed);
	rules_file *f = wd.file_plain;
	if (n != 0 && n == atomic_load(&wd.target) && f) {
		/* The call began at least a tick before the watchdog first saw
		 * it, at most two: count the time limit from two ticks ago.
		 * clock_gettime is async-signal-safe. */
		f->deadline_us = atomic_load(&wd.target_seen_us) - RULES_WATCHDOG_TICK_US +
				 f->time_limit_us;
		rules_arm_limits(f);
	}
	errno = saved;
}

static gpointer watchdog_main(gpointer data)
{
	(void)data;
	uint_fast64_t seen = 0, last_started = 0;
	int64_t last_activity = g_get_monotonic_time(), seen_us = 0;

	g_mutex_lock(&wd.lock);
	while (!wd.quit) {
		g_mutex_unlock(&wd.lock);
		g_usleep(RULES_WATCHDOG_TICK_US);
		int64_t now = g_get_monotonic_time();
		uint_fast64_t n = atomic_load(&wd.current);
		uint_fast64_t started = atomic_load(&wd.started);
		if (n != 0 && n == seen && n != atomic_load(&wd.target)) {
			atomic_store(&wd.target_seen_us, seen_us);
			atomic_store(&wd.target, n);
			pthread_kill(atomic_load(&wd.caller), RULES_WATCHDOG_SIGNAL);
		}
		if (n != seen)
			seen_us = now;
		seen = n;
		if (n != 0 || started != last_started)
			last_activity = now;
		last_started = started;
		g_mutex_lock(&wd.lock);
		if (!wd.quit && now - last_activity > RULES_WATCHDOG_IDLE_US) {
			/* Sleep until a call starts: enter() wakes us when it sees
			 * the flag, after publishing, so no call goes unwatched
			 * for more than one tick. */
			atomic_store(&wd.sleeping, true);
			while (!wd.quit && atomic_load(&wd.sleeping))
				g_cond_wait(&wd.wake, &wd.lock);
			last_activity = g_get_monotonic_time();
			seen = 0;
		}
	}
	g_mutex_unlock(&wd.lock);
	return NULL;
}

int rules_watchdog_ref(void)
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

void rules_watchdog_unref(void)
{
	GThread *t = NULL;
	g_mutex_lock(&wd.lock);
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
	 * arming by a tick. */
	wd.file_plain = f;
	uint_fast64_t n = atomic_load_explicit(&wd.started, memory_order_relaxed) + 1;
	atomic_store_explicit(&wd.started, n, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&wd.current, n, memory_order_relaxed);
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
