/* The registrar of operators' phones (docs/sip.md "Extensions").
 *
 * A phone registers its extension (the To user) with digest auth against
 * the extension's HA1; each Contact is a binding with its own expiry. The
 * bindings live in memory; a copy in the plugin's settings
 * (sip_registrations.c) brings them back after a restart. Loop thread.
 */
#include <errno.h>
#include <string.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/url.h>

#include "sip.h"

static void binding_free(gpointer p)
{
	sip_binding *b = p;
	g_free(b->contact);
	g_free(b->source);
	g_free(b);
}

static const char *ext_ha1(const char *username, void *ud)
{
	const sip_extension *e = sip_accounts_extension(ud, username);
	return e ? e->ha1 : NULL;
}

static void challenge(sip_state *st, nua_handle_t *nh, bool stale)
{
	char *www = sip_digest_challenge(&st->digest, st->api->monotonic_us(st->host), stale);
	nua_respond(nh, SIP_401_UNAUTHORIZED, NUTAG_WITH_THIS(st->nua),
		    SIPTAG_WWW_AUTHENTICATE_STR(www), TAG_END());
	g_free(www);
}

/* The Contact header value of the current bindings ("<uri>;expires=N, ...") */
static char *contacts_value(sip_state *st, GPtrArray *list)
{
	int64_t now = st->api->monotonic_us(st->host);
	GString *s = g_string_new(NULL);
	for (guint i = 0; list && i < list->len; i++) {
		const sip_binding *b = list->pdata[i];
		g_string_append_printf(s, "%s<%s>;expires=%lld", s->len ? ", " : "", b->contact,
				       (long long)MAX(0, (b->expires_us - now) / G_USEC_PER_SEC));
	}
	return g_string_free(s, s->len == 0);
}

GPtrArray *sip_registrar_bindings(sip_state *st, const char *user)
{
	GPtrArray *list = g_hash_table_lookup(st->bindings, user);
	if (!list) {
		list = g_ptr_array_new_with_free_func(binding_free);
		g_hash_table_insert(st->bindings, g_strdup(user), list);
	}
	return list;
}

static void unbind(GPtrArray *list, const char *contact)
{
	for (guint i = 0; i < list->len; i++)
		if (strcmp(((sip_binding *)list->pdata[i])->contact, contact) == 0)
			g_ptr_array_remove_index(list, i--);
}

/* Applies the request's Contacts to list. 0, or a SIP status to answer. */
static int apply(sip_state *st, const sip_t *sip, GPtrArray *list, const char *src,
		 const char *user)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	int64_t now = st->api->monotonic_us(st->host);
	int64_t dflt = sip->sip_expires ? (int64_t)sip->sip_expires->ex_delta : 3600;
	int status = 0;

	for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
		if (m->m_url->url_type == url_any) {
			/* "Contact: *" only with Expires: 0 and alone (RFC 3261 10.3) */
			if (dflt != 0 || m != sip->sip_contact || m->m_next) {
				status = 400;
				goto out;
			}
			g_ptr_array_set_size(list, 0);
			st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO,
				     "extension %s unregistered every contact", user);
			goto out;
		}
	}
	for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
		int64_t exp = m->m_expires ? g_ascii_strtoll(m->m_expires, NULL, 10) : dflt;
		char *uri = url_as_string(home, m->m_url);
		if (!uri || strlen(uri) > 512) {
			status = 400;
			goto out;
		}
		if (exp > 0 && exp < st->min_expires_s) {
			status = 423;
			goto out;
		}
		unbind(list, uri);
		if (exp <= 0) {
			st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO,
				     "extension %s unregistered %s", user, uri);
			continue;
		}
		if (list->len >= 16) {
			status = 503;
			goto out;
		}
		sip_binding *b = g_new0(sip_binding, 1);
		b->contact = g_strdup(uri);
		b->source = g_strdup(src);
		b->expires_us = now + MIN(exp, st->max_expires_s) * G_USEC_PER_SEC;
		g_ptr_array_add(list, b);
		sip_registrar_expiry_due(st, b->expires_us);
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO,
			     "extension %s registered %s from %s for %llds", user, uri, src,
			     (long long)MIN(exp, st->max_expires_s));
	}
out:
	su_home_deinit(home);
	return status;
}

void sip_registrar_handle(sip_state *st, nua_handle_t *nh, const sip_t *sip)
{
	char *auth_user = NULL, src[64];
	const char *user = sip && sip->sip_to ? sip->sip_to->a_url->url_user : NULL;

	sip_request_source(st, src);
	if (!user || !sip_accounts_extension(st->accounts, user)) {
		/* Do not tell a scanner which extensions exist: challenge all. */
		if (user && sip->sip_authorization) {
			nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(st->nua), TAG_END());
			st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN,
				     "REGISTER of unknown extension %s from %s refused", user, src);
		} else {
			challenge(st, nh, false);
		}
		return;
	}
	int rc = sip_digest_verify(&st->digest, sip->sip_authorization, "REGISTER",
				   st->api->monotonic_us(st->host), ext_ha1, st->accounts,
				   &auth_user);
	if (rc == -ENOENT || rc == -ESTALE) {
		challenge(st, nh, rc == -ESTALE);
		return;
	}
	if (rc || strcmp(auth_user, user) != 0) {
		/* a phone registers its own extension only */
		nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(st->nua), TAG_END());
		st->api->log(st->host, TSUNAGU_PLUGIN_LOG_WARN,
			     "REGISTER of extension %s from %s: wrong credentials", user, src);
		g_free(auth_user);
		return;
	}
	g_free(auth_user);
	GPtrArray *list = sip_registrar_bindings(st, user);
	int status = apply(st, sip, list, src, user);
	sip_registrations_changed(st, user);
	if (status == 423) {
		char min[24];
		g_snprintf(min, sizeof min, "%lld", (long long)st->min_expires_s);
		nua_respond(nh, SIP_423_INTERVAL_TOO_BRIEF, NUTAG_WITH_THIS(st->nua),
			    SIPTAG_MIN_EXPIRES_STR(min), TAG_END());
		return;
	}
	if (status) {
		nua_respond(nh, status, sip_status_phrase(status), NUTAG_WITH_THIS(st->nua),
			    TAG_END());
		return;
	}
	char *contacts = contacts_value(st, list);
	nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(st->nua),
		    TAG_IF(contacts, SIPTAG_CONTACT_STR(contacts)), TAG_END());
	g_free(contacts);
}

GPtrArray *sip_registrar_contacts(sip_state *st, const char *staff_login)
{
	GPtrArray *out = g_ptr_array_new();
	int64_t now = st->api->monotonic_us(st->host);
	const GPtrArray *exts = sip_accounts_staff_extensions(st->accounts, staff_login);
	for (guint i = 0; exts && i < exts->len; i++) {
		const sip_extension *e = exts->pdata[i];
		GPtrArray *list = g_hash_table_lookup(st->bindings, e->user);
		for (guint j = 0; list && j < list->len; j++) {
			const sip_binding *b = list->pdata[j];
			if (b->expires_us > now)
				g_ptr_array_add(out, b->contact);
		}
	}
	return out;
}

void sip_registrar_expiry_due(sip_state *st, int64_t expires_us)
{
	if (expires_us < st->next_expiry_us)
		st->next_expiry_us = expires_us;
}

void sip_registrar_expire(sip_state *st)
{
	GHashTableIter it;
	gpointer key, value;
	int64_t now = st->api->monotonic_us(st->host);
	if (now < st->next_expiry_us && !st->bindings_recheck)
		goto flush;
	int64_t next = INT64_MAX;
	st->bindings_recheck = false;
	g_hash_table_iter_init(&it, st->bindings);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		GPtrArray *list = value;
		for (guint i = 0; i < list->len; i++) {
			const sip_binding *b = list->pdata[i];
			if (b->expires_us <= now) {
				st->api->log(st->host, TSUNAGU_PLUGIN_LOG_INFO,
					     "extension %s: %s expired", (const char *)key,
					     b->contact);
				g_ptr_array_remove_index(list, i--);
				sip_registrations_changed(st, key);
			} else {
				next = MIN(next, b->expires_us);
			}
		}
		/* an extension deleted by the admin loses its bindings too */
		if (list->len == 0 || !sip_accounts_extension(st->accounts, key)) {
			sip_registrations_changed(st, key);
			g_hash_table_iter_remove(&it);
		}
	}
	st->next_expiry_us = next;
flush:
	sip_registrations_flush(st);
}
