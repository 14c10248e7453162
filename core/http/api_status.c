/* Operator status and load (OP-2, OP-5): who is available, away or offline,
 * and how many chats each has against their capacity. Changes go through the
 * router, whose staff.status_changed event (actor: the caller) is the audit
 * record. */
#define TSUNAGU_LOG_TOPIC "api"
#include "api.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "router.h"

static json_t *status_fields(const tsunagu_store_staff *s)
{
	return json_pack("{s:s,s:o,s:i,s:i}", "status", tsunagu_staff_status_name(s->status),
			 "status_since", tsunagu_api_time(s->status_since_us), "chat_capacity",
			 s->chat_capacity, "open_chats", s->open_chats);
}

static json_t *staff_status_json(const tsunagu_store_staff *s)
{
	json_t *j = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)s->id, "login", s->login,
			      "display_name", s->display_name ? s->display_name : "", "role",
			      tsunagu_role_name(s->role));
	json_object_update_new(j, status_fields(s));
	return j;
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

static void set_status(tsunagu_api_call *call, int64_t id, bool mine)
{
	tsunagu_store_staff *s = NULL;
	tsunagu_staff_status status;
	const char *status_s;
	int64_t me = tsunagu_api_staff_id(call);
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
	if (!call->core->router) {
		tsunagu_api_error(call, 503, "unavailable", "the router is not running");
		return;
	}
	ret = tsunagu_store_staff_get(call->core->store, id, &s);
	if (ret == 0 && s->disabled)
		ret = -ENOENT;
	if (ret == 0)
		ret = tsunagu_router_set_status(call->core->router, id, status, me, "manual");
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

/* PUT /api/v1/me/status {status}. */
static void set_my_status(tsunagu_api_call *call)
{
	set_status(call, tsunagu_api_staff_id(call), true);
}

/* PUT /api/v1/staff/{id}/status {status}: supervisors (own: anyone). */
static void set_staff_status(tsunagu_api_call *call)
{
	const char *s = call->params->len ? call->params->pdata[0] : NULL;
	char *end = NULL;
	int64_t id = s && g_ascii_isdigit(s[0]) ? g_ascii_strtoll(s, &end, 10) : 0;

	if (id <= 0 || !end || *end) {
		tsunagu_api_error(call, 404, "not_found", "no such staff");
		return;
	}
	set_status(call, id, false);
}

const tsunagu_api_route tsunagu_api_status_routes[] = {
	{ "GET", "/api/v1/status", "status.list", false, status_list },
	{ "GET", "/api/v1/me/status", "status.read", false, my_status },
	{ "PUT", "/api/v1/me/status", "status.set", true, set_my_status },
	{ "PUT", "/api/v1/staff/*/status", "status.set", true, set_staff_status },
	{ NULL, NULL, NULL, false, NULL },
};
