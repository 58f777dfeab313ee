/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_route_netlink.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netlink/route/route.h>
#include <netlink/route/rtnl.h>

typedef struct private_vti_route_netlink_t private_vti_route_netlink_t;
typedef enum place_state_t place_state_t;

/**
 * Private data of the rtnetlink route sink.
 */
struct private_vti_route_netlink_t {

	/** public interface */
	vti_route_sink_t public;

	/** rtnetlink socket of the link driver */
	struct nl_sock *sock;
};

/**
 * What holds the place of a route in the kernel.
 */
enum place_state_t {
	/** nothing */
	PLACE_FREE,
	/** routes of ours only */
	PLACE_OURS,
	/** a route of someone else's */
	PLACE_TAKEN,
	/** the kernel's routes could not be read */
	PLACE_UNKNOWN,
};

/**
 * Build the libnl route of one of ours; NULL if out of memory.
 */
static struct rtnl_route *build_route(vti_route_t *route)
{
	chunk_t addr = route->net->get_address(route->net);
	struct rtnl_nexthop *nh;
	struct rtnl_route *rt;
	struct nl_addr *dst;

	dst = nl_addr_build(route->net->get_family(route->net), addr.ptr,
						addr.len);
	rt = rtnl_route_alloc();
	if (!dst || !rt)
	{
		nl_addr_put(dst);
		rtnl_route_put(rt);
		return NULL;
	}
	nl_addr_set_prefixlen(dst, route->prefixlen);
	rtnl_route_set_family(rt, route->net->get_family(route->net));
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
		rtnl_route_set_type(rt, RTN_UNICAST);
		rtnl_route_set_scope(rt, RT_SCOPE_LINK);
		nh = rtnl_route_nh_alloc();
		rtnl_route_nh_set_ifindex(nh, route->ifindex);
		rtnl_route_add_nexthop(rt, nh);
	}
	return rt;
}

/**
 * Whether a route of the kernel's has the place of one of ours.
 */
static bool same_place(struct rtnl_route *rt, vti_route_t *route,
					   struct nl_addr *dst)
{
	struct nl_addr *other = rtnl_route_get_dst(rt);

	return other && rtnl_route_get_table(rt) == route->table &&
		   rtnl_route_get_priority(rt) == route->metric &&
		   rtnl_route_get_tos(rt) == 0 &&
		   nl_addr_get_prefixlen(other) == route->prefixlen &&
		   nl_addr_cmp_prefix(other, dst) == 0;
}

/**
 * Describe a route of someone else's, as "ip route" would (in part).
 */
static char *describe_foreign(struct rtnl_route *rt)
{
	char type[32], proto[32], prefix[INET6_ADDRSTRLEN + 4] = "?";
	char gw[INET6_ADDRSTRLEN + 4], via[64] = "", dev[IFNAMSIZ + 8] = "";
	char name[IFNAMSIZ], buf[256];
	struct rtnl_nexthop *nh = NULL;
	struct nl_addr *addr;
	bool unicast = rtnl_route_get_type(rt) == RTN_UNICAST;

	nl_addr2str(rtnl_route_get_dst(rt), prefix, sizeof(prefix));
	if (rtnl_route_get_nnexthops(rt) > 0)
	{
		nh = rtnl_route_nexthop_n(rt, 0);
	}
	addr = nh ? rtnl_route_nh_get_gateway(nh) : NULL;
	if (addr)
	{
		snprintf(via, sizeof(via), " via %s",
				 nl_addr2str(addr, gw, sizeof(gw)));
	}
	if (nh && if_indextoname(rtnl_route_nh_get_ifindex(nh), name))
	{
		snprintf(dev, sizeof(dev), " dev %s", name);
	}
	snprintf(buf, sizeof(buf), "%s%s%s%s%s proto %s metric %u",
			 unicast ? "" : nl_rtntype2str(rtnl_route_get_type(rt), type,
										   sizeof(type)),
			 unicast ? "" : " ", prefix, via, dev,
			 rtnl_route_proto2str(rtnl_route_get_protocol(rt), proto,
								  sizeof(proto)),
			 rtnl_route_get_priority(rt));
	return strdup(buf);
}

/**
 * Find out what holds the place of a route: nothing, ours, or someone
 * else's (then described in why).
 */
static place_state_t check_place(private_vti_route_netlink_t *this,
								 vti_route_t *route, struct nl_addr *dst,
								 char **why)
{
	place_state_t state = PLACE_FREE;
	struct nl_cache *cache;
	struct nl_object *obj;
	struct rtnl_route *rt;
	int err;

	err = rtnl_route_alloc_cache(this->sock, route->net->get_family(route->net),
								 0, &cache);
	if (err < 0)
	{
		*why = strdup(nl_geterror(err));
		return PLACE_UNKNOWN;
	}
	for (obj = nl_cache_get_first(cache); obj && state != PLACE_TAKEN;
		 obj = nl_cache_get_next(obj))
	{
		rt = (struct rtnl_route*)obj;
		if (!same_place(rt, route, dst))
		{
			continue;
		}
		if (rtnl_route_get_protocol(rt) == VTI_RTPROT)
		{
			state = PLACE_OURS;
		}
		else
		{
			*why = describe_foreign(rt);
			state = PLACE_TAKEN;
		}
	}
	nl_cache_free(cache);
	return state;
}

METHOD(vti_route_sink_t, install, vti_route_status_t,
	private_vti_route_netlink_t *this, vti_route_t *route, char **why)
{
	vti_route_status_t status = VTI_ROUTE_INSTALLED;
	struct rtnl_route *rt;
	int err;

	rt = build_route(route);
	if (!rt)
	{
		*why = strdup("out of memory");
		return VTI_ROUTE_FAILED;
	}
	err = rtnl_route_add(this->sock, rt, NLM_F_CREATE | NLM_F_EXCL);
	if (err == -NLE_EXIST)
	{
		switch (check_place(this, route, rtnl_route_get_dst(rt), why))
		{
			case PLACE_OURS:
				/* one of another device, or left by an earlier run */
				err = rtnl_route_add(this->sock, rt,
									 NLM_F_CREATE | NLM_F_REPLACE);
				break;
			case PLACE_FREE:
				/* gone meanwhile */
				err = rtnl_route_add(this->sock, rt,
									 NLM_F_CREATE | NLM_F_EXCL);
				break;
			case PLACE_TAKEN:
				status = VTI_ROUTE_BLOCKED;
				err = 0;
				break;
			case PLACE_UNKNOWN:
				status = VTI_ROUTE_FAILED;
				err = 0;
				break;
		}
	}
	rtnl_route_put(rt);
	if (err < 0)
	{
		free(*why);
		*why = strdup(nl_geterror(err));
		status = VTI_ROUTE_FAILED;
	}
	return status;
}

METHOD(vti_route_sink_t, remove_, void,
	private_vti_route_netlink_t *this, vti_route_t *route)
{
	struct rtnl_route *rt;
	int err;

	rt = build_route(route);
	if (!rt)
	{
		return;
	}
	/* protocol, type, table, metric and device all must match: the kernel
	 * never takes a route of someone else's for ours */
	err = rtnl_route_delete(this->sock, rt, 0);
	rtnl_route_put(rt);
	if (err < 0 && err != -NLE_OBJ_NOTFOUND)
	{
		DBG2(DBG_KNL, "vti: removing a route of %s failed: %s",
			 route->blackhole ? "a blackhole" : route->dev, nl_geterror(err));
	}
}

/**
 * Read a route of the kernel's into one of ours; FALSE if it has no
 * destination.
 */
static bool parse_route(struct rtnl_route *rt, vti_route_t *route)
{
	struct nl_addr *dst = rtnl_route_get_dst(rt);
	struct rtnl_nexthop *nh;

	if (!dst)
	{
		return FALSE;
	}
	*route = (vti_route_t){
		.net = host_create_from_chunk(nl_addr_get_family(dst),
					chunk_create(nl_addr_get_binary_addr(dst),
								 nl_addr_get_len(dst)), 0),
		.prefixlen = nl_addr_get_prefixlen(dst),
		.table = rtnl_route_get_table(rt),
		.metric = rtnl_route_get_priority(rt),
		.blackhole = rtnl_route_get_type(rt) == RTN_BLACKHOLE,
	};
	nh = rtnl_route_nexthop_n(rt, 0);
	if (nh && !route->blackhole)
	{
		route->ifindex = rtnl_route_nh_get_ifindex(nh);
	}
	return route->net != NULL;
}

/**
 * Whether a filter keeps a route of the kernel's.
 */
static bool keeps(struct rtnl_route *rt,
				  bool (*keep)(void *data, vti_route_t *route), void *data)
{
	vti_route_t route;
	bool kept;

	if (!keep || !parse_route(rt, &route))
	{
		return FALSE;
	}
	kept = keep(data, &route);
	route.net->destroy(route.net);
	return kept;
}

METHOD(vti_route_sink_t, lookup, int,
	private_vti_route_netlink_t *this, host_t *dst)
{
	chunk_t addr = dst->get_address(dst);
	struct rtnl_route *result = NULL;
	struct rtnl_nexthop *nh;
	struct nl_addr *nl;
	int ifindex = -1;

	nl = nl_addr_build(dst->get_family(dst), addr.ptr, addr.len);
	if (!nl)
	{
		return -1;
	}
	if (rtnl_route_lookup(this->sock, nl, &result) == 0 && result)
	{
		ifindex = 0;
		nh = rtnl_route_nexthop_n(result, 0);
		if (rtnl_route_get_type(result) == RTN_UNICAST && nh)
		{
			ifindex = rtnl_route_nh_get_ifindex(nh);
		}
		rtnl_route_put(result);
	}
	nl_addr_put(nl);
	return ifindex;
}

METHOD(vti_route_sink_t, sweep, void,
	private_vti_route_netlink_t *this,
	bool (*keep)(void *data, vti_route_t *route), void *data)
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
		if (rtnl_route_get_protocol(rt) == VTI_RTPROT &&
			!keeps(rt, keep, data))
		{
			rtnl_route_delete(this->sock, rt, 0);
		}
	}
	nl_cache_free(cache);
}

METHOD(vti_route_sink_t, destroy, void,
	private_vti_route_netlink_t *this)
{
	free(this);
}

/*
 * Described in header
 */
vti_route_sink_t *vti_route_netlink_create(struct nl_sock *sock)
{
	private_vti_route_netlink_t *this;

	INIT(this,
		.public = {
			.install = _install,
			.remove = _remove_,
			.lookup = _lookup,
			.sweep = _sweep,
			.destroy = _destroy,
		},
		.sock = sock,
	);
	return &this->public;
}
