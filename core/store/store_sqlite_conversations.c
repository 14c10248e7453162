/* SQLite backend: conversations, their participants and tags. */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

#define CONV_COLUMNS TSUNAGU_SQLITE_CONV_COLUMNS("")
#define CONV_ORDER " ORDER BY updated_at DESC, id DESC LIMIT ?3"

#define INSERT                                                                              \
	"INSERT INTO conversations (public_id, channel, contact_id, state, created_at, updated_at," \
	" waiting_since) VALUES (?1, ?2, ?3, 'waiting', ?4, ?4, ?4)"
static const char SQL_INSERT[] = INSERT;
static const char SQL_GET[] = "SELECT " CONV_COLUMNS " FROM conversations WHERE id = ?1";
static const char SQL_GET_PUBLIC[] =
	"SELECT " CONV_COLUMNS " FROM conversations WHERE public_id = ?1";
static const char SQL_FIND_ACTIVE[] =
	"SELECT id FROM conversations WHERE contact_id = ?1 AND channel = ?2"
	" AND state <> 'closed' ORDER BY id DESC LIMIT 1";
/* The identity's contact and SQL_FIND_ACTIVE's conversation in one
 * statement: the inbound message path ran the three reads apart. */
static const char SQL_OF_IDENTITY[] =
	"SELECT i.contact_id, " TSUNAGU_SQLITE_CONV_COLUMNS("c.")
	" FROM contact_identities i LEFT JOIN conversations c ON c.id ="
	" (SELECT a.id FROM conversations a WHERE a.contact_id = i.contact_id"
	"  AND a.channel = ?1 AND a.state <> 'closed' ORDER BY a.id DESC LIMIT 1)"
	" WHERE i.channel = ?1 AND i.external_id = ?2";
/* The contact's count (migration 15), less ?2 when it is theirs: one row
 * whoever asks, 0 for an unknown contact. */
static const char SQL_COUNT_FOR_CONTACT[] =
	"SELECT coalesce((SELECT conversations FROM contact_counts WHERE contact_id = ?1), 0)"
	" - EXISTS (SELECT 1 FROM conversations WHERE id = ?2 AND contact_id = ?1)";

/* One statement per filter shape, so that each can use its index:
 * [state any | given][assignee any | given | none]. ?1 state, ?2 assignee. */
static const char SQL_LIST_ANY_ANY[] = "SELECT " CONV_COLUMNS " FROM conversations" CONV_ORDER;
static const char SQL_LIST_ANY_ONE[] =
	"SELECT " CONV_COLUMNS " FROM conversations WHERE assignee_id = ?2" CONV_ORDER;
static const char SQL_LIST_ANY_NONE[] =
	"SELECT " CONV_COLUMNS " FROM conversations WHERE assignee_id IS NULL" CONV_ORDER;
static const char SQL_LIST_ST_ANY[] =
	"SELECT " CONV_COLUMNS " FROM conversations WHERE state = ?1" CONV_ORDER;
static const char SQL_LIST_ST_ONE[] =
	"SELECT " CONV_COLUMNS " FROM conversations WHERE state = ?1 AND assignee_id = ?2" CONV_ORDER;
static const char SQL_LIST_ST_NONE[] =
	"SELECT " CONV_COLUMNS " FROM conversations WHERE state = ?1 AND assignee_id IS NULL"
	CONV_ORDER;

/* The columns a state change writes: ?2 state, ?3 the time. */
#define SET_STATE                                                                         \
	" state = ?2, updated_at = ?3,"                                                    \
	" closed_at = CASE WHEN ?2 = 'closed' THEN coalesce(closed_at, ?3) ELSE NULL END," \
	" waiting_since = CASE WHEN ?2 = 'waiting' THEN coalesce(waiting_since, ?3) ELSE NULL END"
#define SET_ASSIGNEE " assignee_id = ?4, team_id = CASE WHEN ?5 THEN team_id ELSE ?6 END"
static const char SQL_SET_STATE[] = "UPDATE conversations SET" SET_STATE " WHERE id = ?1";
/* Apart from SQL_ASSIGN_STATE: naming state in an UPDATE runs the
 * waiting_admits trigger, whether the state changes or not. */
static const char SQL_ASSIGN[] =
	"UPDATE conversations SET updated_at = ?3," SET_ASSIGNEE " WHERE id = ?1";
/* One write where the router assigned and opened in two (issue 5): the
 * row, its indexes and the triggers on conversations ran twice a call. */
static const char SQL_ASSIGN_STATE[] =
	"UPDATE conversations SET" SET_STATE "," SET_ASSIGNEE " WHERE id = ?1";
static const char SQL_SET_CATEGORY[] =
	"UPDATE conversations SET category = ?2, updated_at = ?3 WHERE id = ?1";
static const char SQL_TAG_ADD[] =
	"INSERT INTO conversation_tags (conversation_id, tag) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
static const char SQL_TAG_REMOVE[] =
	"DELETE FROM conversation_tags WHERE conversation_id = ?1 AND tag = ?2";
static const char SQL_TAGS[] =
	"SELECT tag FROM conversation_tags WHERE conversation_id = ?1 ORDER BY tag";
static const char SQL_PARTICIPANT_ADD[] =
	"INSERT INTO participants (conversation_id, staff_id, role, joined_at)"
	" VALUES (?1, ?2, ?3, ?4)"
	" ON CONFLICT (conversation_id, staff_id) DO UPDATE SET role = excluded.role";
static const char SQL_PARTICIPANT_IS[] =
	"SELECT 1 FROM participants WHERE conversation_id = ?1 AND staff_id = ?2";

tsunagu_store_conversation *tsunagu_sqlite_conversation_from_row(sqlite3_stmt *st, int first)
{
	tsunagu_store_conversation *c = g_new0(tsunagu_store_conversation, 1);
	int i = first;

	c->id = sqlite3_column_int64(st, i);
	c->public_id = tsunagu_sqlite_column_dup(st, i + 1);
	c->channel = tsunagu_sqlite_column_dup(st, i + 2);
	c->contact_id = sqlite3_column_int64(st, i + 3);
	if (tsunagu_conv_state_parse((const char *)sqlite3_column_text(st, i + 4), &c->state) < 0)
		c->state = TSUNAGU_CONV_WAITING; /* unreachable: the CHECK constraint */
	c->assignee_id = sqlite3_column_int64(st, i + 5);
	c->team_id = sqlite3_column_int64(st, i + 6);
	c->category = tsunagu_sqlite_column_dup(st, i + 7);
	c->memo = tsunagu_sqlite_column_dup(st, i + 8);
	c->created_at_us = sqlite3_column_int64(st, i + 9);
	c->updated_at_us = sqlite3_column_int64(st, i + 10);
	c->last_customer_message_at_us = sqlite3_column_int64(st, i + 11);
	c->last_operator_message_at_us = sqlite3_column_int64(st, i + 12);
	c->closed_at_us = sqlite3_column_int64(st, i + 13);
	c->visitor_json = tsunagu_sqlite_column_dup(st, i + 14);
	c->waiting_since_us = sqlite3_column_int64(st, i + 15);
	c->route_json = tsunagu_sqlite_column_dup(st, i + 16);
	return c;
}

/* Runs st and requires it to have changed a row: -ENOENT otherwise. */
static int run_changed(tsunagu_sqlite *sq, sqlite3_stmt *st, const char *what)
{
	int r = tsunagu_sqlite_run(sq, st, what);

	if (r == 0 && sqlite3_changes(sq->db) == 0)
		r = -ENOENT;
	return r;
}

static int conv_get_one(tsunagu_sqlite *sq, sqlite3_stmt *st, tsunagu_store_conversation **out)
{
	int r = tsunagu_sqlite_step_row(sq, st, "reading a conversation");

	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*out = tsunagu_sqlite_conversation_from_row(st, 0);
	tsunagu_sqlite_done(st);
	return 0;
}

int tsunagu_sqlite_conversation_create(void *be, const char *channel, int64_t contact_id,
				       int64_t *id_out, tsunagu_store_conversation **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st;
	char public_id[33];
	int r;

	int64_t now = tsunagu_sqlite_now_us();
	tsunagu_store_conversation *c;

	r = tsunagu_sqlite_random_public_id(public_id);
	if (r < 0)
		return r;
	st = tsunagu_sqlite_stmt(sq, SQL_INSERT);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, public_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, channel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, contact_id);
	sqlite3_bind_int64(st, 4, now);
	/* An unknown contact fails the foreign key: -ENOENT. */
	r = tsunagu_sqlite_run(sq, st, "creating a conversation");
	if (r < 0)
		return r;
	if (id_out)
		*id_out = sqlite3_last_insert_rowid(sq->db);
	if (!out)
		return 0;
	/* The row as SQL_INSERT wrote it (no default or trigger changes a new
	 * conversation's own columns), built here: RETURNING would have
	 * materialised it in a temporary table at every call (issue 5). */
	c = g_new0(tsunagu_store_conversation, 1);
	c->id = sqlite3_last_insert_rowid(sq->db);
	c->public_id = g_strdup(public_id);
	c->channel = g_strdup(channel);
	c->contact_id = contact_id;
	c->state = TSUNAGU_CONV_WAITING;
	c->created_at_us = now;
	c->updated_at_us = now;
	c->waiting_since_us = now;
	*out = c;
	return 0;
}

int tsunagu_sqlite_conversation_get(void *be, int64_t id, tsunagu_store_conversation **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_GET);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	return conv_get_one(sq, st, out);
}

int tsunagu_sqlite_conversation_get_by_public_id(void *be, const char *public_id,
						 tsunagu_store_conversation **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_GET_PUBLIC);

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, public_id, -1, SQLITE_STATIC);
	return conv_get_one(sq, st, out);
}

int tsunagu_sqlite_conversation_find_active(void *be, int64_t contact_id, const char *channel,
					    int64_t *id_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_FIND_ACTIVE);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, contact_id);
	sqlite3_bind_text(st, 2, channel, -1, SQLITE_STATIC);
	r = tsunagu_sqlite_step_row(sq, st, "finding the active conversation");
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*id_out = sqlite3_column_int64(st, 0);
	tsunagu_sqlite_done(st);
	return 0;
}

int tsunagu_sqlite_conversation_of_identity(void *be, const char *channel,
					    const char *external_id, int64_t *contact_id,
					    tsunagu_store_conversation **conv_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_OF_IDENTITY);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, external_id, -1, SQLITE_STATIC);
	r = tsunagu_sqlite_step_row(sq, st, "looking up an identity and its conversation");
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*contact_id = sqlite3_column_int64(st, 0);
	if (sqlite3_column_type(st, 1) != SQLITE_NULL)
		*conv_out = tsunagu_sqlite_conversation_from_row(st, 1);
	tsunagu_sqlite_done(st);
	return 0;
}

int tsunagu_sqlite_contact_conversation_count(void *be, int64_t contact_id,
					      int64_t exclude_conversation_id, int64_t *count)
{
	return tsunagu_sqlite_int64_of(be, SQL_COUNT_FOR_CONTACT, contact_id,
				       exclude_conversation_id, count, -EIO,
				       "counting conversations");
}

int tsunagu_sqlite_conversation_list(void *be, tsunagu_conv_state state, int64_t assignee_id,
				     unsigned limit, GPtrArray **out)
{
	static const char *const variants[2][3] = {
		{ SQL_LIST_ANY_ANY, SQL_LIST_ANY_ONE, SQL_LIST_ANY_NONE },
		{ SQL_LIST_ST_ANY, SQL_LIST_ST_ONE, SQL_LIST_ST_NONE },
	};
	tsunagu_sqlite *sq = be;
	int who = assignee_id > 0 ? 1 : assignee_id < 0 ? 2 : 0;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, variants[state != 0][who]);

	if (!st)
		return -EIO;
	if (state != 0)
		sqlite3_bind_text(st, 1, tsunagu_conv_state_name(state), -1, SQLITE_STATIC);
	if (assignee_id > 0)
		sqlite3_bind_int64(st, 2, assignee_id);
	sqlite3_bind_int64(st, 3, limit);
	return tsunagu_sqlite_rows(sq, st, tsunagu_sqlite_conversation_row,
				(GDestroyNotify)tsunagu_store_conversation_free,
				"listing conversations", out);
}

int tsunagu_sqlite_conversation_set_state(void *be, int64_t id, tsunagu_conv_state s)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_SET_STATE);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, tsunagu_conv_state_name(s), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, tsunagu_sqlite_now_us());
	return run_changed(sq, st, "changing a conversation's state");
}

int tsunagu_sqlite_conversation_assign(void *be, int64_t id, int64_t assignee_id,
				       int64_t team_id, tsunagu_conv_state state)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, state ? SQL_ASSIGN_STATE : SQL_ASSIGN);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	if (state)
		sqlite3_bind_text(st, 2, tsunagu_conv_state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, tsunagu_sqlite_now_us());
	if (assignee_id > 0)
		sqlite3_bind_int64(st, 4, assignee_id);
	sqlite3_bind_int(st, 5, team_id < 0);
	if (team_id > 0)
		sqlite3_bind_int64(st, 6, team_id);
	/* Unknown staff or team fail their foreign keys: -ENOENT as well. */
	return run_changed(sq, st, "assigning a conversation");
}

int tsunagu_sqlite_conversation_set_category(void *be, int64_t id, const char *category)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_SET_CATEGORY);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	tsunagu_sqlite_bind_text(st, 2, category);
	sqlite3_bind_int64(st, 3, tsunagu_sqlite_now_us());
	return run_changed(sq, st, "setting a category");
}

int tsunagu_sqlite_conversation_tag(void *be, int64_t id, const char *tag, bool on)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, on ? SQL_TAG_ADD : SQL_TAG_REMOVE);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
	return tsunagu_sqlite_run(sq, st, "tagging a conversation");
}

int tsunagu_sqlite_conversation_tags(void *be, int64_t id, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_TAGS);
	GPtrArray *list;
	int rc, r = 0;

	if (!st)
		return -EIO;
	list = g_ptr_array_new_with_free_func(g_free);
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(list, tsunagu_sqlite_column_dup(st, 0));
	if (rc != SQLITE_DONE)
		r = tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(sq->db), "reading tags");
	tsunagu_sqlite_done(st);
	if (r < 0) {
		g_ptr_array_unref(list);
		return r;
	}
	*out = list;
	return 0;
}

int tsunagu_sqlite_participant_add(void *be, int64_t conversation_id, int64_t staff_id,
				   const char *role)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_PARTICIPANT_ADD);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, conversation_id);
	sqlite3_bind_int64(st, 2, staff_id);
	sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, tsunagu_sqlite_now_us());
	/* A role other than participant/follower fails the CHECK: -EINVAL. */
	return tsunagu_sqlite_run(sq, st, "adding a participant");
}

int tsunagu_sqlite_participant_is(void *be, int64_t conversation_id, int64_t staff_id,
				  bool *out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_PARTICIPANT_IS);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, conversation_id);
	sqlite3_bind_int64(st, 2, staff_id);
	r = tsunagu_sqlite_step_row(sq, st, "checking a participant");
	if (r < 0)
		return r;
	if (r == 1)
		tsunagu_sqlite_done(st);
	*out = r == 1;
	return 0;
}

static const char SQL_SET_VISITOR[] =
	"UPDATE conversations SET visitor = ?2, updated_at = ?3 WHERE id = ?1";

int tsunagu_sqlite_conversation_set_visitor(void *be, int64_t id, const char *visitor_json)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_SET_VISITOR);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	tsunagu_sqlite_bind_text(st, 2, visitor_json);
	sqlite3_bind_int64(st, 3, tsunagu_sqlite_now_us());
	r = tsunagu_sqlite_run(sq, st, "setting a conversation's visitor");
	if (r == 0 && sqlite3_changes(sq->db) == 0)
		r = -ENOENT;
	return r;
}

void *tsunagu_sqlite_conversation_row(sqlite3_stmt *st)
{
	return tsunagu_sqlite_conversation_from_row(st, 0);
}
