/* sip: the phone channel's signalling (docs/sip.md). Shared state of the
 * plugin's files:
 *   sip.c            lifecycle, config, the nua stack on the core's loop,
 *                    dispatch of nua events
 *   sip_registrar.c  REGISTER from operators' phones (extensions)
 *   sip_call_in.c    calls from trunks and their life: guidance, queue,
 *                    ringing operators, bridge, hang-up
 *   sip_call_out.c   call-backs (DIAL): the operator's phone, then the
 *                    customer through the outbound trunk
 *   sip_offer.c      SDP inside a dialog: re-INVITE, hold, late offer
 *   sip_admin.c      GET/PUT /plugins/sip/admin/{trunks,extensions}
 *   sip_loop.c       sofia's message queue drained per loop dispatch
 *   sip_sdp.c, sip_digest.c, sip_accounts.c: pure helpers
 * Media (RTP legs, guidance, bridges) is plugins/sip/media (sip_media.h).
 *
 * THREADS. Everything here runs on the loop thread: nua runs on the
 * core's GLib main context through su_glib, so its callbacks are loop
 * callbacks like any timer.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/su_glib.h>

#include <tsunagu/plugin.h>

#include "sip_accounts.h"
#include "sip_digest.h"
#include "sip_loop.h"
#include "sip_media.h"
#include "sip_sdp.h"
#include "sip_secret.h"

#define SIP_CHANNEL "phone"
#define SIP_SETTING_TRUNKS "trunks"
#define SIP_SETTING_EXTENSIONS "extensions"

/* What a nua handle's hmagic points to: the first member of sip_call
 * (the customer's leg) and of sip_ring (an operator's phone). */
typedef enum { SIP_HANDLE_CALLER = 1, SIP_HANDLE_RING = 2 } sip_handle_kind;

typedef struct sip_state sip_state;
typedef struct sip_call sip_call;

/* Our side of one leg's SDP (RFC 3264 8: every description we send on a
 * dialog keeps o='s session id and increments its version). */
typedef struct {
	uint64_t session;      /* o= session id; 0 until the first description */
	uint64_t version;      /* o= version of the last one sent */
	sip_sdp_codec codec;   /* the codec agreed (its payload type is the far end's) */
	bool awaiting_answer;  /* our offer went in a 200 (late offer, or a
				* re-INVITE without SDP): the answer is in the ACK */
} sip_sdp_local;

/* One INVITE to one registered contact of an operator's phone. */
typedef struct sip_ring {
	sip_handle_kind kind; /* SIP_HANDLE_RING; first */
	sip_call *call;
	nua_handle_t *nh;     /* ours; NULL once handed back (bye/cancel sent) */
	sip_leg *leg;         /* the operator's media leg */
	sip_sdp_local local;  /* our SDP towards the phone */
	int64_t staff_id;
	bool answered;        /* got a 2xx */
} sip_ring;

typedef enum {
	SIP_CALL_ASKING = 1,  /* inbound: call_incoming() pending */
	SIP_CALL_GUIDANCE,    /* playing a closing guidance, then BYE + call_missed */
	SIP_CALL_QUEUED,      /* waiting: welcome/hold audio, phones may ring */
	SIP_CALL_DIALING,     /* outbound: operator answered, customer ringing */
	SIP_CALL_TALKING,     /* bridged */
	SIP_CALL_OVER,        /* torn down, being freed */
} sip_call_phase;

struct sip_call {
	sip_handle_kind kind; /* SIP_HANDLE_CALLER; first */
	sip_state *st;
	int64_t call_id;      /* the host's; 0 until known */
	char *conversation;
	char *sip_call_id;    /* Call-ID of the customer's dialog */
	char *line;           /* trunk name (guidance set), may be NULL */
	char *remote_id;      /* the customer's number */
	bool outbound;
	sip_call_phase phase;
	int disposition;      /* of call_incoming() */
	nua_handle_t *nh;     /* the customer's dialog; NULL once handed back */
	sip_leg *leg;         /* the customer's media leg */
	sip_sdp_audio remote; /* the customer's last SDP */
	GPtrArray *rings;     /* sip_ring*, owned */
	sip_ring *talking;    /* the answered ring (in rings), or NULL */
	int64_t dial_staff;   /* outbound: the operator who called back */
	bool host_done;       /* the core knows the call is over: report nothing */
	bool cb_pending;      /* call_incoming()'s callback holds this call */
	sip_sdp_local local;  /* our SDP towards the customer */
	int auth_tries;       /* outbound: challenges answered (sip_call_out.c) */
};

struct sip_state {
	tsunagu_host *host;
	const tsunagu_host_api *api;
	bool have_calls;       /* the host has the 1.2 call engine */
	su_home_t home[1];
	su_root_t *root;
	sip_loop *loop;        /* the root's queue drained per dispatch (sip_loop.h) */
	nua_t *nua;
	bool nua_shut;         /* nua_r_shutdown came */
	bool started, stopping;
	char listen_host[64];  /* without brackets */
	uint16_t listen_port;
	char *media_ip;
	int64_t port_min, port_max;
	int64_t min_expires_s, max_expires_s;
	char *caller_id;       /* From user of our call-backs */
	sip_media *media;
	sip_digest digest;
	sip_accounts *accounts;
	json_t *trunks_stored, *extensions_stored;
	GHashTable *bindings;  /* extension user -> GPtrArray of sip_binding* */
	/* The expiry tick scans every binding only when one may have expired
	 * (now >= next_expiry_us: no later than the earliest expiry, lowered
	 * by each new binding) or the extensions changed (bindings_recheck):
	 * with hundreds of phones the scan each second was a share of the
	 * calls' CPU for nothing. */
	int64_t next_expiry_us;
	bool bindings_recheck;
	GPtrArray *calls;      /* sip_call*, owned */
	uint32_t expiry_timer;
	/* [plugin.sip] secret_file's key (sip_secret.h), loaded at start */
	unsigned char secret_key[SIP_SECRET_KEY_BYTES];
	bool have_secret_key;
	uint32_t reg_dirty;    /* shards of registrations to store (sip_registrations.c) */
};

/* sip_registrar.c */
typedef struct {
	char *contact;       /* the Contact URI, as registered */
	char *source;        /* where it came from (for the log) */
	int64_t expires_us;  /* monotonic */
} sip_binding;
void sip_registrar_handle(sip_state *st, nua_handle_t *nh, const sip_t *sip);
/* The live contacts of every extension of staff_login (a new array of
 * borrowed strings; g_ptr_array_unref()). */
GPtrArray *sip_registrar_contacts(sip_state *st, const char *staff_login);
/* Drops expired bindings and those of deleted extensions (when due:
 * next_expiry_us, bindings_recheck), then stores what changed
 * (sip_registrations_flush). */
void sip_registrar_expire(sip_state *st);
/* A binding that expires at expires_us (monotonic) was added. */
void sip_registrar_expiry_due(sip_state *st, int64_t expires_us);
/* The binding list of an extension (created empty; owned by st->bindings). */
GPtrArray *sip_registrar_bindings(sip_state *st, const char *user);

/* sip_call_in.c */
void sip_call_invite(sip_state *st, nua_handle_t *nh, const sip_t *sip, const char *source);
/* An event on a handle of a call: hmagic is the sip_call or sip_ring. */
void sip_call_nua_event(sip_state *st, nua_event_t event, int status, const char *phrase,
			nua_handle_t *nh, void *hmagic, const sip_t *sip, tagi_t tags[]);
int sip_call_event(sip_state *st, const tsunagu_plugin_call_event *ev);
sip_call *sip_call_find(sip_state *st, int64_t call_id);
/* Ends every call (BYE/CANCEL on the wire); no host report. */
void sip_calls_hangup_all(sip_state *st);
void sip_calls_free_all(sip_state *st);
/* Shared by sip_call_out.c. */
sip_call *sip_call_new(sip_state *st, bool outbound);
sip_ring *sip_ring_start(sip_call *call, int64_t staff_id, const char *contact);
void sip_call_teardown(sip_call *call);
void sip_ring_end(sip_ring *r);
int sip_call_answer_sdp(sip_call *call, const sip_sdp_audio *offer, char **sdp_out);
/* Our offer on leg (every codec we take), the next version of local. */
char *sip_leg_offer(sip_leg *leg, sip_sdp_local *local);

/* sip_offer.c: SDP inside an established dialog, for any leg (the
 * customer's or an operator's phone). */
/* A re-INVITE (hold, resume, a new address or codec): answered here — 200
 * with our description of the same leg (same port), the leg's remote
 * updated, its bridge or playback kept; 488/400 for an offer we cannot
 * take (the session stays as it was); without SDP our offer goes in the
 * 200 and the answer comes with the ACK (sip_offer_ack). */
void sip_offer_reinvite(sip_state *st, nua_handle_t *nh, sip_leg *leg, sip_sdp_local *local,
			const sip_t *sip);
/* The ACK of a 200 that carried our offer: applies its answer to leg.
 * 0 applied; -EALREADY no answer was awaited (nothing to do); -EINVAL no
 * usable answer (the caller ends the call: RFC 3261 13.3.1.4). */
int sip_offer_ack(sip_state *st, sip_leg *leg, sip_sdp_local *local, const sip_t *sip);
/* Points leg at the far end of a description: its first codec (or the one
 * already agreed when it still offers it). A hold address (0.0.0.0, port
 * 0) keeps the previous one. */
int sip_offer_apply(sip_leg *leg, sip_sdp_local *local, const sip_sdp_audio *far);
/* An in-dialog request on a handle of a call (hmagic: sip_call or
 * sip_ring): re-INVITE or ACK, dispatched by sip.c. */
void sip_call_dialog_request(sip_state *st, nua_event_t event, nua_handle_t *nh, void *hmagic,
			     const sip_t *sip);

/* sip_call_out.c */
int sip_call_dial(sip_state *st, const tsunagu_plugin_call_event *ev);
/* The operator's phone of an outbound call answered: dial the customer. */
void sip_call_out_operator_answered(sip_call *call, sip_ring *r);
void sip_call_out_customer_response(sip_call *call, int status, const sip_t *sip);

/* sip_registrations.c: the bindings kept over a restart (plugin settings
 * "registrations.<0-f>"). changed: user's bindings differ from the stored
 * ones; flush: store what changed (the expiry tick calls it); restore: at
 * start, after the extensions are loaded. */
void sip_registrations_changed(sip_state *st, const char *user);
void sip_registrations_flush(sip_state *st);
void sip_registrations_restore(sip_state *st);

/* sip_admin.c */
int sip_admin_register(sip_state *st);
/* Loads both stored lists at start (a bad stored list is logged, empty),
 * then the registrations kept over the restart. */
void sip_admin_load(sip_state *st);

/* sip.c: the numeric source address of the request being handled. */
const char *sip_request_source(sip_state *st, char buf[64]);
