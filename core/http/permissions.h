/* The one permission table: every API action, the least role that may do it
 * on anything, and the least role that may do it on what it owns (its own
 * account, a conversation it takes part in). Handlers ask here and nowhere
 * else; tests/unit/http/test_permissions.c checks the whole matrix.
 * Thread: any (the table is constant).
 */
#pragma once

#include <stdbool.h>

#include "store.h"

/* No role: nobody may do it this way. */
#define TSUNAGU_ROLE_NONE 0

typedef struct {
	const char *action;    /* "staff.create" */
	int any_role;          /* least role allowed on anything (TSUNAGU_ROLE_NONE: nobody) */
	int own_role;          /* least role allowed on what it owns (NONE: ownership grants nothing) */
	bool public_action;    /* no session needed (login, health) */
	const char *doc;
} tsunagu_permission;

/* The table, ended by an entry whose action is NULL. */
const tsunagu_permission *tsunagu_permissions(void);
/* The entry of action, NULL for an unknown action. */
const tsunagu_permission *tsunagu_permission_find(const char *action);
/* 0 when role may do action (is_owner: on something it owns), -EACCES when
 * not, -ENOENT for an unknown action (a programming error: refused). */
int tsunagu_permission_check(const char *action, tsunagu_role role, bool is_owner);
/* The least role that may do action at all (own or any), or NONE. */
int tsunagu_permission_min_role(const char *action);
