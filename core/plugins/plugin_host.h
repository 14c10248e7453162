/* Internal to core/plugins: one loaded plugin as the host sees it, shared by
 * the loader (plugin_loader.c), the host API table (host_api.c) and its HTTP
 * and WebSocket part (host_http.c). Not for the rest of the core: main.c uses
 * plugins.h.
 * Thread: loop thread, except the fields marked atomic.
 */
#pragma once

#include <glib.h>
#include <tsunagu/plugin.h>

#include "core.h"

typedef enum {
	TSUNAGU_PLUGIN_LOADED = 0, /* description accepted, init not yet called */
	TSUNAGU_PLUGIN_INITED,
	TSUNAGU_PLUGIN_STARTED,
	TSUNAGU_PLUGIN_STOPPED,
	TSUNAGU_PLUGIN_DESTROYED, /* destroy() called: no plugin callback any more */
} tsunagu_plugin_phase;

/* The per-plugin handle handed to the plugin as tsunagu_host *. */
struct tsunagu_host {
	tsunagu_plugins *plugins;
	tsunagu_core *core;
	char *name;          /* desc->name, copied */
	char *path;          /* the .so file */
	char *section;       /* "plugin.<name>" */
	char *data_dir;      /* the plugin's directory once data_dir() made it, owned */
	void *dl;            /* dlopen handle, NULL once closed */
	tsunagu_plugin_desc desc; /* copy of the plugin's, fields past its struct_size zeroed */
	void *state;         /* the plugin's own */
	tsunagu_plugin_phase phase;

	GHashTable *timers;      /* id (guint) -> GSource* (ref held) */
	GHashTable *requests;    /* tsunagu_http_request* not yet answered (set) */
	GHashTable *ws_conns;    /* tsunagu_ws_conn* -> host_ws_slot* open, accepted */
	GHashTable *inbound;     /* host_inbound_call* awaiting their commit (set) */
	GHashTable *pending;     /* host_customers.c calls awaiting their commit (set) */
	GHashTable *calls;       /* host_calls.c call_incoming()s awaiting their commit (set) */
	GHashTable *own_calls;   /* host_calls.c: int64 ids of calls known to be of its channels */
	GPtrArray *routes;       /* host_route* (HTTP and WS), freed with the plugin */
	GPtrArray *channels;     /* char* registered channel names */
	gint pending_posts;      /* atomic: posts accepted and not yet freed */
};

/* The set of plugins; main.c sees it as the opaque tsunagu_plugins. */
struct tsunagu_plugins {
	tsunagu_core *core;
	char *dir;               /* where *.so are looked for */
	char **disabled;         /* plugins.disabled split, stripped */
	GPtrArray *loaded;       /* tsunagu_host*, load order */
	GHashTable *seen;        /* names of every description read (set) */
	GPtrArray *retired;      /* tsunagu_host* destroyed, kept until free (see plugins.h) */
	unsigned calls_subscription; /* host_calls.c: the event bus, 0 without one */
	GQueue *call_requests;   /* host_calls.c: call_event()s for the next iteration */
	guint calls_idle;        /* the idle source handing them over, 0 none */
};

/* True while plugin callbacks may run (between init and destroy). */
static inline bool tsunagu_host_alive(const tsunagu_host *h)
{
	return h->phase >= TSUNAGU_PLUGIN_INITED && h->phase < TSUNAGU_PLUGIN_DESTROYED;
}

/* The table handed to every plugin's init (host_api.c). */
const tsunagu_host_api *tsunagu_host_api_table(void);

/* host_api.c: allocates a host for a loaded description, and the cleanup the
 * host does for a plugin after its destroy(): answers its requests 503,
 * closes its sockets, ends its timers, removes its routes and channels,
 * waits (bounded) for its queued posts. Returns false if posts are still
 * queued (then the library must stay mapped). */
tsunagu_host *tsunagu_host_new(tsunagu_plugins *plugins, const char *path, void *dl,
			       const tsunagu_plugin_desc *desc);
void tsunagu_host_cancel_inbound(tsunagu_host *h);
bool tsunagu_host_release(tsunagu_host *h);
void tsunagu_host_free(tsunagu_host *h);

/* host_customers.c (ABI 1.1): history, conversation_customer,
 * contact_set_attributes, setting_get/set; and the cancellation (-ECANCELED,
 * before destroy) of those still awaiting their commit. */
void tsunagu_host_customers_fill(tsunagu_host_api *api);
void tsunagu_host_cancel_pending(tsunagu_host *h);

/* host_calls.c (ABI 1.2): call_incoming ... staff_find; the cancellation
 * (-ECANCELED, before destroy) of call_incoming()s awaiting their commit;
 * and the event bus subscription that turns the engine's call events into
 * call_event() requests (subscribed by tsunagu_plugins_new, ended by
 * tsunagu_plugins_free). */
void tsunagu_host_calls_fill(tsunagu_host_api *api);
void tsunagu_host_cancel_calls(tsunagu_host *h);
void tsunagu_host_calls_subscribe(tsunagu_plugins *p);
void tsunagu_host_calls_unsubscribe(tsunagu_plugins *p);
/* host_guidance.c (ABI 1.2): guidance_path. */
void tsunagu_host_guidance_fill(tsunagu_host_api *api);

/* host_files.c: data_dir() (ABI 1.3). */
void tsunagu_host_files_fill(tsunagu_host_api *api);

/* host_http.c: the HTTP/WebSocket functions of the table and their cleanup. */
void tsunagu_host_http_fill(tsunagu_host_api *api);
void tsunagu_host_http_release(tsunagu_host *h);
void tsunagu_host_http_free(tsunagu_host *h);
