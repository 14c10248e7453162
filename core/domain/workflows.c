/* Runs workflow rules on committed events and performs their actions. */
#define TSUNAGU_LOG_TOPIC "workflows"
#include "workflows.h"

#include <errno.h>
#include <string.h>

#include "conversation_view.h"
#include "domain.h"
#include "events.h"
#include "log.h"
#include "router.h"
#include "rules.h"
#include "store.h"

struct tsunagu_workflows {
	tsunagu_core *core;
	unsigned subscription;
};

/* The events of RULES.md that workflows may name in `on`. */
static const char *const trigger_events[] = {
	"conversation.created", "conversation.assigned", "conversation.closed",
	"message.customer",     "message.operator",      "call.incoming",
	"call.answered",        "call.ended",            "call.missed",
	"csat.given",           "status.changed",        NULL,
};

static bool is_trigger(const char *type)
{
	for (const char *const *t = trigger_events; *t; t++)
		if (strcmp(*t, type) == 0)
			return true;
	return false;
}

static json_t *view_of(tsunagu_workflows *w, const char *public_id,
		       tsunagu_store_conversation **conv_out)
{
	tsunagu_store_conversation *conv = NULL;
	if (tsunagu_store_conversation_get_by_public_id(w->core->store, public_id, &conv) < 0)
		return NULL;
	json_t *view = tsunagu_conversation_view(w->core, conv);
	if (conv_out)
		*conv_out = conv;
	else
		tsunagu_store_conversation_free(conv);
	return view;
}

static int emit(tsunagu_workflows *w, const char *type, const tsunagu_store_conversation *conv,
		const char *workflow, json_t *extra)
{
	json_t *payload = json_pack("{s:s, s:s}", "conversation", conv->public_id, "workflow",
				    workflow ? workflow : "?");
	if (extra)
		json_object_update(payload, extra);
	int ret = tsunagu_events_emit(w->core->events, type, conv->id, 0, payload, NULL);
	json_decref(payload);
	return ret;
}

static int set_state(tsunagu_workflows *w, const tsunagu_store_conversation *conv,
		     tsunagu_conv_state state, const char *event, const char *workflow,
		     json_t *extra)
{
	if (conv->state == TSUNAGU_CONV_CLOSED)
		return -EPIPE;
	int ret = tsunagu_store_conversation_set_state(w->core->store, conv->id, state);
	return ret < 0 ? ret : emit(w, event, conv, workflow, extra);
}

/* assign(target, {exclude}) and reassign({exclude}): through the router,
 * by the target given or the route the conversation keeps; reassign never
 * gives it back to its assignee. Unknown logins in exclude are ignored. */
static int route_again(tsunagu_workflows *w, const tsunagu_store_conversation *conv, json_t *a,
		       bool reassign, const char **why)
{
	json_t *target = json_object_get(a, "target");
	GArray *exclude = g_array_new(FALSE, FALSE, sizeof(int64_t));
	size_t i;
	json_t *v;
	int ret;

	if (!w->core->router) {
		*why = "the router is not running";
		ret = -ENOTSUP;
		goto out;
	}
	if (!reassign && !json_is_object(target)) {
		ret = -EINVAL;
		goto out;
	}
	json_array_foreach(json_object_get(a, "exclude"), i, v) {
		tsunagu_store_staff *s = NULL;
		if (json_is_string(v) &&
		    tsunagu_store_staff_get_by_login(w->core->store, json_string_value(v), &s) == 0)
			g_array_append_val(exclude, s->id);
		tsunagu_store_staff_free(s);
	}
	ret = tsunagu_router_reassign(w->core->router, conv->id, reassign ? NULL : target, exclude,
				      reassign);
	if (ret == -EPIPE)
		*why = "the conversation is closed";
out:
	g_array_unref(exclude);
	return ret;
}

/* One action, as one atomic unit. Returns 0 when performed, -ENOTSUP when it
 * belongs to a part not built yet, another negative errno when refused. */
static int perform_one(tsunagu_workflows *w, const tsunagu_store_conversation *conv,
		       json_t *a, const char **why)
{
	tsunagu_store *store = w->core->store;
	const char *action = json_string_value(json_object_get(a, "action"));
	const char *workflow = json_string_value(json_object_get(a, "workflow"));
	int ret;

	if (!action)
		return -EINVAL;
	if (strcmp(action, "tag") == 0 || strcmp(action, "untag") == 0) {
		bool on = action[0] == 't';
		const char *tag = json_string_value(json_object_get(a, "tag"));
		if (!tag)
			return -EINVAL;
		ret = tsunagu_store_conversation_tag(store, conv->id, tag, on);
		if (ret < 0)
			return ret;
		json_t *x = json_pack("{s:s}", "tag", tag);
		ret = emit(w, on ? "conversation.tagged" : "conversation.untagged", conv, workflow, x);
		json_decref(x);
		return ret;
	}
	if (strcmp(action, "set_category") == 0) {
		const char *cat = json_string_value(json_object_get(a, "category"));
		if (!cat)
			return -EINVAL;
		ret = tsunagu_store_conversation_set_category(store, conv->id, cat);
		if (ret < 0)
			return ret;
		json_t *x = json_pack("{s:s}", "category", cat);
		ret = emit(w, "conversation.category_set", conv, workflow, x);
		json_decref(x);
		return ret;
	}
	if (strcmp(action, "set_attribute") == 0) {
		const char *key = json_string_value(json_object_get(a, "key"));
		json_t *v = json_object_get(a, "value");
		char *value = NULL;
		if (!key)
			return -EINVAL;
		if (json_is_string(v))
			value = g_strdup(json_string_value(v));
		else if (json_is_integer(v))
			value = g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else if (json_is_real(v))
			value = g_strdup_printf("%.17g", json_real_value(v));
		else if (json_is_boolean(v))
			value = g_strdup(json_is_true(v) ? "true" : "false");
		ret = tsunagu_store_contact_set_attribute(store, conv->contact_id, key, value);
		if (ret == -EINVAL)
			*why = "not a master keyword (define it under ADM-4 first)";
		if (ret == 0) {
			json_t *x = json_pack("{s:s, s:s?}", "key", key, "value", value);
			ret = emit(w, "contact.attribute_set", conv, workflow, x);
			json_decref(x);
		}
		g_free(value);
		return ret;
	}
	if (strcmp(action, "close") == 0)
		return set_state(w, conv, TSUNAGU_CONV_CLOSED, "conversation.closed", workflow, NULL);
	if (strcmp(action, "close_request") == 0)
		return set_state(w, conv, TSUNAGU_CONV_CLOSE_REQUESTED,
				 "conversation.close_requested", workflow, NULL);
	if (strcmp(action, "snooze") == 0) {
		json_t *x = json_pack("{s:O?}", "seconds", json_object_get(a, "seconds"));
		ret = set_state(w, conv, TSUNAGU_CONV_SNOOZED, "conversation.snoozed", workflow, x);
		json_decref(x);
		return ret;
	}
	if (strcmp(action, "send") == 0) {
		const char *channel = json_string_value(json_object_get(a, "channel"));
		const char *to = json_string_value(json_object_get(a, "to"));
		const char *text = json_string_value(json_object_get(a, "text"));
		if (!text)
			return -EINVAL;
		if ((channel && strcmp(channel, conv->channel) != 0) || to) {
			*why = "sending on another channel or to another address comes with the SMS "
			       "and LINE channels";
			return -ENOTSUP;
		}
		return tsunagu_domain_post(w->core->domain, conv->id, 0, TSUNAGU_MSG_SYSTEM, text,
					   NULL, NULL, NULL);
	}
	if (strcmp(action, "assign") == 0 || strcmp(action, "reassign") == 0)
		return route_again(w, conv, a, action[0] == 'r', why);
	*why = "this action comes with a later part of tsunagu (webhooks, voice guidance)";
	return -ENOTSUP;
}

int tsunagu_workflows_perform(tsunagu_workflows *w, const char *conversation_public_id,
			      json_t *actions)
{
	tsunagu_store_conversation *conv = NULL;
	tsunagu_store *store = w->core->store;
	int performed = 0;
	size_t i;
	json_t *a;

	if (!json_is_array(actions) || !json_array_size(actions))
		return 0;
	if (tsunagu_store_conversation_get_by_public_id(store, conversation_public_id, &conv) < 0) {
		tlog_warn("workflow actions for unknown conversation %s dropped",
			  conversation_public_id);
		return 0;
	}
	json_array_foreach(actions, i, a) {
		const char *why = NULL;
		unsigned mark = tsunagu_events_mark(w->core->events);
		int ret = tsunagu_store_atomic_begin(store);
		if (ret == 0)
			ret = perform_one(w, conv, a, &why);
		if (ret == 0) {
			ret = tsunagu_store_atomic_end(store, true);
			performed += ret == 0;
			/* Later actions see this one (a close after a tag). */
			tsunagu_store_conversation *fresh = NULL;
			if (ret == 0 && tsunagu_store_conversation_get(store, conv->id, &fresh) == 0) {
				tsunagu_store_conversation_free(conv);
				conv = fresh;
			}
			continue;
		}
		tsunagu_store_atomic_end(store, false);
		tsunagu_events_rollback_to(w->core->events, mark);
		const char *name = json_string_value(json_object_get(a, "action"));
		const char *workflow = json_string_value(json_object_get(a, "workflow"));
		if (!why)
			why = g_strerror(-ret);
		tlog_warn("workflow \"%s\": action %s on %s not performed: %s",
			  workflow ? workflow : "?", name ? name : "?", conv->public_id, why);
		json_t *x = json_pack("{s:s?, s:s}", "action", name, "reason", why);
		emit(w, "workflow.action_skipped", conv, workflow, x);
		json_decref(x);
	}
	tsunagu_store_conversation_free(conv);
	return performed;
}

static void report_errors(GPtrArray *errors)
{
	for (unsigned i = 0; errors && i < errors->len; i++)
		tlog_warn("%s", (const char *)errors->pdata[i]);
}

/* Loop thread, after the commit of the event's batch. */
static void on_event(const tsunagu_store_event *ev, void *user_data)
{
	tsunagu_workflows *w = user_data;
	if (!ev->conversation_id || !is_trigger(ev->type) ||
	    !tsunagu_rules_listens(w->core->rules, ev->type))
		return;
	json_t *payload = tsunagu_events_payload(w->core->events, ev); /* borrowed */
	/* Events caused by a workflow do not start workflows: no loops. */
	if (payload && json_object_get(payload, "workflow"))
		return;

	tsunagu_store_conversation *conv = NULL;
	if (tsunagu_store_conversation_get(w->core->store, ev->conversation_id, &conv) < 0)
		return;
	json_t *view = tsunagu_conversation_view(w->core, conv);
	tsunagu_workflow_result *r = tsunagu_rules_on_event(w->core->rules, ev->type, view, 0);
	json_decref(view);
	if (r) {
		report_errors(r->errors);
		tsunagu_workflows_perform(w, conv->public_id, r->actions);
		tsunagu_workflow_result_free(r);
	}
	tsunagu_store_conversation_free(conv);
}

/* Loop thread, from the rules' timer dispatch (durable, after `after`). */
static void on_timer_actions(const char *conversation_id, json_t *actions, void *user_data)
{
	tsunagu_workflows_perform(user_data, conversation_id, actions);
}

static json_t *fresh_view(const char *conversation_id, void *user_data)
{
	return view_of(user_data, conversation_id, NULL);
}

int tsunagu_workflows_new(tsunagu_core *core, tsunagu_workflows **out)
{
	if (!core->store || !core->events || !core->domain || !core->rules)
		return -EINVAL;
	tsunagu_workflows *w = g_new0(tsunagu_workflows, 1);
	w->core = core;
	w->subscription = tsunagu_events_subscribe(core->events, on_event, w);
	tsunagu_rules_set_action_handler(core->rules, on_timer_actions, w);
	tsunagu_rules_set_view_provider(core->rules, fresh_view, w);
	*out = w;
	return 0;
}

void tsunagu_workflows_free(tsunagu_workflows *w)
{
	if (!w)
		return;
	tsunagu_events_unsubscribe(w->core->events, w->subscription);
	if (w->core->rules) {
		tsunagu_rules_set_action_handler(w->core->rules, NULL, NULL);
		tsunagu_rules_set_view_provider(w->core->rules, NULL, NULL);
	}
	g_free(w);
}
