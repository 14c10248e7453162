/* The backend-independent store: picks a backend, owns the group-commit batch
 * and its GSource, checks arguments, and dispatches every operation to the
 * backend's ops table. */
#include <errno.h>
#include <string.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store.h"
#include "store_backend.h"
#include "store_private.h"

#define STORE_DEFAULT_MAX_BATCH 10000

typedef struct {
	tsunagu_store_commit_cb cb;
	void *user_data;
	int status; /* meaningful in store->ready only */
} store_callback;

typedef struct {
	GSource base;
	tsunagu_store *store;
} store_source;

static const tsunagu_store_backend_ops *const backends[] = {
	&tsunagu_store_sqlite_ops,
};

/* ---- group commit -------------------------------------------------------- */

static void batch_settle(tsunagu_store *store, int status)
{
	store_callback *cbs = (store_callback *)(void *)store->batch_cbs->data;

	for (guint i = 0; i < store->batch_cbs->len; i++) {
		store_callback c = cbs[i];
		c.status = status;
		g_array_append_val(store->ready, c);
	}
	g_array_set_size(store->batch_cbs, 0);
	store->batch_open = false;
	store->batch_writes = 0;
	store->atomic_depth = 0; /* the transaction ended them */
	store->spoiled_depth = 0;
}

static int batch_commit(tsunagu_store *store)
{
	int writes = store->batch_writes;
	int r;

	if (store->atomic_depth > 0)
		tlog_error("committing with %d atomic section(s) still open: a caller did not "
			   "end one within its loop iteration", store->atomic_depth);
	r = store->ops->commit(store->be);

	if (r < 0)
		tlog_error("commit of a batch of %d writes failed: %s; the batch is lost", writes,
			   g_strerror(-r));
	batch_settle(store, r);
	return r;
}

/* Runs the callbacks whose outcome is known. The list is swapped out first so
 * that a callback may write, register callbacks or even close the store. */
static void run_ready(tsunagu_store *store)
{
	GArray *run = store->ready;

	if (run->len == 0)
		return;
	store->ready = g_array_new(FALSE, FALSE, sizeof(store_callback));
	for (guint i = 0; i < run->len; i++) {
		store_callback *c = &g_array_index(run, store_callback, i);
		c->cb(c->status, c->user_data);
	}
	g_array_free(run, TRUE);
}

static gboolean source_prepare(GSource *source, gint *timeout)
{
	tsunagu_store *store = ((store_source *)source)->store;

	*timeout = -1;
	return store->batch_open || store->ready->len > 0;
}

static gboolean source_check(GSource *source)
{
	tsunagu_store *store = ((store_source *)source)->store;

	return store->batch_open || store->ready->len > 0;
}

static gboolean source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	tsunagu_store *store = ((store_source *)source)->store;

	if (store->batch_open)
		batch_commit(store);
	run_ready(store);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs source_funcs = {
	.prepare = source_prepare,
	.check = source_check,
	.dispatch = source_dispatch,
};

/* Opens the batch if needed and, for a multi-row operation, a savepoint. */
static int write_begin(tsunagu_store *store, bool atomic)
{
	int r;

	if (store->read_only)
		return -EROFS;
	if (!store->batch_open) {
		r = store->ops->begin(store->be);
		if (r < 0)
			return r;
		store->batch_open = true;
		store->batch_writes = 0;
	}
	if (!atomic)
		return 0;
	r = store->ops->savepoint(store->be);
	if (r < 0 && !store->ops->in_transaction(store->be))
		batch_settle(store, -EIO);
	return r;
}

static int write_end(tsunagu_store *store, bool atomic, int status)
{
	if (atomic && store->ops->in_transaction(store->be)) {
		if (status < 0)
			store->ops->rollback_to(store->be);
		if (store->ops->release(store->be) < 0 && status >= 0)
			status = -EIO;
	}
	if (!store->ops->in_transaction(store->be)) {
		/* The backend rolled the whole transaction back (I/O error, disk
		 * full): every write of the batch is gone, say so. */
		tlog_error("the backend aborted the open batch; its writes are lost");
		batch_settle(store, -EIO);
		return status < 0 ? status : -EIO;
	}
	/* Never commit early inside an atomic section: it would make half of
	 * it durable. The section's end checks again. */
	if (status >= 0 && ++store->batch_writes >= store->max_batch && store->atomic_depth == 0)
		batch_commit(store);
	return status;
}

int tsunagu_store_write_begin(tsunagu_store *store, bool atomic)
{
	return write_begin(store, atomic);
}

int tsunagu_store_write_end(tsunagu_store *store, bool atomic, int status)
{
	return write_end(store, atomic, status);
}

/* A multi-row write (atomic) has a savepoint of its own, but not inside a
 * section: a second level costs two statements and a second copy of every
 * page the write touches in SQLite's sub-journal. Its failure spoils the
 * section instead: the section can only be undone (atomic_end). */
#define WRITE(store, atomic, call)                                      \
	do {                                                            \
		bool w_sp_ = (atomic) && (store)->atomic_depth == 0;    \
		int w_r_ = write_begin((store), w_sp_);                 \
		if (w_r_ < 0)                                           \
			return w_r_;                                    \
		w_r_ = write_end((store), w_sp_, (call));               \
		if (w_r_ < 0 && (atomic) && !w_sp_ && !(store)->spoiled_depth) \
			(store)->spoiled_depth = (store)->atomic_depth; \
		return w_r_;                                            \
	} while (0)

/* ---- open, close, batch API ---------------------------------------------- */

int tsunagu_store_open(const tsunagu_store_options *opts, tsunagu_store **out)
{
	const tsunagu_store_backend_ops *ops = NULL;
	tsunagu_store *store = NULL;
	void *be = NULL;
	int r;

	if (!opts || !opts->path || !*opts->path || !out || opts->max_batch < 0)
		return -EINVAL;
	for (size_t i = 0; i < G_N_ELEMENTS(backends); i++) {
		if (backends[i]->abi_version != TSUNAGU_STORE_BACKEND_ABI ||
		    backends[i]->size < sizeof(tsunagu_store_backend_ops)) {
			tlog_error("backend %s: ABI %u size %u, expected ABI %u; skipped",
				   backends[i]->name, backends[i]->abi_version, backends[i]->size,
				   TSUNAGU_STORE_BACKEND_ABI);
			continue;
		}
		if (backends[i]->accepts(opts->path)) {
			ops = backends[i];
			break;
		}
	}
	if (!ops) {
		tlog_error("no store backend handles %s", opts->path);
		r = -EPROTONOSUPPORT;
		goto out;
	}
	r = ops->open(opts, &be);
	if (r < 0)
		goto out;

	store = g_new0(tsunagu_store, 1);
	store->ops = ops;
	store->be = be;
	store->max_batch = opts->max_batch > 0 ? opts->max_batch : STORE_DEFAULT_MAX_BATCH;
	store->batch_cbs = g_array_new(FALSE, FALSE, sizeof(store_callback));
	store->ready = g_array_new(FALSE, FALSE, sizeof(store_callback));
	store->source = g_source_new(&source_funcs, sizeof(store_source));
	((store_source *)store->source)->store = store;
	g_source_set_priority(store->source, G_PRIORITY_DEFAULT);
	g_source_set_static_name(store->source, "tsunagu store group commit");
	g_source_attach(store->source, opts->context);
	*out = store;
	r = 0;
out:
	return r;
}

void tsunagu_store_close(tsunagu_store *store)
{
	if (!store)
		return;
	if (store->read_only) {
		tsunagu_store_reader_close(store);
		return;
	}
	/* Workers may be reading: stop them before the backend goes. */
	tsunagu_store_readers_stop(store);
	/* Callbacks may write again; settle a bounded number of rounds, then
	 * tell whatever is left that it will never commit. */
	for (int round = 0; round < 16 && (store->batch_open || store->ready->len > 0); round++)
		tsunagu_store_flush(store);
	if (store->batch_open) {
		store->ops->rollback(store->be);
		batch_settle(store, -ESHUTDOWN);
	}
	run_ready(store);
	g_source_destroy(store->source);
	g_source_unref(store->source);
	store->ops->close(store->be);
	g_array_free(store->batch_cbs, TRUE);
	g_array_free(store->ready, TRUE);
	g_free(store);
}

void tsunagu_store_on_commit(tsunagu_store *store, tsunagu_store_commit_cb cb, void *user_data)
{
	store_callback c = { .cb = cb, .user_data = user_data, .status = 0 };

	g_return_if_fail(store && cb && !store->read_only);
	g_array_append_val(store->batch_open ? store->batch_cbs : store->ready, c);
}

int tsunagu_store_flush(tsunagu_store *store)
{
	int r = 0;

	if (!store)
		return -EINVAL;
	if (store->read_only)
		return -EROFS;
	if (store->batch_open)
		r = batch_commit(store);
	run_ready(store);
	return r;
}

int tsunagu_store_atomic_begin(tsunagu_store *store)
{
	int r;

	if (!store)
		return -EINVAL;
	r = write_begin(store, true);
	if (r == 0)
		store->atomic_depth++;
	return r;
}

int tsunagu_store_atomic_end(tsunagu_store *store, bool keep)
{
	int r = 0;

	if (!store)
		return -EINVAL;
	if (store->read_only)
		return -EROFS;
	if (!store->batch_open || store->atomic_depth == 0) {
		/* The batch failed (or was committed) under the section: its
		 * writes are not what the caller thinks. */
		tlog_error("atomic section ended with no section open");
		return -EIO;
	}
	if (store->spoiled_depth >= store->atomic_depth) { /* see WRITE */
		if (keep)
			tlog_warn("atomic section undone: a write in it failed");
		r = keep ? -EIO : 0;
		keep = false;
		store->spoiled_depth = 0;
	}
	store->atomic_depth--;
	if (!keep)
		store->ops->rollback_to(store->be);
	if (store->ops->release(store->be) < 0)
		r = -EIO;
	if (!store->ops->in_transaction(store->be)) {
		tlog_error("the backend aborted the open batch; its writes are lost");
		batch_settle(store, -EIO);
		return -EIO;
	}
	if (store->atomic_depth == 0 && store->batch_writes >= store->max_batch)
		batch_commit(store);
	return r;
}

int tsunagu_store_schema_version(tsunagu_store *store)
{
	return store ? store->ops->schema_version(store->be) : -EINVAL;
}

int tsunagu_store_backup(tsunagu_store *store, const char *path)
{
	if (!store || !path || !*path)
		return -EINVAL;
	return store->ops->backup(store->be, path);
}

const tsunagu_store_backend_ops *tsunagu_store_backend(tsunagu_store *store)
{
	return store->ops;
}

void *tsunagu_store_backend_handle(tsunagu_store *store)
{
	return store->be;
}

/* ---- events ---------------------------------------------------------------- */

int tsunagu_store_event_append(tsunagu_store *store, const char *type, int64_t conversation_id,
			       int64_t actor_staff_id, const char *payload_json, int64_t *seq_out)
{
	if (!store || !type || !*type || conversation_id < 0 || actor_staff_id < 0)
		return -EINVAL;
	WRITE(store, false,
	      store->ops->event_append(store->be, type, conversation_id, actor_staff_id,
				       payload_json ? payload_json : "{}", seq_out));
}

int tsunagu_store_events_range(tsunagu_store *store, int64_t after_seq, int64_t upto_seq,
			       unsigned limit, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->events_range(store->be, after_seq, upto_seq, limit, out);
}

int64_t tsunagu_store_events_last_seq(tsunagu_store *store)
{
	return store ? store->ops->events_last_seq(store->be) : -EINVAL;
}

/* ---- staff and sessions ------------------------------------------------------ */

int tsunagu_store_staff_create(tsunagu_store *store, const char *login, const char *display_name,
			       const char *email, tsunagu_role role, const char *password_hash,
			       int64_t *id_out)
{
	if (!store || !login || !*login || !display_name || !password_hash ||
	    !tsunagu_role_name(role))
		return -EINVAL;
	WRITE(store, false,
	      store->ops->staff_create(store->be, login, display_name, email, role, password_hash,
				       id_out));
}

int tsunagu_store_staff_get(tsunagu_store *store, int64_t id, tsunagu_store_staff **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->staff_get(store->be, id, out);
}

int tsunagu_store_staff_get_by_login(tsunagu_store *store, const char *login,
				     tsunagu_store_staff **out)
{
	if (!store || !login || !out)
		return -EINVAL;
	return store->ops->staff_get_by_login(store->be, login, out);
}

int tsunagu_store_staff_list(tsunagu_store *store, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->staff_list(store->be, out);
}

int tsunagu_store_staff_count(tsunagu_store *store, int64_t *count)
{
	if (!store || !count)
		return -EINVAL;
	return store->ops->staff_count(store->be, count);
}

int tsunagu_store_staff_update(tsunagu_store *store, int64_t id, const char *display_name,
			       const char *email, tsunagu_role role, const char *password_hash,
			       int disabled)
{
	if (!store || (role != 0 && !tsunagu_role_name(role)) || disabled < -1 || disabled > 1)
		return -EINVAL;
	WRITE(store, false,
	      store->ops->staff_update(store->be, id, display_name, email, role, password_hash,
				       disabled));
}

int tsunagu_store_session_create(tsunagu_store *store, const char *token_hash, int64_t staff_id,
				 const char *csrf_token, int64_t expires_at_us)
{
	if (!store || !token_hash || !*token_hash || !csrf_token || staff_id <= 0)
		return -EINVAL;
	WRITE(store, false,
	      store->ops->session_create(store->be, token_hash, staff_id, csrf_token,
					 expires_at_us));
}

int tsunagu_store_session_get(tsunagu_store *store, const char *token_hash, int64_t now_us,
			      tsunagu_store_session **out)
{
	if (!store || !token_hash || !out)
		return -EINVAL;
	return store->ops->session_get(store->be, token_hash, now_us, out);
}

int tsunagu_store_session_delete(tsunagu_store *store, const char *token_hash)
{
	if (!store || !token_hash)
		return -EINVAL;
	WRITE(store, false, store->ops->session_delete(store->be, token_hash));
}

int tsunagu_store_session_delete_for_staff(tsunagu_store *store, int64_t staff_id)
{
	if (!store)
		return -EINVAL;
	WRITE(store, false, store->ops->session_delete_for_staff(store->be, staff_id));
}

int tsunagu_store_session_purge_expired(tsunagu_store *store, int64_t now_us)
{
	if (!store)
		return -EINVAL;
	WRITE(store, false, store->ops->session_purge_expired(store->be, now_us));
}

/* ---- teams ----------------------------------------------------------------- */

int tsunagu_store_team_create(tsunagu_store *store, const char *name, int64_t *id_out)
{
	if (!store || !name || !*name)
		return -EINVAL;
	WRITE(store, false, store->ops->team_create(store->be, name, id_out));
}

int tsunagu_store_team_get_by_name(tsunagu_store *store, const char *name, int64_t *id_out)
{
	if (!store || !name || !id_out)
		return -EINVAL;
	return store->ops->team_get_by_name(store->be, name, id_out);
}

int tsunagu_store_team_name(tsunagu_store *store, int64_t team_id, char **name_out)
{
	if (!store || team_id <= 0 || !name_out)
		return -EINVAL;
	return store->ops->team_name(store->be, team_id, name_out);
}

int tsunagu_store_team_add_member(tsunagu_store *store, int64_t team_id, int64_t staff_id)
{
	if (!store)
		return -EINVAL;
	WRITE(store, false, store->ops->team_add_member(store->be, team_id, staff_id));
}

int tsunagu_store_team_remove_member(tsunagu_store *store, int64_t team_id, int64_t staff_id)
{
	if (!store)
		return -EINVAL;
	WRITE(store, false, store->ops->team_remove_member(store->be, team_id, staff_id));
}

int tsunagu_store_team_list(tsunagu_store *store, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->team_list(store->be, out);
}

int tsunagu_store_team_members(tsunagu_store *store, int64_t team_id, GArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->team_members(store->be, team_id, out);
}

/* ---- master keywords and contacts ------------------------------------------ */

int tsunagu_store_keyword_define(tsunagu_store *store, const char *key, const char *title)
{
	if (!store || !key || !*key || !title)
		return -EINVAL;
	WRITE(store, false, store->ops->keyword_define(store->be, key, title));
}

int tsunagu_store_keyword_delete(tsunagu_store *store, const char *key)
{
	if (!store || !key)
		return -EINVAL;
	WRITE(store, false, store->ops->keyword_delete(store->be, key));
}

int tsunagu_store_keyword_list(tsunagu_store *store, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->keyword_list(store->be, out);
}

int tsunagu_store_contact_create(tsunagu_store *store, const char *name, int64_t *id_out)
{
	if (!store)
		return -EINVAL;
	WRITE(store, false, store->ops->contact_create(store->be, name, id_out));
}

int tsunagu_store_contact_get(tsunagu_store *store, int64_t id, tsunagu_store_contact **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->contact_get(store->be, id, out);
}

int tsunagu_store_contact_find_by_attribute(tsunagu_store *store, const char *key,
					    const char *value, int64_t *id_out)
{
	if (!store || !key || !value || !id_out)
		return -EINVAL;
	return store->ops->contact_find_by_attribute(store->be, key, value, id_out);
}

int tsunagu_store_contact_set_attribute(tsunagu_store *store, int64_t contact_id,
					const char *key, const char *value)
{
	if (!store || !key)
		return -EINVAL;
	WRITE(store, false, store->ops->contact_set_attribute(store->be, contact_id, key, value));
}

int tsunagu_store_contact_tag(tsunagu_store *store, int64_t contact_id, const char *tag, bool on)
{
	if (!store || !tag || !*tag)
		return -EINVAL;
	WRITE(store, false, store->ops->contact_tag(store->be, contact_id, tag, on));
}

int tsunagu_store_contact_identity(tsunagu_store *store, const char *channel,
				   const char *external_id, const char *name, int64_t *contact_id,
				   bool *created)
{
	if (!store || !channel || !*channel || !external_id || !*external_id || !contact_id)
		return -EINVAL;
	/* A lookup and up to two inserts: all or nothing. */
	WRITE(store, true,
	      store->ops->contact_identity(store->be, channel, external_id, name, contact_id,
					   created));
}

int tsunagu_store_contact_identity_get(tsunagu_store *store, int64_t contact_id,
				       const char *channel, char **external_id_out)
{
	if (!store || !channel || !external_id_out)
		return -EINVAL;
	return store->ops->contact_identity_get(store->be, contact_id, channel, external_id_out);
}

int tsunagu_store_contact_conversation_count(tsunagu_store *store, int64_t contact_id,
					     int64_t exclude_conversation_id, int64_t *count)
{
	if (!store || !count)
		return -EINVAL;
	return store->ops->contact_conversation_count(store->be, contact_id,
						      exclude_conversation_id, count);
}

/* ---- conversations ------------------------------------------------------------ */

int tsunagu_store_conversation_create(tsunagu_store *store, const char *channel,
				      int64_t contact_id, int64_t *id_out)
{
	if (!store || !channel || !*channel || contact_id <= 0)
		return -EINVAL;
	WRITE(store, false, store->ops->conversation_create(store->be, channel, contact_id, id_out));
}

int tsunagu_store_conversation_get(tsunagu_store *store, int64_t id,
				   tsunagu_store_conversation **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->conversation_get(store->be, id, out);
}

int tsunagu_store_conversation_get_by_public_id(tsunagu_store *store, const char *public_id,
						tsunagu_store_conversation **out)
{
	if (!store || !public_id || !out)
		return -EINVAL;
	return store->ops->conversation_get_by_public_id(store->be, public_id, out);
}

int tsunagu_store_conversation_find_active(tsunagu_store *store, int64_t contact_id,
					   const char *channel, int64_t *id_out)
{
	if (!store || !channel || !id_out)
		return -EINVAL;
	return store->ops->conversation_find_active(store->be, contact_id, channel, id_out);
}

int tsunagu_store_conversation_list(tsunagu_store *store, tsunagu_conv_state state,
				    int64_t assignee_id, unsigned limit, GPtrArray **out)
{
	if (!store || !out || (state != 0 && !tsunagu_conv_state_name(state)))
		return -EINVAL;
	return store->ops->conversation_list(store->be, state, assignee_id, limit ? limit : 100,
					     out);
}

int tsunagu_store_conversation_set_state(tsunagu_store *store, int64_t id, tsunagu_conv_state s)
{
	if (!store || !tsunagu_conv_state_name(s))
		return -EINVAL;
	WRITE(store, false, store->ops->conversation_set_state(store->be, id, s));
}

int tsunagu_store_conversation_assign(tsunagu_store *store, int64_t id, int64_t assignee_id,
				      int64_t team_id)
{
	if (!store || assignee_id < 0 || team_id < -1)
		return -EINVAL;
	WRITE(store, false, store->ops->conversation_assign(store->be, id, assignee_id, team_id));
}

int tsunagu_store_conversation_set_visitor(tsunagu_store *store, int64_t id,
					   const char *visitor_json)
{
	if (!store)
		return -EINVAL;
	WRITE(store, false, store->ops->conversation_set_visitor(store->be, id, visitor_json));
}

int tsunagu_store_setting_get(tsunagu_store *store, const char *ns, const char *key,
			      char **value_out)
{
	if (!store || !ns || !key || !value_out)
		return -EINVAL;
	return store->ops->setting_get(store->be, ns, key, value_out);
}

int tsunagu_store_setting_set(tsunagu_store *store, const char *ns, const char *key,
			      const char *value)
{
	if (!store || !ns || !*ns || !key || !*key)
		return -EINVAL;
	WRITE(store, false, store->ops->setting_set(store->be, ns, key, value));
}

int tsunagu_store_conversation_set_category(tsunagu_store *store, int64_t id, const char *category)
{
	if (!store)
		return -EINVAL;
	WRITE(store, false, store->ops->conversation_set_category(store->be, id, category));
}

int tsunagu_store_conversation_tag(tsunagu_store *store, int64_t id, const char *tag, bool on)
{
	if (!store || !tag || !*tag)
		return -EINVAL;
	WRITE(store, false, store->ops->conversation_tag(store->be, id, tag, on));
}

int tsunagu_store_conversation_tags(tsunagu_store *store, int64_t id, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->conversation_tags(store->be, id, out);
}

int tsunagu_store_participant_add(tsunagu_store *store, int64_t conversation_id,
				  int64_t staff_id, const char *role)
{
	if (!store || !role)
		return -EINVAL;
	WRITE(store, false,
	      store->ops->participant_add(store->be, conversation_id, staff_id, role));
}

int tsunagu_store_participant_is(tsunagu_store *store, int64_t conversation_id, int64_t staff_id,
				 bool *out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->participant_is(store->be, conversation_id, staff_id, out);
}

/* ---- messages ------------------------------------------------------------------ */

int tsunagu_store_message_insert(tsunagu_store *store, int64_t conversation_id,
				 tsunagu_msg_kind kind, int64_t author_staff_id, const char *body,
				 const char *provider_message_id, int64_t *id_out)
{
	if (!store || !body || !tsunagu_msg_kind_name(kind) || author_staff_id < 0 ||
	    !g_utf8_validate(body, -1, NULL))
		return -EINVAL;
	/* The message, its search index row and the conversation's timestamps. */
	WRITE(store, true,
	      store->ops->message_insert(store->be, conversation_id, kind, author_staff_id, body,
					 provider_message_id, id_out));
}

int tsunagu_store_message_list(tsunagu_store *store, int64_t conversation_id, int64_t after_id,
			       unsigned limit, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->message_list(store->be, conversation_id, after_id, limit ? limit : 200,
					out);
}

int tsunagu_store_message_search(tsunagu_store *store, const char *text, unsigned limit,
				 GArray **out)
{
	if (!store || !text || !*text || !out || !g_utf8_validate(text, -1, NULL))
		return -EINVAL;
	return store->ops->message_search(store->be, text, limit ? limit : 100, out);
}

int tsunagu_store_customer_history(tsunagu_store *store, const char *channel,
				   const char *external_id, int64_t after_id, unsigned limit,
				   GPtrArray **out)
{
	if (!store || !channel || !external_id || after_id < 0 || !out)
		return -EINVAL;
	return store->ops->customer_history(store->be, channel, external_id, after_id,
					    limit ? limit : 200, out);
}

/* ---- timers ---------------------------------------------------------------------- */

int tsunagu_store_timer_set(tsunagu_store *store, const char *key, int64_t due_at_us,
			    const char *payload_json)
{
	if (!store || !key || !*key)
		return -EINVAL;
	WRITE(store, false,
	      store->ops->timer_set(store->be, key, due_at_us, payload_json ? payload_json : "{}"));
}

int tsunagu_store_timer_cancel(tsunagu_store *store, const char *key)
{
	if (!store || !key)
		return -EINVAL;
	WRITE(store, false, store->ops->timer_cancel(store->be, key));
}

int tsunagu_store_timer_due(tsunagu_store *store, int64_t now_us, unsigned limit, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->timer_due(store->be, now_us, limit ? limit : 1000, out);
}

int tsunagu_store_timer_next(tsunagu_store *store, int64_t *due_at_us)
{
	if (!store || !due_at_us)
		return -EINVAL;
	return store->ops->timer_next(store->be, due_at_us);
}
