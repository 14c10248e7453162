/* The store's value types: names of its enums (as stored and as the API
 * shows them) and the *_free functions of the structs it returns. */
#include <errno.h>
#include <string.h>

#include "store.h"

static const char *const role_names[] = {
	[TSUNAGU_ROLE_OPERATOR] = "operator",
	[TSUNAGU_ROLE_SUPERVISOR] = "supervisor",
	[TSUNAGU_ROLE_ADMIN] = "admin",
};

static const char *const conv_state_names[] = {
	[TSUNAGU_CONV_WAITING] = "waiting",
	[TSUNAGU_CONV_OPEN] = "open",
	[TSUNAGU_CONV_SNOOZED] = "snoozed",
	[TSUNAGU_CONV_CLOSE_REQUESTED] = "close_requested",
	[TSUNAGU_CONV_CLOSED] = "closed",
};

static const char *const msg_kind_names[] = {
	[TSUNAGU_MSG_CUSTOMER] = "customer",
	[TSUNAGU_MSG_OPERATOR] = "operator",
	[TSUNAGU_MSG_NOTE] = "note",
	[TSUNAGU_MSG_SYSTEM] = "system",
	[TSUNAGU_MSG_DRAFT] = "draft",
};

static const char *enum_name(const char *const *names, size_t n, int value)
{
	if (value <= 0 || (size_t)value >= n)
		return NULL;
	return names[value];
}

static int enum_parse(const char *const *names, size_t n, const char *name, int *out)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 1; i < n; i++) {
		if (strcmp(names[i], name) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *tsunagu_role_name(tsunagu_role role)
{
	return enum_name(role_names, G_N_ELEMENTS(role_names), (int)role);
}

int tsunagu_role_parse(const char *name, tsunagu_role *out)
{
	int v = 0;
	int r = enum_parse(role_names, G_N_ELEMENTS(role_names), name, &v);

	if (r == 0 && out)
		*out = (tsunagu_role)v;
	return r;
}

const char *tsunagu_conv_state_name(tsunagu_conv_state s)
{
	return enum_name(conv_state_names, G_N_ELEMENTS(conv_state_names), (int)s);
}

int tsunagu_conv_state_parse(const char *name, tsunagu_conv_state *out)
{
	int v = 0;
	int r = enum_parse(conv_state_names, G_N_ELEMENTS(conv_state_names), name, &v);

	if (r == 0 && out)
		*out = (tsunagu_conv_state)v;
	return r;
}

const char *tsunagu_msg_kind_name(tsunagu_msg_kind k)
{
	return enum_name(msg_kind_names, G_N_ELEMENTS(msg_kind_names), (int)k);
}

int tsunagu_msg_kind_parse(const char *name, tsunagu_msg_kind *out)
{
	int v = 0;
	int r = enum_parse(msg_kind_names, G_N_ELEMENTS(msg_kind_names), name, &v);

	if (r == 0 && out)
		*out = (tsunagu_msg_kind)v;
	return r;
}

void tsunagu_store_event_free(tsunagu_store_event *ev)
{
	if (!ev)
		return;
	g_free(ev->type);
	g_free(ev->payload_json);
	g_free(ev);
}

void tsunagu_store_team_free(tsunagu_store_team *t)
{
	if (!t)
		return;
	g_free(t->name);
	g_free(t);
}

void tsunagu_store_staff_free(tsunagu_store_staff *s)
{
	if (!s)
		return;
	g_free(s->login);
	g_free(s->display_name);
	g_free(s->email);
	g_free(s->password_hash);
	g_free(s->subtype);
	g_free(s);
}

void tsunagu_store_status_subtype_free(tsunagu_store_status_subtype *t)
{
	if (!t)
		return;
	g_free(t->name);
	g_free(t);
}

void tsunagu_store_call_free(tsunagu_store_call *c)
{
	if (!c)
		return;
	g_free(c->direction);
	g_free(c->state);
	g_free(c->missed_reason);
	g_free(c->provider_call_id);
	g_free(c->line);
	g_free(c->disposition);
	g_free(c->conversation_public_id);
	g_free(c->channel);
	g_free(c->staff_login);
	g_free(c->caller_id);
	g_free(c);
}

void tsunagu_store_offer_free(tsunagu_store_offer *o)
{
	if (!o)
		return;
	g_free(o->state);
	g_free(o);
}

void tsunagu_store_session_free(tsunagu_store_session *s)
{
	if (!s)
		return;
	g_free(s->token_hash);
	g_free(s->csrf_token);
	g_free(s);
}

void tsunagu_store_contact_free(tsunagu_store_contact *c)
{
	if (!c)
		return;
	g_free(c->public_id);
	g_free(c->name);
	if (c->attributes)
		g_hash_table_unref(c->attributes);
	if (c->tags)
		g_ptr_array_unref(c->tags);
	g_free(c);
}

void tsunagu_store_conversation_free(tsunagu_store_conversation *c)
{
	if (!c)
		return;
	g_free(c->public_id);
	g_free(c->channel);
	g_free(c->category);
	g_free(c->memo);
	g_free(c->visitor_json);
	g_free(c->route_json);
	g_free(c);
}

void tsunagu_store_message_free(tsunagu_store_message *m)
{
	if (!m)
		return;
	g_free(m->body);
	g_free(m->provider_message_id);
	g_free(m);
}

void tsunagu_store_timer_free(tsunagu_store_timer *t)
{
	if (!t)
		return;
	g_free(t->key);
	g_free(t->payload_json);
	g_free(t);
}

static const char *const staff_status_names[] = {
	[TSUNAGU_STATUS_AVAILABLE] = "available",
	[TSUNAGU_STATUS_AWAY] = "away",
	[TSUNAGU_STATUS_OFFLINE] = "offline",
};

const char *tsunagu_staff_status_name(tsunagu_staff_status s)
{
	return enum_name(staff_status_names, G_N_ELEMENTS(staff_status_names), (int)s);
}

int tsunagu_staff_status_parse(const char *name, tsunagu_staff_status *out)
{
	int v = 0;
	int r = enum_parse(staff_status_names, G_N_ELEMENTS(staff_status_names), name, &v);

	if (r == 0 && out)
		*out = (tsunagu_staff_status)v;
	return r;
}

static const char *const inquiry_names[] = {
	[TSUNAGU_INQUIRY_CHAT] = "chat",
	[TSUNAGU_INQUIRY_PHONE] = "phone",
	[TSUNAGU_INQUIRY_BOTH] = "both",
};

const char *tsunagu_inquiry_types_name(int types)
{
	return enum_name(inquiry_names, G_N_ELEMENTS(inquiry_names), types);
}

int tsunagu_inquiry_types_parse(const char *name, int *out)
{
	int v = 0;
	int r = enum_parse(inquiry_names, G_N_ELEMENTS(inquiry_names), name, &v);

	if (r == 0 && out)
		*out = v;
	return r;
}

static const char *const conv_view_names[] = {
	[TSUNAGU_VIEW_ALL] = "all",		[TSUNAGU_VIEW_MINE] = "mine",
	[TSUNAGU_VIEW_WAITING] = "waiting",	[TSUNAGU_VIEW_UNREPLIED] = "unreplied",
	[TSUNAGU_VIEW_REPLIED] = "replied",	[TSUNAGU_VIEW_SNOOZED] = "snoozed",
	[TSUNAGU_VIEW_CLOSED] = "closed",
};

const char *tsunagu_conv_view_name(tsunagu_conv_view v)
{
	return enum_name(conv_view_names, G_N_ELEMENTS(conv_view_names), (int)v);
}

int tsunagu_conv_view_parse(const char *name, tsunagu_conv_view *out)
{
	int v = 0;
	int r = enum_parse(conv_view_names, G_N_ELEMENTS(conv_view_names), name, &v);

	if (r == 0 && out)
		*out = (tsunagu_conv_view)v;
	return r;
}

void tsunagu_store_conversation_item_free(tsunagu_store_conversation_item *it)
{
	if (!it)
		return;
	tsunagu_store_conversation_free(it->conv);
	g_free(it->contact_name);
	g_free(it->assignee_login);
	g_free(it->assignee_display_name);
	g_free(it->last_text);
	g_free(it);
}
