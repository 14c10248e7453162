/* The backend-independent half of the routing operations of store.h
 * (operator status, capacity, candidate picking, the waiting list and the
 * inbox lists): argument checks, then dispatch to the backend inside the
 * group-commit batch, as store.c does for the rest. */
#include <errno.h>

#include "store.h"
#include "store_private.h"

#define OPS(store) tsunagu_store_backend(store)
#define BE(store) tsunagu_store_backend_handle(store)

int tsunagu_store_staff_set_status(tsunagu_store *store, int64_t staff_id,
				   tsunagu_staff_status status, tsunagu_staff_status *previous_out)
{
	if (!store || staff_id <= 0 || !tsunagu_staff_status_name(status))
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false,
			    OPS(store)->staff_set_status(BE(store), staff_id, status, previous_out));
}

int tsunagu_store_staff_set_capacity(tsunagu_store *store, int64_t staff_id, int capacity)
{
	if (!store || staff_id <= 0 || capacity < 0 || capacity > TSUNAGU_CHAT_CAPACITY_MAX)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false,
			    OPS(store)->staff_set_capacity(BE(store), staff_id, capacity));
}

int tsunagu_store_staff_open_count(tsunagu_store *store, int64_t staff_id, int64_t *count)
{
	if (!store || !count)
		return -EINVAL;
	return OPS(store)->staff_open_count(BE(store), staff_id, count);
}

int tsunagu_store_session_count_for_staff(tsunagu_store *store, int64_t staff_id,
					  int64_t now_us, int64_t *count)
{
	if (!store || !count)
		return -EINVAL;
	return OPS(store)->session_count_for_staff(BE(store), staff_id, now_us, count);
}

int tsunagu_store_staff_teams(tsunagu_store *store, int64_t staff_id, GArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return OPS(store)->staff_teams(BE(store), staff_id, out);
}

int tsunagu_store_contact_last_operator(tsunagu_store *store, int64_t contact_id,
					int64_t exclude_conversation_id, int64_t *staff_id_out)
{
	if (!store || !staff_id_out)
		return -EINVAL;
	return OPS(store)->contact_last_operator(BE(store), contact_id, exclude_conversation_id,
						 staff_id_out);
}

int tsunagu_store_staff_pick(tsunagu_store *store, const tsunagu_store_pick *q,
			     int64_t *staff_id_out)
{
	if (!store || !q || !staff_id_out || q->method < TSUNAGU_PICK_LONGEST_IDLE ||
	    q->method > TSUNAGU_PICK_ROUND_ROBIN)
		return -EINVAL;
	return OPS(store)->staff_pick(BE(store), q, staff_id_out);
}

int tsunagu_store_conversation_set_route(tsunagu_store *store, int64_t id,
					 const char *route_json)
{
	if (!store)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false,
			    OPS(store)->conversation_set_route(BE(store), id, route_json));
}

int tsunagu_store_waiting_list(tsunagu_store *store, int64_t after_since, int64_t after_id,
			       unsigned limit, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return OPS(store)->waiting_list(BE(store), after_since, after_id, limit ? limit : 100, out);
}

int tsunagu_store_waiting_admitted(tsunagu_store *store, tsunagu_admits_kind kind, int64_t ref,
				   bool phone, int64_t after_since, int64_t after_id,
				   unsigned limit, GArray **out)
{
	if (!store || !out || kind < TSUNAGU_ADMITS_ALL || kind > TSUNAGU_ADMITS_ANY_FOR_STAFF)
		return -EINVAL;
	return OPS(store)->waiting_admitted(BE(store), kind, ref, phone, after_since, after_id,
					    limit ? limit : 100, out);
}

int tsunagu_store_conversation_list_view(tsunagu_store *store, tsunagu_conv_view view,
					 int64_t staff_id, const char *channel, unsigned limit,
					 GPtrArray **out)
{
	if (!store || !out || !tsunagu_conv_view_name(view))
		return -EINVAL;
	return OPS(store)->conversation_list_view(BE(store), view, staff_id, channel,
						  limit ? limit : 100, out);
}
