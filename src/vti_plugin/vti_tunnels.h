/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_tunnels vti_tunnels
 * @{ @ingroup vti
 */

#ifndef VTI_TUNNELS_H_
#define VTI_TUNNELS_H_

#include "vti_link.h"
#include "vti_sa.h"

typedef struct vti_tunnel_status_t vti_tunnel_status_t;
typedef struct vti_tunnels_t vti_tunnels_t;

/**
 * What an operator sees of one tunnel.
 */
struct vti_tunnel_status_t {

	/** interface name */
	char name[IFNAMSIZ];

	/** kind of the device */
	vti_kind_t kind;

	/** VTI key, or the if_id of an XFRM interface */
	uint32_t key;

	/** "up", "down", or "waiting" (down, for a spoke's successor) */
	char *state;

	/** connection and child, "conn/child" */
	char *owner;

	/** installed CHILD_SAs holding the key */
	u_int sas;

	/** when the device last came up, 0 while it is down */
	time_t up_since;

	/** when its state last changed */
	time_t last_change;

	/** why */
	char *reason;
};

/**
 * Free a tunnel status.
 *
 * @param status		status from get_status()
 */
void vti_tunnel_status_destroy(vti_tunnel_status_t *status);

/**
 * Gives the current settings of a tunnel, as vti_config_resolve() does.
 *
 * @param conn			connection name
 * @param child			CHILD_SA name
 * @param kind			kind of the device
 * @param key			VTI key or if_id
 * @return				settings, free with vti_config_destroy()
 */
typedef vti_config_t *(*vti_resolver_t)(char *conn, char *child,
										vti_kind_t kind, uint32_t key);

/**
 * The table of VTIs: decides what each device should be from the CHILD_SAs
 * that hold its key, and tells the link driver.
 *
 * The table alone resolves settings, with the resolver it was made with:
 * for an SA it keeps, when the SA arrives, unless it holds them already
 * (those of the tunnel with the SA's kind and key, resolved for the same
 * connection and child), and for everything on reconfigure(). A tunnel
 * and its SAs share one settings object.
 *
 * A device is up while at least one installed CHILD_SA holds its key. An
 * SA that cannot have its device now (its key, endpoints or name are in
 * use, or the driver failed) is remembered and placed as soon as that
 * changes, on its rekeys, or at the next reconcile. All methods are
 * thread-safe.
 */
struct vti_tunnels_t {

	/**
	 * A CHILD_SA with a valid key was installed.
	 *
	 * @param sa		the SA, without settings; borrowed for the call
	 */
	void (*sa_up)(vti_tunnels_t *this, vti_sa_t *sa);

	/**
	 * A CHILD_SA goes away (deleted, or its IKE_SA is).
	 *
	 * @param id		unique ID of the CHILD_SA
	 */
	void (*sa_down)(vti_tunnels_t *this, uint32_t id);

	/**
	 * An IKE_SA goes away with its CHILD_SAs: they leave together, so that
	 * none of them gets a device another one frees.
	 *
	 * @param ids		unique IDs of its CHILD_SAs
	 * @param count		number of IDs
	 */
	void (*ike_down)(vti_tunnels_t *this, uint32_t *ids, u_int count);

	/**
	 * A CHILD_SA is destroyed; after a rekey, that is how the replaced one
	 * goes. Nothing happens for an SA that went down already.
	 *
	 * @param id		unique ID of the CHILD_SA
	 */
	void (*sa_destroyed)(vti_tunnels_t *this, uint32_t id);

	/**
	 * A CHILD_SA was rekeyed: the new one joins the tunnel of the old one,
	 * which stays until it is destroyed. Both sides rekeying at once gives
	 * two new SAs; the loser is destroyed too.
	 *
	 * @param old_id	unique ID of the replaced CHILD_SA
	 * @param sa		its successor, without settings; borrowed for the
	 *					call
	 */
	void (*sa_rekeyed)(vti_tunnels_t *this, uint32_t old_id, vti_sa_t *sa);

	/**
	 * An IKE_SA's addresses changed (MOBIKE, NAT mapping). A device moves
	 * with its SAs if all of them belong to that IKE_SA; otherwise the
	 * moved SAs leave it and wait for the key.
	 *
	 * @param moves		the IKE_SA's CHILD_SAs with a key
	 * @param count		number of moves
	 * @param local		its new own address
	 * @param remote	its new peer address
	 */
	void (*ike_moved)(vti_tunnels_t *this, vti_sa_move_t *moves, u_int count,
					  host_t *local, host_t *remote);

	/**
	 * Resolve the settings of every tunnel and SA anew and apply what
	 * changed, under the rules sa_up() keeps (a name in use stays with its
	 * tunnel).
	 */
	void (*reconfigure)(vti_tunnels_t *this);

	/**
	 * Repair drift: restore the devices of tunnels with SAs, remove dynamic
	 * devices whose successor did not come in time, place waiting SAs.
	 */
	void (*reconcile)(vti_tunnels_t *this);

	/**
	 * Hold blackholes for a configured tunnel's prefixes, whoever routes
	 * them (see vti_link_t.protect()), in the order of the table's other
	 * decisions.
	 *
	 * @param holder	name of the protection
	 * @param owner		connection and child, "conn/child"
	 * @param prefixes	vti_prefix_t*, empty to let them go
	 * @param table		routing table
	 * @param metric	metric of the blackholes
	 */
	void (*protect)(vti_tunnels_t *this, char *holder, char *owner,
					linked_list_t *prefixes, uint32_t table, uint32_t metric);

	/**
	 * Remove routes and devices of ours an earlier run left that nothing
	 * claims now.
	 *
	 * @param owners	"conn/child" of the configured tunnels; the table
	 *					adds those of its own
	 */
	void (*sweep)(vti_tunnels_t *this, linked_list_t *owners);

	/**
	 * What an operator sees of every tunnel.
	 *
	 * @param changes	receives a number that changes with every event
	 * @return			list of vti_tunnel_status_t*, free with
	 *					vti_tunnel_status_destroy()
	 */
	linked_list_t *(*get_status)(vti_tunnels_t *this, u_int *changes);

	/**
	 * A number that changes with every event, without the status.
	 *
	 * @return			as get_status() tells it
	 */
	u_int (*get_changes)(vti_tunnels_t *this);

	/**
	 * Number of tunnels in the table.
	 *
	 * @return			tunnels known, up or down
	 */
	u_int (*get_count)(vti_tunnels_t *this);

	/**
	 * Number of installed CHILD_SAs waiting for their device.
	 *
	 * @return			SAs without a device
	 */
	u_int (*get_waiting_count)(vti_tunnels_t *this);

	/**
	 * Destroy the table; the devices are the link driver's to clean up.
	 */
	void (*destroy)(vti_tunnels_t *this);
};

/**
 * Create the tunnel table.
 *
 * @param link			driver the table's decisions go to
 * @param successor_wait	seconds a dynamic (%unique) device waits, down,
 *						for a successor of its spoke before it is removed;
 *						0 removes it with its last SA
 * @param resolve		gives the settings of a tunnel (vti_config_resolve)
 * @return				table
 */
vti_tunnels_t *vti_tunnels_create(vti_link_t *link, uint32_t successor_wait,
								  vti_resolver_t resolve);

#endif /** VTI_TUNNELS_H_ @}*/
