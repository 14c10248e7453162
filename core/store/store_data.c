/* The backend-independent half of the core data operations (store.h:
 * events, staff and sessions, teams, keywords, contacts, conversations,
 * settings, participants, messages, timers): argument checks, then dispatch
 * to the backend inside the group-commit batch (TSUNAGU_STORE_WRITE). The
 * batch itself lives in store.c. */
#include <errno.h>
#include <string.h>

#include "store.h"
#include "store_backend.h"
#include "store_private.h"

/* ---- events ---------------------------------------------------------------- */

int tsunagu_store_event_append(tsunagu_store *store, const char *type, int64_t conversation_id,
			       int64_t actor_staff_id, const char *payload_json, int64_t *seq_out)
{
	if (!store || !type || !*type || conversation_id < 0 || actor_staff_id < 0)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->event_append(store->be, type, conversation_id,
			    actor_staff_id, payload_json ? payload_json : "{}", seq_out));
}

int tsunagu_store_events_range(tsunagu_store *store, int64_t after_seq, int64_t upto_seq,
			       unsigned limit, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->events_range(store->be, after_seq, upto_seq, limit, out);
}

int64_t tsunagu_store_events_last_seq(tsunagu_store *store)
{
	return store ? store->ops->events_last_seq(store->be) : -EINVAL;
}

/* ---- staff and sessions ------------------------------------------------------ */

int tsunagu_store_staff_create(tsunagu_store *store, const char *login, const char *display_name,
			       const char *email, tsunagu_role role, const char *password_hash,
			       int64_t *id_out)
{
	if (!store || !login || !*login || !display_name || !password_hash ||
	    !tsunagu_role_name(role))
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->staff_create(store->be, login, display_name,
			    email, role, password_hash, id_out));
}

int tsunagu_store_staff_get(tsunagu_store *store, int64_t id, tsunagu_store_staff **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->staff_get(store->be, id, out);
}

int tsunagu_store_staff_login(tsunagu_store *store, int64_t id, char **login_out)
{
	if (!store || !login_out)
		return -EINVAL;
	return store->ops->staff_login(store->be, id, login_out);
}

int tsunagu_store_staff_get_by_login(tsunagu_store *store, const char *login,
				     tsunagu_store_staff **out)
{
	if (!store || !login || !out)
		return -EINVAL;
	return store->ops->staff_get_by_login(store->be, login, out);
}

int tsunagu_store_staff_list(tsunagu_store *store, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->staff_list(store->be, out);
}

int tsunagu_store_staff_count(tsunagu_store *store, int64_t *count)
{
	if (!store || !count)
		return -EINVAL;
	return store->ops->staff_count(store->be, count);
}

int tsunagu_store_staff_update(tsunagu_store *store, int64_t id, const char *display_name,
			       const char *email, tsunagu_role role, const char *password_hash,
			       int disabled)
{
	if (!store || (role != 0 && !tsunagu_role_name(role)) || disabled < -1 || disabled > 1)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->staff_update(store->be, id, display_name,
			    email, role, password_hash, disabled));
}

int tsunagu_store_session_create(tsunagu_store *store, const char *token_hash, int64_t staff_id,
				 const char *csrf_token, int64_t expires_at_us)
{
	if (!store || !token_hash || !*token_hash || !csrf_token || staff_id <= 0)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->session_create(store->be, token_hash,
			    staff_id, csrf_token, expires_at_us));
}

int tsunagu_store_session_get(tsunagu_store *store, const char *token_hash, int64_t now_us,
			      tsunagu_store_session **out)
{
	if (!store || !token_hash || !out)
		return -EINVAL;
	return store->ops->session_get(store->be, token_hash, now_us, out);
}

int tsunagu_store_session_delete(tsunagu_store *store, const char *token_hash)
{
	if (!store || !token_hash)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->session_delete(store->be, token_hash));
}

int tsunagu_store_session_delete_for_staff(tsunagu_store *store, int64_t staff_id)
{
	if (!store)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->session_delete_for_staff(store->be,
			    staff_id));
}

int tsunagu_store_session_purge_expired(tsunagu_store *store, int64_t now_us)
{
	if (!store)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->session_purge_expired(store->be, now_us));
}

/* ---- teams ----------------------------------------------------------------- */

int tsunagu_store_team_create(tsunagu_store *store, const char *name, int64_t *id_out)
{
	if (!store || !name || !*name)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->team_create(store->be, name, id_out));
}

int tsunagu_store_team_get_by_name(tsunagu_store *store, const char *name, int64_t *id_out)
{
	if (!store || !name || !id_out)
		return -EINVAL;
	return store->ops->team_get_by_name(store->be, name, id_out);
}

int tsunagu_store_team_name(tsunagu_store *store, int64_t team_id, char **name_out)
{
	if (!store || team_id <= 0 || !name_out)
		return -EINVAL;
	return store->ops->team_name(store->be, team_id, name_out);
}

int tsunagu_store_team_add_member(tsunagu_store *store, int64_t team_id, int64_t staff_id)
{
	if (!store)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->team_add_member(store->be, team_id,
			    staff_id));
}

int tsunagu_store_team_remove_member(tsunagu_store *store, int64_t team_id, int64_t staff_id)
{
	if (!store)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->team_remove_member(store->be, team_id,
			    staff_id));
}

int tsunagu_store_team_list(tsunagu_store *store, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->team_list(store->be, out);
}

int tsunagu_store_team_members(tsunagu_store *store, int64_t team_id, GArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->team_members(store->be, team_id, out);
}

/* ---- master keywords and contacts ------------------------------------------ */

int tsunagu_store_keyword_define(tsunagu_store *store, const char *key, const char *title)
{
	if (!store || !key || !*key || !title)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->keyword_define(store->be, key, title));
}

int tsunagu_store_keyword_delete(tsunagu_store *store, const char *key)
{
	if (!store || !key)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->keyword_delete(store->be, key));
}

int tsunagu_store_keyword_list(tsunagu_store *store, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->keyword_list(store->be, out);
}

int tsunagu_store_contact_create(tsunagu_store *store, const char *name, int64_t *id_out)
{
	if (!store)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->contact_create(store->be, name, id_out));
}

int tsunagu_store_contact_get(tsunagu_store *store, int64_t id, tsunagu_store_contact **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->contact_get(store->be, id, out);
}

int tsunagu_store_contact_find_by_attribute(tsunagu_store *store, const char *key,
					    const char *value, int64_t *id_out)
{
	if (!store || !key || !value || !id_out)
		return -EINVAL;
	return store->ops->contact_find_by_attribute(store->be, key, value, id_out);
}

int tsunagu_store_contact_set_attribute(tsunagu_store *store, int64_t contact_id,
					const char *key, const char *value)
{
	if (!store || !key)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->contact_set_attribute(store->be, contact_id,
			    key, value));
}

int tsunagu_store_contact_tag(tsunagu_store *store, int64_t contact_id, const char *tag, bool on)
{
	if (!store || !tag || !*tag)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->contact_tag(store->be, contact_id, tag, on));
}

int tsunagu_store_contact_identity(tsunagu_store *store, const char *channel,
				   const char *external_id, const char *name, int64_t *contact_id,
				   bool *created)
{
	if (!store || !channel || !*channel || !external_id || !*external_id || !contact_id)
		return -EINVAL;
	/* A lookup and up to two inserts: all or nothing. */
	TSUNAGU_STORE_WRITE(store, true, store->ops->contact_identity(store->be, channel,
			    external_id, name, contact_id, created));
}

int tsunagu_store_contact_identity_get(tsunagu_store *store, int64_t contact_id,
				       const char *channel, char **external_id_out)
{
	if (!store || !channel || !external_id_out)
		return -EINVAL;
	return store->ops->contact_identity_get(store->be, contact_id, channel, external_id_out);
}

int tsunagu_store_contact_conversation_count(tsunagu_store *store, int64_t contact_id,
					     int64_t exclude_conversation_id, int64_t *count)
{
	if (!store || !count)
		return -EINVAL;
	return store->ops->contact_conversation_count(store->be, contact_id,
						      exclude_conversation_id, count);
}

/* ---- conversations ------------------------------------------------------------ */

int tsunagu_store_conversation_create(tsunagu_store *store, const char *channel,
				      int64_t contact_id, int64_t *id_out)
{
	if (!store || !channel || !*channel || contact_id <= 0)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->conversation_create(store->be, channel,
			    contact_id, id_out, NULL));
}

int tsunagu_store_conversation_open(tsunagu_store *store, const char *channel,
				    int64_t contact_id, tsunagu_store_conversation **out)
{
	if (!store || !channel || !*channel || contact_id <= 0 || !out)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->conversation_create(store->be, channel,
			    contact_id, NULL, out));
}

int tsunagu_store_conversation_get(tsunagu_store *store, int64_t id,
				   tsunagu_store_conversation **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->conversation_get(store->be, id, out);
}

int tsunagu_store_conversation_get_by_public_id(tsunagu_store *store, const char *public_id,
						tsunagu_store_conversation **out)
{
	if (!store || !public_id || !out)
		return -EINVAL;
	return store->ops->conversation_get_by_public_id(store->be, public_id, out);
}

int tsunagu_store_conversation_find_active(tsunagu_store *store, int64_t contact_id,
					   const char *channel, int64_t *id_out)
{
	if (!store || !channel || !id_out)
		return -EINVAL;
	return store->ops->conversation_find_active(store->be, contact_id, channel, id_out);
}

int tsunagu_store_conversation_of_identity(tsunagu_store *store, const char *channel,
					   const char *external_id, int64_t *contact_id,
					   tsunagu_store_conversation **conv_out)
{
	if (!store || !channel || !*channel || !external_id || !*external_id || !contact_id ||
	    !conv_out)
		return -EINVAL;
	*conv_out = NULL;
	return store->ops->conversation_of_identity(store->be, channel, external_id, contact_id,
						    conv_out);
}

int tsunagu_store_conversation_list(tsunagu_store *store, tsunagu_conv_state state,
				    int64_t assignee_id, unsigned limit, GPtrArray **out)
{
	if (!store || !out || (state != 0 && !tsunagu_conv_state_name(state)))
		return -EINVAL;
	return store->ops->conversation_list(store->be, state, assignee_id, limit ? limit : 100,
					     out);
}

int tsunagu_store_conversation_set_state(tsunagu_store *store, int64_t id, tsunagu_conv_state s)
{
	if (!store || !tsunagu_conv_state_name(s))
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->conversation_set_state(store->be, id, s));
}

int tsunagu_store_conversation_assign(tsunagu_store *store, int64_t id, int64_t assignee_id,
				      int64_t team_id)
{
	return tsunagu_store_conversation_assign_state(store, id, assignee_id, team_id, 0);
}

int tsunagu_store_conversation_assign_state(tsunagu_store *store, int64_t id,
					    int64_t assignee_id, int64_t team_id,
					    tsunagu_conv_state state)
{
	if (!store || assignee_id < 0 || team_id < -1 ||
	    (state != 0 && !tsunagu_conv_state_name(state)))
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->conversation_assign(store->be, id,
			    assignee_id, team_id, state));
}

int tsunagu_store_conversation_set_visitor(tsunagu_store *store, int64_t id,
					   const char *visitor_json)
{
	if (!store)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->conversation_set_visitor(store->be, id,
			    visitor_json));
}

int tsunagu_store_setting_get(tsunagu_store *store, const char *ns, const char *key,
			      char **value_out)
{
	if (!store || !ns || !key || !value_out)
		return -EINVAL;
	return store->ops->setting_get(store->be, ns, key, value_out);
}

int tsunagu_store_setting_set(tsunagu_store *store, const char *ns, const char *key,
			      const char *value)
{
	if (!store || !ns || !*ns || !key || !*key)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->setting_set(store->be, ns, key, value));
}

int tsunagu_store_conversation_set_category(tsunagu_store *store, int64_t id, const char *category)
{
	if (!store)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->conversation_set_category(store->be, id,
			    category));
}

int tsunagu_store_conversation_tag(tsunagu_store *store, int64_t id, const char *tag, bool on)
{
	if (!store || !tag || !*tag)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->conversation_tag(store->be, id, tag, on));
}

int tsunagu_store_conversation_tags(tsunagu_store *store, int64_t id, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->conversation_tags(store->be, id, out);
}

int tsunagu_store_participant_add(tsunagu_store *store, int64_t conversation_id,
				  int64_t staff_id, const char *role)
{
	if (!store || !role)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->participant_add(store->be, conversation_id,
			    staff_id, role));
}

int tsunagu_store_participant_is(tsunagu_store *store, int64_t conversation_id, int64_t staff_id,
				 bool *out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->participant_is(store->be, conversation_id, staff_id, out);
}

/* ---- messages ------------------------------------------------------------------ */

int tsunagu_store_message_insert(tsunagu_store *store, int64_t conversation_id,
				 tsunagu_msg_kind kind, int64_t author_staff_id, const char *body,
				 const char *provider_message_id, int64_t *id_out)
{
	if (!store || !body || !tsunagu_msg_kind_name(kind) || author_staff_id < 0 ||
	    !g_utf8_validate(body, -1, NULL))
		return -EINVAL;
	/* The message, its search index row and the conversation's timestamps. */
	TSUNAGU_STORE_WRITE(store, true, store->ops->message_insert(store->be, conversation_id,
			    kind, author_staff_id, body, provider_message_id, id_out));
}

int tsunagu_store_message_list(tsunagu_store *store, int64_t conversation_id, int64_t after_id,
			       unsigned limit, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->message_list(store->be, conversation_id, after_id, limit ? limit : 200,
					out);
}

int tsunagu_store_message_search(tsunagu_store *store, const char *text, unsigned limit,
				 GArray **out)
{
	if (!store || !text || !*text || !out || !g_utf8_validate(text, -1, NULL))
		return -EINVAL;
	return store->ops->message_search(store->be, text, limit ? limit : 100, out);
}

int tsunagu_store_customer_history(tsunagu_store *store, const char *channel,
				   const char *external_id, int64_t after_id, unsigned limit,
				   GPtrArray **out)
{
	if (!store || !channel || !external_id || after_id < 0 || !out)
		return -EINVAL;
	return store->ops->customer_history(store->be, channel, external_id, after_id,
					    limit ? limit : 200, out);
}

/* ---- timers ---------------------------------------------------------------------- */

int tsunagu_store_timer_set(tsunagu_store *store, const char *key, int64_t due_at_us,
			    const char *payload_json)
{
	if (!store || !key || !*key)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->timer_set(store->be, key, due_at_us,
			    payload_json ? payload_json : "{}"));
}

int tsunagu_store_timer_cancel(tsunagu_store *store, const char *key)
{
	if (!store || !key)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, store->ops->timer_cancel(store->be, key));
}

int tsunagu_store_timer_due(tsunagu_store *store, int64_t now_us, unsigned limit, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return store->ops->timer_due(store->be, now_us, limit ? limit : 1000, out);
}

int tsunagu_store_timer_next(tsunagu_store *store, int64_t *due_at_us)
{
	if (!store || !due_at_us)
		return -EINVAL;
	return store->ops->timer_next(store->be, due_at_us);
}
