/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_reconciler vti_reconciler
 * @{ @ingroup vti
 */

#ifndef VTI_RECONCILER_H_
#define VTI_RECONCILER_H_

#include "vti_tunnels.h"

typedef struct vti_reconciler_t vti_reconciler_t;

/**
 * A scheduled job that has the tunnel table reconcile itself with the
 * kernel at a fixed interval.
 */
struct vti_reconciler_t {

	/**
	 * Stop reconciling; waits for a reconcile under way, and frees the
	 * object (the scheduled job lets go of its part when it next runs or
	 * is destroyed).
	 */
	void (*destroy)(vti_reconciler_t *this);
};

/**
 * Schedule the reconcile job.
 *
 * @param tunnels		table to reconcile, must outlive destroy()
 * @param interval		seconds between two reconciles, > 0
 * @return				reconciler
 */
vti_reconciler_t *vti_reconciler_create(vti_tunnels_t *tunnels,
										uint32_t interval);

#endif /** VTI_RECONCILER_H_ @}*/
