/* tsunagu_events_payload: subscribers of one event share one parsed payload
 * (the same object, parsed once), each event gets its own, a payload that
 * does not parse is NULL for all, and outside a delivery there is none. */
#include <glib.h>
#include <string.h>

#include "core.h"
#include "domain_test_core.h"
#include "events.h"
#include "store.h"

typedef struct {
	tsunagu_core core;
	char *dir;
	char *db;
	GPtrArray *first;  /* json_t* the first subscriber got, per event (ref held) */
	GPtrArray *second; /* the same for the second */
	GPtrArray *values; /* char* "type:x" read by the second subscriber */
	const tsunagu_store_event *last;
} fixture;

static void keep(GPtrArray *into, json_t *payload)
{
	g_ptr_array_add(into, payload ? json_incref(payload) : NULL);
}

static void on_first(const tsunagu_store_event *ev, void *p)
{
	fixture *f = p;
	keep(f->first, tsunagu_events_payload(f->core.events, ev));
	f->last = ev;
}

static void on_second(const tsunagu_store_event *ev, void *p)
{
	fixture *f = p;
	json_t *payload = tsunagu_events_payload(f->core.events, ev);
	/* asking twice gives the same object */
	g_assert_true(payload == tsunagu_events_payload(f->core.events, ev));
	keep(f->second, payload);
	g_ptr_array_add(f->values,
			g_strdup_printf("%s:%" G_GINT64_FORMAT, ev->type,
					(gint64)json_integer_value(json_object_get(payload, "x"))));
}

static void drop(gpointer j)
{
	json_decref(j);
}

static void setup(fixture *f, gconstpointer data)
{
	memset(f, 0, sizeof *f);
	domain_test_core_open(&f->core, "test-events-payload", "full", &f->dir, &f->db);
	f->first = g_ptr_array_new_with_free_func(drop);
	f->second = g_ptr_array_new_with_free_func(drop);
	f->values = g_ptr_array_new_with_free_func(g_free);
	tsunagu_events_subscribe(f->core.events, on_first, f);
	tsunagu_events_subscribe(f->core.events, on_second, f);
}

static void teardown(fixture *f, gconstpointer data)
{
	domain_test_core_close(&f->core, f->dir, f->db);
	g_ptr_array_unref(f->first);
	g_ptr_array_unref(f->second);
	g_ptr_array_unref(f->values);
}

static void test_shared_once_per_event(fixture *f, gconstpointer data)
{
	g_assert_cmpint(tsunagu_events_emit_text(f->core.events, "t.one", 0, 0, "{\"x\":1}", NULL),
			==, 0);
	g_assert_cmpint(tsunagu_events_emit_text(f->core.events, "t.two", 0, 0, "{\"x\":2}", NULL),
			==, 0);
	g_assert_cmpint(tsunagu_store_flush(f->core.store), ==, 0);
	g_assert_cmpuint(f->values->len, ==, 2);
	g_assert_cmpstr(f->values->pdata[0], ==, "t.one:1");
	g_assert_cmpstr(f->values->pdata[1], ==, "t.two:2");
	/* one object per event, the same for both subscribers */
	g_assert_true(f->first->pdata[0] && f->first->pdata[0] == f->second->pdata[0]);
	g_assert_true(f->first->pdata[1] && f->first->pdata[1] == f->second->pdata[1]);
	g_assert_true(f->first->pdata[0] != f->first->pdata[1]);
	/* after the delivery: not the event being delivered any more */
	g_assert_null(tsunagu_events_payload(f->core.events, f->last));
}

static void test_unparsable_is_null(fixture *f, gconstpointer data)
{
	/* emit_text does not check its text (the core's own composers only):
	 * a broken one reaches subscribers as NULL, not as a crash */
	g_assert_cmpint(tsunagu_events_emit_text(f->core.events, "t.bad", 0, 0, "{\"x\":", NULL), ==,
			0);
	g_assert_cmpint(tsunagu_store_flush(f->core.store), ==, 0);
	g_assert_cmpuint(f->values->len, ==, 1);
	g_assert_cmpstr(f->values->pdata[0], ==, "t.bad:0");
	g_assert_null(f->first->pdata[0]);
	g_assert_null(f->second->pdata[0]);
}

static void test_emit_json_payload(fixture *f, gconstpointer data)
{
	json_t *payload = json_pack("{s:i}", "x", 7);
	g_assert_cmpint(tsunagu_events_emit(f->core.events, "t.json", 0, 0, payload, NULL), ==, 0);
	g_assert_cmpint(tsunagu_events_emit(f->core.events, "t.empty", 0, 0, NULL, NULL), ==, 0);
	json_decref(payload);
	g_assert_cmpint(tsunagu_store_flush(f->core.store), ==, 0);
	g_assert_cmpuint(f->values->len, ==, 2);
	g_assert_cmpstr(f->values->pdata[0], ==, "t.json:7");
	g_assert_cmpstr(f->values->pdata[1], ==, "t.empty:0");
	g_assert_true(json_is_object((json_t *)f->second->pdata[1]));
	g_assert_cmpuint(json_object_size(f->second->pdata[1]), ==, 0);
}

#define ADD(path, fn) g_test_add(path, fixture, NULL, setup, fn, teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	ADD("/events/payload/shared_once_per_event", test_shared_once_per_event);
	ADD("/events/payload/unparsable_is_null", test_unparsable_is_null);
	ADD("/events/payload/emit_json_payload", test_emit_json_payload);
	return g_test_run();
}
