/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_ledger.h"
#include "vti_prefix.h"

#include <arpa/inet.h>
#include <collections/linked_list.h>

/** Routing table "main" */
#define TABLE_MAIN 254

/** Metric the kernel gives an IPv6 route added with metric 0 */
#define IP6_DEFAULT_METRIC 1024

typedef struct private_vti_ledger_t private_vti_ledger_t;
typedef struct device_t device_t;
typedef struct want_t want_t;
typedef struct claim_t claim_t;
typedef struct place_t place_t;

/**
 * A device that claims routes.
 */
struct device_t {

	/** interface name, or the name of a holder of blackholes */
	char *name;

	/** connection and child it serves, "conn/child" */
	char *owner;

	/** interface index, 0 for a holder of blackholes */
	int ifindex;

	/** the device is up */
	bool up;
};

/**
 * A route a device's spec asks for.
 */
struct want_t {

	/** network address */
	host_t *net;

	/** prefix length */
	uint8_t prefixlen;

	/** routing table */
	uint32_t table;

	/** metric, as the kernel keeps it */
	uint32_t metric;

	/** a blackhole, not a route through the device */
	bool blackhole;
};

/**
 * A device's claim on a place.
 */
struct claim_t {

	/** the claiming device */
	device_t *device;

	/** a blackhole, not a route through the device */
	bool blackhole;

	/** why its route did not go in has been logged */
	bool reported;

	/** that it waits for another device's route has been logged */
	bool noted;

	/** that the kernel sends the protected prefix elsewhere while its
	 *  tunnel is up has been logged */
	bool misrouted;
};

/**
 * A place in the kernel: family, table, prefix and metric, one route each.
 */
struct place_t {

	/** network address */
	host_t *net;

	/** prefix length */
	uint8_t prefixlen;

	/** routing table */
	uint32_t table;

	/** metric, as the kernel keeps it */
	uint32_t metric;

	/** claims on it, as claim_t*, oldest first */
	linked_list_t *claims;

	/** whether a route of ours is in the kernel here */
	bool installed;

	/** that route is a blackhole */
	bool installed_blackhole;

	/** device of that route, if it goes through one */
	int installed_ifindex;

	/** name of that device */
	char installed_dev[IFNAMSIZ];
};

/**
 * Private data of the route ledger.
 */
struct private_vti_ledger_t {

	/** public interface */
	vti_ledger_t public;

	/** where decisions take effect */
	vti_route_sink_t *sink;

	/** known devices, as device_t* */
	linked_list_t *devices;

	/** places claimed or holding a route of ours, as place_t* */
	linked_list_t *places;
};

/**
 * Name of a routing table, for log lines.
 */
static char *table_name(uint32_t table, char *buf, size_t len)
{
	if (table == TABLE_MAIN)
	{
		return "main";
	}
	snprintf(buf, len, "%u", table);
	return buf;
}

/**
 * Write the destination of a route, "NET/LEN".
 */
static char *prefix_of(vti_route_t *route, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	chunk_t bytes = route->net->get_address(route->net);

	inet_ntop(route->net->get_family(route->net), bytes.ptr, addr,
			  sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, route->prefixlen);
	return buf;
}

/**
 * Describe a route, as "route NET/LEN dev DEV table T metric M" or
 * "blackhole NET/LEN table T metric M".
 */
static char *describe(vti_route_t *route, char *buf, size_t len)
{
	char prefix[INET6_ADDRSTRLEN + 4], table[16];

	prefix_of(route, prefix, sizeof(prefix));
	if (route->blackhole)
	{
		snprintf(buf, len, "blackhole %s table %s metric %u", prefix,
				 table_name(route->table, table, sizeof(table)),
				 route->metric);
	}
	else
	{
		snprintf(buf, len, "route %s dev %s table %s metric %u", prefix,
				 route->dev, table_name(route->table, table, sizeof(table)),
				 route->metric);
	}
	return buf;
}

/**
 * Free a want.
 */
static void want_destroy(want_t *want)
{
	want->net->destroy(want->net);
	free(want);
}

/**
 * Whether two networks are the same address of the same family (host_t's
 * ip_equals() takes 0.0.0.0 and :: for equal).
 */
static bool same_net(host_t *a, host_t *b)
{
	return chunk_equals(a->get_address(a), b->get_address(b));
}

/**
 * Whether a want is for a place.
 */
static bool want_at(want_t *want, place_t *place)
{
	return want->prefixlen == place->prefixlen &&
		   want->table == place->table && want->metric == place->metric &&
		   same_net(want->net, place->net);
}

/**
 * Add a want to a list, unless the list has it already.
 */
static void add_want(linked_list_t *wants, host_t *net, uint8_t prefixlen,
					 uint32_t table, uint32_t metric, bool blackhole)
{
	enumerator_t *enumerator;
	want_t *want, *current;
	bool found = FALSE;

	if (!metric && net->get_family(net) == AF_INET6)
	{
		metric = IP6_DEFAULT_METRIC;
	}
	INIT(want,
		.net = net->clone(net),
		.prefixlen = prefixlen,
		.table = table,
		.metric = metric,
		.blackhole = blackhole,
	);
	enumerator = wants->create_enumerator(wants);
	while (!found && enumerator->enumerate(enumerator, &current))
	{
		found = current->blackhole == blackhole &&
				current->prefixlen == prefixlen && current->table == table &&
				current->metric == metric &&
				same_net(current->net, net);
	}
	enumerator->destroy(enumerator);
	if (found)
	{
		want_destroy(want);
		return;
	}
	wants->insert_last(wants, want);
}

/**
 * The routes and blackholes a device's spec asks for, as want_t*.
 */
static linked_list_t *wanted(vti_link_spec_t *spec, bool up)
{
	enumerator_t *enumerator;
	linked_list_t *wants;
	vti_prefix_t *prefix;
	uint8_t prefixlen;
	host_t *net;

	wants = linked_list_create();
	enumerator = array_create_enumerator(spec->routes);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		net = prefix->get_network(prefix);
		prefixlen = prefix->get_length(prefix);
		if (up)
		{
			add_want(wants, net, prefixlen, spec->cfg->table,
					 spec->cfg->metric, FALSE);
		}
		if (spec->cfg->fail_closed)
		{
			add_want(wants, net, prefixlen, spec->cfg->table,
					 spec->cfg->fail_closed_metric, TRUE);
		}
	}
	enumerator->destroy(enumerator);
	return wants;
}

/**
 * Whether a list of wants has one for a place and kind.
 */
static bool has_want(linked_list_t *wants, place_t *place, bool blackhole)
{
	enumerator_t *enumerator;
	want_t *want;
	bool found = FALSE;

	enumerator = wants->create_enumerator(wants);
	while (!found && enumerator->enumerate(enumerator, &want))
	{
		found = want->blackhole == blackhole && want_at(want, place);
	}
	enumerator->destroy(enumerator);
	return found;
}

/**
 * A device's claim of a kind on a place, NULL if none.
 */
static claim_t *find_claim(place_t *place, device_t *device, bool blackhole)
{
	enumerator_t *enumerator;
	claim_t *claim, *found = NULL;

	enumerator = place->claims->create_enumerator(place->claims);
	while (!found && enumerator->enumerate(enumerator, &claim))
	{
		if (claim->device == device && claim->blackhole == blackhole)
		{
			found = claim;
		}
	}
	enumerator->destroy(enumerator);
	return found;
}

/**
 * Drop the claims of a device that its wants no longer have.
 */
static void drop_claims(private_vti_ledger_t *this, device_t *device,
						linked_list_t *wants)
{
	enumerator_t *places, *claims;
	place_t *place;
	claim_t *claim;

	places = this->places->create_enumerator(this->places);
	while (places->enumerate(places, &place))
	{
		claims = place->claims->create_enumerator(place->claims);
		while (claims->enumerate(claims, &claim))
		{
			if (claim->device == device &&
				!has_want(wants, place, claim->blackhole))
			{
				place->claims->remove_at(place->claims, claims);
				free(claim);
			}
		}
		claims->destroy(claims);
	}
	places->destroy(places);
}

/**
 * The place a want is for, created if needed.
 */
static place_t *get_place(private_vti_ledger_t *this, want_t *want)
{
	enumerator_t *enumerator;
	place_t *place, *found = NULL;

	enumerator = this->places->create_enumerator(this->places);
	while (!found && enumerator->enumerate(enumerator, &place))
	{
		if (want_at(want, place))
		{
			found = place;
		}
	}
	enumerator->destroy(enumerator);
	if (!found)
	{
		INIT(found,
			.net = want->net->clone(want->net),
			.prefixlen = want->prefixlen,
			.table = want->table,
			.metric = want->metric,
			.claims = linked_list_create(),
		);
		this->places->insert_last(this->places, found);
	}
	return found;
}

/**
 * Add the claims of a device's wants it does not hold yet, after those of
 * other devices.
 */
static void add_claims(private_vti_ledger_t *this, device_t *device,
					   linked_list_t *wants)
{
	enumerator_t *enumerator;
	place_t *place;
	claim_t *claim;
	want_t *want;

	enumerator = wants->create_enumerator(wants);
	while (enumerator->enumerate(enumerator, &want))
	{
		place = get_place(this, want);
		if (!find_claim(place, device, want->blackhole))
		{
			INIT(claim,
				.device = device,
				.blackhole = want->blackhole,
			);
			place->claims->insert_last(place->claims, claim);
		}
	}
	enumerator->destroy(enumerator);
}

/**
 * The claim whose route a place should have: the oldest claim for a route
 * through a device, else the oldest for a blackhole; NULL if unclaimed.
 */
static claim_t *holder(place_t *place)
{
	enumerator_t *enumerator;
	claim_t *claim, *found = NULL;

	enumerator = place->claims->create_enumerator(place->claims);
	while (enumerator->enumerate(enumerator, &claim))
	{
		if (!claim->blackhole)
		{
			found = claim;
			break;
		}
		if (!found)
		{
			found = claim;
		}
	}
	enumerator->destroy(enumerator);
	return found;
}

/**
 * Whether the route of ours at a place is the one a claim asks for.
 */
static bool is_installed(place_t *place, claim_t *claim)
{
	if (!place->installed || place->installed_blackhole != claim->blackhole)
	{
		return FALSE;
	}
	return claim->blackhole ||
		   (place->installed_ifindex == claim->device->ifindex &&
			streq(place->installed_dev, claim->device->name));
}

/**
 * Whether the route of ours at a place is still claimed.
 */
static bool installed_claimed(place_t *place)
{
	enumerator_t *enumerator;
	claim_t *claim;
	bool found = FALSE;

	enumerator = place->claims->create_enumerator(place->claims);
	while (!found && enumerator->enumerate(enumerator, &claim))
	{
		found = is_installed(place, claim);
	}
	enumerator->destroy(enumerator);
	return found;
}

/**
 * The route of a kind at a place.
 */
static vti_route_t route_at(place_t *place, bool blackhole, int ifindex,
							char *dev)
{
	return (vti_route_t){
		.net = place->net,
		.prefixlen = place->prefixlen,
		.table = place->table,
		.metric = place->metric,
		.blackhole = blackhole,
		.ifindex = blackhole ? 0 : ifindex,
		.dev = blackhole ? NULL : dev,
	};
}

/**
 * Remove the route of ours at a place.
 */
static void uninstall(private_vti_ledger_t *this, place_t *place)
{
	vti_route_t route;

	route = route_at(place, place->installed_blackhole,
					 place->installed_ifindex, place->installed_dev);
	this->sink->remove(this->sink, &route);
	place->installed = FALSE;
}

/**
 * Log, once per claim, why its route did not go in.
 */
static void report(claim_t *claim, vti_route_t *route,
				   vti_route_status_t status, char *why)
{
	char desc[128], table[16];

	if (claim->reported)
	{
		return;
	}
	claim->reported = TRUE;
	describe(route, desc, sizeof(desc));
	if (status == VTI_ROUTE_BLOCKED)
	{
		DBG1(DBG_KNL, "vti: %s (%s) does not install %s: '%s', which "
			 "strongswan-vti did not install, is in its place; delete that "
			 "route or choose another %s (the plugin tries again when the "
			 "tunnel next changes)", claim->device->name, claim->device->owner,
			 desc, why, claim->blackhole ? "fail_closed_metric" : "metric");
	}
	else
	{
		DBG1(DBG_KNL, "vti: %s (%s): installing %s failed: %s; check 'ip "
			 "route show table %s'", claim->device->name, claim->device->owner,
			 desc, why, table_name(route->table, table, sizeof(table)));
	}
}

/**
 * Put a claim's route into a place; ours there is replaced. If it does not
 * go in, the route of ours there stays only if another claim has it.
 */
static void install(private_vti_ledger_t *this, place_t *place,
					claim_t *claim)
{
	vti_route_status_t status;
	vti_route_t route;
	char *why = NULL;

	route = route_at(place, claim->blackhole, claim->device->ifindex,
					 claim->device->name);
	status = this->sink->install(this->sink, &route, &why);
	if (status == VTI_ROUTE_INSTALLED)
	{
		place->installed = TRUE;
		place->installed_blackhole = claim->blackhole;
		place->installed_ifindex = route.ifindex;
		snprintf(place->installed_dev, sizeof(place->installed_dev), "%s",
				 claim->blackhole ? "" : claim->device->name);
		claim->reported = FALSE;
	}
	else
	{
		report(claim, &route, status, why ?: "unknown");
		if (place->installed && !installed_claimed(place))
		{
			uninstall(this, place);
		}
	}
	free(why);
}

/**
 * Log, once per claim, the routes through devices that wait for the
 * device whose route has their place.
 */
static void note_waiting(place_t *place, claim_t *holder)
{
	enumerator_t *enumerator;
	claim_t *claim;
	vti_route_t route;
	char desc[128];

	if (holder->blackhole || !is_installed(place, holder))
	{
		return;
	}
	enumerator = place->claims->create_enumerator(place->claims);
	while (enumerator->enumerate(enumerator, &claim))
	{
		if (claim != holder && !claim->blackhole && !claim->noted)
		{
			claim->noted = TRUE;
			route = route_at(place, FALSE, claim->device->ifindex,
							 claim->device->name);
			DBG2(DBG_KNL, "vti: %s (%s) waits with %s: %s (%s) has its "
				 "place, and %s takes it when %s no longer routes it",
				 claim->device->name, claim->device->owner,
				 describe(&route, desc, sizeof(desc)), holder->device->name,
				 holder->device->owner, claim->device->name,
				 holder->device->name);
		}
	}
	enumerator->destroy(enumerator);
}

/**
 * Free a place.
 */
static void place_destroy(place_t *place)
{
	place->claims->destroy_function(place->claims, free);
	place->net->destroy(place->net);
	free(place);
}

/**
 * Make the kernel's routes follow the claims: first remove the routes no
 * claim has (the kernel reads metric 0 in a removal as any metric, so no
 * new route of a device may meet the removal of its old one), then install
 * what is claimed and not in, and forget the places nobody needs.
 */
static void align(private_vti_ledger_t *this)
{
	enumerator_t *enumerator;
	place_t *place;
	claim_t *claim;

	enumerator = this->places->create_enumerator(this->places);
	while (enumerator->enumerate(enumerator, &place))
	{
		if (place->installed && !holder(place))
		{
			uninstall(this, place);
		}
	}
	enumerator->destroy(enumerator);
	enumerator = this->places->create_enumerator(this->places);
	while (enumerator->enumerate(enumerator, &place))
	{
		claim = holder(place);
		if (claim && !is_installed(place, claim))
		{
			install(this, place, claim);
		}
		if (claim)
		{
			note_waiting(place, claim);
		}
		else if (!place->installed)
		{
			this->places->remove_at(this->places, enumerator);
			place_destroy(place);
		}
	}
	enumerator->destroy(enumerator);
}

/**
 * The record of a device, created if needed.
 */
static device_t *get_device(private_vti_ledger_t *this, char *name)
{
	enumerator_t *enumerator;
	device_t *device, *found = NULL;

	enumerator = this->devices->create_enumerator(this->devices);
	while (!found && enumerator->enumerate(enumerator, &device))
	{
		if (streq(device->name, name))
		{
			found = device;
		}
	}
	enumerator->destroy(enumerator);
	if (!found)
	{
		INIT(found,
			.name = strdup(name),
		);
		this->devices->insert_last(this->devices, found);
	}
	return found;
}

/**
 * Forget the routes through a device the kernel dropped when it went down.
 */
static void forget_dropped(private_vti_ledger_t *this, device_t *device)
{
	enumerator_t *enumerator;
	place_t *place;

	enumerator = this->places->create_enumerator(this->places);
	while (enumerator->enumerate(enumerator, &place))
	{
		if (place->installed && !place->installed_blackhole &&
			streq(place->installed_dev, device->name))
		{
			place->installed = FALSE;
		}
	}
	enumerator->destroy(enumerator);
}

/**
 * Align the claims of a device or holder with a spec.
 */
static void claim_as(private_vti_ledger_t *this, char *name, int ifindex,
					 vti_link_spec_t *spec, bool up, bool came_up)
{
	linked_list_t *wants;
	device_t *device;

	device = get_device(this, name);
	free(device->owner);
	device->owner = strdup(spec->owner ?: "?");
	device->ifindex = ifindex;
	device->up = up;
	if (came_up)
	{
		forget_dropped(this, device);
	}
	wants = wanted(spec, up);
	drop_claims(this, device, wants);
	add_claims(this, device, wants);
	wants->destroy_function(wants, (void*)want_destroy);
	align(this);
}

METHOD(vti_ledger_t, apply, void,
	private_vti_ledger_t *this, int ifindex, vti_link_spec_t *spec, bool up,
	bool came_up)
{
	claim_as(this, spec->cfg->name, ifindex, spec, up, came_up);
}

METHOD(vti_ledger_t, protect, void,
	private_vti_ledger_t *this, char *holder, char *owner,
	linked_list_t *prefixes, uint32_t table, uint32_t metric)
{
	vti_config_t cfg = {
		.table = table,
		.fail_closed = TRUE,
		.fail_closed_metric = metric,
	};
	vti_link_spec_t spec = {
		.owner = owner,
		.cfg = &cfg,
	};
	enumerator_t *enumerator;
	vti_prefix_t *prefix;

	/* the spec borrows the prefixes */
	enumerator = prefixes->create_enumerator(prefixes);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		array_insert_create(&spec.routes, ARRAY_TAIL, prefix);
	}
	enumerator->destroy(enumerator);
	snprintf(cfg.name, sizeof(cfg.name), "-");
	claim_as(this, holder, 0, &spec, FALSE, FALSE);
	array_destroy(spec.routes);
}

/**
 * Whether a route of ours in the kernel is where the ledger has one.
 */
static bool is_known(private_vti_ledger_t *this, vti_route_t *route)
{
	enumerator_t *enumerator;
	place_t *place;
	bool found = FALSE;

	enumerator = this->places->create_enumerator(this->places);
	while (!found && enumerator->enumerate(enumerator, &place))
	{
		found = place->installed &&
				place->installed_blackhole == route->blackhole &&
				place->prefixlen == route->prefixlen &&
				place->table == route->table &&
				place->metric == route->metric &&
				same_net(place->net, route->net);
	}
	enumerator->destroy(enumerator);
	return found;
}

/**
 * An up device serving the connection and child a holder protects, NULL if
 * none is up.
 */
static device_t *up_device_of(private_vti_ledger_t *this, device_t *holder)
{
	enumerator_t *enumerator;
	device_t *device, *found = NULL;

	enumerator = this->devices->create_enumerator(this->devices);
	while (!found && enumerator->enumerate(enumerator, &device))
	{
		if (device->ifindex && device->up &&
			streq(device->owner, holder->owner))
		{
			found = device;
		}
	}
	enumerator->destroy(enumerator);
	return found;
}

/**
 * The device of ours with an interface index, NULL if none.
 */
static device_t *device_by_index(private_vti_ledger_t *this, int ifindex)
{
	enumerator_t *enumerator;
	device_t *device, *found = NULL;

	enumerator = this->devices->create_enumerator(this->devices);
	while (!found && enumerator->enumerate(enumerator, &device))
	{
		if (ifindex > 0 && device->ifindex == ifindex)
		{
			found = device;
		}
	}
	enumerator->destroy(enumerator);
	return found;
}

/**
 * Check where the kernel sends a protected prefix whose tunnel is up: into
 * its blackhole, while a wider route through one of our devices would
 * carry it, means the protection is narrower than the routing daemon's
 * route and takes traffic the tunnel could carry.
 */
static void check_claim(private_vti_ledger_t *this, place_t *place,
						claim_t *claim)
{
	char prefix[INET6_ADDRSTRLEN + 4];
	vti_route_t route = { .net = place->net, .prefixlen = place->prefixlen };
	device_t *device, *carrier;
	int ifindex;

	device = up_device_of(this, claim->device);
	ifindex = device ? this->sink->lookup(this->sink, place->net) : -1;
	if (ifindex != 0)
	{	/* not in the blackhole (or not known): nothing is lost */
		claim->misrouted = claim->misrouted && ifindex < 0;
		return;
	}
	/* in the blackhole: a mistake only if a wider route through one of our
	 * devices would carry it (the daemon's route is not there yet, else) */
	carrier = device_by_index(this, this->sink->wider(this->sink,
								place->net, place->prefixlen, place->table));
	if (!carrier)
	{
		return;
	}
	if (!claim->misrouted)
	{
		DBG1(DBG_KNL, "vti: %s: protected prefix %s has no route through "
			 "%s or another VTI while the tunnel is up: its blackhole takes "
			 "the traffic that the wider route through %s would carry; "
			 "protect the prefixes your routing daemon announces "
			 "(charon.plugins.vti.protect), not narrower ones",
			 claim->device->owner, prefix_of(&route, prefix, sizeof(prefix)),
			 device->name, carrier->name);
		claim->misrouted = TRUE;
	}
}

METHOD(vti_ledger_t, check, void,
	private_vti_ledger_t *this)
{
	enumerator_t *places, *claims;
	place_t *place;
	claim_t *claim;

	places = this->places->create_enumerator(this->places);
	while (places->enumerate(places, &place))
	{
		claims = place->claims->create_enumerator(place->claims);
		while (claims->enumerate(claims, &claim))
		{
			if (claim->blackhole && !claim->device->ifindex)
			{
				check_claim(this, place, claim);
			}
		}
		claims->destroy(claims);
	}
	places->destroy(places);
}

METHOD(vti_ledger_t, sweep, void,
	private_vti_ledger_t *this)
{
	this->sink->sweep(this->sink, (void*)is_known, this);
}

/**
 * Free a device record.
 */
static void device_destroy(device_t *device)
{
	free(device->owner);
	free(device->name);
	free(device);
}

METHOD(vti_ledger_t, withdraw, void,
	private_vti_ledger_t *this, char *name)
{
	enumerator_t *enumerator;
	linked_list_t *none;
	device_t *device;

	enumerator = this->devices->create_enumerator(this->devices);
	while (enumerator->enumerate(enumerator, &device))
	{
		if (streq(device->name, name))
		{
			this->devices->remove_at(this->devices, enumerator);
			none = linked_list_create();
			drop_claims(this, device, none);
			none->destroy(none);
			align(this);
			device_destroy(device);
			break;
		}
	}
	enumerator->destroy(enumerator);
}

METHOD(vti_ledger_t, destroy, void,
	private_vti_ledger_t *this)
{
	this->places->destroy_function(this->places, (void*)place_destroy);
	this->devices->destroy_function(this->devices, (void*)device_destroy);
	free(this);
}

/*
 * Described in header
 */
vti_ledger_t *vti_ledger_create(vti_route_sink_t *sink)
{
	private_vti_ledger_t *this;

	INIT(this,
		.public = {
			.apply = _apply,
			.protect = _protect,
			.withdraw = _withdraw,
			.sweep = _sweep,
			.check = _check,
			.destroy = _destroy,
		},
		.sink = sink,
		.devices = linked_list_create(),
		.places = linked_list_create(),
	);
	return &this->public;
}
