/* The router: operator status and its sub-type, chat capacity and routing
 * settings, login and logout. Every change is an event whose actor is who
 * made it (the audit record). */
#define TSUNAGU_LOG_TOPIC "router"
#include <errno.h>
#include <string.h>

#include "events.h"
#include "log.h"
#include "router_private.h"

int router_status_writes(tsunagu_router *r, int64_t staff_id, tsunagu_staff_status status,
			 int64_t subtype_id, int64_t by_staff_id, const char *reason)
{
	tsunagu_store *store = r->core->store;
	tsunagu_store_staff *before = NULL, *after = NULL;
	tsunagu_staff_status previous = 0;
	int ret;

	ret = tsunagu_store_staff_get(store, staff_id, &before);
	if (ret == 0)
		ret = tsunagu_store_staff_set_status(store, staff_id, status, &previous);
	if (ret == 0)
		ret = tsunagu_store_staff_set_subtype(store, staff_id, subtype_id);
	if (ret == 0)
		ret = tsunagu_store_staff_get(store, staff_id, &after);
	if (ret < 0 || (previous == status && before->subtype_id == after->subtype_id))
		goto out;
	json_t *payload = json_pack(
		"{s:I, s:s, s:s?, s:s?, s:s?, s:s}", "staff", (json_int_t)staff_id, "status",
		tsunagu_staff_status_name(status), "previous", tsunagu_staff_status_name(previous),
		"subtype", after->subtype, "previous_subtype", before->subtype, "reason",
		reason ? reason : "manual");
	ret = router_emit(r, "staff.status_changed", 0, by_staff_id, payload);
	if (ret == 0)
		tlog_info("staff %" G_GINT64_FORMAT " is %s/%s (%s)", staff_id,
			  tsunagu_staff_status_name(status), after->subtype ? after->subtype : "-",
			  reason ? reason : "manual");
out:
	tsunagu_store_staff_free(before);
	tsunagu_store_staff_free(after);
	return ret;
}

int tsunagu_router_set_presence(tsunagu_router *router, int64_t staff_id,
				tsunagu_staff_status status, int64_t subtype_id,
				int64_t by_staff_id, const char *reason)
{
	unsigned mark;
	int ret;

	if (!router || !tsunagu_staff_status_name(status) || subtype_id < 0)
		return -EINVAL;
	ret = router_unit_begin(router, &mark);
	if (ret < 0)
		return ret;
	return router_unit_end(router, mark,
			       router_status_writes(router, staff_id, status, subtype_id,
						    by_staff_id, reason));
}

int tsunagu_router_set_status(tsunagu_router *router, int64_t staff_id,
			      tsunagu_staff_status status, int64_t by_staff_id, const char *reason)
{
	return tsunagu_router_set_presence(router, staff_id, status, 0, by_staff_id, reason);
}

int tsunagu_router_set_capacity(tsunagu_router *router, int64_t staff_id, int capacity,
				int64_t by_staff_id)
{
	tsunagu_store_staff *s = NULL;
	unsigned mark;
	int ret;

	if (!router || capacity < 0 || capacity > TSUNAGU_CHAT_CAPACITY_MAX)
		return -EINVAL;
	ret = tsunagu_store_staff_get(router->core->store, staff_id, &s);
	if (ret < 0)
		return ret;
	if (s->chat_capacity == capacity)
		goto out;
	ret = router_unit_begin(router, &mark);
	if (ret < 0)
		goto out;
	ret = tsunagu_store_staff_set_capacity(router->core->store, staff_id, capacity);
	if (ret == 0)
		ret = router_emit(router, "staff.capacity_changed", 0, by_staff_id,
				  json_pack("{s:I, s:i, s:i}", "staff", (json_int_t)staff_id,
					    "chat_capacity", capacity, "previous",
					    s->chat_capacity));
	ret = router_unit_end(router, mark, ret);
out:
	tsunagu_store_staff_free(s);
	return ret;
}

int tsunagu_router_set_routing(tsunagu_router *router, int64_t staff_id,
			       const tsunagu_store_staff_routing *rt, int64_t by_staff_id)
{
	tsunagu_store_staff *s = NULL;
	json_t *changed = NULL;
	unsigned mark;
	int ret;

	if (!router || !rt)
		return -EINVAL;
	ret = tsunagu_store_staff_get(router->core->store, staff_id, &s);
	if (ret < 0)
		return ret;
	changed = json_object();
	if (rt->inquiry_types > 0 && rt->inquiry_types != s->inquiry_types)
		json_object_set_new(changed, "inquiry_types",
				    json_string(tsunagu_inquiry_types_name(rt->inquiry_types)));
	if (rt->call_capacity >= 0 && rt->call_capacity != s->call_capacity)
		json_object_set_new(changed, "call_capacity", json_integer(rt->call_capacity));
	if (rt->chats_during_call >= 0 && (rt->chats_during_call != 0) != s->chats_during_call)
		json_object_set_new(changed, "chats_during_call",
				    json_boolean(rt->chats_during_call));
	if (rt->dnd >= 0 && (rt->dnd != 0) != s->dnd)
		json_object_set_new(changed, "dnd", json_boolean(rt->dnd));
	ret = router_unit_begin(router, &mark);
	if (ret < 0)
		goto out;
	ret = tsunagu_store_staff_set_routing(router->core->store, staff_id, rt);
	if (ret == 0 && json_object_size(changed))
		ret = router_emit(router, "staff.routing_changed", 0, by_staff_id,
				  json_pack("{s:I, s:O}", "staff", (json_int_t)staff_id, "changed",
					    changed));
	ret = router_unit_end(router, mark, ret);
out:
	json_decref(changed);
	tsunagu_store_staff_free(s);
	return ret;
}

int tsunagu_router_subtype_delete(tsunagu_router *router, int64_t subtype_id,
				  int64_t by_staff_id)
{
	tsunagu_store_status_subtype *t = NULL;
	GArray *moved = NULL;
	unsigned mark;
	int ret;

	if (!router)
		return -EINVAL;
	ret = tsunagu_store_status_subtype_get(router->core->store, subtype_id, &t);
	if (ret < 0)
		return ret;
	ret = router_unit_begin(router, &mark);
	if (ret < 0)
		goto out;
	ret = tsunagu_store_status_subtype_delete(router->core->store, subtype_id, &moved);
	for (guint i = 0; ret == 0 && moved && i < moved->len; i++) {
		int64_t id = g_array_index(moved, int64_t, i);
		tsunagu_store_staff *s = NULL;
		ret = tsunagu_store_staff_get(router->core->store, id, &s);
		if (ret == 0) {
			const char *status = tsunagu_staff_status_name(s->status);
			ret = router_emit(router, "staff.status_changed", 0, by_staff_id,
					  json_pack("{s:I, s:s, s:s, s:s?, s:s, s:s}", "staff",
						    (json_int_t)id, "status", status, "previous",
						    status, "subtype", s->subtype,
						    "previous_subtype", t->name, "reason",
						    "subtype_deleted"));
		}
		tsunagu_store_staff_free(s);
	}
	ret = router_unit_end(router, mark, ret);
out:
	if (moved)
		g_array_unref(moved);
	tsunagu_store_status_subtype_free(t);
	return ret;
}

void tsunagu_router_logged_in(tsunagu_router *router, const tsunagu_store_staff *staff)
{
	if (!router || !staff || staff->role != TSUNAGU_ROLE_OPERATOR)
		return;
	int ret = tsunagu_router_set_status(router, staff->id, TSUNAGU_STATUS_AVAILABLE, staff->id,
					    "login");
	if (ret < 0)
		tlog_warn("staff %" G_GINT64_FORMAT " logged in but stays %s: %s", staff->id,
			  "unchanged", g_strerror(-ret));
}

void tsunagu_router_logged_out(tsunagu_router *router, int64_t staff_id)
{
	int64_t left = 0;

	if (!router)
		return;
	int ret = tsunagu_store_session_count_for_staff(router->core->store, staff_id,
							tsunagu_core_now_us(), &left);
	if (ret == 0 && left == 0)
		ret = tsunagu_router_set_status(router, staff_id, TSUNAGU_STATUS_OFFLINE, staff_id,
						"logout");
	if (ret < 0)
		tlog_warn("staff %" G_GINT64_FORMAT " logged out, status unchanged: %s", staff_id,
			  g_strerror(-ret));
}
