/* What the router would do with a route decision *now*, without doing it:
 * the "would pick" column of the rules editor's dry run (docs/rules.md).
 *
 * It resolves the target exactly as placement does (router_route_resolve)
 * and makes the router's own choice (router_pick_dry: the preferred
 * operator, chat or call eligibility, round robin with its owed turns) —
 * so it follows every change to how operators are chosen — but writes
 * nothing: no assignment, no event, and the round-robin state is only read.
 * Thread: loop thread only. Needs core->store and core->router (-ENOTSUP
 * without a router).
 */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "core.h"
#include "store.h"

typedef struct {
	int64_t staff_id;      /* 0: nobody would get it */
	char *login;           /* NULL with staff_id 0 */
	char *display_name;
	/* With staff_id 0: "target_nobody" (the rule routes to nobody, or
	 * nothing in its target exists) or "nobody_qualifies" (nobody is
	 * available with free capacity now). Static text. */
	const char *reason;
	json_t *notes;         /* array of strings: unknown teams or logins of the target */
} tsunagu_router_preview;

void tsunagu_router_preview_free(tsunagu_router_preview *p);

/* The operator the router would pick for conv with target (borrowed; NULL:
 * all available) and method (NULL: longest_idle). 0 and *out, or a
 * negative errno from the store (then *out is NULL). */
int tsunagu_router_preview_pick(tsunagu_core *core, const tsunagu_store_conversation *conv,
				json_t *target, const char *method, tsunagu_router_preview **out);
