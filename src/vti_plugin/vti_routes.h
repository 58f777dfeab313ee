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
#include "vti_route_sink.h"

#include <netlink/netlink.h>

typedef struct vti_routes_t vti_routes_t;

/**
 * Addresses, routes and fail-closed blackhole routes of the VTI devices,
 * through rtnetlink. Part of the link driver: callers serialize access.
 *
 * Addresses are handled here; routes and blackholes are decided by a
 * vti_ledger_t and installed by a vti_route_netlink sink, which never
 * replaces or deletes a route the plugin did not install.
 */
struct vti_routes_t {

	/**
	 * Align what a device has with what its spec says.
	 *
	 * Addresses stay while the device is down (IPv6 ones, which the kernel
	 * drops, come back when it comes up); routes through the device are
	 * there while it is up (unless another device's route or someone
	 * else's has their place); blackholes while the routes are configured
	 * here or on any other device. Routes that did not go in are tried
	 * again.
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
	 * Forget a device: its routes and the blackholes no other device
	 * claims are removed, routes other devices wait for go in; its
	 * addresses go with the device.
	 *
	 * @param name		interface name
	 */
	void (*withdraw)(vti_routes_t *this, char *name);

	/**
	 * Hold blackholes for prefixes whoever routes them (see
	 * vti_link_t.protect()); an empty list lets them go.
	 *
	 * @param holder	name of the protection
	 * @param owner		connection and child, "conn/child"
	 * @param prefixes	vti_prefix_t*
	 * @param table		routing table
	 * @param metric	metric of the blackholes
	 */
	void (*protect)(vti_routes_t *this, char *holder, char *owner,
					linked_list_t *prefixes, uint32_t table, uint32_t metric);

	/**
	 * Remove the routes of ours that nothing claims, left by an earlier run.
	 */
	void (*sweep)(vti_routes_t *this);

	/**
	 * Log protected prefixes that the kernel routes past the VTI of their
	 * tunnel while it is up.
	 */
	void (*check)(vti_routes_t *this);

	/**
	 * Withdraw every route of ours, also those an earlier run left, except
	 * the blackholes if asked to keep them, and free the object.
	 */
	void (*destroy)(vti_routes_t *this);
};

/**
 * Create the manager of addresses and routes.
 *
 * @param sock			rtnetlink socket, shared with the link driver
 * @param keep_blackholes	leave the blackholes in the kernel at destroy,
 *						so that nothing leaks while charon is not running
 * @return				manager
 */
vti_routes_t *vti_routes_create(struct nl_sock *sock, bool keep_blackholes);

#endif /** VTI_ROUTES_H_ @}*/
