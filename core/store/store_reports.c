/* The backend-independent half of the report queries of store.h (OP-6):
 * argument checks, then dispatch to the backend. Reads only, so no batch. */
#include <errno.h>
#include <string.h>

#include "store.h"
#include "store_backend.h"

#define OPS(store) tsunagu_store_backend(store)
#define BE(store) tsunagu_store_backend_handle(store)

/* Event types are code constants; the check keeps a backend free to put
 * them into its query text (a JSON list for SQLite) without escaping.
 * Message events are no report type: a backend need not index them (one
 * per chat message; SQLite does not, migration 10). */
static bool plain_type(const char *type)
{
	if (!type || !*type || strlen(type) > 64 || g_str_has_prefix(type, "message."))
		return false;
	for (const char *p = type; *p; p++)
		if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '.' && *p != '_')
			return false;
	return true;
}

int tsunagu_store_report_scan(tsunagu_store *store, const char *const *types, int64_t from_us,
			      int64_t to_us, tsunagu_store_report_fn fn, void *user_data)
{
	size_t n = 0;

	if (!store || !types || !fn || from_us > to_us)
		return -EINVAL;
	for (; types[n]; n++)
		if (n >= TSUNAGU_STORE_REPORT_MAX_TYPES || !plain_type(types[n]))
			return -EINVAL;
	if (n == 0)
		return -EINVAL;
	return OPS(store)->report_scan(BE(store), types, from_us, to_us, fn, user_data);
}

int tsunagu_store_report_last_staff_event(tsunagu_store *store, const char *type,
					  int64_t staff_id, int64_t since_us, int64_t before_us,
					  char **payload_out)
{
	if (!store || !plain_type(type) || staff_id <= 0 || !payload_out)
		return -EINVAL;
	return OPS(store)->report_last_staff_event(BE(store), type, staff_id, since_us, before_us,
						   payload_out);
}
