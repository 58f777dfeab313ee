/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_protector vti_protector
 * @{ @ingroup vti
 */

#ifndef VTI_PROTECTOR_H_
#define VTI_PROTECTOR_H_

#include "vti_tunnels.h"

typedef struct vti_protector_t vti_protector_t;

/**
 * Holds blackholes for the prefixes of every configured VTI tunnel (the
 * protect setting), whoever routes them and whether the tunnel is up, from
 * the moment its config is loaded: a routing daemon's withdrawn routes or
 * a tunnel that is down never let the traffic out in clear.
 */
struct vti_protector_t {

	/**
	 * Read charon's loaded configs: hold the blackholes of new or changed
	 * ones, let go of those of configs that are gone.
	 */
	void (*update)(vti_protector_t *this);

	/**
	 * The settings changed: resolve every config anew on the next update.
	 */
	void (*reload)(vti_protector_t *this);

	/**
	 * Free the protector; the blackholes stay with the link driver.
	 */
	void (*destroy)(vti_protector_t *this);
};

/**
 * Create the protector.
 *
 * @param tunnels		table whose driver holds the blackholes
 * @return				protector
 */
vti_protector_t *vti_protector_create(vti_tunnels_t *tunnels);

#endif /** VTI_PROTECTOR_H_ @}*/
