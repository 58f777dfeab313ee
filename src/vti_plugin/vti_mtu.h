/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_mtu vti_mtu
 * @{ @ingroup vti
 */

#ifndef VTI_MTU_H_
#define VTI_MTU_H_

#include <library.h>
#include <crypto/proposal/proposal.h>

typedef struct vti_overhead_t vti_overhead_t;

/**
 * Worst-case cost of carrying an inner packet in ESP.
 */
struct vti_overhead_t {

	/** bytes added whatever the inner size: outer IP, UDP, ESP header,
	 *  IV, ICV, and the two-byte ESP trailer */
	uint32_t fixed;

	/** the encrypted part (inner packet plus trailer) is padded to this */
	uint32_t block;
};

/**
 * Overhead of the algorithms an ESP proposal negotiated.
 *
 * @param proposal		negotiated ESP proposal, NULL for the worst case
 * @param ipv6			TRUE for an IPv6 outer header
 * @param encap			TRUE if ESP is UDP-encapsulated (NAT-T)
 * @return				overhead
 */
vti_overhead_t vti_mtu_overhead(proposal_t *proposal, bool ipv6, bool encap);

/**
 * The largest inner packet whose ESP packet fits an underlay MTU.
 *
 * @param underlay		MTU of the interface the ESP packets leave by
 * @param overhead		overhead of the SA's algorithms
 * @return				VTI MTU, at least 68
 */
uint32_t vti_mtu_inner(uint32_t underlay, vti_overhead_t overhead);

#endif /** VTI_MTU_H_ @}*/
