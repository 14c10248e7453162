/* Trunks and extensions: the SIP plugin's admin data (docs/sip.md).
 *
 * An extension is an operator's phone: a SIP user name that registers with
 * digest auth and belongs to one staff login. A trunk (or PBX) is a peer
 * that sends us calls and may take our outbound ones: it is recognised by
 * its source address (allow-list of addresses or CIDR prefixes) and/or by
 * digest auth. Both lists are stored with setting_set() as JSON; passwords
 * never are: only HA1 = md5(user:realm:password), which is all digest auth
 * needs.
 *
 * The admin API sends passwords in; sip_accounts_parse_*() check one whole
 * list against the previous one (so an entry may keep its stored HA1 by
 * leaving "password" out) and return the list in its stored form, or a
 * clear error naming the entry. A trunk's outbound password is different:
 * it is sealed with the key given (sip_secret.h) because digest auth needs
 * it in clear to answer a realm not known in advance. Pure functions on
 * jansson values; any thread. Outside input: tests/fuzz/plugins/fuzz_sip_accounts.c.
 */
#pragma once

#include <gio/gio.h>
#include <jansson.h>
#include <stdbool.h>

#define SIP_ACCOUNTS_MAX 1000

typedef struct {
	char *user;  /* SIP user name of the phone: [A-Za-z0-9._-], 1..64 */
	char *staff; /* the staff login it rings for */
	char *ha1;   /* 32 hex digits */
} sip_extension;

typedef struct {
	char *name;        /* [a-z0-9_-], 1..32: the guidance "line" of its calls */
	GPtrArray *allow;  /* GInetAddressMask*: sources taken without auth */
	char *username;    /* digest user, NULL = no digest auth */
	char *ha1;
	char *address;     /* host:port our outbound calls go to; NULL = none */
	bool outbound;     /* places call-backs (the first such trunk does) */
	/* Our credentials when the trunk challenges our call-backs (401/407);
	 * out_user NULL = none. The password stays sealed (sip_secret.h) until
	 * a challenge needs it. */
	char *out_user;
	char *out_realm;   /* NULL: answer the realm the trunk names */
	char *out_secret;  /* the sealed password */
} sip_trunk;

typedef struct {
	GPtrArray *extensions; /* sip_extension* */
	GPtrArray *trunks;     /* sip_trunk* */
	/* Indexes of extensions, rebuilt by each load: a REGISTER, a digest
	 * check and every ring look an extension up, and a linear scan of up
	 * to SIP_ACCOUNTS_MAX of them was a measurable share of a call. */
	GHashTable *by_user;   /* user -> sip_extension* (borrowed) */
	GHashTable *by_staff;  /* staff login -> GPtrArray of sip_extension* (list order) */
	/* The last source address sip_accounts_trunk_by_source() answered
	 * (a trunk sends every call from the same one); reset by each load of
	 * the trunks. */
	char last_source[64];
	const sip_trunk *last_trunk; /* NULL: last_source is no trunk's */
} sip_accounts;

sip_accounts *sip_accounts_new(void);
void sip_accounts_free(sip_accounts *a);

/* Checks the body of PUT .../extensions or .../trunks: a JSON array of
 * entries (docs/sip.md). prev: the stored form of the current list (may be
 * NULL); an entry without "password" keeps prev's HA1 for the same user /
 * trunk name. Returns the new stored form (owned by the caller), or NULL
 * with *why set to a message naming the entry (free it with g_free()). */
json_t *sip_accounts_check_extensions(json_t *in, json_t *prev, const char *realm, char **why);
/* key (may be NULL: outbound passwords are then refused with a message
 * saying why) seals "outbound_password"; an entry without it keeps prev's
 * sealed one for the same trunk name and outbound_username. */
json_t *sip_accounts_check_trunks(json_t *in, json_t *prev, const char *realm,
				  const unsigned char *key, char **why);

/* Loads a stored form (from setting_get or the check above) into a. 0, or
 * -EINVAL when the stored text is not a valid list (a is left as it was). */
int sip_accounts_load_extensions(sip_accounts *a, const char *stored_text);
int sip_accounts_load_trunks(sip_accounts *a, const char *stored_text);

/* The admin view of a stored list: without HA1s ("auth": true instead) nor
 * sealed passwords ("outbound_auth": true instead). */
json_t *sip_accounts_view(json_t *stored);

/* Lookups; results borrowed from a (valid until the next load). */
const sip_extension *sip_accounts_extension(const sip_accounts *a, const char *user);
/* The extensions of a staff login (sip_extension*, in list order), or NULL
 * when it has none. */
const GPtrArray *sip_accounts_staff_extensions(const sip_accounts *a, const char *staff);
/* The trunk whose allow-list holds addr (a numeric IP), or NULL. Remembers
 * its last answer (hence a not const). */
const sip_trunk *sip_accounts_trunk_by_source(sip_accounts *a, const char *addr);
/* The trunk whose digest user name is username, or NULL. */
const sip_trunk *sip_accounts_trunk_by_user(const sip_accounts *a, const char *username);
/* The trunk that places outbound calls, or NULL. */
const sip_trunk *sip_accounts_outbound_trunk(const sip_accounts *a);

/* HA1 = md5(user:realm:password) in lower-case hex; out has 33 bytes. */
void sip_accounts_ha1(const char *user, const char *realm, const char *password, char out[33]);
