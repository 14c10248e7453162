/* Test plugins for the loader, one source built as several modules: each
 * -DTP_<VARIANT> gives a plugin that is good or broken in one way. Built
 * against the SDK headers only, like a real plugin. The good one also
 * exercises the host API that needs no domain or HTTP (config, log, timers,
 * post from a thread) and reports through the log, which the test reads. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <tsunagu/plugin.h>

#ifndef TP_NAME
#define TP_NAME "good"
#endif

typedef struct {
	tsunagu_host *host;
	const tsunagu_host_api *api;
	pthread_t loop_thread;
	pthread_t worker;
	int worker_started;
	uint32_t timer;
	int ticks;
} tp_state;

static const tsunagu_plugin_conf_key tp_schema[] = {
	{"greeting", TSUNAGU_PLUGIN_CONF_STRING, "hello", "a string"},
	{"count", TSUNAGU_PLUGIN_CONF_INT, "3", "an int"},
	{"loud", TSUNAGU_PLUGIN_CONF_BOOL, "false", "a bool"},
	{"every", TSUNAGU_PLUGIN_CONF_DURATION, "10ms", "a duration"},
#ifdef TP_BAD_SCHEMA
	{"Bad Key!", TSUNAGU_PLUGIN_CONF_STRING, "", "not a valid key name"},
#endif
	{NULL, 0, NULL, NULL},
};

static void posted(void *data)
{
	tp_state *st = data;
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "posted fn ran on %s thread",
		     pthread_equal(pthread_self(), st->loop_thread) ? "loop" : "another");
}

static void posted_free(void *data)
{
	tp_state *st = data;
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "posted free ran");
}

static void *worker(void *data)
{
	tp_state *st = data;
	int rc = st->api->post(st->host, posted, st, posted_free);
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "worker posted rc=%d", rc);
	return NULL;
}

static bool tick(void *data)
{
	tp_state *st = data;
	st->ticks++;
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "tick %d", st->ticks);
	return st->ticks < 2; /* ends itself after two */
}

static int tp_init(tsunagu_host *host, const tsunagu_host_api *api, void **state)
{
#ifdef TP_INIT_FAILS
	return -EADDRINUSE;
#endif
	static tp_state st;
	int64_t count = 0, every = 0;
	bool loud = true, enabled = false;
	memset(&st, 0, sizeof st);
	st.host = host;
	st.api = api;
	st.loop_thread = pthread_self();
	if (api->config_int(host, "count", &count) || api->config_bool(host, "loud", &loud) ||
	    api->config_duration_ms(host, "every", &every) ||
	    api->config_bool(host, "enabled", &enabled))
		return -EINVAL;
	api->log(host, TSUNAGU_PLUGIN_LOG_INFO,
		 "init greeting=%s count=%lld loud=%d every=%lld enabled=%d unknown=%s int_of_string=%d",
		 api->config_string(host, "greeting"), (long long)count, loud, (long long)every,
		 enabled, api->config_string(host, "nope") ? "present" : "null",
		 api->config_int(host, "greeting", &count));
	if (TSUNAGU_HOST_HAS(api, data_dir)) {
		const char *dir = NULL, *again = NULL;
		int rc = api->data_dir(host, &dir);
		int rc2 = api->data_dir(host, &again);
		api->log(host, TSUNAGU_PLUGIN_LOG_INFO, "data_dir rc=%d path=%s same=%d", rc,
			 dir ? dir : "(none)", rc2 == rc && dir == again);
	}
	*state = &st;
	return 0;
}

static int tp_start(void *state)
{
#ifdef TP_START_FAILS
	return -ECONNREFUSED;
#endif
	tp_state *st = state;
	int64_t every = 0;
	st->api->config_duration_ms(st->host, "every", &every);
	st->timer = st->api->timer_add(st->host, (uint32_t)every, tick, st);
	st->worker_started = pthread_create(&st->worker, NULL, worker, st) == 0;
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "started timer=%s",
		     st->timer ? "yes" : "no");
	return 0;
}

static void tp_stop(void *state, int64_t deadline_us)
{
	tp_state *st = state;
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "stopping, deadline in future=%d",
		     deadline_us > st->api->monotonic_us(st->host));
}

static void tp_destroy(void *state)
{
	tp_state *st = state;
	if (st->worker_started)
		pthread_join(st->worker, NULL);
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "destroyed");
}

static int tp_deliver(void *state, const tsunagu_plugin_outbound *msg)
{
	return -ENOTCONN;
}

#ifdef TP_CALLS_OLD
static int tp_call_event(void *state, const tsunagu_plugin_call_event *ev)
{
	return 0;
}
#endif

static const tsunagu_plugin_desc tp_desc = {
#ifdef TP_WRONG_MAJOR
	.abi_major = TSUNAGU_PLUGIN_ABI_MAJOR + 1,
#else
	.abi_major = TSUNAGU_PLUGIN_ABI_MAJOR,
#endif
	.abi_minor = TSUNAGU_PLUGIN_ABI_MINOR,
#ifdef TP_TOO_SMALL
	.struct_size = 16,
#elif defined(TP_CALLS_OLD)
	/* a 1.1 description (ends before call_event) that claims calls */
	.struct_size = offsetof(tsunagu_plugin_desc, call_event),
#else
	.struct_size = sizeof(tsunagu_plugin_desc),
#endif
#if defined(TP_CALLS_NO_EVENT) || defined(TP_CALLS_OLD)
	.capabilities = TSUNAGU_PLUGIN_CAP_CHANNEL | TSUNAGU_PLUGIN_CAP_CALLS,
#else
	.capabilities = TSUNAGU_PLUGIN_CAP_CHANNEL,
#endif
	.name = TP_NAME,
	.version = "0.0.1",
	.description = "loader test plugin",
	.config_schema = tp_schema,
	.init = tp_init,
	.start = tp_start,
	.stop = tp_stop,
	.destroy = tp_destroy,
	.deliver = tp_deliver,
#ifdef TP_CALLS_OLD
	/* past struct_size: the host must not read it */
	.call_event = tp_call_event,
#endif
};

#ifndef TP_NO_ENTRY
TSUNAGU_PLUGIN_EXPORT const tsunagu_plugin_desc *tsunagu_plugin_entry(uint32_t major,
								      uint32_t minor)
{
#ifdef TP_NULL_DESC
	return NULL;
#endif
	return &tp_desc;
}
#else
/* Exported, but not the entry: the loader must not mistake it for one. */
TSUNAGU_PLUGIN_EXPORT const tsunagu_plugin_desc *tsunagu_plugin_entry_v0(void);
TSUNAGU_PLUGIN_EXPORT const tsunagu_plugin_desc *tsunagu_plugin_entry_v0(void)
{
	return &tp_desc;
}
#endif
