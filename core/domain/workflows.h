/* Workflows in the running server. After each event commits, the workflow
 * rules of the serving generation see it (RULES.md: conversation.created,
 * message.customer, ...) and the actions they return are performed here —
 * at once, or when their durable timer fires, also after a restart.
 *
 * Actions performed by a workflow emit events marked with "workflow": name;
 * those events do not trigger workflows again, so rules cannot loop.
 * Actions that belong to parts not built yet (assign, webhook, play, send on
 * another channel) are recorded as workflow.action_skipped with the reason.
 * Thread: loop thread only.
 */
#pragma once

#include <jansson.h>

#include "core.h"

typedef struct tsunagu_workflows tsunagu_workflows;

/* Needs core->store, core->events, core->domain and core->rules. */
int tsunagu_workflows_new(tsunagu_core *core, tsunagu_workflows **out);
void tsunagu_workflows_free(tsunagu_workflows *w);

/* Performs actions (an array as tsunagu_workflow_result.actions, borrowed)
 * on the conversation with that public id. Returns how many were performed;
 * the others are recorded as skipped. */
int tsunagu_workflows_perform(tsunagu_workflows *w, const char *conversation_public_id,
			      json_t *actions);
