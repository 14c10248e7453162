/* Store: the data operations — messages and their search, timers, sessions,
 * staff, teams, master keywords, contacts, conversations — and the enum
 * names. Each test runs on a fresh database in a temporary directory. */
#include <errno.h>
#include <string.h>

#include "core.h"
#include "store_sqlite.h"
#include "store_test_util.h"

static int64_t fake_now = 1000000;

static int64_t fake_clock(void)
{
	return fake_now;
}

/* ---- messages ------------------------------------------------------------------ */

static void test_message_dedup(store_fixture *fx, gconstpointer data)
{
	int64_t web = fixture_conversation(fx, "web");
	int64_t web2 = fixture_conversation(fx, "web");
	int64_t sms = fixture_conversation(fx, "sms");
	int64_t id1 = 0, id2 = 0, id3 = 0, again = 0;
	GPtrArray *msgs = NULL;

	g_assert_cmpint(tsunagu_store_message_insert(fx->store, web, TSUNAGU_MSG_CUSTOMER, 0, "hi",
						     "prov-1", &id1), ==, 0);
	/* Retried webhook, even in another conversation of the same channel. */
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, web2, TSUNAGU_MSG_CUSTOMER, 0, "hi",
						     "prov-1", &again), ==, -EEXIST);
	g_assert_cmpint(again, ==, id1);
	/* The same id on another channel is another message. */
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, sms, TSUNAGU_MSG_CUSTOMER, 0, "hi",
						     "prov-1", &id2), ==, 0);
	g_assert_cmpint(id2, !=, id1);
	/* No provider id: never a duplicate. */
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, web, TSUNAGU_MSG_NOTE, 0, "n", NULL,
						     &id3), ==, 0);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, web, TSUNAGU_MSG_NOTE, 0, "n", NULL,
						     &id3), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	/* After the commit too. */
	again = 0;
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, web, TSUNAGU_MSG_CUSTOMER, 0, "hi",
						     "prov-1", &again), ==, -EEXIST);
	g_assert_cmpint(again, ==, id1);

	g_assert_cmpint(tsunagu_store_message_list(fx->store, web, 0, 0, &msgs), ==, 0);
	g_assert_cmpuint(msgs->len, ==, 3);
	tsunagu_store_message *m = msgs->pdata[0];
	g_assert_cmpint(m->id, ==, id1);
	g_assert_cmpint(m->kind, ==, TSUNAGU_MSG_CUSTOMER);
	g_assert_cmpstr(m->body, ==, "hi");
	g_assert_cmpstr(m->provider_message_id, ==, "prov-1");
	g_assert_cmpint(((tsunagu_store_message *)msgs->pdata[1])->kind, ==, TSUNAGU_MSG_NOTE);
	g_assert_null(((tsunagu_store_message *)msgs->pdata[1])->provider_message_id);
	g_ptr_array_unref(msgs);
	g_assert_cmpint(tsunagu_store_message_list(fx->store, web, id1, 1, &msgs), ==, 0);
	g_assert_cmpuint(msgs->len, ==, 1);
	g_assert_cmpint(((tsunagu_store_message *)msgs->pdata[0])->id, >, id1);
	g_ptr_array_unref(msgs);

	/* Bad input: clear errors, nothing written. */
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, 999999, TSUNAGU_MSG_CUSTOMER, 0, "x",
						     NULL, NULL), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, 999999, TSUNAGU_MSG_CUSTOMER, 0, "x",
						     "prov-1", NULL), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, web, 42, 0, "x", NULL, NULL), ==,
			-EINVAL);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, web, TSUNAGU_MSG_CUSTOMER, 0,
						     "\xff\xfe", NULL, NULL), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, web, TSUNAGU_MSG_OPERATOR, 12345, "x",
						     NULL, NULL), ==, -ENOENT); /* unknown author */
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	g_assert_cmpint(query_int(tsunagu_store_sqlite_db(fx->store), "SELECT count(*) FROM messages"),
			==, 4);
}

/* A message moves its own kind's time only: updated_at is the
 * conversation's own last change, and a note moves nothing. */
static void test_message_timestamps(store_fixture *fx, gconstpointer data)
{
	int64_t conv, staff = 0;
	tsunagu_store_conversation *c = NULL;

	tsunagu_core_set_clock(fake_clock);
	fake_now = 4000000;
	conv = fixture_conversation(fx, "web");
	fake_now = 5000000;
	g_assert_cmpint(tsunagu_store_staff_create(fx->store, "op", "Op", NULL, TSUNAGU_ROLE_OPERATOR,
						   "h", &staff), ==, 0);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0, "a",
						     NULL, NULL), ==, 0);
	fake_now = 6000000;
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_OPERATOR, staff, "b",
						     NULL, NULL), ==, 0);
	fake_now = 7000000;
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_NOTE, staff, "c",
						     NULL, NULL), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_get(fx->store, conv, &c), ==, 0);
	g_assert_cmpint(c->last_customer_message_at_us, ==, 5000000);
	g_assert_cmpint(c->last_operator_message_at_us, ==, 6000000);
	g_assert_cmpint(c->updated_at_us, ==, 4000000);
	tsunagu_store_conversation_free(c);
	tsunagu_core_set_clock(NULL);
}

static GArray *search(store_fixture *fx, const char *text)
{
	GArray *hits = NULL;

	g_assert_cmpint(tsunagu_store_message_search(fx->store, text, 50, &hits), ==, 0);
	return hits;
}

static void assert_hits(store_fixture *fx, const char *text, int n, const int64_t *expect)
{
	GArray *hits = search(fx, text);

	if ((int)hits->len != n)
		g_error("search \"%s\": %u hits, expected %d", text, hits->len, n);
	for (int i = 0; i < n; i++)
		g_assert_cmpint(g_array_index(hits, int64_t, i), ==, expect[i]);
	g_array_free(hits, TRUE);
}

static void test_search(store_fixture *fx, gconstpointer data)
{
	int64_t conv = fixture_conversation(fx, "web");
	int64_t a, b, c, d;
	GArray *hits = NULL;

	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "お客様、こんにちは。本日はご来店ありがとうございます",
						     NULL, &a), ==, 0);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_OPERATOR, 0,
						     "注文番号を教えてください", NULL, &b), ==, 0);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "Order #123 arrived, thank you! 100% happy", NULL,
						     &c), ==, 0);
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_CUSTOMER, 0,
						     "He said \"hello\" and 本日休業", NULL, &d), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);

	/* A Japanese word in the middle of a sentence (trigram index). */
	assert_hits(fx, "こんにちは", 1, (int64_t[]){ a });
	/* Three characters: still the index; newest first. */
	assert_hits(fx, "本日は", 1, (int64_t[]){ a });
	/* Two characters and one: the LIKE fallback. */
	assert_hits(fx, "本日", 2, (int64_t[]){ d, a });
	assert_hits(fx, "注", 1, (int64_t[]){ b });
	/* ASCII is case-insensitive both ways. */
	assert_hits(fx, "THANK you", 1, (int64_t[]){ c });
	assert_hits(fx, "OR", 1, (int64_t[]){ c });
	/* Query syntax characters are text, not operators. */
	assert_hits(fx, "\"hello\"", 1, (int64_t[]){ d });
	assert_hits(fx, "#123", 1, (int64_t[]){ c });
	assert_hits(fx, "%", 1, (int64_t[]){ c });
	assert_hits(fx, "0% happy", 1, (int64_t[]){ c });
	assert_hits(fx, "0_ happy", 0, NULL);
	assert_hits(fx, "_", 0, NULL);
	assert_hits(fx, "\\", 0, NULL);
	assert_hits(fx, "AND OR NOT", 0, NULL);
	assert_hits(fx, "さようなら", 0, NULL);
	/* Limit. */
	g_assert_cmpint(tsunagu_store_message_search(fx->store, "本日", 1, &hits), ==, 0);
	g_assert_cmpuint(hits->len, ==, 1);
	g_assert_cmpint(g_array_index(hits, int64_t, 0), ==, d);
	g_array_free(hits, TRUE);
	/* Three characters and more go through the index: a message whose
	 * index row is taken away behind the store's back is not found by them
	 * (the scan of shorter queries does find it). */
	int64_t e;
	g_assert_cmpint(tsunagu_store_message_insert(fx->store, conv, TSUNAGU_MSG_SYSTEM, 0,
						     "索引なし", NULL, &e), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
	assert_hits(fx, "索引なし", 1, (int64_t[]){ e });
	sqlite3 *index = NULL;
	char *index_path = g_strconcat(fx->path, ".search", NULL);
	g_assert_cmpint(sqlite3_open_v2(index_path, &index, SQLITE_OPEN_READWRITE, NULL), ==,
			SQLITE_OK);
	char *del = g_strdup_printf("DELETE FROM messages_fts WHERE rowid = %" G_GINT64_FORMAT, e);
	g_assert_cmpint(sqlite3_exec(index, del, NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close(index);
	g_free(del);
	g_free(index_path);
	assert_hits(fx, "索引なし", 0, NULL);
	hits = search(fx, "索引");
	g_assert_cmpuint(hits->len, ==, 1);
	g_array_free(hits, TRUE);
	/* Bad input. */
	hits = NULL;
	g_assert_cmpint(tsunagu_store_message_search(fx->store, "", 10, &hits), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_message_search(fx->store, "\xc3", 10, &hits), ==, -EINVAL);
	g_assert_null(hits);
}

/* ---- timers and sessions --------------------------------------------------------- */

static void test_timers(store_fixture *fx, gconstpointer data)
{
	GPtrArray *due = NULL;
	int64_t next = 0;

	g_assert_cmpint(tsunagu_store_timer_next(fx->store, &next), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_timer_set(fx->store, "close:1", 300, "{\"c\":1}"), ==, 0);
	g_assert_cmpint(tsunagu_store_timer_set(fx->store, "snooze:2", 100, NULL), ==, 0);
	g_assert_cmpint(tsunagu_store_timer_set(fx->store, "reassign:3", 200, "{}"), ==, 0);
	g_assert_cmpint(tsunagu_store_timer_next(fx->store, &next), ==, 0);
	g_assert_cmpint(next, ==, 100);

	/* Replace moves it. */
	g_assert_cmpint(tsunagu_store_timer_set(fx->store, "snooze:2", 400, "{\"again\":true}"), ==, 0);
	g_assert_cmpint(tsunagu_store_timer_next(fx->store, &next), ==, 0);
	g_assert_cmpint(next, ==, 200);

	g_assert_cmpint(tsunagu_store_timer_due(fx->store, 300, 0, &due), ==, 0);
	g_assert_cmpuint(due->len, ==, 2);
	g_assert_cmpstr(((tsunagu_store_timer *)due->pdata[0])->key, ==, "reassign:3");
	g_assert_cmpstr(((tsunagu_store_timer *)due->pdata[1])->key, ==, "close:1");
	g_assert_cmpstr(((tsunagu_store_timer *)due->pdata[1])->payload_json, ==, "{\"c\":1}");
	g_ptr_array_unref(due);
	g_assert_cmpint(tsunagu_store_timer_due(fx->store, 1000, 1, &due), ==, 0);
	g_assert_cmpuint(due->len, ==, 1);
	g_ptr_array_unref(due);
	g_assert_cmpint(tsunagu_store_timer_due(fx->store, 99, 0, &due), ==, 0);
	g_assert_cmpuint(due->len, ==, 0);
	g_ptr_array_unref(due);

	g_assert_cmpint(tsunagu_store_timer_cancel(fx->store, "reassign:3"), ==, 0);
	g_assert_cmpint(tsunagu_store_timer_cancel(fx->store, "reassign:3"), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_timer_next(fx->store, &next), ==, 0);
	g_assert_cmpint(next, ==, 300);
	g_assert_cmpint(tsunagu_store_timer_set(fx->store, "bad", 1, "not json"), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_timer_set(fx->store, "", 1, NULL), ==, -EINVAL);
}

static void test_sessions(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_session *s = NULL;
	int64_t staff = 0, other = 0;

	g_assert_cmpint(tsunagu_store_staff_create(fx->store, "a", "A", NULL, TSUNAGU_ROLE_ADMIN, "h",
						   &staff), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_create(fx->store, "b", "B", NULL, TSUNAGU_ROLE_OPERATOR,
						   "h", &other), ==, 0);
	g_assert_cmpint(tsunagu_store_session_create(fx->store, "t1", staff, "csrf1", 1000), ==, 0);
	g_assert_cmpint(tsunagu_store_session_create(fx->store, "t2", staff, "csrf2", 5000), ==, 0);
	g_assert_cmpint(tsunagu_store_session_create(fx->store, "t3", other, "csrf3", 5000), ==, 0);
	g_assert_cmpint(tsunagu_store_session_create(fx->store, "t1", staff, "x", 9), ==, -EEXIST);
	g_assert_cmpint(tsunagu_store_session_create(fx->store, "t9", 777, "x", 9), ==, -ENOENT);

	g_assert_cmpint(tsunagu_store_session_get(fx->store, "t1", 1000, &s), ==, 0);
	g_assert_cmpint(s->staff_id, ==, staff);
	g_assert_cmpstr(s->csrf_token, ==, "csrf1");
	g_assert_cmpint(s->expires_at_us, ==, 1000);
	tsunagu_store_session_free(s);
	s = NULL;
	/* One microsecond after expiry it is gone. */
	g_assert_cmpint(tsunagu_store_session_get(fx->store, "t1", 1001, &s), ==, -ENOENT);
	g_assert_null(s);
	g_assert_cmpint(tsunagu_store_session_get(fx->store, "nope", 0, &s), ==, -ENOENT);

	g_assert_cmpint(tsunagu_store_session_purge_expired(fx->store, 2000), ==, 0);
	g_assert_cmpint(query_int(tsunagu_store_sqlite_db(fx->store), "SELECT count(*) FROM sessions"),
			==, 2);
	g_assert_cmpint(tsunagu_store_session_delete_for_staff(fx->store, staff), ==, 0);
	g_assert_cmpint(tsunagu_store_session_get(fx->store, "t2", 0, &s), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_session_delete(fx->store, "t3"), ==, 0);
	g_assert_cmpint(tsunagu_store_session_delete(fx->store, "t3"), ==, -ENOENT);
}

/* ---- staff and teams ----------------------------------------------------------------- */

static void test_staff_teams(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_staff *s = NULL;
	int64_t a = 0, b = 0, dup = 0, team = 0, team2 = 0, count = 0;
	GPtrArray *list = NULL;
	GArray *members = NULL;

	g_assert_cmpint(tsunagu_store_staff_create(fx->store, "sato", "佐藤", "s@example.jp",
						   TSUNAGU_ROLE_SUPERVISOR, "$argon2id$x", &a), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_create(fx->store, "suzuki", "鈴木", NULL,
						   TSUNAGU_ROLE_OPERATOR, "$argon2id$y", &b), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_create(fx->store, "sato", "other", NULL,
						   TSUNAGU_ROLE_ADMIN, "h", &dup), ==, -EEXIST);
	g_assert_cmpint(dup, ==, a);
	g_assert_cmpint(tsunagu_store_staff_create(fx->store, "x", "x", NULL, 9, "h", NULL), ==,
			-EINVAL);
	g_assert_cmpint(tsunagu_store_staff_count(fx->store, &count), ==, 0);
	g_assert_cmpint(count, ==, 2);

	g_assert_cmpint(tsunagu_store_staff_get_by_login(fx->store, "sato", &s), ==, 0);
	g_assert_cmpint(s->id, ==, a);
	g_assert_cmpstr(s->display_name, ==, "佐藤");
	g_assert_cmpstr(s->email, ==, "s@example.jp");
	g_assert_cmpint(s->role, ==, TSUNAGU_ROLE_SUPERVISOR);
	g_assert_false(s->disabled);
	tsunagu_store_staff_free(s);
	g_assert_cmpint(tsunagu_store_staff_get_by_login(fx->store, "SATO", &s), ==, -ENOENT);

	g_assert_cmpint(tsunagu_store_staff_update(fx->store, b, NULL, "z@example.jp",
						   TSUNAGU_ROLE_ADMIN, NULL, 1), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_get(fx->store, b, &s), ==, 0);
	g_assert_cmpstr(s->display_name, ==, "鈴木");
	g_assert_cmpstr(s->email, ==, "z@example.jp");
	g_assert_cmpint(s->role, ==, TSUNAGU_ROLE_ADMIN);
	g_assert_cmpstr(s->password_hash, ==, "$argon2id$y");
	g_assert_true(s->disabled);
	tsunagu_store_staff_free(s);
	g_assert_cmpint(tsunagu_store_staff_update(fx->store, 999, "n", NULL, 0, NULL, -1), ==,
			-ENOENT);
	g_assert_cmpint(tsunagu_store_staff_update(fx->store, b, NULL, NULL, 0, NULL, 2), ==, -EINVAL);

	g_assert_cmpint(tsunagu_store_staff_list(fx->store, &list), ==, 0);
	g_assert_cmpuint(list->len, ==, 2);
	g_assert_cmpstr(((tsunagu_store_staff *)list->pdata[0])->login, ==, "sato");
	g_ptr_array_unref(list);

	g_assert_cmpint(tsunagu_store_team_create(fx->store, "support", &team), ==, 0);
	g_assert_cmpint(tsunagu_store_team_create(fx->store, "support", &team2), ==, -EEXIST);
	g_assert_cmpint(team2, ==, team);
	g_assert_cmpint(tsunagu_store_team_get_by_name(fx->store, "support", &team2), ==, 0);
	g_assert_cmpint(team2, ==, team);
	g_assert_cmpint(tsunagu_store_team_get_by_name(fx->store, "premium", &team2), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_team_create(fx->store, "billing", &team2), ==, 0);
	GPtrArray *teams = NULL;
	g_assert_cmpint(tsunagu_store_team_list(fx->store, &teams), ==, 0);
	g_assert_cmpuint(teams->len, ==, 2);
	g_assert_cmpstr(((tsunagu_store_team *)teams->pdata[0])->name, ==, "billing");
	g_assert_cmpint(((tsunagu_store_team *)teams->pdata[1])->id, ==, team);
	g_ptr_array_unref(teams);
	g_assert_cmpint(tsunagu_store_team_add_member(fx->store, team, b), ==, 0);
	g_assert_cmpint(tsunagu_store_team_add_member(fx->store, team, a), ==, 0);
	g_assert_cmpint(tsunagu_store_team_add_member(fx->store, team, a), ==, 0); /* idempotent */
	g_assert_cmpint(tsunagu_store_team_add_member(fx->store, team, 999), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_team_members(fx->store, team, &members), ==, 0);
	g_assert_cmpuint(members->len, ==, 2);
	g_assert_cmpint(g_array_index(members, int64_t, 0), ==, a);
	g_assert_cmpint(g_array_index(members, int64_t, 1), ==, b);
	g_array_free(members, TRUE);
	g_assert_cmpint(tsunagu_store_team_remove_member(fx->store, team, a), ==, 0);
	g_assert_cmpint(tsunagu_store_team_remove_member(fx->store, team, a), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_team_members(fx->store, team, &members), ==, 0);
	g_assert_cmpuint(members->len, ==, 1);
	g_array_free(members, TRUE);
	g_assert_cmpint(tsunagu_store_team_members(fx->store, 999, &members), ==, -ENOENT);
}

/* ---- keywords and contacts --------------------------------------------------------------- */

static void test_contacts(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_contact *c = NULL, *c2 = NULL;
	int64_t id = 0, id2 = 0, found = 0, again = 0;
	GPtrArray *kw = NULL;
	bool created = false;

	g_assert_cmpint(tsunagu_store_contact_create(fx->store, "山田", &id), ==, 0);
	/* An attribute needs its master keyword (ADM-4). */
	g_assert_cmpint(tsunagu_store_contact_set_attribute(fx->store, id, "phone", "+81901234"), ==,
			-EINVAL);
	g_assert_cmpint(tsunagu_store_keyword_define(fx->store, "phone", "電話番号"), ==, 0);
	g_assert_cmpint(tsunagu_store_keyword_define(fx->store, "email", "Email"), ==, 0);
	g_assert_cmpint(tsunagu_store_keyword_define(fx->store, "email", "E-mail"), ==, 0);
	g_assert_cmpint(tsunagu_store_keyword_list(fx->store, &kw), ==, 0);
	g_assert_cmpuint(kw->len, ==, 4);
	g_assert_cmpstr(kw->pdata[0], ==, "email");
	g_assert_cmpstr(kw->pdata[1], ==, "E-mail");
	g_assert_cmpstr(kw->pdata[2], ==, "phone");
	g_ptr_array_unref(kw);

	g_assert_cmpint(tsunagu_store_contact_set_attribute(fx->store, id, "phone", "+81901234"), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_set_attribute(fx->store, id, "email", "a@b.jp"), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_set_attribute(fx->store, id, "email", "c@d.jp"), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_set_attribute(fx->store, 999, "email", "x"), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_contact_tag(fx->store, id, "vip", true), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_tag(fx->store, id, "vip", true), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_tag(fx->store, id, "new", true), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_tag(fx->store, id, "new", false), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_tag(fx->store, 999, "vip", true), ==, -ENOENT);

	g_assert_cmpint(tsunagu_store_contact_find_by_attribute(fx->store, "phone", "+81901234", &found),
			==, 0);
	g_assert_cmpint(found, ==, id);
	g_assert_cmpint(tsunagu_store_contact_find_by_attribute(fx->store, "phone", "+0", &found), ==,
			-ENOENT);

	g_assert_cmpint(tsunagu_store_contact_get(fx->store, id, &c), ==, 0);
	g_assert_cmpstr(c->name, ==, "山田");
	g_assert_cmpstr(g_hash_table_lookup(c->attributes, "email"), ==, "c@d.jp");
	g_assert_cmpstr(g_hash_table_lookup(c->attributes, "phone"), ==, "+81901234");
	g_assert_cmpuint(c->tags->len, ==, 1);
	g_assert_cmpstr(c->tags->pdata[0], ==, "vip");
	g_assert_cmpuint(strlen(c->public_id), ==, 32);
	for (const char *p = c->public_id; *p; p++)
		g_assert_true(g_ascii_isxdigit(*p));

	/* NULL deletes a value; deleting the keyword deletes its values. */
	g_assert_cmpint(tsunagu_store_contact_set_attribute(fx->store, id, "email", NULL), ==, 0);
	g_assert_cmpint(tsunagu_store_keyword_delete(fx->store, "phone"), ==, 0);
	g_assert_cmpint(tsunagu_store_keyword_delete(fx->store, "phone"), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_contact_get(fx->store, id, &c2), ==, 0);
	g_assert_cmpuint(g_hash_table_size(c2->attributes), ==, 0);
	tsunagu_store_contact_free(c2);
	c2 = NULL;
	g_assert_cmpint(tsunagu_store_contact_get(fx->store, 999, &c2), ==, -ENOENT);

	/* Identities: found or created once. */
	g_assert_cmpint(tsunagu_store_contact_identity(fx->store, "line", "U123", "LINE user", &id2,
						       &created), ==, 0);
	g_assert_true(created);
	g_assert_cmpint(tsunagu_store_contact_identity(fx->store, "line", "U123", NULL, &again,
						       &created), ==, 0);
	g_assert_false(created);
	g_assert_cmpint(again, ==, id2);
	g_assert_cmpint(tsunagu_store_contact_identity(fx->store, "sms", "U123", NULL, &again,
						       &created), ==, 0);
	g_assert_true(created);
	g_assert_cmpint(again, !=, id2);
	char *ext = NULL;
	g_assert_cmpint(tsunagu_store_contact_identity_get(fx->store, id2, "line", &ext), ==, 0);
	g_assert_cmpstr(ext, ==, "U123");
	g_free(ext);
	ext = NULL;
	g_assert_cmpint(tsunagu_store_contact_identity_get(fx->store, id2, "sms", &ext), ==, -ENOENT);
	g_assert_null(ext);
	g_assert_cmpint(tsunagu_store_contact_get(fx->store, id2, &c2), ==, 0);
	g_assert_cmpstr(c2->name, ==, "LINE user");
	g_assert_cmpstr(c2->public_id, !=, c->public_id);
	tsunagu_store_contact_free(c2);
	tsunagu_store_contact_free(c);
}

/* ---- conversations ------------------------------------------------------------------------- */

static void test_conversations(store_fixture *fx, gconstpointer data)
{
	tsunagu_store_conversation *c = NULL, *c2 = NULL;
	int64_t contact = 0, conv = 0, conv2 = 0, other = 0, found = 0, staff = 0, team = 0, n = 0;
	GPtrArray *list = NULL;
	bool is = false;

	tsunagu_core_set_clock(fake_clock);
	fake_now = 10;
	g_assert_cmpint(tsunagu_store_contact_create(fx->store, NULL, &contact), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_create(fx->store, "op", "Op", NULL, TSUNAGU_ROLE_OPERATOR,
						   "h", &staff), ==, 0);
	g_assert_cmpint(tsunagu_store_team_create(fx->store, "t", &team), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(fx->store, "web", contact, &conv), ==, 0);
	fake_now = 20;
	g_assert_cmpint(tsunagu_store_conversation_create(fx->store, "sms", contact, &other), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(fx->store, "web", 999, &conv2), ==, -ENOENT);

	g_assert_cmpint(tsunagu_store_conversation_get(fx->store, conv, &c), ==, 0);
	g_assert_cmpint(c->state, ==, TSUNAGU_CONV_WAITING);
	g_assert_cmpstr(c->channel, ==, "web");
	g_assert_cmpint(c->contact_id, ==, contact);
	g_assert_cmpint(c->created_at_us, ==, 10);
	g_assert_cmpint(c->assignee_id, ==, 0);
	g_assert_cmpint(c->closed_at_us, ==, 0);
	g_assert_cmpuint(strlen(c->public_id), ==, 32);
	g_assert_cmpint(tsunagu_store_conversation_get_by_public_id(fx->store, c->public_id, &c2), ==, 0);
	g_assert_cmpint(c2->id, ==, conv);
	tsunagu_store_conversation_free(c2);
	g_assert_cmpint(tsunagu_store_conversation_get_by_public_id(fx->store, "0123", &c2), ==, -ENOENT);

	g_assert_cmpint(tsunagu_store_conversation_find_active(fx->store, contact, "web", &found), ==, 0);
	g_assert_cmpint(found, ==, conv);

	fake_now = 30;
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, conv, staff, team), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, conv, TSUNAGU_CONV_OPEN), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, conv, 999, -1), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, 999, staff, -1), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_conversation_set_category(fx->store, conv, "billing"), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, conv, 77), ==, -EINVAL);

	/* Lists: newest activity first, filtered by state and assignee. */
	g_assert_cmpint(tsunagu_store_conversation_list(fx->store, 0, 0, 0, &list), ==, 0);
	g_assert_cmpuint(list->len, ==, 2);
	g_assert_cmpint(((tsunagu_store_conversation *)list->pdata[0])->id, ==, conv);
	g_ptr_array_unref(list);
	g_assert_cmpint(tsunagu_store_conversation_list(fx->store, TSUNAGU_CONV_OPEN, staff, 0, &list),
			==, 0);
	g_assert_cmpuint(list->len, ==, 1);
	c2 = list->pdata[0];
	g_assert_cmpint(c2->assignee_id, ==, staff);
	g_assert_cmpint(c2->team_id, ==, team);
	g_assert_cmpstr(c2->category, ==, "billing");
	g_ptr_array_unref(list);
	g_assert_cmpint(tsunagu_store_conversation_list(fx->store, TSUNAGU_CONV_WAITING, -1, 0, &list),
			==, 0);
	g_assert_cmpuint(list->len, ==, 1);
	g_assert_cmpint(((tsunagu_store_conversation *)list->pdata[0])->id, ==, other);
	g_ptr_array_unref(list);
	g_assert_cmpint(tsunagu_store_conversation_list(fx->store, 0, 0, 1, &list), ==, 0);
	g_assert_cmpuint(list->len, ==, 1);
	g_ptr_array_unref(list);

	/* Unassign keeps the team unless told. */
	g_assert_cmpint(tsunagu_store_conversation_assign(fx->store, conv, 0, -1), ==, 0);
	tsunagu_store_conversation_free(c);
	g_assert_cmpint(tsunagu_store_conversation_get(fx->store, conv, &c), ==, 0);
	g_assert_cmpint(c->assignee_id, ==, 0);
	g_assert_cmpint(c->team_id, ==, team);
	tsunagu_store_conversation_free(c);

	fake_now = 40;
	g_assert_cmpint(tsunagu_store_conversation_set_state(fx->store, conv, TSUNAGU_CONV_CLOSED), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_get(fx->store, conv, &c), ==, 0);
	g_assert_cmpint(c->state, ==, TSUNAGU_CONV_CLOSED);
	g_assert_cmpint(c->closed_at_us, ==, 40);
	tsunagu_store_conversation_free(c);
	g_assert_cmpint(tsunagu_store_conversation_find_active(fx->store, contact, "web", &found), ==,
			-ENOENT);
	g_assert_cmpint(tsunagu_store_contact_conversation_count(fx->store, contact, other, &n), ==, 0);
	g_assert_cmpint(n, ==, 1);

	/* Tags and participants. */
	GPtrArray *tags = NULL;
	g_assert_cmpint(tsunagu_store_conversation_tag(fx->store, conv, "refund", true), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_tag(fx->store, conv, "a-first", true), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_tag(fx->store, conv, "refund", true), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_tag(fx->store, 999, "x", true), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_conversation_tags(fx->store, conv, &tags), ==, 0);
	g_assert_cmpuint(tags->len, ==, 2);
	g_assert_cmpstr(tags->pdata[0], ==, "a-first");
	g_ptr_array_unref(tags);
	g_assert_cmpint(tsunagu_store_conversation_tag(fx->store, conv, "refund", false), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_tags(fx->store, conv, &tags), ==, 0);
	g_assert_cmpuint(tags->len, ==, 1);
	g_ptr_array_unref(tags);

	g_assert_cmpint(tsunagu_store_participant_is(fx->store, conv, staff, &is), ==, 0);
	g_assert_false(is);
	g_assert_cmpint(tsunagu_store_participant_add(fx->store, conv, staff, "participant"), ==, 0);
	g_assert_cmpint(tsunagu_store_participant_add(fx->store, conv, staff, "follower"), ==, 0);
	g_assert_cmpint(tsunagu_store_participant_add(fx->store, conv, staff, "boss"), ==, -EINVAL);
	g_assert_cmpint(tsunagu_store_participant_add(fx->store, conv, 999, "follower"), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_participant_is(fx->store, conv, staff, &is), ==, 0);
	g_assert_true(is);
	tsunagu_core_set_clock(NULL);
}

/* ---- enums ------------------------------------------------------------------------------ */

static void test_settings_and_visitor(store_fixture *fx, gconstpointer data)
{
	char *v = NULL;
	g_assert_cmpint(tsunagu_store_setting_get(fx->store, "plugin.web", "colour", &v), ==,
			-ENOENT);
	g_assert_cmpint(tsunagu_store_setting_set(fx->store, "plugin.web", "colour", "#0a7"), ==, 0);
	g_assert_cmpint(tsunagu_store_setting_set(fx->store, "plugin.sms", "colour", "red"), ==, 0);
	g_assert_cmpint(tsunagu_store_setting_set(fx->store, "plugin.web", "colour", "#fff"), ==, 0);
	g_assert_cmpint(tsunagu_store_setting_get(fx->store, "plugin.web", "colour", &v), ==, 0);
	g_assert_cmpstr(v, ==, "#fff");
	g_free(v);
	g_assert_cmpint(tsunagu_store_setting_set(fx->store, "plugin.web", "colour", NULL), ==, 0);
	g_assert_cmpint(tsunagu_store_setting_get(fx->store, "plugin.web", "colour", &v), ==,
			-ENOENT);
	g_assert_cmpint(tsunagu_store_setting_get(fx->store, "plugin.sms", "colour", &v), ==, 0);
	g_assert_cmpstr(v, ==, "red");
	g_free(v);
	g_assert_cmpint(tsunagu_store_setting_set(fx->store, "", "k", "v"), ==, -EINVAL);

	int64_t conv = fixture_conversation(fx, "web");
	tsunagu_store_conversation *c = NULL;
	g_assert_cmpint(tsunagu_store_conversation_get(fx->store, conv, &c), ==, 0);
	g_assert_null(c->visitor_json);
	tsunagu_store_conversation_free(c);
	const char *visitor = "{\"page_url\":\"https://shop.example/ja/\",\"utm\":{\"campaign\":\"spring\"}}";
	g_assert_cmpint(tsunagu_store_conversation_set_visitor(fx->store, conv, visitor), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_get(fx->store, conv, &c), ==, 0);
	g_assert_cmpstr(c->visitor_json, ==, visitor);
	tsunagu_store_conversation_free(c);
	/* only a JSON object is accepted, and the old value stays */
	g_assert_cmpint(tsunagu_store_conversation_set_visitor(fx->store, conv, "[1]"), <, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_visitor(fx->store, 9999, "{}"), ==, -ENOENT);
	g_assert_cmpint(tsunagu_store_conversation_get(fx->store, conv, &c), ==, 0);
	g_assert_cmpstr(c->visitor_json, ==, visitor);
	tsunagu_store_conversation_free(c);
	g_assert_cmpint(tsunagu_store_flush(fx->store), ==, 0);
}

static void test_enum_names(void)
{
	tsunagu_role role;
	tsunagu_conv_state st;
	tsunagu_msg_kind kind;

	for (int i = TSUNAGU_ROLE_OPERATOR; i <= TSUNAGU_ROLE_ADMIN; i++) {
		g_assert_cmpint(tsunagu_role_parse(tsunagu_role_name(i), &role), ==, 0);
		g_assert_cmpint(role, ==, i);
	}
	for (int i = TSUNAGU_CONV_WAITING; i <= TSUNAGU_CONV_CLOSED; i++) {
		g_assert_cmpint(tsunagu_conv_state_parse(tsunagu_conv_state_name(i), &st), ==, 0);
		g_assert_cmpint(st, ==, i);
	}
	for (int i = TSUNAGU_MSG_CUSTOMER; i <= TSUNAGU_MSG_DRAFT; i++) {
		g_assert_cmpint(tsunagu_msg_kind_parse(tsunagu_msg_kind_name(i), &kind), ==, 0);
		g_assert_cmpint(kind, ==, i);
	}
	g_assert_cmpstr(tsunagu_role_name(TSUNAGU_ROLE_SUPERVISOR), ==, "supervisor");
	g_assert_cmpstr(tsunagu_conv_state_name(TSUNAGU_CONV_CLOSE_REQUESTED), ==, "close_requested");
	g_assert_cmpstr(tsunagu_msg_kind_name(TSUNAGU_MSG_NOTE), ==, "note");
	g_assert_null(tsunagu_role_name(0));
	g_assert_null(tsunagu_role_name(4));
	g_assert_null(tsunagu_conv_state_name(6));
	g_assert_null(tsunagu_msg_kind_name(-1));
	g_assert_cmpint(tsunagu_role_parse("Admin", &role), ==, -EINVAL);
	g_assert_cmpint(tsunagu_conv_state_parse("", &st), ==, -EINVAL);
	g_assert_cmpint(tsunagu_msg_kind_parse(NULL, &kind), ==, -EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, store_fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/store/messages/dedup", test_message_dedup);
	ADD("/store/messages/timestamps", test_message_timestamps);
	ADD("/store/messages/search", test_search);
	ADD("/store/timers", test_timers);
	ADD("/store/sessions", test_sessions);
	ADD("/store/staff-teams", test_staff_teams);
	ADD("/store/contacts", test_contacts);
	ADD("/store/conversations", test_conversations);
	ADD("/store/settings-and-visitor", test_settings_and_visitor);
	g_test_add_func("/store/enum-names", test_enum_names);
	return g_test_run();
}
