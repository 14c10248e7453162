/* The rules routes: status and reload here; management (list, edit, files,
 * validate) in api_rules_manage.c, the dry run in api_rules_dryrun.c. */
#define TSUNAGU_LOG_TOPIC "api"
#include "api_rules.h"

#include "log.h"
#include "rules.h"

static void status(tsunagu_api_call *call)
{
	if (!call->core->rules) {
		tsunagu_api_error(call, 503, "unavailable", "the rules are not loaded");
		return;
	}
	tsunagu_api_reply(call, 200,
			  json_pack("{s:i}", "generation",
				    (int)tsunagu_rules_generation(call->core->rules)));
}

/* Reloads; a bad generation is refused with every "file:line: message" and
 * the last good rules keep serving. */
static void reload(tsunagu_api_call *call)
{
	GError *err = NULL;
	int ret;

	if (!call->core->rules) {
		tsunagu_api_error(call, 503, "unavailable", "the rules are not loaded");
		return;
	}
	ret = tsunagu_rules_reload(call->core->rules, &err);
	unsigned gen = tsunagu_rules_generation(call->core->rules);
	if (ret < 0) {
		const char *msg = err ? err->message : "the rules did not load";
		json_t *lines = json_array();
		char **parts = g_strsplit(msg, "\n", 0);
		for (char **p = parts; *p; p++)
			if (**p)
				json_array_append_new(lines, json_string(*p));
		g_strfreev(parts);
		tlog_warn("rules reload by \"%s\" refused: %s", call->auth->staff->login, msg);
		tsunagu_api_audit(call, "rules.reload_failed", 0,
				  json_pack("{s:i,s:O}", "generation", (int)gen, "errors", lines));
		tsunagu_api_reply(call, 422,
				  json_pack("{s:{s:s,s:s,s:o},s:i}", "error", "code", "bad_request",
					    "message", "the new rules were refused; the previous rules keep serving",
					    "details", lines, "generation", (int)gen));
		g_clear_error(&err);
		return;
	}
	tlog_info("rules reloaded by \"%s\": generation %u", call->auth->staff->login, gen);
	tsunagu_api_audit(call, "rules.reloaded", 0, json_pack("{s:i}", "generation", (int)gen));
	tsunagu_api_reply_after_commit(call, 200, json_pack("{s:i}", "generation", (int)gen));
}

const tsunagu_api_route tsunagu_api_rules_routes[] = {
	{ "GET", "/api/v1/rules/status", "rules.status", false, status },
	{ "POST", "/api/v1/rules/reload", "rules.reload", false, reload },
	{ "GET", "/api/v1/rules/routes", "rules.manage", false, tsunagu_api_rules_list },
	{ "POST", "/api/v1/rules/routes/enable", "rules.manage", true, tsunagu_api_rules_enable },
	{ "POST", "/api/v1/rules/routes/disable", "rules.manage", true, tsunagu_api_rules_disable },
	{ "POST", "/api/v1/rules/routes/move", "rules.manage", true, tsunagu_api_rules_move },
	{ "POST", "/api/v1/rules/routes/delete", "rules.manage", true, tsunagu_api_rules_delete },
	{ "GET", "/api/v1/rules/files", "rules.manage", false, tsunagu_api_rules_files },
	{ "GET", "/api/v1/rules/files/*", "rules.manage", false, tsunagu_api_rules_file_get },
	{ "PUT", "/api/v1/rules/files/*", "rules.manage", true, tsunagu_api_rules_file_put },
	{ "POST", "/api/v1/rules/validate", "rules.manage", true, tsunagu_api_rules_validate },
	{ "POST", "/api/v1/rules/dry-run", "rules.dry_run", true, tsunagu_api_rules_dry_run },
	{ NULL, NULL, NULL, false, NULL },
};
