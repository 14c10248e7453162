/* The store's share of a call made lighter (issue 5, CPU per call): the
 * merged and partial writes, the light reads, the counted conversations
 * per contact (migration 15), the guidance lookup, the offers'
 * generation and the settings rebuilt as rows (migration 16) give the
 * answers the longer ways gave. Time is the core
 * clock. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "core.h"
#include "store.h"
#include "store_guidance.h"
#include "store_sqlite.h"
#include "store_test_util.h"

static int64_t fake_now = 1000000000;

static int64_t fake_clock(void)
{
	return fake_now;
}

static sqlite3 *db_of(store_fixture *fx)
{
	return ((tsunagu_sqlite *)tsunagu_store_backend_handle(fx->store))->db;
}

/* The integer result of sql with ?1 bound to id. */
static int64_t int_of(store_fixture *fx, const char *sql, int64_t id)
{
	sqlite3_stmt *st = NULL;
	g_assert_cmpint(sqlite3_prepare_v2(db_of(fx), sql, -1, &st, NULL), ==, SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Runs sql with ?1 and ?2 bound, outside the store (as by hand). */
static void run2(store_fixture *fx, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *st = NULL;
	g_assert_cmpint(sqlite3_prepare_v2(db_of(fx), sql, -1, &st, NULL), ==, SQLITE_OK);
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
	sqlite3_finalize(st);
}

static int64_t conversation_of(store_fixture *fx, int64_t contact, const char *channel)
{
	int64_t id = 0;
	g_assert_cmpint(tsunagu_store_conversation_create(fx->store, channel, contact, &id), ==, 0);
	return id;
}

static int64_t past(store_fixture *fx, int64_t contact, int64_t exclude)
{
	int64_t n = -1;
	g_assert_cmpint(tsunagu_store_contact_conversation_count(fx->store, contact, exclude, &n),
			==, 0);
	return n;
}

static tsunagu_store_call *get_call(store_fixture *fx, int64_t id)
{
	tsunagu_store_call *c = NULL;
	g_assert_cmpint(tsunagu_store_call_get(fx->store, id, &c), ==, 0);
	return c;
}

/* Each part writes only itself; either fails for an unknown call. */
static void test_call_write_parts(store_fixture *fx, gconstpointer data)
{
	int64_t staff = fixture_staff(fx, "a"), call = 0;
	g_assert_cmpint(tsunagu_store_call_create(fx->store, fixture_conversation(fx, "phone"),
						  "inbound", &call), ==, 0);
	tsunagu_store_call *c = get_call(fx, call);
	c->provider_call_id = g_strdup("x@trunk");
	c->line = g_strdup("0312345678");
	g_assert_cmpint(tsunagu_store_call_write(fx->store, c, TSUNAGU_STORE_CALL_ORIGIN), ==, 0);
	/* the state part alone: the origin changed in memory stays as stored */
	g_free(c->state);
	c->state = g_strdup("ringing");
	c->staff_id = staff;
	c->ringing_at_us = fake_now;
	g_free(c->line);
	c->line = g_strdup("0399999999");
	g_assert_cmpint(tsunagu_store_call_write(fx->store, c, TSUNAGU_STORE_CALL_STATE), ==, 0);
	tsunagu_store_call_free(c);
	c = get_call(fx, call);
	g_assert_cmpstr(c->state, ==, "ringing");
	g_assert_cmpint(c->staff_id, ==, staff);
	g_assert_cmpint(c->ringing_at_us, ==, fake_now);
	g_assert_cmpstr(c->provider_call_id, ==, "x@trunk");
	g_assert_cmpstr(c->line, ==, "0312345678");
	/* the origin part alone: the state changed in memory stays as stored */
	g_free(c->state);
	c->state = g_strdup("talking");
	c->ring_rounds = 3;
	g_assert_cmpint(tsunagu_store_call_write(fx->store, c, TSUNAGU_STORE_CALL_ORIGIN), ==, 0);
	tsunagu_store_call_free(c);
	c = get_call(fx, call);
	g_assert_cmpstr(c->state, ==, "ringing");
	g_assert_cmpint(c->ring_rounds, ==, 3);
	/* no parts, unknown parts, unknown calls */
	g_assert_cmpint(tsunagu_store_call_write(fx->store, c, 0), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_call_write(fx->store, c, 4), ==, -EINVAL);
	c->id = call + 100;
	g_assert_cmpint(tsunagu_store_call_write(fx->store, c, TSUNAGU_STORE_CALL_STATE), ==,
			-ENOENT);
	/* the Call-ID of another call is refused first */
	g_assert_cmpint(tsunagu_store_call_write(fx->store, c, TSUNAGU_STORE_CALL_ORIGIN), ==,
			-EEXIST);
	g_free(c->provider_call_id);
	c->provider_call_id = g_strdup("y@trunk");
	g_assert_cmpint(tsunagu_store_call_write(fx->store, c, TSUNAGU_STORE_CALL_ORIGIN), ==,
			-ENOENT);
	g_clear_pointer(&c->provider_call_id, g_free);
	g_clear_pointer(&c->line, g_free);
	c->ring_rounds = 0; /* an empty origin: nothing to keep, the call must exist */
	g_assert_cmpint(tsunagu_store_call_write(fx->store, c, TSUNAGU_STORE_CALL_ORIGIN), ==,
			-ENOENT);
	tsunagu_store_call_free(c);
}

/* Assigned and opened in one write: the same row, open counts and waiting
 * list as the two writes apart. */
static void test_assign_state(store_fixture *fx, gconstpointer data)
{
	int64_t staff = fixture_staff(fx, "a");
	int64_t one = fixture_conversation(fx, "phone"), two = fixture_conversation(fx, "phone");
	static const char admits[] = "SELECT count(*) FROM waiting_admits WHERE conversation_id = ?1";
	static const char open_phone[] = "SELECT open_phone FROM staff WHERE id = ?1";

	g_assert_cmpint(int_of(fx, admits, one), ==, 1);
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, two, staff, -1), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, two, TSUNAGU_CONV_OPEN),
			==, 0);
	g_assert_cmpint(tsunagu_store_conversation_assign_state(fx->store, one, staff, -1,
								TSUNAGU_CONV_OPEN),
			==, 0);
	g_assert_cmpint(int_of(fx, admits, one), ==, 0);
	g_assert_cmpint(int_of(fx, open_phone, staff), ==, 2);
	tsunagu_store_conversation *a = NULL, *b = NULL;
	g_assert_cmpint(tsunagu_store_conversation_get(fx->store, one, &a), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_get(fx->store, two, &b), ==, 0);
	g_assert_cmpint(a->state, ==, TSUNAGU_CONV_OPEN);
	g_assert_cmpint(a->assignee_id, ==, staff);
	g_assert_cmpint(a->waiting_since_us, ==, b->waiting_since_us); /* both cleared */
	g_assert_cmpint(a->waiting_since_us, ==, 0);
	g_assert_cmpint(a->updated_at_us, ==, fake_now);
	tsunagu_store_conversation_free(a);
	tsunagu_store_conversation_free(b);
	/* state 0 leaves the state: back to waiting would have listed it */
	g_assert_cmpint(tsunagu_store_conversation_assign_state(fx->store, one, 0, -1, 0), ==, 0);
	g_assert_cmpint(int_of(fx, "SELECT state = 'open' FROM conversations WHERE id = ?1", one),
			==, 1);
	g_assert_cmpint(int_of(fx, open_phone, staff), ==, 1);
	g_assert_cmpint(tsunagu_store_conversation_assign_state(fx->store, one, staff, -1, 99), ==,
			-EINVAL);
	g_assert_cmpint(tsunagu_store_conversation_assign_state(fx->store, 999, staff, -1,
								TSUNAGU_CONV_OPEN),
			==, -ENOENT);
}

/* The count the triggers keep is the count of the rows, whatever writes
 * them, and migration 15 applied again recounts. */
static void test_contact_counts(store_fixture *fx, gconstpointer data)
{
	int64_t ann = 0, bob = 0;
	g_assert_cmpint(tsunagu_store_contact_create(fx->store, "Ann", &ann), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_create(fx->store, "Bob", &bob), ==, 0);
	g_assert_cmpint(past(fx, ann, 0), ==, 0);
	int64_t c1 = conversation_of(fx, ann, "phone");
	g_assert_cmpint(past(fx, ann, c1), ==, 0);
	int64_t c2 = conversation_of(fx, ann, "web");
	int64_t c3 = conversation_of(fx, ann, "phone");
	g_assert_cmpint(past(fx, ann, c3), ==, 2);
	g_assert_cmpint(past(fx, ann, 0), ==, 3);
	int64_t c4 = conversation_of(fx, bob, "phone");
	g_assert_cmpint(past(fx, bob, c4), ==, 0);
	g_assert_cmpint(past(fx, ann, c4), ==, 3); /* not Ann's: nothing taken off */
	g_assert_cmpint(past(fx, bob, c1), ==, 1);
	g_assert_cmpint(past(fx, 9999, 0), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	/* moved to Bob, deleted (as by hand or a future retention) */
	run2(fx, "UPDATE conversations SET contact_id = ?2 WHERE id = ?1", c2, bob);
	g_assert_cmpint(past(fx, ann, 0), ==, 2);
	g_assert_cmpint(past(fx, bob, 0), ==, 2);
	run2(fx, "DELETE FROM conversations WHERE id = ?1 AND ?2", c1, 1);
	g_assert_cmpint(past(fx, ann, c3), ==, 0);
	static const char drift[] =
		"SELECT count(*) FROM contacts k WHERE coalesce((SELECT conversations FROM"
		" contact_counts WHERE contact_id = k.id), 0) <>"
		" (SELECT count(*) FROM conversations c WHERE c.contact_id = k.id) AND ?1";
	g_assert_cmpint(int_of(fx, drift, 1), ==, 0);
	/* migration 15 again: the counts recomputed, nothing doubled */
	g_assert_cmpint(sqlite3_exec(db_of(fx),
				     "UPDATE contact_counts SET conversations = 40;"
				     " DELETE FROM schema_version WHERE version >= 15;",
				     NULL, NULL, NULL), ==, SQLITE_OK);
	fixture_reopen_latest(fx);
	g_assert_cmpint(int_of(fx, drift, 1), ==, 0);
	g_assert_cmpint(past(fx, bob, 0), ==, 2);
	conversation_of(fx, bob, "web"); /* the triggers are there once */
	g_assert_cmpint(past(fx, bob, 0), ==, 3);
}

static void test_light_reads(store_fixture *fx, gconstpointer data)
{
	int64_t staff = fixture_staff(fx, "amelia"), call = 0;
	char *text = NULL;
	g_assert_cmpint(tsunagu_store_staff_login(fx->store, staff, &text), ==, 0);
	g_assert_cmpstr(text, ==, "amelia");
	g_clear_pointer(&text, g_free);
	g_assert_cmpint(tsunagu_store_staff_login(fx->store, staff + 1, &text), ==, -ENOENT);
	g_assert_null(text);
	g_assert_cmpint(tsunagu_store_call_create(fx->store, fixture_conversation(fx, "sip-main"),
						  "inbound", &call), ==, 0);
	g_assert_cmpint(tsunagu_store_call_channel(fx->store, call, &text), ==, 0);
	g_assert_cmpstr(text, ==, "sip-main");
	g_clear_pointer(&text, g_free);
	g_assert_cmpint(tsunagu_store_call_channel(fx->store, call + 1, &text), ==, -ENOENT);
	g_assert_null(text);
	g_assert_cmpint(tsunagu_store_call_channel(fx->store, call, NULL), ==, -EINVAL);
}

/* The joined read gives what the two reads give (issue 5: one read per call
 * step of the router). */
static void test_call_with_conversation(store_fixture *fx, gconstpointer data)
{
	int64_t staff = fixture_staff(fx, "amelia"), conv_id = fixture_conversation(fx, "phone");
	tsunagu_store_call *call = NULL, *c = NULL;
	tsunagu_store_conversation *conv = NULL, *v = NULL;

	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, conv_id, staff, 0), ==, 0);
	g_assert_cmpint(tsunagu_store_call_open(fx->store, conv_id, "inbound", &call), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_call_get_with_conversation(fx->store, call->id, &c, &v), ==, 0);
	tsunagu_store_call_free(call);
	g_assert_cmpint(tsunagu_store_call_get(fx->store, c->id, &call), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_get(fx->store, conv_id, &conv), ==, 0);
	g_assert_cmpint(c->conversation_id, ==, conv_id);
	g_assert_cmpstr(c->state, ==, call->state);
	g_assert_cmpstr(c->direction, ==, "inbound");
	g_assert_cmpint(c->queued_at_us, ==, call->queued_at_us);
	g_assert_cmpint(v->id, ==, conv_id);
	g_assert_cmpstr(v->public_id, ==, conv->public_id);
	g_assert_cmpstr(v->channel, ==, "phone");
	g_assert_cmpint(v->assignee_id, ==, staff);
	g_assert_cmpint(v->state, ==, conv->state);
	g_assert_cmpint(v->contact_id, ==, conv->contact_id);
	tsunagu_store_call_free(c);
	tsunagu_store_conversation_free(v);
	c = NULL;
	v = NULL;
	g_assert_cmpint(tsunagu_store_call_get_with_conversation(fx->store, call->id + 1, &c, &v),
			==, -ENOENT);
	g_assert_null(c);
	g_assert_null(v);
	g_assert_cmpint(tsunagu_store_call_get_with_conversation(fx->store, call->id, NULL, &v), ==,
			-EINVAL);
	tsunagu_store_call_free(call);
	tsunagu_store_conversation_free(conv);
}

static int64_t guidance(store_fixture *fx, const char *name)
{
	tsunagu_store_guidance g = { .name = (char *)name, .duration_ms = 1000, .bytes = 16044,
				     .sha256 = (char *)"0123456789abcdef0123456789abcdef"
						       "0123456789abcdef0123456789abcdef",
				     .created_at = fake_now };
	int64_t id = 0;
	g_assert_cmpint(tsunagu_store_guidance_save(fx->store, &g, &id), ==, 0);
	return id;
}

static int64_t resolved(store_fixture *fx, const char *line, const char *kind)
{
	tsunagu_store_guidance *g = NULL;
	int r = tsunagu_store_guidance_resolve(fx->store, line, kind, &g);
	if (r == -ENOENT)
		return 0;
	g_assert_cmpint(r, ==, 0);
	int64_t id = g->id;
	tsunagu_store_guidance_free(g);
	return id;
}

/* The line's own cell, else the default set's (line ""), else none. */
static void test_guidance_resolve(store_fixture *fx, gconstpointer data)
{
	int64_t hello = guidance(fx, "hello"), busy = guidance(fx, "busy"),
		own = guidance(fx, "own-hello");
	tsunagu_store_guidance_set cells[] = {
		{ (char *)"", (char *)"welcome", hello },
		{ (char *)"", (char *)"busy", busy },
		{ (char *)"0312345678", (char *)"welcome", own },
	};
	GPtrArray *sets = g_ptr_array_new();
	for (guint i = 0; i < G_N_ELEMENTS(cells); i++)
		g_ptr_array_add(sets, &cells[i]);
	g_assert_cmpint(tsunagu_store_guidance_sets_replace(fx->store, sets), ==, 0);
	g_ptr_array_unref(sets);
	g_assert_cmpint(resolved(fx, "0312345678", "welcome"), ==, own);
	g_assert_cmpint(resolved(fx, "0312345678", "busy"), ==, busy);
	g_assert_cmpint(resolved(fx, "0399999999", "welcome"), ==, hello);
	g_assert_cmpint(resolved(fx, "", "welcome"), ==, hello);
	g_assert_cmpint(resolved(fx, NULL, "busy"), ==, busy);
	g_assert_cmpint(resolved(fx, "0312345678", "queue"), ==, 0);
}

/* The generation moves at every offer write and every undone write, never
 * at a read. */
static void test_offers_generation(store_fixture *fx, gconstpointer data)
{
	int64_t staff = fixture_staff(fx, "a"), conv = fixture_conversation(fx, "web"), next = 0;
	uint64_t g = tsunagu_store_offers_generation(fx->store);
	g_assert_cmpint(tsunagu_store_offers_next(fx->store, &next), ==, -ENOENT);
	g_assert_cmpuint(tsunagu_store_offers_generation(fx->store), ==, g);
	g_assert_cmpint(tsunagu_store_offer_put(fx->store, conv, staff, false, 500), ==, 0);
	g_assert_cmpuint(tsunagu_store_offers_generation(fx->store), >, g);
	g = tsunagu_store_offers_generation(fx->store);
	g_assert_cmpint(tsunagu_store_atomic_begin(fx->store), ==, 0);
	g_assert_cmpint(tsunagu_store_offer_end(fx->store, conv, staff, NULL), ==, 0);
	g_assert_cmpuint(tsunagu_store_offers_generation(fx->store), >, g);
	g = tsunagu_store_offers_generation(fx->store);
	g_assert_cmpint(tsunagu_store_offers_next(fx->store, &next), ==, -ENOENT);
	/* undone: the offer is back, and the generation says so */
	g_assert_cmpint(tsunagu_store_atomic_end(fx->store, false), ==, 0);
	g_assert_cmpuint(tsunagu_store_offers_generation(fx->store), >, g);
	g_assert_cmpint(tsunagu_store_offers_next(fx->store, &next), ==, 0);
	g_assert_cmpint(next, ==, 500);
	g = tsunagu_store_offers_generation(fx->store);
	g_assert_cmpint(tsunagu_store_offers_clear(fx->store, conv), ==, 0);
	g_assert_cmpuint(tsunagu_store_offers_generation(fx->store), >, g);
	g_assert_cmpuint(tsunagu_store_offers_generation(NULL), ==, 0);
}

static char *setting(store_fixture *fx, const char *ns, const char *key)
{
	char *v = NULL;
	int r = tsunagu_store_setting_get(fx->store, ns, key, &v);
	g_assert_true(r == 0 || r == -ENOENT);
	return v;
}

/* Migration 16 rebuilds settings keeping every row, applied again too; a
 * large value (a channel's lists) and its neighbours read back whole. */
static void test_settings_rows(store_fixture *fx, gconstpointer data)
{
	GString *big = g_string_new("[");
	for (int i = 0; i < 2000; i++)
		g_string_append_printf(big, "%s{\"ext\":\"%d\"}", i ? "," : "", 1000 + i);
	g_string_append_c(big, ']');
	g_assert_cmpint(tsunagu_store_setting_set(fx->store, "plugin.sip", "extensions", big->str),
			==, 0);
	g_assert_cmpint(tsunagu_store_setting_set(fx->store, "calls", "queue_limit", "7"), ==, 0);
	g_assert_cmpint(tsunagu_store_setting_set(fx->store, "plugin.sip", "trunks", "[]"), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(sqlite3_exec(db_of(fx), "DELETE FROM schema_version WHERE version >= 16;",
				     NULL, NULL, NULL), ==, SQLITE_OK);
	fixture_reopen_latest(fx);
	char *v = setting(fx, "plugin.sip", "extensions");
	g_assert_cmpstr(v, ==, big->str);
	g_free(v);
	v = setting(fx, "calls", "queue_limit");
	g_assert_cmpstr(v, ==, "7");
	g_free(v);
	g_assert_null(setting(fx, "calls", "other"));
	g_assert_cmpint(tsunagu_store_setting_set(fx->store, "calls", "queue_limit", "8"), ==, 0);
	v = setting(fx, "calls", "queue_limit");
	g_assert_cmpstr(v, ==, "8");
	g_free(v);
	g_assert_cmpint(int_of(fx, "SELECT count(*) FROM settings WHERE ?1", 1), ==, 3);
	g_string_free(big, TRUE);
}

/* Opening returns the row as written, field for field what a read gives
 * (the insert's triggers ran: the waiting index holds it); an unknown
 * contact writes nothing. */
static void test_conversation_open(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_conversation *made = NULL, *read = NULL;
	int64_t contact = 0;

	g_assert_cmpint(tsunagu_store_contact_create(fx->store, "Caller", &contact), ==, 0);
	fake_now += 7;
	g_assert_cmpint(tsunagu_store_conversation_open(fx->store, "phone", contact, &made), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_get(fx->store, made->id, &read), ==, 0);
	g_assert_cmpint(made->id, >, 0);
	g_assert_cmpstr(made->public_id, ==, read->public_id);
	g_assert_cmpuint(strlen(made->public_id), ==, 32);
	g_assert_cmpstr(made->channel, ==, "phone");
	g_assert_cmpint(made->contact_id, ==, contact);
	g_assert_cmpint(made->state, ==, TSUNAGU_CONV_WAITING);
	g_assert_cmpint(made->state, ==, read->state);
	g_assert_cmpint(made->created_at_us, ==, fake_now);
	g_assert_cmpint(made->updated_at_us, ==, read->updated_at_us);
	g_assert_cmpint(made->waiting_since_us, ==, fake_now);
	g_assert_cmpint(made->assignee_id, ==, 0);
	g_assert_null(made->visitor_json);
	g_assert_null(made->route_json);
	/* built in memory since migration 17: what a read gives, field for field */
	g_assert_cmpint(made->contact_id, ==, read->contact_id);
	g_assert_cmpstr(made->channel, ==, read->channel);
	g_assert_cmpint(made->created_at_us, ==, read->created_at_us);
	g_assert_cmpint(made->waiting_since_us, ==, read->waiting_since_us);
	g_assert_cmpint(made->team_id, ==, read->team_id);
	g_assert_cmpint(made->closed_at_us, ==, read->closed_at_us);
	g_assert_cmpint(made->last_customer_message_at_us, ==, read->last_customer_message_at_us);
	g_assert_cmpint(made->last_operator_message_at_us, ==, read->last_operator_message_at_us);
	g_assert_null(read->category);
	g_assert_null(made->category);
	g_assert_null(made->memo);
	g_assert_null(read->memo);
	g_assert_null(read->visitor_json);
	g_assert_null(read->route_json);
	g_assert_cmpint(int_of(fx, "SELECT count(*) FROM waiting_admits WHERE conversation_id = ?1",
			       made->id), ==, 1);
	tsunagu_store_conversation_free(made);
	tsunagu_store_conversation_free(read);

	made = NULL;
	int64_t before = int_of(fx, "SELECT count(*) + ?1 FROM conversations", 0);
	g_assert_cmpint(tsunagu_store_conversation_open(fx->store, "phone", contact + 100, &made),
			==, -ENOENT);
	g_assert_null(made);
	g_assert_cmpint(tsunagu_store_conversation_open(fx->store, "phone", contact, NULL), ==,
			-EINVAL);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(int_of(fx, "SELECT count(*) + ?1 FROM conversations", 0), ==, before);
}

int main(int argc, char **argv)
{
	tsunagu_core_set_clock(fake_clock);
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, store_fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/store/percall/call-write-parts", test_call_write_parts);
	ADD("/store/percall/assign-state", test_assign_state);
	ADD("/store/percall/contact-counts", test_contact_counts);
	ADD("/store/percall/light-reads", test_light_reads);
	ADD("/store/percall/call-with-conversation", test_call_with_conversation);
	ADD("/store/percall/guidance-resolve", test_guidance_resolve);
	ADD("/store/percall/offers-generation", test_offers_generation);
	ADD("/store/percall/settings-rows", test_settings_rows);
	ADD("/store/percall/conversation-open", test_conversation_open);
	return g_test_run();
}
