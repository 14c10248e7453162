/* The event bus: append to the store, deliver after the commit, in order. */
#define TSUNAGU_LOG_TOPIC "events"
#include "events.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "log.h"

typedef struct {
	unsigned id; /* 0 once unsubscribed */
	tsunagu_event_fn fn;
	void *user_data;
} subscriber;

struct tsunagu_events {
	tsunagu_store *store;
	int64_t committed_seq;
	GPtrArray *pending;     /* tsunagu_store_event*, appended in the open batch */
	bool commit_cb_armed;
	GArray *subscribers;    /* subscriber */
	unsigned next_id;
	unsigned delivering;    /* depth of delivery; unsubscribe compacts only at 0 */
	bool *alive;            /* cleared by free() during a delivery */
	/* The event being delivered and its payload, parsed by the first
	 * subscriber that asks (tsunagu_events_payload) and shared by the
	 * others: one json_loads per event instead of one per subscriber. */
	const tsunagu_store_event *current;
	json_t *current_payload;
	bool current_parsed;
};

int tsunagu_events_new(tsunagu_store *store, tsunagu_events **out)
{
	tsunagu_events *ev = g_new0(tsunagu_events, 1);
	ev->store = store;
	ev->committed_seq = tsunagu_store_events_last_seq(store);
	ev->pending = g_ptr_array_new_with_free_func((GDestroyNotify)tsunagu_store_event_free);
	ev->subscribers = g_array_new(FALSE, TRUE, sizeof(subscriber));
	ev->next_id = 1;
	*out = ev;
	return 0;
}

void tsunagu_events_free(tsunagu_events *events)
{
	if (!events)
		return;
	if (events->commit_cb_armed)
		tlog_error("freed with a commit callback armed: flush the store first");
	if (events->alive)
		*events->alive = false;
	json_decref(events->current_payload);
	g_ptr_array_unref(events->pending);
	g_array_unref(events->subscribers);
	g_free(events);
}

static void compact(tsunagu_events *events)
{
	for (unsigned i = events->subscribers->len; i-- > 0;)
		if (g_array_index(events->subscribers, subscriber, i).id == 0)
			g_array_remove_index(events->subscribers, i);
}

/* Runs on the loop thread after the batch holding the pending events has
 * committed (or failed). */
static void on_commit(int status, void *user_data)
{
	tsunagu_events *events = user_data;
	GPtrArray *batch = events->pending;
	events->pending = g_ptr_array_new_with_free_func((GDestroyNotify)tsunagu_store_event_free);
	events->commit_cb_armed = false;
	if (status < 0) {
		tlog_error("%u events lost: their batch failed to commit (%s)", batch->len,
			   g_strerror(-status));
		g_ptr_array_unref(batch);
		return;
	}
	bool alive = true;
	bool *outer_alive = events->alive;
	events->alive = &alive;
	events->delivering++;
	const tsunagu_store_event *outer_current = events->current;
	json_t *outer_payload = events->current_payload;
	bool outer_parsed = events->current_parsed;
	for (unsigned i = 0; i < batch->len && alive; i++) {
		const tsunagu_store_event *e = batch->pdata[i];
		events->committed_seq = e->seq;
		events->current = e;
		events->current_payload = NULL;
		events->current_parsed = false;
		/* Subscribers added during this delivery start with the next
		 * event: they replayed up to committed_seq already. */
		unsigned n = events->subscribers->len;
		for (unsigned s = 0; s < n && alive; s++) {
			subscriber sub = g_array_index(events->subscribers, subscriber, s);
			if (sub.id)
				sub.fn(e, sub.user_data);
		}
		/* After free() the payload went with it (see tsunagu_events_free). */
		if (alive)
			json_decref(events->current_payload);
	}
	if (alive) {
		/* A delivery nested in a subscriber (its write committed at once)
		 * gives the outer event its parsed payload back. */
		events->current = outer_current;
		events->current_payload = outer_payload;
		events->current_parsed = outer_parsed;
		events->delivering--;
		events->alive = outer_alive;
		if (!events->delivering)
			compact(events);
	}
	g_ptr_array_unref(batch);
}

int tsunagu_events_emit_text(tsunagu_events *events, const char *type, int64_t conversation_id,
			     int64_t actor_staff_id, const char *payload_json, int64_t *seq_out)
{
	int64_t seq = 0;
	int ret;

	if (!payload_json)
		payload_json = "{}";
	ret = tsunagu_store_event_append(events->store, type, conversation_id, actor_staff_id,
					 payload_json, &seq);
	if (ret < 0) {
		tlog_error("cannot append event %s: %s", type, g_strerror(-ret));
		return ret;
	}
	tsunagu_store_event *e = g_new0(tsunagu_store_event, 1);
	e->seq = seq;
	e->at_us = tsunagu_core_now_us();
	e->type = g_strdup(type);
	e->conversation_id = conversation_id;
	e->actor_staff_id = actor_staff_id;
	e->payload_json = g_strdup(payload_json);
	g_ptr_array_add(events->pending, e);
	if (!events->commit_cb_armed) {
		events->commit_cb_armed = true;
		tsunagu_store_on_commit(events->store, on_commit, events);
	}
	if (seq_out)
		*seq_out = seq;
	return 0;
}

int tsunagu_events_emit(tsunagu_events *events, const char *type, int64_t conversation_id,
			int64_t actor_staff_id, json_t *payload, int64_t *seq_out)
{
	char *text = NULL;
	int ret;

	/* The store no longer parses payloads (migration 11): an object that
	 * jansson dumps is valid JSON text by construction (its strings are
	 * checked UTF-8, its numbers finite), so the object test is all that
	 * is left to keep bad payloads out of the audit trail. */
	if (payload && !json_is_object(payload)) {
		tlog_error("event %s refused: its payload is not a JSON object", type);
		return -EINVAL;
	}
	if (payload && !(text = json_dumps(payload, JSON_COMPACT))) {
		tlog_error("event %s refused: its payload cannot be written as JSON", type);
		return -EINVAL;
	}
	ret = tsunagu_events_emit_text(events, type, conversation_id, actor_staff_id, text, seq_out);
	free(text);
	return ret;
}

unsigned tsunagu_events_mark(const tsunagu_events *events)
{
	return events->pending->len;
}

void tsunagu_events_rollback_to(tsunagu_events *events, unsigned mark)
{
	if (mark < events->pending->len)
		g_ptr_array_set_size(events->pending, mark);
}

json_t *tsunagu_events_payload(tsunagu_events *events, const tsunagu_store_event *ev)
{
	if (!ev || ev != events->current)
		return NULL;
	if (!events->current_parsed) {
		events->current_parsed = true;
		events->current_payload =
			json_loads(ev->payload_json ? ev->payload_json : "{}", 0, NULL);
	}
	return events->current_payload;
}

int64_t tsunagu_events_committed_seq(const tsunagu_events *events)
{
	return events->committed_seq;
}

unsigned tsunagu_events_subscribe(tsunagu_events *events, tsunagu_event_fn fn, void *user_data)
{
	subscriber sub = {.id = events->next_id++, .fn = fn, .user_data = user_data};
	g_array_append_val(events->subscribers, sub);
	return sub.id;
}

void tsunagu_events_unsubscribe(tsunagu_events *events, unsigned id)
{
	for (unsigned i = 0; i < events->subscribers->len; i++) {
		subscriber *sub = &g_array_index(events->subscribers, subscriber, i);
		if (sub->id == id)
			sub->id = 0;
	}
	if (!events->delivering)
		compact(events);
}

/* "2026-11-21T15:10:22.123Z" into buf (at least 32 bytes). */
static void format_at(int64_t at_us, char *buf, size_t n)
{
	time_t secs = (time_t)(at_us / G_USEC_PER_SEC);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	g_snprintf(buf + len, n - len, ".%03dZ", (int)((at_us / 1000) % 1000));
}

/* Runs of plain bytes are copied whole: a message text is mostly one. */
void tsunagu_event_append_json_string(GString *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;

	g_string_append_c(out, '"');
	for (; *p; p++) {
		if (*p != '"' && *p != '\\' && *p >= 0x20)
			continue;
		g_string_append_len(out, (const char *)run, p - run);
		if (*p < 0x20)
			g_string_append_printf(out, "\\u%04x", *p);
		else
			g_string_append_c(out, '\\'), g_string_append_c(out, (char)*p);
		run = p + 1;
	}
	g_string_append_len(out, (const char *)run, p - run);
	g_string_append_c(out, '"');
}

char *tsunagu_event_message_payload(const char *public_id, const char *channel, int64_t msg_id,
				    const char *kind, int64_t author, const char *text)
{
	GString *p = g_string_sized_new(96 + strlen(text));

	g_string_append(p, "{\"conversation\":");
	tsunagu_event_append_json_string(p, public_id);
	g_string_append(p, ",\"channel\":");
	tsunagu_event_append_json_string(p, channel);
	g_string_append_printf(p, ",\"message_id\":%" G_GINT64_FORMAT, msg_id);
	if (kind) {
		g_string_append(p, ",\"kind\":");
		tsunagu_event_append_json_string(p, kind);
	}
	g_string_append(p, ",\"text\":");
	tsunagu_event_append_json_string(p, text);
	if (author)
		g_string_append_printf(p, ",\"author\":%" G_GINT64_FORMAT, author);
	g_string_append_c(p, '}');
	return g_string_free(p, FALSE);
}

char *tsunagu_event_to_text(const tsunagu_store_event *ev)
{
	char at[40];
	const char *payload = ev->payload_json && *ev->payload_json ? ev->payload_json : "{}";
	GString *out = g_string_sized_new(96 + strlen(payload));
	format_at(ev->at_us, at, sizeof at);
	g_string_append_printf(out, "{\"seq\":%" G_GINT64_FORMAT ",\"at\":\"%s\",\"type\":", ev->seq,
			       at);
	tsunagu_event_append_json_string(out, ev->type);
	g_string_append(out, ",\"data\":");
	g_string_append(out, payload);
	if (ev->conversation_id)
		g_string_append_printf(out, ",\"conversation_id\":%" G_GINT64_FORMAT,
				       ev->conversation_id);
	if (ev->actor_staff_id)
		g_string_append_printf(out, ",\"actor\":%" G_GINT64_FORMAT, ev->actor_staff_id);
	g_string_append_c(out, '}');
	return g_string_free(out, FALSE);
}

json_t *tsunagu_event_to_json(const tsunagu_store_event *ev)
{
	char at_buf[40];
	format_at(ev->at_us, at_buf, sizeof at_buf);
	const char *at = at_buf;
	json_error_t jerr;
	json_t *data = json_loads(ev->payload_json ? ev->payload_json : "{}", 0, &jerr);
	if (!data)
		data = json_object();
	json_t *o = json_pack("{s:I, s:s?, s:s, s:o}", "seq", (json_int_t)ev->seq, "at", at, "type",
			      ev->type, "data", data);
	if (ev->conversation_id)
		json_object_set_new(o, "conversation_id", json_integer(ev->conversation_id));
	if (ev->actor_staff_id)
		json_object_set_new(o, "actor", json_integer(ev->actor_staff_id));
	return o;
}
