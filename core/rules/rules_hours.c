/* The clock helpers of rules: now(), duration "10m", and business_hours —
 * both the question business_hours(channel) and the declaration
 * business_hours { mon = "09:00-18:00", ... } (once per generation; without
 * it, Monday to Friday 09:00-18:00 in the server's local time). */
#include "config.h"
#include "rules_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct {
	GArray *days[7]; /* Monday first; pairs of minutes [from, to) as gint16 */
} week;

struct rules_hours {
	GTimeZone *tz;          /* NULL: local time */
	week *all;              /* every channel without its own week */
	GHashTable *channels;   /* channel -> week* */
	GHashTable *holidays;   /* "YYYY-MM-DD" set */
};

static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static week *week_new(void)
{
	week *w = g_new0(week, 1);
	for (int i = 0; i < 7; i++)
		w->days[i] = g_array_new(FALSE, FALSE, sizeof(gint16));
	return w;
}

static void week_free(void *p)
{
	week *w = p;
	if (!w)
		return;
	for (int i = 0; i < 7; i++)
		g_array_unref(w->days[i]);
	g_free(w);
}

void rules_hours_free(rules_hours *h)
{
	if (!h)
		return;
	if (h->tz)
		g_time_zone_unref(h->tz);
	week_free(h->all);
	g_hash_table_unref(h->channels);
	g_hash_table_unref(h->holidays);
	g_free(h);
}

/* ---- parsing: pass one validates (raises), pass two builds (cannot raise) ---- */

static void parse_span(lua_State *L, int idx, GArray *out, const char *day)
{
	int h1, m1, h2, m2, n = 0;
	const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : "";
	if (sscanf(s, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &n) != 4 || s[n] ||
	    h1 < 0 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 || h1 * 60 + m1 >= h2 * 60 + m2 ||
	    h2 * 60 + m2 > 24 * 60)
		luaL_error(L, "business_hours: %s: expected \"HH:MM-HH:MM\" (like \"09:00-18:00\")",
			   day);
	if (out) {
		gint16 v[2] = {(gint16)(h1 * 60 + m1), (gint16)(h2 * 60 + m2)};
		g_array_append_vals(out, v, 2);
	}
}

static void parse_week(lua_State *L, int idx, week *out, const char *where)
{
	idx = lua_absindex(L, idx);
	for (int d = 0; d < 7; d++) {
		char what[128];
		g_snprintf(what, sizeof what, "%s%s", where, day_names[d]);
		int t = rules_raw_field(L, idx, day_names[d]);
		if (t == LUA_TSTRING) {
			parse_span(L, -1, out ? out->days[d] : NULL, what);
		} else if (t == LUA_TTABLE) {
			for (lua_Unsigned i = 1; i <= lua_rawlen(L, -1); i++) {
				lua_rawgeti(L, -1, (lua_Integer)i);
				parse_span(L, -1, out ? out->days[d] : NULL, what);
				lua_pop(L, 1);
			}
		} else if (t != LUA_TNIL && !(t == LUA_TBOOLEAN && !lua_toboolean(L, -1))) {
			luaL_error(L, "business_hours: %s: expected \"HH:MM-HH:MM\", a list of "
				      "them, or false (closed)", what);
		}
		lua_pop(L, 1);
	}
}

static void parse_decl(lua_State *L, rules_hours *out)
{
	static const char *const allowed[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun",
					      "timezone", "holidays", "channels", NULL};
	static const char *const day_keys[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun",
					       NULL};
	rules_check_fields(L, 1, "business_hours", allowed);
	parse_week(L, 1, out ? out->all : NULL, "");
	if (rules_raw_field(L, 1, "timezone") != LUA_TNIL) {
		const char *id = rules_check_text(L, -1, "business_hours: timezone");
		GTimeZone *tz = g_time_zone_new_identifier(id);
		if (!tz)
			luaL_error(L, "business_hours: unknown timezone '%s'", id);
		if (out)
			out->tz = tz;
		else
			g_time_zone_unref(tz);
	}
	lua_pop(L, 1);
	int t = rules_raw_field(L, 1, "holidays");
	if (t == LUA_TTABLE) {
		for (lua_Unsigned i = 1; i <= lua_rawlen(L, -1); i++) {
			lua_rawgeti(L, -1, (lua_Integer)i);
			int y, m, d, n = 0;
			const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
			if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || s[n] || y < 1 ||
			    !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
				luaL_error(L, "business_hours: holidays: expected \"YYYY-MM-DD\" dates");
			if (out)
				g_hash_table_add(out->holidays,
						 g_strdup_printf("%04d-%02d-%02d", y, m, d));
			lua_pop(L, 1);
		}
	} else if (t != LUA_TNIL) {
		luaL_error(L, "business_hours: holidays must be a list of \"YYYY-MM-DD\"");
	}
	lua_pop(L, 1);
	t = rules_raw_field(L, 1, "channels");
	if (t == LUA_TTABLE) {
		int channels = lua_gettop(L);
		lua_pushnil(L);
		while (lua_next(L, channels)) {
			if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TTABLE)
				luaL_error(L, "business_hours: channels: expected channel = { mon = "
					      "\"09:00-18:00\", ... }");
			char where[128];
			g_snprintf(where, sizeof where, "channels.%s.", lua_tostring(L, -2));
			rules_check_fields(L, -1, "business_hours: channels", day_keys);
			week *w = out ? week_new() : NULL;
			parse_week(L, -1, w, where);
			if (w)
				g_hash_table_replace(out->channels, g_strdup(lua_tostring(L, -2)), w);
			lua_pop(L, 1);
		}
	} else if (t != LUA_TNIL) {
		luaL_error(L, "business_hours: channels must be a table");
	}
	lua_pop(L, 1);
}

/* ---- evaluation ------------------------------------------------------------- */

static bool week_open(const week *w, int dow, int minute)
{
	const GArray *a = w->days[dow];
	for (guint i = 0; i + 1 < a->len; i += 2)
		if (minute >= g_array_index(a, gint16, i) && minute < g_array_index(a, gint16, i + 1))
			return true;
	return false;
}

static bool hours_open(const rules_hours *h, const char *channel, int64_t now_us)
{
	GTimeZone *tz = h && h->tz ? g_time_zone_ref(h->tz) : g_time_zone_new_local();
	GDateTime *utc = g_date_time_new_from_unix_utc(now_us / G_USEC_PER_SEC);
	GDateTime *dt = utc ? g_date_time_to_timezone(utc, tz) : NULL;
	bool open = false;
	if (!dt)
		goto out;
	int dow = g_date_time_get_day_of_week(dt) - 1;
	int minute = g_date_time_get_hour(dt) * 60 + g_date_time_get_minute(dt);
	if (!h) {
		open = dow < 5 && minute >= 9 * 60 && minute < 18 * 60;
		goto out;
	}
	char *date = g_date_time_format(dt, "%Y-%m-%d");
	bool holiday = date && g_hash_table_contains(h->holidays, date);
	g_free(date);
	if (holiday)
		goto out;
	const week *w = channel ? g_hash_table_lookup(h->channels, channel) : NULL;
	open = week_open(w ? w : h->all, dow, minute);
out:
	if (dt)
		g_date_time_unref(dt);
	if (utc)
		g_date_time_unref(utc);
	g_time_zone_unref(tz);
	return open;
}

int tsunagu_rules_business_hours(const tsunagu_rules *rules, const char *channel,
				 int64_t now_us, bool *open_out)
{
	if (!rules || !rules->gen || !rules->gen->hours)
		return -ENOENT;
	*open_out = hours_open(rules->gen->hours, channel, now_us);
	return 0;
}

static int hours_box_gc(lua_State *L)
{
	rules_hours **box = lua_touserdata(L, 1);
	if (box)
		g_clear_pointer(box, rules_hours_free);
	return 0;
}

static int l_business_hours(lua_State *L)
{
	rules_file *f = rules_file_of(L);
	rules_generation *gen = f->gen;
	if (lua_type(L, 1) != LUA_TTABLE) {
		const char *channel = NULL;
		if (!lua_isnoneornil(L, 1))
			channel = rules_check_text(L, 1, "business_hours: the channel");
		lua_pushboolean(L, hours_open(gen->hours, channel, tsunagu_core_now_us()));
		return 1;
	}
	if (!f->loading)
		return luaL_error(L, "business_hours { ... } belongs at the top level of a rule file");
	if (gen->hours)
		return luaL_error(L, "business_hours is already declared (%s)", gen->hours_where);
	lua_settop(L, 1);
	parse_decl(L, NULL);
	lua_Debug ar;
	int line = 0;
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar))
		line = ar.currentline;
	/* The box frees h if the second pass fails for want of memory. */
	rules_hours **box = lua_newuserdatauv(L, sizeof *box, 0);
	*box = NULL;
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, hours_box_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	rules_hours *h = g_new0(rules_hours, 1);
	h->all = week_new();
	h->channels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, week_free);
	h->holidays = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	*box = h;
	parse_decl(L, h);
	*box = NULL;
	gen->hours = h;
	gen->hours_where = g_strdup_printf("%s:%d", f->src, line);
	return 0;
}

static int l_now(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)(tsunagu_core_now_us() / G_USEC_PER_SEC));
	return 1;
}

static int l_duration(lua_State *L)
{
	int64_t ms = rules_check_duration(L, 1, "duration");
	lua_pushinteger(L, (lua_Integer)(ms / 1000));
	return 1;
}

void rules_hours_register(lua_State *L, int api)
{
	static const luaL_Reg fns[] = {
		{"business_hours", l_business_hours},
		{"now", l_now},
		{"duration", l_duration},
		{NULL, NULL},
	};
	lua_pushvalue(L, api);
	luaL_setfuncs(L, fns, 0);
	lua_pop(L, 1);
}
