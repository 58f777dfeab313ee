/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup mock_sink mock_sink
 * @{ @ingroup vti_tests
 */

#ifndef MOCK_SINK_H_
#define MOCK_SINK_H_

#include "vti_route_sink.h"

typedef struct mock_sink_t mock_sink_t;

/**
 * Route sink that records what it is told and keeps a model of the
 * kernel's places (one route per family, table, prefix and metric), for
 * unit tests.
 *
 * Routes are written "10.2.0.0/16 dev vti15 (5) table 254 metric 100"
 * (device name and ifindex) or "blackhole 10.2.0.0/16 table 254 metric
 * 4294967295"; places "10.2.0.0/16 table 254 metric 100".
 */
struct mock_sink_t {

	/** implements the sink interface */
	vti_route_sink_t sink;

	/**
	 * Pop the oldest recorded call: "install ROUTE", "remove ROUTE" or
	 * "flush".
	 *
	 * @return			call as text (caller frees), NULL if none left
	 */
	char *(*next_call)(mock_sink_t *this);

	/**
	 * Put someone else's route into a place, or take it out.
	 *
	 * @param place		place
	 * @param route		how that route reads, NULL to take it out
	 */
	void (*foreign)(mock_sink_t *this, char *place, char *route);

	/**
	 * Make the kernel refuse installs into a place.
	 *
	 * @param place		place
	 * @param error		the kernel's error, NULL to let them pass again
	 */
	void (*refuse)(mock_sink_t *this, char *place, char *error);

	/**
	 * Drop the routes through a device, as the kernel does when it goes
	 * down.
	 *
	 * @param dev		device name
	 */
	void (*drop)(mock_sink_t *this, char *dev);

	/**
	 * What the model kernel holds, place by place in the order they were
	 * filled: our routes as written above, others as "foreign ROUTE",
	 * separated by "; ".
	 *
	 * @return			text (caller frees), "" if nothing
	 */
	char *(*kernel)(mock_sink_t *this);

	/**
	 * Make lookup() answer an interface index (0 for a blackhole, -1 for
	 * no answer).
	 *
	 * @param ifindex	what the kernel's route lookup picks
	 */
	void (*pick)(mock_sink_t *this, int ifindex);
};

/**
 * Create a recording route sink.
 *
 * @return				sink
 */
mock_sink_t *mock_sink_create(void);

#endif /** MOCK_SINK_H_ @}*/
