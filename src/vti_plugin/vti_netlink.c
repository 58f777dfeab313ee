/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_netlink.h"
#include "vti_routes.h"

#include <arpa/inet.h>
#include <linux/ip.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet.h>
#include <netlink/route/link/ipvti.h>
#include <netlink/route/link/ip6vti.h>
#include <netlink/route/link/xfrmi.h>
#include <netlink/route/addr.h>

#include <collections/hashtable.h>

/** Interface group of the plugin's devices; marks a device as ours from
 *  the request that creates it, before it has its ownership alias */
#define VTI_LINK_GROUP 165

typedef struct private_vti_netlink_t private_vti_netlink_t;
typedef struct failure_t failure_t;

/**
 * The last failure reported for a device.
 */
struct failure_t {

	/** interface name, hashtable key */
	char name[IFNAMSIZ];

	/** the log line */
	char *msg;
};

/**
 * Private data of the netlink link driver.
 */
struct private_vti_netlink_t {

	/** public interface */
	vti_link_t public;

	/** rtnetlink socket; callers serialize access (the tunnel table) */
	struct nl_sock *sock;

	/** addresses and routes of the devices */
	vti_routes_t *routes;

	/** set our devices down at destroy instead of deleting them */
	bool keep_devices;

	/** keep the blackholes at destroy, and the devices, set down */
	bool keep_protection;

	/** last failure logged per device, as failure_t, so that retries do
	 *  not repeat it */
	hashtable_t *failures;
};

/**
 * Whether a device carries our ownership mark, or is one we created and
 * had no time to mark (it is in our group and has no alias).
 */
static bool is_ours(struct rtnl_link *link)
{
	const char *alias = rtnl_link_get_ifalias(link);

	if (!alias || !*alias)
	{
		return rtnl_link_get_group(link) == VTI_LINK_GROUP;
	}
	return strpfx(alias, VTI_OWNER_PREFIX);
}

/**
 * The connection and child a device of ours serves, from its alias.
 */
static const char *owner_of(struct rtnl_link *link)
{
	const char *alias = rtnl_link_get_ifalias(link);

	if (!alias || !strpfx(alias, VTI_OWNER_PREFIX))
	{
		return "unfinished";
	}
	alias += strlen(VTI_OWNER_PREFIX);
	return *alias == ' ' ? alias + 1 : alias;
}

/**
 * Log a failure for a device once: the same line again, as on every retry
 * of a lasting conflict, goes to a higher log level.
 */
static void report(private_vti_netlink_t *this, char *name, char *fmt, ...)
{
	failure_t *failure;
	char msg[512];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	failure = this->failures->get(this->failures, name);
	if (failure && streq(failure->msg, msg))
	{
		DBG2(DBG_KNL, "%s", msg);
		return;
	}
	DBG1(DBG_KNL, "%s", msg);
	if (!failure)
	{
		INIT(failure);
		snprintf(failure->name, sizeof(failure->name), "%s", name);
		this->failures->put(this->failures, failure->name, failure);
	}
	free(failure->msg);
	failure->msg = strdup(msg);
}

/**
 * Forget the failure of a device that is fine now.
 */
static void recovered(private_vti_netlink_t *this, char *name)
{
	failure_t *failure = this->failures->remove(this->failures, name);

	if (failure)
	{
		free(failure->msg);
		free(failure);
	}
}

/**
 * Kernel link kind of a spec: an XFRM interface, or a VTI of the outer
 * address family.
 */
static const char *kind_of(vti_link_spec_t *spec)
{
	if (spec->cfg->kind == VTI_KIND_XFRM)
	{
		return "xfrm";
	}
	return spec->local->get_family(spec->local) == AF_INET6 ? "vti6" : "vti";
}

/**
 * What an operator calls the device of a spec, for log lines.
 */
static const char *device_of(vti_link_spec_t *spec)
{
	return spec->cfg->kind == VTI_KIND_XFRM ? "XFRM interface" : "VTI";
}

/**
 * Whether a device is an XFRM interface.
 */
static bool is_xfrm(struct rtnl_link *link)
{
	const char *type = rtnl_link_get_type(link);

	return type && streq(type, "xfrm");
}

/**
 * Copy an IPv4 host's address, network order.
 */
static uint32_t ip4_of(host_t *host)
{
	uint32_t addr;

	memcpy(&addr, host->get_address(host).ptr, sizeof(addr));
	return addr;
}

/**
 * Copy an IPv6 host's address.
 */
static struct in6_addr ip6_of(host_t *host)
{
	struct in6_addr addr;

	memcpy(&addr, host->get_address(host).ptr, sizeof(addr));
	return addr;
}

/**
 * Allocate a link object carrying the full tunnel parameters of a spec.
 * The kernel resets every parameter a change does not carry.
 */
static struct rtnl_link *tunnel_params(vti_link_spec_t *spec)
{
	struct rtnl_link *link;
	struct in6_addr local, remote;

	if (spec->cfg->kind == VTI_KIND_XFRM)
	{	/* tied to no underlay: the kernel routes the ESP packets */
		link = rtnl_link_xfrmi_alloc();
		rtnl_link_xfrmi_set_if_id(link, spec->key);
		rtnl_link_xfrmi_set_link(link, 0);
	}
	else if (streq(kind_of(spec), "vti6"))
	{
		link = rtnl_link_ip6vti_alloc();
		local = ip6_of(spec->local);
		remote = ip6_of(spec->remote);
		rtnl_link_ip6vti_set_ikey(link, htonl(spec->key));
		rtnl_link_ip6vti_set_okey(link, htonl(spec->key));
		rtnl_link_ip6vti_set_local(link, &local);
		rtnl_link_ip6vti_set_remote(link, &remote);
	}
	else
	{
		link = rtnl_link_ipvti_alloc();
		rtnl_link_ipvti_set_ikey(link, htonl(spec->key));
		rtnl_link_ipvti_set_okey(link, htonl(spec->key));
		rtnl_link_ipvti_set_local(link, ip4_of(spec->local));
		rtnl_link_ipvti_set_remote(link, ip4_of(spec->remote));
	}
	rtnl_link_set_name(link, spec->cfg->name);
	return link;
}

/**
 * Whether a device is a VTI between the endpoints given; the kernel allows
 * one such device per pair of endpoints, whatever its key.
 */
static bool endpoints_match(struct rtnl_link *link, host_t *local,
							host_t *remote)
{
	const char *type = rtnl_link_get_type(link);
	struct in6_addr l6, r6, want_l6, want_r6;

	if (!type)
	{
		return FALSE;
	}
	if (streq(type, "vti6") && local->get_family(local) == AF_INET6)
	{
		want_l6 = ip6_of(local);
		want_r6 = ip6_of(remote);
		return rtnl_link_ip6vti_get_local(link, &l6) == 0 &&
			   rtnl_link_ip6vti_get_remote(link, &r6) == 0 &&
			   memeq(&l6, &want_l6, sizeof(l6)) &&
			   memeq(&r6, &want_r6, sizeof(r6));
	}
	if (streq(type, "vti") && local->get_family(local) == AF_INET)
	{
		return rtnl_link_ipvti_get_local(link) == ip4_of(local) &&
			   rtnl_link_ipvti_get_remote(link) == ip4_of(remote);
	}
	return FALSE;
}

/**
 * The key of a VTI device, host order, or the if_id of an XFRM interface.
 */
static uint32_t key_of(struct rtnl_link *link)
{
	const char *type = rtnl_link_get_type(link);
	uint32_t key = 0;

	if (is_xfrm(link))
	{
		rtnl_link_xfrmi_get_if_id(link, &key);
		return key;
	}
	if (type && streq(type, "vti6"))
	{
		rtnl_link_ip6vti_get_ikey(link, &key);
	}
	else if (type && streq(type, "vti"))
	{
		key = rtnl_link_ipvti_get_ikey(link);
	}
	return ntohl(key);
}

/**
 * Whether a device has the parameters of a spec: a VTI its key and
 * endpoints, an XFRM interface its if_id and no underlay.
 */
static bool params_match(struct rtnl_link *link, vti_link_spec_t *spec)
{
	uint32_t underlay = 0;

	if (spec->cfg->kind == VTI_KIND_XFRM)
	{
		rtnl_link_xfrmi_get_link(link, &underlay);
		return key_of(link) == spec->key && !underlay;
	}
	return endpoints_match(link, spec->local, spec->remote) &&
		   key_of(link) == spec->key;
}

/**
 * Whether a device is one the kernel would not let the device of a spec
 * exist beside: a VTI between the same endpoints, an XFRM interface with
 * the same if_id.
 */
static bool is_in_way(struct rtnl_link *link, vti_link_spec_t *spec)
{
	if (spec->cfg->kind == VTI_KIND_XFRM)
	{
		return is_xfrm(link) && key_of(link) == spec->key;
	}
	return endpoints_match(link, spec->local, spec->remote);
}

/**
 * Operator's fix for a refusal of the kernel.
 */
static const char *explain(int err, vti_kind_t kind)
{
	switch (abs(err))
	{
		case NLE_PERM:
			return "charon lacks CAP_NET_ADMIN; run it as root";
		case NLE_OPNOTSUPP:
			if (kind == VTI_KIND_XFRM)
			{
				return "the kernel has no XFRM interface support "
					   "(CONFIG_XFRM_INTERFACE); load it with 'modprobe "
					   "xfrm_interface'";
			}
			return "the kernel has no VTI support; load it with "
				   "'modprobe ip_vti' (IPv4) or 'modprobe ip6_vti' (IPv6)";
		case NLE_EXIST:
			return "a device with these parameters exists; see 'ip -d link'";
		default:
			return "see 'ip -d link' and the kernel log";
	}
}

/**
 * Create a device as a spec says, in one request that also sets its MTU
 * (0: the kernel's choice), admin state and our group; the alias that names
 * its owner follows. VTI_LINK_BLOCKED if another device holds its endpoints
 * or if_id.
 */
static vti_link_result_t create_device(private_vti_netlink_t *this,
									   vti_link_spec_t *spec, bool up,
									   uint32_t mtu)
{
	struct rtnl_link *link;
	int err;

	link = tunnel_params(spec);
	rtnl_link_set_group(link, VTI_LINK_GROUP);
	if (mtu)
	{
		rtnl_link_set_mtu(link, mtu);
	}
	if (up)
	{
		rtnl_link_set_flags(link, IFF_UP);
	}
	err = rtnl_link_add(this->sock, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(link);
	if (err == -NLE_EXIST)
	{	/* the name is free (ensure_device() looked): another VTI between
		 * these endpoints, or XFRM interface with this if_id */
		return VTI_LINK_BLOCKED;
	}
	if (err < 0)
	{
		if (spec->cfg->kind == VTI_KIND_XFRM)
		{
			report(this, spec->cfg->name, "vti: creating %s (xfrm, if_id "
				   "%u, mtu %u) for %s failed: %s; %s", spec->cfg->name,
				   spec->key, mtu, spec->owner, nl_geterror(err),
				   explain(err, spec->cfg->kind));
			return VTI_LINK_FAILED;
		}
		report(this, spec->cfg->name, "vti: creating %s (%s, key %u, "
			   "%H === %H, mtu %u) for %s failed: %s; %s", spec->cfg->name,
			   kind_of(spec), spec->key, spec->local, spec->remote, mtu,
			   spec->owner, nl_geterror(err), explain(err, spec->cfg->kind));
		return VTI_LINK_FAILED;
	}
	return VTI_LINK_CREATED;
}

/**
 * Align key and endpoints of an existing device of ours.
 */
static bool update_params(private_vti_netlink_t *this, struct rtnl_link *link,
						  vti_link_spec_t *spec)
{
	struct rtnl_link *changes;
	int err;

	changes = tunnel_params(spec);
	err = rtnl_link_change(this->sock, link, changes, 0);
	rtnl_link_put(changes);
	if (err < 0 && spec->cfg->kind == VTI_KIND_XFRM)
	{
		report(this, spec->cfg->name, "vti: moving %s of %s to if_id %u "
			   "failed: %s; %s", spec->cfg->name, spec->owner, spec->key,
			   nl_geterror(err), explain(err, spec->cfg->kind));
		return FALSE;
	}
	if (err < 0)
	{
		report(this, spec->cfg->name, "vti: moving %s of %s to key %u, "
			   "%H === %H failed: %s; %s", spec->cfg->name, spec->owner,
			   spec->key, spec->local, spec->remote, nl_geterror(err),
			   explain(err, spec->cfg->kind));
		return FALSE;
	}
	return TRUE;
}

/**
 * MTU of an interface by name, 0 if there is none.
 */
static uint32_t mtu_of(private_vti_netlink_t *this, char *name)
{
	struct rtnl_link *link;
	uint32_t mtu = 0;

	if (rtnl_link_get_kernel(this->sock, 0, name, &link) == 0)
	{
		mtu = rtnl_link_get_mtu(link);
		rtnl_link_put(link);
	}
	return mtu;
}

/**
 * MTU of the interface that holds an address, found in a dump of the
 * addresses (only if charon could not name it); 0 if none does.
 */
static uint32_t underlay_mtu(private_vti_netlink_t *this, host_t *local)
{
	struct nl_cache *addrs;
	struct nl_object *obj;
	struct nl_addr *addr;
	struct rtnl_link *link;
	chunk_t want = local->get_address(local);
	uint32_t mtu = 0;
	int ifindex = 0;

	if (rtnl_addr_alloc_cache(this->sock, &addrs) < 0)
	{
		return 0;
	}
	for (obj = nl_cache_get_first(addrs); obj && !ifindex;
		 obj = nl_cache_get_next(obj))
	{
		addr = rtnl_addr_get_local((struct rtnl_addr*)obj);
		if (addr && nl_addr_get_len(addr) == want.len &&
			memeq(nl_addr_get_binary_addr(addr), want.ptr, want.len))
		{
			ifindex = rtnl_addr_get_ifindex((struct rtnl_addr*)obj);
		}
	}
	nl_cache_free(addrs);
	if (ifindex && rtnl_link_get_kernel(this->sock, ifindex, NULL, &link) == 0)
	{
		mtu = rtnl_link_get_mtu(link);
		rtnl_link_put(link);
	}
	return mtu;
}

/**
 * The MTU a device should have: configured, or the underlay's less the
 * ESP overhead; 0 to leave it as it is.
 */
static uint32_t wanted_mtu(private_vti_netlink_t *this, vti_link_spec_t *spec)
{
	uint32_t underlay;

	if (spec->cfg->mtu)
	{
		return spec->cfg->mtu;
	}
	underlay = spec->underlay[0] ? mtu_of(this, spec->underlay)
								 : underlay_mtu(this, spec->local);
	return underlay ? vti_mtu_inner(underlay, spec->overhead) : 0;
}

/**
 * Whether the kernel's policy checks are off on a device.
 */
static bool policy_disabled(struct rtnl_link *link)
{
	uint32_t nopolicy = 0;

	return rtnl_link_inet_get_conf(link, IPV4_DEVCONF_NOPOLICY,
								   &nopolicy) == 0 && nopolicy;
}

/**
 * Collect what differs between a device and its spec: our mark, the policy
 * bypass (VTIs only: an XFRM interface's traffic meets the policies of its
 * if_id), the MTU (0: any) and the admin state. Returns NULL if nothing
 * does: the kernel announces every change, even one to the same value.
 */
static struct rtnl_link *collect_changes(struct rtnl_link *link,
										 vti_link_spec_t *spec, bool up,
										 uint32_t mtu)
{
	struct rtnl_link *changes;
	const char *current = rtnl_link_get_ifalias(link);
	char alias[256];
	bool dirty = FALSE;

	changes = rtnl_link_alloc();
	snprintf(alias, sizeof(alias), "%s %s", VTI_OWNER_PREFIX, spec->owner);
	if (!current || !streq(current, alias))
	{
		rtnl_link_set_ifalias(changes, alias);
		dirty = TRUE;
	}
	if (spec->cfg->kind == VTI_KIND_VTI && !policy_disabled(link))
	{
		rtnl_link_inet_set_conf(changes, IPV4_DEVCONF_NOPOLICY, 1);
		dirty = TRUE;
	}
	if (mtu && mtu != rtnl_link_get_mtu(link))
	{
		rtnl_link_set_mtu(changes, mtu);
		dirty = TRUE;
	}
	if (up != !!(rtnl_link_get_flags(link) & IFF_UP))
	{
		if (up)
		{
			rtnl_link_set_flags(changes, IFF_UP);
		}
		else
		{
			rtnl_link_unset_flags(changes, IFF_UP);
		}
		dirty = TRUE;
	}
	if (!dirty)
	{
		rtnl_link_put(changes);
		return NULL;
	}
	return changes;
}

/**
 * Set our mark, the policy bypass, the MTU (0: leave it) and the admin
 * state of a device; tells whether anything changed.
 */
static bool configure_device(private_vti_netlink_t *this,
							 struct rtnl_link *link, vti_link_spec_t *spec,
							 bool up, uint32_t mtu, bool *changed)
{
	struct rtnl_link *changes;
	int err;

	changes = collect_changes(link, spec, up, mtu);
	if (!changes)
	{
		return TRUE;
	}
	err = rtnl_link_change(this->sock, link, changes, 0);
	rtnl_link_put(changes);
	if (err < 0)
	{
		report(this, spec->cfg->name, "vti: setting %s of %s %s (mtu %u) "
			   "failed: %s; %s", spec->cfg->name, spec->owner,
			   up ? "up" : "down", mtu, nl_geterror(err),
			   explain(err, spec->cfg->kind));
		return FALSE;
	}
	*changed = TRUE;
	return TRUE;
}

/**
 * Look a device up by name, NULL if there is none.
 */
static struct rtnl_link *get_device(private_vti_netlink_t *this, char *name)
{
	struct rtnl_link *link = NULL;

	if (rtnl_link_get_kernel(this->sock, 0, name, &link) < 0)
	{
		return NULL;
	}
	return link;
}

/**
 * Get the device of a spec, ours and of the right kind, creating it if
 * needed (with the MTU given); NULL if someone else's device has its name,
 * another device holds what it needs (VTI_LINK_BLOCKED) or the kernel
 * refused (VTI_LINK_FAILED). Tells whether it was created or its
 * parameters changed.
 */
static struct rtnl_link *ensure_device(private_vti_netlink_t *this,
									   vti_link_spec_t *spec, bool up,
									   uint32_t mtu,
									   vti_link_result_t *result)
{
	struct rtnl_link *link;
	const char *type;

	link = get_device(this, spec->cfg->name);
	if (link && !is_ours(link))
	{
		report(this, spec->cfg->name, "vti: %s gets no %s: interface %s "
			   "exists and is not managed by strongswan-vti; rename or "
			   "delete it, or give the child another %s", spec->owner,
			   device_of(spec), spec->cfg->name,
			   spec->cfg->kind == VTI_KIND_XFRM ? "if_id" : "mark");
		rtnl_link_put(link);
		*result = VTI_LINK_FAILED;
		return NULL;
	}
	type = link ? rtnl_link_get_type(link) : NULL;
	if (link && (!type || !streq(type, kind_of(spec))))
	{
		rtnl_link_delete(this->sock, link);
		rtnl_link_put(link);
		link = NULL;
	}
	if (!link)
	{
		*result = create_device(this, spec, up, mtu);
		if (*result != VTI_LINK_CREATED)
		{
			return NULL;
		}
		return get_device(this, spec->cfg->name);
	}
	if (!params_match(link, spec))
	{
		if (!update_params(this, link, spec))
		{
			rtnl_link_put(link);
			*result = VTI_LINK_FAILED;
			return NULL;
		}
		*result = VTI_LINK_CHANGED;
	}
	return link;
}

/**
 * Delete a device we have just created and could not finish.
 */
static void abandon_device(private_vti_netlink_t *this, struct rtnl_link *link)
{
	DBG1(DBG_KNL, "vti: %s deleted again: it could not be finished",
		 rtnl_link_get_name(link));
	rtnl_link_delete(this->sock, link);
}

METHOD(vti_link_t, set, vti_link_result_t,
	private_vti_netlink_t *this, vti_link_spec_t *spec, bool up)
{
	vti_link_result_t result = VTI_LINK_UNCHANGED;
	struct rtnl_link *link;
	bool changed = FALSE, was_up;
	uint32_t mtu;

	/* asked once: the creating request and the alignment that follows
	 * both need it */
	mtu = wanted_mtu(this, spec);
	link = ensure_device(this, spec, up, mtu, &result);
	if (!link)
	{	/* not ours, refused, blocked, or gone right after its creation */
		return result == VTI_LINK_BLOCKED ? VTI_LINK_BLOCKED : VTI_LINK_FAILED;
	}
	was_up = rtnl_link_get_flags(link) & IFF_UP;
	if (!configure_device(this, link, spec, up, mtu, &changed))
	{
		if (result == VTI_LINK_CREATED)
		{
			abandon_device(this, link);
		}
		rtnl_link_put(link);
		return VTI_LINK_FAILED;
	}
	if (changed && result == VTI_LINK_UNCHANGED)
	{
		result = VTI_LINK_CHANGED;
	}
	recovered(this, spec->cfg->name);
	this->routes->apply(this->routes, rtnl_link_get_ifindex(link), spec,
						up, up && (!was_up || result == VTI_LINK_CREATED));
	rtnl_link_put(link);
	return result;
}

/**
 * Delete a device of ours by name, with what the plugin holds for that
 * name (routes, addresses); one that is not ours stays. TRUE if it is gone.
 */
static bool delete_device(private_vti_netlink_t *this, char *name)
{
	struct rtnl_link *link;
	int err;

	this->routes->withdraw(this->routes, name);
	link = get_device(this, name);
	if (!link)
	{
		return TRUE;
	}
	if (!is_ours(link))
	{
		rtnl_link_put(link);
		return FALSE;
	}
	err = rtnl_link_delete(this->sock, link);
	if (err < 0)
	{
		DBG1(DBG_KNL, "vti: deleting %s failed: %s; %s", name,
			 nl_geterror(err), explain(err, is_xfrm(link) ? VTI_KIND_XFRM
														  : VTI_KIND_VTI));
	}
	rtnl_link_put(link);
	return err == 0;
}

METHOD(vti_link_t, remove_, void,
	private_vti_netlink_t *this, vti_link_spec_t *spec)
{
	delete_device(this, spec->cfg->name);
}

/**
 * Set a device of ours down, or delete it.
 */
static void retire_device(private_vti_netlink_t *this, struct rtnl_link *link,
						  bool delete)
{
	struct rtnl_link *changes;

	if (delete)
	{
		rtnl_link_delete(this->sock, link);
		return;
	}
	changes = rtnl_link_alloc();
	rtnl_link_unset_flags(changes, IFF_UP);
	rtnl_link_change(this->sock, link, changes, 0);
	rtnl_link_put(changes);
}

/**
 * Retire every device of ours: at start, those an earlier run left behind
 * go down; at the end, ours go away.
 */
static void retire_all(private_vti_netlink_t *this, bool delete,
					   const char *why)
{
	struct nl_cache *cache;
	struct nl_object *obj;
	struct rtnl_link *link;

	if (rtnl_link_alloc_cache(this->sock, AF_UNSPEC, &cache) < 0)
	{
		return;
	}
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj))
	{
		link = (struct rtnl_link*)obj;
		if (is_ours(link))
		{
			DBG1(DBG_KNL, "vti: %s (%s) %s: %s", rtnl_link_get_name(link),
				 owner_of(link), delete ? "deleted" : "set down", why);
			retire_device(this, link, delete);
		}
	}
	nl_cache_free(cache);
}

/**
 * Free a failure record.
 */
static void free_failure(failure_t *failure)
{
	free(failure->msg);
	free(failure);
}

/**
 * Describe a device in the way of another.
 */
static void describe_occupant(struct rtnl_link *link,
							  vti_link_occupant_t *occupant)
{
	*occupant = (vti_link_occupant_t){
		.ours = is_ours(link),
		.up = rtnl_link_get_flags(link) & IFF_UP,
		.key = key_of(link),
	};
	snprintf(occupant->name, sizeof(occupant->name), "%s",
			 rtnl_link_get_name(link));
	snprintf(occupant->owner, sizeof(occupant->owner), "%s",
			 occupant->ours ? owner_of(link) : "");
}

METHOD(vti_link_t, find_occupant, bool,
	private_vti_netlink_t *this, vti_link_spec_t *spec,
	vti_link_occupant_t *occupant)
{
	struct nl_cache *cache;
	struct nl_object *obj;
	struct rtnl_link *link;
	bool found = FALSE;

	/* only after a refusal is a dump of the links worth its cost */
	if (rtnl_link_alloc_cache(this->sock, AF_UNSPEC, &cache) < 0)
	{
		return FALSE;
	}
	for (obj = nl_cache_get_first(cache); obj && !found;
		 obj = nl_cache_get_next(obj))
	{
		link = (struct rtnl_link*)obj;
		if (!streq(rtnl_link_get_name(link), spec->cfg->name) &&
			is_in_way(link, spec))
		{
			describe_occupant(link, occupant);
			found = TRUE;
		}
	}
	nl_cache_free(cache);
	return found;
}

METHOD(vti_link_t, discard, bool,
	private_vti_netlink_t *this, char *name)
{
	return delete_device(this, name);
}

METHOD(vti_link_t, protect, void,
	private_vti_netlink_t *this, char *holder, char *owner,
	linked_list_t *prefixes, uint32_t table, uint32_t metric)
{
	this->routes->protect(this->routes, holder, owner, prefixes, table,
						  metric);
}

/**
 * Whether a device of ours serves one of the connections and children
 * given.
 */
static bool serves_any(struct rtnl_link *link, linked_list_t *owners)
{
	return owners->find_first(owners, linked_list_match_str, NULL,
							  (char*)owner_of(link));
}

METHOD(vti_link_t, sweep, void,
	private_vti_netlink_t *this, linked_list_t *owners)
{
	struct nl_cache *cache;
	struct nl_object *obj;
	struct rtnl_link *link;

	if (rtnl_link_alloc_cache(this->sock, AF_UNSPEC, &cache) == 0)
	{
		for (obj = nl_cache_get_first(cache); obj;
			 obj = nl_cache_get_next(obj))
		{
			link = (struct rtnl_link*)obj;
			if (is_ours(link) && !(rtnl_link_get_flags(link) & IFF_UP) &&
				!serves_any(link, owners))
			{
				DBG1(DBG_KNL, "vti: %s (%s) deleted: left by an earlier run "
					 "for a tunnel that is not configured now",
					 rtnl_link_get_name(link), owner_of(link));
				this->routes->withdraw(this->routes,
									   rtnl_link_get_name(link));
				rtnl_link_delete(this->sock, link);
			}
		}
		nl_cache_free(cache);
	}
	this->routes->sweep(this->routes);
}

METHOD(vti_link_t, check, void,
	private_vti_netlink_t *this)
{
	this->routes->check(this->routes);
}

METHOD(vti_link_t, destroy, void,
	private_vti_netlink_t *this)
{
	if (this->keep_protection)
	{
		retire_all(this, FALSE, "charon stops; kept down with the "
				   "blackholes until charon runs again (keep_protection)");
	}
	else
	{
		retire_all(this, !this->keep_devices, this->keep_devices ?
				   "charon stops, keep_devices is set" : "charon stops");
	}
	this->routes->destroy(this->routes);
	nl_socket_free(this->sock);
	this->failures->destroy_function(this->failures, (void*)free_failure);
	free(this);
}

/*
 * Described in header
 */
vti_link_t *vti_netlink_create(bool keep_devices, bool keep_protection)
{
	private_vti_netlink_t *this;
	int err;

	INIT(this,
		.public = {
			.set = _set,
			.find_occupant = _find_occupant,
			.discard = _discard,
			.remove = _remove_,
			.protect = _protect,
			.sweep = _sweep,
			.check = _check,
			.destroy = _destroy,
		},
		.sock = nl_socket_alloc(),
		.keep_devices = keep_devices,
		.keep_protection = keep_protection,
		.failures = hashtable_create(hashtable_hash_str, hashtable_equals_str,
									 8),
	);
	if (!this->sock)
	{
		this->failures->destroy(this->failures);
		free(this);
		return NULL;
	}
	err = nl_connect(this->sock, NETLINK_ROUTE);
	if (err < 0)
	{
		DBG1(DBG_KNL, "vti: no rtnetlink socket: %s; %s", nl_geterror(err),
			 explain(err, VTI_KIND_VTI));
		nl_socket_free(this->sock);
		this->failures->destroy(this->failures);
		free(this);
		return NULL;
	}
	this->routes = vti_routes_create(this->sock, keep_protection);
	retire_all(this, FALSE, "left by an earlier run, down until a CHILD_SA "
			   "claims it");
	return &this->public;
}
