/* Generations: every *.lua of the rules directory is loaded into one new
 * generation, self-tested against synthetic conversations under the limits,
 * and swapped in only when all of it compiled and passed. */
#define TSUNAGU_LOG_TOPIC "rules"
#include "log.h"
#include "rules_internal.h"

#include <errno.h>
#include <string.h>

G_DEFINE_QUARK(tsunagu-rules-error-quark, tsunagu_rules_error)

#define DEFAULT_INSTRUCTIONS 1000000
#define DEFAULT_TIME_MS 50
#define DEFAULT_MEMORY (8 * 1024 * 1024)

void tsunagu_rules_options_from_config(const tsunagu_config *config, const char *default_dir,
				       tsunagu_rules_options *opts)
{
	const char *dir = tsunagu_config_string(config, "rules.dir");
	opts->dir = dir && *dir ? dir : default_dir;
	opts->instruction_limit = (uint64_t)tsunagu_config_int(config, "rules.instruction_limit");
	opts->time_limit_ms = tsunagu_config_duration_ms(config, "rules.time_limit");
	opts->memory_limit = (size_t)tsunagu_config_int(config, "rules.memory_limit");
}

void rules_log_rule_error(int64_t *last_log_us, const char *err)
{
	int64_t now = g_get_monotonic_time();
	if (*last_log_us && now - *last_log_us < 60 * G_USEC_PER_SEC)
		return;
	*last_log_us = now;
	tlog_warn("%s", err);
}

/* ---- generation ------------------------------------------------------------ */

rules_generation *rules_generation_new(const tsunagu_rules_options *opts)
{
	rules_generation *gen = g_new0(rules_generation, 1);
	gen->opts = *opts;
	gen->opts.dir = NULL;
	if (!gen->opts.instruction_limit)
		gen->opts.instruction_limit = DEFAULT_INSTRUCTIONS;
	if (gen->opts.time_limit_ms <= 0)
		gen->opts.time_limit_ms = DEFAULT_TIME_MS;
	if (!gen->opts.memory_limit)
		gen->opts.memory_limit = DEFAULT_MEMORY;
	gen->files = g_ptr_array_new_with_free_func((GDestroyNotify)rules_file_free);
	gen->routes = g_ptr_array_new_with_free_func((GDestroyNotify)rules_route_free);
	gen->workflows = g_ptr_array_new_with_free_func((GDestroyNotify)rules_workflow_free);
	gen->autocloses = g_ptr_array_new_with_free_func((GDestroyNotify)rules_autoclose_free);
	gen->errors = g_ptr_array_new_with_free_func(g_free);
	gen->warnings = g_ptr_array_new_with_free_func(g_free);
	return gen;
}

void rules_generation_free(rules_generation *gen)
{
	if (!gen)
		return;
	/* rules point into the files' states: drop them first */
	g_ptr_array_unref(gen->routes);
	g_ptr_array_unref(gen->workflows);
	g_ptr_array_unref(gen->autocloses);
	g_ptr_array_unref(gen->files);
	rules_hours_free(gen->hours);
	g_free(gen->hours_where);
	g_ptr_array_unref(gen->errors);
	g_ptr_array_unref(gen->warnings);
	g_free(gen);
}

void rules_generation_add_file(rules_generation *gen, const char *path, const char *text,
			       size_t len)
{
	char *err = NULL;
	rules_file *f = rules_file_new(gen, path, gen->short_names, &err);
	if (!f) {
		g_ptr_array_add(gen->errors, err);
		return;
	}
	f->index = gen->files->len;
	g_ptr_array_add(gen->files, f);
	if (rules_file_load(f, text, len, &err) < 0)
		g_ptr_array_add(gen->errors, err);
}

static void add_text(rules_generation *gen, const char *path, const char *text, size_t len)
{
	if (len > RULES_MAX_FILE_SIZE)
		g_ptr_array_add(gen->errors, g_strdup_printf("%s:0: larger than %d bytes", path,
							     RULES_MAX_FILE_SIZE));
	else
		rules_generation_add_file(gen, path, text, len);
}

static void add_path_file(rules_generation *gen, const char *path)
{
	char *text = NULL;
	gsize len = 0;
	GError *error = NULL;
	if (!g_file_get_contents(path, &text, &len, &error)) {
		g_ptr_array_add(gen->errors, g_strdup_printf("%s:0: %s", path, error->message));
		g_error_free(error);
		return;
	}
	add_text(gen, path, text, len);
	g_free(text);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.lua directly in dir, in name order (subdirectories are the rule
 * library's, not rules). overrides (may be NULL): file name -> GBytes text
 * used instead of the file's (a draft), or added when there is no such file. */
static void add_dir(rules_generation *gen, const char *dir, GHashTable *overrides)
{
	GError *error = NULL;
	GDir *d = g_dir_open(dir, 0, &error);
	if (!d) {
		g_ptr_array_add(gen->errors, g_strdup_printf("%s:0: %s", dir, error->message));
		g_error_free(error);
		return;
	}
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	while ((name = g_dir_read_name(d)))
		if (g_str_has_suffix(name, ".lua") && name[0] != '.' &&
		    !(overrides && g_hash_table_contains(overrides, name)))
			g_ptr_array_add(names, g_build_filename(dir, name, NULL));
	g_dir_close(d);
	GHashTableIter it;
	void *key;
	if (overrides) {
		g_hash_table_iter_init(&it, overrides);
		while (g_hash_table_iter_next(&it, &key, NULL))
			g_ptr_array_add(names, g_build_filename(dir, key, NULL));
	}
	g_ptr_array_sort(names, compare_names);
	for (unsigned i = 0; i < names->len; i++) {
		char *base = g_path_get_basename(names->pdata[i]);
		GBytes *text = overrides ? g_hash_table_lookup(overrides, base) : NULL;
		g_free(base);
		if (text)
			add_text(gen, names->pdata[i], g_bytes_get_data(text, NULL),
				 g_bytes_get_size(text));
		else if (!g_file_test(names->pdata[i], G_FILE_TEST_IS_DIR))
			add_path_file(gen, names->pdata[i]);
	}
	g_ptr_array_unref(names);
}

static rules_generation *load_paths(const char *const *paths, const tsunagu_rules_options *opts,
				     bool short_names)
{
	rules_generation *gen = rules_generation_new(opts);
	gen->short_names = short_names;
	for (; paths && *paths; paths++) {
		if (g_file_test(*paths, G_FILE_TEST_IS_DIR))
			add_dir(gen, *paths, NULL);
		else
			add_path_file(gen, *paths);
	}
	if (gen->errors->len == 0)
		rules_generation_self_test(gen);
	return gen;
}

rules_generation *rules_load_dir(const char *dir, GHashTable *overrides,
				 const tsunagu_rules_options *opts)
{
	rules_generation *gen = rules_generation_new(opts);
	gen->short_names = true;
	add_dir(gen, dir, overrides);
	if (gen->errors->len == 0)
		rules_generation_self_test(gen);
	return gen;
}

static rules_generation *load_source(const char *name, const char *text, size_t len,
				     const tsunagu_rules_options *opts)
{
	rules_generation *gen = rules_generation_new(opts);
	add_text(gen, name, text, len);
	if (gen->errors->len == 0)
		rules_generation_self_test(gen);
	return gen;
}

/* ---- self-test --------------------------------------------------------------- */

static json_t *synthetic_view(const char *channel)
{
	json_int_t now = (json_int_t)(tsunagu_core_now_us() / G_USEC_PER_SEC);
	json_t *c = json_pack(
		"{s:s+, s:s+, s:s, s:s, s:I, s:I, s:{}, "
		"s:{s:s, s:s, s:{}, s:{}, s:i, s:s}, "
		"s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}}",
		"id", "selftest-", channel, "link", "/inbox/#/conversations/selftest-", channel,
		"channel", channel, "state", "waiting", "created_at", now,
		"last_customer_message_at", now, "tags",
		"contact", "name", "Self Test", "email", "selftest@example.invalid", "tags",
		"attributes", "past_conversations", 1, "last_operator", "selftest",
		"visitor", "page_url", "https://example.invalid/", "referrer", "", "browser",
		"Firefox", "os", "Linux", "language", "ja", "ip", "192.0.2.1", "department", "",
		"utm", "source", "selftest", "medium", "none", "campaign", "none");
	if (strcmp(channel, "phone") == 0) {
		json_object_set_new(json_object_get(c, "contact"), "phone",
				    json_string("+81300000000"));
		json_object_set_new(c, "assignee", json_string("selftest"));
		json_object_set_new(c, "team", json_string("support"));
		json_object_set_new(c, "call", json_pack("{s:s, s:s}", "direction", "inbound",
							 "state", "ringing"));
	}
	return c;
}

/* A limit hit (or any refused allocation) fails the generation; a raise on
 * made-up data is only a warning. Returns whether the call succeeded. */
static bool self_test_call(rules_generation *gen, rules_file *f, int nargs, int nres, int line,
			   const char *what, const char *channel)
{
	char *err = NULL;
	int ret = rules_call(f, nargs, nres, line, &err);
	bool refused = f->mem_refused > 0;
	if (ret == 0 && refused) {
		lua_pop(f->L, nres);
		err = g_strdup_printf("%s:%d: memory limit exceeded (%zu bytes)", f->src, line,
				      f->mem_limit);
	}
	if (ret == 0 && !refused)
		return true;
	char *msg = g_strdup_printf("%s (self-test of %s on a synthetic %s conversation)", err,
				    what, channel);
	g_ptr_array_add(ret == -EINVAL ? gen->warnings : gen->errors, msg);
	g_free(err);
	return false;
}

/* Calls the function ref with the view (index 1); leaves the result. */
static bool self_test_ref(rules_generation *gen, rules_file *f, int ref, int line,
			  const char *what, const char *channel)
{
	lua_rawgeti(f->L, LUA_REGISTRYINDEX, ref);
	lua_pushvalue(f->L, 1);
	return self_test_call(gen, f, 1, 1, line, what, channel);
}

static void self_test_view(rules_generation *gen, json_t *prepared, const char *channel)
{
	for (unsigned i = 0; i < gen->files->len; i++) {
		rules_file *f = gen->files->pdata[i];
		char *err = NULL;
		if (rules_push_view(f, prepared, 0, &err) < 0) {
			g_ptr_array_add(gen->errors, err);
			continue;
		}
	}
	char what[300];
	for (unsigned i = 0; i < gen->routes->len; i++) {
		rules_route *r = gen->routes->pdata[i];
		/* disabling is the lever for a rule that misbehaves: it must not
		 * keep the file from loading */
		if (!r->enabled || lua_gettop(r->file->L) != 1)
			continue;
		g_snprintf(what, sizeof what, "route \"%s\"", r->name);
		bool matched = true;
		if (r->when_ref != LUA_NOREF) {
			if (!self_test_ref(gen, r->file, r->when_ref, r->line, what, channel))
				continue;
			matched = lua_toboolean(r->file->L, -1);
			lua_pop(r->file->L, 1);
		}
		if (matched && r->to_ref != LUA_NOREF &&
		    self_test_ref(gen, r->file, r->to_ref, r->line, what, channel))
			lua_pop(r->file->L, 1);
	}
	for (unsigned i = 0; i < gen->workflows->len; i++) {
		rules_workflow *w = gen->workflows->pdata[i];
		if (lua_gettop(w->file->L) != 1)
			continue;
		g_snprintf(what, sizeof what, "workflow \"%s\"", w->name);
		bool matched = true;
		if (w->when_ref != LUA_NOREF) {
			if (!self_test_ref(gen, w->file, w->when_ref, w->line, what, channel))
				continue;
			matched = lua_toboolean(w->file->L, -1);
			lua_pop(w->file->L, 1);
		}
		if (matched && w->run_ref != LUA_NOREF &&
		    self_test_ref(gen, w->file, w->run_ref, w->line, what, channel))
			lua_pop(w->file->L, 1);
	}
	for (unsigned i = 0; i < gen->autocloses->len; i++) {
		rules_autoclose *a = gen->autocloses->pdata[i];
		if (lua_gettop(a->file->L) != 1 || a->when_ref == LUA_NOREF)
			continue;
		g_snprintf(what, sizeof what, "autoclose \"%s\"", a->name);
		if (self_test_ref(gen, a->file, a->when_ref, a->line, what, channel))
			lua_pop(a->file->L, 1);
	}
	for (unsigned i = 0; i < gen->files->len; i++)
		lua_settop(((rules_file *)gen->files->pdata[i])->L, 0);
}

void rules_generation_self_test(rules_generation *gen)
{
	static const char *const channels[] = {"web", "phone"};
	for (size_t i = 0; i < G_N_ELEMENTS(channels); i++) {
		json_t *raw = synthetic_view(channels[i]);
		json_t *prepared = rules_view_prepare(raw);
		self_test_view(gen, prepared, channels[i]);
		json_decref(prepared);
		json_decref(raw);
	}
}

/* ---- the host ---------------------------------------------------------------- */

static void set_error(GError **err, int code, const char *prefix, GPtrArray *errors)
{
	GString *s = g_string_new(prefix);
	for (unsigned i = 0; i < errors->len; i++) {
		if (s->len)
			g_string_append_c(s, '\n');
		g_string_append(s, errors->pdata[i]);
	}
	g_set_error_literal(err, TSUNAGU_RULES_ERROR, code, s->str);
	g_string_free(s, TRUE);
}

static rules_generation *build(tsunagu_rules *rules)
{
	if (rules->source)
		return load_source(rules->source_name, g_bytes_get_data(rules->source, NULL),
				   g_bytes_get_size(rules->source), &rules->opts);
	if (rules->paths)
		return load_paths((const char *const *)rules->paths, &rules->opts, false);
	const char *paths[] = {rules->dir, NULL};
	return load_paths(paths, &rules->opts, true);
}

static void log_generation(const tsunagu_rules *rules)
{
	for (unsigned i = 0; i < rules->gen->warnings->len; i++)
		tlog_warn("%s", (char *)rules->gen->warnings->pdata[i]);
	tlog_info("generation %u: %u route, %u workflow, %u autoclose rules from %u files",
		  rules->number, rules->gen->routes->len, rules->gen->workflows->len,
		  rules->gen->autocloses->len, rules->gen->files->len);
}

static int start(tsunagu_rules *rules, GError **err)
{
	rules_generation *gen = build(rules);
	if (gen->errors->len) {
		for (unsigned i = 0; i < gen->errors->len; i++)
			tlog_error("%s", (char *)gen->errors->pdata[i]);
		set_error(err, EINVAL, "", gen->errors);
		rules_generation_free(gen);
		rules->gen = rules_generation_new(&rules->opts);
		rules->number = 0;
		return -EINVAL;
	}
	rules->gen = gen;
	rules->number = 1;
	log_generation(rules);
	return 0;
}

static tsunagu_rules *host_new(tsunagu_core *core, const tsunagu_rules_options *opts)
{
	tsunagu_rules *rules = g_new0(tsunagu_rules, 1);
	rules->core = core;
	rules->opts = *opts;
	rules->dir = g_strdup(opts->dir ? opts->dir : ".");
	rules->opts.dir = rules->dir;
	return rules;
}

int tsunagu_rules_new(tsunagu_core *core, const tsunagu_rules_options *opts, tsunagu_rules **out,
		      GError **err)
{
	tsunagu_rules *rules = host_new(core, opts);
	if (core && core->store) {
		int ret = tsunagu_timers_new(core->store, core->context, &rules->timers);
		if (ret < 0) {
			g_set_error(err, TSUNAGU_RULES_ERROR, -ret, "rules: timers: %s",
				    g_strerror(-ret));
			tsunagu_rules_free(rules);
			*out = NULL;
			return ret;
		}
		tsunagu_timers_handle(rules->timers, "wf:", rules_workflow_timer_fired, rules);
	}
	*out = rules;
	return start(rules, err);
}

int tsunagu_rules_open_paths(const char *const *paths, const tsunagu_rules_options *opts,
			     tsunagu_rules **out, GError **err)
{
	tsunagu_rules *rules = host_new(NULL, opts);
	rules->paths = g_strdupv((char **)paths);
	int ret = start(rules, err);
	if (ret < 0)
		g_clear_pointer(&rules, tsunagu_rules_free);
	*out = rules;
	return ret;
}

int tsunagu_rules_open_source(const char *name, const char *text, size_t len,
			      const tsunagu_rules_options *opts, tsunagu_rules **out,
			      GError **err)
{
	tsunagu_rules *rules = host_new(NULL, opts);
	rules->source_name = g_strdup(name);
	rules->source = g_bytes_new(text, len);
	int ret = start(rules, err);
	if (ret < 0)
		g_clear_pointer(&rules, tsunagu_rules_free);
	*out = rules;
	return ret;
}

void tsunagu_rules_free(tsunagu_rules *rules)
{
	if (!rules)
		return;
	tsunagu_timers_free(rules->timers);
	rules_generation_free(rules->gen);
	g_strfreev(rules->paths);
	g_free(rules->source_name);
	if (rules->source)
		g_bytes_unref(rules->source);
	g_free(rules->dir);
	g_free(rules);
}

int tsunagu_rules_reload(tsunagu_rules *rules, GError **err)
{
	rules_generation *gen = build(rules);
	if (gen->errors->len) {
		for (unsigned i = 0; i < gen->errors->len; i++)
			tlog_error("reload refused: %s", (char *)gen->errors->pdata[i]);
		tlog_warn("reload refused: generation %u keeps serving", rules->number);
		set_error(err, EINVAL, "", gen->errors);
		rules_generation_free(gen);
		return -EINVAL;
	}
	rules_generation_free(rules->gen);
	rules->gen = gen;
	rules->number++;
	log_generation(rules);
	return 0;
}

unsigned tsunagu_rules_generation(const tsunagu_rules *rules)
{
	return rules ? rules->number : 0;
}

rules_generation *rules_current_generation(tsunagu_rules *rules)
{
	return rules->gen;
}

tsunagu_timers *tsunagu_rules_timers(tsunagu_rules *rules)
{
	return rules ? rules->timers : NULL;
}

void tsunagu_rules_set_action_handler(tsunagu_rules *rules, tsunagu_rules_actions_fn fn,
				      void *user_data)
{
	rules->on_actions = fn;
	rules->on_actions_data = user_data;
}

void tsunagu_rules_set_view_provider(tsunagu_rules *rules, tsunagu_rules_view_fn fn,
				     void *user_data)
{
	rules->view_fn = fn;
	rules->view_data = user_data;
}

void tsunagu_rules_get_stats(const tsunagu_rules *rules, tsunagu_rules_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!rules)
		return;
	out->files = rules->gen->files->len;
	out->routes = rules->gen->routes->len;
	out->workflows = rules->gen->workflows->len;
	out->autocloses = rules->gen->autocloses->len;
	for (unsigned i = 0; i < rules->gen->routes->len; i++)
		out->routes_disabled += !((rules_route *)rules->gen->routes->pdata[i])->enabled;
}

int tsunagu_rules_check_paths(const char *const *paths, const tsunagu_rules_options *opts,
			      GPtrArray *errors, GPtrArray *warnings, tsunagu_rules_stats *stats)
{
	int ret = 0;
	for (const char *const *p = paths; p && *p; p++) {
		if (!g_file_test(*p, G_FILE_TEST_EXISTS)) {
			g_ptr_array_add(errors, g_strdup_printf("%s:0: no such file or directory",
								*p));
			ret = -ENOENT;
		}
	}
	if (ret < 0)
		return ret;
	rules_generation *gen = load_paths(paths, opts, false);
	for (unsigned i = 0; i < gen->errors->len; i++)
		g_ptr_array_add(errors, g_strdup(gen->errors->pdata[i]));
	for (unsigned i = 0; warnings && i < gen->warnings->len; i++)
		g_ptr_array_add(warnings, g_strdup(gen->warnings->pdata[i]));
	if (stats) {
		stats->files = gen->files->len;
		stats->routes = gen->routes->len;
		stats->workflows = gen->workflows->len;
		stats->autocloses = gen->autocloses->len;
		stats->routes_disabled = 0;
		for (unsigned i = 0; i < gen->routes->len; i++)
			stats->routes_disabled += !((rules_route *)gen->routes->pdata[i])->enabled;
	}
	ret = gen->errors->len ? -EINVAL : 0;
	rules_generation_free(gen);
	return ret;
}
