/* The router on a real store with the domain and the event bus: capacity is
 * never exceeded when conversations arrive together; the waiting list is
 * served oldest first whenever capacity frees (close, snooze, becoming
 * available, a raised capacity, a reassignment); every target kind and
 * 'nobody'; the methods longest idle, fewest handled and round robin with a
 * controlled clock; supervisors' assignments; login and logout. */
#include "router_fixture.h"

/* ---- capacity and the waiting list -------------------------------------------- */

static void test_simultaneous_arrivals_respect_capacity(fixture *f, gconstpointer data)
{
	int64_t a = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	int64_t b = operator(f, "b", TSUNAGU_ROLE_OPERATOR);
	available(f, a, 1);
	available(f, b, 2);
	/* eight customers in one loop iteration: one batch, no commit between */
	int64_t ids[8] = {0};
	fake_now += MINUTE;
	for (int i = 0; i < 8; i++)
		arrive(f, &ids[i]);
	g_assert_cmpint(open_chats(f, a), ==, 1); /* counted before the commit */
	g_assert_cmpint(open_chats(f, b), ==, 2);
	spin();
	unsigned to_a = 0, to_b = 0, waiting = 0;
	for (int i = 0; i < 8; i++) {
		int64_t who = assignee(f, ids[i]);
		to_a += who == a;
		to_b += who == b;
		waiting += who == 0;
	}
	g_assert_cmpuint(to_a, ==, 1);
	g_assert_cmpuint(to_b, ==, 2);
	g_assert_cmpuint(waiting, ==, 5);
	g_assert_cmpuint(count_events(f, "conversation.waiting"), ==, 5);
	json_t *ev = last_event(f, "conversation.assigned");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "by")), ==, "router");
	json_decref(ev);
	GPtrArray *w = NULL;
	g_assert_cmpint(tsunagu_store_waiting_list(f->core.store, 0, 0, 0, &w), ==, 0);
	g_assert_cmpuint(w->len, ==, 5);
	g_ptr_array_unref(w);
}

static void test_waiting_served_oldest_first(fixture *f, gconstpointer data)
{
	int64_t a = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	available(f, a, 1);
	int64_t c1 = arrive_now(f), c2 = arrive_now(f), c3 = arrive_now(f), c4 = arrive_now(f);
	g_assert_cmpint(assignee(f, c1), ==, a);
	g_assert_cmpint(assignee(f, c2), ==, 0);

	/* close: the longest waiting goes to a */
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, c1, a), ==, 0);
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, c1, a), ==, -EALREADY);
	spin();
	g_assert_cmpint(assignee(f, c2), ==, a);
	g_assert_cmpint(assignee(f, c3), ==, 0);
	/* snooze frees too */
	g_assert_cmpint(tsunagu_domain_snooze(f->core.domain, c2, a, 0), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, c3), ==, a);
	g_assert_cmpint(assignee(f, c4), ==, 0);
	/* reopening the snoozed one puts it back with a, beyond capacity
	 * (a's own conversation), and frees nothing */
	g_assert_cmpint(tsunagu_domain_reopen(f->core.domain, c2, a), ==, 0);
	spin();
	g_assert_cmpint(open_chats(f, a), ==, 2);
	g_assert_cmpint(assignee(f, c4), ==, 0);
	/* away: closing frees capacity but a does not qualify */
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, a, TSUNAGU_STATUS_AWAY, a, NULL),
			==, 0);
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, c2, a), ==, 0);
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, c3, a), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, c4), ==, 0);
	/* back to available: c4 */
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, a, TSUNAGU_STATUS_AVAILABLE, a,
						  NULL), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, c4), ==, a);
	json_t *ev = last_event(f, "staff.status_changed");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "status")), ==, "available");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "previous")), ==, "away");
	json_decref(ev);
}

static void test_capacity_raised_and_reassignment(fixture *f, gconstpointer data)
{
	int64_t a = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	int64_t b = operator(f, "b", TSUNAGU_ROLE_OPERATOR);
	int64_t sup = operator(f, "sup", TSUNAGU_ROLE_SUPERVISOR);
	available(f, a, 1);
	int64_t c1 = arrive_now(f), c2 = arrive_now(f), c3 = arrive_now(f), c4 = arrive_now(f);
	g_assert_cmpint(assignee(f, c1), ==, a);
	/* raising a's capacity to 3 takes the two oldest waiting */
	g_assert_cmpint(tsunagu_router_set_capacity(f->core.router, a, 3, sup), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, c2), ==, a);
	g_assert_cmpint(assignee(f, c3), ==, a);
	g_assert_cmpint(assignee(f, c4), ==, 0);
	json_t *ev = last_event(f, "staff.capacity_changed");
	g_assert_cmpint(json_integer_value(json_object_get(ev, "chat_capacity")), ==, 3);
	json_decref(ev);
	g_assert_cmpint(tsunagu_router_set_capacity(f->core.router, a, 101, sup), ==, -EINVAL);

	/* a supervisor gives c4 to b, who is offline at capacity 0: allowed,
	 * reported over capacity */
	bool over = false;
	g_assert_cmpint(tsunagu_router_set_capacity(f->core.router, b, 0, sup), ==, 0);
	g_assert_cmpint(tsunagu_router_assign(f->core.router, c4, b, sup, &over), ==, 0);
	g_assert_true(over);
	spin();
	g_assert_cmpint(assignee(f, c4), ==, b);
	ev = last_event(f, "conversation.assigned");
	g_assert_cmpint(json_integer_value(json_object_get(ev, "by")), ==, sup);
	json_decref(ev);
	/* moving c1 from a to b frees a: with nothing waiting, nothing moves */
	int64_t c5 = arrive_now(f);
	g_assert_cmpint(assignee(f, c5), ==, 0); /* a full (3), b offline */
	g_assert_cmpint(tsunagu_router_assign(f->core.router, c1, b, sup, &over), ==, 0);
	spin();
	ev = last_event(f, "conversation.assigned");
	g_assert_cmpint(json_integer_value(json_object_get(ev, "staff")), ==, a); /* c5 to a */
	json_decref(ev);
	g_assert_cmpint(assignee(f, c5), ==, a);
	g_assert_cmpint(assignee(f, c1), ==, b);
	/* bad assignments */
	g_assert_cmpint(tsunagu_router_assign(f->core.router, c1, 999, sup, NULL), ==, -ENOENT);
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, c1, b), ==, 0);
	g_assert_cmpint(tsunagu_router_assign(f->core.router, c1, a, sup, NULL), ==, -EPIPE);
	unsigned before = count_events(f, "conversation.assigned");
	g_assert_cmpint(tsunagu_router_assign(f->core.router, c4, b, sup, NULL), ==, 0); /* same */
	spin();
	g_assert_cmpuint(count_events(f, "conversation.assigned"), ==, before);
	g_assert_cmpint(tsunagu_store_staff_update(f->core.store, b, NULL, NULL, 0, NULL, 1), ==, 0);
	g_assert_cmpint(tsunagu_router_assign(f->core.router, c5, b, sup, NULL), ==, -EINVAL);
}

/* ---- targets ----------------------------------------------------------------------- */

static void test_targets(fixture *f, gconstpointer data)
{
	int64_t a = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	int64_t b = operator(f, "b", TSUNAGU_ROLE_OPERATOR);
	int64_t c = operator(f, "c", TSUNAGU_ROLE_OPERATOR);
	int64_t team = 0;
	g_assert_cmpint(tsunagu_store_team_create(f->core.store, "sales", &team), ==, 0);
	g_assert_cmpint(tsunagu_store_team_add_member(f->core.store, team, b), ==, 0);
	available(f, a, 5);
	available(f, b, 5);
	available(f, c, 5);

	/* all_available: a idle longest */
	g_assert_cmpint(assignee(f, place(f, 0, "{\"kind\":\"all_available\"}", NULL)), ==, a);
	/* team: its member, and the conversation's team is set */
	int64_t t = place(f, 0, "{\"kind\":\"team\",\"name\":\"sales\"}", "longest_idle");
	g_assert_cmpint(assignee(f, t), ==, b);
	tsunagu_store_conversation *x = conv(f, t);
	g_assert_cmpint(x->team_id, ==, team);
	g_assert_cmpstr(x->route_json, ==, "{\"method\":\"longest_idle\",\"teams\":[1]}");
	tsunagu_store_conversation_free(x);
	/* operators: logins and teams mixed */
	g_assert_cmpint(assignee(f, place(f, 0, "{\"kind\":\"operators\",\"operators\":[\"c\"],"
					      "\"teams\":[]}", NULL)), ==, c);
	g_assert_cmpint(assignee(f, place(f, 0, "{\"kind\":\"operators\",\"operators\":[\"nobody-"
					      "here\"],\"teams\":[\"sales\"]}", NULL)), ==, b);
	/* an unknown team admits nobody: waits */
	g_assert_cmpint(assignee(f, place(f, 0, "{\"kind\":\"team\",\"name\":\"ghosts\"}", NULL)), ==,
			0);

	/* last_operator: the contact's earlier conversation was c's; c is
	 * preferred although a has been idle longer */
	int64_t contact = 0, contact2 = 0;
	const char *only_c_op = "{\"kind\":\"operators\",\"operators\":[\"c\"]}";
	g_assert_cmpint(tsunagu_store_contact_create(f->core.store, "returning", &contact), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_create(f->core.store, "loyal", &contact2), ==, 0);
	int64_t first = place(f, contact, only_c_op, NULL);
	g_assert_cmpint(assignee(f, first), ==, c);
	g_assert_cmpint(assignee(f, place(f, contact2, only_c_op, NULL)), ==, c);
	const char *last = "{\"kind\":\"last_operator\",\"fallback\":{\"kind\":\"all_available\"}}";
	g_assert_cmpint(assignee(f, place(f, contact, last, NULL)), ==, c);
	/* c away: the fallback decides */
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, c, TSUNAGU_STATUS_AWAY, 0, NULL),
			==, 0);
	g_assert_cmpint(assignee(f, place(f, contact, last, NULL)), !=, c);
	/* with fallback nobody it waits for c, and c gets it when back */
	int64_t only_c = place(f, contact2, "{\"kind\":\"last_operator\",\"fallback\":"
					    "{\"kind\":\"nobody\"}}", NULL);
	g_assert_cmpint(assignee(f, only_c), ==, 0);
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, first, c), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, only_c), ==, 0); /* a's and b's capacity do not admit it */
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, c, TSUNAGU_STATUS_AVAILABLE, 0,
						  NULL), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, only_c), ==, c);

	/* crm_owner: the attribute names b's login */
	g_assert_cmpint(tsunagu_store_keyword_define(f->core.store, "owner", "Owner"), ==, 0);
	int64_t crm = 0;
	g_assert_cmpint(tsunagu_store_contact_create(f->core.store, "crm", &crm), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_set_attribute(f->core.store, crm, "owner", "b"), ==, 0);
	g_assert_cmpint(assignee(f, place(f, crm, "{\"kind\":\"crm_owner\",\"attribute\":\"owner\","
					      "\"fallback\":{\"kind\":\"all_available\"}}", NULL)),
			==, b);

	/* nobody: waits, and freeing capacity never gives it away */
	int64_t n = place(f, 0, "{\"kind\":\"nobody\"}", "longest_idle");
	g_assert_cmpint(assignee(f, n), ==, 0);
	json_t *ev = last_event(f, "conversation.waiting");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "reason")), ==, "nobody");
	json_decref(ev);
	unsigned got = 99;
	g_assert_cmpint(tsunagu_router_drain(f->core.router, &got), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, n), ==, 0);
	/* ... only a supervisor does */
	g_assert_cmpint(tsunagu_router_assign(f->core.router, n, a, c, NULL), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, n), ==, a);
	/* hostile target JSON: not a target, waits, nothing breaks */
	g_assert_cmpint(assignee(f, place(f, 0, "{\"kind\":42}", NULL)), ==, 0);
	g_assert_cmpint(assignee(f, place(f, 0, "[1,2]", NULL)), ==, 0);
}

/* ---- methods ------------------------------------------------------------------------ */

static void test_longest_idle(fixture *f, gconstpointer data)
{
	int64_t a = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	int64_t b = operator(f, "b", TSUNAGU_ROLE_OPERATOR);
	int64_t c = operator(f, "c", TSUNAGU_ROLE_OPERATOR);
	/* b became available first, then c, then a */
	available(f, b, 9);
	available(f, c, 9);
	available(f, a, 9);
	const char *all = "{\"kind\":\"all_available\"}";
	g_assert_cmpint(assignee(f, place(f, 0, all, "longest_idle")), ==, b);
	g_assert_cmpint(assignee(f, place(f, 0, all, "longest_idle")), ==, c);
	g_assert_cmpint(assignee(f, place(f, 0, all, "ring_all")), ==, a); /* ring_all: the same */
	g_assert_cmpint(assignee(f, place(f, 0, all, "longest_idle")), ==, b);
	/* c goes away and comes back: idle from that moment, after a and b */
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, c, TSUNAGU_STATUS_AWAY, 0, NULL),
			==, 0);
	fake_now += 10 * MINUTE;
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, c, TSUNAGU_STATUS_AVAILABLE, 0,
						  NULL), ==, 0);
	g_assert_cmpint(assignee(f, place(f, 0, all, "longest_idle")), ==, a);
	g_assert_cmpint(assignee(f, place(f, 0, all, "longest_idle")), ==, b);
	g_assert_cmpint(assignee(f, place(f, 0, all, "longest_idle")), ==, c);
}

static void test_fewest_handled(fixture *f, gconstpointer data)
{
	int64_t a = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	int64_t b = operator(f, "b", TSUNAGU_ROLE_OPERATOR);
	available(f, a, 9);
	available(f, b, 9);
	const char *all = "{\"kind\":\"all_available\"}";
	/* a takes two (b away), then b is back: b until they are even */
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, b, TSUNAGU_STATUS_AWAY, 0, NULL),
			==, 0);
	int64_t x1 = place(f, 0, all, "fewest_handled"), x2 = place(f, 0, all, "fewest_handled");
	g_assert_cmpint(assignee(f, x1), ==, a);
	g_assert_cmpint(assignee(f, x2), ==, a);
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, b, TSUNAGU_STATUS_AVAILABLE, 0,
						  NULL), ==, 0);
	/* closing does not undo what a handled today */
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, x1, a), ==, 0);
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, x2, a), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, place(f, 0, all, "fewest_handled")), ==, b);
	g_assert_cmpint(assignee(f, place(f, 0, all, "fewest_handled")), ==, b);
	/* even (2 and 2): the longer idle, a */
	g_assert_cmpint(assignee(f, place(f, 0, all, "fewest_handled")), ==, a);
	/* the next day everyone starts from zero: longest idle decides (b) */
	fake_now += 24 * 60 * MINUTE;
	g_assert_cmpint(assignee(f, place(f, 0, all, "fewest_handled")), ==, b);
	g_assert_cmpint(assignee(f, place(f, 0, all, "fewest_handled")), ==, a);
}

static void test_round_robin(fixture *f, gconstpointer data)
{
	int64_t ids[4];
	const char *names[] = { "a", "b", "c", "d" };
	for (int i = 0; i < 4; i++)
		ids[i] = operator(f, names[i], TSUNAGU_ROLE_OPERATOR);
	/* made available in reverse order: the order is by id, not by idleness */
	for (int i = 3; i >= 0; i--)
		available(f, ids[i], 9);
	const char *all = "{\"kind\":\"all_available\"}";
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 4; i++)
			g_assert_cmpint(assignee(f, place(f, 0, all, "round_robin")), ==, ids[i]);
	/* b away: skipped (owed its turn); back, it is served first (seed 003),
	 * then the order goes on from where it was, b in its own place */
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, ids[1], TSUNAGU_STATUS_AWAY, 0,
						  NULL), ==, 0);
	g_assert_cmpint(assignee(f, place(f, 0, all, "round_robin")), ==, ids[0]);
	g_assert_cmpint(assignee(f, place(f, 0, all, "round_robin")), ==, ids[2]);
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, ids[1], TSUNAGU_STATUS_AVAILABLE, 0,
						  NULL), ==, 0);
	g_assert_cmpint(assignee(f, place(f, 0, all, "round_robin")), ==, ids[1]);
	g_assert_cmpint(assignee(f, place(f, 0, all, "round_robin")), ==, ids[3]);
	g_assert_cmpint(assignee(f, place(f, 0, all, "round_robin")), ==, ids[0]);
	g_assert_cmpint(assignee(f, place(f, 0, all, "round_robin")), ==, ids[1]);
	/* another target keeps its own position */
	const char *pair = "{\"kind\":\"operators\",\"operators\":[\"c\",\"d\"]}";
	g_assert_cmpint(assignee(f, place(f, 0, pair, "round_robin")), ==, ids[2]);
	g_assert_cmpint(assignee(f, place(f, 0, all, "round_robin")), ==, ids[2]);
	g_assert_cmpint(assignee(f, place(f, 0, pair, "round_robin")), ==, ids[3]);
}

/* ---- sessions ------------------------------------------------------------------------ */

static void test_login_logout(fixture *f, gconstpointer data)
{
	int64_t op = operator(f, "op", TSUNAGU_ROLE_OPERATOR);
	int64_t adm = operator(f, "adm", TSUNAGU_ROLE_ADMIN);
	tsunagu_store_staff *s = NULL, *t = NULL;
	g_assert_cmpint(tsunagu_store_staff_get(f->core.store, op, &s), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_get(f->core.store, adm, &t), ==, 0);
	g_assert_cmpint(tsunagu_store_session_create(f->core.store, "s1", op, "c",
						     fake_now + 60 * MINUTE), ==, 0);
	g_assert_cmpint(tsunagu_store_session_create(f->core.store, "s2", op, "c",
						     fake_now + 60 * MINUTE), ==, 0);
	int64_t waiting = arrive_now(f);
	tsunagu_router_logged_in(f->core.router, s);
	tsunagu_router_logged_in(f->core.router, t);
	spin();
	g_assert_cmpint(assignee(f, waiting), ==, op); /* available at login: takes the waiting */
	tsunagu_store_staff_free(s);
	tsunagu_store_staff_free(t);
	g_assert_cmpint(tsunagu_store_staff_get(f->core.store, op, &s), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_get(f->core.store, adm, &t), ==, 0);
	g_assert_cmpint(s->status, ==, TSUNAGU_STATUS_AVAILABLE);
	g_assert_cmpint(t->status, ==, TSUNAGU_STATUS_OFFLINE); /* admins choose themselves */
	tsunagu_store_staff_free(s);
	tsunagu_store_staff_free(t);
	json_t *ev = last_event(f, "staff.status_changed");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "reason")), ==, "login");
	json_decref(ev);

	/* one of two sessions ends: still available; the last one: offline */
	g_assert_cmpint(tsunagu_store_session_delete(f->core.store, "s1"), ==, 0);
	tsunagu_router_logged_out(f->core.router, op);
	g_assert_cmpint(tsunagu_store_staff_get(f->core.store, op, &s), ==, 0);
	g_assert_cmpint(s->status, ==, TSUNAGU_STATUS_AVAILABLE);
	tsunagu_store_staff_free(s);
	g_assert_cmpint(tsunagu_store_session_delete(f->core.store, "s2"), ==, 0);
	tsunagu_router_logged_out(f->core.router, op);
	g_assert_cmpint(tsunagu_store_staff_get(f->core.store, op, &s), ==, 0);
	g_assert_cmpint(s->status, ==, TSUNAGU_STATUS_OFFLINE);
	tsunagu_store_staff_free(s);
	tsunagu_router_logged_in(NULL, NULL); /* no router: nothing */
}

static void test_restart_assigns_what_waited(fixture *f, gconstpointer data)
{
	int64_t a = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	available(f, a, 1);
	int64_t c1 = arrive_now(f), c2 = arrive_now(f);
	g_assert_cmpint(assignee(f, c2), ==, 0);
	/* closed while the router is down (another tool, a crash): a new
	 * router offers a's freed capacity at start */
	tsunagu_router_free(f->core.router);
	f->core.router = NULL;
	g_assert_cmpint(tsunagu_store_conversation_set_state(f->core.store, c1, TSUNAGU_CONV_CLOSED),
			==, 0);
	spin();
	g_assert_cmpint(assignee(f, c2), ==, 0);
	g_assert_cmpint(tsunagu_router_new(&f->core, &f->core.router), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, c2), ==, a);
}

int main(int argc, char **argv)
{
	setenv("TZ", "UTC", 1); /* "today" of fewest handled is the local date */
	tzset();
	tsunagu_core_set_clock(fake_clock);
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, fixture, NULL, setup, fn, teardown)
	ADD("/router/capacity/simultaneous-arrivals", test_simultaneous_arrivals_respect_capacity);
	ADD("/router/waiting/oldest-first", test_waiting_served_oldest_first);
	ADD("/router/waiting/capacity-raised-and-reassigned", test_capacity_raised_and_reassignment);
	ADD("/router/targets", test_targets);
	ADD("/router/method/longest-idle", test_longest_idle);
	ADD("/router/method/fewest-handled", test_fewest_handled);
	ADD("/router/method/round-robin", test_round_robin);
	ADD("/router/sessions", test_login_logout);
	ADD("/router/restart", test_restart_assigns_what_waited);
	return g_test_run();
}
