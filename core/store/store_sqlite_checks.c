/* Migration 17: the CHECK constraints of the tables a call writes, their
 * `x IN (three or more constants)` rewritten as equalities joined by OR
 * inside the stored CREATE TABLE text (issue 5, CPU per call).
 *
 * Why: SQLite 3.40 evaluates a constant IN list of more than two values
 * by building a temporary B-tree of the constants (OpenEphemeral:
 * sqlite3BtreeOpen, BeginTrans, CreateTable, one insert per value) at
 * every execution of every statement that checks the column — the
 * conversation INSERT and its state UPDATEs, each calls INSERT and
 * UPDATE, the offer upsert, the call origin, every waiting_admits row
 * the conversation triggers write. Equalities check the same set with
 * no temporary table (migration 11 did it for messages.kind).
 *
 * Why in place and not a table rebuild: conversations and calls have
 * child tables (ON DELETE CASCADE), triggers and partial indexes. A
 * rebuild needs foreign_keys off, which SQLite ignores inside the
 * migration's transaction: DROP TABLE would delete the children. The
 * change alters no stored value and no on-disk format (a CHECK is read
 * only when a row is written, and every existing row satisfies the new
 * text exactly when it satisfied the old), which is the case SQLite's
 * ALTER TABLE page documents for editing sqlite_schema ("otheralter"):
 * writable_schema on, the text replaced, schema_version incremented in
 * the same transaction so that every connection re-reads the schema,
 * then an integrity check of the tables edited.
 *
 * replace() on the exact text migrations 1, 3, 5, 7 and 8 wrote (a
 * released migration's text never changes) makes it idempotent: applied
 * again it finds nothing to replace and changes nothing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"
#include "store_sqlite_checks.h"

/* The tables TSUNAGU_SQLITE_CHECKS_WITHOUT_IN edits, checked after it. */
static const char *const edited[] = {
	"conversations", "calls", "offers", "call_origins", "waiting_admits", "staff",
};

static int int_of(tsunagu_sqlite *sq, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int r = -EIO;

	if (sqlite3_prepare_v2(sq->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

/* quick_check of one table: "ok" or the first problem, logged. The check
 * parses the new text (a typo would fail here, inside the transaction)
 * and re-checks every row against the constraints. */
static int check_table(tsunagu_sqlite *sq, const char *table)
{
	char sql[96];
	sqlite3_stmt *st = NULL;
	int r = -EIO;

	snprintf(sql, sizeof(sql), "PRAGMA quick_check(\"%s\")", table);
	if (sqlite3_prepare_v2(sq->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *res = (const char *)sqlite3_column_text(st, 0);
		if (res && strcmp(res, "ok") == 0)
			r = 0;
		else
			tlog_error("migration 17: %s fails its check: %s", table, res ? res : "?");
	} else {
		tlog_error("migration 17: checking %s: %s", table, sqlite3_errmsg(sq->db));
	}
	sqlite3_finalize(st);
	return r;
}

int tsunagu_sqlite_edit_schema_text(tsunagu_sqlite *sq, const char *sql)
{
	char bump[64];
	int version = 0, defensive = 0;
	int r;

	/* A SQLite built defensive by default refuses writable_schema: off for
	 * the edit, as it was. */
	sqlite3_db_config(sq->db, SQLITE_DBCONFIG_DEFENSIVE, -1, &defensive);
	sqlite3_db_config(sq->db, SQLITE_DBCONFIG_DEFENSIVE, 0, NULL);
	r = tsunagu_sqlite_exec(sq, "PRAGMA writable_schema=ON", "opening the schema text");
	if (r < 0)
		goto out;
	r = tsunagu_sqlite_exec(sq, sql, "editing the schema text");
	/* Off whatever happened: the connection lives on after a failed
	 * migration (it is rolled back and the open fails). */
	if (tsunagu_sqlite_exec(sq, "PRAGMA writable_schema=OFF", "closing the schema text") < 0 &&
	    r == 0)
		r = -EIO;
	if (r < 0)
		goto out;
	/* The next statement of this connection, and every other connection's,
	 * sees the new cookie and re-reads the schema. Read after the edit:
	 * DDL in sql (DROP INDEX) has moved it already. */
	r = int_of(sq, "PRAGMA schema_version", &version);
	if (r < 0)
		goto out;
	snprintf(bump, sizeof(bump), "PRAGMA schema_version=%d", version + 1);
	r = tsunagu_sqlite_exec(sq, bump, "moving the schema version");
	for (size_t i = 0; r == 0 && i < G_N_ELEMENTS(edited); i++)
		r = check_table(sq, edited[i]);
out:
	sqlite3_db_config(sq->db, SQLITE_DBCONFIG_DEFENSIVE, defensive, NULL);
	return r;
}
