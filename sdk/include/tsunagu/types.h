/* tsunagu plugin SDK: versions, plain types and opaque handles shared by
 * plugin.h (what a plugin exports) and host.h (what the host hands it).
 *
 * Plain C only: a plugin needs nothing but these headers (no GLib, no
 * jansson, no libwebsockets). Every struct that crosses the boundary starts
 * with its size or sits behind a version check, and ends with reserved slots,
 * so a later minor version can grow it without breaking built plugins.
 */
#ifndef TSUNAGU_SDK_TYPES_H
#define TSUNAGU_SDK_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes.
 *
 * MAJOR changes when a built plugin can no longer work with the host (a field
 * moved, a meaning changed): the host refuses a plugin of another major.
 * MINOR grows when something is appended (a host function, a description
 * field, a capability): a plugin built against 1.N loads in every 1.M host;
 * when M < N it must check api->abi_minor / api->struct_size before using what
 * 1.N added (TSUNAGU_HOST_HAS()). */
#define TSUNAGU_PLUGIN_ABI_MAJOR 1u
#define TSUNAGU_PLUGIN_ABI_MINOR 3u

/* Marks the one symbol a plugin exports. Build plugins with
 * -fvisibility=hidden (the pkg-config Cflags add it) so nothing else leaks. */
#if defined(__GNUC__) || defined(__clang__)
#define TSUNAGU_PLUGIN_EXPORT __attribute__((visibility("default")))
#define TSUNAGU_PLUGIN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define TSUNAGU_PLUGIN_EXPORT
#define TSUNAGU_PLUGIN_PRINTF(fmt, args)
#endif

/* The host's handle for one loaded plugin, passed to init() and given back to
 * every host function. Owned by the host; valid from init() until destroy()
 * returns. */
typedef struct tsunagu_host tsunagu_host;
/* One HTTP request routed to the plugin (see host.h). Owned by the host. */
typedef struct tsunagu_host_request tsunagu_host_request;
/* One WebSocket connection on a path of the plugin. Owned by the host. */
typedef struct tsunagu_host_ws tsunagu_host_ws;

typedef enum {
	TSUNAGU_PLUGIN_LOG_ERROR = 0,
	TSUNAGU_PLUGIN_LOG_WARN = 1,
	TSUNAGU_PLUGIN_LOG_INFO = 2,
	TSUNAGU_PLUGIN_LOG_DEBUG = 3,
} tsunagu_plugin_log_level;

/* Message kinds as a channel sees them (numbers fixed by the ABI). */
typedef enum {
	TSUNAGU_PLUGIN_MSG_CUSTOMER = 1,
	TSUNAGU_PLUGIN_MSG_OPERATOR = 2, /* written by staff */
	TSUNAGU_PLUGIN_MSG_SYSTEM = 4,   /* written by the system, a rule or a plugin */
} tsunagu_plugin_msg_kind;

/* ---- configuration schema --------------------------------------------------
 * A plugin declares the keys of its [plugin.NAME] section; the host checks the
 * section against it before init() (an unknown key or a malformed value is an
 * error naming file and line, and the plugin is not loaded). The key
 * `enabled` (bool, default true) is implicit: do not declare it. */
typedef enum {
	TSUNAGU_PLUGIN_CONF_STRING = 0,
	TSUNAGU_PLUGIN_CONF_INT = 1,      /* decimal, optional K/M/G suffix (x1024) */
	TSUNAGU_PLUGIN_CONF_BOOL = 2,     /* true/false/yes/no/on/off/1/0 */
	TSUNAGU_PLUGIN_CONF_DURATION = 3, /* "250ms", "90s", "10m", "24h", "7d" */
} tsunagu_plugin_conf_type;

/* One key. An array of these ends with an entry whose key is NULL. All
 * strings are static in the plugin. */
typedef struct {
	const char *key;           /* [a-z0-9_] */
	uint32_t type;             /* tsunagu_plugin_conf_type */
	const char *default_value; /* as written in the file; NULL = "" */
	const char *doc;           /* one line for the admin guide / --dump-config */
} tsunagu_plugin_conf_key;

/* ---- messages ---------------------------------------------------------------- */

/* A customer message arriving on the plugin's channel (host.h: inbound()).
 * Set struct_size = sizeof(tsunagu_plugin_inbound); zero what you do not use.
 * All strings are borrowed for the call (the host copies them). */
typedef struct {
	uint32_t struct_size;
	uint32_t flags;                  /* none defined in 1.0; must be 0 */
	const char *channel;             /* a channel this plugin registered */
	const char *sender_id;           /* the customer's identity on the channel */
	const char *sender_name;         /* may be NULL */
	const char *text;                /* UTF-8, non-empty */
	const char *provider_message_id; /* may be NULL; a retry with the same id is stored once */
	/* 1.1 (took reserved[0]; a 1.0 host ignores it). May be NULL. What the
	 * channel knows of the customer, as the text of one JSON object of at
	 * most 16 KiB: page_url, referrer, browser, os, language, ip,
	 * utm {source, medium, campaign, term, content} (the rules see it as
	 * c.visitor). Stored on the conversation before the route rules run,
	 * replacing what was there. Not a JSON object: inbound() gives -EINVAL. */
	const char *visitor_json;
	void *reserved[3];
} tsunagu_plugin_inbound;

/* A staff or system message leaving through the plugin's channel
 * (plugin.h: deliver()). Owned by the host, valid during the call only. */
typedef struct {
	uint32_t struct_size;            /* the host's sizeof; fields past it are absent */
	uint32_t kind;                   /* tsunagu_plugin_msg_kind: OPERATOR or SYSTEM */
	const char *channel;
	const char *recipient_id;        /* the sender_id the customer came with */
	const char *conversation;        /* the conversation's public id */
	int64_t message_id;
	const char *text;
	void *reserved[4];
} tsunagu_plugin_outbound;

/* ---- 1.1: history, attributes, staff routes ------------------------------ */

/* One customer-visible message of a customer's history (host.h: history()):
 * kind CUSTOMER, OPERATOR or SYSTEM, never an internal note or a draft.
 * Owned by the host, valid during the callback only; copy what you keep. */
typedef struct {
	uint32_t struct_size;     /* the host's sizeof; fields past it are absent */
	uint32_t kind;            /* tsunagu_plugin_msg_kind */
	const char *conversation; /* the conversation's public id */
	int64_t message_id;       /* grows with time across all conversations */
	const char *text;
	int64_t created_at_us;    /* microseconds since the epoch, UTC */
	/* The provider_message_id a customer message came with through
	 * inbound() (lets a client match what it sent); NULL for others. */
	const char *provider_message_id;
	void *reserved[4];
} tsunagu_plugin_message;

/* One contact attribute (host.h: contact_set_attributes()). key and value
 * are the plugin's, borrowed for the call; the host writes status. */
typedef struct {
	const char *key;   /* must be a master keyword an admin defined (ADM-4) */
	const char *value; /* UTF-8, at most 1024 bytes; NULL deletes the attribute */
	int status;        /* out: 0 stored, -ENOENT not a master keyword (ignored,
			      logged), -EINVAL bad key or value (ignored, logged) */
} tsunagu_plugin_attribute;

/* Staff roles, least to most (host.h: http_route_staff()). */
typedef enum {
	TSUNAGU_PLUGIN_ROLE_OPERATOR = 1,
	TSUNAGU_PLUGIN_ROLE_SUPERVISOR = 2,
	TSUNAGU_PLUGIN_ROLE_ADMIN = 3,
} tsunagu_plugin_role;


/* ---- 1.2: calls (TSUNAGU_PLUGIN_CAP_CALLS) --------------------------------
 * A phone channel hands each call to the core's call engine, which places
 * it through the route rules like any conversation, keeps the call queue,
 * decides whose phone rings and for how long (routing.ring_timeout), and
 * records the call (TEL-10). The plugin owns signalling and media: it rings
 * phones when told (call_event()), plays guidance, and reports what the
 * caller and the phones did (host.h: call_answered() ...). */

/* An inbound call arriving on the plugin's phone channel (host.h:
 * call_incoming()). Set struct_size; zero what you do not use. Strings are
 * borrowed for the call. */
typedef struct {
	uint32_t struct_size;
	uint32_t flags;                /* none defined in 1.2; must be 0 */
	const char *channel;           /* a channel this plugin registered ("phone") */
	const char *caller_id;         /* the customer's number or SIP user: the contact */
	const char *caller_name;       /* display name, may be NULL */
	const char *line;              /* the number or trunk called, may be NULL:
					  picks the guidance set (guidance_path()) */
	const char *provider_call_id;  /* e.g. the SIP Call-ID; required: a repeated
					  call_incoming() with the same id is -EEXIST */
	const char *visitor_json;      /* as tsunagu_plugin_inbound.visitor_json; may be NULL */
	void *reserved[4];
} tsunagu_plugin_call_in;

/* What the engine decided for a new inbound call (host.h:
 * tsunagu_host_call_cb). The plugin plays the matching guidance, then: */
typedef enum {
	/* Inside business hours and the call queue has room: play the welcome
	 * guidance, then hold audio; phones ring through call_event(). */
	TSUNAGU_PLUGIN_CALL_QUEUED = 1,
	/* Outside business hours (the rules' business_hours(channel)): play
	 * the out-of-hours guidance, then call_missed(call, "notInOperation"). */
	TSUNAGU_PLUGIN_CALL_NOT_IN_OPERATION = 2,
	/* The call queue is over the admin's limit: play the busy guidance,
	 * then call_missed(call, "noOperator"). */
	TSUNAGU_PLUGIN_CALL_QUEUE_FULL = 3,
} tsunagu_plugin_call_disposition;

/* What the engine asks of the phone channel (plugin.h: call_event()). */
typedef enum {
	/* Ring staff_id's phone for call_id (an inbound call offered to them, or
	 * the first leg of an outbound call). Answered: call_answered(); declined
	 * or failed: call_rejected(). */
	TSUNAGU_PLUGIN_CALL_EV_RING = 1,
	/* Stop ringing staff_id's phone for call_id: answered elsewhere, ring
	 * timeout (the engine moves on), the operator became unavailable, or the
	 * caller left. Do not report it back. */
	TSUNAGU_PLUGIN_CALL_EV_STOP_RING = 2,
	/* The call is over for the core (an operator hung up from the inbox, or
	 * answering a queued call ended this one, TEL-4): tear both legs down
	 * and do not report call_ended() for it. reason says why. */
	TSUNAGU_PLUGIN_CALL_EV_HANGUP = 3,
	/* An outbound call (a call-back, TEL-1): ring staff_id's phone; when it
	 * answers, dial remote_id through the channel's trunk; report
	 * call_answered(call, staff) when the customer answers, call_ended()
	 * when either side hangs up, call_missed(call, "ringTimeout") or
	 * call_rejected() when it never connects. */
	TSUNAGU_PLUGIN_CALL_EV_DIAL = 4,
	/* The engine gave up on a queued or ringing call (a reason like
	 * "ringTimeout"): play nothing more, end the caller's leg. Do not
	 * report it back. */
	TSUNAGU_PLUGIN_CALL_EV_MISSED = 5,
} tsunagu_plugin_call_event_kind;

/* One request of the engine. Owned by the host, valid during the call only. */
typedef struct {
	uint32_t struct_size;          /* the host's sizeof; fields past it are absent */
	uint32_t kind;                 /* tsunagu_plugin_call_event_kind */
	int64_t call_id;
	const char *conversation;      /* the conversation's public id */
	const char *channel;
	int64_t staff_id;              /* RING, STOP_RING, DIAL; 0 otherwise */
	const char *staff_login;       /* that staff member's login (maps to a phone) */
	const char *remote_id;         /* DIAL: the customer's number; else the caller_id */
	const char *provider_call_id;  /* as given to call_incoming(); NULL for outbound */
	const char *reason;            /* HANGUP, MISSED: why; may be NULL */
	void *reserved[4];
} tsunagu_plugin_call_event;

/* The guidance a phone channel plays (host.h: guidance_path()). */
typedef enum {
	TSUNAGU_PLUGIN_GUIDANCE_WELCOME = 1,      /* before queueing, in business hours */
	TSUNAGU_PLUGIN_GUIDANCE_QUEUE = 2,        /* hold audio while waiting, looped */
	TSUNAGU_PLUGIN_GUIDANCE_BUSY = 3,         /* the queue is full */
	TSUNAGU_PLUGIN_GUIDANCE_OUT_OF_HOURS = 4, /* outside business hours */
} tsunagu_plugin_guidance_kind;

#ifdef __cplusplus
}
#endif

#endif /* TSUNAGU_SDK_TYPES_H */
