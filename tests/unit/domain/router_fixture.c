/* The router test fixture: a real store, the event bus, the domain with a
 * "web" channel and the router, on a controlled clock (fake_now). Shared by
 * the test_router*.c files; the helpers are documented in the header. */
#include "router_fixture.h"

#include <string.h>

#include "domain_test_core.h"

int64_t fake_now;

int64_t fake_clock(void)
{
	return fake_now;
}


static void on_event(const tsunagu_store_event *ev, void *p)
{
	fixture *f = p;
	tsunagu_store_event *e = g_new0(tsunagu_store_event, 1);
	e->type = g_strdup(ev->type);
	e->conversation_id = ev->conversation_id;
	e->actor_staff_id = ev->actor_staff_id;
	e->payload_json = g_strdup(ev->payload_json);
	g_ptr_array_add(f->seen, e);
}

static int deliver(const char *channel, const char *recipient, const char *conv, int64_t msg_id,
		  tsunagu_msg_kind kind, const char *text, void *p)
{
	return 0;
}

void spin(void)
{
	for (int i = 0; i < 10; i++)
		while (g_main_context_iteration(NULL, FALSE))
			;
}

void setup(fixture *f, gconstpointer data)
{
	memset(f, 0, sizeof *f);
	fake_now = (int64_t)1700000000 * G_USEC_PER_SEC;
	domain_test_core_open(&f->core, "test-router", "off", &f->dir, &f->db);
	f->core.config = tsunagu_config_new_defaults();
	g_assert_cmpint(tsunagu_router_new(&f->core, &f->core.router), ==, 0);
	f->seen = g_ptr_array_new_with_free_func((GDestroyNotify)tsunagu_store_event_free);
	tsunagu_events_subscribe(f->core.events, on_event, f);
	g_assert_cmpint(tsunagu_domain_register_channel(f->core.domain, "web", deliver, f, f), ==, 0);
}

void teardown(fixture *f, gconstpointer data)
{
	tsunagu_store_flush(f->core.store);
	tsunagu_router_free(f->core.router);
	domain_test_core_close(&f->core, f->dir, f->db);
	g_ptr_array_unref(f->seen);
	tsunagu_config_free(f->core.config);
}

int64_t operator(fixture *f, const char *login, tsunagu_role role)
{
	int64_t id = 0;
	g_assert_cmpint(tsunagu_store_staff_create(f->core.store, login, login, NULL, role, "x", &id),
			==, 0);
	return id;
}

/* Available with this capacity, one minute later than the last change. */
void available(fixture *f, int64_t id, int capacity)
{
	fake_now += MINUTE;
	g_assert_cmpint(tsunagu_router_set_capacity(f->core.router, id, capacity, 0), ==, 0);
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, id, TSUNAGU_STATUS_AVAILABLE, 0,
						  NULL), ==, 0);
	spin();
}

static void on_ack(int status, int64_t conv_id, const char *public_id, int64_t msg_id, void *p)
{
	g_assert_cmpint(status, ==, 0);
	*(int64_t *)p = conv_id;
}

/* A new customer writes; not committed yet (no spin). Returns a slot that
 * holds the conversation id once committed. */
int64_t *arrive(fixture *f, int64_t *slot)
{
	char *who = g_strdup_printf("customer-%u", ++f->customers);
	tsunagu_inbound_message m = {.channel = "web", .sender_id = who, .text = "こんにちは"};
	g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, slot), ==, 0);
	g_free(who);
	return slot;
}

int64_t arrive_now(fixture *f)
{
	int64_t id = 0;
	fake_now += MINUTE;
	arrive(f, &id);
	spin();
	g_assert_cmpint(id, >, 0);
	return id;
}

tsunagu_store_conversation *conv(fixture *f, int64_t id)
{
	tsunagu_store_conversation *c = NULL;
	g_assert_cmpint(tsunagu_store_conversation_get(f->core.store, id, &c), ==, 0);
	return c;
}

int64_t assignee(fixture *f, int64_t id)
{
	tsunagu_store_conversation *c = conv(f, id);
	int64_t a = c->assignee_id;
	if (a)
		g_assert_cmpint(c->state, ==, TSUNAGU_CONV_OPEN);
	else
		g_assert_cmpint(c->waiting_since_us, >, 0);
	tsunagu_store_conversation_free(c);
	return a;
}

int open_chats(fixture *f, int64_t staff)
{
	tsunagu_store_staff *s = NULL;
	int64_t counted = 0;
	g_assert_cmpint(tsunagu_store_staff_get(f->core.store, staff, &s), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_open_count(f->core.store, staff, &counted), ==, 0);
	g_assert_cmpint(counted, ==, s->open_chats);
	int n = s->open_chats;
	tsunagu_store_staff_free(s);
	return n;
}

unsigned count_events(fixture *f, const char *type)
{
	unsigned n = 0;
	for (guint i = 0; i < f->seen->len; i++)
		n += strcmp(((tsunagu_store_event *)f->seen->pdata[i])->type, type) == 0;
	return n;
}

json_t *last_event(fixture *f, const char *type)
{
	for (guint i = f->seen->len; i-- > 0;) {
		tsunagu_store_event *e = f->seen->pdata[i];
		if (strcmp(e->type, type) == 0)
			return json_loads(e->payload_json, 0, NULL);
	}
	return NULL;
}

int64_t place(fixture *f, int64_t contact, const char *target_json, const char *method)
{
	int64_t id = 0, who = -1;
	fake_now += MINUTE;
	if (!contact)
		g_assert_cmpint(tsunagu_store_contact_create(f->core.store, "c", &contact), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(f->core.store, "web", contact, &id), ==, 0);
	json_t *target = target_json ? json_loads(target_json, 0, NULL) : NULL;
	tsunagu_store_conversation *c = conv(f, id);
	g_assert_cmpint(tsunagu_store_atomic_begin(f->core.store), ==, 0);
	g_assert_cmpint(tsunagu_router_place(f->core.router, c, target, method, &who), ==, 0);
	g_assert_cmpint(tsunagu_store_atomic_end(f->core.store, true), ==, 0);
	g_assert_cmpint(who, ==, assignee(f, id));
	tsunagu_store_conversation_free(c);
	json_decref(target);
	spin();
	return id;
}

/* ---- calls (shared by the call engine tests) ------------------------------------- */

/* A phone conversation placed with target (JSON text, NULL: all) and
 * method, then its call comes in. Returns the call; *conv_out the
 * conversation. */
int64_t call_in(fixture *f, const char *target_json, const char *method,
		       int64_t *conv_out)
{
	int64_t contact = 0, id = 0, call = 0, who = -1;
	fake_now += SECOND;
	g_assert_cmpint(tsunagu_store_contact_create(f->core.store, "caller", &contact), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(f->core.store, "phone", contact, &id), ==,
			0);
	json_t *target = target_json ? json_loads(target_json, 0, NULL) : NULL;
	tsunagu_store_conversation *c = conv(f, id);
	g_assert_cmpint(tsunagu_store_atomic_begin(f->core.store), ==, 0);
	g_assert_cmpint(tsunagu_router_place(f->core.router, c, target, method, &who), ==, 0);
	g_assert_cmpint(tsunagu_store_atomic_end(f->core.store, true), ==, 0);
	g_assert_cmpint(who, ==, 0); /* a call is rung, never assigned by placing */
	tsunagu_store_conversation_free(c);
	json_decref(target);
	g_assert_cmpint(tsunagu_router_call_incoming(f->core.router, id, &call), ==, 0);
	spin();
	if (conv_out)
		*conv_out = id;
	return call;
}

/* The operators whose phone rings for the conversation, by id. */
GArray *ringing(fixture *f, int64_t conv_id)
{
	GPtrArray *offers = NULL;
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	g_assert_cmpint(tsunagu_store_offers_of(f->core.store, conv_id, &offers), ==, 0);
	for (guint i = 0; i < offers->len; i++) {
		tsunagu_store_offer *o = offers->pdata[i];
		if (o->call && strcmp(o->state, "pending") == 0)
			g_array_append_val(ids, o->staff_id);
	}
	g_ptr_array_unref(offers);
	return ids;
}

/* The one operator ringing (0 when none; fails when several). */
int64_t rung(fixture *f, int64_t conv_id)
{
	GArray *ids = ringing(f, conv_id);
	g_assert_cmpuint(ids->len, <=, 1);
	int64_t id = ids->len ? g_array_index(ids, int64_t, 0) : 0;
	g_array_unref(ids);
	return id;
}

char *call_state(fixture *f, int64_t call)
{
	tsunagu_store_call *c = NULL;
	g_assert_cmpint(tsunagu_store_call_get(f->core.store, call, &c), ==, 0);
	char *state = g_strdup(c->state);
	tsunagu_store_call_free(c);
	return state;
}

void assert_call_state(fixture *f, int64_t call, const char *expected)
{
	char *state = call_state(f, call);
	g_assert_cmpstr(state, ==, expected);
	g_free(state);
}

/* An operator made available with chat capacity 3, a minute after the
 * last change (so those made earlier have been idle longer). */
int64_t on_duty(fixture *f, const char *login)
{
	int64_t id = operator(f, login, TSUNAGU_ROLE_OPERATOR);
	available(f, id, 3);
	return id;
}
