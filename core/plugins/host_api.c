/* The host API table: what a plugin may ask of the core, translated from the
 * SDK's plain types to core calls (log, config, post, timers, channels,
 * inbound messages). HTTP and WebSocket are in host_http.c. Every function
 * first checks that the plugin is still alive, so a late call from a plugin
 * thread or a callback that lost a race gets -ESHUTDOWN, not a crash. */
#define TSUNAGU_LOG_TOPIC "plugins"
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "config.h"
#include "domain.h"
#include "plugin_host.h"
#include "store.h"

#define TSUNAGU_HOST_POST_DRAIN_US (2 * G_USEC_PER_SEC)

/* ---- log ------------------------------------------------------------------- */

static void host_log(tsunagu_host *h, int level, const char *fmt, ...)
{
	if (!h || !fmt)
		return;
	if (level < TSUNAGU_PLUGIN_LOG_ERROR)
		level = TSUNAGU_PLUGIN_LOG_ERROR;
	if (level > TSUNAGU_PLUGIN_LOG_DEBUG)
		level = TSUNAGU_PLUGIN_LOG_DEBUG;
	va_list ap;
	va_start(ap, fmt);
	tsunagu_logv((tsunagu_log_level)level, h->name, fmt, ap);
	va_end(ap);
}

/* ---- config ------------------------------------------------------------------ */

static const char *host_config_string(tsunagu_host *h, const char *key)
{
	if (!h || !key || !h->core || !h->core->config)
		return NULL;
	return tsunagu_config_section_value(h->core->config, h->section, key);
}

static int host_config_int(tsunagu_host *h, const char *key, int64_t *out)
{
	const char *v = host_config_string(h, key);
	if (!v)
		return -ENOENT;
	return out && tsunagu_conf_parse_int(v, out) ? 0 : -EINVAL;
}

static int host_config_bool(tsunagu_host *h, const char *key, bool *out)
{
	const char *v = host_config_string(h, key);
	if (!v)
		return -ENOENT;
	return out && tsunagu_conf_parse_bool(v, out) ? 0 : -EINVAL;
}

static int host_config_duration_ms(tsunagu_host *h, const char *key, int64_t *out)
{
	const char *v = host_config_string(h, key);
	if (!v)
		return -ENOENT;
	return out && tsunagu_conf_parse_duration_ms(v, out) ? 0 : -EINVAL;
}

/* ---- post ------------------------------------------------------------------------ */

typedef struct {
	tsunagu_host *h;
	tsunagu_host_fn fn;
	void *data;
	tsunagu_host_free_fn free_fn;
} host_post;

static void post_run(void *p)
{
	host_post *hp = p;
	if (tsunagu_host_alive(hp->h))
		hp->fn(hp->data);
}

static void post_free(void *p)
{
	host_post *hp = p;
	if (hp->free_fn)
		hp->free_fn(hp->data);
	g_atomic_int_dec_and_test(&hp->h->pending_posts);
	g_free(hp);
}

static int host_post_fn(tsunagu_host *h, tsunagu_host_fn fn, void *data,
			tsunagu_host_free_fn free_fn)
{
	if (!h || !fn)
		return -EINVAL;
	/* phase is written by the loop thread only; a plugin thread racing with
	 * destroy() may still pass this check, which is fine: post_run checks
	 * again on the loop thread, and the drain in tsunagu_host_release()
	 * waits for the count. */
	if (g_atomic_int_get((gint *)&h->phase) >= TSUNAGU_PLUGIN_DESTROYED || !h->core) {
		if (free_fn)
			free_fn(data);
		return -ESHUTDOWN;
	}
	host_post *hp = g_new(host_post, 1);
	*hp = (host_post){h, fn, data, free_fn};
	g_atomic_int_inc(&h->pending_posts);
	/* On -ESHUTDOWN tsunagu_core_post has run post_free already. */
	return tsunagu_core_post(h->core, post_run, hp, post_free);
}

/* ---- timers ------------------------------------------------------------------------ */

typedef struct {
	tsunagu_host *h;
	tsunagu_host_timer_fn fn;
	void *user_data;
	guint id;
} host_timer;

static gboolean timer_run(void *p)
{
	host_timer *t = p;
	if (tsunagu_host_alive(t->h) && t->fn(t->user_data))
		return G_SOURCE_CONTINUE;
	/* Removing from the table drops our ref; GLib keeps its own during dispatch. */
	g_hash_table_remove(t->h->timers, GUINT_TO_POINTER(t->id));
	return G_SOURCE_REMOVE;
}

static uint32_t host_timer_add(tsunagu_host *h, uint32_t interval_ms, tsunagu_host_timer_fn fn,
			       void *user_data)
{
	if (!h || !fn || interval_ms == 0 || h->phase >= TSUNAGU_PLUGIN_DESTROYED)
		return 0;
	host_timer *t = g_new0(host_timer, 1);
	t->h = h;
	t->fn = fn;
	t->user_data = user_data;
	GSource *src = g_timeout_source_new(interval_ms);
	g_source_set_callback(src, timer_run, t, g_free);
	g_source_set_static_name(src, "tsunagu-plugin-timer");
	t->id = g_source_attach(src, h->core ? h->core->context : NULL);
	g_hash_table_insert(h->timers, GUINT_TO_POINTER(t->id), src); /* takes our ref */
	return t->id;
}

static int host_timer_remove(tsunagu_host *h, uint32_t id)
{
	if (!h || id == 0)
		return -EINVAL;
	GSource *src = g_hash_table_lookup(h->timers, GUINT_TO_POINTER(id));
	if (!src)
		return -ENOENT;
	g_hash_table_remove(h->timers, GUINT_TO_POINTER(id)); /* destroys the source */
	return 0;
}

static int64_t host_monotonic_us(tsunagu_host *h)
{
	return g_get_monotonic_time();
}

/* ---- channels and messages -------------------------------------------------------- */

static bool name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_islower(s[i]) && !g_ascii_isdigit(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static bool owns_channel(const tsunagu_host *h, const char *channel)
{
	for (guint i = 0; channel && i < h->channels->len; i++)
		if (strcmp(g_ptr_array_index(h->channels, i), channel) == 0)
			return true;
	return false;
}

static int deliver_run(const char *channel, const char *recipient_id,
		       const char *conversation_public_id, int64_t message_id, tsunagu_msg_kind kind,
		       const char *text, void *user_data)
{
	tsunagu_host *h = user_data;
	if (h->phase != TSUNAGU_PLUGIN_STARTED)
		return -ESHUTDOWN;
	tsunagu_plugin_outbound out = {
		.struct_size = sizeof out,
		.kind = kind == TSUNAGU_MSG_OPERATOR ? TSUNAGU_PLUGIN_MSG_OPERATOR
						     : TSUNAGU_PLUGIN_MSG_SYSTEM,
		.channel = channel,
		.recipient_id = recipient_id,
		.conversation = conversation_public_id,
		.message_id = message_id,
		.text = text,
	};
	return h->desc.deliver(h->state, &out);
}

static int host_register_channel(tsunagu_host *h, const char *channel)
{
	if (!h || !name_valid(channel))
		return -EINVAL;
	if (h->phase >= TSUNAGU_PLUGIN_STOPPED)
		return -ESHUTDOWN;
	if (!(h->desc.capabilities & TSUNAGU_PLUGIN_CAP_CHANNEL) || !h->desc.deliver)
		return -EPERM;
	if (owns_channel(h, channel))
		return 0;
	if (!h->core || !h->core->domain)
		return -ENODEV;
	int rc = tsunagu_domain_register_channel(h->core->domain, channel, deliver_run, h, h);
	if (rc == 0)
		g_ptr_array_add(h->channels, g_strdup(channel));
	return rc;
}

/* One inbound() awaiting its commit. Lives until the domain's callback runs,
 * even when the plugin was destroyed before (then cancelled is set). */
typedef struct {
	tsunagu_host *h;
	tsunagu_host_inbound_cb cb;
	void *user_data;
	bool cancelled;
} host_inbound_call;

static void inbound_done(int status, int64_t conversation_id, const char *conversation_public_id,
			 int64_t message_id, void *user_data)
{
	host_inbound_call *c = user_data;
	if (!c->cancelled) {
		g_hash_table_remove(c->h->inbound, c);
		bool ok = status == 0 || status == -EEXIST;
		c->cb(status, ok ? conversation_public_id : NULL, ok ? message_id : 0, c->user_data);
	}
	g_free(c);
}

static int host_inbound(tsunagu_host *h, const tsunagu_plugin_inbound *msg,
			tsunagu_host_inbound_cb cb, void *user_data)
{
	if (!h || !msg || !cb ||
	    msg->struct_size < offsetof(tsunagu_plugin_inbound, provider_message_id) + sizeof(char *))
		return -EINVAL;
	if (h->phase != TSUNAGU_PLUGIN_STARTED)
		return -ESHUTDOWN;
	if (!owns_channel(h, msg->channel))
		return -EPERM;
	if (!msg->sender_id || !*msg->sender_id || !msg->text || !*msg->text ||
	    !g_utf8_validate(msg->text, -1, NULL) ||
	    (msg->sender_name && !g_utf8_validate(msg->sender_name, -1, NULL)))
		return -EINVAL;
	if (!h->core || !h->core->domain)
		return -ENODEV;
	tsunagu_inbound_message m = {
		.channel = msg->channel,
		.sender_id = msg->sender_id,
		.sender_name = msg->sender_name,
		.text = msg->text,
		.provider_message_id = msg->provider_message_id,
		/* 1.1 took reserved[0], which a 1.0 plugin zeroes */
		.visitor_json = msg->visitor_json,
	};
	host_inbound_call *c = g_new0(host_inbound_call, 1);
	c->h = h;
	c->cb = cb;
	c->user_data = user_data;
	g_hash_table_add(h->inbound, c);
	int rc = tsunagu_domain_inbound(h->core->domain, &m, inbound_done, c);
	if (rc) {
		g_hash_table_remove(h->inbound, c);
		g_free(c);
	}
	return rc;
}

void tsunagu_host_cancel_inbound(tsunagu_host *h)
{
	GHashTableIter it;
	void *key;
	g_hash_table_iter_init(&it, h->inbound);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		host_inbound_call *c = key;
		c->cancelled = true; /* freed by inbound_done when the commit comes */
		g_hash_table_iter_remove(&it);
		c->cb(-ECANCELED, NULL, 0, c->user_data);
	}
	tsunagu_host_cancel_pending(h);
	tsunagu_host_cancel_calls(h);
}

static int host_post_system_message(tsunagu_host *h, const char *conversation, const char *text)
{
	if (!h || !conversation || !text || !*text || !g_utf8_validate(text, -1, NULL))
		return -EINVAL;
	if (h->phase != TSUNAGU_PLUGIN_STARTED)
		return -ESHUTDOWN;
	if (!h->core || !h->core->domain || !h->core->store)
		return -ENODEV;
	tsunagu_store_conversation *conv = NULL;
	int rc = tsunagu_store_conversation_get_by_public_id(h->core->store, conversation, &conv);
	if (rc)
		goto out;
	if (!owns_channel(h, conv->channel)) {
		rc = -EPERM;
		goto out;
	}
	rc = tsunagu_domain_post(h->core->domain, conv->id, 0, TSUNAGU_MSG_SYSTEM, text, NULL, NULL,
				 NULL);
out:
	if (conv)
		tsunagu_store_conversation_free(conv);
	return rc;
}

/* ---- memory ------------------------------------------------------------------------ */

static void *host_alloc(size_t size)
{
	return g_malloc0(size ? size : 1);
}

static void host_free(void *p)
{
	g_free(p);
}

static char *host_strdup(const char *s)
{
	return g_strdup(s);
}

/* ---- the table and the per-plugin handle ------------------------------------------ */

const tsunagu_host_api *tsunagu_host_api_table(void)
{
	static tsunagu_host_api table;
	static gsize done;
	if (g_once_init_enter(&done)) {
		table = (tsunagu_host_api){
			.abi_major = TSUNAGU_PLUGIN_ABI_MAJOR,
			.abi_minor = TSUNAGU_PLUGIN_ABI_MINOR,
			.struct_size = sizeof(tsunagu_host_api),
			.log = host_log,
			.config_string = host_config_string,
			.config_int = host_config_int,
			.config_bool = host_config_bool,
			.config_duration_ms = host_config_duration_ms,
			.post = host_post_fn,
			.timer_add = host_timer_add,
			.timer_remove = host_timer_remove,
			.monotonic_us = host_monotonic_us,
			.register_channel = host_register_channel,
			.inbound = host_inbound,
			.post_system_message = host_post_system_message,
			.alloc = host_alloc,
			.free = host_free,
			.strdup = host_strdup,
		};
		tsunagu_host_http_fill(&table);
		tsunagu_host_customers_fill(&table);
		tsunagu_host_calls_fill(&table);
		tsunagu_host_guidance_fill(&table);
		tsunagu_host_files_fill(&table);
		g_once_init_leave(&done, 1);
	}
	return &table;
}

static void source_destroy_unref(void *p)
{
	g_source_destroy(p);
	g_source_unref(p);
}

tsunagu_host *tsunagu_host_new(tsunagu_plugins *plugins, const char *path, void *dl,
			       const tsunagu_plugin_desc *desc)
{
	tsunagu_host *h = g_new0(tsunagu_host, 1);
	h->plugins = plugins;
	h->core = plugins->core;
	h->path = g_strdup(path);
	h->dl = dl;
	/* Read no byte past the plugin's struct_size: an older plugin's missing
	 * fields are NULL, a newer one's extra fields are ignored. */
	memcpy(&h->desc, desc, MIN((size_t)desc->struct_size, sizeof h->desc));
	h->name = g_strdup(desc->name);
	h->section = g_strconcat("plugin.", desc->name, NULL);
	h->timers = g_hash_table_new_full(NULL, NULL, NULL, source_destroy_unref);
	h->requests = g_hash_table_new(NULL, NULL);
	h->ws_conns = g_hash_table_new(NULL, NULL);
	h->inbound = g_hash_table_new(NULL, NULL);
	h->pending = g_hash_table_new(NULL, NULL);
	h->calls = g_hash_table_new(NULL, NULL);
	h->own_calls = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	h->routes = g_ptr_array_new_with_free_func(g_free);
	h->channels = g_ptr_array_new_with_free_func(g_free);
	return h;
}

bool tsunagu_host_release(tsunagu_host *h)
{
	tsunagu_host_cancel_inbound(h);
	g_hash_table_remove_all(h->timers);
	tsunagu_host_http_release(h);
	if (h->core && h->core->domain && h->channels->len)
		tsunagu_domain_unregister_owner(h->core->domain, h);
	g_ptr_array_set_size(h->channels, 0);

	/* Posts queued by the plugin's threads before destroy() returned still
	 * hold free functions in the library: run them (post_run skips fn now)
	 * before it may be unmapped. */
	GMainContext *ctx = h->core ? h->core->context : NULL;
	int64_t until = g_get_monotonic_time() + TSUNAGU_HOST_POST_DRAIN_US;
	while (g_atomic_int_get(&h->pending_posts) > 0 && g_get_monotonic_time() < until)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
	return g_atomic_int_get(&h->pending_posts) == 0;
}

void tsunagu_host_free(tsunagu_host *h)
{
	if (!h)
		return;
	tsunagu_host_http_free(h);
	g_hash_table_destroy(h->timers);
	g_hash_table_destroy(h->requests);
	g_hash_table_destroy(h->ws_conns);
	g_hash_table_destroy(h->inbound);
	g_hash_table_destroy(h->pending);
	g_hash_table_destroy(h->calls);
	g_hash_table_destroy(h->own_calls);
	g_ptr_array_free(h->routes, TRUE);
	g_ptr_array_free(h->channels, TRUE);
	g_free(h->name);
	g_free(h->path);
	g_free(h->section);
	g_free(h->data_dir);
	g_free(h);
}
