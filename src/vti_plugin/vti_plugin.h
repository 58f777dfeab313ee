/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti vti
 * @ingroup cplugins
 *
 * @defgroup vti_plugin vti_plugin
 * @{ @ingroup vti
 */

#ifndef VTI_PLUGIN_H_
#define VTI_PLUGIN_H_

#include <plugins/plugin.h>

typedef struct vti_plugin_t vti_plugin_t;

/**
 * Plugin giving every route-based tunnel (equal mark_in and mark_out) a
 * Linux VTI device whose state follows the tunnel's CHILD_SAs.
 */
struct vti_plugin_t {

	/**
	 * implements plugin interface
	 */
	plugin_t plugin;
};

#endif /** VTI_PLUGIN_H_ @}*/
