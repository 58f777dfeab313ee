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

#include "vti_protector.h"
#include "vti_status.h"
#include "vti_tunnels.h"

typedef struct vti_reconciler_t vti_reconciler_t;

/**
 * A scheduled job that runs every second: the protector reads the loaded
 * configs, the status file is written if anything changed, and at a fixed
 * interval the tunnel table reconciles itself with the kernel.
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
 * Schedule the job.
 *
 * @param tunnels		table to reconcile, must outlive destroy()
 * @param protector		protector to update, must outlive destroy()
 * @param status		status file writer, must outlive destroy()
 * @param interval		seconds between two reconciles, 0 for none
 * @return				reconciler
 */
vti_reconciler_t *vti_reconciler_create(vti_tunnels_t *tunnels,
										vti_protector_t *protector,
										vti_status_t *status,
										uint32_t interval);

#endif /** VTI_RECONCILER_H_ @}*/
