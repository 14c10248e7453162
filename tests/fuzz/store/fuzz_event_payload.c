/* The events' payload composers: since migration 11 the store no longer runs
 * json_valid on an event's payload, so every payload the core composes as
 * text must be a valid JSON object by construction. Input: "PUBLIC\nCHANNEL\n
 * KIND\nTEXT" (any bytes; the parts that are not valid UTF-8 are skipped,
 * as the core validates a message text before it composes). Checks: the
 * message event's payload parses as a JSON object (jansson, strict), and
 * every member reads back as what went in. */
#include <glib.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_member(json_t *o, const char *key, const char *want)
{
	const char *got = json_string_value(json_object_get(o, key));

	if (!got || strcmp(got, want) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = g_strndup((const char *)data, size);
	char **parts = g_strsplit(s, "\n", 4);
	int64_t id = size % 2 ? (int64_t)size : INT64_MAX - (int64_t)size;

	if (g_strv_length(parts) < 4)
		goto out;
	for (int i = 0; i < 4; i++)
		if (!g_utf8_validate(parts[i], -1, NULL))
			goto out;
	for (int variant = 0; variant < 2; variant++) {
		const char *kind = variant ? parts[2] : NULL;
		int64_t author = variant ? id : 0;
		char *text = tsunagu_event_message_payload(parts[0], parts[1], id, kind, author,
							   parts[3]);
		json_error_t err;
		json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &err);

		if (!json_is_object(o))
			__builtin_trap();
		check_member(o, "conversation", parts[0]);
		check_member(o, "channel", parts[1]);
		check_member(o, "text", parts[3]);
		if (kind)
			check_member(o, "kind", kind);
		if (json_integer_value(json_object_get(o, "message_id")) != id)
			__builtin_trap();
		if ((json_object_get(o, "author") != NULL) != (author != 0) ||
		    json_object_size(o) != (size_t)(variant ? 6 : 4))
			__builtin_trap();
		json_decref(o);
		g_free(text);
	}
out:
	g_strfreev(parts);
	g_free(s);
	return 0;
}
