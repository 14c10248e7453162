/* Fuzz target: arbitrary bytes as a rule file through the declaration
 * scanner (rules_spans.h) and every structural edit of every route it
 * finds. Spans must stay inside the text and in order; an edit either
 * gives a text or a clear refusal — never a crash, a read past the end or
 * a leak. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules_edit.h"
#include "rules_spans.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_spans(GPtrArray *spans, size_t size)
{
	size_t prev_end = 0;
	for (unsigned i = 0; i < spans->len; i++) {
		tsunagu_rules_span *s = spans->pdata[i];
		if (!(s->block_start <= s->start && s->start < s->body_open && s->body_open <= s->end &&
		      s->end <= s->block_end && s->block_end <= size && s->start >= prev_end &&
		      s->line >= 1 && s->line <= s->end_line))
			abort();
		if (s->has_enabled && !(s->body_open <= s->enabled_field_start &&
					s->enabled_value_start < s->enabled_value_end &&
					s->enabled_field_end <= s->end))
			abort();
		prev_end = s->end;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the text is not NUL-terminated: a copy without one catches overreads */
	char *text = malloc(size ? size : 1);
	GPtrArray *spans = NULL;
	char *err = NULL;

	memcpy(text, data, size);
	if (tsunagu_rules_scan(text, size, &spans, &err) < 0) {
		if (!err || strncmp(err, "line ", 5) != 0)
			abort();
		goto out;
	}
	check_spans(spans, size);
	for (unsigned i = 0; i < spans->len && i < 8; i++) {
		tsunagu_rules_span *s = spans->pdata[i];
		if (!s->name || strcmp(s->kind, "route") != 0)
			continue;
		for (int a = TSUNAGU_RULES_ENABLE; a <= TSUNAGU_RULES_DELETE; a++) {
			char *out = NULL, *why = NULL;
			int ret = tsunagu_rules_edit_text(text, size, s->name, s->line, a, 1, &out,
							  &why);
			if (ret == 0 && !out)
				abort();
			if (ret < 0 && (out || (ret != -ENOENT && !why)))
				abort();
			g_free(out);
			g_free(why);
		}
	}
out:
	if (spans)
		g_ptr_array_unref(spans);
	g_free(err);
	free(text);
	return 0;
}
