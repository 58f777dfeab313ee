/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The link driver (vti_netlink.c) and the route sink (vti_route_netlink.c)
 * called directly against a real kernel: lab scenario 51 runs this program
 * in a network namespace whose interface eth-b holds 10.9.0.1/24 and
 * fd00:9::1/64 (MTU 1400); it checks the kernel's state after each call
 * and exits non-zero if any check failed. It changes the namespace it
 * runs in: never run it outside the lab.
 *
 * Linked with --wrap for rtnl_link_get_kernel, rtnl_link_add and
 * rtnl_link_change, so that it counts the driver's requests.
 */

#include <stdio.h>
#include <stdarg.h>
#include <arpa/inet.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet.h>
#include <netlink/route/link/ipvti.h>
#include <netlink/route/link/ip6vti.h>
#include <netlink/route/route.h>

#include <library.h>

#include "vti_netlink.h"
#include "vti_prefix.h"
#include "vti_route_netlink.h"

/** Underlay interface of the namespace */
#define UNDERLAY "eth-b"

/** Checks run and failed */
static int checks, failed;

/** Log lines of level 1 since the last clear_log() */
static char logbuf[65536];

/** Requests of the driver, counted through --wrap */
static int getlinks, addlinks, changelinks;

/** Our own rtnetlink socket, and one that listens to link events */
static struct nl_sock *sock, *monitor;

int __real_rtnl_link_get_kernel(struct nl_sock *sk, int ifindex,
								const char *name, struct rtnl_link **result);
int __real_rtnl_link_add(struct nl_sock *sk, struct rtnl_link *link,
						 int flags);
int __real_rtnl_link_change(struct nl_sock *sk, struct rtnl_link *orig,
							struct rtnl_link *changes, int flags);

/** Count an RTM_GETLINK request */
int __wrap_rtnl_link_get_kernel(struct nl_sock *sk, int ifindex,
								const char *name, struct rtnl_link **result)
{
	getlinks++;
	return __real_rtnl_link_get_kernel(sk, ifindex, name, result);
}

/** Count an RTM_NEWLINK request that creates */
int __wrap_rtnl_link_add(struct nl_sock *sk, struct rtnl_link *link,
						 int flags)
{
	addlinks++;
	return __real_rtnl_link_add(sk, link, flags);
}

/** Count an RTM_NEWLINK request that changes */
int __wrap_rtnl_link_change(struct nl_sock *sk, struct rtnl_link *orig,
							struct rtnl_link *changes, int flags)
{
	changelinks++;
	return __real_rtnl_link_change(sk, orig, changes, flags);
}

/** Reset the request counters */
static void reset_counts(void)
{
	getlinks = addlinks = changelinks = 0;
}

/** Record and print strongSwan's log lines */
static void capture_dbg(debug_t group, level_t level, char *fmt, ...)
{
	char line[1024];
	va_list args;

	if (level > 1)
	{
		return;
	}
	va_start(args, fmt);
	vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	printf("    log: %s\n", line);
	if (strlen(logbuf) + strlen(line) + 2 < sizeof(logbuf))
	{
		strcat(logbuf, line);
		strcat(logbuf, "\n");
	}
}

/** Forget the log lines seen */
static void clear_log(void)
{
	logbuf[0] = '\0';
}

/** Whether a log line since clear_log() contains a string */
static bool log_has(char *what)
{
	return strstr(logbuf, what) != NULL;
}

/** Record one check */
static void check(bool ok, char *fmt, ...)
{
	va_list args;

	checks++;
	if (!ok)
	{
		failed++;
	}
	printf("%s ", ok ? "ok  " : "FAIL");
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	printf("\n");
	fflush(stdout);
}

/** A device by name, NULL if there is none (not counted) */
static struct rtnl_link *get_link(char *name)
{
	struct rtnl_link *link = NULL;

	if (__real_rtnl_link_get_kernel(sock, 0, name, &link) < 0)
	{
		return NULL;
	}
	return link;
}

/** Whether a device exists */
static bool exists(char *name)
{
	struct rtnl_link *link = get_link(name);

	if (link)
	{
		rtnl_link_put(link);
	}
	return link != NULL;
}

typedef struct device_t device_t;

/**
 * What the kernel says about a device.
 */
struct device_t {

	/** the device exists */
	bool exists;

	/** its link kind, "" if it has none */
	char type[16];

	/** keys, host order */
	uint32_t ikey, okey;

	/** MTU */
	uint32_t mtu;

	/** interface group */
	uint32_t group;

	/** IPv4 disable_policy */
	uint32_t nopolicy;

	/** outer addresses, as text */
	char local[64], remote[64];

	/** ifalias, "" if none */
	char alias[256];

	/** admin state */
	bool up;

	/** interface index */
	int ifindex;
};

/** Read a device's state from the kernel */
static device_t device(char *name)
{
	struct rtnl_link *link = get_link(name);
	device_t dev = {};
	struct in6_addr l6, r6;
	uint32_t l4, r4, key;
	const char *type, *alias;

	if (!link)
	{
		return dev;
	}
	dev.exists = TRUE;
	type = rtnl_link_get_type(link);
	snprintf(dev.type, sizeof(dev.type), "%s", type ?: "");
	alias = rtnl_link_get_ifalias(link);
	snprintf(dev.alias, sizeof(dev.alias), "%s", alias ?: "");
	dev.mtu = rtnl_link_get_mtu(link);
	dev.group = rtnl_link_get_group(link);
	dev.up = rtnl_link_get_flags(link) & IFF_UP;
	dev.ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_inet_get_conf(link, IPV4_DEVCONF_NOPOLICY, &dev.nopolicy);
	if (streq(dev.type, "vti"))
	{
		dev.ikey = ntohl(rtnl_link_ipvti_get_ikey(link));
		dev.okey = ntohl(rtnl_link_ipvti_get_okey(link));
		l4 = rtnl_link_ipvti_get_local(link);
		r4 = rtnl_link_ipvti_get_remote(link);
		inet_ntop(AF_INET, &l4, dev.local, sizeof(dev.local));
		inet_ntop(AF_INET, &r4, dev.remote, sizeof(dev.remote));
	}
	else if (streq(dev.type, "vti6"))
	{
		rtnl_link_ip6vti_get_ikey(link, &key);
		dev.ikey = ntohl(key);
		rtnl_link_ip6vti_get_okey(link, &key);
		dev.okey = ntohl(key);
		rtnl_link_ip6vti_get_local(link, &l6);
		rtnl_link_ip6vti_get_remote(link, &r6);
		inet_ntop(AF_INET6, &l6, dev.local, sizeof(dev.local));
		inet_ntop(AF_INET6, &r6, dev.remote, sizeof(dev.remote));
	}
	rtnl_link_put(link);
	return dev;
}

/** Make a device as an administrator would: a vti, optionally in a group,
 *  with an alias and up */
static void make_vti(char *name, uint32_t key, char *local, char *remote,
					 uint32_t group, char *alias, bool up)
{
	struct rtnl_link *link, *changes, *made;
	uint32_t l4, r4;
	int err;

	inet_pton(AF_INET, local, &l4);
	inet_pton(AF_INET, remote, &r4);
	link = rtnl_link_ipvti_alloc();
	rtnl_link_set_name(link, name);
	rtnl_link_ipvti_set_ikey(link, htonl(key));
	rtnl_link_ipvti_set_okey(link, htonl(key));
	rtnl_link_ipvti_set_local(link, l4);
	rtnl_link_ipvti_set_remote(link, r4);
	if (group)
	{
		rtnl_link_set_group(link, group);
	}
	if (up)
	{
		rtnl_link_set_flags(link, IFF_UP);
	}
	err = __real_rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(link);
	check(err == 0, "setup: %s made by hand (%s)", name, nl_geterror(err));
	made = get_link(name);
	if (made && alias)
	{
		changes = rtnl_link_alloc();
		rtnl_link_set_ifalias(changes, alias);
		__real_rtnl_link_change(sock, made, changes, 0);
		rtnl_link_put(changes);
	}
	if (made)
	{
		rtnl_link_put(made);
	}
}

/** Delete a device by name, if it exists */
static void delete_link(char *name)
{
	struct rtnl_link *link = get_link(name);

	if (link)
	{
		rtnl_link_delete(sock, link);
		rtnl_link_put(link);
	}
}

/** Set the underlay's MTU */
static void set_underlay_mtu(uint32_t mtu)
{
	struct rtnl_link *link = get_link(UNDERLAY), *changes;

	if (!link)
	{
		check(FALSE, "setup: %s exists", UNDERLAY);
		return;
	}
	changes = rtnl_link_alloc();
	rtnl_link_set_mtu(changes, mtu);
	__real_rtnl_link_change(sock, link, changes, 0);
	rtnl_link_put(changes);
	rtnl_link_put(link);
}

typedef struct events_t events_t;

/**
 * Link events seen by the monitor for one device.
 */
struct events_t {

	/** the device */
	char *name;

	/** RTM_NEWLINK events for it */
	int newlinks;

	/** the first of them was seen */
	bool first_seen;

	/** MTU and group in the first */
	uint32_t first_mtu, first_group;

	/** admin state in the first */
	bool first_up;
};

/** Record a parsed link event */
static void on_link(struct nl_object *obj, void *arg)
{
	struct rtnl_link *link = (struct rtnl_link*)obj;
	events_t *events = arg;
	const char *name = rtnl_link_get_name(link);

	if (!name || !streq(name, events->name))
	{
		return;
	}
	events->newlinks++;
	if (!events->first_seen)
	{
		events->first_seen = TRUE;
		events->first_mtu = rtnl_link_get_mtu(link);
		events->first_group = rtnl_link_get_group(link);
		events->first_up = rtnl_link_get_flags(link) & IFF_UP;
	}
}

/** Parse one message of the monitor */
static int on_message(struct nl_msg *msg, void *arg)
{
	if (nlmsg_hdr(msg)->nlmsg_type == RTM_NEWLINK)
	{
		nl_msg_parse(msg, on_link, arg);
	}
	return NL_OK;
}

/** Read the link events queued at the monitor, for one device */
static events_t drain_events(char *name)
{
	events_t events = { .name = name };

	nl_socket_modify_cb(monitor, NL_CB_VALID, NL_CB_CUSTOM, on_message,
						&events);
	while (nl_recvmsgs_default(monitor) == 0)
	{
		/* until nothing is queued */
	}
	return events;
}

/** A spec of ours; free with spec_destroy() */
static vti_link_spec_t *spec_create(char *name, uint32_t key, char *local,
									char *remote, char *owner, uint32_t mtu)
{
	vti_link_spec_t *spec;
	bool v6 = strchr(local, ':') != NULL;

	INIT(spec,
		.key = key,
		.local = host_create_from_string(local, 0),
		.remote = host_create_from_string(remote, 0),
		.owner = strdup(owner),
		.overhead = vti_mtu_overhead(NULL, v6, FALSE),
	);
	INIT(spec->cfg,
		.mtu = mtu,
		.routes = VTI_ROUTES_NONE,
		.table = 254,
		.refcount = 1,
	);
	snprintf(spec->cfg->name, sizeof(spec->cfg->name), "%s", name);
	snprintf(spec->underlay, sizeof(spec->underlay), "%s", UNDERLAY);
	return spec;
}

/** Move a spec's endpoints */
static void spec_move(vti_link_spec_t *spec, char *local, char *remote)
{
	spec->local->destroy(spec->local);
	spec->remote->destroy(spec->remote);
	spec->local = host_create_from_string(local, 0);
	spec->remote = host_create_from_string(remote, 0);
}

/** Free a spec */
static void spec_destroy(vti_link_spec_t *spec)
{
	spec->local->destroy(spec->local);
	spec->remote->destroy(spec->remote);
	vti_prefix_list_destroy(spec->routes);
	vti_config_destroy(spec->cfg);
	free(spec->owner);
	free(spec);
}

/** Name of a result */
static char *result_name(vti_link_result_t result)
{
	switch (result)
	{
		case VTI_LINK_FAILED:
			return "FAILED";
		case VTI_LINK_UNCHANGED:
			return "UNCHANGED";
		case VTI_LINK_CREATED:
			return "CREATED";
		case VTI_LINK_CHANGED:
			return "CHANGED";
		case VTI_LINK_BLOCKED:
			return "BLOCKED";
	}
	return "?";
}

/** Call set() and check its result */
static void expect_set(vti_link_t *link, vti_link_spec_t *spec, bool up,
					   vti_link_result_t want, char *what)
{
	vti_link_result_t result = link->set(link, spec, up);

	check(result == want, "%s: set(%s, %s) is %s (expected %s)", what,
		  spec->cfg->name, up ? "up" : "down", result_name(result),
		  result_name(want));
}

/** The automatic MTU over the underlay for a spec */
static uint32_t auto_mtu(vti_link_spec_t *spec, uint32_t underlay)
{
	return vti_mtu_inner(underlay, spec->overhead);
}

/** Create: one creating request with MTU, admin state and group; the
 *  alias follows; the underlay's MTU asked once */
static void test_create(vti_link_t *link)
{
	vti_link_spec_t *spec;
	events_t events;
	device_t dev;
	uint32_t want;

	printf("# create\n");
	spec = spec_create("vti51", 51, "10.9.0.1", "10.9.0.2", "drv/net", 0);
	want = auto_mtu(spec, 1400);
	drain_events("vti51");
	reset_counts();
	expect_set(link, spec, TRUE, VTI_LINK_CREATED, "new device");
	check(addlinks == 1, "one creating request (%d)", addlinks);
	check(changelinks == 1, "one change after it, for the alias and the "
		  "policy bypass (%d)", changelinks);
	check(getlinks == 3, "3 RTM_GETLINK: the name, the underlay's MTU once, "
		  "the device made (%d)", getlinks);
	events = drain_events("vti51");
	check(events.first_seen && events.first_mtu == want &&
		  events.first_up && events.first_group == 165,
		  "the kernel's first event shows mtu %u (expected %u), %s, group "
		  "%u", events.first_mtu, want, events.first_up ? "up" : "down",
		  events.first_group);
	dev = device("vti51");
	check(dev.exists && streq(dev.type, "vti"), "vti51 is a vti (%s)",
		  dev.type);
	check(dev.ikey == 51 && dev.okey == 51, "keys %u/%u", dev.ikey, dev.okey);
	check(streq(dev.local, "10.9.0.1") && streq(dev.remote, "10.9.0.2"),
		  "endpoints %s === %s", dev.local, dev.remote);
	check(streq(dev.alias, "strongswan-vti drv/net"), "alias '%s'", dev.alias);
	check(dev.group == 165, "group %u", dev.group);
	check(dev.mtu == want, "mtu %u from the underlay's 1400 (expected %u)",
		  dev.mtu, want);
	check(dev.up, "admin up");
	check(dev.nopolicy == 1, "disable_policy %u", dev.nopolicy);

	reset_counts();
	expect_set(link, spec, TRUE, VTI_LINK_UNCHANGED, "same spec");
	check(changelinks == 0 && addlinks == 0, "no change sent (%d, %d)",
		  changelinks, addlinks);
	check(getlinks == 2, "2 RTM_GETLINK: the device and the underlay's MTU "
		  "(%d)", getlinks);
	events = drain_events("vti51");
	check(events.newlinks == 0, "no link event (%d)", events.newlinks);
	spec_destroy(spec);
}

/** Admin state, explicit and automatic MTU, re-key and moves in place */
static void test_change(vti_link_t *link)
{
	vti_link_spec_t *spec;
	device_t dev;
	int ifindex;

	printf("# change in place\n");
	spec = spec_create("vti51", 51, "10.9.0.1", "10.9.0.2", "drv/net", 0);
	ifindex = device("vti51").ifindex;
	expect_set(link, spec, FALSE, VTI_LINK_CHANGED, "down");
	check(!device("vti51").up, "vti51 admin down");
	expect_set(link, spec, FALSE, VTI_LINK_UNCHANGED, "down again");
	expect_set(link, spec, TRUE, VTI_LINK_CHANGED, "up");
	check(device("vti51").up, "vti51 admin up");

	spec->cfg->mtu = 1300;
	expect_set(link, spec, TRUE, VTI_LINK_CHANGED, "mtu = 1300");
	check(device("vti51").mtu == 1300, "mtu %u", device("vti51").mtu);
	spec->cfg->mtu = 0;
	expect_set(link, spec, TRUE, VTI_LINK_CHANGED, "automatic mtu");
	check(device("vti51").mtu == auto_mtu(spec, 1400), "mtu %u",
		  device("vti51").mtu);

	set_underlay_mtu(1450);
	expect_set(link, spec, TRUE, VTI_LINK_CHANGED, "underlay mtu 1450");
	check(device("vti51").mtu == auto_mtu(spec, 1450), "mtu %u follows the "
		  "underlay (expected %u)", device("vti51").mtu,
		  auto_mtu(spec, 1450));
	spec->underlay[0] = '\0';
	expect_set(link, spec, TRUE, VTI_LINK_UNCHANGED, "underlay found by its "
			   "address");
	set_underlay_mtu(1400);
	expect_set(link, spec, TRUE, VTI_LINK_CHANGED, "underlay mtu 1400, found "
			   "by its address");
	check(device("vti51").mtu == auto_mtu(spec, 1400), "mtu %u",
		  device("vti51").mtu);
	snprintf(spec->underlay, sizeof(spec->underlay), "%s", UNDERLAY);

	spec->key = 52;
	expect_set(link, spec, TRUE, VTI_LINK_CHANGED, "re-key to 52");
	dev = device("vti51");
	check(dev.ikey == 52 && dev.okey == 52 && dev.ifindex == ifindex,
		  "keys %u/%u, ifindex %d (was %d)", dev.ikey, dev.okey, dev.ifindex,
		  ifindex);
	check(dev.up && streq(dev.alias, "strongswan-vti drv/net"),
		  "still up and ours");
	spec_move(spec, "10.9.0.1", "10.9.0.5");
	expect_set(link, spec, TRUE, VTI_LINK_CHANGED, "move to 10.9.0.5");
	dev = device("vti51");
	check(streq(dev.remote, "10.9.0.5") && dev.ifindex == ifindex,
		  "remote %s, ifindex %d", dev.remote, dev.ifindex);
	spec->key = 51;
	spec_move(spec, "10.9.0.1", "10.9.0.2");
	expect_set(link, spec, TRUE, VTI_LINK_CHANGED, "back to key 51, .2");
	spec_destroy(spec);
}

/** Devices in the way: set() says BLOCKED for a twin between the same
 *  endpoints, ours or someone else's, and find_occupant() names it, which
 *  discard() deletes only if it is ours; FAILED for a foreign device with
 *  the name */
static void test_conflicts(vti_link_t *link)
{
	vti_link_spec_t *spec;
	vti_link_occupant_t occupant;
	device_t dev;

	printf("# conflicts\n");
	spec = spec_create("vti53", 53, "10.9.0.1", "10.9.0.2", "drv/twin", 0);
	clear_log();
	expect_set(link, spec, TRUE, VTI_LINK_BLOCKED, "twin of vti51 (ours, up)");
	check(!exists("vti53"), "no vti53");
	check(!log_has("gets no VTI"), "the driver logs nothing: the table "
		  "decides");
	check(link->find_occupant(link, spec, &occupant) &&
		  streq(occupant.name, "vti51") && occupant.ours && occupant.up &&
		  occupant.key == 51 && streq(occupant.owner, "drv/net"),
		  "find_occupant() gives vti51, ours, up, key 51, drv/net (%s, %d, "
		  "%d, %u, %s)", occupant.name, occupant.ours, occupant.up,
		  occupant.key, occupant.owner);
	check(device("vti51").up, "vti51 untouched");
	spec_destroy(spec);

	make_vti("vti90", 90, "10.9.0.1", "10.9.0.9", 0, NULL, TRUE);
	spec = spec_create("vti54", 54, "10.9.0.1", "10.9.0.9", "drv/foreign", 0);
	clear_log();
	reset_counts();
	expect_set(link, spec, TRUE, VTI_LINK_BLOCKED, "twin of a foreign vti90");
	check(addlinks == 1, "the kernel asked once (%d)", addlinks);
	check(!exists("vti54"), "no vti54");
	check(link->find_occupant(link, spec, &occupant) &&
		  streq(occupant.name, "vti90") && !occupant.ours && occupant.up &&
		  occupant.key == 90 && !occupant.owner[0],
		  "find_occupant() gives the foreign vti90, up, key 90");
	check(!link->discard(link, "vti90"), "discard() refuses the foreign "
		  "vti90");
	dev = device("vti90");
	check(dev.exists && dev.up && dev.ikey == 90 && dev.group == 0 &&
		  !dev.alias[0], "vti90 untouched");
	spec_destroy(spec);

	make_vti("vti56", 99, "10.9.0.1", "10.9.0.66", 0, NULL, FALSE);
	make_vti("vti57", 98, "10.9.0.1", "10.9.0.67", 165, "someone else's",
			 FALSE);
	spec = spec_create("vti56", 56, "10.9.0.1", "10.9.0.6", "drv/name", 1300);
	clear_log();
	expect_set(link, spec, TRUE, VTI_LINK_FAILED, "foreign vti56 has the name");
	check(log_has("drv/name gets no VTI: interface vti56 exists and is not "
				  "managed by strongswan-vti"), "one line names vti56");
	dev = device("vti56");
	check(dev.exists && !dev.up && dev.ikey == 99 &&
		  streq(dev.remote, "10.9.0.66") && dev.group == 0 && !dev.alias[0] &&
		  dev.mtu != 1300, "vti56 untouched (key %u, %s, mtu %u)", dev.ikey,
		  dev.remote, dev.mtu);
	link->remove(link, spec);
	check(exists("vti56"), "remove() leaves the foreign vti56");
	spec_destroy(spec);
	spec = spec_create("vti57", 57, "10.9.0.1", "10.9.0.7", "drv/alias", 0);
	expect_set(link, spec, TRUE, VTI_LINK_FAILED, "vti57 in group 165 with "
			   "someone else's alias");
	dev = device("vti57");
	check(dev.exists && !dev.up && dev.ikey == 98 &&
		  streq(dev.alias, "someone else's"), "vti57 untouched");
	spec_destroy(spec);

	/* a device of ours between the same endpoints, down: it makes room */
	spec = spec_create("vti51", 51, "10.9.0.1", "10.9.0.2", "drv/net", 0);
	expect_set(link, spec, FALSE, VTI_LINK_CHANGED, "vti51 down");
	spec_destroy(spec);
	spec = spec_create("vti55", 55, "10.9.0.1", "10.9.0.2", "drv/new", 0);
	expect_set(link, spec, TRUE, VTI_LINK_BLOCKED, "vti55 between vti51's "
			   "endpoints while vti51 is down");
	check(link->find_occupant(link, spec, &occupant) &&
		  streq(occupant.name, "vti51") && occupant.ours && !occupant.up,
		  "find_occupant() gives vti51, ours, down");
	check(link->discard(link, "vti51") && !exists("vti51"),
		  "discard() deletes vti51");
	check(link->discard(link, "vti51"), "discard() of a device that is gone "
		  "is fine");
	expect_set(link, spec, TRUE, VTI_LINK_CREATED, "vti55 where vti51 was");
	check(device("vti55").up, "vti55 up");

	/* a device of ours of the other family's kind is replaced */
	spec_move(spec, "fd00:9::1", "fd00:9::2");
	spec->overhead = vti_mtu_overhead(NULL, TRUE, FALSE);
	expect_set(link, spec, TRUE, VTI_LINK_CREATED, "vti55 as a vti6");
	dev = device("vti55");
	check(streq(dev.type, "vti6") && dev.ikey == 55 &&
		  streq(dev.local, "fd00:9::1") && streq(dev.remote, "fd00:9::2"),
		  "vti55 is a vti6 %s === %s, key %u", dev.local, dev.remote,
		  dev.ikey);
	check(dev.mtu == auto_mtu(spec, 1400) && dev.group == 165 && dev.up,
		  "mtu %u (expected %u), group %u", dev.mtu, auto_mtu(spec, 1400),
		  dev.group);

	link->remove(link, spec);
	check(!exists("vti55"), "remove() deletes vti55");
	link->remove(link, spec);
	check(TRUE, "remove() of a device that is gone is fine");
	spec_destroy(spec);
}

/** Start and end of the driver: devices of an earlier run set down, sweep,
 *  ours deleted or kept at the end; foreign ones never touched */
static void test_lifecycle(void)
{
	linked_list_t *owners;
	vti_link_t *link;
	device_t dev;

	printf("# retire at start, sweep, destroy\n");
	make_vti("vti61", 61, "10.9.0.1", "10.9.0.61", 165,
			 "strongswan-vti old/one", TRUE);
	make_vti("vti62", 62, "10.9.0.1", "10.9.0.62", 165, NULL, TRUE);
	make_vti("vti63", 63, "10.9.0.1", "10.9.0.63", 165,
			 "strongswan-vti old/gone", TRUE);
	make_vti("vti91", 91, "10.9.0.1", "10.9.0.91", 0, NULL, TRUE);

	link = vti_netlink_create(FALSE, FALSE);
	check(link != NULL, "driver created");
	if (!link)
	{
		return;
	}
	check(!device("vti61").up && !device("vti62").up && !device("vti63").up,
		  "devices of ours (alias, or group 165 and no alias) set down");
	check(device("vti91").up && device("vti56").exists &&
		  device("vti90").up, "foreign devices untouched");

	owners = linked_list_create_with_items("old/one", NULL);
	link->sweep(link, owners);
	owners->destroy(owners);
	check(exists("vti61"), "sweep keeps vti61 (its owner is configured)");
	check(!exists("vti62") && !exists("vti63"), "sweep deletes vti62 "
		  "(unfinished) and vti63 (owner not configured)");
	check(exists("vti91") && exists("vti90") && exists("vti56") &&
		  exists("vti57"), "sweep leaves foreign devices");

	link->destroy(link);
	check(!exists("vti61"), "destroy deletes vti61");
	check(exists("vti91") && exists("vti57"), "destroy leaves foreign "
		  "devices");

	make_vti("vti64", 64, "10.9.0.1", "10.9.0.64", 165,
			 "strongswan-vti old/kept", TRUE);
	link = vti_netlink_create(TRUE, FALSE);
	check(link != NULL, "driver created with keep_devices");
	if (link)
	{
		dev = device("vti64");
		check(dev.exists && !dev.up, "vti64 set down at start");
		owners = linked_list_create_with_items("old/kept", NULL);
		link->sweep(link, owners);
		owners->destroy(owners);
		link->destroy(link);
		dev = device("vti64");
		check(dev.exists && !dev.up, "keep_devices: vti64 kept, down");
	}
	delete_link("vti64");
}

/** A route of ours for the sink; free with route_free() */
static vti_route_t route_make(char *net, uint8_t len, uint32_t metric,
							  int ifindex, char *dev)
{
	return (vti_route_t){
		.net = host_create_from_string(net, 0),
		.prefixlen = len,
		.table = 254,
		.metric = metric,
		.blackhole = ifindex == 0,
		.ifindex = ifindex,
		.dev = dev,
	};
}

/** Free a route's host */
static void route_free(vti_route_t *route)
{
	route->net->destroy(route->net);
}

typedef struct place_t place_t;

/**
 * What the kernel has in a route's place (table, prefix and metric).
 */
struct place_t {

	/** routes there */
	int count;

	/** protocol of the last, -1 if none */
	int protocol;

	/** route type of the last, -1 if none */
	int type;

	/** device of the last, 0 if none */
	int ifindex;
};

/** Read the kernel's routes in a route's place */
static place_t place_of(vti_route_t *route)
{
	struct nl_cache *cache;
	struct nl_object *obj;
	struct rtnl_route *rt;
	struct rtnl_nexthop *nh;
	struct nl_addr *dst;
	place_t place = { .protocol = -1, .type = -1 };
	chunk_t addr = route->net->get_address(route->net);
	int family = route->net->get_family(route->net);

	if (rtnl_route_alloc_cache(sock, family, 0, &cache) < 0)
	{
		return place;
	}
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj))
	{
		rt = (struct rtnl_route*)obj;
		dst = rtnl_route_get_dst(rt);
		if (!dst || rtnl_route_get_table(rt) != route->table ||
			rtnl_route_get_priority(rt) != route->metric ||
			nl_addr_get_prefixlen(dst) != route->prefixlen ||
			nl_addr_get_len(dst) != addr.len ||
			!memeq(nl_addr_get_binary_addr(dst), addr.ptr, addr.len))
		{
			continue;
		}
		place.count++;
		place.protocol = rtnl_route_get_protocol(rt);
		place.type = rtnl_route_get_type(rt);
		nh = rtnl_route_get_nnexthops(rt) ? rtnl_route_nexthop_n(rt, 0) : NULL;
		place.ifindex = nh ? rtnl_route_nh_get_ifindex(nh) : 0;
	}
	nl_cache_free(cache);
	return place;
}

/** Add a route as an administrator would (protocol static) */
static void add_foreign_route(vti_route_t *route)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	chunk_t addr = route->net->get_address(route->net);
	struct nl_addr *dst;
	int err;

	dst = nl_addr_build(route->net->get_family(route->net), addr.ptr,
						addr.len);
	nl_addr_set_prefixlen(dst, route->prefixlen);
	rtnl_route_set_family(rt, route->net->get_family(route->net));
	rtnl_route_set_dst(rt, dst);
	nl_addr_put(dst);
	rtnl_route_set_table(rt, route->table);
	rtnl_route_set_priority(rt, route->metric);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_scope(rt, RT_SCOPE_LINK);
	rtnl_route_nh_set_ifindex(nh, route->ifindex);
	rtnl_route_add_nexthop(rt, nh);
	err = rtnl_route_add(sock, rt, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_route_put(rt);
	check(err == 0, "setup: a static route by hand (%s)", nl_geterror(err));
}

/** Whether a route is the one sweep's filter keeps */
static bool keep_blackholes_16(void *data, vti_route_t *route)
{
	return route->prefixlen == 16 && route->blackhole;
}

/** The route sink: exclusive adds, foreign routes never replaced or
 *  deleted, blackholes, lookup, wider, sweep */
static void test_route_sink(void)
{
	vti_route_sink_t *sink;
	vti_route_t r, hole, hole6, foreign, wide, kept;
	vti_link_spec_t *spec;
	vti_link_t *link;
	host_t *dst;
	place_t place;
	char *why = NULL;
	int vti, eth, lookup;

	printf("# route sink\n");
	/* a device to route through */
	link = vti_netlink_create(FALSE, FALSE);
	spec = spec_create("vti71", 71, "10.9.0.1", "10.9.0.71", "drv/routes", 0);
	expect_set(link, spec, TRUE, VTI_LINK_CREATED, "vti71 to route through");
	vti = device("vti71").ifindex;
	eth = device(UNDERLAY).ifindex;
	sink = vti_route_netlink_create(sock);

	r = route_make("10.71.0.0", 16, 0, vti, "vti71");
	check(sink->install(sink, &r, &why) == VTI_ROUTE_INSTALLED,
		  "10.71.0.0/16 dev vti71 installed (%s)", why ?: "");
	free(why);
	why = NULL;
	place = place_of(&r);
	check(place.count == 1 && place.protocol == 165 &&
		  place.type == RTN_UNICAST && place.ifindex == vti,
		  "the kernel has it, proto 165 dev vti71");
	check(sink->install(sink, &r, &why) == VTI_ROUTE_INSTALLED,
		  "installed again: ours is replaced (%s)", why ?: "");
	free(why);
	why = NULL;
	check(place_of(&r).count == 1, "still one route");

	dst = host_create_from_string("10.71.3.4", 0);
	check(sink->lookup(sink, dst) == vti, "lookup 10.71.3.4: vti71");
	dst->destroy(dst);

	hole = route_make("10.71.0.0", 16, 100, 0, NULL);
	check(sink->install(sink, &hole, &why) == VTI_ROUTE_INSTALLED,
		  "blackhole 10.71.0.0/16 metric 100 installed (%s)", why ?: "");
	free(why);
	why = NULL;
	place = place_of(&hole);
	check(place.count == 1 && place.protocol == 165 &&
		  place.type == RTN_BLACKHOLE, "the kernel has the blackhole");
	sink->remove(sink, &r);
	check(place_of(&r).count == 0, "the route through vti71 removed");
	dst = host_create_from_string("10.71.3.4", 0);
	check(sink->lookup(sink, dst) == 0, "lookup 10.71.3.4: the blackhole");
	dst->destroy(dst);
	dst = host_create_from_string("192.0.2.1", 0);
	lookup = sink->lookup(sink, dst);
	check(lookup < 0, "lookup 192.0.2.1: no route, not taken for a "
		  "blackhole (%d)", lookup);
	dst->destroy(dst);

	hole6 = route_make("fd00:71::", 48, 1024, 0, NULL);
	check(sink->install(sink, &hole6, &why) == VTI_ROUTE_INSTALLED,
		  "blackhole fd00:71::/48 installed (%s)", why ?: "");
	free(why);
	why = NULL;
	check(place_of(&hole6).type == RTN_BLACKHOLE, "the kernel has it");

	/* someone else's route in the place of ours */
	foreign = route_make("10.72.0.0", 24, 0, eth, UNDERLAY);
	add_foreign_route(&foreign);
	route_free(&r);
	r = (vti_route_t){ .net = foreign.net, .prefixlen = 24, .table = 254,
		.ifindex = vti, .dev = "vti71" };
	check(sink->install(sink, &r, &why) == VTI_ROUTE_BLOCKED,
		  "10.72.0.0/24 dev vti71 blocked by the static route");
	check(why && strstr(why, "10.72.0.0/24") && strstr(why, "dev " UNDERLAY) &&
		  strstr(why, "proto static"), "why names it: '%s'", why ?: "");
	free(why);
	why = NULL;
	place = place_of(&foreign);
	check(place.count == 1 && place.protocol == RTPROT_STATIC &&
		  place.ifindex == eth, "the static route stays as it was");
	sink->remove(sink, &r);
	r.ifindex = eth;
	r.dev = UNDERLAY;
	sink->remove(sink, &r);
	place = place_of(&foreign);
	check(place.count == 1 && place.protocol == RTPROT_STATIC,
		  "remove() of ours, also with its device, leaves it");

	/* wider: the most specific route wider than a prefix */
	wide = route_make("10.73.0.0", 16, 0, vti, "vti71");
	sink->install(sink, &wide, &why);
	free(why);
	why = NULL;
	r = route_make("10.73.5.0", 24, 0, 0, NULL);
	check(sink->wider(sink, r.net, 24, 254) == vti, "wider than "
		  "10.73.5.0/24: vti71's /16");
	check(sink->wider(sink, wide.net, 16, 254) == 0, "nothing wider than the "
		  "/16 through a device");
	route_free(&r);

	/* sweep: ours go unless kept, foreign stays */
	kept = route_make("10.74.0.0", 16, 0, 0, NULL);
	sink->install(sink, &kept, &why);
	free(why);
	why = NULL;
	sink->sweep(sink, keep_blackholes_16, NULL);
	check(place_of(&kept).count == 1 && place_of(&hole).count == 1,
		  "sweep keeps the /16 blackholes its filter keeps");
	check(place_of(&wide).count == 0 && place_of(&hole6).count == 0,
		  "sweep removes ours it does not keep");
	check(place_of(&foreign).count == 1, "sweep leaves the static route");
	sink->sweep(sink, NULL, NULL);
	check(place_of(&kept).count == 0 && place_of(&hole).count == 0,
		  "sweep without a filter removes every route of ours");
	check(place_of(&foreign).count == 1, "and leaves the static route");

	route_free(&hole);
	route_free(&hole6);
	route_free(&foreign);
	route_free(&wide);
	route_free(&kept);
	sink->destroy(sink);
	link->remove(link, spec);
	spec_destroy(spec);
	link->destroy(link);
}

int main(void)
{
	vti_link_t *link;

	setvbuf(stdout, NULL, _IOLBF, 0);
	library_init(NULL, "vti-drivers");
	dbg = capture_dbg;
	sock = nl_socket_alloc();
	monitor = nl_socket_alloc();
	if (!sock || !monitor || nl_connect(sock, NETLINK_ROUTE) < 0 ||
		nl_connect(monitor, NETLINK_ROUTE) < 0)
	{
		printf("FAIL no rtnetlink socket\n");
		return 1;
	}
	nl_socket_disable_seq_check(monitor);
	nl_socket_add_membership(monitor, RTNLGRP_LINK);
	nl_socket_set_nonblocking(monitor);

	link = vti_netlink_create(FALSE, FALSE);
	check(link != NULL, "driver created");
	if (link)
	{
		test_create(link);
		test_change(link);
		test_conflicts(link);
		link->destroy(link);
	}
	test_lifecycle();
	test_route_sink();

	nl_socket_free(monitor);
	nl_socket_free(sock);
	library_deinit();
	printf("%d checks, %d failed\n", checks, failed);
	return failed ? 1 : 0;
}
