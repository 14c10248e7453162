/* The permission table of the API (OP-1: operator < supervisor < admin). */
#include "permissions.h"

#include <errno.h>
#include <string.h>

#define OP TSUNAGU_ROLE_OPERATOR
#define SUP TSUNAGU_ROLE_SUPERVISOR
#define ADM TSUNAGU_ROLE_ADMIN
#define NONE TSUNAGU_ROLE_NONE

static const tsunagu_permission table[] = {
	{ "health.read", NONE, NONE, true, "GET /healthz, /readyz" },
	{ "auth.login", NONE, NONE, true, "log in" },
	{ "auth.logout", OP, NONE, false, "log out (own session)" },
	{ "auth.me", OP, NONE, false, "who am I" },
	{ "staff.list", SUP, NONE, false, "list staff accounts" },
	{ "staff.read", SUP, OP, false, "one staff account (own: anyone)" },
	{ "staff.create", ADM, NONE, false, "create a staff account" },
	{ "staff.update", ADM, OP, false, "display name, email, password (own: anyone)" },
	{ "staff.set_role", ADM, NONE, false, "change a role (never one's own)" },
	{ "staff.disable", ADM, NONE, false, "disable an account" },
	{ "teams.list", OP, NONE, false, "list teams and members" },
	{ "teams.create", ADM, NONE, false, "create a team" },
	{ "teams.members", SUP, NONE, false, "add or remove team members" },
	{ "keywords.list", OP, NONE, false, "list master keywords (ADM-4)" },
	{ "keywords.define", ADM, NONE, false, "define a master keyword" },
	{ "keywords.delete", ADM, NONE, false, "delete a master keyword" },
	{ "conversations.list", OP, NONE, false, "list conversations" },
	{ "conversations.read", OP, NONE, false, "one conversation, its tags and messages" },
	{ "conversations.join", OP, NONE, false, "join a conversation (CONV-2)" },
	{ "conversations.note", OP, NONE, false, "write an internal note (CONV-3)" },
	/* CONV-2: writing to the customer needs having joined, whatever the role */
	{ "conversations.reply", NONE, OP, false, "write to the customer (participants)" },
	/* capacity routing (OP-2, OP-5): close/snooze/reopen by the assignee or a supervisor */
	{ "conversations.assign", SUP, NONE, false, "assign a conversation by hand" },
	{ "conversations.close", SUP, OP, false, "close a conversation (own: the assignee)" },
	{ "conversations.snooze", SUP, OP, false, "snooze a conversation (own: the assignee)" },
	{ "conversations.reopen", SUP, OP, false, "reopen a conversation (own: the assignee)" },
	{ "status.list", SUP, NONE, false, "every operator's status and load" },
	{ "status.read", SUP, OP, false, "a status and load (own: anyone)" },
	{ "status.set", SUP, OP, false, "change a status (own: anyone; others: audited)" },
	{ "status.dnd", NONE, OP, false, "one's own do-not-disturb (notifications only)" },
	{ "staff.set_capacity", SUP, NONE, false,
	  "chat and call capacity, inquiry types, chats during a call (seed 000)" },
	{ "subtypes.list", OP, NONE, false, "the status sub-types (the status menu)" },
	{ "subtypes.manage", ADM, NONE, false, "create, rename, reorder, delete status sub-types" },
	{ "rules.status", SUP, NONE, false, "rules generation and state" },
	{ "rules.reload", ADM, NONE, false, "reload the Lua rules" },
	{ "rules.manage", ADM, NONE, false, "list, edit, validate the rule files" },
	{ "rules.dry_run", ADM, NONE, false, "dry-run rules against recent conversations" },
	{ "events.read", OP, NONE, false, "events page and the events WebSocket" },
	{ "reports.status_time", SUP, OP, false, "status-time report (OP-6; own: anyone)" },
	/* calls (TEL-1, TEL-4, TEL-10) */
	{ "calls.list", OP, NONE, false, "the waiting calls (queued, ringing, talking)" },
	{ "calls.answer", OP, NONE, false, "answer a waiting call: one's own phone rings (TEL-4)" },
	{ "calls.reject", OP, NONE, false, "reject a call: the next operator's phone rings" },
	{ "calls.hangup", SUP, OP, false, "hang up a call (own: the operator on it)" },
	{ "calls.callback", OP, NONE, false, "call a missed caller back (TEL-1)" },
	{ "calls.settings", ADM, NONE, false, "the call queue limit" },
	{ "reports.calls", SUP, OP, false, "call records and their CSV (TEL-10; own: anyone)" },
	{ "guidance.read", ADM, NONE, false, "voice guidance: list, preview, the sets (TEL-5)" },
	{ "guidance.manage", ADM, NONE, false, "voice guidance: upload, delete, change the sets" },
	{ NULL, NONE, NONE, false, NULL },
};

const tsunagu_permission *tsunagu_permissions(void)
{
	return table;
}

const tsunagu_permission *tsunagu_permission_find(const char *action)
{
	if (!action)
		return NULL;
	for (const tsunagu_permission *p = table; p->action; p++)
		if (strcmp(p->action, action) == 0)
			return p;
	return NULL;
}

int tsunagu_permission_check(const char *action, tsunagu_role role, bool is_owner)
{
	const tsunagu_permission *p = tsunagu_permission_find(action);

	if (!p)
		return -ENOENT;
	if (p->public_action)
		return 0;
	if (p->any_role != NONE && (int)role >= p->any_role)
		return 0;
	if (is_owner && p->own_role != NONE && (int)role >= p->own_role)
		return 0;
	return -EACCES;
}

int tsunagu_permission_min_role(const char *action)
{
	const tsunagu_permission *p = tsunagu_permission_find(action);

	if (!p)
		return NONE;
	if (p->any_role == NONE)
		return p->own_role;
	if (p->own_role == NONE)
		return p->any_role;
	return MIN(p->any_role, p->own_role);
}
