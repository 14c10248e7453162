/* The voice guidance library (TEL-5, admins; docs/guidance.md): upload
 * (normalized off the loop thread), list, preview, delete, and the sets a
 * phone line plays. Events guidance.uploaded, guidance.deleted,
 * guidance.sets_changed. */
#define TSUNAGU_LOG_TOPIC "api"
#include "api.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "log.h"
#include "media_guidance.h"
#include "media_normalize.h"

/* Uploads normalized at once; more wait for a 503 and retry: each holds
 * its body in memory and a thread. */
#define MAX_UPLOADS 2

static unsigned uploads_running; /* loop thread */

/* An upload between its request and its answer. Loop thread; owns call
 * until answered. */
typedef struct {
	tsunagu_api_call *call;
	char *name;
	char *tmp_path;  /* the normalized file, until renamed */
	char *new_path;  /* its final name */
	char *old_path;  /* the replaced file, removed once the new row is durable */
	bool replaced;
	json_t *answer;
} upload;

static void upload_free(upload *up)
{
	if (up->tmp_path)
		g_unlink(up->tmp_path);
	g_free(up->tmp_path);
	g_free(up->name);
	g_free(up->new_path);
	g_free(up->old_path);
	if (up->answer)
		json_decref(up->answer);
	g_free(up);
}

static json_t *guidance_json(const tsunagu_store_guidance *g)
{
	char url[64];

	g_snprintf(url, sizeof url, "/api/v1/guidance/%" G_GINT64_FORMAT "/audio", g->id);
	return json_pack("{s:I,s:s,s:I,s:I,s:s,s:o,s:o,s:s}", "id", (json_int_t)g->id, "name",
			 g->name, "duration_ms", (json_int_t)g->duration_ms, "bytes",
			 (json_int_t)g->bytes, "sha256", g->sha256, "created_at",
			 tsunagu_api_time(g->created_at), "created_by",
			 g->created_by ? json_integer(g->created_by) : json_null(), "audio_url", url);
}

/* ---- upload ------------------------------------------------------------- */

/* After the row's commit. Loop thread. */
static void upload_committed(int status, void *p)
{
	upload *up = p;
	tsunagu_api_call *call = up->call;
	json_t *answer = up->answer;

	up->answer = NULL;
	if (status < 0) {
		/* the row is gone: so goes its file, unless it was there before */
		if (g_strcmp0(up->new_path, up->old_path) != 0)
			g_unlink(up->new_path);
		json_decref(answer);
		tsunagu_api_error(call, 500, "internal", "the guidance could not be stored");
	} else {
		if (up->old_path && strcmp(up->old_path, up->new_path) != 0)
			g_unlink(up->old_path);
		tsunagu_api_reply(call, up->replaced ? 200 : 201, answer);
	}
	uploads_running--;
	upload_free(up);
}

/* Stores the normalized file: the row, then the file under its final name,
 * undone together if either fails. 0 or a negative errno. */
static int upload_store(upload *up, const tsunagu_media_info *info)
{
	tsunagu_core *core = up->call->core;
	tsunagu_store_guidance *old = NULL;
	tsunagu_store_guidance g = {
		.name = up->name,
		.duration_ms = info->duration_ms,
		.bytes = (int64_t)info->bytes,
		.sha256 = (char *)info->sha256,
		.created_at = tsunagu_core_now_us(),
		.created_by = tsunagu_api_staff_id(up->call),
	};
	int ret = tsunagu_store_guidance_get_by_name(core->store, up->name, &old);

	if (ret < 0 && ret != -ENOENT)
		return ret;
	if (old) {
		g.id = old->id;
		up->old_path = tsunagu_guidance_file(core, old);
		up->replaced = true;
		tsunagu_store_guidance_free(old);
	}
	if ((ret = tsunagu_store_atomic_begin(core->store)) < 0)
		return ret;
	ret = tsunagu_store_guidance_save(core->store, &g, &g.id);
	if (ret == 0) {
		up->new_path = tsunagu_guidance_file(core, &g);
		if (g_rename(up->tmp_path, up->new_path) != 0) {
			ret = -errno;
			tlog_error("cannot store %s: %s", up->new_path, g_strerror(-ret));
		} else {
			g_clear_pointer(&up->tmp_path, g_free);
		}
	}
	tsunagu_store_atomic_end(core->store, ret == 0);
	if (ret < 0)
		return ret;
	up->answer = json_pack("{s:o,s:b}", "guidance", guidance_json(&g), "replaced",
			       up->replaced);
	tsunagu_api_audit(up->call, "guidance.uploaded", 0, json_deep_copy(up->answer));
	return 0;
}

/* The normalization's end. Loop thread. */
static void upload_normalized(int status, const tsunagu_media_info *info, const GError *err,
			      void *p)
{
	upload *up = p;
	tsunagu_api_call *call = up->call;

	if (status < 0) {
		bool input = err && err->domain == TSUNAGU_MEDIA_ERROR &&
			     err->code != TSUNAGU_MEDIA_ERROR_IO &&
			     err->code != TSUNAGU_MEDIA_ERROR_CANCELLED;
		bool format = input && (err->code == TSUNAGU_MEDIA_ERROR_UNDECODABLE ||
					err->code == TSUNAGU_MEDIA_ERROR_NO_AUDIO);
		if (!input)
			tlog_error("guidance \"%s\" not normalized: %s", up->name,
				   err ? err->message : g_strerror(-status));
		if (format)
			tsunagu_api_error(call, 415, "unsupported_media_type", err->message);
		else if (input)
			tsunagu_api_error(call, 400, "bad_request", err->message);
		else
			tsunagu_api_error(call, 500, "internal", "the audio could not be processed");
		goto done;
	}
	if ((status = upload_store(up, info)) < 0) {
		/* -EEXIST: another upload of this name committed first */
		tsunagu_api_error_errno(call, status, "another upload of this name came first");
		goto done;
	}
	tsunagu_store_on_commit(call->core->store, upload_committed, up);
	return;
done:
	uploads_running--;
	upload_free(up);
}

static void guidance_upload(tsunagu_api_call *call)
{
	const char *name = tsunagu_http_request_query(call->req, "name");
	size_t len = 0;
	const char *body = tsunagu_http_request_body(call->req, &len);
	tsunagu_media_input in = {0};
	upload *up;
	char *dir;
	int ret;

	if (!tsunagu_guidance_text_valid(name, TSUNAGU_GUIDANCE_NAME_MAX, false)) {
		tsunagu_api_error(call, 400, "bad_request",
				  "give the guidance a name (?name=, 1 to 100 bytes of text)");
		return;
	}
	if (!len) {
		tsunagu_api_error(call, 400, "bad_request", "the file is empty");
		return;
	}
	if (uploads_running >= MAX_UPLOADS) {
		tsunagu_http_add_header(call->req, "retry-after", "5");
		tsunagu_api_error(call, 503, "unavailable", "other uploads are being processed");
		return;
	}
	if (!(dir = tsunagu_guidance_dir(call->core, &ret))) {
		tsunagu_api_error_errno(call, ret, "cannot create the guidance directory");
		return;
	}
	up = g_new0(upload, 1);
	up->call = call;
	up->name = g_strdup(name);
	/* the ".upload-" prefix is what tsunagu_guidance_sweep() removes at
	 * start when a crash left one behind */
	up->tmp_path = g_strdup_printf("%s/.upload-%08x%08x.wav", dir, g_random_int(),
				       g_random_int());
	g_free(dir);
	in.data = g_bytes_new(body, len);
	/* no destroy: if the daemon stops first, the call dies with it */
	ret = tsunagu_media_normalize_async(call->core, &in, up->tmp_path, upload_normalized, up,
					    NULL);
	g_bytes_unref(in.data);
	if (ret < 0) {
		g_clear_pointer(&up->tmp_path, g_free);
		upload_free(up);
		tsunagu_api_error_errno(call, ret, "cannot start the normalization");
		return;
	}
	uploads_running++;
}

/* ---- list, preview, delete ----------------------------------------------- */

static void guidance_list(tsunagu_api_call *call)
{
	GPtrArray *list = NULL;
	json_t *arr;
	int ret = tsunagu_store_guidance_list(call->core->store, &list);

	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot list guidance");
		return;
	}
	arr = json_array();
	for (guint i = 0; i < list->len; i++)
		json_array_append_new(arr, guidance_json(list->pdata[i]));
	g_ptr_array_unref(list);
	tsunagu_api_reply(call, 200, json_pack("{s:o}", "guidance", arr));
}

/* The row of the id in the path, or NULL after answering 404. */
static tsunagu_store_guidance *guidance_of_path(tsunagu_api_call *call)
{
	tsunagu_store_guidance *g = NULL;
	int64_t id;
	int ret = -ENOENT;

	if (tsunagu_api_param_id(call, 0, &id))
		ret = tsunagu_store_guidance_get(call->core->store, id, &g);
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "no such guidance");
		return NULL;
	}
	return g;
}

static void guidance_audio(tsunagu_api_call *call)
{
	tsunagu_store_guidance *g = guidance_of_path(call);
	char *path, *data = NULL;
	gsize len = 0;
	GError *err = NULL;

	if (!g)
		return;
	path = tsunagu_guidance_file(call->core, g);
	tsunagu_store_guidance_free(g);
	if (!g_file_get_contents(path, &data, &len, &err)) {
		tlog_error("guidance file: %s", err->message);
		g_error_free(err);
		g_free(path);
		tsunagu_api_error(call, 404, "not_found", "the guidance file is missing");
		return;
	}
	g_free(path);
	tsunagu_api_reply_raw(call, 200, "audio/wav", data, len);
	g_free(data);
}

typedef struct {
	tsunagu_api_call *call;
	char *path;
} deletion;

/* After the delete's commit: the file goes only once the row is gone. */
static void delete_committed(int status, void *p)
{
	deletion *d = p;

	if (status < 0) {
		tsunagu_api_error(d->call, 500, "internal", "the guidance could not be deleted");
	} else {
		g_unlink(d->path);
		tsunagu_api_reply(d->call, 204, NULL);
	}
	g_free(d->path);
	g_free(d);
}

static void guidance_delete(tsunagu_api_call *call)
{
	tsunagu_store_guidance *g = guidance_of_path(call);
	deletion *d;
	int ret;

	if (!g)
		return;
	ret = tsunagu_store_guidance_delete(call->core->store, g->id);
	if (ret == -EBUSY) {
		tsunagu_store_guidance_free(g);
		tsunagu_api_error(call, 409, "conflict",
				  "a guidance set plays this guidance: change the sets first");
		return;
	}
	if (ret < 0) {
		tsunagu_store_guidance_free(g);
		tsunagu_api_error_errno(call, ret, "no such guidance");
		return;
	}
	tsunagu_api_audit(call, "guidance.deleted", 0,
			  json_pack("{s:I,s:s}", "id", (json_int_t)g->id, "name", g->name));
	d = g_new0(deletion, 1);
	d->call = call;
	d->path = tsunagu_guidance_file(call->core, g);
	tsunagu_store_guidance_free(g);
	tsunagu_store_on_commit(call->core->store, delete_committed, d);
}

/* ---- sets ----------------------------------------------------------------- */

/* {"": {"welcome": 3, ...}, "0312345678": {...}} */
static json_t *sets_json(GPtrArray *sets)
{
	json_t *lines = json_object();

	for (guint i = 0; i < sets->len; i++) {
		const tsunagu_store_guidance_set *s = sets->pdata[i];
		json_t *line = json_object_get(lines, s->line);
		if (!line) {
			line = json_object();
			json_object_set_new(lines, s->line, line);
		}
		json_object_set_new(line, s->kind, json_integer(s->guidance_id));
	}
	return lines;
}

static void reply_sets(tsunagu_api_call *call, bool after_commit)
{
	GPtrArray *sets = NULL;
	int ret = tsunagu_store_guidance_sets(call->core->store, &sets);
	json_t *j;

	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "cannot read the guidance sets");
		return;
	}
	j = json_pack("{s:o}", "sets", sets_json(sets));
	g_ptr_array_unref(sets);
	if (after_commit) {
		tsunagu_api_audit(call, "guidance.sets_changed", 0, json_deep_copy(j));
		tsunagu_api_reply_after_commit(call, 200, j);
	} else {
		tsunagu_api_reply(call, 200, j);
	}
}

static void sets_get(tsunagu_api_call *call)
{
	reply_sets(call, false);
}

/* Reads the PUT body into cells; NULL with *why set when it is malformed. */
static GPtrArray *sets_parse(json_t *body, const char **why)
{
	json_t *lines = json_object_get(body, "sets"), *kinds, *v;
	GPtrArray *cells = g_ptr_array_new_with_free_func(
		(GDestroyNotify)tsunagu_store_guidance_set_free);
	const char *line, *kind;

	if (!json_is_object(lines)) {
		*why = "\"sets\" must be an object: line -> {kind: guidance id}";
		goto bad;
	}
	json_object_foreach(lines, line, kinds) {
		if (strlen(line) > TSUNAGU_GUIDANCE_LINE_MAX || !json_is_object(kinds)) {
			*why = "each line is at most 64 bytes and maps kinds to guidance ids";
			goto bad;
		}
		json_object_foreach(kinds, kind, v) {
			if (!tsunagu_guidance_kind_valid(kind)) {
				*why = "a kind is one of welcome, queue, busy, out_of_hours";
				goto bad;
			}
			if (json_is_null(v))
				continue; /* nothing for this cell */
			if (!json_is_integer(v) || json_integer_value(v) <= 0) {
				*why = "a guidance id is a positive integer (or null)";
				goto bad;
			}
			tsunagu_store_guidance_set *s = g_new0(tsunagu_store_guidance_set, 1);
			s->line = g_strdup(line);
			s->kind = g_strdup(kind);
			s->guidance_id = json_integer_value(v);
			g_ptr_array_add(cells, s);
		}
	}
	return cells;
bad:
	g_ptr_array_unref(cells);
	return NULL;
}

static void sets_put(tsunagu_api_call *call)
{
	const char *why = NULL;
	GPtrArray *cells = sets_parse(call->body, &why);
	int ret;

	if (!cells) {
		tsunagu_api_error(call, 400, "bad_request", why);
		return;
	}
	ret = tsunagu_store_guidance_sets_replace(call->core->store, cells);
	g_ptr_array_unref(cells);
	if (ret == -ENOENT) {
		tsunagu_api_error(call, 400, "bad_request", "a set names a guidance that does not exist");
		return;
	}
	if (ret < 0) {
		tsunagu_api_error_errno(call, ret, "a line name is not valid text");
		return;
	}
	reply_sets(call, true);
}

int tsunagu_api_guidance_register(tsunagu_api *api)
{
	int64_t max = 50 * 1024 * 1024;

	if (api->core->config)
		max = tsunagu_config_int(api->core->config, "guidance.max_upload");
	return tsunagu_http_set_max_body(api->http, "POST", "/api/v1/guidance",
					 (size_t)MAX(max, 1));
}

const tsunagu_api_route tsunagu_api_guidance_routes[] = {
	{ "GET", "/api/v1/guidance", "guidance.read", false, guidance_list },
	{ "POST", "/api/v1/guidance", "guidance.manage", false, guidance_upload },
	{ "GET", "/api/v1/guidance/sets", "guidance.read", false, sets_get },
	{ "PUT", "/api/v1/guidance/sets", "guidance.manage", true, sets_put },
	{ "GET", "/api/v1/guidance/*/audio", "guidance.read", false, guidance_audio },
	{ "DELETE", "/api/v1/guidance/*", "guidance.manage", false, guidance_delete },
	{ NULL, NULL, NULL, false, NULL },
};
