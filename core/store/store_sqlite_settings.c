/* SQLite backend: settings admins change at run time, by namespace. */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

static const char SQL_GET[] = "SELECT value FROM settings WHERE namespace = ?1 AND key = ?2";
static const char SQL_SET[] =
	"INSERT INTO settings (namespace, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)"
	" ON CONFLICT (namespace, key) DO UPDATE SET value = ?3, updated_at = ?4";
static const char SQL_DELETE[] = "DELETE FROM settings WHERE namespace = ?1 AND key = ?2";

int tsunagu_sqlite_setting_get(void *be, const char *ns, const char *key, char **value_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_GET);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	r = tsunagu_sqlite_step_row(sq, st, "reading a setting");
	if (r > 0)
		*value_out = tsunagu_sqlite_column_dup(st, 0);
	tsunagu_sqlite_done(st);
	return r < 0 ? r : (r == 0 ? -ENOENT : 0);
}

int tsunagu_sqlite_setting_set(void *be, const char *ns, const char *key, const char *value)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, value ? SQL_SET : SQL_DELETE);

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (value) {
		sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, tsunagu_sqlite_now_us());
	}
	return tsunagu_sqlite_run(sq, st, value ? "writing a setting" : "deleting a setting");
}
