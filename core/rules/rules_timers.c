/* Durable timers over the store's timers table, watched by one GLib timeout
 * armed for the earliest due time (see rules_timers.h). */
#define TSUNAGU_LOG_TOPIC "timers"
#include "log.h"
#include "rules_timers.h"

#include <errno.h>
#include <string.h>

#include "core.h"

/* The longest the loop sleeps between two looks at the store: bounds the
 * lateness when the wall clock jumps (the store's times are wall clock). */
#define MAX_SLEEP_MS (60 * 1000)

typedef struct {
	char *prefix;
	tsunagu_timer_fn fn;
	void *user_data;
} handler;

struct tsunagu_timers {
	tsunagu_store *store;
	GMainContext *context;
	GSource *source;      /* armed timeout, or NULL */
	GPtrArray *handlers;  /* handler* */
	bool firing;          /* re-arming waits until the batch is done */
};

static void handler_free(void *p)
{
	handler *h = p;
	g_free(h->prefix);
	g_free(h);
}

static gboolean on_timeout(void *data);

static void arm(tsunagu_timers *t)
{
	if (t->firing)
		return;
	if (t->source) {
		g_source_destroy(t->source);
		g_source_unref(t->source);
		t->source = NULL;
	}
	int64_t due = 0;
	int ret = tsunagu_store_timer_next(t->store, &due);
	if (ret == -ENOENT)
		return;
	int64_t wait_ms = MAX_SLEEP_MS;
	if (ret == 0) {
		int64_t delta = (due - tsunagu_core_now_us()) / 1000;
		wait_ms = delta < 0 ? 0 : delta < MAX_SLEEP_MS ? delta + 1 : MAX_SLEEP_MS;
	} else {
		tlog_warn("cannot read the next timer: %s; retrying in a minute", g_strerror(-ret));
	}
	t->source = g_timeout_source_new((guint)wait_ms);
	g_source_set_callback(t->source, on_timeout, t, NULL);
	g_source_set_static_name(t->source, "tsunagu-timers");
	g_source_attach(t->source, t->context);
}

static gboolean on_timeout(void *data)
{
	tsunagu_timers *t = data;
	g_source_unref(t->source);
	t->source = NULL;
	tsunagu_timers_fire_due(t);
	arm(t);
	return G_SOURCE_REMOVE;
}

int tsunagu_timers_new(tsunagu_store *store, GMainContext *context, tsunagu_timers **out)
{
	if (!store)
		return -EINVAL;
	tsunagu_timers *t = g_new0(tsunagu_timers, 1);
	t->store = store;
	t->context = context;
	t->handlers = g_ptr_array_new_with_free_func(handler_free);
	/* Timers that came due while we were down fire on the first timeout,
	 * after every handler had the chance to register. */
	arm(t);
	*out = t;
	return 0;
}

void tsunagu_timers_free(tsunagu_timers *t)
{
	if (!t)
		return;
	if (t->source) {
		g_source_destroy(t->source);
		g_source_unref(t->source);
	}
	g_ptr_array_unref(t->handlers);
	g_free(t);
}

int tsunagu_timers_handle(tsunagu_timers *t, const char *prefix, tsunagu_timer_fn fn,
			  void *user_data)
{
	if (!prefix || !*prefix || !fn)
		return -EINVAL;
	for (unsigned i = 0; i < t->handlers->len; i++)
		if (strcmp(((handler *)t->handlers->pdata[i])->prefix, prefix) == 0)
			return -EEXIST;
	handler *h = g_new0(handler, 1);
	h->prefix = g_strdup(prefix);
	h->fn = fn;
	h->user_data = user_data;
	g_ptr_array_add(t->handlers, h);
	return 0;
}

void tsunagu_timers_unhandle(tsunagu_timers *t, const char *prefix)
{
	for (unsigned i = 0; i < t->handlers->len; i++)
		if (strcmp(((handler *)t->handlers->pdata[i])->prefix, prefix) == 0) {
			g_ptr_array_remove_index(t->handlers, i);
			return;
		}
}

int tsunagu_timers_set(tsunagu_timers *t, const char *key, int64_t due_at_us, json_t *payload)
{
	char *text = payload ? json_dumps(payload, JSON_COMPACT) : g_strdup("{}");
	if (!text)
		return -EINVAL;
	int ret = tsunagu_store_timer_set(t->store, key, due_at_us, text);
	if (payload)
		free(text);
	else
		g_free(text);
	if (ret == 0)
		arm(t);
	return ret;
}

int tsunagu_timers_cancel(tsunagu_timers *t, const char *key)
{
	int ret = tsunagu_store_timer_cancel(t->store, key);
	if (ret == -ENOENT)
		ret = 0;
	if (ret == 0)
		arm(t);
	return ret;
}

static handler *find_handler(tsunagu_timers *t, const char *key)
{
	handler *best = NULL;
	for (unsigned i = 0; i < t->handlers->len; i++) {
		handler *h = t->handlers->pdata[i];
		if (g_str_has_prefix(key, h->prefix) &&
		    (!best || strlen(h->prefix) > strlen(best->prefix)))
			best = h;
	}
	return best;
}

int tsunagu_timers_fire_due(tsunagu_timers *t)
{
	GPtrArray *due = NULL;
	int ret = tsunagu_store_timer_due(t->store, tsunagu_core_now_us(), 1000, &due);
	if (ret < 0) {
		tlog_warn("cannot read due timers: %s", g_strerror(-ret));
		return ret;
	}
	t->firing = true;
	int fired = 0;
	for (unsigned i = 0; i < due->len; i++) {
		tsunagu_store_timer *timer = due->pdata[i];
		/* Deleted in the batch its handler's writes join: both are
		 * durable together, or neither is. */
		ret = tsunagu_store_timer_cancel(t->store, timer->key);
		if (ret < 0 && ret != -ENOENT) {
			tlog_warn("timer %s: cannot delete: %s", timer->key, g_strerror(-ret));
			continue;
		}
		handler *h = find_handler(t, timer->key);
		json_error_t jerr;
		json_t *payload = json_loads(timer->payload_json ? timer->payload_json : "{}", 0,
					     &jerr);
		if (!h)
			tlog_warn("timer %s: no handler for its prefix; dropped", timer->key);
		else if (!payload)
			tlog_warn("timer %s: bad payload (%s); dropped", timer->key, jerr.text);
		else
			h->fn(timer->key, payload, h->user_data);
		json_decref(payload);
		fired++;
	}
	g_ptr_array_unref(due);
	t->firing = false;
	arm(t);
	return fired;
}
