/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_route_sink vti_route_sink
 * @{ @ingroup vti
 */

#ifndef VTI_ROUTE_SINK_H_
#define VTI_ROUTE_SINK_H_

#include <library.h>
#include <networking/host.h>

/** Routing protocol number that marks the routes the plugin installs */
#define VTI_RTPROT 165

typedef struct vti_route_t vti_route_t;
typedef struct vti_route_sink_t vti_route_sink_t;
typedef enum vti_route_status_t vti_route_status_t;

/**
 * One route of the plugin, through a device or a blackhole.
 *
 * The kernel keeps one route per family, table, prefix and metric; the
 * plugin's carry protocol VTI_RTPROT.
 */
struct vti_route_t {

	/** network address of the destination */
	host_t *net;

	/** prefix length of the destination */
	uint8_t prefixlen;

	/** routing table */
	uint32_t table;

	/** metric, as the kernel keeps it (for IPv6, 1024 instead of 0) */
	uint32_t metric;

	/** a fail-closed blackhole, not a route through a device */
	bool blackhole;

	/** device of a route through one, 0 for a blackhole */
	int ifindex;

	/** name of that device, NULL for a blackhole */
	char *dev;
};

/**
 * What became of a route to install.
 */
enum vti_route_status_t {
	/** the route is in the kernel */
	VTI_ROUTE_INSTALLED,
	/** a route the plugin did not install has its place */
	VTI_ROUTE_BLOCKED,
	/** the kernel refused the route for another reason */
	VTI_ROUTE_FAILED,
};

/**
 * Where the plugin's route decisions take effect: installs and removes
 * single routes, and never touches a route it did not install.
 */
struct vti_route_sink_t {

	/**
	 * Install a route. A route of the plugin's in its place (same family,
	 * table, prefix and metric; one of another device, or one an earlier
	 * run left) is replaced; a route of anyone else's stays, and this one
	 * is not installed.
	 *
	 * @param route		route to install
	 * @param why		receives, unless installed, the route in the way or
	 *					the kernel's error (allocated)
	 * @return			what became of the route
	 */
	vti_route_status_t (*install)(vti_route_sink_t *this, vti_route_t *route,
								  char **why);

	/**
	 * Remove a route of the plugin's with exactly these attributes; a
	 * route that is gone already is fine.
	 *
	 * @param route		route to remove
	 */
	void (*remove)(vti_route_sink_t *this, vti_route_t *route);

	/**
	 * Ask the kernel which route it picks for an address.
	 *
	 * @param dst		destination address
	 * @return			interface index of that route, 0 for a blackhole,
	 *					-1 if there is no route or the kernel could not be
	 *					asked
	 */
	int (*lookup)(vti_route_sink_t *this, host_t *dst);

	/**
	 * Find the most specific route of a table that is wider than a prefix
	 * and covers it.
	 *
	 * @param net		network address of the prefix
	 * @param prefixlen	its length
	 * @param table		routing table
	 * @return			interface index of that route, 0 if there is none
	 *					through a device, -1 if the kernel could not be asked
	 */
	int (*wider)(vti_route_sink_t *this, host_t *net, uint8_t prefixlen,
				 uint32_t table);

	/**
	 * Remove the routes of the plugin's in the kernel, also those an
	 * earlier run left, unless a filter keeps them.
	 *
	 * @param keep		whether to keep a route (its dev is NULL), NULL to
	 *					keep none
	 * @param data		passed to keep
	 */
	void (*sweep)(vti_route_sink_t *this,
				  bool (*keep)(void *data, vti_route_t *route), void *data);

	/**
	 * Free the sink; the kernel keeps its routes.
	 */
	void (*destroy)(vti_route_sink_t *this);
};

#endif /** VTI_ROUTE_SINK_H_ @}*/
