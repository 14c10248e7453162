/* One HTTP request: what the client sent (captured from libwebsockets when
 * the headers are complete, so it outlives the connection) and the answer a
 * handler gives, written back in pieces when the socket is writable. */
#define TSUNAGU_LOG_TOPIC "http"
#include "http_private.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "http_parse.h"
#include "log.h"

#define WRITE_CHUNK (16 * 1024)

/* Non-standard headers libwebsockets cannot enumerate: those we copy for
 * handlers that answer after their callback returned (the request's wsi may
 * be gone by then). During a handler call any header can be read. */
static const char *const custom_headers[] = {
	"x-csrf-token", "x-forwarded-for", "x-forwarded-proto", "x-request-id",
	"x-line-signature", "x-twilio-signature", "x-hub-signature-256", "x-signature",
	"x-api-key", NULL,
};

static const struct {
	enum lws_token_indexes token;
	const char *name;
} methods[] = {
	{ WSI_TOKEN_GET_URI, "GET" },     { WSI_TOKEN_POST_URI, "POST" },
	{ WSI_TOKEN_PUT_URI, "PUT" },     { WSI_TOKEN_PATCH_URI, "PATCH" },
	{ WSI_TOKEN_DELETE_URI, "DELETE" }, { WSI_TOKEN_OPTIONS_URI, "OPTIONS" },
	{ WSI_TOKEN_HEAD_URI, "HEAD" },
};

const char *tsunagu_http_wsi_method(struct lws *wsi)
{
	for (size_t i = 0; i < G_N_ELEMENTS(methods); i++)
		if (lws_hdr_total_length(wsi, methods[i].token) > 0)
			return methods[i].name;
	return NULL;
}

tsunagu_http_request *tsunagu_http_request_new(tsunagu_http *http, struct lws *wsi,
					       const char *method, const char *path)
{
	tsunagu_http_request *req = g_new0(tsunagu_http_request, 1);
	req->http = http;
	req->wsi = wsi;
	req->method = g_strdup(method);
	req->path = g_strdup(path);
	req->query = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	req->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	req->body = g_byte_array_new();
	req->resp_headers = g_ptr_array_new_with_free_func(g_free);
	if (http)
		g_hash_table_add(http->requests, req);
	return req;
}

static char *copy_token(struct lws *wsi, enum lws_token_indexes t)
{
	int len = lws_hdr_total_length(wsi, t);
	char *v;

	if (len <= 0)
		return NULL;
	v = g_malloc((size_t)len + 1);
	if (lws_hdr_copy(wsi, v, len + 1, t) < 0) {
		g_free(v);
		return NULL;
	}
	return v;
}

static char *copy_custom(struct lws *wsi, const char *lname)
{
	char *hname = g_strconcat(lname, ":", NULL);
	int nlen = (int)strlen(hname);
	int len = lws_hdr_custom_length(wsi, hname, nlen);
	char *v = NULL;

	if (len >= 0) {
		v = g_malloc((size_t)len + 1);
		if (lws_hdr_custom_copy(wsi, v, len + 1, hname, nlen) < 0) {
			g_free(v);
			v = NULL;
		}
	}
	g_free(hname);
	return v;
}

void tsunagu_http_request_capture(tsunagu_http_request *req, struct lws *wsi)
{
	char peer[128] = "";

	for (int t = 0; t < WSI_TOKEN_COUNT; t++) {
		const unsigned char *name = lws_token_to_string((enum lws_token_indexes)t);
		size_t nlen;
		char *v;

		if (!name)
			continue;
		nlen = strlen((const char *)name);
		/* request-line tokens end in ' ' ("get "); real headers in ':' */
		if (nlen < 2 || name[nlen - 1] != ':' || name[0] == ':')
			continue;
		v = copy_token(wsi, (enum lws_token_indexes)t);
		if (!v)
			continue;
		g_hash_table_replace(req->headers, g_ascii_strdown((const char *)name, (gssize)nlen - 1), v);
	}
	for (size_t i = 0; custom_headers[i]; i++) {
		char *v = copy_custom(wsi, custom_headers[i]);
		if (v)
			g_hash_table_replace(req->headers, g_strdup(custom_headers[i]), v);
	}
	for (int i = 0; i < 64; i++) {
		char frag[2048];
		int n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			break;
		tsunagu_http_parse_query_fragment(req->query, frag, (size_t)n);
	}
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	req->peer = g_strdup(g_str_has_prefix(peer, "::ffff:") ? peer + 7 : peer);
	const char *cl = g_hash_table_lookup(req->headers, "content-length");
	int64_t n = 0;
	if (cl && tsunagu_http_parse_int64(cl, &n) == 0 && n > 0) {
		req->content_length = (size_t)n;
		req->body_expected = true;
	}
}

void tsunagu_http_request_free(tsunagu_http_request *req)
{
	if (!req)
		return;
	if (req->http)
		g_hash_table_remove(req->http->requests, req);
	if (req->data_free)
		req->data_free(req->data);
	g_free(req->method);
	g_free(req->path);
	g_free(req->peer);
	g_hash_table_unref(req->query);
	g_hash_table_unref(req->headers);
	if (req->cookies)
		g_hash_table_unref(req->cookies);
	g_byte_array_unref(req->body);
	g_ptr_array_unref(req->resp_headers);
	g_free(req->resp_body);
	g_free(req);
}

void tsunagu_http_request_detach(tsunagu_http_request *req)
{
	req->wsi = NULL;
	req->in_dispatch = false;
}

const char *tsunagu_http_request_method(const tsunagu_http_request *req)
{
	return req->method;
}

const char *tsunagu_http_request_path(const tsunagu_http_request *req)
{
	return req->path;
}

const char *tsunagu_http_request_query(const tsunagu_http_request *req, const char *name)
{
	return g_hash_table_lookup(req->query, name);
}

const char *tsunagu_http_request_header(const tsunagu_http_request *req, const char *name)
{
	const char *v = g_hash_table_lookup(req->headers, name);

	if (!v && req->in_dispatch && req->wsi) {
		char *c = copy_custom(req->wsi, name);
		if (c) {
			tsunagu_http_request *mut = (tsunagu_http_request *)req;
			g_hash_table_replace(mut->headers, g_ascii_strdown(name, -1), c);
			v = c;
		}
	}
	return v;
}

const char *tsunagu_http_request_cookie(const tsunagu_http_request *req, const char *name)
{
	tsunagu_http_request *mut = (tsunagu_http_request *)req;

	if (!mut->cookies) {
		const char *h = g_hash_table_lookup(req->headers, "cookie");
		mut->cookies = tsunagu_http_parse_cookies(h, h ? strlen(h) : 0);
	}
	return g_hash_table_lookup(mut->cookies, name);
}

const char *tsunagu_http_request_body(const tsunagu_http_request *req, size_t *len)
{
	if (len)
		*len = req->body->len;
	/* The array is kept NUL-terminated past its length (see the server's
	 * body callback), so text bodies can be read as strings. */
	return req->body->len ? (const char *)req->body->data : "";
}

const char *tsunagu_http_request_peer(const tsunagu_http_request *req)
{
	return req->peer ? req->peer : "";
}

void tsunagu_http_request_set_data(tsunagu_http_request *req, void *data, void (*free_fn)(void *))
{
	if (req->data_free && req->data != data)
		req->data_free(req->data);
	req->data = data;
	req->data_free = free_fn;
}

void *tsunagu_http_request_get_data(const tsunagu_http_request *req)
{
	return req->data;
}

static void add_header_raw(tsunagu_http_request *req, const char *name, const char *value)
{
	g_ptr_array_add(req->resp_headers, g_ascii_strdown(name, -1));
	g_ptr_array_add(req->resp_headers, g_strdup(value));
}

void tsunagu_http_add_header(tsunagu_http_request *req, const char *name, const char *value)
{
	g_return_if_fail(!req->responded);
	add_header_raw(req, name, value);
}

static bool has_resp_header(const tsunagu_http_request *req, const char *lname)
{
	for (guint i = 0; i + 1 < req->resp_headers->len; i += 2)
		if (strcmp(req->resp_headers->pdata[i], lname) == 0)
			return true;
	return false;
}

void tsunagu_http_respond(tsunagu_http_request *req, int status, const char *content_type,
			  const char *body, size_t len)
{
	g_return_if_fail(req != NULL);
	g_return_if_fail(!req->responded);

	req->responded = true;
	req->status = status;
	req->resp_body = len ? g_memdup2(body, len) : NULL;
	req->resp_len = len;
	if (content_type)
		add_header_raw(req, "content-type", content_type);
	/* Every answer of the server carries these, whoever wrote the handler:
	 * nothing may be framed or run script from elsewhere. A handler that
	 * needs another policy sets its own header. media-src is spelled out
	 * (default-src already allows it) so that the inbox's guidance preview
	 * (<audio> on /api/v1/guidance/{id}/audio) keeps working if default-src
	 * is ever narrowed. */
	if (!has_resp_header(req, "content-security-policy"))
		add_header_raw(req, "content-security-policy",
			       "default-src 'self'; media-src 'self'; frame-ancestors 'none'");
	if (!has_resp_header(req, "x-content-type-options"))
		add_header_raw(req, "x-content-type-options", "nosniff");
	if (!has_resp_header(req, "referrer-policy"))
		add_header_raw(req, "referrer-policy", "no-referrer");
	if (req->http)
		g_hash_table_remove(req->http->requests, req);
	if (!req->wsi) {
		/* the client went away (or the server is gone): drop the answer */
		tsunagu_http_request_free(req);
		return;
	}
	lws_callback_on_writable(req->wsi);
}

void tsunagu_http_respond_error(tsunagu_http_request *req, int status, const char *code,
				const char *message)
{
	json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
	char *s = json_dumps(j, JSON_COMPACT);

	tsunagu_http_add_header(req, "cache-control", "no-store");
	tsunagu_http_respond(req, status, "application/json", s, strlen(s));
	free(s);
	json_decref(j);
}

static int write_headers(tsunagu_http_request *req)
{
	struct lws *wsi = req->wsi;
	size_t size = 512;
	unsigned char *buf, *start, *p, *end;
	int ret = -1;

	for (guint i = 0; i < req->resp_headers->len; i++)
		size += strlen(req->resp_headers->pdata[i]) + 4;
	buf = g_malloc(LWS_PRE + size);
	start = p = buf + LWS_PRE;
	end = start + size - 1;
	if (lws_add_http_header_status(wsi, (unsigned int)req->status, &p, end))
		goto out;
	for (guint i = 0; i + 1 < req->resp_headers->len; i += 2) {
		char *name = g_strconcat(req->resp_headers->pdata[i], ":", NULL);
		const char *value = req->resp_headers->pdata[i + 1];
		int r = lws_add_http_header_by_name(wsi, (const unsigned char *)name,
						    (const unsigned char *)value, (int)strlen(value),
						    &p, end);
		g_free(name);
		if (r)
			goto out;
	}
	if (lws_add_http_header_content_length(wsi, req->resp_len, &p, end))
		goto out;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		goto out;
	ret = 0;
out:
	g_free(buf);
	return ret;
}

int tsunagu_http_request_write(tsunagu_http_request *req)
{
	bool head = strcmp(req->method, "HEAD") == 0;

	if (!req->responded)
		return 0; /* the handler has not answered yet */
	if (!req->headers_sent) {
		if (write_headers(req) < 0)
			return -1;
		req->headers_sent = true;
		if (req->resp_len && !head) {
			lws_callback_on_writable(req->wsi);
			return 0;
		}
		return req->close_after ? 2 : 1;
	}
	if (head || req->resp_sent >= req->resp_len)
		return req->close_after ? 2 : 1;

	size_t n = MIN(req->resp_len - req->resp_sent, (size_t)WRITE_CHUNK);
	bool last = req->resp_sent + n == req->resp_len;
	unsigned char *buf = g_malloc(LWS_PRE + n);
	memcpy(buf + LWS_PRE, req->resp_body + req->resp_sent, n);
	int w = lws_write(req->wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
	g_free(buf);
	if (w < (int)n)
		return -1;
	req->resp_sent += n;
	if (!last) {
		lws_callback_on_writable(req->wsi);
		return 0;
	}
	return req->close_after ? 2 : 1;
}
