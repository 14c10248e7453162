/* SQLite backend: staff accounts, their login sessions, and teams. */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

/* calls_busy's condition word for word, SQLite's test for using a partial
 * index: after-call work is read from the operator's busy calls (a couple
 * at most) instead of an index of its own (migration 13 drops calls_acw,
 * whose entries cost a WAL page at two steps of every call). */
#define CALLS_BUSY                                                                      \
	"(k.state IN ('ringing', 'talking') OR (k.state = 'ended'"                       \
	" AND k.answered_at IS NOT NULL AND k.acw_ended_at IS NULL))"
/* Read from "staff s": the sub-type falls back to the kind's default; on
 * call and after-call work are read from the calls and offers of the same
 * transaction (what the router's pick sees). */
#define STAFF_COLUMNS                                                                   \
	"s.id, s.login, s.display_name, s.email, s.role, s.password_hash, s.disabled,"  \
	" s.created_at, s.status, s.status_since, s.chat_capacity, s.open_chats,"      \
	" coalesce(s.last_assigned_at, 0), t.id, t.name, s.dnd, s.inquiry_types,"       \
	" s.call_capacity, s.chats_during_call, s.missed_offers, s.open_phone, "        \
	TSUNAGU_SQLITE_CALL_LIVE ","                                                    \
	" EXISTS (SELECT 1 FROM calls k WHERE k.staff_id = s.id AND " CALLS_BUSY        \
	"  AND k.state = 'ended')"
#define STAFF_FROM                                                                      \
	" FROM staff s LEFT JOIN status_subtypes t ON t.id = coalesce(s.status_subtype,"  \
	"  (SELECT d.id FROM status_subtypes d WHERE d.kind = s.status AND d.is_default = 1))"

static const char SQL_STAFF_INSERT[] =
	"INSERT INTO staff (login, display_name, email, role, password_hash, created_at,"
	" status_since, idle_since) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6)";
static const char SQL_STAFF_ID_BY_LOGIN[] = "SELECT id FROM staff WHERE login = ?1";
/* what a view shows of an operator, without STAFF_COLUMNS' subqueries */
static const char SQL_STAFF_LOGIN[] = "SELECT login FROM staff WHERE id = ?1";
static const char SQL_STAFF_GET[] = "SELECT " STAFF_COLUMNS STAFF_FROM " WHERE s.id = ?1";
static const char SQL_STAFF_GET_LOGIN[] =
	"SELECT " STAFF_COLUMNS STAFF_FROM " WHERE s.login = ?1";
static const char SQL_STAFF_LIST[] = "SELECT " STAFF_COLUMNS STAFF_FROM " ORDER BY s.id";
static const char SQL_STAFF_COUNT[] = "SELECT count(*) FROM staff";
static const char SQL_STAFF_UPDATE[] =
	"UPDATE staff SET display_name = coalesce(?2, display_name), email = coalesce(?3, email),"
	" role = coalesce(?4, role), password_hash = coalesce(?5, password_hash),"
	" disabled = coalesce(?6, disabled) WHERE id = ?1";

static const char SQL_SESSION_INSERT[] =
	"INSERT INTO sessions (token_hash, staff_id, csrf_token, created_at, expires_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_SESSION_GET[] =
	"SELECT token_hash, staff_id, csrf_token, created_at, expires_at FROM sessions"
	" WHERE token_hash = ?1 AND expires_at >= ?2";
static const char SQL_SESSION_DELETE[] = "DELETE FROM sessions WHERE token_hash = ?1";
static const char SQL_SESSION_DELETE_STAFF[] = "DELETE FROM sessions WHERE staff_id = ?1";
static const char SQL_SESSION_PURGE[] = "DELETE FROM sessions WHERE expires_at < ?1";

static const char SQL_TEAM_INSERT[] = "INSERT INTO teams (name, created_at) VALUES (?1, ?2)";
static const char SQL_TEAM_BY_NAME[] = "SELECT id FROM teams WHERE name = ?1";
static const char SQL_TEAM_ADD[] =
	"INSERT INTO team_members (team_id, staff_id) VALUES (?1, ?2)"
	" ON CONFLICT DO NOTHING";
static const char SQL_TEAM_REMOVE[] =
	"DELETE FROM team_members WHERE team_id = ?1 AND staff_id = ?2";
static const char SQL_TEAM_MEMBERS[] =
	"SELECT staff_id FROM team_members WHERE team_id = ?1 ORDER BY staff_id";
static const char SQL_TEAM_EXISTS[] = "SELECT 1 FROM teams WHERE id = ?1";
static const char SQL_TEAM_LIST[] = "SELECT id, name FROM teams ORDER BY name";
static const char SQL_TEAM_NAME[] = "SELECT name FROM teams WHERE id = ?1";

/* Reads one id from a single-column query bound with one text; -ENOENT
 * when there is no row. */
static int id_by_text(tsunagu_sqlite *sq, const char *sql, const char *text, int64_t *id_out,
		      const char *what)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, sql);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	r = tsunagu_sqlite_step_row(sq, st, what);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	if (id_out)
		*id_out = sqlite3_column_int64(st, 0);
	tsunagu_sqlite_done(st);
	return 0;
}

static tsunagu_store_staff *staff_from_row(sqlite3_stmt *st)
{
	tsunagu_store_staff *s = g_new0(tsunagu_store_staff, 1);
	const char *role = (const char *)sqlite3_column_text(st, 4);

	s->id = sqlite3_column_int64(st, 0);
	s->login = tsunagu_sqlite_column_dup(st, 1);
	s->display_name = tsunagu_sqlite_column_dup(st, 2);
	s->email = tsunagu_sqlite_column_dup(st, 3);
	if (tsunagu_role_parse(role, &s->role) < 0)
		s->role = TSUNAGU_ROLE_OPERATOR; /* unreachable: the CHECK constraint */
	s->password_hash = tsunagu_sqlite_column_dup(st, 5);
	s->disabled = sqlite3_column_int(st, 6) != 0;
	s->created_at_us = sqlite3_column_int64(st, 7);
	tsunagu_staff_status status = TSUNAGU_STATUS_OFFLINE;
	tsunagu_staff_status_parse((const char *)sqlite3_column_text(st, 8), &status);
	s->status = status;
	s->status_since_us = sqlite3_column_int64(st, 9);
	s->chat_capacity = sqlite3_column_int(st, 10);
	s->open_chats = sqlite3_column_int(st, 11);
	s->last_assigned_at_us = sqlite3_column_int64(st, 12);
	s->subtype_id = sqlite3_column_int64(st, 13);
	s->subtype = tsunagu_sqlite_column_dup(st, 14);
	s->dnd = sqlite3_column_int(st, 15) != 0;
	int types = TSUNAGU_INQUIRY_BOTH;
	tsunagu_inquiry_types_parse((const char *)sqlite3_column_text(st, 16), &types);
	s->inquiry_types = types;
	s->call_capacity = sqlite3_column_int(st, 17);
	s->chats_during_call = sqlite3_column_int(st, 18) != 0;
	s->missed_offers = sqlite3_column_int(st, 19);
	s->open_phone = sqlite3_column_int(st, 20);
	s->on_call = sqlite3_column_int(st, 21) != 0;
	s->in_acw = sqlite3_column_int(st, 22) != 0;
	return s;
}

int tsunagu_sqlite_staff_create(void *be, const char *login, const char *display_name,
				const char *email, tsunagu_role role, const char *password_hash,
				int64_t *id_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_STAFF_INSERT);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, display_name, -1, SQLITE_STATIC);
	tsunagu_sqlite_bind_text(st, 3, email);
	sqlite3_bind_text(st, 4, tsunagu_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, password_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, tsunagu_sqlite_now_us());
	r = tsunagu_sqlite_run(sq, st, "creating staff");
	if (r == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(sq->db);
	if (r == -EEXIST && id_out)
		id_by_text(sq, SQL_STAFF_ID_BY_LOGIN, login, id_out, "looking up staff");
	return r;
}

static int staff_get_one(tsunagu_sqlite *sq, sqlite3_stmt *st, tsunagu_store_staff **out)
{
	int r = tsunagu_sqlite_step_row(sq, st, "reading staff");

	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*out = staff_from_row(st);
	tsunagu_sqlite_done(st);
	return 0;
}

int tsunagu_sqlite_staff_get(void *be, int64_t id, tsunagu_store_staff **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_STAFF_GET);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	return staff_get_one(sq, st, out);
}

int tsunagu_sqlite_staff_get_by_login(void *be, const char *login, tsunagu_store_staff **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_STAFF_GET_LOGIN);

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	return staff_get_one(sq, st, out);
}

static void *staff_row(sqlite3_stmt *st)
{
	return staff_from_row(st);
}

int tsunagu_sqlite_staff_list(void *be, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_STAFF_LIST);

	if (!st)
		return -EIO;
	return tsunagu_sqlite_rows(sq, st, staff_row,
				(GDestroyNotify)tsunagu_store_staff_free,
				"listing staff", out);
}

int tsunagu_sqlite_staff_count(void *be, int64_t *count)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_STAFF_COUNT);
	int r;

	if (!st)
		return -EIO;
	r = tsunagu_sqlite_step_row(sq, st, "counting staff");
	if (r <= 0)
		return r < 0 ? r : -EIO;
	*count = sqlite3_column_int64(st, 0);
	tsunagu_sqlite_done(st);
	return 0;
}

int tsunagu_sqlite_staff_update(void *be, int64_t id, const char *display_name,
				const char *email, tsunagu_role role, const char *password_hash,
				int disabled)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_STAFF_UPDATE);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	tsunagu_sqlite_bind_text(st, 2, display_name);
	tsunagu_sqlite_bind_text(st, 3, email);
	tsunagu_sqlite_bind_text(st, 4, role ? tsunagu_role_name(role) : NULL);
	tsunagu_sqlite_bind_text(st, 5, password_hash);
	if (disabled >= 0)
		sqlite3_bind_int(st, 6, disabled);
	r = tsunagu_sqlite_run(sq, st, "updating staff");
	if (r == 0 && sqlite3_changes(sq->db) == 0)
		r = -ENOENT;
	return r;
}

/* ---- sessions ------------------------------------------------------------------ */

int tsunagu_sqlite_session_create(void *be, const char *token_hash, int64_t staff_id,
				  const char *csrf_token, int64_t expires_at_us)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_SESSION_INSERT);

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, staff_id);
	sqlite3_bind_text(st, 3, csrf_token, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, tsunagu_sqlite_now_us());
	sqlite3_bind_int64(st, 5, expires_at_us);
	return tsunagu_sqlite_run(sq, st, "creating a session");
}

int tsunagu_sqlite_session_get(void *be, const char *token_hash, int64_t now_us,
			       tsunagu_store_session **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_SESSION_GET);
	tsunagu_store_session *s;
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_us);
	r = tsunagu_sqlite_step_row(sq, st, "reading a session");
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	s = g_new0(tsunagu_store_session, 1);
	s->token_hash = tsunagu_sqlite_column_dup(st, 0);
	s->staff_id = sqlite3_column_int64(st, 1);
	s->csrf_token = tsunagu_sqlite_column_dup(st, 2);
	s->created_at_us = sqlite3_column_int64(st, 3);
	s->expires_at_us = sqlite3_column_int64(st, 4);
	tsunagu_sqlite_done(st);
	*out = s;
	return 0;
}

static int delete_by(tsunagu_sqlite *sq, const char *sql, const char *text, int64_t id,
		     bool missing_is_error, const char *what)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, sql);
	int r;

	if (!st)
		return -EIO;
	if (text)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, id);
	r = tsunagu_sqlite_run(sq, st, what);
	if (r == 0 && missing_is_error && sqlite3_changes(sq->db) == 0)
		r = -ENOENT;
	return r;
}

int tsunagu_sqlite_session_delete(void *be, const char *token_hash)
{
	return delete_by(be, SQL_SESSION_DELETE, token_hash, 0, true, "deleting a session");
}

int tsunagu_sqlite_session_delete_for_staff(void *be, int64_t staff_id)
{
	return delete_by(be, SQL_SESSION_DELETE_STAFF, NULL, staff_id, false,
			 "deleting sessions of staff");
}

int tsunagu_sqlite_session_purge_expired(void *be, int64_t now_us)
{
	return delete_by(be, SQL_SESSION_PURGE, NULL, now_us, false, "purging sessions");
}

/* ---- teams ----------------------------------------------------------------------- */

int tsunagu_sqlite_team_create(void *be, const char *name, int64_t *id_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_TEAM_INSERT);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, tsunagu_sqlite_now_us());
	r = tsunagu_sqlite_run(sq, st, "creating a team");
	if (r == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(sq->db);
	if (r == -EEXIST && id_out)
		id_by_text(sq, SQL_TEAM_BY_NAME, name, id_out, "looking up a team");
	return r;
}

int tsunagu_sqlite_team_get_by_name(void *be, const char *name, int64_t *id_out)
{
	return id_by_text(be, SQL_TEAM_BY_NAME, name, id_out, "looking up a team");
}

static int team_member_change(tsunagu_sqlite *sq, const char *sql, int64_t team_id,
			      int64_t staff_id, const char *what)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, sql);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, team_id);
	sqlite3_bind_int64(st, 2, staff_id);
	return tsunagu_sqlite_run(sq, st, what);
}

int tsunagu_sqlite_team_add_member(void *be, int64_t team_id, int64_t staff_id)
{
	/* Idempotent; an unknown team or staff fails its foreign key: -ENOENT. */
	return team_member_change(be, SQL_TEAM_ADD, team_id, staff_id, "adding a team member");
}

int tsunagu_sqlite_team_remove_member(void *be, int64_t team_id, int64_t staff_id)
{
	tsunagu_sqlite *sq = be;
	int r = team_member_change(sq, SQL_TEAM_REMOVE, team_id, staff_id,
				   "removing a team member");

	if (r == 0 && sqlite3_changes(sq->db) == 0)
		r = -ENOENT;
	return r;
}

int tsunagu_sqlite_team_members(void *be, int64_t team_id, GArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_TEAM_EXISTS);
	GArray *ids;
	int rc, r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, team_id);
	r = tsunagu_sqlite_step_row(sq, st, "looking up a team");
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	tsunagu_sqlite_done(st);

	st = tsunagu_sqlite_stmt(sq, SQL_TEAM_MEMBERS);
	if (!st)
		return -EIO;
	ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	sqlite3_bind_int64(st, 1, team_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		g_array_append_val(ids, id);
	}
	r = 0;
	if (rc != SQLITE_DONE)
		r = tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(sq->db), "listing team members");
	tsunagu_sqlite_done(st);
	if (r < 0) {
		g_array_free(ids, TRUE);
		return r;
	}
	*out = ids;
	return 0;
}

static void *team_row(sqlite3_stmt *st)
{
	tsunagu_store_team *t = g_new0(tsunagu_store_team, 1);
	t->id = sqlite3_column_int64(st, 0);
	t->name = tsunagu_sqlite_column_dup(st, 1);
	return t;
}

int tsunagu_sqlite_team_list(void *be, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_TEAM_LIST);

	if (!st)
		return -EIO;
	return tsunagu_sqlite_rows(sq, st, team_row, (GDestroyNotify)tsunagu_store_team_free,
				   "listing teams", out);
}

int tsunagu_sqlite_team_name(void *be, int64_t team_id, char **name_out)
{
	return tsunagu_sqlite_text_of(be, SQL_TEAM_NAME, team_id, name_out,
				      "reading a team's name");
}

int tsunagu_sqlite_staff_login(void *be, int64_t staff_id, char **login_out)
{
	return tsunagu_sqlite_text_of(be, SQL_STAFF_LOGIN, staff_id, login_out,
				      "reading a login");
}
