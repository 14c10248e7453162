/* The SQLite backend: the connection (WAL, synchronous, foreign keys, busy
 * timeout), its statement cache, batch control, backup, and the ops table
 * that joins the topic files (store_sqlite_*.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "core.h"
#include "log.h"
#include "store_sqlite.h"

#define SQLITE_DEFAULT_BUSY_MS 5000

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_BEGIN_READ[] = "BEGIN DEFERRED";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_SAVEPOINT[] = "SAVEPOINT op";
static const char SQL_RELEASE[] = "RELEASE op";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO op";
/* 32 MiB of page cache instead of SQLite's 2: at full load the default
 * re-read index pages from the file every few transactions (pread). */
static const char SQL_CACHE_SIZE[] = "PRAGMA cache_size=-32768";
static const char SQL_NEWEST_MESSAGE[] = "SELECT max(id) FROM messages";

/* ---- helpers --------------------------------------------------------------- */

static sqlite3_stmt *stmt_cached(tsunagu_sqlite *sq, const char *sql)
{
	sqlite3_stmt *st = g_hash_table_lookup(sq->stmts, sql);
	int rc;

	if (st)
		return st;
	rc = sqlite3_prepare_v3(sq->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		tlog_error("cannot prepare \"%s\": %s", sql, sqlite3_errmsg(sq->db));
		return NULL;
	}
	g_hash_table_insert(sq->stmts, (gpointer)sql, st);
	return st;
}

/* Opens the read transaction that the reads up to the loop's next wait share
 * (share_reads). Never inside a batch, nor after the backend aborted one the
 * store has not yet ended with begin/commit/rollback (sq->batch stays set):
 * a transaction opened there would make in_transaction() say the lost batch
 * is alive. A failed BEGIN leaves the read in autocommit, as before. */
static void read_begin(tsunagu_sqlite *sq)
{
	sqlite3_stmt *st;

	if (!sq->share_reads || sq->batch || sq->read_open || !sqlite3_get_autocommit(sq->db))
		return;
	st = stmt_cached(sq, SQL_BEGIN_READ);
	if (st && sqlite3_step(st) == SQLITE_DONE)
		sq->read_open = true;
	tsunagu_sqlite_done(st);
}

sqlite3_stmt *tsunagu_sqlite_stmt(tsunagu_sqlite *sq, const char *sql)
{
	read_begin(sq);
	return stmt_cached(sq, sql);
}

void tsunagu_sqlite_done(sqlite3_stmt *st)
{
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int tsunagu_sqlite_errno(tsunagu_sqlite *sq, int rc, const char *what)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;
	default:
		break;
	}
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
		tlog_debug("%s refused: %s", what, sqlite3_errmsg(sq->db));
		return -EINVAL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		tlog_warn("%s: database locked: %s", what, sqlite3_errmsg(sq->db));
		return -EBUSY;
	case SQLITE_READONLY:
		tlog_error("%s: %s", what, sqlite3_errmsg(sq->db));
		return -EROFS;
	case SQLITE_INTERRUPT: /* a reader's deadline or interrupt (store_sqlite_reader.c) */
		tlog_warn("%s: stopped: %s", what, sqlite3_errmsg(sq->db));
		return -ETIMEDOUT;
	case SQLITE_FULL:
		tlog_error("%s: %s", what, sqlite3_errmsg(sq->db));
		return -ENOSPC;
	default:
		tlog_error("%s: %s (%d)", what, sqlite3_errmsg(sq->db), rc);
		return -EIO;
	}
}

int tsunagu_sqlite_run(tsunagu_sqlite *sq, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int r = 0;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(sq->db), what);
	tsunagu_sqlite_done(st);
	return r;
}

int tsunagu_sqlite_step_row(tsunagu_sqlite *sq, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	tsunagu_sqlite_done(st);
	if (rc == SQLITE_DONE)
		return 0;
	return tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(sq->db), what);
}

int tsunagu_sqlite_bind_text(sqlite3_stmt *st, int idx, const char *text)
{
	if (!text)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, text, -1, SQLITE_STATIC);
}

char *tsunagu_sqlite_column_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? g_strdup((const char *)t) : NULL;
}

int tsunagu_sqlite_random_public_id(char out[33])
{
	guint8 bytes[16];
	size_t got = 0;

	while (got < sizeof(bytes)) {
		ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			tlog_error("getrandom: %s", g_strerror(e));
			return -e;
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(bytes); i++)
		g_snprintf(out + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

int64_t tsunagu_sqlite_now_us(void)
{
	return tsunagu_core_now_us();
}

sqlite3 *tsunagu_store_sqlite_db(tsunagu_store *store)
{
	tsunagu_sqlite *sq;

	if (!store || tsunagu_store_backend(store) != &tsunagu_store_sqlite_ops)
		return NULL;
	sq = tsunagu_store_backend_handle(store);
	return sq->db;
}

static void stmt_finalize(gpointer st)
{
	sqlite3_finalize(st);
}

/* ---- open and close ---------------------------------------------------------- */

static bool sq_accepts(const char *path)
{
	return !g_str_has_prefix(path, "postgres://") && !g_str_has_prefix(path, "postgresql://");
}

static int sq_pragma(tsunagu_sqlite *sq, const char *sql, char **result)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(sq->db, sql, -1, &st, NULL);
	int r = 0;

	if (rc != SQLITE_OK) {
		r = tsunagu_sqlite_errno(sq, rc, sql);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && result)
		*result = tsunagu_sqlite_column_dup(st, 0);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(sq->db), sql);
out:
	sqlite3_finalize(st);
	return r;
}

static void sq_reads_end(void *be);

static void sq_close(void *be)
{
	tsunagu_sqlite *sq = be;

	if (!sq)
		return;
	sq_reads_end(sq);
	tsunagu_sqlite_search_stop(sq);
	tsunagu_sqlite_checkpointer_stop(sq);
	tsunagu_sqlite_profile_stop(sq);
	if (sq->stmts)
		g_hash_table_destroy(sq->stmts); /* finalizes the statements */
	if (sq->fts_marks)
		g_array_free(sq->fts_marks, TRUE);
	if (sq->db && sqlite3_close(sq->db) != SQLITE_OK)
		tlog_error("closing %s: %s", sq->path, sqlite3_errmsg(sq->db));
	g_free(sq->path);
	g_free(sq);
}

/* Process-wide SQLite settings, before the library initializes (at the
 * first open). Without memory statistics sqlite3_malloc/free take no global
 * mutex: a mutex pair per allocation was ~5 % of the loop's time at full chat
 * load (nothing here reads sqlite3_memory_used()). Statement journals and
 * savepoint sub-journals stay in memory up to STMT_JOURNAL_SPILL, in chunks
 * of that size: with temp_store=MEMORY SQLite keeps them in ~1 KiB chunks,
 * and copying each page an atomic section touches into those made its
 * savepoint cost a third of the section's statements (SAVEPOINT + message +
 * conversation + event: 35 us -> 23 us per message, measured). */
#define STMT_JOURNAL_SPILL (1024 * 1024)
static gpointer sqlite_configure(gpointer unused)
{
	if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK ||
	    sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, STMT_JOURNAL_SPILL) != SQLITE_OK)
		tlog_warn("SQLite was initialized before the store: its defaults stay (slower)");
	return NULL;
}

static int sq_open(const tsunagu_store_options *opts, void **be_out)
{
	static GOnce configured = G_ONCE_INIT;
	static const char *const sync_sql[][2] = {
		{ "full", "PRAGMA synchronous=FULL" },
		{ "normal", "PRAGMA synchronous=NORMAL" },
		{ "off", "PRAGMA synchronous=OFF" },
	};
	const char *sync = opts->synchronous && *opts->synchronous ? opts->synchronous : "full";
	const char *sync_pragma = NULL;
	tsunagu_sqlite *sq = NULL;
	char *mode = NULL;
	int rc, r;

	for (size_t i = 0; i < G_N_ELEMENTS(sync_sql); i++)
		if (g_ascii_strcasecmp(sync, sync_sql[i][0]) == 0)
			sync_pragma = sync_sql[i][1];
	if (!sync_pragma) {
		tlog_error("store.synchronous: \"%s\" is not one of full, normal, off", sync);
		return -EINVAL;
	}

	g_once(&configured, sqlite_configure, NULL);
	sq = g_new0(tsunagu_sqlite, 1);
	sq->path = g_strdup(opts->path);
	sq->memory = strcmp(opts->path, ":memory:") == 0;
	sq->busy_timeout_ms = opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms
							: SQLITE_DEFAULT_BUSY_MS;
	sq->stmts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					  stmt_finalize);
	sq->fts_marks = g_array_new(FALSE, FALSE, sizeof(int64_t));
	rc = sqlite3_open_v2(opts->path, &sq->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		tlog_error("cannot open %s: %s", opts->path,
			   sq->db ? sqlite3_errmsg(sq->db) : sqlite3_errstr(rc));
		r = rc == SQLITE_CANTOPEN ? -ENOENT : -EIO;
		goto out;
	}
	sqlite3_extended_result_codes(sq->db, 1);
	sqlite3_busy_timeout(sq->db, sq->busy_timeout_ms);
	tsunagu_sqlite_profile_start(sq);

	r = sq_pragma(sq, "PRAGMA journal_mode=WAL", &mode);
	if (r < 0)
		goto out;
	if (!sq->memory && g_ascii_strcasecmp(mode ? mode : "", "wal") != 0) {
		tlog_error("%s: cannot switch to WAL mode (journal_mode is %s)", opts->path,
			   mode ? mode : "unknown");
		r = -EIO;
		goto out;
	}
	if ((r = sq_pragma(sq, sync_pragma, NULL)) < 0 ||
	    (r = sq_pragma(sq, "PRAGMA foreign_keys=ON", NULL)) < 0 ||
	    (r = sq_pragma(sq, SQL_CACHE_SIZE, NULL)) < 0)
		goto out;

	r = tsunagu_sqlite_migrate(sq, &sq->schema_version);
	if (r < 0)
		goto out;
	r = tsunagu_sqlite_search_start(sq);
	if (r < 0)
		goto out;
	tsunagu_sqlite_checkpointer_start(sq);
	sq->share_reads = true;
	tlog_info("opened %s (schema %d, WAL, synchronous=%s)", opts->path, sq->schema_version,
		  sync);
	*be_out = sq;
	sq = NULL;
out:
	g_free(mode);
	sq_close(sq);
	return r;
}

static int sq_schema_version(void *be)
{
	return ((tsunagu_sqlite *)be)->schema_version;
}

/* ---- batch control ----------------------------------------------------------- */

static int sq_exec_cached(tsunagu_sqlite *sq, const char *sql)
{
	sqlite3_stmt *st = stmt_cached(sq, sql);

	if (!st)
		return -EIO;
	return tsunagu_sqlite_run(sq, st, sql);
}

/* Ends the shared read transaction (read_begin). COMMIT of a transaction
 * that only read cannot fail but for a statement still writing; should a
 * write have run outside a batch after all, it is made durable here rather
 * than lost, and said. */
static void sq_reads_end(void *be)
{
	tsunagu_sqlite *sq = be;

	if (!sq->read_open)
		return;
	sq->read_open = false;
	if (sqlite3_get_autocommit(sq->db))
		return; /* SQLite ended it (an error rolled it back) */
	if (sqlite3_txn_state(sq->db, NULL) == SQLITE_TXN_WRITE)
		tlog_error("a write ran outside the batch; committed with the reads");
	if (sq_exec_cached(sq, SQL_COMMIT) < 0 && !sqlite3_get_autocommit(sq->db))
		sq_exec_cached(sq, SQL_ROLLBACK);
}

/* Ends the shared read transaction first rather than upgrading it: a
 * deferred transaction's upgrade to writing does not wait on the busy
 * handler (SQLite returns SQLITE_BUSY at once when another connection, such
 * as an admin tool, holds the write lock), BEGIN IMMEDIATE does. */
static int sq_begin(void *be)
{
	tsunagu_sqlite *sq = be;
	int r;

	sq_reads_end(sq);
	sq->batch_first_id = 0;
	g_array_set_size(sq->fts_marks, 0);
	r = sq_exec_cached(sq, SQL_BEGIN);
	sq->batch = r == 0;
	return r;
}

static void sq_rollback(void *be)
{
	tsunagu_sqlite *sq = be;

	sq->batch_first_id = 0;
	sq->batch = false;
	sq->read_open = false;
	if (!sqlite3_get_autocommit(sq->db))
		sq_exec_cached(sq, SQL_ROLLBACK);
}

static int sq_commit(void *be)
{
	tsunagu_sqlite *sq = be;
	int r = tsunagu_sqlite_search_index_batch(sq);
	int64_t last_id = 0;

	/* The newest message that commits (not the last id handed out: a
	 * savepoint rolled back gives its id to the next message). */
	if (r == 0 && sq->batch_first_id && sq->search)
		r = tsunagu_sqlite_int64_of(sq, SQL_NEWEST_MESSAGE, 0, 0, &last_id, 0,
					    "reading the newest message");

	sq->batch_first_id = 0;
	g_array_set_size(sq->fts_marks, 0);
	if (r == 0)
		r = sq_exec_cached(sq, SQL_COMMIT);
	if (r == 0)
		sq->batch = false;
	if (r == 0)
		tsunagu_sqlite_search_committed(sq, last_id);

	/* A failed COMMIT may leave the transaction open (SQLITE_BUSY); the
	 * contract is that a failed batch is gone, so end it here. */
	if (r < 0) {
		sq_rollback(sq);
		/* A constraint at COMMIT (deferred key, commit hook) is not the
		 * caller's bad argument: the batch failed. */
		if (r != -EBUSY && r != -ENOSPC && r != -EROFS)
			r = -EIO;
	}
	return r;
}

static bool sq_in_transaction(void *be)
{
	tsunagu_sqlite *sq = be;

	return !sq->read_open && !sqlite3_get_autocommit(sq->db);
}

/* Savepoints share one name: SQLite then releases and rolls back to the
 * innermost, which is the nesting store.c needs. */
static int sq_savepoint(void *be)
{
	tsunagu_sqlite *sq = be;
	int r = sq_exec_cached(sq, SQL_SAVEPOINT);

	if (r == 0)
		g_array_append_val(sq->fts_marks, sq->batch_first_id);
	return r;
}

static int sq_release(void *be)
{
	tsunagu_sqlite *sq = be;
	int r = sq_exec_cached(sq, SQL_RELEASE);

	if (r == 0 && sq->fts_marks->len > 0)
		g_array_set_size(sq->fts_marks, sq->fts_marks->len - 1);
	return r;
}

static int sq_rollback_to(void *be)
{
	tsunagu_sqlite *sq = be;

	if (sq->fts_marks->len > 0)
		sq->batch_first_id = g_array_index(sq->fts_marks, int64_t,
						   sq->fts_marks->len - 1);
	return sq_exec_cached(sq, SQL_ROLLBACK_TO);
}

/* ---- backup -------------------------------------------------------------------- */

/* Copies from a connection of its own when the database is a file: in WAL
 * mode that reader sees the last committed state and neither blocks nor sees
 * the open batch. The copy is written beside the target and renamed over it,
 * so the target is always a whole database. */
static int sq_backup(void *be, const char *path)
{
	tsunagu_sqlite *sq = be;
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *bk = NULL;
	char *tmp = g_strconcat(path, ".tmp", NULL);
	int rc, r = 0;

	if (!sq->memory) {
		rc = sqlite3_open_v2(sq->path, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
				     NULL);
		if (rc != SQLITE_OK) {
			tlog_error("backup: cannot open %s: %s", sq->path, sqlite3_errstr(rc));
			r = -EIO;
			goto out;
		}
		sqlite3_busy_timeout(src, sq->busy_timeout_ms);
	}
	unlink(tmp);
	rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		tlog_error("backup: cannot create %s: %s", tmp, sqlite3_errstr(rc));
		r = -EIO;
		goto out;
	}
	bk = sqlite3_backup_init(dst, "main", src ? src : sq->db, "main");
	if (!bk) {
		tlog_error("backup to %s: %s", path, sqlite3_errmsg(dst));
		r = -EIO;
		goto out;
	}
	do {
		rc = sqlite3_backup_step(bk, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(10);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE) {
		tlog_error("backup to %s: %s", path, sqlite3_errstr(rc));
		r = -EIO;
		goto out;
	}
	rc = sqlite3_close(dst);
	dst = NULL;
	if (rc != SQLITE_OK) {
		r = -EIO;
		goto out;
	}
	/* A stale WAL beside an older copy would be replayed into the new one. */
	{
		char *wal = g_strconcat(path, "-wal", NULL);
		char *shm = g_strconcat(path, "-shm", NULL);
		unlink(wal);
		unlink(shm);
		g_free(wal);
		g_free(shm);
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		tlog_error("backup: rename to %s: %s", path, g_strerror(-r));
		goto out;
	}
	tlog_info("backup written to %s", path);
out:
	if (dst)
		sqlite3_close(dst);
	if (src)
		sqlite3_close(src);
	if (r < 0)
		unlink(tmp);
	g_free(tmp);
	return r;
}

const tsunagu_store_backend_ops tsunagu_store_sqlite_ops = {
	.abi_version = TSUNAGU_STORE_BACKEND_ABI,
	.size = sizeof(tsunagu_store_backend_ops),
	.name = "sqlite",
	.accepts = sq_accepts,
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.backup = sq_backup,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.in_transaction = sq_in_transaction,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_to = sq_rollback_to,
	.reads_end = sq_reads_end,
	.call_get_with_conversation = tsunagu_sqlite_call_get_with_conversation,

	.event_append = tsunagu_sqlite_event_append,
	.events_range = tsunagu_sqlite_events_range,
	.events_last_seq = tsunagu_sqlite_events_last_seq,

	.staff_create = tsunagu_sqlite_staff_create,
	.staff_get = tsunagu_sqlite_staff_get,
	.staff_get_by_login = tsunagu_sqlite_staff_get_by_login,
	.staff_login = tsunagu_sqlite_staff_login,
	.staff_list = tsunagu_sqlite_staff_list,
	.staff_count = tsunagu_sqlite_staff_count,
	.staff_update = tsunagu_sqlite_staff_update,
	.session_create = tsunagu_sqlite_session_create,
	.session_get = tsunagu_sqlite_session_get,
	.session_delete = tsunagu_sqlite_session_delete,
	.session_delete_for_staff = tsunagu_sqlite_session_delete_for_staff,
	.session_purge_expired = tsunagu_sqlite_session_purge_expired,
	.team_create = tsunagu_sqlite_team_create,
	.team_get_by_name = tsunagu_sqlite_team_get_by_name,
	.team_add_member = tsunagu_sqlite_team_add_member,
	.team_remove_member = tsunagu_sqlite_team_remove_member,
	.team_members = tsunagu_sqlite_team_members,
	.team_list = tsunagu_sqlite_team_list,
	.conversation_set_visitor = tsunagu_sqlite_conversation_set_visitor,
	.setting_get = tsunagu_sqlite_setting_get,
	.setting_set = tsunagu_sqlite_setting_set,

	.keyword_define = tsunagu_sqlite_keyword_define,
	.keyword_delete = tsunagu_sqlite_keyword_delete,
	.keyword_list = tsunagu_sqlite_keyword_list,
	.contact_create = tsunagu_sqlite_contact_create,
	.contact_get = tsunagu_sqlite_contact_get,
	.contact_find_by_attribute = tsunagu_sqlite_contact_find_by_attribute,
	.contact_set_attribute = tsunagu_sqlite_contact_set_attribute,
	.contact_tag = tsunagu_sqlite_contact_tag,
	.contact_identity = tsunagu_sqlite_contact_identity,
	.contact_identity_get = tsunagu_sqlite_contact_identity_get,
	.contact_conversation_count = tsunagu_sqlite_contact_conversation_count,

	.conversation_create = tsunagu_sqlite_conversation_create,
	.conversation_get = tsunagu_sqlite_conversation_get,
	.conversation_get_by_public_id = tsunagu_sqlite_conversation_get_by_public_id,
	.conversation_find_active = tsunagu_sqlite_conversation_find_active,
	.conversation_of_identity = tsunagu_sqlite_conversation_of_identity,
	.conversation_list = tsunagu_sqlite_conversation_list,
	.conversation_set_state = tsunagu_sqlite_conversation_set_state,
	.conversation_assign = tsunagu_sqlite_conversation_assign,
	.conversation_set_category = tsunagu_sqlite_conversation_set_category,
	.conversation_tag = tsunagu_sqlite_conversation_tag,
	.conversation_tags = tsunagu_sqlite_conversation_tags,
	.participant_add = tsunagu_sqlite_participant_add,
	.participant_is = tsunagu_sqlite_participant_is,

	.message_insert = tsunagu_sqlite_message_insert,
	.message_list = tsunagu_sqlite_message_list,
	.message_search = tsunagu_sqlite_message_search,
	.customer_history = tsunagu_sqlite_customer_history,

	.timer_set = tsunagu_sqlite_timer_set,
	.timer_cancel = tsunagu_sqlite_timer_cancel,
	.timer_due = tsunagu_sqlite_timer_due,
	.timer_next = tsunagu_sqlite_timer_next,
	.staff_set_status = tsunagu_sqlite_staff_set_status,
	.staff_set_capacity = tsunagu_sqlite_staff_set_capacity,
	.staff_open_count = tsunagu_sqlite_staff_open_count,
	.session_count_for_staff = tsunagu_sqlite_session_count_for_staff,
	.staff_teams = tsunagu_sqlite_staff_teams,
	.contact_last_operator = tsunagu_sqlite_contact_last_operator,
	.staff_pick = tsunagu_sqlite_staff_pick,
	.conversation_set_route = tsunagu_sqlite_conversation_set_route,
	.waiting_list = tsunagu_sqlite_waiting_list,
	.conversation_list_view = tsunagu_sqlite_conversation_list_view,
	.report_scan = tsunagu_sqlite_report_scan,
	.report_last_staff_event = tsunagu_sqlite_report_last_staff_event,
	.reader_open = tsunagu_sqlite_reader_open,
	.reader_close = tsunagu_sqlite_reader_close,
	.reader_deadline = tsunagu_sqlite_reader_deadline,
	.reader_interrupt = tsunagu_sqlite_reader_interrupt,
	.staff_set_routing = tsunagu_sqlite_staff_set_routing,
	.staff_set_subtype = tsunagu_sqlite_staff_set_subtype,
	.staff_count_missed = tsunagu_sqlite_staff_count_missed,
	.staff_eligible = tsunagu_sqlite_staff_eligible,
	.staff_route_ids = tsunagu_sqlite_staff_route_ids,
	.status_subtype_list = tsunagu_sqlite_status_subtype_list,
	.status_subtype_get = tsunagu_sqlite_status_subtype_get,
	.status_subtype_create = tsunagu_sqlite_status_subtype_create,
	.status_subtype_update = tsunagu_sqlite_status_subtype_update,
	.status_subtype_delete = tsunagu_sqlite_status_subtype_delete,
	.call_create = tsunagu_sqlite_call_create,
	.call_get = tsunagu_sqlite_call_get,
	.call_of_conversation = tsunagu_sqlite_call_of_conversation,
	.call_update = tsunagu_sqlite_call_update,
	.call_by_provider = tsunagu_sqlite_call_by_provider,
	.call_channel = tsunagu_sqlite_call_channel,
	.calls_waiting_count = tsunagu_sqlite_calls_waiting_count,
	.calls_list = tsunagu_sqlite_calls_list,
	.calls_of_conversation = tsunagu_sqlite_calls_of_conversation,
	.call_records = tsunagu_sqlite_call_records,
	.offer_put = tsunagu_sqlite_offer_put,
	.offer_end = tsunagu_sqlite_offer_end,
	.offers_clear = tsunagu_sqlite_offers_clear,
	.offers_of = tsunagu_sqlite_offers_of,
	.offers_due = tsunagu_sqlite_offers_due,
	.offers_next = tsunagu_sqlite_offers_next,
	.waiting_admitted = tsunagu_sqlite_waiting_admitted,
	.offers_pending_of_staff = tsunagu_sqlite_offers_pending_of_staff,
	.team_name = tsunagu_sqlite_team_name,
	.guidance_get = tsunagu_sqlite_guidance_get,
	.guidance_get_by_name = tsunagu_sqlite_guidance_get_by_name,
	.guidance_list = tsunagu_sqlite_guidance_list,
	.guidance_save = tsunagu_sqlite_guidance_save,
	.guidance_delete = tsunagu_sqlite_guidance_delete,
	.guidance_sets = tsunagu_sqlite_guidance_sets,
	.guidance_sets_replace = tsunagu_sqlite_guidance_sets_replace,
	.guidance_resolve = tsunagu_sqlite_guidance_resolve,
};

int tsunagu_sqlite_text_of(tsunagu_sqlite *sq, const char *sql, int64_t id, char **out,
			   const char *what)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, sql);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	r = tsunagu_sqlite_step_row(sq, st, what);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*out = tsunagu_sqlite_column_dup(st, 0);
	tsunagu_sqlite_done(st);
	return 0;
}

int tsunagu_sqlite_int64_of(tsunagu_sqlite *sq, const char *sql, int64_t a, int64_t b,
			    int64_t *out, int none, const char *what)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, sql);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b);
	r = tsunagu_sqlite_step_row(sq, st, what);
	if (r <= 0)
		return r < 0 ? r : none;
	*out = sqlite3_column_int64(st, 0);
	tsunagu_sqlite_done(st);
	return 0;
}

int tsunagu_sqlite_run_ids(tsunagu_sqlite *sq, const char *sql, int64_t a, int64_t b,
			   const char *what)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, sql);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	return tsunagu_sqlite_run(sq, st, what);
}

int tsunagu_sqlite_rows(tsunagu_sqlite *sq, sqlite3_stmt *st, tsunagu_sqlite_row_fn row,
			GDestroyNotify free_fn, const char *what, GPtrArray **out)
{
	GPtrArray *list = g_ptr_array_new_with_free_func(free_fn);
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(list, row(st));
	if (rc != SQLITE_DONE)
		r = tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(sq->db), what);
	tsunagu_sqlite_done(st);
	if (r < 0) {
		g_ptr_array_unref(list);
		return r;
	}
	*out = list;
	return 0;
}
