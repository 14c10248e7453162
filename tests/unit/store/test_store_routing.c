/* The routing half of the store (migration 3): operator status and chat
 * capacity, the open-chat count the triggers keep (also inside an open
 * batch), candidate picking for each method, the waiting list, and the inbox
 * lists by view. Time is controlled through the core clock. */
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "store.h"
#include "store_test_util.h"

static int64_t fake_now;

static int64_t fake_clock(void)
{
	return fake_now;
}

#define MINUTE ((int64_t)60 * G_USEC_PER_SEC)

static tsunagu_store_staff *get_staff(store_fixture *fx, int64_t id)
{
	tsunagu_store_staff *s = NULL;
	g_assert_cmpint(tsunagu_store_staff_get(fx->store, id, &s), ==, 0);
	return s;
}

/* open_chats (trigger-kept) and the counted truth agree, and equal want. */
static void assert_open(store_fixture *fx, int64_t id, int want)
{
	tsunagu_store_staff *s = get_staff(fx, id);
	int64_t counted = -1;
	g_assert_cmpint(tsunagu_store_staff_open_count(fx->store, id, &counted), ==, 0);
	g_assert_cmpint(counted, ==, want);
	g_assert_cmpint(s->open_chats, ==, want);
	tsunagu_store_staff_free(s);
}

static void test_status_and_capacity(store_fixture *fx, gconstpointer data)
{
	fake_now = 1000 * MINUTE;
	int64_t a = fixture_staff(fx, "a");
	tsunagu_store_staff *s = get_staff(fx, a);
	g_assert_cmpint(s->status, ==, TSUNAGU_STATUS_OFFLINE);
	g_assert_cmpint(s->status_since_us, ==, fake_now);
	g_assert_cmpint(s->chat_capacity, ==, 3);
	g_assert_cmpint(s->open_chats, ==, 0);
	tsunagu_store_staff_free(s);

	tsunagu_staff_status prev = 0;
	fake_now += MINUTE;
	g_assert_cmpint(tsunagu_store_staff_set_status(fx->store, a, TSUNAGU_STATUS_AVAILABLE, &prev),
			==, 0);
	g_assert_cmpint(prev, ==, TSUNAGU_STATUS_OFFLINE);
	int64_t since = fake_now;
	fake_now += MINUTE;
	/* the same status again keeps the time it began */
	g_assert_cmpint(tsunagu_store_staff_set_status(fx->store, a, TSUNAGU_STATUS_AVAILABLE, &prev),
			==, 0);
	g_assert_cmpint(prev, ==, TSUNAGU_STATUS_AVAILABLE);
	s = get_staff(fx, a);
	g_assert_cmpint(s->status, ==, TSUNAGU_STATUS_AVAILABLE);
	g_assert_cmpint(s->status_since_us, ==, since);
	tsunagu_store_staff_free(s);

	g_assert_cmpint(tsunagu_store_staff_set_status(fx->store, 999, TSUNAGU_STATUS_AWAY, NULL),
			==, -ENOENT);
	g_assert_cmpint(tsunagu_store_staff_set_status(fx->store, a, 7, NULL), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_staff_set_capacity(fx->store, a, 1), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_set_capacity(fx->store, a, -1), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_staff_set_capacity(fx->store, a, 101), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_staff_set_capacity(fx->store, 999, 2), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	s = get_staff(fx, a);
	g_assert_cmpint(s->chat_capacity, ==, 1);
	tsunagu_store_staff_free(s);

	g_assert_cmpstr(tsunagu_staff_status_name(TSUNAGU_STATUS_AWAY), ==, "away");
	g_assert_null(tsunagu_staff_status_name(0));
	tsunagu_staff_status st;
	g_assert_cmpint(tsunagu_staff_status_parse("busy", &st), ==, -EINVAL);
	g_assert_cmpint(tsunagu_staff_status_parse("offline", &st), ==, 0);
	g_assert_cmpint(st, ==, TSUNAGU_STATUS_OFFLINE);
}

static void test_open_count_follows_every_change(store_fixture *fx, gconstpointer data)
{
	fake_now = 2000 * MINUTE;
	int64_t a = fixture_staff(fx, "a"), b = fixture_staff(fx, "b");
	int64_t c1 = fixture_conversation(fx, "web"), c2 = fixture_conversation(fx, "web");

	/* inside one batch, before any commit, each assignment is counted */
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, c1, a, -1), ==, 0);
	assert_open(fx, a, 1);
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, c2, a, -1), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, c2, TSUNAGU_CONV_OPEN), ==, 0);
	assert_open(fx, a, 2);
	/* a rolled-back atomic unit leaves no count behind */
	g_assert_cmpint(tsunagu_store_atomic_begin(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, c2, b, -1), ==, 0);
	assert_open(fx, b, 1);
	g_assert_cmpint(tsunagu_store_atomic_end(fx->store, false), ==, 0);
	assert_open(fx, a, 2);
	assert_open(fx, b, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);

	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, c1, TSUNAGU_CONV_SNOOZED), ==, 0);
	assert_open(fx, a, 1);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, c1, TSUNAGU_CONV_OPEN), ==, 0);
	assert_open(fx, a, 2);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, c1,
							     TSUNAGU_CONV_CLOSE_REQUESTED), ==, 0);
	assert_open(fx, a, 2);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, c1, TSUNAGU_CONV_CLOSED), ==, 0);
	assert_open(fx, a, 1);
	/* reassignment moves the count; unassigning drops it */
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, c2, b, -1), ==, 0);
	assert_open(fx, a, 0);
	assert_open(fx, b, 1);
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, c2, 0, -1), ==, 0);
	assert_open(fx, b, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	/* the count survives a reopen of the database */
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, c2, b, -1), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	tsunagu_store_close(fx->store);
	fx->store = NULL;
	tsunagu_store_options o = {0};
	fixture_open(fx, &o);
	assert_open(fx, b, 1);
	g_assert_cmpint(tsunagu_store_schema_version(fx->store), >=, 3);
}

static void test_waiting_list(store_fixture *fx, gconstpointer data)
{
	int64_t ids[5];
	for (int i = 0; i < 5; i++) {
		/* created in an order that differs from the id order of their waits */
		fake_now = (3000 + 10 * i) * MINUTE;
		ids[i] = fixture_conversation(fx, "web");
	}
	int64_t a = fixture_staff(fx, "a");
	/* the oldest leaves the queue; later it comes back and waits anew */
	fake_now = 4000 * MINUTE;
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, ids[0], a, -1), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, ids[0], TSUNAGU_CONV_OPEN), ==, 0);
	tsunagu_store_conversation *c = NULL;
	g_assert_cmpint(tsunagu_store_conversation_get(fx->store, ids[0], &c), ==, 0);
	g_assert_cmpint(c->waiting_since_us, ==, 0);
	tsunagu_store_conversation_free(c);
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, ids[0], 0, -1), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, ids[0], TSUNAGU_CONV_WAITING),
			==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_route(fx->store, ids[0], "{\"all\":true}"),
			==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_route(fx->store, ids[0], "not json"), ==,
			-EINVAL);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);

	int64_t want[] = { ids[1], ids[2], ids[3], ids[4], ids[0] };
	GPtrArray *all = NULL;
	g_assert_cmpint(tsunagu_store_waiting_list(fx->store, 0, 0, 0, &all), ==, 0);
	g_assert_cmpuint(all->len, ==, 5);
	for (guint i = 0; i < 5; i++)
		g_assert_cmpint(((tsunagu_store_conversation *)all->pdata[i])->id, ==, want[i]);
	tsunagu_store_conversation *last = all->pdata[4];
	g_assert_cmpint(last->waiting_since_us, ==, 4000 * MINUTE);
	g_assert_cmpstr(last->route_json, ==, "{\"all\":true}");
	/* paging by position gives the same order */
	GPtrArray *page = NULL;
	tsunagu_store_conversation *second = all->pdata[1];
	g_assert_cmpint(tsunagu_store_waiting_list(fx->store, second->waiting_since_us, second->id, 2,
						   &page), ==, 0);
	g_assert_cmpuint(page->len, ==, 2);
	g_assert_cmpint(((tsunagu_store_conversation *)page->pdata[0])->id, ==, want[2]);
	g_assert_cmpint(((tsunagu_store_conversation *)page->pdata[1])->id, ==, want[3]);
	g_ptr_array_unref(page);
	g_ptr_array_unref(all);
}

/* Makes id available (at the current fake time) with capacity cap. */
static void available(store_fixture *fx, int64_t id, int cap)
{
	g_assert_cmpint(tsunagu_store_staff_set_status(fx->store, id, TSUNAGU_STATUS_AVAILABLE, NULL),
			==, 0);
	g_assert_cmpint(tsunagu_store_staff_set_capacity(fx->store, id, cap), ==, 0);
}

static int64_t pick(store_fixture *fx, const tsunagu_store_pick *q)
{
	int64_t id = 0;
	int r = tsunagu_store_staff_pick(fx->store, q, &id);
	g_assert_true(r == 0 || r == -ENOENT);
	return r == 0 ? id : 0;
}

static void test_pick(store_fixture *fx, gconstpointer data)
{
	fake_now = 5000 * MINUTE;
	int64_t a = fixture_staff(fx, "a"), b = fixture_staff(fx, "b"), c = fixture_staff(fx, "c"), d = fixture_staff(fx, "d");
	tsunagu_store_pick q = { .method = TSUNAGU_PICK_LONGEST_IDLE, .all = true, .now_us = 0 };
	g_assert_cmpint(pick(fx, &q), ==, 0); /* everyone offline */

	/* c became available first, then a, then b; d stays away */
	fake_now += MINUTE;
	available(fx, c, 2);
	fake_now += MINUTE;
	available(fx, a, 2);
	fake_now += MINUTE;
	available(fx, b, 2);
	g_assert_cmpint(tsunagu_store_staff_set_status(fx->store, d, TSUNAGU_STATUS_AWAY, NULL), ==, 0);
	g_assert_cmpint(pick(fx, &q), ==, c);

	/* c gets a chat: now a has been idle longest */
	fake_now += MINUTE;
	int64_t conv1 = fixture_conversation(fx, "web");
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, conv1, c, -1), ==, 0);
	g_assert_cmpint(pick(fx, &q), ==, a);
	/* excluded, outside the target, at capacity, disabled: never picked */
	char *not_a = g_strdup_printf("[%" G_GINT64_FORMAT "]", a);
	q.exclude_ids_json = not_a;
	g_assert_cmpint(pick(fx, &q), ==, b);
	q.exclude_ids_json = NULL;
	g_free(not_a);
	char *only_c = g_strdup_printf("[%" G_GINT64_FORMAT "]", c);
	q.all = false;
	q.staff_ids_json = only_c;
	g_assert_cmpint(pick(fx, &q), ==, c);
	g_assert_cmpint(tsunagu_store_staff_set_capacity(fx->store, c, 1), ==, 0);
	g_assert_cmpint(pick(fx, &q), ==, 0);
	q.staff_ids_json = NULL;
	g_assert_cmpint(pick(fx, &q), ==, 0); /* an empty target admits nobody */
	int64_t team = 0;
	g_assert_cmpint(tsunagu_store_team_create(fx->store, "sales", &team), ==, 0);
	g_assert_cmpint(tsunagu_store_team_add_member(fx->store, team, b), ==, 0);
	g_assert_cmpint(tsunagu_store_team_add_member(fx->store, team, d), ==, 0);
	char *teams = g_strdup_printf("[%" G_GINT64_FORMAT "]", team);
	q.team_ids_json = teams;
	g_assert_cmpint(pick(fx, &q), ==, b); /* d is away */
	g_assert_cmpint(tsunagu_store_staff_update(fx->store, b, NULL, NULL, 0, NULL, 1), ==, 0);
	g_assert_cmpint(pick(fx, &q), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_update(fx->store, b, NULL, NULL, 0, NULL, 0), ==, 0);
	q.team_ids_json = NULL;
	q.all = true;

	/* round robin: in id order after the last one, wrapping; c is full */
	q.method = TSUNAGU_PICK_ROUND_ROBIN;
	q.rr_after = 0;
	g_assert_cmpint(pick(fx, &q), ==, a);
	q.rr_after = a;
	g_assert_cmpint(pick(fx, &q), ==, b);
	q.rr_after = b;
	g_assert_cmpint(pick(fx, &q), ==, a); /* c full, d away: back to the start */

	/* fewest handled today: c has one today, a and b none; tomorrow all start at 0 */
	q.method = TSUNAGU_PICK_FEWEST_HANDLED;
	q.now_us = fake_now;
	g_assert_cmpint(tsunagu_store_staff_set_capacity(fx->store, c, 3), ==, 0);
	fake_now += MINUTE;
	int64_t conv2 = fixture_conversation(fx, "web"), conv3 = fixture_conversation(fx, "web");
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, conv2, a, -1), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, conv2, 0, -1), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, conv3, a, -1), ==, 0);
	/* a: 2 today (open 1), c: 1 (open 1), b: 0 */
	g_assert_cmpint(pick(fx, &q), ==, b);
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, conv2, b, -1), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, conv2, TSUNAGU_CONV_CLOSED), ==, 0);
	/* b and c: 1 each; c idle longer (assigned earlier) */
	g_assert_cmpint(pick(fx, &q), ==, c);
	q.now_us = fake_now + 2 * 24 * 60 * MINUTE; /* another day: counts reset, idle decides */
	g_assert_cmpint(pick(fx, &q), ==, c);
	q.staff_ids_json = "not a list";
	q.all = false;
	int64_t none = 0;
	g_assert_cmpint(tsunagu_store_staff_pick(fx->store, &q, &none), <, 0);
	g_assert_cmpint(none, ==, 0);
	q.method = 9;
	g_assert_cmpint(tsunagu_store_staff_pick(fx->store, &q, &none), ==, -EINVAL);
	g_free(only_c);
	g_free(teams);
}

static void test_lookups(store_fixture *fx, gconstpointer data)
{
	fake_now = 6000 * MINUTE;
	int64_t a = fixture_staff(fx, "a"), b = fixture_staff(fx, "b");
	int64_t contact = 0, c1 = 0, c2 = 0, c3 = 0, last = 0;
	g_assert_cmpint(tsunagu_store_contact_create(fx->store, "Kei", &contact), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(fx->store, "web", contact, &c1), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_last_operator(fx->store, contact, c1, &last), ==,
			-ENOENT);
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, c1, a, -1), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(fx->store, "web", contact, &c2), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, c2, b, -1), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(fx->store, "web", contact, &c3), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_last_operator(fx->store, contact, c3, &last), ==, 0);
	g_assert_cmpint(last, ==, b);
	g_assert_cmpint(tsunagu_store_contact_last_operator(fx->store, contact, c2, &last), ==, 0);
	g_assert_cmpint(last, ==, a);

	int64_t n = -1;
	g_assert_cmpint(tsunagu_store_session_create(fx->store, "h1", a, "c", fake_now + MINUTE), ==, 0);
	g_assert_cmpint(tsunagu_store_session_create(fx->store, "h2", a, "c", fake_now - 1), ==, 0);
	g_assert_cmpint(tsunagu_store_session_count_for_staff(fx->store, a, fake_now, &n), ==, 0);
	g_assert_cmpint(n, ==, 1);
	g_assert_cmpint(tsunagu_store_session_count_for_staff(fx->store, b, fake_now, &n), ==, 0);
	g_assert_cmpint(n, ==, 0);

	int64_t t1 = 0, t2 = 0;
	GArray *teams = NULL;
	g_assert_cmpint(tsunagu_store_team_create(fx->store, "x", &t1), ==, 0);
	g_assert_cmpint(tsunagu_store_team_create(fx->store, "y", &t2), ==, 0);
	g_assert_cmpint(tsunagu_store_team_add_member(fx->store, t2, a), ==, 0);
	g_assert_cmpint(tsunagu_store_team_add_member(fx->store, t1, a), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_teams(fx->store, a, &teams), ==, 0);
	g_assert_cmpuint(teams->len, ==, 2);
	g_assert_cmpint(g_array_index(teams, int64_t, 0), ==, t1);
	g_assert_cmpint(g_array_index(teams, int64_t, 1), ==, t2);
	g_array_unref(teams);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
}

static GPtrArray *view(store_fixture *fx, tsunagu_conv_view v, int64_t me, const char *channel)
{
	GPtrArray *rows = NULL;
	g_assert_cmpint(tsunagu_store_conversation_list_view(fx->store, v, me, channel, 0, &rows), ==,
			0);
	return rows;
}

static int64_t row_id(GPtrArray *rows, guint i)
{
	return ((tsunagu_store_conversation_item *)rows->pdata[i])->conv->id;
}

static void test_views(store_fixture *fx, gconstpointer data)
{
	int64_t me = 0;
	fake_now = 7000 * MINUTE;
	me = fixture_staff(fx, "me");
	/* w1 waits (customer wrote), w2 waits longer, o1 is mine and answered
	 * (a note after the answer does not count), o2 is mine, unanswered,
	 * s1 snoozed, x1 closed, l1 another channel */
	int64_t w2 = fixture_conversation(fx, "web");
	fake_now += MINUTE;
	int64_t w1 = fixture_conversation(fx, "web");
	int64_t o1 = fixture_conversation(fx, "web"), o2 = fixture_conversation(fx, "web");
	int64_t s1 = fixture_conversation(fx, "web"), x1 = fixture_conversation(fx, "web");
	int64_t l1 = fixture_conversation(fx, "line");
	int64_t m = 0;
	int64_t order[] = { w2, w1, o1, o2, s1, x1, l1 };
	for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
		fake_now += MINUTE;
		g_assert_cmpint(tsunagu_store_message_insert(fx->store, order[i], TSUNAGU_MSG_CUSTOMER,
							     0, "お問い合わせ <b>", NULL, &m), ==, 0);
	}
	fake_now += MINUTE;
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, o1, TSUNAGU_MSG_OPERATOR, me,
						     "回答です", NULL, &m), ==, 0);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, o1, TSUNAGU_MSG_NOTE, me,
						     "internal", NULL, &m), ==, 0);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, o2, TSUNAGU_MSG_NOTE, me, "note only",
						     NULL, &m), ==, 0);
	for (guint i = 2; i < 4; i++) {
		g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, order[i], me, -1), ==, 0);
		g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, order[i],
								     TSUNAGU_CONV_OPEN), ==, 0);
	}
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, s1, TSUNAGU_CONV_SNOOZED), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, x1, me, -1), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, x1, TSUNAGU_CONV_CLOSED), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);

	GPtrArray *r = view(fx, TSUNAGU_VIEW_ALL, me, NULL);
	g_assert_cmpuint(r->len, ==, 7);
	g_assert_cmpint(row_id(r, 0), ==, l1); /* newest customer message first */
	g_assert_cmpint(row_id(r, 6), ==, w2);
	g_ptr_array_unref(r);

	r = view(fx, TSUNAGU_VIEW_WAITING, me, "web");
	g_assert_cmpuint(r->len, ==, 2);
	g_assert_cmpint(row_id(r, 0), ==, w2); /* longest waiting first */
	g_assert_cmpint(row_id(r, 1), ==, w1);
	tsunagu_store_conversation_item *it = r->pdata[0];
	g_assert_cmpint(it->last_kind, ==, TSUNAGU_MSG_CUSTOMER);
	g_assert_cmpstr(it->last_text, ==, "お問い合わせ <b>");
	g_assert_true(it->unreplied);
	g_assert_cmpstr(it->contact_name, ==, "Test");
	g_assert_null(it->assignee_login);
	g_ptr_array_unref(r);

	r = view(fx, TSUNAGU_VIEW_MINE, me, NULL);
	g_assert_cmpuint(r->len, ==, 2); /* x1 is closed */
	g_assert_cmpint(row_id(r, 0), ==, o2);
	g_assert_cmpint(row_id(r, 1), ==, o1);
	it = r->pdata[1];
	g_assert_cmpint(it->last_kind, ==, TSUNAGU_MSG_OPERATOR); /* not the later note */
	g_assert_cmpstr(it->last_text, ==, "回答です");
	g_assert_false(it->unreplied);
	g_assert_cmpstr(it->assignee_login, ==, "me");
	g_ptr_array_unref(r);

	r = view(fx, TSUNAGU_VIEW_REPLIED, me, NULL);
	g_assert_cmpuint(r->len, ==, 1);
	g_assert_cmpint(row_id(r, 0), ==, o1);
	g_ptr_array_unref(r);
	r = view(fx, TSUNAGU_VIEW_UNREPLIED, me, NULL);
	g_assert_cmpuint(r->len, ==, 5); /* w2 w1 o2 s1 l1 */
	g_ptr_array_unref(r);
	r = view(fx, TSUNAGU_VIEW_SNOOZED, me, NULL);
	g_assert_cmpuint(r->len, ==, 1);
	g_assert_cmpint(row_id(r, 0), ==, s1);
	g_ptr_array_unref(r);
	r = view(fx, TSUNAGU_VIEW_CLOSED, me, NULL);
	g_assert_cmpuint(r->len, ==, 1);
	g_assert_cmpint(row_id(r, 0), ==, x1);
	g_ptr_array_unref(r);
	r = view(fx, TSUNAGU_VIEW_ALL, me, "line");
	g_assert_cmpuint(r->len, ==, 1);
	g_ptr_array_unref(r);

	/* a conversation with no customer-visible message has no last message */
	int64_t empty = fixture_conversation(fx, "web");
	r = view(fx, TSUNAGU_VIEW_WAITING, me, NULL);
	it = r->pdata[r->len - 1];
	g_assert_cmpint(it->conv->id, ==, empty);
	g_assert_cmpint(it->last_kind, ==, 0);
	g_assert_null(it->last_text);
	g_assert_false(it->unreplied);
	g_ptr_array_unref(r);

	tsunagu_conv_view v;
	g_assert_cmpint(tsunagu_conv_view_parse("mine", &v), ==, 0);
	g_assert_cmpint(v, ==, TSUNAGU_VIEW_MINE);
	g_assert_cmpint(tsunagu_conv_view_parse("favorites", &v), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_conversation_list_view(fx->store, 0, 0, NULL, 0, &r), ==,
			-EINVAL);
}

int main(int argc, char **argv)
{
	store_test_init(&argc, &argv, fake_clock);
#define ADD(name, fn) g_test_add(name, store_fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/store/routing/status-and-capacity", test_status_and_capacity);
	ADD("/store/routing/open-count", test_open_count_follows_every_change);
	ADD("/store/routing/waiting-list", test_waiting_list);
	ADD("/store/routing/pick", test_pick);
	ADD("/store/routing/lookups", test_lookups);
	ADD("/store/routing/views", test_views);
	return g_test_run();
}
