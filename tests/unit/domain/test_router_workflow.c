/* Workflow actions through the router, with a real rules host and its
 * durable timers on a controlled clock: the admin's "reassign quiet"
 * workflow gives a conversation to another operator when its assignee has
 * not replied in time, and leaves it alone when they did; assign(target,
 * {exclude}) routes by the target given. */
#include "router_fixture.h"

#include <glib/gstdio.h>

#include "rules.h"
#include "rules_timers.h"
#include "workflows.h"

static const char quiet_rules[] =
	"workflow \"reassign quiet\" {\n"
	"  on = \"conversation.assigned\", after = \"10m\",\n"
	"  run = function(c) if c.assignee and not c.replied then return { reassign() } end end,\n"
	"}\n"
	"workflow \"vip to sales\" {\n"
	"  on = \"conversation.created\",\n"
	"  run = function(c) if c.contact.name == \"vip\" then\n"
	"    return assign(team \"sales\", { exclude = \"a\" }) end end,\n"
	"}\n";

typedef struct {
	fixture f;
	char *rules_dir;
	tsunagu_workflows *workflows;
} wf_fixture;

static void wf_setup(wf_fixture *w, gconstpointer data)
{
	setup(&w->f, data);
	w->rules_dir = g_build_filename(w->f.dir, "rules", NULL);
	g_assert_cmpint(g_mkdir(w->rules_dir, 0700), ==, 0);
	char *file = g_build_filename(w->rules_dir, "workflow.lua", NULL);
	g_assert_true(g_file_set_contents(file, quiet_rules, -1, NULL));
	g_free(file);
	tsunagu_rules_options opts = {.dir = w->rules_dir, .time_limit_ms = 5000};
	GError *error = NULL;
	g_assert_cmpint(tsunagu_rules_new(&w->f.core, &opts, &w->f.core.rules, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(tsunagu_workflows_new(&w->f.core, &w->workflows), ==, 0);
}

static void wf_teardown(wf_fixture *w, gconstpointer data)
{
	tsunagu_store_flush(w->f.core.store);
	tsunagu_workflows_free(w->workflows);
	tsunagu_rules_free(w->f.core.rules);
	w->f.core.rules = NULL;
	char *file = g_build_filename(w->rules_dir, "workflow.lua", NULL);
	g_unlink(file);
	g_free(file);
	g_rmdir(w->rules_dir);
	g_free(w->rules_dir);
	teardown(&w->f, data);
}

static void fire(wf_fixture *w)
{
	tsunagu_timers_fire_due(tsunagu_rules_timers(w->f.core.rules));
	spin();
}

static void test_reassign_quiet(wf_fixture *w, gconstpointer data)
{
	fixture *f = &w->f;
	int64_t a = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	int64_t b = operator(f, "b", TSUNAGU_ROLE_OPERATOR);
	available(f, a, 3);
	available(f, b, 3);
	int64_t quiet = arrive_now(f), answered = arrive_now(f);
	g_assert_cmpint(assignee(f, quiet), ==, a);
	g_assert_cmpint(assignee(f, answered), ==, b);
	g_assert_cmpint(tsunagu_domain_post(f->core.domain, answered, b, TSUNAGU_MSG_OPERATOR,
					    "はい、承ります", NULL, NULL, NULL),
			==, 0);
	spin();
	fake_now += 8 * MINUTE; /* quiet was assigned 9 minutes ago */
	fire(w);
	g_assert_cmpint(assignee(f, quiet), ==, a); /* not yet */
	fake_now += 3 * MINUTE;
	fire(w);
	/* a never replied: b now; b replied: stays */
	g_assert_cmpint(assignee(f, quiet), ==, b);
	g_assert_cmpint(assignee(f, answered), ==, b);
	json_t *ev = last_event(f, "conversation.assigned");
	g_assert_cmpint(json_integer_value(json_object_get(ev, "from")), ==, a);
	json_decref(ev);
	g_assert_cmpuint(count_events(f, "workflow.action_skipped"), ==, 0);
}

static void test_assign_action(wf_fixture *w, gconstpointer data)
{
	fixture *f = &w->f;
	int64_t a = operator(f, "a", TSUNAGU_ROLE_OPERATOR);
	int64_t b = operator(f, "b", TSUNAGU_ROLE_OPERATOR);
	int64_t c = operator(f, "c", TSUNAGU_ROLE_OPERATOR);
	int64_t team = 0;
	g_assert_cmpint(tsunagu_store_team_create(f->core.store, "sales", &team), ==, 0);
	g_assert_cmpint(tsunagu_store_team_add_member(f->core.store, team, a), ==, 0);
	g_assert_cmpint(tsunagu_store_team_add_member(f->core.store, team, b), ==, 0);
	available(f, c, 3);
	available(f, a, 3);
	available(f, b, 3);
	int64_t contact = 0, id = 0;
	g_assert_cmpint(tsunagu_store_contact_create(f->core.store, "vip", &contact), ==, 0);
	fake_now += MINUTE;
	g_assert_cmpint(tsunagu_store_conversation_create(f->core.store, "web", contact, &id), ==,
			0);
	json_t *created = json_pack("{s:s}", "conversation", "x");
	g_assert_cmpint(tsunagu_events_emit(f->core.events, "conversation.created", id, 0, created,
					    NULL),
			==, 0);
	json_decref(created);
	spin();
	/* sales without a: b, although c was idle the longest */
	g_assert_cmpint(assignee(f, id), ==, b);
	tsunagu_store_conversation *cv = conv(f, id);
	g_assert_cmpint(cv->team_id, ==, team);
	tsunagu_store_conversation_free(cv);
}

int main(int argc, char **argv)
{
	setenv("TZ", "UTC", 1);
	tzset();
	tsunagu_core_set_clock(fake_clock);
	g_test_init(&argc, &argv, NULL);
	g_test_add("/engine/workflow/reassign-quiet", wf_fixture, NULL, wf_setup,
		   test_reassign_quiet, wf_teardown);
	g_test_add("/engine/workflow/assign", wf_fixture, NULL, wf_setup, test_assign_action,
		   wf_teardown);
	return g_test_run();
}
