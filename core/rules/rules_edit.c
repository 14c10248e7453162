/* Structural edits of one route rule (rules_edit.h): located by the span
 * scanner, applied to the text, and proven by compiling the result before
 * the file is written. */
#include "rules_edit.h"

#include <errno.h>
#include <string.h>

#include "rules_spans.h"

const char *tsunagu_rules_edit_name(tsunagu_rules_edit action)
{
	switch (action) {
	case TSUNAGU_RULES_ENABLE: return "enable";
	case TSUNAGU_RULES_DISABLE: return "disable";
	case TSUNAGU_RULES_MOVE: return "move";
	case TSUNAGU_RULES_DELETE: return "delete";
	}
	return "?";
}

/* ---- the text --------------------------------------------------------------- */

static size_t line_begin(const char *text, size_t pos)
{
	while (pos > 0 && text[pos - 1] != '\n' && text[pos - 1] != '\r')
		pos--;
	return pos;
}

static size_t line_end(const char *text, size_t len, size_t pos)
{
	while (pos < len && text[pos] != '\n' && text[pos] != '\r')
		pos++;
	if (pos < len && text[pos] == '\r')
		pos++;
	if (pos < len && text[pos] == '\n')
		pos++;
	return pos;
}

static bool blank(const char *text, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (!g_ascii_isspace(text[i]))
			return false;
	return true;
}

/* Blank, or a short comment after blanks: what may go with a removed line. */
static bool blank_or_comment(const char *text, size_t from, size_t to)
{
	while (from < to && (text[from] == ' ' || text[from] == '\t'))
		from++;
	if (to - from >= 2 && text[from] == '-' && text[from + 1] == '-' &&
	    !(to - from >= 3 && text[from + 2] == '['))
		return true;
	return blank(text, from, to);
}

static const char *newline_of(const char *text, size_t len)
{
	return g_strstr_len(text, (gssize)len, "\r\n") ? "\r\n" : "\n";
}

/* Removes the `enabled` field: its whole line when it stands alone. */
static void enable(GString *s, const char *text, size_t len, const tsunagu_rules_span *sp)
{
	size_t from = sp->enabled_field_start, to = sp->enabled_field_end;
	size_t lb = line_begin(text, from), le = line_end(text, len, to);
	if (blank(text, lb, from) && blank_or_comment(text, to, le)) {
		from = lb;
		to = le;
	} else {
		while (to < len && (text[to] == ' ' || text[to] == '\t'))
			to++;
	}
	g_string_append_len(s, text, (gssize)from);
	g_string_append_len(s, text + to, (gssize)(len - to));
}

/* Sets `enabled = false`: replaces the value, or adds the field as the
 * body's first line, indented like the body. */
static void disable(GString *s, const char *text, size_t len, const tsunagu_rules_span *sp)
{
	if (sp->has_enabled) {
		g_string_append_len(s, text, (gssize)sp->enabled_value_start);
		g_string_append(s, "false");
		g_string_append_len(s, text + sp->enabled_value_end,
				    (gssize)(len - sp->enabled_value_end));
		return;
	}
	g_string_append_len(s, text, (gssize)sp->body_open);
	if (sp->one_line_body) {
		g_string_append(s, " enabled = false,");
	} else {
		size_t next = line_end(text, len, sp->body_open), i = next;
		while (i < len && (text[i] == ' ' || text[i] == '\t'))
			i++;
		g_string_append(s, newline_of(text, len));
		if (i > next && i < len && text[i] != '}')
			g_string_append_len(s, text + next, (gssize)(i - next));
		else
			g_string_append(s, "  ");
		g_string_append(s, "enabled = false,");
	}
	g_string_append_len(s, text + sp->body_open, (gssize)(len - sp->body_open));
}

/* Moves the block of routes[from] so that it becomes the position-th
 * (1-based) route of the file. */
static void move(GString *s, const char *text, size_t len, GPtrArray *routes, unsigned from,
		 unsigned position)
{
	const tsunagu_rules_span *sp = routes->pdata[from];
	const char *nl = newline_of(text, len);
	GString *block = g_string_new_len(text + sp->block_start,
					  (gssize)(sp->block_end - sp->block_start));
	if (!g_str_has_suffix(block->str, "\n") && !g_str_has_suffix(block->str, "\r"))
		g_string_append(block, nl);
	/* the others, in order, without the moved one */
	GPtrArray *others = g_ptr_array_new();
	for (unsigned i = 0; i < routes->len; i++)
		if (i != from)
			g_ptr_array_add(others, routes->pdata[i]);
	size_t anchor;
	bool at_end = position > others->len;
	if (at_end)
		anchor = ((tsunagu_rules_span *)others->pdata[others->len - 1])->block_end;
	else
		anchor = ((tsunagu_rules_span *)others->pdata[position - 1])->block_start;
	for (size_t i = 0; i <= len; i++) {
		if (i == anchor) {
			if (at_end && i > 0 && text[i - 1] != '\n' && text[i - 1] != '\r')
				g_string_append(s, nl);
			if (at_end && !blank(text, line_begin(text, i > 0 ? i - 1 : 0), i))
				g_string_append(s, nl); /* keep a blank line between rules */
			g_string_append_len(s, block->str, (gssize)block->len);
		}
		if (i == len)
			break;
		if (i >= sp->block_start && i < sp->block_end)
			continue;
		g_string_append_c(s, text[i]);
	}
	g_ptr_array_unref(others);
	g_string_free(block, TRUE);
}

int tsunagu_rules_edit_text(const char *text, size_t len, const char *name, int line,
			    tsunagu_rules_edit action, int position, char **out, char **why)
{
	GPtrArray *spans = NULL, *routes = g_ptr_array_new();
	char *scan_err = NULL;
	int ret, at = -1;

	*out = NULL;
	if (memchr(text, '\0', len)) {
		*why = g_strdup("the file holds NUL bytes: edit the text instead");
		ret = -ENOTSUP;
		goto out;
	}
	ret = tsunagu_rules_scan(text, len, &spans, &scan_err);
	if (ret < 0) {
		*why = g_strdup_printf("the file cannot be edited rule by rule (%s): edit the text",
				       scan_err);
		ret = -ENOTSUP;
		goto out;
	}
	for (unsigned i = 0; i < spans->len; i++) {
		tsunagu_rules_span *sp = spans->pdata[i];
		if (strcmp(sp->kind, "route") != 0)
			continue;
		if (sp->name && strcmp(sp->name, name) == 0 && (!line || sp->line == line))
			at = (int)routes->len;
		g_ptr_array_add(routes, sp);
	}
	if (at < 0) {
		ret = -ENOENT;
		goto out;
	}
	tsunagu_rules_span *sp = routes->pdata[at];
	for (unsigned i = 0; i < routes->len; i++) {
		tsunagu_rules_span *o = routes->pdata[i];
		/* moving places blocks between the others: all must be whole lines */
		if (o->shares_line && (o == sp || action == TSUNAGU_RULES_MOVE)) {
			*why = g_strdup_printf("line %d: route \"%s\" shares its lines with other "
					       "code: edit the text instead",
					       o->line, o->name ? o->name : "?");
			ret = -ENOTSUP;
			goto out;
		}
	}
	GString *s = g_string_sized_new(len + 32);
	switch (action) {
	case TSUNAGU_RULES_ENABLE:
		if (sp->has_enabled)
			enable(s, text, len, sp);
		else
			g_string_append_len(s, text, (gssize)len);
		break;
	case TSUNAGU_RULES_DISABLE:
		disable(s, text, len, sp);
		break;
	case TSUNAGU_RULES_DELETE:
		g_string_append_len(s, text, (gssize)sp->block_start);
		g_string_append_len(s, text + sp->block_end, (gssize)(len - sp->block_end));
		break;
	case TSUNAGU_RULES_MOVE:
		if (position < 1 || (unsigned)position > routes->len) {
			g_string_free(s, TRUE);
			*why = g_strdup_printf("position %d: the file has %u route rules", position,
					       routes->len);
			ret = -ERANGE;
			goto out;
		}
		if ((unsigned)position == (unsigned)at + 1)
			g_string_append_len(s, text, (gssize)len);
		else
			move(s, text, len, routes, (unsigned)at, (unsigned)position);
		break;
	}
	*out = g_string_free(s, FALSE);
	ret = 0;
out:
	g_free(scan_err);
	g_ptr_array_unref(routes);
	if (spans)
		g_ptr_array_unref(spans);
	return ret;
}

/* ---- against the directory ------------------------------------------------------ */

static void add_error(GPtrArray *errors, const char *file, int line, const char *msg)
{
	g_ptr_array_add(errors, g_strdup_printf("%s:%d: %s", file, line, msg));
}

/* The route rules of file in list (tsunagu_rules_route_list), in order. */
static json_t *routes_of(json_t *list, const char *file)
{
	json_t *out = json_array(), *r;
	size_t i;
	json_array_foreach(list, i, r)
		if (strcmp(json_string_value(json_object_get(r, "file")), file) == 0)
			json_array_append(out, r);
	return out;
}

static json_t *find_rule(json_t *list, const char *name)
{
	json_t *r;
	size_t i;
	json_array_foreach(list, i, r)
		if (strcmp(json_string_value(json_object_get(r, "name")), name) == 0)
			return r;
	return NULL;
}

/* Whether the scanner sees exactly the route rules the compiler saw: a
 * file that declares rules from a loop or a helper is not edited by lines. */
static bool spans_agree(const char *text, size_t len, json_t *compiled)
{
	GPtrArray *spans = NULL;
	char *err = NULL;
	bool ok = tsunagu_rules_scan(text, len, &spans, &err) == 0;
	size_t n = 0;
	for (unsigned i = 0; ok && i < spans->len; i++) {
		tsunagu_rules_span *sp = spans->pdata[i];
		if (strcmp(sp->kind, "route") != 0)
			continue;
		json_t *r = json_array_get(compiled, n++);
		ok = r && sp->name &&
		     strcmp(sp->name, json_string_value(json_object_get(r, "name"))) == 0 &&
		     sp->line == json_integer_value(json_object_get(r, "line"));
	}
	ok = ok && n == json_array_size(compiled);
	if (spans)
		g_ptr_array_unref(spans);
	g_free(err);
	return ok;
}

/* Whether list (after the edit) shows the rule changed as asked. */
static bool took_effect(json_t *before, json_t *after, const char *name, const char *file,
			tsunagu_rules_edit action, int position)
{
	json_t *r = find_rule(after, name);
	switch (action) {
	case TSUNAGU_RULES_ENABLE:
	case TSUNAGU_RULES_DISABLE:
		return r && json_is_true(json_object_get(r, "enabled")) ==
			    (action == TSUNAGU_RULES_ENABLE);
	case TSUNAGU_RULES_DELETE:
		return !r && json_array_size(after) + 1 == json_array_size(before);
	case TSUNAGU_RULES_MOVE: {
		json_t *mine = routes_of(after, file);
		json_t *at = json_array_get(mine, (size_t)position - 1);
		bool ok = at && strcmp(json_string_value(json_object_get(at, "name")), name) == 0 &&
			  json_array_size(after) == json_array_size(before);
		json_decref(mine);
		return ok;
	}
	}
	return false;
}

int tsunagu_rules_edit_route(const tsunagu_rules *live, const char *name,
			     tsunagu_rules_edit action, int position, char **file_out,
			     GPtrArray *errors)
{
	tsunagu_rules *cur = NULL, *draft = NULL;
	json_t *before = NULL, *after = NULL, *mine = NULL;
	GHashTable *drafts = NULL;
	char *text = NULL, *edited = NULL, *why = NULL, *file = NULL;
	size_t len = 0;
	int ret;

	*file_out = NULL;
	ret = tsunagu_rules_open_draft(live, NULL, &cur, errors, NULL);
	if (ret < 0)
		goto out;
	before = tsunagu_rules_route_list(cur);
	json_t *rule = find_rule(before, name);
	if (!rule) {
		ret = -ENOENT;
		goto out;
	}
	file = g_strdup(json_string_value(json_object_get(rule, "file")));
	int line = (int)json_integer_value(json_object_get(rule, "line"));
	ret = tsunagu_rules_file_read(live, file, &text, &len);
	if (ret < 0) {
		add_error(errors, file, 0, g_strerror(-ret));
		ret = -EIO;
		goto out;
	}
	mine = routes_of(before, file);
	if (!spans_agree(text, len, mine)) {
		add_error(errors, file, line, "this file declares its rules in a way that cannot "
			  "be edited rule by rule: edit the text instead");
		ret = -ENOTSUP;
		goto out;
	}
	ret = tsunagu_rules_edit_text(text, len, name, line, action, position, &edited, &why);
	if (ret < 0) {
		add_error(errors, file, line, why ? why : "no such route rule");
		goto out;
	}
	drafts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
				       (GDestroyNotify)g_bytes_unref);
	g_hash_table_insert(drafts, file, g_bytes_new(edited, strlen(edited)));
	ret = tsunagu_rules_open_draft(live, drafts, &draft, errors, NULL);
	if (ret < 0)
		goto out;
	after = tsunagu_rules_route_list(draft);
	if (!took_effect(before, after, name, file, action, position)) {
		add_error(errors, file, line, "the change could not be made by rewriting the "
			  "rule's lines: edit the text instead");
		ret = -ENOTSUP;
		goto out;
	}
	ret = tsunagu_rules_file_write(live, file, edited, strlen(edited), &why);
	if (ret < 0) {
		add_error(errors, file, 0, why ? why : g_strerror(-ret));
		ret = -EIO;
		goto out;
	}
	*file_out = g_steal_pointer(&file);
out:
	if (drafts)
		g_hash_table_unref(drafts);
	tsunagu_rules_free(cur);
	tsunagu_rules_free(draft);
	json_decref(before);
	json_decref(after);
	json_decref(mine);
	g_free(text);
	g_free(edited);
	g_free(why);
	g_free(file);
	return ret;
}
