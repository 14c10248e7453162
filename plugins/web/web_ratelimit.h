/* Message rate per visitor: at most `max` messages in any `window` (a
 * sliding window of the last max timestamps per key). Keys are visitors'
 * sender ids; a visitor's tabs share one budget, and reconnecting does not
 * reset it. Memory is bounded: keys idle for a window are pruned, and at
 * most `max_keys` are kept (beyond that the oldest-touched half is dropped).
 * Thread: one thread at a time (the plugin uses it on the loop thread).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct web_ratelimit web_ratelimit;

web_ratelimit *web_ratelimit_new(unsigned max, int64_t window_us, unsigned max_keys);
void web_ratelimit_free(web_ratelimit *rl);
/* true and counted when key may send at now_us; false (not counted) when
 * it is over; then *retry_us (may be NULL) is the time until it may. */
bool web_ratelimit_hit(web_ratelimit *rl, const char *key, int64_t now_us, int64_t *retry_us);
/* Forgets keys with nothing inside the window. */
void web_ratelimit_prune(web_ratelimit *rl, int64_t now_us);
unsigned web_ratelimit_size(const web_ratelimit *rl);
