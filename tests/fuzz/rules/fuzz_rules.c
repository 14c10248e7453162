/* Fuzz target: arbitrary bytes as a rule file, through compile, self-test,
 * route evaluation and a workflow dry run. Whatever the bytes, the host must
 * neither crash nor hang (small limits keep every run short) nor leak. */
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tsunagu_log_set_level(TSUNAGU_LOG_ERROR - 1); /* silence: errors are expected */
	tsunagu_rules_options opts = {
		.instruction_limit = 20000,
		.time_limit_ms = 20,
		.memory_limit = 512 * 1024,
	};
	tsunagu_rules *rules = NULL;
	if (tsunagu_rules_open_source("fuzz.lua", (const char *)data, size, &opts, &rules,
				      NULL) < 0)
		return 0;
	json_t *c = json_pack("{s:s, s:s, s:s, s:[s], s:{s:s, s:{s:b}, s:i}, s:{s:{s:s}}}",
			      "id", "fuzz", "channel", "web", "assignee", "sato", "tags", "new",
			      "contact", "phone", "+81300000000", "tags", "vip", 1,
			      "past_conversations", 2, "visitor", "utm", "campaign", "x");
	tsunagu_route_decision_free(tsunagu_rules_route(rules, c));
	static const char *const events[] = {"message.customer", "conversation.created",
					     "call.ended", "message.operator"};
	for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
		tsunagu_workflow_result_free(
			tsunagu_rules_on_event(rules, events[i], c, TSUNAGU_RULES_DRY_RUN));
	GError *err = NULL;
	if (tsunagu_rules_reload(rules, &err) < 0)
		g_error_free(err);
	json_decref(c);
	tsunagu_rules_free(rules);
	return 0;
}
