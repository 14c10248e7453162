/* Every hostile rule of issue 2 is refused while the host keeps serving:
 * after each attack, a normal rule in the same file and one in another file
 * of the same generation still evaluate correctly, again and again. */
#include <stdio.h>
#include <string.h>

#include "rules_test_util.h"

typedef struct {
	const char *name;
	const char *body;     /* evil `when` body, run only for c.id == "attack" */
	const char *expect;   /* substring(s) of the error, alternatives split by | */
	const char *to;       /* the evil rule's target (default team "evil") */
	uint64_t instructions; /* 0: the test default */
	int64_t time_ms;
} sandbox_case;

#define C(n, b, e) {.name = (n), .body = (b), .expect = (e)}
#define CT(n, b, e, t) {.name = (n), .body = (b), .expect = (e), .to = (t)}

static const sandbox_case cases[] = {
	C("infinite-loop", "while true do end", "instruction limit exceeded"),
	{.name = "infinite-loop-time", .body = "while true do end",
	 .expect = "time limit exceeded", .instructions = G_MAXUINT64 / 2, .time_ms = 50},
	/* Lua's string library caps a string at 2^31 - 1 bytes before any
	 * allocation; just below that the allocator's cap refuses it. */
	C("string-rep-2^31", "return string.rep('x', 2^31)",
	  "resulting string too large|memory limit exceeded"),
	C("string-rep-2^30", "return string.rep('x', 2^30)", "memory limit exceeded"),
	C("method-rep-huge", "return ('x'):rep(1e6):rep(1e3)", "memory limit exceeded"),
	C("table-grows", "local t, i = {}, 0 while true do i = i + 1 t[i] = {i} end",
	  "memory limit exceeded"),
	C("string-doubles", "local s = 'x' while true do s = s .. s end", "memory limit exceeded"),
	C("huge-error", "error(string.rep('x', 1e7))", "memory limit exceeded"),
	C("load-string-dump", "local f = function() end return load(string.dump(f))()",
	  "field 'dump'"),
	C("load-binary-chunk", "local f, e = load('\\27LuaT\\0\\25\\147\\r\\n\\26\\n') "
			       "if not f then error(e) end return f()", "binary chunk"),
	C("load-binary-assert", "return assert(load('\\27Lua'))()", "binary chunk"),
	C("load-sees-no-io", "return load('return io.open')()", "global 'io'"),
	C("io", "return io.open('/etc/passwd')", "global 'io'"),
	C("os-execute", "return os.execute('true')", "global 'os'"),
	C("package", "return package.loaded", "global 'package'"),
	C("require", "return require('os')", "global 'require'"),
	C("debug", "return debug.getinfo(1)", "global 'debug'"),
	C("collectgarbage", "return collectgarbage('count')", "global 'collectgarbage'"),
	C("dofile", "return dofile('/etc/passwd')", "global 'dofile'"),
	C("loadfile", "return loadfile('/etc/passwd')", "global 'loadfile'"),
	C("coroutine", "return coroutine.wrap(print)", "global 'coroutine'"),
	C("rawset", "rawset(string, 'format', nil) return true", "global 'rawset'"),
	C("string-format-nil", "string.format = nil return true", "read-only"),
	C("string-metatable-upper", "getmetatable('').__index.upper = nil return true",
	  "index a boolean value"),
	C("string-metatable-replace", "setmetatable(string, {}) return true",
	  "protected metatable"),
	C("global-assign", "string = nil return true", "cannot set global 'string'"),
	C("view-write", "c.channel = 'phone' return true", "read-only"),
	C("view-deep-write", "c.contact.tags.vip = true return true", "read-only"),
	C("recursion", "local function f() return 1 + f() end return f()",
	  "stack overflow|memory limit exceeded"),
	C("c-recursion", "local t = setmetatable({}, {__index = function(t, k) return t[k] end}) "
			 "return t.x", "stack overflow"),
	C("gsub-recursion", "local function f(s) return (s:gsub('.', f)) end return f('ab')",
	  "stack overflow"),
	C("pcall-swallow", "pcall(function() while true do end end) return true",
	  "instruction limit exceeded"),
	C("pcall-loop", "while true do pcall(pcall, function() while true do end end) end",
	  "instruction limit exceeded"),
	C("xpcall-handler-loops", "return xpcall(function() while true do end end, "
				  "function() while true do end end)", "instruction limit exceeded"),
	C("xpcall-handler-swallows", "xpcall(function() while true do end end, "
				     "function() return 'fine' end) return true",
	  "instruction limit exceeded"),
	C("error-object-tostring", "error(setmetatable({}, {__tostring = function() while true "
				   "do end end, __index = function() error('no') end}))",
	  "error object is a table value"),
	C("error-object-caught", "local ok, e = pcall(error, setmetatable({}, {__tostring = "
				 "function() error('x') end})) error(e)",
	  "error object is a table value"),
	C("gc-finalizer", "setmetatable({}, {__gc = function() while true do end end}) "
			  "return true", "__gc is not allowed"),
	/* Pattern matching runs in C where the hook cannot stop it. */
	C("pattern-blowup", "return string.rep('a', 5000):find('.-.-.-.-x')", "too costly"),
	C("pattern-method-blowup", "return (('1'):rep(60000)):match('(%d+)x')", "too costly"),
	C("gmatch-blowup", "for w in (('a'):rep(3000)):gmatch('a*a*a*b') do end return true",
	  "too costly"),
	C("gsub-blowup", "return (('ab'):rep(2000)):gsub('(.-)(.-)(.-)z', '')", "too costly"),
	C("declare-at-runtime", "route 'late' { to = team 'x' } return true", "top level"),
	CT("to-hostile-table", "return true", "must be a target",
	   "function(c) return setmetatable({}, {__index = function() error('gotcha') end}) end"),
	CT("to-forged-target", "return true", "must be a target",
	   "function(c) return { kind = 'team', name = 'forged' } end"),
	CT("to-loops", "return true", "instruction limit exceeded",
	   "function(c) while true do end end"),
};

static const char evil_fmt[] =
	"-- line 1\n"
	"route \"evil\" {\n"
	"  when = function(c)\n"
	"    if c.id ~= \"attack\" then return false end\n"
	"    %s\n"
	"  end,\n"
	"  to = %s,\n"
	"}\n"
	"route \"same file\" {\n"
	"  when = function(c)\n"
	"    return string.format('%%s', c.channel) == 'web' and ('x'):upper() == 'X'\n"
	"       and getmetatable('') == false and #c.contact.tags == 0\n"
	"  end,\n"
	"  to = team \"same\",\n"
	"}\n";

static const char other_file[] =
	"route \"other file\" {\n"
	"  when = function(c) return table.concat({'a', 'b'}) == 'ab' and math.max(1, 2) == 2\n"
	"    and utf8.len('つなぐ') == 3 and string.format('%d', 7) == '7' end,\n"
	"  to = team \"other\",\n"
	"}\n";

static bool matches_any(const char *err, const char *alternatives)
{
	char **alts = g_strsplit(alternatives, "|", 0);
	bool found = false;
	for (char **a = alts; *a && !found; a++)
		found = strstr(err, *a) != NULL;
	g_strfreev(alts);
	return found;
}

static tsunagu_route_decision *route(tsunagu_rules *rules, const char *id, const char *channel)
{
	json_t *c = rtu_conv(id, channel);
	int64_t start = g_get_monotonic_time();
	tsunagu_route_decision *d = tsunagu_rules_route(rules, c);
	/* limits are per call: even a hostile generation answers promptly */
	g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
	json_decref(c);
	return d;
}

static void expect_rule(tsunagu_route_decision *d, const char *rule, const char *team)
{
	g_assert_cmpstr(d->rule_name, ==, rule);
	g_assert_cmpstr(json_string_value(json_object_get(d->target, "name")), ==, team);
}

static void test_case(const void *data)
{
	const sandbox_case *tc = data;
	char *dir = rtu_tmpdir();
	char *evil = g_strdup_printf(evil_fmt, tc->body, tc->to ? tc->to : "team \"evil\"");
	rtu_write(dir, "a_evil.lua", evil);
	rtu_write(dir, "b_other.lua", other_file);

	tsunagu_rules_options opts;
	rtu_options(&opts, dir);
	if (tc->instructions)
		opts.instruction_limit = tc->instructions;
	if (tc->time_ms)
		opts.time_limit_ms = tc->time_ms;
	tsunagu_rules *rules = NULL;
	GError *error = NULL;
	g_assert_cmpint(tsunagu_rules_new(NULL, &opts, &rules, &error), ==, 0);
	g_assert_no_error(error);

	for (int round = 0; round < 3; round++) {
		/* the attack: refused with file:line, the next rule decides */
		tsunagu_route_decision *d = route(rules, "attack", "web");
		expect_rule(d, "same file", "same");
		g_assert_cmpuint(d->errors->len, ==, 1);
		const char *err = d->errors->pdata[0];
		rtu_assert_file_line(err, "a_evil.lua");
		if (!matches_any(err, tc->expect))
			g_error("%s: error \"%s\" lacks \"%s\"", tc->name, err, tc->expect);
		tsunagu_route_decision_free(d);

		/* the attack again, and another file serves */
		d = route(rules, "attack", "phone");
		expect_rule(d, "other file", "other");
		g_assert_cmpuint(d->errors->len, ==, 1);
		tsunagu_route_decision_free(d);

		/* ordinary traffic is untouched */
		d = route(rules, "calm", "web");
		expect_rule(d, "same file", "same");
		g_assert_cmpuint(d->errors->len, ==, 0);
		tsunagu_route_decision_free(d);
	}
	tsunagu_rules_free(rules);
	g_free(evil);
	rtu_rmdir(dir);
	g_free(dir);
}

/* The pattern guard refuses only what is costly: ordinary matching, plain
 * searches of long text and anchored patterns keep working. */
static void test_patterns_still_work(void)
{
	char *dir = rtu_tmpdir();
	rtu_write(dir, "route.lua",
		  "route \"patterns\" {\n"
		  "  when = function(c)\n"
		  "    local long = ('あいう'):rep(20000) .. '注文番号: 12345'\n"
		  "    return ('注文番号: 12345'):match('(%d+)') == '12345'\n"
		  "      and select(2, ('a,b,c'):gsub(',', ';')) == 2\n"
		  "      and long:find('注文番号', 1, true) ~= nil\n"
		  "      and long:find('12345') ~= nil\n"
		  "      and ('sato@example.jp'):match('^[^@]+@(.+)$') == 'example.jp'\n"
		  "      and #{('x y z'):match('(%a) (%a) (%a)')} == 3\n"
		  "  end,\n"
		  "  to = team \"ok\",\n"
		  "}\n");
	tsunagu_rules *rules = rtu_open(dir);
	tsunagu_route_decision *d = route(rules, "calm", "web");
	if (d->errors->len)
		g_error("%s", (const char *)d->errors->pdata[0]);
	expect_rule(d, "patterns", "ok");
	tsunagu_route_decision_free(d);
	tsunagu_rules_free(rules);
	rtu_rmdir(dir);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *path = g_strdup_printf("/rules/sandbox/%s", cases[i].name);
		g_test_add_data_func(path, &cases[i], test_case);
		g_free(path);
	}
	g_test_add_func("/rules/sandbox/patterns-still-work", test_patterns_still_work);
	return g_test_run();
}
