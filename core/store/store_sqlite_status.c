/* SQLite backend: operator status and chat capacity, picking a candidate
 * for the router, and the waiting list (migration 3). */
#include <errno.h>
#include <string.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

static const char SQL_STATUS_GET[] = "SELECT status FROM staff WHERE id = ?1";
/* A new kind starts at its default sub-type. */
static const char SQL_STATUS_SET[] =
	"UPDATE staff SET status_since = CASE WHEN status = ?2 THEN status_since ELSE ?3 END,"
	" idle_since = CASE WHEN status = ?2 THEN idle_since ELSE max(idle_since, ?3) END,"
	" status_subtype = CASE WHEN status = ?2 THEN status_subtype ELSE NULL END,"
	" status = ?2 WHERE id = ?1";
static const char SQL_CAPACITY_SET[] = "UPDATE staff SET chat_capacity = ?2 WHERE id = ?1";
static const char SQL_OPEN_COUNT[] =
	"SELECT count(*) FROM conversations WHERE assignee_id = ?1"
	" AND state NOT IN ('closed', 'snoozed') AND channel <> 'phone'";
static const char SQL_SESSION_COUNT[] =
	"SELECT count(*) FROM sessions WHERE staff_id = ?1 AND expires_at >= ?2";
static const char SQL_STAFF_TEAMS[] =
	"SELECT team_id FROM team_members WHERE staff_id = ?1 ORDER BY team_id";
static const char SQL_LAST_OPERATOR[] =
	"SELECT assignee_id FROM conversations WHERE contact_id = ?1 AND id <> ?2"
	" AND assignee_id IS NOT NULL ORDER BY id DESC LIMIT 1";
static const char SQL_SET_ROUTE[] = "UPDATE conversations SET route = ?2 WHERE id = ?1";
/* INDEXED BY: without statistics the planner prefers (state, updated_at)
 * and sorts the whole waiting list; the partial index is already in order. */
static const char SQL_WAITING[] =
	"SELECT " TSUNAGU_SQLITE_CONV_COLUMNS("") " FROM conversations"
	" INDEXED BY conversations_waiting"
	" WHERE state = 'waiting' AND (waiting_since, id) > (?1, ?2)"
	" ORDER BY waiting_since, id LIMIT ?3";

/* Who qualifies (TSUNAGU_SQLITE_*_ELIGIBLE), in the target (everyone, or
 * TSUNAGU_SQLITE_IN_ROUTE), not excluded (?4). Every pick
 * walks an index in its order and stops at the first who qualifies, so the
 * eligibility subqueries run for few rows, never for everyone available:
 * longest idle walks staff_idle_handled (status, idle_since, id, ...: the
 * order of staff_idle, which migration 17 dropped); round robin the
 * ids (NOT INDEXED: the rowid) after ?5, then from the start; fewest
 * handled today (?5 the clock) is two walks of the same order — first
 * those with none today (0 before any count), by staff_idle_handled
 * (that order with the day and count: SQLite tests them in the index,
 * before reading the row or running a subquery), then those with some,
 * by staff_fewest (status, handled_day, handled_today, idle_since, id). idle_since is max(last assignment, became available). */
#define PICK_IN_ROUTE " AND " TSUNAGU_SQLITE_IN_ROUTE
#define PICK_NOT_EXCLUDED " AND " TSUNAGU_SQLITE_NOT_EXCLUDED
/* Each pick in four texts: with or without the route's lists (q->all) and
 * the exclusions (none: "[]" or NULL). SQLite builds every IN list into a
 * temporary B-tree at each run — a pager and fresh pages, even for "[]" and
 * even when "?1 OR" made the list moot: a quarter of a longest-idle pick
 * among 800 operators (issue 5, CPU per call). pick_sql_for() names the
 * text for a pick. */
#define PICK_FROM(from, eligible, order, target, excluded)                                 \
	"SELECT s.id FROM " from " WHERE " eligible target excluded order
#define PICK_SET(from, eligible, order)                                                    \
	{ PICK_FROM(from, eligible, order, "", ""),                                        \
	  PICK_FROM(from, eligible, order, PICK_IN_ROUTE, ""),                             \
	  PICK_FROM(from, eligible, order, "", PICK_NOT_EXCLUDED),                         \
	  PICK_FROM(from, eligible, order, PICK_IN_ROUTE, PICK_NOT_EXCLUDED) }
#define PICK_CHAT(from, order) PICK_SET(from, TSUNAGU_SQLITE_CHAT_ELIGIBLE, order)
#define PICK_PHONE(from, order) PICK_SET(from, TSUNAGU_SQLITE_PHONE_ELIGIBLE, order)
#define BY_IDLE "staff s INDEXED BY staff_idle_handled"
#define BY_IDLE_HANDLED "staff s INDEXED BY staff_idle_handled"
#define BY_FEWEST "staff s INDEXED BY staff_fewest"
#define BY_ID "staff s NOT INDEXED"
#define TODAY_OF(p) "date(" p " / 1000000, 'unixepoch', 'localtime')"
#define TODAY TODAY_OF("?5")
#define ORDER_IDLE " ORDER BY s.idle_since, s.id LIMIT 1"
#define ORDER_NONE_TODAY \
	" AND NOT (s.handled_day IS " TODAY " AND s.handled_today > 0)" ORDER_IDLE
#define ORDER_SOME_TODAY                                                                   \
	" AND s.handled_day = " TODAY " AND s.handled_today > 0"                           \
	" ORDER BY s.handled_today, s.idle_since, s.id LIMIT 1"
#define ORDER_RR_AFTER " AND s.id > ?5 ORDER BY s.id LIMIT 1"
#define ORDER_RR_START " ORDER BY s.id LIMIT 1"

/* Whether anyone available has none today (?1 the clock), by four seeks
 * into staff_fewest: late in the day nobody has, and the first walk would
 * read everyone available to find it out. */
#define NONE_TODAY_IN(range)                                                               \
	"EXISTS (SELECT 1 FROM staff INDEXED BY staff_fewest WHERE status = 'available'"   \
	" AND " range ")"
static const char SQL_ANY_NONE_TODAY[] =
	"SELECT " NONE_TODAY_IN("handled_day IS NULL")
	" OR " NONE_TODAY_IN("handled_day < " TODAY_OF("?1"))
	" OR " NONE_TODAY_IN("handled_day > " TODAY_OF("?1"))
	" OR " NONE_TODAY_IN("handled_day = " TODAY_OF("?1") " AND handled_today <= 0");
typedef const char *const pick_sql[4];
static pick_sql SQL_PICK_IDLE = PICK_CHAT(BY_IDLE, ORDER_IDLE);
static pick_sql SQL_PICK_NONE_TODAY = PICK_CHAT(BY_IDLE_HANDLED, ORDER_NONE_TODAY);
static pick_sql SQL_PICK_SOME_TODAY = PICK_CHAT(BY_FEWEST, ORDER_SOME_TODAY);
static pick_sql SQL_PICK_RR_AFTER = PICK_CHAT(BY_ID, ORDER_RR_AFTER);
static pick_sql SQL_PICK_RR_START = PICK_CHAT(BY_ID, ORDER_RR_START);
static pick_sql SQL_PICK_PHONE_IDLE = PICK_PHONE(BY_IDLE, ORDER_IDLE);
static pick_sql SQL_PICK_PHONE_NONE_TODAY = PICK_PHONE(BY_IDLE_HANDLED, ORDER_NONE_TODAY);
static pick_sql SQL_PICK_PHONE_SOME_TODAY = PICK_PHONE(BY_FEWEST, ORDER_SOME_TODAY);
static pick_sql SQL_PICK_PHONE_RR_AFTER = PICK_PHONE(BY_ID, ORDER_RR_AFTER);
static pick_sql SQL_PICK_PHONE_RR_START = PICK_PHONE(BY_ID, ORDER_RR_START);

/* The text of set for q: the route's lists unless it admits everyone, the
 * exclusions when there are any. */
static const char *pick_sql_for(pick_sql set, const tsunagu_store_pick *q)
{
	bool excluding = q->exclude_ids_json && strcmp(q->exclude_ids_json, "[]") != 0;
	return set[(q->all ? 0 : 1) + (excluding ? 2 : 0)];
}

int tsunagu_sqlite_staff_set_status(void *be, int64_t staff_id, tsunagu_staff_status status,
				    tsunagu_staff_status *previous_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_STATUS_GET);
	tsunagu_staff_status previous = TSUNAGU_STATUS_OFFLINE;
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, staff_id);
	r = tsunagu_sqlite_step_row(sq, st, "reading a status");
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	tsunagu_staff_status_parse((const char *)sqlite3_column_text(st, 0), &previous);
	tsunagu_sqlite_done(st);
	st = tsunagu_sqlite_stmt(sq, SQL_STATUS_SET);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, staff_id);
	sqlite3_bind_text(st, 2, tsunagu_staff_status_name(status), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, tsunagu_sqlite_now_us());
	r = tsunagu_sqlite_run(sq, st, "setting a status");
	if (r == 0 && previous_out)
		*previous_out = previous;
	return r;
}

int tsunagu_sqlite_staff_set_capacity(void *be, int64_t staff_id, int capacity)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_CAPACITY_SET);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, staff_id);
	sqlite3_bind_int(st, 2, capacity);
	r = tsunagu_sqlite_run(sq, st, "setting a chat capacity");
	if (r == 0 && sqlite3_changes(sq->db) == 0)
		r = -ENOENT;
	return r;
}

int tsunagu_sqlite_staff_open_count(void *be, int64_t staff_id, int64_t *count)
{
	return tsunagu_sqlite_int64_of(be, SQL_OPEN_COUNT, staff_id, 0, count, -EIO,
				       "counting open conversations");
}

int tsunagu_sqlite_session_count_for_staff(void *be, int64_t staff_id, int64_t now_us,
					   int64_t *count)
{
	return tsunagu_sqlite_int64_of(be, SQL_SESSION_COUNT, staff_id, now_us, count, -EIO,
				       "counting sessions");
}

int tsunagu_sqlite_ids(tsunagu_sqlite *sq, sqlite3_stmt *st, const char *what, GArray **out)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		g_array_append_val(ids, id);
	}
	if (rc != SQLITE_DONE)
		r = tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(sq->db), what);
	tsunagu_sqlite_done(st);
	if (r < 0) {
		g_array_unref(ids);
		return r;
	}
	*out = ids;
	return 0;
}

void tsunagu_sqlite_bind_pick(sqlite3_stmt *st, const tsunagu_store_pick *q)
{
	sqlite3_bind_int(st, 1, q->all);
	sqlite3_bind_text(st, 2, q->staff_ids_json ? q->staff_ids_json : "[]", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, q->team_ids_json ? q->team_ids_json : "[]", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, q->exclude_ids_json ? q->exclude_ids_json : "[]", -1,
			  SQLITE_STATIC);
}

int tsunagu_sqlite_staff_teams(void *be, int64_t staff_id, GArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_STAFF_TEAMS);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, staff_id);
	return tsunagu_sqlite_ids(sq, st, "reading teams", out);
}

int tsunagu_sqlite_contact_last_operator(void *be, int64_t contact_id,
					 int64_t exclude_conversation_id, int64_t *staff_id_out)
{
	return tsunagu_sqlite_int64_of(be, SQL_LAST_OPERATOR, contact_id, exclude_conversation_id,
				       staff_id_out, -ENOENT, "finding the last operator");
}

static int pick_one(tsunagu_sqlite *sq, pick_sql set, const tsunagu_store_pick *q,
		    int64_t *staff_id_out)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, pick_sql_for(set, q));
	int r;

	if (!st)
		return -EIO;
	tsunagu_sqlite_bind_pick(st, q);
	if (sqlite3_bind_parameter_count(st) >= 5)
		sqlite3_bind_int64(st, 5, q->method == TSUNAGU_PICK_FEWEST_HANDLED ? q->now_us
										     : q->rr_after);
	/* Malformed id lists fail json_each: -EIO (logged), never a wrong pick. */
	r = tsunagu_sqlite_step_row(sq, st, "picking an operator");
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*staff_id_out = sqlite3_column_int64(st, 0);
	tsunagu_sqlite_done(st);
	return 0;
}

int tsunagu_sqlite_staff_pick(void *be, const tsunagu_store_pick *q, int64_t *staff_id_out)
{
	tsunagu_sqlite *sq = be;
	int r;

	if (q->method == TSUNAGU_PICK_FEWEST_HANDLED) {
		int64_t any = 0;
		r = tsunagu_sqlite_int64_of(sq, SQL_ANY_NONE_TODAY, q->now_us, 0, &any, -EIO,
					    "picking an operator");
		if (r < 0)
			return r;
		/* none today sorts before any count: the first walk decides */
		r = any ? pick_one(sq, q->phone ? SQL_PICK_PHONE_NONE_TODAY : SQL_PICK_NONE_TODAY,
				   q, staff_id_out)
			: -ENOENT;
		return r == -ENOENT ? pick_one(sq, q->phone ? SQL_PICK_PHONE_SOME_TODAY
							    : SQL_PICK_SOME_TODAY,
					       q, staff_id_out)
				    : r;
	}
	if (q->method != TSUNAGU_PICK_ROUND_ROBIN)
		return pick_one(sq, q->phone ? SQL_PICK_PHONE_IDLE : SQL_PICK_IDLE, q,
				staff_id_out);
	r = pick_one(sq, q->phone ? SQL_PICK_PHONE_RR_AFTER : SQL_PICK_RR_AFTER, q, staff_id_out);
	return r == -ENOENT ? pick_one(sq, q->phone ? SQL_PICK_PHONE_RR_START : SQL_PICK_RR_START,
				       q, staff_id_out)
			    : r;
}

int tsunagu_sqlite_conversation_set_route(void *be, int64_t id, const char *route_json)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_SET_ROUTE);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	tsunagu_sqlite_bind_text(st, 2, route_json);
	/* Text that is not JSON fails the CHECK: -EINVAL. */
	r = tsunagu_sqlite_run(sq, st, "keeping a route");
	if (r == 0 && sqlite3_changes(sq->db) == 0)
		r = -ENOENT;
	return r;
}

int tsunagu_sqlite_waiting_list(void *be, int64_t after_since, int64_t after_id,
				unsigned limit, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_WAITING);

	if (!st)
		return -EIO;
	/* (0, 0): from the start, whatever the clock said */
	sqlite3_bind_int64(st, 1, after_since || after_id ? after_since : INT64_MIN);
	sqlite3_bind_int64(st, 2, after_id);
	sqlite3_bind_int64(st, 3, limit);
	return tsunagu_sqlite_rows(sq, st, tsunagu_sqlite_conversation_row,
				(GDestroyNotify)tsunagu_store_conversation_free,
				"listing waiting conversations", out);
}
