/* Values crossing the sandbox wall: the conversation JSON becomes a deeply
 * read-only Lua view, and host-made data tables (targets, actions) become
 * JSON again. */
#include "rules_internal.h"

#include <string.h>

/* ---- JSON -> read-only view ---------------------------------------------- */

static bool missing(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return !v || json_is_null(v);
}

/* Whether o is already what the defaults would make of it, so that it can
 * be shared instead of copied (the domain's views usually are). */
static bool complete(json_t *o, const char *const *keys)
{
	if (!json_is_object(o))
		return false;
	for (; *keys; keys++)
		if (missing(o, *keys))
			return false;
	return true;
}

static const char *const contact_keys[] = { "tags", "attributes", "past_conversations", NULL };
static const char *const visitor_keys[] = { "utm", NULL };
static const char *const root_keys[] = { "call", "tags", NULL };

static json_t *object_with_defaults(json_t *parent, const char *key,
				    const char *const *keys)
{
	json_t *o = json_object_get(parent, key);
	if (complete(o, keys))
		return NULL;
	o = json_is_object(o) ? json_copy(o) : json_object();
	json_object_set_new(parent, key, o);
	return o;
}

static void default_member(json_t *o, const char *key, json_t *value)
{
	if (missing(o, key))
		json_object_set_new(o, key, value);
	else
		json_decref(value);
}

/* Copies only what gets a default: every view of a rule call is prepared
 * here, and most of them lack nothing but `call`. */
json_t *rules_view_prepare(json_t *conversation)
{
	if (json_is_object(conversation) && complete(conversation, root_keys) &&
	    complete(json_object_get(conversation, "contact"), contact_keys) &&
	    complete(json_object_get(conversation, "visitor"), visitor_keys))
		return json_incref(conversation);
	json_t *c = json_is_object(conversation) ? json_copy(conversation) : json_object();
	json_t *contact = object_with_defaults(c, "contact", contact_keys);
	if (contact) {
		default_member(contact, "tags", json_object());
		default_member(contact, "attributes", json_object());
		default_member(contact, "past_conversations", json_integer(0));
	}
	json_t *visitor = object_with_defaults(c, "visitor", visitor_keys);
	if (visitor)
		default_member(visitor, "utm", json_object());
	default_member(c, "call", json_object());
	default_member(c, "tags", json_object());
	return c;
}

static void push_json(lua_State *L, json_t *j, int depth, bool as_set)
{
	luaL_checkstack(L, 6, "conversation view nested too deeply");
	if (depth > RULES_MAX_VIEW_DEPTH)
		luaL_error(L, "conversation view nested deeper than %d levels",
			   RULES_MAX_VIEW_DEPTH);
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *value;
		lua_createtable(L, 0, (int)json_object_size(j));
		json_object_foreach(j, key, value) {
			push_json(L, value, depth + 1, strcmp(key, "tags") == 0);
			lua_setfield(L, -2, key);
		}
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *value;
		lua_createtable(L, as_set ? 0 : (int)json_array_size(j),
				as_set ? (int)json_array_size(j) : 0);
		json_array_foreach(j, i, value) {
			if (as_set && json_is_string(value)) {
				lua_pushboolean(L, 1);
				lua_setfield(L, -2, json_string_value(value));
			} else if (!as_set) {
				push_json(L, value, depth + 1, false);
				lua_rawseti(L, -2, (lua_Integer)i + 1);
			}
		}
		break;
	}
	case JSON_STRING:
		lua_pushlstring(L, json_string_value(j), json_string_length(j));
		return;
	case JSON_INTEGER:
		lua_pushinteger(L, (lua_Integer)json_integer_value(j));
		return;
	case JSON_REAL:
		lua_pushnumber(L, json_real_value(j));
		return;
	case JSON_TRUE:
		lua_pushboolean(L, 1);
		return;
	case JSON_FALSE:
		lua_pushboolean(L, 0);
		return;
	case JSON_NULL:
	default:
		lua_pushnil(L);
		return;
	}
	rules_push_readonly(L, -1);
	lua_remove(L, -2);
}

void rules_view_push(lua_State *L, json_t *json)
{
	push_json(L, json, 0, false);
}

/* ---- host data -> JSON ------------------------------------------------------ */

static json_t *scalar_to_json(lua_State *L, int idx)
{
	switch (lua_type(L, idx)) {
	case LUA_TSTRING: {
		size_t len;
		const char *s = lua_tolstring(L, idx, &len);
		return json_stringn(s, len); /* NULL when not UTF-8: dropped */
	}
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			return json_integer((json_int_t)lua_tointeger(L, idx));
		return json_real(lua_tonumber(L, idx));
	case LUA_TBOOLEAN:
		return json_boolean(lua_toboolean(L, idx));
	default:
		return NULL;
	}
}

json_t *rules_data_to_json(lua_State *L, int idx, int depth)
{
	if (lua_type(L, idx) != LUA_TTABLE)
		return scalar_to_json(L, idx);
	if (depth > RULES_MAX_VIEW_DEPTH || !lua_checkstack(L, 4))
		return json_null();
	idx = lua_absindex(L, idx);
	if (rules_is_list(L, idx)) {
		json_t *a = json_array();
		lua_Unsigned n = lua_rawlen(L, idx);
		for (lua_Unsigned i = 1; i <= n; i++) {
			lua_rawgeti(L, idx, (lua_Integer)i);
			json_t *v = rules_data_to_json(L, -1, depth + 1);
			lua_pop(L, 1);
			if (v)
				json_array_append_new(a, v);
		}
		return a;
	}
	json_t *o = json_object();
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		/* Only string keys: lua_tolstring on a number would change the
		 * key under lua_next's feet. */
		if (lua_type(L, -2) == LUA_TSTRING) {
			json_t *v = rules_data_to_json(L, -1, depth + 1);
			if (v)
				json_object_set_new(o, lua_tostring(L, -2), v);
		}
		lua_pop(L, 1);
	}
	return o;
}

/* ---- rule values -> host data ------------------------------------------------ */

const char *rules_check_text(lua_State *L, int idx, const char *what)
{
	size_t len;
	if (lua_type(L, idx) != LUA_TSTRING)
		luaL_error(L, "%s must be a string (got %s)", what, luaL_typename(L, idx));
	const char *s = lua_tolstring(L, idx, &len);
	if (!g_utf8_validate_len(s, len, NULL))
		luaL_error(L, "%s is not valid UTF-8 text", what);
	return s;
}

void rules_copy_plain(lua_State *L, int idx, int depth, const char *what)
{
	luaL_checkstack(L, 6, "value nested too deeply");
	idx = lua_absindex(L, idx);
	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		rules_check_text(L, idx, what);
		/* fallthrough */
	case LUA_TNUMBER:
	case LUA_TBOOLEAN:
		lua_pushvalue(L, idx);
		return;
	case LUA_TTABLE:
		break;
	default:
		luaL_error(L, "%s: a %s cannot be sent as data", what, luaL_typename(L, idx));
	}
	if (depth > 8)
		luaL_error(L, "%s is nested too deeply", what);
	if (rules_genuine_data(L, idx)) { /* a target inside data: its plain form */
		rules_copy_plain(L, -1, depth + 1, what);
		lua_remove(L, -2);
		return;
	}
	lua_Unsigned n = lua_rawlen(L, idx);
	lua_newtable(L);
	int out = lua_gettop(L);
	lua_Unsigned count = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		count++;
		int kt = lua_type(L, -2);
		if (kt == LUA_TSTRING) {
			rules_check_text(L, -2, what);
			rules_copy_plain(L, -1, depth + 1, what);
			lua_pushvalue(L, -3);
			lua_insert(L, -2);
			lua_rawset(L, out);
		} else if (kt == LUA_TNUMBER && lua_isinteger(L, -2)) {
			rules_copy_plain(L, -1, depth + 1, what);
			lua_rawseti(L, out, lua_tointeger(L, -3));
		} else {
			luaL_error(L, "%s: keys must be strings or list positions", what);
		}
		lua_pop(L, 1);
	}
	if (n > 0 && count == n)
		rules_mark_list(L);
	else if (n > 0)
		luaL_error(L, "%s mixes a list with named fields", what);
}

static int push_view_protected(lua_State *L)
{
	json_t *prepared = lua_touserdata(L, 1);
	rules_view_push(L, prepared);
	return 1;
}

int rules_push_view(rules_file *f, json_t *prepared, int line, char **err)
{
	lua_settop(f->L, 0);
	lua_pushcfunction(f->L, push_view_protected);
	lua_pushlightuserdata(f->L, prepared);
	return rules_call(f, 1, 1, line, err);
}
