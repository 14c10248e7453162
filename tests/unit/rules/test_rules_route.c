/* Route rules: order, first match, fall-through of broken rules to the
 * next and to the default, target shapes, the read-only view and its
 * defaults, business hours on a controlled clock. */
#include <string.h>

#include "core.h"
#include "rules_test_util.h"

static int64_t fake_now_us;

static int64_t fake_clock(void)
{
	return fake_now_us;
}

static tsunagu_route_decision *route_json(tsunagu_rules *rules, const char *json)
{
	json_error_t jerr;
	json_t *c = json_loads(json, 0, &jerr);
	g_assert_nonnull(c);
	tsunagu_route_decision *d = tsunagu_rules_route(rules, c);
	json_decref(c);
	return d;
}

static char *target_text(const tsunagu_route_decision *d)
{
	return json_dumps(d->target, JSON_COMPACT | JSON_SORT_KEYS);
}

static void test_first_match_and_default(void)
{
	char *dir = rtu_tmpdir();
	rtu_write(dir, "route.lua",
		  "route \"phone\" {\n"
		  "  when = function(c) return c.channel == 'phone' end,\n"
		  "  to = team 'voice', method = 'ring_all',\n"
		  "}\n"
		  "route \"also phone, never reached\" {\n"
		  "  when = function(c) return c.channel == 'phone' end,\n"
		  "  to = team 'other',\n"
		  "}\n"
		  "route \"line\" {\n"
		  "  when = function(c) return c.channel == 'line' end,\n"
		  "  to = operators { 'sato', team 'support', 'suzuki' }, method = 'round_robin',\n"
		  "}\n");
	tsunagu_rules *rules = rtu_open(dir);

	tsunagu_route_decision *d = route_json(rules, "{\"channel\":\"phone\"}");
	g_assert_cmpstr(d->rule_name, ==, "phone");
	g_assert_cmpstr(d->rule_file, ==, "route.lua");
	g_assert_cmpint(d->rule_line, ==, 1);
	g_assert_cmpstr(d->method, ==, "ring_all");
	char *t = target_text(d);
	g_assert_cmpstr(t, ==, "{\"kind\":\"team\",\"name\":\"voice\"}");
	free(t);
	tsunagu_route_decision_free(d);

	d = route_json(rules, "{\"channel\":\"line\"}");
	g_assert_cmpstr(d->rule_name, ==, "line");
	g_assert_cmpint(d->rule_line, ==, 9);
	t = target_text(d);
	g_assert_cmpstr(t, ==, "{\"kind\":\"operators\",\"operators\":[\"sato\",\"suzuki\"],"
			       "\"teams\":[\"support\"]}");
	free(t);
	tsunagu_route_decision_free(d);

	/* nothing matches: the built-in default */
	d = route_json(rules, "{\"channel\":\"web\"}");
	g_assert_cmpstr(d->rule_name, ==, "default");
	g_assert_null(d->rule_file);
	g_assert_cmpstr(d->method, ==, "longest_idle");
	t = target_text(d);
	g_assert_cmpstr(t, ==, "{\"kind\":\"all_available\"}");
	free(t);
	g_assert_cmpuint(d->errors->len, ==, 0);
	tsunagu_route_decision_free(d);

	/* a NULL host gives the default too */
	d = route_json(NULL, "{}");
	g_assert_cmpstr(d->rule_name, ==, "default");
	tsunagu_route_decision_free(d);
	tsunagu_rules_free(rules);
	rtu_rmdir(dir);
	g_free(dir);
}

static void test_broken_rules_fall_through(void)
{
	char *dir = rtu_tmpdir();
	rtu_write(dir, "route.lua",
		  "route \"raises\" {\n"
		  "  when = function(c)\n"
		  "    if c.id == 'x' then error('boom') end\n"
		  "  end,\n"
		  "  to = team 'a',\n"
		  "}\n"
		  "route \"indexes nil\" {\n"
		  "  when = function(c) return c.nothing.here == 1 end,\n"
		  "  to = team 'b',\n"
		  "}\n"
		  "route \"wants phone\" {\n"
		  "  when = function(c) return c.channel == 'phone' end,\n"
		  "  to = last_operator { fallback = crm_owner { attribute = 'rep' } },\n"
		  "}\n");
	/* "indexes nil" raises on the synthetic conversations: a warning only */
	tsunagu_rules *rules = rtu_open(dir);

	tsunagu_route_decision *d = route_json(rules, "{\"id\":\"x\",\"channel\":\"phone\"}");
	g_assert_cmpstr(d->rule_name, ==, "wants phone");
	g_assert_cmpuint(d->errors->len, ==, 2);
	g_assert_cmpstr(d->errors->pdata[0], ==, "route.lua:3: boom");
	rtu_assert_file_line(d->errors->pdata[1], "route.lua");
	g_assert_nonnull(strstr(d->errors->pdata[1], "nothing"));
	char *t = target_text(d);
	g_assert_cmpstr(t, ==, "{\"fallback\":{\"attribute\":\"rep\",\"fallback\":{\"kind\":"
			       "\"all_available\"},\"kind\":\"crm_owner\"},\"kind\":\"last_operator\"}");
	free(t);
	tsunagu_route_decision_free(d);

	/* every rule broken or unmatched: the default, with the errors */
	d = route_json(rules, "{\"id\":\"x\",\"channel\":\"web\"}");
	g_assert_cmpstr(d->rule_name, ==, "default");
	g_assert_cmpuint(d->errors->len, ==, 2);
	tsunagu_route_decision_free(d);
	tsunagu_rules_free(rules);
	rtu_rmdir(dir);
	g_free(dir);
}

static void test_view(void)
{
	char *dir = rtu_tmpdir();
	rtu_write(dir, "route.lua",
		  "route \"view\" {\n"
		  "  when = function(c)\n"
		  "    local n = 0\n"
		  "    for tag in pairs(c.tags) do n = n + 1 end\n"
		  "    local items = {}\n"
		  "    for i, v in ipairs(c.list) do items[#items + 1] = v end\n"
		  "    return c.tags.urgent == true and n == 2 and c.contact.tags.vip\n"
		  "      and c.contact.past_conversations == 0 and c.visitor.utm.campaign == nil\n"
		  "      and c.call.state == nil and #c.list == 3 and items[3] == 'c'\n"
		  "      and c.assignee == nil and c.number == 1.5 and c.count == 7\n"
		  "      and math.type(c.count) == 'integer' and not pcall(function() c.x = 1 end)\n"
		  "      and c.contact.name == '山田'\n"
		  "  end,\n"
		  "  to = function(c) return team(c.team) end,\n"
		  "}\n");
	tsunagu_rules *rules = rtu_open(dir);
	tsunagu_route_decision *d = route_json(
		rules, "{\"tags\":[\"urgent\",\"new\"],\"list\":[\"a\",\"b\",\"c\"],"
		       "\"assignee\":null,\"number\":1.5,\"count\":7,\"team\":\"sales\","
		       "\"contact\":{\"name\":\"山田\",\"tags\":{\"vip\":true}}}");
	g_assert_cmpuint(d->errors->len, ==, 0);
	g_assert_cmpstr(d->rule_name, ==, "view");
	g_assert_cmpstr(json_string_value(json_object_get(d->target, "name")), ==, "sales");
	tsunagu_route_decision_free(d);

	/* a view nested beyond the limit is refused, the default decides */
	GString *deep = g_string_new("{\"contact\":{\"tags\":{\"vip\":true}},\"tags\":[\"urgent\","
				     "\"new\"],\"x\":");
	for (int i = 0; i < 100; i++)
		g_string_append(deep, "[");
	for (int i = 0; i < 100; i++)
		g_string_append(deep, "]");
	g_string_append(deep, "}");
	d = route_json(rules, deep->str);
	g_assert_cmpstr(d->rule_name, ==, "default");
	g_assert_cmpuint(d->errors->len, ==, 1);
	g_assert_nonnull(strstr(d->errors->pdata[0], "nested deeper"));
	tsunagu_route_decision_free(d);
	g_string_free(deep, TRUE);
	tsunagu_rules_free(rules);
	rtu_rmdir(dir);
	g_free(dir);
}

static void test_business_hours(void)
{
	char *dir = rtu_tmpdir();
	rtu_write(dir, "route.lua",
		  "business_hours {\n"
		  "  timezone = 'Asia/Tokyo',\n"
		  "  mon = '09:00-18:00', tue = { '09:00-12:00', '13:00-18:00' },\n"
		  "  holidays = { '2026-01-05' },\n"
		  "  channels = { phone = { tue = '08:00-20:00' } },\n"
		  "}\n"
		  "route \"closed\" {\n"
		  "  when = function(c) return not business_hours(c.channel) end,\n"
		  "  to = nobody(),\n"
		  "}\n");
	tsunagu_core_set_clock(fake_clock);
	tsunagu_rules *rules = rtu_open(dir);
	static const struct {
		const char *at, *channel;
		bool open;
	} checks[] = {
		{"2026-01-06T10:00:00+09:00", "web", true},    /* Tuesday morning */
		{"2026-01-06T12:30:00+09:00", "web", false},   /* lunch break */
		{"2026-01-06T12:30:00+09:00", "phone", true},  /* phone's own hours */
		{"2026-01-06T19:00:00+09:00", "phone", true},
		{"2026-01-06T20:00:00+09:00", "phone", false},
		{"2026-01-07T10:00:00+09:00", "web", false},   /* Wednesday: not listed */
		{"2026-01-05T10:00:00+09:00", "web", false},   /* a holiday Monday */
		{"2026-01-12T08:59:00+09:00", "web", false},
		{"2026-01-12T09:00:00+09:00", "web", true},
		{"2026-01-12T00:30:00Z", "web", true},         /* 09:30 in Tokyo */
	};
	for (size_t i = 0; i < G_N_ELEMENTS(checks); i++) {
		GDateTime *dt = g_date_time_new_from_iso8601(checks[i].at, NULL);
		fake_now_us = g_date_time_to_unix(dt) * G_USEC_PER_SEC;
		g_date_time_unref(dt);
		json_t *c = rtu_conv("c", checks[i].channel);
		tsunagu_route_decision *d = tsunagu_rules_route(rules, c);
		g_test_message("%s %s", checks[i].at, checks[i].channel);
		g_assert_cmpstr(d->rule_name, ==, checks[i].open ? "default" : "closed");
		tsunagu_route_decision_free(d);
		json_decref(c);
	}
	tsunagu_rules_free(rules);
	tsunagu_core_set_clock(NULL);
	rtu_rmdir(dir);
	g_free(dir);
}

static void test_now_and_duration(void)
{
	char *dir = rtu_tmpdir();
	rtu_write(dir, "route.lua",
		  "route \"stale\" {\n"
		  "  when = function(c)\n"
		  "    return now() - c.last_customer_message_at > duration '10m'\n"
		  "      and duration '90s' == 90 and duration '1d' == 86400\n"
		  "  end,\n"
		  "  to = all_available(), method = 'fewest_handled',\n"
		  "}\n");
	tsunagu_core_set_clock(fake_clock);
	fake_now_us = 1800000000LL * G_USEC_PER_SEC;
	tsunagu_rules *rules = rtu_open(dir);
	tsunagu_route_decision *d = route_json(rules, "{\"last_customer_message_at\":1799999000}");
	g_assert_cmpstr(d->rule_name, ==, "stale");
	g_assert_cmpstr(d->method, ==, "fewest_handled");
	tsunagu_route_decision_free(d);
	d = route_json(rules, "{\"last_customer_message_at\":1799999900}");
	g_assert_cmpstr(d->rule_name, ==, "default");
	tsunagu_route_decision_free(d);
	tsunagu_rules_free(rules);
	tsunagu_core_set_clock(NULL);
	rtu_rmdir(dir);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rules/route/first-match-and-default", test_first_match_and_default);
	g_test_add_func("/rules/route/broken-rules-fall-through", test_broken_rules_fall_through);
	g_test_add_func("/rules/route/view", test_view);
	g_test_add_func("/rules/route/business-hours", test_business_hours);
	g_test_add_func("/rules/route/now-and-duration", test_now_and_duration);
	return g_test_run();
}
