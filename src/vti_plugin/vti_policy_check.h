/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_policy_check vti_policy_check
 * @{ @ingroup vti
 */

#ifndef VTI_POLICY_CHECK_H_
#define VTI_POLICY_CHECK_H_

#include <sa/ike_sa.h>
#include <sa/child_sa.h>

/**
 * Check, in a job of charon's outside the bus hook, that charon installed
 * a CHILD_SA's outbound policies with the VTI key as their mark: traffic
 * routed into the VTI finds only those. One line names the first policy
 * missing. What the check needs is copied now; the kernel is asked later.
 *
 * @param ike_sa		IKE_SA of the CHILD_SA
 * @param child_sa		the installed CHILD_SA
 * @param key			its VTI key
 */
void vti_policy_check_queue(ike_sa_t *ike_sa, child_sa_t *child_sa,
							uint32_t key);

#endif /** VTI_POLICY_CHECK_H_ @}*/
