/* Visitor facts for the rules and the origin check of the visitor socket. */
#include "web_info.h"

#include <jansson.h>
#include <string.h>

#define PARAM_MAX 256

/* First match wins: several browsers name others in their User-Agent
 * (Edge says Chrome and Safari, Chrome says Safari). */
static const struct {
	const char *needle;
	const char *name;
} browsers[] = {
	{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"}, {"OPR/", "Opera"},
	{"Opera", "Opera"}, {"SamsungBrowser/", "Samsung Internet"}, {"CriOS/", "Chrome"},
	{"Chrome/", "Chrome"}, {"FxiOS/", "Firefox"}, {"Firefox/", "Firefox"},
	{"MSIE ", "Internet Explorer"}, {"Trident/", "Internet Explorer"}, {"Safari/", "Safari"},
}, systems[] = {
	{"iPhone", "iOS"}, {"iPad", "iOS"}, {"iPod", "iOS"}, {"Android", "Android"},
	{"CrOS", "ChromeOS"}, {"Windows", "Windows"}, {"Macintosh", "macOS"},
	{"Mac OS X", "macOS"}, {"Linux", "Linux"},
};

void web_ua_parse(const char *ua, const char **browser, const char **os)
{
	*browser = "other";
	*os = "other";
	if (!ua)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(browsers); i++)
		if (strstr(ua, browsers[i].needle)) {
			*browser = browsers[i].name;
			break;
		}
	for (size_t i = 0; i < G_N_ELEMENTS(systems); i++)
		if (strstr(ua, systems[i].needle)) {
			*os = systems[i].name;
			break;
		}
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

/* Decodes [s, end) as a query component; NULL when over PARAM_MAX bytes,
 * holding NUL or control bytes, or not UTF-8. */
static char *decode_component(const char *s, const char *end)
{
	GString *out = g_string_sized_new((gsize)(end - s));
	for (const char *p = s; p < end; p++) {
		char c = *p;
		if (c == '+') {
			c = ' ';
		} else if (c == '%' && end - p >= 3 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			c = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		}
		if ((unsigned char)c < 0x20 || c == 0x7f || out->len >= PARAM_MAX) {
			g_string_free(out, TRUE);
			return NULL;
		}
		g_string_append_c(out, c);
	}
	if (!g_utf8_validate(out->str, (gssize)out->len, NULL)) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

char *web_url_param(const char *url, const char *name)
{
	const char *q, *end;
	size_t nlen;
	if (!url || !name || !*name)
		return NULL;
	/* the query ends at the fragment, and a '?' inside the fragment is not one */
	end = strchr(url, '#');
	if (!end)
		end = url + strlen(url);
	q = memchr(url, '?', (size_t)(end - url));
	if (!q)
		return NULL;
	q++;
	nlen = strlen(name);
	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(q, '=', (size_t)(stop - q));
		if (eq && (size_t)(eq - q) == nlen && memcmp(q, name, nlen) == 0)
			return decode_component(eq + 1, stop);
		q = stop + 1;
	}
	return NULL;
}

static void set_string(json_t *obj, const char *key, const char *value)
{
	if (value && *value && g_utf8_validate(value, -1, NULL))
		json_object_set_new(obj, key, json_string(value));
}

char *web_visitor_json(const char *page_url, const char *referrer, const char *language,
		       const char *user_agent, const char *ip, const char *department)
{
	static const char *const utm_keys[] = {"source", "medium", "campaign", "term", "content"};
	json_t *v = json_object(), *utm = json_object();
	const char *browser, *os;
	char *text, *out;

	set_string(v, "page_url", page_url);
	set_string(v, "referrer", referrer);
	set_string(v, "language", language);
	web_ua_parse(user_agent, &browser, &os);
	set_string(v, "browser", browser);
	set_string(v, "os", os);
	set_string(v, "ip", ip);
	set_string(v, "department", department);
	for (size_t i = 0; i < G_N_ELEMENTS(utm_keys); i++) {
		char param[16];
		g_snprintf(param, sizeof param, "utm_%s", utm_keys[i]);
		char *val = web_url_param(page_url, param);
		set_string(utm, utm_keys[i], val);
		g_free(val);
	}
	if (json_object_size(utm))
		json_object_set(v, "utm", utm);
	json_decref(utm);
	text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	out = g_strdup(text);
	free(text);
	return out;
}

char *web_visitor_json_department(const char *visitor_json, const char *department)
{
	json_t *v = json_loads(visitor_json ? visitor_json : "{}", 0, NULL);
	char *text, *out = NULL;
	if (!json_is_object(v))
		goto out;
	json_object_del(v, "department");
	set_string(v, "department", department);
	text = json_dumps(v, JSON_COMPACT);
	out = g_strdup(text);
	free(text);
out:
	json_decref(v);
	return out;
}

/* The part of an origin after its scheme, or NULL for another scheme. */
static const char *origin_authority(const char *origin)
{
	if (g_ascii_strncasecmp(origin, "http://", 7) == 0)
		return origin + 7;
	if (g_ascii_strncasecmp(origin, "https://", 8) == 0)
		return origin + 8;
	return NULL;
}

bool web_origin_valid(const char *s)
{
	const char *auth;
	if (!s)
		return false;
	if (strcmp(s, "*") == 0)
		return true;
	auth = origin_authority(s);
	if (!auth || !*auth || strlen(s) > 255)
		return false;
	for (const char *p = auth; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr(".-:[]", *p))
			return false;
	return true;
}

bool web_origin_allowed(const char *origin, const char *host, const char *const *allowed)
{
	const char *auth;
	if (!origin)
		return true;
	auth = origin_authority(origin);
	if (auth && host && *host && g_ascii_strcasecmp(auth, host) == 0)
		return true;
	for (size_t i = 0; allowed && allowed[i]; i++)
		if (strcmp(allowed[i], "*") == 0 || g_ascii_strcasecmp(allowed[i], origin) == 0)
			return true;
	return false;
}
