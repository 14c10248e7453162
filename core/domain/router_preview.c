/* The router's choice, previewed (router_preview.h). */
#include "router_preview.h"

#include <errno.h>

#include "router_route.h"

/* The namespace and key under which the router keeps a route's round-robin
 * position (router.c); read here, never written. */
#define ROUTER_SETTINGS_NS "router"

void tsunagu_router_preview_free(tsunagu_router_preview *p)
{
	if (!p)
		return;
	g_free(p->login);
	g_free(p->display_name);
	json_decref(p->notes);
	g_free(p);
}

/* Whether the preferred operator (last operator, CRM owner) would take it:
 * placement tries them before the pick. */
static bool preferred_takes(tsunagu_core *core, int64_t id)
{
	tsunagu_store_staff *s = NULL;
	bool yes = tsunagu_store_staff_get(core->store, id, &s) == 0 &&
		   s->status == TSUNAGU_STATUS_AVAILABLE && !s->disabled &&
		   s->open_chats < s->chat_capacity;
	tsunagu_store_staff_free(s);
	return yes;
}

static int64_t rr_position(tsunagu_core *core, const router_route *route)
{
	char *key = router_route_rr_key(route), *value = NULL;
	int64_t after = 0;
	if (tsunagu_store_setting_get(core->store, ROUTER_SETTINGS_NS, key, &value) == 0)
		after = g_ascii_strtoll(value, NULL, 10);
	g_free(key);
	g_free(value);
	return after;
}

static int store_pick(tsunagu_core *core, const router_route *route, int64_t *staff_id)
{
	char *staff = router_ids_json(route->staff), *teams = router_ids_json(route->teams);
	tsunagu_store_pick q = {
		.method = router_route_pick_method(route),
		.all = route->all,
		.staff_ids_json = staff,
		.team_ids_json = teams,
		.now_us = tsunagu_core_now_us(),
	};
	if (q.method == TSUNAGU_PICK_ROUND_ROBIN)
		q.rr_after = rr_position(core, route);
	int ret = tsunagu_store_staff_pick(core->store, &q, staff_id);
	g_free(staff);
	g_free(teams);
	return ret;
}

int tsunagu_router_preview_pick(tsunagu_core *core, const tsunagu_store_conversation *conv,
				json_t *target, const char *method, tsunagu_router_preview **out)
{
	tsunagu_router_preview *p = g_new0(tsunagu_router_preview, 1);
	router_route *route = router_route_resolve(core, conv, target, method);
	tsunagu_store_staff *s = NULL;
	int64_t id = 0;
	int ret = 0;

	*out = NULL;
	p->notes = json_array();
	for (guint i = 0; i < route->notes->len; i++)
		json_array_append_new(p->notes, json_string(route->notes->pdata[i]));
	if (router_route_nobody(route)) {
		p->reason = "target_nobody";
		goto done;
	}
	if (route->prefer && preferred_takes(core, route->prefer)) {
		id = route->prefer;
	} else if (route->all || route->staff->len || route->teams->len) {
		ret = store_pick(core, route, &id);
		if (ret == -ENOENT)
			ret = 0;
		if (ret < 0)
			goto out;
	}
	if (!id) {
		p->reason = "nobody_qualifies";
		goto done;
	}
	ret = tsunagu_store_staff_get(core->store, id, &s);
	if (ret < 0)
		goto out;
	p->staff_id = id;
	p->login = g_strdup(s->login);
	p->display_name = g_strdup(s->display_name);
done:
	*out = g_steal_pointer(&p);
out:
	tsunagu_store_staff_free(s);
	router_route_free(route);
	tsunagu_router_preview_free(p);
	return ret;
}
