/* JSON answers for the bundled plugins' staff routes (http_route_staff), in
 * the REST API's shape: a body, or {"error": {"code", "message"}}.
 *
 * Loop thread (like every request accessor of the host API). api and req are
 * the host's; req is answered (and released) by every function that says so.
 */
#pragma once

#include <jansson.h>
#include <tsunagu/plugin.h>

/* Answers req with json (taken: decref'd here; NULL gives an empty body),
 * Cache-Control: no-store. */
void tsunagu_plugin_respond_json(const tsunagu_host_api *api, tsunagu_host_request *req,
				 int status, json_t *json);
/* Answers req with {"error": {"code": code, "message": message}}. */
void tsunagu_plugin_respond_error(const tsunagu_host_api *api, tsunagu_host_request *req,
				  int status, const char *code, const char *message);

/* What a GET/PUT settings-like route got. */
typedef enum {
	TSUNAGU_PLUGIN_READ = 0,     /* GET or HEAD: answer with the current view */
	TSUNAGU_PLUGIN_WRITE = 1,    /* PUT with a JSON body: *body_out is it (decref it) */
	TSUNAGU_PLUGIN_ANSWERED = 2, /* refused (405, or 400 naming why): req is answered */
} tsunagu_plugin_request_kind;

/* Sorts a request of a route that reads with GET and replaces with PUT an
 * application/json body (duplicate keys refused). */
tsunagu_plugin_request_kind tsunagu_plugin_read_or_put(const tsunagu_host_api *api,
						       tsunagu_host_request *req,
						       json_t **body_out);
