/* Login-failure rate limiting: a failure counter per key within a window,
 * then a lockout. In memory (GHashTable), bounded. */
#define TSUNAGU_LOG_TOPIC "auth"
#include "auth.h"

/* Past this many keys the table drops entries that no longer matter
 * (window and lockout over); a flood of distinct keys cannot grow it
 * without bound: when still full, the oldest windows go. */
#define MAX_KEYS 100000

typedef struct {
	unsigned failures;
	int64_t window_start_us;
	int64_t locked_until_us;
} entry;

struct tsunagu_ratelimit {
	unsigned max_failures;
	int64_t window_us;
	int64_t lockout_us;
	GHashTable *keys; /* char* -> entry* */
};

tsunagu_ratelimit *tsunagu_ratelimit_new(unsigned max_failures, int64_t window_ms,
					 int64_t lockout_ms)
{
	tsunagu_ratelimit *rl = g_new0(tsunagu_ratelimit, 1);
	rl->max_failures = max_failures ? max_failures : 1;
	rl->window_us = window_ms * 1000;
	rl->lockout_us = lockout_ms * 1000;
	rl->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return rl;
}

void tsunagu_ratelimit_free(tsunagu_ratelimit *rl)
{
	if (!rl)
		return;
	g_hash_table_unref(rl->keys);
	g_free(rl);
}

static bool stale(const tsunagu_ratelimit *rl, const entry *e, int64_t now)
{
	return e->locked_until_us <= now && now - e->window_start_us >= rl->window_us;
}

static void prune(tsunagu_ratelimit *rl, int64_t now)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, rl->keys);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (stale(rl, v, now))
			g_hash_table_iter_remove(&it);
	if (g_hash_table_size(rl->keys) < MAX_KEYS)
		return;
	/* still full of live entries: forget those not locked */
	g_hash_table_iter_init(&it, rl->keys);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (((entry *)v)->locked_until_us <= now)
			g_hash_table_iter_remove(&it);
}

int64_t tsunagu_ratelimit_check(tsunagu_ratelimit *rl, const char *key)
{
	int64_t now = tsunagu_core_now_us();
	entry *e = g_hash_table_lookup(rl->keys, key);

	if (!e || e->locked_until_us <= now)
		return 0;
	return (e->locked_until_us - now + 999) / 1000;
}

int64_t tsunagu_ratelimit_fail(tsunagu_ratelimit *rl, const char *key)
{
	int64_t now = tsunagu_core_now_us();
	entry *e = g_hash_table_lookup(rl->keys, key);

	if (!e) {
		if (g_hash_table_size(rl->keys) >= MAX_KEYS)
			prune(rl, now);
		e = g_new0(entry, 1);
		e->window_start_us = now;
		g_hash_table_insert(rl->keys, g_strdup(key), e);
	}
	if (e->locked_until_us > now)
		return tsunagu_ratelimit_check(rl, key);
	if (now - e->window_start_us >= rl->window_us) {
		e->window_start_us = now;
		e->failures = 0;
	}
	e->failures++;
	if (e->failures >= rl->max_failures) {
		e->locked_until_us = now + rl->lockout_us;
		e->failures = 0;
		e->window_start_us = e->locked_until_us;
	}
	return tsunagu_ratelimit_check(rl, key);
}

void tsunagu_ratelimit_reset(tsunagu_ratelimit *rl, const char *key)
{
	g_hash_table_remove(rl->keys, key);
}

unsigned tsunagu_ratelimit_size(const tsunagu_ratelimit *rl)
{
	return g_hash_table_size(rl->keys);
}
