/* web: the web widget channel (docs/widget.md).
 *
 * Serves the widget (GET /widget.js, GET /plugins/web/widget.css), the
 * visitor WebSocket (/plugins/web/ws, web_conn.c) and the admin settings
 * API (web_admin.c); registers the channel "web". Written against the SDK
 * only, like any third-party plugin; needs host ABI 1.1 (history,
 * attributes, settings, staff routes).
 */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "web.h"
#include "web_settings.h"
#include "web_static.h"

static const tsunagu_plugin_conf_key web_schema[] = {
	{"channel_key", TSUNAGU_PLUGIN_CONF_STRING, "default",
	 "the key of the tag's data-channel; hello frames with another are refused"},
	{"allowed_origins", TSUNAGU_PLUGIN_CONF_STRING, "",
	 "comma-separated site origins (https://shop.example.jp) allowed besides the server's own; * = any"},
	{"identity_secret", TSUNAGU_PLUGIN_CONF_STRING, "",
	 "secret the site signs user ids with (HMAC-SHA256); empty = identity verification off"},
	{"color_primary", TSUNAGU_PLUGIN_CONF_STRING, "#2563eb", "launcher and header colour"},
	{"color_text", TSUNAGU_PLUGIN_CONF_STRING, "#ffffff", "text colour on the primary colour"},
	{"greeting_ja", TSUNAGU_PLUGIN_CONF_STRING,
	 "こんにちは。ご用件をお気軽にお書きください。", "greeting shown in Japanese"},
	{"greeting_en", TSUNAGU_PLUGIN_CONF_STRING, "Hello! How can we help you?",
	 "greeting shown in English"},
	{"show_on", TSUNAGU_PLUGIN_CONF_STRING, "",
	 "comma-separated page URL patterns (* = anything) where the widget shows; empty = everywhere"},
	{"hide_on", TSUNAGU_PLUGIN_CONF_STRING, "",
	 "comma-separated page URL patterns where the widget never shows"},
	{"max_text", TSUNAGU_PLUGIN_CONF_INT, "4K", "longest message a visitor may send, in bytes"},
	{"rate_messages", TSUNAGU_PLUGIN_CONF_INT, "10",
	 "messages a visitor may send within rate_window"},
	{"rate_window", TSUNAGU_PLUGIN_CONF_DURATION, "10s", "the window of rate_messages"},
	{"history_limit", TSUNAGU_PLUGIN_CONF_INT, "200",
	 "messages shown to a visitor who opens the widget afresh"},
	{NULL, 0, NULL, NULL},
};

void web_settings_changed(web_state *st, json_t *override)
{
	json_t *eff = web_settings_effective(st->defaults, override);
	json_decref(st->override);
	st->override = override ? json_incref(override) : NULL;
	json_decref(st->settings);
	st->settings = eff;
	g_strfreev(st->origins);
	st->origins = web_settings_origins(eff);
}

/* ---- static files ------------------------------------------------------------- */

static void serve_static(tsunagu_host_request *req, void *ud)
{
	web_state *st = ud;
	const web_static_file *f = NULL;
	const char *path = st->api->request_path(req);
	const char *method = st->api->request_method(req);
	for (size_t i = 0; web_static_files[i].path; i++)
		if (strcmp(web_static_files[i].path, path) == 0)
			f = &web_static_files[i];
	if (!f) {
		st->api->respond(req, 404, "text/plain", "not found\n", 10);
		return;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		st->api->response_header(req, "allow", "GET, HEAD");
		st->api->respond(req, 405, "text/plain", "method not allowed\n", 19);
		return;
	}
	/* Pages on any site load these: short caching, no sniffing. */
	st->api->response_header(req, "cache-control", "public, max-age=300");
	st->api->response_header(req, "x-content-type-options", "nosniff");
	st->api->response_header(req, "access-control-allow-origin", "*");
	st->api->respond(req, 200, f->content_type, f->data, f->len);
}

/* ---- lifecycle ------------------------------------------------------------------- */

static int web_deliver(void *state, const tsunagu_plugin_outbound *msg)
{
	return web_conn_deliver(state, msg);
}

static void web_destroy(void *state);

static int config_int(web_state *st, const char *key, int64_t min, int64_t max, int64_t *out)
{
	int rc = st->api->config_int(st->host, key, out);
	if (rc == 0 && (*out < min || *out > max)) {
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_ERROR, "%s must be %lld..%lld", key,
			     (long long)min, (long long)max);
		rc = -EINVAL;
	}
	return rc;
}

static int web_init(tsunagu_host *host, const tsunagu_host_api *api, void **state)
{
	int64_t rate_n = 0, window_ms = 0;
	const char *why = NULL;
	int rc = -ENOTSUP;

	/* Everything below needs the 1.1 table. */
	if (!TSUNAGU_HOST_HAS(api, request_staff)) {
		api->log(host, TSUNAGU_PLUGIN_LOG_ERROR, "needs host ABI 1.1");
		return rc;
	}
	if (sodium_init() < 0)
		return -EIO;
	web_state *st = g_new0(web_state, 1);
	st->host = host;
	st->api = api;
	st->conns = g_hash_table_new(NULL, NULL);
	st->visitors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)g_ptr_array_unref);
	web_settings_config cfg = {
		.color_primary = api->config_string(host, "color_primary"),
		.color_text = api->config_string(host, "color_text"),
		.greeting_ja = api->config_string(host, "greeting_ja"),
		.greeting_en = api->config_string(host, "greeting_en"),
		.show_on = api->config_string(host, "show_on"),
		.hide_on = api->config_string(host, "hide_on"),
		.allowed_origins = api->config_string(host, "allowed_origins"),
		.channel_key = api->config_string(host, "channel_key"),
		.identity_secret = api->config_string(host, "identity_secret"),
	};
	st->defaults = web_settings_defaults(&cfg, &why);
	rc = -EINVAL;
	if (!st->defaults) {
		api->log(host, TSUNAGU_PLUGIN_LOG_ERROR, "invalid [plugin.web] setting: %s", why);
		goto fail;
	}
	web_settings_changed(st, NULL);
	if ((rc = config_int(st, "max_text", 1, 64 * 1024, &st->max_text)) ||
	    (rc = config_int(st, "rate_messages", 1, 10000, &rate_n)) ||
	    (rc = config_int(st, "history_limit", 1, 1000, &st->history_limit)) ||
	    (rc = api->config_duration_ms(host, "rate_window", &window_ms)))
		goto fail;
	if (window_ms < 1) {
		rc = -EINVAL;
		goto fail;
	}
	st->rate = web_ratelimit_new((unsigned)rate_n, window_ms * 1000, 100000);
	if ((rc = api->register_channel(host, WEB_CHANNEL)) ||
	    (rc = api->ws_route(host, WEB_WS_PATH, &web_ws_handlers, st)) ||
	    (rc = api->http_route(host, NULL, "/widget.js", false, serve_static, st)) ||
	    (rc = api->http_route(host, NULL, "/plugins/web/widget.css", false, serve_static, st)) ||
	    (rc = web_admin_register(st)))
		goto fail;
	*state = st;
	return 0;
fail:
	/* The host removes what was registered; only our memory is ours. */
	web_destroy(st);
	return rc;
}

static bool prune(void *ud)
{
	web_state *st = ud;
	web_ratelimit_prune(st->rate, g_get_monotonic_time());
	return true;
}

/* The secret visitor tokens are signed with: made once, kept in the
 * plugin's settings so tokens outlive restarts and hold on every node. */
static int load_token_secret(web_state *st)
{
	char *hex = NULL;
	int rc = st->api->setting_get(st->host, WEB_SECRET_KEY, &hex);
	if (rc == 0 && web_secret_from_hex(hex, st->token_secret)) {
		st->have_secret = true;
	} else if (rc == 0 || rc == -ENOENT) {
		char fresh[WEB_TOKEN_SECRET_LEN * 2 + 1];
		randombytes_buf(st->token_secret, sizeof st->token_secret);
		sodium_bin2hex(fresh, sizeof fresh, st->token_secret, sizeof st->token_secret);
		rc = st->api->setting_set(st->host, WEB_SECRET_KEY, fresh, NULL, NULL);
		sodium_memzero(fresh, sizeof fresh);
		st->have_secret = rc == 0;
	}
	if (hex)
		sodium_memzero(hex, strlen(hex));
	st->api->free(hex);
	return rc;
}

static int web_start(void *state)
{
	web_state *st = state;
	char *text = NULL;
	int rc = load_token_secret(st);
	if (rc)
		return rc;
	if (st->api->setting_get(st->host, WEB_SETTINGS_KEY, &text) == 0) {
		json_t *o = web_settings_override_parse(text);
		if (o)
			web_settings_changed(st, o);
		else
			st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN,
				     "stored widget settings are invalid; using the config file's");
		json_decref(o);
	}
	st->api->free(text);
	int64_t window_ms = 10000;
	st->api->config_duration_ms(st->host, "rate_window", &window_ms);
	st->prune_timer = st->api->timer_add(st->host, (uint32_t)MIN(window_ms, 3600000), prune, st);
	st->started = true;
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "channel web on ws %s, widget at /widget.js",
		     WEB_WS_PATH);
	return 0;
}

static void web_stop(void *state, int64_t deadline_us)
{
	web_state *st = state;
	st->started = false;
	web_conns_close_all(st, 1001, "server stopping");
}

static void web_destroy(void *state)
{
	web_state *st = state;
	if (!st)
		return;
	web_conns_free_all(st);
	g_hash_table_destroy(st->conns);
	g_hash_table_destroy(st->visitors);
	web_ratelimit_free(st->rate);
	json_decref(st->defaults);
	json_decref(st->override);
	json_decref(st->settings);
	g_strfreev(st->origins);
	sodium_memzero(st->token_secret, sizeof st->token_secret);
	g_free(st);
}

static const tsunagu_plugin_desc web_desc = {
	.abi_major = TSUNAGU_PLUGIN_ABI_MAJOR,
	.abi_minor = TSUNAGU_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(tsunagu_plugin_desc),
	.capabilities = TSUNAGU_PLUGIN_CAP_CHANNEL | TSUNAGU_PLUGIN_CAP_HTTP |
			TSUNAGU_PLUGIN_CAP_WEBSOCKET,
	.name = "web",
	.version = "1.0.0",
	.description = "web chat widget: one script tag on a site, chats in the inbox",
	.config_schema = web_schema,
	.init = web_init,
	.start = web_start,
	.stop = web_stop,
	.destroy = web_destroy,
	.deliver = web_deliver,
};

TSUNAGU_PLUGIN_EXPORT const tsunagu_plugin_desc *tsunagu_plugin_entry(uint32_t host_abi_major,
								      uint32_t host_abi_minor)
{
	/* Needs the 1.1 host functions. */
	if (host_abi_major != TSUNAGU_PLUGIN_ABI_MAJOR || host_abi_minor < 1)
		return NULL;
	return &web_desc;
}
