/* Staff accounts, teams and master keywords (ADM-1, ADM-4). */
#define TSUNAGU_LOG_TOPIC "api"
#include "api.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "router.h"

/* ---- helpers ------------------------------------------------------------ */

static bool login_valid(const char *login)
{
	if (!login || !*login || strlen(login) > 64)
		return false;
	for (const char *c = login; *c; c++)
		if (!g_ascii_isalnum(*c) && !strchr("._@-", *c))
			return false;
	return true;
}

static bool password_valid(const char *pw)
{
	return pw && g_utf8_strlen(pw, -1) >= TSUNAGU_PASSWORD_MIN_LEN &&
	       strlen(pw) <= TSUNAGU_PASSWORD_MAX_LEN;
}

/* Optional string member: absent -> *out NULL and true; present but bad -> false. */
static bool opt_string(tsunagu_api_call *call, const char *key, size_t max, const char **out)
{
	int r = tsunagu_api_get_string(call->body, key, max, out);
	return r == 0 || r == -ENOENT;
}

/* Optional chat_capacity member (0..TSUNAGU_CHAT_CAPACITY_MAX): -1 when
 * absent; false when present but not such an integer. */
static bool opt_capacity(tsunagu_api_call *call, int *out)
{
	json_t *v = json_object_get(call->body, "chat_capacity");

	*out = -1;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > TSUNAGU_CHAT_CAPACITY_MAX)
		return false;
	*out = (int)json_integer_value(v);
	return true;
}

/* The routing settings of the body (inquiry_types "chat" | "phone" |
 * "both", call_capacity 0..100, chats_during_call bool); absent fields are
 * -1. False when one is present but bad. */
static bool opt_routing(tsunagu_api_call *call, tsunagu_store_staff_routing *rt)
{
	json_t *types = json_object_get(call->body, "inquiry_types");
	json_t *calls = json_object_get(call->body, "call_capacity");
	json_t *during = json_object_get(call->body, "chats_during_call");

	*rt = (tsunagu_store_staff_routing){-1, -1, -1, -1};
	if (types && !json_is_null(types) &&
	    tsunagu_inquiry_types_parse(json_string_value(types), &rt->inquiry_types) < 0)
		return false;
	if (calls && !json_is_null(calls)) {
		if (!json_is_integer(calls) || json_integer_value(calls) < 0 ||
		    json_integer_value(calls) > TSUNAGU_CALL_CAPACITY_MAX)
			return false;
		rt->call_capacity = (int)json_integer_value(calls);
	}
	if (during && !json_is_null(during)) {
		if (!json_is_boolean(during))
			return false;
		rt->chats_during_call = json_is_true(during);
	}
	return true;
}

/* Whether the body changes only what supervisors may change: capacities
 * and inquiry types. */
static bool routing_only(json_t *body)
{
	static const char *const keys[] = { "chat_capacity", "call_capacity", "inquiry_types",
					    "chats_during_call", NULL };
	const char *key;
	json_t *v;

	json_object_foreach(body, key, v) {
		bool known = false;
		for (const char *const *k = keys; *k; k++)
			known |= strcmp(*k, key) == 0;
		if (!known)
			return false;
	}
	return json_object_size(body) > 0;
}

static bool routing_set(const tsunagu_store_staff_routing *rt)
{
	return rt->inquiry_types >= 0 || rt->call_capacity >= 0 || rt->chats_during_call >= 0;
}

/* ---- password work off the loop --------------------------------------- */

/* Runs on a worker thread: checks the current password (when asked) and
 * hashes the new one. Owns copies only. */
typedef struct {
	char *old_hash;      /* verify current against it when not NULL */
	char *current;
	char *password;
	tsunagu_role role;
	tsunagu_api_call *call;
	GCancellable *cancel;
	/* what to do with the result on the loop */
	void (*done)(tsunagu_api_call *call, int status, const char *hash);
} hash_job;

static void hash_job_free(void *p)
{
	hash_job *j = p;
	g_free(j->old_hash);
	if (j->current)
		memset(j->current, 0, strlen(j->current));
	g_free(j->current);
	if (j->password)
		memset(j->password, 0, strlen(j->password));
	g_free(j->password);
	g_object_unref(j->cancel);
	g_free(j);
}

static void hash_thread(GTask *task, gpointer src, gpointer data, GCancellable *c)
{
	hash_job *j = data;
	char *hash = NULL;
	int ret;

	if (j->old_hash && !tsunagu_auth_password_verify(j->old_hash, j->current)) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
					"wrong current password");
		return;
	}
	ret = tsunagu_auth_password_hash(j->password, j->role, &hash);
	if (ret < 0) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "hash failed");
		return;
	}
	g_task_return_pointer(task, hash, g_free);
}

/* Loop thread (GTask callback on the loop's context). */
static void hash_done(GObject *src, GAsyncResult *res, gpointer data)
{
	GTask *task = G_TASK(res);
	hash_job *j = g_task_get_task_data(task);
	GError *err = NULL;
	char *hash = g_task_propagate_pointer(task, &err);

	if (g_cancellable_is_cancelled(j->cancel))
		tsunagu_api_error(j->call, 503, "unavailable", "the server is shutting down");
	else if (err && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
		tsunagu_api_error(j->call, 403, "forbidden", "the current password is wrong");
	else if (!hash)
		tsunagu_api_error(j->call, 500, "internal", "cannot hash the password");
	else
		j->done(j->call, 0, hash);
	g_clear_error(&err);
	g_free(hash);
}

static void hash_password_async(tsunagu_api_call *call, const char *old_hash,
				const char *current, const char *password, tsunagu_role role,
				void (*done)(tsunagu_api_call *, int, const char *))
{
	hash_job *j = g_new0(hash_job, 1);
	GTask *task = g_task_new(NULL, NULL, hash_done, NULL);

	j->old_hash = g_strdup(old_hash);
	j->current = g_strdup(current);
	j->password = g_strdup(password);
	j->role = role;
	j->call = call;
	j->cancel = g_object_ref(call->api->cancel);
	j->done = done;
	g_task_set_task_data(task, j, hash_job_free);
	g_task_run_in_thread(task, hash_thread);
	g_object_unref(task);
}

/* ---- staff -------------------------------------------------------------- */

static void staff_list(tsunagu_api_call *call)
{
	GPtrArray *list = NULL;
	int ret = tsunagu_store_staff_list(call->core->store, &list);
	json_t *arr;

	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot list staff");
		return;
	}
	arr = json_array();
	for (guint i = 0; i < list->len; i++)
		json_array_append_new(arr, tsunagu_api_staff_json(list->pdata[i]));
	g_ptr_array_unref(list);
	tsunagu_api_reply(call, 200, json_pack("{s:o}", "staff", arr));
}

static void staff_get(tsunagu_api_call *call)
{
	tsunagu_store_staff *s = NULL;
	int64_t id;
	int ret;

	if (!tsunagu_api_param_id(call, 0, &id)) {
		tsunagu_api_error(call, 404, "not_found", "no such staff");
		return;
	}
	if (!tsunagu_api_allowed(call, "staff.read", id == tsunagu_api_staff_id(call))) {
		tsunagu_api_error(call, 403, "forbidden", "your role does not allow this");
		return;
	}
	ret = tsunagu_store_staff_get(call->core->store, id, &s);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "no such staff");
		return;
	}
	tsunagu_api_reply(call, 200, json_pack("{s:o}", "staff", tsunagu_api_staff_json(s)));
	tsunagu_store_staff_free(s);
}

static void staff_create_hashed(tsunagu_api_call *call, int status, const char *hash)
{
	const char *login, *display, *email = NULL, *role_s;
	tsunagu_store_staff *s = NULL;
	tsunagu_role role;
	int64_t id;
	int ret;

	tsunagu_api_get_string(call->body, "login", 64, &login);
	tsunagu_api_get_string(call->body, "display_name", 128, &display);
	opt_string(call, "email", 254, &email);
	tsunagu_api_get_string(call->body, "role", 32, &role_s);
	tsunagu_role_parse(role_s, &role);
	ret = tsunagu_store_staff_create(call->core->store, login, display, email, role, hash, &id);
	if (ret == -EEXIST) {
		tsunagu_api_error(call, 409, "conflict", "this login is taken");
		return;
	}
	if (ret == 0)
		ret = tsunagu_store_staff_get(call->core->store, id, &s);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot create the account");
		return;
	}
	tsunagu_api_audit(call, "staff.created", 0,
			  json_pack("{s:I,s:s,s:s}", "staff", (json_int_t)id, "login", login,
				    "role", tsunagu_role_name(role)));
	tsunagu_api_reply_after_commit(call, 201,
				       json_pack("{s:o}", "staff", tsunagu_api_staff_json(s)));
	tsunagu_store_staff_free(s);
}

static void staff_create(tsunagu_api_call *call)
{
	const char *login, *display, *email = NULL, *role_s, *password;
	tsunagu_store_staff *existing = NULL;
	tsunagu_role role;

	if (tsunagu_api_get_string(call->body, "login", 64, &login) < 0 || !login_valid(login)) {
		tsunagu_api_error(call, 400, "bad_request",
				  "login: 1-64 characters of A-Z a-z 0-9 . _ @ -");
		return;
	}
	if (tsunagu_api_get_string(call->body, "display_name", 128, &display) < 0) {
		tsunagu_api_error(call, 400, "bad_request", "display_name: 1-128 bytes required");
		return;
	}
	if (!opt_string(call, "email", 254, &email) || (email && !strchr(email, '@'))) {
		tsunagu_api_error(call, 400, "bad_request", "email: not an address");
		return;
	}
	if (tsunagu_api_get_string(call->body, "role", 32, &role_s) < 0 ||
	    tsunagu_role_parse(role_s, &role) < 0) {
		tsunagu_api_error(call, 400, "bad_request",
				  "role: one of operator, supervisor, admin");
		return;
	}
	if (tsunagu_api_get_string(call->body, "password", TSUNAGU_PASSWORD_MAX_LEN, &password) <
		    0 ||
	    !password_valid(password)) {
		tsunagu_api_error(call, 400, "bad_request", "password: at least 10 characters");
		return;
	}
	/* answer a taken login before spending the hash on it */
	if (tsunagu_store_staff_get_by_login(call->core->store, login, &existing) == 0) {
		tsunagu_store_staff_free(existing);
		tsunagu_api_error(call, 409, "conflict", "this login is taken");
		return;
	}
	hash_password_async(call, NULL, NULL, password, role, staff_create_hashed);
}

static void staff_update_finish(tsunagu_api_call *call, int status, const char *hash)
{
	const char *display = NULL, *email = NULL, *role_s = NULL;
	tsunagu_store_staff *s = NULL;
	tsunagu_role role = 0;
	int64_t id;
	int ret;

	tsunagu_api_param_id(call, 0, &id);
	opt_string(call, "display_name", 128, &display);
	opt_string(call, "email", 254, &email);
	opt_string(call, "role", 32, &role_s);
	if (role_s)
		tsunagu_role_parse(role_s, &role);
	ret = tsunagu_store_staff_update(call->core->store, id, display, email, role, hash, -1);
	int capacity = -1;
	opt_capacity(call, &capacity);
	if (ret == 0 && capacity >= 0)
		/* through the router: raising it offers waiting conversations */
		ret = call->core->router
			      ? tsunagu_router_set_capacity(call->core->router, id, capacity,
							    tsunagu_api_staff_id(call))
			      : tsunagu_store_staff_set_capacity(call->core->store, id, capacity);
	tsunagu_store_staff_routing rt;
	opt_routing(call, &rt);
	if (ret == 0 && routing_set(&rt))
		ret = call->core->router
			      ? tsunagu_router_set_routing(call->core->router, id, &rt,
							   tsunagu_api_staff_id(call))
			      : tsunagu_store_staff_set_routing(call->core->store, id, &rt);
	if (ret == 0 && hash)
		/* a new password ends every session of the account */
		ret = tsunagu_store_session_delete_for_staff(call->core->store, id);
	if (ret == 0)
		ret = tsunagu_store_staff_get(call->core->store, id, &s);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot update the account");
		return;
	}
	json_t *changed = json_array();
	if (display)
		json_array_append_new(changed, json_string("display_name"));
	if (email)
		json_array_append_new(changed, json_string("email"));
	if (hash)
		json_array_append_new(changed, json_string("password"));
	if (role)
		json_array_append_new(changed, json_string("role"));
	if (capacity >= 0)
		json_array_append_new(changed, json_string("chat_capacity"));
	if (rt.inquiry_types >= 0)
		json_array_append_new(changed, json_string("inquiry_types"));
	if (rt.call_capacity >= 0)
		json_array_append_new(changed, json_string("call_capacity"));
	if (rt.chats_during_call >= 0)
		json_array_append_new(changed, json_string("chats_during_call"));
	tsunagu_api_audit(call, role ? "staff.role_changed" : "staff.updated", 0,
			  json_pack("{s:I,s:s,s:s,s:o}", "staff", (json_int_t)id, "login",
				    s->login, "role", tsunagu_role_name(s->role), "changed",
				    changed));
	tsunagu_api_reply_after_commit(call, 200,
				       json_pack("{s:o}", "staff", tsunagu_api_staff_json(s)));
	tsunagu_store_staff_free(s);
}

static void staff_update(tsunagu_api_call *call)
{
	const char *display = NULL, *email = NULL, *role_s = NULL, *password = NULL,
		   *current = NULL;
	tsunagu_store_staff *target = NULL;
	tsunagu_role role = 0;
	int64_t id;
	bool self;
	int ret;

	if (!tsunagu_api_param_id(call, 0, &id)) {
		tsunagu_api_error(call, 404, "not_found", "no such staff");
		return;
	}
	self = id == tsunagu_api_staff_id(call);
	/* supervisors change capacities and inquiry types, not accounts */
	if (!tsunagu_api_allowed(call, "staff.update", self) &&
	    !(routing_only(call->body) && tsunagu_api_allowed(call, "staff.set_capacity", false))) {
		tsunagu_api_error(call, 403, "forbidden", "your role does not allow this");
		return;
	}
	if (!opt_string(call, "display_name", 128, &display) ||
	    !opt_string(call, "email", 254, &email) || (email && !strchr(email, '@')) ||
	    !opt_string(call, "role", 32, &role_s) ||
	    (role_s && tsunagu_role_parse(role_s, &role) < 0) ||
	    !opt_string(call, "password", TSUNAGU_PASSWORD_MAX_LEN, &password) ||
	    (password && !password_valid(password)) ||
	    !opt_string(call, "current_password", TSUNAGU_PASSWORD_MAX_LEN, &current)) {
		tsunagu_api_error(call, 400, "bad_request",
				  "display_name, email, role, password (10+ characters) expected");
		return;
	}
	int capacity = -1;
	if (!opt_capacity(call, &capacity)) {
		tsunagu_api_error(call, 400, "bad_request", "chat_capacity: an integer from 0 to 100");
		return;
	}
	tsunagu_store_staff_routing rt;
	if (!opt_routing(call, &rt)) {
		tsunagu_api_error(call, 400, "bad_request",
				  "inquiry_types: chat, phone or both; call_capacity: an integer "
				  "from 0 to 100; chats_during_call: true or false");
		return;
	}
	if ((capacity >= 0 || routing_set(&rt)) &&
	    !tsunagu_api_allowed(call, "staff.set_capacity", false)) {
		tsunagu_api_error(call, 403, "forbidden",
				  "only supervisors and admins change capacities and inquiry types");
		return;
	}
	if (role && (!tsunagu_api_allowed(call, "staff.set_role", false) || self)) {
		tsunagu_api_error(call, 403, "forbidden",
				  self ? "nobody changes their own role"
				       : "your role does not allow this");
		return;
	}
	ret = tsunagu_store_staff_get(call->core->store, id, &target);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "no such staff");
		return;
	}
	if (!password) {
		tsunagu_store_staff_free(target);
		staff_update_finish(call, 0, NULL);
		return;
	}
	/* Changing one's own password proves the current one: a stolen
	 * session alone cannot take the account over. */
	if (self && !current) {
		tsunagu_store_staff_free(target);
		tsunagu_api_error(call, 400, "bad_request", "current_password is required");
		return;
	}
	hash_password_async(call, self ? target->password_hash : NULL, current, password,
			    role ? role : target->role, staff_update_finish);
	tsunagu_store_staff_free(target);
}

static void staff_disable(tsunagu_api_call *call)
{
	tsunagu_store_staff *s = NULL;
	int64_t id;
	int ret;

	if (!tsunagu_api_param_id(call, 0, &id)) {
		tsunagu_api_error(call, 404, "not_found", "no such staff");
		return;
	}
	if (id == tsunagu_api_staff_id(call)) {
		tsunagu_api_error(call, 403, "forbidden", "nobody disables their own account");
		return;
	}
	ret = tsunagu_store_staff_update(call->core->store, id, NULL, NULL, 0, NULL, 1);
	if (ret == 0)
		ret = tsunagu_store_session_delete_for_staff(call->core->store, id);
	if (ret == 0)
		ret = tsunagu_store_staff_get(call->core->store, id, &s);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "no such staff");
		return;
	}
	tsunagu_api_audit(call, "staff.disabled", 0,
			  json_pack("{s:I,s:s}", "staff", (json_int_t)id, "login", s->login));
	tsunagu_api_reply_after_commit(call, 200,
				       json_pack("{s:o}", "staff", tsunagu_api_staff_json(s)));
	tsunagu_store_staff_free(s);
}

/* ---- teams -------------------------------------------------------------- */

static json_t *team_json(tsunagu_api_call *call, int64_t id, const char *name)
{
	GArray *members = NULL;
	json_t *m = json_array();

	if (tsunagu_store_team_members(call->core->store, id, &members) == 0) {
		for (guint i = 0; i < members->len; i++)
			json_array_append_new(m, json_integer(g_array_index(members, int64_t, i)));
		g_array_unref(members);
	}
	return json_pack("{s:I,s:s,s:o}", "id", (json_int_t)id, "name", name, "members", m);
}

/* GET /api/v1/teams: every team with its members; ?name=NAME: that one. */
static void teams_get(tsunagu_api_call *call)
{
	const char *name = tsunagu_http_request_query(call->req, "name");
	int64_t id;
	int ret;

	if (!name) {
		GPtrArray *teams = NULL;
		ret = tsunagu_store_team_list(call->core->store, &teams);
		if (ret < 0) {
			tsunagu_api_error_errno(call, ret, "cannot list teams");
			return;
		}
		json_t *arr = json_array();
		for (guint i = 0; i < teams->len; i++) {
			tsunagu_store_team *t = teams->pdata[i];
			json_array_append_new(arr, team_json(call, t->id, t->name));
		}
		g_ptr_array_unref(teams);
		tsunagu_api_reply(call, 200, json_pack("{s:o}", "teams", arr));
		return;
	}
	if (!*name) {
		tsunagu_api_error(call, 400, "bad_request", "name must not be empty");
		return;
	}
	ret = tsunagu_store_team_get_by_name(call->core->store, name, &id);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "no such team");
		return;
	}
	tsunagu_api_reply(call, 200,
			  json_pack("{s:[o]}", "teams", team_json(call, id, name)));
}

static void teams_create(tsunagu_api_call *call)
{
	const char *name;
	int64_t id;
	int ret;

	if (tsunagu_api_get_string(call->body, "name", 128, &name) < 0) {
		tsunagu_api_error(call, 400, "bad_request", "name: 1-128 bytes required");
		return;
	}
	ret = tsunagu_store_team_create(call->core->store, name, &id);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, ret == -EEXIST ? "this team exists" : "cannot create the team");
		return;
	}
	tsunagu_api_audit(call, "team.created", 0,
			  json_pack("{s:I,s:s}", "team", (json_int_t)id, "name", name));
	tsunagu_api_reply_after_commit(call, 201,
				       json_pack("{s:o}", "team", team_json(call, id, name)));
}

static void teams_add_member(tsunagu_api_call *call)
{
	tsunagu_store_staff *s = NULL;
	json_t *sid = json_object_get(call->body, "staff");
	int64_t team;
	int ret;

	if (!tsunagu_api_param_id(call, 0, &team)) {
		tsunagu_api_error(call, 404, "not_found", "no such team");
		return;
	}
	if (!json_is_integer(sid) || json_integer_value(sid) <= 0) {
		tsunagu_api_error(call, 400, "bad_request", "staff: a staff id is required");
		return;
	}
	ret = tsunagu_store_staff_get(call->core->store, json_integer_value(sid), &s);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "no such staff");
		return;
	}
	tsunagu_store_staff_free(s);
	ret = tsunagu_store_team_add_member(call->core->store, team, json_integer_value(sid));
	if (ret < 0 && ret != -EEXIST) {
		tsunagu_api_error_errno(call, ret, "no such team");
		return;
	}
	tsunagu_api_audit(call, "team.member_added", 0,
			  json_pack("{s:I,s:I}", "team", (json_int_t)team, "staff",
				    json_integer_value(sid)));
	tsunagu_api_reply_after_commit(call, 200, json_object());
}

/* ---- master keywords (ADM-4) -------------------------------------------- */

static bool keyword_key_valid(const char *k)
{
	if (!k || !*k || strlen(k) > 64 || !g_ascii_isalpha(k[0]))
		return false;
	for (const char *c = k; *c; c++)
		if (!g_ascii_isalnum(*c) && *c != '_')
			return false;
	return true;
}

static void keywords_list(tsunagu_api_call *call)
{
	GPtrArray *list = NULL;
	int ret = tsunagu_store_keyword_list(call->core->store, &list);
	json_t *arr;

	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot list keywords");
		return;
	}
	arr = json_array();
	for (guint i = 0; i + 1 < list->len; i += 2)
		json_array_append_new(arr, json_pack("{s:s,s:s}", "key", (char *)list->pdata[i],
						     "title", (char *)list->pdata[i + 1]));
	g_ptr_array_unref(list);
	tsunagu_api_reply(call, 200, json_pack("{s:o}", "keywords", arr));
}

static void keywords_define(tsunagu_api_call *call)
{
	const char *key, *title;
	int ret;

	if (tsunagu_api_get_string(call->body, "key", 64, &key) < 0 || !keyword_key_valid(key) ||
	    tsunagu_api_get_string(call->body, "title", 128, &title) < 0) {
		tsunagu_api_error(call, 400, "bad_request",
				  "key (a letter, then letters, digits, _) and title required");
		return;
	}
	ret = tsunagu_store_keyword_define(call->core->store, key, title);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot define the keyword");
		return;
	}
	tsunagu_api_audit(call, "keyword.defined", 0,
			  json_pack("{s:s,s:s}", "key", key, "title", title));
	tsunagu_api_reply_after_commit(call, 201,
				       json_pack("{s:{s:s,s:s}}", "keyword", "key", key, "title",
						 title));
}

/* DELETE /api/v1/keywords/KEY */
static void keywords_delete(tsunagu_api_call *call)
{
	const char *key = call->params->pdata[0];
	int ret;

	if (!keyword_key_valid(key)) {
		tsunagu_api_error(call, 404, "not_found", "no such keyword");
		return;
	}
	ret = tsunagu_store_keyword_delete(call->core->store, key);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "no such keyword");
		return;
	}
	tsunagu_api_audit(call, "keyword.deleted", 0, json_pack("{s:s}", "key", key));
	tsunagu_api_reply_after_commit(call, 200, json_object());
}

const tsunagu_api_route tsunagu_api_staff_routes[] = {
	{ "GET", "/api/v1/staff", "staff.list", false, staff_list },
	{ "POST", "/api/v1/staff", "staff.create", true, staff_create },
	{ "GET", "/api/v1/staff/*", "staff.read", false, staff_get },
	{ "PATCH", "/api/v1/staff/*", "staff.update", true, staff_update },
	{ "DELETE", "/api/v1/staff/*", "staff.disable", false, staff_disable },
	{ "GET", "/api/v1/teams", "teams.list", false, teams_get },
	{ "POST", "/api/v1/teams", "teams.create", true, teams_create },
	{ "POST", "/api/v1/teams/*/members", "teams.members", true, teams_add_member },
	{ "GET", "/api/v1/keywords", "keywords.list", false, keywords_list },
	{ "POST", "/api/v1/keywords", "keywords.define", true, keywords_define },
	{ "DELETE", "/api/v1/keywords/*", "keywords.delete", false, keywords_delete },
	{ NULL, NULL, NULL, false, NULL },
};
