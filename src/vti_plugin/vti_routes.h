/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_routes vti_routes
 * @{ @ingroup vti
 */

#ifndef VTI_ROUTES_H_
#define VTI_ROUTES_H_

#include "vti_link.h"

#include <netlink/netlink.h>

/** Routing protocol number that marks the routes the plugin installs */
#define VTI_RTPROT 165

typedef struct vti_routes_t vti_routes_t;

/**
 * Addresses, routes and fail-closed blackhole routes of the VTI devices,
 * through rtnetlink. Part of the link driver: callers serialize access.
 */
struct vti_routes_t {

	/**
	 * Align what a device has with what its spec says.
	 *
	 * Addresses stay while the device is down (IPv6 ones, which the kernel
	 * drops, come back when it comes up); routes through the device are
	 * there while it is up; blackholes while the routes are configured.
	 *
	 * @param ifindex	the device
	 * @param spec		what it should have
	 * @param up		whether the device is up
	 * @param came_up	whether it just came up (the kernel dropped what
	 *					needs adding again)
	 */
	void (*apply)(vti_routes_t *this, int ifindex, vti_link_spec_t *spec,
				  bool up, bool came_up);

	/**
	 * Withdraw the blackholes of a device and forget it; its addresses and
	 * routes go with the device.
	 *
	 * @param name		interface name
	 */
	void (*withdraw)(vti_routes_t *this, char *name);

	/**
	 * Withdraw every route of ours, also those an earlier run left, and
	 * free the object.
	 */
	void (*destroy)(vti_routes_t *this);
};

/**
 * Create the manager of addresses and routes.
 *
 * @param sock			rtnetlink socket, shared with the link driver
 * @return				manager
 */
vti_routes_t *vti_routes_create(struct nl_sock *sock);

#endif /** VTI_ROUTES_H_ @}*/
