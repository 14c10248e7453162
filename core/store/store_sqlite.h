/* Private to the SQLite backend: the connection handle, the helpers shared by
 * its topic files (store_sqlite_*.c) and their operations, which
 * store_sqlite.c puts into tsunagu_store_sqlite_ops.
 *
 * Statements are prepared once per connection and cached by the address of
 * their SQL text, so every SQL string handed to tsunagu_sqlite_stmt() must be
 * a static constant. Thread: loop thread only (the connection is opened
 * SQLITE_OPEN_NOMUTEX).
 */
#pragma once

#include <sqlite3.h>

#include "store.h"
#include "store_backend.h"

typedef struct tsunagu_sqlite_checkpointer tsunagu_sqlite_checkpointer;
typedef struct tsunagu_sqlite_search tsunagu_sqlite_search;
typedef struct tsunagu_sqlite_profile tsunagu_sqlite_profile;

typedef struct {
	sqlite3 *db;
	char *path;
	bool memory;          /* ":memory:": no WAL, backup from this connection */
	int busy_timeout_ms;
	int schema_version;
	GHashTable *stmts;    /* const char *sql (by address) -> sqlite3_stmt*, owned */
	/* The messages of the open batch, for the search index: the first id
	 * (0: none) and its value when each open savepoint began. A memory
	 * store indexes ids >= batch_first_id before COMMIT (FTS5 flushes its
	 * pending data at every SAVEPOINT: indexing message by message would
	 * write one segment per message); a file store tells its indexer
	 * thread the newest message id after COMMIT. */
	int64_t batch_first_id;
	GArray *fts_marks;    /* int64_t: batch_first_id when each open savepoint began */
	tsunagu_sqlite_checkpointer *checkpointer; /* store_sqlite_checkpoint.c */
	tsunagu_sqlite_search *search; /* store_sqlite_search.c; NULL for ":memory:" */
	tsunagu_sqlite_profile *profile; /* store_sqlite_profile.c; NULL unless asked for */
	/* Reads outside a batch share one read transaction until the store's
	 * next prepare (reads_end): in autocommit each read took and dropped
	 * the file's shared lock and a WAL read mark (~4 fcntl) and set up a
	 * snapshot. The loop's connection only (a reader thread's has none). */
	bool share_reads;
	bool read_open;  /* that read transaction is open */
	bool batch;      /* begin succeeded and neither commit nor rollback came since */
} tsunagu_sqlite;

/* The statement profile (store_sqlite_profile.c): start after the open when
 * TSUNAGU_SQL_PROFILE names a file, stop (writes the file) before closing. */
void tsunagu_sqlite_profile_start(tsunagu_sqlite *sq);
void tsunagu_sqlite_profile_stop(tsunagu_sqlite *sq);

/* WAL checkpoints on a thread of their own instead of inside COMMIT on the
 * loop (store_sqlite_checkpoint.c). start: after migrations; stop: before
 * the connection closes (which then checkpoints what is left). */
int tsunagu_sqlite_checkpointer_start(tsunagu_sqlite *sq);
/* Makes one element per row of a bound statement. Owned by the list. */
typedef void *(*tsunagu_sqlite_row_fn)(sqlite3_stmt *st);
/* Steps st to its end into a new list (free_fn frees its elements), then
 * resets st. On a failed step the rows so far are freed and the negative
 * errno returned (logged with what). */
int tsunagu_sqlite_rows(tsunagu_sqlite *sq, sqlite3_stmt *st, tsunagu_sqlite_row_fn row,
			GDestroyNotify free_fn, const char *what, GPtrArray **out);
/* tsunagu_sqlite_conversation_from_row(st, 0), as a row function. */
void *tsunagu_sqlite_conversation_row(sqlite3_stmt *st);
/* tsunagu_sqlite_message_from_row(st), as a row function. */
void *tsunagu_sqlite_message_row(sqlite3_stmt *st);
/* The text of the first column of the first row of sql (a cached statement
 * bound with id; *out g_free'd by the caller, NULL for SQL NULL): 0,
 * -ENOENT when there is no row, or a negative errno (logged with what). */
int tsunagu_sqlite_text_of(tsunagu_sqlite *sq, const char *sql, int64_t id, char **out,
			   const char *what);
/* The first column of the first row of sql (a cached statement bound with
 * a, and b when it has a second parameter): 0, `none` when there is no row,
 * or a negative errno (logged with what). */
int tsunagu_sqlite_int64_of(tsunagu_sqlite *sq, const char *sql, int64_t a, int64_t b,
			    int64_t *out, int none, const char *what);
/* Runs sql (a cached statement bound with a and b) to its end: 0 or a
 * negative errno (logged with what). */
int tsunagu_sqlite_run_ids(tsunagu_sqlite *sq, const char *sql, int64_t a, int64_t b,
			   const char *what);
/* A message from a row of: id, conversation_id, kind, author, body,
 * provider_message_id, created_at (the column order every message query
 * selects). Caller owns it. */
tsunagu_store_message *tsunagu_sqlite_message_from_row(sqlite3_stmt *st);
void tsunagu_sqlite_checkpointer_stop(tsunagu_sqlite *sq);
/* Checkpoints completed so far (for tests). */
int tsunagu_sqlite_checkpoints_done(const tsunagu_sqlite *sq);

/* Test and tool hook: the connection of a store opened on the SQLite backend,
 * NULL for another backend. Loop thread. */
sqlite3 *tsunagu_store_sqlite_db(tsunagu_store *store);

/* ---- helpers (store_sqlite.c) --------------------------------------------- */

/* The cached statement for sql (static text), reset and unbound; NULL after
 * logging when it does not prepare. Outside a batch on the loop's connection
 * it first opens the shared read transaction (share_reads). */
sqlite3_stmt *tsunagu_sqlite_stmt(tsunagu_sqlite *sq, const char *sql);
/* Resets st after use (NULL is a no-op). */
void tsunagu_sqlite_done(sqlite3_stmt *st);
/* Maps a SQLite result code to a negative errno; logs what failed when it is
 * not a plain constraint: UNIQUE/PRIMARY KEY -> -EEXIST, FOREIGN KEY ->
 * -ENOENT, other constraints -> -EINVAL, BUSY -> -EBUSY, else -EIO. */
int tsunagu_sqlite_errno(tsunagu_sqlite *sq, int rc, const char *what);
/* Steps st once to completion and resets it: 0 or a negative errno. */
int tsunagu_sqlite_run(tsunagu_sqlite *sq, sqlite3_stmt *st, const char *what);
/* Steps a statement that yields at most one row: 1 with a row (the caller
 * reads the columns, then calls tsunagu_sqlite_done), 0 with none (already
 * reset), or a negative errno (already reset). */
int tsunagu_sqlite_step_row(tsunagu_sqlite *sq, sqlite3_stmt *st, const char *what);
/* Binds text, or NULL when text is NULL. */
int tsunagu_sqlite_bind_text(sqlite3_stmt *st, int idx, const char *text);
/* A column as a new string (NULL stays NULL). */
char *tsunagu_sqlite_column_dup(sqlite3_stmt *st, int col);
/* 32 hex characters from 128 random bits of the kernel's CSPRNG. */
int tsunagu_sqlite_random_public_id(char out[33]);
/* The domain clock (tsunagu_core_now_us). */
int64_t tsunagu_sqlite_now_us(void);

/* ---- migrations (store_sqlite_migrations.c) ------------------------------------ */

/* Applies every migration newer than the database, each in its own
 * transaction; -EPROTO when the database is newer than this binary. */
int tsunagu_sqlite_migrate(tsunagu_sqlite *sq, int *version_out);
/* Number of the newest migration this binary knows. */
int tsunagu_sqlite_migrations_latest(void);
/* Runs sql (one or more statements, uncached): 0, -EBUSY, or -EIO with
 * SQLite's message logged with what. */
int tsunagu_sqlite_exec(tsunagu_sqlite *sq, const char *sql, const char *what);
/* Runs a migration that edits the stored CREATE TABLE text (17,
 * store_sqlite_checks.c) inside the migration's transaction:
 * writable_schema around sql, schema_version moved on, the edited tables
 * checked. 0 or a negative errno. */
int tsunagu_sqlite_edit_schema_text(tsunagu_sqlite *sq, const char *sql);

/* ---- events and timers (store_sqlite_events.c, store_sqlite_timers.c) ----------- */

int tsunagu_sqlite_event_append(void *be, const char *type, int64_t conversation_id,
				int64_t actor_staff_id, const char *payload_json, int64_t *seq_out);
int tsunagu_sqlite_events_range(void *be, int64_t after_seq, int64_t upto_seq, unsigned limit,
				GPtrArray **out);
int64_t tsunagu_sqlite_events_last_seq(void *be);
int tsunagu_sqlite_timer_set(void *be, const char *key, int64_t due_at_us,
			     const char *payload_json);
int tsunagu_sqlite_timer_cancel(void *be, const char *key);
int tsunagu_sqlite_timer_due(void *be, int64_t now_us, unsigned limit, GPtrArray **out);
int tsunagu_sqlite_timer_next(void *be, int64_t *due_at_us);

/* ---- staff, sessions, teams (store_sqlite_staff.c) -------------------------------- */

int tsunagu_sqlite_staff_create(void *be, const char *login, const char *display_name,
				const char *email, tsunagu_role role, const char *password_hash,
				int64_t *id_out);
int tsunagu_sqlite_staff_get(void *be, int64_t id, tsunagu_store_staff **out);
int tsunagu_sqlite_staff_get_by_login(void *be, const char *login, tsunagu_store_staff **out);
int tsunagu_sqlite_staff_login(void *be, int64_t staff_id, char **login_out);
int tsunagu_sqlite_staff_list(void *be, GPtrArray **out);
int tsunagu_sqlite_staff_count(void *be, int64_t *count);
int tsunagu_sqlite_staff_update(void *be, int64_t id, const char *display_name,
				const char *email, tsunagu_role role, const char *password_hash,
				int disabled);
int tsunagu_sqlite_session_create(void *be, const char *token_hash, int64_t staff_id,
				  const char *csrf_token, int64_t expires_at_us);
int tsunagu_sqlite_session_get(void *be, const char *token_hash, int64_t now_us,
			       tsunagu_store_session **out);
int tsunagu_sqlite_session_delete(void *be, const char *token_hash);
int tsunagu_sqlite_session_delete_for_staff(void *be, int64_t staff_id);
int tsunagu_sqlite_session_purge_expired(void *be, int64_t now_us);
int tsunagu_sqlite_team_create(void *be, const char *name, int64_t *id_out);
int tsunagu_sqlite_team_get_by_name(void *be, const char *name, int64_t *id_out);
int tsunagu_sqlite_team_add_member(void *be, int64_t team_id, int64_t staff_id);
int tsunagu_sqlite_team_remove_member(void *be, int64_t team_id, int64_t staff_id);
int tsunagu_sqlite_team_members(void *be, int64_t team_id, GArray **out);
int tsunagu_sqlite_team_list(void *be, GPtrArray **out);
int tsunagu_sqlite_team_name(void *be, int64_t team_id, char **name_out);

/* ---- the voice guidance library (store_sqlite_guidance.c) ------------------ */
int tsunagu_sqlite_guidance_get(void *be, int64_t id, tsunagu_store_guidance **out);
int tsunagu_sqlite_guidance_get_by_name(void *be, const char *name, tsunagu_store_guidance **out);
int tsunagu_sqlite_guidance_list(void *be, GPtrArray **out);
int tsunagu_sqlite_guidance_save(void *be, const tsunagu_store_guidance *g, int64_t *id_out);
int tsunagu_sqlite_guidance_delete(void *be, int64_t id);
int tsunagu_sqlite_guidance_sets(void *be, GPtrArray **out);
int tsunagu_sqlite_guidance_sets_replace(void *be, GPtrArray *sets);
int tsunagu_sqlite_guidance_resolve(void *be, const char *line, const char *kind,
				    tsunagu_store_guidance **out);
int tsunagu_sqlite_conversation_set_visitor(void *be, int64_t id, const char *visitor_json);
int tsunagu_sqlite_setting_get(void *be, const char *ns, const char *key, char **value_out);
int tsunagu_sqlite_setting_set(void *be, const char *ns, const char *key, const char *value);

/* ---- master keywords and contacts (store_sqlite_contacts.c) ------------------------- */

int tsunagu_sqlite_keyword_define(void *be, const char *key, const char *title);
int tsunagu_sqlite_keyword_delete(void *be, const char *key);
int tsunagu_sqlite_keyword_list(void *be, GPtrArray **out);
int tsunagu_sqlite_contact_create(void *be, const char *name, int64_t *id_out);
int tsunagu_sqlite_contact_get(void *be, int64_t id, tsunagu_store_contact **out);
int tsunagu_sqlite_contact_find_by_attribute(void *be, const char *key, const char *value,
					     int64_t *id_out);
int tsunagu_sqlite_contact_set_attribute(void *be, int64_t contact_id, const char *key,
					 const char *value);
int tsunagu_sqlite_contact_tag(void *be, int64_t contact_id, const char *tag, bool on);
int tsunagu_sqlite_contact_identity(void *be, const char *channel, const char *external_id,
				    const char *name, int64_t *contact_id, bool *created);
int tsunagu_sqlite_contact_identity_get(void *be, int64_t contact_id, const char *channel,
					char **external_id_out);

/* ---- conversations (store_sqlite_conversations.c) ------------------------------------ */

int tsunagu_sqlite_contact_conversation_count(void *be, int64_t contact_id,
					      int64_t exclude_conversation_id, int64_t *count);
int tsunagu_sqlite_conversation_create(void *be, const char *channel, int64_t contact_id,
				       int64_t *id_out, tsunagu_store_conversation **out);
int tsunagu_sqlite_conversation_get(void *be, int64_t id, tsunagu_store_conversation **out);
int tsunagu_sqlite_conversation_get_by_public_id(void *be, const char *public_id,
						 tsunagu_store_conversation **out);
int tsunagu_sqlite_conversation_find_active(void *be, int64_t contact_id, const char *channel,
					    int64_t *id_out);
int tsunagu_sqlite_conversation_of_identity(void *be, const char *channel,
					    const char *external_id, int64_t *contact_id,
					    tsunagu_store_conversation **conv_out);
int tsunagu_sqlite_conversation_list(void *be, tsunagu_conv_state state, int64_t assignee_id,
				     unsigned limit, GPtrArray **out);
int tsunagu_sqlite_conversation_set_state(void *be, int64_t id, tsunagu_conv_state s);
int tsunagu_sqlite_conversation_assign(void *be, int64_t id, int64_t assignee_id,
				       int64_t team_id, tsunagu_conv_state state);
int tsunagu_sqlite_conversation_set_category(void *be, int64_t id, const char *category);
int tsunagu_sqlite_conversation_tag(void *be, int64_t id, const char *tag, bool on);
int tsunagu_sqlite_conversation_tags(void *be, int64_t id, GPtrArray **out);
int tsunagu_sqlite_participant_add(void *be, int64_t conversation_id, int64_t staff_id,
				   const char *role);
int tsunagu_sqlite_participant_is(void *be, int64_t conversation_id, int64_t staff_id,
				  bool *out);

/* ---- messages (store_sqlite_messages.c) ----------------------------------------------- */

int tsunagu_sqlite_message_insert(void *be, int64_t conversation_id, tsunagu_msg_kind kind,
				  int64_t author_staff_id, const char *body,
				  const char *provider_message_id, int64_t *id_out);
int tsunagu_sqlite_message_list(void *be, int64_t conversation_id, int64_t after_id,
				unsigned limit, GPtrArray **out);
int tsunagu_sqlite_message_search(void *be, const char *text, unsigned limit, GArray **out);
/* store_sqlite_history.c */
int tsunagu_sqlite_customer_history(void *be, const char *channel, const char *external_id,
				    int64_t after_id, unsigned limit, GPtrArray **out);

/* ---- the search index (store_sqlite_search.c) ----------------------------------------- */

/* After migrations: opens <path>.search (rebuilding it when it is ahead of
 * the store or of another format) and starts the indexer thread, which
 * catches up with the messages committed before; a ":memory:" store gets an
 * attached in-memory index instead. 0 or a negative errno. Loop thread. */
int tsunagu_sqlite_search_start(tsunagu_sqlite *sq);
/* Stops the indexer (what it has committed stays) and closes the index.
 * Before the store connection closes. */
void tsunagu_sqlite_search_stop(tsunagu_sqlite *sq);
/* Memory store: indexes the open batch's messages (ids >= batch_first_id)
 * right before COMMIT; a no-op for a file store. 0 or a negative errno. */
int tsunagu_sqlite_search_index_batch(tsunagu_sqlite *sq);
/* A COMMIT holding messages up to last_id succeeded: wakes the indexer. */
void tsunagu_sqlite_search_committed(tsunagu_sqlite *sq, int64_t last_id);
/* The index query (?1 loose LIKE pattern, ?2 exact pattern, ?3 limit; rows:
 * message ids, newest first) and, in *db_out, the connection it runs on.
 * Waits first, at most one second, until the indexer has caught up with
 * the last commit. The statement is owned by the store: reset it after use.
 * NULL (logged) if it does not prepare. Loop thread. */
sqlite3_stmt *tsunagu_sqlite_search_query(tsunagu_sqlite *sq, sqlite3 **db_out);
/* Every committed message id up to this is indexed; -1 for a memory store
 * (tests). */
int64_t tsunagu_sqlite_search_indexed(tsunagu_sqlite *sq);

/* ---- status, capacity, waiting list (store_sqlite_status.c) ------------------------- */

int tsunagu_sqlite_staff_set_status(void *be, int64_t staff_id, tsunagu_staff_status status,
				    tsunagu_staff_status *previous_out);
int tsunagu_sqlite_staff_set_capacity(void *be, int64_t staff_id, int capacity);
int tsunagu_sqlite_staff_open_count(void *be, int64_t staff_id, int64_t *count);
int tsunagu_sqlite_session_count_for_staff(void *be, int64_t staff_id, int64_t now_us,
					   int64_t *count);
int tsunagu_sqlite_staff_teams(void *be, int64_t staff_id, GArray **out);
int tsunagu_sqlite_contact_last_operator(void *be, int64_t contact_id,
					 int64_t exclude_conversation_id, int64_t *staff_id_out);
int tsunagu_sqlite_staff_pick(void *be, const tsunagu_store_pick *q, int64_t *staff_id_out);
int tsunagu_sqlite_conversation_set_route(void *be, int64_t id, const char *route_json);
int tsunagu_sqlite_waiting_list(void *be, int64_t after_since, int64_t after_id,
				unsigned limit, GPtrArray **out);

/* ---- the assignment engine (store_sqlite_presence.c, store_sqlite_calls.c) ----------- */

int tsunagu_sqlite_staff_set_routing(void *be, int64_t staff_id,
				     const tsunagu_store_staff_routing *r);
int tsunagu_sqlite_staff_set_subtype(void *be, int64_t staff_id, int64_t subtype_id);
int tsunagu_sqlite_staff_count_missed(void *be, int64_t staff_id, bool missed, int *count_out);
int tsunagu_sqlite_staff_eligible(void *be, int64_t staff_id, bool phone, bool *out);
int tsunagu_sqlite_staff_route_ids(void *be, const tsunagu_store_pick *q, GArray **out);
int tsunagu_sqlite_status_subtype_list(void *be, GPtrArray **out);
int tsunagu_sqlite_status_subtype_get(void *be, int64_t id, tsunagu_store_status_subtype **out);
int tsunagu_sqlite_status_subtype_create(void *be, tsunagu_staff_status kind, const char *name,
					 int position, int64_t *id_out);
int tsunagu_sqlite_status_subtype_update(void *be, int64_t id, const char *name, int position);
int tsunagu_sqlite_status_subtype_delete(void *be, int64_t id, GArray **moved_out);
int tsunagu_sqlite_call_create(void *be, int64_t conversation_id, const char *direction,
			       int64_t *id_out, tsunagu_store_call **call_out);
int tsunagu_sqlite_call_get(void *be, int64_t id, tsunagu_store_call **out);
int tsunagu_sqlite_call_get_with_conversation(void *be, int64_t id,
					      tsunagu_store_call **call_out,
					      tsunagu_store_conversation **conv_out);
int tsunagu_sqlite_call_of_conversation(void *be, int64_t conversation_id,
					tsunagu_store_call **out);
int tsunagu_sqlite_call_update(void *be, const tsunagu_store_call *c, unsigned parts);
int tsunagu_sqlite_call_channel(void *be, int64_t id, char **channel_out);
int tsunagu_sqlite_call_by_provider(void *be, const char *provider_call_id,
				    tsunagu_store_call **out);
int tsunagu_sqlite_calls_waiting_count(void *be, int64_t *count_out);
int tsunagu_sqlite_calls_list(void *be, const char *state, unsigned limit, GPtrArray **out);
int tsunagu_sqlite_calls_of_conversation(void *be, int64_t conversation_id, GPtrArray **out);
int tsunagu_sqlite_call_records(void *be, int64_t from_us, int64_t to_us, int64_t staff_id,
				unsigned limit, GPtrArray **out);
int tsunagu_sqlite_offer_put(void *be, int64_t conversation_id, int64_t staff_id, bool call,
			     int64_t deadline_us);
int tsunagu_sqlite_offer_end(void *be, int64_t conversation_id, int64_t staff_id,
			     const char *state);
int tsunagu_sqlite_offers_clear(void *be, int64_t conversation_id);
int tsunagu_sqlite_offers_of(void *be, int64_t conversation_id, GPtrArray **out);
int tsunagu_sqlite_offers_due(void *be, int64_t now_us, unsigned limit, GPtrArray **out);
int tsunagu_sqlite_offers_pending_of_staff(void *be, int64_t staff_id, GPtrArray **out);
int tsunagu_sqlite_offers_next(void *be, int64_t *deadline_us);

/* ---- the router's index of waiting conversations (store_sqlite_admits.c) ---- */

int tsunagu_sqlite_waiting_admitted(void *be, tsunagu_admits_kind kind, int64_t ref, bool phone,
				    int64_t after_since, int64_t after_id, unsigned limit,
				    GArray **out);

/* Steps st to its end collecting the first column's integers into a new
 * GArray of int64_t, then resets it (store_sqlite_status.c). */
int tsunagu_sqlite_ids(tsunagu_sqlite *sq, sqlite3_stmt *st, const char *what, GArray **out);
/* Binds the target of q: ?1 all, ?2 staff ids, ?3 team ids, ?4 excluded. */
/* Binds ?1 (q->all), ?2, ?3 and ?4 (the JSON lists, "[]" for none); a text
 * that names only some of them ignores the others. */
void tsunagu_sqlite_bind_pick(sqlite3_stmt *st, const tsunagu_store_pick *q);

/* The events the partial index events_type holds since migration 14: the
 * types the reports read (status_report.c: a staff member's status, the
 * assignments, the answered, ended and after-call-work steps of calls),
 * no other. Each other type of a call (offered, ringing, ...) would be one
 * more index leaf rewritten per call (issue 5), a message one per chat
 * message (issue 3). A query may walk the index only if its WHERE repeats
 * this condition word for word (SQLite's test for a partial index), so the
 * report queries append it, and tsunagu_sqlite_report_type() refuses the
 * other types (store_sqlite_reports.c keeps the same list in C). t is the
 * table's alias and a dot, or "". Equalities, not `type IN (...)`: SQLite
 * 3.40 builds a temporary B-tree of an IN list every time an INSERT tests
 * a partial index's condition (as for the CHECK migration 11 rewrote).
 * The NOT LIKE, redundant in logic, is for cost: a chat message's event
 * fails it at once instead of failing five comparisons (callgrind: 307
 * instructions a message row without it, 6 with it).
 * Never change it: migration 14 uses it; a new set needs a new migration. */
#define TSUNAGU_SQLITE_EVENTS_REPORTED(t)                                                  \
	"(" t "type NOT LIKE 'message.%' AND (" t "type = 'staff.status_changed'"           \
	" OR " t "type = 'conversation.assigned' OR " t "type = 'call.answered'"            \
	" OR " t "type = 'call.ended' OR " t "type = 'call.acw_ended'))"

/* Whether type is one of TSUNAGU_SQLITE_EVENTS_REPORTED's. */
bool tsunagu_sqlite_report_type(const char *type);

/* Whom a route names (tsunagu_store_pick, bound by tsunagu_sqlite_bind_pick:
 * ?2 the JSON staff ids, ?3 the JSON team ids) and whom it excludes (?4),
 * as SQL over the staff row s: shared by the picks and the route's id
 * list. */
#define TSUNAGU_SQLITE_IN_ROUTE                                                            \
	"(s.id IN (SELECT value FROM json_each(?2))"                                       \
	" OR s.id IN (SELECT tm.staff_id FROM team_members tm"                             \
	"  WHERE tm.team_id IN (SELECT value FROM json_each(?3))))"
#define TSUNAGU_SQLITE_NOT_EXCLUDED "s.id NOT IN (SELECT value FROM json_each(?4))"

/* Who qualifies for a chat or a call (tsunagu_store_pick), as SQL over
 * the staff row s: shared by the pick and the eligibility check. */
#define TSUNAGU_SQLITE_CALL_LIVE                                                           \
	"(EXISTS (SELECT 1 FROM calls k WHERE k.staff_id = s.id"                           \
	"   AND k.state IN ('ringing', 'talking'))"                                        \
	" OR EXISTS (SELECT 1 FROM offers o WHERE o.staff_id = s.id AND o.kind = 'call'"   \
	"   AND o.state = 'pending'))"
#define TSUNAGU_SQLITE_CHAT_ELIGIBLE                                                       \
	"s.status = 'available' AND s.disabled = 0 AND s.inquiry_types IN ('chat', 'both')" \
	" AND s.open_chats < s.chat_capacity"                                              \
	" AND (s.chats_during_call OR NOT " TSUNAGU_SQLITE_CALL_LIVE ")"
#define TSUNAGU_SQLITE_PHONE_ELIGIBLE                                                      \
	"s.status = 'available' AND s.disabled = 0 AND s.inquiry_types IN ('phone', 'both')" \
	" AND s.open_phone < s.call_capacity"                                              \
	" AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.staff_id = s.id AND (k.state IN"  \
	"   ('ringing', 'talking') OR (k.state = 'ended' AND k.answered_at IS NOT NULL"    \
	"   AND k.acw_ended_at IS NULL)))"                                                 \
	" AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.staff_id = s.id AND o.kind = 'call'" \
	"   AND o.state = 'pending')"

/* ---- the inbox lists (store_sqlite_inbox.c) ------------------------------------------ */

int tsunagu_sqlite_conversation_list_view(void *be, tsunagu_conv_view view, int64_t staff_id,
					  const char *channel, unsigned limit, GPtrArray **out);

/* ---- reports over the events (store_sqlite_reports.c) -------------------------------- */

int tsunagu_sqlite_report_scan(void *be, const char *const *types, int64_t from_us,
			       int64_t to_us, tsunagu_store_report_fn fn, void *user_data);
int tsunagu_sqlite_report_last_staff_event(void *be, const char *type, int64_t staff_id,
					   int64_t since_us, int64_t before_us,
					   char **payload_out);

/* ---- readers for worker threads (store_sqlite_reader.c) ------------------------------ */

int tsunagu_sqlite_reader_open(void *be, void **reader_out);
void tsunagu_sqlite_reader_close(void *reader);
void tsunagu_sqlite_reader_deadline(void *reader, int64_t deadline_us);
void tsunagu_sqlite_reader_interrupt(void *reader);

/* Shared by the conversation readers: the column list of a conversation row
 * (17 columns; p is a table alias prefix such as "c." or "") and the row
 * reader (store_sqlite_conversations.c), which reads them from column first. */
#define TSUNAGU_SQLITE_CONV_COLUMNS(p)                                               \
	p "id, " p "public_id, " p "channel, " p "contact_id, " p "state,"             \
	" coalesce(" p "assignee_id, 0), coalesce(" p "team_id, 0), " p "category, "  \
	p "memo, " p "created_at, " p "updated_at,"                                    \
	" coalesce(" p "last_customer_message_at, 0),"                                 \
	" coalesce(" p "last_operator_message_at, 0), coalesce(" p "closed_at, 0), "   \
	p "visitor, coalesce(" p "waiting_since, 0), " p "route"
#define TSUNAGU_SQLITE_CONV_NCOLUMNS 17
tsunagu_store_conversation *tsunagu_sqlite_conversation_from_row(sqlite3_stmt *st, int first);
