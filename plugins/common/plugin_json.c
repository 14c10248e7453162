/* JSON answers for the bundled plugins' staff routes (plugin_json.h). */
#include "plugin_json.h"

#include <stdlib.h>
#include <string.h>

void tsunagu_plugin_respond_json(const tsunagu_host_api *api, tsunagu_host_request *req,
				 int status, json_t *json)
{
	char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
	api->response_header(req, "cache-control", "no-store");
	api->respond(req, status, "application/json", text, text ? strlen(text) : 0);
	free(text);
	json_decref(json);
}

void tsunagu_plugin_respond_error(const tsunagu_host_api *api, tsunagu_host_request *req,
				  int status, const char *code, const char *message)
{
	tsunagu_plugin_respond_json(api, req, status,
				    json_pack("{s:{s:s, s:s}}", "error", "code", code, "message",
					      message));
}

tsunagu_plugin_request_kind tsunagu_plugin_read_or_put(const tsunagu_host_api *api,
						       tsunagu_host_request *req,
						       json_t **body_out)
{
	const char *method = api->request_method(req);
	size_t len = 0;

	*body_out = NULL;
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return TSUNAGU_PLUGIN_READ;
	if (strcmp(method, "PUT") != 0) {
		api->response_header(req, "allow", "GET, PUT");
		tsunagu_plugin_respond_error(api, req, 405, "method_not_allowed", "GET or PUT");
		return TSUNAGU_PLUGIN_ANSWERED;
	}
	const char *ctype = api->request_header(req, "content-type");
	const char *body = api->request_body(req, &len);
	if (!ctype || strncmp(ctype, "application/json", 16) != 0) {
		tsunagu_plugin_respond_error(api, req, 400, "bad_request",
					     "the body must be application/json");
		return TSUNAGU_PLUGIN_ANSWERED;
	}
	*body_out = body ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!*body_out) {
		tsunagu_plugin_respond_error(api, req, 400, "bad_request", "the body is not JSON");
		return TSUNAGU_PLUGIN_ANSWERED;
	}
	return TSUNAGU_PLUGIN_WRITE;
}
