/* Managing the rule files through the API (admins): the route rules of the
 * live generation and of the files, enable / disable / move / delete one
 * route rule, read and replace a file, validate drafts. Every change is
 * compiled and self-tested with the whole directory first; on failure
 * nothing is written and every error comes back as {file, line, message}.
 * A change is recorded as the event rules.changed {file, action, rule, by}.
 * See docs/rules.md ("Managing rules") and docs/api.md. */
#define TSUNAGU_LOG_TOPIC "api"
#include "api_rules.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "rules.h"
#include "rules_edit.h"

#define MAX_DRAFT_FILES 32
#define RULE_NAME_MAX 200

/* ---- shared with api_rules_dryrun.c -------------------------------------------- */

bool tsunagu_api_rules_ready(tsunagu_api_call *call)
{
	if (call->core->rules && tsunagu_rules_dir(call->core->rules))
		return true;
	tsunagu_api_error(call, 503, "unavailable", "the rules are not loaded");
	return false;
}

json_t *tsunagu_api_rules_errors(GPtrArray *errors)
{
	json_t *list = json_array();
	for (unsigned i = 0; errors && i < errors->len; i++)
		json_array_append_new(list, tsunagu_rules_error_json(errors->pdata[i]));
	return list;
}

void tsunagu_api_rules_refuse(tsunagu_api_call *call, int status, const char *code,
			      const char *message, GPtrArray *errors)
{
	tsunagu_api_reply(call, status,
			  json_pack("{s:{s:s, s:s, s:o}}", "error", "code", code, "message",
				    message, "details", tsunagu_api_rules_errors(errors)));
}

bool tsunagu_api_rules_drafts(tsunagu_api_call *call, GHashTable **out)
{
	json_t *files = json_object_get(call->body, "files"), *text;
	const char *name;

	*out = NULL;
	if (!files || json_is_null(files))
		return true;
	if (!json_is_object(files) || json_object_size(files) > MAX_DRAFT_FILES) {
		tsunagu_api_error(call, 400, "bad_request",
				  "files must be an object of at most 32 {\"name.lua\": text}");
		return false;
	}
	GHashTable *drafts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						   (GDestroyNotify)g_bytes_unref);
	json_object_foreach(files, name, text) {
		if (!tsunagu_rules_file_name_ok(name) || !json_is_string(text)) {
			g_hash_table_unref(drafts);
			tsunagu_api_error(call, 400, "bad_request",
					  "each file needs a name like route.lua and a text");
			return false;
		}
		g_hash_table_insert(drafts, g_strdup(name),
				    g_bytes_new(json_string_value(text), json_string_length(text)));
	}
	*out = drafts;
	return true;
}

/* ---- helpers ----------------------------------------------------------------- */

static const char *by_login(tsunagu_api_call *call)
{
	return call->auth && call->auth->staff ? call->auth->staff->login : "";
}

static void changed(tsunagu_api_call *call, const char *file, const char *action,
		    const char *rule)
{
	tlog_info("rules: %s %s%s%s%s by \"%s\"", action, file, rule ? " (rule \"" : "",
		  rule ? rule : "", rule ? "\")" : "", by_login(call));
	tsunagu_api_audit(call, "rules.changed", 0,
			  json_pack("{s:s, s:s, s:s?, s:s}", "file", file, "action", action,
				    "rule", rule, "by", by_login(call)));
}

/* Optional boolean member; false when present but not a boolean. */
static bool opt_bool(tsunagu_api_call *call, const char *key, bool *value)
{
	json_t *v = json_object_get(call->body, key);
	if (!v || json_is_null(v))
		return true;
	if (!json_is_boolean(v))
		return false;
	*value = json_is_true(v);
	return true;
}

/* Reloads when asked and adds generation, reloaded and reload_errors. */
static void maybe_reload(tsunagu_api_call *call, bool reload, json_t *reply)
{
	GError *err = NULL;
	if (reload && tsunagu_rules_reload(call->core->rules, &err) < 0) {
		GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
		char **parts = g_strsplit(err->message, "\n", 0);
		for (char **p = parts; *p; p++)
			if (**p)
				g_ptr_array_add(lines, g_strdup(*p));
		g_strfreev(parts);
		json_object_set_new(reply, "reload_errors", tsunagu_api_rules_errors(lines));
		g_ptr_array_unref(lines);
		g_clear_error(&err);
		reload = false;
	} else if (reload) {
		tsunagu_api_audit(call, "rules.reloaded", 0,
				  json_pack("{s:i}", "generation",
					    (int)tsunagu_rules_generation(call->core->rules)));
	}
	json_object_set_new(reply, "reloaded", json_boolean(reload));
	json_object_set_new(reply, "generation",
			    json_integer(tsunagu_rules_generation(call->core->rules)));
}

/* ---- the list ---------------------------------------------------------------- */

void tsunagu_api_rules_list(tsunagu_api_call *call)
{
	if (!tsunagu_api_rules_ready(call))
		return;
	tsunagu_rules *files = NULL;
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *warnings = g_ptr_array_new_with_free_func(g_free);
	tsunagu_rules_open_draft(call->core->rules, NULL, &files, errors, warnings);
	json_t *reply = json_pack("{s:i, s:o, s:o, s:o, s:o}",
				  "generation", (int)tsunagu_rules_generation(call->core->rules),
				  "live", tsunagu_rules_route_list(call->core->rules),
				  "files", files ? tsunagu_rules_route_list(files) : json_null(),
				  "file_errors", tsunagu_api_rules_errors(errors),
				  "file_warnings", tsunagu_api_rules_errors(warnings));
	tsunagu_rules_free(files);
	g_ptr_array_unref(errors);
	g_ptr_array_unref(warnings);
	tsunagu_api_reply(call, 200, reply);
}

/* ---- one route rule ----------------------------------------------------------- */

static void edit(tsunagu_api_call *call, tsunagu_rules_edit action)
{
	const char *name = NULL;
	bool reload = true;
	int position = 0;
	char *file = NULL;

	if (!tsunagu_api_rules_ready(call))
		return;
	if (tsunagu_api_get_string(call->body, "name", RULE_NAME_MAX, &name) < 0 ||
	    !opt_bool(call, "reload", &reload)) {
		tsunagu_api_error(call, 400, "bad_request",
				  "name (the route rule's name) is required; reload is a boolean");
		return;
	}
	if (action == TSUNAGU_RULES_MOVE) {
		json_t *p = json_object_get(call->body, "position");
		if (!json_is_integer(p) || json_integer_value(p) < 1 ||
		    json_integer_value(p) > 100000) {
			tsunagu_api_error(call, 400, "bad_request",
					  "position (1-based, within the rule's file) is required");
			return;
		}
		position = (int)json_integer_value(p);
	}
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	int ret = tsunagu_rules_edit_route(call->core->rules, name, action, position, &file,
					   errors);
	switch (ret) {
	case 0:
		break;
	case -ENOENT:
		tsunagu_api_error(call, 404, "not_found", "no route rule of that name in the files");
		goto out;
	case -ERANGE:
		tsunagu_api_rules_refuse(call, 400, "bad_request", "no such position", errors);
		goto out;
	case -ENOTSUP:
		tsunagu_api_rules_refuse(call, 409, "conflict",
					 "this change cannot be made rule by rule; edit the file's text",
					 errors);
		goto out;
	case -EINVAL:
		tsunagu_api_rules_refuse(call, 422, "bad_request",
					 "the rules would not compile; nothing was changed", errors);
		goto out;
	default:
		tsunagu_api_rules_refuse(call, 500, "internal", "the rule file was not written",
					 errors);
		goto out;
	}
	changed(call, file, tsunagu_rules_edit_name(action), name);
	json_t *reply = json_pack("{s:s, s:s, s:s}", "file", file, "rule", name, "action",
				  tsunagu_rules_edit_name(action));
	maybe_reload(call, reload, reply);
	json_object_set_new(reply, "live", tsunagu_rules_route_list(call->core->rules));
	tsunagu_api_reply_after_commit(call, 200, reply);
out:
	g_free(file);
	g_ptr_array_unref(errors);
}

void tsunagu_api_rules_enable(tsunagu_api_call *call)
{
	edit(call, TSUNAGU_RULES_ENABLE);
}

void tsunagu_api_rules_disable(tsunagu_api_call *call)
{
	edit(call, TSUNAGU_RULES_DISABLE);
}

void tsunagu_api_rules_move(tsunagu_api_call *call)
{
	edit(call, TSUNAGU_RULES_MOVE);
}

void tsunagu_api_rules_delete(tsunagu_api_call *call)
{
	edit(call, TSUNAGU_RULES_DELETE);
}

/* ---- files ------------------------------------------------------------------- */

void tsunagu_api_rules_files(tsunagu_api_call *call)
{
	if (!tsunagu_api_rules_ready(call))
		return;
	tsunagu_api_reply(call, 200,
			  json_pack("{s:o}", "files", tsunagu_rules_file_list(call->core->rules)));
}

static const char *file_param(tsunagu_api_call *call)
{
	const char *name = call->params->len ? call->params->pdata[0] : NULL;
	if (tsunagu_rules_file_name_ok(name))
		return name;
	tsunagu_api_error(call, 400, "bad_request", "a rule file name is like route.lua");
	return NULL;
}

void tsunagu_api_rules_file_get(tsunagu_api_call *call)
{
	const char *name;
	char *text = NULL;
	size_t len = 0;

	if (!tsunagu_api_rules_ready(call) || !(name = file_param(call)))
		return;
	int ret = tsunagu_rules_file_read(call->core->rules, name, &text, &len);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret == -EFBIG ? -EINVAL : ret, "rule file");
		return;
	}
	if (!g_utf8_validate(text, (gssize)len, NULL) || memchr(text, '\0', len)) {
		g_free(text);
		tsunagu_api_error(call, 409, "conflict",
				  "the file is not UTF-8 text; edit it on the server");
		return;
	}
	char *version = tsunagu_rules_text_version(text, len);
	tsunagu_api_reply(call, 200, json_pack("{s:s, s:s%, s:s}", "name", name, "text", text,
					       len, "version", version));
	g_free(version);
	g_free(text);
}

/* The version of the file on disk now ("" when there is none). */
static char *disk_version(tsunagu_api_call *call, const char *name)
{
	char *text = NULL;
	size_t len = 0;
	if (tsunagu_rules_file_read(call->core->rules, name, &text, &len) < 0)
		return g_strdup("");
	char *v = tsunagu_rules_text_version(text, len);
	g_free(text);
	return v;
}

void tsunagu_api_rules_file_put(tsunagu_api_call *call)
{
	const char *name, *version = NULL;
	json_t *text = json_object_get(call->body, "text");
	bool reload = false;
	GPtrArray *errors = NULL, *warnings = NULL;
	GHashTable *drafts = NULL;
	char *now = NULL, *why = NULL;

	if (!tsunagu_api_rules_ready(call) || !(name = file_param(call)))
		return;
	json_t *ver = json_object_get(call->body, "version");
	if (!json_is_string(text) || !opt_bool(call, "reload", &reload) ||
	    (ver && !json_is_null(ver) && !json_is_string(ver))) {
		tsunagu_api_error(call, 400, "bad_request",
				  "text (the file) is required; version is the one read, reload a boolean");
		return;
	}
	version = json_string_value(ver);
	now = disk_version(call, name);
	if (version && strcmp(version, now) != 0) {
		tsunagu_api_error(call, 409, "conflict",
				  "the file changed since it was read; read it again");
		goto out;
	}
	errors = g_ptr_array_new_with_free_func(g_free);
	warnings = g_ptr_array_new_with_free_func(g_free);
	drafts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
				       (GDestroyNotify)g_bytes_unref);
	g_hash_table_insert(drafts, (char *)name,
			    g_bytes_new(json_string_value(text), json_string_length(text)));
	if (tsunagu_rules_open_draft(call->core->rules, drafts, NULL, errors, warnings) < 0) {
		tsunagu_api_rules_refuse(call, 422, "bad_request",
					 "the rules would not compile; nothing was saved", errors);
		goto out;
	}
	int ret = tsunagu_rules_file_write(call->core->rules, name, json_string_value(text),
					   json_string_length(text), &why);
	if (ret < 0) {
		tlog_error("rules: saving %s: %s", name, why ? why : g_strerror(-ret));
		tsunagu_api_error(call, 500, "internal", "the rule file was not written");
		goto out;
	}
	changed(call, name, "save", NULL);
	g_free(now);
	now = tsunagu_rules_text_version(json_string_value(text), json_string_length(text));
	json_t *reply = json_pack("{s:s, s:s, s:o}", "name", name, "version", now, "warnings",
				  tsunagu_api_rules_errors(warnings));
	maybe_reload(call, reload, reply);
	tsunagu_api_reply_after_commit(call, 200, reply);
out:
	g_clear_pointer(&drafts, g_hash_table_unref);
	g_clear_pointer(&errors, g_ptr_array_unref);
	g_clear_pointer(&warnings, g_ptr_array_unref);
	g_free(now);
	g_free(why);
}

void tsunagu_api_rules_validate(tsunagu_api_call *call)
{
	GHashTable *drafts = NULL;
	tsunagu_rules *draft = NULL;

	if (!tsunagu_api_rules_ready(call) || !tsunagu_api_rules_drafts(call, &drafts))
		return;
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *warnings = g_ptr_array_new_with_free_func(g_free);
	tsunagu_rules_open_draft(call->core->rules, drafts, &draft, errors, warnings);
	tsunagu_api_reply(call, 200,
			  json_pack("{s:b, s:o, s:o, s:o}", "ok", draft != NULL,
				    "errors", tsunagu_api_rules_errors(errors),
				    "warnings", tsunagu_api_rules_errors(warnings),
				    "routes", draft ? tsunagu_rules_route_list(draft) : json_null()));
	tsunagu_rules_free(draft);
	g_clear_pointer(&drafts, g_hash_table_unref);
	g_ptr_array_unref(errors);
	g_ptr_array_unref(warnings);
}
