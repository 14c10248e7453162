/* The read-only picture of a conversation that rules see (`c` in RULES.md),
 * built from the store as JSON. Loop thread. */
#pragma once

#include <jansson.h>

#include "core.h"
#include "store.h"

/* Returns a new reference; never NULL (missing parts are left out). */
json_t *tsunagu_conversation_view(tsunagu_core *core, const tsunagu_store_conversation *conv);
/* The same view of a conversation just created in the caller's unit (no
 * write on it since but its visitor): what it cannot have yet — tags, a
 * call — is left empty without asking the store, which every new
 * conversation (every call) did for nothing. */
json_t *tsunagu_conversation_view_new(tsunagu_core *core,
				      const tsunagu_store_conversation *conv);
