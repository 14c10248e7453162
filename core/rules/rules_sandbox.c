/* The sandbox of one rule file: a lua_State with a capped allocator, only
 * the allow-listed libraries behind read-only proxies, text-only `load`, and
 * the instruction/time hook that a tripped limit keeps raising from until the
 * call returns, so pcall inside a rule cannot swallow it. */
#define TSUNAGU_LOG_TOPIC "rules"
#include "log.h"
#include "rules_internal.h"

#include <errno.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

static const char genuine_key[] = "tsunagu.genuine";
static const char list_mt_key[] = "tsunagu.list";

/* ---- allocator ------------------------------------------------------------ */

/* Refuses growth past the file's cap; Lua then collects garbage, retries,
 * and raises "not enough memory" inside the rule, never in the process. */
static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	rules_file *f = ud;
	if (!ptr)
		osize = 0;
	if (nsize == 0) {
		free(ptr);
		f->mem_used -= osize;
		return NULL;
	}
	if (nsize > osize && f->mem_used + (nsize - osize) > f->mem_limit) {
		f->mem_refused++;
		return NULL;
	}
	void *p = realloc(ptr, nsize);
	if (!p)
		return NULL;
	f->mem_used = f->mem_used - osize + nsize;
	return p;
}

static int on_panic(lua_State *L)
{
	/* Every entry into Lua is protected; reaching this is a host bug. */
	const char *msg = lua_tostring(L, -1);
	tlog_error("unprotected Lua error: %s", msg ? msg : "?");
	abort();
}

/* ---- limits ---------------------------------------------------------------- */

static void trip(rules_file *f, lua_State *L, lua_Debug *ar, rules_trip why)
{
	f->tripped = why;
	const char *src = "?";
	int line = 0;
	if (lua_getinfo(L, "Sl", ar)) {
		src = strcmp(ar->short_src, f->chunk) == 0 ? f->src : ar->short_src;
		line = ar->currentline;
	}
	if (why == RULES_TRIP_INSTRUCTIONS)
		g_snprintf(f->trip_msg, sizeof f->trip_msg,
			   "%s:%d: instruction limit exceeded (%" G_GUINT64_FORMAT " instructions)",
			   src, line, f->instr_limit);
	else
		g_snprintf(f->trip_msg, sizeof f->trip_msg,
			   "%s:%d: time limit exceeded (%" G_GINT64_FORMAT " ms)", src, line,
			   f->time_limit_us / 1000);
}

static void count_hook(lua_State *L, lua_Debug *ar);

void rules_arm_limits(rules_file *f)
{
	lua_sethook(f->L, count_hook, LUA_MASKCOUNT, RULES_HOOK_COUNT);
}

static void arm_every_instruction(lua_State *L)
{
	lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
	rules_file *f = rules_file_of(L);
	if (f->tripped == RULES_TRIP_NONE) {
		f->instr_used += RULES_HOOK_COUNT;
		if (f->instr_used > f->instr_limit)
			trip(f, L, ar, RULES_TRIP_INSTRUCTIONS);
		else if (g_get_monotonic_time() > f->deadline_us)
			trip(f, L, ar, RULES_TRIP_TIME);
		else
			return;
		/* From now on every instruction raises again: a pcall in the
		 * rule can catch one error, but the very next instruction of
		 * its caller raises, and so on up to our own lua_pcall. */
		arm_every_instruction(L);
	}
	lua_pushstring(L, f->trip_msg);
	lua_error(L);
}

/* The message handler: turns any error value into "file:line: message"
 * without running a single metamethod of it (hostile __tostring, __index). */
static int message_handler(lua_State *L)
{
	rules_file *f = rules_file_of(L);
	if (f->tripped != RULES_TRIP_NONE) {
		lua_pushstring(L, f->trip_msg);
		return 1;
	}
	const char *msg;
	int t = lua_type(L, 1);
	if (t == LUA_TSTRING || t == LUA_TNUMBER)
		msg = lua_tostring(L, 1);
	else
		msg = lua_pushfstring(L, "error object is a %s value", lua_typename(L, t));
	size_t n = strlen(f->chunk);
	if (strncmp(msg, f->chunk, n) == 0 && msg[n] == ':') {
		lua_pushfstring(L, "%s%s", f->src, msg + n);
		return 1;
	}
	/* Name the innermost line of this file on the stack. */
	lua_Debug ar;
	for (int level = 1; lua_getstack(L, level, &ar); level++) {
		if (!lua_getinfo(L, "Sl", &ar))
			break;
		if (ar.currentline > 0 && strcmp(ar.short_src, f->chunk) == 0) {
			lua_pushfstring(L, "%s:%d: %s", f->src, ar.currentline, msg);
			return 1;
		}
	}
	lua_pushstring(L, msg);
	return 1;
}

static char *format_failure(rules_file *f, int status, int line)
{
	lua_State *L = f->L;
	if (f->tripped != RULES_TRIP_NONE)
		return g_strdup(f->trip_msg);
	if (status == LUA_ERRMEM)
		return g_strdup_printf("%s:%d: memory limit exceeded (%zu bytes)", f->src, line,
				       f->mem_limit);
	const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	if (status == LUA_ERRERR || !msg)
		return g_strdup_printf("%s:%d: error in error handling", f->src, line);
	size_t n = strlen(f->src);
	if (strncmp(msg, f->src, n) == 0 && msg[n] == ':')
		return g_strdup(msg);
	n = strlen(f->chunk);
	if (strncmp(msg, f->chunk, n) == 0 && msg[n] == ':')
		return g_strconcat(f->src, msg + n, NULL);
	return g_strdup_printf("%s:%d: %s", f->src, line, msg);
}

int rules_call(rules_file *f, int nargs, int nres, int line, char **err)
{
	lua_State *L = f->L;
	int base = lua_gettop(L) - nargs;
	lua_pushcfunction(L, message_handler);
	lua_insert(L, base);
	f->instr_used = 0;
	f->mem_refused = 0;
	f->tripped = RULES_TRIP_NONE;
	/* Watched calls run without a hook until the watchdog arms it (a
	 * call still running after a tick): a hook slows every instruction.
	 * Their deadline is set then too (rules_watchdog.c), from the call's
	 * start. */
	bool watched = rules_watchdog_enter(f);
	if (!watched) {
		f->deadline_us = g_get_monotonic_time() + f->time_limit_us;
		rules_arm_limits(f);
	}
	int status = lua_pcall(L, nargs, nres, base);
	/* Leave first: a watchdog signal arriving after this arms nothing,
	 * and one that came before is undone by the next line. */
	rules_watchdog_leave(watched);
	lua_sethook(L, NULL, 0, 0);
	if (status == LUA_OK && f->tripped == RULES_TRIP_NONE) {
		lua_remove(L, base);
		return 0;
	}
	int ret = -EINVAL;
	if (f->tripped != RULES_TRIP_NONE)
		ret = -ETIMEDOUT;
	else if (status == LUA_ERRMEM || f->mem_refused)
		ret = -ENOMEM;
	if (err)
		*err = format_failure(f, status, line);
	lua_settop(L, base - 1);
	/* Whatever the failed call built is garbage now; give the next rule
	 * of this file its memory back. */
	lua_gc(L, LUA_GCCOLLECT);
	return ret;
}

int rules_protected(rules_file *f, lua_CFunction fn, void *ud, int nres, char **err)
{
	lua_pushcfunction(f->L, fn);
	lua_pushlightuserdata(f->L, ud);
	return rules_call(f, 1, nres, 0, err);
}

/* ---- read-only proxies ------------------------------------------------------ */

static int ro_newindex(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TSTRING)
		return luaL_error(L, "attempt to modify a read-only table (field '%s')",
				  lua_tostring(L, 2));
	return luaL_error(L, "attempt to modify a read-only table");
}

/* The data table behind a proxy: its metatable's __index, read raw. */
static void push_proxy_data(lua_State *L, int idx)
{
	if (!lua_getmetatable(L, idx)) {
		lua_newtable(L);
		return;
	}
	lua_pushliteral(L, "__index");
	lua_rawget(L, -2);
	lua_remove(L, -2);
}

static int ro_len(lua_State *L)
{
	push_proxy_data(L, 1);
	lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
	return 1;
}

static int ro_next(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 2);
	if (lua_next(L, 1))
		return 2;
	lua_pushnil(L);
	return 1;
}

static int ro_pairs(lua_State *L)
{
	lua_pushcfunction(L, ro_next);
	push_proxy_data(L, 1);
	lua_pushnil(L);
	return 3;
}

void rules_push_readonly(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);
	lua_newtable(L);                 /* the proxy: always empty */
	lua_createtable(L, 0, 5);        /* its metatable */
	lua_pushvalue(L, idx);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, ro_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, ro_len);
	lua_setfield(L, -2, "__len");
	lua_pushcfunction(L, ro_pairs);
	lua_setfield(L, -2, "__pairs");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
}

void rules_push_genuine(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);
	rules_push_readonly(L, idx);
	lua_getfield(L, LUA_REGISTRYINDEX, genuine_key);
	lua_pushvalue(L, -2);
	lua_pushvalue(L, idx);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

bool rules_genuine_data(lua_State *L, int idx)
{
	if (lua_type(L, idx) != LUA_TTABLE)
		return false;
	idx = lua_absindex(L, idx);
	/* The registry key was interned at state creation and is referenced by
	 * the registry itself, so looking it up allocates nothing. */
	lua_getfield(L, LUA_REGISTRYINDEX, genuine_key);
	lua_pushvalue(L, idx);
	lua_rawget(L, -2);
	lua_remove(L, -2);
	if (lua_type(L, -1) == LUA_TTABLE)
		return true;
	lua_pop(L, 1);
	return false;
}

void rules_mark_list(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, list_mt_key);
	lua_setmetatable(L, -2);
}

bool rules_is_list(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);
	if (!lua_getmetatable(L, idx))
		return false;
	lua_getfield(L, LUA_REGISTRYINDEX, list_mt_key);
	bool same = lua_rawequal(L, -1, -2);
	lua_pop(L, 2);
	return same;
}

/* ---- the replaced base functions -------------------------------------------- */

/* load(text [, name, mode, env]): text only, whatever mode says; the chunk
 * runs in the file's own _ENV unless env is given. */
static int sandbox_load(lua_State *L)
{
	size_t len;
	if (lua_type(L, 1) != LUA_TSTRING)
		return luaL_error(L, "load: only a text string can be loaded");
	const char *s = lua_tolstring(L, 1, &len);
	int has_env = !lua_isnone(L, 4);
	int status = luaL_loadbufferx(L, s, len, "=(load)", "t");
	if (status != LUA_OK) {
		luaL_pushfail(L);
		lua_insert(L, -2);
		return 2;
	}
	if (has_env)
		lua_pushvalue(L, 4);
	else
		lua_rawgeti(L, LUA_REGISTRYINDEX, rules_file_of(L)->env_ref);
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);
	return 1;
}

/* setmetatable without __gc: a finalizer would run rule code outside any
 * evaluation (during collection or lua_close), beyond the limits. */
static int sandbox_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "setmetatable: __gc is not allowed in rules");
		lua_pop(L, 1);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

/* Lua runs a message handler with hooks off when the error came from a
 * hook, so a looping handler after a tripped limit would never be stopped:
 * once tripped, the rule's handler is not called at all. */
static int xpcall_handler(lua_State *L)
{
	rules_file *f = rules_file_of(L);
	if (f->tripped != RULES_TRIP_NONE) {
		lua_pushstring(L, f->trip_msg);
		return 1;
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

static int sandbox_xpcall(lua_State *L)
{
	int nargs = lua_gettop(L) - 2;
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushvalue(L, 2);
	lua_pushcclosure(L, xpcall_handler, 1);
	lua_insert(L, 1);  /* handler, f, h, args */
	lua_remove(L, 3);  /* handler, f, args */
	int status = lua_pcall(L, nargs, LUA_MULTRET, 1);
	lua_pushboolean(L, status == LUA_OK);
	lua_replace(L, 1);
	return lua_gettop(L);
}

/* print(...): debug log lines, never stdout. */
static int sandbox_print(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	lua_Debug ar;
	int line = 0;
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar))
		line = ar.currentline;
	tlog_debug("%s:%d: print: %.1000s", rules_file_of(L)->src, line, lua_tostring(L, -1));
	return 0;
}

static int env_newindex(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TSTRING)
		return luaL_error(L, "cannot set global '%s': rule files cannot define globals "
				     "(use local)", lua_tostring(L, 2));
	return luaL_error(L, "cannot set a global: rule files cannot define globals (use local)");
}

static const char *const base_allowed[] = {
	"assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "rawequal",
	"rawget", "rawlen", "select", "tonumber", "tostring", "type", "_VERSION",
	NULL,
};

static const struct {
	const char *name;
	lua_CFunction open;
} libs[] = {
	{LUA_STRLIBNAME, luaopen_string},
	{LUA_TABLIBNAME, luaopen_table},
	{LUA_MATHLIBNAME, luaopen_math},
	{LUA_UTF8LIBNAME, luaopen_utf8},
};

static int open_sandbox(lua_State *L)
{
	rules_file *f = rules_file_of(L);
	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	lua_pop(L, 1);
	for (size_t i = 0; i < G_N_ELEMENTS(libs); i++) {
		luaL_requiref(L, libs[i].name, libs[i].open, 1);
		lua_pop(L, 1);
	}
	lua_pushglobaltable(L);
	int G = lua_gettop(L);

	/* No bytecode can leave the state either. */
	lua_getfield(L, G, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	/* Matching runs in C, out of the hook's reach: bound its cost. */
	rules_patterns_guard(L, -1);
	lua_pop(L, 1);
	/* getmetatable("") gives false: the string methods cannot be reached,
	 * let alone replaced. */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);

	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, list_mt_key);
	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, genuine_key);

	lua_newtable(L);
	int api = lua_gettop(L);
	for (const char *const *name = base_allowed; *name; name++) {
		lua_getfield(L, G, *name);
		lua_setfield(L, api, *name);
	}
	lua_getfield(L, G, "setmetatable");
	lua_pushcclosure(L, sandbox_setmetatable, 1);
	lua_setfield(L, api, "setmetatable");
	lua_pushcfunction(L, sandbox_load);
	lua_setfield(L, api, "load");
	lua_pushcfunction(L, sandbox_xpcall);
	lua_setfield(L, api, "xpcall");
	lua_pushcfunction(L, sandbox_print);
	lua_setfield(L, api, "print");
	for (size_t i = 0; i < G_N_ELEMENTS(libs); i++) {
		lua_getfield(L, G, libs[i].name);
		rules_push_readonly(L, -1);
		lua_setfield(L, api, libs[i].name);
		lua_pop(L, 1);
	}
	rules_dsl_register(L, api);
	rules_values_register(L, api);
	rules_hours_register(L, api);

	lua_newtable(L); /* the file's _ENV */
	lua_createtable(L, 0, 3);
	lua_pushvalue(L, api);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, env_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_pushvalue(L, -1);
	lua_setfield(L, api, LUA_GNAME);
	f->env_ref = luaL_ref(L, LUA_REGISTRYINDEX);

	/* Empty the real globals: nothing may reach them by accident. */
	lua_pushnil(L);
	while (lua_next(L, G)) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_pushnil(L);
		lua_rawset(L, G);
	}
	return 0;
}

rules_file *rules_file_new(rules_generation *gen, const char *path, bool short_name, char **err)
{
	rules_file *f = g_new0(rules_file, 1);
	f->gen = gen;
	f->path = g_strdup(path);
	f->env_ref = LUA_NOREF;
	f->mem_limit = gen->opts.memory_limit;
	f->instr_limit = gen->opts.instruction_limit;
	f->time_limit_us = gen->opts.time_limit_ms * 1000;

	/* Lua cuts a long chunk name short ("...h/route.lua"), so it gets the
	 * base name, and messages are renamed to the path the admin gave. */
	f->chunk = g_path_get_basename(path);
	f->src = g_strdup(short_name ? f->chunk : path);

	f->L = lua_newstate(capped_alloc, f);
	if (!f->L) {
		*err = g_strdup_printf("%s:0: memory limit too small for a rule state", f->src);
		goto fail;
	}
	*(rules_file **)lua_getextraspace(f->L) = f;
	lua_atpanic(f->L, on_panic);
	f->watchdog_ref = rules_watchdog_ref(f->time_limit_us) == 0;
	f->loading = false;
	if (rules_protected(f, open_sandbox, NULL, 0, NULL) < 0) {
		*err = g_strdup_printf("%s:0: memory limit (%zu bytes) too small for a rule state",
				       f->src, f->mem_limit);
		goto fail;
	}
	return f;
fail:
	rules_file_free(f);
	return NULL;
}

void rules_file_free(rules_file *f)
{
	if (!f)
		return;
	if (f->L)
		lua_close(f->L);
	if (f->watchdog_ref)
		rules_watchdog_unref(f->time_limit_us);
	g_free(f->pending_name);
	g_free(f->path);
	g_free(f->src);
	g_free(f->chunk);
	g_free(f);
}

int rules_file_load(rules_file *f, const char *text, size_t len, char **err)
{
	lua_State *L = f->L;
	char *chunkname = g_strconcat("@", f->chunk, NULL);
	f->mem_refused = 0;
	int status = luaL_loadbufferx(L, text, len, chunkname, "t");
	g_free(chunkname);
	if (status != LUA_OK) {
		const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		if (status == LUA_ERRMEM || !msg)
			*err = g_strdup_printf("%s:0: memory limit exceeded while compiling", f->src);
		else if (strncmp(msg, f->chunk, strlen(f->chunk)) == 0 &&
			 msg[strlen(f->chunk)] == ':')
			*err = g_strconcat(f->src, msg + strlen(f->chunk), NULL);
		else /* "attempt to load a binary chunk" has no position */
			*err = g_strdup_printf("%s:1: %s", f->src, msg);
		lua_settop(L, 0);
		return -EINVAL;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->env_ref);
	lua_setupvalue(L, -2, 1);
	f->loading = true;
	int ret = rules_call(f, 0, 0, 1, err);
	f->loading = false;
	if (ret == 0)
		ret = rules_dsl_finish(f, err);
	lua_settop(L, 0);
	return ret;
}
