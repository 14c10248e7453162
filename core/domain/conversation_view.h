/* The read-only picture of a conversation that rules see (`c` in RULES.md),
 * built from the store as JSON. Loop thread. */
#pragma once

#include <jansson.h>

#include "core.h"
#include "store.h"

/* Returns a new reference; never NULL (missing parts are left out). */
json_t *tsunagu_conversation_view(tsunagu_core *core, const tsunagu_store_conversation *conv);
