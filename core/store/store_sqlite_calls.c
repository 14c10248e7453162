/* SQLite backend: calls (filled by the phone channel through the router;
 * migrations 5 and 8) and the router's offers (migration 5). */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

/* calls with their origin (migration 8), for every read */
#define CALLS_FROM "calls LEFT JOIN call_origins o ON o.call_id = calls.id"
#define CALL_COLUMNS                                                                      \
	"calls.id, calls.conversation_id, coalesce(calls.staff_id, 0), calls.direction,"   \
	" calls.state, calls.missed_reason, calls.queued_at, coalesce(calls.ringing_at, 0),"\
	" coalesce(calls.answered_at, 0), coalesce(calls.ended_at, 0),"                    \
	" coalesce(calls.acw_ended_at, 0), o.provider_call_id, o.line, o.disposition,"      \
	" coalesce(o.linked_conversation_id, 0), coalesce(o.ring_rounds, 0)"
/* how many columns CALL_COLUMNS has: what a query adds comes after them */
#define CALL_NCOLUMNS 16

static const char SQL_CALL_INSERT[] =
	"INSERT INTO calls (conversation_id, direction, state, queued_at)"
	" VALUES (?1, ?2, 'queued', ?3)";
static const char SQL_CALL_GET[] = "SELECT " CALL_COLUMNS " FROM " CALLS_FROM " WHERE calls.id = ?1";
static const char SQL_CALL_WITH_CONV[] =
	"SELECT " CALL_COLUMNS ", " TSUNAGU_SQLITE_CONV_COLUMNS("c.") " FROM " CALLS_FROM
	" JOIN conversations c ON c.id = calls.conversation_id WHERE calls.id = ?1";
static const char SQL_CALL_OF_CONV[] =
	"SELECT " CALL_COLUMNS " FROM " CALLS_FROM " WHERE calls.conversation_id = ?1 ORDER BY calls.id DESC LIMIT 1";
/* Writes only a row that differs (migration 13, docs/store.md): SQLite
 * rewrites the row and every partial index entry on calls (calls_busy,
 * calls_waiting) for any UPDATE that names state, unchanged or not, and
 * each call step is a commit of its own, so a no-op update still cost a
 * page per index in the WAL. */
static const char SQL_CALL_UPDATE[] =
	"UPDATE calls SET staff_id = nullif(?2, 0), state = ?3, missed_reason = ?4,"
	" ringing_at = nullif(?5, 0), answered_at = nullif(?6, 0), ended_at = nullif(?7, 0),"
	" acw_ended_at = nullif(?8, 0) WHERE id = ?1 AND (staff_id IS NOT nullif(?2, 0)"
	" OR state IS NOT ?3 OR missed_reason IS NOT ?4 OR ringing_at IS NOT nullif(?5, 0)"
	" OR answered_at IS NOT nullif(?6, 0) OR ended_at IS NOT nullif(?7, 0)"
	" OR acw_ended_at IS NOT nullif(?8, 0))";
static const char SQL_CALL_EXISTS[] = "SELECT 1 FROM calls WHERE id = ?1";
static const char SQL_CALL_CHANNEL[] =
	"SELECT v.channel FROM calls JOIN conversations v ON v.id = calls.conversation_id"
	" WHERE calls.id = ?1";
/* Every update of an inbound call carries its origin: rewritten as is, the
 * row and its entry in call_origins_provider (keyed by a random Call-ID: a
 * page of its own per call) were written again at each step. */
static const char SQL_ORIGIN_PUT[] =
	"INSERT INTO call_origins (call_id, provider_call_id, line, disposition,"
	" linked_conversation_id, ring_rounds) VALUES (?1, ?2, ?3, ?4, nullif(?5, 0), ?6)"
	" ON CONFLICT (call_id) DO UPDATE SET provider_call_id = excluded.provider_call_id,"
	" line = excluded.line, disposition = excluded.disposition,"
	" linked_conversation_id = excluded.linked_conversation_id,"
	" ring_rounds = excluded.ring_rounds"
	" WHERE provider_call_id IS NOT excluded.provider_call_id OR line IS NOT excluded.line"
	" OR disposition IS NOT excluded.disposition"
	" OR linked_conversation_id IS NOT excluded.linked_conversation_id"
	" OR ring_rounds IS NOT excluded.ring_rounds";
static const char SQL_CALL_BY_PROVIDER[] =
	"SELECT " CALL_COLUMNS " FROM " CALLS_FROM " WHERE provider_call_id = ?1";
/* the call queue the engine rings (calls_waiting) */
#define CALLS_RUNG "(disposition IS NULL OR disposition = 'queued')"
static const char SQL_CALLS_WAITING[] =
	"SELECT count(*) FROM " CALLS_FROM " WHERE state IN ('queued', 'ringing')"
	" AND direction = 'inbound' AND " CALLS_RUNG;
static const char SQL_CALLS_LIST_WAITING[] =
	"SELECT " CALL_COLUMNS " FROM " CALLS_FROM " WHERE state IN ('queued', 'ringing') AND " CALLS_RUNG
	" ORDER BY calls.queued_at, calls.id LIMIT ?2";
static const char SQL_CALLS_LIST_STATE[] =
	"SELECT " CALL_COLUMNS " FROM " CALLS_FROM " WHERE state = ?1 AND " CALLS_RUNG
	" ORDER BY calls.queued_at, calls.id LIMIT ?2";
/* the call records (TEL-10) of a period, with the names a report shows */
static const char SQL_CALL_RECORDS[] =
	"SELECT " CALL_COLUMNS ", v.public_id, v.channel, s.login,"
	" (SELECT i.external_id FROM contact_identities i WHERE i.contact_id = v.contact_id"
	"   AND i.channel = v.channel ORDER BY i.created_at DESC LIMIT 1)"
	" FROM " CALLS_FROM " JOIN conversations v ON v.id = calls.conversation_id"
	" LEFT JOIN staff s ON s.id = calls.staff_id"
	" WHERE calls.queued_at >= ?1 AND calls.queued_at < ?2"
	" AND (?3 = 0 OR calls.staff_id = ?3) ORDER BY calls.queued_at, calls.id LIMIT ?4";
static const char SQL_CALLS_OF_CONV[] =
	"SELECT " CALL_COLUMNS " FROM " CALLS_FROM " WHERE calls.conversation_id = ?1 ORDER BY calls.id";

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
/* A conversation's offers are deleted one by one, by primary key: with
 * foreign keys on, SQLite runs a DELETE that may match several rows in two
 * passes, collecting the keys in an ephemeral B-tree (opened, its page
 * cache allocated and freed, on every call's answer); by key it is one
 * pass. */
static const char SQL_OFFERS_STAFF[] = "SELECT staff_id FROM offers WHERE conversation_id = ?1";
static const char SQL_OFFER_DELETE_ANY[] =
	"DELETE FROM offers WHERE conversation_id = ?1 AND staff_id = ?2";
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
	c->provider_call_id = tsunagu_sqlite_column_dup(st, 11);
	c->line = tsunagu_sqlite_column_dup(st, 12);
	c->disposition = tsunagu_sqlite_column_dup(st, 13);
	c->linked_conversation_id = sqlite3_column_int64(st, 14);
	c->ring_rounds = (int)sqlite3_column_int64(st, 15);
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
			       int64_t *id_out, tsunagu_store_call **call_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_CALL_INSERT);
	int64_t now = tsunagu_sqlite_now_us();
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, conversation_id);
	sqlite3_bind_text(st, 2, direction, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	/* An unknown conversation fails the foreign key: -ENOENT. */
	r = tsunagu_sqlite_run(sq, st, "creating a call");
	if (r < 0)
		return r;
	if (id_out)
		*id_out = sqlite3_last_insert_rowid(sq->db);
	if (call_out) {
		/* The row as SQL_CALL_INSERT wrote it: queued, no origin yet. */
		tsunagu_store_call *c = g_new0(tsunagu_store_call, 1);
		c->id = sqlite3_last_insert_rowid(sq->db);
		c->conversation_id = conversation_id;
		c->direction = g_strdup(direction);
		c->state = g_strdup("queued");
		c->queued_at_us = now;
		*call_out = c;
	}
	return 0;
}

/* The one call row of st (its parameters bound): -ENOENT when none. */
static int call_row_of(tsunagu_sqlite *sq, sqlite3_stmt *st, tsunagu_store_call **out)
{
	int r = tsunagu_sqlite_step_row(sq, st, "reading a call");
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*out = call_row(st);
	tsunagu_sqlite_done(st);
	return 0;
}

static int call_one(tsunagu_sqlite *sq, const char *sql, int64_t id, tsunagu_store_call **out)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, sql);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	return call_row_of(sq, st, out);
}

int tsunagu_sqlite_call_get(void *be, int64_t id, tsunagu_store_call **out)
{
	return call_one(be, SQL_CALL_GET, id, out);
}

int tsunagu_sqlite_call_get_with_conversation(void *be, int64_t id,
					      tsunagu_store_call **call_out,
					      tsunagu_store_conversation **conv_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_CALL_WITH_CONV);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	r = tsunagu_sqlite_step_row(sq, st, "reading a call and its conversation");
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*call_out = call_row(st);
	*conv_out = tsunagu_sqlite_conversation_from_row(st, CALL_NCOLUMNS);
	tsunagu_sqlite_done(st);
	return 0;
}

int tsunagu_sqlite_call_of_conversation(void *be, int64_t conversation_id,
					tsunagu_store_call **out)
{
	return call_one(be, SQL_CALL_OF_CONV, conversation_id, out);
}

/* 0 when call id exists, -ENOENT when not. */
static int call_exists(tsunagu_sqlite *sq, int64_t id)
{
	int64_t one = 0;
	return tsunagu_sqlite_int64_of(sq, SQL_CALL_EXISTS, id, 0, &one, -ENOENT,
				       "looking up a call");
}

/* The calls row of c (tsunagu_sqlite_call_update). */
static int call_row_update(tsunagu_sqlite *sq, const tsunagu_store_call *c)
{
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
		r = call_exists(sq, c->id); /* unchanged, or no such call */
	return r;
}

int tsunagu_sqlite_call_update(void *be, const tsunagu_store_call *c, unsigned parts)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st;
	int r = 0;

	if (parts & TSUNAGU_STORE_CALL_STATE)
		r = call_row_update(sq, c);
	if (r < 0 || !(parts & TSUNAGU_STORE_CALL_ORIGIN))
		return r;
	if (!c->provider_call_id && !c->line && !c->disposition && !c->linked_conversation_id &&
	    !c->ring_rounds)
		/* nothing to keep; the call must exist all the same */
		return parts & TSUNAGU_STORE_CALL_STATE ? 0 : call_exists(sq, c->id);
	st = tsunagu_sqlite_stmt(sq, SQL_ORIGIN_PUT);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, c->id);
	tsunagu_sqlite_bind_text(st, 2, c->provider_call_id);
	tsunagu_sqlite_bind_text(st, 3, c->line);
	tsunagu_sqlite_bind_text(st, 4, c->disposition);
	sqlite3_bind_int64(st, 5, c->linked_conversation_id);
	sqlite3_bind_int(st, 6, c->ring_rounds);
	/* a provider_call_id of another call fails the unique index: -EEXIST */
	return tsunagu_sqlite_run(sq, st, "keeping a call's origin");
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
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_OFFERS_STAFF);
	GArray *staff = NULL;
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, conversation_id);
	r = tsunagu_sqlite_ids(sq, st, "forgetting offers", &staff);
	for (guint i = 0; r == 0 && i < staff->len; i++)
		r = tsunagu_sqlite_run_ids(sq, SQL_OFFER_DELETE_ANY, conversation_id,
					   g_array_index(staff, int64_t, i), "forgetting offers");
	if (staff)
		g_array_unref(staff);
	return r;
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

int tsunagu_sqlite_call_channel(void *be, int64_t id, char **channel_out)
{
	return tsunagu_sqlite_text_of(be, SQL_CALL_CHANNEL, id, channel_out,
				      "reading a call's channel");
}

int tsunagu_sqlite_call_by_provider(void *be, const char *provider_call_id,
				    tsunagu_store_call **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_CALL_BY_PROVIDER);

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, provider_call_id, -1, SQLITE_STATIC);
	return call_row_of(sq, st, out);
}

int tsunagu_sqlite_calls_waiting_count(void *be, int64_t *count_out)
{
	return tsunagu_sqlite_int64_of(be, SQL_CALLS_WAITING, 0, 0, count_out, 0,
				       "counting the call queue");
}

int tsunagu_sqlite_calls_list(void *be, const char *state, unsigned limit, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, state ? SQL_CALLS_LIST_STATE
							  : SQL_CALLS_LIST_WAITING);

	if (!st)
		return -EIO;
	if (state)
		sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, limit);
	return tsunagu_sqlite_rows(sq, st, call_row, (GDestroyNotify)tsunagu_store_call_free,
				   "listing calls", out);
}

int tsunagu_sqlite_calls_of_conversation(void *be, int64_t conversation_id, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_CALLS_OF_CONV);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, conversation_id);
	return tsunagu_sqlite_rows(sq, st, call_row, (GDestroyNotify)tsunagu_store_call_free,
				   "listing the calls of a conversation", out);
}

static void *record_row(sqlite3_stmt *st)
{
	tsunagu_store_call *c = call_row(st);
	c->conversation_public_id = tsunagu_sqlite_column_dup(st, CALL_NCOLUMNS + 0);
	c->channel = tsunagu_sqlite_column_dup(st, CALL_NCOLUMNS + 1);
	c->staff_login = tsunagu_sqlite_column_dup(st, CALL_NCOLUMNS + 2);
	c->caller_id = tsunagu_sqlite_column_dup(st, CALL_NCOLUMNS + 3);
	return c;
}

int tsunagu_sqlite_call_records(void *be, int64_t from_us, int64_t to_us, int64_t staff_id,
				unsigned limit, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_CALL_RECORDS);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, from_us);
	sqlite3_bind_int64(st, 2, to_us);
	sqlite3_bind_int64(st, 3, staff_id);
	sqlite3_bind_int64(st, 4, limit);
	return tsunagu_sqlite_rows(sq, st, record_row, (GDestroyNotify)tsunagu_store_call_free,
				   "reading call records", out);
}
