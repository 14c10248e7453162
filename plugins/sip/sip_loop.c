/* sip_loop: sofia-sip's message queue drained within the su_glib dispatch
 * that filled it, no eventfd wakeup for messages the loop thread sends to
 * itself, and no busy loop before a timer (sip_loop.h says why and when). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <glib.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_wait.h>

#include "sip_loop.h"

/* Exported by libsofia-sip-ua (the su_port implementations share them) but
 * declared only in its private su_port.h. */
extern int su_base_port_getmsgs(su_port_t *self);
extern int su_base_port_send(su_port_t *self, su_msg_r rmsg);
extern su_timer_queue_t *su_base_port_timers(su_port_t *self);
extern int su_base_port_getmsgs_from(su_port_t *self, su_port_t *from);
extern su_timer_queue_t *su_base_port_deferrable(su_port_t *self);
extern int su_base_port_start_shared(su_root_t *parent, su_clone_r return_clone,
				     su_root_magic_t *magic, su_root_init_f init,
				     su_root_deinit_f deinit);
extern void su_base_port_wait(su_clone_r rclone);
extern int su_base_port_max_defer(su_port_t *self, su_duration_t *return_duration,
				  su_duration_t *set_duration);
/* Exported, declared in su_port.h too: milliseconds from now to the first
 * timer of the queue, 0 when due, SU_DURATION_MAX when none. */
extern su_duration_t su_timer_next_expires(su_timer_queue_t const *timers, su_time_t now);

typedef void (*sip_loop_fn)(void);

/* su_port_vtable_t of sofia-sip 1.12.11 (su_port.h): its size, then
 * function pointers, 30 upstream and 32 in Debian's build (stamp64 and
 * stamp64_offset after is_running). Only the slots named below are
 * touched or checked; the table is copied whole (its own size). */
enum {
	SLOT_SEND = 5,
	SLOT_TIMERS = 17,
	SLOT_GETMSGS = 20,
	SLOT_GETMSGS_FROM = 21,
	SLOT_START_SHARED = 23,
	SLOT_WAIT = 24,
	SLOT_DEFERRABLE = 26,
	SLOT_MAX_DEFER = 27,
	SLOT_WAKEUP = 28,
	SLOT_COUNT = 40, /* room for a few more */
};
typedef struct {
	unsigned size;
	sip_loop_fn slot[SLOT_COUNT];
} sip_port_vtable;

/* The head of every su_port_t (su_base_port_t): a home, then the table. */
typedef struct {
	su_home_t home[1];
	const sip_port_vtable *vtable;
} sip_port_head;

struct sip_loop {
	sip_port_vtable vtable;           /* first: the port points here */
	const sip_port_vtable *original;  /* NULL when the table is not ours */
	GSourceFuncs funcs;               /* su_glib's, with our prepare */
	const GSourceFuncs *su_funcs;     /* su_glib's own; NULL: not replaced */
	su_port_t *port;
	GSource *source;
	/* Set by every send into an empty queue (loop_wakeup, any thread),
	 * cleared by the drain before it takes the queue: false means the
	 * queue is empty. Read and written with __atomic builtins. */
	bool queued;
	sip_loop_stats stats;
};

/* Any thread (whoever sends a message to the port). */
static int loop_wakeup(su_port_t *port)
{
	sip_loop *loop = (sip_loop *)((sip_port_head *)port)->vtable;
	GMainContext *ctx = g_source_get_context(loop->source);

	__atomic_store_n(&loop->queued, true, __ATOMIC_SEQ_CST);

	/* The owner is running this code, so it is not blocked in poll():
	 * the drain or the next prepare (zero timeout for a non-empty queue)
	 * runs the message. */
	if (ctx && g_main_context_is_owner(ctx)) {
		loop->stats.wakeups_skipped++;
		return 0;
	}
	__atomic_fetch_add(&loop->stats.wakeups_sent, 1, __ATOMIC_RELAXED);
	return ((int (*)(su_port_t *))loop->original->slot[SLOT_WAKEUP])(port);
}

static void drain(sip_loop *loop)
{
	int n = 0;

	for (int round = 0; round < SIP_LOOP_MAX_ROUNDS; round++) {
		/* Before taking the queue: a message sent from here on (by the
		 * handlers below or another thread) sets it again. */
		__atomic_store_n(&loop->queued, false, __ATOMIC_SEQ_CST);
		int ran = su_base_port_getmsgs(loop->port);
		if (ran <= 0)
			break;
		n += ran;
	}
	loop->stats.drained += (uint64_t)n;
}

/* Loop thread: the GSource callback, called last in su_glib's dispatch
 * after its messages, timers and socket callbacks have returned, so no
 * sofia function is on the stack below us. */
static gboolean loop_drain(gpointer user_data)
{
	sip_loop *loop = user_data;

	loop->stats.dispatches++;
	drain(loop);
	return G_SOURCE_CONTINUE;
}

/* Milliseconds until the first timer of queue, rounded up: 0 when due.
 * su_timer_next_expires() truncates (mostly: su_duration() divides the
 * microseconds apart from the seconds, so across a second boundary it may
 * round up instead); asked from 999 µs earlier it answers the rounded-up
 * wait instead, within that same one millisecond. */
static su_duration_t timer_wait_ceil(su_timer_queue_t *queue)
{
	if (!queue || !*queue)
		return SU_DURATION_MAX;
	/* su_glib reads the wall clock (g_source_get_current_time) in NTP
	 * seconds, as su_now() sets the timers. */
	int64_t us = g_get_real_time() - 999;
	su_time_t earlier = {
		.tv_sec = (unsigned long)(us / G_USEC_PER_SEC) + 2208988800UL,
		.tv_usec = (unsigned long)(us % G_USEC_PER_SEC),
	};
	return su_timer_next_expires(queue, earlier);
}

/* Loop thread: su_glib's prepare, its millisecond rounded up. su_glib
 * asks GLib for a zero timeout, and says "ready", as soon as its first
 * timer is less than a millisecond away (the truncation above): until that
 * timer is due, every iteration polls without waiting and dispatches the
 * source for nothing. At 100 calls a second that spin was about a third of
 * tsunagud's loop iterations. A queued message still makes it ready at
 * once. */
static gboolean loop_prepare(GSource *gs, gint *timeout)
{
	sip_loop *loop = (sip_loop *)((char *)gs->source_funcs - offsetof(sip_loop, funcs));
	gboolean ready = loop->su_funcs->prepare(gs, timeout);

	if (!ready || *timeout != 0 || __atomic_load_n(&loop->queued, __ATOMIC_SEQ_CST))
		return ready;
	su_duration_t wait = MIN(timer_wait_ceil(su_base_port_timers(loop->port)),
				 timer_wait_ceil(su_base_port_deferrable(loop->port)));
	if (wait <= 0)
		return TRUE;
	loop->stats.early_timers++;
	*timeout = (gint)MIN(wait, (su_duration_t)G_MAXINT);
	return FALSE;
}

void sip_loop_run(sip_loop *loop)
{
	/* Inside the su source's dispatch a sofia callback may be below us;
	 * its end drains anyway. */
	if (!loop || g_main_current_source() == loop->source)
		return;
	loop->stats.runs++;
	drain(loop);
}

/* The table is one this file knows when every slot we can name holds the
 * exported function it must hold. */
static bool table_known(const sip_port_vtable *vt)
{
	return vt && vt->size >= offsetof(sip_port_vtable, slot[SLOT_WAKEUP + 1]) &&
	       vt->size <= sizeof(sip_port_vtable) &&
	       vt->slot[SLOT_SEND] == (sip_loop_fn)su_base_port_send &&
	       vt->slot[SLOT_TIMERS] == (sip_loop_fn)su_base_port_timers &&
	       vt->slot[SLOT_GETMSGS] == (sip_loop_fn)su_base_port_getmsgs &&
	       vt->slot[SLOT_GETMSGS_FROM] == (sip_loop_fn)su_base_port_getmsgs_from &&
	       vt->slot[SLOT_START_SHARED] == (sip_loop_fn)su_base_port_start_shared &&
	       vt->slot[SLOT_WAIT] == (sip_loop_fn)su_base_port_wait &&
	       vt->slot[SLOT_DEFERRABLE] == (sip_loop_fn)su_base_port_deferrable &&
	       vt->slot[SLOT_MAX_DEFER] == (sip_loop_fn)su_base_port_max_defer &&
	       vt->slot[SLOT_WAKEUP] != NULL;
}

int sip_loop_attach(su_root_t *root, sip_loop **out, bool *wakeup_skipped)
{
	GSource *gs = root ? su_glib_root_gsource(root) : NULL;
	su_port_t *port = root ? su_root_task(root)->sut_port : NULL;
	sip_loop *loop = NULL;
	int rc = -EINVAL;

	*out = NULL;
	if (wakeup_skipped)
		*wakeup_skipped = false;
	if (!gs || !port)
		goto out;
	loop = g_new0(sip_loop, 1);
	loop->port = port;
	loop->source = gs;
	loop->queued = true; /* what was sent before is not known */
	g_source_set_callback(gs, loop_drain, loop, NULL);
	sip_port_head *head = (sip_port_head *)port;
	if (table_known(head->vtable)) {
		memcpy(&loop->vtable, head->vtable, head->vtable->size);
		loop->vtable.slot[SLOT_WAKEUP] = (sip_loop_fn)loop_wakeup;
		loop->original = head->vtable;
		head->vtable = &loop->vtable;
		if (wakeup_skipped)
			*wakeup_skipped = true;
		/* The prepare needs to know the queue is empty: only our
		 * wakeup tells. GSource's source_funcs is a field of the
		 * public (ABI-stable) struct; GLib reads it at each
		 * iteration, on the thread that owns the context. */
		if (gs->source_funcs && gs->source_funcs->prepare) {
			loop->su_funcs = gs->source_funcs;
			loop->funcs = *gs->source_funcs;
			loop->funcs.prepare = loop_prepare;
			gs->source_funcs = &loop->funcs;
		}
	}
	*out = loop;
	rc = 0;
out:
	return rc;
}

void sip_loop_free(sip_loop *loop)
{
	if (!loop)
		return;
	if (loop->original)
		((sip_port_head *)loop->port)->vtable = loop->original;
	if (loop->su_funcs)
		loop->source->source_funcs = loop->su_funcs;
	g_source_set_callback(loop->source, NULL, NULL, NULL);
	g_free(loop);
}

void sip_loop_get_stats(const sip_loop *loop, sip_loop_stats *out)
{
	*out = loop->stats;
	out->wakeups_sent = __atomic_load_n(&loop->stats.wakeups_sent, __ATOMIC_RELAXED);
}
