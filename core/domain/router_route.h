/* Private to the router: a route — who may receive a conversation and how
 * one of them is chosen — resolved from a rule's target, kept with the
 * conversation as canonical JSON, and tested against an operator.
 *
 * JSON (keys sorted, only those that apply): {"method": "longest_idle",
 * "all": true} or {"method": .., "prefer": 7, "staff": [3, 9], "teams": [2]}
 * or {"nobody": true}. Teams are kept as ids and their members read when the
 * route is used, so membership changes apply to conversations that wait.
 * Thread: loop thread only.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "store.h"

typedef struct {
	bool all;           /* every operator */
	int64_t prefer;     /* tried first (last operator, CRM owner); 0 none */
	GArray *staff;      /* int64_t, sorted, unique */
	GArray *teams;      /* int64_t, sorted, unique */
	char *method;       /* "longest_idle", "fewest_handled", "round_robin", "ring_all" */
	GPtrArray *notes;   /* char*: what could not be resolved (unknown team, login) */
} router_route;

router_route *router_route_new(void);
void router_route_free(router_route *r);

/* Resolves target (borrowed; NULL: all available) for conv. method NULL or
 * unknown: longest_idle. Never fails: what cannot be resolved is left out
 * and noted; a route that admits nobody is "nobody". */
router_route *router_route_resolve(tsunagu_core *core, const tsunagu_store_conversation *conv,
				   json_t *target, const char *method);
/* Reads a kept route; NULL or unreadable text: all available, longest idle. */
router_route *router_route_parse(const char *json_text);
/* Canonical JSON text (g_free). */
char *router_route_to_json(const router_route *r);

/* Nobody may receive it (waits for a supervisor). */
bool router_route_nobody(const router_route *r);
/* Whether the route admits staff_id, a member of teams (sorted int64_t). */
bool router_route_admits(const router_route *r, int64_t staff_id, const GArray *teams);
/* The store pick method of the route's method (ring_all: longest idle). */
tsunagu_pick_method router_route_pick_method(const router_route *r);
/* The id lists as JSON array text for tsunagu_store_pick (g_free). */
char *router_ids_json(const GArray *ids);
/* A short stable key of who the route admits (for the round-robin pointer). */
char *router_route_rr_key(const router_route *r);
