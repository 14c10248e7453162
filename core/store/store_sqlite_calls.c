/* SQLite backend: calls (filled by the phone channel through the router)
 * and the router's offers (migration 5). */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

#define CALL_COLUMNS                                                                      \
	"id, conversation_id, coalesce(staff_id, 0), direction, state, missed_reason,"    \
	" queued_at, coalesce(ringing_at, 0), coalesce(answered_at, 0),"                  \
	" coalesce(ended_at, 0), coalesce(acw_ended_at, 0)"

static const char SQL_CALL_INSERT[] =
	"INSERT INTO calls (conversation_id, direction, state, queued_at)"
	" VALUES (?1, ?2, 'queued', ?3)";
static const char SQL_CALL_GET[] = "SELECT " CALL_COLUMNS " FROM calls WHERE id = ?1";
static const char SQL_CALL_OF_CONV[] =
	"SELECT " CALL_COLUMNS " FROM calls WHERE conversation_id = ?1 ORDER BY id DESC LIMIT 1";
static const char SQL_CALL_UPDATE[] =
	"UPDATE calls SET staff_id = nullif(?2, 0), state = ?3, missed_reason = ?4,"
	" ringing_at = nullif(?5, 0), answered_at = nullif(?6, 0), ended_at = nullif(?7, 0),"
	" acw_ended_at = nullif(?8, 0) WHERE id = ?1";

static const char SQL_OFFER_PUT[] =
	"INSERT INTO offers (conversation_id, staff_id, kind, state, deadline, created_at)"
	" VALUES (?1, ?2, ?3, 'pending', nullif(?4, 0), ?5)"
	" ON CONFLICT (conversation_id, staff_id) DO UPDATE SET kind = excluded.kind,"
	" state = 'pending', deadline = excluded.deadline, created_at = excluded.created_at";
static const char SQL_OFFER_MARK[] =
	"UPDATE offers SET state = ?3, deadline = NULL"
	" WHERE conversation_id = ?1 AND staff_id = ?2 AND state = 'pending'";
static const char SQL_OFFER_DELETE[] =
	"DELETE FROM offers WHERE conversation_id = ?1 AND staff_id = ?2 AND state = 'pending'";
static const char SQL_OFFERS_CLEAR[] = "DELETE FROM offers WHERE conversation_id = ?1";
#define OFFER_COLUMNS "conversation_id, staff_id, kind, state, coalesce(deadline, 0)"
static const char SQL_OFFERS_OF[] =
	"SELECT " OFFER_COLUMNS " FROM offers WHERE conversation_id = ?1 ORDER BY staff_id";
static const char SQL_OFFERS_DUE[] =
	"SELECT " OFFER_COLUMNS " FROM offers WHERE state = 'pending' AND deadline <= ?1"
	" ORDER BY deadline, conversation_id, staff_id LIMIT ?2";
/* walks offers_staff (staff_id, kind) WHERE state = 'pending' */
static const char SQL_OFFERS_OF_STAFF[] =
	"SELECT " OFFER_COLUMNS " FROM offers WHERE staff_id = ?1 AND state = 'pending'"
	" ORDER BY conversation_id";
static const char SQL_OFFERS_NEXT[] =
	"SELECT deadline FROM offers WHERE state = 'pending' AND deadline IS NOT NULL"
	" ORDER BY deadline LIMIT 1";

static void *call_row(sqlite3_stmt *st)
{
	tsunagu_store_call *c = g_new0(tsunagu_store_call, 1);
	c->id = sqlite3_column_int64(st, 0);
	c->conversation_id = sqlite3_column_int64(st, 1);
	c->staff_id = sqlite3_column_int64(st, 2);
	c->direction = tsunagu_sqlite_column_dup(st, 3);
	c->state = tsunagu_sqlite_column_dup(st, 4);
	c->missed_reason = tsunagu_sqlite_column_dup(st, 5);
	c->queued_at_us = sqlite3_column_int64(st, 6);
	c->ringing_at_us = sqlite3_column_int64(st, 7);
	c->answered_at_us = sqlite3_column_int64(st, 8);
	c->ended_at_us = sqlite3_column_int64(st, 9);
	c->acw_ended_at_us = sqlite3_column_int64(st, 10);
	return c;
}

static void *offer_row(sqlite3_stmt *st)
{
	tsunagu_store_offer *o = g_new0(tsunagu_store_offer, 1);
	const char *kind = (const char *)sqlite3_column_text(st, 2);
	o->conversation_id = sqlite3_column_int64(st, 0);
	o->staff_id = sqlite3_column_int64(st, 1);
	o->call = kind && kind[1] == 'a'; /* "call", not "chat" */
	o->state = tsunagu_sqlite_column_dup(st, 3);
	o->deadline_us = sqlite3_column_int64(st, 4);
	return o;
}

int tsunagu_sqlite_call_create(void *be, int64_t conversation_id, const char *direction,
			       int64_t *id_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_CALL_INSERT);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, conversation_id);
	sqlite3_bind_text(st, 2, direction, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, tsunagu_sqlite_now_us());
	/* An unknown conversation fails the foreign key: -ENOENT. */
	r = tsunagu_sqlite_run(sq, st, "creating a call");
	if (r == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(sq->db);
	return r;
}

static int call_one(tsunagu_sqlite *sq, const char *sql, int64_t id, tsunagu_store_call **out)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, sql);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	r = tsunagu_sqlite_step_row(sq, st, "reading a call");
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*out = call_row(st);
	tsunagu_sqlite_done(st);
	return 0;
}

int tsunagu_sqlite_call_get(void *be, int64_t id, tsunagu_store_call **out)
{
	return call_one(be, SQL_CALL_GET, id, out);
}

int tsunagu_sqlite_call_of_conversation(void *be, int64_t conversation_id,
					tsunagu_store_call **out)
{
	return call_one(be, SQL_CALL_OF_CONV, conversation_id, out);
}

int tsunagu_sqlite_call_update(void *be, const tsunagu_store_call *c)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_CALL_UPDATE);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, c->id);
	sqlite3_bind_int64(st, 2, c->staff_id);
	tsunagu_sqlite_bind_text(st, 3, c->state);
	tsunagu_sqlite_bind_text(st, 4, c->missed_reason);
	sqlite3_bind_int64(st, 5, c->ringing_at_us);
	sqlite3_bind_int64(st, 6, c->answered_at_us);
	sqlite3_bind_int64(st, 7, c->ended_at_us);
	sqlite3_bind_int64(st, 8, c->acw_ended_at_us);
	/* A state or reason outside the schema fails its CHECK: -EINVAL. */
	r = tsunagu_sqlite_run(sq, st, "updating a call");
	if (r == 0 && sqlite3_changes(sq->db) == 0)
		r = -ENOENT;
	return r;
}

int tsunagu_sqlite_offer_put(void *be, int64_t conversation_id, int64_t staff_id, bool call,
			     int64_t deadline_us)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_OFFER_PUT);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, conversation_id);
	sqlite3_bind_int64(st, 2, staff_id);
	sqlite3_bind_text(st, 3, call ? "call" : "chat", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, deadline_us);
	sqlite3_bind_int64(st, 5, tsunagu_sqlite_now_us());
	return tsunagu_sqlite_run(sq, st, "keeping an offer");
}

int tsunagu_sqlite_offer_end(void *be, int64_t conversation_id, int64_t staff_id,
			     const char *state)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, state ? SQL_OFFER_MARK : SQL_OFFER_DELETE);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, conversation_id);
	sqlite3_bind_int64(st, 2, staff_id);
	if (state)
		sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	r = tsunagu_sqlite_run(sq, st, "ending an offer");
	if (r == 0 && sqlite3_changes(sq->db) == 0)
		r = -ENOENT;
	return r;
}

int tsunagu_sqlite_offers_clear(void *be, int64_t conversation_id)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_OFFERS_CLEAR);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, conversation_id);
	return tsunagu_sqlite_run(sq, st, "forgetting offers");
}

int tsunagu_sqlite_offers_of(void *be, int64_t conversation_id, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_OFFERS_OF);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, conversation_id);
	return tsunagu_sqlite_rows(sq, st, offer_row, (GDestroyNotify)tsunagu_store_offer_free,
				   "listing offers", out);
}

int tsunagu_sqlite_offers_due(void *be, int64_t now_us, unsigned limit, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_OFFERS_DUE);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, now_us);
	sqlite3_bind_int64(st, 2, limit);
	return tsunagu_sqlite_rows(sq, st, offer_row, (GDestroyNotify)tsunagu_store_offer_free,
				   "listing due offers", out);
}

int tsunagu_sqlite_offers_pending_of_staff(void *be, int64_t staff_id, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_OFFERS_OF_STAFF);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, staff_id);
	return tsunagu_sqlite_rows(sq, st, offer_row, (GDestroyNotify)tsunagu_store_offer_free,
				   "listing a staff member's offers", out);
}

int tsunagu_sqlite_offers_next(void *be, int64_t *deadline_us)
{
	return tsunagu_sqlite_int64_of(be, SQL_OFFERS_NEXT, 0, 0, deadline_us, -ENOENT,
				       "reading the next offer deadline");
}
