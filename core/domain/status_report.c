/* The status-time report (OP-6): one scan of the period's events in time
 * order, a small state machine per staff member (status) and per call
 * (talk, after-call work), and every interval split at local midnight. */
#define TSUNAGU_LOG_TOPIC "report"
#include "status_report.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "log.h"

#define US G_USEC_PER_SEC

static const char *const report_types[] = {
	"staff.status_changed", "conversation.assigned", "call.answered",
	"call.ended",		"call.acw_ended",	 NULL,
};

typedef enum { BUCKET_STATUS, BUCKET_CALL, BUCKET_ACW } bucket;

/* One day's figures in microseconds, before rounding. */
typedef struct {
	int64_t status_us[4];
	GPtrArray *subtypes; /* tsunagu_report_subtype*, seconds holding µs; made lazily */
	int64_t chats;
	int64_t calls;
	int64_t call_us;
	int64_t acw_us;
} day_acc;

typedef struct {
	tsunagu_store_staff *staff; /* owned */
	day_acc *days;         /* n_days, owned */
	unsigned n_days;
	GHashTable *chat_day;  /* conversation id -> 1 + the last day it was counted on */
	int64_t chats;         /* distinct conversations of the period */
	int64_t counted_from;  /* status time starts here: period start or account creation */
	bool active;           /* an event of the period concerns this staff member */
	bool seen;             /* a status event in the period */
	bool initial_known;    /* the first one said what was before it */
	int64_t first_at;
	tsunagu_staff_status status; /* the current one, since `since` */
	char *subtype;
	int64_t since;
} staff_acc;

typedef enum { CALL_TALK, CALL_ACW } call_phase;

typedef struct {
	int64_t staff_id;
	call_phase phase;
	int64_t from; /* answered (talk) or ended (after-call work) */
} call_acc;

typedef struct {
	tsunagu_store *store;
	tsunagu_status_report *r;
	int64_t start, end, open_end;
	GHashTable *staff; /* int64 staff id -> staff_acc* */
	GHashTable *calls; /* "i:ID" / "s:ID" -> call_acc* */
} build_ctx;

static void subtype_free(void *p)
{
	tsunagu_report_subtype *s = p;
	g_free(s->name);
	g_free(s);
}

static void staff_acc_free(void *p)
{
	staff_acc *a = p;
	tsunagu_store_staff_free(a->staff);
	for (unsigned i = 0; i < a->n_days; i++)
		if (a->days[i].subtypes)
			g_ptr_array_unref(a->days[i].subtypes);
	g_free(a->days);
	g_free(a->subtype);
	if (a->chat_day)
		g_hash_table_unref(a->chat_day);
	g_free(a);
}

/* ---- adding time ------------------------------------------------------------- */

/* The day that contains t (t inside the period). */
static unsigned day_of(const tsunagu_status_report *r, int64_t t)
{
	unsigned lo = 0, hi = r->n_days; /* starts[lo] <= t < starts[hi] */

	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo) / 2;
		if (r->day_start_us[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static void add_subtype(day_acc *d, tsunagu_staff_status status, const char *name, int64_t us)
{
	tsunagu_report_subtype *s;

	if (!d->subtypes)
		d->subtypes = g_ptr_array_new_with_free_func(subtype_free);
	for (guint i = 0; i < d->subtypes->len; i++) {
		s = d->subtypes->pdata[i];
		if (s->status == status && strcmp(s->name, name) == 0) {
			s->seconds += us;
			return;
		}
	}
	s = g_new0(tsunagu_report_subtype, 1);
	s->status = status;
	s->name = g_strdup(name);
	s->seconds = us;
	g_ptr_array_add(d->subtypes, s);
}

/* Adds [a, b) clipped to the period to a bucket, day by day. */
static void add_time(build_ctx *c, staff_acc *a, int64_t from, int64_t to, bucket b,
		     tsunagu_staff_status status, const char *subtype)
{
	const tsunagu_status_report *r = c->r;

	from = MAX(from, c->start);
	to = MIN(to, c->end);
	if (from >= to)
		return;
	for (unsigned i = day_of(r, from); from < to && i < r->n_days; i++) {
		int64_t upto = MIN(to, r->day_start_us[i + 1]);
		day_acc *d = &a->days[i];
		int64_t us = upto - from;

		if (us <= 0)
			continue;
		if (b == BUCKET_STATUS) {
			d->status_us[status] += us;
			if (subtype)
				add_subtype(d, status, subtype, us);
		} else if (b == BUCKET_CALL) {
			d->call_us += us;
		} else {
			d->acw_us += us;
		}
		from = upto;
	}
}

/* ---- reading payloads ------------------------------------------------------------ */

static int64_t member_int(json_t *payload, const char *key)
{
	json_t *v = json_object_get(payload, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static bool member_status(json_t *payload, const char *key, tsunagu_staff_status *out)
{
	const char *s = json_string_value(json_object_get(payload, key));
	return s && tsunagu_staff_status_parse(s, out) == 0;
}

/* A sub-type: a non-empty string, else none. */
static const char *member_subtype(json_t *payload, const char *key)
{
	const char *s = json_string_value(json_object_get(payload, key));
	return s && *s ? s : NULL;
}

static staff_acc *staff_of(build_ctx *c, json_t *payload)
{
	int64_t id = member_int(payload, "staff");
	return id > 0 ? g_hash_table_lookup(c->staff, &id) : NULL;
}

/* The call's key: ids may be numbers or strings. NULL when it has none. */
static char *call_key(json_t *payload)
{
	json_t *v = json_object_get(payload, "call");

	if (json_is_integer(v))
		return g_strdup_printf("i:%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (json_is_string(v) && json_string_length(v) > 0)
		return g_strconcat("s:", json_string_value(v), NULL);
	return NULL;
}

/* ---- the events ------------------------------------------------------------------- */

static void on_status(build_ctx *c, staff_acc *a, int64_t at, json_t *p)
{
	tsunagu_staff_status status, previous;

	if (!member_status(p, "status", &status)) {
		c->r->skipped++;
		return;
	}
	if (!a->seen) {
		a->seen = true;
		a->first_at = at;
		a->initial_known = member_status(p, "previous", &previous);
		if (a->initial_known)
			add_time(c, a, a->counted_from, at, BUCKET_STATUS, previous,
				 member_subtype(p, "previous_subtype"));
	} else {
		add_time(c, a, a->since, at, BUCKET_STATUS, a->status, a->subtype);
	}
	a->status = status;
	g_free(a->subtype);
	a->subtype = g_strdup(member_subtype(p, "subtype"));
	a->since = at;
}

static void on_assigned(build_ctx *c, staff_acc *a, const tsunagu_store_event *ev,
			const char *channel)
{
	unsigned day = day_of(c->r, ev->at_us);
	gpointer seen;

	if (ev->conversation_id <= 0) {
		c->r->skipped++;
		return;
	}
	if (channel && strcmp(channel, "phone") == 0)
		return; /* calls are counted as calls */
	if (!a->chat_day)
		a->chat_day = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	seen = g_hash_table_lookup(a->chat_day, &ev->conversation_id);
	if (!seen)
		a->chats++;
	/* events come in time order, so one remembered day per conversation
	 * is enough to count it once per day */
	if (GPOINTER_TO_UINT(seen) != day + 1) {
		a->days[day].chats++;
		g_hash_table_replace(a->chat_day, g_memdup2(&ev->conversation_id, sizeof(int64_t)),
				     GUINT_TO_POINTER(day + 1));
	}
}

/* Where an interval whose start the period does not show began: its
 * duration member (ms) dates it, else it ran since the period's start. */
static int64_t dated_start(build_ctx *c, int64_t at, json_t *p, const char *ms_key)
{
	int64_t ms = member_int(p, ms_key);
	return ms > 0 && ms < INT64_MAX / 1000 ? MAX(c->start, at - ms * 1000) : c->start;
}

/* The call enters a phase at `at` (key is taken). */
static void call_enter(build_ctx *c, char *key, int64_t staff_id, call_phase phase, int64_t at)
{
	call_acc *call = g_new0(call_acc, 1);

	call->staff_id = staff_id;
	call->phase = phase;
	call->from = at;
	g_hash_table_replace(c->calls, key, call);
}

static void on_call(build_ctx *c, const tsunagu_store_event *ev, json_t *p)
{
	char *key = call_key(p);
	call_acc *call = key ? g_hash_table_lookup(c->calls, key) : NULL;
	staff_acc *a = staff_of(c, p);
	bool answered = strcmp(ev->type, "call.answered") == 0;
	bool ended = strcmp(ev->type, "call.ended") == 0;

	if (!key) {
		c->r->skipped++;
		return;
	}
	if (!a && call)
		a = g_hash_table_lookup(c->staff, &call->staff_id);
	if (!a) {
		g_free(key); /* someone the report does not show */
		return;
	}
	a->active = true;
	if (answered) {
		a->days[day_of(c->r, ev->at_us)].calls++;
	} else {
		/* the phase that ends here began at its event, or before the period */
		call_phase phase = ended ? CALL_TALK : CALL_ACW;
		int64_t from = call && call->phase == phase
				       ? call->from
				       : dated_start(c, ev->at_us, p, ended ? "talk_ms" : "acw_ms");
		add_time(c, a, from, ev->at_us, ended ? BUCKET_CALL : BUCKET_ACW, 0, NULL);
	}
	if (answered || ended)
		call_enter(c, key, a->staff->id, answered ? CALL_TALK : CALL_ACW, ev->at_us);
	else {
		g_hash_table_remove(c->calls, key);
		g_free(key);
	}
}

/* Report scan callback: the store's thread, inside the scan (no store calls);
 * ev and channel are borrowed. */
static int on_event(const tsunagu_store_event *ev, const char *channel, void *user_data)
{
	build_ctx *c = user_data;
	json_t *p = json_loads(ev->payload_json ? ev->payload_json : "", 0, NULL);
	staff_acc *a;

	if (!json_is_object(p)) {
		c->r->skipped++;
		goto out;
	}
	if (g_str_has_prefix(ev->type, "call.")) {
		on_call(c, ev, p);
		goto out;
	}
	a = staff_of(c, p);
	if (!a) {
		if (member_int(p, "staff") <= 0)
			c->r->skipped++;
		goto out;
	}
	a->active = true;
	if (strcmp(ev->type, "staff.status_changed") == 0)
		on_status(c, a, ev->at_us, p);
	else
		on_assigned(c, a, ev, channel);
out:
	if (p)
		json_decref(p);
	return 0;
}

/* ---- what was before the period, what is still open ------------------------------- */

/* The status in force at the period's start of someone without a usable
 * first event: the newest status event before it, offline when none. */
static int status_before(build_ctx *c, staff_acc *a, tsunagu_staff_status *status,
			 char **subtype)
{
	char *text = NULL;
	json_t *p;
	int ret = tsunagu_store_report_last_staff_event(c->store, "staff.status_changed",
						       a->staff->id, a->staff->created_at_us,
						       c->start, &text);

	*status = TSUNAGU_STATUS_OFFLINE;
	*subtype = NULL;
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	p = json_loads(text, 0, NULL);
	if (p && member_status(p, "status", status))
		*subtype = g_strdup(member_subtype(p, "subtype"));
	else
		c->r->skipped++;
	if (p)
		json_decref(p);
	g_free(text);
	return 0;
}

static int close_open(build_ctx *c)
{
	GHashTableIter it;
	gpointer v;
	int ret = 0;

	g_hash_table_iter_init(&it, c->staff);
	while (ret == 0 && g_hash_table_iter_next(&it, NULL, &v)) {
		staff_acc *a = v;
		tsunagu_staff_status before;
		char *subtype = NULL;

		if (!a->seen || !a->initial_known) {
			ret = status_before(c, a, &before, &subtype);
			if (ret == 0)
				add_time(c, a, a->counted_from, a->seen ? a->first_at : c->open_end,
					 BUCKET_STATUS, before, subtype);
			g_free(subtype);
		}
		if (a->seen)
			add_time(c, a, a->since, c->open_end, BUCKET_STATUS, a->status, a->subtype);
	}
	g_hash_table_iter_init(&it, c->calls);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		call_acc *call = v;
		staff_acc *a = g_hash_table_lookup(c->staff, &call->staff_id);
		if (a)
			add_time(c, a, call->from, c->open_end,
				 call->phase == CALL_TALK ? BUCKET_CALL : BUCKET_ACW, 0, NULL);
	}
	return ret;
}

/* ---- rounding into the report ------------------------------------------------------ */

static int64_t seconds_of(int64_t us)
{
	return (us + US / 2) / US;
}

static int subtype_cmp(gconstpointer pa, gconstpointer pb)
{
	const tsunagu_report_subtype *a = *(tsunagu_report_subtype *const *)pa;
	const tsunagu_report_subtype *b = *(tsunagu_report_subtype *const *)pb;

	if (a->status != b->status)
		return a->status < b->status ? -1 : 1;
	return strcmp(a->name, b->name);
}

static void total_add_subtype(tsunagu_report_figures *t, const tsunagu_report_subtype *s)
{
	for (guint i = 0; i < t->subtypes->len; i++) {
		tsunagu_report_subtype *x = t->subtypes->pdata[i];
		if (x->status == s->status && strcmp(x->name, s->name) == 0) {
			x->seconds += s->seconds;
			return;
		}
	}
	tsunagu_report_subtype *n = g_new0(tsunagu_report_subtype, 1);
	n->status = s->status;
	n->name = g_strdup(s->name);
	n->seconds = s->seconds;
	g_ptr_array_add(t->subtypes, n);
}

static tsunagu_report_row *row_of(const tsunagu_status_report *r, staff_acc *a)
{
	tsunagu_report_row *row = g_new0(tsunagu_report_row, 1);
	tsunagu_report_figures *t = &row->total;

	row->staff_id = a->staff->id;
	row->login = g_strdup(a->staff->login);
	row->display_name = g_strdup(a->staff->display_name ? a->staff->display_name : "");
	row->role = a->staff->role;
	row->days = g_new0(tsunagu_report_figures, r->n_days);
	t->subtypes = g_ptr_array_new_with_free_func(subtype_free);
	for (unsigned i = 0; i < r->n_days; i++) {
		day_acc *d = &a->days[i];
		tsunagu_report_figures *f = &row->days[i];

		for (int s = TSUNAGU_STATUS_AVAILABLE; s <= TSUNAGU_STATUS_OFFLINE; s++)
			t->seconds[s] += f->seconds[s] = seconds_of(d->status_us[s]);
		f->subtypes = d->subtypes ? d->subtypes
					  : g_ptr_array_new_with_free_func(subtype_free);
		d->subtypes = NULL;
		for (guint k = 0; k < f->subtypes->len; k++) {
			tsunagu_report_subtype *s = f->subtypes->pdata[k];
			s->seconds = seconds_of(s->seconds);
			total_add_subtype(t, s);
		}
		g_ptr_array_sort(f->subtypes, subtype_cmp);
		t->calls += f->calls = d->calls;
		t->call_seconds += f->call_seconds = seconds_of(d->call_us);
		t->acw_seconds += f->acw_seconds = seconds_of(d->acw_us);
		f->chats = d->chats;
	}
	g_ptr_array_sort(t->subtypes, subtype_cmp);
	t->chats = a->chats;
	return row;
}

static int staff_id_cmp(gconstpointer pa, gconstpointer pb)
{
	const tsunagu_report_row *a = *(tsunagu_report_row *const *)pa;
	const tsunagu_report_row *b = *(tsunagu_report_row *const *)pb;
	return a->staff_id < b->staff_id ? -1 : a->staff_id > b->staff_id;
}

/* ---- building ------------------------------------------------------------------------ */

static bool wanted(const tsunagu_status_report_query *q, GArray *team, int64_t id)
{
	bool in = q->n_staff == 0;

	for (unsigned i = 0; !in && i < q->n_staff; i++)
		in = q->staff_ids[i] == id;
	if (in && team) {
		in = false;
		for (guint i = 0; !in && i < team->len; i++)
			in = g_array_index(team, int64_t, i) == id;
	}
	return in;
}

/* The staff members the report may show, each with empty days. */
static int collect_staff(build_ctx *c, const tsunagu_status_report_query *q)
{
	GPtrArray *all = NULL;
	GArray *team = NULL;
	int ret = 0;

	if (q->team_id > 0) {
		ret = tsunagu_store_team_members(c->store, q->team_id, &team);
		if (ret < 0)
			goto out;
	}
	ret = tsunagu_store_staff_list(c->store, &all);
	if (ret < 0)
		goto out;
	for (guint i = 0; i < all->len; i++) {
		tsunagu_store_staff *s = all->pdata[i];
		staff_acc *a;

		if (!wanted(q, team, s->id))
			continue;
		a = g_new0(staff_acc, 1);
		a->staff = s;
		all->pdata[i] = NULL;
		a->days = g_new0(day_acc, c->r->n_days);
		a->n_days = c->r->n_days;
		a->counted_from = MAX(c->start, s->created_at_us);
		g_hash_table_replace(c->staff, &a->staff->id, a);
	}
out:
	if (all)
		g_ptr_array_unref(all);
	if (team)
		g_array_unref(team);
	return ret;
}

static void ctx_clear(build_ctx *c)
{
	if (c->staff)
		g_hash_table_unref(c->staff);
	if (c->calls)
		g_hash_table_unref(c->calls);
}

int tsunagu_status_report_build(tsunagu_store *store, const tsunagu_status_report_query *q,
				tsunagu_status_report **out)
{
	build_ctx c = { .store = store };
	GTimeZone *tz = NULL;
	unsigned n_days = 0;
	GHashTableIter it;
	gpointer v;
	int ret;

	if (!store || !q || !out || (q->n_staff && !q->staff_ids) ||
	    q->n_staff > TSUNAGU_REPORT_MAX_STAFF)
		return -EINVAL;
	ret = tsunagu_report_period_days(&q->first, &q->last, &n_days, NULL);
	if (ret < 0)
		return ret;
	tz = q->tz ? g_time_zone_ref(q->tz) : g_time_zone_new_local();
	c.r = g_new0(tsunagu_status_report, 1);
	c.r->first = q->first;
	c.r->n_days = n_days;
	c.r->timezone = g_strdup(g_time_zone_get_identifier(tz));
	c.r->day_start_us = tsunagu_report_day_starts(&q->first, n_days, tz);
	c.r->now_us = q->now_us;
	c.r->rows = g_ptr_array_new();
	c.start = c.r->day_start_us[0];
	c.end = c.r->day_start_us[n_days];
	c.open_end = CLAMP(q->now_us, c.start, c.end);
	c.staff = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, staff_acc_free);
	c.calls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	ret = collect_staff(&c, q);
	if (ret == 0 && g_hash_table_size(c.staff))
		ret = tsunagu_store_report_scan(store, report_types, c.start, c.end, on_event, &c);
	if (ret == 0)
		ret = close_open(&c);
	if (ret < 0)
		goto out;
	g_hash_table_iter_init(&it, c.staff);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		staff_acc *a = v;
		if (!a->staff->disabled || a->active)
			g_ptr_array_add(c.r->rows, row_of(c.r, a));
	}
	g_ptr_array_sort(c.r->rows, staff_id_cmp);
	if (c.r->skipped)
		tlog_warn("status report: %u events of the period did not parse and were skipped",
			  c.r->skipped);
	*out = c.r;
	c.r = NULL;
out:
	ctx_clear(&c);
	tsunagu_status_report_free(c.r);
	g_time_zone_unref(tz);
	return ret;
}

void tsunagu_status_report_free(tsunagu_status_report *r)
{
	if (!r)
		return;
	for (guint i = 0; i < r->rows->len; i++) {
		tsunagu_report_row *row = r->rows->pdata[i];
		for (unsigned d = 0; d < r->n_days; d++)
			g_ptr_array_unref(row->days[d].subtypes);
		g_free(row->days);
		g_ptr_array_unref(row->total.subtypes);
		g_free(row->login);
		g_free(row->display_name);
		g_free(row);
	}
	g_ptr_array_unref(r->rows);
	g_free(r->timezone);
	g_free(r->day_start_us);
	g_free(r);
}

void tsunagu_status_report_day_name(const tsunagu_status_report *r, unsigned i, char buf[11])
{
	GDate d = r->first;

	g_date_add_days(&d, i);
	g_snprintf(buf, 11, "%04d-%02d-%02d", g_date_get_year(&d), g_date_get_month(&d),
		   g_date_get_day(&d));
}
