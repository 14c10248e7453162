/* The permission matrix: every action of core/http/permissions.c against
 * every role, with and without ownership, compared with the expected
 * matrix written out here (the spec of OP-1 as this issue needs it). */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "permissions.h"

/* For each action: who may act on something not their own, and on their
 * own, as three characters for operator, supervisor, admin
 * ('-' refused). "pub" marks public actions (no session). */
static const struct {
	const char *action;
	const char *other;
	const char *own;
} expected[] = {
	{ "health.read", "pub", "pub" },
	{ "auth.login", "pub", "pub" },
	{ "auth.logout", "OSA", "OSA" },
	{ "auth.me", "OSA", "OSA" },
	{ "staff.list", "-SA", "-SA" },
	{ "staff.read", "-SA", "OSA" },
	{ "staff.create", "--A", "--A" },
	{ "staff.update", "--A", "OSA" },
	{ "staff.set_role", "--A", "--A" },
	{ "staff.disable", "--A", "--A" },
	{ "teams.list", "OSA", "OSA" },
	{ "teams.create", "--A", "--A" },
	{ "teams.members", "-SA", "-SA" },
	{ "keywords.list", "OSA", "OSA" },
	{ "keywords.define", "--A", "--A" },
	{ "keywords.delete", "--A", "--A" },
	{ "conversations.list", "OSA", "OSA" },
	{ "conversations.read", "OSA", "OSA" },
	{ "conversations.join", "OSA", "OSA" },
	{ "conversations.note", "OSA", "OSA" },
	{ "conversations.reply", "---", "OSA" },
	{ "conversations.assign", "-SA", "-SA" },
	{ "conversations.close", "-SA", "OSA" },
	{ "conversations.snooze", "-SA", "OSA" },
	{ "conversations.reopen", "-SA", "OSA" },
	{ "status.list", "-SA", "-SA" },
	{ "status.read", "-SA", "OSA" },
	{ "status.set", "-SA", "OSA" },
	{ "status.dnd", "---", "OSA" },
	{ "staff.set_capacity", "-SA", "-SA" },
	{ "subtypes.list", "OSA", "OSA" },
	{ "subtypes.manage", "--A", "--A" },
	{ "rules.status", "-SA", "-SA" },
	{ "rules.reload", "--A", "--A" },
	{ "rules.manage", "--A", "--A" },
	{ "rules.dry_run", "--A", "--A" },
	{ "events.read", "OSA", "OSA" },
	{ "reports.status_time", "-SA", "OSA" },
	{ "calls.list", "OSA", "OSA" },
	{ "calls.answer", "OSA", "OSA" },
	{ "calls.reject", "OSA", "OSA" },
	{ "calls.hangup", "-SA", "OSA" },
	{ "calls.callback", "OSA", "OSA" },
	{ "calls.settings", "--A", "--A" },
	{ "reports.calls", "-SA", "OSA" },
	{ "guidance.read", "--A", "--A" },
	{ "guidance.manage", "--A", "--A" },
};

static const tsunagu_role roles[] = { TSUNAGU_ROLE_OPERATOR, TSUNAGU_ROLE_SUPERVISOR,
				      TSUNAGU_ROLE_ADMIN };

static void test_matrix(void)
{
	unsigned checked = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(expected); i++) {
		const tsunagu_permission *p = tsunagu_permission_find(expected[i].action);
		g_assert_nonnull(p);
		bool pub = strcmp(expected[i].other, "pub") == 0;
		g_assert_cmpint(p->public_action, ==, pub);
		for (int owner = 0; owner < 2; owner++) {
			const char *row = owner ? expected[i].own : expected[i].other;
			for (size_t r = 0; r < G_N_ELEMENTS(roles); r++) {
				bool want = pub || row[r] != '-';
				int got = tsunagu_permission_check(expected[i].action, roles[r], owner);
				if ((got == 0) != want)
					g_error("%s role %d owner %d: expected %s, got %d",
						expected[i].action, roles[r], owner,
						want ? "allowed" : "refused", got);
				if (!want)
					g_assert_cmpint(got, ==, -EACCES);
				checked++;
			}
		}
	}
	g_assert_cmpuint(checked, ==, G_N_ELEMENTS(expected) * 6);
}

/* The table has no action the expected matrix does not know, and the other
 * way round: a new action must be added here deliberately. */
static void test_table_complete(void)
{
	unsigned n = 0;
	for (const tsunagu_permission *p = tsunagu_permissions(); p->action; p++, n++) {
		bool found = false;
		for (size_t i = 0; i < G_N_ELEMENTS(expected); i++)
			found |= strcmp(expected[i].action, p->action) == 0;
		if (!found)
			g_error("action %s is not in the expected matrix", p->action);
		g_assert_nonnull(p->doc);
	}
	g_assert_cmpuint(n, ==, G_N_ELEMENTS(expected));
}

/* Properties of any sane table: a higher role never loses a right, and
 * ownership never takes one away. */
static void test_monotonic(void)
{
	for (const tsunagu_permission *p = tsunagu_permissions(); p->action; p++) {
		for (int owner = 0; owner < 2; owner++)
			for (size_t r = 0; r + 1 < G_N_ELEMENTS(roles); r++)
				if (tsunagu_permission_check(p->action, roles[r], owner) == 0)
					g_assert_cmpint(tsunagu_permission_check(p->action,
										 roles[r + 1], owner),
							==, 0);
		for (size_t r = 0; r < G_N_ELEMENTS(roles); r++)
			if (tsunagu_permission_check(p->action, roles[r], false) == 0)
				g_assert_cmpint(tsunagu_permission_check(p->action, roles[r], true),
						==, 0);
	}
}

static void test_unknown_and_no_role(void)
{
	g_assert_cmpint(tsunagu_permission_check("nope.nothing", TSUNAGU_ROLE_ADMIN, true), ==,
			-ENOENT);
	g_assert_null(tsunagu_permission_find(NULL));
	/* no session (role 0): only public actions */
	for (const tsunagu_permission *p = tsunagu_permissions(); p->action; p++)
		g_assert_cmpint(tsunagu_permission_check(p->action, 0, true) == 0, ==,
				p->public_action);
	g_assert_cmpint(tsunagu_permission_min_role("staff.update"), ==, TSUNAGU_ROLE_OPERATOR);
	g_assert_cmpint(tsunagu_permission_min_role("staff.create"), ==, TSUNAGU_ROLE_ADMIN);
	g_assert_cmpint(tsunagu_permission_min_role("conversations.reply"), ==,
			TSUNAGU_ROLE_OPERATOR);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/http/permissions/matrix", test_matrix);
	g_test_add_func("/http/permissions/complete", test_table_complete);
	g_test_add_func("/http/permissions/monotonic", test_monotonic);
	g_test_add_func("/http/permissions/unknown", test_unknown_and_no_role);
	return g_test_run();
}
