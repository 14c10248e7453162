/* bench-route (a): route rule evaluations per second through the real rules
 * host (a route file in a directory, tsunagu_rules_new as the server calls
 * it: the same sandbox, hook, deadline and allocator cap), beside a bare
 * lua_State that lua_pcall's the same function text.
 *
 * The server builds the view `c` once per new conversation and hands it to
 * tsunagu_rules_route, which evaluates the rules in order against it. So
 * there are two sandboxed figures:
 *   - decide: tsunagu_rules_route + tsunagu_route_decision_free with one
 *     matching four-condition rule (view prepared and pushed, hook, result
 *     checked, decision built) — what one new conversation costs;
 *   - one rule evaluation: the same with 49 non-matching four-condition
 *     rules before the matching one, minus decide, divided by 49 — what
 *     each further rule costs against a view already built.
 * Bare: the function called on a plain table built once (the bare call),
 * and on a table built from the same JSON on every call (what a decide
 * would cost with no sandbox at all). */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>

#include "bench_route.h"
#include "rules.h"

#define ROUNDS 20    /* variants alternate round by round: load shifts hit all alike */
#define DECOYS 49    /* non-matching rules before the matching one */

/* The `when` of every rule: four conditions, the last one's threshold varies
 * so that a decoy evaluates all four and then fails. */
#define WHEN_FMT                                                   \
	"function(c)\n"                                            \
	"    return c.channel == \"web\"\n"                        \
	"      and c.visitor.utm.campaign == \"spring-sale\"\n"    \
	"      and c.contact.tags.vip\n"                           \
	"      and c.contact.past_conversations > %d\n"            \
	"  end"
#define MATCHING_RULE "Returning VIP visitors of the spring sale"

/* What tsunagu_conversation_view builds for a returning web visitor who came
 * from a campaign: the shape the server passes to tsunagu_rules_route. */
static json_t *sample_view(void)
{
	return json_pack(
		"{s:s, s:s, s:s, s:s, s:I, s:I, s:{s:b, s:b},"
		" s:{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:{s:b, s:b}, s:I},"
		" s:{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}}",
		"id", "c-7Kq2xN4pT9", "link", "/inbox/#/conversations/c-7Kq2xN4pT9",
		"channel", "web", "state", "waiting", "created_at", (json_int_t)1747000000,
		"last_customer_message_at", (json_int_t)1747000000,
		"tags", "spring", 1, "first-message", 1,
		"contact", "name", "山田 花子", "email", "hanako@example.jp", "phone",
		"+81312345678", "attributes", "email", "hanako@example.jp", "phone",
		"+81312345678", "plan", "gold", "owner", "suzuki", "tags", "vip", 1,
		"newsletter", 1, "past_conversations", (json_int_t)3,
		"visitor", "page_url", "https://shop.example.jp/sale?utm_source=mail&utm_medium="
		"newsletter&utm_campaign=spring-sale", "referrer", "https://mail.example.jp/",
		"language", "ja", "browser", "Firefox", "os", "Linux", "ip", "192.0.2.10",
		"utm", "source", "mail", "medium", "newsletter", "campaign", "spring-sale");
}

static char *rule_text(const char *name, int threshold)
{
	char *when = g_strdup_printf(WHEN_FMT, threshold);
	char *rule = g_strdup_printf("route \"%s\" {\n  when = %s,\n  to = team \"premium\",\n"
				     "  method = \"longest_idle\",\n}\n\n", name, when);
	g_free(when);
	return rule;
}

/* Writes route.lua (decoys non-matching rules, then the matching one) into a
 * fresh directory and opens it as the server does. */
static int open_host(const char *parent, int decoys, char **dir_out, tsunagu_rules **out)
{
	GString *text = g_string_new("-- bench-route: four-condition route rules\n\n");
	GError *err = NULL;
	int ret = -EIO;

	for (int i = 0; i < decoys; i++) {
		char name[64];
		g_snprintf(name, sizeof name, "Decoy %d", i + 1);
		char *rule = rule_text(name, 100 + i);
		g_string_append(text, rule);
		g_free(rule);
	}
	char *rule = rule_text(MATCHING_RULE, 0);
	g_string_append(text, rule);
	g_free(rule);
	*dir_out = bench_route_mkdtemp(parent);
	if (!*dir_out)
		goto out;
	char *path = g_build_filename(*dir_out, "route.lua", NULL);
	bool written = g_file_set_contents(path, text->str, (gssize)text->len, &err);
	g_free(path);
	if (!written)
		goto out;
	tsunagu_rules_options opts = { .dir = *dir_out }; /* 0: the server's defaults */
	ret = tsunagu_rules_new(NULL, &opts, out, &err);
	if (ret < 0) {
		tsunagu_rules_free(*out);
		*out = NULL;
	}
out:
	if (err)
		fprintf(stderr, "bench-route: rules: %s\n", err->message);
	g_clear_error(&err);
	g_string_free(text, TRUE);
	return ret;
}

/* ---- the bare state ---------------------------------------------------------- */

/* The plain table for a JSON value of the view (objects, strings, integers,
 * booleans: all a view holds). */
static void bare_push(lua_State *L, json_t *j)
{
	const char *key;
	json_t *v;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		lua_createtable(L, 0, (int)json_object_size(j));
		json_object_foreach(j, key, v) {
			bare_push(L, v);
			lua_setfield(L, -2, key);
		}
		break;
	case JSON_STRING:
		lua_pushlstring(L, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		lua_pushinteger(L, (lua_Integer)json_integer_value(j));
		break;
	default:
		lua_pushboolean(L, json_is_true(j));
		break;
	}
}

typedef struct {
	tsunagu_rules *one, *many; /* the matching rule alone; after DECOYS decoys */
	json_t *view;
	lua_State *L;             /* bare */
	int fn_ref, c_ref, c_ro_ref;
	int bad;                  /* calls that did not decide what they should */
} evals_ctx;

static void bare_call(evals_ctx *x, bool fresh_c, bool read_only)
{
	lua_rawgeti(x->L, LUA_REGISTRYINDEX, x->fn_ref);
	if (fresh_c)
		bare_push(x->L, x->view);
	else
		lua_rawgeti(x->L, LUA_REGISTRYINDEX, read_only ? x->c_ro_ref : x->c_ref);
	if (lua_pcall(x->L, 1, 1, 0) != LUA_OK || !lua_toboolean(x->L, -1))
		x->bad++;
	lua_pop(x->L, 1);
}

static void sandbox_decide(evals_ctx *x, tsunagu_rules *rules)
{
	tsunagu_route_decision *d = tsunagu_rules_route(rules, x->view);
	if (strcmp(d->rule_name, MATCHING_RULE) != 0 || d->errors->len)
		x->bad++;
	tsunagu_route_decision_free(d);
}

#define RO_WRAP                                                                     \
	"local function ro(t)\n"                                                    \
	"  local d = {}\n"                                                          \
	"  for k, v in pairs(t) do d[k] = type(v) == 'table' and ro(v) or v end\n"  \
	"  return setmetatable({}, { __index = d,\n"                                \
	"    __newindex = function() error('read-only') end })\n"                   \
	"end\n"                                                                     \
	"return ro(...)\n"

static int bare_open(evals_ctx *x)
{
	x->L = luaL_newstate();
	if (!x->L)
		return -ENOMEM;
	luaL_openlibs(x->L);
	char *when = g_strdup_printf(WHEN_FMT, 0);
	char *chunk = g_strconcat("return ", when, NULL);
	int status = luaL_loadstring(x->L, chunk);
	if (status == LUA_OK)
		status = lua_pcall(x->L, 0, 1, 0);
	g_free(when);
	g_free(chunk);
	if (status != LUA_OK) {
		fprintf(stderr, "bench-route: bare: %s\n", lua_tostring(x->L, -1));
		return -EINVAL;
	}
	x->fn_ref = luaL_ref(x->L, LUA_REGISTRYINDEX);
	bare_push(x->L, x->view);
	x->c_ref = luaL_ref(x->L, LUA_REGISTRYINDEX);
	/* The same table behind read-only proxies at every level, as the
	 * sandbox hands `c` to a rule: separates what read-only data costs
	 * from what the host's call machinery costs. */
	status = luaL_loadstring(x->L, RO_WRAP);
	if (status == LUA_OK) {
		lua_rawgeti(x->L, LUA_REGISTRYINDEX, x->c_ref);
		status = lua_pcall(x->L, 1, 1, 0);
	}
	if (status != LUA_OK) {
		fprintf(stderr, "bench-route: bare: %s\n", lua_tostring(x->L, -1));
		return -EINVAL;
	}
	x->c_ro_ref = luaL_ref(x->L, LUA_REGISTRYINDEX);
	return 0;
}

/* ---- timing ------------------------------------------------------------------ */

enum { V_BARE, V_BARE_RO, V_BARE_FRESH, V_DECIDE_ONE, V_DECIDE_MANY, N_VARIANTS };

static const char *const variant_names[N_VARIANTS] = {
	"bare lua_pcall, c built once",
	"bare lua_pcall, c read-only proxies (context)",
	"bare lua_pcall, c built from the JSON each call",
	"sandbox: decide, 1 rule (tsunagu_rules_route)",
	"sandbox: decide, 1+49 rules (49 miss after 4 conditions)",
};

typedef struct {
	int64_t calls;
	bench_clock t;
	double cpu_round[ROUNDS]; /* ns per call in each round */
	double wall_round[ROUNDS];
} variant_total;

static void run_variant(evals_ctx *x, int v, int n)
{
	for (int i = 0; i < n; i++) {
		switch (v) {
		case V_BARE:
			bare_call(x, false, false);
			break;
		case V_BARE_RO:
			bare_call(x, false, true);
			break;
		case V_BARE_FRESH:
			bare_call(x, true, false);
			break;
		case V_DECIDE_ONE:
			sandbox_decide(x, x->one);
			break;
		default:
			sandbox_decide(x, x->many);
			break;
		}
	}
}

static double per_second(double ns)
{
	return ns > 0 ? 1e9 / ns : 0;
}

static void print_line(const char *label, int64_t calls, double cpu_ns, double wall_ns)
{
	printf("  %-56s %9" G_GINT64_FORMAT " calls %8.1f ns %11.0f /s   (wall %8.1f ns %11.0f /s)\n",
	       label, calls, cpu_ns, per_second(cpu_ns), wall_ns, per_second(wall_ns));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The median of the rounds: a compile burst of a neighbour spoils a round,
 * not the figure. */
static double median(const double *v, int n)
{
	double s[ROUNDS];

	if (n <= 0)
		return 0;
	memcpy(s, v, sizeof(double) * (size_t)n);
	qsort(s, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void report(const variant_total *t, int rounds)
{
	double cpu[N_VARIANTS], wall[N_VARIANTS], d_cpu[ROUNDS], d_wall[ROUNDS];

	for (int v = 0; v < N_VARIANTS; v++) {
		cpu[v] = median(t[v].cpu_round, rounds);
		wall[v] = median(t[v].wall_round, rounds);
		print_line(variant_names[v], t[v].calls, cpu[v], wall[v]);
	}
	for (int r = 0; r < rounds; r++) {
		d_cpu[r] = (t[V_DECIDE_MANY].cpu_round[r] - t[V_DECIDE_ONE].cpu_round[r]) / DECOYS;
		d_wall[r] = (t[V_DECIDE_MANY].wall_round[r] - t[V_DECIDE_ONE].wall_round[r]) /
			    DECOYS;
	}
	double eval_cpu = median(d_cpu, rounds), eval_wall = median(d_wall, rounds);
	print_line("sandbox: one rule evaluation = (1+49 rules - 1 rule) / 49", 0, eval_cpu,
		   eval_wall);

	double eval_ratio = cpu[V_BARE] > 0 ? eval_cpu / cpu[V_BARE] : 0;
	/* The goal reads "per-evaluation overhead <= 1.5x the bare call": what
	 * an evaluation costs beyond the bare call, against the bare call. The
	 * whole evaluation against the bare call is printed beside it. */
	double overhead_ratio = cpu[V_BARE] > 0 ? (eval_cpu - cpu[V_BARE]) / cpu[V_BARE] : 0;
	double decide_ratio = cpu[V_BARE_FRESH] > 0 ? cpu[V_DECIDE_ONE] / cpu[V_BARE_FRESH] : 0;
	printf("goals (issue 4 item 7; CPU time, one core; medians of the rounds):\n");
	printf("  rule evaluation: %.0f evals/s (goal >= 1,000,000)  %s\n", per_second(eval_cpu),
	       bench_verdict(per_second(eval_cpu) >= 1e6));
	printf("  overhead per evaluation = %.1f ns = %.2f x the bare call (goal <= 1.5)  %s\n",
	       eval_cpu - cpu[V_BARE], overhead_ratio,
	       bench_verdict(cpu[V_BARE] > 0 && overhead_ratio <= 1.5));
	printf("  context: whole rule evaluation / bare call = %.2f\n", eval_ratio);
	printf("  context: rule evaluation / bare call on read-only proxies = %.2f (the rest is "
	       "what read-only `c` costs)\n", cpu[V_BARE_RO] > 0 ? eval_cpu / cpu[V_BARE_RO] : 0);
	/* The goals are per rule evaluation; a whole decision (view
	 * pushed once per file, then the rules) is context. */
	printf("  context: decide for one conversation %.0f /s; decide / bare with c built each "
	       "call = %.2f\n", per_second(cpu[V_DECIDE_ONE]), decide_ratio);
}

int bench_route_evals(const bench_route_opts *o)
{
	evals_ctx x = { .fn_ref = LUA_NOREF, .c_ref = LUA_NOREF, .c_ro_ref = LUA_NOREF };
	variant_total t[N_VARIANTS] = { 0 };
	char *dir_one = NULL, *dir_many = NULL;
	int ret;

	x.view = sample_view();
	ret = open_host(o->dir, 0, &dir_one, &x.one);
	if (ret == 0)
		ret = open_host(o->dir, DECOYS, &dir_many, &x.many);
	if (ret == 0)
		ret = bare_open(&x);
	if (ret < 0)
		goto out;
	/* Each variant once, checked: a figure of calls that decide nothing
	 * would measure nothing. */
	for (int v = 0; v < N_VARIANTS; v++)
		run_variant(&x, v, 1);
	if (x.bad) {
		fprintf(stderr, "bench-route: a variant does not match the rule; not measured\n");
		ret = -EINVAL;
		goto out;
	}
	printf("(a) rule evaluations: a four-condition `when` (channel, visitor.utm.campaign,\n"
	       "    contact.tags.vip, contact.past_conversations), %d calls per variant in %d\n"
	       "    alternating rounds; per call, CPU time of this thread (wall in brackets)\n",
	       o->evals, ROUNDS);
	fflush(stdout);
	int per_round = MAX(o->evals / ROUNDS, 1), rounds = 0;
	bench_clock start = bench_clock_now();
	for (int r = 0; r < ROUNDS; r++) {
		for (int k = 0; k < N_VARIANTS; k++) {
			int v = (r % 2) ? N_VARIANTS - 1 - k : k;
			bench_clock a = bench_clock_now();
			run_variant(&x, v, per_round);
			bench_clock d = bench_clock_since(a, bench_clock_now());
			t[v].calls += per_round;
			t[v].t.cpu_ns += d.cpu_ns;
			t[v].t.wall_ns += d.wall_ns;
			t[v].cpu_round[r] = (double)d.cpu_ns / per_round;
			t[v].wall_round[r] = (double)d.wall_ns / per_round;
		}
		rounds = r + 1;
		if (bench_clock_since(start, bench_clock_now()).wall_ns / 1e9 > o->seconds) {
			printf("  (stopped after %d of %d rounds: --seconds %d)\n", r + 1, ROUNDS,
			       o->seconds);
			break;
		}
	}
	if (x.bad) {
		fprintf(stderr, "bench-route: %d calls decided something else\n", x.bad);
		ret = -EINVAL;
		goto out;
	}
	report(t, rounds);
out:
	if (x.L)
		lua_close(x.L);
	tsunagu_rules_free(x.one);
	tsunagu_rules_free(x.many);
	json_decref(x.view);
	if (dir_one)
		bench_route_rmdir(dir_one);
	if (dir_many)
		bench_route_rmdir(dir_many);
	g_free(dir_one);
	g_free(dir_many);
	return ret;
}
