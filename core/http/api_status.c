/* Operator status and load (OP-2..OP-5): who is available, away or offline
 * (with the admin-defined sub-type), do-not-disturb, and how many chats and
 * calls each has against their capacities; the sub-types themselves.
 * Changes go through the router, whose staff.status_changed event (actor:
 * the caller) is the audit record. */
#define TSUNAGU_LOG_TOPIC "api"
#include "api.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "router.h"

static json_t *status_fields(const tsunagu_store_staff *s)
{
	return json_pack("{s:s,s:s?,s:I,s:o,s:b,s:s,s:i,s:i,s:i,s:i,s:b,s:b,s:b,s:i}", "status",
			 tsunagu_staff_status_name(s->status), "subtype", s->subtype,
			 "subtype_id", (json_int_t)s->subtype_id, "status_since",
			 tsunagu_api_time(s->status_since_us), "dnd", s->dnd, "inquiry_types",
			 tsunagu_inquiry_types_name(s->inquiry_types), "chat_capacity",
			 s->chat_capacity, "open_chats", s->open_chats, "call_capacity",
			 s->call_capacity, "open_calls", s->open_phone, "chats_during_call",
			 s->chats_during_call, "on_call", s->on_call, "after_call_work", s->in_acw,
			 "missed_offers", s->missed_offers);
}

static json_t *staff_status_json(const tsunagu_store_staff *s)
{
	json_t *j = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)s->id, "login", s->login,
			      "display_name", s->display_name ? s->display_name : "", "role",
			      tsunagu_role_name(s->role));
	json_object_update_new(j, status_fields(s));
	return j;
}

/* The id in the path (the first *), 0 when it is not one. */
static int64_t path_id(const tsunagu_api_call *call)
{
	const char *s = call->params->len ? call->params->pdata[0] : NULL;
	char *end = NULL;
	int64_t id = s && g_ascii_isdigit(s[0]) ? g_ascii_strtoll(s, &end, 10) : 0;
	return id > 0 && end && !*end ? id : 0;
}

static bool need_router(tsunagu_api_call *call)
{
	if (call->core->router)
		return true;
	tsunagu_api_error(call, 503, "unavailable", "the router is not running");
	return false;
}

/* GET /api/v1/status: every enabled staff member (supervisors). */
static void status_list(tsunagu_api_call *call)
{
	GPtrArray *all = NULL;
	int ret = tsunagu_store_staff_list(call->core->store, &all);

	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot list staff");
		return;
	}
	json_t *arr = json_array();
	for (guint i = 0; i < all->len; i++) {
		const tsunagu_store_staff *s = all->pdata[i];
		if (!s->disabled)
			json_array_append_new(arr, staff_status_json(s));
	}
	g_ptr_array_unref(all);
	tsunagu_api_reply(call, 200, json_pack("{s:o}", "staff", arr));
}

/* GET /api/v1/me/status. The session's copy may be older than the store's. */
static void my_status(tsunagu_api_call *call)
{
	tsunagu_store_staff *s = NULL;
	int ret = tsunagu_store_staff_get(call->core->store, tsunagu_api_staff_id(call), &s);

	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot read the status");
		return;
	}
	tsunagu_api_reply(call, 200, status_fields(s));
	tsunagu_store_staff_free(s);
}

/* The sub-type of the body: "subtype" (a name of that kind, or an id);
 * absent: the kind's default (0). -EINVAL when it names none. */
static int body_subtype(tsunagu_api_call *call, tsunagu_staff_status kind, int64_t *out)
{
	json_t *v = json_object_get(call->body, "subtype");
	GPtrArray *all = NULL;
	int ret;

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) && !json_is_integer(v))
		return -EINVAL;
	ret = tsunagu_store_status_subtype_list(call->core->store, &all);
	if (ret < 0)
		return ret;
	for (guint i = 0; i < all->len && !*out; i++) {
		tsunagu_store_status_subtype *t = all->pdata[i];
		if (t->kind == kind &&
		    (json_is_integer(v) ? t->id == json_integer_value(v)
					: strcmp(t->name, json_string_value(v)) == 0))
			*out = t->id;
	}
	g_ptr_array_unref(all);
	return *out ? 0 : -EINVAL;
}

static void set_status(tsunagu_api_call *call, int64_t id, bool mine)
{
	tsunagu_store_staff *s = NULL;
	tsunagu_staff_status status;
	const char *status_s;
	int64_t me = tsunagu_api_staff_id(call), subtype = 0;
	int ret;

	if (!tsunagu_api_allowed(call, "status.set", id == me)) {
		tsunagu_api_error(call, 403, "forbidden", "only supervisors change another's status");
		return;
	}
	if (tsunagu_api_get_string(call->body, "status", 16, &status_s) < 0 ||
	    tsunagu_staff_status_parse(status_s, &status) < 0) {
		tsunagu_api_error(call, 400, "bad_request", "status: available, away or offline");
		return;
	}
	ret = body_subtype(call, status, &subtype);
	if (ret < 0) {
		tsunagu_api_error(call, 400, "bad_request",
				  "subtype: the name or id of a sub-type of that status");
		return;
	}
	if (!need_router(call))
		return;
	ret = tsunagu_store_staff_get(call->core->store, id, &s);
	if (ret == 0 && s->disabled)
		ret = -ENOENT;
	if (ret == 0)
		ret = tsunagu_router_set_presence(call->core->router, id, status, subtype, me,
						  "manual");
	tsunagu_store_staff_free(s);
	s = NULL;
	if (ret == 0)
		ret = tsunagu_store_staff_get(call->core->store, id, &s);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, ret == -ENOENT ? "no such staff"
								   : "cannot change the status");
		return;
	}
	tsunagu_api_reply_after_commit(call, 200, mine ? status_fields(s)
						       : json_pack("{s:o}", "staff",
								   staff_status_json(s)));
	tsunagu_store_staff_free(s);
}

/* PUT /api/v1/me/status {status, subtype?}. */
static void set_my_status(tsunagu_api_call *call)
{
	set_status(call, tsunagu_api_staff_id(call), true);
}

/* PUT /api/v1/staff/{id}/status {status, subtype?}: supervisors (own: anyone). */
static void set_staff_status(tsunagu_api_call *call)
{
	int64_t id = path_id(call);

	if (!id) {
		tsunagu_api_error(call, 404, "not_found", "no such staff");
		return;
	}
	set_status(call, id, false);
}

/* PUT /api/v1/me/dnd {dnd: bool}: silences one's own notifications only. */
static void set_my_dnd(tsunagu_api_call *call)
{
	json_t *v = json_object_get(call->body, "dnd");
	int64_t me = tsunagu_api_staff_id(call);
	tsunagu_store_staff *s = NULL;

	if (!json_is_boolean(v)) {
		tsunagu_api_error(call, 400, "bad_request", "dnd: true or false");
		return;
	}
	if (!need_router(call))
		return;
	tsunagu_store_staff_routing rt = {-1, -1, -1, json_is_true(v)};
	int ret = tsunagu_router_set_routing(call->core->router, me, &rt, me);
	if (ret == 0)
		ret = tsunagu_store_staff_get(call->core->store, me, &s);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot change do-not-disturb");
		return;
	}
	tsunagu_api_reply_after_commit(call, 200, status_fields(s));
	tsunagu_store_staff_free(s);
}

/* ---- sub-types -------------------------------------------------------------- */

static json_t *subtype_json(const tsunagu_store_status_subtype *t)
{
	return json_pack("{s:I,s:s,s:s,s:i,s:b}", "id", (json_int_t)t->id, "kind",
			 tsunagu_staff_status_name(t->kind), "name", t->name, "position",
			 t->position, "default", t->is_default);
}

/* GET /api/v1/status/subtypes: everyone (the status menu). */
static void subtypes_list(tsunagu_api_call *call)
{
	GPtrArray *all = NULL;
	int ret = tsunagu_store_status_subtype_list(call->core->store, &all);

	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot list sub-types");
		return;
	}
	json_t *arr = json_array();
	for (guint i = 0; i < all->len; i++)
		json_array_append_new(arr, subtype_json(all->pdata[i]));
	g_ptr_array_unref(all);
	tsunagu_api_reply(call, 200, json_pack("{s:o}", "subtypes", arr));
}

/* Optional "position" (0..100000): -1 absent; false when bad. */
static bool body_position(tsunagu_api_call *call, int *out)
{
	json_t *v = json_object_get(call->body, "position");
	*out = -1;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100000)
		return false;
	*out = (int)json_integer_value(v);
	return true;
}

static void reply_subtype(tsunagu_api_call *call, int status, int64_t id, const char *audit)
{
	tsunagu_store_status_subtype *t = NULL;
	int ret = tsunagu_store_status_subtype_get(call->core->store, id, &t);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot read the sub-type");
		return;
	}
	tsunagu_api_audit(call, audit, 0, json_pack("{s:o}", "subtype", subtype_json(t)));
	tsunagu_api_reply_after_commit(call, status, json_pack("{s:o}", "subtype", subtype_json(t)));
	tsunagu_store_status_subtype_free(t);
}

/* POST /api/v1/status/subtypes {kind, name, position?}: admins. */
static void subtypes_create(tsunagu_api_call *call)
{
	const char *kind_s, *name;
	tsunagu_staff_status kind;
	int position;
	int64_t id = 0;

	if (tsunagu_api_get_string(call->body, "kind", 16, &kind_s) < 0 ||
	    tsunagu_staff_status_parse(kind_s, &kind) < 0 ||
	    tsunagu_api_get_string(call->body, "name", 64, &name) < 0 ||
	    !body_position(call, &position)) {
		tsunagu_api_error(call, 400, "bad_request",
				  "kind (available, away, offline), name (1-64 bytes), position");
		return;
	}
	int ret = tsunagu_store_status_subtype_create(call->core->store, kind, name,
						      position < 0 ? 0 : position, &id);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, ret == -EEXIST ? "this name is taken"
								  : "cannot create the sub-type");
		return;
	}
	reply_subtype(call, 201, id, "status.subtype_created");
}

/* PATCH /api/v1/status/subtypes/{id} {name?, position?}: admins. */
static void subtypes_update(tsunagu_api_call *call)
{
	const char *name = NULL;
	int64_t id = path_id(call);
	int position, r = tsunagu_api_get_string(call->body, "name", 64, &name);

	if (!id) {
		tsunagu_api_error(call, 404, "not_found", "no such sub-type");
		return;
	}
	if ((r < 0 && r != -ENOENT) || !body_position(call, &position)) {
		tsunagu_api_error(call, 400, "bad_request", "name (1-64 bytes), position");
		return;
	}
	int ret = tsunagu_store_status_subtype_update(call->core->store, id, name, position);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, ret == -EEXIST ? "this name is taken"
								  : "no such sub-type");
		return;
	}
	reply_subtype(call, 200, id, "status.subtype_changed");
}

/* DELETE /api/v1/status/subtypes/{id}: admins; holders move to the default. */
static void subtypes_delete(tsunagu_api_call *call)
{
	int64_t id = path_id(call);
	int ret = !id ? -ENOENT : !call->core->router ? -EAGAIN : 0;

	if (ret == 0)
		ret = tsunagu_router_subtype_delete(call->core->router, id,
						    tsunagu_api_staff_id(call));
	if (ret == -EPERM) {
		tsunagu_api_error(call, 409, "conflict", "the default sub-type of a status stays");
		return;
	}
	if (ret == -EAGAIN) {
		need_router(call);
		return;
	}
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "no such sub-type");
		return;
	}
	tsunagu_api_audit(call, "status.subtype_deleted", 0,
			  json_pack("{s:I}", "subtype", (json_int_t)id));
	tsunagu_api_reply_after_commit(call, 204, NULL);
}

const tsunagu_api_route tsunagu_api_status_routes[] = {
	{ "GET", "/api/v1/status", "status.list", false, status_list },
	{ "GET", "/api/v1/me/status", "status.read", false, my_status },
	{ "PUT", "/api/v1/me/status", "status.set", true, set_my_status },
	{ "PUT", "/api/v1/me/dnd", "status.dnd", true, set_my_dnd },
	{ "PUT", "/api/v1/staff/*/status", "status.set", true, set_staff_status },
	{ "GET", "/api/v1/status/subtypes", "subtypes.list", false, subtypes_list },
	{ "POST", "/api/v1/status/subtypes", "subtypes.manage", true, subtypes_create },
	{ "PATCH", "/api/v1/status/subtypes/*", "subtypes.manage", true, subtypes_update },
	{ "DELETE", "/api/v1/status/subtypes/*", "subtypes.manage", false, subtypes_delete },
	{ NULL, NULL, NULL, false, NULL },
};
