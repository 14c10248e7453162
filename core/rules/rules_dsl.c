/* The declarations of a rule file: route "name" { ... }, workflow "name"
 * { ... }, autoclose "name" { ... }. Each is checked when the file loads
 * (unknown fields, methods, events, malformed targets and durations are
 * errors at the declaration's file:line) and recorded in the generation in
 * file order. */
#include "config.h"
#include "rules_internal.h"

#include <errno.h>
#include <string.h>

static const char *const methods[] = {
	"longest_idle", "fewest_handled", "round_robin", "ring_all", NULL,
};

static const char *const events[] = {
	"conversation.created", "conversation.assigned", "conversation.closed",
	"message.customer", "message.operator", "call.incoming", "call.answered",
	"call.ended", "call.missed", "csat.given", "status.changed", NULL,
};

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

bool rules_known_event(const char *event)
{
	return event && in_list(events, event);
}

int64_t rules_check_duration(lua_State *L, int idx, const char *what)
{
	int64_t ms = 0;
	if (lua_type(L, idx) != LUA_TSTRING)
		luaL_error(L, "%s must be a duration string like \"90s\", \"10m\", \"24h\", \"7d\" "
			      "(got %s)", what, luaL_typename(L, idx));
	const char *s = lua_tostring(L, idx);
	if (!tsunagu_conf_parse_duration_ms(s, &ms) || ms <= 0)
		luaL_error(L, "%s: '%s' is not a duration (like \"90s\", \"10m\", \"24h\", \"7d\")",
			   what, s);
	return ms;
}

/* ---- the name "header" and its { body } ------------------------------------- */

static int header(lua_State *L, const char *kind, lua_CFunction body)
{
	rules_file *f = rules_file_of(L);
	if (!f->loading)
		return luaL_error(L, "%s: declarations belong at the top level of a rule file",
				  kind);
	if (lua_type(L, 1) != LUA_TSTRING)
		return luaL_error(L, "%s: expected a name: %s \"name\" { ... }", kind, kind);
	const char *name = rules_check_text(L, 1, "the rule name");
	if (!*name || strlen(name) > 200)
		return luaL_error(L, "%s: the name must have 1 to 200 bytes", kind);
	if (f->pending_name)
		return luaL_error(L, "the rule \"%s\" declared on line %d has no { ... } body",
				  f->pending_name, f->pending_line);
	lua_Debug ar;
	int line = 0;
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar))
		line = ar.currentline;
	lua_pushvalue(L, 1);
	lua_pushinteger(L, line);
	lua_pushcclosure(L, body, 2);
	f->pending_name = g_strdup(name);
	f->pending_line = line;
	return 1;
}

typedef struct {
	rules_file *f;
	const char *name;
	int line;
	char what[256];
} body_info;

static void body_begin(lua_State *L, const char *kind, body_info *b)
{
	b->f = rules_file_of(L);
	b->name = lua_tostring(L, lua_upvalueindex(1));
	b->line = (int)lua_tointeger(L, lua_upvalueindex(2));
	g_snprintf(b->what, sizeof b->what, "%s \"%s\"", kind, b->name);
	if (!b->f->loading)
		luaL_error(L, "%s: declarations belong at the top level of a rule file", b->what);
	g_clear_pointer(&b->f->pending_name, g_free);
	if (lua_type(L, 1) != LUA_TTABLE)
		luaL_error(L, "%s: expected a { ... } body (got %s)", b->what,
			   luaL_typename(L, 1));
	lua_settop(L, 1);
}

/* Pushes the optional function field; raises on another type. */
static bool function_field(lua_State *L, const char *key, const body_info *b)
{
	int t = rules_raw_field(L, 1, key);
	if (t == LUA_TNIL || t == LUA_TFUNCTION)
		return t == LUA_TFUNCTION;
	return luaL_error(L, "%s: '%s' must be a function (got %s)", b->what, key,
			  lua_typename(L, t));
}

static void check_unique(lua_State *L, GPtrArray *list, size_t name_offset, const body_info *b)
{
	for (unsigned i = 0; i < list->len; i++) {
		char *other = *(char **)((char *)list->pdata[i] + name_offset);
		if (strcmp(other, b->name) == 0)
			luaL_error(L, "%s: the name is already used", b->what);
	}
}

/* luaL_ref of the value on top if it is not nil (popped either way). */
static int ref_or_none(lua_State *L)
{
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return LUA_NOREF;
	}
	return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* ---- route -------------------------------------------------------------------- */

static int route_body(lua_State *L)
{
	static const char *const allowed[] = {"when", "to", "method", "enabled", NULL};
	body_info b;
	body_begin(L, "route", &b);
	rules_check_fields(L, 1, b.what, allowed);
	/* a disabled rule stays in the file, visible to whoever reads it */
	bool enabled = true;
	int et = rules_raw_field(L, 1, "enabled");
	if (et != LUA_TNIL && et != LUA_TBOOLEAN)
		return luaL_error(L, "%s: 'enabled' must be true or false (got %s)", b.what,
				  lua_typename(L, et));
	enabled = et == LUA_TNIL || lua_toboolean(L, -1);
	lua_pop(L, 1);
	function_field(L, "when", &b);                     /* 2 */
	int t = rules_raw_field(L, 1, "to");               /* 3 */
	int target_data = 0;
	if (t == LUA_TNIL)
		return luaL_error(L, "%s: 'to' is required (a target such as team \"x\")",
				  b.what);
	if (t != LUA_TFUNCTION) {
		char what[300];
		g_snprintf(what, sizeof what, "%s: 'to'", b.what);
		rules_values_push_target_data(L, 3, what); /* 4 */
		target_data = 4;
	}
	const char *method = "longest_idle";
	if (rules_raw_field(L, 1, "method") != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TSTRING || !in_list(methods, lua_tostring(L, -1)))
			return luaL_error(L, "%s: unknown method '%s' (expected longest_idle, "
					     "fewest_handled, round_robin or ring_all)",
					  b.what, lua_type(L, -1) == LUA_TSTRING ?
					  lua_tostring(L, -1) : luaL_typename(L, -1));
		method = lua_tostring(L, -1);
	}
	check_unique(L, b.f->gen->routes, G_STRUCT_OFFSET(rules_route, name), &b);

	lua_pushvalue(L, 2);
	int when_ref = ref_or_none(L);
	int to_ref = LUA_NOREF;
	if (!target_data) {
		lua_pushvalue(L, 3);
		to_ref = ref_or_none(L);
	}
	/* nothing below raises */
	rules_route *r = g_new0(rules_route, 1);
	r->file = b.f;
	r->name = g_strdup(b.name);
	r->line = b.line;
	r->when_ref = when_ref;
	r->to_ref = to_ref;
	r->target = target_data ? rules_data_to_json(L, target_data, 0) : NULL;
	r->method = g_strdup(method);
	r->enabled = enabled;
	g_ptr_array_add(b.f->gen->routes, r);
	return 0;
}

static int l_route(lua_State *L)
{
	return header(L, "route", route_body);
}

/* ---- workflow ----------------------------------------------------------------- */

static void check_event(lua_State *L, int idx, const body_info *b, const char *key)
{
	if (lua_type(L, idx) != LUA_TSTRING)
		luaL_error(L, "%s: '%s' must be an event name (got %s)", b->what, key,
			   luaL_typename(L, idx));
	if (!rules_known_event(lua_tostring(L, idx)))
		luaL_error(L, "%s: unknown event '%s' in '%s'", b->what, lua_tostring(L, idx),
			   key);
}

static int workflow_body(lua_State *L)
{
	static const char *const allowed[] = {"on", "when", "run", "steps", "after",
					      "cancel_on", NULL};
	body_info b;
	body_begin(L, "workflow", &b);
	rules_check_fields(L, 1, b.what, allowed);
	rules_raw_field(L, 1, "on");                      /* 2 */
	if (lua_isnil(L, 2))
		return luaL_error(L, "%s: 'on' is required (the event, e.g. \"message.customer\")",
				  b.what);
	check_event(L, 2, &b, "on");
	function_field(L, "when", &b);                    /* 3 */
	bool has_run = function_field(L, "run", &b);      /* 4 */
	int t = rules_raw_field(L, 1, "steps");           /* 5 */
	if (has_run == (t != LUA_TNIL))
		return luaL_error(L, "%s: give either 'run' or 'steps'", b.what);
	if (t != LUA_TNIL) {
		if (t != LUA_TTABLE || lua_rawlen(L, 5) == 0)
			return luaL_error(L, "%s: 'steps' must be a list of steps", b.what);
		for (lua_Unsigned i = 1; i <= lua_rawlen(L, 5); i++) {
			lua_rawgeti(L, 5, (lua_Integer)i);
			if (lua_type(L, -1) != LUA_TFUNCTION) {
				if (!rules_genuine_data(L, -1) ||
				    rules_raw_field(L, -1, "step") != LUA_TSTRING)
					return luaL_error(L, "%s: step %d must be ask { ... } or a "
							     "function", b.what, (int)i);
				lua_pop(L, 2);
			}
			lua_pop(L, 1);
		}
	}
	int64_t after_ms = 0;
	if (rules_raw_field(L, 1, "after") != LUA_TNIL) { /* 6 */
		char what[300];
		g_snprintf(what, sizeof what, "%s: 'after'", b.what);
		after_ms = rules_check_duration(L, 6, what);
	}
	int ct = rules_raw_field(L, 1, "cancel_on");      /* 7 */
	if (ct != LUA_TNIL && !after_ms)
		return luaL_error(L, "%s: 'cancel_on' needs 'after' (there is nothing to cancel)",
				  b.what);
	if (ct == LUA_TSTRING) {
		check_event(L, 7, &b, "cancel_on");
	} else if (ct == LUA_TTABLE) {
		for (lua_Unsigned i = 1; i <= lua_rawlen(L, 7); i++) {
			lua_rawgeti(L, 7, (lua_Integer)i);
			check_event(L, -1, &b, "cancel_on");
			lua_pop(L, 1);
		}
	} else if (ct != LUA_TNIL) {
		return luaL_error(L, "%s: 'cancel_on' must be an event or a list of events",
				  b.what);
	}
	check_unique(L, b.f->gen->workflows, G_STRUCT_OFFSET(rules_workflow, name), &b);

	lua_pushvalue(L, 3);
	int when_ref = ref_or_none(L);
	lua_pushvalue(L, 4);
	int run_ref = ref_or_none(L);
	lua_pushvalue(L, 5);
	int steps_ref = ref_or_none(L);
	/* nothing below raises */
	rules_workflow *w = g_new0(rules_workflow, 1);
	w->file = b.f;
	w->name = g_strdup(b.name);
	w->line = b.line;
	w->on = g_strdup(lua_tostring(L, 2));
	w->cancel_on = g_ptr_array_new_with_free_func(g_free);
	if (ct == LUA_TSTRING)
		g_ptr_array_add(w->cancel_on, g_strdup(lua_tostring(L, 7)));
	for (lua_Unsigned i = 1; ct == LUA_TTABLE && i <= lua_rawlen(L, 7); i++) {
		lua_rawgeti(L, 7, (lua_Integer)i);
		g_ptr_array_add(w->cancel_on, g_strdup(lua_tostring(L, -1)));
		lua_pop(L, 1);
	}
	w->after_ms = after_ms;
	w->after_text = after_ms ? g_strdup(lua_tostring(L, 6)) : NULL;
	w->when_ref = when_ref;
	w->run_ref = run_ref;
	w->steps_ref = steps_ref;
	g_ptr_array_add(b.f->gen->workflows, w);
	return 0;
}

static int l_workflow(lua_State *L)
{
	return header(L, "workflow", workflow_body);
}

/* ---- autoclose ---------------------------------------------------------------- */

static int autoclose_body(lua_State *L)
{
	static const char *const allowed[] = {"after", "when", "action", NULL};
	body_info b;
	body_begin(L, "autoclose", &b);
	rules_check_fields(L, 1, b.what, allowed);
	if (rules_raw_field(L, 1, "after") == LUA_TNIL)  /* 2 */
		return luaL_error(L, "%s: 'after' is required (e.g. \"24h\")", b.what);
	char what[300];
	g_snprintf(what, sizeof what, "%s: 'after'", b.what);
	int64_t after_ms = rules_check_duration(L, 2, what);
	function_field(L, "when", &b);                   /* 3 */
	rules_raw_field(L, 1, "action");                 /* 4 */
	if (lua_type(L, 4) != LUA_TSTRING || (strcmp(lua_tostring(L, 4), "close") != 0 &&
					      strcmp(lua_tostring(L, 4), "close_request") != 0))
		return luaL_error(L, "%s: 'action' must be \"close_request\" or \"close\"", b.what);
	check_unique(L, b.f->gen->autocloses, G_STRUCT_OFFSET(rules_autoclose, name), &b);
	lua_pushvalue(L, 3);
	int when_ref = ref_or_none(L);
	rules_autoclose *a = g_new0(rules_autoclose, 1);
	a->file = b.f;
	a->name = g_strdup(b.name);
	a->line = b.line;
	a->after_ms = after_ms;
	a->after_text = g_strdup(lua_tostring(L, 2));
	a->when_ref = when_ref;
	a->action = g_strdup(lua_tostring(L, 4));
	g_ptr_array_add(b.f->gen->autocloses, a);
	return 0;
}

static int l_autoclose(lua_State *L)
{
	return header(L, "autoclose", autoclose_body);
}

void rules_dsl_register(lua_State *L, int api)
{
	static const luaL_Reg fns[] = {
		{"route", l_route},
		{"workflow", l_workflow},
		{"autoclose", l_autoclose},
		{NULL, NULL},
	};
	lua_pushvalue(L, api);
	luaL_setfuncs(L, fns, 0);
	lua_pop(L, 1);
}

int rules_dsl_finish(rules_file *f, char **err)
{
	if (!f->pending_name)
		return 0;
	*err = g_strdup_printf("%s:%d: the rule \"%s\" has no { ... } body", f->src,
			       f->pending_line, f->pending_name);
	g_clear_pointer(&f->pending_name, g_free);
	return -EINVAL;
}

void rules_route_free(rules_route *r)
{
	if (!r)
		return;
	g_free(r->name);
	g_free(r->method);
	json_decref(r->target);
	g_free(r);
}

void rules_workflow_free(rules_workflow *w)
{
	if (!w)
		return;
	g_free(w->name);
	g_free(w->on);
	g_free(w->after_text);
	g_ptr_array_unref(w->cancel_on);
	g_free(w);
}

void rules_autoclose_free(rules_autoclose *a)
{
	if (!a)
		return;
	g_free(a->name);
	g_free(a->after_text);
	g_free(a->action);
	g_free(a);
}
