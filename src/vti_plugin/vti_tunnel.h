/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_tunnel vti_tunnel
 * @{ @ingroup vti
 */

#ifndef VTI_TUNNEL_H_
#define VTI_TUNNEL_H_

#include "vti_sa.h"
#include "vti_tunnels.h"

#include <collections/array.h>

#include <time.h>

typedef struct vti_tunnel_id_t vti_tunnel_id_t;
typedef struct vti_tunnel_t vti_tunnel_t;

/**
 * A tunnel's place in the table: marks and if_ids are separate spaces, so
 * VTI key 7 and XFRM interface if_id 7 are two tunnels.
 */
struct vti_tunnel_id_t {

	/** kind of the device */
	vti_kind_t kind;

	/** VTI key or if_id, as in the spec */
	uint32_t key;
};

/**
 * One device of the tunnel table (a VTI or an XFRM interface) and the
 * CHILD_SAs that hold its key.
 *
 * The table owns tunnels and files them in its index by kind and key,
 * name, outer endpoints and spoke: whoever changes those fields takes the
 * tunnel out of the index first and files it again after.
 */
struct vti_tunnel_t {

	/** kind and key, the index's key; the kind never changes */
	vti_tunnel_id_t id;

	/** what the device looks like; spec.cfg are the settings, or a copy
	 *  of them with the name the device keeps */
	vti_link_spec_t spec;

	/** settings resolved for its connection, child, kind and key, shared
	 *  with its SAs of the same */
	vti_config_t *settings;

	/** connection that made the tunnel */
	char *conn;

	/** CHILD_SA config that made the tunnel */
	char *child;

	/** the peer whose SAs a dynamic tunnel serves */
	char *peer;

	/** the key is %unique: the device serves one spoke, whose successors
	 *  re-key it in place */
	bool dynamic;

	/** when a dynamic tunnel's last SA left, 0 while it has SAs */
	time_t idle_since;

	/** when the device last came up (wall clock), 0 while it is down */
	time_t up_since;

	/** when its state last changed (wall clock) */
	time_t last_change;

	/** why, for operators */
	char *reason;

	/** installed CHILD_SAs with this key, as vti_sa_t* copies, oldest
	 *  first */
	array_t *sas;
};

/**
 * Create a tunnel for the kind and key of an SA, pointed at its endpoints,
 * owner and settings, with no SAs yet.
 *
 * @param sa			SA whose key the tunnel gets; borrowed
 * @return				tunnel, free with vti_tunnel_destroy()
 */
vti_tunnel_t *vti_tunnel_create(vti_sa_t *sa);

/**
 * Point a tunnel at the endpoints, owner and settings of an SA, which it
 * shares; a shared device's remote address is any. A dynamic tunnel keeps
 * the name it has: its device stays the spoke's.
 *
 * @param this			tunnel
 * @param sa			SA to follow; borrowed
 */
void vti_tunnel_retarget(vti_tunnel_t *this, vti_sa_t *sa);

/**
 * Give a tunnel's device new outer endpoints.
 *
 * @param this			tunnel
 * @param local			new own address; cloned (may be the current one)
 * @param remote		new peer address, any for a shared device; cloned
 */
void vti_tunnel_set_endpoints(vti_tunnel_t *this, host_t *local,
							  host_t *remote);

/**
 * Give a tunnel's device new prefixes to route.
 *
 * @param this			tunnel
 * @param routes		list of prefixes, NULL for none; adopted
 * @return				whether they differ from those it had
 */
bool vti_tunnel_set_routes(vti_tunnel_t *this, array_t *routes);

/**
 * Work out the prefixes to route through a tunnel's device from its
 * settings and SAs, never one that covers its outer addresses. With routes
 * from the traffic selectors and no SAs left, the last ones stay, so that
 * they can be blackholed and restored.
 *
 * @param this			tunnel
 * @return				whether they differ from those it had
 */
bool vti_tunnel_update_routes(vti_tunnel_t *this);

/**
 * Record an SA as holding the tunnel's key; the newest SA sets the
 * overhead and, if known, the underlay.
 *
 * @param this			tunnel
 * @param sa			SA copy with its settings; adopted
 */
void vti_tunnel_add_sa(vti_tunnel_t *this, vti_sa_t *sa);

/**
 * Take an SA off a tunnel's list.
 *
 * @param this			tunnel
 * @param id			unique ID of the CHILD_SA
 * @return				the SA's copy (caller frees), NULL if it has none
 */
vti_sa_t *vti_tunnel_drop_sa(vti_tunnel_t *this, uint32_t id);

/**
 * The newest SA of a tunnel.
 *
 * @param this			tunnel
 * @return				its newest SA, NULL if it has none
 */
vti_sa_t *vti_tunnel_newest_sa(vti_tunnel_t *this);

/**
 * Whether a tunnel's device runs between two outer endpoints.
 *
 * @param this			tunnel
 * @param local			own address
 * @param remote		peer address
 * @return				TRUE if its endpoints are these (ports aside)
 */
bool vti_tunnel_runs_between(vti_tunnel_t *this, host_t *local,
							 host_t *remote);

/**
 * Whether a tunnel's device fits the endpoints of an SA: it runs between
 * them, or on the SA's local address with any remote if the SA shares its
 * device. An XFRM interface fits every XFRM SA: it is tied to no
 * endpoints.
 *
 * @param this			tunnel
 * @param sa			SA
 * @return				TRUE if the device fits
 */
bool vti_tunnel_fits_endpoints(vti_tunnel_t *this, vti_sa_t *sa);

/**
 * Whether a tunnel's settings are an SA's: resolved for the same
 * connection, child, kind and key.
 *
 * @param this			tunnel
 * @param sa			SA
 * @return				TRUE if the SA may share them
 */
bool vti_tunnel_settings_fit(vti_tunnel_t *this, vti_sa_t *sa);

/**
 * Whether an SA is a successor of the spoke a dynamic tunnel serves.
 *
 * @param this			tunnel
 * @param sa			SA
 * @return				TRUE if both are dynamic, of one kind and of the
 *						same spoke
 */
bool vti_tunnel_serves_spoke(vti_tunnel_t *this, vti_sa_t *sa);

/**
 * Whether every SA of a tunnel is among the moves of an IKE_SA.
 *
 * @param this			tunnel
 * @param moves			moves of the IKE_SA's CHILD_SAs
 * @param count			number of moves
 * @return				TRUE if all its SAs move
 */
bool vti_tunnel_all_sas_move(vti_tunnel_t *this, vti_sa_move_t *moves,
							 u_int count);

/**
 * Whether a tunnel's device stays where it is when some of its SAs move to
 * a new local address: an XFRM interface, tied to no endpoints, or a
 * shared device whose local address it is.
 *
 * @param this			tunnel
 * @param local			new own address of the moving SAs
 * @return				TRUE if the device stays
 */
bool vti_tunnel_moves_in_place(vti_tunnel_t *this, host_t *local);

/**
 * Note a change of a tunnel's state and why, for operators.
 *
 * @param this			tunnel
 * @param up			whether the device is up now
 * @param fmt			printf() format of the reason, then its arguments
 */
void vti_tunnel_note(vti_tunnel_t *this, bool up, char *fmt, ...);

/**
 * What an operator sees of a tunnel.
 *
 * @param this			tunnel
 * @return				status, free with vti_tunnel_status_destroy()
 */
vti_tunnel_status_t *vti_tunnel_get_status(vti_tunnel_t *this);

/**
 * Free a tunnel and the SA copies it holds.
 *
 * @param this			tunnel, out of the table's index
 */
void vti_tunnel_destroy(vti_tunnel_t *this);

/**
 * Number of installed CHILD_SAs holding a tunnel's key.
 *
 * @param this			tunnel
 * @return				SAs, 0 while the device is idle
 */
static inline int vti_tunnel_sa_count(vti_tunnel_t *this)
{
	return array_count(this->sas);
}

/**
 * Whether a tunnel's device is an XFRM interface.
 *
 * @param this			tunnel
 * @return				TRUE for an XFRM interface, FALSE for a VTI
 */
static inline bool vti_tunnel_is_xfrm(vti_tunnel_t *this)
{
	return this->id.kind == VTI_KIND_XFRM;
}

/**
 * Whether a tunnel's device is shared by the SAs of every peer with its
 * key: a fixed key, and remote = any or an XFRM interface.
 *
 * @param this			tunnel
 * @return				TRUE if its device is shared
 */
bool vti_tunnel_shared(vti_tunnel_t *this);

/**
 * Device name of a tunnel.
 *
 * @param this			tunnel
 * @return				name, owned by the tunnel's settings
 */
static inline char *vti_tunnel_name(vti_tunnel_t *this)
{
	return this->spec.cfg->name;
}

#endif /** VTI_TUNNEL_H_ @}*/
