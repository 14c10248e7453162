/* sip_loop: sofia-sip's message queue run on the core's GLib loop with
 * fewer loop iterations (docs/sip.md, "On the core's loop").
 *
 * nua passes every request of the application to its stack, and every
 * event of the stack to the application, as a message on the su_root's
 * port queue. su_glib's GSource runs only the messages queued before its
 * dispatch started, and the first message into an empty queue writes the
 * GLib context's wakeup eventfd: one SIP transaction took several loop
 * iterations, each an eventfd write, a read and a poll.
 *
 * sip_loop_attach() changes two things, both on the loop thread only:
 *  - at the end of the source's dispatch (its GSource callback, called by
 *    su_glib once every sofia callback of the dispatch has returned, so
 *    nothing in sofia is re-entered) the queue is run until empty,
 *    bounded (SIP_LOOP_MAX_ROUNDS passes; what is left runs in the next
 *    iteration, whose prepare sees the queue non-empty and polls with a
 *    zero timeout);
 *  - a message sent on the thread that owns the context wakes nothing: that
 *    thread is not in poll(), and the next prepare (or the drain above)
 *    sees the message. Messages from any other thread still wake the loop.
 *  - su_glib's prepare rounds the wait for its first timer down to the
 *    millisecond and reports the source ready when that is 0: from a
 *    millisecond before each timer until it is due, GLib polled without
 *    waiting and dispatched the source for nothing, again and again. The
 *    source's prepare is wrapped: with no message queued and no timer due
 *    it waits the rounded-up millisecond instead (sip_loop_stats
 *    early_timers counts those).
 * The second and third need the su_port's function table, which sofia-sip
 * does not install a header for: its layout is checked against the
 * exported su_base_port_* functions it must hold (sofia-sip 1.12.11); when
 * anything differs, only the drain is used.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <sofia-sip/su_glib.h>

/* Passes of the queue per dispatch: a call's longest chain of hops
 * (stack -> application -> stack -> ...) is about six. */
#define SIP_LOOP_MAX_ROUNDS 16

typedef struct sip_loop sip_loop;

/* Hooks root's GSource (su_glib_root_gsource(root); attached or not: before
 * g_source_attach() is best, as the prepare is replaced in place) and
 * returns the hook in *out, owned by the caller (sip_loop_free()). 0, or
 * -EINVAL for a root that is not su_glib's. *wakeup_skipped (may be NULL)
 * says whether the owner thread's wakeups are skipped (the port's table
 * matched) or only the drain is used. Loop thread. */
int sip_loop_attach(su_root_t *root, sip_loop **out, bool *wakeup_skipped);
/* Puts the port's own table back and frees the hook; call before
 * su_root_destroy(). NULL is accepted. */
void sip_loop_free(sip_loop *loop);

/* Runs the queue now (bounded as above): for the plugin's entry points
 * that are not sofia callbacks (the host's call events and callbacks),
 * whose nua requests would otherwise wait for the next loop iteration.
 * Does nothing inside the su source's dispatch (a sofia callback may be
 * on the stack). Loop thread; NULL accepted. */
void sip_loop_run(sip_loop *loop);

/* Counters since attach, for tests and the debug log. */
typedef struct {
	uint64_t dispatches;   /* dispatches that ran the drain */
	uint64_t runs;         /* sip_loop_run() calls that drained */
	uint64_t drained;      /* messages the drain ran */
	uint64_t wakeups_skipped;
	uint64_t wakeups_sent; /* sends from other threads, or outside the loop */
	uint64_t early_timers; /* prepares that waited a millisecond, not zero */
} sip_loop_stats;
void sip_loop_get_stats(const sip_loop *loop, sip_loop_stats *out);
