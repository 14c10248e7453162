/* A small strict reader for one JSON object (RFC 8259), enough to pick string
 * members out of a client message, and a string-literal writer. */
#include "echo_json.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	const char *p, *end;
	int depth;
} reader;

#define MAX_DEPTH 32

int echo_buf_add(echo_buf *b, const char *s, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int echo_buf_add_json_string(echo_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	int rc = echo_buf_add(b, "\"", 1);
	for (const unsigned char *c = (const unsigned char *)s; rc == 0 && *c; c++) {
		char esc[7] = {'\\', 0};
		if (*c == '"' || *c == '\\') {
			esc[1] = (char)*c;
			rc = echo_buf_add(b, esc, 2);
		} else if (*c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[*c >> 4];
			esc[5] = hex[*c & 15];
			rc = echo_buf_add(b, esc, 6);
		} else {
			rc = echo_buf_add(b, (const char *)c, 1);
		}
	}
	return rc ? rc : echo_buf_add(b, "\"", 1);
}

static void skip_ws(reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int hex4(reader *r, uint32_t *out)
{
	uint32_t v = 0;
	if (r->end - r->p < 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		char c = *r->p++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

static int add_utf8(echo_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return echo_buf_add(b, u, n);
}

/* Reads a string literal at r->p; into out when out is not NULL. */
/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n;
	uint32_t cp, min;
	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		n = 2, cp = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, cp = p[0] & 0x0f, min = 0x800;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4, cp = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int read_string(reader *r, echo_buf *out)
{
	if (r->p >= r->end || *r->p != '"')
		return -EINVAL;
	r->p++;
	while (r->p < r->end) {
		unsigned char c = (unsigned char)*r->p++;
		if (c == '"')
			return 0;
		if (c < 0x20)
			return -EINVAL;
		if (c >= 0x80) {
			/* Raw bytes must be UTF-8: the host would refuse the text,
			 * and a client deserves the reason from the parser. */
			const unsigned char *start = (const unsigned char *)r->p - 1;
			size_t n = utf8_len(start, (const unsigned char *)r->end);
			if (!n)
				return -EINVAL;
			if (out && echo_buf_add(out, (const char *)start, n))
				return -ENOMEM;
			r->p += n - 1;
			continue;
		}
		if (c != '\\') {
			if (out && echo_buf_add(out, (const char *)&c, 1))
				return -ENOMEM;
			continue;
		}
		if (r->p >= r->end)
			return -EINVAL;
		char e = *r->p++;
		uint32_t cp = 0;
		switch (e) {
		case '"': case '\\': case '/': cp = (uint32_t)e; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (hex4(r, &cp))
				return -EINVAL;
			if (cp >= 0xd800 && cp < 0xdc00) {
				uint32_t lo;
				if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u')
					return -EINVAL;
				r->p += 2;
				if (hex4(r, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return -EINVAL;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return -EINVAL;
			}
			if (cp == 0)
				return -EINVAL; /* a NUL would cut the C string short */
			break;
		default:
			return -EINVAL;
		}
		if (out && add_utf8(out, cp))
			return -ENOMEM;
	}
	return -EINVAL;
}

static int skip_value(reader *r);

static int skip_container(reader *r, char close)
{
	if (++r->depth > MAX_DEPTH)
		return -EINVAL;
	r->p++;
	skip_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		r->depth--;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (read_string(r, NULL))
				return -EINVAL;
			skip_ws(r);
			if (r->p >= r->end || *r->p++ != ':')
				return -EINVAL;
		}
		if (skip_value(r))
			return -EINVAL;
		skip_ws(r);
		if (r->p >= r->end)
			return -EINVAL;
		char c = *r->p++;
		if (c == close)
			break;
		if (c != ',')
			return -EINVAL;
		skip_ws(r);
	}
	r->depth--;
	return 0;
}

static int skip_value(reader *r)
{
	skip_ws(r);
	if (r->p >= r->end)
		return -EINVAL;
	switch (*r->p) {
	case '"': return read_string(r, NULL);
	case '{': return skip_container(r, '}');
	case '[': return skip_container(r, ']');
	default: break;
	}
	/* number, true, false, null: a run of their characters */
	const char *start = r->p;
	while (r->p < r->end && strchr("0123456789+-.eEtruefalsn", *r->p))
		r->p++;
	return r->p > start ? 0 : -EINVAL;
}

char *echo_json_get_string(const char *json, size_t len, const char *key)
{
	reader r = {json, json + len, 1};
	echo_buf name = {0}, value = {0};
	char *found = NULL;

	skip_ws(&r);
	if (r.p >= r.end || *r.p++ != '{')
		goto out;
	skip_ws(&r);
	if (r.p < r.end && *r.p == '}')
		goto out;
	for (;;) {
		name.len = 0;
		if (read_string(&r, &name) || echo_buf_add(&name, "", 0))
			goto out;
		skip_ws(&r);
		if (r.p >= r.end || *r.p++ != ':')
			goto out;
		skip_ws(&r);
		if (!found && strcmp(name.data, key) == 0 && r.p < r.end && *r.p == '"') {
			if (read_string(&r, &value) || echo_buf_add(&value, "", 0))
				goto out;
			found = value.data;
			value.data = NULL;
		} else if (skip_value(&r)) {
			goto out;
		}
		skip_ws(&r);
		if (r.p >= r.end)
			goto out;
		char c = *r.p++;
		if (c == '}')
			break;
		if (c != ',')
			goto out;
		skip_ws(&r);
	}
	skip_ws(&r);
	if (r.p != r.end) /* trailing garbage: the whole text is not one object */
		goto out;
	free(name.data);
	return found;
out:
	free(found);
	free(name.data);
	free(value.data);
	return NULL;
}
