/* SQLite backend: the router's index of waiting conversations by who their
 * route admits (waiting_admits, migration 7; its triggers keep it). */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

/* One seek into the primary key, then a walk in waiting-list order. */
static const char SQL_ADMITTED[] =
	"SELECT waiting_since, conversation_id FROM waiting_admits"
	" WHERE kind = ?1 AND ref = ?2 AND phone = ?3"
	" AND (waiting_since, conversation_id) > (?4, ?5)"
	" ORDER BY waiting_since, conversation_id LIMIT ?6";

/* TSUNAGU_ADMITS_ANY_FOR_STAFF: a seek per list; the compound stops at its
 * first row, so a list that holds something ends the read. CROSS JOIN
 * keeps the operator's teams outermost: left to itself the planner walks
 * every team entry of waiting_admits and looks each up in team_members. */
static const char SQL_ANY_FOR_STAFF[] =
	"SELECT waiting_since, conversation_id FROM waiting_admits"
	" WHERE kind = 'all' AND ref = 0 AND phone = ?2"
	" UNION ALL SELECT waiting_since, conversation_id FROM waiting_admits"
	" WHERE kind = 'staff' AND ref = ?1 AND phone = ?2"
	" UNION ALL SELECT w.waiting_since, w.conversation_id"
	" FROM team_members tm CROSS JOIN waiting_admits w"
	" ON w.kind = 'team' AND w.ref = tm.team_id AND w.phone = ?2"
	" WHERE tm.staff_id = ?1 LIMIT 1";

static const char *kind_name(tsunagu_admits_kind kind)
{
	switch (kind) {
	case TSUNAGU_ADMITS_ALL:
		return "all";
	case TSUNAGU_ADMITS_STAFF:
		return "staff";
	case TSUNAGU_ADMITS_TEAM:
		return "team";
	case TSUNAGU_ADMITS_ANY_FOR_STAFF:
		return "any";
	}
	return NULL;
}

int tsunagu_sqlite_waiting_admitted(void *be, tsunagu_admits_kind kind, int64_t ref, bool phone,
				    int64_t after_since, int64_t after_id, unsigned limit,
				    GArray **out)
{
	tsunagu_sqlite *sq = be;
	const char *name = kind_name(kind);
	sqlite3_stmt *st;
	GArray *list;
	int rc, r = 0;

	if (!name)
		return -EINVAL;
	if (kind == TSUNAGU_ADMITS_ANY_FOR_STAFF) {
		st = tsunagu_sqlite_stmt(sq, SQL_ANY_FOR_STAFF);
		if (!st)
			return -EIO;
		sqlite3_bind_int64(st, 1, ref);
		sqlite3_bind_int(st, 2, phone);
	} else {
		st = tsunagu_sqlite_stmt(sq, SQL_ADMITTED);
		if (!st)
			return -EIO;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, kind == TSUNAGU_ADMITS_ALL ? 0 : ref);
		sqlite3_bind_int(st, 3, phone);
		/* (0, 0): from the start, whatever the clock said */
		sqlite3_bind_int64(st, 4, after_since || after_id ? after_since : INT64_MIN);
		sqlite3_bind_int64(st, 5, after_id);
		sqlite3_bind_int64(st, 6, limit);
	}
	list = g_array_new(FALSE, FALSE, sizeof(tsunagu_store_waiting_pos));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		tsunagu_store_waiting_pos p = {
			.waiting_since_us = sqlite3_column_int64(st, 0),
			.conversation_id = sqlite3_column_int64(st, 1),
		};
		g_array_append_val(list, p);
	}
	if (rc != SQLITE_DONE)
		r = tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(sq->db),
					 "listing admitted waiting conversations");
	tsunagu_sqlite_done(st);
	if (r < 0) {
		g_array_unref(list);
		return r;
	}
	*out = list;
	return 0;
}
