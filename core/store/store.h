/* The store: every durable thing goes through this interface, so a second
 * backend (PostgreSQL, for several nodes) can be added without touching the
 * callers. store.c dispatches to a backend's ops table (store_sqlite.c is the
 * embedded default).
 *
 * Group commit. Writes do not commit one by one. The first write of a loop
 * iteration opens a transaction; every write of that iteration joins it; a
 * GSource of the store commits it before the loop next sleeps, then runs the
 * on-commit callbacks registered meanwhile, in registration order, with the
 * outcome. A caller acknowledges outside data (HTTP 2xx, a widget ack) only
 * from such a callback with status 0. If the commit fails every write of the
 * batch is lost and every callback gets the negative errno.
 *
 * Each multi-row operation below is atomic on its own (a savepoint): it
 * writes all its rows or none, even inside a larger batch.
 *
 * Ids are positive int64. Times are microseconds since the epoch (UTC).
 * Strings passed in are borrowed (copied if kept); structs returned are owned
 * by the caller and freed with the matching *_free().
 * Thread: everything here runs on the loop thread only, except where noted
 * and on a reader (below), which runs the read operations on a worker.
 * Errors: 0 or a negative errno: -ENOENT (no such row), -EEXIST (unique key
 * taken; the existing id is still returned where an out id exists), -EINVAL
 * (bad argument), -EIO (backend failure, logged with details).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct tsunagu_store tsunagu_store;

typedef struct {
	const char *path;      /* SQLite file; ":memory:" allowed in tests */
	const char *synchronous; /* "full" (default), "normal", "off" */
	int busy_timeout_ms;
	int max_batch;         /* commit early after this many writes (0: 10000) */
	/* Group-commit window: an open batch commits once it has been open this
	 * long (tsunagu_core_now_us), gathering the writes of the iterations in
	 * between, instead of at the end of the iteration that opened it (0,
	 * the default here: no window). */
	int commit_delay_ms;
	/* Commit pacing: a batch commits no sooner than this long after the
	 * previous commit, whenever it opened (0, the default here: no pacing).
	 * After a quiet spell a batch commits as soon as commit_delay allows;
	 * under load the commits, each a WAL sync and a copy of every page it
	 * touched, come at most once per interval, each shared by every write
	 * made meanwhile. Bounded like the window: max_batch, STORE_WINDOW_FULL
	 * writes, flush, a clock set back. */
	int commit_interval_ms;
	GMainContext *context; /* where the commit source runs (NULL: default) */
} tsunagu_store_options;

/* Opens (creating if needed), sets WAL mode, applies pending numbered
 * migrations in one transaction each. Loop thread. */
int tsunagu_store_open(const tsunagu_store_options *opts, tsunagu_store **out);
/* Commits what is pending (callbacks run), then closes. NULL is a no-op. */
void tsunagu_store_close(tsunagu_store *store);

/* ---- group commit ------------------------------------------------------ */

/* status: 0 when the writes before this registration are durable, or a
 * negative errno when they were rolled back. Runs on the loop thread. */
typedef void (*tsunagu_store_commit_cb)(int status, void *user_data);
/* Runs cb after the current batch commits; with no batch open, on the next
 * iteration with status 0 (still asynchronous, never re-entrant). */
void tsunagu_store_on_commit(tsunagu_store *store, tsunagu_store_commit_cb cb, void *user_data);
/* Commits the open batch now and runs its callbacks. Returns the commit's
 * status. For shutdown, the CLI and tests. */
int tsunagu_store_flush(tsunagu_store *store);
/* Makes the writes between begin and end one unit inside the batch (a
 * savepoint): end(store, false) undoes all of them, end(store, true) keeps
 * them. Nestable. For domain operations that span several calls below. */
int tsunagu_store_atomic_begin(tsunagu_store *store);
int tsunagu_store_atomic_end(tsunagu_store *store, bool keep);
/* Applied schema version (highest migration number). */
int tsunagu_store_schema_version(tsunagu_store *store);
/* Writes a consistent copy of the database to path while running (ADM-6). */
int tsunagu_store_backup(tsunagu_store *store, const char *path);

/* ---- events: append-only, monotonic sequence --------------------------- */

typedef struct {
	int64_t seq;
	int64_t at_us;
	char *type;            /* "message.customer", "staff.login", ... */
	int64_t conversation_id; /* 0 when none */
	int64_t actor_staff_id;  /* 0 when none (system, customer) */
	char *payload_json;    /* a JSON object, never NULL ("{}") */
} tsunagu_store_event;
void tsunagu_store_event_free(tsunagu_store_event *ev);

/* Appends; *seq_out gets the new sequence (greater than every earlier one,
 * also across restarts). The event is durable when the batch commits.
 * payload_json must be the text of a JSON object: the store checks only
 * its first byte ('{', else -EINVAL); the writer guarantees the rest
 * (tsunagu_events_emit, docs/store.md "Events"). */
int tsunagu_store_event_append(tsunagu_store *store, const char *type, int64_t conversation_id,
			       int64_t actor_staff_id, const char *payload_json, int64_t *seq_out);
/* Events with after_seq < seq <= upto_seq in order, at most limit (0: all).
 * Returns a GPtrArray of tsunagu_store_event* with a free func set. */
int tsunagu_store_events_range(tsunagu_store *store, int64_t after_seq, int64_t upto_seq,
			       unsigned limit, GPtrArray **out);
int64_t tsunagu_store_events_last_seq(tsunagu_store *store);

/* ---- staff ------------------------------------------------------------- */

typedef enum {
	TSUNAGU_ROLE_OPERATOR = 1,
	TSUNAGU_ROLE_SUPERVISOR = 2,
	TSUNAGU_ROLE_ADMIN = 3,
} tsunagu_role;
/* Enum names, as stored and shown ("operator", ...): *_name returns NULL
 * for a value outside the enum; *_parse returns -EINVAL for an unknown name
 * (exact, case-sensitive). */
const char *tsunagu_role_name(tsunagu_role role);
int tsunagu_role_parse(const char *name, tsunagu_role *out);

typedef struct {
	int64_t id;
	char *login;         /* unique, case-sensitive */
	char *display_name;
	char *email;         /* may be NULL */
	tsunagu_role role;
	char *password_hash; /* libsodium crypto_pwhash_str (Argon2id) */
	bool disabled;
	int64_t created_at_us;
	/* Operator status and chat capacity (OP-2, OP-5; migration 3). */
	int status;              /* a tsunagu_staff_status */
	int64_t status_since_us; /* when status last changed */
	int chat_capacity;       /* most open chats the router assigns (default 3) */
	int open_chats;          /* assigned conversations neither closed nor snoozed */
	int64_t last_assigned_at_us; /* 0 when never assigned */
	/* The assignment engine (migration 5). */
	int64_t subtype_id;      /* the status sub-type (the kind's default when none chosen) */
	char *subtype;           /* its name */
	bool dnd;                /* do-not-disturb: silences notifications, never assignment */
	int inquiry_types;       /* TSUNAGU_INQUIRY_* bits */
	int call_capacity;       /* most open phone conversations the router assigns (default 1) */
	bool chats_during_call;  /* chats may be assigned while a call rings or talks */
	int missed_offers;       /* consecutive offers not accepted in time */
	int open_phone;          /* assigned phone conversations neither closed nor snoozed */
	bool on_call;            /* a call of theirs rings (offered) or talks */
	bool in_acw;             /* an answered call ended, its conversation still open */
} tsunagu_store_staff;
void tsunagu_store_staff_free(tsunagu_store_staff *s);

int tsunagu_store_staff_create(tsunagu_store *store, const char *login, const char *display_name,
			       const char *email, tsunagu_role role, const char *password_hash,
			       int64_t *id_out);
int tsunagu_store_staff_get(tsunagu_store *store, int64_t id, tsunagu_store_staff **out);
int tsunagu_store_staff_get_by_login(tsunagu_store *store, const char *login,
				     tsunagu_store_staff **out);
/* The login of staff id alone (g_free it): what views show of an operator,
 * a read far lighter than tsunagu_store_staff_get(). -ENOENT when none. */
int tsunagu_store_staff_login(tsunagu_store *store, int64_t id, char **login_out);
/* GPtrArray of tsunagu_store_staff*, ordered by id. */
int tsunagu_store_staff_list(tsunagu_store *store, GPtrArray **out);
int tsunagu_store_staff_count(tsunagu_store *store, int64_t *count);
/* NULL arguments leave the field unchanged; role 0 too. */
int tsunagu_store_staff_update(tsunagu_store *store, int64_t id, const char *display_name,
			       const char *email, tsunagu_role role, const char *password_hash,
			       int disabled /* -1 unchanged, 0, 1 */);

/* ---- sessions (staff logins) -------------------------------------------- */

typedef struct {
	char *token_hash;    /* hex SHA-256 of the cookie token; the token itself is never stored */
	int64_t staff_id;
	char *csrf_token;
	int64_t created_at_us;
	int64_t expires_at_us;
} tsunagu_store_session;
void tsunagu_store_session_free(tsunagu_store_session *s);

int tsunagu_store_session_create(tsunagu_store *store, const char *token_hash, int64_t staff_id,
				 const char *csrf_token, int64_t expires_at_us);
/* -ENOENT when unknown or expired (now_us > expires). */
int tsunagu_store_session_get(tsunagu_store *store, const char *token_hash, int64_t now_us,
			      tsunagu_store_session **out);
int tsunagu_store_session_delete(tsunagu_store *store, const char *token_hash);
int tsunagu_store_session_delete_for_staff(tsunagu_store *store, int64_t staff_id);
int tsunagu_store_session_purge_expired(tsunagu_store *store, int64_t now_us);

/* ---- teams --------------------------------------------------------------- */

int tsunagu_store_team_create(tsunagu_store *store, const char *name, int64_t *id_out);
int tsunagu_store_team_get_by_name(tsunagu_store *store, const char *name, int64_t *id_out);
int tsunagu_store_team_add_member(tsunagu_store *store, int64_t team_id, int64_t staff_id);
int tsunagu_store_team_remove_member(tsunagu_store *store, int64_t team_id, int64_t staff_id);
typedef struct {
	int64_t id;
	char *name;
} tsunagu_store_team;
void tsunagu_store_team_free(tsunagu_store_team *t);
/* Every team, by name. GPtrArray of tsunagu_store_team*, free func set. */
int tsunagu_store_team_list(tsunagu_store *store, GPtrArray **out);
/* The name of team_id (g_free), -ENOENT when there is no such team. */
int tsunagu_store_team_name(tsunagu_store *store, int64_t team_id, char **name_out);
/* GArray of int64_t staff ids. */
int tsunagu_store_team_members(tsunagu_store *store, int64_t team_id, GArray **out);

/* ---- master keywords (ADM-4) and contacts -------------------------------- */

int tsunagu_store_keyword_define(tsunagu_store *store, const char *key, const char *title);
int tsunagu_store_keyword_delete(tsunagu_store *store, const char *key);
/* GPtrArray of char* pairs flattened: key0, title0, key1, title1, ... */
int tsunagu_store_keyword_list(tsunagu_store *store, GPtrArray **out);

typedef struct {
	int64_t id;
	char *public_id;     /* random, unguessable; what URLs and tokens show */
	char *name;          /* may be NULL */
	GHashTable *attributes; /* key (a master keyword) -> value; owned */
	GPtrArray *tags;     /* char* */
	int64_t created_at_us;
} tsunagu_store_contact;
void tsunagu_store_contact_free(tsunagu_store_contact *c);

int tsunagu_store_contact_create(tsunagu_store *store, const char *name, int64_t *id_out);
int tsunagu_store_contact_get(tsunagu_store *store, int64_t id, tsunagu_store_contact **out);
/* Finds a contact by an attribute value (e.g. "phone"), -ENOENT if none. */
int tsunagu_store_contact_find_by_attribute(tsunagu_store *store, const char *key,
					    const char *value, int64_t *id_out);
/* -EINVAL when key is not a defined master keyword. value NULL deletes. */
int tsunagu_store_contact_set_attribute(tsunagu_store *store, int64_t contact_id,
					const char *key, const char *value);
int tsunagu_store_contact_tag(tsunagu_store *store, int64_t contact_id, const char *tag, bool on);
/* The contact a channel knows by external_id (a phone number, a LINE user
 * id, a widget visitor token); created with name when new (*created true). */
int tsunagu_store_contact_identity(tsunagu_store *store, const char *channel,
				   const char *external_id, const char *name, int64_t *contact_id,
				   bool *created);

/* The external id by which channel knows contact (newest identity), for
 * outbound delivery. *external_id_out is g_free()d by the caller. */
int tsunagu_store_contact_identity_get(tsunagu_store *store, int64_t contact_id,
				       const char *channel, char **external_id_out);

/* ---- conversations, participants, tags ------------------------------------ */

typedef enum {
	TSUNAGU_CONV_WAITING = 1, /* unassigned, in the queue */
	TSUNAGU_CONV_OPEN = 2,
	TSUNAGU_CONV_SNOOZED = 3,
	TSUNAGU_CONV_CLOSE_REQUESTED = 4,
	TSUNAGU_CONV_CLOSED = 5,
} tsunagu_conv_state;
const char *tsunagu_conv_state_name(tsunagu_conv_state s);
int tsunagu_conv_state_parse(const char *name, tsunagu_conv_state *out);

typedef struct {
	int64_t id;
	char *public_id;       /* random; the conversation's link (CONV-6) */
	char *channel;         /* "web", "phone", "sms", "line" or a plugin's name */
	int64_t contact_id;
	tsunagu_conv_state state;
	int64_t assignee_id;   /* staff id, 0 when none */
	int64_t team_id;       /* 0 when none */
	char *category;        /* may be NULL */
	char *memo;            /* may be NULL */
	int64_t created_at_us;
	/* The conversation's own last change (created, state, assignee, team,
	 * category, visitor); messages move only the two times below. */
	int64_t updated_at_us;
	int64_t last_customer_message_at_us; /* 0 when none */
	int64_t last_operator_message_at_us; /* 0 when none */
	int64_t closed_at_us;  /* 0 when open */
	char *visitor_json;    /* what the channel knows of the visitor (page, browser,
				  utm...; RULES.md c.visitor) as a JSON object; may be NULL */
	int64_t waiting_since_us; /* when it entered 'waiting'; 0 in any other state */
	char *route_json;      /* the router's resolved target and method (JSON), or NULL */
} tsunagu_store_conversation;
void tsunagu_store_conversation_free(tsunagu_store_conversation *c);

int tsunagu_store_conversation_create(tsunagu_store *store, const char *channel,
				      int64_t contact_id, int64_t *id_out);
/* The same, *out the conversation as written (the caller frees it): one
 * statement where create then get took two (a call's conversation). */
int tsunagu_store_conversation_open(tsunagu_store *store, const char *channel,
				    int64_t contact_id, tsunagu_store_conversation **out);
int tsunagu_store_conversation_get(tsunagu_store *store, int64_t id,
				   tsunagu_store_conversation **out);
int tsunagu_store_conversation_get_by_public_id(tsunagu_store *store, const char *public_id,
						tsunagu_store_conversation **out);
/* The newest conversation of contact on channel that is not closed,
 * -ENOENT when there is none. */
int tsunagu_store_conversation_find_active(tsunagu_store *store, int64_t contact_id,
					   const char *channel, int64_t *id_out);
/* What an inbound message needs first, in one read: the contact that
 * channel knows by external_id (as tsunagu_store_contact_identity finds it)
 * and that contact's newest conversation on channel that is not closed (as
 * tsunagu_store_conversation_find_active + tsunagu_store_conversation_get).
 * 0: *contact_id set, *conv_out the conversation or NULL when there is none
 * (freed by the caller); -ENOENT: no such identity (nothing set). Loop thread,
 * sees the open batch. */
int tsunagu_store_conversation_of_identity(tsunagu_store *store, const char *channel,
					   const char *external_id, int64_t *contact_id,
					   tsunagu_store_conversation **conv_out);
/* Replaces what is known of the visitor (a JSON object text, or NULL). */
int tsunagu_store_conversation_set_visitor(tsunagu_store *store, int64_t id,
					   const char *visitor_json);
/* Most recently changed (updated_at) first; state 0 = any; assignee_id 0 = any,
 * > 0 that staff member, -1 unassigned only; limit 0 = 100. */
int tsunagu_store_conversation_list(tsunagu_store *store, tsunagu_conv_state state,
				    int64_t assignee_id, unsigned limit, GPtrArray **out);
int tsunagu_store_conversation_set_state(tsunagu_store *store, int64_t id, tsunagu_conv_state s);
/* assignee 0 unassigns; team -1 leaves the team unchanged. */
int tsunagu_store_conversation_assign(tsunagu_store *store, int64_t id, int64_t assignee_id,
				      int64_t team_id);
/* tsunagu_store_conversation_assign() and tsunagu_store_conversation_set_state()
 * in one write (state 0: unchanged, as the former alone): the router's
 * assignment of a waiting conversation, which the triggers on
 * conversations (open counts, waiting_admits) then see once. */
int tsunagu_store_conversation_assign_state(tsunagu_store *store, int64_t id,
					    int64_t assignee_id, int64_t team_id,
					    tsunagu_conv_state state);
int tsunagu_store_conversation_set_category(tsunagu_store *store, int64_t id, const char *category);
int tsunagu_store_conversation_tag(tsunagu_store *store, int64_t id, const char *tag, bool on);
/* GPtrArray of char*. */
int tsunagu_store_conversation_tags(tsunagu_store *store, int64_t id, GPtrArray **out);
/* Adds a staff participant (role "participant" or "follower"), idempotent. */
int tsunagu_store_participant_add(tsunagu_store *store, int64_t conversation_id,
				  int64_t staff_id, const char *role);
int tsunagu_store_participant_is(tsunagu_store *store, int64_t conversation_id, int64_t staff_id,
				 bool *out);
/* Past conversations of a contact, excluding one (for rules). */
int tsunagu_store_contact_conversation_count(tsunagu_store *store, int64_t contact_id,
					     int64_t exclude_conversation_id, int64_t *count);

/* ---- messages ------------------------------------------------------------ */

typedef enum {
	TSUNAGU_MSG_CUSTOMER = 1,
	TSUNAGU_MSG_OPERATOR = 2,
	TSUNAGU_MSG_NOTE = 3,     /* internal, never leaves the inbox (CONV-3) */
	TSUNAGU_MSG_SYSTEM = 4,
	TSUNAGU_MSG_DRAFT = 5,    /* trainee draft awaiting approval (CONV-10) */
} tsunagu_msg_kind;
const char *tsunagu_msg_kind_name(tsunagu_msg_kind k);
int tsunagu_msg_kind_parse(const char *name, tsunagu_msg_kind *out);

typedef struct {
	int64_t id;
	int64_t conversation_id;
	tsunagu_msg_kind kind;
	int64_t author_staff_id;  /* 0 for customer/system */
	char *body;
	char *provider_message_id; /* may be NULL; unique per channel */
	int64_t created_at_us;
} tsunagu_store_message;
void tsunagu_store_message_free(tsunagu_store_message *m);

/* Stores a message, indexes it for full-text search, and updates the
 * conversation's last_customer_message_at or last_operator_message_at (a
 * customer or operator message; other kinds and updated_at stay). With a
 * provider_message_id that this channel already has, nothing is written,
 * -EEXIST is returned and *id_out is the existing message (a retried
 * webhook is stored once). */
int tsunagu_store_message_insert(tsunagu_store *store, int64_t conversation_id,
				 tsunagu_msg_kind kind, int64_t author_staff_id, const char *body,
				 const char *provider_message_id, int64_t *id_out);
/* Oldest first, id > after_id, at most limit (0: 200). */
int tsunagu_store_message_list(tsunagu_store *store, int64_t conversation_id, int64_t after_id,
			       unsigned limit, GPtrArray **out);
/* Full-text search (FTS5 trigram: finds Japanese); GArray of int64 message ids,
 * newest first, at most limit (0: 100). Substring match, ASCII
 * case-insensitive, % and _ literal. Text of 3 characters or more uses the
 * index; 1-2 characters scan the messages (trigrams need 3). Messages of the
 * open batch are indexed at its commit, so search sees committed messages
 * only. -EINVAL for empty text or invalid UTF-8. */
int tsunagu_store_message_search(tsunagu_store *store, const char *text, unsigned limit,
				 GArray **out);
/* A customer's history as a channel shows it (the web widget): the
 * customer, operator and system messages — never notes or drafts — of every
 * conversation on channel of the contact that channel knows as
 * external_id. after_id > 0: id > after_id, oldest first, at most limit;
 * after_id == 0: the newest limit, oldest first. limit 0: 200. An unknown
 * external_id gives an empty list (nothing is created). GPtrArray of
 * tsunagu_store_message*, free func set. (Added for the web channel.) */
int tsunagu_store_customer_history(tsunagu_store *store, const char *channel,
				   const char *external_id, int64_t after_id, unsigned limit,
				   GPtrArray **out);

/* ---- settings admins change at run time ------------------------------------ */

/* ns: a namespace ("plugin.web", "core"); key and value: text (often JSON).
 * -ENOENT when unset. *value_out is g_free()d by the caller. */
int tsunagu_store_setting_get(tsunagu_store *store, const char *ns, const char *key,
			      char **value_out);
/* Inserts or replaces; value NULL deletes. */
int tsunagu_store_setting_set(tsunagu_store *store, const char *ns, const char *key,
			      const char *value);

/* ---- durable rule timers --------------------------------------------------- */

typedef struct {
	char *key;           /* unique name chosen by the rules host */
	int64_t due_at_us;
	char *payload_json;
} tsunagu_store_timer;
void tsunagu_store_timer_free(tsunagu_store_timer *t);

/* Inserts or replaces the timer with this key. */
int tsunagu_store_timer_set(tsunagu_store *store, const char *key, int64_t due_at_us,
			    const char *payload_json);
int tsunagu_store_timer_cancel(tsunagu_store *store, const char *key);
/* Timers due at or before now_us, oldest first, at most limit (0: 1000). */
int tsunagu_store_timer_due(tsunagu_store *store, int64_t now_us, unsigned limit, GPtrArray **out);
/* Earliest due time, or -ENOENT when there is none. */
int tsunagu_store_timer_next(tsunagu_store *store, int64_t *due_at_us);

/* ---- operator status, capacity and the waiting list (OP-2, OP-5) ------------ */
/* Implemented in store_routing.c / store_engine.c (dispatch) and
 * store_sqlite_status.c / store_sqlite_presence.c / store_sqlite_inbox.c
 * (SQLite). staff.open_chats is kept by triggers on
 * conversations inside the same transaction, so it also counts assignments
 * of the open batch: two assignments in one loop iteration see each other. */

typedef enum {
	TSUNAGU_STATUS_AVAILABLE = 1,
	TSUNAGU_STATUS_AWAY = 2,
	TSUNAGU_STATUS_OFFLINE = 3,
} tsunagu_staff_status;
const char *tsunagu_staff_status_name(tsunagu_staff_status s);
int tsunagu_staff_status_parse(const char *name, tsunagu_staff_status *out);

#define TSUNAGU_CHAT_CAPACITY_MAX 100
#define TSUNAGU_CALL_CAPACITY_MAX 100

/* Which inquiries an operator receives (bits; stored as "chat", "phone",
 * "both"). A conversation on the channel "phone" is a call; every other
 * channel is a chat. */
#define TSUNAGU_INQUIRY_CHAT 1
#define TSUNAGU_INQUIRY_PHONE 2
#define TSUNAGU_INQUIRY_BOTH 3
/* "chat", "phone", "both"; NULL outside 1..3. */
const char *tsunagu_inquiry_types_name(int types);
int tsunagu_inquiry_types_parse(const char *name, int *out);

/* Sets the status; status_since becomes now and the sub-type the kind's
 * default only when it changes.
 * *previous_out (may be NULL) gets the status before. -ENOENT: no such staff. */
int tsunagu_store_staff_set_status(tsunagu_store *store, int64_t staff_id,
				   tsunagu_staff_status status, tsunagu_staff_status *previous_out);
/* 0..TSUNAGU_CHAT_CAPACITY_MAX, else -EINVAL. */
int tsunagu_store_staff_set_capacity(tsunagu_store *store, int64_t staff_id, int capacity);
/* Counts the conversations assigned to staff_id that are neither closed nor
 * snoozed, from the conversations themselves (what open_chats caches). */
int tsunagu_store_staff_open_count(tsunagu_store *store, int64_t staff_id, int64_t *count);
/* Sessions of staff_id not expired at now_us. */
int tsunagu_store_session_count_for_staff(tsunagu_store *store, int64_t staff_id,
					  int64_t now_us, int64_t *count);
/* GArray of int64_t: the teams staff_id belongs to. */
int tsunagu_store_staff_teams(tsunagu_store *store, int64_t staff_id, GArray **out);
/* The assignee of the contact's newest other conversation that had one
 * (RT-3 "last operator"); -ENOENT when none. */
int tsunagu_store_contact_last_operator(tsunagu_store *store, int64_t contact_id,
					int64_t exclude_conversation_id, int64_t *staff_id_out);

/* Routing settings of a staff member; -1 leaves a field unchanged. */
typedef struct {
	int inquiry_types;     /* TSUNAGU_INQUIRY_* (1..3) */
	int call_capacity;     /* 0..TSUNAGU_CALL_CAPACITY_MAX */
	int chats_during_call; /* 0, 1 */
	int dnd;               /* 0, 1 */
} tsunagu_store_staff_routing;
/* -EINVAL for a value out of range, -ENOENT: no such staff. */
int tsunagu_store_staff_set_routing(tsunagu_store *store, int64_t staff_id,
				    const tsunagu_store_staff_routing *r);
/* The sub-type of the current status: subtype_id 0 is the kind's default;
 * -EINVAL when the sub-type belongs to another kind than the staff's status
 * (set the status first), -ENOENT: no such staff or sub-type. */
int tsunagu_store_staff_set_subtype(tsunagu_store *store, int64_t staff_id, int64_t subtype_id);
/* Counts an offer the staff member let pass (missed true: +1) or accepted
 * (false: back to 0). *count_out (may be NULL): the new count. */
int tsunagu_store_staff_count_missed(tsunagu_store *store, int64_t staff_id, bool missed,
				     int *count_out);

/* Status sub-types (離席: lunch, meeting...). Each kind has exactly one
 * default, which cannot be deleted. */
typedef struct {
	int64_t id;
	tsunagu_staff_status kind;
	char *name;
	int position;
	bool is_default;
} tsunagu_store_status_subtype;
void tsunagu_store_status_subtype_free(tsunagu_store_status_subtype *t);
/* By kind (available, away, offline), then position, then id. GPtrArray of
 * tsunagu_store_status_subtype*, free func set. */
int tsunagu_store_status_subtype_list(tsunagu_store *store, GPtrArray **out);
int tsunagu_store_status_subtype_get(tsunagu_store *store, int64_t id,
				     tsunagu_store_status_subtype **out);
/* name: 1..64 bytes, unique per kind (-EEXIST). */
int tsunagu_store_status_subtype_create(tsunagu_store *store, tsunagu_staff_status kind,
					const char *name, int position, int64_t *id_out);
/* name NULL and position < 0 leave them unchanged. */
int tsunagu_store_status_subtype_update(tsunagu_store *store, int64_t id, const char *name,
					int position);
/* -EPERM for a kind's default. Its holders move to the kind's default;
 * *moved_out (may be NULL): their staff ids (GArray of int64_t). */
int tsunagu_store_status_subtype_delete(tsunagu_store *store, int64_t id, GArray **moved_out);

typedef enum {
	TSUNAGU_PICK_LONGEST_IDLE = 1,  /* oldest max(last_assigned_at, status_since) */
	TSUNAGU_PICK_FEWEST_HANDLED = 2, /* fewest assignments today (local date), then idle */
	TSUNAGU_PICK_ROUND_ROBIN = 3,   /* next id after rr_after in id order, wrapping */
} tsunagu_pick_method;

/* Who may receive: everyone (all) or the union of staff_ids and the members
 * of team_ids (JSON arrays of integers as text, NULL = empty). Only staff
 * who are available, not disabled and eligible for the kind qualify;
 * exclude_ids (JSON array text or NULL) never do. Chat (phone false): they
 * receive chats, open_chats < chat_capacity, and no call of theirs rings
 * or talks unless chats_during_call. Phone: they receive calls, open_phone
 * < call_capacity, no call of theirs rings, talks or is in after-call work,
 * and no call is being offered to them. */
typedef struct {
	tsunagu_pick_method method;
	bool phone;
	bool all;
	const char *staff_ids_json;
	const char *team_ids_json;
	const char *exclude_ids_json;
	int64_t rr_after;  /* round robin: the staff id assigned last (0: start) */
	/* tsunagu_store_staff_route_ids only: the ids strictly between these
	 * (ids_below 0: no upper bound). */
	int64_t ids_above, ids_below;
	int64_t now_us;    /* fewest handled: which day "today" is */
} tsunagu_store_pick;
/* The chosen staff id, -ENOENT when nobody qualifies. */
int tsunagu_store_staff_pick(tsunagu_store *store, const tsunagu_store_pick *q,
			     int64_t *staff_id_out);

/* Whether staff_id qualifies for a conversation of the kind now (the
 * conditions of tsunagu_store_pick, without the route). */
int tsunagu_store_staff_eligible(tsunagu_store *store, int64_t staff_id, bool phone,
				 bool *out);
/* The enabled staff the route of q admits who receive the kind, whatever
 * their status, in id order (round robin's fixed order), between
 * q->ids_above and q->ids_below. GArray of int64_t. */
int tsunagu_store_staff_route_ids(tsunagu_store *store, const tsunagu_store_pick *q,
				  GArray **out);

/* Keeps the router's decision with the conversation (JSON text or NULL). */
int tsunagu_store_conversation_set_route(tsunagu_store *store, int64_t id,
					 const char *route_json);
/* Waiting conversations, longest waiting first (waiting_since, then id),
 * strictly after the position (after_since, after_id) — (0, 0) from the
 * start — at most limit (0: 100). GPtrArray of tsunagu_store_conversation*. */
int tsunagu_store_waiting_list(tsunagu_store *store, int64_t after_since, int64_t after_id,
			       unsigned limit, GPtrArray **out);

/* Who the route of a waiting conversation admits (migration 6, kept by
 * triggers from conversations.route): everyone, one staff member (the
 * route's "staff" and "prefer"), or the members of one team. */
typedef enum {
	TSUNAGU_ADMITS_ALL = 1,   /* ref 0 */
	TSUNAGU_ADMITS_STAFF = 2, /* ref: a staff id */
	TSUNAGU_ADMITS_TEAM = 3,  /* ref: a team id */
	/* ref: a staff id — every list that admits them (everyone, them, each
	 * of their teams) at once, to learn whether any holds a conversation:
	 * at most one position, any of them (not the oldest), and after_since,
	 * after_id are ignored. One statement, where a walk reads their teams
	 * and then each list. */
	TSUNAGU_ADMITS_ANY_FOR_STAFF = 4,
} tsunagu_admits_kind;
/* A place in the waiting list. */
typedef struct {
	int64_t waiting_since_us;
	int64_t conversation_id;
} tsunagu_store_waiting_pos;
/* The waiting conversations of the kind (calls when phone, else chats)
 * whose route admits (kind, ref), in waiting-list order (waiting_since,
 * then id), strictly after (after_since, after_id) — (0, 0) from the start —
 * at most limit (0: 100). GArray of tsunagu_store_waiting_pos. A
 * conversation admitted through several (kind, ref) is in each list. */
int tsunagu_store_waiting_admitted(tsunagu_store *store, tsunagu_admits_kind kind, int64_t ref,
				   bool phone, int64_t after_since, int64_t after_id,
				   unsigned limit, GArray **out);

/* ---- calls and offers (the assignment engine, migration 5): store_calls.h ---- */
#include "store_calls.h"

/* ---- the inbox lists (CONV-7) ------------------------------------------------ */

typedef enum {
	TSUNAGU_VIEW_ALL = 1,       /* every state */
	TSUNAGU_VIEW_MINE = 2,      /* assigned to staff_id, not closed */
	TSUNAGU_VIEW_WAITING = 3,   /* state waiting, longest waiting first */
	TSUNAGU_VIEW_UNREPLIED = 4, /* not closed, the last customer-visible message is the customer's */
	TSUNAGU_VIEW_REPLIED = 5,   /* not closed, and not unreplied */
	TSUNAGU_VIEW_SNOOZED = 6,
	TSUNAGU_VIEW_CLOSED = 7,
} tsunagu_conv_view;
const char *tsunagu_conv_view_name(tsunagu_conv_view v);
int tsunagu_conv_view_parse(const char *name, tsunagu_conv_view *out);

/* One row of a list: the conversation and what the list shows beside it. */
typedef struct {
	tsunagu_store_conversation *conv;
	char *contact_name;          /* may be NULL */
	char *assignee_login;        /* NULL when unassigned */
	char *assignee_display_name;
	/* The last customer-visible message (customer, operator, system; never
	 * a note or draft): kind 0 when there is none. text is its first 200
	 * characters. */
	tsunagu_msg_kind last_kind;
	char *last_text;
	int64_t last_at_us;
	bool unreplied;              /* last_kind is customer */
} tsunagu_store_conversation_item;
void tsunagu_store_conversation_item_free(tsunagu_store_conversation_item *it);

/* The conversations of a view. staff_id is "me" for VIEW_MINE; channel NULL
 * for any. Waiting: longest waiting first; the others: newest
 * last_customer_message_at first (none last), then newest id. limit 0: 100.
 * GPtrArray of tsunagu_store_conversation_item*, free func set. */
int tsunagu_store_conversation_list_view(tsunagu_store *store, tsunagu_conv_view view,
					 int64_t staff_id, const char *channel, unsigned limit,
					 GPtrArray **out);

/* ---- reports over the events (OP-6) ------------------------------------------ */
/* Implemented in store_reports.c (dispatch) and store_sqlite_reports.c
 * (SQLite). Read-only: they never join or open a batch. */

/* One event of a report scan, borrowed for the duration of the call: ev as
 * tsunagu_store_events_range gives it, channel the channel of its
 * conversation (NULL when it has none or the conversation is gone). Return 0
 * to go on or a negative errno to stop the scan, which then returns it. The
 * callback runs while the scan's statement is open: it must not call the
 * store. The store's thread (the loop, or a reader's owner). */
typedef int (*tsunagu_store_report_fn)(const tsunagu_store_event *ev, const char *channel,
				       void *user_data);

#define TSUNAGU_STORE_REPORT_MAX_TYPES 16

/* Calls fn for every event whose type is one of types (NULL-terminated,
 * 1..TSUNAGU_STORE_REPORT_MAX_TYPES names of [a-z0-9._], each one the
 * backend indexes for reports — SQLite: staff.status_changed,
 * conversation.assigned, call.answered, call.ended, call.acw_ended; any
 * other, "message.*" first of all, is -EINVAL) with
 * from_us <= at < to_us, oldest first (at, then seq). Walks the events_type
 * index (type, at); rows are streamed, so memory does not grow with the
 * range. -EINVAL for bad arguments. */
int tsunagu_store_report_scan(tsunagu_store *store, const char *const *types, int64_t from_us,
			      int64_t to_us, tsunagu_store_report_fn fn, void *user_data);

/* What was in force for one staff member at before_us: the payload of the
 * newest event of type (e.g. "staff.status_changed"; a report type as for
 * tsunagu_store_report_scan, else -EINVAL) whose payload member
 * "staff" is staff_id, with since_us <= at < before_us. Walks the
 * events_type index backwards from before_us and stops at the first match;
 * since_us (the staff member's creation) bounds the walk. *payload_out is
 * g_free()d by the caller; -ENOENT when there is none. */
int tsunagu_store_report_last_staff_event(tsunagu_store *store, const char *type,
					  int64_t staff_id, int64_t since_us, int64_t before_us,
					  char **payload_out);

/* ---- readers: reads off the loop thread ----------------------------------------- */
/* Implemented in store_reader.c (pool, dispatch) and store_sqlite_reader.c.
 *
 * A reader is a tsunagu_store that only reads, on a connection of its own
 * (SQLite: the same file opened read-only; in WAL mode it sees the last
 * committed state, never the open batch, and never blocks the writer). No
 * migrations, checkpoints or group commit: every write, flush, atomic
 * section or on_commit on it fails with -EROFS (on_commit is refused).
 *
 * Thread rules. A reader belongs to one thread at a time: the thread that
 * opened it or the one it was handed to, never two at once. Its read
 * operations (everything above that does not write: *_get, *_list,
 * report_scan, ...) then run on that thread; callbacks such as
 * tsunagu_store_report_fn run there too. The store it came from stays on
 * the loop thread and must outlive it. */

/* Opens a reader of store (an open store, not a reader). Any thread while
 * store is open. -ENOTSUP for an in-memory database. */
int tsunagu_store_reader_open(tsunagu_store *store, tsunagu_store **reader_out);
/* Closes a reader (NULL is a no-op). Its owning thread. */
void tsunagu_store_reader_close(tsunagu_store *reader);
/* The reader's operations fail with -ETIMEDOUT, stopped mid-query, once
 * g_get_monotonic_time() reaches deadline_us (wall time on purpose: the
 * domain clock of tests may stand still); 0 removes the bound. Owning
 * thread. -EINVAL when reader is not a reader. */
int tsunagu_store_reader_deadline(tsunagu_store *reader, int64_t deadline_us);

/* The reader pool: at most TSUNAGU_STORE_READERS worker threads, each
 * reusing a reader, so a burst of reports queues instead of opening
 * connections without bound. Jobs run in submission order. */
#define TSUNAGU_STORE_READERS 2
/* At most this many jobs wait for a worker; more are refused (-EAGAIN). */
#define TSUNAGU_STORE_READ_QUEUE_MAX 32

/* A job: runs on a worker thread with a reader it may use until it returns
 * (it must not keep it); data is the job's. Returns 0 or a negative errno. */
typedef int (*tsunagu_store_read_fn)(tsunagu_store *reader, void *data);

/* Where a job's outcome goes: status is fn's, or -ECANCELED when the store
 * closed first (a queued job then never runs fn). The caller's thread-default
 * main context at submission (the loop thread); never re-entrant. */
typedef void (*tsunagu_store_read_done)(int status, void *data);

/* Runs fn(reader, data) on the pool, bounded by timeout_ms of wall time
 * from when it starts (0: none; -ETIMEDOUT when exceeded), then done(status,
 * data). When the store closes, running jobs are interrupted, queued ones
 * end without running fn, and every done not yet run runs from inside
 * tsunagu_store_close (the loop may not iterate again). Returns 0 (done will
 * run exactly once) or a negative errno (done never runs): -EAGAIN when the
 * queue is full. store must not be a reader. Loop thread. */
int tsunagu_store_read_async(tsunagu_store *store, tsunagu_store_read_fn fn,
			     tsunagu_store_read_done done, void *data, int64_t timeout_ms);
