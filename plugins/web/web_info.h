/* What the widget channel knows of a visitor, for the route rules
 * (c.visitor, RULES.md): the browser and OS from the User-Agent, the UTM
 * parameters of the page URL, and the visitor JSON handed to the core with
 * each message. Also the origin check of the visitor socket. No host calls:
 * unit-tested and fuzzed on their own.
 * Thread: any (no shared state).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Static names: browser "Edge", "Opera", "Samsung Internet", "Chrome",
 * "Firefox", "Safari", "Internet Explorer" or "other"; os "Windows", "iOS",
 * "Android", "macOS", "ChromeOS", "Linux" or "other". ua may be NULL. */
void web_ua_parse(const char *ua, const char **browser, const char **os);

/* The value of query parameter name in url (percent- and '+'-decoded, valid
 * UTF-8, at most 256 bytes), or NULL. Caller g_free()s. */
char *web_url_param(const char *url, const char *name);

/* The visitor JSON object as text: {page_url, referrer, language, browser,
 * os, ip, department, utm {source, medium, campaign, term, content}} with
 * absent parts left out. Every argument may be NULL. Caller g_free()s. */
char *web_visitor_json(const char *page_url, const char *referrer, const char *language,
		       const char *user_agent, const char *ip, const char *department);

/* visitor_json (web_visitor_json's) with department set: a new text
 * (g_free), or NULL when visitor_json is not an object. */
char *web_visitor_json_department(const char *visitor_json, const char *department);

/* Whether a browser on origin may open the visitor socket: origin is the
 * server's own (it names host, the Host header), or equals one entry of
 * allowed (scheme://host[:port], compared case-insensitively), or allowed
 * holds "*". A request without an Origin header (not a browser) passes. */
bool web_origin_allowed(const char *origin, const char *host, const char *const *allowed);

/* Whether s is an origin as allowed_origins takes it: "*" or
 * http(s)://host[:port] with nothing after. */
bool web_origin_valid(const char *s);
