/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_routes.h"
#include "vti_ledger.h"
#include "vti_prefix.h"
#include "vti_route_netlink.h"

#include <collections/hashtable.h>
#include <netlink/route/addr.h>

typedef struct private_vti_routes_t private_vti_routes_t;
typedef struct device_t device_t;

/**
 * The addresses the plugin put on one device.
 */
struct device_t {

	/** interface name, hashtable key */
	char name[IFNAMSIZ];

	/** addresses, a list of prefixes (see vti_prefix_list_has()), NULL
	 *  if none */
	array_t *addresses;
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

	/** decides which routes and blackholes the kernel has */
	vti_ledger_t *ledger;

	/** puts them there */
	vti_route_sink_t *sink;

	/** leave the blackholes in the kernel at destroy */
	bool keep_blackholes;
};

/**
 * Add an address to a device, or remove it.
 */
static void change_address(private_vti_routes_t *this, vti_prefix_t *prefix,
						   int ifindex, char *name, bool add)
{
	host_t *host = prefix->get_address(prefix);
	chunk_t bytes = host->get_address(host);
	char str[VTI_PREFIX_STRLEN];
	struct rtnl_addr *addr;
	struct nl_addr *local;
	int err;

	local = nl_addr_build(prefix->get_family(prefix), bytes.ptr, bytes.len);
	if (!local)
	{
		return;
	}
	nl_addr_set_prefixlen(local, prefix->get_length(prefix));
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
		DBG1(DBG_KNL, "vti: %s: adding address %s failed: %s", name,
			 prefix->print(prefix, str, sizeof(str)), nl_geterror(err));
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
		INIT(device);
		snprintf(device->name, sizeof(device->name), "%s", name);
		this->devices->put(this->devices, device->name, device);
	}
	return device;
}

/**
 * Align the addresses of a device, as align_routes() does its routes.
 */
static void align_addresses(private_vti_routes_t *this, device_t *device,
							int ifindex, vti_link_spec_t *spec, bool came_up)
{
	enumerator_t *enumerator;
	array_t *wanted = spec->cfg->addresses;
	vti_prefix_t *prefix;

	enumerator = array_create_enumerator(device->addresses);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		if (!vti_prefix_list_has(wanted, prefix))
		{
			change_address(this, prefix, ifindex, device->name, FALSE);
			array_remove_at(device->addresses, enumerator);
			prefix->destroy(prefix);
		}
	}
	enumerator->destroy(enumerator);
	enumerator = array_create_enumerator(wanted);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		if (!vti_prefix_list_has(device->addresses, prefix))
		{
			array_insert_create(&device->addresses, ARRAY_TAIL,
								prefix->clone(prefix));
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
	this->ledger->apply(this->ledger, ifindex, spec, up, came_up);
}

/**
 * Free the record of a device.
 */
static void device_destroy(device_t *device)
{
	vti_prefix_list_destroy(device->addresses);
	free(device);
}

METHOD(vti_routes_t, withdraw, void,
	private_vti_routes_t *this, char *name)
{
	device_t *device = this->devices->remove(this->devices, name);

	if (device)
	{
		device_destroy(device);
	}
	this->ledger->withdraw(this->ledger, name);
}

METHOD(vti_routes_t, protect, void,
	private_vti_routes_t *this, char *holder, char *owner,
	linked_list_t *prefixes, uint32_t table, uint32_t metric)
{
	if (prefixes->get_count(prefixes))
	{
		this->ledger->protect(this->ledger, holder, owner, prefixes, table,
							  metric);
	}
	else
	{
		this->ledger->withdraw(this->ledger, holder);
	}
}

METHOD(vti_routes_t, sweep, void,
	private_vti_routes_t *this)
{
	this->ledger->sweep(this->ledger);
}

METHOD(vti_routes_t, check, void,
	private_vti_routes_t *this)
{
	this->ledger->check(this->ledger);
}

/**
 * Whether a route is a blackhole, for the sink's sweep.
 */
static bool is_blackhole(void *data, vti_route_t *route)
{
	return route->blackhole;
}

METHOD(vti_routes_t, destroy, void,
	private_vti_routes_t *this)
{
	enumerator_t *enumerator;
	device_t *device;

	enumerator = this->devices->create_enumerator(this->devices);
	while (enumerator->enumerate(enumerator, NULL, &device))
	{
		device_destroy(device);
	}
	enumerator->destroy(enumerator);
	this->devices->destroy(this->devices);
	this->ledger->destroy(this->ledger);
	this->sink->sweep(this->sink, this->keep_blackholes ? is_blackhole : NULL,
					  NULL);
	this->sink->destroy(this->sink);
	free(this);
}

/*
 * Described in header
 */
vti_routes_t *vti_routes_create(struct nl_sock *sock, bool keep_blackholes)
{
	private_vti_routes_t *this;

	INIT(this,
		.public = {
			.apply = _apply,
			.withdraw = _withdraw,
			.protect = _protect,
			.sweep = _sweep,
			.check = _check,
			.destroy = _destroy,
		},
		.sock = sock,
		.keep_blackholes = keep_blackholes,
		.devices = hashtable_create(hashtable_hash_str, hashtable_equals_str, 8),
		.sink = vti_route_netlink_create(sock),
	);
	this->ledger = vti_ledger_create(this->sink);
	return &this->public;
}
