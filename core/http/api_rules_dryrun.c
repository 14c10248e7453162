/* POST /api/v1/rules/dry-run: the route rules (drafts, or the live ones)
 * against the last N conversations — which rule matches, the errors of the
 * rules that failed, the target and method, and which operator the router
 * would pick now. Read-only: a draft is compiled into a throw-away host
 * that never serves, the pick is a preview (router_preview.h), and nothing
 * is written, no event emitted, no round-robin position moved. Each rule
 * call runs under the sandbox limits; rows are at most MAX_ROWS. */
#define TSUNAGU_LOG_TOPIC "api"
#include "api_rules.h"

#include <errno.h>

#include "conversation_view.h"
#include "log.h"
#include "router_preview.h"
#include "rules.h"

#define DEFAULT_ROWS 20
#define MAX_ROWS 500

static json_t *decision_errors(const tsunagu_route_decision *d)
{
	return tsunagu_api_rules_errors(d->errors);
}

static json_t *would_pick(const tsunagu_router_preview *p)
{
	if (!p->staff_id)
		return json_null();
	return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)p->staff_id, "login", p->login,
			 "display_name", p->display_name ? p->display_name : p->login);
}

/* One row; NULL when the preview failed in the store (logged). */
static json_t *row(tsunagu_core *core, tsunagu_rules *host, const tsunagu_store_conversation *conv)
{
	json_t *view = tsunagu_conversation_view(core, conv);
	tsunagu_route_decision *d = tsunagu_rules_route(host, view);
	tsunagu_router_preview *p = NULL;
	json_t *out = NULL;

	int ret = tsunagu_router_preview_pick(core, conv, d->target, d->method, &p);
	if (ret < 0) {
		tlog_warn("dry run: conversation %s: %s", conv->public_id, g_strerror(-ret));
		goto out;
	}
	json_t *contact = json_object_get(view, "contact");
	out = json_pack("{s:s, s:O, s:s, s:s, s:o, s:O*, s:s, s:s?, s:i, s:b, s:O, s:s, s:o, "
			"s:o, s:s?, s:O}",
			"conversation", conv->public_id,
			"link", json_object_get(view, "link"),
			"channel", conv->channel,
			"state", tsunagu_conv_state_name(conv->state),
			"created_at", tsunagu_api_time(conv->created_at_us),
			"contact", json_object_get(contact, "name"),
			"rule", d->rule_name,
			"file", d->rule_file,
			"line", d->rule_line,
			"default", d->rule_file == NULL,
			"target", d->target,
			"method", d->method,
			"errors", decision_errors(d),
			"would_pick", would_pick(p),
			"reason", p->reason,
			"notes", p->notes);
out:
	tsunagu_router_preview_free(p);
	tsunagu_route_decision_free(d);
	json_decref(view);
	return out;
}

void tsunagu_api_rules_dry_run(tsunagu_api_call *call)
{
	GHashTable *drafts = NULL;
	tsunagu_rules *draft = NULL;
	GPtrArray *errors = NULL, *warnings = NULL, *convs = NULL;
	json_int_t limit = DEFAULT_ROWS;

	if (!tsunagu_api_rules_ready(call) || !tsunagu_api_rules_drafts(call, &drafts))
		return;
	json_t *l = json_object_get(call->body, "limit");
	if (l && !json_is_null(l)) {
		if (!json_is_integer(l) || json_integer_value(l) < 1 ||
		    json_integer_value(l) > MAX_ROWS) {
			tsunagu_api_error(call, 400, "bad_request",
					  "limit is the number of conversations, 1 to 500");
			goto out;
		}
		limit = json_integer_value(l);
	}
	errors = g_ptr_array_new_with_free_func(g_free);
	warnings = g_ptr_array_new_with_free_func(g_free);
	if (drafts &&
	    tsunagu_rules_open_draft(call->core->rules, drafts, &draft, errors, warnings) < 0) {
		tsunagu_api_rules_refuse(call, 422, "bad_request",
					 "the draft does not compile; fix it before a dry run", errors);
		goto out;
	}
	int ret = tsunagu_store_conversation_list(call->core->store, 0, 0, (unsigned)limit, &convs);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "conversations");
		goto out;
	}
	tsunagu_rules *host = draft ? draft : call->core->rules;
	json_t *rows = json_array();
	for (unsigned i = 0; i < convs->len && i < (unsigned)limit; i++) {
		json_t *r = row(call->core, host, convs->pdata[i]);
		if (r)
			json_array_append_new(rows, r);
	}
	tsunagu_api_reply(call, 200,
			  json_pack("{s:b, s:i, s:I, s:o, s:o}", "draft", draft != NULL,
				    "generation", (int)tsunagu_rules_generation(call->core->rules),
				    "limit", limit, "rows", rows,
				    "warnings", tsunagu_api_rules_errors(warnings)));
out:
	tsunagu_rules_free(draft);
	g_clear_pointer(&drafts, g_hash_table_unref);
	g_clear_pointer(&errors, g_ptr_array_unref);
	g_clear_pointer(&warnings, g_ptr_array_unref);
	g_clear_pointer(&convs, g_ptr_array_unref);
}
