/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_sa vti_sa
 * @{ @ingroup vti
 */

#ifndef VTI_SA_H_
#define VTI_SA_H_

#include "vti_config.h"
#include "vti_mtu.h"

#include <library.h>
#include <collections/array.h>
#include <networking/host.h>
#include <net/if.h>

typedef struct vti_sa_t vti_sa_t;
typedef struct vti_sa_move_t vti_sa_move_t;

/**
 * One installed CHILD_SA, as the tunnel table sees it.
 */
struct vti_sa_t {

	/** unique ID of the CHILD_SA */
	uint32_t id;

	/** kind of its device */
	vti_kind_t kind;

	/** VTI key derived from its marks, or the if_id of an XFRM interface */
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

	/** the peer's IKE identity; with conn and child it names the spoke a
	 *  dynamic tunnel serves */
	char *peer;

	/** settings of its device: NULL in an event, resolved by the table
	 *  for the copies it keeps, shared with their tunnel */
	vti_config_t *cfg;

	/** its remote traffic selectors as prefixes, a list of prefixes (see
	 *  vti_prefix_list_has()), NULL if none */
	array_t *remote_ts;

	/** ESP overhead of its algorithms */
	vti_overhead_t overhead;

	/** interface that holds its local address, "" if not known (the
	 *  worker looks it up) */
	char underlay[IFNAMSIZ];
};

/**
 * A CHILD_SA of an IKE_SA whose endpoints moved.
 */
struct vti_sa_move_t {

	/** unique ID of the CHILD_SA */
	uint32_t id;

	/** its ESP overhead between the new endpoints */
	vti_overhead_t overhead;

	/** interface that holds the new local address, "" if not known (the
	 *  worker looks it up) */
	char underlay[IFNAMSIZ];
};

/**
 * Copy an SA, all it points to included but its settings, which the copy
 * shares; its names are kept in one allocation with it.
 *
 * @param sa			SA to copy
 * @return				copy, free with vti_sa_destroy()
 */
vti_sa_t *vti_sa_clone(vti_sa_t *sa);

/**
 * Free an SA copy.
 *
 * @param sa			copy made by vti_sa_clone()
 */
void vti_sa_destroy(vti_sa_t *sa);

/**
 * Give an SA copy new endpoints, overhead and underlay.
 *
 * @param sa			copy made by vti_sa_clone()
 * @param local			new own address; cloned
 * @param remote		new peer address; cloned
 * @param move			the SA's move, its overhead and underlay
 */
void vti_sa_move(vti_sa_t *sa, host_t *local, host_t *remote,
				 vti_sa_move_t *move);

/**
 * The move of an SA among the moves of an IKE_SA.
 *
 * @param moves			moves of the IKE_SA's CHILD_SAs
 * @param count			number of moves
 * @param id			unique ID of the CHILD_SA
 * @return				its move, NULL if it is not among them
 */
vti_sa_move_t *vti_sa_find_move(vti_sa_move_t *moves, u_int count,
								uint32_t id);

/**
 * Whether an SA's device is an XFRM interface.
 *
 * @param sa			SA
 * @return				TRUE for an XFRM interface, FALSE for a VTI
 */
static inline bool vti_sa_is_xfrm(vti_sa_t *sa)
{
	return sa->kind == VTI_KIND_XFRM;
}

/**
 * Whether an SA's settings give it a device shared by the SAs of every
 * peer with its key: a fixed key, and remote = any or an XFRM interface.
 *
 * @param sa			SA
 * @return				TRUE if its device is shared
 */
bool vti_sa_shares_device(vti_sa_t *sa);

/**
 * The remote address of the device an SA gets: its peer's, or any for a
 * shared device.
 *
 * @param sa			SA
 * @return				address, free with destroy()
 */
host_t *vti_sa_device_remote(vti_sa_t *sa);

#endif /** VTI_SA_H_ @}*/
