/* The thread-safe hand-over to the loop thread, and the domain clock. */
#include "core.h"

#include <errno.h>

typedef struct {
	tsunagu_core_fn fn;
	void *data;
	GDestroyNotify destroy;
} posted_call;

static gboolean run_posted(void *p)
{
	posted_call *c = p;
	c->fn(c->data);
	return G_SOURCE_REMOVE;
}

static void free_posted(void *p)
{
	posted_call *c = p;
	if (c->destroy)
		c->destroy(c->data);
	g_free(c);
}

int tsunagu_core_post(tsunagu_core *core, tsunagu_core_fn fn, void *data, GDestroyNotify destroy)
{
	/* Read without a lock: a post racing with the very end of shutdown is
	 * still safe because the source is attached to a context that outlives
	 * the loop; it simply never runs and destroy frees it. */
	if (!core || g_atomic_int_get((gint *)&core->state) == TSUNAGU_CORE_STOPPED) {
		if (destroy)
			destroy(data);
		return -ESHUTDOWN;
	}
	posted_call *c = g_new(posted_call, 1);
	c->fn = fn;
	c->data = data;
	c->destroy = destroy;
	GSource *src = g_idle_source_new();
	g_source_set_priority(src, G_PRIORITY_DEFAULT);
	g_source_set_callback(src, run_posted, c, free_posted);
	g_source_set_static_name(src, "tsunagu-post");
	g_source_attach(src, core->context);
	g_source_unref(src);
	return 0;
}

bool tsunagu_core_on_loop(const tsunagu_core *core)
{
	return core && core->loop_thread == g_thread_self();
}

static int64_t real_clock(void)
{
	return g_get_real_time();
}

static tsunagu_clock_fn clock_fn = real_clock;

int64_t tsunagu_core_now_us(void)
{
	return clock_fn();
}

void tsunagu_core_set_clock(tsunagu_clock_fn fn)
{
	clock_fn = fn ? fn : real_clock;
}
