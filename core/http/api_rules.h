/* Private to api_rules*.c: the handlers of the rules management routes
 * (api_rules_manage.c, api_rules_dryrun.c) listed in the table of
 * api_rules.c, and what they share. Thread: loop thread only. */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "api.h"

/* Answers 503 and returns false when the rules host is not loaded. */
bool tsunagu_api_rules_ready(tsunagu_api_call *call);
/* "file:line: message" strings -> a new array of {file, line, message}. */
json_t *tsunagu_api_rules_errors(GPtrArray *errors);
/* Reads the optional "files" member ({name: text}) of the body into a
 * table of file name -> GBytes (*out NULL when absent). Answers 400 and
 * returns false when it is malformed. */
bool tsunagu_api_rules_drafts(tsunagu_api_call *call, GHashTable **out);
/* Answers 422 {"error": {"code": "bad_request", message, "details":
 * [{file, line, message}]}}. */
void tsunagu_api_rules_refuse(tsunagu_api_call *call, int status, const char *code,
			      const char *message, GPtrArray *errors);

void tsunagu_api_rules_list(tsunagu_api_call *call);
void tsunagu_api_rules_enable(tsunagu_api_call *call);
void tsunagu_api_rules_disable(tsunagu_api_call *call);
void tsunagu_api_rules_move(tsunagu_api_call *call);
void tsunagu_api_rules_delete(tsunagu_api_call *call);
void tsunagu_api_rules_files(tsunagu_api_call *call);
void tsunagu_api_rules_file_get(tsunagu_api_call *call);
void tsunagu_api_rules_file_put(tsunagu_api_call *call);
void tsunagu_api_rules_validate(tsunagu_api_call *call);
void tsunagu_api_rules_dry_run(tsunagu_api_call *call);
