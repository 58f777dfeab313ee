/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_prefixes.h"

#include <selectors/traffic_selector.h>

/** Bytes of the longest address, IPv6 */
#define MAX_ADDR_LEN 16

/**
 * Whether bit i (0 is the most significant) of an address is set.
 */
static inline bool bit_of(u_char *addr, int i)
{
	return addr[i / 8] & (0x80 >> (i % 8));
}

/**
 * Write an address with every bit after a prefix length set to one: the
 * last address of the block of that length that holds it.
 */
static void block_end(u_char *addr, int len, int prefix, u_char *end)
{
	int i;

	memcpy(end, addr, len);
	for (i = prefix; i < len * 8; i++)
	{
		end[i / 8] |= 0x80 >> (i % 8);
	}
}

/**
 * Whether a block of a prefix length starts at an address: every bit after
 * the prefix length is zero.
 */
static bool block_starts(u_char *addr, int len, int prefix)
{
	int i;

	for (i = prefix; i < len * 8; i++)
	{
		if (bit_of(addr, i))
		{
			return FALSE;
		}
	}
	return TRUE;
}

/**
 * Add one to an address; FALSE if it wrapped past the last address.
 */
static bool next_address(u_char *addr, int len)
{
	int i;

	for (i = len - 1; i >= 0; i--)
	{
		if (++addr[i])
		{
			return TRUE;
		}
	}
	return FALSE;
}

/**
 * Add a prefix to a list unless it has it.
 */
static void add_prefix(array_t **list, int family, u_char *net, int prefix)
{
	vti_prefix_t *entry;

	entry = vti_prefix_create(family, chunk_create(net, family == AF_INET ?
												   4 : 16), prefix);
	if (!entry)
	{
		return;
	}
	if (vti_prefix_list_has(*list, entry))
	{
		entry->destroy(entry);
		return;
	}
	array_insert_create(list, ARRAY_TAIL, entry);
}

/**
 * Add the CIDR blocks that cover exactly an address range, each the widest
 * that starts where the previous one ended and stays inside the range.
 */
static void add_range(array_t **list, int family, chunk_t from, chunk_t to)
{
	u_char cur[MAX_ADDR_LEN], end[MAX_ADDR_LEN];
	int len = from.len, prefix;

	if (len > MAX_ADDR_LEN || (int)to.len != len)
	{
		return;
	}
	memcpy(cur, from.ptr, len);
	while (memcmp(cur, to.ptr, len) <= 0)
	{
		for (prefix = 0; prefix < len * 8; prefix++)
		{
			block_end(cur, len, prefix, end);
			if (block_starts(cur, len, prefix) &&
				memcmp(end, to.ptr, len) <= 0)
			{
				break;
			}
		}
		block_end(cur, len, prefix, end);
		add_prefix(list, family, cur, prefix);
		if (!next_address(end, len))
		{
			break;
		}
		memcpy(cur, end, len);
	}
}

/**
 * Whether a negotiated selector lies inside one of the configured ones.
 */
static bool is_allowed(traffic_selector_t *ts, linked_list_t *configured)
{
	enumerator_t *enumerator;
	traffic_selector_t *cfg;
	bool allowed = FALSE;

	enumerator = configured->create_enumerator(configured);
	while (!allowed && enumerator->enumerate(enumerator, &cfg))
	{
		allowed = ts->is_contained_in(ts, cfg);
	}
	enumerator->destroy(enumerator);
	return allowed;
}

/**
 * Address family of a selector, AF_UNSPEC if it has none we route.
 */
static int family_of(traffic_selector_t *ts)
{
	switch (ts->get_type(ts))
	{
		case TS_IPV4_ADDR_RANGE:
			return AF_INET;
		case TS_IPV6_ADDR_RANGE:
			return AF_INET6;
		default:
			return AF_UNSPEC;
	}
}

/*
 * Described in header
 */
array_t *vti_prefixes_from_selectors(linked_list_t *negotiated,
									 linked_list_t *configured, char *name)
{
	enumerator_t *enumerator;
	traffic_selector_t *ts;
	array_t *list = NULL;
	int family;

	enumerator = negotiated->create_enumerator(negotiated);
	while (enumerator->enumerate(enumerator, &ts))
	{
		family = family_of(ts);
		if (family == AF_UNSPEC)
		{
			continue;
		}
		if (!is_allowed(ts, configured))
		{
			DBG1(DBG_CFG, "vti: %s: not routing remote traffic selector %R: "
				 "it is not inside the child's remote_ts (%#R); narrow the "
				 "peer's local_ts or widen remote_ts", name, ts, configured);
			continue;
		}
		add_range(&list, family, ts->get_from_address(ts),
				  ts->get_to_address(ts));
	}
	enumerator->destroy(enumerator);
	return list;
}

/**
 * Log why a prefix is not routed into a device.
 */
static void refuse(vti_prefix_t *prefix, host_t *addr, bool peer,
				   char *owner, char *dev)
{
	char str[VTI_PREFIX_STRLEN];

	prefix->print(prefix, str, sizeof(str));
	if (prefix->get_length(prefix) == 0 && peer)
	{
		DBG1(DBG_CFG, "vti: %s (%s): not routing the default route %s into "
			 "the VTI: it would carry the tunnel's own IKE and ESP packets to "
			 "%H; list the networks behind the peer in the routes setting "
			 "(charon.plugins.vti), or set routes = none and route the "
			 "default yourself, keeping %H on the underlay", dev, owner, str,
			 addr, addr);
		return;
	}
	DBG1(DBG_CFG, "vti: %s (%s): not routing %s into the VTI: it covers the "
		 "%s outer address %H, and the tunnel's own IKE and ESP packets must "
		 "stay on the underlay; list narrower prefixes in the routes setting "
		 "(charon.plugins.vti) or narrow the child's remote_ts", dev, owner,
		 str, peer ? "peer's" : "local", addr);
}

/**
 * Whether a prefix may be routed into a device; logs why not.
 */
static bool spares_endpoints(vti_prefix_t *prefix, host_t *local,
							 host_t *remote, char *owner, char *dev)
{
	if (prefix->covers(prefix, remote))
	{
		refuse(prefix, remote, TRUE, owner, dev);
		return FALSE;
	}
	if (prefix->covers(prefix, local))
	{
		refuse(prefix, local, FALSE, owner, dev);
		return FALSE;
	}
	return TRUE;
}

/*
 * Described in header
 */
array_t *vti_prefixes_spare_endpoints(array_t *prefixes, host_t *local,
									  host_t *remote, char *owner, char *dev)
{
	enumerator_t *enumerator;
	array_t *list = NULL;
	vti_prefix_t *prefix;

	enumerator = array_create_enumerator(prefixes);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		if (spares_endpoints(prefix, local, remote, owner, dev))
		{
			array_insert_create(&list, ARRAY_TAIL, prefix->clone(prefix));
		}
	}
	enumerator->destroy(enumerator);
	return list;
}

/*
 * Described in header
 */
void vti_prefixes_merge(array_t **into, array_t *from)
{
	enumerator_t *enumerator;
	vti_prefix_t *prefix;

	enumerator = array_create_enumerator(from);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		if (!vti_prefix_list_has(*into, prefix))
		{
			array_insert_create(into, ARRAY_TAIL, prefix->clone(prefix));
		}
	}
	enumerator->destroy(enumerator);
}
