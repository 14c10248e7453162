/* Workflows: immediate actions, hostile `run` results, and durable timers
 * (after / cancel_on) that survive a restart of the host and of the store,
 * on a controlled clock and on the real GLib loop. */
#include <string.h>

#include "core.h"
#include "rules_test_util.h"
#include "store.h"

static int64_t fake_now_us = 1800000000LL * G_USEC_PER_SEC;

static int64_t fake_clock(void)
{
	return fake_now_us;
}

static json_t *conv(const char *json)
{
	json_t *c = json_loads(json, 0, NULL);
	g_assert_nonnull(c);
	return c;
}

static void test_immediate_actions(void)
{
	char *dir = rtu_tmpdir();
	rtu_write(dir, "workflow.lua",
		  "workflow \"tag vip\" {\n"
		  "  on = 'message.customer',\n"
		  "  when = function(c) return c.contact.tags.vip end,\n"
		  "  run = function(c) return { tag 'vip', set_attribute('seen', 1) } end,\n"
		  "}\n"
		  "workflow \"hostile list\" {\n"
		  "  on = 'message.customer',\n"
		  "  run = function(c)\n"
		  "    return setmetatable({}, { __index = function() error('gotcha') end })\n"
		  "  end,\n"
		  "}\n"
		  "workflow \"endless list\" {\n"
		  "  on = 'message.customer',\n"
		  "  run = function(c)\n"
		  "    return setmetatable({}, { __index = function() return tag 'x' end })\n"
		  "  end,\n"
		  "}\n"
		  "workflow \"not an action\" {\n"
		  "  on = 'message.customer',\n"
		  "  run = function(c) return { 'tag' } end,\n"
		  "}\n"
		  "workflow \"single\" {\n"
		  "  on = 'message.customer',\n"
		  "  run = function(c) return assign('sato', { exclude = { 'suzuki' } }) end,\n"
		  "}\n"
		  "workflow \"other event\" {\n"
		  "  on = 'conversation.closed',\n"
		  "  run = function(c) return close() end,\n"
		  "}\n");
	tsunagu_rules *rules = rtu_open(dir);
	json_t *c = conv("{\"id\":\"c1\",\"contact\":{\"tags\":{\"vip\":true}}}");
	tsunagu_workflow_result *r = tsunagu_rules_on_event(rules, "message.customer", c, 0);
	char *text = json_dumps(r->actions, JSON_COMPACT | JSON_SORT_KEYS);
	g_assert_cmpstr(text, ==,
			"[{\"action\":\"tag\",\"tag\":\"vip\",\"workflow\":\"tag vip\"},"
			"{\"action\":\"set_attribute\",\"key\":\"seen\",\"value\":1,"
			"\"workflow\":\"tag vip\"},"
			"{\"action\":\"assign\",\"exclude\":[\"suzuki\"],\"target\":{\"kind\":"
			"\"operators\",\"operators\":[\"sato\"],\"teams\":[]},\"workflow\":\"single\"}]");
	free(text);
	g_assert_cmpuint(r->errors->len, ==, 3);
	g_assert_true(g_str_has_prefix(r->errors->pdata[0], "workflow.lua:9: gotcha"));
	g_assert_nonnull(strstr(r->errors->pdata[1], "more than 100 actions"));
	g_assert_nonnull(strstr(r->errors->pdata[2], "item 1 is not an action"));
	rtu_assert_file_line(r->errors->pdata[2], "workflow.lua");
	tsunagu_workflow_result_free(r);

	r = tsunagu_rules_on_event(rules, "conversation.closed", c, 0);
	g_assert_cmpuint(json_array_size(r->actions), ==, 1);
	g_assert_cmpuint(r->errors->len, ==, 0);
	tsunagu_workflow_result_free(r);
	r = tsunagu_rules_on_event(rules, "call.missed", c, 0);
	g_assert_cmpuint(json_array_size(r->actions), ==, 0);
	tsunagu_workflow_result_free(r);
	json_decref(c);
	tsunagu_rules_free(rules);
	rtu_rmdir(dir);
	g_free(dir);
}

static const char timer_rules[] =
	"workflow \"Reassign when the assignee is silent\" {\n"
	"  on        = 'message.customer',\n"
	"  when      = function(c) return c.assignee ~= nil end,\n"
	"  after     = '10m',\n"
	"  cancel_on = 'message.operator',\n"
	"  run       = function(c) return assign(team(c.team), { exclude = c.assignee }) end,\n"
	"}\n";

typedef struct {
	GPtrArray *conversations;
	json_t *actions; /* all received, appended */
	GMainLoop *loop;
} received;

static void on_actions(const char *conversation_id, json_t *actions, void *user_data)
{
	received *rc = user_data;
	g_ptr_array_add(rc->conversations, g_strdup(conversation_id));
	json_array_extend(rc->actions, actions);
	if (rc->loop)
		g_main_loop_quit(rc->loop);
}

typedef struct {
	char *dir;
	char *db;
	tsunagu_core core;
	tsunagu_rules *rules;
	received rc;
} fixture;

static void start(fixture *fx)
{
	tsunagu_store_options so = {.path = fx->db, .synchronous = "full", .busy_timeout_ms = 1000};
	g_assert_cmpint(tsunagu_store_open(&so, &fx->core.store), ==, 0);
	tsunagu_rules_options opts;
	rtu_options(&opts, fx->dir);
	GError *error = NULL;
	g_assert_cmpint(tsunagu_rules_new(&fx->core, &opts, &fx->rules, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_nonnull(tsunagu_rules_timers(fx->rules));
	tsunagu_rules_set_action_handler(fx->rules, on_actions, &fx->rc);
}

static void stop(fixture *fx)
{
	g_assert_cmpint(tsunagu_store_flush(fx->core.store), ==, 0);
	g_clear_pointer(&fx->rules, tsunagu_rules_free);
	g_clear_pointer(&fx->core.store, tsunagu_store_close);
}

static void fixture_setup(fixture *fx, const void *data)
{
	memset(fx, 0, sizeof *fx);
	fx->dir = rtu_tmpdir();
	rtu_write(fx->dir, "workflow.lua", timer_rules);
	fx->db = g_build_filename(fx->dir, "store.db", NULL);
	fx->rc.conversations = g_ptr_array_new_with_free_func(g_free);
	fx->rc.actions = json_array();
	tsunagu_core_set_clock(fake_clock);
}

static void fixture_teardown(fixture *fx, const void *data)
{
	if (fx->rules || fx->core.store)
		stop(fx);
	g_ptr_array_unref(fx->rc.conversations);
	json_decref(fx->rc.actions);
	tsunagu_core_set_clock(NULL);
	rtu_rmdir(fx->dir);
	g_free(fx->db);
	g_free(fx->dir);
}

static tsunagu_workflow_result *event(fixture *fx, const char *type, const char *id)
{
	char *json = g_strdup_printf("{\"id\":\"%s\",\"assignee\":\"sato\",\"team\":\"support\"}",
				     id);
	json_t *c = conv(json);
	tsunagu_workflow_result *r = tsunagu_rules_on_event(fx->rules, type, c, 0);
	json_decref(c);
	g_free(json);
	g_assert_cmpuint(r->errors->len, ==, 0);
	return r;
}

static int fire(fixture *fx)
{
	return tsunagu_timers_fire_due(tsunagu_rules_timers(fx->rules));
}

/* Events nobody listens to are known without evaluating anything. */
static void test_listens(void)
{
	char *dir = rtu_tmpdir();
	rtu_write(dir, "workflow.lua",
		  "workflow \"a\" { on = \"message.customer\", run = function(c) return tag \"x\" end }\n"
		  "workflow \"b\" { on = \"conversation.created\", after = \"10m\",\n"
		  "  cancel_on = \"message.operator\", run = function(c) return tag \"y\" end }\n");
	tsunagu_rules *rules = rtu_open(dir);
	g_assert_true(tsunagu_rules_listens(rules, "message.customer"));
	g_assert_true(tsunagu_rules_listens(rules, "conversation.created"));
	g_assert_true(tsunagu_rules_listens(rules, "message.operator")); /* cancels */
	g_assert_false(tsunagu_rules_listens(rules, "conversation.closed"));
	g_assert_false(tsunagu_rules_listens(rules, NULL));
	g_assert_false(tsunagu_rules_listens(NULL, "message.customer"));
	tsunagu_rules_free(rules);
	rtu_rmdir(dir);
	g_free(dir);
}

static void test_timer_survives_restart(fixture *fx, const void *data)
{
	start(fx);
	tsunagu_workflow_result *r = event(fx, "message.customer", "c1");
	g_assert_cmpuint(json_array_size(r->actions), ==, 0);
	g_assert_cmpuint(json_array_size(r->scheduled), ==, 1);
	json_t *s = json_array_get(r->scheduled, 0);
	g_assert_true(json_is_true(json_object_get(s, "armed")));
	g_assert_cmpstr(json_string_value(json_object_get(s, "key")), ==,
			"wf:Reassign when the assignee is silent:c1");
	g_assert_cmpint(json_integer_value(json_object_get(s, "due_at")), ==,
			fake_now_us / G_USEC_PER_SEC + 600);
	tsunagu_workflow_result_free(r);
	stop(fx); /* the process goes away */

	start(fx); /* a new process, the same database file */
	fake_now_us += 5 * 60 * G_USEC_PER_SEC;
	g_assert_cmpint(fire(fx), ==, 0);
	g_assert_cmpuint(fx->rc.conversations->len, ==, 0);
	fake_now_us += 5 * 60 * G_USEC_PER_SEC + 1;
	g_assert_cmpint(fire(fx), ==, 1);
	g_assert_cmpuint(fx->rc.conversations->len, ==, 1);
	g_assert_cmpstr(fx->rc.conversations->pdata[0], ==, "c1");
	char *text = json_dumps(fx->rc.actions, JSON_COMPACT | JSON_SORT_KEYS);
	g_assert_cmpstr(text, ==, "[{\"action\":\"assign\",\"exclude\":[\"sato\"],\"target\":"
				  "{\"kind\":\"team\",\"name\":\"support\"},\"workflow\":"
				  "\"Reassign when the assignee is silent\"}]");
	free(text);
	/* fired once: the row went with the batch */
	g_assert_cmpint(fire(fx), ==, 0);
	stop(fx);
	start(fx);
	fake_now_us += 3600LL * G_USEC_PER_SEC;
	g_assert_cmpint(fire(fx), ==, 0);
	g_assert_cmpuint(fx->rc.conversations->len, ==, 1);
}

static void test_cancel_and_restart_wait(fixture *fx, const void *data)
{
	start(fx);
	tsunagu_workflow_result_free(event(fx, "message.customer", "c2"));
	tsunagu_workflow_result_free(event(fx, "message.customer", "c3"));
	tsunagu_workflow_result *r = event(fx, "message.operator", "c2");
	g_assert_cmpuint(json_array_size(r->cancelled), ==, 1);
	g_assert_cmpstr(json_string_value(json_array_get(r->cancelled, 0)), ==,
			"wf:Reassign when the assignee is silent:c2");
	tsunagu_workflow_result_free(r);
	/* a new customer message restarts c3's wait */
	fake_now_us += 8 * 60 * G_USEC_PER_SEC;
	tsunagu_workflow_result_free(event(fx, "message.customer", "c3"));
	fake_now_us += 8 * 60 * G_USEC_PER_SEC;
	g_assert_cmpint(fire(fx), ==, 0);
	fake_now_us += 2 * 60 * G_USEC_PER_SEC;
	g_assert_cmpint(fire(fx), ==, 1);
	g_assert_cmpuint(fx->rc.conversations->len, ==, 1);
	g_assert_cmpstr(fx->rc.conversations->pdata[0], ==, "c3");
}

static json_t *fresh_view(const char *conversation_id, void *user_data)
{
	return json_pack("{s:s, s:s, s:s}", "id", conversation_id, "assignee", "kato", "team",
			 "escalation");
}

static void test_fresh_view(fixture *fx, const void *data)
{
	start(fx);
	tsunagu_rules_set_view_provider(fx->rules, fresh_view, NULL);
	tsunagu_workflow_result_free(event(fx, "message.customer", "c4"));
	fake_now_us += 11 * 60 * G_USEC_PER_SEC;
	g_assert_cmpint(fire(fx), ==, 1);
	json_t *a = json_array_get(fx->rc.actions, 0);
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(a, "target"), "name")),
			==, "escalation");
}

static gboolean give_up(void *data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

static void test_glib_timeout_fires(fixture *fx, const void *data)
{
	tsunagu_core_set_clock(NULL); /* the real clock: the GLib timeout must fire */
	char *fast = g_strdup(timer_rules);
	char *ten = strstr(fast, "'10m'");
	memcpy(ten, "'1s' ", 5);
	rtu_write(fx->dir, "workflow.lua", fast);
	g_free(fast);
	start(fx);
	fx->rc.loop = g_main_loop_new(NULL, FALSE);
	int64_t t0 = g_get_monotonic_time();
	tsunagu_workflow_result_free(event(fx, "message.customer", "c5"));
	guint guard = g_timeout_add_seconds(10, give_up, fx->rc.loop);
	g_main_loop_run(fx->rc.loop);
	g_source_remove(guard);
	int64_t waited = g_get_monotonic_time() - t0;
	g_assert_cmpuint(fx->rc.conversations->len, ==, 1);
	g_assert_cmpint(waited, >=, 900 * 1000);
	g_assert_cmpint(waited, <, 5 * G_USEC_PER_SEC);
	g_main_loop_unref(fx->rc.loop);
	fx->rc.loop = NULL;
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rules/workflow/immediate-actions", test_immediate_actions);
	g_test_add_func("/rules/workflow/listens", test_listens);
	g_test_add("/rules/workflow/timer-survives-restart", fixture, NULL, fixture_setup,
		   test_timer_survives_restart, fixture_teardown);
	g_test_add("/rules/workflow/cancel-and-restart-wait", fixture, NULL, fixture_setup,
		   test_cancel_and_restart_wait, fixture_teardown);
	g_test_add("/rules/workflow/fresh-view", fixture, NULL, fixture_setup, test_fresh_view,
		   fixture_teardown);
	g_test_add("/rules/workflow/glib-timeout-fires", fixture, NULL, fixture_setup,
		   test_glib_timeout_fires, fixture_teardown);
	return g_test_run();
}
