/* The admin settings API of the widget (docs/widget.md "Admin settings"):
 *   GET /plugins/web/admin/settings  -> {"settings": {...}, "defaults": {...}}
 *   PUT /plugins/web/admin/settings  {key: value|null, ...} -> the same, once durable
 * Routed with http_route_staff(ADMIN): the host checks the session, Origin,
 * CSRF header and role before these run. Loop thread. */
#include <errno.h>
#include <string.h>

#include "plugin_json.h"
#include "web.h"
#include "web_settings.h"

#define ADMIN_PATH "/plugins/web/admin/settings"

static json_t *view(web_state *st)
{
	return json_pack("{s:o, s:o}", "settings", web_settings_admin_view(st->settings),
			 "defaults", web_settings_admin_view(st->defaults));
}

typedef struct {
	web_state *st;
	tsunagu_host_request *req;
	json_t *override;
} put_req;

static void on_saved(int status, void *ud)
{
	put_req *p = ud;
	web_state *st = p->st;
	if (status == -ECANCELED) {
		/* being unloaded: the host answers the request itself */
	} else if (status) {
		tsunagu_plugin_respond_error(st->api, p->req, 500, "internal",
					     "the settings were not stored");
	} else {
		web_settings_changed(st, p->override);
		tsunagu_plugin_respond_json(st->api, p->req, 200, view(st));
	}
	json_decref(p->override);
	g_free(p);
}

static void admin_settings(tsunagu_host_request *req, void *ud)
{
	web_state *st = ud;
	const char *why = NULL;
	json_t *patch = NULL, *merged = NULL;
	char *text = NULL;

	switch (tsunagu_plugin_read_or_put(st->api, req, &patch)) {
	case TSUNAGU_PLUGIN_READ:
		tsunagu_plugin_respond_json(st->api, req, 200, view(st));
		return;
	case TSUNAGU_PLUGIN_ANSWERED:
		return;
	case TSUNAGU_PLUGIN_WRITE:
		break;
	}
	if (web_settings_check(patch, &why)) {
		tsunagu_plugin_respond_error(st->api, req, 400, "bad_request", why);
		goto out;
	}
	merged = web_settings_override_merge(st->override, patch);
	text = json_dumps(merged, JSON_COMPACT | JSON_SORT_KEYS);
	put_req *p = g_new0(put_req, 1);
	p->st = st;
	p->req = req;
	p->override = json_incref(merged);
	int rc = st->api->setting_set(st->host, WEB_SETTINGS_KEY, text, on_saved, p);
	if (rc) {
		json_decref(p->override);
		g_free(p);
		tsunagu_plugin_respond_error(st->api, req, 500, "internal",
					     "the settings were not stored");
		goto out;
	}
	int64_t staff = 0;
	st->api->request_staff(req, &staff, NULL);
	st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO, "widget settings changed by staff %lld",
		     (long long)staff);
out:
	free(text);
	json_decref(patch);
	json_decref(merged);
}

int web_admin_register(web_state *st)
{
	return st->api->http_route_staff(st->host, NULL, ADMIN_PATH, false,
					 TSUNAGU_PLUGIN_ROLE_ADMIN, admin_settings, st);
}
