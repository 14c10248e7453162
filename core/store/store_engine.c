/* The backend-independent half of the assignment engine's store operations
 * (store.h: routing settings, status sub-types, calls and offers): argument
 * checks, then dispatch to the backend inside the group-commit batch, as
 * store_routing.c does for status and capacity. */
#include <errno.h>
#include <string.h>

#include "store.h"
#include "store_private.h"

#define OPS(store) tsunagu_store_backend(store)
#define BE(store) tsunagu_store_backend_handle(store)

static bool opt_in(int v, int lo, int hi)
{
	return v == -1 || (v >= lo && v <= hi);
}

int tsunagu_store_staff_set_routing(tsunagu_store *store, int64_t staff_id,
				    const tsunagu_store_staff_routing *r)
{
	if (!store || !r || staff_id <= 0 || !opt_in(r->inquiry_types, 1, 3) ||
	    !opt_in(r->call_capacity, 0, TSUNAGU_CALL_CAPACITY_MAX) ||
	    !opt_in(r->chats_during_call, 0, 1) || !opt_in(r->dnd, 0, 1))
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, OPS(store)->staff_set_routing(BE(store), staff_id, r));
}

int tsunagu_store_staff_set_subtype(tsunagu_store *store, int64_t staff_id, int64_t subtype_id)
{
	if (!store || staff_id <= 0 || subtype_id < 0)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false,
			    OPS(store)->staff_set_subtype(BE(store), staff_id, subtype_id));
}

int tsunagu_store_staff_count_missed(tsunagu_store *store, int64_t staff_id, bool missed,
				     int *count_out)
{
	if (!store || staff_id <= 0)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false,
			    OPS(store)->staff_count_missed(BE(store), staff_id, missed, count_out));
}

int tsunagu_store_staff_eligible(tsunagu_store *store, int64_t staff_id, bool phone, bool *out)
{
	if (!store || !out)
		return -EINVAL;
	return OPS(store)->staff_eligible(BE(store), staff_id, phone, out);
}

int tsunagu_store_staff_route_ids(tsunagu_store *store, const tsunagu_store_pick *q,
				  GArray **out)
{
	if (!store || !q || !out)
		return -EINVAL;
	return OPS(store)->staff_route_ids(BE(store), q, out);
}

/* ---- status sub-types ------------------------------------------------------ */

static bool subtype_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	return n >= 1 && n <= 64 && g_utf8_validate(name, -1, NULL);
}

int tsunagu_store_status_subtype_list(tsunagu_store *store, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return OPS(store)->status_subtype_list(BE(store), out);
}

int tsunagu_store_status_subtype_get(tsunagu_store *store, int64_t id,
				     tsunagu_store_status_subtype **out)
{
	if (!store || !out)
		return -EINVAL;
	return OPS(store)->status_subtype_get(BE(store), id, out);
}

int tsunagu_store_status_subtype_create(tsunagu_store *store, tsunagu_staff_status kind,
					const char *name, int position, int64_t *id_out)
{
	if (!store || !tsunagu_staff_status_name(kind) || !subtype_name_ok(name) || position < 0)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false,
			    OPS(store)->status_subtype_create(BE(store), kind, name, position,
							      id_out));
}

int tsunagu_store_status_subtype_update(tsunagu_store *store, int64_t id, const char *name,
					int position)
{
	if (!store || (name && !subtype_name_ok(name)))
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false,
			    OPS(store)->status_subtype_update(BE(store), id, name, position));
}

int tsunagu_store_status_subtype_delete(tsunagu_store *store, int64_t id, GArray **moved_out)
{
	if (!store)
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, true,
			    OPS(store)->status_subtype_delete(BE(store), id, moved_out));
}

/* ---- calls and offers ------------------------------------------------------- */

int tsunagu_store_call_create(tsunagu_store *store, int64_t conversation_id,
			      const char *direction, int64_t *id_out)
{
	if (!store || !direction ||
	    (strcmp(direction, "inbound") != 0 && strcmp(direction, "outbound") != 0))
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false,
			    OPS(store)->call_create(BE(store), conversation_id, direction, id_out,
						    NULL));
}

int tsunagu_store_call_open(tsunagu_store *store, int64_t conversation_id, const char *direction,
			    tsunagu_store_call **out)
{
	if (!store || !out || !direction ||
	    (strcmp(direction, "inbound") != 0 && strcmp(direction, "outbound") != 0))
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false,
			    OPS(store)->call_create(BE(store), conversation_id, direction, NULL,
						    out));
}

int tsunagu_store_call_get(tsunagu_store *store, int64_t id, tsunagu_store_call **out)
{
	if (!store || !out)
		return -EINVAL;
	return OPS(store)->call_get(BE(store), id, out);
}

int tsunagu_store_call_get_with_conversation(tsunagu_store *store, int64_t id,
					     tsunagu_store_call **call_out,
					     tsunagu_store_conversation **conv_out)
{
	if (!store || !call_out || !conv_out)
		return -EINVAL;
	return OPS(store)->call_get_with_conversation(BE(store), id, call_out, conv_out);
}

int tsunagu_store_call_of_conversation(tsunagu_store *store, int64_t conversation_id,
				       tsunagu_store_call **out)
{
	if (!store || !out)
		return -EINVAL;
	return OPS(store)->call_of_conversation(BE(store), conversation_id, out);
}

int tsunagu_store_call_update(tsunagu_store *store, const tsunagu_store_call *c)
{
	return tsunagu_store_call_write(store, c,
					TSUNAGU_STORE_CALL_STATE | TSUNAGU_STORE_CALL_ORIGIN);
}

int tsunagu_store_call_write(tsunagu_store *store, const tsunagu_store_call *c,
			     unsigned parts)
{
	if (!store || !c || !c->state || !parts ||
	    (parts & ~(unsigned)(TSUNAGU_STORE_CALL_STATE | TSUNAGU_STORE_CALL_ORIGIN)))
		return -EINVAL;
	TSUNAGU_STORE_WRITE(store, false, OPS(store)->call_update(BE(store), c, parts));
}

int tsunagu_store_call_channel(tsunagu_store *store, int64_t id, char **channel_out)
{
	if (!store || !channel_out)
		return -EINVAL;
	return OPS(store)->call_channel(BE(store), id, channel_out);
}

int tsunagu_store_call_by_provider(tsunagu_store *store, const char *provider_call_id,
				   tsunagu_store_call **out)
{
	if (!store || !provider_call_id || !out)
		return -EINVAL;
	return OPS(store)->call_by_provider(BE(store), provider_call_id, out);
}

int tsunagu_store_calls_waiting_count(tsunagu_store *store, int64_t *count_out)
{
	if (!store || !count_out)
		return -EINVAL;
	return OPS(store)->calls_waiting_count(BE(store), count_out);
}

int tsunagu_store_calls_list(tsunagu_store *store, const char *state, unsigned limit,
			     GPtrArray **out)
{
	if (!store || !out || (state && strcmp(state, "queued") && strcmp(state, "ringing") &&
			       strcmp(state, "talking")))
		return -EINVAL;
	return OPS(store)->calls_list(BE(store), state, limit ? limit : 200, out);
}

int tsunagu_store_calls_of_conversation(tsunagu_store *store, int64_t conversation_id,
					GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return OPS(store)->calls_of_conversation(BE(store), conversation_id, out);
}

int tsunagu_store_call_records(tsunagu_store *store, int64_t from_us, int64_t to_us,
			       int64_t staff_id, unsigned limit, GPtrArray **out)
{
	if (!store || !out || to_us < from_us || limit > TSUNAGU_CALL_RECORDS_MAX)
		return -EINVAL;
	return OPS(store)->call_records(BE(store), from_us, to_us, staff_id,
					limit ? limit : TSUNAGU_CALL_RECORDS_MAX, out);
}

int tsunagu_store_offer_put(tsunagu_store *store, int64_t conversation_id, int64_t staff_id,
			    bool call, int64_t deadline_us)
{
	if (!store || conversation_id <= 0 || staff_id <= 0 || deadline_us < 0)
		return -EINVAL;
	store->offers_gen++;
	TSUNAGU_STORE_WRITE(store, false,
			    OPS(store)->offer_put(BE(store), conversation_id, staff_id, call,
						  deadline_us));
}

int tsunagu_store_offer_end(tsunagu_store *store, int64_t conversation_id, int64_t staff_id,
			    const char *state)
{
	if (!store || (state && strcmp(state, "missed") != 0 && strcmp(state, "declined") != 0))
		return -EINVAL;
	store->offers_gen++;
	TSUNAGU_STORE_WRITE(store, false,
			    OPS(store)->offer_end(BE(store), conversation_id, staff_id, state));
}

int tsunagu_store_offers_clear(tsunagu_store *store, int64_t conversation_id)
{
	if (!store)
		return -EINVAL;
	store->offers_gen++;
	/* atomic: the backend may delete them one statement each */
	TSUNAGU_STORE_WRITE(store, true, OPS(store)->offers_clear(BE(store), conversation_id));
}

int tsunagu_store_offers_of(tsunagu_store *store, int64_t conversation_id, GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return OPS(store)->offers_of(BE(store), conversation_id, out);
}

int tsunagu_store_offers_pending_of_staff(tsunagu_store *store, int64_t staff_id,
					  GPtrArray **out)
{
	if (!store || !out || staff_id <= 0)
		return -EINVAL;
	return OPS(store)->offers_pending_of_staff(BE(store), staff_id, out);
}

int tsunagu_store_offers_due(tsunagu_store *store, int64_t now_us, unsigned limit,
			     GPtrArray **out)
{
	if (!store || !out)
		return -EINVAL;
	return OPS(store)->offers_due(BE(store), now_us, limit ? limit : 100, out);
}

int tsunagu_store_offers_next(tsunagu_store *store, int64_t *deadline_us)
{
	if (!store || !deadline_us)
		return -EINVAL;
	return OPS(store)->offers_next(BE(store), deadline_us);
}

uint64_t tsunagu_store_offers_generation(tsunagu_store *store)
{
	return store ? store->offers_gen : 0;
}
