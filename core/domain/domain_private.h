/* Private to the domain's files (domain.c, domain_calls.c): the domain
 * object and the helpers they share. Thread: loop thread only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"

struct tsunagu_domain {
	tsunagu_core *core;
	GHashTable *channels; /* name -> channel_reg* (domain.c) */
};

/* [a-z0-9_-], 1..32 chars. */
bool domain_channel_name_valid(const char *name);
/* A JSON object text (a channel's visitor_json). */
bool domain_visitor_valid(const char *visitor_json);
/* Opens a conversation for contact on channel, records the route rules'
 * decision (route.decided) and has the router place it: assigned to an
 * operator or waiting (a call: until its call comes in), in the caller's
 * atomic unit. *conv_out is the caller's. */
int domain_open_conversation(tsunagu_domain *d, const char *channel, int64_t contact_id,
			     const char *visitor_json, int64_t *conv_id,
			     tsunagu_store_conversation **conv_out);
