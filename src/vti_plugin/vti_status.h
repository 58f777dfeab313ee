/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_status vti_status
 * @{ @ingroup vti
 */

#ifndef VTI_STATUS_H_
#define VTI_STATUS_H_

#include "vti_hook_stats.h"
#include "vti_tunnels.h"

/** Default path of the status file (Debian's AppArmor profile for charon
 *  lets it write /run/charon.*) */
#define VTI_STATUS_FILE "/run/charon.vti"

typedef struct vti_status_t vti_status_t;

/**
 * Writes what vti-status shows: one line per tunnel (name, key, state,
 * owner, SAs, up since, last change and why) and the hook durations.
 */
struct vti_status_t {

	/**
	 * Write the status file if anything changed since the last write (or
	 * always, if forced); the file is replaced atomically.
	 *
	 * @param force		write even if nothing changed
	 */
	void (*write)(vti_status_t *this, bool force);

	/**
	 * Free the object; the file stays.
	 */
	void (*destroy)(vti_status_t *this);
};

/**
 * Create the status writer.
 *
 * @param tunnels		table to describe
 * @param stats			hook durations to summarize
 * @param path			file to write
 * @return				writer
 */
vti_status_t *vti_status_create(vti_tunnels_t *tunnels,
								vti_hook_stats_t *stats, char *path);

#endif /** VTI_STATUS_H_ @}*/
