/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_netlink vti_netlink
 * @{ @ingroup vti
 */

#ifndef VTI_NETLINK_H_
#define VTI_NETLINK_H_

#include "vti_link.h"

/**
 * Create the link driver that speaks rtnetlink through libnl-route-3.
 *
 * Devices of ours left by an earlier run are set down at once.
 *
 * @param keep_devices	at destroy, set our devices down instead of deleting
 * @param keep_protection	at destroy, keep the blackholes and set our devices
 *						down, so that no tunnel's traffic leaks while charon
 *						is not running
 * @return				driver, NULL if no rtnetlink socket could be had
 */
vti_link_t *vti_netlink_create(bool keep_devices, bool keep_protection);

#endif /** VTI_NETLINK_H_ @}*/
