/* Pure parsers of untrusted request text: cookies, query strings, numbers,
 * listen addresses, route patterns, Origin and Content-Type headers. */
#include "http_parse.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#define MAX_NAME 256

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

GHashTable *tsunagu_http_parse_cookies(const char *header, size_t len)
{
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	size_t i = 0;

	if (!header)
		return t;
	while (i < len) {
		size_t start = i, eq = (size_t)-1, end;
		while (i < len && header[i] != ';') {
			if (header[i] == '=' && eq == (size_t)-1)
				eq = i;
			i++;
		}
		end = i;
		i++; /* skip ';' */
		if (eq == (size_t)-1)
			continue; /* "name" without '=' is not a cookie pair */
		size_t ns = start, ne = eq, vs = eq + 1, ve = end;
		while (ns < ne && is_ows(header[ns]))
			ns++;
		while (ne > ns && is_ows(header[ne - 1]))
			ne--;
		while (vs < ve && is_ows(header[vs]))
			vs++;
		while (ve > vs && is_ows(header[ve - 1]))
			ve--;
		if (ve - vs >= 2 && header[vs] == '"' && header[ve - 1] == '"') {
			vs++;
			ve--;
		}
		if (ne == ns || ne - ns > MAX_NAME)
			continue;
		if (memchr(header + ns, '\0', ne - ns) || memchr(header + vs, '\0', ve - vs))
			continue;
		char *name = g_strndup(header + ns, ne - ns);
		if (g_hash_table_contains(t, name)) {
			g_free(name);
			continue;
		}
		g_hash_table_insert(t, name, g_strndup(header + vs, ve - vs));
	}
	return t;
}

void tsunagu_http_parse_query_fragment(GHashTable *table, const char *frag, size_t len)
{
	const char *eq;
	size_t nlen;

	if (!frag || len == 0 || memchr(frag, '\0', len))
		return;
	eq = memchr(frag, '=', len);
	nlen = eq ? (size_t)(eq - frag) : len;
	if (nlen == 0 || nlen > MAX_NAME)
		return;
	char *name = g_strndup(frag, nlen);
	if (g_hash_table_contains(table, name)) {
		g_free(name);
		return;
	}
	g_hash_table_insert(table, name, eq ? g_strndup(eq + 1, len - nlen - 1) : g_strdup(""));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int tsunagu_http_percent_decode(const char *in, size_t len, bool plus_space, char **out)
{
	GString *s = g_string_sized_new(len + 1);
	int ret = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= len) {
				ret = -EINVAL;
				goto out;
			}
			hi = hexval(in[i + 1]);
			lo = hexval(in[i + 2]);
			if (hi < 0 || lo < 0) {
				ret = -EINVAL;
				goto out;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		if (c == '\0') {
			ret = -EINVAL;
			goto out;
		}
		g_string_append_c(s, c);
	}
out:
	if (ret < 0) {
		g_string_free(s, TRUE);
		*out = NULL;
		return ret;
	}
	*out = g_string_free(s, FALSE);
	return 0;
}

int tsunagu_http_parse_query_string(GHashTable *table, const char *query, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t start = i;
		char *name = NULL, *value = NULL;
		const char *eq;
		int ret;

		while (i < len && query[i] != '&')
			i++;
		if (i == start) {
			i++;
			continue;
		}
		eq = memchr(query + start, '=', i - start);
		size_t nlen = eq ? (size_t)(eq - (query + start)) : i - start;
		ret = tsunagu_http_percent_decode(query + start, nlen, true, &name);
		if (ret == 0 && eq)
			ret = tsunagu_http_percent_decode(eq + 1, i - start - nlen - 1, true, &value);
		if (ret < 0) {
			g_free(name);
			return ret;
		}
		if (*name && strlen(name) <= MAX_NAME && !g_hash_table_contains(table, name)) {
			g_hash_table_insert(table, name, value ? value : g_strdup(""));
		} else {
			g_free(name);
			g_free(value);
		}
		i++;
	}
	return 0;
}

int tsunagu_http_parse_int64(const char *text, int64_t *out)
{
	const char *p = text;
	bool neg = false;
	uint64_t v = 0;

	if (!p || !*p)
		return -EINVAL;
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!*p)
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*p - '0');
		if (v > ((uint64_t)INT64_MAX + (neg ? 1 : 0) - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

int tsunagu_http_parse_listen(const char *listen, char **host, int *port, bool *ipv6)
{
	const char *colon, *hs, *he;
	int64_t p;
	bool v6 = false;

	if (!listen || !*listen)
		return -EINVAL;
	if (listen[0] == '[') {
		const char *rb = strchr(listen, ']');
		if (!rb || rb == listen + 1 || rb[1] != ':')
			return -EINVAL;
		hs = listen + 1;
		he = rb;
		colon = rb + 1;
		v6 = true;
		for (const char *c = hs; c < he; c++)
			if (!g_ascii_isxdigit(*c) && *c != ':' && *c != '.')
				return -EINVAL;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || colon == listen || memchr(listen, ':', (size_t)(colon - listen)))
			return -EINVAL; /* IPv6 literals need brackets */
		hs = listen;
		he = colon;
		for (const char *c = hs; c < he; c++)
			if (!g_ascii_isalnum(*c) && *c != '.' && *c != '-')
				return -EINVAL;
	}
	if (tsunagu_http_parse_int64(colon + 1, &p) < 0 || p < 0 || p > 65535 || colon[1] == '-')
		return -EINVAL;
	*host = g_strndup(hs, (size_t)(he - hs));
	*port = (int)p;
	*ipv6 = v6;
	return 0;
}

bool tsunagu_http_match_pattern(const char *pattern, const char *path, GPtrArray *params)
{
	const char *p = pattern, *s = path;
	guint added = 0;

	if (!pattern || !path)
		return false;
	while (*p && *s) {
		if (p[0] == '*' && (p[1] == '/' || p[1] == '\0') && p > pattern && p[-1] == '/') {
			const char *seg_end = strchr(s, '/');
			size_t seg_len = seg_end ? (size_t)(seg_end - s) : strlen(s);
			if (seg_len == 0)
				goto fail;
			if (params) {
				g_ptr_array_add(params, g_strndup(s, seg_len));
				added++;
			}
			p++;
			s += seg_len;
			continue;
		}
		if (*p != *s)
			goto fail;
		p++;
		s++;
	}
	if (*p == '\0' && *s == '\0')
		return true;
fail:
	if (params && added)
		g_ptr_array_remove_range(params, params->len - added, added);
	return false;
}

bool tsunagu_http_origin_matches(const char *origin, const char *host)
{
	const char *sep, *h, *slash;
	size_t hlen;

	if (!origin || !host || !*host)
		return false;
	sep = strstr(origin, "://");
	if (!sep || sep == origin)
		return false;
	for (const char *c = origin; c < sep; c++)
		if (!g_ascii_isalpha(*c))
			return false;
	h = sep + 3;
	slash = strchr(h, '/');
	hlen = slash ? (size_t)(slash - h) : strlen(h);
	/* An Origin is scheme://host[:port] with nothing after (a lone '/' is
	 * tolerated). */
	if (slash && slash[1] != '\0')
		return false;
	if (hlen == 0 || hlen != strlen(host))
		return false;
	return g_ascii_strncasecmp(h, host, hlen) == 0;
}

char *tsunagu_http_media_type(const char *content_type)
{
	const char *s = content_type, *e;

	if (!s)
		return NULL;
	while (is_ows(*s))
		s++;
	e = strchr(s, ';');
	if (!e)
		e = s + strlen(s);
	while (e > s && is_ows(e[-1]))
		e--;
	if (e == s)
		return NULL;
	return g_ascii_strdown(s, e - s);
}
