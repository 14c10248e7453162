/* tsunagu rules check FILE|DIR...   compile + self-test, report file:line
 * tsunagu rules test DIR --conversation FILE.json [--event EVENT]
 *                                     dry run: the decision and the actions */
#include <errno.h>
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "core.h"
#include "log.h"
#include "rules.h"

static char *opt_config;
static char *opt_conversation;
static char *opt_event;
static char *opt_at;
static gboolean opt_json;
static char **opt_rest;

static const GOptionEntry common_entries[] = {
	{"config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
	 "Take the rule limits from this tsunagud config file", "FILE"},
	{G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_rest, NULL, "PATH..."},
	{NULL},
};

static const GOptionEntry test_entries[] = {
	{"conversation", 0, 0, G_OPTION_ARG_FILENAME, &opt_conversation,
	 "The conversation view `c` as JSON (required)", "FILE.json"},
	{"event", 'e', 0, G_OPTION_ARG_STRING, &opt_event,
	 "Also run the workflows for this event (e.g. message.customer)", "EVENT"},
	{"at", 0, 0, G_OPTION_ARG_STRING, &opt_at,
	 "Evaluate as if it were this time (ISO 8601, e.g. 2026-01-05T10:00:00+09:00)", "TIME"},
	{"json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print one JSON object", NULL},
	{NULL},
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tsunagu rules check [--config FILE] FILE|DIR...\n"
		"       tsunagu rules test  [--config FILE] DIR|FILE... --conversation FILE.json\n"
		"                           [--event EVENT] [--at TIME] [--json]\n\n"
		"check  compiles every rule file and runs its self-test; prints each problem\n"
		"       as file:line: message; exit status 1 on any error.\n"
		"test   evaluates the rules against a conversation and prints the route\n"
		"       decision and, with --event, the workflow actions. Performs nothing.\n");
}

static bool parse(int *argc, char ***argv, bool with_test, GError **err)
{
	GOptionContext *ctx = g_option_context_new(NULL);
	g_option_context_set_help_enabled(ctx, FALSE);
	g_option_context_add_main_entries(ctx, common_entries, NULL);
	if (with_test)
		g_option_context_add_main_entries(ctx, test_entries, NULL);
	bool ok = g_option_context_parse(ctx, argc, argv, err);
	g_option_context_free(ctx);
	return ok;
}

static int options(tsunagu_rules_options *opts, tsunagu_config **config)
{
	memset(opts, 0, sizeof *opts);
	*config = NULL;
	if (!opt_config)
		return 0;
	GError *error = NULL;
	*config = tsunagu_config_load(opt_config, NULL, &error);
	if (!*config) {
		fprintf(stderr, "%s\n", error->message);
		g_error_free(error);
		return -EINVAL;
	}
	tsunagu_rules_options_from_config(*config, NULL, opts);
	return 0;
}

/* Lists the route rules switched off with `enabled = false`, so whoever
 * checks the files sees them (they stay in the file but never match). */
static void print_disabled(const tsunagu_rules_options *opts)
{
	tsunagu_rules *rules = NULL;
	if (tsunagu_rules_open_paths((const char *const *)opt_rest, opts, &rules, NULL) < 0)
		return;
	json_t *list = tsunagu_rules_route_list(rules), *r;
	size_t i;
	json_array_foreach(list, i, r)
		if (!json_is_true(json_object_get(r, "enabled")))
			printf("disabled: %s:%d: route \"%s\"\n",
			       json_string_value(json_object_get(r, "file")),
			       (int)json_integer_value(json_object_get(r, "line")),
			       json_string_value(json_object_get(r, "name")));
	json_decref(list);
	tsunagu_rules_free(rules);
}

static int cmd_check(void)
{
	tsunagu_rules_options opts;
	tsunagu_config *config;
	if (!opt_rest || !opt_rest[0]) {
		usage(stderr);
		return 2;
	}
	if (options(&opts, &config) < 0)
		return 2;
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *warnings = g_ptr_array_new_with_free_func(g_free);
	tsunagu_rules_stats stats;
	int ret = tsunagu_rules_check_paths((const char *const *)opt_rest, &opts, errors, warnings,
					    &stats);
	for (unsigned i = 0; i < warnings->len; i++)
		fprintf(stderr, "warning: %s\n", (char *)warnings->pdata[i]);
	for (unsigned i = 0; i < errors->len; i++)
		fprintf(stderr, "%s\n", (char *)errors->pdata[i]);
	if (ret == 0 && stats.routes_disabled)
		print_disabled(&opts);
	if (ret == 0 && stats.routes_disabled)
		printf("ok: %u rules in %u files (%u disabled)\n",
		       stats.routes + stats.workflows + stats.autocloses, stats.files,
		       stats.routes_disabled);
	else if (ret == 0)
		printf("ok: %u rules in %u files\n",
		       stats.routes + stats.workflows + stats.autocloses, stats.files);
	g_ptr_array_unref(errors);
	g_ptr_array_unref(warnings);
	tsunagu_config_free(config);
	return ret == 0 ? 0 : 1;
}

static int64_t fixed_now_us;

static int64_t fixed_clock(void)
{
	return fixed_now_us;
}

static json_t *decision_json(const tsunagu_route_decision *d)
{
	json_t *errors = json_array();
	for (unsigned i = 0; i < d->errors->len; i++)
		json_array_append_new(errors, json_string(d->errors->pdata[i]));
	return json_pack("{s:s, s:s?, s:i, s:O, s:s, s:o}", "rule", d->rule_name, "file",
			 d->rule_file, "line", d->rule_line, "target", d->target, "method",
			 d->method, "errors", errors);
}

static json_t *workflow_json(const tsunagu_workflow_result *r)
{
	json_t *errors = json_array();
	for (unsigned i = 0; i < r->errors->len; i++)
		json_array_append_new(errors, json_string(r->errors->pdata[i]));
	return json_pack("{s:O, s:O, s:O, s:o}", "actions", r->actions, "scheduled",
			 r->scheduled, "cancelled", r->cancelled, "errors", errors);
}

static void print_human(const tsunagu_route_decision *d, const tsunagu_workflow_result *r)
{
	char *target = json_dumps(d->target, JSON_COMPACT | JSON_SORT_KEYS);
	if (d->rule_file)
		printf("route: \"%s\" (%s:%d)\n", d->rule_name, d->rule_file, d->rule_line);
	else
		printf("route: default (no rule matched)\n");
	printf("target: %s\nmethod: %s\n", target, d->method);
	free(target);
	for (unsigned i = 0; i < d->errors->len; i++)
		printf("skipped: %s\n", (char *)d->errors->pdata[i]);
	if (!r)
		return;
	printf("event: %s\n", opt_event);
	size_t i;
	json_t *v;
	json_array_foreach(r->actions, i, v) {
		char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		printf("action: %s\n", s);
		free(s);
	}
	json_array_foreach(r->scheduled, i, v) {
		char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		printf("timer: %s\n", s);
		free(s);
	}
	json_array_foreach(r->cancelled, i, v)
		printf("cancel: %s\n", json_string_value(v));
	for (unsigned k = 0; k < r->errors->len; k++)
		printf("skipped: %s\n", (char *)r->errors->pdata[k]);
	if (!json_array_size(r->actions) && !json_array_size(r->scheduled))
		printf("no workflow action\n");
}

static int cmd_test(void)
{
	tsunagu_rules_options opts;
	tsunagu_config *config = NULL;
	tsunagu_rules *rules = NULL;
	json_t *conv = NULL;
	GError *error = NULL;
	int status = 2;
	if (!opt_rest || !opt_rest[0] || !opt_conversation) {
		usage(stderr);
		return 2;
	}
	if (opt_event && !strchr(opt_event, '.')) {
		fprintf(stderr, "tsunagu: --event wants an event name like message.customer\n");
		return 2;
	}
	if (opt_at) {
		GDateTime *dt = g_date_time_new_from_iso8601(opt_at, NULL);
		if (!dt) {
			fprintf(stderr, "tsunagu: --at: not an ISO 8601 time with zone: %s\n",
				opt_at);
			return 2;
		}
		fixed_now_us = g_date_time_to_unix(dt) * G_USEC_PER_SEC;
		g_date_time_unref(dt);
		tsunagu_core_set_clock(fixed_clock);
	}
	json_error_t jerr;
	conv = json_load_file(opt_conversation, 0, &jerr);
	if (!json_is_object(conv)) {
		fprintf(stderr, "%s:%d: %s\n", opt_conversation, jerr.line,
			conv ? "the conversation must be a JSON object" : jerr.text);
		goto out;
	}
	if (options(&opts, &config) < 0)
		goto out;
	if (tsunagu_rules_open_paths((const char *const *)opt_rest, &opts, &rules, &error) < 0) {
		fprintf(stderr, "%s\n", error->message);
		g_error_free(error);
		status = 1;
		goto out;
	}
	tsunagu_route_decision *d = tsunagu_rules_route(rules, conv);
	tsunagu_workflow_result *r =
		opt_event ? tsunagu_rules_on_event(rules, opt_event, conv, TSUNAGU_RULES_DRY_RUN)
			  : NULL;
	if (opt_json) {
		json_t *o = json_pack("{s:o}", "route", decision_json(d));
		if (r)
			json_object_set_new(o, "event", json_pack("{s:s, s:o}", "name", opt_event,
								  "workflows", workflow_json(r)));
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", s);
		free(s);
		json_decref(o);
	} else {
		print_human(d, r);
	}
	tsunagu_route_decision_free(d);
	tsunagu_workflow_result_free(r);
	status = 0;
out:
	tsunagu_rules_free(rules);
	tsunagu_config_free(config);
	json_decref(conv);
	return status;
}

static int run(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1];
	bool test = strcmp(sub, "test") == 0;
	if (!test && strcmp(sub, "check") != 0) {
		fprintf(stderr, "tsunagu rules: unknown subcommand '%s'\n", sub);
		usage(stderr);
		return 2;
	}
	/* the tool reports problems itself; the host's info lines are noise */
	tsunagu_log_set_level(TSUNAGU_LOG_WARN);
	int n = argc - 1;
	char **args = argv + 1;
	GError *error = NULL;
	if (!parse(&n, &args, test, &error)) {
		fprintf(stderr, "tsunagu rules %s: %s\n", sub, error->message);
		g_error_free(error);
		return 2;
	}
	return test ? cmd_test() : cmd_check();
}

const tsunagu_cli_command tsunagu_cli_rules = {
	.name = "rules",
	.summary = "check rule files, or dry-run them against a conversation",
	.run = run,
	.usage = usage,
};
