/* tsunagu plugin SDK: what a plugin exports.
 *
 * A plugin is a shared object (name.so) that exports exactly one symbol:
 *
 *     TSUNAGU_PLUGIN_EXPORT const tsunagu_plugin_desc *
 *     tsunagu_plugin_entry(uint32_t host_abi_major, uint32_t host_abi_minor)
 *     {
 *             return &my_desc;   // static, lives as long as the library
 *     }
 *
 * NEGOTIATION. The host calls the entry once, on the loop thread, right after
 * dlopen, with its own ABI version. The plugin returns its description, or
 * NULL when it cannot work with that host (say it needs minor 3 and the host
 * has 1); the host then refuses it with one log line. The host refuses a
 * description whose abi_major is not its own, or whose struct_size is smaller
 * than the 1.0 layout; it reads no field past struct_size (so a newer plugin's
 * extra fields are ignored, an older plugin's missing fields count as NULL).
 *
 * LIFECYCLE (all on the loop thread, in this order, each at most once):
 *
 *   init(host, api, &state)  parse and check config, allocate, register
 *                            channels/routes/WebSocket paths; no I/O, no
 *                            threads. Non-zero return: the plugin is refused
 *                            and unloaded (destroy is NOT called: free what
 *                            init allocated before failing).
 *   start(state)             open sockets, start threads and timers. A
 *                            non-zero return: the host calls destroy() and
 *                            unloads; the server runs on without it.
 *   stop(state, deadline_us) stop taking new work, finish or hand back what is
 *                            in flight, by deadline_us (monotonic clock, see
 *                            api->monotonic_us). May be skipped if start() was
 *                            never called or failed.
 *   destroy(state)           join every thread, free everything. After it
 *                            returns, no callback and no thread of the plugin
 *                            runs (except post() free functions, see host.h),
 *                            then the host removes its routes, channels and
 *                            timers and dlcloses the library.
 *
 * Callbacks registered through the host API (HTTP, WebSocket, timers, posts,
 * acks, deliver) run only between init() and destroy().
 */
#ifndef TSUNAGU_SDK_PLUGIN_H
#define TSUNAGU_SDK_PLUGIN_H

#include "host.h"
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the plugin does (desc->capabilities). The host uses them to check the
 * description (a channel needs deliver) and to show them to admins. */
#define TSUNAGU_PLUGIN_CAP_CHANNEL   (1u << 0) /* registers channels, has deliver() */
#define TSUNAGU_PLUGIN_CAP_HTTP      (1u << 1) /* registers HTTP routes */
#define TSUNAGU_PLUGIN_CAP_WEBSOCKET (1u << 2) /* registers WebSocket paths */
#define TSUNAGU_PLUGIN_CAP_MEDIA     (1u << 3) /* reserved for the media helpers */
#define TSUNAGU_PLUGIN_CAP_CALLS     (1u << 4) /* 1.2: a phone channel, has call_event() */

typedef struct tsunagu_plugin_desc {
	uint32_t abi_major;   /* TSUNAGU_PLUGIN_ABI_MAJOR */
	uint32_t abi_minor;   /* TSUNAGU_PLUGIN_ABI_MINOR */
	uint32_t struct_size; /* sizeof(tsunagu_plugin_desc) */
	uint32_t capabilities; /* TSUNAGU_PLUGIN_CAP_* */

	/* Static strings. name is the plugin's identity: [a-z0-9_-], 1..32
	 * chars; its config section is [plugin.<name>] and its log topic is
	 * <name>. */
	const char *name;
	const char *version;     /* the plugin's own version, free-form */
	const char *description; /* one line for admins */

	/* The keys of [plugin.<name>], NULL-terminated; NULL = no keys. */
	const tsunagu_plugin_conf_key *config_schema;

	/* Loop thread. host and api: owned by the host, valid until destroy()
	 * returns; keep them. *state: the plugin's own pointer, handed back to
	 * every callback below. Returns 0 or a negative errno. */
	int (*init)(tsunagu_host *host, const tsunagu_host_api *api, void **state);
	/* Loop thread. Returns 0 or a negative errno. May be NULL. */
	int (*start)(void *state);
	/* Loop thread. Returns by deadline_us (monotonic µs). May be NULL. */
	void (*stop)(void *state, int64_t deadline_us);
	/* Loop thread. Required. */
	void (*destroy)(void *state);

	/* Loop thread, after the message is committed: an operator or system
	 * message of a conversation on one of the plugin's channels. msg is owned
	 * by the host, valid during the call; copy what you keep. Return 0 when
	 * accepted for sending, or a negative errno (the core logs it and emits
	 * message.failed). Required with TSUNAGU_PLUGIN_CAP_CHANNEL. */
	int (*deliver)(void *state, const tsunagu_plugin_outbound *msg);

	/* 1.2 (took reserved[0]). Loop thread. A request of the call engine for
	 * one of the plugin's calls (types.h: tsunagu_plugin_call_event_kind).
	 * ev owned by the host, valid during the call. Return 0 when it will be
	 * carried out, or a negative errno: for RING and DIAL the host then
	 * treats the phone as having declined (call_rejected). Required with
	 * TSUNAGU_PLUGIN_CAP_CALLS. */
	int (*call_event)(void *state, const tsunagu_plugin_call_event *ev);

	/* Later minors append fields here, taking from reserved; set to NULL. */
	void *reserved[15];
} tsunagu_plugin_desc;

/* The one exported symbol (see the top of this file). Loop thread. */
#define TSUNAGU_PLUGIN_ENTRY_SYMBOL "tsunagu_plugin_entry"
typedef const tsunagu_plugin_desc *(*tsunagu_plugin_entry_fn)(uint32_t host_abi_major,
								uint32_t host_abi_minor);
TSUNAGU_PLUGIN_EXPORT const tsunagu_plugin_desc *tsunagu_plugin_entry(uint32_t host_abi_major,
								      uint32_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* TSUNAGU_SDK_PLUGIN_H */
