/* SQLite backend: master keywords (ADM-4) and contacts with their
 * attributes, tags and channel identities. */
#include <errno.h>

#define TSUNAGU_LOG_TOPIC "store"
#include "log.h"
#include "store_sqlite.h"

static const char SQL_KEYWORD_DEFINE[] =
	"INSERT INTO master_keywords (key, title, created_at) VALUES (?1, ?2, ?3)"
	" ON CONFLICT (key) DO UPDATE SET title = excluded.title";
static const char SQL_KEYWORD_DELETE[] = "DELETE FROM master_keywords WHERE key = ?1";
static const char SQL_KEYWORD_LIST[] = "SELECT key, title FROM master_keywords ORDER BY key";
static const char SQL_KEYWORD_EXISTS[] = "SELECT 1 FROM master_keywords WHERE key = ?1";

static const char SQL_CONTACT_INSERT[] =
	"INSERT INTO contacts (public_id, name, created_at) VALUES (?1, ?2, ?3)";
static const char SQL_CONTACT_GET[] =
	"SELECT id, public_id, name, created_at FROM contacts WHERE id = ?1";
static const char SQL_CONTACT_ATTRS[] =
	"SELECT keyword, value FROM contact_attributes WHERE contact_id = ?1";
static const char SQL_CONTACT_TAGS[] =
	"SELECT tag FROM contact_tags WHERE contact_id = ?1 ORDER BY tag";
static const char SQL_CONTACT_BY_ATTR[] =
	"SELECT contact_id FROM contact_attributes WHERE keyword = ?1 AND value = ?2"
	" ORDER BY contact_id LIMIT 1";
static const char SQL_ATTR_SET[] =
	"INSERT INTO contact_attributes (contact_id, keyword, value) VALUES (?1, ?2, ?3)"
	" ON CONFLICT (contact_id, keyword) DO UPDATE SET value = excluded.value";
static const char SQL_ATTR_DELETE[] =
	"DELETE FROM contact_attributes WHERE contact_id = ?1 AND keyword = ?2";
static const char SQL_CONTACT_EXISTS[] = "SELECT 1 FROM contacts WHERE id = ?1";
static const char SQL_TAG_ADD[] =
	"INSERT INTO contact_tags (contact_id, tag) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
static const char SQL_TAG_REMOVE[] = "DELETE FROM contact_tags WHERE contact_id = ?1 AND tag = ?2";
static const char SQL_IDENTITY_GET[] =
	"SELECT contact_id FROM contact_identities WHERE channel = ?1 AND external_id = ?2";
static const char SQL_IDENTITY_INSERT[] =
	"INSERT INTO contact_identities (channel, external_id, contact_id, created_at)"
	" VALUES (?1, ?2, ?3, ?4)";
static const char SQL_IDENTITY_OF_CONTACT[] =
	"SELECT external_id FROM contact_identities WHERE contact_id = ?1 AND channel = ?2"
	" ORDER BY created_at DESC, external_id DESC LIMIT 1";

/* 1 when the single-key query finds a row, 0 when not, or a negative errno. */
static int exists(tsunagu_sqlite *sq, const char *sql, const char *text, int64_t id)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, sql);
	int r;

	if (!st)
		return -EIO;
	if (text)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, id);
	r = tsunagu_sqlite_step_row(sq, st, "checking a key");
	if (r == 1)
		tsunagu_sqlite_done(st);
	return r;
}

int tsunagu_sqlite_keyword_define(void *be, const char *key, const char *title)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_KEYWORD_DEFINE);

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, tsunagu_sqlite_now_us());
	return tsunagu_sqlite_run(sq, st, "defining a master keyword");
}

int tsunagu_sqlite_keyword_delete(void *be, const char *key)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_KEYWORD_DELETE);
	int r;

	if (!st)
		return -EIO;
	/* The attribute values under this key go with it (ON DELETE CASCADE). */
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	r = tsunagu_sqlite_run(sq, st, "deleting a master keyword");
	if (r == 0 && sqlite3_changes(sq->db) == 0)
		r = -ENOENT;
	return r;
}

int tsunagu_sqlite_keyword_list(void *be, GPtrArray **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_KEYWORD_LIST);
	GPtrArray *list;
	int rc, r = 0;

	if (!st)
		return -EIO;
	list = g_ptr_array_new_with_free_func(g_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		g_ptr_array_add(list, tsunagu_sqlite_column_dup(st, 0));
		g_ptr_array_add(list, tsunagu_sqlite_column_dup(st, 1));
	}
	if (rc != SQLITE_DONE)
		r = tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(sq->db), "listing keywords");
	tsunagu_sqlite_done(st);
	if (r < 0) {
		g_ptr_array_unref(list);
		return r;
	}
	*out = list;
	return 0;
}

int tsunagu_sqlite_contact_create(void *be, const char *name, int64_t *id_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st;
	char public_id[33];
	int r;

	r = tsunagu_sqlite_random_public_id(public_id);
	if (r < 0)
		return r;
	st = tsunagu_sqlite_stmt(sq, SQL_CONTACT_INSERT);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, public_id, -1, SQLITE_STATIC);
	tsunagu_sqlite_bind_text(st, 2, name);
	sqlite3_bind_int64(st, 3, tsunagu_sqlite_now_us());
	r = tsunagu_sqlite_run(sq, st, "creating a contact");
	if (r == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(sq->db);
	return r;
}

static int contact_fill(tsunagu_sqlite *sq, tsunagu_store_contact *c)
{
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_CONTACT_ATTRS);
	int rc, r = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, c->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_hash_table_insert(c->attributes, tsunagu_sqlite_column_dup(st, 0),
				    tsunagu_sqlite_column_dup(st, 1));
	if (rc != SQLITE_DONE)
		r = tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(sq->db), "reading attributes");
	tsunagu_sqlite_done(st);
	if (r < 0)
		return r;

	st = tsunagu_sqlite_stmt(sq, SQL_CONTACT_TAGS);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, c->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(c->tags, tsunagu_sqlite_column_dup(st, 0));
	if (rc != SQLITE_DONE)
		r = tsunagu_sqlite_errno(sq, sqlite3_extended_errcode(sq->db), "reading tags");
	tsunagu_sqlite_done(st);
	return r;
}

int tsunagu_sqlite_contact_get(void *be, int64_t id, tsunagu_store_contact **out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_CONTACT_GET);
	tsunagu_store_contact *c;
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	r = tsunagu_sqlite_step_row(sq, st, "reading a contact");
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	c = g_new0(tsunagu_store_contact, 1);
	c->id = sqlite3_column_int64(st, 0);
	c->public_id = tsunagu_sqlite_column_dup(st, 1);
	c->name = tsunagu_sqlite_column_dup(st, 2);
	c->created_at_us = sqlite3_column_int64(st, 3);
	tsunagu_sqlite_done(st);
	c->attributes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	c->tags = g_ptr_array_new_with_free_func(g_free);
	r = contact_fill(sq, c);
	if (r < 0) {
		tsunagu_store_contact_free(c);
		return r;
	}
	*out = c;
	return 0;
}

int tsunagu_sqlite_contact_find_by_attribute(void *be, const char *key, const char *value,
					     int64_t *id_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_CONTACT_BY_ATTR);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	r = tsunagu_sqlite_step_row(sq, st, "finding a contact");
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*id_out = sqlite3_column_int64(st, 0);
	tsunagu_sqlite_done(st);
	return 0;
}

int tsunagu_sqlite_contact_set_attribute(void *be, int64_t contact_id, const char *key,
					 const char *value)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st;
	int r;

	r = exists(sq, SQL_KEYWORD_EXISTS, key, 0);
	if (r <= 0) {
		if (r == 0)
			tlog_debug("attribute \"%s\" refused: not a master keyword", key);
		return r < 0 ? r : -EINVAL;
	}
	r = exists(sq, SQL_CONTACT_EXISTS, NULL, contact_id);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	st = tsunagu_sqlite_stmt(sq, value ? SQL_ATTR_SET : SQL_ATTR_DELETE);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, contact_id);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	return tsunagu_sqlite_run(sq, st, "setting a contact attribute");
}

int tsunagu_sqlite_contact_tag(void *be, int64_t contact_id, const char *tag, bool on)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, on ? SQL_TAG_ADD : SQL_TAG_REMOVE);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, contact_id);
	sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
	/* Adding to an unknown contact fails its foreign key: -ENOENT. */
	return tsunagu_sqlite_run(sq, st, "tagging a contact");
}

/* Runs inside a savepoint opened by store.c: the contact and its identity
 * are created together or not at all. */
int tsunagu_sqlite_contact_identity(void *be, const char *channel, const char *external_id,
				    const char *name, int64_t *contact_id, bool *created)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_IDENTITY_GET);
	int64_t id = 0;
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, external_id, -1, SQLITE_STATIC);
	r = tsunagu_sqlite_step_row(sq, st, "looking up an identity");
	if (r < 0)
		return r;
	if (r == 1) {
		*contact_id = sqlite3_column_int64(st, 0);
		tsunagu_sqlite_done(st);
		if (created)
			*created = false;
		return 0;
	}
	r = tsunagu_sqlite_contact_create(sq, name, &id);
	if (r < 0)
		return r;
	st = tsunagu_sqlite_stmt(sq, SQL_IDENTITY_INSERT);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, external_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id);
	sqlite3_bind_int64(st, 4, tsunagu_sqlite_now_us());
	r = tsunagu_sqlite_run(sq, st, "creating an identity");
	if (r < 0)
		return r;
	*contact_id = id;
	if (created)
		*created = true;
	return 0;
}

int tsunagu_sqlite_contact_identity_get(void *be, int64_t contact_id, const char *channel,
					char **external_id_out)
{
	tsunagu_sqlite *sq = be;
	sqlite3_stmt *st = tsunagu_sqlite_stmt(sq, SQL_IDENTITY_OF_CONTACT);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, contact_id);
	sqlite3_bind_text(st, 2, channel, -1, SQLITE_STATIC);
	r = tsunagu_sqlite_step_row(sq, st, "reading an identity");
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*external_id_out = tsunagu_sqlite_column_dup(st, 0);
	tsunagu_sqlite_done(st);
	return 0;
}
