/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_prefixes vti_prefixes
 * @{ @ingroup vti
 *
 * Which prefixes may be routed into a VTI: the peer's traffic selectors as
 * far as the local config allows them, and never the tunnel's own outer
 * addresses.
 */

#ifndef VTI_PREFIXES_H_
#define VTI_PREFIXES_H_

#include "vti_prefix.h"

#include <collections/linked_list.h>

/**
 * The prefixes to route for the remote traffic selectors of a CHILD_SA.
 *
 * A negotiated selector counts only if it lies inside one of the configured
 * ones; it then gives the CIDR blocks that cover exactly its addresses (one
 * for a subnet, several for a range that is none). Protocols and ports are
 * not routing matters and are ignored. Each selector left out gets one log
 * line.
 *
 * @param negotiated	negotiated remote selectors, traffic_selector_t*
 * @param configured	remote selectors of the child config, dynamic ones
 *						resolved, traffic_selector_t*
 * @param name			"conn/child", for log lines
 * @return				list of prefixes (see vti_prefix_list_has()), each
 *						once, NULL if none
 */
array_t *vti_prefixes_from_selectors(linked_list_t *negotiated,
									 linked_list_t *configured, char *name);

/**
 * The prefixes that may be routed into a tunnel's device: those that cover
 * neither of its outer addresses, whose IKE and ESP packets must stay on
 * the underlay. Each prefix left out gets one log line; a default route
 * of the outer family gets its own.
 *
 * @param prefixes		list of prefixes, may be NULL
 * @param local			the tunnel's local outer address
 * @param remote		the tunnel's remote outer address
 * @param owner			"conn/child", for log lines
 * @param dev			device name, for log lines
 * @return				new list of copies of the prefixes kept, NULL if
 *						none
 */
array_t *vti_prefixes_spare_endpoints(array_t *prefixes, host_t *local,
									  host_t *remote, char *owner, char *dev);

/**
 * Add copies of the prefixes of one list to another, leaving out those it
 * has.
 *
 * @param into			list of prefixes to add to, made if NULL
 * @param from			list of prefixes to add from, may be NULL
 */
void vti_prefixes_merge(array_t **into, array_t *from);

#endif /** VTI_PREFIXES_H_ @}*/
