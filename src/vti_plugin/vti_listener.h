/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_listener vti_listener
 * @{ @ingroup vti
 */

#ifndef VTI_LISTENER_H_
#define VTI_LISTENER_H_

#include "vti_hook_stats.h"
#include "vti_tunnels.h"

#include <bus/listeners/listener.h>

typedef struct vti_listener_t vti_listener_t;
typedef struct vti_listener_env_t vti_listener_env_t;

/**
 * What the listener asks of charon besides the SAs of an event.
 */
struct vti_listener_env_t {

	/**
	 * The addresses a "dynamic" remote traffic selector stands for: the
	 * peer's virtual IPs, or its address.
	 *
	 * @param ike_sa	IKE_SA
	 * @return			list of host_t (the IKE_SA's), to destroy
	 *					without them
	 */
	linked_list_t *(*get_dynamic_hosts)(ike_sa_t *ike_sa);

	/**
	 * Queue the check that a CHILD_SA's outbound policies carry its key.
	 *
	 * @param ike_sa	IKE_SA of the CHILD_SA
	 * @param child_sa	the installed CHILD_SA
	 * @param key		its VTI key
	 */
	void (*check_policies)(ike_sa_t *ike_sa, child_sa_t *child_sa,
						   uint32_t key);
};

/**
 * Listener that turns CHILD_SA and IKE_SA events into tunnel table updates.
 */
struct vti_listener_t {

	/**
	 * Implements listener_t interface.
	 */
	listener_t listener;

	/**
	 * Destroy a vti_listener_t.
	 */
	void (*destroy)(vti_listener_t *this);
};

/**
 * Create a vti_listener instance.
 *
 * @param tunnels		table the events go to
 * @param stats			records how long each hook takes
 * @param env			what it asks of charon, kept for its lifetime
 * @return				listener
 */
vti_listener_t *vti_listener_create(vti_tunnels_t *tunnels,
									vti_hook_stats_t *stats,
									vti_listener_env_t *env);

#endif /** VTI_LISTENER_H_ @}*/
