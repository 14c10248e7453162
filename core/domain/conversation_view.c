/* Builds the `c` a rule sees: conversation, contact, visitor and call. */
#include "conversation_view.h"

static json_t *string_set(GPtrArray *items)
{
	json_t *set = json_object();
	for (unsigned i = 0; items && i < items->len; i++)
		json_object_set_new(set, items->pdata[i], json_true());
	return set;
}

static json_t *contact_view(tsunagu_core *core, const tsunagu_store_conversation *conv)
{
	tsunagu_store_contact *contact = NULL;
	json_t *o = json_object();
	if (tsunagu_store_contact_get(core->store, conv->contact_id, &contact) < 0)
		return o;
	json_t *attrs = json_object();
	GHashTableIter it;
	void *k, *v;
	g_hash_table_iter_init(&it, contact->attributes);
	while (g_hash_table_iter_next(&it, &k, &v))
		json_object_set_new(attrs, k, json_string(v));
	if (contact->name)
		json_object_set_new(o, "name", json_string(contact->name));
	const char *email = g_hash_table_lookup(contact->attributes, "email");
	const char *phone = g_hash_table_lookup(contact->attributes, "phone");
	if (email)
		json_object_set_new(o, "email", json_string(email));
	if (phone)
		json_object_set_new(o, "phone", json_string(phone));
	json_object_set_new(o, "attributes", attrs);
	json_object_set_new(o, "tags", string_set(contact->tags));
	int64_t past = 0;
	tsunagu_store_contact_conversation_count(core->store, conv->contact_id, conv->id, &past);
	json_object_set_new(o, "past_conversations", json_integer(past));
	/* RULES.md: the login of whoever had the contact's newest other
	 * conversation ("route returning customers to their operator") */
	int64_t last = 0;
	char *login = NULL;
	if (tsunagu_store_contact_last_operator(core->store, conv->contact_id, conv->id, &last) == 0 &&
	    last && tsunagu_store_staff_login(core->store, last, &login) == 0)
		json_object_set_new(o, "last_operator", json_string(login));
	g_free(login);
	tsunagu_store_contact_free(contact);
	return o;
}

/* fresh: conv was just created (tsunagu_conversation_view_new) */
static json_t *view(tsunagu_core *core, const tsunagu_store_conversation *conv, bool fresh)
{
	json_t *c = json_object();
	json_object_set_new(c, "id", json_string(conv->public_id));
	char *link = g_strconcat("/inbox/#/conversations/", conv->public_id, NULL);
	json_object_set_new(c, "link", json_string(link));
	g_free(link);
	json_object_set_new(c, "channel", json_string(conv->channel));
	json_object_set_new(c, "state", json_string(tsunagu_conv_state_name(conv->state)));
	json_object_set_new(c, "created_at", json_integer(conv->created_at_us / G_USEC_PER_SEC));
	if (conv->last_customer_message_at_us)
		json_object_set_new(c, "last_customer_message_at",
				    json_integer(conv->last_customer_message_at_us / G_USEC_PER_SEC));
	/* replied: an operator wrote after the customer's last message (what
	 * "reassign when the assignee is silent" workflows ask) */
	json_object_set_new(c, "replied",
			    json_boolean(conv->last_operator_message_at_us > 0 &&
					 conv->last_operator_message_at_us >=
						 conv->last_customer_message_at_us));
	char *login = NULL;
	if (conv->assignee_id &&
	    tsunagu_store_staff_login(core->store, conv->assignee_id, &login) == 0)
		json_object_set_new(c, "assignee", json_string(login));
	g_free(login);
	char *team = NULL;
	if (conv->team_id && tsunagu_store_team_name(core->store, conv->team_id, &team) == 0)
		json_object_set_new(c, "team", json_string(team));
	g_free(team);
	if (conv->category)
		json_object_set_new(c, "category", json_string(conv->category));
	GPtrArray *tags = NULL;
	if (!fresh)
		tsunagu_store_conversation_tags(core->store, conv->id, &tags);
	json_object_set_new(c, "tags", string_set(tags));
	if (tags)
		g_ptr_array_unref(tags);
	json_object_set_new(c, "contact", contact_view(core, conv));
	json_t *visitor = conv->visitor_json ? json_loads(conv->visitor_json, 0, NULL) : NULL;
	if (!json_is_object(visitor)) {
		json_decref(visitor);
		visitor = json_object();
	}
	if (!json_is_object(json_object_get(visitor, "utm")))
		json_object_set_new(visitor, "utm", json_object());
	json_object_set_new(c, "visitor", visitor);
	/* the conversation's newest call (docs/routing.md), for phone rules */
	json_t *call = json_object();
	tsunagu_store_call *k = NULL;
	if (!fresh && tsunagu_store_call_of_conversation(core->store, conv->id, &k) == 0) {
		json_object_set_new(call, "direction", json_string(k->direction));
		json_object_set_new(call, "state", json_string(k->state));
		if (k->missed_reason)
			json_object_set_new(call, "missed_reason", json_string(k->missed_reason));
	}
	tsunagu_store_call_free(k);
	json_object_set_new(c, "call", call);
	return c;
}

json_t *tsunagu_conversation_view(tsunagu_core *core, const tsunagu_store_conversation *conv)
{
	return view(core, conv, false);
}

json_t *tsunagu_conversation_view_new(tsunagu_core *core, const tsunagu_store_conversation *conv)
{
	return view(core, conv, true);
}
