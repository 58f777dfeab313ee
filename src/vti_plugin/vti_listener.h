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
 * @return				listener
 */
vti_listener_t *vti_listener_create(vti_tunnels_t *tunnels,
									vti_hook_stats_t *stats);

#endif /** VTI_LISTENER_H_ @}*/
