/* Where each declaration of a rule file sits in its text: a small scanner of
 * the file's top-level calls (`route "name" { ... }`, `workflow`,
 * `autoclose`), so that the management API can enable, disable, reorder and
 * delete a rule by rewriting the file while leaving every other byte as the
 * admin wrote it.
 *
 * It knows Lua's lexical structure (short and long comments, short and long
 * strings with their escapes, nested brackets), not its grammar: whether a
 * span really is the rule the compiler saw is checked by the caller against
 * the compiled rules (name and line), and every rewritten text is compiled
 * again before it is written.
 *
 * Input is outside input (an admin's file); the scanner never reads past
 * len, needs no terminating NUL and is fuzzed (tests/fuzz/rules).
 * Thread: any (no shared state).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
	char *kind;         /* "route", "workflow" or "autoclose" */
	char *name;         /* the declared name; NULL when written with escapes */
	int line, end_line; /* of the keyword and of the body's closing brace (1-based) */
	size_t start, end;  /* offsets of the keyword and one past the closing brace */
	/* Whole lines to move or delete: comment lines directly above, the
	 * declaration, and the blank lines after it. */
	size_t block_start, block_end;
	size_t body_open;   /* offset one past the body's '{' */
	bool one_line_body; /* '{' and '}' on the same line */
	/* Shares a line with other code (`route "a" {..} route "b" {..}`, a
	 * long comment running on): cannot be moved or deleted as lines. */
	bool shares_line;
	/* The body's `enabled = value` field, when present: the value's span
	 * and the field's span (name to separator included). */
	bool has_enabled;
	size_t enabled_value_start, enabled_value_end;
	size_t enabled_field_start, enabled_field_end;
} tsunagu_rules_span;

void tsunagu_rules_span_free(tsunagu_rules_span *s);

/* Scans text (len bytes). 0 and *out (GPtrArray of tsunagu_rules_span*,
 * file order, free func set), or -EINVAL and *err ("line N: why": an
 * unfinished string or comment, unbalanced brackets) when the file is not
 * even lexically sound. */
int tsunagu_rules_scan(const char *text, size_t len, GPtrArray **out, char **err);
