/* The router test fixture (router_fixture.c). Loop thread (the test's). */
#pragma once

#include <errno.h>
#include <glib.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "domain.h"
#include "events.h"
#include "router.h"
#include "store.h"

#define SECOND ((int64_t)G_USEC_PER_SEC)
#define MINUTE ((int64_t)60 * G_USEC_PER_SEC)

/* The controlled clock: tsunagu_core_set_clock(fake_clock) in main. */
extern int64_t fake_now;
int64_t fake_clock(void);

typedef struct {
	tsunagu_core core;
	char *dir;
	char *db;
	GPtrArray *seen; /* tsunagu_store_event* copies (type, payload) */
	unsigned customers;
} fixture;

void setup(fixture *f, gconstpointer data);
void teardown(fixture *f, gconstpointer data);
/* Runs the loop until idle (commits, event delivery). */
void spin(void);
/* A staff member (password "x"). */
int64_t operator(fixture *f, const char *login, tsunagu_role role);
/* Available with this chat capacity, one minute later than the last change. */
void available(fixture *f, int64_t id, int capacity);
/* A new web customer writes; not committed yet (no spin): *slot gets the
 * conversation id once committed. */
int64_t *arrive(fixture *f, int64_t *slot);
/* A minute later, a new customer writes; committed. */
int64_t arrive_now(fixture *f);
tsunagu_store_conversation *conv(fixture *f, int64_t id);
/* The assignee (0: waiting; checks the state matches). */
int64_t assignee(fixture *f, int64_t id);
/* open_chats, checked against a count of the conversations. */
int open_chats(fixture *f, int64_t staff);
unsigned count_events(fixture *f, const char *type);
/* The payload of the newest event of type (json_decref), NULL if none. */
json_t *last_event(fixture *f, const char *type);
/* A minute later, a new conversation (contact 0: a new one) placed with
 * this target (JSON text, NULL: all) and method. */
int64_t place(fixture *f, int64_t contact, const char *target_json, const char *method);

/* ---- calls ------------------------------------------------------------------------ */

/* A phone conversation placed with target (JSON text, NULL: all) and
 * method, a second later, then its call comes in (committed). Returns the
 * call; *conv_out (may be NULL) the conversation. */
int64_t call_in(fixture *f, const char *target_json, const char *method, int64_t *conv_out);
/* The operators whose phone rings for the conversation (GArray of int64_t). */
GArray *ringing(fixture *f, int64_t conv_id);
/* The one operator ringing (0 when none; fails when several). */
int64_t rung(fixture *f, int64_t conv_id);
/* The call's state (g_free) / checked against expected. */
char *call_state(fixture *f, int64_t call);
void assert_call_state(fixture *f, int64_t call, const char *expected);
/* An operator made available with chat capacity 3, a minute after the
 * last change (so those made earlier have been idle longer). */
int64_t on_duty(fixture *f, const char *login);
