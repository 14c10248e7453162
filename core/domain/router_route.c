/* Routes: from a rule's target to who may receive a conversation. */
#define TSUNAGU_LOG_TOPIC "router"
#include "router_route.h"

#include <errno.h>
#include <string.h>

#include "log.h"

/* Fallbacks nest (last_operator { fallback = crm_owner { fallback = ... } });
 * rules cannot build cycles, but a bound keeps a hostile JSON harmless. */
#define MAX_DEPTH 8

static const char *const methods[] = { "longest_idle", "fewest_handled", "round_robin",
				       "ring_all", NULL };

router_route *router_route_new(void)
{
	router_route *r = g_new0(router_route, 1);
	r->staff = g_array_new(FALSE, FALSE, sizeof(int64_t));
	r->teams = g_array_new(FALSE, FALSE, sizeof(int64_t));
	r->notes = g_ptr_array_new_with_free_func(g_free);
	r->method = g_strdup("longest_idle");
	return r;
}

void router_route_free(router_route *r)
{
	if (!r)
		return;
	g_array_unref(r->staff);
	g_array_unref(r->teams);
	g_ptr_array_unref(r->notes);
	g_free(r->method);
	g_free(r);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static bool has_id(const GArray *ids, int64_t id)
{
	return ids && ids->len && bsearch(&id, ids->data, ids->len, sizeof(int64_t), cmp_id) != NULL;
}

static void add_id(GArray *ids, int64_t id)
{
	if (id <= 0 || has_id(ids, id))
		return;
	g_array_append_val(ids, id);
	g_array_sort(ids, cmp_id);
}

static void set_method(router_route *r, const char *method)
{
	for (const char *const *m = methods; method && *m; m++) {
		if (strcmp(*m, method) == 0) {
			g_free(r->method);
			r->method = g_strdup(method);
			return;
		}
	}
}

static void add_login(tsunagu_core *core, router_route *r, const char *login, bool prefer)
{
	tsunagu_store_staff *s = NULL;
	if (!login || tsunagu_store_staff_get_by_login(core->store, login, &s) < 0) {
		g_ptr_array_add(r->notes, g_strdup_printf("unknown operator \"%s\"", login ? login : ""));
		return;
	}
	if (prefer && !r->prefer)
		r->prefer = s->id;
	else if (!prefer)
		add_id(r->staff, s->id);
	tsunagu_store_staff_free(s);
}

static void add_team(tsunagu_core *core, router_route *r, const char *name)
{
	int64_t id = 0;
	if (!name || tsunagu_store_team_get_by_name(core->store, name, &id) < 0) {
		g_ptr_array_add(r->notes, g_strdup_printf("unknown team \"%s\"", name ? name : ""));
		return;
	}
	add_id(r->teams, id);
}

/* The staff member a CRM attribute names: a login, or else an email. */
static int64_t owner_of(tsunagu_core *core, const tsunagu_store_conversation *conv,
			const char *attribute)
{
	tsunagu_store_contact *contact = NULL;
	tsunagu_store_staff *s = NULL;
	GPtrArray *all = NULL;
	int64_t id = 0;

	if (!attribute || tsunagu_store_contact_get(core->store, conv->contact_id, &contact) < 0)
		return 0;
	const char *value = g_hash_table_lookup(contact->attributes, attribute);
	if (value && tsunagu_store_staff_get_by_login(core->store, value, &s) == 0)
		id = s->id;
	else if (value && strchr(value, '@') && tsunagu_store_staff_list(core->store, &all) == 0)
		for (guint i = 0; i < all->len && !id; i++) {
			tsunagu_store_staff *x = all->pdata[i];
			if (x->email && g_ascii_strcasecmp(x->email, value) == 0)
				id = x->id;
		}
	tsunagu_store_staff_free(s);
	if (all)
		g_ptr_array_unref(all);
	tsunagu_store_contact_free(contact);
	return id;
}

static void resolve(tsunagu_core *core, const tsunagu_store_conversation *conv, json_t *t,
		    router_route *r, int depth)
{
	const char *kind = json_string_value(json_object_get(t, "kind"));
	size_t i;
	json_t *v;

	if (!kind || depth > MAX_DEPTH) {
		g_ptr_array_add(r->notes, g_strdup("not a target"));
		return;
	}
	if (strcmp(kind, "all_available") == 0) {
		r->all = true;
	} else if (strcmp(kind, "nobody") == 0) {
		/* admits nobody: adds nothing */
	} else if (strcmp(kind, "team") == 0) {
		add_team(core, r, json_string_value(json_object_get(t, "name")));
	} else if (strcmp(kind, "operators") == 0) {
		json_array_foreach(json_object_get(t, "operators"), i, v)
			add_login(core, r, json_string_value(v), false);
		json_array_foreach(json_object_get(t, "teams"), i, v)
			add_team(core, r, json_string_value(v));
	} else if (strcmp(kind, "last_operator") == 0 || strcmp(kind, "crm_owner") == 0) {
		int64_t id = 0;
		if (kind[0] == 'l')
			tsunagu_store_contact_last_operator(core->store, conv->contact_id, conv->id,
							    &id);
		else
			id = owner_of(core, conv,
				      json_string_value(json_object_get(t, "attribute")));
		if (id && !r->prefer)
			r->prefer = id;
		json_t *fallback = json_object_get(t, "fallback");
		if (fallback)
			resolve(core, conv, fallback, r, depth + 1);
	} else {
		g_ptr_array_add(r->notes, g_strdup_printf("unknown target kind \"%s\"", kind));
	}
}

router_route *router_route_resolve(tsunagu_core *core, const tsunagu_store_conversation *conv,
				   json_t *target, const char *method)
{
	router_route *r = router_route_new();
	set_method(r, method);
	if (!target)
		r->all = true;
	else
		resolve(core, conv, target, r, 0);
	return r;
}

bool router_route_nobody(const router_route *r)
{
	return !r->all && !r->prefer && r->staff->len == 0 && r->teams->len == 0;
}

static json_t *ids_array(const GArray *ids)
{
	json_t *a = json_array();
	for (guint i = 0; i < ids->len; i++)
		json_array_append_new(a, json_integer(g_array_index(ids, int64_t, i)));
	return a;
}

char *router_ids_json(const GArray *ids)
{
	json_t *a = ids_array(ids);
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	char *g = g_strdup(s);
	free(s);
	return g;
}

char *router_route_to_json(const router_route *r)
{
	json_t *o = json_object();
	if (router_route_nobody(r)) {
		json_object_set_new(o, "nobody", json_true());
	} else {
		json_object_set_new(o, "method", json_string(r->method));
		if (r->all)
			json_object_set_new(o, "all", json_true());
		if (r->prefer)
			json_object_set_new(o, "prefer", json_integer(r->prefer));
		if (r->staff->len)
			json_object_set_new(o, "staff", ids_array(r->staff));
		if (r->teams->len)
			json_object_set_new(o, "teams", ids_array(r->teams));
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	char *g = g_strdup(s);
	free(s);
	return g;
}

static void parse_ids(json_t *a, GArray *ids)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (json_is_integer(v))
			add_id(ids, json_integer_value(v));
}

router_route *router_route_parse(const char *json_text)
{
	router_route *r = router_route_new();
	json_t *o = json_text ? json_loads(json_text, 0, NULL) : NULL;
	if (!json_is_object(o)) {
		r->all = true;
		json_decref(o);
		return r;
	}
	if (!json_is_true(json_object_get(o, "nobody"))) {
		set_method(r, json_string_value(json_object_get(o, "method")));
		r->all = json_is_true(json_object_get(o, "all"));
		json_t *p = json_object_get(o, "prefer");
		r->prefer = json_is_integer(p) && json_integer_value(p) > 0 ? json_integer_value(p) : 0;
		parse_ids(json_object_get(o, "staff"), r->staff);
		parse_ids(json_object_get(o, "teams"), r->teams);
	}
	json_decref(o);
	return r;
}

bool router_route_admits(const router_route *r, int64_t staff_id, const GArray *teams)
{
	if (r->all || r->prefer == staff_id || has_id(r->staff, staff_id))
		return true;
	for (guint i = 0; teams && i < teams->len; i++)
		if (has_id(r->teams, g_array_index(teams, int64_t, i)))
			return true;
	return false;
}

tsunagu_pick_method router_route_pick_method(const router_route *r)
{
	if (strcmp(r->method, "fewest_handled") == 0)
		return TSUNAGU_PICK_FEWEST_HANDLED;
	if (strcmp(r->method, "round_robin") == 0)
		return TSUNAGU_PICK_ROUND_ROBIN;
	return TSUNAGU_PICK_LONGEST_IDLE; /* longest_idle, and ring_all for chats */
}

char *router_route_rr_key(const router_route *r)
{
	char *staff = router_ids_json(r->staff), *teams = router_ids_json(r->teams);
	char *who = g_strdup_printf("%d|%s|%s", r->all, staff, teams);
	char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA1, who, -1);
	char *key = g_strconcat("rr:", sum, NULL);
	g_free(staff);
	g_free(teams);
	g_free(who);
	g_free(sum);
	return key;
}
