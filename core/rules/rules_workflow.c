/* Workflows: on an event, every workflow whose `on` matches and whose `when`
 * holds returns its `run` actions at once or, with `after`, sets a durable
 * timer ("wf:<workflow>:<conversation>") that `cancel_on` events delete.
 * When such a timer fires (maybe after a restart), `run` is evaluated and
 * its actions go to the action handler the domain registered. */
#define TSUNAGU_LOG_TOPIC "rules"
#include "log.h"
#include "rules_internal.h"

#include <errno.h>
#include <string.h>

void tsunagu_workflow_result_free(tsunagu_workflow_result *r)
{
	if (!r)
		return;
	json_decref(r->actions);
	json_decref(r->scheduled);
	json_decref(r->cancelled);
	if (r->errors)
		g_ptr_array_unref(r->errors);
	g_free(r);
}

static bool is_action(lua_State *L, int idx)
{
	if (!rules_genuine_data(L, idx))
		return false;
	bool ok = rules_raw_field(L, -1, "action") == LUA_TSTRING;
	lua_pop(L, 1);
	if (!ok)
		lua_pop(L, 1);
	return ok;
}

/* Protected and limited: whatever `run` returned (at 1) becomes a plain list
 * of action data. The value is read like ipairs would, so a list with a
 * raising or endless __index fails this workflow and nothing else. */
static int normalize_actions(lua_State *L)
{
	lua_settop(L, 1);
	lua_newtable(L);
	rules_mark_list(L);
	if (lua_isnil(L, 1))
		return 1;
	if (is_action(L, 1)) {
		lua_rawseti(L, 2, 1);
		return 1;
	}
	if (lua_type(L, 1) != LUA_TTABLE || rules_genuine_data(L, 1))
		return luaL_error(L, "run must return an action, a list of actions or nil "
				     "(got %s)", luaL_typename(L, 1));
	for (lua_Integer i = 1;; i++) {
		if (lua_geti(L, 1, i) == LUA_TNIL)
			break;
		if (i > RULES_MAX_ACTIONS)
			return luaL_error(L, "run returned more than %d actions", RULES_MAX_ACTIONS);
		if (!is_action(L, -1))
			return luaL_error(L, "run: item %d is not an action (got %s)", (int)i,
					  luaL_typename(L, -1));
		lua_rawseti(L, 2, i);
		lua_pop(L, 1);
	}
	lua_settop(L, 2);
	return 1;
}

/* Runs w's `run` with the view at index 1 of its file's stack. */
static json_t *run_on_stack(rules_workflow *w, char **err)
{
	lua_State *L = w->file->L;
	if (w->run_ref == LUA_NOREF) {
		*err = g_strdup_printf("%s:%d: workflow \"%s\": steps are not executed yet; "
				       "skipped", w->file->src, w->line, w->name);
		return NULL;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, w->run_ref);
	lua_pushvalue(L, 1);
	if (rules_call(w->file, 1, 1, w->line, err) < 0)
		return NULL;
	lua_pushcfunction(L, normalize_actions);
	lua_insert(L, -2);
	if (rules_call(w->file, 1, 1, w->line, err) < 0)
		return NULL;
	json_t *actions = rules_data_to_json(L, -1, 0);
	lua_pop(L, 1);
	size_t i;
	json_t *a;
	json_array_foreach(actions, i, a)
		json_object_set_new(a, "workflow", json_string(w->name));
	return actions;
}

json_t *rules_workflow_run(rules_workflow *w, json_t *view, char **err)
{
	json_t *prepared = rules_view_prepare(view);
	json_t *actions = NULL;
	if (rules_push_view(w->file, prepared, w->line, err) == 0)
		actions = run_on_stack(w, err);
	lua_settop(w->file->L, 0);
	json_decref(prepared);
	return actions;
}

/* 1 when, 0 when not, -errno. View at index 1. */
static int check_when(rules_workflow *w, char **err)
{
	if (w->when_ref == LUA_NOREF)
		return 1;
	lua_State *L = w->file->L;
	lua_rawgeti(L, LUA_REGISTRYINDEX, w->when_ref);
	lua_pushvalue(L, 1);
	int ret = rules_call(w->file, 1, 1, w->line, err);
	if (ret < 0)
		return ret;
	ret = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return ret;
}

static char *conversation_key(json_t *view)
{
	json_t *id = json_object_get(view, "id");
	if (json_is_string(id) && json_string_length(id) > 0)
		return g_strdup(json_string_value(id));
	if (json_is_integer(id))
		return g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(id));
	return NULL;
}

static char *timer_key(const rules_workflow *w, const char *conversation)
{
	return g_strdup_printf("wf:%s:%s", w->name, conversation);
}

static void record(tsunagu_workflow_result *res, rules_workflow *w, char *err)
{
	rules_log_rule_error(&w->last_log_us, err);
	g_ptr_array_add(res->errors, err);
}

static bool cancels(const rules_workflow *w, const char *event)
{
	for (unsigned i = 0; i < w->cancel_on->len; i++)
		if (strcmp(w->cancel_on->pdata[i], event) == 0)
			return true;
	return false;
}

static void schedule(tsunagu_rules *rules, rules_workflow *w, const char *event,
		     const char *conv, json_t *view, unsigned flags,
		     tsunagu_workflow_result *res)
{
	char *key = timer_key(w, conv);
	int64_t due = tsunagu_core_now_us() + w->after_ms * 1000;
	json_t *entry = json_pack("{s:s, s:s, s:s, s:I}", "workflow", w->name, "key", key,
				  "after", w->after_text, "due_at",
				  (json_int_t)(due / G_USEC_PER_SEC));
	if ((flags & TSUNAGU_RULES_DRY_RUN) || !rules->timers) {
		char *err = NULL;
		json_t *actions = run_on_stack(w, &err);
		if (actions)
			json_object_set_new(entry, "actions", actions);
		else
			record(res, w, err);
		json_object_set_new(entry, "armed", json_false());
	} else {
		json_t *payload = json_pack("{s:s, s:s, s:s, s:O}", "workflow", w->name,
					    "conversation", conv, "event", event, "view", view);
		int ret = tsunagu_timers_set(rules->timers, key, due, payload);
		json_decref(payload);
		if (ret < 0)
			record(res, w, g_strdup_printf("%s:%d: workflow \"%s\": cannot set its "
						       "timer: %s", w->file->src, w->line,
						       w->name, g_strerror(-ret)));
		json_object_set_new(entry, "armed", json_boolean(ret == 0));
	}
	json_array_append_new(res->scheduled, entry);
	g_free(key);
}

bool tsunagu_rules_listens(const tsunagu_rules *rules, const char *event)
{
	if (!rules || !event)
		return false;
	const rules_generation *gen = rules->gen;
	for (unsigned i = 0; i < gen->workflows->len; i++) {
		rules_workflow *w = gen->workflows->pdata[i];
		if (strcmp(w->on, event) == 0 || (w->after_ms && cancels(w, event)))
			return true;
	}
	return false;
}

tsunagu_workflow_result *tsunagu_rules_on_event(tsunagu_rules *rules, const char *event,
						json_t *conversation, unsigned flags)
{
	tsunagu_workflow_result *res = g_new0(tsunagu_workflow_result, 1);
	res->actions = json_array();
	res->scheduled = json_array();
	res->cancelled = json_array();
	res->errors = g_ptr_array_new_with_free_func(g_free);
	if (!rules || !event || rules->gen->workflows->len == 0)
		return res;
	rules_generation *gen = rules->gen;
	json_t *view = rules_view_prepare(conversation);
	char *conv = conversation_key(view);
	guint8 *state = g_new0(guint8, gen->files->len);

	for (unsigned i = 0; i < gen->workflows->len; i++) {
		rules_workflow *w = gen->workflows->pdata[i];
		char *err = NULL;
		if (w->after_ms && conv && cancels(w, event)) {
			char *key = timer_key(w, conv);
			if (!(flags & TSUNAGU_RULES_DRY_RUN) && rules->timers)
				tsunagu_timers_cancel(rules->timers, key);
			json_array_append_new(res->cancelled, json_string(key));
			g_free(key);
		}
		if (strcmp(w->on, event) != 0)
			continue;
		rules_file *f = w->file;
		if (state[f->index] == 0) {
			state[f->index] = rules_push_view(f, view, w->line, &err) == 0 ? 1 : 2;
			if (err)
				record(res, w, err);
		}
		if (state[f->index] != 1)
			continue;
		int ret = check_when(w, &err);
		if (ret < 0)
			record(res, w, err);
		if (ret <= 0)
			continue;
		if (w->after_ms && !conv) {
			record(res, w, g_strdup_printf("%s:%d: workflow \"%s\": the conversation has "
						       "no id, so no timer can be set", f->src,
						       w->line, w->name));
		} else if (w->after_ms) {
			schedule(rules, w, event, conv, view, flags, res);
		} else {
			json_t *actions = run_on_stack(w, &err);
			if (actions) {
				json_array_extend(res->actions, actions);
				json_decref(actions);
			} else {
				record(res, w, err);
			}
		}
	}
	for (unsigned i = 0; i < gen->files->len; i++)
		if (state[i])
			lua_settop(((rules_file *)gen->files->pdata[i])->L, 0);
	g_free(state);
	g_free(conv);
	json_decref(view);
	return res;
}

/* ---- timers firing ------------------------------------------------------------- */

json_t *rules_fresh_view(tsunagu_rules *rules, const char *conversation_id)
{
	return rules->view_fn ? rules->view_fn(conversation_id, rules->view_data) : NULL;
}

void rules_dispatch_actions(tsunagu_rules *rules, const char *conversation_id, json_t *actions)
{
	if (rules->on_actions)
		rules->on_actions(conversation_id, actions, rules->on_actions_data);
	else if (json_array_size(actions))
		tlog_warn("no action handler: %zu actions for conversation %s dropped",
			  json_array_size(actions), conversation_id);
}

void rules_workflow_timer_fired(const char *key, json_t *payload, void *user_data)
{
	tsunagu_rules *rules = user_data;
	const char *name = json_string_value(json_object_get(payload, "workflow"));
	const char *conv = json_string_value(json_object_get(payload, "conversation"));
	rules_workflow *w = NULL;
	for (unsigned i = 0; name && i < rules->gen->workflows->len && !w; i++) {
		rules_workflow *c = rules->gen->workflows->pdata[i];
		if (strcmp(c->name, name) == 0 && c->after_ms)
			w = c;
	}
	if (!w || !conv) {
		tlog_info("timer %s: no workflow \"%s\" with 'after' in generation %u; dropped",
			  key, name ? name : "?", rules->number);
		return;
	}
	json_t *view = rules_fresh_view(rules, conv);
	if (!view)
		view = json_incref(json_object_get(payload, "view"));
	char *err = NULL;
	json_t *actions = rules_workflow_run(w, view, &err);
	json_decref(view);
	if (!actions) {
		rules_log_rule_error(&w->last_log_us, err);
		g_free(err);
		return;
	}
	tlog_debug("timer %s: workflow \"%s\" returned %zu actions", key, w->name,
		   json_array_size(actions));
	rules_dispatch_actions(rules, conv, actions);
	json_decref(actions);
}
