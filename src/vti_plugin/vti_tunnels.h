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

typedef struct vti_sa_t vti_sa_t;
typedef struct vti_tunnels_t vti_tunnels_t;

/**
 * One installed CHILD_SA, as the tunnel table sees it.
 */
struct vti_sa_t {

	/** unique ID of the CHILD_SA */
	uint32_t id;

	/** unique ID of the IKE_SA it belongs to */
	uint32_t ike_id;

	/** VTI key derived from its marks */
	uint32_t key;

	/** whether the key was allocated for this SA alone (%unique) */
	bool dynamic;

	/** IKE SA's own address */
	host_t *local;

	/** IKE SA's peer address */
	host_t *remote;

	/** connection name */
	char *conn;

	/** CHILD_SA name */
	char *child;

	/** settings of its VTI */
	vti_config_t *cfg;

	/** its remote traffic selectors, "NET/LEN" strings */
	linked_list_t *remote_ts;

	/** ESP overhead of its algorithms */
	vti_overhead_t overhead;
};

/**
 * The table of VTIs: decides what each device should be from the CHILD_SAs
 * that hold its key, and tells the link driver.
 *
 * A device is up while at least one installed CHILD_SA holds its key.
 * All methods are thread-safe.
 */
struct vti_tunnels_t {

	/**
	 * A CHILD_SA with a valid key was installed.
	 *
	 * @param sa		the SA; borrowed for the call, settings included
	 */
	void (*sa_up)(vti_tunnels_t *this, vti_sa_t *sa);

	/**
	 * A CHILD_SA goes away (deleted, or its IKE_SA is).
	 *
	 * @param id		unique ID of the CHILD_SA
	 */
	void (*sa_down)(vti_tunnels_t *this, uint32_t id);

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
	 * @param new_id	unique ID of its successor
	 */
	void (*sa_rekeyed)(vti_tunnels_t *this, uint32_t old_id, uint32_t new_id);

	/**
	 * An IKE_SA was rekeyed: its CHILD_SAs now belong to the new one.
	 *
	 * @param old_ike	unique ID of the replaced IKE_SA
	 * @param new_ike	unique ID of its successor
	 */
	void (*ike_rekeyed)(vti_tunnels_t *this, uint32_t old_ike,
						uint32_t new_ike);

	/**
	 * An IKE_SA's addresses changed (MOBIKE, NAT mapping).
	 *
	 * @param ike_id	unique ID of the IKE_SA
	 * @param local		its new own address
	 * @param remote	its new peer address
	 */
	void (*ike_moved)(vti_tunnels_t *this, uint32_t ike_id, host_t *local,
					  host_t *remote);

	/**
	 * Apply changed settings to every tunnel.
	 *
	 * @param resolve	gives the current settings of a tunnel
	 */
	void (*reconfigure)(vti_tunnels_t *this,
						vti_config_t *(*resolve)(char *conn, char *child,
												 uint32_t key));

	/**
	 * Number of tunnels in the table.
	 *
	 * @return			tunnels known, up or down
	 */
	u_int (*get_count)(vti_tunnels_t *this);

	/**
	 * Destroy the table; the devices are the link driver's to clean up.
	 */
	void (*destroy)(vti_tunnels_t *this);
};

/**
 * Create the tunnel table.
 *
 * @param link			driver the table's decisions go to
 * @return				table
 */
vti_tunnels_t *vti_tunnels_create(vti_link_t *link);

#endif /** VTI_TUNNELS_H_ @}*/
