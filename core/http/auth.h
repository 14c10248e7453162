/* Staff authentication: password hashing (Argon2id), session tokens, and the
 * login-failure rate limiter. Used by the API (api_auth.c) and by the core's
 * first start (the initial admin account).
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "store.h"

/* ---- passwords (auth_password.c) -------------------------------------- */

#define TSUNAGU_PASSWORD_MIN_LEN 10
#define TSUNAGU_PASSWORD_MAX_LEN 1024

/* Hashes with Argon2id (crypto_pwhash_str): INTERACTIVE limits, MODERATE for
 * admins (their accounts are worth more and they log in rarely). *out is
 * the self-describing hash string, caller frees. Any thread. Costs ~0.1 s
 * (interactive) to ~0.7 s (moderate) of CPU.
 * -EINVAL for an empty or over-long password, -ENOMEM when Argon2 cannot
 * allocate its memory. */
int tsunagu_auth_password_hash(const char *password, tsunagu_role role, char **out);
/* true when password matches hash. Any thread; as costly as hashing. */
bool tsunagu_auth_password_verify(const char *hash, const char *password);
/* Verifies on a worker thread (GTask) and calls cb on the thread-default
 * main context of the caller (the loop) with g_task_propagate_boolean()
 * giving the outcome. hash and password are copied (and wiped after).
 * hash NULL: verify against tsunagu_auth_dummy_hash() and fail (unknown
 * logins cost the same time as known ones). */
void tsunagu_auth_password_verify_async(const char *hash, const char *password,
					GCancellable *cancellable, GAsyncReadyCallback cb,
					void *user_data);
bool tsunagu_auth_password_verify_finish(GAsyncResult *res);
/* A hash of a random password, to verify against when a login is unknown so
 * that unknown and known logins cost the same time. Computed once. */
const char *tsunagu_auth_dummy_hash(void);
/* A random password for the first admin account: 20 characters of an
 * unambiguous alphabet. Caller frees. */
char *tsunagu_auth_random_password(void);

/* ---- sessions (auth_session.c) ----------------------------------------- */

#define TSUNAGU_SESSION_COOKIE "tsunagu_session"

/* A fresh random token: 32 bytes as 64 lower-case hex characters. */
char *tsunagu_auth_random_token(void);
/* Lower-case hex SHA-256 of text (what the store keeps instead of the token). */
char *tsunagu_auth_token_hash(const char *token);
/* Whether text looks like a token of ours (64 hex chars); cheap filter
 * before touching the store. */
bool tsunagu_auth_token_wellformed(const char *token);
/* Constant-time equality of two NUL-terminated strings (CSRF tokens). */
bool tsunagu_auth_secret_equal(const char *a, const char *b);
/* The Set-Cookie value for token (NULL token: an expiring cookie that
 * clears it). max_age_s is the session lifetime. Caller frees. */
char *tsunagu_auth_session_cookie(const char *token, int64_t max_age_s, bool secure);

/* A logged-in staff member resolved from a session cookie. Owned by the
 * caller, freed with tsunagu_auth_session_free(). */
typedef struct {
	tsunagu_store_staff *staff;
	tsunagu_store_session *session;
} tsunagu_auth_session;
void tsunagu_auth_session_free(tsunagu_auth_session *s);
/* Looks up the session of cookie token at now_us: -ENOENT when the token is
 * malformed, unknown, expired, or its staff is disabled. Loop thread. */
int tsunagu_auth_session_lookup(tsunagu_store *store, const char *token, int64_t now_us,
				tsunagu_auth_session **out);

/* ---- login rate limiting (auth_ratelimit.c) ---------------------------- */

/* Counts failed logins per key ("login:NAME", "peer:ADDR"): max_failures
 * within window_ms lock the key for lockout_ms. In memory (a restart
 * forgets), bounded in size. Uses tsunagu_core_now_us() as its clock.
 * Loop thread. */
typedef struct tsunagu_ratelimit tsunagu_ratelimit;
tsunagu_ratelimit *tsunagu_ratelimit_new(unsigned max_failures, int64_t window_ms,
					 int64_t lockout_ms);
void tsunagu_ratelimit_free(tsunagu_ratelimit *rl);
/* 0 when key may try now, else the milliseconds until it may (> 0). */
int64_t tsunagu_ratelimit_check(tsunagu_ratelimit *rl, const char *key);
/* Records a failure; returns what check() would return afterwards. */
int64_t tsunagu_ratelimit_fail(tsunagu_ratelimit *rl, const char *key);
/* Forgets key's failures (after a successful login). */
void tsunagu_ratelimit_reset(tsunagu_ratelimit *rl, const char *key);
/* Number of keys tracked (tests, bounds). */
unsigned tsunagu_ratelimit_size(const tsunagu_ratelimit *rl);
