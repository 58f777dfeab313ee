/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_compat vti_compat
 * @{ @ingroup vti
 */

#ifndef VTI_COMPAT_H_
#define VTI_COMPAT_H_

#include <config/child_cfg.h>

/**
 * The configured traffic selectors of one side of a child config, "dynamic"
 * narrowed to the given hosts. After 6.0.1 strongSwan's
 * get_traffic_selectors() lost its supplied and log arguments.
 *
 * @param cfg			child config
 * @param local			TRUE for the local side, FALSE for the remote one
 * @param hosts			addresses for "dynamic" (host_t), or NULL
 * @return				list of traffic_selector_t, to destroy
 */
static inline linked_list_t *vti_child_cfg_ts(child_cfg_t *cfg, bool local,
											  linked_list_t *hosts)
{
#ifdef HAVE_CHILD_CFG_T_SELECT_TRAFFIC_SELECTORS
	return cfg->get_traffic_selectors(cfg, local, hosts);
#else
	return cfg->get_traffic_selectors(cfg, local, NULL, hosts, FALSE);
#endif
}

#endif /** VTI_COMPAT_H_ @}*/
