/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup mock_link mock_link
 * @{ @ingroup vti_tests
 */

#ifndef MOCK_LINK_H_
#define MOCK_LINK_H_

#include "vti_link.h"

typedef struct mock_link_t mock_link_t;

/**
 * Link driver that records what it is told, for unit tests.
 */
struct mock_link_t {

	/** implements the driver interface */
	vti_link_t link;

	/**
	 * Pop the oldest recorded call, e.g. "set vti15 up key 15 10.0.0.1
	 * 10.0.0.2 net/net 10.2.0.0/16" (routes last) or "remove vti15".
	 *
	 * @return			call as text (caller frees), NULL if none left
	 */
	char *(*next_call)(mock_link_t *this);

	/**
	 * Make set() fail for one interface name, as for a foreign device.
	 *
	 * @param name		interface name, NULL to fail for none
	 */
	void (*fail_for)(mock_link_t *this, char *name);

	/**
	 * Make set() report this result from now on (default
	 * VTI_LINK_UNCHANGED), as if the kernel's device had drifted.
	 *
	 * @param result	what set() returns when it does not fail
	 */
	void (*report)(mock_link_t *this, vti_link_result_t result);

	/**
	 * Put a device the table does not know in the way of one name: set()
	 * for that name says VTI_LINK_BLOCKED and find_occupant() gives this
	 * device, until discard() deletes it (if it is ours).
	 *
	 * @param name		interface name whose creation is blocked
	 * @param occupant	the device in the way; copied
	 */
	void (*block)(mock_link_t *this, char *name,
				  vti_link_occupant_t *occupant);
};

/**
 * Create a recording link driver.
 *
 * @return				driver
 */
mock_link_t *mock_link_create(void);

#endif /** MOCK_LINK_H_ @}*/
