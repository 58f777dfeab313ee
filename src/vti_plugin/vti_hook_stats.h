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
typedef struct vti_hook_start_t vti_hook_start_t;
typedef struct vti_hook_figures_t vti_hook_figures_t;
typedef struct vti_hook_summary_t vti_hook_summary_t;

/**
 * When a hook started, on both clocks.
 */
struct vti_hook_start_t {

	/** monotonic clock, nanoseconds */
	uint64_t wall;

	/** CPU time of the calling thread, nanoseconds */
	uint64_t cpu;

	/** context switches of the calling thread so far */
	uint64_t switches;

	/** involuntary context switches of the calling thread so far */
	uint64_t preemptions;
};

/**
 * Median, 99th percentile and maximum of durations, in nanoseconds.
 */
struct vti_hook_figures_t {

	/** median of the latest durations */
	uint64_t median;

	/** 99th percentile of the latest durations */
	uint64_t p99;

	/** longest duration of all */
	uint64_t max;
};

/**
 * Summary of the hooks timed.
 */
struct vti_hook_summary_t {

	/** number of hooks timed */
	uint64_t count;

	/** hooks whose thread was switched out meanwhile (it waited, or was
	 *  preempted) */
	uint64_t switched;

	/** hooks whose thread was preempted meanwhile (an involuntary switch;
	 *  they count as switched out too) */
	uint64_t preempted;

	/** time from entry to return (monotonic clock): includes waits for
	 *  locks and the kernel, and time the thread was not running */
	vti_hook_figures_t wall;

	/** CPU time the hook's thread used meanwhile (thread CPU clock): the
	 *  hook's own work, without waits and preemption, where the kernel
	 *  accounts CPU time finely (not so a kernel with tick-based
	 *  accounting, such as user-mode Linux: there it is 0 or a tick) */
	vti_hook_figures_t cpu;

	/** time from entry to return of the hooks whose thread was never
	 *  switched out meanwhile (monotonic clock): the hook's own time, on
	 *  any kernel */
	vti_hook_figures_t own;
};

/**
 * Durations of the plugin's bus hooks, which charon's bus lock is held
 * for, on a monotonic clock and on the thread's CPU clock, and whether the
 * thread was switched out meanwhile: the latest ones are kept for their
 * median and 99th percentile. Thread-safe.
 */
struct vti_hook_stats_t {

	/**
	 * Start timing a hook; stop() must follow in the same thread.
	 *
	 * @return			start times for stop()
	 */
	vti_hook_start_t (*start)(vti_hook_stats_t *this);

	/**
	 * Record the durations of a hook.
	 *
	 * @param start		what start() returned
	 */
	void (*stop)(vti_hook_stats_t *this, vti_hook_start_t start);

	/**
	 * Number of hooks timed.
	 *
	 * @return			hooks timed so far
	 */
	uint64_t (*get_count)(vti_hook_stats_t *this);

	/**
	 * Summarize the hooks timed on both clocks.
	 *
	 * @param summary	receives the count and the figures of both clocks
	 */
	void (*summarize)(vti_hook_stats_t *this, vti_hook_summary_t *summary);

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
