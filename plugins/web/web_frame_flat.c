/* A flat JSON object of strings, read in one pass (web_frame_flat.h). It
 * accepts a strict subset of what jansson accepts and builds the same
 * object; whatever it is unsure of (numbers, nesting, \u escapes,
 * duplicates, invalid input) it leaves to jansson by returning NULL. */
#include "web_frame_flat.h"

#include <glib.h>
#include <stdbool.h>
#include <string.h>

typedef struct {
	const char *p, *end;
	GString *buf; /* the string being decoded */
} lexer;

static void skip_ws(lexer *lx)
{
	while (lx->p < lx->end &&
	       (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n' || *lx->p == '\r'))
		lx->p++;
}

/* A string at lx->p (its opening quote) into lx->buf; false when it is not
 * one this reader takes. */
static bool read_string(lexer *lx)
{
	g_string_truncate(lx->buf, 0);
	if (lx->p >= lx->end || *lx->p != '"')
		return false;
	lx->p++;
	while (lx->p < lx->end) {
		const char *run = lx->p;
		while (lx->p < lx->end && *lx->p != '"' && *lx->p != '\\' &&
		       (unsigned char)*lx->p >= 0x20)
			lx->p++;
		g_string_append_len(lx->buf, run, lx->p - run);
		if (lx->p >= lx->end || (unsigned char)*lx->p < 0x20)
			return false; /* unterminated, or a raw control character */
		if (*lx->p == '"') {
			lx->p++;
			return true;
		}
		if (lx->end - lx->p < 2)
			return false;
		static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
		const char *e = strchr(from, lx->p[1]);
		if (!e || !lx->p[1])
			return false; /* \u (left to jansson) or no escape at all */
		g_string_append_c(lx->buf, to[e - from]);
		lx->p += 2;
	}
	return false;
}

json_t *web_frame_flat_parse(const char *data, size_t len)
{
	lexer lx = { data, data + len, NULL };
	json_t *obj = NULL;
	char *key = NULL;

	/* jansson refuses invalid UTF-8 anywhere, and NUL bytes */
	if (!data || !g_utf8_validate_len(data, len, NULL))
		return NULL;
	skip_ws(&lx);
	if (lx.p >= lx.end || *lx.p != '{')
		return NULL;
	lx.p++;
	lx.buf = g_string_sized_new(len);
	obj = json_object();
	skip_ws(&lx);
	if (lx.p < lx.end && *lx.p == '}') {
		lx.p++;
		goto end;
	}
	for (;;) {
		skip_ws(&lx);
		if (!read_string(&lx))
			goto fail;
		key = g_strndup(lx.buf->str, lx.buf->len);
		skip_ws(&lx);
		if (lx.p >= lx.end || *lx.p != ':')
			goto fail;
		lx.p++;
		skip_ws(&lx);
		if (!read_string(&lx) || json_object_get(obj, key))
			goto fail;
		if (json_object_set_new_nocheck(obj, key,
						json_stringn_nocheck(lx.buf->str, lx.buf->len)) < 0)
			goto fail;
		g_free(key);
		key = NULL;
		skip_ws(&lx);
		if (lx.p < lx.end && *lx.p == ',') {
			lx.p++;
			continue;
		}
		if (lx.p < lx.end && *lx.p == '}') {
			lx.p++;
			break;
		}
		goto fail;
	}
end:
	skip_ws(&lx);
	if (lx.p != lx.end)
		goto fail;
	g_string_free(lx.buf, TRUE);
	return obj;
fail:
	g_free(key);
	g_string_free(lx.buf, TRUE);
	json_decref(obj);
	return NULL;
}
