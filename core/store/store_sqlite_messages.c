/* SQLite backend: messages and their search (the FTS5 trigram index itself
 * is store_sqlite_search.c's). */
#include <errno.h>
#include <string.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

/* The channel comes from the conversation in the same statement; a retried
 * provider message id inserts nothing (changes() == 0); an unknown
 * conversation fails the foreign key (-ENOENT). One row of VALUES, not
 * INSERT ... SELECT: a statement that may write several rows opens a
 * statement journal (a savepoint) at every execution. */
static const char SQL_INSERT[] =
	"INSERT INTO messages (conversation_id, channel, kind, author_staff_id, body,"
	" provider_message_id, created_at)"
	" VALUES (?1, coalesce((SELECT channel FROM conversations WHERE id = ?1), ''),"
	" ?2, ?3, ?4, ?5, ?6)"
	" ON CONFLICT (channel, provider_message_id) DO NOTHING";
static const char SQL_EXISTING[] =
	"SELECT m.id FROM conversations c JOIN messages m"
	" ON m.channel = c.channel AND m.provider_message_id = ?2 WHERE c.id = ?1";
/* A message moves only its own kind's time (customer, operator): notes,
 * drafts and system messages touch nothing, and updated_at is left to the
 * conversation's own changes (state, assignee, category, visitor). Each
 * statement names one column, so SQLite rewrites only the indexes holding
 * it: a customer message keeps conversations_last_customer (the inbox
 * lists' order) current and no updated_at index, which cost two thirds of
 * this UPDATE at full chat load. */
static const char SQL_TOUCH_CUSTOMER[] =
	"UPDATE conversations SET last_customer_message_at = ?2 WHERE id = ?1";
static const char SQL_TOUCH_OPERATOR[] =
	"UPDATE conversations SET last_operator_message_at = ?2 WHERE id = ?1";
static const char SQL_LIST[] =
	"SELECT id, conversation_id, kind, coalesce(author_staff_id, 0), body,"
	" provider_message_id, created_at FROM messages"
	" WHERE conversation_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
/* Trigrams cannot match fewer than three characters: those queries scan. */
static const char SQL_SEARCH_SCAN[] =
	"SELECT id FROM messages WHERE body LIKE ?1 ESCAPE '\\' ORDER BY id DESC LIMIT ?2";

tsunagu_store_message *tsunagu_sqlite_message_from_row(sqlite3_stmt *st)
{
	tsunagu_store_message *m = g_new0(tsunagu_store_message, 1);
	m->id = sqlite3_column_int64(st, 0);
	m->conversation_id = sqlite3_column_int64(st, 1);
	if (tsunagu_msg_kind_parse((const char *)sqlite3_column_text(st, 2), &m->kind) < 0)
		m->kind = TSUNAGU_MSG_SYSTEM; /* unreachable: the CHECK constraint */
	m->author_staff_id = sqlite3_column_int64(st, 3);
	m->body = tsunagu_sqlite_column_dup(st, 4);
	m->provider_message_id = tsunagu_sqlite_column_dup(st, 5);
	m->created_at_us = sqlite3_column_int64(st, 6);
	return m;
}

/* Runs inside a savepoint opened by store.c: the message and the
 * conversation's timestamps are written together or not at all; the search
 * index takes it after commit (store_sqlite_search.c). */
int tsunagu_sqlite_message_insert(void *be, int64_t conversation_id, tsunagu_msg_kind kind,
				  int64_t author_staff_id, const char *body,
				  const char *provider_message_id, int64_t *id_out)
{
	tsunagu_sqlite *sq = be;
	const char *kind_name = tsunagu_msg_kind_name(kind);
	int64_t now = tsunagu_sqlite_now_us();
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_INSERT);
	int64_t id;
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, conversation_id);
	sqlite3_bind_text(st, 2, kind_name, -1, SQLITE_STATIC);
	if (author_staff_id > 0)
		sqlite3_bind_int64(st, 3, author_staff_id);
	sqlite3_bind_text(st, 4, body, -1, SQLITE_STATIC);
	tsunagu_sqlite_bind_text(st, 5, provider_message_id);
	sqlite3_bind_int64(st, 6, now);
	r = tsunagu_sqlite_run(sq, st, "inserting a message");
	if (r < 0)
		return r;

	if (sqlite3_changes(sq->db) == 0) {
		/* The provider id is already stored on this channel. */
		if (!provider_message_id)
			return -ENOENT; /* unreachable: nothing else skips the row */
		st = tsunagu_sqlite_stmt(sq, SQL_EXISTING);
		if (!st)
			return -EIO;
		sqlite3_bind_int64(st, 1, conversation_id);
		sqlite3_bind_text(st, 2, provider_message_id, -1, SQLITE_STATIC);
		r = tsunagu_sqlite_step_row(sq, st, "looking up a duplicate message");
		if (r <= 0)
			return r < 0 ? r : -ENOENT;
		if (id_out)
			*id_out = sqlite3_column_int64(st, 0);
		tsunagu_sqlite_done(st);
		return -EEXIST;
	}
	id = sqlite3_last_insert_rowid(sq->db);

	if (kind == TSUNAGU_MSG_CUSTOMER || kind == TSUNAGU_MSG_OPERATOR) {
		r = tsunagu_sqlite_run_ids(sq, kind == TSUNAGU_MSG_CUSTOMER ? SQL_TOUCH_CUSTOMER
									    : SQL_TOUCH_OPERATOR,
					   conversation_id, now,
					   "updating the conversation of a message");
		if (r < 0)
			return r;
	}
	/* Ids only grow within a batch (rowid = max + 1), so every message
	 * from the first of the batch on is the batch's: indexed at commit. */
	if (sq->batch_first_id == 0)
		sq->batch_first_id = id;
	if (id_out)
		*id_out = id;
	return 0;
}

int tsunagu_sqlite_message_list(void *be, int64_t conversation_id, int64_t after_id,
				unsigned limit, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_LIST);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, conversation_id);
	sqlite3_bind_int64(st, 2, after_id);
	sqlite3_bind_int64(st, 3, limit);
	return tsunagu_sqlite_rows(sq, st, tsunagu_sqlite_message_row,
				(GDestroyNotify)tsunagu_store_message_free,
				"listing messages", out);
}

/* The text as a LIKE pattern matching it anywhere: exact (wildcards
 * escaped) or, for the index, with its wildcards made single-character ones. */
static char *like_pattern(const char *text, bool exact)
{
	GString *s = g_string_sized_new(strlen(text) + 8);

	g_string_append_c(s, '%');
	for (const char *p = text; *p; p++) {
		bool wild = *p == '%' || *p == '_';
		if (exact && (wild || *p == '\\'))
			g_string_append_c(s, '\\');
		g_string_append_c(s, wild && !exact ? '_' : *p);
	}
	g_string_append_c(s, '%');
	/* SQLite 3.40's FTS5 LIKE scanner (fts5ExprPattern) reads up to two
	 * bytes past the terminating NUL; bound with SQLITE_STATIC it reads
	 * ours, so they must exist and be zero. */
	g_string_append_len(s, "\0\0\0", 3);
	g_string_truncate(s, s->len - 3);
	return g_string_free(s, FALSE);
}

/* FTS5 uses a trigram index for LIKE only without ESCAPE, so the index query
 * gets a superset pattern (the text's own % and _ turned into _) that the
 * index narrows, and the exact, escaped pattern that SQLite then checks. */
int tsunagu_sqlite_message_search(void *be, const char *text, unsigned limit, GArray **out)
{
	tsunagu_sqlite *sq = be;
	bool indexed = g_utf8_strlen(text, -1) >= 3;
	sqlite3 *db = sq->db;
	sqlite3_stmt *st = indexed ? tsunagu_sqlite_search_query(sq, &db)
				   : tsunagu_sqlite_stmt(sq, SQL_SEARCH_SCAN);
	char *exact, *loose = NULL;
	GArray *ids;
	int rc, r = 0;

	if (!st)
		return -EIO;
	exact = like_pattern(text, true);
	if (indexed) {
		loose = like_pattern(text, false);
		sqlite3_bind_text(st, 1, loose, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, exact, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, limit);
	} else {
		sqlite3_bind_text(st, 1, exact, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, limit);
	}
	ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		g_array_append_val(ids, id);
	}
	if (rc != SQLITE_DONE && db == sq->db)
		r = tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(db), "searching messages");
	else if (rc != SQLITE_DONE) {
		tlog_error("searching messages: %s", sqlite3_errmsg(db));
		r = -EIO;
	}
	tsunagu_sqlite_done(st);
	g_free(exact);
	g_free(loose);
	if (r < 0) {
		g_array_free(ids, TRUE);
		return r;
	}
	*out = ids;
	return 0;
}

void *tsunagu_sqlite_message_row(sqlite3_stmt *st)
{
	return tsunagu_sqlite_message_from_row(st);
}
