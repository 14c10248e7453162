/* What the call engine asks of the phone channel (issue 5): the events the
 * plugin host turns into call_event() — call.ring_stopped (STOP_RING) when
 * a phone stops ringing for any reason, call.hangup (HANGUP) when the core
 * ends a call, call.dialing (DIAL) for a call-back, call.missed by
 * "engine" (MISSED) — and the inbox's answer (take) and reject, the call
 * origin (provider call id, line, disposition) and the call queue count.
 * A real store and a controlled clock; no plugin. */
#include "router_fixture.h"

#include "rules.h"

/* The newest event of type for call (json_decref), failing when none. */
static json_t *event_of(fixture *f, const char *type, int64_t call)
{
	for (guint i = f->seen->len; i-- > 0;) {
		tsunagu_store_event *ev = f->seen->pdata[i];
		json_t *p = strcmp(ev->type, type) == 0 ? json_loads(ev->payload_json, 0, NULL) : NULL;
		if (p && json_integer_value(json_object_get(p, "call")) == call)
			return p;
		json_decref(p);
	}
	g_assert_not_reached();
	return NULL;
}

static unsigned count_of(fixture *f, const char *type, int64_t call, int64_t staff,
			 const char *reason)
{
	unsigned n = 0;
	for (guint i = 0; i < f->seen->len; i++) {
		tsunagu_store_event *ev = f->seen->pdata[i];
		if (strcmp(ev->type, type) != 0)
			continue;
		json_t *p = json_loads(ev->payload_json, 0, NULL);
		const char *r = json_string_value(json_object_get(p, "reason"));
		n += json_integer_value(json_object_get(p, "call")) == call &&
		     (!staff || json_integer_value(json_object_get(p, "staff")) == staff) &&
		     (!reason || g_strcmp0(r, reason) == 0);
		json_decref(p);
	}
	return n;
}

static void test_ring_all_answered_stops_the_others(fixture *f, gconstpointer data)
{
	int64_t a = on_duty(f, "a"), b = on_duty(f, "b"), c = on_duty(f, "c");
	int64_t conv_id = 0, call = call_in(f, NULL, "ring_all", &conv_id);
	GArray *ids = ringing(f, conv_id);
	g_assert_cmpuint(ids->len, ==, 3);
	g_array_unref(ids);
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, call, b), ==, 0);
	spin();
	g_assert_cmpuint(count_of(f, "call.ring_stopped", call, a, "answered"), ==, 1);
	g_assert_cmpuint(count_of(f, "call.ring_stopped", call, c, "answered"), ==, 1);
	g_assert_cmpuint(count_of(f, "call.ring_stopped", call, b, NULL), ==, 0);
}

static void test_ring_timeout_stops_and_moves_on(fixture *f, gconstpointer data)
{
	g_assert_true(tsunagu_config_set(f->core.config, "routing.ring_timeout=20s", NULL));
	int64_t a = on_duty(f, "a"), b = on_duty(f, "b");
	int64_t conv_id = 0, call = call_in(f, NULL, NULL, &conv_id);
	g_assert_cmpint(rung(f, conv_id), ==, a);
	fake_now += 21 * SECOND;
	g_assert_cmpint(tsunagu_router_tick(f->core.router, NULL), ==, 0);
	spin();
	g_assert_cmpint(rung(f, conv_id), ==, b);
	g_assert_cmpuint(count_of(f, "call.ring_stopped", call, a, "ring_timeout"), ==, 1);
	/* b steps away: not a miss, their phone stops too */
	g_assert_cmpint(tsunagu_router_set_status(f->core.router, b, TSUNAGU_STATUS_AWAY, b,
						  "manual"),
			==, 0);
	spin();
	g_assert_cmpuint(count_of(f, "call.ring_stopped", call, b, "unavailable"), ==, 1);
}

/* routing.ring_rounds: after every eligible operator was rung that many
 * times without an answer, the engine gives up — missed ringTimeout, the
 * conversation closed, the channel told (by "engine"). A round in which
 * nobody could answer (everyone busy) does not count. */
static void test_ring_rounds_then_ring_timeout(fixture *f, gconstpointer data)
{
	g_assert_true(tsunagu_config_set(f->core.config, "routing.ring_timeout=20s", NULL));
	g_assert_true(tsunagu_config_set(f->core.config, "routing.ring_rounds=2", NULL));
	g_assert_true(tsunagu_config_set(f->core.config, "routing.max_missed_offers=0", NULL));
	int64_t a = on_duty(f, "a"), b = on_duty(f, "b");
	int64_t conv_id = 0, call = call_in(f, NULL, NULL, &conv_id);
	/* round 1: a, then b; round 2: a, then b; then nobody */
	int64_t want[] = { a, b, a, b };
	for (unsigned i = 0; i < G_N_ELEMENTS(want); i++) {
		g_assert_cmpint(rung(f, conv_id), ==, want[i]);
		assert_call_state(f, call, "ringing");
		fake_now += 21 * SECOND;
		g_assert_cmpint(tsunagu_router_tick(f->core.router, NULL), ==, 0);
		spin();
	}
	assert_call_state(f, call, "ended");
	json_t *p = event_of(f, "call.missed", call);
	g_assert_cmpstr(json_string_value(json_object_get(p, "reason")), ==, "ringTimeout");
	g_assert_cmpstr(json_string_value(json_object_get(p, "by")), ==, "engine");
	json_decref(p);
	tsunagu_store_conversation *c = conv(f, conv_id);
	g_assert_cmpint(c->state, ==, TSUNAGU_CONV_CLOSED);
	tsunagu_store_conversation_free(c);
	g_assert_cmpuint(count_of(f, "call.ring_stopped", call, a, "ring_timeout"), ==, 2);
	g_assert_cmpuint(count_of(f, "call.ring_stopped", call, b, "ring_timeout"), ==, 2);
}

static void test_busy_rounds_do_not_count(fixture *f, gconstpointer data)
{
	g_assert_true(tsunagu_config_set(f->core.config, "routing.ring_timeout=20s", NULL));
	g_assert_true(tsunagu_config_set(f->core.config, "routing.ring_rounds=1", NULL));
	g_assert_true(tsunagu_config_set(f->core.config, "routing.max_missed_offers=0", NULL));
	int64_t a = on_duty(f, "a");
	int64_t conv1 = 0, first = call_in(f, NULL, NULL, &conv1);
	g_assert_cmpint(rung(f, conv1), ==, a);
	int64_t conv2 = 0, second = call_in(f, NULL, NULL, &conv2);
	assert_call_state(f, second, "queued");
	/* a talks on the first call for long: the second waits, never given up */
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, first, a), ==, 0);
	for (int i = 0; i < 5; i++) {
		fake_now += 21 * SECOND;
		g_assert_cmpint(tsunagu_router_tick(f->core.router, NULL), ==, 0);
		spin();
	}
	assert_call_state(f, second, "queued");
}

static void test_missed_by_channel_and_engine(fixture *f, gconstpointer data)
{
	int64_t a = on_duty(f, "a");
	int64_t conv_id = 0, call = call_in(f, NULL, NULL, &conv_id);
	g_assert_cmpint(rung(f, conv_id), ==, a);
	g_assert_cmpint(tsunagu_router_call_ended(f->core.router, call), ==, 0);
	spin();
	g_assert_cmpuint(count_of(f, "call.ring_stopped", call, a, "missed"), ==, 1);
	json_t *p = event_of(f, "call.missed", call);
	g_assert_cmpstr(json_string_value(json_object_get(p, "reason")), ==, "userLeft");
	g_assert_cmpstr(json_string_value(json_object_get(p, "by")), ==, "channel");
	json_decref(p);
	/* a route of nobody(): the engine gives up at once */
	call = call_in(f, "{\"kind\":\"nobody\"}", NULL, &conv_id);
	assert_call_state(f, call, "ended");
	p = event_of(f, "call.missed", call);
	g_assert_cmpstr(json_string_value(json_object_get(p, "reason")), ==, "noOperator");
	g_assert_cmpstr(json_string_value(json_object_get(p, "by")), ==, "engine");
	json_decref(p);
	tsunagu_store_conversation *c = conv(f, conv_id);
	g_assert_cmpint(c->state, ==, TSUNAGU_CONV_CLOSED);
	tsunagu_store_conversation_free(c);
}

/* TEL-4: taking a queued call while on a call hangs the current one up and
 * rings only the taker's phone. */
static void test_take_while_talking(fixture *f, gconstpointer data)
{
	int64_t a = on_duty(f, "a"), b = on_duty(f, "b");
	int64_t conv1 = 0, first = call_in(f, NULL, NULL, &conv1);
	g_assert_cmpint(rung(f, conv1), ==, a);
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, first, a), ==, 0);
	int64_t conv2 = 0, second = call_in(f, NULL, NULL, &conv2);
	g_assert_cmpint(rung(f, conv2), ==, b);
	fake_now += MINUTE;
	g_assert_cmpint(tsunagu_router_call_take(f->core.router, second, a), ==, 0);
	spin();
	assert_call_state(f, first, "ended");
	json_t *p = event_of(f, "call.hangup", first);
	g_assert_cmpstr(json_string_value(json_object_get(p, "reason")), ==, "answering_other");
	g_assert_cmpint(json_integer_value(json_object_get(p, "staff")), ==, a);
	json_decref(p);
	p = event_of(f, "call.ended", first);
	/* answered, the second call came a second later, taken a minute after */
	g_assert_cmpint(json_integer_value(json_object_get(p, "talk_ms")), ==, 61000);
	json_decref(p);
	g_assert_cmpuint(count_of(f, "call.ring_stopped", second, b, "taken"), ==, 1);
	g_assert_cmpint(rung(f, conv2), ==, a);
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, second, a), ==, 0);
	/* over: nothing to take or hang up twice */
	g_assert_cmpint(tsunagu_router_call_take(f->core.router, second, b), ==, -EPIPE);
	g_assert_cmpint(tsunagu_router_call_hangup(f->core.router, second, a, NULL), ==, 0);
	g_assert_cmpint(tsunagu_router_call_hangup(f->core.router, second, a, NULL), ==, -EPIPE);
}

/* Rejecting from the inbox: a ringing phone stops and the next rings; an
 * operator it does not ring for is passed over. */
static void test_decline(fixture *f, gconstpointer data)
{
	int64_t a = on_duty(f, "a"), b = on_duty(f, "b"), c = on_duty(f, "c");
	int64_t conv_id = 0, call = call_in(f, NULL, NULL, &conv_id);
	g_assert_cmpint(rung(f, conv_id), ==, a);
	g_assert_cmpint(tsunagu_router_call_decline(f->core.router, call, c), ==, 0);
	g_assert_cmpint(rung(f, conv_id), ==, a);
	g_assert_cmpint(tsunagu_router_call_decline(f->core.router, call, a), ==, 0);
	spin();
	g_assert_cmpuint(count_of(f, "call.ring_stopped", call, a, "rejected"), ==, 1);
	g_assert_cmpint(rung(f, conv_id), ==, b); /* not c: c passed */
}

/* The origin of a call, the queue count, and a call decided missed on
 * arrival that never rings. */
static void test_origin_and_queue(fixture *f, gconstpointer data)
{
	int64_t contact = 0, id = 0, call = 0, n = -1;
	tsunagu_store_call *c = NULL;
	on_duty(f, "a");
	g_assert_cmpint(tsunagu_store_contact_create(f->core.store, "caller", &contact), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(f->core.store, "phone", contact, &id), ==,
			0);
	tsunagu_router_call_info info = {"sip-1", "0120", "notInOperation", 0};
	g_assert_cmpint(tsunagu_router_call_arrive(f->core.router, id, &info, &call), ==, 0);
	spin();
	g_assert_cmpint(rung(f, id), ==, 0);
	g_assert_cmpint(tsunagu_store_calls_waiting_count(f->core.store, &n), ==, 0);
	g_assert_cmpint(n, ==, 0);
	g_assert_cmpint(tsunagu_store_call_by_provider(f->core.store, "sip-1", &c), ==, 0);
	g_assert_cmpint(c->id, ==, call);
	g_assert_cmpstr(c->line, ==, "0120");
	g_assert_cmpstr(c->disposition, ==, "notInOperation");
	tsunagu_store_call_free(c);
	/* the same provider id on another call: refused, nothing kept */
	int64_t id2 = 0, call2 = 0;
	g_assert_cmpint(tsunagu_store_conversation_create(f->core.store, "phone", contact, &id2), ==,
			0);
	g_assert_cmpint(tsunagu_router_call_arrive(f->core.router, id2, &info, &call2), ==, -EEXIST);
	g_assert_cmpint(tsunagu_router_call_missed(f->core.router, call, "notInOperation"), ==, 0);
	/* a queued one counts */
	tsunagu_router_call_info queued = {"sip-2", NULL, "queued", 0};
	g_assert_cmpint(tsunagu_router_call_arrive(f->core.router, id2, &queued, &call2), ==, 0);
	spin();
	g_assert_cmpint(tsunagu_store_calls_waiting_count(f->core.store, &n), ==, 0);
	g_assert_cmpint(n, ==, 1);
}

/* A call-back rings the operator's phone first (call.dialing). */
static void test_call_back(fixture *f, gconstpointer data)
{
	int64_t a = on_duty(f, "a");
	int64_t conv_id = 0, call = call_in(f, NULL, NULL, &conv_id);
	g_assert_cmpint(tsunagu_router_call_missed(f->core.router, call, "userLeft"), ==, 0);
	int64_t back_conv = 0, back = 0;
	g_assert_cmpint(tsunagu_domain_call_back(f->core.domain, conv_id, a, &back_conv, &back), ==,
			0);
	spin();
	json_t *p = event_of(f, "call.dialing", back);
	g_assert_cmpint(json_integer_value(json_object_get(p, "staff")), ==, a);
	json_decref(p);
	tsunagu_store_call *c = NULL;
	g_assert_cmpint(tsunagu_store_call_get(f->core.store, back, &c), ==, 0);
	g_assert_cmpstr(c->direction, ==, "outbound");
	g_assert_cmpint(c->linked_conversation_id, ==, conv_id);
	tsunagu_store_call_free(c);
	g_assert_cmpint(assignee(f, back_conv), ==, a);
	/* the phone declines: the outbound call ends unanswered */
	g_assert_cmpint(tsunagu_router_call_rejected(f->core.router, back, a), ==, 0);
	assert_call_state(f, back, "ended");
	/* only a missed call is called back */
	g_assert_cmpint(tsunagu_domain_call_back(f->core.domain, back_conv, a, NULL, NULL), ==,
			-EPIPE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	tsunagu_core_set_clock(fake_clock);
#define ADD(name, fn) g_test_add(name, fixture, NULL, setup, fn, teardown)
	ADD("/calls/ring-all/answered-stops-the-others", test_ring_all_answered_stops_the_others);
	ADD("/calls/ring-timeout/stop-ring", test_ring_timeout_stops_and_moves_on);
	ADD("/calls/ring-rounds/ring-timeout", test_ring_rounds_then_ring_timeout);
	ADD("/calls/ring-rounds/busy-not-counted", test_busy_rounds_do_not_count);
	ADD("/calls/missed/by-channel-and-engine", test_missed_by_channel_and_engine);
	ADD("/calls/take/while-talking", test_take_while_talking);
	ADD("/calls/decline", test_decline);
	ADD("/calls/origin-and-queue", test_origin_and_queue);
	ADD("/calls/call-back", test_call_back);
	return g_test_run();
}
