/* SQLite backend: what the assignment engine keeps per staff member
 * (routing settings, status sub-types, missed offers) and the questions the
 * router asks about them (eligibility, round robin's order). Migration 5. */
#include <errno.h>
#include <string.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

static const char SQL_ROUTING_SET[] =
	"UPDATE staff SET inquiry_types = coalesce(?2, inquiry_types),"
	" call_capacity = coalesce(?3, call_capacity),"
	" chats_during_call = coalesce(?4, chats_during_call), dnd = coalesce(?5, dnd)"
	" WHERE id = ?1";
/* ?2 0: the default of the current kind (NULL). The sub-type must be of
 * the staff member's kind: a mismatch changes no row. */
static const char SQL_SUBTYPE_SET[] =
	"UPDATE staff SET status_subtype = nullif(?2, 0) WHERE id = ?1 AND (?2 = 0"
	" OR EXISTS (SELECT 1 FROM status_subtypes t WHERE t.id = ?2 AND t.kind = staff.status))";
static const char SQL_STAFF_EXISTS[] = "SELECT 1 FROM staff WHERE id = ?1";
static const char SQL_SUBTYPE_KIND[] = "SELECT 1 FROM status_subtypes WHERE id = ?1";
/* Without RETURNING, which materialises its rows in a temporary table at
 * every execution (issue 5: the reset runs at every answered call, and
 * its count is known without reading it). A reset of a counter already 0
 * writes nothing: rewriting the row dirtied the staff page (one more WAL
 * frame) at nearly every answered call. */
static const char SQL_MISSED[] =
	"UPDATE staff SET missed_offers = CASE WHEN ?2 THEN missed_offers + 1 ELSE 0 END"
	" WHERE id = ?1 AND (?2 OR missed_offers <> 0)";
static const char SQL_MISSED_READ[] = "SELECT missed_offers FROM staff WHERE id = ?1";
static const char SQL_ELIGIBLE_CHAT[] =
	"SELECT 1 FROM staff s WHERE s.id = ?1 AND " TSUNAGU_SQLITE_CHAT_ELIGIBLE;
static const char SQL_ELIGIBLE_PHONE[] =
	"SELECT 1 FROM staff s WHERE s.id = ?1 AND " TSUNAGU_SQLITE_PHONE_ELIGIBLE;
/* ?5: the inquiry types that receive the kind; ?6, ?7: the ids between,
 * a range of the rowid. */
static const char SQL_ROUTE_IDS[] =
	"SELECT s.id FROM staff s NOT INDEXED WHERE s.id > ?6 AND s.id < ?7 AND s.disabled = 0"
	" AND s.inquiry_types IN ('both', ?5)"
	" AND (?1 OR " TSUNAGU_SQLITE_IN_ROUTE ")"
	" AND " TSUNAGU_SQLITE_NOT_EXCLUDED " ORDER BY s.id";

#define SUBTYPE_SELECT "SELECT id, kind, name, position, is_default FROM status_subtypes"
static const char SQL_SUBTYPE_LIST[] =
	SUBTYPE_SELECT " ORDER BY CASE kind WHEN 'available' THEN 1 WHEN 'away' THEN 2 ELSE 3 END,"
		       " position, id";
static const char SQL_SUBTYPE_GET[] = SUBTYPE_SELECT " WHERE id = ?1";
static const char SQL_SUBTYPE_INSERT[] =
	"INSERT INTO status_subtypes (kind, name, position, is_default, created_at)"
	" VALUES (?1, ?2, ?3, 0, ?4)";
static const char SQL_SUBTYPE_UPDATE[] =
	"UPDATE status_subtypes SET name = coalesce(?2, name),"
	" position = CASE WHEN ?3 >= 0 THEN ?3 ELSE position END WHERE id = ?1";
static const char SQL_SUBTYPE_IS_DEFAULT[] = "SELECT is_default FROM status_subtypes WHERE id = ?1";
static const char SQL_SUBTYPE_MOVE[] =
	"UPDATE staff SET status_subtype = NULL WHERE status_subtype = ?1 RETURNING id";
static const char SQL_SUBTYPE_DELETE[] = "DELETE FROM status_subtypes WHERE id = ?1";

static void bind_opt_int(sqlite3_stmt *st, int idx, int v)
{
	if (v < 0)
		sqlite3_bind_null(st, idx);
	else
		sqlite3_bind_int(st, idx, v);
}

int tsunagu_sqlite_staff_set_routing(void *be, int64_t staff_id,
				     const tsunagu_store_staff_routing *r)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_ROUTING_SET);
	int ret;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, staff_id);
	tsunagu_sqlite_bind_text(st, 2, r->inquiry_types > 0
						? tsunagu_inquiry_types_name(r->inquiry_types)
						: NULL);
	bind_opt_int(st, 3, r->call_capacity);
	bind_opt_int(st, 4, r->chats_during_call);
	bind_opt_int(st, 5, r->dnd);
	ret = tsunagu_sqlite_run(sq, st, "setting routing settings");
	if (ret == 0 && sqlite3_changes(sq->db) == 0)
		ret = -ENOENT;
	return ret;
}

int tsunagu_sqlite_staff_set_subtype(void *be, int64_t staff_id, int64_t subtype_id)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_SUBTYPE_SET);
	int64_t one = 0;
	int ret;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, staff_id);
	sqlite3_bind_int64(st, 2, subtype_id);
	ret = tsunagu_sqlite_run(sq, st, "setting a status sub-type");
	if (ret < 0 || sqlite3_changes(sq->db) > 0)
		return ret;
	/* Nothing changed: say why. */
	ret = tsunagu_sqlite_int64_of(sq, SQL_STAFF_EXISTS, staff_id, 0, &one, -ENOENT,
				      "finding staff");
	if (ret == 0 && subtype_id)
		ret = tsunagu_sqlite_int64_of(sq, SQL_SUBTYPE_KIND, subtype_id, 0, &one, -ENOENT,
					      "finding a sub-type");
	return ret < 0 ? ret : -EINVAL;
}

int tsunagu_sqlite_staff_count_missed(void *be, int64_t staff_id, bool missed, int *count_out)
{
	tsunagu_sqlite *sq = be;
	int64_t n = 0, exists;
	int ret = tsunagu_sqlite_run_ids(sq, SQL_MISSED, staff_id, missed, "counting missed offers");

	/* No change: no such staff, or (a reset) a count already 0. */
	if (ret == 0 && sqlite3_changes(sq->db) == 0)
		ret = missed ? -ENOENT
			     : tsunagu_sqlite_int64_of(sq, SQL_STAFF_EXISTS, staff_id, 0, &exists,
						       -ENOENT, "counting missed offers");
	if (ret == 0 && missed)
		ret = tsunagu_sqlite_int64_of(sq, SQL_MISSED_READ, staff_id, 0, &n, -ENOENT,
					      "counting missed offers");
	if (ret == 0 && count_out)
		*count_out = (int)n;
	return ret;
}

int tsunagu_sqlite_staff_eligible(void *be, int64_t staff_id, bool phone, bool *out)
{
	int64_t one = 0;
	int ret = tsunagu_sqlite_int64_of(be, phone ? SQL_ELIGIBLE_PHONE : SQL_ELIGIBLE_CHAT,
					  staff_id, 0, &one, -ENOENT, "checking eligibility");
	if (ret == 0 || ret == -ENOENT)
		*out = ret == 0;
	return ret == -ENOENT ? 0 : ret;
}

int tsunagu_sqlite_staff_route_ids(void *be, const tsunagu_store_pick *q, GArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_ROUTE_IDS);

	if (!st)
		return -EIO;
	tsunagu_sqlite_bind_pick(st, q);
	sqlite3_bind_text(st, 5, q->phone ? "phone" : "chat", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, q->ids_above);
	sqlite3_bind_int64(st, 7, q->ids_below ? q->ids_below : INT64_MAX);
	return tsunagu_sqlite_ids(sq, st, "listing a route", out);
}

/* ---- sub-types ---------------------------------------------------------------- */

static void *subtype_row(sqlite3_stmt *st)
{
	tsunagu_store_status_subtype *t = g_new0(tsunagu_store_status_subtype, 1);
	tsunagu_staff_status kind = TSUNAGU_STATUS_OFFLINE;

	t->id = sqlite3_column_int64(st, 0);
	tsunagu_staff_status_parse((const char *)sqlite3_column_text(st, 1), &kind);
	t->kind = kind;
	t->name = tsunagu_sqlite_column_dup(st, 2);
	t->position = sqlite3_column_int(st, 3);
	t->is_default = sqlite3_column_int(st, 4) != 0;
	return t;
}

int tsunagu_sqlite_status_subtype_list(void *be, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_SUBTYPE_LIST);

	if (!st)
		return -EIO;
	return tsunagu_sqlite_rows(sq, st, subtype_row,
				   (GDestroyNotify)tsunagu_store_status_subtype_free,
				   "listing status sub-types", out);
}

int tsunagu_sqlite_status_subtype_get(void *be, int64_t id, tsunagu_store_status_subtype **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_SUBTYPE_GET);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	r = tsunagu_sqlite_step_row(sq, st, "reading a status sub-type");
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*out = subtype_row(st);
	tsunagu_sqlite_done(st);
	return 0;
}

int tsunagu_sqlite_status_subtype_create(void *be, tsunagu_staff_status kind, const char *name,
					 int position, int64_t *id_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_SUBTYPE_INSERT);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, tsunagu_staff_status_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, position);
	sqlite3_bind_int64(st, 4, tsunagu_sqlite_now_us());
	r = tsunagu_sqlite_run(sq, st, "creating a status sub-type");
	if (r == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(sq->db);
	return r;
}

int tsunagu_sqlite_status_subtype_update(void *be, int64_t id, const char *name, int position)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_SUBTYPE_UPDATE);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	tsunagu_sqlite_bind_text(st, 2, name);
	sqlite3_bind_int(st, 3, position);
	r = tsunagu_sqlite_run(sq, st, "changing a status sub-type");
	if (r == 0 && sqlite3_changes(sq->db) == 0)
		r = -ENOENT;
	return r;
}

int tsunagu_sqlite_status_subtype_delete(void *be, int64_t id, GArray **moved_out)
{
	tsunagu_sqlite *sq = be;
	int64_t is_default = 0;
	GArray *moved = NULL;
	sqlite3_stmt *st;
	int r;

	r = tsunagu_sqlite_int64_of(sq, SQL_SUBTYPE_IS_DEFAULT, id, 0, &is_default, -ENOENT,
				    "reading a status sub-type");
	if (r < 0)
		return r;
	if (is_default)
		return -EPERM;
	st = tsunagu_sqlite_stmt(sq, SQL_SUBTYPE_MOVE);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	r = tsunagu_sqlite_ids(sq, st, "moving holders of a sub-type", &moved);
	if (r == 0 && (st = tsunagu_sqlite_stmt(sq, SQL_SUBTYPE_DELETE)) == NULL)
		r = -EIO;
	if (r == 0) {
		sqlite3_bind_int64(st, 1, id);
		r = tsunagu_sqlite_run(sq, st, "deleting a status sub-type");
	}
	if (r == 0 && moved_out)
		*moved_out = g_array_ref(moved);
	if (moved)
		g_array_unref(moved);
	return r;
}
