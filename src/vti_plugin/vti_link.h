/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_link vti_link
 * @{ @ingroup vti
 */

#ifndef VTI_LINK_H_
#define VTI_LINK_H_

#include "vti_config.h"
#include "vti_mtu.h"

#include <library.h>
#include <networking/host.h>
#include <net/if.h>

/** Prefix of the ifalias that marks a device as managed by this plugin */
#define VTI_OWNER_PREFIX "strongswan-vti"

typedef struct vti_link_spec_t vti_link_spec_t;
typedef struct vti_link_t vti_link_t;
typedef struct vti_link_occupant_t vti_link_occupant_t;
typedef enum vti_link_result_t vti_link_result_t;

/**
 * What the driver did to make a device look as its spec says.
 */
enum vti_link_result_t {
	/** the device is not ours, or the kernel refused */
	VTI_LINK_FAILED = 0,
	/** the device looked as it should already */
	VTI_LINK_UNCHANGED,
	/** the device was missing and has been created */
	VTI_LINK_CREATED,
	/** the device existed and has been changed */
	VTI_LINK_CHANGED,
	/** the device was missing and the kernel refused to create it: another
	 *  device holds its endpoints (VTI) or if_id (XFRM interface), see
	 *  find_occupant(); nothing was logged */
	VTI_LINK_BLOCKED,
};

/**
 * The device that holds what a spec's device needs: a VTI's pair of
 * endpoints, an XFRM interface's if_id.
 */
struct vti_link_occupant_t {

	/** its name */
	char name[IFNAMSIZ];

	/** whether it carries the plugin's ownership mark */
	bool ours;

	/** whether it is admin up */
	bool up;

	/** its key, or its if_id */
	uint32_t key;

	/** "conn/child" from its alias if it is ours, "" if not */
	char owner[128];
};

/**
 * What one VTI device should look like.
 */
struct vti_link_spec_t {

	/** ikey and okey */
	uint32_t key;

	/** outer local address (IKE SA's own address) */
	host_t *local;

	/** outer remote address (IKE SA's peer address) */
	host_t *remote;

	/** connection and child this device serves, "conn/child" */
	char *owner;

	/** settings: name, MTU, addresses, routing */
	vti_config_t *cfg;

	/** prefixes to route through the device, a list of prefixes (see
	 *  vti_prefix_list_has()), NULL if none */
	array_t *routes;

	/** ESP overhead of the tunnel's SAs, for an automatic MTU */
	vti_overhead_t overhead;

	/** interface that holds the local address, "" if not known */
	char underlay[IFNAMSIZ];
};

/**
 * Driver that makes the kernel's VTI devices look as the tunnel table says.
 *
 * It only ever modifies devices that carry its ownership mark.
 */
struct vti_link_t {

	/**
	 * Create or adopt the device, align key and endpoints, set admin state.
	 *
	 * @param spec		what the device should look like
	 * @param up		TRUE for admin up, FALSE for admin down
	 * @return			what it did; VTI_LINK_FAILED (0) if the device is not
	 *					ours or the kernel refused (logged), VTI_LINK_BLOCKED
	 *					if another device holds what it needs (not logged)
	 */
	vti_link_result_t (*set)(vti_link_t *this, vti_link_spec_t *spec,
							 bool up);

	/**
	 * Find the device that kept a spec's device from being created, after
	 * set() said VTI_LINK_BLOCKED. The driver only reports it; what to do
	 * about it is the tunnel table's decision.
	 *
	 * @param spec		what the device should look like
	 * @param occupant	receives the device in the way
	 * @return			FALSE if none is in the way (any more)
	 */
	bool (*find_occupant)(vti_link_t *this, vti_link_spec_t *spec,
						  vti_link_occupant_t *occupant);

	/**
	 * Delete a device of ours that no tunnel has (one an earlier run left),
	 * with its routes and addresses; a device that is not ours stays.
	 *
	 * @param name		interface name
	 * @return			TRUE if it is gone
	 */
	bool (*discard)(vti_link_t *this, char *name);

	/**
	 * Delete a device, if it is ours, with the blackholes only it claims.
	 *
	 * @param spec		what the device looked like
	 */
	void (*remove)(vti_link_t *this, vti_link_spec_t *spec);

	/**
	 * Hold blackholes for a tunnel's prefixes, whoever routes them, counted
	 * with the devices' own; an empty list lets them go.
	 *
	 * @param holder	name of the protection, e.g. "protect conn/child"
	 * @param owner		connection and child, "conn/child", for log lines
	 * @param prefixes	vti_prefix_t*
	 * @param table		routing table of the blackholes
	 * @param metric	their metric
	 */
	void (*protect)(vti_link_t *this, char *holder, char *owner,
					linked_list_t *prefixes, uint32_t table, uint32_t metric);

	/**
	 * Remove what an earlier run left that nothing needs now: routes of
	 * ours nothing claims, and devices of ours, down, that serve none of
	 * the connections and children given.
	 *
	 * @param owners	"conn/child" of the configured tunnels
	 */
	void (*sweep)(vti_link_t *this, linked_list_t *owners);

	/**
	 * Log protected prefixes that the kernel routes past the VTI of their
	 * tunnel while it is up (a protection more specific than the routes a
	 * routing daemon brings).
	 */
	void (*check)(vti_link_t *this);

	/**
	 * Remove (or, if so configured, set down) every device of ours, and
	 * free the driver.
	 */
	void (*destroy)(vti_link_t *this);
};

#endif /** VTI_LINK_H_ @}*/
