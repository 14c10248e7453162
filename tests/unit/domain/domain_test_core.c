/* The core of the domain tests (domain_test_core.h). */
#include "domain_test_core.h"

#include <glib/gstdio.h>

#include "domain.h"
#include "events.h"
#include "store.h"

void domain_test_core_open(tsunagu_core *core, const char *prefix, const char *synchronous,
			   char **dir, char **db)
{
	char *tmpl = g_strconcat(prefix, "-XXXXXX", NULL);
	*dir = g_dir_make_tmp(tmpl, NULL);
	g_free(tmpl);
	g_assert_nonnull(*dir);
	*db = g_build_filename(*dir, "t.db", NULL);
	core->context = g_main_context_default();
	core->loop = g_main_loop_new(core->context, FALSE);
	core->loop_thread = g_thread_self();
	core->state = TSUNAGU_CORE_RUNNING;
	tsunagu_store_options so = {.path = *db, .synchronous = synchronous};
	g_assert_cmpint(tsunagu_store_open(&so, &core->store), ==, 0);
	g_assert_cmpint(tsunagu_events_new(core->store, &core->events), ==, 0);
	g_assert_cmpint(tsunagu_domain_new(core, &core->domain), ==, 0);
}

void domain_test_remove_store_files(const char *db)
{
	/* the store, its WAL and the full-text index beside it (<db>.search) */
	static const char *const suffix[] = { "", "-wal", "-shm", ".search", ".search-wal",
					      ".search-shm" };
	for (unsigned i = 0; i < G_N_ELEMENTS(suffix); i++) {
		char *p = g_strconcat(db, suffix[i], NULL);
		g_unlink(p);
		g_free(p);
	}
}

void domain_test_core_close(tsunagu_core *core, char *dir, char *db)
{
	tsunagu_store_flush(core->store);
	tsunagu_domain_free(core->domain);
	tsunagu_events_free(core->events);
	tsunagu_store_close(core->store);
	g_main_loop_unref(core->loop);
	domain_test_remove_store_files(db);
	g_rmdir(dir);
	g_free(db);
	g_free(dir);
}
