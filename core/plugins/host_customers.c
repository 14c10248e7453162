/* The ABI 1.1 part of the host API about customers and the plugin's own
 * settings: a customer's history (customer-visible messages only), whose a
 * conversation is, contact attributes limited to master keywords, and the
 * "plugin.<name>" settings namespace. Asynchronous answers wait for the
 * store's commit and are cancelled (-ECANCELED) before the plugin's
 * destroy(), like inbound acks. */
#define TSUNAGU_LOG_TOPIC "plugins"
#include "log.h"

#include <errno.h>
#include <string.h>

#include "plugin_host.h"
#include "store.h"

#define HISTORY_MAX_LIMIT 1000
#define ATTRIBUTES_MAX 64
#define ATTRIBUTE_VALUE_MAX 1024
#define SETTING_KEY_MAX 64
#define SETTING_VALUE_MAX (64 * 1024)

/* One call awaiting the commit. Lives until the store's callback runs, even
 * when the plugin was destroyed before (then cancelled is set). */
typedef struct {
	tsunagu_host *h;
	tsunagu_host_done_cb done;
	tsunagu_host_history_cb history;
	void *user_data;
	bool cancelled;
	char *channel;
	char *customer_id;
	int64_t after_id;
	uint32_t limit;
} host_pending;

static bool owns_channel(const tsunagu_host *h, const char *channel)
{
	for (guint i = 0; channel && i < h->channels->len; i++)
		if (strcmp(g_ptr_array_index(h->channels, i), channel) == 0)
			return true;
	return false;
}

static bool customer_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	return n > 0 && n <= 256 && g_utf8_validate(id, (gssize)n, NULL);
}

static int host_ready(const tsunagu_host *h)
{
	if (!h)
		return -EINVAL;
	if (!tsunagu_host_alive(h))
		return -ESHUTDOWN;
	if (!h->core || !h->core->store)
		return -ENODEV;
	return 0;
}

static void pending_free(host_pending *p)
{
	g_free(p->channel);
	g_free(p->customer_id);
	g_free(p);
}

static host_pending *pending_new(tsunagu_host *h, void *user_data)
{
	host_pending *p = g_new0(host_pending, 1);
	p->h = h;
	p->user_data = user_data;
	g_hash_table_add(h->pending, p);
	return p;
}

void tsunagu_host_cancel_pending(tsunagu_host *h)
{
	GHashTableIter it;
	void *key;
	g_hash_table_iter_init(&it, h->pending);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		host_pending *p = key;
		p->cancelled = true; /* freed by its commit callback */
		g_hash_table_iter_remove(&it);
		if (p->done)
			p->done(-ECANCELED, p->user_data);
		else if (p->history)
			p->history(-ECANCELED, NULL, 0, p->user_data);
	}
}

/* ---- history ------------------------------------------------------------------ */

static void history_run(host_pending *p)
{
	tsunagu_store *store = p->h->core->store;
	GPtrArray *list = NULL;
	GHashTable *public_ids = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	tsunagu_plugin_message *msgs = NULL;
	int rc = tsunagu_store_customer_history(store, p->channel, p->customer_id, p->after_id,
						p->limit, &list);
	if (rc)
		goto out;
	msgs = g_new0(tsunagu_plugin_message, list->len ? list->len : 1);
	for (guint i = 0; i < list->len; i++) {
		tsunagu_store_message *m = list->pdata[i];
		const char *pub = g_hash_table_lookup(public_ids, &m->conversation_id);
		if (!pub) {
			tsunagu_store_conversation *conv = NULL;
			rc = tsunagu_store_conversation_get(store, m->conversation_id, &conv);
			if (rc)
				goto out;
			pub = conv->public_id;
			g_hash_table_insert(public_ids, g_memdup2(&m->conversation_id, sizeof(int64_t)),
					    g_steal_pointer(&conv->public_id));
			tsunagu_store_conversation_free(conv);
		}
		msgs[i] = (tsunagu_plugin_message){
			.struct_size = sizeof(tsunagu_plugin_message),
			.kind = (uint32_t)m->kind, /* customer/operator/system: same numbers */
			.conversation = pub,
			.message_id = m->id,
			.text = m->body,
			.created_at_us = m->created_at_us,
			.provider_message_id = m->provider_message_id,
		};
	}
out:
	if (rc) {
		tlog_warn("history of a %s customer not read: %s", p->channel, g_strerror(-rc));
		p->history(rc, NULL, 0, p->user_data);
	} else {
		p->history(0, msgs, list->len, p->user_data);
	}
	g_free(msgs);
	if (list)
		g_ptr_array_unref(list);
	g_hash_table_destroy(public_ids);
}

static void history_committed(int status, void *data)
{
	host_pending *p = data;
	if (!p->cancelled) {
		g_hash_table_remove(p->h->pending, p);
		/* A failed commit of others' writes does not make the history
		 * unreadable: what is committed is still there. */
		history_run(p);
	}
	pending_free(p);
}

static int host_history(tsunagu_host *h, const char *channel, const char *customer_id,
			int64_t after_message_id, uint32_t limit, tsunagu_host_history_cb cb,
			void *user_data)
{
	int rc = host_ready(h);
	if (rc)
		return rc;
	if (!cb || !customer_id_valid(customer_id) || after_message_id < 0 ||
	    limit > HISTORY_MAX_LIMIT)
		return -EINVAL;
	if (!owns_channel(h, channel))
		return -EPERM;
	host_pending *p = pending_new(h, user_data);
	p->history = cb;
	p->channel = g_strdup(channel);
	p->customer_id = g_strdup(customer_id);
	p->after_id = after_message_id;
	p->limit = limit ? limit : 200;
	tsunagu_store_on_commit(h->core->store, history_committed, p);
	return 0;
}

/* ---- whose conversation ------------------------------------------------------------ */

static int host_conversation_customer(tsunagu_host *h, const char *conversation,
				      char **customer_id_out)
{
	tsunagu_store_conversation *conv = NULL;
	char *ext = NULL;
	int rc = host_ready(h);
	if (rc)
		return rc;
	if (!conversation || !*conversation || strlen(conversation) > 128 || !customer_id_out)
		return -EINVAL;
	rc = tsunagu_store_conversation_get_by_public_id(h->core->store, conversation, &conv);
	if (rc)
		goto out;
	if (!owns_channel(h, conv->channel)) {
		rc = -EPERM;
		goto out;
	}
	rc = tsunagu_store_contact_identity_get(h->core->store, conv->contact_id, conv->channel,
						&ext);
	if (rc == 0)
		*customer_id_out = g_steal_pointer(&ext);
out:
	g_free(ext);
	tsunagu_store_conversation_free(conv);
	return rc;
}

/* ---- attributes ------------------------------------------------------------------ */

static void done_committed(int status, void *data)
{
	host_pending *p = data;
	if (!p->cancelled) {
		g_hash_table_remove(p->h->pending, p);
		p->done(status, p->user_data);
	}
	pending_free(p);
}

static bool attribute_value_valid(const char *v)
{
	if (!v)
		return true; /* deletes */
	size_t n = strlen(v);
	if (n > ATTRIBUTE_VALUE_MAX || !g_utf8_validate(v, (gssize)n, NULL))
		return false;
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return false;
	return true;
}

static int host_contact_set_attributes(tsunagu_host *h, const char *channel,
				       const char *customer_id, tsunagu_plugin_attribute *attrs,
				       size_t n, unsigned *stored_out, tsunagu_host_done_cb cb,
				       void *user_data)
{
	tsunagu_store *store;
	GPtrArray *keywords = NULL;
	GHashTable *known = NULL;
	int64_t contact_id = 0;
	bool created = false, begun = false;
	unsigned stored = 0;
	int rc = host_ready(h);
	if (rc)
		return rc;
	if (!customer_id_valid(customer_id) || (n && !attrs) || n > ATTRIBUTES_MAX)
		return -EINVAL;
	if (!owns_channel(h, channel))
		return -EPERM;
	store = h->core->store;
	rc = tsunagu_store_keyword_list(store, &keywords);
	if (rc)
		goto out;
	known = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i + 1 < keywords->len; i += 2)
		g_hash_table_add(known, keywords->pdata[i]);
	for (size_t i = 0; i < n; i++) {
		const char *key = attrs[i].key;
		if (!key || !*key || strlen(key) > 64 || !g_utf8_validate(key, -1, NULL) ||
		    !attribute_value_valid(attrs[i].value))
			attrs[i].status = -EINVAL;
		else if (!g_hash_table_contains(known, key))
			attrs[i].status = -ENOENT;
		else
			attrs[i].status = 0;
		if (attrs[i].status == -ENOENT)
			tlog_info("%s: attribute '%.64s' ignored: not a master keyword", h->name, key);
		else if (attrs[i].status)
			tlog_info("%s: attribute ignored: bad key or value", h->name);
	}
	/* Every write or none: a customer never ends up half-updated. */
	rc = tsunagu_store_atomic_begin(store);
	if (rc)
		goto out;
	begun = true;
	for (size_t i = 0; i < n; i++) {
		if (attrs[i].status)
			continue;
		if (!contact_id) {
			rc = tsunagu_store_contact_identity(store, channel, customer_id, NULL,
							    &contact_id, &created);
			if (rc)
				goto out;
		}
		rc = tsunagu_store_contact_set_attribute(store, contact_id, attrs[i].key,
							 attrs[i].value);
		if (rc == -ENOENT && !attrs[i].value)
			rc = 0; /* deleting what was never set */
		if (rc)
			goto out;
		stored++;
	}
out:
	if (begun) {
		int end = tsunagu_store_atomic_end(store, rc == 0);
		if (rc == 0)
			rc = end;
	}
	if (rc == 0) {
		if (stored_out)
			*stored_out = stored;
		if (cb) {
			host_pending *p = pending_new(h, user_data);
			p->done = cb;
			tsunagu_store_on_commit(store, done_committed, p);
		}
	} else {
		tlog_warn("%s: attributes of a %s customer not stored: %s", h->name, channel,
			  g_strerror(-rc));
	}
	if (known)
		g_hash_table_destroy(known);
	if (keywords)
		g_ptr_array_unref(keywords);
	return rc;
}

/* ---- settings ------------------------------------------------------------------------ */

static bool setting_key_valid(const char *key)
{
	size_t n = key ? strlen(key) : 0;
	if (n == 0 || n > SETTING_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_islower(key[i]) && !g_ascii_isdigit(key[i]) && !strchr("_.-", key[i]))
			return false;
	return true;
}

static int host_setting_get(tsunagu_host *h, const char *key, char **value_out)
{
	int rc = host_ready(h);
	if (rc)
		return rc;
	if (!setting_key_valid(key) || !value_out)
		return -EINVAL;
	return tsunagu_store_setting_get(h->core->store, h->section, key, value_out);
}

static int host_setting_set(tsunagu_host *h, const char *key, const char *value,
			    tsunagu_host_done_cb cb, void *user_data)
{
	int rc = host_ready(h);
	if (rc)
		return rc;
	if (!setting_key_valid(key) ||
	    (value && (strlen(value) > SETTING_VALUE_MAX || !g_utf8_validate(value, -1, NULL))))
		return -EINVAL;
	rc = tsunagu_store_setting_set(h->core->store, h->section, key, value);
	if (rc == -ENOENT && !value)
		rc = 0;
	if (rc == 0 && cb) {
		host_pending *p = pending_new(h, user_data);
		p->done = cb;
		tsunagu_store_on_commit(h->core->store, done_committed, p);
	}
	return rc;
}

void tsunagu_host_customers_fill(tsunagu_host_api *api)
{
	api->history = host_history;
	api->conversation_customer = host_conversation_customer;
	api->contact_set_attributes = host_contact_set_attributes;
	api->setting_get = host_setting_get;
	api->setting_set = host_setting_set;
}
