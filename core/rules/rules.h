/* The Lua rules host: loads rule files (route, workflow, autoclose) from a
 * directory into one generation of sandboxed states, evaluates them, and
 * swaps in a new generation on reload only when the whole of it compiles and
 * passes its self-test. See ../../../shared/RULES.md and docs/rules.md.
 *
 * Sandbox: one lua_State per rule file with a capped allocator
 * (memory_limit), an instruction-count hook with a wall-clock deadline
 * (instruction_limit, time_limit_ms) that pcall cannot swallow, text chunks
 * only, no io/os/debug/package, read-only API and conversation view. The
 * limits apply to every single call into a rule (one `when`, one `to`, one
 * `run`), so one slow rule cannot eat the budget of the next one.
 *
 * Errors are always "file:line: message" strings.
 * Thread: loop thread only (the whole API, and every callback it makes).
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "rules_timers.h"

#define TSUNAGU_RULES_ERROR (tsunagu_rules_error_quark())
GQuark tsunagu_rules_error_quark(void);

typedef struct {
	const char *dir;             /* directory of *.lua rule files */
	uint64_t instruction_limit;  /* per evaluation (count hook); 0: 1000000 */
	int64_t time_limit_ms;       /* wall clock per evaluation; 0: 50 */
	size_t memory_limit;         /* bytes per rule file state; 0: 8 MiB */
} tsunagu_rules_options;

/* Fills opts from the [rules] keys of config (rules.dir, rules.*_limit).
 * An empty rules.dir becomes default_dir. Strings stay owned by config /
 * the caller. */
void tsunagu_rules_options_from_config(const tsunagu_config *config, const char *default_dir,
				       tsunagu_rules_options *opts);

/* What a route evaluation decided. Owned by the caller. */
typedef struct {
	char *rule_name;    /* the rule that matched; "default" when none did */
	char *rule_file;    /* "route.lua" or NULL for the default */
	int rule_line;      /* line of the route declaration, 0 for default */
	json_t *target;     /* {"kind":"all_available"} / {"kind":"team","name":..} /
			       {"kind":"operators","operators":[..],"teams":[..]} /
			       {"kind":"last_operator","fallback":{..}} /
			       {"kind":"crm_owner","attribute":..,"fallback":{..}} /
			       {"kind":"nobody"} */
	char *method;       /* "longest_idle", "fewest_handled", "round_robin", "ring_all" */
	GPtrArray *errors;  /* char*: "file:line: message" of rules that raised and were skipped */
} tsunagu_route_decision;
void tsunagu_route_decision_free(tsunagu_route_decision *d);

/* Loads the first generation. An error here (bad rules at start) is returned
 * with the messages in err (one "file:line: message" per line); *out is then
 * still set to a host that serves the built-in default (generation 0) and
 * that a later reload can fix. The caller decides whether to run on defaults
 * (keep *out) or to refuse to start (free it).
 * core may be NULL (tools): then there is no store, so no durable timers
 * (workflows with `after` are reported as scheduled but not armed). */
int tsunagu_rules_new(tsunagu_core *core, const tsunagu_rules_options *opts, tsunagu_rules **out,
		      GError **err);
void tsunagu_rules_free(tsunagu_rules *rules);

/* Builds and self-tests a new generation from the directory; swaps it in only
 * on success. On failure returns a negative errno, the last good generation
 * stays, and err holds every "file:line: message". */
int tsunagu_rules_reload(tsunagu_rules *rules, GError **err);
/* Generation number currently serving (1 after start). */
unsigned tsunagu_rules_generation(const tsunagu_rules *rules);

/* Evaluates the route rules against a conversation view (the read-only `c`
 * of RULES.md, as JSON: borrowed). Never fails: a broken rule is skipped and
 * reported in errors, and with no match the default decision is returned.
 * rules may be NULL (the default decision).
 *
 * The view is the object built by the domain: id, link, channel, state,
 * created_at / last_customer_message_at (seconds since the epoch), assignee,
 * team, category, tags (a set: {"vip":true}; an array of strings is turned
 * into a set too), contact {name, email, phone, tags, attributes,
 * past_conversations, last_operator}, visitor {page_url, ..., utm {..}},
 * call {direction, state, missed_reason}. Missing contact, visitor,
 * visitor.utm, call, tags, contact.tags, contact.attributes are supplied
 * empty and contact.past_conversations as 0, so rules need not test them. */
tsunagu_route_decision *tsunagu_rules_route(tsunagu_rules *rules, json_t *conversation);

/* ---- workflows ----------------------------------------------------------- */

/* What the workflows made of one event. Owned by the caller. */
typedef struct {
	/* Actions to perform now, in workflow order, each an object with
	 * "action" and "workflow" (the rule's name), e.g.
	 * {"action":"tag","tag":"x","workflow":".."},
	 * {"action":"assign","target":{..},"exclude":[..],"workflow":".."}. */
	json_t *actions;
	/* Durable timers set by workflows with `after`:
	 * {"workflow":..,"key":..,"after":"10m","due_at":seconds}. In a dry run
	 * they are not armed and carry "actions": what `run` returns now. */
	json_t *scheduled;
	/* Keys of timers cancelled by `cancel_on`. */
	json_t *cancelled;
	GPtrArray *errors; /* char*: "file:line: message" of workflows skipped */
} tsunagu_workflow_result;
void tsunagu_workflow_result_free(tsunagu_workflow_result *r);

enum {
	TSUNAGU_RULES_DRY_RUN = 1 << 0, /* touch no timer: report what would happen */
};

/* An event (RULES.md: "conversation.created", "message.customer", ...)
 * happened to the conversation (view as for tsunagu_rules_route, borrowed;
 * it must carry "id" for timers). Every workflow whose `on` is the event and
 * whose `when` holds either returns its `run` actions now or, with `after`,
 * sets a durable timer keyed by workflow and conversation (replacing an
 * earlier one: the wait restarts). Workflows whose `cancel_on` lists the
 * event cancel their timer for that conversation. Never fails; rules may be
 * NULL (an empty result). Timer writes join the store's current batch. */
tsunagu_workflow_result *tsunagu_rules_on_event(tsunagu_rules *rules, const char *event,
						json_t *conversation, unsigned flags);
/* Whether any workflow of the serving generation starts on, or cancels on,
 * event: callers skip building a view for the events nobody listens to. */
bool tsunagu_rules_listens(const tsunagu_rules *rules, const char *event);

/* Receives the actions of workflow timers when they fire (after `after`,
 * possibly after a restart). conversation_id is the view's "id" as a string;
 * actions is an array as in tsunagu_workflow_result (borrowed for the call).
 * Loop thread, called from the timer dispatch. */
typedef void (*tsunagu_rules_actions_fn)(const char *conversation_id, json_t *actions,
					 void *user_data);
void tsunagu_rules_set_action_handler(tsunagu_rules *rules, tsunagu_rules_actions_fn fn,
				      void *user_data);
/* Optional: gives a fresh view of a conversation when a timer fires (new
 * reference, or NULL to use the snapshot taken when the timer was set). */
typedef json_t *(*tsunagu_rules_view_fn)(const char *conversation_id, void *user_data);
void tsunagu_rules_set_view_provider(tsunagu_rules *rules, tsunagu_rules_view_fn fn,
				     void *user_data);
/* The durable timer service the host runs (NULL without a store); the
 * domain may register its own key prefixes on it (e.g. snooze wake-ups). */
tsunagu_timers *tsunagu_rules_timers(tsunagu_rules *rules);

/* Whether the serving generation's business_hours { } declaration says
 * channel is open at now_us (the rules' business_hours(channel)).
 * -ENOENT when rules is NULL or has no declaration: the caller decides
 * (the call engine then takes calls at any time). */
int tsunagu_rules_business_hours(const tsunagu_rules *rules, const char *channel,
				 int64_t now_us, bool *open_out);

/* ---- tools: check and dry runs without a core ----------------------------- */

/* Counts of what a generation holds. */
typedef struct {
	unsigned files;
	unsigned routes, workflows, autocloses;
	unsigned routes_disabled; /* route rules with `enabled = false` (among routes) */
} tsunagu_rules_stats;
void tsunagu_rules_get_stats(const tsunagu_rules *rules, tsunagu_rules_stats *out);

/* Compiles and self-tests paths (rule files and/or directories of *.lua) as
 * one generation, without a core. Appends "file:line: message" strings to
 * errors (must not be NULL) and self-test warnings (a `when` that raises on
 * synthetic data) to warnings (may be NULL). stats may be NULL. Returns 0
 * when there is no error, -EINVAL otherwise (-ENOENT for a missing path). */
int tsunagu_rules_check_paths(const char *const *paths, const tsunagu_rules_options *opts,
			      GPtrArray *errors, GPtrArray *warnings, tsunagu_rules_stats *stats);

/* Opens paths (as above) or one in-memory source (name is the file name its
 * errors carry) as a standalone host for dry runs (no core, no timers).
 * Fails like tsunagu_rules_new, but *out is left NULL on failure. opts->dir
 * is ignored. */
int tsunagu_rules_open_paths(const char *const *paths, const tsunagu_rules_options *opts,
			     tsunagu_rules **out, GError **err);
int tsunagu_rules_open_source(const char *name, const char *text, size_t len,
			      const tsunagu_rules_options *opts, tsunagu_rules **out,
			      GError **err);

/* ---- management: drafts and the list of route rules ----------------------- */

/* The rules directory of a host made by tsunagu_rules_new (borrowed). */
const char *tsunagu_rules_dir(const tsunagu_rules *rules);

/* Compiles and self-tests the rules directory of live with drafts (file
 * name -> GBytes text; may be NULL: the files as they are) replacing or
 * adding files, as a throw-away generation with live's limits; it is never
 * swapped in. Appends "file:line: message" (file base names) to errors (not
 * NULL) and self-test warnings to warnings (may be NULL). Returns 0 and, when
 * out is not NULL, a standalone host (no core, no timers: free it with
 * tsunagu_rules_free), or -EINVAL and *out NULL when anything failed. */
int tsunagu_rules_open_draft(const tsunagu_rules *live, GHashTable *drafts, tsunagu_rules **out,
			     GPtrArray *errors, GPtrArray *warnings);

/* The route rules of the serving generation in evaluation order, as a new
 * JSON array of {"name", "position" (1-based), "file" (base name), "line",
 * "enabled", "target" (the target JSON, or null when `to` is a function),
 * "method"}. rules may be NULL (an empty array). */
json_t *tsunagu_rules_route_list(const tsunagu_rules *rules);

/* Splits "file:line: message" into {"file", "line", "message"} (a text
 * without that prefix gives file "" and line 0). New reference. */
json_t *tsunagu_rules_error_json(const char *error);
