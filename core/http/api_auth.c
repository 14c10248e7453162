/* POST /api/v1/auth/login, POST /api/v1/auth/logout, GET /api/v1/auth/me. */
#define TSUNAGU_LOG_TOPIC "auth"
#include "api.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "router.h"

typedef struct {
	tsunagu_api_call *call;
	GCancellable *cancel; /* a reference: tells whether the API still exists */
	char *login;
	char *login_key;
	char *peer_key;
	bool known;
} login_job;

static void login_job_free(login_job *job)
{
	g_object_unref(job->cancel);
	g_free(job->login);
	g_free(job->login_key);
	g_free(job->peer_key);
	g_free(job);
}

static json_t *me_json(const tsunagu_store_staff *staff, const char *csrf)
{
	return json_pack("{s:o,s:s}", "staff", tsunagu_api_staff_json(staff), "csrf_token", csrf);
}

static void reply_rate_limited(tsunagu_api_call *call, int64_t wait_ms)
{
	char *after = g_strdup_printf("%" G_GINT64_FORMAT, (wait_ms + 999) / 1000);
	tsunagu_http_add_header(call->req, "retry-after", after);
	g_free(after);
	tsunagu_api_error(call, 429, "rate_limited", "too many failed logins; try again later");
}

static int64_t peer_wait(tsunagu_api *api, const char *peer_key, bool fail)
{
	return fail ? tsunagu_ratelimit_fail(api->peer_ratelimit, peer_key)
		    : tsunagu_ratelimit_check(api->peer_ratelimit, peer_key);
}

/* GTask callback: loop thread (the thread-default context of the login). */
static void login_verified(GObject *src, GAsyncResult *res, gpointer data)
{
	login_job *job = data;
	tsunagu_api_call *call = job->call;
	bool ok = tsunagu_auth_password_verify_finish(res);
	tsunagu_store_staff *staff = NULL;
	char *token = NULL, *csrf = NULL, *hash = NULL, *cookie = NULL;
	tsunagu_api *api;
	int ret;

	if (g_cancellable_is_cancelled(job->cancel)) {
		tsunagu_api_error(call, 503, "unavailable", "the server is shutting down");
		goto out;
	}
	api = call->api;
	if (ok && job->known)
		ret = tsunagu_store_staff_get_by_login(call->core->store, job->login, &staff);
	else
		ret = -EACCES;
	if (ret == 0 && staff->disabled)
		ret = -EACCES;
	if (ret < 0) {
		tsunagu_ratelimit_fail(api->ratelimit, job->login_key);
		peer_wait(api, job->peer_key, true);
		tlog_warn("failed login for \"%s\" from %s", job->login,
			  tsunagu_http_request_peer(call->req));
		tsunagu_api_error(call, 401, "unauthorized", "wrong login or password");
		goto out;
	}
	tsunagu_ratelimit_reset(api->ratelimit, job->login_key);
	token = tsunagu_auth_random_token();
	csrf = tsunagu_auth_random_token();
	hash = tsunagu_auth_token_hash(token);
	int64_t now = tsunagu_core_now_us();
	tsunagu_store_session_purge_expired(call->core->store, now);
	ret = tsunagu_store_session_create(call->core->store, hash, staff->id, csrf,
					   now + api->session_ttl_ms * 1000);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot create the session");
		goto out;
	}
	/* the audit event names the staff as its actor */
	call->auth = g_new0(tsunagu_auth_session, 1);
	call->auth->staff = staff;
	staff = NULL;
	tsunagu_api_audit(call, "staff.login", 0,
			  json_pack("{s:s,s:s}", "login", job->login, "peer",
				    tsunagu_http_request_peer(call->req)));
	/* OP-2: logging in makes an operator available */
	tsunagu_router_logged_in(call->core->router, call->auth->staff);
	cookie = tsunagu_auth_session_cookie(token, api->session_ttl_ms / 1000, api->cookie_secure);
	tsunagu_http_add_header(call->req, "set-cookie", cookie);
	tlog_info("\"%s\" logged in from %s", job->login, tsunagu_http_request_peer(call->req));
	tsunagu_api_reply_after_commit(call, 200, me_json(call->auth->staff, csrf));
out:
	tsunagu_store_staff_free(staff);
	g_free(token);
	g_free(csrf);
	g_free(hash);
	g_free(cookie);
	login_job_free(job);
}

static void login(tsunagu_api_call *call)
{
	tsunagu_api *api = call->api;
	const char *name, *password;
	tsunagu_store_staff *staff = NULL;
	const char *hash;
	login_job *job;
	int64_t wait;

	if (tsunagu_api_get_string(call->body, "login", 128, &name) < 0 ||
	    tsunagu_api_get_string(call->body, "password", TSUNAGU_PASSWORD_MAX_LEN, &password) < 0) {
		tsunagu_api_error(call, 400, "bad_request", "login and password are required");
		return;
	}
	job = g_new0(login_job, 1);
	job->call = call;
	job->cancel = g_object_ref(api->cancel);
	job->login = g_strdup(name);
	job->login_key = g_strconcat("login:", name, NULL);
	job->peer_key = g_strconcat("peer:", tsunagu_http_request_peer(call->req), NULL);
	wait = MAX(tsunagu_ratelimit_check(api->ratelimit, job->login_key),
		   peer_wait(api, job->peer_key, false));
	if (wait > 0) {
		login_job_free(job);
		reply_rate_limited(call, wait);
		return;
	}
	/* Unknown and disabled logins verify against a dummy hash: the same
	 * time is spent whether or not the login exists. */
	if (tsunagu_store_staff_get_by_login(call->core->store, name, &staff) == 0 &&
	    !staff->disabled) {
		job->known = true;
		hash = staff->password_hash;
	} else {
		hash = NULL; /* the worker verifies against the dummy hash */
	}
	tsunagu_auth_password_verify_async(hash, password, api->cancel, login_verified, job);
	tsunagu_store_staff_free(staff);
}

static void logout(tsunagu_api_call *call)
{
	tsunagu_api *api = call->api;
	char *cookie = tsunagu_auth_session_cookie(NULL, 0, api->cookie_secure);
	int ret = tsunagu_store_session_delete(call->core->store, call->auth->session->token_hash);

	if (ret < 0 && ret != -ENOENT) {
		g_free(cookie);
		tsunagu_api_error_errno(call, ret, "cannot end the session");
		return;
	}
	tsunagu_api_audit(call, "staff.logout", 0,
			  json_pack("{s:s}", "login", call->auth->staff->login));
	/* the last session ended: offline */
	tsunagu_router_logged_out(call->core->router, call->auth->staff->id);
	tsunagu_http_add_header(call->req, "set-cookie", cookie);
	g_free(cookie);
	tsunagu_api_reply_after_commit(call, 200, json_object());
}

static void me(tsunagu_api_call *call)
{
	tsunagu_api_reply(call, 200, me_json(call->auth->staff, call->auth->session->csrf_token));
}

const tsunagu_api_route tsunagu_api_auth_routes[] = {
	{ "POST", "/api/v1/auth/login", "auth.login", true, login },
	{ "POST", "/api/v1/auth/logout", "auth.logout", false, logout },
	{ "GET", "/api/v1/auth/me", "auth.me", false, me },
	{ NULL, NULL, NULL, false, NULL },
};
