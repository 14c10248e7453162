/* Sliding-window rate limit per key, in memory. */
#include "web_ratelimit.h"

#include <glib.h>

typedef struct {
	int64_t *times; /* ring of the last max hits */
	unsigned next;  /* where the next hit goes (the oldest once full) */
	unsigned count;
	int64_t last;
} window;

struct web_ratelimit {
	unsigned max;
	int64_t window_us;
	unsigned max_keys;
	GHashTable *keys; /* char* -> window* */
};

static void window_free(void *p)
{
	window *w = p;
	g_free(w->times);
	g_free(w);
}

web_ratelimit *web_ratelimit_new(unsigned max, int64_t window_us, unsigned max_keys)
{
	web_ratelimit *rl = g_new0(web_ratelimit, 1);
	rl->max = max ? max : 1;
	rl->window_us = window_us > 0 ? window_us : 1;
	rl->max_keys = max_keys ? max_keys : 100000;
	rl->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, window_free);
	return rl;
}

void web_ratelimit_free(web_ratelimit *rl)
{
	if (!rl)
		return;
	g_hash_table_destroy(rl->keys);
	g_free(rl);
}

static void drop_half(web_ratelimit *rl)
{
	GHashTableIter it;
	void *v;
	int64_t oldest = INT64_MAX, newest = INT64_MIN;
	g_hash_table_iter_init(&it, rl->keys);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		window *w = v;
		oldest = MIN(oldest, w->last);
		newest = MAX(newest, w->last);
	}
	int64_t cut = oldest + (newest - oldest) / 2;
	g_hash_table_iter_init(&it, rl->keys);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (((window *)v)->last <= cut)
			g_hash_table_iter_remove(&it);
}

bool web_ratelimit_hit(web_ratelimit *rl, const char *key, int64_t now_us, int64_t *retry_us)
{
	window *w = g_hash_table_lookup(rl->keys, key);
	if (!w) {
		if (g_hash_table_size(rl->keys) >= rl->max_keys)
			drop_half(rl);
		w = g_new0(window, 1);
		w->times = g_new0(int64_t, rl->max);
		g_hash_table_insert(rl->keys, g_strdup(key), w);
	}
	if (w->count == rl->max) {
		int64_t oldest = w->times[w->next];
		if (now_us - oldest < rl->window_us) {
			if (retry_us)
				*retry_us = rl->window_us - (now_us - oldest);
			return false;
		}
	} else {
		w->count++;
	}
	w->times[w->next] = now_us;
	w->next = (w->next + 1) % rl->max;
	w->last = now_us;
	return true;
}

void web_ratelimit_prune(web_ratelimit *rl, int64_t now_us)
{
	GHashTableIter it;
	void *v;
	g_hash_table_iter_init(&it, rl->keys);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (now_us - ((window *)v)->last >= rl->window_us)
			g_hash_table_iter_remove(&it);
}

unsigned web_ratelimit_size(const web_ratelimit *rl)
{
	return g_hash_table_size(rl->keys);
}
