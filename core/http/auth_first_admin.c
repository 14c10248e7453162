/* Creates the first admin on first start and prints its password once. */
#define TSUNAGU_LOG_TOPIC "staff"
#include "auth_first_admin.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "events.h"
#include "log.h"
#include "store.h"

int tsunagu_first_admin_ensure(tsunagu_core *core)
{
	int64_t count = 0, id = 0;
	char *hash = NULL, *password = NULL;
	int ret = tsunagu_store_staff_count(core->store, &count);
	if (ret < 0 || count > 0)
		return ret;

	password = tsunagu_auth_random_password();
	ret = tsunagu_auth_password_hash(password, TSUNAGU_ROLE_ADMIN, &hash);
	if (ret < 0)
		goto out;
	ret = tsunagu_store_staff_create(core->store, "admin", "Administrator", NULL,
					 TSUNAGU_ROLE_ADMIN, hash, &id);
	if (ret < 0)
		goto out;
	json_t *payload = json_pack("{s:I, s:s, s:s}", "staff", (json_int_t)id, "login", "admin",
				    "role", "admin");
	ret = tsunagu_events_emit(core->events, "staff.created", 0, 0, payload, NULL);
	json_decref(payload);
	if (ret < 0)
		goto out;
	/* Durable before it is shown: a password printed for an account that a
	 * crash then lost would lock the admin out. */
	ret = tsunagu_store_flush(core->store);
	if (ret < 0)
		goto out;
	printf("first start: admin account \"admin\" created with password: %s (shown once)\n",
	       password);
	fflush(stdout);
	tlog_info("first start: created the admin account \"admin\"");
out:
	if (password)
		sodium_memzero(password, strlen(password));
	g_free(password);
	g_free(hash);
	return ret;
}
