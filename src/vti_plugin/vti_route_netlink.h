/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_route_netlink vti_route_netlink
 * @{ @ingroup vti
 */

#ifndef VTI_ROUTE_NETLINK_H_
#define VTI_ROUTE_NETLINK_H_

#include "vti_route_sink.h"

#include <netlink/netlink.h>

/**
 * Create the route sink that speaks rtnetlink: adds routes exclusively,
 * replaces only routes with protocol VTI_RTPROT, and deletes with the
 * protocol and every attribute of the route.
 *
 * @param sock			rtnetlink socket, shared with the link driver
 * @return				route sink
 */
vti_route_sink_t *vti_route_netlink_create(struct nl_sock *sock);

#endif /** VTI_ROUTE_NETLINK_H_ @}*/
