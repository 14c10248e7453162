/* Drafts: the rules directory compiled with some files replaced, as a
 * throw-away host that the editor validates and dry-runs and that never
 * serves; and the list of route rules a host holds. */
#include "rules_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *tsunagu_rules_dir(const tsunagu_rules *rules)
{
	return rules ? rules->dir : NULL;
}

int tsunagu_rules_open_draft(const tsunagu_rules *live, GHashTable *drafts, tsunagu_rules **out,
			     GPtrArray *errors, GPtrArray *warnings)
{
	if (out)
		*out = NULL;
	if (!live || !live->dir)
		return -EINVAL;
	/* the same limits as the live rules: a draft that passes here cannot
	 * trip them merely by being switched on */
	rules_generation *gen = rules_load_dir(live->dir, drafts, &live->opts);
	for (unsigned i = 0; i < gen->errors->len; i++)
		g_ptr_array_add(errors, g_strdup(gen->errors->pdata[i]));
	for (unsigned i = 0; warnings && i < gen->warnings->len; i++)
		g_ptr_array_add(warnings, g_strdup(gen->warnings->pdata[i]));
	if (gen->errors->len || !out) {
		int ret = gen->errors->len ? -EINVAL : 0;
		rules_generation_free(gen);
		return ret;
	}
	tsunagu_rules *draft = g_new0(tsunagu_rules, 1);
	draft->opts = live->opts;
	draft->dir = g_strdup(live->dir);
	draft->opts.dir = draft->dir;
	draft->gen = gen;
	draft->number = 0; /* never a serving generation */
	*out = draft;
	return 0;
}

json_t *tsunagu_rules_route_list(const tsunagu_rules *rules)
{
	json_t *list = json_array();
	for (unsigned i = 0; rules && i < rules->gen->routes->len; i++) {
		rules_route *r = rules->gen->routes->pdata[i];
		char *file = g_path_get_basename(r->file->path);
		json_array_append_new(list, json_pack("{s:s, s:i, s:s, s:i, s:b, s:O, s:s}",
						      "name", r->name, "position", (int)i + 1,
						      "file", file, "line", r->line,
						      "enabled", r->enabled,
						      "target", r->target ? r->target : json_null(),
						      "method", r->method));
		g_free(file);
	}
	return list;
}

json_t *tsunagu_rules_error_json(const char *error)
{
	const char *colon = strchr(error, ':');
	if (colon && g_ascii_isdigit(colon[1])) {
		char *end = NULL;
		long line = strtol(colon + 1, &end, 10);
		if (end && end[0] == ':' && line >= 0 && line < G_MAXINT) {
			char *file = g_strndup(error, (size_t)(colon - error));
			const char *msg = end[1] == ' ' ? end + 2 : end + 1;
			json_t *o = json_pack("{s:s, s:i, s:s}", "file", file, "line", (int)line,
					      "message", msg);
			g_free(file);
			return o;
		}
	}
	return json_pack("{s:s, s:i, s:s}", "file", "", "line", 0, "message", error);
}
