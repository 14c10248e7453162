/* The waiting list served as capacity frees (router_waiting.c) against the
 * walk it replaced: every page of the waiting list read in order and each
 * route parsed and asked whether it admits the operator. On random data
 * (routes of every shape, ties in waiting_since, chats and calls, every
 * state) both give the same conversations in the same order, and an offer
 * assigns the oldest ones the old walk would have. */
#include "router_fixture.h"

#include "router_private.h"

#define SECOND ((int64_t)G_USEC_PER_SEC)
#define NOPS 6
#define NTEAMS 4
#define NCONVS 160

typedef struct {
	int64_t ops[NOPS];
	int64_t teams[NTEAMS];
} world;

static char *random_route(GRand *rng, const world *w)
{
	GString *s = g_string_new("{");
	switch (g_rand_int_range(rng, 0, 9)) {
	case 0:
		g_string_free(s, TRUE);
		return NULL;
	case 1:
		g_string_append(s, "\"nobody\":true");
		break;
	case 2:
		g_string_append(s, "\"all\":true,\"method\":\"round_robin\"");
		break;
	case 3:
		g_string_append_printf(s, "\"prefer\":%" G_GINT64_FORMAT ",\"all\":true",
				       w->ops[g_rand_int_range(rng, 0, NOPS)]);
		break;
	case 4:
		g_string_append(s, "\"method\":\"longest_idle\"");
		break;
	default:
		g_string_append(s, "\"staff\":[");
		for (int n = g_rand_int_range(rng, 0, 3); n > 0; n--)
			g_string_append_printf(s, "%" G_GINT64_FORMAT ",",
					       w->ops[g_rand_int_range(rng, 0, NOPS)]);
		g_string_append(s, "999],\"teams\":[");
		for (int n = g_rand_int_range(rng, 0, 3); n > 0; n--)
			g_string_append_printf(s, "%" G_GINT64_FORMAT ",",
					       w->teams[g_rand_int_range(rng, 0, NTEAMS)]);
		g_string_append(s, "998]");
		if (g_rand_boolean(rng))
			g_string_append_printf(s, ",\"prefer\":%" G_GINT64_FORMAT,
					       w->ops[g_rand_int_range(rng, 0, NOPS)]);
	}
	g_string_append(s, "}");
	return g_string_free(s, FALSE);
}

/* Operators in random teams, and conversations with random routes, waiting
 * since one of a few moments (ties), some no longer waiting. */
static void random_world(fixture *f, GRand *rng, world *w, bool calls)
{
	tsunagu_store *st = f->core.store;
	int64_t base = fake_now;

	for (int i = 0; i < NTEAMS; i++) {
		char name[8];
		g_snprintf(name, sizeof(name), "t%d", i);
		g_assert_cmpint(tsunagu_store_team_create(st, name, &w->teams[i]), ==, 0);
	}
	for (int i = 0; i < NOPS; i++) {
		char login[8];
		g_snprintf(login, sizeof(login), "op%d", i);
		w->ops[i] = operator(f, login, TSUNAGU_ROLE_OPERATOR);
		for (int t = 0; t < NTEAMS; t++)
			if (g_rand_int_range(rng, 0, 3) == 0)
				g_assert_cmpint(tsunagu_store_team_add_member(st, w->teams[t], w->ops[i]),
						==, 0);
	}
	for (int i = 0; i < NCONVS; i++) {
		int64_t contact = 0, id = 0;
		fake_now = base + g_rand_int_range(rng, 0, 20) * SECOND;
		g_assert_cmpint(tsunagu_store_contact_create(st, "c", &contact), ==, 0);
		bool phone = calls && g_rand_int_range(rng, 0, 4) == 0;
		g_assert_cmpint(tsunagu_store_conversation_create(st, phone ? "phone" : "web", contact,
								  &id),
				==, 0);
		char *route = random_route(rng, w);
		g_assert_cmpint(tsunagu_store_conversation_set_route(st, id, route), ==, 0);
		g_free(route);
		int s = g_rand_int_range(rng, 0, 8);
		if (s == 0)
			g_assert_cmpint(tsunagu_store_conversation_set_state(st, id, TSUNAGU_CONV_OPEN),
					==, 0);
		else if (s == 1)
			g_assert_cmpint(tsunagu_store_conversation_set_state(st, id,
									    TSUNAGU_CONV_CLOSED),
					==, 0);
	}
	fake_now = base + MINUTE;
	g_assert_cmpint(tsunagu_store_flush(st), ==, 0);
}

/* The old walk: the whole waiting list, page by page, each route parsed. */
static GArray *old_walk(fixture *f, int64_t staff, bool chat, bool phone)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t)), *teams = NULL;
	int64_t after_since = 0, after_id = 0;
	GPtrArray *page = NULL;

	g_assert_cmpint(tsunagu_store_staff_teams(f->core.store, staff, &teams), ==, 0);
	do {
		if (page)
			g_ptr_array_unref(page);
		g_assert_cmpint(tsunagu_store_waiting_list(f->core.store, after_since, after_id, 7,
							   &page),
				==, 0);
		for (guint i = 0; i < page->len; i++) {
			tsunagu_store_conversation *c = page->pdata[i];
			after_since = c->waiting_since_us;
			after_id = c->id;
			router_route *route = router_route_parse(c->route_json);
			if ((router_is_phone(c) ? phone : chat) &&
			    router_route_admits(route, staff, teams))
				g_array_append_val(ids, c->id);
			router_route_free(route);
		}
	} while (page->len == 7);
	g_ptr_array_unref(page);
	g_array_unref(teams);
	return ids;
}

/* The new walk; stop_chat_after > 0: chats stop after that many ids. */
static GArray *new_walk(fixture *f, int64_t staff, bool chat, bool phone, guint stop_chat_after)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t)), *teams = NULL;
	int64_t id = 0;
	int ret;

	g_assert_cmpint(tsunagu_store_staff_teams(f->core.store, staff, &teams), ==, 0);
	router_waiting_walk *w = router_waiting_walk_new(f->core.store, staff, teams, chat, phone);
	while ((ret = router_waiting_walk_next(w, &id)) == 0) {
		g_array_append_val(ids, id);
		if (ids->len == stop_chat_after)
			router_waiting_walk_stop(w, false);
	}
	g_assert_cmpint(ret, ==, -ENOENT);
	router_waiting_walk_free(w);
	g_array_unref(teams);
	return ids;
}

static void assert_same(GArray *want, GArray *got)
{
	g_assert_cmpuint(got->len, ==, want->len);
	for (guint i = 0; i < want->len; i++)
		g_assert_cmpint(g_array_index(got, int64_t, i), ==, g_array_index(want, int64_t, i));
}

static bool is_phone(fixture *f, int64_t id)
{
	tsunagu_store_conversation *c = conv(f, id);
	bool phone = router_is_phone(c);
	tsunagu_store_conversation_free(c);
	return phone;
}

static void test_same_order(fixture *f, gconstpointer data)
{
	GRand *rng = g_rand_new_with_seed(71);
	world w;
	guint total = 0;

	random_world(f, rng, &w, true);
	for (int i = 0; i < NOPS; i++) {
		for (int kinds = 1; kinds <= 3; kinds++) {
			bool chat = kinds & 1, phone = kinds & 2;
			GArray *want = old_walk(f, w.ops[i], chat, phone);
			GArray *got = new_walk(f, w.ops[i], chat, phone, 0);
			assert_same(want, got);
			total += want->len;
			g_array_unref(want);
			g_array_unref(got);
		}
		/* chats stop mid-way: the calls after that point go on */
		GArray *both = old_walk(f, w.ops[i], true, true);
		guint k = both->len / 3;
		GArray *want = g_array_new(FALSE, FALSE, sizeof(int64_t));
		for (guint j = 0; j < both->len; j++) {
			int64_t id = g_array_index(both, int64_t, j);
			if (j < k || (k == 0 && !is_phone(f, id)) || is_phone(f, id))
				g_array_append_val(want, id);
		}
		GArray *got = new_walk(f, w.ops[i], true, true, k ? k : G_MAXUINT);
		assert_same(want, got);
		g_array_unref(both);
		g_array_unref(want);
		g_array_unref(got);
	}
	/* the data admits a fair share to each: not an empty comparison */
	g_assert_cmpuint(total, >, NOPS * 40);
	g_rand_free(rng);
}

static void test_offer_oldest_admitted(fixture *f, gconstpointer data)
{
	GRand *rng = g_rand_new_with_seed(4242);
	world w;

	random_world(f, rng, &w, false);
	for (int i = 0; i < NOPS; i++) {
		int64_t op = w.ops[i];
		GArray *want = old_walk(f, op, true, false);
		unsigned assigned = 0;
		/* available, full; then room for 3 without an event */
		available(f, op, 0);
		g_assert_cmpint(tsunagu_store_staff_set_capacity(f->core.store, op, 3), ==, 0);
		g_assert_cmpint(tsunagu_router_offer(f->core.router, op, &assigned), ==, 0);
		spin();
		g_assert_cmpuint(assigned, ==, MIN(want->len, 3));
		g_assert_cmpuint(want->len, >, 3);
		for (guint j = 0; j < want->len; j++)
			g_assert_cmpint(assignee(f, g_array_index(want, int64_t, j)), ==,
					j < 3 ? op : 0);
		/* full now: nothing more */
		g_assert_cmpint(tsunagu_router_offer(f->core.router, op, &assigned), ==, 0);
		g_assert_cmpuint(assigned, ==, 0);
		g_array_unref(want);
	}
	g_rand_free(rng);
}

/* The chat check comes after the chat lists are read (router_waiting.c):
 * a waiting chat still goes only to an operator who may take chats. */
static void test_offer_chat_needs_chat(fixture *f, gconstpointer data)
{
	tsunagu_store_staff_routing phone = { TSUNAGU_INQUIRY_PHONE, -1, -1, -1 };
	tsunagu_store_staff_routing both = { TSUNAGU_INQUIRY_BOTH, -1, -1, -1 };
	int64_t op = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	unsigned assigned = 9;

	available(f, op, 0);
	int64_t chat = place(f, 0, NULL, NULL);
	g_assert_cmpint(assignee(f, chat), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_set_routing(f->core.store, op, &phone), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_set_capacity(f->core.store, op, 3), ==, 0);
	g_assert_cmpint(tsunagu_router_offer(f->core.router, op, &assigned), ==, 0);
	spin();
	g_assert_cmpuint(assigned, ==, 0);
	g_assert_cmpint(assignee(f, chat), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_set_routing(f->core.store, op, &both), ==, 0);
	g_assert_cmpint(tsunagu_router_offer(f->core.router, op, &assigned), ==, 0);
	spin();
	g_assert_cmpuint(assigned, ==, 1);
	g_assert_cmpint(assignee(f, chat), ==, op);
}

/* Whether the probe (TSUNAGU_ADMITS_ANY_FOR_STAFF) finds a conversation of
 * the kind for staff; checks what it returns is one the walk admits. */
static bool probe(fixture *f, int64_t staff, bool phone, GArray *admitted)
{
	GArray *pos = NULL;
	g_assert_cmpint(tsunagu_store_waiting_admitted(f->core.store,
						       TSUNAGU_ADMITS_ANY_FOR_STAFF, staff, phone,
						       0, 0, 1, &pos),
			==, 0);
	g_assert_cmpuint(pos->len, <=, 1);
	bool found = pos->len == 1;
	for (guint i = 0; found && i < admitted->len; i++)
		if (g_array_index(admitted, int64_t, i) ==
		    g_array_index(pos, tsunagu_store_waiting_pos, 0).conversation_id)
			found = false; /* one the walk admits: checked */
	g_assert_false(found);
	found = pos->len == 1;
	g_array_unref(pos);
	return found;
}

/* The waiting conversations whose route admits everyone, chats and calls. */
static GArray *everyones(fixture *f)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	for (int phone = 0; phone < 2; phone++) {
		GArray *pos = NULL;
		g_assert_cmpint(tsunagu_store_waiting_admitted(f->core.store, TSUNAGU_ADMITS_ALL, 0,
							       phone, 0, 0, 1000, &pos),
				==, 0);
		for (guint i = 0; i < pos->len; i++)
			g_array_append_val(
				ids, g_array_index(pos, tsunagu_store_waiting_pos, i).conversation_id);
		g_array_unref(pos);
	}
	return ids;
}

/* The probe tsunagu_router_offer() asks before it walks says "something"
 * exactly when the walk finds something, for every operator and kind, as
 * the waiting list empties (conversations leave it one by one) and as
 * team memberships change. */
static void test_probe_agrees(fixture *f, gconstpointer data)
{
	GRand *rng = g_rand_new_with_seed(907);
	tsunagu_store *st = f->core.store;
	GArray *left = NULL;
	unsigned yes = 0, no = 0;
	world w;

	random_world(f, rng, &w, true);
	for (int step = 0;; step++) {
		for (int i = 0; i < NOPS; i++)
			for (int phone = 0; phone < 2; phone++) {
				GArray *want = old_walk(f, w.ops[i], !phone, phone);
				bool any = probe(f, w.ops[i], phone, want);
				g_assert_cmpint(any, ==, want->len > 0);
				any ? yes++ : no++;
				g_array_unref(want);
			}
		/* the next ten waiting conversations leave the list — those for
		 * everyone first, so that for long only one operator's own lists
		 * (them, their teams) decide; a member leaves a team or joins one */
		if (left)
			g_array_unref(left);
		left = everyones(f);
		if (left->len == 0) {
			GPtrArray *page = NULL;
			g_assert_cmpint(tsunagu_store_waiting_list(st, 0, 0, 1000, &page), ==, 0);
			for (guint j = 0; j < page->len; j++)
				g_array_append_val(
					left, ((tsunagu_store_conversation *)page->pdata[j])->id);
			g_ptr_array_unref(page);
		}
		if (left->len == 0)
			break; /* nothing waits any more: checked above */
		for (guint j = 0; j < 10 && left->len; j++) {
			guint k = g_rand_int_range(rng, 0, left->len);
			int64_t id = g_array_index(left, int64_t, k);
			g_assert_cmpint(tsunagu_store_conversation_set_state(
						st, id,
						j % 2 ? TSUNAGU_CONV_OPEN : TSUNAGU_CONV_CLOSED),
					==, 0);
			g_array_remove_index_fast(left, k);
		}
		int64_t op = w.ops[step % NOPS], team = w.teams[step % NTEAMS];
		/* either may find nothing to do (already in, already out) */
		if (step % 2)
			(void)tsunagu_store_team_remove_member(st, team, op);
		else
			(void)tsunagu_store_team_add_member(st, team, op);
		g_assert_cmpint(tsunagu_store_flush(st), ==, 0);
	}
	/* both answers were asked for many times: not a probe that always says
	 * the same */
	g_assert_cmpuint(yes, >, 50);
	g_assert_cmpuint(no, >, 10);
	g_array_unref(left);
	g_rand_free(rng);
}

int main(int argc, char **argv)
{
	tsunagu_core_set_clock(fake_clock);
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, fixture, NULL, setup, fn, teardown)
	ADD("/router/waiting/same-order-as-the-list", test_same_order);
	ADD("/router/waiting/offer-oldest-admitted", test_offer_oldest_admitted);
	ADD("/router/waiting/offer-chat-needs-chat", test_offer_chat_needs_chat);
	ADD("/router/waiting/probe-agrees-with-the-walk", test_probe_agrees);
	return g_test_run();
}
