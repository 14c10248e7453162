/* The declaration scanner of rules_spans.h: tokens first (Lua's lexical
 * rules, line breaks counted as Lua counts them), then the top-level
 * `kind "name" { ... }` calls and the lines around them. */
#include "rules_spans.h"

#include <errno.h>
#include <string.h>

typedef enum {
	TOK_NAME,
	TOK_STRING,      /* short string */
	TOK_LONG_STRING,
	TOK_COMMENT,
	TOK_OPEN,        /* ( { [ */
	TOK_CLOSE,       /* ) } ] */
	TOK_OTHER,       /* numbers, operators, separators: c holds a one-char token */
} tok_kind;

typedef struct {
	tok_kind kind;
	char c;          /* the bracket or one-char operator; 0 otherwise */
	size_t start, end;
	int line, end_line;
	unsigned match;  /* brackets: index of the matching bracket */
} token;

typedef struct {
	const char *s;
	size_t len, pos;
	int line;
	GArray *tokens;     /* token */
	GArray *line_start; /* size_t, index line-1 */
	char *err;
} scanner;

/* Lua counts "\n", "\r", "\n\r" and "\r\n" as one line break each. */
static size_t newline_len(const scanner *sc, size_t pos)
{
	if (pos >= sc->len || (sc->s[pos] != '\n' && sc->s[pos] != '\r'))
		return 0;
	if (pos + 1 < sc->len && (sc->s[pos + 1] == '\n' || sc->s[pos + 1] == '\r') &&
	    sc->s[pos + 1] != sc->s[pos])
		return 2;
	return 1;
}

static void find_lines(scanner *sc)
{
	size_t zero = 0;
	g_array_append_val(sc->line_start, zero);
	for (size_t i = 0; i < sc->len;) {
		size_t n = newline_len(sc, i);
		if (!n) {
			i++;
			continue;
		}
		i += n;
		g_array_append_val(sc->line_start, i);
	}
}

/* Advances over one byte or one line break, counting lines. */
static void step(scanner *sc)
{
	size_t n = newline_len(sc, sc->pos);
	if (n) {
		sc->pos += n;
		sc->line++;
	} else {
		sc->pos++;
	}
}

static int fail(scanner *sc, int line, const char *why)
{
	if (!sc->err)
		sc->err = g_strdup_printf("line %d: %s", line, why);
	return -EINVAL;
}

/* At '[': the level of a long bracket [==[ (its '=' count), or -1. */
static int long_bracket_level(const scanner *sc, size_t pos)
{
	size_t i = pos + 1;
	while (i < sc->len && sc->s[i] == '=')
		i++;
	return i < sc->len && sc->s[i] == '[' ? (int)(i - pos - 1) : -1;
}

/* Skips a long bracket body opened at sc->pos with level; past its close. */
static int skip_long(scanner *sc, int level, int start_line, const char *what)
{
	sc->pos += (size_t)level + 2;
	while (sc->pos < sc->len) {
		if (sc->s[sc->pos] == ']') {
			size_t i = sc->pos + 1;
			while (i < sc->len && sc->s[i] == '=')
				i++;
			if (i < sc->len && sc->s[i] == ']' && (int)(i - sc->pos - 1) == level) {
				sc->pos = i + 1;
				return 0;
			}
			sc->pos++;
			continue;
		}
		step(sc);
	}
	return fail(sc, start_line, what);
}

static int skip_short_string(scanner *sc)
{
	char quote = sc->s[sc->pos];
	int start_line = sc->line;
	sc->pos++;
	while (sc->pos < sc->len) {
		char ch = sc->s[sc->pos];
		if (ch == quote) {
			sc->pos++;
			return 0;
		}
		if (newline_len(sc, sc->pos))
			return fail(sc, start_line, "unfinished string");
		if (ch != '\\') {
			sc->pos++;
			continue;
		}
		sc->pos++; /* the escaped character: a quote, a line break, 'z'... */
		if (sc->pos >= sc->len)
			break;
		if (sc->s[sc->pos] == 'z') {
			sc->pos++;
			while (sc->pos < sc->len && g_ascii_isspace(sc->s[sc->pos]))
				step(sc);
		} else {
			step(sc);
		}
	}
	return fail(sc, start_line, "unfinished string");
}

static bool name_char(char c)
{
	return g_ascii_isalnum(c) || c == '_' || (unsigned char)c >= 0x80;
}

static int next_token(scanner *sc, token *t)
{
	const char *s = sc->s;
	char ch = s[sc->pos];
	int level;

	t->c = 0;
	t->match = 0;
	if (ch == '-' && sc->pos + 1 < sc->len && s[sc->pos + 1] == '-') {
		t->kind = TOK_COMMENT;
		sc->pos += 2;
		if (sc->pos < sc->len && s[sc->pos] == '[' &&
		    (level = long_bracket_level(sc, sc->pos)) >= 0)
			return skip_long(sc, level, t->line, "unfinished long comment");
		while (sc->pos < sc->len && !newline_len(sc, sc->pos))
			sc->pos++;
		return 0;
	}
	if (ch == '[' && (level = long_bracket_level(sc, sc->pos)) >= 0) {
		t->kind = TOK_LONG_STRING;
		return skip_long(sc, level, t->line, "unfinished long string");
	}
	if (ch == '"' || ch == '\'') {
		t->kind = TOK_STRING;
		return skip_short_string(sc);
	}
	if (name_char(ch) && !g_ascii_isdigit(ch)) {
		t->kind = TOK_NAME;
		while (sc->pos < sc->len && name_char(s[sc->pos]))
			sc->pos++;
		return 0;
	}
	if (g_ascii_isdigit(ch) || (ch == '.' && sc->pos + 1 < sc->len &&
				    g_ascii_isdigit(s[sc->pos + 1]))) {
		t->kind = TOK_OTHER;
		while (sc->pos < sc->len) {
			char c = s[sc->pos];
			char prev = sc->pos > t->start ? s[sc->pos - 1] : 0;
			if (name_char(c) || c == '.' ||
			    ((c == '+' || c == '-') && prev && strchr("eEpP", prev)))
				sc->pos++;
			else
				break;
		}
		return 0;
	}
	/* memchr, not strchr: a NUL byte is not a bracket */
	t->kind = memchr("({[", ch, 3) ? TOK_OPEN : memchr(")}]", ch, 3) ? TOK_CLOSE : TOK_OTHER;
	t->c = ch;
	sc->pos++;
	return 0;
}

/* Tokenizes the whole text and pairs the brackets. */
static int tokenize(scanner *sc)
{
	GArray *stack = g_array_new(FALSE, FALSE, sizeof(unsigned));
	int ret = 0;

	/* a first line starting with '#' is skipped by Lua (#!/usr/bin/lua) */
	if (sc->len && sc->s[0] == '#')
		while (sc->pos < sc->len && !newline_len(sc, sc->pos))
			sc->pos++;
	while (sc->pos < sc->len) {
		if (newline_len(sc, sc->pos) || g_ascii_isspace(sc->s[sc->pos])) {
			step(sc);
			continue;
		}
		token t = { .start = sc->pos, .line = sc->line };
		ret = next_token(sc, &t);
		if (ret < 0)
			goto out;
		t.end = sc->pos;
		t.end_line = sc->line;
		unsigned idx = sc->tokens->len;
		if (t.kind == TOK_OPEN) {
			g_array_append_val(stack, idx);
		} else if (t.kind == TOK_CLOSE) {
			static const char pairs[] = "(){}[]";
			if (stack->len == 0) {
				ret = fail(sc, t.line, "a closing bracket without its opening one");
				goto out;
			}
			unsigned open = g_array_index(stack, unsigned, stack->len - 1);
			token *o = &g_array_index(sc->tokens, token, open);
			if (((const char *)memchr(pairs, o->c, 6))[1] != t.c) {
				ret = fail(sc, t.line, "brackets do not match");
				goto out;
			}
			o->match = idx;
			t.match = open;
			g_array_set_size(stack, stack->len - 1);
		}
		g_array_append_val(sc->tokens, t);
	}
	if (stack->len) {
		unsigned open = g_array_index(stack, unsigned, stack->len - 1);
		ret = fail(sc, g_array_index(sc->tokens, token, open).line,
			   "a bracket opened here is never closed");
	}
out:
	g_array_unref(stack);
	return ret;
}

/* ---- declarations ------------------------------------------------------------ */

typedef struct {
	GArray *has_code, *has_comment, *continued; /* gboolean per line (index line-1) */
} line_flags;

static void mark_lines(scanner *sc, line_flags *lf)
{
	guint n = sc->line_start->len;
	lf->has_code = g_array_sized_new(FALSE, TRUE, sizeof(gboolean), n);
	lf->has_comment = g_array_sized_new(FALSE, TRUE, sizeof(gboolean), n);
	lf->continued = g_array_sized_new(FALSE, TRUE, sizeof(gboolean), n);
	g_array_set_size(lf->has_code, n);
	g_array_set_size(lf->has_comment, n);
	g_array_set_size(lf->continued, n);
	for (guint i = 0; i < sc->tokens->len; i++) {
		token *t = &g_array_index(sc->tokens, token, i);
		GArray *a = t->kind == TOK_COMMENT ? lf->has_comment : lf->has_code;
		for (int l = t->line; l <= t->end_line && (guint)l <= n; l++) {
			g_array_index(a, gboolean, l - 1) = TRUE;
			if (l > t->line)
				g_array_index(lf->continued, gboolean, l - 1) = TRUE;
		}
	}
}

static void free_flags(line_flags *lf)
{
	g_array_unref(lf->has_code);
	g_array_unref(lf->has_comment);
	g_array_unref(lf->continued);
}

static bool flag(GArray *a, int line)
{
	return line >= 1 && (guint)line <= a->len && g_array_index(a, gboolean, line - 1);
}

static size_t line_offset(const scanner *sc, int line)
{
	if (line < 1)
		return 0;
	if ((guint)line > sc->line_start->len)
		return sc->len;
	return g_array_index(sc->line_start, size_t, line - 1);
}

/* The next/previous token that is not a comment, or -1. */
static int next_code(const scanner *sc, int i)
{
	for (i++; (guint)i < sc->tokens->len; i++)
		if (g_array_index(sc->tokens, token, i).kind != TOK_COMMENT)
			return i;
	return -1;
}

static char *string_name(const scanner *sc, const token *t)
{
	if (t->kind != TOK_STRING || t->end - t->start < 2)
		return NULL;
	const char *from = sc->s + t->start + 1;
	size_t n = t->end - t->start - 2;
	if (memchr(from, '\\', n))
		return NULL;
	return g_strndup(from, n);
}

/* The `enabled = value` field directly in the body between tokens open and
 * close (exclusive). */
static void find_enabled(const scanner *sc, unsigned open, unsigned close, tsunagu_rules_span *sp)
{
	for (int i = next_code(sc, (int)open); i >= 0 && (unsigned)i < close; ) {
		token *t = &g_array_index(sc->tokens, token, i);
		int eq = next_code(sc, i);
		if (t->kind == TOK_NAME && t->end - t->start == 7 &&
		    memcmp(sc->s + t->start, "enabled", 7) == 0 && eq >= 0 &&
		    (unsigned)eq < close && g_array_index(sc->tokens, token, eq).c == '=') {
			int v = next_code(sc, eq), last = -1, sep = -1;
			for (int j = v; j >= 0 && (unsigned)j < close; j = next_code(sc, j)) {
				token *u = &g_array_index(sc->tokens, token, j);
				if (u->c == ',' || u->c == ';') {
					sep = j;
					break;
				}
				last = j;
				if (u->kind == TOK_OPEN)
					j = (int)u->match;
			}
			if (last < 0)
				return;
			sp->has_enabled = true;
			sp->enabled_value_start = g_array_index(sc->tokens, token, v).start;
			sp->enabled_value_end = g_array_index(sc->tokens, token, last).end;
			sp->enabled_field_start = t->start;
			sp->enabled_field_end = g_array_index(sc->tokens, token,
							      sep >= 0 ? sep : last).end;
			return;
		}
		/* skip a whole nested value: only the body's own fields count */
		if (t->kind == TOK_OPEN)
			i = (int)t->match;
		i = next_code(sc, i);
	}
}

/* Whole lines of the declaration: attached comment lines above, trailing
 * blank lines below. */
static void find_block(const scanner *sc, const line_flags *lf, tsunagu_rules_span *sp)
{
	int first = sp->line;
	while (first > 1 && flag(lf->has_comment, first - 1) && !flag(lf->has_code, first - 1) &&
	       !flag(lf->continued, first - 1))
		first--;
	int last = sp->end_line;
	int lines = (int)sc->line_start->len;
	while (last < lines && !flag(lf->has_code, last + 1) && !flag(lf->has_comment, last + 1))
		last++;
	sp->block_start = line_offset(sc, first);
	sp->block_end = line_offset(sc, last + 1);
}

static void scan_declarations(const scanner *sc, GPtrArray *out)
{
	static const char *const kinds[] = { "route", "workflow", "autoclose" };
	line_flags lf;
	mark_lines((scanner *)sc, &lf);
	for (int i = 0; i >= 0 && (guint)i < sc->tokens->len;) {
		token *t = &g_array_index(sc->tokens, token, i);
		int str = next_code(sc, i), open = str >= 0 ? next_code(sc, str) : -1;
		const char *kind = NULL;
		for (size_t k = 0; t->kind == TOK_NAME && k < G_N_ELEMENTS(kinds); k++)
			if (t->end - t->start == strlen(kinds[k]) &&
			    memcmp(sc->s + t->start, kinds[k], t->end - t->start) == 0)
				kind = kinds[k];
		token *st = str >= 0 ? &g_array_index(sc->tokens, token, str) : NULL;
		token *op = open >= 0 ? &g_array_index(sc->tokens, token, open) : NULL;
		if (!kind || !st || (st->kind != TOK_STRING && st->kind != TOK_LONG_STRING) ||
		    !op || op->c != '{') {
			/* top level only: a bracketed group is skipped whole */
			i = t->kind == TOK_OPEN ? (int)t->match + 1 : i + 1;
			continue;
		}
		token *cl = &g_array_index(sc->tokens, token, op->match);
		tsunagu_rules_span *sp = g_new0(tsunagu_rules_span, 1);
		sp->kind = g_strdup(kind);
		sp->name = string_name(sc, st);
		sp->line = t->line;
		sp->end_line = cl->end_line;
		sp->start = t->start;
		sp->end = cl->end;
		sp->body_open = op->end;
		sp->one_line_body = op->line == cl->line;
		if (i > 0 && g_array_index(sc->tokens, token, i - 1).end_line == t->line)
			sp->shares_line = true;
		for (guint j = op->match + 1; j < sc->tokens->len; j++) {
			token *u = &g_array_index(sc->tokens, token, j);
			if (u->line != cl->end_line)
				break;
			if (u->kind == TOK_COMMENT ? u->end_line != u->line : u->c != ';')
				sp->shares_line = true;
		}
		find_enabled(sc, open, op->match, sp);
		find_block(sc, &lf, sp);
		g_ptr_array_add(out, sp);
		i = (int)op->match + 1;
	}
	free_flags(&lf);
}

void tsunagu_rules_span_free(tsunagu_rules_span *s)
{
	if (!s)
		return;
	g_free(s->kind);
	g_free(s->name);
	g_free(s);
}

int tsunagu_rules_scan(const char *text, size_t len, GPtrArray **out, char **err)
{
	scanner sc = {
		.s = text, .len = len, .line = 1,
		.tokens = g_array_new(FALSE, FALSE, sizeof(token)),
		.line_start = g_array_new(FALSE, FALSE, sizeof(size_t)),
	};
	int ret;

	*out = NULL;
	find_lines(&sc);
	ret = tokenize(&sc);
	if (ret < 0) {
		*err = g_steal_pointer(&sc.err);
		goto out;
	}
	*out = g_ptr_array_new_with_free_func((GDestroyNotify)tsunagu_rules_span_free);
	scan_declarations(&sc, *out);
out:
	g_free(sc.err);
	g_array_unref(sc.tokens);
	g_array_unref(sc.line_start);
	return ret;
}
