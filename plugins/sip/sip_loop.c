/* sip_loop: sofia-sip's message queue drained within the su_glib dispatch
 * that filled it, and no eventfd wakeup for messages the loop thread
 * sends to itself (sip_loop.h says why and when). */
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
	su_port_t *port;
	GSource *source;
	sip_loop_stats stats;
};

/* Any thread (whoever sends a message to the port). */
static int loop_wakeup(su_port_t *port)
{
	sip_loop *loop = (sip_loop *)((sip_port_head *)port)->vtable;
	GMainContext *ctx = g_source_get_context(loop->source);

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
	g_source_set_callback(gs, loop_drain, loop, NULL);
	sip_port_head *head = (sip_port_head *)port;
	if (table_known(head->vtable)) {
		memcpy(&loop->vtable, head->vtable, head->vtable->size);
		loop->vtable.slot[SLOT_WAKEUP] = (sip_loop_fn)loop_wakeup;
		loop->original = head->vtable;
		head->vtable = &loop->vtable;
		if (wakeup_skipped)
			*wakeup_skipped = true;
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
	g_source_set_callback(loop->source, NULL, NULL, NULL);
	g_free(loop);
}

void sip_loop_get_stats(const sip_loop *loop, sip_loop_stats *out)
{
	*out = loop->stats;
	out->wakeups_sent = __atomic_load_n(&loop->stats.wakeups_sent, __ATOMIC_RELAXED);
}
