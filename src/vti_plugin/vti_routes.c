/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_routes.h"

#include <collections/hashtable.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>

typedef struct private_vti_routes_t private_vti_routes_t;
typedef struct route_t route_t;
typedef struct device_t device_t;

/**
 * A route the plugin installed.
 */
struct route_t {

	/** destination, "NET/LEN" */
	char *prefix;

	/** routing table */
	uint32_t table;

	/** metric */
	uint32_t metric;

	/** a fail-closed blackhole, not a route through the device */
	bool blackhole;
};

/**
 * What the plugin put on one device.
 */
struct device_t {

	/** interface name, hashtable key */
	char name[IFNAMSIZ];

	/** addresses, "ADDR/LEN" strings */
	linked_list_t *addresses;

	/** routes through the device and blackholes, as route_t* */
	linked_list_t *routes;
};

/**
 * Private data of the address and route manager.
 */
struct private_vti_routes_t {

	/** public interface */
	vti_routes_t public;

	/** rtnetlink socket of the link driver */
	struct nl_sock *sock;

	/** devices by name, as device_t* */
	hashtable_t *devices;
};

/**
 * Free a route.
 */
static void route_destroy(route_t *route)
{
	free(route->prefix);
	free(route);
}

/**
 * Whether two routes are the same.
 */
static bool route_equals(route_t *a, route_t *b)
{
	return streq(a->prefix, b->prefix) && a->table == b->table &&
		   a->metric == b->metric && a->blackhole == b->blackhole;
}

/**
 * Whether a list holds a route.
 */
static bool has_route(linked_list_t *list, route_t *route)
{
	enumerator_t *enumerator;
	route_t *current;
	bool found = FALSE;

	enumerator = list->create_enumerator(list);
	while (!found && enumerator->enumerate(enumerator, &current))
	{
		found = route_equals(current, route);
	}
	enumerator->destroy(enumerator);
	return found;
}

/**
 * Build a libnl route; NULL if the prefix does not parse.
 */
static struct rtnl_route *build_route(route_t *route, int ifindex)
{
	struct rtnl_route *rt;
	struct rtnl_nexthop *nh;
	struct nl_addr *dst;

	if (nl_addr_parse(route->prefix, AF_UNSPEC, &dst) < 0)
	{
		return NULL;
	}
	rt = rtnl_route_alloc();
	rtnl_route_set_family(rt, nl_addr_get_family(dst));
	rtnl_route_set_dst(rt, dst);
	nl_addr_put(dst);
	rtnl_route_set_table(rt, route->table);
	rtnl_route_set_priority(rt, route->metric);
	rtnl_route_set_protocol(rt, VTI_RTPROT);
	if (route->blackhole)
	{
		rtnl_route_set_type(rt, RTN_BLACKHOLE);
		rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
	}
	else
	{
		rtnl_route_set_scope(rt, RT_SCOPE_LINK);
		nh = rtnl_route_nh_alloc();
		rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_add_nexthop(rt, nh);
	}
	return rt;
}

/**
 * Install or remove a route; a route already there (or gone) is fine.
 */
static void change_route(private_vti_routes_t *this, route_t *route,
						 int ifindex, char *name, bool add)
{
	struct rtnl_route *rt;
	int err;

	rt = build_route(route, ifindex);
	if (!rt)
	{
		return;
	}
	err = add ? rtnl_route_add(this->sock, rt, NLM_F_CREATE | NLM_F_REPLACE)
			  : rtnl_route_delete(this->sock, rt, 0);
	rtnl_route_put(rt);
	if (err < 0 && add)
	{
		DBG1(DBG_KNL, "vti: %s: installing %sroute %s table %u metric %u "
			 "failed: %s; check 'ip route show table %u'", name,
			 route->blackhole ? "blackhole " : "", route->prefix,
			 route->table, route->metric, nl_geterror(err), route->table);
	}
}

/**
 * Add an address to a device, or remove it.
 */
static void change_address(private_vti_routes_t *this, char *prefix,
						   int ifindex, char *name, bool add)
{
	struct rtnl_addr *addr;
	struct nl_addr *local;
	int err;

	if (nl_addr_parse(prefix, AF_UNSPEC, &local) < 0)
	{
		return;
	}
	addr = rtnl_addr_alloc();
	rtnl_addr_set_ifindex(addr, ifindex);
	rtnl_addr_set_family(addr, nl_addr_get_family(local));
	rtnl_addr_set_local(addr, local);
	rtnl_addr_set_flags(addr, IFA_F_NODAD);
	nl_addr_put(local);
	err = add ? rtnl_addr_add(this->sock, addr, NLM_F_CREATE | NLM_F_REPLACE)
			  : rtnl_addr_delete(this->sock, addr, 0);
	rtnl_addr_put(addr);
	if (err < 0 && add)
	{
		DBG1(DBG_KNL, "vti: %s: adding address %s failed: %s", name, prefix,
			 nl_geterror(err));
	}
}

/**
 * The record of a device, created if needed.
 */
static device_t *get_device(private_vti_routes_t *this, char *name)
{
	device_t *device;

	device = this->devices->get(this->devices, name);
	if (!device)
	{
		INIT(device,
			.addresses = linked_list_create(),
			.routes = linked_list_create(),
		);
		snprintf(device->name, sizeof(device->name), "%s", name);
		this->devices->put(this->devices, device->name, device);
	}
	return device;
}

/**
 * Routes a spec asks for, with the device up or not.
 */
static linked_list_t *wanted_routes(vti_link_spec_t *spec, bool up)
{
	enumerator_t *enumerator;
	linked_list_t *wanted;
	route_t *route;
	char *prefix;
	int i;

	wanted = linked_list_create();
	enumerator = spec->routes->create_enumerator(spec->routes);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		for (i = 0; i < 2; i++)
		{
			if ((i == 0 && !up) || (i == 1 && !spec->cfg->fail_closed))
			{
				continue;
			}
			INIT(route,
				.prefix = strdup(prefix),
				.table = spec->cfg->table,
				.metric = i ? spec->cfg->fail_closed_metric
							: spec->cfg->metric,
				.blackhole = i == 1,
			);
			wanted->insert_last(wanted, route);
		}
	}
	enumerator->destroy(enumerator);
	return wanted;
}

/**
 * Align the routes of a device: remove what is no longer wanted, add what
 * is missing (all of it again if the device just came up).
 */
static void align_routes(private_vti_routes_t *this, device_t *device,
						 int ifindex, vti_link_spec_t *spec, bool up,
						 bool came_up)
{
	enumerator_t *enumerator;
	linked_list_t *wanted;
	route_t *route;

	wanted = wanted_routes(spec, up);
	enumerator = device->routes->create_enumerator(device->routes);
	while (enumerator->enumerate(enumerator, &route))
	{
		if (!has_route(wanted, route))
		{
			change_route(this, route, ifindex, device->name, FALSE);
		}
	}
	enumerator->destroy(enumerator);
	enumerator = wanted->create_enumerator(wanted);
	while (enumerator->enumerate(enumerator, &route))
	{
		if (came_up || !has_route(device->routes, route))
		{
			change_route(this, route, ifindex, device->name, TRUE);
		}
	}
	enumerator->destroy(enumerator);
	device->routes->destroy_function(device->routes, (void*)route_destroy);
	device->routes = wanted;
}

/**
 * Whether a list of strings holds one.
 */
static bool has_string(linked_list_t *list, char *str)
{
	return list->find_first(list, linked_list_match_str, NULL, str);
}

/**
 * Align the addresses of a device, as align_routes() does its routes.
 */
static void align_addresses(private_vti_routes_t *this, device_t *device,
							int ifindex, vti_link_spec_t *spec, bool came_up)
{
	enumerator_t *enumerator;
	linked_list_t *wanted = spec->cfg->addresses;
	char *prefix;

	enumerator = device->addresses->create_enumerator(device->addresses);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		if (!has_string(wanted, prefix))
		{
			change_address(this, prefix, ifindex, device->name, FALSE);
			device->addresses->remove_at(device->addresses, enumerator);
			free(prefix);
		}
	}
	enumerator->destroy(enumerator);
	enumerator = wanted->create_enumerator(wanted);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		if (!has_string(device->addresses, prefix))
		{
			device->addresses->insert_last(device->addresses, strdup(prefix));
			change_address(this, prefix, ifindex, device->name, TRUE);
		}
		else if (came_up)
		{
			change_address(this, prefix, ifindex, device->name, TRUE);
		}
	}
	enumerator->destroy(enumerator);
}

METHOD(vti_routes_t, apply, void,
	private_vti_routes_t *this, int ifindex, vti_link_spec_t *spec, bool up,
	bool came_up)
{
	device_t *device = get_device(this, spec->cfg->name);

	align_addresses(this, device, ifindex, spec, came_up);
	align_routes(this, device, ifindex, spec, up, came_up);
}

/**
 * Withdraw the blackholes of a device record and free it.
 */
static void device_destroy(private_vti_routes_t *this, device_t *device)
{
	enumerator_t *enumerator;
	route_t *route;

	enumerator = device->routes->create_enumerator(device->routes);
	while (enumerator->enumerate(enumerator, &route))
	{
		if (route->blackhole)
		{
			change_route(this, route, 0, device->name, FALSE);
		}
	}
	enumerator->destroy(enumerator);
	device->routes->destroy_function(device->routes, (void*)route_destroy);
	device->addresses->destroy_function(device->addresses, free);
	free(device);
}

METHOD(vti_routes_t, withdraw, void,
	private_vti_routes_t *this, char *name)
{
	device_t *device = this->devices->remove(this->devices, name);

	if (device)
	{
		device_destroy(this, device);
	}
}

/**
 * Delete every route marked as ours, whoever's run installed it.
 */
static void flush_ours(private_vti_routes_t *this)
{
	struct nl_cache *cache;
	struct nl_object *obj;
	struct rtnl_route *rt;

	if (rtnl_route_alloc_cache(this->sock, AF_UNSPEC, 0, &cache) < 0)
	{
		return;
	}
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj))
	{
		rt = (struct rtnl_route*)obj;
		if (rtnl_route_get_protocol(rt) == VTI_RTPROT)
		{
			rtnl_route_delete(this->sock, rt, 0);
		}
	}
	nl_cache_free(cache);
}

METHOD(vti_routes_t, destroy, void,
	private_vti_routes_t *this)
{
	enumerator_t *enumerator;
	device_t *device;

	enumerator = this->devices->create_enumerator(this->devices);
	while (enumerator->enumerate(enumerator, NULL, &device))
	{
		device_destroy(this, device);
	}
	enumerator->destroy(enumerator);
	this->devices->destroy(this->devices);
	flush_ours(this);
	free(this);
}

/*
 * Described in header
 */
vti_routes_t *vti_routes_create(struct nl_sock *sock)
{
	private_vti_routes_t *this;

	INIT(this,
		.public = {
			.apply = _apply,
			.withdraw = _withdraw,
			.destroy = _destroy,
		},
		.sock = sock,
		.devices = hashtable_create(hashtable_hash_str, hashtable_equals_str, 8),
	);
	return &this->public;
}
