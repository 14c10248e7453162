/* SQLite backend: a customer's history as a channel shows it to the
 * customer (the web widget): customer-visible kinds only, across every
 * conversation of the contact on that channel. */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

/* The kinds are spelled out in the statement, not passed in: no caller can
 * ever widen this to notes or drafts (CONV-3). */
#define HISTORY_FROM                                                                   \
	" FROM contact_identities i"                                                   \
	" JOIN conversations c ON c.contact_id = i.contact_id AND c.channel = i.channel" \
	" JOIN messages m ON m.conversation_id = c.id"                                 \
	" WHERE i.channel = ?1 AND i.external_id = ?2"                                 \
	" AND m.kind IN ('customer', 'operator', 'system')"
#define HISTORY_COLUMNS                                                                \
	"SELECT m.id, m.conversation_id, m.kind, coalesce(m.author_staff_id, 0), m.body," \
	" m.provider_message_id, m.created_at"

static const char SQL_AFTER[] = HISTORY_COLUMNS HISTORY_FROM " AND m.id > ?3 ORDER BY m.id LIMIT ?4";
static const char SQL_NEWEST[] = HISTORY_COLUMNS HISTORY_FROM " ORDER BY m.id DESC LIMIT ?4";

int tsunagu_sqlite_customer_history(void *be, const char *channel, const char *external_id,
				    int64_t after_id, unsigned limit, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, after_id > 0 ? SQL_AFTER : SQL_NEWEST);
	GPtrArray *list;
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, external_id, -1, SQLITE_STATIC);
	if (after_id > 0)
		sqlite3_bind_int64(st, 3, after_id);
	sqlite3_bind_int64(st, 4, limit);
	r = tsunagu_sqlite_rows(sq, st, tsunagu_sqlite_message_row,
				(GDestroyNotify)tsunagu_store_message_free,
				"reading a customer's history", &list);
	if (r < 0)
		return r;
	if (after_id <= 0) /* newest first from the statement: oldest first for the caller */
		for (guint i = 0, j = list->len ? list->len - 1 : 0; i < j; i++, j--) {
			void *t = list->pdata[i];
			list->pdata[i] = list->pdata[j];
			list->pdata[j] = t;
		}
	*out = list;
	return 0;
}
