/* SQLite backend: the voice guidance library (migration 9). */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

#define GUIDANCE_COLUMNS "id, name, duration_ms, bytes, sha256, created_at, created_by"
static const char SQL_GET[] = "SELECT " GUIDANCE_COLUMNS " FROM guidance WHERE id = ?1";
static const char SQL_GET_BY_NAME[] = "SELECT " GUIDANCE_COLUMNS " FROM guidance WHERE name = ?1";
static const char SQL_LIST[] = "SELECT " GUIDANCE_COLUMNS " FROM guidance ORDER BY name, id";
static const char SQL_INSERT[] =
	"INSERT INTO guidance (name, duration_ms, bytes, sha256, created_at, created_by)"
	" VALUES (?1, ?2, ?3, ?4, ?5, nullif(?6, 0))";
static const char SQL_UPDATE[] =
	"UPDATE guidance SET duration_ms = ?2, bytes = ?3, sha256 = ?4, created_at = ?5,"
	" created_by = nullif(?6, 0) WHERE id = ?1";
static const char SQL_IN_USE[] = "SELECT count(*) FROM guidance_sets WHERE guidance_id = ?1";
static const char SQL_DELETE[] = "DELETE FROM guidance WHERE id = ?1";
static const char SQL_SETS[] =
	"SELECT line, kind, guidance_id FROM guidance_sets ORDER BY line, kind";
static const char SQL_SETS_CLEAR[] = "DELETE FROM guidance_sets";
static const char SQL_SET_INSERT[] =
	"INSERT INTO guidance_sets (line, kind, guidance_id) VALUES (?1, ?2, ?3)";
/* The line's own cell first, then the default set's: two seeks of the
 * primary key. Every call asks it (issue 5); "line IN (?1, '') ORDER BY"
 * made SQLite open a temporary b-tree for the list and another for the
 * order, each time — most of the lookup's cost. */
static const char SQL_RESOLVE[] =
	"SELECT " GUIDANCE_COLUMNS " FROM guidance WHERE id = coalesce("
	"(SELECT guidance_id FROM guidance_sets WHERE line = ?1 AND kind = ?2),"
	" (SELECT guidance_id FROM guidance_sets WHERE line = '' AND kind = ?2))";

static void *guidance_row(sqlite3_stmt *st)
{
	tsunagu_store_guidance *g = g_new0(tsunagu_store_guidance, 1);

	g->id = sqlite3_column_int64(st, 0);
	g->name = tsunagu_sqlite_column_dup(st, 1);
	g->duration_ms = sqlite3_column_int64(st, 2);
	g->bytes = sqlite3_column_int64(st, 3);
	g->sha256 = tsunagu_sqlite_column_dup(st, 4);
	g->created_at = sqlite3_column_int64(st, 5);
	g->created_by = sqlite3_column_int64(st, 6);
	return g;
}

static void *set_row(sqlite3_stmt *st)
{
	tsunagu_store_guidance_set *s = g_new0(tsunagu_store_guidance_set, 1);

	s->line = tsunagu_sqlite_column_dup(st, 0);
	s->kind = tsunagu_sqlite_column_dup(st, 1);
	s->guidance_id = sqlite3_column_int64(st, 2);
	return s;
}

static int one(tsunagu_sqlite *sq, sqlite3_stmt *st, tsunagu_store_guidance **out)
{
	int r = tsunagu_sqlite_step_row(sq, st, "reading guidance");

	if (r > 0) {
		*out = guidance_row(st);
		tsunagu_sqlite_done(st);
	}
	return r < 0 ? r : (r == 0 ? -ENOENT : 0);
}

int tsunagu_sqlite_guidance_get(void *be, int64_t id, tsunagu_store_guidance **out)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(be, SQL_GET);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	return one(be, st, out);
}

int tsunagu_sqlite_guidance_get_by_name(void *be, const char *name, tsunagu_store_guidance **out)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(be, SQL_GET_BY_NAME);

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return one(be, st, out);
}

int tsunagu_sqlite_guidance_list(void *be, GPtrArray **out)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(be, SQL_LIST);

	if (!st)
		return -EIO;
	return tsunagu_sqlite_rows(be, st, guidance_row, (GDestroyNotify)tsunagu_store_guidance_free,
				   "listing guidance", out);
}

int tsunagu_sqlite_guidance_save(void *be, const tsunagu_store_guidance *g, int64_t *id_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, g->id ? SQL_UPDATE : SQL_INSERT);
	int r;

	if (!st)
		return -EIO;
	if (g->id)
		sqlite3_bind_int64(st, 1, g->id);
	else
		sqlite3_bind_text(st, 1, g->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, g->duration_ms);
	sqlite3_bind_int64(st, 3, g->bytes);
	sqlite3_bind_text(st, 4, g->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, g->created_at ? g->created_at : tsunagu_sqlite_now_us());
	sqlite3_bind_int64(st, 6, g->created_by);
	r = tsunagu_sqlite_run(sq, st, "saving guidance");
	if (r < 0)
		return r;
	if (g->id)
		return sqlite3_changes(sq->db) ? 0 : -ENOENT;
	*id_out = sqlite3_last_insert_rowid(sq->db);
	return 0;
}

int tsunagu_sqlite_guidance_delete(void *be, int64_t id)
{
	tsunagu_sqlite *sq = be;
	int64_t used = 0;
	sqlite3_stmt *st;
	int r = tsunagu_sqlite_int64_of(sq, SQL_IN_USE, id, 0, &used, 0, "checking guidance sets");

	if (r < 0)
		return r;
	if (used)
		return -EBUSY;
	if (!(st = tsunagu_sqlite_stmt(sq, SQL_DELETE)))
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	r = tsunagu_sqlite_run(sq, st, "deleting guidance");
	if (r < 0)
		return r;
	return sqlite3_changes(sq->db) ? 0 : -ENOENT;
}

int tsunagu_sqlite_guidance_sets(void *be, GPtrArray **out)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(be, SQL_SETS);

	if (!st)
		return -EIO;
	return tsunagu_sqlite_rows(be, st, set_row, (GDestroyNotify)tsunagu_store_guidance_set_free,
				   "listing guidance sets", out);
}

/* Inside store.c's savepoint: a failure part-way is rolled back there. */
int tsunagu_sqlite_guidance_sets_replace(void *be, GPtrArray *sets)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_SETS_CLEAR);
	int r;

	if (!st)
		return -EIO;
	if ((r = tsunagu_sqlite_run(sq, st, "clearing guidance sets")) < 0)
		return r;
	for (guint i = 0; i < sets->len; i++) {
		const tsunagu_store_guidance_set *s = sets->pdata[i];
		if (!(st = tsunagu_sqlite_stmt(sq, SQL_SET_INSERT)))
			return -EIO;
		sqlite3_bind_text(st, 1, s->line, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, s->kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, s->guidance_id);
		/* a duplicate cell is the caller's mistake, not a conflict */
		if ((r = tsunagu_sqlite_run(sq, st, "writing a guidance set")) < 0)
			return r == -EEXIST ? -EINVAL : r;
	}
	return 0;
}

int tsunagu_sqlite_guidance_resolve(void *be, const char *line, const char *kind,
				    tsunagu_store_guidance **out)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(be, SQL_RESOLVE);

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, line, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	return one(be, st, out);
}
