/* Route evaluation: the route rules of the serving generation in order; the
 * first whose `when` is truthy (and whose target can be computed) decides.
 * A rule that raises or hits a limit is skipped and reported; with no match
 * the built-in default decides: all available operators, longest idle. */
#define TSUNAGU_LOG_TOPIC "rules"
#include "log.h"
#include "rules_internal.h"

#include <errno.h>

void tsunagu_route_decision_free(tsunagu_route_decision *d)
{
	if (!d)
		return;
	g_free(d->rule_name);
	g_free(d->rule_file);
	json_decref(d->target);
	g_free(d->method);
	if (d->errors)
		g_ptr_array_unref(d->errors);
	g_free(d);
}

static void fail(tsunagu_route_decision *d, rules_route *r, char *err)
{
	rules_log_rule_error(&r->last_log_us, err);
	g_ptr_array_add(d->errors, err);
}

/* Protected: the value at 1 must be a target; returns its data. */
static int target_data(lua_State *L)
{
	rules_values_push_target_data(L, 1, "'to'");
	return 1;
}

/* Runs the `to` function (view at index 1) and converts its target. */
static json_t *dynamic_target(rules_route *r, char **err)
{
	lua_State *L = r->file->L;
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->to_ref);
	lua_pushvalue(L, 1);
	if (rules_call(r->file, 1, 1, r->line, err) < 0)
		return NULL;
	lua_pushcfunction(L, target_data);
	lua_insert(L, -2);
	if (rules_call(r->file, 1, 1, r->line, err) < 0)
		return NULL;
	json_t *target = rules_data_to_json(L, -1, 0);
	lua_pop(L, 1);
	return target;
}

/* 1: matched, 0: did not, -errno: failed (*err set). View at index 1. */
static int evaluate(rules_route *r, json_t **target, char **err)
{
	lua_State *L = r->file->L;
	if (r->when_ref != LUA_NOREF) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, r->when_ref);
		lua_pushvalue(L, 1);
		int ret = rules_call(r->file, 1, 1, r->line, err);
		if (ret < 0)
			return ret;
		/* only truthiness: the value is never indexed, so a hostile
		 * table cannot run anything here */
		bool matched = lua_toboolean(L, -1);
		lua_pop(L, 1);
		if (!matched)
			return 0;
	}
	*target = r->target ? json_incref(r->target) : dynamic_target(r, err);
	return *target ? 1 : -EINVAL;
}

tsunagu_route_decision *tsunagu_rules_route(tsunagu_rules *rules, json_t *conversation)
{
	tsunagu_route_decision *d = g_new0(tsunagu_route_decision, 1);
	d->errors = g_ptr_array_new_with_free_func(g_free);
	rules_generation *gen = rules ? rules->gen : NULL;
	if (!gen || gen->routes->len == 0)
		goto fallback;

	json_t *view = rules_view_prepare(conversation);
	/* per file: 0 view not built yet, 1 view at index 1, 2 view failed */
	guint8 *state = g_new0(guint8, gen->files->len);
	for (unsigned i = 0; i < gen->routes->len && !d->rule_name; i++) {
		rules_route *r = gen->routes->pdata[i];
		rules_file *f = r->file;
		char *err = NULL;
		if (!r->enabled)
			continue;
		if (state[f->index] == 0) {
			state[f->index] = rules_push_view(f, view, r->line, &err) == 0 ? 1 : 2;
			if (err)
				fail(d, r, err);
		}
		if (state[f->index] != 1)
			continue;
		json_t *target = NULL;
		int ret = evaluate(r, &target, &err);
		if (ret < 0) {
			fail(d, r, err);
			continue;
		}
		if (ret == 0)
			continue;
		d->rule_name = g_strdup(r->name);
		d->rule_file = g_path_get_basename(f->path);
		d->rule_line = r->line;
		d->target = target;
		d->method = g_strdup(r->method);
	}
	for (unsigned i = 0; i < gen->files->len; i++)
		if (state[i])
			lua_settop(((rules_file *)gen->files->pdata[i])->L, 0);
	g_free(state);
	json_decref(view);
	if (d->rule_name)
		return d;
fallback:
	d->rule_name = g_strdup("default");
	d->rule_file = NULL;
	d->rule_line = 0;
	d->target = json_pack("{s:s}", "kind", "all_available");
	d->method = g_strdup("longest_idle");
	return d;
}
