/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_hook_stats vti_hook_stats
 * @{ @ingroup vti
 */

#ifndef VTI_HOOK_STATS_H_
#define VTI_HOOK_STATS_H_

#include <library.h>

typedef struct vti_hook_stats_t vti_hook_stats_t;

/**
 * Durations of the plugin's bus hooks, which charon's bus lock is held
 * for: the latest ones are kept for their median and 99th percentile.
 * Thread-safe.
 */
struct vti_hook_stats_t {

	/**
	 * Start timing a hook.
	 *
	 * @return			a start time for stop()
	 */
	uint64_t (*start)(vti_hook_stats_t *this);

	/**
	 * Record the duration of a hook.
	 *
	 * @param start		what start() returned
	 */
	void (*stop)(vti_hook_stats_t *this, uint64_t start);

	/**
	 * Number of hooks timed.
	 *
	 * @return			hooks timed so far
	 */
	uint64_t (*get_count)(vti_hook_stats_t *this);

	/**
	 * Summarize: hooks timed, median, 99th percentile and maximum, in
	 * nanoseconds (the median and percentile of the latest hooks).
	 *
	 * @param count		receives the number of hooks timed
	 * @param median	receives the median
	 * @param p99		receives the 99th percentile
	 * @param max		receives the maximum
	 */
	void (*summarize)(vti_hook_stats_t *this, uint64_t *count,
					  uint64_t *median, uint64_t *p99, uint64_t *max);

	/**
	 * Free the object.
	 */
	void (*destroy)(vti_hook_stats_t *this);
};

/**
 * Create the hook statistics.
 *
 * @return				statistics
 */
vti_hook_stats_t *vti_hook_stats_create(void);

#endif /** VTI_HOOK_STATS_H_ @}*/
