/* Shared between the files of core/rules only: the sandboxed file, the
 * declared rules and the generation that holds them. */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdbool.h>
#include <stdint.h>

#include "rules.h"

#define RULES_HOOK_COUNT 1000      /* instructions between two limit checks */
#define RULES_MAX_FILE_SIZE (1024 * 1024)
#define RULES_MAX_VIEW_DEPTH 32
#define RULES_MAX_ACTIONS 100

typedef struct rules_generation rules_generation;
typedef struct rules_hours rules_hours;

typedef enum {
	RULES_TRIP_NONE,
	RULES_TRIP_INSTRUCTIONS,
	RULES_TRIP_TIME,
} rules_trip;

/* One rule file: its own lua_State, limits and accounting. */
typedef struct rules_file {
	char *path;          /* as opened */
	char *src;           /* the "file" of file:line in every message we report */
	char *chunk;         /* the chunk name Lua prints (the base name: never cut short) */
	unsigned index;      /* position in gen->files */
	lua_State *L;
	rules_generation *gen; /* owner (borrowed back pointer) */
	bool loading;        /* top-level chunk running: declarations allowed */
	char *pending_name;  /* a `route "x"` whose { ... } body has not come yet */
	int pending_line;
	int env_ref;         /* the file's _ENV (a read-only proxy over the API) */

	size_t mem_used, mem_limit;
	unsigned mem_refused; /* allocations refused during the current call */
	uint64_t instr_limit, instr_used;
	int64_t time_limit_us, deadline_us;
	rules_trip tripped;
	bool watchdog_ref;   /* holds a reference on the limit watchdog */
	char trip_msg[1024]; /* "path:line: ..." with the full path of the file */
} rules_file;

/* Arms the instruction-count and deadline hook of f's state (rules_sandbox.c).
 * Async-signal-safe: only lua_sethook. */
void rules_arm_limits(rules_file *f);

/* The limit watchdog (rules_watchdog.c): calls that end within a tick run
 * without a hook. ref/unref: one per live rule file, with its time limit
 * (the thread runs while any exists and samples at a quarter of the
 * smallest limit; 0 or -errno when the signal handler cannot be installed,
 * and then every call arms its hook at once). enter returns whether the
 * call is watched (the watchdog will arm its hook, deadline from the call's
 * start); when false the caller arms the hook itself. leave gets what enter
 * returned. Calling thread: whichever calls into Lua.
 * rules_watchdog_armed: how many calls the watchdog has armed so far;
 * rules_watchdog_period_us: its sampling period now, 0 without files (any
 * thread; for tests). */
int rules_watchdog_ref(int64_t time_limit_us);
void rules_watchdog_unref(int64_t time_limit_us);
bool rules_watchdog_enter(rules_file *f);
void rules_watchdog_leave(bool watched);
unsigned rules_watchdog_armed(void);
int64_t rules_watchdog_period_us(void);

typedef struct {
	rules_file *file;
	char *name;
	int line;
	int when_ref;        /* LUA_NOREF: always matches */
	int to_ref;          /* a function computing the target, or LUA_NOREF */
	json_t *target;      /* the static target, or NULL with to_ref */
	char *method;
	bool enabled;        /* false: `enabled = false`, never evaluated nor self-tested */
	int64_t last_log_us; /* errors of one rule are logged once a minute */
} rules_route;

typedef struct {
	rules_file *file;
	char *name;
	int line;
	char *on;
	GPtrArray *cancel_on; /* char* events */
	int64_t after_ms;     /* 0: run at once */
	char *after_text;
	int when_ref, run_ref, steps_ref;
	int64_t last_log_us;
} rules_workflow;

typedef struct {
	rules_file *file;
	char *name;
	int line;
	int64_t after_ms;
	char *after_text;
	int when_ref;
	char *action;         /* "close_request" or "close" */
} rules_autoclose;

struct rules_generation {
	tsunagu_rules_options opts; /* dir not used after load */
	GPtrArray *files;      /* rules_file*, in load (name) order */
	GPtrArray *routes;     /* rules_route*, evaluation order */
	GPtrArray *workflows;  /* rules_workflow* */
	GPtrArray *autocloses; /* rules_autoclose* */
	rules_hours *hours;    /* business_hours { } declaration, NULL: default */
	char *hours_where;
	GPtrArray *errors;     /* char* "file:line: message" */
	GPtrArray *warnings;
	bool short_names;      /* errors name "route.lua", not the path */
};

/* ---- rules_sandbox.c ---------------------------------------------------- */

static inline rules_file *rules_file_of(lua_State *L)
{
	return *(rules_file **)lua_getextraspace(L);
}

/* A state with the sandboxed API; NULL and *err when even that does not fit
 * in the memory limit. Errors name the file by its path, or by its base name
 * with short_name (and always when the path is too long for Lua). */
rules_file *rules_file_new(rules_generation *gen, const char *path, bool short_name, char **err);
void rules_file_free(rules_file *f);
/* Compiles text (never binary) and runs its top level, which declares the
 * rules. 0 or a negative errno with *err. */
int rules_file_load(rules_file *f, const char *text, size_t len, char **err);

/* Calls the function below its nargs arguments on top of the stack under the
 * limits. 0: nres results are pushed. Otherwise nothing is left, *err (may be
 * NULL) gets "file:line: message" (line falls back to `line`), and the
 * result is -EINVAL (the rule raised), -ETIMEDOUT (instruction or time
 * limit) or -ENOMEM (memory limit). */
int rules_call(rules_file *f, int nargs, int nres, int line, char **err);
/* Runs fn(ud) as a protected, limited call with nothing else on the stack
 * contract: fn sees the lightuserdata ud at index 1 and returns nres. */
int rules_protected(rules_file *f, lua_CFunction fn, void *ud, int nres, char **err);

/* Pushes a read-only proxy of the table at idx (writes raise, pairs and #
 * work, getmetatable gives false). */
void rules_push_readonly(lua_State *L, int idx);
/* Replaces find/match/gmatch/gsub of the string table at idx with guarded
 * versions that refuse a pattern whose worst case is too costly. */
void rules_patterns_guard(lua_State *L, int string_table);
/* Like rules_push_readonly and remembers the proxy as made by the host (a
 * target, an action, a step), which rule code cannot forge. */
void rules_push_genuine(lua_State *L, int idx);
/* If the value at idx was made by rules_push_genuine, pushes its data table
 * and returns true; else pushes nothing. Raw: runs no metamethod. */
bool rules_genuine_data(lua_State *L, int idx);
/* Sets the shared "this is a list" metatable on the table on top. */
void rules_mark_list(lua_State *L);
bool rules_is_list(lua_State *L, int idx);

/* ---- rules_view.c ------------------------------------------------------- */

/* The conversation with the documented defaults filled in (new reference). */
json_t *rules_view_prepare(json_t *conversation);
/* Pushes the deeply read-only view of json; raises on depth or memory. */
void rules_view_push(lua_State *L, json_t *json);
/* Converts a host-made data table (raw reads only: cannot raise). */
json_t *rules_data_to_json(lua_State *L, int idx, int depth);
/* Deep-copies the rule's value at idx into plain host data (strings, numbers,
 * booleans, nested tables; lists marked); raises on anything else. */
void rules_copy_plain(lua_State *L, int idx, int depth, const char *what);
/* Raises unless the string at idx is valid UTF-8. */
const char *rules_check_text(lua_State *L, int idx, const char *what);

/* ---- rules_dsl.c, rules_values.c, rules_hours.c ------------------------- */

void rules_dsl_register(lua_State *L, int api);
void rules_values_register(lua_State *L, int api);
/* Raises on a key of the table at idx that is not in allowed (NULL-ended). */
void rules_check_fields(lua_State *L, int idx, const char *what, const char *const *allowed);
/* Pushes t[key] of the table at idx, raw; returns its type. */
int rules_raw_field(lua_State *L, int idx, const char *key);
/* Pushes the data table of the target at idx; raises when it is none. */
void rules_values_push_target_data(lua_State *L, int idx, const char *what);
void rules_hours_register(lua_State *L, int api);
/* Checks the end of a file's load (a header without body). */
int rules_dsl_finish(rules_file *f, char **err);
void rules_hours_free(rules_hours *h);
bool rules_known_event(const char *event);
/* Raises unless the value at idx is a duration string; returns ms. */
int64_t rules_check_duration(lua_State *L, int idx, const char *what);

void rules_route_free(rules_route *r);
void rules_workflow_free(rules_workflow *w);
void rules_autoclose_free(rules_autoclose *a);

/* ---- rules_host.c ------------------------------------------------------- */

rules_generation *rules_generation_new(const tsunagu_rules_options *opts);
void rules_generation_free(rules_generation *gen);
/* Loads one file into gen; errors go to gen->errors. */
void rules_generation_add_file(rules_generation *gen, const char *path, const char *text,
			       size_t len);
/* Loads and self-tests every *.lua of dir (errors name base names), with
 * overrides (file name -> GBytes, may be NULL) replacing or adding files. */
rules_generation *rules_load_dir(const char *dir, GHashTable *overrides,
				 const tsunagu_rules_options *opts);
/* Runs the self-test; failures go to gen->errors, warnings to gen->warnings. */
void rules_generation_self_test(rules_generation *gen);
/* Logs err for a rule at most once a minute (per rule). */
void rules_log_rule_error(int64_t *last_log_us, const char *err);

/* ---- rules_workflow.c --------------------------------------------------- */

struct tsunagu_rules;
/* The "wf:" timer handler (user_data: the tsunagu_rules). */
void rules_workflow_timer_fired(const char *key, json_t *payload, void *user_data);
/* Evaluates `run` of w for view; returns the action array (each with
 * "workflow") or NULL with *err. */
json_t *rules_workflow_run(rules_workflow *w, json_t *view, char **err);
rules_generation *rules_current_generation(struct tsunagu_rules *rules);
void rules_dispatch_actions(struct tsunagu_rules *rules, const char *conversation_id,
			    json_t *actions);
json_t *rules_fresh_view(struct tsunagu_rules *rules, const char *conversation_id);

/* The host object (rules_host.c); route and workflow evaluation read it. */
struct tsunagu_rules {
	tsunagu_core *core;          /* borrowed, may be NULL */
	tsunagu_rules_options opts;  /* dir points at dir below */
	char *dir;
	char **paths;                /* standalone hosts: what reload re-reads */
	char *source_name;           /* standalone host over one in-memory source */
	GBytes *source;
	rules_generation *gen;       /* serving; never NULL (may hold no rule) */
	unsigned number;
	tsunagu_timers *timers;      /* NULL without a store */
	tsunagu_rules_actions_fn on_actions;
	void *on_actions_data;
	tsunagu_rules_view_fn view_fn;
	void *view_data;
};

/* Pushes the prepared view onto f's empty stack (index 1). 0 or -errno. */
int rules_push_view(rules_file *f, json_t *prepared, int line, char **err);
