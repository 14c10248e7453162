/* The router's event subscriber (router.c on_event) reads the conversation
 * of a close or snooze once and its two handlers skip what cannot apply: a
 * chat's close reads no call, a call's events and a phone conversation's
 * close read no offers. What each handler does must not change: a chat on
 * offer closed by its operator is accepted (no miss at the deadline), a
 * call's conversation closed in after-call work ends it and frees the
 * operator for the next call, and a chat closed frees room for the next
 * waiting chat. */
#include "router_fixture.h"

static void config(fixture *f, const char *assignment)
{
	g_assert_true(tsunagu_config_set(f->core.config, assignment, NULL));
}

static int missed_offers(fixture *f, int64_t id)
{
	tsunagu_store_staff *s = NULL;
	g_assert_cmpint(tsunagu_store_staff_get(f->core.store, id, &s), ==, 0);
	int n = s->missed_offers;
	tsunagu_store_staff_free(s);
	return n;
}

/* Closing a chat on offer is its operator's action: the offer is accepted,
 * and its deadline passes without a miss. */
static void test_chat_close_accepts_offer(fixture *f, gconstpointer data)
{
	config(f, "routing.offer_timeout=1m");
	int64_t a = on_duty(f, "a");
	int64_t chat = arrive_now(f);
	unsigned handled = 9;

	g_assert_cmpint(assignee(f, chat), ==, a);
	g_assert_cmpuint(count_events(f, "conversation.offered"), ==, 1);
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, chat, a), ==, 0);
	spin();
	fake_now += 5 * MINUTE;
	g_assert_cmpint(tsunagu_router_tick(f->core.router, &handled), ==, 0);
	spin();
	g_assert_cmpuint(handled, ==, 0);
	g_assert_cmpuint(count_events(f, "conversation.offer_missed"), ==, 0);
	g_assert_cmpint(missed_offers(f, a), ==, 0);
	g_assert_cmpint(tsunagu_router_accept(f->core.router, chat, a), ==, -ENOENT);
}

/* A full operator closes a chat: the oldest waiting chat comes to them. */
static void test_chat_close_frees_room(fixture *f, gconstpointer data)
{
	int64_t a = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	available(f, a, 1);
	int64_t first = arrive_now(f), second = arrive_now(f);

	g_assert_cmpint(assignee(f, first), ==, a);
	g_assert_cmpint(assignee(f, second), ==, 0);
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, first, a), ==, 0);
	spin();
	g_assert_cmpint(assignee(f, second), ==, a);
	/* no call was looked for or ended: a chat has none */
	g_assert_cmpuint(count_events(f, "call.acw_ended"), ==, 0);
}

/* A call answered, ended: its operator is in after-call work and the next
 * call waits; closing the conversation ends the work and rings them. The
 * answer and the close left no offer behind. */
static void test_call_close_ends_acw(fixture *f, gconstpointer data)
{
	int64_t a = on_duty(f, "a");
	int64_t conv_id = 0, call = call_in(f, NULL, NULL, &conv_id);

	g_assert_cmpint(rung(f, conv_id), ==, a);
	g_assert_cmpint(tsunagu_router_call_answered(f->core.router, call, a), ==, 0);
	spin();
	fake_now += MINUTE;
	g_assert_cmpint(tsunagu_router_call_ended(f->core.router, call), ==, 0);
	spin();
	int64_t ended_at = fake_now;
	int64_t next_conv = 0, next = call_in(f, NULL, NULL, &next_conv);
	g_assert_cmpint(rung(f, next_conv), ==, 0);
	assert_call_state(f, next, "queued");
	fake_now += 20 * SECOND;
	g_assert_cmpint(tsunagu_domain_close(f->core.domain, conv_id, a), ==, 0);
	spin();
	json_t *acw = last_event(f, "call.acw_ended");
	g_assert_nonnull(acw);
	g_assert_cmpint(json_integer_value(json_object_get(acw, "acw_ms")), ==,
			(fake_now - ended_at) / 1000);
	json_decref(acw);
	g_assert_cmpuint(count_events(f, "call.acw_ended"), ==, 1);
	g_assert_cmpint(rung(f, next_conv), ==, a);
	assert_call_state(f, next, "ringing");
	GArray *left = ringing(f, conv_id);
	g_assert_cmpuint(left->len, ==, 0);
	g_array_unref(left);
}

int main(int argc, char **argv)
{
	tsunagu_core_set_clock(fake_clock);
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, fixture, NULL, setup, fn, teardown)
	ADD("/router/events/chat-close-accepts-offer", test_chat_close_accepts_offer);
	ADD("/router/events/chat-close-frees-room", test_chat_close_frees_room);
	ADD("/router/events/call-close-ends-acw", test_call_close_ends_acw);
	return g_test_run();
}
