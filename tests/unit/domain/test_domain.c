/* The event bus and the domain on a real store: events reach subscribers
 * only after the commit, in order; inbound messages open conversations and
 * dedup retries; notes never reach a channel; nothing partial survives. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "conversation_view.h"
#include "domain_test_core.h"
#include "core.h"
#include "domain.h"
#include "events.h"
#include "store.h"

typedef struct {
	tsunagu_core core;
	char *dir;
	char *db;
	GPtrArray *seen;      /* char* "seq:type" delivered to the subscriber */
	GPtrArray *delivered; /* char* "recipient:text" through the channel */
	int acks;
	int last_ack_status;
	char *last_conv;
	int64_t last_msg;
} fixture;

static void on_event(const tsunagu_store_event *ev, void *p)
{
	fixture *f = p;
	g_ptr_array_add(f->seen, g_strdup_printf("%" G_GINT64_FORMAT ":%s", ev->seq, ev->type));
}

static int deliver(const char *channel, const char *recipient, const char *conv, int64_t msg_id,
		   tsunagu_msg_kind kind, const char *text, void *p)
{
	fixture *f = p;
	g_ptr_array_add(f->delivered, g_strdup_printf("%s:%s", recipient, text));
	return 0;
}

static void setup(fixture *f, gconstpointer data)
{
	memset(f, 0, sizeof *f);
	domain_test_core_open(&f->core, "test-domain", "full", &f->dir, &f->db);
	f->seen = g_ptr_array_new_with_free_func(g_free);
	f->delivered = g_ptr_array_new_with_free_func(g_free);
	tsunagu_events_subscribe(f->core.events, on_event, f);
	g_assert_cmpint(tsunagu_domain_register_channel(f->core.domain, "test", deliver, f, f), ==,
			0);
}

static void teardown(fixture *f, gconstpointer data)
{
	domain_test_core_close(&f->core, f->dir, f->db);
	g_ptr_array_unref(f->seen);
	g_ptr_array_unref(f->delivered);
	g_free(f->last_conv);
}

/* Runs loop iterations until nothing is pending (the commit source ran). */
static void spin(void)
{
	for (int i = 0; i < 10; i++)
		while (g_main_context_iteration(NULL, FALSE))
			;
}

static void on_ack(int status, int64_t conv_id, const char *public_id, int64_t msg_id, void *p)
{
	fixture *f = p;
	f->acks++;
	f->last_ack_status = status;
	g_free(f->last_conv);
	f->last_conv = g_strdup(public_id);
	f->last_msg = msg_id;
}

static void test_events_after_commit_in_order(fixture *f, gconstpointer data)
{
	int64_t s1 = 0, s2 = 0;
	int64_t before = tsunagu_events_committed_seq(f->core.events);
	g_assert_cmpint(tsunagu_events_emit(f->core.events, "test.one", 0, 0, NULL, &s1), ==, 0);
	json_t *p = json_pack("{s:s}", "k", "値");
	g_assert_cmpint(tsunagu_events_emit(f->core.events, "test.two", 0, 0, p, &s2), ==, 0);
	json_decref(p);
	g_assert_cmpint(s2, >, s1);
	/* Not committed yet: nobody has seen them. */
	g_assert_cmpuint(f->seen->len, ==, 0);
	g_assert_cmpint(tsunagu_events_committed_seq(f->core.events), ==, before);
	spin();
	g_assert_cmpuint(f->seen->len, ==, 2);
	char *want1 = g_strdup_printf("%" G_GINT64_FORMAT ":test.one", s1);
	g_assert_cmpstr(f->seen->pdata[0], ==, want1);
	g_free(want1);
	g_assert_cmpint(tsunagu_events_committed_seq(f->core.events), ==, s2);

	/* The JSON form carries the payload. */
	GPtrArray *evs = NULL;
	g_assert_cmpint(tsunagu_store_events_range(f->core.store, s1, s2, 0, &evs), ==, 0);
	g_assert_cmpuint(evs->len, ==, 1);
	json_t *j = tsunagu_event_to_json(evs->pdata[0]);
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(j, "data"), "k")), ==,
			"値");
	g_assert_cmpint(json_integer_value(json_object_get(j, "seq")), ==, s2);
	/* the text form the events WebSocket sends is the same JSON */
	char *text = tsunagu_event_to_text(evs->pdata[0]);
	json_t *parsed = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	g_assert_nonnull(parsed);
	g_assert_true(json_equal(parsed, j));
	json_decref(parsed);
	g_free(text);
	tsunagu_store_event odd = {.seq = 7, .at_us = 1234567890123456, .type = "x\"y\\z\n",
				   .conversation_id = 3, .actor_staff_id = 4,
				   .payload_json = "{\"k\":[1,\"\\u3042\"]}"};
	json_t *oj = tsunagu_event_to_json(&odd);
	text = tsunagu_event_to_text(&odd);
	parsed = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	g_assert_nonnull(parsed);
	g_assert_true(json_equal(parsed, oj));
	g_assert_cmpstr(json_string_value(json_object_get(parsed, "at")), ==,
			"2009-02-13T23:31:30.123Z");
	json_decref(parsed);
	json_decref(oj);
	g_free(text);
	json_decref(j);
	g_ptr_array_unref(evs);
}

static void test_rolled_back_events_are_never_delivered(fixture *f, gconstpointer data)
{
	unsigned mark = tsunagu_events_mark(f->core.events);
	g_assert_cmpint(tsunagu_store_atomic_begin(f->core.store), ==, 0);
	g_assert_cmpint(tsunagu_events_emit(f->core.events, "test.undone", 0, 0, NULL, NULL), ==, 0);
	g_assert_cmpint(tsunagu_store_atomic_end(f->core.store, false), ==, 0);
	tsunagu_events_rollback_to(f->core.events, mark);
	g_assert_cmpint(tsunagu_events_emit(f->core.events, "test.kept", 0, 0, NULL, NULL), ==, 0);
	spin();
	g_assert_cmpuint(f->seen->len, ==, 1);
	g_assert_true(g_str_has_suffix(f->seen->pdata[0], ":test.kept"));
	GPtrArray *evs = NULL;
	g_assert_cmpint(tsunagu_store_events_range(f->core.store, 0, INT64_MAX, 0, &evs), ==, 0);
	for (unsigned i = 0; i < evs->len; i++)
		g_assert_cmpstr(((tsunagu_store_event *)evs->pdata[i])->type, !=, "test.undone");
	g_ptr_array_unref(evs);
}

static void test_inbound_opens_once_and_acks_after_commit(fixture *f, gconstpointer data)
{
	tsunagu_inbound_message m = {.channel = "test", .sender_id = "u1", .sender_name = "花子",
				     .text = "こんにちは", .provider_message_id = "p1"};
	g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, f), ==, 0);
	g_assert_cmpint(f->acks, ==, 0); /* not before the commit */
	spin();
	g_assert_cmpint(f->acks, ==, 1);
	g_assert_cmpint(f->last_ack_status, ==, 0);
	char *first_conv = g_strdup(f->last_conv);
	g_assert_cmpuint(strlen(first_conv), >=, 16);
	int64_t first_msg = f->last_msg;

	/* Same sender, new message: same conversation. */
	m.text = "二通目";
	m.provider_message_id = "p2";
	g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, f), ==, 0);
	spin();
	g_assert_cmpstr(f->last_conv, ==, first_conv);

	/* A retried webhook (same provider id): acknowledged, stored once. */
	m.text = "こんにちは";
	m.provider_message_id = "p1";
	g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, f), ==, 0);
	spin();
	g_assert_cmpint(f->last_ack_status, ==, -EEXIST);
	g_assert_cmpint(f->last_msg, ==, first_msg);

	tsunagu_store_conversation *c = NULL;
	g_assert_cmpint(tsunagu_store_conversation_get_by_public_id(f->core.store, first_conv, &c),
			==, 0);
	GPtrArray *msgs = NULL;
	g_assert_cmpint(tsunagu_store_message_list(f->core.store, c->id, 0, 0, &msgs), ==, 0);
	g_assert_cmpuint(msgs->len, ==, 2);
	g_assert_cmpstr(((tsunagu_store_message *)msgs->pdata[0])->body, ==, "こんにちは");
	g_assert_cmpint(c->state, ==, TSUNAGU_CONV_WAITING);
	g_ptr_array_unref(msgs);
	tsunagu_store_conversation_free(c);

	/* Events: created once, two customer messages. */
	unsigned created = 0, customer = 0;
	for (unsigned i = 0; i < f->seen->len; i++) {
		created += g_str_has_suffix(f->seen->pdata[i], ":conversation.created");
		customer += g_str_has_suffix(f->seen->pdata[i], ":message.customer");
	}
	g_assert_cmpuint(created, ==, 1);
	g_assert_cmpuint(customer, ==, 2);
	g_free(first_conv);
}

static void test_inbound_rejects_bad_input(fixture *f, gconstpointer data)
{
	tsunagu_inbound_message m = {.channel = "test", .sender_id = "u1", .text = ""};
	g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, f), ==, -EINVAL);
	m.text = "\xff\xfe";
	g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, f), ==, -EINVAL);
	m.text = "ok";
	m.channel = "Bad Channel";
	g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, f), ==, -EINVAL);
	m.channel = "test";
	m.sender_id = "";
	g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, f), ==, -EINVAL);
	char *huge = g_malloc(70 * 1024 + 1);
	memset(huge, 'a', 70 * 1024);
	huge[70 * 1024] = 0;
	m.sender_id = "u1";
	m.text = huge;
	g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, f), ==, -EINVAL);
	g_free(huge);
	spin();
	g_assert_cmpint(f->acks, ==, 0);
	g_assert_cmpuint(f->seen->len, ==, 0);
	f->core.state = TSUNAGU_CORE_DRAINING;
	m.text = "late";
	g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, f), ==, -ESHUTDOWN);
}

static void test_notes_never_reach_the_channel(fixture *f, gconstpointer data)
{
	tsunagu_inbound_message m = {.channel = "test", .sender_id = "+81-90-1", .text = "hi"};
	g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, f), ==, 0);
	spin();
	tsunagu_store_conversation *c = NULL;
	g_assert_cmpint(tsunagu_store_conversation_get_by_public_id(f->core.store, f->last_conv, &c),
			==, 0);
	int64_t staff = 0;
	g_assert_cmpint(tsunagu_store_staff_create(f->core.store, "sato", "佐藤", NULL,
						   TSUNAGU_ROLE_OPERATOR, "x", &staff), ==, 0);
	g_assert_cmpint(tsunagu_domain_join(f->core.domain, c->id, staff), ==, 0);
	g_assert_cmpint(tsunagu_domain_post(f->core.domain, c->id, staff, TSUNAGU_MSG_NOTE,
					    "社内メモ: VIP", NULL, NULL, NULL), ==, 0);
	g_assert_cmpint(tsunagu_domain_post(f->core.domain, c->id, staff, TSUNAGU_MSG_OPERATOR,
					    "お待たせしました", NULL, NULL, NULL), ==, 0);
	g_assert_cmpint(tsunagu_domain_post(f->core.domain, c->id, staff, TSUNAGU_MSG_CUSTOMER,
					    "forged", NULL, NULL, NULL), ==, -EINVAL);
	g_assert_cmpuint(f->delivered->len, ==, 0); /* nothing before the commit */
	spin();
	g_assert_cmpuint(f->delivered->len, ==, 1);
	g_assert_cmpstr(f->delivered->pdata[0], ==, "+81-90-1:お待たせしました");

	tsunagu_store_conversation *after = NULL;
	g_assert_cmpint(tsunagu_store_conversation_get(f->core.store, c->id, &after), ==, 0);
	g_assert_cmpint(after->assignee_id, ==, staff);
	g_assert_cmpint(after->state, ==, TSUNAGU_CONV_OPEN);
	tsunagu_store_conversation_free(after);
	tsunagu_store_conversation_free(c);
}

/* The payload of the newest event of type, parsed (caller decrefs). */
static json_t *last_payload(fixture *f, const char *type)
{
	GPtrArray *evs = NULL;
	json_t *j = NULL;

	g_assert_cmpint(tsunagu_store_events_range(f->core.store, 0,
						   tsunagu_events_committed_seq(f->core.events), 0,
						   &evs), ==, 0);
	for (guint i = evs->len; i-- > 0 && !j;) {
		const tsunagu_store_event *ev = evs->pdata[i];
		if (strcmp(ev->type, type) == 0)
			j = json_loads(ev->payload_json, JSON_REJECT_DUPLICATES, NULL);
	}
	g_ptr_array_unref(evs);
	g_assert_nonnull(j);
	return j;
}

/* The message events are composed as text, not dumped by jansson: any text
 * a customer or operator writes comes out of the payload as it went in. */
static void test_message_event_payloads(fixture *f, gconstpointer data)
{
	static const char text[] = "a\"b\\c\n\t\x01\x1f</script>こんにちは\u2028";
	tsunagu_inbound_message m = {.channel = "test", .sender_id = "u\"1", .text = text};
	int64_t staff = 0, op_msg = 0;
	tsunagu_store_conversation *c = NULL;
	json_t *j;

	g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, f), ==, 0);
	spin();
	g_assert_cmpint(f->last_ack_status, ==, 0);
	j = last_payload(f, "message.customer");
	g_assert_cmpstr(json_string_value(json_object_get(j, "conversation")), ==, f->last_conv);
	g_assert_cmpstr(json_string_value(json_object_get(j, "channel")), ==, "test");
	g_assert_cmpint(json_integer_value(json_object_get(j, "message_id")), ==, f->last_msg);
	g_assert_cmpstr(json_string_value(json_object_get(j, "text")), ==, text);
	g_assert_cmpuint(json_object_size(j), ==, 4);
	json_decref(j);

	g_assert_cmpint(tsunagu_store_conversation_get_by_public_id(f->core.store, f->last_conv, &c),
			==, 0);
	g_assert_cmpint(tsunagu_store_staff_create(f->core.store, "sato", "佐藤", NULL,
						   TSUNAGU_ROLE_OPERATOR, "x", &staff), ==, 0);
	g_assert_cmpint(tsunagu_domain_join(f->core.domain, c->id, staff), ==, 0);
	g_assert_cmpint(tsunagu_domain_post(f->core.domain, c->id, staff, TSUNAGU_MSG_OPERATOR,
					    text, &op_msg, NULL, NULL), ==, 0);
	spin();
	j = last_payload(f, "message.operator");
	g_assert_cmpstr(json_string_value(json_object_get(j, "kind")), ==, "operator");
	g_assert_cmpstr(json_string_value(json_object_get(j, "text")), ==, text);
	g_assert_cmpint(json_integer_value(json_object_get(j, "message_id")), ==, op_msg);
	g_assert_cmpint(json_integer_value(json_object_get(j, "author")), ==, staff);
	g_assert_cmpuint(json_object_size(j), ==, 6);
	json_decref(j);
	tsunagu_store_conversation_free(c);
}

/* What a channel knows of the visitor reaches the conversation (and so the
 * rules' c.visitor); malformed visitor data refuses the message whole. */
static void test_inbound_visitor(fixture *f, gconstpointer data)
{
	tsunagu_inbound_message m = {
		.channel = "test", .sender_id = "v1", .text = "hi",
		.visitor_json = "{\"page_url\":\"https://shop.example/sale\","
				"\"utm\":{\"campaign\":\"spring-sale\"},\"browser\":\"Chrome\"}"};
	g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, f), ==, 0);
	spin();
	tsunagu_store_conversation *c = NULL;
	g_assert_cmpint(tsunagu_store_conversation_get_by_public_id(f->core.store, f->last_conv, &c),
			==, 0);
	json_t *view = tsunagu_conversation_view(&f->core, c);
	json_t *visitor = json_object_get(view, "visitor");
	g_assert_cmpstr(json_string_value(json_object_get(visitor, "page_url")), ==,
			"https://shop.example/sale");
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(visitor, "utm"),
							   "campaign")), ==, "spring-sale");
	json_decref(view);
	tsunagu_store_conversation_free(c);

	/* the next message updates the page */
	m.visitor_json = "{\"page_url\":\"https://shop.example/cart\"}";
	m.text = "again";
	g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, f), ==, 0);
	spin();
	g_assert_cmpint(tsunagu_store_conversation_get_by_public_id(f->core.store, f->last_conv, &c),
			==, 0);
	view = tsunagu_conversation_view(&f->core, c);
	visitor = json_object_get(view, "visitor");
	g_assert_cmpstr(json_string_value(json_object_get(visitor, "page_url")), ==,
			"https://shop.example/cart");
	g_assert_true(json_is_object(json_object_get(visitor, "utm"))); /* always there */
	g_assert_null(json_object_get(view, "team"));
	json_decref(view);

	/* RULES.md c.team: the name of the conversation's team */
	int64_t team = 0;
	g_assert_cmpint(tsunagu_store_team_create(f->core.store, "サポート", &team), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_assign(f->core.store, c->id, 0, team), ==, 0);
	spin();
	int64_t id = c->id;
	tsunagu_store_conversation_free(c);
	g_assert_cmpint(tsunagu_store_conversation_get(f->core.store, id, &c), ==, 0);
	view = tsunagu_conversation_view(&f->core, c);
	g_assert_cmpstr(json_string_value(json_object_get(view, "team")), ==, "サポート");
	json_decref(view);
	tsunagu_store_conversation_free(c);

	int acks = f->acks;
	static const char *const bad[] = {"[1,2]", "not json", "{\"a\":1,\"a\":2}", "\"s\""};
	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		m.visitor_json = bad[i];
		g_assert_cmpint(tsunagu_domain_inbound(f->core.domain, &m, on_ack, f), ==, -EINVAL);
	}
	spin();
	g_assert_cmpint(f->acks, ==, acks);
}

/* The view of a conversation just opened skips the reads of what it cannot
 * have yet (tags, a call): the same view as the full one, returning
 * customer and all (past conversations, last operator). */
static void test_view_of_new_conversation(fixture *f, gconstpointer data)
{
	tsunagu_store *store = f->core.store;
	int64_t staff = 0, contact = 0, before = 0, id = 0;
	g_assert_cmpint(tsunagu_store_staff_create(store, "amelia", "Amelia", NULL,
						   TSUNAGU_ROLE_OPERATOR, "x", &staff), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_create(store, "Ann", &contact), ==, 0);
	g_assert_cmpint(tsunagu_store_contact_tag(store, contact, "vip", true), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(store, "phone", contact, &before), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_assign(store, before, staff, -1), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_tag(store, before, "claim", true), ==, 0);
	g_assert_cmpint(tsunagu_store_call_create(store, before, "inbound", NULL), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(store, "phone", contact, &id), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_set_visitor(store, id, "{\"browser\":\"x\"}"),
			==, 0);
	spin();
	tsunagu_store_conversation *c = NULL;
	g_assert_cmpint(tsunagu_store_conversation_get(store, id, &c), ==, 0);
	json_t *full = tsunagu_conversation_view(&f->core, c);
	json_t *fresh = tsunagu_conversation_view_new(&f->core, c);
	g_assert_true(json_equal(full, fresh));
	json_t *who = json_object_get(fresh, "contact");
	g_assert_cmpint(json_integer_value(json_object_get(who, "past_conversations")), ==, 1);
	g_assert_cmpstr(json_string_value(json_object_get(who, "last_operator")), ==, "amelia");
	g_assert_true(json_is_true(json_object_get(json_object_get(who, "tags"), "vip")));
	json_decref(full);
	json_decref(fresh);
	tsunagu_store_conversation_free(c);
	/* the older one: its tags, call and assignee read in full */
	g_assert_cmpint(tsunagu_store_conversation_get(store, before, &c), ==, 0);
	full = tsunagu_conversation_view(&f->core, c);
	g_assert_cmpstr(json_string_value(json_object_get(full, "assignee")), ==, "amelia");
	g_assert_true(json_is_true(json_object_get(json_object_get(full, "tags"), "claim")));
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(full, "call"), "state")),
			==, "queued");
	g_assert_cmpint(json_integer_value(json_object_get(json_object_get(full, "contact"),
							   "past_conversations")), ==, 1);
	json_decref(full);
	tsunagu_store_conversation_free(c);
}

static void test_channel_registry(fixture *f, gconstpointer data)
{
	int other = 0;
	g_assert_cmpint(tsunagu_domain_register_channel(f->core.domain, "test", deliver, f, &other),
			==, -EEXIST);
	g_assert_cmpint(tsunagu_domain_register_channel(f->core.domain, "UPPER", deliver, f, f), ==,
			-EINVAL);
	tsunagu_domain_unregister_owner(f->core.domain, f);
	g_assert_cmpint(tsunagu_domain_register_channel(f->core.domain, "test", deliver, f, &other),
			==, 0);
}

/* The store no longer checks a payload (migration 11): emit refuses what
 * is not a JSON object, writes nothing and delivers nothing. */
static void test_events_refuse_non_object_payload(fixture *f, gconstpointer data)
{
	int64_t last = tsunagu_store_events_last_seq(f->core.store);
	json_t *bad[] = { json_pack("[i]", 1), json_string("{}"), json_integer(1), json_null() };

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_cmpint(tsunagu_events_emit(f->core.events, "test.bad", 0, 0, bad[i], NULL),
				==, -EINVAL);
		json_decref(bad[i]);
	}
	g_assert_cmpint(tsunagu_store_flush(f->core.store), ==, 0);
	spin();
	g_assert_cmpint(tsunagu_store_events_last_seq(f->core.store), ==, last);
	g_assert_cmpuint(f->seen->len, ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, fixture, NULL, setup, fn, teardown)
	ADD("/events/after-commit-in-order", test_events_after_commit_in_order);
	ADD("/events/rolled-back-never-delivered", test_rolled_back_events_are_never_delivered);
	ADD("/events/refuse-non-object-payload", test_events_refuse_non_object_payload);
	ADD("/domain/inbound-opens-once-acks-after-commit",
	    test_inbound_opens_once_and_acks_after_commit);
	ADD("/domain/inbound-rejects-bad-input", test_inbound_rejects_bad_input);
	ADD("/domain/notes-never-reach-the-channel", test_notes_never_reach_the_channel);
	ADD("/domain/channel-registry", test_channel_registry);
	ADD("/domain/inbound-visitor", test_inbound_visitor);
	ADD("/domain/view-of-new-conversation", test_view_of_new_conversation);
	ADD("/domain/message-event-payloads", test_message_event_payloads);
	return g_test_run();
}
