/* The values rules build: targets (team "x", operators {...}, ...), actions
 * (tag "x", assign(...), send {...}, ...) and workflow steps (ask {...}).
 * Each is a read-only proxy over a host-made data table, registered as
 * genuine so that a rule cannot pass a look-alike of its own. */
#include "rules_internal.h"

#include <string.h>

/* Raises on a key of the option table at idx that is not in allowed (a
 * typo such as `fallbak` must not pass silently). Raw: no metamethods. */
void rules_check_fields(lua_State *L, int idx, const char *what, const char *const *allowed)
{
	idx = lua_absindex(L, idx);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "%s: unexpected %s key", what, luaL_typename(L, -1));
		const char *key = lua_tostring(L, -1);
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok)
			luaL_error(L, "%s: unknown field '%s'", what, key);
	}
}

int rules_raw_field(lua_State *L, int idx, const char *key)
{
	idx = lua_absindex(L, idx);
	lua_pushstring(L, key);
	return lua_rawget(L, idx);
}

/* New data table {field = value} on top. */
static int new_data(lua_State *L, const char *field, const char *value)
{
	lua_newtable(L);
	lua_pushstring(L, value);
	lua_setfield(L, -2, field);
	return lua_gettop(L);
}

/* Replaces the data table on top with its genuine proxy. */
static int finish(lua_State *L)
{
	rules_push_genuine(L, -1);
	lua_remove(L, -2);
	return 1;
}

/* Pushes the data of the target at idx; raises when it is not a target. */
static void push_target_data(lua_State *L, int idx, const char *what)
{
	if (rules_genuine_data(L, idx)) {
		if (rules_raw_field(L, -1, "kind") == LUA_TSTRING) {
			lua_pop(L, 1);
			return;
		}
		lua_pop(L, 2);
	}
	luaL_error(L, "%s must be a target: all_available(), team \"name\", operators {...}, "
		      "last_operator {...}, crm_owner {...} or nobody() (got %s)",
		   what, luaL_typename(L, idx));
}

void rules_values_push_target_data(lua_State *L, int idx, const char *what)
{
	push_target_data(L, idx, what);
}

static const char *check_name(lua_State *L, int idx, const char *what)
{
	const char *s = rules_check_text(L, idx, what);
	if (!*s)
		luaL_error(L, "%s must not be empty", what);
	return s;
}

/* ---- targets ---------------------------------------------------------------- */

static int l_all_available(lua_State *L)
{
	new_data(L, "kind", "all_available");
	return finish(L);
}

static int l_nobody(lua_State *L)
{
	new_data(L, "kind", "nobody");
	return finish(L);
}

static int l_team(lua_State *L)
{
	check_name(L, 1, "team: the team name");
	int d = new_data(L, "kind", "team");
	lua_pushvalue(L, 1);
	lua_setfield(L, d, "name");
	return finish(L);
}

static int l_operators(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	int d = new_data(L, "kind", "operators");
	lua_newtable(L);
	rules_mark_list(L);
	int ops = lua_gettop(L);
	lua_newtable(L);
	rules_mark_list(L);
	int teams = lua_gettop(L);
	lua_Unsigned n = lua_rawlen(L, 1);
	if (n == 0)
		return luaL_error(L, "operators: give at least one operator login or team");
	for (lua_Unsigned i = 1; i <= n; i++) {
		lua_rawgeti(L, 1, (lua_Integer)i);
		if (lua_type(L, -1) == LUA_TSTRING) {
			check_name(L, -1, "operators: an operator login");
			lua_rawseti(L, ops, (lua_Integer)lua_rawlen(L, ops) + 1);
			continue;
		}
		push_target_data(L, -1, "operators: each entry");
		if (rules_raw_field(L, -1, "kind") != LUA_TSTRING ||
		    strcmp(lua_tostring(L, -1), "team") != 0)
			return luaL_error(L, "operators: entries are logins or team \"name\"");
		lua_pop(L, 1);
		rules_raw_field(L, -1, "name");
		lua_rawseti(L, teams, (lua_Integer)lua_rawlen(L, teams) + 1);
		lua_pop(L, 2);
	}
	/* any other key (operators { "a", x = 1 }) is a mistake */
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		lua_pop(L, 1);
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
		    (lua_Unsigned)lua_tointeger(L, -1) > n)
			return luaL_error(L, "operators: expected a list of logins and teams");
	}
	lua_pushvalue(L, teams);
	lua_setfield(L, d, "teams");
	lua_pushvalue(L, ops);
	lua_setfield(L, d, "operators");
	lua_settop(L, d);
	return finish(L);
}

/* Optional fallback in an option table: a target, default all_available. */
static void set_fallback(lua_State *L, int opts, int d, const char *what)
{
	if (opts && rules_raw_field(L, opts, "fallback") != LUA_TNIL) {
		push_target_data(L, -1, what);
		lua_setfield(L, d, "fallback");
		lua_pop(L, 1);
		return;
	}
	if (opts)
		lua_pop(L, 1);
	new_data(L, "kind", "all_available");
	lua_setfield(L, d, "fallback");
}

static int l_last_operator(lua_State *L)
{
	static const char *const allowed[] = {"fallback", NULL};
	int opts = 0;
	if (!lua_isnoneornil(L, 1)) {
		luaL_checktype(L, 1, LUA_TTABLE);
		rules_check_fields(L, 1, "last_operator", allowed);
		opts = 1;
	}
	int d = new_data(L, "kind", "last_operator");
	set_fallback(L, opts, d, "last_operator: fallback");
	return finish(L);
}

static int l_crm_owner(lua_State *L)
{
	static const char *const allowed[] = {"attribute", "fallback", NULL};
	int opts = 0;
	if (!lua_isnoneornil(L, 1)) {
		luaL_checktype(L, 1, LUA_TTABLE);
		rules_check_fields(L, 1, "crm_owner", allowed);
		opts = 1;
	}
	int d = new_data(L, "kind", "crm_owner");
	if (opts && rules_raw_field(L, opts, "attribute") != LUA_TNIL)
		check_name(L, -1, "crm_owner: attribute");
	else {
		if (opts)
			lua_pop(L, 1);
		lua_pushliteral(L, "owner");
	}
	lua_setfield(L, d, "attribute");
	set_fallback(L, opts, d, "crm_owner: fallback");
	return finish(L);
}

/* ---- actions ------------------------------------------------------------------ */

static int one_string_action(lua_State *L, const char *action, const char *field)
{
	char what[64];
	g_snprintf(what, sizeof what, "%s: the %s", action, field);
	check_name(L, 1, what);
	int d = new_data(L, "action", action);
	lua_pushvalue(L, 1);
	lua_setfield(L, d, field);
	return finish(L);
}

static int l_tag(lua_State *L)
{
	return one_string_action(L, "tag", "tag");
}

static int l_untag(lua_State *L)
{
	return one_string_action(L, "untag", "tag");
}

static int l_set_category(lua_State *L)
{
	return one_string_action(L, "set_category", "category");
}

static int l_play(lua_State *L)
{
	return one_string_action(L, "play", "guidance");
}

static int l_close(lua_State *L)
{
	new_data(L, "action", "close");
	return finish(L);
}

static int l_close_request(lua_State *L)
{
	new_data(L, "action", "close_request");
	return finish(L);
}

static int l_set_attribute(lua_State *L)
{
	check_name(L, 1, "set_attribute: the attribute name");
	int t = lua_type(L, 2);
	if (t == LUA_TSTRING)
		rules_check_text(L, 2, "set_attribute: the value");
	else if (t != LUA_TNUMBER && t != LUA_TBOOLEAN && t != LUA_TNIL)
		return luaL_error(L, "set_attribute: the value must be a string, number, boolean "
				     "or nil (got %s)", luaL_typename(L, 2));
	int d = new_data(L, "action", "set_attribute");
	lua_pushvalue(L, 1);
	lua_setfield(L, d, "key");
	lua_pushvalue(L, 2);
	lua_setfield(L, d, "value");
	return finish(L);
}

static int l_snooze(lua_State *L)
{
	int64_t ms = rules_check_duration(L, 1, "snooze");
	int d = new_data(L, "action", "snooze");
	lua_pushvalue(L, 1);
	lua_setfield(L, d, "duration");
	lua_pushinteger(L, ms / 1000);
	lua_setfield(L, d, "seconds");
	return finish(L);
}

/* Copies { exclude = login | {logins} } at opts (nil: nothing) into the
 * action data d as a list of logins. */
static void copy_exclude(lua_State *L, int opts, int d, const char *what)
{
	static const char *const allowed[] = {"exclude", NULL};
	if (lua_isnil(L, opts))
		return;
	luaL_checktype(L, opts, LUA_TTABLE);
	rules_check_fields(L, opts, what, allowed);
	lua_newtable(L);
	rules_mark_list(L);
	int ex = lua_gettop(L);
	int t = rules_raw_field(L, opts, "exclude");
	if (t == LUA_TSTRING) {
		lua_rawseti(L, ex, 1);
	} else if (t == LUA_TTABLE) {
		lua_Unsigned n = lua_rawlen(L, -1);
		for (lua_Unsigned i = 1; i <= n && i <= 1000; i++) {
			lua_rawgeti(L, -1, (lua_Integer)i);
			check_name(L, -1, what);
			lua_rawseti(L, ex, (lua_Integer)i);
		}
		lua_pop(L, 1);
	} else if (t != LUA_TNIL) {
		luaL_error(L, "%s: exclude must be a login or a list of logins", what);
	} else {
		lua_pop(L, 1);
	}
	lua_setfield(L, d, "exclude");
}

/* assign(target [, { exclude = login | {logins} }]); a bare login string is
 * the target operators { login }. */
static int l_assign(lua_State *L)
{
	lua_settop(L, 2);
	int d = new_data(L, "action", "assign");
	if (lua_type(L, 1) == LUA_TSTRING) {
		lua_pushcfunction(L, l_operators);
		lua_createtable(L, 1, 0);
		lua_pushvalue(L, 1);
		lua_rawseti(L, -2, 1);
		lua_call(L, 1, 1);
		lua_replace(L, 1);
	}
	push_target_data(L, 1, "assign: the target");
	lua_setfield(L, d, "target");
	copy_exclude(L, 2, d, "assign");
	lua_settop(L, d);
	return finish(L);
}

/* reassign([{ exclude = login | {logins} }]): assign again through the
 * conversation's own route, never to its current assignee. */
static int l_reassign(lua_State *L)
{
	lua_settop(L, 1);
	int d = new_data(L, "action", "reassign");
	copy_exclude(L, 1, d, "reassign");
	lua_settop(L, d);
	return finish(L);
}

/* Copies the string fields of the option table at 1 into data d. */
static void copy_text_fields(lua_State *L, int d, const char *what,
			     const char *const *fields, const char *required)
{
	for (const char *const *k = fields; *k; k++) {
		char label[96];
		g_snprintf(label, sizeof label, "%s: %s", what, *k);
		if (rules_raw_field(L, 1, *k) == LUA_TNIL) {
			lua_pop(L, 1);
			if (required && strcmp(required, *k) == 0)
				luaL_error(L, "%s: '%s' is required", what, *k);
			continue;
		}
		rules_check_text(L, -1, label);
		lua_setfield(L, d, *k);
	}
}

static int l_send(lua_State *L)
{
	static const char *const allowed[] = {"channel", "to", "text", NULL};
	luaL_checktype(L, 1, LUA_TTABLE);
	rules_check_fields(L, 1, "send", allowed);
	int d = new_data(L, "action", "send");
	copy_text_fields(L, d, "send", allowed, "text");
	return finish(L);
}

static int l_webhook(lua_State *L)
{
	static const char *const allowed[] = {"url", "body", "method", NULL};
	static const char *const text_fields[] = {"url", "method", NULL};
	luaL_checktype(L, 1, LUA_TTABLE);
	rules_check_fields(L, 1, "webhook", allowed);
	int d = new_data(L, "action", "webhook");
	copy_text_fields(L, d, "webhook", text_fields, "url");
	lua_getfield(L, d, "url");
	const char *url = lua_tostring(L, -1);
	if (!g_str_has_prefix(url, "https://") && !g_str_has_prefix(url, "http://"))
		return luaL_error(L, "webhook: url must start with https:// or http://");
	lua_pop(L, 1);
	if (rules_raw_field(L, 1, "body") != LUA_TNIL) {
		rules_copy_plain(L, -1, 0, "webhook: body");
		lua_setfield(L, d, "body");
	}
	lua_settop(L, d);
	return finish(L);
}

/* ---- workflow steps ----------------------------------------------------------- */

static int l_ask(lua_State *L)
{
	static const char *const allowed[] = {"text", "timeout", NULL};
	luaL_checktype(L, 1, LUA_TTABLE);
	rules_check_fields(L, 1, "ask", allowed);
	int d = new_data(L, "step", "ask");
	static const char *const text_only[] = {"text", NULL};
	copy_text_fields(L, d, "ask", text_only, "text");
	if (rules_raw_field(L, 1, "timeout") != LUA_TNIL) {
		rules_check_duration(L, -1, "ask: timeout");
		lua_setfield(L, d, "timeout");
	} else {
		lua_pop(L, 1);
	}
	return finish(L);
}

void rules_values_register(lua_State *L, int api)
{
	static const luaL_Reg fns[] = {
		{"all_available", l_all_available},
		{"team", l_team},
		{"operators", l_operators},
		{"last_operator", l_last_operator},
		{"crm_owner", l_crm_owner},
		{"nobody", l_nobody},
		{"send", l_send},
		{"tag", l_tag},
		{"untag", l_untag},
		{"set_category", l_set_category},
		{"set_attribute", l_set_attribute},
		{"assign", l_assign},
		{"reassign", l_reassign},
		{"snooze", l_snooze},
		{"close_request", l_close_request},
		{"close", l_close},
		{"play", l_play},
		{"webhook", l_webhook},
		{"ask", l_ask},
		{NULL, NULL},
	};
	lua_pushvalue(L, api);
	luaL_setfuncs(L, fns, 0);
	lua_pop(L, 1);
}
