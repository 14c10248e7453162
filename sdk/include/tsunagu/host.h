/* tsunagu plugin SDK: the host API table.
 *
 * The host hands a plugin one tsunagu_host_api table and one tsunagu_host
 * handle in init(). The plugin reaches the core only through this table: the
 * daemon exports no symbols. Keep both pointers (they stay valid until
 * destroy() returns).
 *
 * THREADS. The daemon runs one main loop; the "loop thread" runs every plugin
 * callback (init, start, stop, destroy, deliver, HTTP and WebSocket handlers,
 * timers, posted functions, ack callbacks). Host functions marked
 * "any thread" may be called from the plugin's own threads; every other one
 * only from the loop thread. A plugin thread that wants anything else done
 * calls post(), never another host function.
 *
 * OWNERSHIP. Strings a plugin passes in are borrowed for the call (the host
 * copies what it keeps). Strings the host returns are owned by the host and
 * valid for the time stated; never free them. Where a function hands over
 * memory the plugin must free, it says so; free it with api->free().
 *
 * ERRORS. Functions returning int return 0 or a negative errno:
 * -EINVAL (bad argument), -EPERM (not this plugin's channel / path reserved),
 * -EEXIST (name or path taken), -ENOENT (no such thing), -ESHUTDOWN (the
 * plugin is not running any more), -ENODEV (the host runs without that part,
 * e.g. in a unit test without HTTP).
 *
 * GROWTH. New functions are appended before `reserved` in a later minor
 * version; test with TSUNAGU_HOST_HAS(api, field) before calling one.
 * 1.1 added history, conversation_customer, contact_set_attributes,
 * setting_get, setting_set, http_route_staff, request_staff, and the
 * visitor_json field of tsunagu_plugin_inbound.
 * 1.2 added the call engine (call_incoming ... call_missed), staff_find and
 * guidance_path, for channels with TSUNAGU_PLUGIN_CAP_CALLS.
 * 1.3 added data_dir.
 */
#ifndef TSUNAGU_SDK_HOST_H
#define TSUNAGU_SDK_HOST_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A function posted to the loop (post()). Loop thread. data as given. */
typedef void (*tsunagu_host_fn)(void *data);
/* Frees what was posted. Loop thread; runs exactly once per accepted post(). */
typedef void (*tsunagu_host_free_fn)(void *data);
/* A timer tick. Loop thread. Return true to keep the timer, false to end it. */
typedef bool (*tsunagu_host_timer_fn)(void *user_data);

/* After the customer message is durable (or not). Loop thread.
 * status: 0 stored; -EEXIST already stored earlier (a retry: acknowledge it
 * too); -ECANCELED the plugin is being destroyed before the commit; another
 * negative errno: not stored, do not acknowledge.
 * conversation: the conversation's public id, borrowed for the call; NULL
 * when status is an error, and may be NULL for -EEXIST (a retry's first
 * attempt may belong to a conversation closed since). Runs exactly once per
 * accepted inbound(). */
typedef void (*tsunagu_host_inbound_cb)(int status, const char *conversation,
					int64_t message_id, void *user_data);

/* 1.1. A write is durable (status 0) or was rolled back (a negative
 * errno). Loop thread. Runs exactly once per call that returned 0. */
typedef void (*tsunagu_host_done_cb)(int status, void *user_data);

/* 1.1. A page of a customer's history (history()). Loop thread.
 * status 0: msgs[0..n) oldest first (n may be 0), owned by the host and
 * valid during the call only; a negative errno: msgs NULL, n 0.
 * -ECANCELED when the plugin is being destroyed before the read. */
typedef void (*tsunagu_host_history_cb)(int status, const tsunagu_plugin_message *msgs, size_t n,
					void *user_data);

/* 1.2. A new inbound call is durable (or not). Loop thread. Runs exactly
 * once per call_incoming() that returned 0. status: 0 created; -EEXIST the
 * provider_call_id is already a call (call_id is that call, disposition 0);
 * -ECANCELED the plugin is being destroyed; another negative errno: nothing
 * was stored (answer the caller with an error). conversation (borrowed for
 * the call) and call_id identify the call; disposition is a
 * tsunagu_plugin_call_disposition. */
typedef void (*tsunagu_host_call_cb)(int status, const char *conversation, int64_t call_id,
				     int disposition, void *user_data);

/* An HTTP request on a route of the plugin. Loop thread. req is owned by the
 * host and stays valid until the plugin answers it with respond(), which it
 * must do exactly once: before returning or later (for example from an
 * inbound ack, so a webhook gets 2xx only for durable data), always on the
 * loop thread. A request still unanswered when the plugin is destroyed is
 * answered 503 by the host. */
typedef void (*tsunagu_host_http_handler)(tsunagu_host_request *req, void *user_data);

/* WebSocket callbacks for one path. Set struct_size = sizeof(...). The table
 * is copied at registration. user_data as given to ws_route(). Loop thread. */
typedef struct {
	uint32_t struct_size;
	uint32_t flags; /* none in 1.0; must be 0 */
	/* A client connected. req (the upgrade request: path, query, headers,
	 * cookies, peer) is valid only during the call and must not be
	 * responded to. Return 0 to accept, or an HTTP status (403, ...) to
	 * refuse. */
	int (*on_open)(tsunagu_host_ws *ws, const tsunagu_host_request *req, void *user_data);
	/* One whole message; data owned by the host, valid during the call. */
	void (*on_message)(tsunagu_host_ws *ws, const char *data, size_t len, bool binary,
			   void *user_data);
	/* The connection is gone; ws is invalid after this returns. Not called
	 * for connections still open when the plugin is destroyed (the host
	 * closes those itself): free per-connection data in destroy(). */
	void (*on_close)(tsunagu_host_ws *ws, void *user_data);
	void *reserved[4];
} tsunagu_host_ws_handlers;

typedef struct tsunagu_host_api {
	uint32_t abi_major;   /* TSUNAGU_PLUGIN_ABI_MAJOR of the host */
	uint32_t abi_minor;   /* the host's minor: functions up to it exist */
	uint32_t struct_size; /* sizeof(tsunagu_host_api) in the host */
	uint32_t flags;       /* none in 1.0 */

	/* ---- log: any thread ---------------------------------------------- */

	/* Writes one line with the plugin's name as topic. fmt printf-like. */
	void (*log)(tsunagu_host *host, int level, const char *fmt, ...)
		TSUNAGU_PLUGIN_PRINTF(3, 4);

	/* ---- config of the plugin's own [plugin.NAME] section: any thread ---
	 * key is a key of the plugin's schema (or "enabled"). Values were
	 * checked against the schema before init(), defaults filled in. */

	/* The value text; owned by the host, valid until destroy() returns.
	 * NULL when key is not in the schema. */
	const char *(*config_string)(tsunagu_host *host, const char *key);
	/* 0, or -ENOENT (not in the schema), -EINVAL (not of that type). */
	int (*config_int)(tsunagu_host *host, const char *key, int64_t *out);
	int (*config_bool)(tsunagu_host *host, const char *key, bool *out);
	int (*config_duration_ms)(tsunagu_host *host, const char *key, int64_t *out);

	/* ---- the loop ----------------------------------------------------------- */

	/* Any thread. Queues fn(data) on the loop thread; free_fn(data) (may be
	 * NULL) runs after it. Posts queued while the plugin runs are called in
	 * order; once destroy() has begun, fn is no longer called but free_fn
	 * still is (exactly once, on the loop thread, before the library is
	 * unloaded — the one plugin function that may run after destroy(), so
	 * it must only free memory). Returns 0, or -ESHUTDOWN when the host is
	 * stopping (then free_fn has already run). */
	int (*post)(tsunagu_host *host, tsunagu_host_fn fn, void *data,
		    tsunagu_host_free_fn free_fn);
	/* Loop thread. Calls fn(user_data) every interval_ms (>= 1) until it
	 * returns false or the timer is removed. Returns an id > 0, or 0 on
	 * error. Timers end by themselves when the plugin is destroyed. */
	uint32_t (*timer_add)(tsunagu_host *host, uint32_t interval_ms,
			      tsunagu_host_timer_fn fn, void *user_data);
	/* Loop thread. -ENOENT when the timer already ended. */
	int (*timer_remove)(tsunagu_host *host, uint32_t timer_id);
	/* Any thread. Monotonic clock in microseconds (the clock of
	 * stop()'s deadline). */
	int64_t (*monotonic_us)(tsunagu_host *host);

	/* ---- channel: loop thread ---------------------------------------------- */

	/* Registers channel (e.g. "echo"; [a-z0-9_-], 1..32 chars): outbound
	 * messages of its conversations go to the plugin's deliver(). Needs
	 * TSUNAGU_PLUGIN_CAP_CHANNEL and deliver. In init() or start().
	 * -EEXIST when another plugin has it. */
	int (*register_channel)(tsunagu_host *host, const char *channel);
	/* Hands a customer message to the core (stored, routed, shown to staff).
	 * msg and its strings are borrowed for the call. cb (required) runs
	 * after the commit. Only while started. Returns 0 (cb will run) or a
	 * negative errno (cb will not run). */
	int (*inbound)(tsunagu_host *host, const tsunagu_plugin_inbound *msg,
		       tsunagu_host_inbound_cb cb, void *user_data);
	/* Posts a system (bot) message into a conversation of one of the
	 * plugin's channels, by public id. It is stored, shown to staff and
	 * delivered back through deliver() after the commit. -ENOENT unknown
	 * conversation, -EPERM another channel's conversation. */
	int (*post_system_message)(tsunagu_host *host, const char *conversation,
				   const char *text);

	/* ---- HTTP: loop thread --------------------------------------------------
	 * Routes are registered in init() or start() and removed by the host at
	 * destroy. Requests arriving while the plugin is not started are
	 * answered 503 by the host. */

	/* method NULL = any. path starts with '/', and not with "/api/" (the
	 * core's; -EPERM). prefix: path ends with '/' and matches everything
	 * below it; the longest matching route wins. -EEXIST when taken. */
	int (*http_route)(tsunagu_host *host, const char *method, const char *path, bool prefix,
			  tsunagu_host_http_handler handler, void *user_data);
	/* Request accessors. Returned strings are owned by the request and
	 * valid until respond() (during on_open for an upgrade request). */
	const char *(*request_method)(const tsunagu_host_request *req);
	const char *(*request_path)(const tsunagu_host_request *req); /* decoded, no query */
	const char *(*request_query)(const tsunagu_host_request *req, const char *name);
	const char *(*request_header)(const tsunagu_host_request *req, const char *lc_name);
	const char *(*request_cookie)(const tsunagu_host_request *req, const char *name);
	/* The whole body (not NUL-terminated, may be NULL when empty); *len set. */
	const char *(*request_body)(const tsunagu_host_request *req, size_t *len);
	const char *(*request_peer)(const tsunagu_host_request *req);
	/* Adds a response header before respond(); both strings copied. */
	void (*response_header)(tsunagu_host_request *req, const char *name, const char *value);
	/* Answers and releases req; body copied. Exactly once per request. */
	void (*respond)(tsunagu_host_request *req, int status, const char *content_type,
			const char *body, size_t len);

	/* ---- WebSocket: loop thread -------------------------------------------- */

	/* Accepts WebSocket upgrades on path (exact; same rules as http_route).
	 * h is copied. */
	int (*ws_route)(tsunagu_host *host, const char *path, const tsunagu_host_ws_handlers *h,
			void *user_data);
	/* Queues a message (copied). -EPIPE closing, -ENOBUFS send queue full
	 * (the connection is then closed). */
	int (*ws_send)(tsunagu_host_ws *ws, const char *data, size_t len, bool binary);
	/* Sends a close frame after the queued messages; on_close follows. */
	void (*ws_close)(tsunagu_host_ws *ws, int code, const char *reason);
	/* One pointer of the plugin's own per connection (NULL at first). */
	void (*ws_set_data)(tsunagu_host_ws *ws, void *data);
	void *(*ws_get_data)(const tsunagu_host_ws *ws);

	/* ---- memory: any thread -------------------------------------------------
	 * The host's allocator: memory the host hands over is freed with free();
	 * memory the plugin hands to the host to free (e.g. post()'s data with
	 * free_fn = api->free) comes from alloc(). alloc never returns NULL (the
	 * process aborts on exhaustion). */
	void *(*alloc)(size_t size);      /* zero-filled */
	void (*free)(void *ptr);          /* NULL is a no-op */
	char *(*strdup)(const char *s);   /* NULL gives NULL */

	/* ==== ABI 1.1 ============================================================
	 * Test with TSUNAGU_HOST_HAS(api, field) before calling: a 1.0 host has
	 * NULL here. All loop thread. "customer_id" is the sender_id a customer
	 * came with on the channel (the recipient_id of deliver()). */

	/* ---- customers and conversations ---------------------------------------- */

	/* Reads the customer's history on channel (one of the plugin's): every
	 * customer, operator and system message of every conversation of the
	 * customer known as customer_id there — NEVER an internal note or a
	 * draft. after_message_id > 0: the messages with a greater id, oldest
	 * first, at most limit; after_message_id == 0: the newest limit
	 * messages, oldest first. limit 1..1000 (0: 200). A customer the
	 * channel does not know has an empty history (nothing is created).
	 * cb runs once, on a later loop iteration, after the writes pending at
	 * the time of the call are committed, so it sees only durable messages
	 * (a message it reports has been or is about to be committed and
	 * handed to deliver(): a plugin that remembers the highest id it sent
	 * drops nothing and sends nothing twice). Returns 0 (cb will run) or
	 * -EINVAL, -EPERM (not the plugin's channel), -ESHUTDOWN, -ENODEV. */
	int (*history)(tsunagu_host *host, const char *channel, const char *customer_id,
		       int64_t after_message_id, uint32_t limit, tsunagu_host_history_cb cb,
		       void *user_data);
	/* The customer_id of a conversation of one of the plugin's channels, by
	 * public id: lets a plugin check that a conversation a client names is
	 * that client's. *customer_id_out is the plugin's, freed with
	 * api->free(). -ENOENT unknown conversation (or no identity on the
	 * channel), -EPERM another channel's conversation. */
	int (*conversation_customer)(tsunagu_host *host, const char *conversation,
				     char **customer_id_out);
	/* Sets attributes of the customer known as customer_id on channel (one
	 * of the plugin's; the contact is created when the channel does not
	 * know it yet). Only keys an admin defined as master keywords (ADM-4)
	 * are stored; any other key is ignored and logged (attrs[i].status
	 * -ENOENT), so a web page cannot invent fields. attrs[0..n) borrowed;
	 * the host writes each status. n at most 64. *stored_out (may be NULL)
	 * gets the number stored. cb (may be NULL) runs after the commit with
	 * its outcome. Returns 0 (cb will run, even when nothing was stored),
	 * or a negative errno (nothing stored, cb will not run). */
	int (*contact_set_attributes)(tsunagu_host *host, const char *channel,
				      const char *customer_id, tsunagu_plugin_attribute *attrs,
				      size_t n, unsigned *stored_out, tsunagu_host_done_cb cb,
				      void *user_data);

	/* ---- settings admins change at run time ----------------------------------
	 * A key-value store of the plugin's own (namespace "plugin.<name>"),
	 * durable, shared by every node. key [a-z0-9_.-], 1..64 chars; value
	 * UTF-8 text (often JSON) of at most 64 KiB. */

	/* *value_out is the plugin's, freed with api->free(). -ENOENT unset. */
	int (*setting_get)(tsunagu_host *host, const char *key, char **value_out);
	/* Inserts or replaces (value NULL deletes). Readable at once; durable
	 * when cb (may be NULL) runs with 0. Returns 0 (cb will run) or a
	 * negative errno (nothing written). */
	int (*setting_set)(tsunagu_host *host, const char *key, const char *value,
			   tsunagu_host_done_cb cb, void *user_data);

	/* ---- HTTP for staff --------------------------------------------------------- */

	/* Like http_route(), but only for logged-in staff of at least min_role
	 * (tsunagu_plugin_role): before calling handler the host checks the
	 * session cookie (else 401), for methods other than GET/HEAD/OPTIONS
	 * the Origin (403 forbidden) and the X-CSRF-Token header (403 csrf),
	 * and the role (403 forbidden), answering with the REST API's error
	 * shape {"error":{"code","message"}}. For a plugin's admin pages. */
	int (*http_route_staff)(tsunagu_host *host, const char *method, const char *path,
				bool prefix, int min_role, tsunagu_host_http_handler handler,
				void *user_data);
	/* The staff member a request of an http_route_staff() route came from
	 * (staff_id, role may be NULL). -ENOENT on other requests. */
	int (*request_staff)(const tsunagu_host_request *req, int64_t *staff_id, int *role);

	/* ==== ABI 1.2: calls ========================================================
	 * Test with TSUNAGU_HOST_HAS(). Loop thread. Need
	 * TSUNAGU_PLUGIN_CAP_CALLS and a call_event callback in the description
	 * (else -EPERM). The engine (docs/routing.md, Calls) keeps the state;
	 * the plugin reports what happened on the wire. call_id is the host's. */

	/* A caller dialled in on channel (one of the plugin's): finds or creates
	 * the contact (caller_id) and a phone conversation, runs the route rules,
	 * and either queues the call (phones ring through call_event(RING)) or
	 * decides it cannot be taken (disposition). in borrowed. cb required,
	 * after the commit. Returns 0 (cb will run) or a negative errno. */
	int (*call_incoming)(tsunagu_host *host, const tsunagu_plugin_call_in *in,
			     tsunagu_host_call_cb cb, void *user_data);
	/* staff_id's phone answered call_id (after RING), or for an outbound
	 * call the customer answered: talking. -EPERM it was not ringing for
	 * them; -EPIPE over or answered by someone else (hang that phone up). */
	int (*call_answered)(tsunagu_host *host, int64_t call_id, int64_t staff_id);
	/* staff_id's phone declined or failed (busy, 486/603, unreachable): the
	 * next operator rings. Not a missed offer. */
	int (*call_rejected)(tsunagu_host *host, int64_t call_id, int64_t staff_id);
	/* Either side hung up: a talking call ends (after-call work begins), a
	 * queued or ringing one is missed "userLeft". -EPIPE already over. */
	int (*call_ended)(tsunagu_host *host, int64_t call_id);
	/* The plugin gives up on a call that was never answered: reason
	 * "notInOperation", "noOperator", "ringTimeout" or "userLeft" (-EINVAL
	 * otherwise). The conversation is closed (TEL-3). */
	int (*call_missed)(tsunagu_host *host, int64_t call_id, const char *reason);
	/* The staff member with this login (a phone's owner). -ENOENT unknown or
	 * disabled. *role_out may be NULL. */
	int (*staff_find)(tsunagu_host *host, const char *login, int64_t *staff_id_out,
			  int *role_out);
	/* The normalized guidance to play (WAV, mono, 48 kHz, S16LE; see
	 * docs/guidance.md): for line (NULL: the default set) and kind
	 * (tsunagu_plugin_guidance_kind). *path_out is the plugin's, freed with
	 * api->free(); the file stays readable while the plugin plays it (a
	 * replaced file gets a new path). -ENOENT nothing uploaded for it (play
	 * nothing, or a tone). */
	int (*guidance_path)(tsunagu_host *host, const char *line, int kind, char **path_out);

	/* ---- 1.3 ---- */
	/* The plugin's own directory for the files it keeps (keys, caches,
	 * spools): <server.data_dir>/plugins/<plugin name>, created with mode
	 * 0700 on the first call (a directory that exists keeps its mode).
	 * *path_out is the host's (absolute), valid until destroy() returns.
	 * -ENODEV the host runs without a data directory (a unit test);
	 * -ENOTDIR the path exists and is not a directory; another negative
	 * errno when it cannot be created. Loop thread. */
	int (*data_dir)(tsunagu_host *host, const char **path_out);

	void *reserved[17];
} tsunagu_host_api;

/* True when the host's table has the function `field` (a plugin built against
 * a newer minor may run in an older host). */
#define TSUNAGU_HOST_HAS(api, field)                                                     \
	((api)->struct_size >= offsetof(tsunagu_host_api, field) + sizeof((api)->field) && \
	 (api)->field != NULL)

#ifdef __cplusplus
}
#endif

#endif /* TSUNAGU_SDK_HOST_H */
