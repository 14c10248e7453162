/* The backend-independent half of the guidance library (store_guidance.h):
 * argument checks, then dispatch inside the group-commit batch. */
#include "store_guidance.h"

#include <errno.h>
#include <string.h>

#include "store_private.h"

#define OPS(store) tsunagu_store_backend(store)
#define BE(store) tsunagu_store_backend_handle(store)

static const char *const kinds[] = {"welcome", "queue", "busy", "out_of_hours"};

bool tsunagu_guidance_kind_valid(const char *kind)
{
	for (size_t i = 0; kind && i < G_N_ELEMENTS(kinds); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return true;
	return false;
}

void tsunagu_store_guidance_free(tsunagu_store_guidance *g)
{
	if (!g)
		return;
	g_free(g->name);
	g_free(g->sha256);
	g_free(g);
}

void tsunagu_store_guidance_set_free(tsunagu_store_guidance_set *s)
{
	if (!s)
		return;
	g_free(s->line);
	g_free(s->kind);
	g_free(s);
}

bool tsunagu_guidance_text_valid(const char *s, size_t max, bool empty_ok)
{
	size_t n = s ? strlen(s) : 0;

	if (!s || (!n && !empty_ok) || n > max || !g_utf8_validate(s, (gssize)n, NULL))
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

int tsunagu_store_guidance_get(tsunagu_store *store, int64_t id, tsunagu_store_guidance **out)
{
	if (!store || id <= 0 || !out)
		return -EINVAL;
	return OPS(store)->guidance_get(BE(store), id, out);
}

int tsunagu_store_guidance_get_by_name(tsunagu_store *store, const char *name,
				       tsunagu_store_guidance **out)
{
	if (!store || !name || !out)
		return -EINVAL;
	return OPS(store)->guidance_get_by_name(BE(store), name, out);
}

int tsunagu_store_guidance_list(tsunagu_store *store, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return OPS(store)->guidance_list(BE(store), out);
}

int tsunagu_store_guidance_save(tsunagu_store *store, const tsunagu_store_guidance *g,
				int64_t *id_out)
{
	if (!store || !g || g->id < 0 || !tsunagu_guidance_text_valid(g->name, TSUNAGU_GUIDANCE_NAME_MAX, false) ||
	    g->duration_ms < 0 || g->bytes < 0 || !g->sha256 || strlen(g->sha256) != 64 ||
	    (!g->id && !id_out))
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, OPS(store)->guidance_save(BE(store), g, id_out));
}

int tsunagu_store_guidance_delete(tsunagu_store *store, int64_t id)
{
	if (!store || id <= 0)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, true, OPS(store)->guidance_delete(BE(store), id));
}

int tsunagu_store_guidance_sets(tsunagu_store *store, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return OPS(store)->guidance_sets(BE(store), out);
}

int tsunagu_store_guidance_sets_replace(tsunagu_store *store, GPtrArray *sets)
{
	if (!store || !sets)
		return -EINVAL;
	for (guint i = 0; i < sets->len; i++) {
		const tsunagu_store_guidance_set *s = sets->pdata[i];
		if (!tsunagu_guidance_text_valid(s->line, TSUNAGU_GUIDANCE_LINE_MAX, true) ||
		    !tsunagu_guidance_kind_valid(s->kind) || s->guidance_id <= 0)
			return -EINVAL;
	}
	TSUNAGU_STORE_WRITE(store, true, OPS(store)->guidance_sets_replace(BE(store), sets));
}

int tsunagu_store_guidance_resolve(tsunagu_store *store, const char *line, const char *kind,
				   tsunagu_store_guidance **out)
{
	if (!store || !tsunagu_guidance_kind_valid(kind) || !out)
		return -EINVAL;
	return OPS(store)->guidance_resolve(BE(store), line ? line : "", kind, out);
}
