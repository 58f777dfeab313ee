/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_ledger vti_ledger
 * @{ @ingroup vti
 */

#ifndef VTI_LEDGER_H_
#define VTI_LEDGER_H_

#include "vti_link.h"
#include "vti_route_sink.h"

typedef struct vti_ledger_t vti_ledger_t;

/**
 * Route ledger: decides which routes through the devices and which
 * fail-closed blackholes the kernel should have, and tells a route sink.
 *
 * Devices claim routes; the kernel keeps one route per family, table,
 * prefix and metric (a "place"). Claims on a place are counted across
 * devices: a route through a device goes to the first device that claims
 * the place and passes to the next when that one lets go; a blackhole
 * stays while any device claims it. A place held by a route the plugin
 * did not install is left alone: one log line, and the claim is retried
 * on every later apply. Callers serialize access.
 */
struct vti_ledger_t {

	/**
	 * Align a device's claims with its spec: routes through it while it is
	 * up, blackholes while its routes are configured with fail_closed.
	 * Then every place whose route is not in, for whatever reason, is
	 * tried again.
	 *
	 * @param ifindex	the device
	 * @param spec		what it should have
	 * @param up		whether the device is up
	 * @param came_up	whether it just came up (the kernel dropped the
	 *					routes through it)
	 */
	void (*apply)(vti_ledger_t *this, int ifindex, vti_link_spec_t *spec,
				  bool up, bool came_up);

	/**
	 * Claim blackholes for prefixes whoever routes them, under a name that
	 * is no device's; they count with the devices' blackholes.
	 *
	 * @param holder	name of the claimant, e.g. "protect conn/child"
	 * @param owner		connection and child, "conn/child", for log lines
	 * @param prefixes	vti_prefix_t*
	 * @param table		routing table of the blackholes
	 * @param metric	their metric
	 */
	void (*protect)(vti_ledger_t *this, char *holder, char *owner,
					linked_list_t *prefixes, uint32_t table, uint32_t metric);

	/**
	 * Drop every claim of a device or holder and forget it; routes it held
	 * pass to the devices that claim them next.
	 *
	 * @param name		interface name, or holder name
	 */
	void (*withdraw)(vti_ledger_t *this, char *name);

	/**
	 * Remove the routes of ours in the kernel that no claim has, such as
	 * those an earlier run left for tunnels that are no longer configured.
	 */
	void (*sweep)(vti_ledger_t *this);

	/**
	 * Check the blackholes of holders whose tunnel is up (a device with the
	 * holder's owner is up): log, once, a prefix the kernel routes to none
	 * of our devices, since its blackhole then takes traffic the tunnel
	 * could carry.
	 */
	void (*check)(vti_ledger_t *this);

	/**
	 * Free the ledger; the kernel keeps the routes.
	 */
	void (*destroy)(vti_ledger_t *this);
};

/**
 * Create a route ledger.
 *
 * @param sink			where its decisions take effect
 * @return				ledger
 */
vti_ledger_t *vti_ledger_create(vti_route_sink_t *sink);

#endif /** VTI_LEDGER_H_ @}*/
