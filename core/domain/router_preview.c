/* The router's choice, previewed (router_preview.h). */
#include "router_preview.h"

#include <errno.h>

#include "router_private.h"

void tsunagu_router_preview_free(tsunagu_router_preview *p)
{
	if (!p)
		return;
	g_free(p->login);
	g_free(p->display_name);
	json_decref(p->notes);
	g_free(p);
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
	if (!core->router) {
		ret = -ENOTSUP;
		goto out;
	}
	/* the router's own choice (preferred operator, eligibility for chats
	 * or calls, round robin's owed turns), with nothing written */
	ret = router_pick_dry(core->router, route, router_is_phone(conv), &id);
	if (ret == -ENOENT)
		ret = 0;
	if (ret < 0)
		goto out;
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
