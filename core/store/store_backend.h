/* The contract between store.c (dispatch, group commit) and a storage
 * backend (store_sqlite.c today, PostgreSQL later).
 *
 * store.c owns the batch: it calls begin() before the first write of a loop
 * iteration, commit() from its GSource, and wraps every multi-row operation
 * in savepoint()/release()/rollback_to(). A backend therefore never opens or
 * ends a transaction inside an operation; it only runs its statements on the
 * connection and maps its failures to negative errnos:
 *   -ENOENT no such row, -EEXIST unique key taken, -EINVAL a constraint or
 *   argument refused, -EBUSY locked too long, -EIO anything else (logged).
 *
 * Adding a backend: fill a static tsunagu_store_backend_ops with
 * .abi_version = TSUNAGU_STORE_BACKEND_ABI and .size = sizeof(ops), make
 * accepts() recognise its paths (e.g. "postgresql://"), and list it in the
 * backends[] array of store.c. Every operation must be present; store.c
 * refuses a table of another ABI version or a smaller size.
 *
 * Thread: all calls come from the loop thread, except the reader_* ops and
 * the read operations on a reader handle, which come from the worker that
 * owns that reader (see reader_open). `be` is the backend's own
 * handle returned by open(); strings are borrowed, results owned by the
 * caller exactly as documented in store.h.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_guidance.h"

/* 2: conversation_assign takes a state, call_update the parts to write */
#define TSUNAGU_STORE_BACKEND_ABI 2u

typedef struct tsunagu_store_backend_ops {
	uint32_t abi_version; /* TSUNAGU_STORE_BACKEND_ABI */
	uint32_t size;        /* sizeof(tsunagu_store_backend_ops) the backend was built with */
	const char *name;     /* "sqlite" */

	/* True when this backend handles opts->path. */
	bool (*accepts)(const char *path);
	/* Opens, configures and migrates. *be_out is owned by the backend until close. */
	int (*open)(const tsunagu_store_options *opts, void **be_out);
	void (*close)(void *be);
	int (*schema_version)(void *be);
	int (*backup)(void *be, const char *path);

	/* Batch control. begin starts a write transaction that takes the write
	 * lock at once. commit either makes the batch durable or leaves no
	 * transaction open (rolled back) and returns the error. in_transaction
	 * tells store.c whether a failed operation destroyed the batch.
	 * Savepoints nest (LIFO): release and rollback_to act on the innermost;
	 * store.c always ends a savepoint with release, after rollback_to when
	 * its writes are to be undone. */
	int (*begin)(void *be);
	int (*commit)(void *be);
	void (*rollback)(void *be);
	bool (*in_transaction)(void *be);
	int (*savepoint)(void *be);
	int (*release)(void *be);
	int (*rollback_to)(void *be);

	/* Operations: same meaning and arguments as the store.h functions. */
	int (*event_append)(void *be, const char *type, int64_t conversation_id,
			    int64_t actor_staff_id, const char *payload_json, int64_t *seq_out);
	int (*events_range)(void *be, int64_t after_seq, int64_t upto_seq, unsigned limit,
			    GPtrArray **out);
	int64_t (*events_last_seq)(void *be);

	int (*staff_create)(void *be, const char *login, const char *display_name,
			    const char *email, tsunagu_role role, const char *password_hash,
			    int64_t *id_out);
	int (*staff_get)(void *be, int64_t id, tsunagu_store_staff **out);
	int (*staff_get_by_login)(void *be, const char *login, tsunagu_store_staff **out);
	int (*staff_login)(void *be, int64_t id, char **login_out);
	int (*staff_list)(void *be, GPtrArray **out);
	int (*staff_count)(void *be, int64_t *count);
	int (*staff_update)(void *be, int64_t id, const char *display_name, const char *email,
			    tsunagu_role role, const char *password_hash, int disabled);

	int (*session_create)(void *be, const char *token_hash, int64_t staff_id,
			      const char *csrf_token, int64_t expires_at_us);
	int (*session_get)(void *be, const char *token_hash, int64_t now_us,
			   tsunagu_store_session **out);
	int (*session_delete)(void *be, const char *token_hash);
	int (*session_delete_for_staff)(void *be, int64_t staff_id);
	int (*session_purge_expired)(void *be, int64_t now_us);

	int (*team_create)(void *be, const char *name, int64_t *id_out);
	int (*team_get_by_name)(void *be, const char *name, int64_t *id_out);
	int (*team_add_member)(void *be, int64_t team_id, int64_t staff_id);
	int (*team_remove_member)(void *be, int64_t team_id, int64_t staff_id);
	int (*team_members)(void *be, int64_t team_id, GArray **out);
	int (*team_list)(void *be, GPtrArray **out);
	int (*conversation_set_visitor)(void *be, int64_t id, const char *visitor_json);
	int (*setting_get)(void *be, const char *ns, const char *key, char **value_out);
	int (*setting_set)(void *be, const char *ns, const char *key, const char *value);

	int (*keyword_define)(void *be, const char *key, const char *title);
	int (*keyword_delete)(void *be, const char *key);
	int (*keyword_list)(void *be, GPtrArray **out);

	int (*contact_create)(void *be, const char *name, int64_t *id_out);
	int (*contact_get)(void *be, int64_t id, tsunagu_store_contact **out);
	int (*contact_find_by_attribute)(void *be, const char *key, const char *value,
					 int64_t *id_out);
	int (*contact_set_attribute)(void *be, int64_t contact_id, const char *key,
				     const char *value);
	int (*contact_tag)(void *be, int64_t contact_id, const char *tag, bool on);
	int (*contact_identity)(void *be, const char *channel, const char *external_id,
				const char *name, int64_t *contact_id, bool *created);
	int (*contact_identity_get)(void *be, int64_t contact_id, const char *channel,
				    char **external_id_out);
	int (*contact_conversation_count)(void *be, int64_t contact_id,
					  int64_t exclude_conversation_id, int64_t *count);

	/* out, when not NULL, receives the row written (id_out may be NULL) */
	int (*conversation_create)(void *be, const char *channel, int64_t contact_id,
				   int64_t *id_out, tsunagu_store_conversation **out);
	int (*conversation_get)(void *be, int64_t id, tsunagu_store_conversation **out);
	int (*conversation_get_by_public_id)(void *be, const char *public_id,
					     tsunagu_store_conversation **out);
	int (*conversation_find_active)(void *be, int64_t contact_id, const char *channel,
					int64_t *id_out);
	int (*conversation_list)(void *be, tsunagu_conv_state state, int64_t assignee_id,
				 unsigned limit, GPtrArray **out);
	int (*conversation_set_state)(void *be, int64_t id, tsunagu_conv_state s);
	/* state 0: unchanged */
	int (*conversation_assign)(void *be, int64_t id, int64_t assignee_id, int64_t team_id,
				   tsunagu_conv_state state);
	int (*conversation_set_category)(void *be, int64_t id, const char *category);
	int (*conversation_tag)(void *be, int64_t id, const char *tag, bool on);
	int (*conversation_tags)(void *be, int64_t id, GPtrArray **out);
	int (*participant_add)(void *be, int64_t conversation_id, int64_t staff_id,
			       const char *role);
	int (*participant_is)(void *be, int64_t conversation_id, int64_t staff_id, bool *out);

	int (*message_insert)(void *be, int64_t conversation_id, tsunagu_msg_kind kind,
			      int64_t author_staff_id, const char *body,
			      const char *provider_message_id, int64_t *id_out);
	int (*message_list)(void *be, int64_t conversation_id, int64_t after_id, unsigned limit,
			    GPtrArray **out);
	int (*message_search)(void *be, const char *text, unsigned limit, GArray **out);
	int (*customer_history)(void *be, const char *channel, const char *external_id,
				int64_t after_id, unsigned limit, GPtrArray **out);

	int (*timer_set)(void *be, const char *key, int64_t due_at_us, const char *payload_json);
	int (*timer_cancel)(void *be, const char *key);
	int (*timer_due)(void *be, int64_t now_us, unsigned limit, GPtrArray **out);
	int (*timer_next)(void *be, int64_t *due_at_us);

	/* Operator status, capacity, the waiting list and the inbox lists
	 * (migration 3). Appended: same meaning as in store.h. */
	int (*staff_set_status)(void *be, int64_t staff_id, tsunagu_staff_status status,
				tsunagu_staff_status *previous_out);
	int (*staff_set_capacity)(void *be, int64_t staff_id, int capacity);
	int (*staff_open_count)(void *be, int64_t staff_id, int64_t *count);
	int (*session_count_for_staff)(void *be, int64_t staff_id, int64_t now_us,
				       int64_t *count);
	int (*staff_teams)(void *be, int64_t staff_id, GArray **out);
	int (*contact_last_operator)(void *be, int64_t contact_id, int64_t exclude_conversation_id,
				     int64_t *staff_id_out);
	int (*staff_pick)(void *be, const tsunagu_store_pick *q, int64_t *staff_id_out);
	int (*conversation_set_route)(void *be, int64_t id, const char *route_json);
	int (*waiting_list)(void *be, int64_t after_since, int64_t after_id, unsigned limit,
			    GPtrArray **out);
	int (*conversation_list_view)(void *be, tsunagu_conv_view view, int64_t staff_id,
				      const char *channel, unsigned limit, GPtrArray **out);

	/* Reports over the events (OP-6). Appended: same meaning as in
	 * store.h; types is already checked (1..16 plain names). */
	int (*report_scan)(void *be, const char *const *types, int64_t from_us, int64_t to_us,
			   tsunagu_store_report_fn fn, void *user_data);
	int (*report_last_staff_event)(void *be, const char *type, int64_t staff_id,
				       int64_t since_us, int64_t before_us, char **payload_out);

	/* Readers for worker threads (store_reader.c). Appended.
	 * reader_open: a read-only handle on a connection of its own that sees
	 * committed data only and never blocks the writer; the read operations
	 * above accept it as their `be`. Called on a worker thread while be is
	 * open: it may read only what never changes after open (the path).
	 * -ENOTSUP when the backend cannot (an in-memory database).
	 * reader_close, reader_deadline: the thread that owns the reader.
	 * reader_deadline: operations fail with -ETIMEDOUT (stopped mid-query)
	 * once g_get_monotonic_time() reaches deadline_us (0: never); it also
	 * clears an interrupt. reader_interrupt: any thread; the running and
	 * every later operation fail with -ETIMEDOUT until reader_deadline. */
	int (*reader_open)(void *be, void **reader_out);
	void (*reader_close)(void *reader);
	void (*reader_deadline)(void *reader, int64_t deadline_us);
	void (*reader_interrupt)(void *reader);
	/* The assignment engine (migration 5). Appended: same meaning as in
	 * store.h. */
	int (*staff_set_routing)(void *be, int64_t staff_id, const tsunagu_store_staff_routing *r);
	int (*staff_set_subtype)(void *be, int64_t staff_id, int64_t subtype_id);
	int (*staff_count_missed)(void *be, int64_t staff_id, bool missed, int *count_out);
	int (*staff_eligible)(void *be, int64_t staff_id, bool phone, bool *out);
	int (*staff_route_ids)(void *be, const tsunagu_store_pick *q, GArray **out);
	int (*status_subtype_list)(void *be, GPtrArray **out);
	int (*status_subtype_get)(void *be, int64_t id, tsunagu_store_status_subtype **out);
	int (*status_subtype_create)(void *be, tsunagu_staff_status kind, const char *name,
				     int position, int64_t *id_out);
	int (*status_subtype_update)(void *be, int64_t id, const char *name, int position);
	int (*status_subtype_delete)(void *be, int64_t id, GArray **moved_out);
	/* call_out (may be NULL): the new call as written, caller owns it. */
	int (*call_create)(void *be, int64_t conversation_id, const char *direction,
			   int64_t *id_out, tsunagu_store_call **call_out);
	int (*call_get)(void *be, int64_t id, tsunagu_store_call **out);
	int (*call_of_conversation)(void *be, int64_t conversation_id, tsunagu_store_call **out);
	/* parts: a mask of tsunagu_store_call_parts, never 0 */
	int (*call_update)(void *be, const tsunagu_store_call *c, unsigned parts);
	int (*offer_put)(void *be, int64_t conversation_id, int64_t staff_id, bool call,
			 int64_t deadline_us);
	int (*offer_end)(void *be, int64_t conversation_id, int64_t staff_id, const char *state);
	int (*offers_clear)(void *be, int64_t conversation_id);
	int (*offers_of)(void *be, int64_t conversation_id, GPtrArray **out);
	int (*offers_due)(void *be, int64_t now_us, unsigned limit, GPtrArray **out);
	int (*offers_next)(void *be, int64_t *deadline_us);
	/* The router's index of waiting conversations (migration 7). Appended:
	 * same meaning as in store.h; kind already checked. */
	int (*waiting_admitted)(void *be, tsunagu_admits_kind kind, int64_t ref, bool phone,
				int64_t after_since, int64_t after_id, unsigned limit,
				GArray **out);
	/* Appended: same meaning as in store.h. */
	int (*offers_pending_of_staff)(void *be, int64_t staff_id, GPtrArray **out);
	int (*team_name)(void *be, int64_t team_id, char **name_out);
	/* Appended (migration 8, calls from phone channels): as in store.h. */
	int (*call_by_provider)(void *be, const char *provider_call_id, tsunagu_store_call **out);
	int (*call_channel)(void *be, int64_t id, char **channel_out);
	int (*calls_waiting_count)(void *be, int64_t *count_out);
	int (*calls_list)(void *be, const char *state, unsigned limit, GPtrArray **out);
	int (*calls_of_conversation)(void *be, int64_t conversation_id, GPtrArray **out);
	int (*call_records)(void *be, int64_t from_us, int64_t to_us, int64_t staff_id,
			    unsigned limit, GPtrArray **out);
	/* The voice guidance library (migration 9, store_guidance.h). Appended:
	 * same meaning as there; names, lines and kinds already checked. */
	int (*guidance_get)(void *be, int64_t id, tsunagu_store_guidance **out);
	int (*guidance_get_by_name)(void *be, const char *name, tsunagu_store_guidance **out);
	int (*guidance_list)(void *be, GPtrArray **out);
	int (*guidance_save)(void *be, const tsunagu_store_guidance *g, int64_t *id_out);
	int (*guidance_delete)(void *be, int64_t id);
	int (*guidance_sets)(void *be, GPtrArray **out);
	int (*guidance_sets_replace)(void *be, GPtrArray *sets);
	int (*guidance_resolve)(void *be, const char *line, const char *kind,
				tsunagu_store_guidance **out);
	/* Appended (issue 3, one read per inbound message): as in store.h;
	 * arguments already checked, *conv_out already NULL. */
	int (*conversation_of_identity)(void *be, const char *channel, const char *external_id,
					int64_t *contact_id, tsunagu_store_conversation **conv_out);
	/* Appended (issue 5, one read transaction per loop iteration): ends
	 * whatever the backend opened so that the reads outside a batch share
	 * a snapshot (NULL: none). store.c calls it before the loop waits (its
	 * source's prepare) and before close; begin must end it as well. A
	 * read transaction must never outlive the iteration: it would hold a
	 * WAL read mark (checkpoints stop there) and an old snapshot. */
	void (*reads_end)(void *be);
	/* Appended (issue 5): as in store_calls.h; arguments already checked. */
	int (*call_get_with_conversation)(void *be, int64_t id, tsunagu_store_call **call_out,
					  tsunagu_store_conversation **conv_out);
} tsunagu_store_backend_ops;

/* The embedded default (store_sqlite.c). */
extern const tsunagu_store_backend_ops tsunagu_store_sqlite_ops;

/* The backend and its handle behind an open store. For backend-specific
 * tests and tools only; domain code never needs them. Loop thread. */
const tsunagu_store_backend_ops *tsunagu_store_backend(tsunagu_store *store);
void *tsunagu_store_backend_handle(tsunagu_store *store);
