/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_tunnel_index vti_tunnel_index
 * @{ @ingroup vti
 */

#ifndef VTI_TUNNEL_INDEX_H_
#define VTI_TUNNEL_INDEX_H_

#include "vti_tunnel.h"

typedef struct vti_tunnel_index_t vti_tunnel_index_t;

/**
 * The tunnel table's lookups: tunnels by kind and key, by the CHILD_SAs
 * they hold, by device name (one name space for every kind), by kind and
 * pair of outer endpoints and by the spoke a dynamic tunnel serves, each
 * in constant time whatever the number of tunnels. A shared device is
 * filed under its local address and any.
 *
 * A tunnel is filed under what its fields say when it is added: take it
 * out with remove() before its key, name, endpoints, owner or kind change,
 * and add it again after. The index never frees a tunnel. Not
 * thread-safe: the table serializes.
 */
struct vti_tunnel_index_t {

	/**
	 * File a tunnel under its kind and key, name, endpoints, spoke (if
	 * dynamic) and the IDs of its SAs. Another tunnel filed under its kind
	 * and key loses them.
	 *
	 * @param tunnel	tunnel; borrowed until removed
	 */
	void (*add)(vti_tunnel_index_t *this, vti_tunnel_t *tunnel);

	/**
	 * Take a tunnel out of every lookup, the IDs of its SAs included.
	 *
	 * @param tunnel	tunnel added before, its fields as they were then
	 */
	void (*remove)(vti_tunnel_index_t *this, vti_tunnel_t *tunnel);

	/**
	 * File an SA that joined a filed tunnel.
	 *
	 * @param id		unique ID of the CHILD_SA
	 * @param tunnel	tunnel that holds it
	 */
	void (*add_sa)(vti_tunnel_index_t *this, uint32_t id,
				   vti_tunnel_t *tunnel);

	/**
	 * Forget an SA that left its tunnel.
	 *
	 * @param id		unique ID of the CHILD_SA
	 */
	void (*remove_sa)(vti_tunnel_index_t *this, uint32_t id);

	/**
	 * The tunnel of a kind and key.
	 *
	 * @param kind		kind of the device
	 * @param key		VTI key or if_id
	 * @return			tunnel, NULL if none
	 */
	vti_tunnel_t *(*get_by_key)(vti_tunnel_index_t *this, vti_kind_t kind,
								uint32_t key);

	/**
	 * The tunnel that holds an SA.
	 *
	 * @param id		unique ID of the CHILD_SA
	 * @return			tunnel, NULL if none
	 */
	vti_tunnel_t *(*get_by_sa)(vti_tunnel_index_t *this, uint32_t id);

	/**
	 * A tunnel other than the one given whose device has a name.
	 *
	 * @param own		tunnel to leave out, NULL for none
	 * @param name		device name
	 * @return			tunnel, NULL if none
	 */
	vti_tunnel_t *(*get_by_name)(vti_tunnel_index_t *this, vti_tunnel_t *own,
								 char *name);

	/**
	 * The dynamic tunnel of the spoke a dynamic SA belongs to.
	 *
	 * @param sa		SA
	 * @return			tunnel, NULL if none or the SA is not dynamic
	 */
	vti_tunnel_t *(*get_spoke)(vti_tunnel_index_t *this, vti_sa_t *sa);

	/**
	 * Enumerate the tunnels of a kind whose devices run between two
	 * endpoints, oldest filed first. Nothing may be added or removed
	 * meanwhile.
	 *
	 * @param kind		kind of the devices
	 * @param local		own address
	 * @param remote	peer address, any for shared devices
	 * @return			enumerator over vti_tunnel_t*
	 */
	enumerator_t *(*create_between_enumerator)(vti_tunnel_index_t *this,
											   vti_kind_t kind, host_t *local,
											   host_t *remote);

	/**
	 * A copy of the list of all tunnels, for the walks that may change
	 * them (reconcile, reload).
	 *
	 * @return			array of vti_tunnel_t*, free with array_destroy()
	 */
	array_t *(*get_all)(vti_tunnel_index_t *this);

	/**
	 * Enumerate all tunnels. Nothing may be added or removed meanwhile.
	 *
	 * @return			enumerator over vti_tunnel_t*
	 */
	enumerator_t *(*create_enumerator)(vti_tunnel_index_t *this);

	/**
	 * Number of tunnels filed.
	 *
	 * @return			tunnels
	 */
	u_int (*get_count)(vti_tunnel_index_t *this);

	/**
	 * Destroy the index, not the tunnels.
	 */
	void (*destroy)(vti_tunnel_index_t *this);
};

/**
 * Create an empty index.
 *
 * @return				index
 */
vti_tunnel_index_t *vti_tunnel_index_create(void);

#endif /** VTI_TUNNEL_INDEX_H_ @}*/
