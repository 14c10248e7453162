/* The assignment engine on a real store with a controlled clock: the call
 * engine (queued, ringing, talking, after-call work, missed reasons), ring
 * all, no-answer handling of calls and chats with autopause, the seed 003
 * examples (longest idle with A and B, round robin's owed turns), separate
 * chat and call capacity under simultaneous arrivals, inquiry types, status
 * sub-types and reassignment. No phone plugin: the tests drive the router's
 * call API as the phone channel will. */
#include "router_fixture.h"

#include "conversation_view.h"

/* ---- helpers ---------------------------------------------------------------------- */

static void config(fixture *f, const char *assignment)
{
	g_assert_true(tsunagu_config_set(f->core.config, assignment, NULL));
}

static void routing(fixture *f, int64_t id, int types, int call_capacity, int chats_during_call)
{
	tsunagu_store_staff_routing rt = {types, call_capacity, chats_during_call, -1};
	g_assert_cmpint(tsunagu_router_set_routing(f->core.router, id, &rt, 0), ==, 0);
}

static tsunagu_store_staff *staff(fixture *f, int64_t id)
{
	tsunagu_store_staff *s = NULL;
	g_assert_cmpint(tsunagu_store_staff_get(f->core.store, id, &s), ==, 0);
	return s;
}

/* Answered by who rings, talked a minute, hung up, the conversation closed
 * (after-call work over): who took it. */
static int64_t take_call(fixture *f, const char *target, const char *method)
{
	int64_t conv_id = 0, call = call_in(f, target, method, &conv_id);
	int64_t who = rung(f, conv_id);
	g_assert_cmpint(who, >, 0);
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, call, who), ==, 0);
	fake_now += MINUTE;
	g_assert_cmpint(tsunagu_router_call_ended(f->core.router, call), ==, 0);
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, conv_id, who), ==, 0);
	spin();
	return who;
}

static int64_t json_int(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* ---- seed 003 --------------------------------------------------------------------- */

/* Ten operators all on calls; A's call ends, then B's; the next call goes
 * to A, available the longer (seed 003, 待機時間が長い担当者). */
static void test_seed_longest_idle(fixture *f, gconstpointer data)
{
	int64_t ops[10], calls[10], convs[10];
	for (int i = 0; i < 10; i++) {
		char login[8];
		g_snprintf(login, sizeof login, "op%d", i);
		ops[i] = operator(f, login, TSUNAGU_ROLE_OPERATOR);
		available(f, ops[i], 3);
	}
	for (int i = 0; i < 10; i++) {
		calls[i] = call_in(f, NULL, "longest_idle", &convs[i]);
		int64_t who = rung(f, convs[i]);
		g_assert_cmpint(who, ==, ops[i]); /* the longest idle first: op0, op1, ... */
		g_assert_cmpint(tsunagu_router_call_answered(f->core.router, calls[i], who), ==, 0);
		spin();
	}
	/* everyone talks: a new call waits */
	int64_t waiting_conv = 0, waiting = call_in(f, NULL, "longest_idle", &waiting_conv);
	assert_call_state(f, waiting, "queued");
	g_assert_cmpint(tsunagu_router_call_missed(f->core.router, waiting, "userLeft"), ==, 0);
	/* A (op7) ends and finishes after-call work, then B (op2) */
	const int a = 7, b = 2;
	fake_now += MINUTE;
	g_assert_cmpint(tsunagu_router_call_ended(f->core.router, calls[a]), ==, 0);
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, convs[a], ops[a]), ==, 0);
	spin();
	fake_now += MINUTE;
	g_assert_cmpint(tsunagu_router_call_ended(f->core.router, calls[b]), ==, 0);
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, convs[b], ops[b]), ==, 0);
	spin();
	int64_t next_conv = 0;
	call_in(f, NULL, "longest_idle", &next_conv);
	g_assert_cmpint(rung(f, next_conv), ==, ops[a]);
	json_t *offered = last_event(f, "call.offered");
	g_assert_cmpint(json_int(offered, "staff"), ==, ops[a]);
	json_decref(offered);
}

/* Round robin (seed 003): a fixed order; after the tenth the next round
 * starts at the first; one on a call when their turn comes is skipped,
 * served first when free again, then the order goes on from its place. */
static void test_seed_round_robin(fixture *f, gconstpointer data)
{
	int64_t ops[10];
	char target[64];
	for (int i = 0; i < 10; i++) {
		char login[8];
		g_snprintf(login, sizeof login, "op%d", i);
		ops[i] = operator(f, login, TSUNAGU_ROLE_OPERATOR);
	}
	/* available in reverse: the order is fixed, not by idleness */
	for (int i = 9; i >= 0; i--)
		available(f, ops[i], 3);
	for (int i = 0; i < 10; i++)
		g_assert_cmpint(take_call(f, NULL, "round_robin"), ==, ops[i]);
	g_assert_cmpint(take_call(f, NULL, "round_robin"), ==, ops[0]); /* second round */
	/* op1 takes a call of another route and is still talking */
	g_snprintf(target, sizeof target, "{\"kind\":\"operators\",\"operators\":[\"op1\"]}");
	int64_t busy_conv = 0, busy = call_in(f, target, "longest_idle", &busy_conv);
	g_assert_cmpint(rung(f, busy_conv), ==, ops[1]);
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, busy, ops[1]), ==, 0);
	spin();
	g_assert_cmpint(take_call(f, NULL, "round_robin"), ==, ops[2]); /* op1 skipped */
	g_assert_cmpint(take_call(f, NULL, "round_robin"), ==, ops[3]);
	/* op1 is free again: served first, then op4 in the fixed order */
	g_assert_cmpint(tsunagu_router_call_ended(f->core.router, busy), ==, 0);
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, busy_conv, ops[1]), ==, 0);
	spin();
	g_assert_cmpint(take_call(f, NULL, "round_robin"), ==, ops[1]);
	g_assert_cmpint(take_call(f, NULL, "round_robin"), ==, ops[4]);
	/* the state survives a restart of the router */
	tsunagu_router_free(f->core.router);
	g_assert_cmpint(tsunagu_router_new(&f->core, &f->core.router), ==, 0);
	g_assert_cmpint(take_call(f, NULL, "round_robin"), ==, ops[5]);
}

/* Round robin of chats: an operator passed over where the order wraps
 * (after the last id, before the first) is owed that turn too. */
static void test_round_robin_owed_across_the_wrap(fixture *f, gconstpointer data)
{
	int64_t ops[4];
	for (int i = 0; i < 4; i++) {
		char login[8];
		g_snprintf(login, sizeof login, "op%d", i);
		ops[i] = operator(f, login, TSUNAGU_ROLE_OPERATOR);
		available(f, ops[i], 5);
	}
	for (int i = 0; i < 4; i++)
		g_assert_cmpint(assignee(f, place(f, 0, NULL, "round_robin")), ==, ops[i]);
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, ops[0], TSUNAGU_STATUS_AWAY, 0,
						  NULL), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, place(f, 0, NULL, "round_robin")), ==, ops[1]);
	g_assert_cmpint(assignee(f, place(f, 0, NULL, "round_robin")), ==, ops[2]);
	available(f, ops[0], 5);
	/* op0's owed turn first, then the order goes on after op2 */
	g_assert_cmpint(assignee(f, place(f, 0, NULL, "round_robin")), ==, ops[0]);
	g_assert_cmpint(assignee(f, place(f, 0, NULL, "round_robin")), ==, ops[3]);
	g_assert_cmpint(assignee(f, place(f, 0, NULL, "round_robin")), ==, ops[0]);
	g_assert_cmpint(assignee(f, place(f, 0, NULL, "round_robin")), ==, ops[1]);
}

/* ---- the call engine ------------------------------------------------------------- */

static void test_ring_all(fixture *f, gconstpointer data)
{
	int64_t a = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	int64_t b = operator(f, "b", TSUNAGU_ROLE_OPERATOR);
	int64_t c = operator(f, "c", TSUNAGU_ROLE_OPERATOR);
	int64_t d = operator(f, "d", TSUNAGU_ROLE_OPERATOR);
	available(f, a, 1);
	available(f, b, 1);
	available(f, c, 1);
	routing(f, c, TSUNAGU_INQUIRY_CHAT, -1, -1); /* c takes no calls */
	/* a's chats are full: a full chat count never blocks a call */
	int64_t chat = arrive_now(f);
	g_assert_cmpint(assignee(f, chat), ==, a);
	(void)d; /* d is offline */
	int64_t conv_id = 0, call = call_in(f, NULL, "ring_all", &conv_id);
	GArray *ids = ringing(f, conv_id);
	g_assert_cmpuint(ids->len, ==, 2);
	g_assert_cmpint(g_array_index(ids, int64_t, 0), ==, a);
	g_assert_cmpint(g_array_index(ids, int64_t, 1), ==, b);
	g_array_unref(ids);
	assert_call_state(f, call, "ringing");
	g_assert_cmpuint(count_events(f, "call.offered"), ==, 2);
	/* only a phone that rings may answer */
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, call, c), ==, -EPERM);
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, call, b), ==, 0);
	spin();
	g_assert_cmpuint(ringing(f, conv_id)->len, ==, 0);
	g_assert_cmpint(assignee(f, conv_id), ==, b);
	assert_call_state(f, call, "talking");
	json_t *ev = last_event(f, "call.answered");
	g_assert_cmpint(json_int(ev, "call"), ==, call);
	g_assert_cmpint(json_int(ev, "staff"), ==, b);
	json_decref(ev);
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, call, a), ==, -EPIPE);
}

static void test_after_call_work(fixture *f, gconstpointer data)
{
	int64_t a = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	available(f, a, 2);
	int64_t conv_id = 0, call = call_in(f, NULL, NULL, &conv_id);
	g_assert_cmpint(rung(f, conv_id), ==, a);
	tsunagu_store_staff *s = staff(f, a);
	g_assert_true(s->on_call);
	tsunagu_store_staff_free(s);
	/* ringing: no chat for a (chats during a call are off by default) */
	int64_t chat1 = arrive_now(f);
	g_assert_cmpint(assignee(f, chat1), ==, 0);
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, call, a), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, chat1), ==, 0);
	/* allowed now: the waiting chat goes to a while they talk */
	routing(f, a, -1, -1, 1);
	spin();
	g_assert_cmpint(assignee(f, chat1), ==, a);
	g_assert_cmpint(open_chats(f, a), ==, 1);
	fake_now += 90 * SECOND;
	g_assert_cmpint(tsunagu_router_call_ended(f->core.router, call), ==, 0);
	int64_t ended_at = fake_now;
	spin();
	json_t *ended = last_event(f, "call.ended");
	g_assert_cmpint(json_int(ended, "talk_ms"), ==, 90000);
	g_assert_cmpint(json_int(ended, "staff"), ==, a);
	json_decref(ended);
	/* after-call work: no call rings a, a chat still can */
	s = staff(f, a);
	g_assert_true(s->in_acw);
	g_assert_false(s->on_call);
	g_assert_cmpint(s->open_phone, ==, 1);
	tsunagu_store_staff_free(s);
	int64_t next_conv = 0, next = call_in(f, NULL, NULL, &next_conv);
	g_assert_cmpint(rung(f, next_conv), ==, 0);
	assert_call_state(f, next, "queued");
	int64_t chat2 = arrive_now(f);
	g_assert_cmpint(assignee(f, chat2), ==, a);
	/* snoozing the call's conversation ends after-call work: the queued
	 * call rings a */
	fake_now += 30 * SECOND;
	g_assert_cmpint(tsunagu_domain_snooze(f->core.domain, conv_id, a, 0), ==, 0);
	spin();
	json_t *acw = last_event(f, "call.acw_ended");
	g_assert_cmpint(json_int(acw, "acw_ms"), ==, (fake_now - ended_at) / 1000);
	json_decref(acw);
	g_assert_cmpint(rung(f, next_conv), ==, a);
}

static void test_waiting_calls_oldest_first(fixture *f, gconstpointer data)
{
	int64_t a = on_duty(f, "a");
	int64_t c0 = 0, first = call_in(f, NULL, NULL, &c0);
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, first, a), ==, 0);
	int64_t c1 = 0, c2 = 0;
	call_in(f, NULL, NULL, &c1);
	call_in(f, NULL, NULL, &c2);
	g_assert_cmpint(rung(f, c1), ==, 0);
	g_assert_cmpint(rung(f, c2), ==, 0);
	g_assert_cmpint(tsunagu_router_call_ended(f->core.router, first), ==, 0);
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, c0, a), ==, 0);
	spin();
	g_assert_cmpint(rung(f, c1), ==, a);
	g_assert_cmpint(rung(f, c2), ==, 0);
}

static void test_simultaneous_calls(fixture *f, gconstpointer data)
{
	int64_t a = on_duty(f, "a");
	int64_t b = on_duty(f, "b");
	routing(f, a, -1, 2, -1); /* even with room for two calls: one rings at a time */
	int64_t convs[5], calls[5], contact = 0;
	g_assert_cmpint(tsunagu_store_contact_create(f->core.store, "c", &contact), ==, 0);
	/* five calls in one loop iteration: one batch, no commit between */
	for (int i = 0; i < 5; i++) {
		int64_t who = -1;
		g_assert_cmpint(tsunagu_store_conversation_create(f->core.store, "phone", contact,
								  &convs[i]),
				==, 0);
		tsunagu_store_conversation *c = conv(f, convs[i]);
		g_assert_cmpint(tsunagu_router_place(f->core.router, c, NULL, NULL, &who), ==, 0);
		tsunagu_store_conversation_free(c);
		g_assert_cmpint(tsunagu_router_call_incoming(f->core.router, convs[i], &calls[i]),
				==, 0);
	}
	spin();
	unsigned rung_a = 0, rung_b = 0;
	for (int i = 0; i < 5; i++) {
		int64_t who = rung(f, convs[i]);
		rung_a += who == a;
		rung_b += who == b;
	}
	g_assert_cmpuint(rung_a, ==, 1);
	g_assert_cmpuint(rung_b, ==, 1);
	/* both answer: each has one call in progress and no other rings */
	for (int i = 0; i < 5; i++) {
		int64_t who = rung(f, convs[i]);
		if (who)
			g_assert_cmpint(tsunagu_router_call_answered(f->core.router, calls[i], who),
					==, 0);
	}
	spin();
	for (int i = 0; i < 5; i++)
		g_assert_cmpint(rung(f, convs[i]), ==, 0);
	tsunagu_store_staff *s = staff(f, a);
	g_assert_cmpint(s->open_phone, ==, 1);
	tsunagu_store_staff_free(s);
}

static void test_missed_calls(fixture *f, gconstpointer data)
{
	int64_t conv_id = 0, call = call_in(f, NULL, NULL, &conv_id);
	assert_call_state(f, call, "queued"); /* nobody is available */
	g_assert_cmpint(tsunagu_router_call_missed(f->core.router, call, "bored"), ==, -EINVAL);
	g_assert_cmpint(tsunagu_router_call_ended(f->core.router, call), ==, 0);
	spin();
	assert_call_state(f, call, "ended");
	json_t *ev = last_event(f, "call.missed");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "reason")), ==, "userLeft");
	json_decref(ev);
	tsunagu_store_conversation *c = conv(f, conv_id);
	g_assert_cmpint(c->state, ==, TSUNAGU_CONV_CLOSED);
	/* what a rule sees of it: c.call */
	json_t *view = tsunagu_conversation_view(&f->core, c);
	json_t *vc = json_object_get(view, "call");
	g_assert_cmpstr(json_string_value(json_object_get(vc, "direction")), ==, "inbound");
	g_assert_cmpstr(json_string_value(json_object_get(vc, "state")), ==, "ended");
	g_assert_cmpstr(json_string_value(json_object_get(vc, "missed_reason")), ==, "userLeft");
	g_assert_true(json_is_false(json_object_get(view, "replied")));
	json_decref(view);
	tsunagu_store_conversation_free(c);
	g_assert_cmpint(tsunagu_router_call_ended(f->core.router, call), ==, -EPIPE);
	int64_t other = call_in(f, NULL, NULL, NULL);
	g_assert_cmpint(tsunagu_router_call_missed(f->core.router, other, "notInOperation"), ==, 0);
	spin();
	ev = last_event(f, "call.missed");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "reason")), ==, "notInOperation");
	json_decref(ev);
	/* a chat conversation has no call */
	int64_t chat = place(f, 0, NULL, NULL);
	g_assert_cmpint(tsunagu_router_call_incoming(f->core.router, chat, NULL), ==, -EINVAL);
}

/* ---- no answer ---------------------------------------------------------------------- */

static void test_ring_timeout_and_autopause(fixture *f, gconstpointer data)
{
	config(f, "routing.ring_timeout=20s");
	config(f, "routing.max_missed_offers=2");
	int64_t a = on_duty(f, "a");
	int64_t b = on_duty(f, "b");
	int64_t conv_id = 0, call = call_in(f, NULL, NULL, &conv_id);
	g_assert_cmpint(rung(f, conv_id), ==, a);
	unsigned handled = 9;
	fake_now += 19 * SECOND;
	g_assert_cmpint(tsunagu_router_tick(f->core.router, &handled), ==, 0);
	g_assert_cmpuint(handled, ==, 0);
	fake_now += 1 * SECOND;
	g_assert_cmpint(tsunagu_router_tick(f->core.router, &handled), ==, 0);
	spin();
	g_assert_cmpuint(handled, ==, 1);
	g_assert_cmpint(rung(f, conv_id), ==, b); /* the next operator */
	json_t *ev = last_event(f, "conversation.offer_missed");
	g_assert_cmpint(json_int(ev, "staff"), ==, a);
	g_assert_cmpint(json_int(ev, "missed"), ==, 1);
	json_decref(ev);
	/* the deadline survives a restart of the router */
	tsunagu_router_free(f->core.router);
	g_assert_cmpint(tsunagu_router_new(&f->core, &f->core.router), ==, 0);
	fake_now += 20 * SECOND;
	g_assert_cmpint(tsunagu_router_tick(f->core.router, &handled), ==, 0);
	spin();
	/* everyone was tried: a again, who misses a second time and is set away */
	g_assert_cmpint(rung(f, conv_id), ==, a);
	fake_now += 20 * SECOND;
	g_assert_cmpint(tsunagu_router_tick(f->core.router, &handled), ==, 0);
	spin();
	tsunagu_store_staff *s = staff(f, a);
	g_assert_cmpint(s->status, ==, TSUNAGU_STATUS_AWAY);
	g_assert_cmpint(s->missed_offers, ==, 0);
	tsunagu_store_staff_free(s);
	ev = last_event(f, "staff.status_changed");
	g_assert_cmpint(json_int(ev, "staff"), ==, a);
	g_assert_cmpstr(json_string_value(json_object_get(ev, "reason")), ==, "missed_offers");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "subtype")), ==, "away");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "previous_subtype")), ==,
			"available");
	json_decref(ev);
	g_assert_cmpint(rung(f, conv_id), ==, b);
	/* b answers: their count starts again */
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, call, b), ==, 0);
	s = staff(f, b);
	g_assert_cmpint(s->missed_offers, ==, 0);
	tsunagu_store_staff_free(s);
	g_assert_cmpint(tsunagu_router_call_rejected(f->core.router, call, b), ==, -ENOENT);
}

static void test_declined_call(fixture *f, gconstpointer data)
{
	int64_t a = on_duty(f, "a");
	int64_t b = on_duty(f, "b");
	int64_t conv_id = 0, call = call_in(f, NULL, NULL, &conv_id);
	g_assert_cmpint(rung(f, conv_id), ==, a);
	g_assert_cmpint(tsunagu_router_call_rejected(f->core.router, call, a), ==, 0);
	g_assert_cmpint(rung(f, conv_id), ==, b);
	tsunagu_store_staff *s = staff(f, a);
	g_assert_cmpint(s->missed_offers, ==, 0); /* declining is not missing */
	tsunagu_store_staff_free(s);
	/* b declines too: nobody else, back to a */
	g_assert_cmpint(tsunagu_router_call_rejected(f->core.router, call, b), ==, 0);
	g_assert_cmpint(rung(f, conv_id), ==, a);
	/* a steps away while it rings: b's phone rings at once, not when a's
	 * ring time runs out, and that is no miss of a's */
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, a, TSUNAGU_STATUS_AWAY, a, NULL),
			==, 0);
	spin();
	g_assert_cmpint(rung(f, conv_id), ==, b);
	fake_now += 29 * SECOND;
	unsigned handled = 9;
	g_assert_cmpint(tsunagu_router_tick(f->core.router, &handled), ==, 0);
	g_assert_cmpuint(handled, ==, 0);
	s = staff(f, a);
	g_assert_cmpint(s->missed_offers, ==, 0);
	tsunagu_store_staff_free(s);
	g_assert_cmpint(rung(f, conv_id), ==, b);
	g_assert_cmpuint(count_events(f, "conversation.offer_missed"), ==, 0);
}

static void test_chat_offer_timeout(fixture *f, gconstpointer data)
{
	config(f, "routing.offer_timeout=1m");
	int64_t a = on_duty(f, "a");
	int64_t b = on_duty(f, "b");
	int64_t c = on_duty(f, "c");
	int64_t chat = arrive_now(f);
	g_assert_cmpint(assignee(f, chat), ==, a);
	json_t *ev = last_event(f, "conversation.offered");
	g_assert_cmpint(json_int(ev, "staff"), ==, a);
	g_assert_cmpint(json_int(ev, "deadline"), ==, fake_now + MINUTE);
	json_decref(ev);
	fake_now += MINUTE;
	g_assert_cmpint(tsunagu_router_tick(f->core.router, NULL), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, chat), ==, b);
	ev = last_event(f, "conversation.assigned");
	g_assert_cmpint(json_int(ev, "from"), ==, a);
	json_decref(ev);
	g_assert_cmpint(open_chats(f, a), ==, 0);
	/* b lets it pass too: c, never back to a or b while c was not tried */
	fake_now += MINUTE;
	g_assert_cmpint(tsunagu_router_tick(f->core.router, NULL), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, chat), ==, c);
	/* c joins: accepted, nothing happens at the deadline */
	g_assert_cmpint(tsunagu_domain_join(f->core.domain, chat, c), ==, 0);
	spin();
	fake_now += 5 * MINUTE;
	unsigned handled = 9;
	g_assert_cmpint(tsunagu_router_tick(f->core.router, &handled), ==, 0);
	g_assert_cmpuint(handled, ==, 0);
	g_assert_cmpint(assignee(f, chat), ==, c);
	g_assert_cmpint(tsunagu_router_accept(f->core.router, chat, c), ==, -ENOENT);
}

/* An operator who goes away with a chat on offer does not keep it until the
 * deadline: it goes on at once, and no miss is counted. */
static void test_chat_offer_withdrawn(fixture *f, gconstpointer data)
{
	config(f, "routing.offer_timeout=1m");
	int64_t a = on_duty(f, "a");
	int64_t b = on_duty(f, "b");
	int64_t chat = arrive_now(f);
	g_assert_cmpint(assignee(f, chat), ==, a);
	fake_now += 10 * SECOND;
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, a, TSUNAGU_STATUS_AWAY, a, NULL),
			==, 0);
	spin();
	g_assert_cmpint(assignee(f, chat), ==, b);
	json_t *ev = last_event(f, "conversation.offered");
	g_assert_cmpint(json_int(ev, "staff"), ==, b);
	g_assert_cmpint(json_int(ev, "deadline"), ==, fake_now + MINUTE);
	json_decref(ev);
	g_assert_cmpint(open_chats(f, a), ==, 0);
	g_assert_cmpuint(count_events(f, "conversation.offer_missed"), ==, 0);
	tsunagu_store_staff *s = staff(f, a);
	g_assert_cmpint(s->missed_offers, ==, 0);
	tsunagu_store_staff_free(s);
	/* a's old deadline passes: nothing left of it */
	fake_now += 50 * SECOND;
	unsigned handled = 9;
	g_assert_cmpint(tsunagu_router_tick(f->core.router, &handled), ==, 0);
	g_assert_cmpuint(handled, ==, 0);
	g_assert_cmpint(assignee(f, chat), ==, b);
}

/* ---- eligibility, statuses, reassignment ------------------------------------------ */

static void test_inquiry_types(fixture *f, gconstpointer data)
{
	int64_t chats = operator(f, "chats", TSUNAGU_ROLE_OPERATOR);
	int64_t calls = operator(f, "calls", TSUNAGU_ROLE_OPERATOR);
	available(f, calls, 3);
	available(f, chats, 3);
	routing(f, chats, TSUNAGU_INQUIRY_CHAT, -1, -1);
	routing(f, calls, TSUNAGU_INQUIRY_PHONE, -1, -1);
	for (int i = 0; i < 3; i++)
		g_assert_cmpint(assignee(f, arrive_now(f)), ==, chats);
	int64_t conv_id = 0;
	call_in(f, NULL, NULL, &conv_id);
	g_assert_cmpint(rung(f, conv_id), ==, calls);
	json_t *ev = last_event(f, "staff.routing_changed");
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(ev, "changed"),
							  "inquiry_types")),
			==, "phone");
	json_decref(ev);
	tsunagu_store_staff_routing bad = {7, -1, -1, -1};
	g_assert_cmpint(tsunagu_router_set_routing(f->core.router, calls, &bad, 0), ==, -EINVAL);
}

static void test_subtypes(fixture *f, gconstpointer data)
{
	int64_t a = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	int64_t lunch = 0, meeting = 0;
	g_assert_cmpint(tsunagu_store_status_subtype_create(f->core.store, TSUNAGU_STATUS_AWAY,
							    "昼食", 1, &lunch),
			==, 0);
	g_assert_cmpint(tsunagu_store_status_subtype_create(f->core.store, TSUNAGU_STATUS_AWAY,
							    "昼食", 2, &meeting),
			==, -EEXIST);
	g_assert_cmpint(tsunagu_store_status_subtype_create(f->core.store, TSUNAGU_STATUS_AWAY, "",
							    2, &meeting),
			==, -EINVAL);
	g_assert_cmpint(tsunagu_router_set_presence(f->core.router, a, TSUNAGU_STATUS_AVAILABLE,
						    lunch, 0, NULL),
			==, -EINVAL); /* lunch is a kind of away */
	g_assert_cmpint(tsunagu_router_set_presence(f->core.router, a, TSUNAGU_STATUS_AWAY, lunch, 9,
						    "manual"),
			==, 0);
	spin();
	json_t *ev = last_event(f, "staff.status_changed");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "subtype")), ==, "昼食");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "previous_subtype")), ==, "offline");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "previous")), ==, "offline");
	json_decref(ev);
	GPtrArray *list = NULL;
	g_assert_cmpint(tsunagu_store_status_subtype_list(f->core.store, &list), ==, 0);
	g_assert_cmpuint(list->len, ==, 4);
	tsunagu_store_status_subtype *t = list->pdata[2];
	g_assert_cmpstr(t->name, ==, "昼食");
	g_assert_cmpint(t->kind, ==, TSUNAGU_STATUS_AWAY);
	g_assert_false(t->is_default);
	int64_t away_default = ((tsunagu_store_status_subtype *)list->pdata[1])->id;
	g_ptr_array_unref(list);
	/* deleting it moves its holder to the kind's default (an event) */
	g_assert_cmpint(tsunagu_router_subtype_delete(f->core.router, away_default, 1), ==, -EPERM);
	g_assert_cmpint(tsunagu_router_subtype_delete(f->core.router, lunch, 1), ==, 0);
	spin();
	tsunagu_store_staff *s = staff(f, a);
	g_assert_cmpint(s->status, ==, TSUNAGU_STATUS_AWAY);
	g_assert_cmpstr(s->subtype, ==, "away");
	tsunagu_store_staff_free(s);
	ev = last_event(f, "staff.status_changed");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "reason")), ==, "subtype_deleted");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "previous_subtype")), ==, "昼食");
	json_decref(ev);
}

static void test_reassign(fixture *f, gconstpointer data)
{
	int64_t a = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	int64_t b = operator(f, "b", TSUNAGU_ROLE_OPERATOR);
	available(f, a, 3);
	int64_t chat = arrive_now(f);
	g_assert_cmpint(assignee(f, chat), ==, a);
	/* nobody else: it waits rather than going back to a */
	g_assert_cmpint(tsunagu_router_reassign(f->core.router, chat, NULL, NULL, true), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, chat), ==, 0);
	available(f, b, 3);
	g_assert_cmpint(assignee(f, chat), ==, b);
	g_assert_cmpint(tsunagu_router_reassign(f->core.router, chat, NULL, NULL, true), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, chat), ==, a);
	json_t *ev = last_event(f, "conversation.assigned");
	g_assert_cmpint(json_int(ev, "from"), ==, b);
	json_decref(ev);
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, chat, a), ==, 0);
	g_assert_cmpint(tsunagu_router_reassign(f->core.router, chat, NULL, NULL, true), ==, -EPIPE);
}

static void test_outbound_call(fixture *f, gconstpointer data)
{
	int64_t a = on_duty(f, "a");
	int64_t b = on_duty(f, "b");
	int64_t contact = 0, conv_id = 0, call = 0;
	g_assert_cmpint(tsunagu_store_contact_create(f->core.store, "callee", &contact), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(f->core.store, "phone", contact, &conv_id),
			==, 0);
	g_assert_cmpint(tsunagu_router_call_outbound(f->core.router, conv_id, a, &call), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, conv_id), ==, a);
	assert_call_state(f, call, "ringing");
	json_t *ev = last_event(f, "call.incoming");
	g_assert_cmpstr(json_string_value(json_object_get(ev, "direction")), ==, "outbound");
	json_decref(ev);
	/* a is on that call: an inbound call rings b */
	int64_t in_conv = 0;
	call_in(f, NULL, NULL, &in_conv);
	g_assert_cmpint(rung(f, in_conv), ==, b);
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, call, b), ==, -EPERM);
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, call, a), ==, 0);
	assert_call_state(f, call, "talking");
	int64_t chat = 0;
	g_assert_cmpint(tsunagu_store_conversation_create(f->core.store, "web", contact, &chat), ==,
			0);
	g_assert_cmpint(tsunagu_router_call_outbound(f->core.router, chat, a, NULL), ==, -EINVAL);
}

int main(int argc, char **argv)
{
	setenv("TZ", "UTC", 1);
	tzset();
	tsunagu_core_set_clock(fake_clock);
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, fixture, NULL, setup, fn, teardown)
	ADD("/engine/seed003/longest-idle", test_seed_longest_idle);
	ADD("/engine/seed003/round-robin", test_seed_round_robin);
	ADD("/engine/round-robin/owed-across-the-wrap", test_round_robin_owed_across_the_wrap);
	ADD("/engine/calls/ring-all", test_ring_all);
	ADD("/engine/calls/after-call-work", test_after_call_work);
	ADD("/engine/calls/waiting-oldest-first", test_waiting_calls_oldest_first);
	ADD("/engine/calls/simultaneous", test_simultaneous_calls);
	ADD("/engine/calls/missed", test_missed_calls);
	ADD("/engine/calls/outbound", test_outbound_call);
	ADD("/engine/offers/ring-timeout-autopause", test_ring_timeout_and_autopause);
	ADD("/engine/offers/declined", test_declined_call);
	ADD("/engine/offers/chat-timeout", test_chat_offer_timeout);
	ADD("/engine/offers/chat-withdrawn", test_chat_offer_withdrawn);
	ADD("/engine/inquiry-types", test_inquiry_types);
	ADD("/engine/status/subtypes", test_subtypes);
	ADD("/engine/reassign", test_reassign);
	return g_test_run();
}
