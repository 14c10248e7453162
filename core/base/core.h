/* The daemon's one context object and its main loop.
 *
 * All domain state (store, events, rules, plugins, HTTP) is owned by the loop
 * thread, the thread that called tsunagu_core_run(). Other threads (plugin
 * workers, GStreamer streaming threads) never touch it: they hand work over
 * with tsunagu_core_post(), the one thread-safe entry point.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

typedef struct tsunagu_store tsunagu_store;
typedef struct tsunagu_events tsunagu_events;
typedef struct tsunagu_rules tsunagu_rules;
typedef struct tsunagu_http tsunagu_http;
typedef struct tsunagu_plugins tsunagu_plugins;
typedef struct tsunagu_domain tsunagu_domain;
typedef struct tsunagu_workflows tsunagu_workflows;
typedef struct tsunagu_router tsunagu_router;

typedef enum {
	TSUNAGU_CORE_STARTING,
	TSUNAGU_CORE_RUNNING,
	TSUNAGU_CORE_DRAINING, /* intake stopped, finishing what was accepted */
	TSUNAGU_CORE_STOPPED,
} tsunagu_core_state;

typedef struct tsunagu_core {
	GMainContext *context; /* the default main context */
	GMainLoop *loop;
	tsunagu_config *config; /* owned */
	char *config_path;      /* owned, may be NULL */
	char *data_dir;         /* owned, absolute, created at start */
	tsunagu_core_state state;

	tsunagu_store *store;
	tsunagu_events *events;
	tsunagu_domain *domain;
	tsunagu_rules *rules;
	tsunagu_workflows *workflows;
	tsunagu_router *router; /* assignment and the waiting list (core/domain/router.h) */
	tsunagu_http *http;
	tsunagu_plugins *plugins;

	GThread *loop_thread;
} tsunagu_core;

/* Queues fn(data) to run on the loop thread; destroy(data) runs after it (or
 * instead of it when the core stops first). Any thread. Returns 0 or -ESHUTDOWN
 * once the loop has stopped (then destroy has already run). */
typedef void (*tsunagu_core_fn)(void *data);
int tsunagu_core_post(tsunagu_core *core, tsunagu_core_fn fn, void *data,
		      GDestroyNotify destroy);

/* True when called on the loop thread. For assertions. */
bool tsunagu_core_on_loop(const tsunagu_core *core);

/* Wall clock in microseconds since the epoch; the one clock of the domain
 * (tests may replace it to control time). Loop thread. */
int64_t tsunagu_core_now_us(void);
typedef int64_t (*tsunagu_clock_fn)(void);
void tsunagu_core_set_clock(tsunagu_clock_fn fn);
