/* The status-time report (OP-6) over hand-made event sequences on a real
 * store, with a controlled clock: intervals split at local midnight, days
 * of 23 and 25 hours (America/New_York), a status still open at the end or
 * at "now", a status carried from before the period, sub-types, chats
 * (phone excluded, reassignment, once per day), calls and after-call work
 * across midnight and across the period's start, filters, and payloads
 * that do not parse. The expected figures are worked out by hand in the
 * comments beside them. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "core.h"
#include "domain_test_core.h"
#include "status_report.h"
#include "store.h"

#define H ((int64_t)3600)
#define M ((int64_t)60)

static int64_t fake_now;

static int64_t fake_clock(void)
{
	return fake_now;
}

typedef struct {
	char *dir;
	char *db;
	tsunagu_store *store;
	GTimeZone *tz;
} fixture;

/* µs of a local time in tz. */
static int64_t local_us(GTimeZone *tz, int y, int mo, int d, int h, int mi)
{
	GDateTime *dt = g_date_time_new(tz, y, mo, d, h, mi, 0);
	int64_t us = g_date_time_to_unix(dt) * G_USEC_PER_SEC;
	g_date_time_unref(dt);
	return us;
}

static void setup(fixture *f, gconstpointer data)
{
	memset(f, 0, sizeof *f);
	f->tz = g_time_zone_new_identifier(data ? data : "Asia/Tokyo");
	g_assert_nonnull(f->tz);
	/* accounts exist from long before the periods tested */
	fake_now = local_us(f->tz, 2024, 1, 1, 0, 0);
	tsunagu_core_set_clock(fake_clock);
	f->dir = g_dir_make_tmp("test-report-XXXXXX", NULL);
	f->db = g_build_filename(f->dir, "t.db", NULL);
	tsunagu_store_options so = { .path = f->db, .synchronous = "off" };
	g_assert_cmpint(tsunagu_store_open(&so, &f->store), ==, 0);
}

static void teardown(fixture *f, gconstpointer data)
{
	tsunagu_store_close(f->store);
	while (g_main_context_iteration(NULL, FALSE))
		;
	domain_test_remove_store_files(f->db);
	g_rmdir(f->dir);
	g_free(f->db);
	g_free(f->dir);
	g_time_zone_unref(f->tz);
	tsunagu_core_set_clock(NULL);
}

static int64_t staff(fixture *f, const char *login)
{
	int64_t id = 0;
	g_assert_cmpint(tsunagu_store_staff_create(f->store, login, login, NULL,
						   TSUNAGU_ROLE_OPERATOR, "x", &id), ==, 0);
	return id;
}

/* An event at a local time (the store stamps it with the clock). */
static void event_at(fixture *f, int64_t at, const char *type, int64_t conv, const char *payload)
{
	fake_now = at;
	g_assert_cmpint(tsunagu_store_event_append(f->store, type, conv, 0, payload, NULL), ==, 0);
}

static void status_at(fixture *f, int64_t at, int64_t id, const char *status, const char *previous,
		      const char *subtype)
{
	char *p = g_strdup_printf("{\"staff\":%" G_GINT64_FORMAT ",\"status\":\"%s\","
				  "\"previous\":\"%s\",\"subtype\":%s%s%s,\"reason\":\"manual\"}",
				  id, status, previous, subtype ? "\"" : "",
				  subtype ? subtype : "null", subtype ? "\"" : "");
	event_at(f, at, "staff.status_changed", 0, p);
	g_free(p);
}

static tsunagu_status_report *report(fixture *f, int y1, int m1, int d1, int y2, int m2, int d2,
				     int64_t now)
{
	tsunagu_status_report_query q = { .tz = f->tz, .now_us = now };
	tsunagu_status_report *r = NULL;

	g_date_clear(&q.first, 1);
	g_date_clear(&q.last, 1);
	g_date_set_dmy(&q.first, d1, m1, y1);
	g_date_set_dmy(&q.last, d2, m2, y2);
	g_assert_cmpint(tsunagu_store_flush(f->store), ==, 0);
	g_assert_cmpint(tsunagu_status_report_build(f->store, &q, &r), ==, 0);
	return r;
}

static const tsunagu_report_row *row(const tsunagu_status_report *r, int64_t id)
{
	for (guint i = 0; i < r->rows->len; i++) {
		const tsunagu_report_row *row = r->rows->pdata[i];
		if (row->staff_id == id)
			return row;
	}
	g_assert_not_reached();
	return NULL;
}

static int64_t subtype_s(const tsunagu_report_figures *fig, tsunagu_staff_status st,
			 const char *name)
{
	for (guint i = 0; i < fig->subtypes->len; i++) {
		const tsunagu_report_subtype *s = fig->subtypes->pdata[i];
		if (s->status == st && strcmp(s->name, name) == 0)
			return s->seconds;
	}
	return 0;
}

#define AV TSUNAGU_STATUS_AVAILABLE
#define AW TSUNAGU_STATUS_AWAY
#define OFF TSUNAGU_STATUS_OFFLINE

/* available 22:00 on the 1st, away (break) 02:00 on the 2nd, offline at 03:00. */
static void test_midnight(fixture *f, gconstpointer data)
{
	int64_t a = staff(f, "sato");
	status_at(f, local_us(f->tz, 2024, 5, 1, 22, 0), a, "available", "offline", NULL);
	status_at(f, local_us(f->tz, 2024, 5, 2, 2, 0), a, "away", "available", "break");
	status_at(f, local_us(f->tz, 2024, 5, 2, 3, 0), a, "offline", "away", NULL);

	tsunagu_status_report *r = report(f, 2024, 5, 1, 2024, 5, 2, local_us(f->tz, 2024, 6, 1, 0, 0));
	const tsunagu_report_row *x = row(r, a);
	g_assert_cmpuint(r->n_days, ==, 2);
	g_assert_cmpstr(r->timezone, ==, "Asia/Tokyo");
	g_assert_cmpint(x->days[0].seconds[AV], ==, 2 * H);
	g_assert_cmpint(x->days[0].seconds[OFF], ==, 22 * H);
	g_assert_cmpint(x->days[1].seconds[AV], ==, 2 * H);
	g_assert_cmpint(x->days[1].seconds[AW], ==, 1 * H);
	g_assert_cmpint(x->days[1].seconds[OFF], ==, 21 * H);
	g_assert_cmpint(subtype_s(&x->days[1], AW, "break"), ==, 1 * H);
	g_assert_cmpint(subtype_s(&x->days[0], AW, "break"), ==, 0);
	g_assert_cmpint(x->total.seconds[AV], ==, 4 * H);
	g_assert_cmpint(subtype_s(&x->total, AW, "break"), ==, 1 * H);
	g_assert_cmpuint(r->skipped, ==, 0);
	char day[11];
	tsunagu_status_report_day_name(r, 1, day);
	g_assert_cmpstr(day, ==, "2024-05-02");
	tsunagu_status_report_free(r);
}

/* New York: 10 March 2024 has 23 hours, 3 November 2024 has 25. Available
 * from the evening before each to the morning after. */
static void test_dst(fixture *f, gconstpointer data)
{
	int64_t a = staff(f, "suzuki");
	status_at(f, local_us(f->tz, 2024, 3, 9, 20, 0), a, "available", "offline", NULL);
	status_at(f, local_us(f->tz, 2024, 3, 11, 6, 0), a, "offline", "available", NULL);
	status_at(f, local_us(f->tz, 2024, 11, 2, 20, 0), a, "available", "offline", NULL);
	status_at(f, local_us(f->tz, 2024, 11, 4, 6, 0), a, "offline", "available", NULL);

	tsunagu_status_report *r = report(f, 2024, 3, 10, 2024, 3, 10, local_us(f->tz, 2025, 1, 1, 0, 0));
	g_assert_cmpint(row(r, a)->days[0].seconds[AV], ==, 23 * H);
	g_assert_cmpint(row(r, a)->days[0].seconds[OFF], ==, 0);
	tsunagu_status_report_free(r);
	r = report(f, 2024, 11, 3, 2024, 11, 4, local_us(f->tz, 2025, 1, 1, 0, 0));
	g_assert_cmpint(row(r, a)->days[0].seconds[AV], ==, 25 * H);
	g_assert_cmpint(row(r, a)->days[1].seconds[AV], ==, 6 * H);
	g_assert_cmpint(row(r, a)->days[1].seconds[OFF], ==, 18 * H);
	tsunagu_status_report_free(r);
}

/* Available since 10:00 and still so: up to now (15:00) today, up to the
 * end of the period once the day is over. */
static void test_open_interval(fixture *f, gconstpointer data)
{
	int64_t a = staff(f, "tanaka");
	status_at(f, local_us(f->tz, 2024, 5, 1, 10, 0), a, "available", "offline", NULL);

	tsunagu_status_report *r = report(f, 2024, 5, 1, 2024, 5, 1, local_us(f->tz, 2024, 5, 1, 15, 0));
	g_assert_cmpint(row(r, a)->days[0].seconds[AV], ==, 5 * H);
	g_assert_cmpint(row(r, a)->days[0].seconds[OFF], ==, 10 * H);
	tsunagu_status_report_free(r);
	r = report(f, 2024, 5, 1, 2024, 5, 1, local_us(f->tz, 2024, 5, 9, 0, 0));
	g_assert_cmpint(row(r, a)->days[0].seconds[AV], ==, 14 * H);
	tsunagu_status_report_free(r);
	/* a period in the future counts nothing yet */
	r = report(f, 2024, 5, 2, 2024, 5, 3, local_us(f->tz, 2024, 5, 1, 15, 0));
	g_assert_cmpint(row(r, a)->total.seconds[AV], ==, 0);
	g_assert_cmpint(row(r, a)->total.seconds[OFF], ==, 0);
	tsunagu_status_report_free(r);
}

/* No event in the period: the status (and sub-type) of the newest event
 * before it holds all along; someone with no event ever is offline. */
static void test_carried(fixture *f, gconstpointer data)
{
	int64_t a = staff(f, "ito");
	int64_t b = staff(f, "kato");
	status_at(f, local_us(f->tz, 2024, 4, 20, 9, 0), a, "available", "offline", NULL);
	status_at(f, local_us(f->tz, 2024, 4, 30, 23, 0), a, "away", "available", "training");

	tsunagu_status_report *r = report(f, 2024, 5, 1, 2024, 5, 2, local_us(f->tz, 2024, 6, 1, 0, 0));
	g_assert_cmpint(row(r, a)->total.seconds[AW], ==, 48 * H);
	g_assert_cmpint(subtype_s(&row(r, a)->total, AW, "training"), ==, 48 * H);
	g_assert_cmpint(row(r, a)->total.seconds[AV], ==, 0);
	g_assert_cmpint(row(r, b)->total.seconds[OFF], ==, 48 * H);
	tsunagu_status_report_free(r);
}

/* A first event of the period that does not say what was before: the
 * newest event before the period tells. */
static void test_first_without_previous(fixture *f, gconstpointer data)
{
	int64_t a = staff(f, "abe");
	status_at(f, local_us(f->tz, 2024, 4, 30, 9, 0), a, "available", "offline", NULL);
	char *p = g_strdup_printf("{\"staff\":%" G_GINT64_FORMAT ",\"status\":\"offline\"}", a);
	event_at(f, local_us(f->tz, 2024, 5, 1, 6, 0), "staff.status_changed", 0, p);
	g_free(p);

	tsunagu_status_report *r = report(f, 2024, 5, 1, 2024, 5, 1, local_us(f->tz, 2024, 6, 1, 0, 0));
	g_assert_cmpint(row(r, a)->total.seconds[AV], ==, 6 * H);
	g_assert_cmpint(row(r, a)->total.seconds[OFF], ==, 18 * H);
	tsunagu_status_report_free(r);
}

/* Sub-types change within one kind; the kind's time is their sum plus the
 * time without a sub-type. */
static void test_subtypes(fixture *f, gconstpointer data)
{
	int64_t a = staff(f, "mori");
	status_at(f, local_us(f->tz, 2024, 5, 1, 9, 0), a, "away", "offline", NULL);
	status_at(f, local_us(f->tz, 2024, 5, 1, 10, 0), a, "away", "away", "lunch");
	status_at(f, local_us(f->tz, 2024, 5, 1, 11, 0), a, "away", "away", "meeting");
	status_at(f, local_us(f->tz, 2024, 5, 1, 11, 30), a, "available", "away", "chat-only");
	status_at(f, local_us(f->tz, 2024, 5, 1, 12, 0), a, "offline", "available", NULL);

	tsunagu_status_report *r = report(f, 2024, 5, 1, 2024, 5, 1, local_us(f->tz, 2024, 6, 1, 0, 0));
	const tsunagu_report_figures *t = &row(r, a)->total;
	g_assert_cmpint(t->seconds[AW], ==, 2 * H + 30 * M);
	g_assert_cmpint(subtype_s(t, AW, "lunch"), ==, 1 * H);
	g_assert_cmpint(subtype_s(t, AW, "meeting"), ==, 30 * M);
	g_assert_cmpint(subtype_s(t, AV, "chat-only"), ==, 30 * M);
	g_assert_cmpint(t->seconds[AV], ==, 30 * M);
	g_assert_cmpuint(t->subtypes->len, ==, 3);
	/* ordered by kind, then name */
	g_assert_cmpstr(((tsunagu_report_subtype *)t->subtypes->pdata[0])->name, ==, "chat-only");
	g_assert_cmpstr(((tsunagu_report_subtype *)t->subtypes->pdata[1])->name, ==, "lunch");
	tsunagu_status_report_free(r);
}

static int64_t conversation(fixture *f, const char *channel)
{
	int64_t contact = 0, id = 0;
	g_assert_cmpint(tsunagu_store_contact_create(f->store, NULL, &contact), ==, 0);
	g_assert_cmpint(tsunagu_store_conversation_create(f->store, channel, contact, &id), ==, 0);
	return id;
}

static void assigned_at(fixture *f, int64_t at, int64_t conv, int64_t to)
{
	char *p = g_strdup_printf("{\"conversation\":\"x\",\"staff\":%" G_GINT64_FORMAT
				  ",\"by\":\"router\"}", to);
	event_at(f, at, "conversation.assigned", conv, p);
	g_free(p);
}

/* Chats: distinct non-phone conversations per day; a reassignment counts
 * for the new assignee; the period counts a conversation once. */
static void test_chats(fixture *f, gconstpointer data)
{
	int64_t a = staff(f, "hara"), b = staff(f, "ono");
	int64_t web1 = conversation(f, "web"), web2 = conversation(f, "line");
	int64_t tel = conversation(f, "phone");
	assigned_at(f, local_us(f->tz, 2024, 5, 1, 9, 0), web1, a);
	assigned_at(f, local_us(f->tz, 2024, 5, 1, 9, 5), web1, a);  /* same day: once */
	assigned_at(f, local_us(f->tz, 2024, 5, 1, 9, 10), web2, a);
	assigned_at(f, local_us(f->tz, 2024, 5, 1, 9, 20), web2, b); /* reassigned */
	assigned_at(f, local_us(f->tz, 2024, 5, 1, 9, 30), tel, a);  /* a call, not a chat */
	assigned_at(f, local_us(f->tz, 2024, 5, 2, 9, 0), web1, a);  /* again, the next day */

	tsunagu_status_report *r = report(f, 2024, 5, 1, 2024, 5, 2, local_us(f->tz, 2024, 6, 1, 0, 0));
	g_assert_cmpint(row(r, a)->days[0].chats, ==, 2);
	g_assert_cmpint(row(r, a)->days[1].chats, ==, 1);
	g_assert_cmpint(row(r, a)->total.chats, ==, 2);
	g_assert_cmpint(row(r, b)->days[0].chats, ==, 1);
	g_assert_cmpint(row(r, b)->total.chats, ==, 1);
	tsunagu_status_report_free(r);
}

/* payload with every "@" replaced by the staff id */
static void call_at(fixture *f, int64_t at, const char *type, const char *payload, int64_t id)
{
	char num[24];
	g_snprintf(num, sizeof num, "%" G_GINT64_FORMAT, id);
	char **parts = g_strsplit(payload, "@", -1);
	char *p = g_strjoinv(num, parts);
	event_at(f, at, type, 0, p);
	g_free(p);
	g_strfreev(parts);
}

/* A call answered at 23:50 and ended at 00:10, after-call work until 00:12;
 * one ended in the period whose answer was before it (dated by talk_ms);
 * one still in progress at "now". */
static void test_calls(fixture *f, gconstpointer data)
{
	int64_t a = staff(f, "ueda");
	const struct {
		int day, h, m;
		const char *type, *payload;
	} calls[] = {
		{ 1, 0, 5, "call.ended", "{\"call\":\"c0\",\"staff\":@,\"talk_ms\":900000}" },
		{ 1, 0, 6, "call.acw_ended", "{\"call\":\"c0\",\"staff\":@,\"acw_ms\":60000}" },
		{ 1, 23, 50, "call.answered", "{\"call\":7,\"staff\":@}" },
		{ 2, 0, 10, "call.ended", "{\"call\":7,\"staff\":@,\"talk_ms\":1200000}" },
		{ 2, 0, 12, "call.acw_ended", "{\"call\":7,\"staff\":@,\"acw_ms\":120000}" },
		{ 2, 10, 0, "call.answered", "{\"call\":8,\"staff\":@}" },
		{ 2, 10, 1, "call.missed", "{\"call\":9,\"reason\":\"timeout\",\"x\":@}" },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(calls); i++)
		call_at(f, local_us(f->tz, 2024, 5, calls[i].day, calls[i].h, calls[i].m),
			calls[i].type, calls[i].payload, a);

	tsunagu_status_report *r = report(f, 2024, 5, 1, 2024, 5, 2, local_us(f->tz, 2024, 5, 2, 10, 30));
	const tsunagu_report_row *x = row(r, a);
	/* c0: talk 00:00-00:05 (the 15 minutes are clipped to the period), acw 1 min */
	g_assert_cmpint(x->days[0].call_seconds, ==, 5 * M + 10 * M);
	g_assert_cmpint(x->days[0].acw_seconds, ==, 1 * M);
	g_assert_cmpint(x->days[0].calls, ==, 1);
	/* 7: 10 more minutes after midnight, acw 2 min; 8: 30 min until now */
	g_assert_cmpint(x->days[1].call_seconds, ==, 10 * M + 30 * M);
	g_assert_cmpint(x->days[1].acw_seconds, ==, 2 * M);
	g_assert_cmpint(x->days[1].calls, ==, 1);
	g_assert_cmpint(x->total.calls, ==, 2);
	g_assert_cmpint(x->total.call_seconds, ==, 55 * M);
	tsunagu_status_report_free(r);
}

/* Payloads that do not parse are skipped; the good ones still count. */
static void test_garbled(fixture *f, gconstpointer data)
{
	int64_t a = staff(f, "kudo");
	const char *bad[][2] = {
		{ "staff.status_changed", "{}" },
		{ "staff.status_changed", "{\"staff\":\"1\",\"status\":\"available\"}" },
		{ "staff.status_changed", "{\"staff\":@,\"status\":\"busy\"}" },
		{ "staff.status_changed", "{\"staff\":@,\"status\":7,\"subtype\":{}}" },
		{ "staff.status_changed", "{\"staff\":-5,\"status\":\"away\"}" },
		{ "conversation.assigned", "{\"staff\":@}" },
		{ "call.ended", "{\"staff\":@,\"talk_ms\":\"long\"}" },
		{ "call.answered", "{\"call\":[1],\"staff\":@}" },
		{ "call.acw_ended", "{\"call\":\"q\",\"staff\":@,\"acw_ms\":-4}" },
		{ "call.ended", "{\"call\":\"z\",\"staff\":@,\"talk_ms\":9223372036854775807}" },
	};
	status_at(f, local_us(f->tz, 2024, 5, 1, 8, 0), a, "available", "offline", NULL);
	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		call_at(f, local_us(f->tz, 2024, 5, 1, 9, (int)i), bad[i][0], bad[i][1], a);
	}
	call_at(f, local_us(f->tz, 2024, 5, 1, 9, 30), "call.acw_ended",
		"{\"call\":\"z\",\"staff\":@,\"acw_ms\":1}", a);
	status_at(f, local_us(f->tz, 2024, 5, 1, 12, 0), a, "offline", "available", "x");

	tsunagu_status_report *r = report(f, 2024, 5, 1, 2024, 5, 1, local_us(f->tz, 2024, 6, 1, 0, 0));
	g_assert_cmpint(row(r, a)->total.seconds[AV], ==, 4 * H);
	g_assert_cmpint(row(r, a)->total.seconds[OFF], ==, 20 * H);
	g_assert_cmpint(row(r, a)->total.chats, ==, 0);
	g_assert_cmpint(row(r, a)->total.calls, ==, 0);
	/* "q" (acw_ms -4: since the period's start, to 09:08) and "z" (talk_ms
	 * too large: since the start, to 09:09; then after-call work until
	 * 09:30) count time, nothing else */
	g_assert_cmpint(row(r, a)->total.acw_seconds, ==, 9 * H + 8 * M + 21 * M);
	g_assert_cmpint(row(r, a)->total.call_seconds, ==, 9 * H + 9 * M);
	g_assert_cmpuint(r->skipped, ==, 8);
	tsunagu_status_report_free(r);
}

/* Filters by id and by team; a disabled account shows only with activity. */
static void test_filters(fixture *f, gconstpointer data)
{
	int64_t a = staff(f, "a"), b = staff(f, "b"), c = staff(f, "c"), team = 0;
	g_assert_cmpint(tsunagu_store_team_create(f->store, "support", &team), ==, 0);
	g_assert_cmpint(tsunagu_store_team_add_member(f->store, team, b), ==, 0);
	g_assert_cmpint(tsunagu_store_team_add_member(f->store, team, c), ==, 0);
	g_assert_cmpint(tsunagu_store_staff_update(f->store, c, NULL, NULL, 0, NULL, 1), ==, 0);
	g_assert_cmpint(tsunagu_store_flush(f->store), ==, 0);

	tsunagu_status_report_query q = { .tz = f->tz, .now_us = fake_now };
	tsunagu_status_report *r = NULL;
	g_date_clear(&q.first, 1);
	g_date_set_dmy(&q.first, 1, 5, 2024);
	q.last = q.first;
	g_assert_cmpint(tsunagu_status_report_build(f->store, &q, &r), ==, 0);
	g_assert_cmpuint(r->rows->len, ==, 2); /* c is disabled and idle */
	tsunagu_status_report_free(r);
	q.team_id = team;
	g_assert_cmpint(tsunagu_status_report_build(f->store, &q, &r), ==, 0);
	g_assert_cmpuint(r->rows->len, ==, 1);
	g_assert_cmpint(((tsunagu_report_row *)r->rows->pdata[0])->staff_id, ==, b);
	tsunagu_status_report_free(r);
	int64_t ids[] = { a, c };
	q.team_id = 0;
	q.staff_ids = ids;
	q.n_staff = 2;
	g_assert_cmpint(tsunagu_status_report_build(f->store, &q, &r), ==, 0);
	g_assert_cmpuint(r->rows->len, ==, 1);
	g_assert_cmpint(((tsunagu_report_row *)r->rows->pdata[0])->staff_id, ==, a);
	tsunagu_status_report_free(r);
	/* the disabled one with activity in the period shows */
	status_at(f, local_us(f->tz, 2024, 5, 1, 8, 0), c, "away", "offline", NULL);
	g_assert_cmpint(tsunagu_store_flush(f->store), ==, 0);
	g_assert_cmpint(tsunagu_status_report_build(f->store, &q, &r), ==, 0);
	g_assert_cmpuint(r->rows->len, ==, 2);
	tsunagu_status_report_free(r);
	/* bad periods */
	q.last = q.first;
	g_date_subtract_days(&q.last, 1);
	g_assert_cmpint(tsunagu_status_report_build(f->store, &q, &r), ==, -EINVAL);
	q.last = q.first;
	g_date_add_days(&q.last, TSUNAGU_REPORT_MAX_DAYS);
	g_assert_cmpint(tsunagu_status_report_build(f->store, &q, &r), ==, -EINVAL);
	g_date_subtract_days(&q.last, 1);
	g_assert_cmpint(tsunagu_status_report_build(f->store, &q, &r), ==, 0);
	g_assert_cmpuint(r->n_days, ==, TSUNAGU_REPORT_MAX_DAYS);
	tsunagu_status_report_free(r);
}

/* Account created in the middle of the period: nothing before. */
static void test_created_late(fixture *f, gconstpointer data)
{
	fake_now = local_us(f->tz, 2024, 5, 1, 18, 0);
	int64_t a = staff(f, "new");
	tsunagu_status_report *r = report(f, 2024, 5, 1, 2024, 5, 1, local_us(f->tz, 2024, 6, 1, 0, 0));
	g_assert_cmpint(row(r, a)->total.seconds[OFF], ==, 6 * H);
	tsunagu_status_report_free(r);
}

static void test_parse_date(void)
{
	GDate d;
	unsigned n = 0;
	const char *why = NULL;

	g_assert_cmpint(tsunagu_report_parse_date("2024-02-29", &d), ==, 0);
	g_assert_cmpint(g_date_get_day(&d), ==, 29);
	g_assert_cmpint(tsunagu_report_parse_date("9999-12-31", &d), ==, 0);
	const char *bad[] = { "2023-02-29", "2024-13-01", "2024-00-10", "2024-1-01", "20240101",
			      "2024-01-01x", " 2024-01-01", "1969-12-31", "2024-01-32", "",
			      "２０２４-01-01", "2024/01/01", "+024-01-01", "2024-0a-01" };
	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_cmpint(tsunagu_report_parse_date(bad[i], &d), ==, -EINVAL);
	g_assert_cmpint(tsunagu_report_parse_date(NULL, &d), ==, -EINVAL);

	GDate a, b;
	g_assert_cmpint(tsunagu_report_parse_date("2024-01-01", &a), ==, 0);
	g_assert_cmpint(tsunagu_report_parse_date("2024-12-31", &b), ==, 0);
	g_assert_cmpint(tsunagu_report_period_days(&a, &b, &n, &why), ==, 0);
	g_assert_cmpuint(n, ==, 366);
	g_assert_cmpint(tsunagu_report_period_days(&b, &a, &n, &why), ==, -EINVAL);
	g_assert_cmpstr(why, ==, "to is before from");
	g_assert_cmpint(tsunagu_report_parse_date("2025-01-01", &b), ==, 0);
	g_assert_cmpint(tsunagu_report_period_days(&a, &b, &n, &why), ==, -EINVAL);

	char buf[24];
	tsunagu_report_hms(0, buf);
	g_assert_cmpstr(buf, ==, "00:00:00");
	tsunagu_report_hms(100 * 3600 + 61, buf);
	g_assert_cmpstr(buf, ==, "100:01:01");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/status_report/parse_date", test_parse_date);
#define ADD(name, fn, zone) \
	g_test_add("/status_report/" name, fixture, zone, setup, fn, teardown)
	ADD("midnight", test_midnight, "Asia/Tokyo");
	ADD("dst", test_dst, "America/New_York");
	ADD("open_interval", test_open_interval, "Asia/Tokyo");
	ADD("carried", test_carried, "Asia/Tokyo");
	ADD("first_without_previous", test_first_without_previous, "Asia/Tokyo");
	ADD("subtypes", test_subtypes, "Asia/Tokyo");
	ADD("chats", test_chats, "Asia/Tokyo");
	ADD("calls", test_calls, "Europe/Berlin");
	ADD("garbled", test_garbled, "Asia/Tokyo");
	ADD("filters", test_filters, "Asia/Tokyo");
	ADD("created_late", test_created_late, "Asia/Tokyo");
	return g_test_run();
}
