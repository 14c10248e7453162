/* SQLite backend: the conversation lists of the inbox (CONV-7), each row with
 * its contact's name, its assignee and its last customer-visible message. */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

/* ?1 staff (mine), ?2 channel or NULL, ?3 limit. The last message is found
 * through messages_conversation (conversation_id, id) walking back over
 * notes and drafts. */
#define ITEM_SELECT_FROM(from)                                                            \
	"SELECT " TSUNAGU_SQLITE_CONV_COLUMNS("c.") ", ct.name, s.login, s.display_name,"  \
	" m.kind, substr(m.body, 1, 200), m.created_at"                                    \
	" FROM " from                                                                      \
	" LEFT JOIN contacts ct ON ct.id = c.contact_id"                                   \
	" LEFT JOIN staff s ON s.id = c.assignee_id"                                       \
	" LEFT JOIN messages m ON m.id = (SELECT mm.id FROM messages mm"                   \
	"  WHERE mm.conversation_id = c.id AND mm.kind IN ('customer', 'operator', 'system')" \
	"  ORDER BY mm.id DESC LIMIT 1)"                                                   \
	" WHERE (?2 IS NULL OR c.channel = ?2) AND "
#define ITEM_SELECT ITEM_SELECT_FROM("conversations c")
/* NULLs sort first in SQLite, so last in DESC: conversations without a
 * customer message come after the others. */
#define ORDER_RECENT " ORDER BY c.last_customer_message_at DESC, c.id DESC LIMIT ?3"

static const char SQL_ALL[] = ITEM_SELECT "1" ORDER_RECENT;
static const char SQL_MINE[] =
	ITEM_SELECT "c.assignee_id = ?1 AND c.state <> 'closed'" ORDER_RECENT;
/* INDEXED BY: the partial index is in waiting order (no sort of the list) */
static const char SQL_WAITING[] =
	ITEM_SELECT_FROM("conversations c INDEXED BY conversations_waiting")
	"c.state = 'waiting' ORDER BY c.waiting_since, c.id LIMIT ?3";
static const char SQL_UNREPLIED[] =
	ITEM_SELECT "c.state <> 'closed' AND m.kind = 'customer'" ORDER_RECENT;
static const char SQL_REPLIED[] =
	ITEM_SELECT "c.state <> 'closed' AND (m.kind IS NULL OR m.kind <> 'customer')" ORDER_RECENT;
static const char SQL_SNOOZED[] = ITEM_SELECT "c.state = 'snoozed'" ORDER_RECENT;
static const char SQL_CLOSED[] = ITEM_SELECT "c.state = 'closed'" ORDER_RECENT;

static const char *const view_sql[] = {
	[TSUNAGU_VIEW_ALL] = SQL_ALL,		[TSUNAGU_VIEW_MINE] = SQL_MINE,
	[TSUNAGU_VIEW_WAITING] = SQL_WAITING,	[TSUNAGU_VIEW_UNREPLIED] = SQL_UNREPLIED,
	[TSUNAGU_VIEW_REPLIED] = SQL_REPLIED,	[TSUNAGU_VIEW_SNOOZED] = SQL_SNOOZED,
	[TSUNAGU_VIEW_CLOSED] = SQL_CLOSED,
};

static tsunagu_store_conversation_item *item_from_row(sqlite3_stmt *st)
{
	tsunagu_store_conversation_item *it = g_new0(tsunagu_store_conversation_item, 1);
	int i = TSUNAGU_SQLITE_CONV_NCOLUMNS;

	it->conv = tsunagu_sqlite_conversation_from_row(st, 0);
	it->contact_name = tsunagu_sqlite_column_dup(st, i);
	it->assignee_login = tsunagu_sqlite_column_dup(st, i + 1);
	it->assignee_display_name = tsunagu_sqlite_column_dup(st, i + 2);
	if (sqlite3_column_type(st, i + 3) != SQLITE_NULL) {
		tsunagu_msg_kind kind = 0;
		if (tsunagu_msg_kind_parse((const char *)sqlite3_column_text(st, i + 3), &kind) == 0)
			it->last_kind = kind;
		it->last_text = tsunagu_sqlite_column_dup(st, i + 4);
		it->last_at_us = sqlite3_column_int64(st, i + 5);
	}
	it->unreplied = it->last_kind == TSUNAGU_MSG_CUSTOMER;
	return it;
}

static void *item_row(sqlite3_stmt *st)
{
	return item_from_row(st);
}

int tsunagu_sqlite_conversation_list_view(void *be, tsunagu_conv_view view, int64_t staff_id,
					  const char *channel, unsigned limit, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st;

	if ((int)view <= 0 || (size_t)view >= G_N_ELEMENTS(view_sql))
		return -EINVAL;
	st = tsunagu_sqlite_stmt(sq, view_sql[view]);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, staff_id);
	tsunagu_sqlite_bind_text(st, 2, channel);
	sqlite3_bind_int64(st, 3, limit);
	return tsunagu_sqlite_rows(sq, st, item_row,
				(GDestroyNotify)tsunagu_store_conversation_item_free,
				"listing conversations by view", out);
}
