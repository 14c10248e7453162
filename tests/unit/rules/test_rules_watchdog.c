/* The limit watchdog (core/rules/rules_watchdog.c) samples the call in
 * progress at a quarter of the smallest time limit instead of every
 * millisecond: a runaway call is still stopped at its time limit counted
 * from its start, once armed it stays stopped whatever pcall it hides
 * behind, and the period follows the files that live. */
#include <string.h>

#include "rules_internal.h"
#include "rules_test_util.h"

#define LIMIT_MS 30

static const char slow_file[] =
	"route \"slow\" {\n"
	"  when = function(c)\n"
	"    if c.id == \"runaway\" then while true do end end\n"
	"    if c.id == \"hidden\" then\n"
	"      while true do pcall(function() while true do end end) end\n"
	"    end\n"
	"    return false\n"
	"  end,\n"
	"  to = team \"slow\",\n"
	"}\n"
	"route \"rest\" {\n"
	"  when = function(c) return c.channel == \"web\" end,\n"
	"  to = team \"rest\",\n"
	"}\n";

static tsunagu_rules *open_limit(const char *dir, int64_t limit_ms)
{
	tsunagu_rules_options opts;
	tsunagu_rules *rules = NULL;
	GError *error = NULL;

	rtu_write(dir, "route.lua", slow_file);
	rtu_options(&opts, dir);
	opts.instruction_limit = G_MAXUINT64 / 2; /* only the clock stops it */
	opts.time_limit_ms = limit_ms;
	g_assert_cmpint(tsunagu_rules_new(NULL, &opts, &rules, &error), ==, 0);
	g_assert_no_error(error);
	return rules;
}

static tsunagu_rules *open_slow(const char *dir)
{
	return open_limit(dir, LIMIT_MS);
}

/* Routes c.id and checks that the runaway rule was stopped by its time
 * limit, no sooner than the limit after the call began, and that the next
 * rule decided. */
static void expect_stopped(tsunagu_rules *rules, const char *id)
{
	json_t *c = rtu_conv(id, "web");
	unsigned armed = rules_watchdog_armed();
	int64_t start = g_get_monotonic_time();
	tsunagu_route_decision *d = tsunagu_rules_route(rules, c);
	int64_t took = g_get_monotonic_time() - start;

	g_assert_cmpstr(d->rule_name, ==, "rest");
	g_assert_cmpuint(d->errors->len, ==, 1);
	const char *err = d->errors->pdata[0];
	rtu_assert_file_line(err, "route.lua");
	g_assert_nonnull(strstr(err, "time limit exceeded"));
	/* The deadline counts from the start of the call, never earlier. */
	g_assert_cmpint(took, >=, LIMIT_MS * 1000);
	/* The timer armed this call's hook once: it is what stopped it. */
	g_assert_cmpuint(rules_watchdog_armed() - armed, ==, 1);
	tsunagu_route_decision_free(d);
	json_decref(c);
}

static void test_runaway_stopped_at_limit(void)
{
	char *dir = rtu_tmpdir();
	tsunagu_rules *rules = open_slow(dir);

	for (int round = 0; round < 3; round++) {
		expect_stopped(rules, "runaway");
		expect_stopped(rules, "hidden");
		/* ordinary calls keep working between runaways */
		json_t *c = rtu_conv("calm", "web");
		tsunagu_route_decision *d = tsunagu_rules_route(rules, c);
		g_assert_cmpstr(d->rule_name, ==, "rest");
		g_assert_cmpuint(d->errors->len, ==, 0);
		tsunagu_route_decision_free(d);
		json_decref(c);
	}
	tsunagu_rules_free(rules);
	rtu_rmdir(dir);
	g_free(dir);
}

/* The sampling period is a quarter of the smallest time limit of the live
 * files (bounded to 1-25 ms), and follows files as they come and go: a
 * generation with a shorter limit is watched more closely, and when it goes
 * the watchdog slows down again. */
static void test_period_follows_limits(void)
{
	char *dir = rtu_tmpdir(), *dir2 = rtu_tmpdir();

	g_assert_cmpint(rules_watchdog_period_us(), ==, 0);
	tsunagu_rules *slow = open_slow(dir);
	g_assert_cmpint(rules_watchdog_period_us(), ==, LIMIT_MS * 1000 / 4);
	tsunagu_rules *fast = open_limit(dir2, 8);
	g_assert_cmpint(rules_watchdog_period_us(), ==, 2000);
	expect_stopped(slow, "runaway");
	tsunagu_rules_free(fast);
	g_assert_cmpint(rules_watchdog_period_us(), ==, LIMIT_MS * 1000 / 4);
	tsunagu_rules_free(slow);
	g_assert_cmpint(rules_watchdog_period_us(), ==, 0);

	/* bounded both ways */
	tsunagu_rules *tiny = open_limit(dir, 2);
	g_assert_cmpint(rules_watchdog_period_us(), ==, 1000);
	tsunagu_rules_free(tiny);
	tsunagu_rules *lax = open_limit(dir2, 10000);
	g_assert_cmpint(rules_watchdog_period_us(), ==, 25000);
	tsunagu_rules_free(lax);

	/* the thread goes with the last file and comes back with the next */
	slow = open_slow(dir);
	expect_stopped(slow, "runaway");
	tsunagu_rules_free(slow);
	rtu_rmdir(dir);
	rtu_rmdir(dir2);
	g_free(dir);
	g_free(dir2);
}

/* A call from another thread than the owner (the first caller) arms its
 * hook at once and is stopped all the same. */
static gpointer other_thread(gpointer data)
{
	tsunagu_rules *rules = data;
	json_t *c = rtu_conv("runaway", "web");
	unsigned armed = rules_watchdog_armed();
	tsunagu_route_decision *d = tsunagu_rules_route(rules, c);
	g_assert_cmpstr(d->rule_name, ==, "rest");
	g_assert_nonnull(strstr(d->errors->pdata[0], "time limit exceeded"));
	g_assert_cmpuint(rules_watchdog_armed(), ==, armed);
	tsunagu_route_decision_free(d);
	json_decref(c);
	return NULL;
}

static void test_other_thread(void)
{
	char *dir = rtu_tmpdir();
	tsunagu_rules *rules = open_slow(dir);

	expect_stopped(rules, "runaway"); /* this thread owns the timer */
	g_thread_join(g_thread_new("other", other_thread, rules));
	tsunagu_rules_free(rules);
	rtu_rmdir(dir);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rules/watchdog/runaway-stopped-at-limit", test_runaway_stopped_at_limit);
	g_test_add_func("/rules/watchdog/period-follows-limits", test_period_follows_limits);
	g_test_add_func("/rules/watchdog/other-thread", test_other_thread);
	return g_test_run();
}
