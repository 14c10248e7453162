/* How store rows look in the API's JSON. Internal numeric ids of staff and
 * messages are shown; conversations are named by their random public id. */
#include "api.h"

json_t *tsunagu_api_staff_json(const tsunagu_store_staff *s)
{
	json_t *j = json_pack("{s:I,s:s,s:s,s:s?,s:s,s:b,s:o,s:s?,s:i}", "id", (json_int_t)s->id,
			      "login", s->login, "display_name",
			      s->display_name ? s->display_name : "", "email", s->email, "role",
			      tsunagu_role_name(s->role), "disabled", s->disabled, "created_at",
			      tsunagu_api_time(s->created_at_us), "status",
			      tsunagu_staff_status_name(s->status), "chat_capacity", s->chat_capacity);
	/* the assignment engine's settings (docs/routing.md) */
	json_object_update_new(j, json_pack("{s:s?,s:b,s:s,s:i,s:b}", "subtype", s->subtype, "dnd",
					    s->dnd, "inquiry_types",
					    tsunagu_inquiry_types_name(s->inquiry_types),
					    "call_capacity", s->call_capacity, "chats_during_call",
					    s->chats_during_call));
	return j;
}

static json_t *id_or_null(int64_t id)
{
	return id ? json_integer(id) : json_null();
}

json_t *tsunagu_api_conversation_json(const tsunagu_store_conversation *c)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:s?,s:s?,s:o,s:o,s:o,s:o,s:o}", "id", c->public_id,
			 "channel", c->channel, "state", tsunagu_conv_state_name(c->state),
			 "assignee", id_or_null(c->assignee_id), "team", id_or_null(c->team_id),
			 "category", c->category, "memo", c->memo, "created_at",
			 tsunagu_api_time(c->created_at_us), "updated_at",
			 tsunagu_api_time(c->updated_at_us), "last_customer_message_at",
			 tsunagu_api_time(c->last_customer_message_at_us),
			 "last_operator_message_at",
			 tsunagu_api_time(c->last_operator_message_at_us), "closed_at",
			 tsunagu_api_time(c->closed_at_us));
}

json_t *tsunagu_api_message_json(const tsunagu_store_message *m)
{
	return json_pack("{s:I,s:s,s:o,s:s,s:o}", "id", (json_int_t)m->id, "kind",
			 tsunagu_msg_kind_name(m->kind), "author", id_or_null(m->author_staff_id),
			 "text", m->body ? m->body : "", "created_at",
			 tsunagu_api_time(m->created_at_us));
}
