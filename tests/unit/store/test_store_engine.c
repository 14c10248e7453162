/* The assignment engine's half of the store (migration 5): status
 * sub-types, routing settings and the separate chat and phone counts, calls
 * and what they make of eligibility (ringing, talking, after-call work),
 * and the offers table with its deadlines. Time is the core clock. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "core.h"
#include "store.h"
#include "store_sqlite.h"
#include "store_test_util.h"

static int64_t fake_now = 1000000000;

static int64_t fake_clock(void)
{
	return fake_now;
}

static int64_t available_staff(store_fixture *fx, const char *login)
{
	int64_t id = 0;
	g_assert_cmpint(tsunagu_store_staff_create(fx->store, login, login, NULL,
						   TSUNAGU_ROLE_OPERATOR, "x", &id),
			==, 0);
	fake_now += 1000;
	g_assert_cmpint(tsunagu_store_staff_set_status(fx->store, id, TSUNAGU_STATUS_AVAILABLE,
						       NULL),
			==, 0);
	return id;
}

static bool eligible(store_fixture *fx, int64_t id, bool phone)
{
	bool ok = false;
	g_assert_cmpint(tsunagu_store_staff_eligible(fx->store, id, phone, &ok), ==, 0);
	return ok;
}

static tsunagu_store_staff *get_staff(store_fixture *fx, int64_t id)
{
	tsunagu_store_staff *s = NULL;
	g_assert_cmpint(tsunagu_store_staff_get(fx->store, id, &s), ==, 0);
	return s;
}

static void test_subtypes(store_fixture *fx, gconstpointer data)
{
	int64_t a = available_staff(fx, "a"), lunch = 0, meeting = 0, id = 0;
	g_assert_cmpint(tsunagu_store_status_subtype_create(fx->store, TSUNAGU_STATUS_AWAY, "lunch",
							    1, &lunch),
			==, 0);
	g_assert_cmpint(tsunagu_store_status_subtype_create(fx->store, TSUNAGU_STATUS_AWAY,
							    "meeting", 2, &meeting),
			==, 0);
	/* the same name under another kind is another sub-type */
	g_assert_cmpint(tsunagu_store_status_subtype_create(fx->store, TSUNAGU_STATUS_OFFLINE,
							    "lunch", 0, &id),
			==, 0);
	char long_name[66];
	memset(long_name, 'x', 65);
	long_name[65] = '\0';
	g_assert_cmpint(tsunagu_store_status_subtype_create(fx->store, TSUNAGU_STATUS_AWAY,
							    long_name, 0, &id),
			==, -EINVAL);
	g_assert_cmpint(tsunagu_store_status_subtype_create(fx->store, TSUNAGU_STATUS_AWAY,
							    "\xff\xfe", 0, &id),
			==, -EINVAL);
	g_assert_cmpint(tsunagu_store_status_subtype_update(fx->store, meeting, "lunch", -1), ==,
			-EEXIST);
	g_assert_cmpint(tsunagu_store_status_subtype_update(fx->store, 9999, "x", -1), ==, -ENOENT);
	/* a sub-type of the current kind only */
	g_assert_cmpint(tsunagu_store_staff_set_subtype(fx->store, a, lunch), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_staff_set_subtype(fx->store, a, 9999), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_staff_set_subtype(fx->store, 9999, 0), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_staff_set_status(fx->store, a, TSUNAGU_STATUS_AWAY, NULL), ==,
			0);
	g_assert_cmpint(tsunagu_store_staff_set_subtype(fx->store, a, lunch), ==, 0);
	tsunagu_store_staff *s = get_staff(fx, a);
	g_assert_cmpstr(s->subtype, ==, "lunch");
	g_assert_cmpint(s->subtype_id, ==, lunch);
	tsunagu_store_staff_free(s);
	/* another kind starts at its default */
	g_assert_cmpint(tsunagu_store_staff_set_status(fx->store, a, TSUNAGU_STATUS_OFFLINE, NULL),
			==, 0);
	s = get_staff(fx, a);
	g_assert_cmpstr(s->subtype, ==, "offline");
	tsunagu_store_staff_free(s);
	g_assert_cmpint(tsunagu_store_staff_set_status(fx->store, a, TSUNAGU_STATUS_AWAY, NULL), ==,
			0);
	g_assert_cmpint(tsunagu_store_staff_set_subtype(fx->store, a, lunch), ==, 0);
	GArray *moved = NULL;
	g_assert_cmpint(tsunagu_store_status_subtype_delete(fx->store, lunch, &moved), ==, 0);
	g_assert_cmpuint(moved->len, ==, 1);
	g_assert_cmpint(g_array_index(moved, int64_t, 0), ==, a);
	g_array_unref(moved);
	s = get_staff(fx, a);
	g_assert_cmpstr(s->subtype, ==, "away");
	tsunagu_store_staff_free(s);
	/* the list: by kind, then position; each kind's default stays */
	GPtrArray *all = NULL;
	g_assert_cmpint(tsunagu_store_status_subtype_list(fx->store, &all), ==, 0);
	const char *want[] = {"available", "away", "meeting", "offline", "lunch"};
	g_assert_cmpuint(all->len, ==, G_N_ELEMENTS(want));
	for (guint i = 0; i < all->len; i++)
		g_assert_cmpstr(((tsunagu_store_status_subtype *)all->pdata[i])->name, ==, want[i]);
	tsunagu_store_status_subtype *def = all->pdata[1];
	g_assert_true(def->is_default);
	g_assert_cmpint(def->kind, ==, TSUNAGU_STATUS_AWAY);
	g_assert_cmpint(tsunagu_store_status_subtype_delete(fx->store, def->id, NULL), ==, -EPERM);
	g_ptr_array_unref(all);
}

static void test_chat_and_phone_counts(store_fixture *fx, gconstpointer data)
{
	int64_t a = available_staff(fx, "a");
	tsunagu_store_staff_routing bad = {0, -1, -1, -1};
	g_assert_cmpint(tsunagu_store_staff_set_routing(fx->store, a, &bad), ==, -EINVAL);
	bad = (tsunagu_store_staff_routing){-1, 101, -1, -1};
	g_assert_cmpint(tsunagu_store_staff_set_routing(fx->store, a, &bad), ==, -EINVAL);
	tsunagu_store_staff_routing rt = {-1, 1, -1, -1};
	g_assert_cmpint(tsunagu_store_staff_set_routing(fx->store, 9999, &rt), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_staff_set_capacity(fx->store, a, 1), ==, 0);
	int64_t chat = fixture_conversation(fx, "web"), call = fixture_conversation(fx, "phone");
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, chat, a, -1), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, chat, TSUNAGU_CONV_OPEN), ==,
			0);
	/* the chat count is full: a call still fits */
	g_assert_false(eligible(fx, a, false));
	g_assert_true(eligible(fx, a, true));
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, call, a, -1), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, call, TSUNAGU_CONV_OPEN), ==,
			0);
	tsunagu_store_staff *s = get_staff(fx, a);
	g_assert_cmpint(s->open_chats, ==, 1);
	g_assert_cmpint(s->open_phone, ==, 1);
	tsunagu_store_staff_free(s);
	int64_t counted = 0;
	g_assert_cmpint(tsunagu_store_staff_open_count(fx->store, a, &counted), ==, 0);
	g_assert_cmpint(counted, ==, 1);
	g_assert_false(eligible(fx, a, true)); /* call capacity 1 */
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, call, TSUNAGU_CONV_SNOOZED),
			==, 0);
	g_assert_true(eligible(fx, a, true));
	/* inquiry types */
	rt = (tsunagu_store_staff_routing){TSUNAGU_INQUIRY_CHAT, -1, -1, 1};
	g_assert_cmpint(tsunagu_store_staff_set_routing(fx->store, a, &rt), ==, 0);
	g_assert_false(eligible(fx, a, true));
	s = get_staff(fx, a);
	g_assert_true(s->dnd);
	g_assert_cmpint(s->inquiry_types, ==, TSUNAGU_INQUIRY_CHAT);
	tsunagu_store_staff_free(s);
}

static void set_call(store_fixture *fx, int64_t call, const char *state, int64_t staff)
{
	tsunagu_store_call *c = NULL;
	g_assert_cmpint(tsunagu_store_call_get(fx->store, call, &c), ==, 0);
	g_free(c->state);
	c->state = g_strdup(state);
	c->staff_id = staff;
	if (strcmp(state, "talking") == 0)
		c->answered_at_us = fake_now;
	if (strcmp(state, "ended") == 0)
		c->ended_at_us = fake_now;
	g_assert_cmpint(tsunagu_store_call_update(fx->store, c), ==, 0);
	tsunagu_store_call_free(c);
}

static void test_calls_and_eligibility(store_fixture *fx, gconstpointer data)
{
	int64_t a = available_staff(fx, "a"), b = available_staff(fx, "b");
	int64_t conv = fixture_conversation(fx, "phone"), call = 0, id = 0;
	g_assert_cmpint(tsunagu_store_call_create(fx->store, conv, "sideways", &id), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_call_create(fx->store, 9999, "inbound", &id), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_call_create(fx->store, conv, "inbound", &call), ==, 0);
	tsunagu_store_call *c = NULL;
	g_assert_cmpint(tsunagu_store_call_of_conversation(fx->store, conv, &c), ==, 0);
	g_assert_cmpint(c->id, ==, call);
	g_assert_cmpstr(c->state, ==, "queued");
	g_assert_cmpint(c->queued_at_us, ==, fake_now);
	g_free(c->state);
	c->state = g_strdup("dialling"); /* not a state: the CHECK refuses it */
	g_assert_cmpint(tsunagu_store_call_update(fx->store, c), ==, -EINVAL);
	tsunagu_store_call_free(c);
	/* ringing (an offer) makes a busy for calls, and for chats too */
	g_assert_cmpint(tsunagu_store_offer_put(fx->store, conv, a, true, fake_now + 100), ==, 0);
	g_assert_false(eligible(fx, a, true));
	g_assert_false(eligible(fx, a, false));
	g_assert_true(eligible(fx, b, true));
	tsunagu_store_staff_routing during = {-1, -1, 1, -1};
	g_assert_cmpint(tsunagu_store_staff_set_routing(fx->store, a, &during), ==, 0);
	g_assert_true(eligible(fx, a, false)); /* chats during a call */
	g_assert_cmpint(tsunagu_store_offers_clear(fx->store, conv), ==, 0);
	set_call(fx, call, "talking", a);
	g_assert_false(eligible(fx, a, true));
	tsunagu_store_staff *s = get_staff(fx, a);
	g_assert_true(s->on_call);
	tsunagu_store_staff_free(s);
	fake_now += 5000;
	set_call(fx, call, "ended", a);
	s = get_staff(fx, a);
	g_assert_false(s->on_call);
	g_assert_true(s->in_acw);
	tsunagu_store_staff_free(s);
	g_assert_false(eligible(fx, a, true)); /* after-call work */
	/* after-call work ends: a is idle from now, b since it became
	 * available (earlier): b is the longest idle */
	fake_now += 5000;
	g_assert_cmpint(tsunagu_store_call_get(fx->store, call, &c), ==, 0);
	c->acw_ended_at_us = fake_now;
	g_assert_cmpint(tsunagu_store_call_update(fx->store, c), ==, 0);
	tsunagu_store_call_free(c);
	g_assert_true(eligible(fx, a, true));
	tsunagu_store_pick q = {.method = TSUNAGU_PICK_LONGEST_IDLE, .phone = true, .all = true};
	int64_t who = 0;
	g_assert_cmpint(tsunagu_store_staff_pick(fx->store, &q, &who), ==, 0);
	g_assert_cmpint(who, ==, b);
}

static void test_offers(store_fixture *fx, gconstpointer data)
{
	int64_t a = available_staff(fx, "a"), b = available_staff(fx, "b");
	int64_t c1 = fixture_conversation(fx, "web"), c2 = fixture_conversation(fx, "web");
	int64_t next = 0;
	g_assert_cmpint(tsunagu_store_offers_next(fx->store, &next), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_offer_put(fx->store, c1, a, false, 300), ==, 0);
	g_assert_cmpint(tsunagu_store_offer_put(fx->store, c2, b, false, 200), ==, 0);
	g_assert_cmpint(tsunagu_store_offer_put(fx->store, c2, a, false, 0), ==, 0); /* no deadline */
	g_assert_cmpint(tsunagu_store_offer_put(fx->store, c1, b, false, -1), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_offers_next(fx->store, &next), ==, 0);
	g_assert_cmpint(next, ==, 200);
	GPtrArray *due = NULL;
	g_assert_cmpint(tsunagu_store_offers_due(fx->store, 250, 0, &due), ==, 0);
	g_assert_cmpuint(due->len, ==, 1);
	g_assert_cmpint(((tsunagu_store_offer *)due->pdata[0])->conversation_id, ==, c2);
	g_ptr_array_unref(due);
	g_assert_cmpint(tsunagu_store_offer_end(fx->store, c2, b, "missed"), ==, 0);
	g_assert_cmpint(tsunagu_store_offer_end(fx->store, c2, b, "missed"), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_offer_end(fx->store, c2, a, "lost"), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_offers_due(fx->store, 1000, 0, &due), ==, 0);
	g_assert_cmpuint(due->len, ==, 1); /* c1 to a; a missed one is no longer pending */
	g_ptr_array_unref(due);
	GPtrArray *of = NULL;
	g_assert_cmpint(tsunagu_store_offers_of(fx->store, c2, &of), ==, 0);
	g_assert_cmpuint(of->len, ==, 2);
	g_assert_cmpstr(((tsunagu_store_offer *)of->pdata[0])->state, ==, "pending"); /* a */
	g_assert_cmpstr(((tsunagu_store_offer *)of->pdata[1])->state, ==, "missed");  /* b */
	g_ptr_array_unref(of);
	/* put again: pending again (a new offer to someone tried before) */
	g_assert_cmpint(tsunagu_store_offer_put(fx->store, c2, b, true, 500), ==, 0);
	g_assert_cmpint(tsunagu_store_offer_end(fx->store, c2, b, NULL), ==, 0);
	g_assert_cmpint(tsunagu_store_offers_clear(fx->store, c2), ==, 0);
	g_assert_cmpint(tsunagu_store_offers_of(fx->store, c2, &of), ==, 0);
	g_assert_cmpuint(of->len, ==, 0);
	g_ptr_array_unref(of);
	/* several at once (pending and missed), and only this conversation's */
	g_assert_cmpint(tsunagu_store_offer_put(fx->store, c2, a, true, 500), ==, 0);
	g_assert_cmpint(tsunagu_store_offer_put(fx->store, c2, b, true, 500), ==, 0);
	g_assert_cmpint(tsunagu_store_offer_end(fx->store, c2, b, "missed"), ==, 0);
	g_assert_cmpint(tsunagu_store_offer_put(fx->store, c1, b, true, 500), ==, 0);
	g_assert_cmpint(tsunagu_store_offers_of(fx->store, c1, &of), ==, 0);
	guint c1_offers = of->len;
	g_ptr_array_unref(of);
	g_assert_cmpuint(c1_offers, >=, 1);
	g_assert_cmpint(tsunagu_store_offers_clear(fx->store, c2), ==, 0);
	g_assert_cmpint(tsunagu_store_offers_of(fx->store, c2, &of), ==, 0);
	g_assert_cmpuint(of->len, ==, 0);
	g_ptr_array_unref(of);
	g_assert_cmpint(tsunagu_store_offers_of(fx->store, c1, &of), ==, 0);
	g_assert_cmpuint(of->len, ==, c1_offers);
	g_ptr_array_unref(of);
	g_assert_cmpint(tsunagu_store_offers_clear(fx->store, c1), ==, 0);
	int missed = 0;
	g_assert_cmpint(tsunagu_store_staff_count_missed(fx->store, a, true, &missed), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_count_missed(fx->store, a, true, &missed), ==, 0);
	g_assert_cmpint(missed, ==, 2);
	g_assert_cmpint(tsunagu_store_staff_count_missed(fx->store, a, false, &missed), ==, 0);
	g_assert_cmpint(missed, ==, 0);
	g_assert_cmpint(tsunagu_store_staff_count_missed(fx->store, 9999, true, NULL), ==, -ENOENT);
}

/* Reading an operator asks whether they are in after-call work; that is
 * answered from an index (migration 12), whatever the number of calls
 * already ended: no statement reading staff walks a whole table. */
static void test_acw_read_without_scan(store_fixture *fx, gconstpointer data)
{
	tsunagu_sqlite *sq = tsunagu_store_backend_handle(fx->store);
	int64_t a = available_staff(fx, "a"), b = available_staff(fx, "b"), call = 0;
	tsunagu_store_staff *s;

	for (int i = 0; i < 40; i++) {
		g_assert_cmpint(tsunagu_store_call_create(fx->store, fixture_conversation(fx, "phone"),
							  "inbound", &call), ==, 0);
		set_call(fx, call, "talking", i % 2 ? b : a);
		set_call(fx, call, "ended", i % 2 ? b : a);
		if (i < 39) { /* b's last call stays in after-call work */
			tsunagu_store_call *c = NULL;
			g_assert_cmpint(tsunagu_store_call_get(fx->store, call, &c), ==, 0);
			c->acw_ended_at_us = ++fake_now;
			g_assert_cmpint(tsunagu_store_call_update(fx->store, c), ==, 0);
			tsunagu_store_call_free(c);
		}
	}
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	s = get_staff(fx, a);
	g_assert_false(s->in_acw);
	tsunagu_store_staff_free(s);
	s = get_staff(fx, b);
	g_assert_true(s->in_acw);
	tsunagu_store_staff_free(s);

	GHashTableIter it;
	gpointer value;
	int staff_reads = 0;
	g_hash_table_iter_init(&it, sq->stmts);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const char *sql = sqlite3_sql(value);
		if (!strstr(sql, "FROM staff s") || !strstr(sql, "WHERE s.id = ?1"))
			continue;
		staff_reads++;
		int steps = sqlite3_stmt_status(value, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
		if (steps)
			g_error("%d full-scan steps: %s", steps, sql);
	}
	g_assert_cmpint(staff_reads, >=, 1);
}

/* A call step that changes nothing writes nothing (no row, no index entry:
 * a WAL page each), and a changed origin is still kept. */
static void test_call_update_writes_changes_only(store_fixture *fx, gconstpointer data)
{
	tsunagu_sqlite *sq = tsunagu_store_backend_handle(fx->store);
	int64_t a = available_staff(fx, "a"), call = 0;
	tsunagu_store_call *c = NULL, *back = NULL;

	g_assert_cmpint(tsunagu_store_call_create(fx->store, fixture_conversation(fx, "phone"),
						  "inbound", &call), ==, 0);
	set_call(fx, call, "talking", a);
	g_assert_cmpint(tsunagu_store_call_get(fx->store, call, &c), ==, 0);
	c->provider_call_id = g_strdup("abc@trunk");
	c->line = g_strdup("0312345678");
	g_assert_cmpint(tsunagu_store_call_update(fx->store, c), ==, 0);
	int before = sqlite3_total_changes(sq->db);
	g_assert_cmpint(tsunagu_store_call_update(fx->store, c), ==, 0); /* the same again */
	g_assert_cmpint(sqlite3_total_changes(sq->db), ==, before);
	c->ring_rounds = 2; /* the origin alone changes */
	g_assert_cmpint(tsunagu_store_call_update(fx->store, c), ==, 0);
	g_assert_cmpint(sqlite3_total_changes(sq->db), ==, before + 1);
	g_assert_cmpint(tsunagu_store_call_get(fx->store, call, &back), ==, 0);
	g_assert_cmpint(back->ring_rounds, ==, 2);
	g_assert_cmpstr(back->provider_call_id, ==, "abc@trunk");
	g_assert_cmpstr(back->state, ==, "talking");
	tsunagu_store_call_free(back);
	c->id = call + 1000; /* no such call, unchanged or not */
	g_assert_cmpint(tsunagu_store_call_update(fx->store, c), ==, -ENOENT);
	tsunagu_store_call_free(c);
	/* migration 13: the indexes nothing needs are gone */
	static const char *const gone[] = {"calls_acw", "conversations_team",
					   "conversations_contact"};
	for (guint i = 0; i < G_N_ELEMENTS(gone); i++) {
		sqlite3_stmt *st = NULL;
		g_assert_cmpint(sqlite3_prepare_v2(sq->db, "SELECT 1 FROM sqlite_schema WHERE name = ?1",
						   -1, &st, NULL), ==, SQLITE_OK);
		sqlite3_bind_text(st, 1, gone[i], -1, SQLITE_STATIC);
		g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
		sqlite3_finalize(st);
	}
}

int main(int argc, char **argv)
{
	tsunagu_core_set_clock(fake_clock);
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, store_fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/store/engine/subtypes", test_subtypes);
	ADD("/store/engine/chat-and-phone-counts", test_chat_and_phone_counts);
	ADD("/store/engine/calls-and-eligibility", test_calls_and_eligibility);
	ADD("/store/engine/offers", test_offers);
	ADD("/store/engine/acw-read-without-scan", test_acw_read_without_scan);
	ADD("/store/engine/call-update-writes-changes-only", test_call_update_writes_changes_only);
	return g_test_run();
}
