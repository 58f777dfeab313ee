/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_worker vti_worker
 * @{ @ingroup vti
 */

#ifndef VTI_WORKER_H_
#define VTI_WORKER_H_

#include "vti_tunnels.h"

/**
 * Put a thread of the plugin's own between charon's bus and the tunnel
 * table: the SA events are copied into a queue and the hooks return at
 * once, while the worker hands them to the table, and so to the kernel, in
 * the order they came. charon's bus lock, held during every hook and every
 * IKE message, is no longer held for the kernel's work.
 *
 * The object implements the table's interface: the events queue, the
 * other calls (reconcile, reload, status, protection) reach the table
 * directly, as they come from threads that may wait. Destroying it first
 * gives the table every event still queued, then destroys the table.
 *
 * Before it hands an SA or a move to the table, the worker looks up the
 * interface that holds its local address (charon's address lock may have
 * to be waited for, which no hook should do).
 *
 * @param table			table to feed, owned by the worker from now on
 * @param get_interface	interface of a local address (allocated), NULL if
 *						not known
 * @return				the table's interface, queuing the events
 */
vti_tunnels_t *vti_worker_create(vti_tunnels_t *table,
								 char *(*get_interface)(host_t *local));

#endif /** VTI_WORKER_H_ @}*/
