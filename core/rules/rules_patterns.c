/* A cost guard for Lua's pattern functions. string.find/match/gmatch/gsub
 * run in C, where the instruction hook never fires, and a pattern with k
 * repetition items can take about n^(k+1) steps on a subject of n bytes —
 * and subjects are often customer text. So before matching, the worst case
 * is estimated and a call whose bound exceeds the budget is refused with an
 * error the admin can act on, instead of stalling the loop. */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <string.h>

#include "rules_internal.h"

/* Worst-case matcher steps allowed per call: with one repetition that is a
 * subject of ~4,400 bytes, with two ~270 bytes; a plain search any size. */
#define PATTERN_STEP_BUDGET 2e7

/* Repetition items (* + - ?) outside escapes and sets; -1 when the pattern
 * has no special character at all (then matching is a plain search). */
static int repetitions(const char *p, size_t len)
{
	int k = 0;
	bool special = false;
	for (size_t i = 0; i < len; i++) {
		switch (p[i]) {
		case '%':
			special = true;
			i++;
			break;
		case '[':
			special = true;
			i++;
			if (i < len && p[i] == '^')
				i++;
			if (i < len && p[i] == ']')
				i++;
			while (i < len && p[i] != ']') {
				if (p[i] == '%')
					i++;
				i++;
			}
			break;
		case '*':
		case '+':
		case '-':
		case '?':
			special = true;
			k++;
			break;
		case '^':
		case '$':
		case '(':
		case ')':
		case '.':
			special = true;
			break;
		default:
			break;
		}
	}
	return special ? k : -1;
}

static int guarded(lua_State *L)
{
	const char *name = lua_tostring(L, lua_upvalueindex(2));
	size_t n = 0, m = 0;
	/* Only strings (and numbers, which convert) are checked here; the real
	 * function reports wrong types itself. */
	if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER)
		luaL_tolstring(L, 1, &n), lua_pop(L, 1);
	const char *p = NULL;
	if (lua_type(L, 2) == LUA_TSTRING)
		p = lua_tolstring(L, 2, &m);
	bool plain = strcmp(name, "find") == 0 && lua_toboolean(L, 4);
	if (p && !plain) {
		int k = repetitions(p, m);
		double cost = k < 0 ? (double)n * (double)(m ? m : 1)
				    : pow((double)(n ? n : 1), k + 1) * (double)(m ? m : 1);
		if (cost > PATTERN_STEP_BUDGET)
			return luaL_error(L,
					  "string.%s: pattern with %d repetition%s is too costly on "
					  "a subject of %d bytes (shorten it with string.sub, or "
					  "simplify the pattern)",
					  name, k, k == 1 ? "" : "s", (int)n);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

void rules_patterns_guard(lua_State *L, int string_table)
{
	static const char *const names[] = {"find", "match", "gmatch", "gsub"};
	string_table = lua_absindex(L, string_table);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		lua_getfield(L, string_table, names[i]);
		lua_pushstring(L, names[i]);
		lua_pushcclosure(L, guarded, 2);
		lua_setfield(L, string_table, names[i]);
	}
}
