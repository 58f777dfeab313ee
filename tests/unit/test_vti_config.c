/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Unit tests of the per-tunnel settings: defaults, the lookup order from
 * child to connection to key to global, and bad values, each of which must
 * be refused with one log line and replaced by its default or left out.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vti_config.h"
#include "vti_prefix.h"

/** Log lines kept for a test */
#define MAX_LINES 16

/** Log lines since the last settings() */
static char lines[MAX_LINES][512];

/** Number of log lines since the last settings() */
static int line_count;

/** Keep log lines instead of printing them */
static void record(debug_t group, level_t level, char *fmt, ...)
{
	va_list args;

	if (line_count < MAX_LINES)
	{
		va_start(args, fmt);
		vsnprintf(lines[line_count], sizeof(lines[0]), fmt, args);
		va_end(args);
		print_message("%s\n", lines[line_count]);
	}
	line_count++;
}

/** Replace charon's settings with a strongswan.conf snippet, forget logs */
static void settings(char *conf)
{
	assert_true(lib->settings->load_string(lib->settings, conf, FALSE));
	line_count = 0;
}

/** Assert that exactly one line was logged, and that it holds all parts */
static void logged_once(char *part, char *other, char *more)
{
	char *parts[] = { part, other, more };
	size_t i;

	assert_int_equal(line_count, 1);
	for (i = 0; i < countof(parts); i++)
	{
		if (parts[i] && !strstr(lines[0], parts[i]))
		{
			fail_msg("'%s' is not in '%s'", parts[i], lines[0]);
		}
	}
}

/** Resolve key 15 of site/net with one setting given globally */
static vti_config_t *resolve_with(char *name, char *value)
{
	char conf[256];

	snprintf(conf, sizeof(conf),
			 "charon { plugins { vti { %s = \"%s\" } } }", name, value);
	settings(conf);
	return vti_config_resolve("site", "net", VTI_KIND_VTI, 15);
}

/**
 * Assert that an entry of a list setting is left out with one line naming
 * the tunnel, the setting, the entry and (part of) the accepted form,
 * while a good entry next to it stays.
 */
static void left_out(char *name, char *entry, char *form)
{
	vti_config_t *cfg;
	array_t *list;
	char value[128];

	snprintf(value, sizeof(value), "%s, %s", entry,
			 streq(name, "routes") ? "10.99.0.0/16" : "10.99.0.1/16");
	cfg = resolve_with(name, value);
	list = streq(name, "routes") ? cfg->route_list : cfg->addresses;
	assert_int_equal(array_count(list), 1);
	snprintf(value, sizeof(value), "charon.plugins.vti.%s entry '%s' is "
			 "invalid", name, entry);
	logged_once("vti: site/net: ", value, form);
	vti_config_destroy(cfg);
}

/** The first entry of a list of prefixes, printed */
static char *first(array_t *list)
{
	static char str[VTI_PREFIX_STRLEN];
	vti_prefix_t *prefix = NULL;

	array_get(list, ARRAY_HEAD, &prefix);
	assert_non_null(prefix);
	return prefix->print(prefix, str, sizeof(str));
}

/** Assert that a list setting takes an entry, in its canonical form */
static void taken(char *name, char *entry, char *canonical)
{
	vti_config_t *cfg;
	array_t *list;

	cfg = resolve_with(name, entry);
	list = streq(name, "routes") ? cfg->route_list : cfg->addresses;
	assert_int_equal(line_count, 0);
	assert_int_equal(array_count(list), 1);
	assert_string_equal(first(list), canonical);
	vti_config_destroy(cfg);
}

/** Assert that a name template is refused for vti<key>, with one line */
static void name_refused(char *template)
{
	vti_config_t *cfg;

	cfg = resolve_with("name", template);
	assert_string_equal(cfg->name, "vti15");
	logged_once("charon.plugins.vti.name = '", template, "using vti%k");
	vti_config_destroy(cfg);
}

/** Assert that an MTU is refused for auto, with one line */
static void mtu_refused(char *value)
{
	vti_config_t *cfg;

	cfg = resolve_with("mtu", value);
	assert_int_equal(cfg->mtu, 0);
	logged_once("charon.plugins.vti.mtu = '", value,
				"expected auto or a number from 68 to 65495; using auto");
	vti_config_destroy(cfg);
}

/** Without settings: vti<key>, automatic MTU, no routes, admin down */
static void test_defaults(void **state)
{
	vti_config_t *cfg;

	settings("");
	cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 15);
	assert_string_equal(cfg->name, "vti15");
	assert_int_equal(cfg->mtu, 0);
	assert_int_equal(array_count(cfg->addresses), 0);
	assert_int_equal(cfg->routes, VTI_ROUTES_NONE);
	assert_int_equal(cfg->table, 254);
	assert_int_equal(cfg->metric, 0);
	assert_true(cfg->fail_closed);
	assert_int_equal(cfg->fail_closed_metric, UINT32_MAX);
	assert_int_equal(cfg->down_action, VTI_DOWN_ACTION_DOWN);
	vti_config_destroy(cfg);
}

/** protect: remote_ts by default, none, or a strict list of prefixes */
static void test_protect(void **state)
{
	vti_config_t *cfg, *other;

	settings("");
	cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 15);
	assert_int_equal(cfg->protect, VTI_PROTECT_REMOTE_TS);
	vti_config_destroy(cfg);
	cfg = resolve_with("protect", "none");
	assert_int_equal(cfg->protect, VTI_PROTECT_NONE);
	vti_config_destroy(cfg);
	cfg = resolve_with("protect", "10.2.0.0/16, 10.3.0.1/16, fd00:2::/64");
	assert_int_equal(line_count, 0);
	vti_config_destroy(cfg);
	cfg = vti_config_resolve_protection("site", "net", VTI_KIND_VTI, 15);
	logged_once("site/net", "protect", "10.3.0.1/16");
	assert_int_equal(cfg->protect, VTI_PROTECT_LIST);
	assert_int_equal(array_count(cfg->protect_list), 2);
	other = vti_config_clone(cfg);
	assert_true(vti_config_equals(cfg, other));
	other->protect = VTI_PROTECT_NONE;
	assert_false(vti_config_equals(cfg, other));
	vti_config_destroy(other);
	vti_config_destroy(cfg);
}

/** remote: the peer's by default, any for a device shared by every peer;
 *  anything else is one line and the default */
static void test_remote(void **state)
{
	vti_config_t *cfg, *other;

	settings("charon { plugins { vti { keys { 42 { remote = any } } } } }");
	cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 15);
	assert_int_equal(cfg->remote, VTI_REMOTE_PEER);
	other = vti_config_resolve("site", "net", VTI_KIND_VTI, 42);
	assert_int_equal(other->remote, VTI_REMOTE_ANY);
	assert_false(vti_config_equals(cfg, other));
	vti_config_destroy(other);
	vti_config_destroy(cfg);
	cfg = resolve_with("remote", "peer");
	assert_int_equal(cfg->remote, VTI_REMOTE_PEER);
	assert_int_equal(line_count, 0);
	vti_config_destroy(cfg);
	cfg = resolve_with("remote", "10.9.0.2");
	logged_once("site/net", "remote", "peer or any");
	assert_int_equal(cfg->remote, VTI_REMOTE_PEER);
	vti_config_destroy(cfg);
}

/** Global settings apply to every tunnel */
static void test_global(void **state)
{
	vti_config_t *cfg;

	settings("charon { plugins { vti {\n"
			 "  name = ipsec%k\n  mtu = 1400\n"
			 "  addresses = 169.254.0.1/30, fd00::1/64\n"
			 "  routes = 10.1.0.0/16, 2001:db8::/32\n"
			 "  table = 100\n  metric = 50\n  fail_closed = no\n"
			 "  down_action = delete\n"
			 "} } }");
	cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 7);
	assert_string_equal(cfg->name, "ipsec7");
	assert_int_equal(cfg->mtu, 1400);
	assert_int_equal(array_count(cfg->addresses), 2);
	assert_string_equal(first(cfg->addresses), "169.254.0.1/30");
	assert_int_equal(cfg->routes, VTI_ROUTES_LIST);
	assert_int_equal(array_count(cfg->route_list), 2);
	assert_string_equal(first(cfg->route_list), "10.1.0.0/16");
	assert_int_equal(cfg->table, 100);
	assert_int_equal(cfg->metric, 50);
	assert_false(cfg->fail_closed);
	assert_int_equal(cfg->down_action, VTI_DOWN_ACTION_DELETE);
	vti_config_destroy(cfg);
}

/** child beats connection beats key beats global */
static void test_precedence(void **state)
{
	vti_config_t *cfg;

	settings("charon { plugins { vti {\n"
			 "  metric = 1\n"
			 "  keys { 15 { metric = 2\n mtu = 1300 } }\n"
			 "  connections { site {\n"
			 "    metric = 3\n"
			 "    children { net { metric = 4 } }\n"
			 "  } }\n"
			 "} } }");
	cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 15);
	assert_int_equal(cfg->metric, 4);
	assert_int_equal(cfg->mtu, 1300);
	vti_config_destroy(cfg);
	cfg = vti_config_resolve("site", "other", VTI_KIND_VTI, 15);
	assert_int_equal(cfg->metric, 3);
	vti_config_destroy(cfg);
	cfg = vti_config_resolve("elsewhere", "net", VTI_KIND_VTI, 15);
	assert_int_equal(cfg->metric, 2);
	vti_config_destroy(cfg);
	cfg = vti_config_resolve("elsewhere", "net", VTI_KIND_VTI, 16);
	assert_int_equal(cfg->metric, 1);
	assert_int_equal(cfg->mtu, 0);
	vti_config_destroy(cfg);
}

/** routes = remote_ts follows the traffic selectors */
static void test_routes_remote_ts(void **state)
{
	vti_config_t *cfg;

	settings("charon { plugins { vti { routes = remote_ts } } }");
	cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 15);
	assert_int_equal(cfg->routes, VTI_ROUTES_REMOTE_TS);
	vti_config_destroy(cfg);
}

/** Bad values fall back to their defaults; bad list entries are left out */
static void test_bad_values(void **state)
{
	vti_config_t *cfg;

	settings("charon { plugins { vti {\n"
			 "  mtu = 20\n  table = 0\n  metric = -1\n  fail_closed = maybe\n"
			 "  down_action = explode\n"
			 "  addresses = 169.254.0.1/30, bogus, 10.0.0.1\n"
			 "  routes = 10.1.0.0/16, not-a-prefix\n"
			 "} } }");
	cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 15);
	assert_int_equal(cfg->mtu, 0);
	assert_int_equal(cfg->table, 254);
	assert_int_equal(cfg->metric, 0);
	assert_true(cfg->fail_closed);
	assert_int_equal(cfg->down_action, VTI_DOWN_ACTION_DOWN);
	assert_int_equal(array_count(cfg->addresses), 1);
	assert_int_equal(array_count(cfg->route_list), 1);
	vti_config_destroy(cfg);
}

/** Names that are no interface names fall back to vti<key> */
static void test_bad_names(void **state)
{
	char *bad[] = {
		"this-name-is-far-too-long%k", "a/b%k", "a b", "x:%k", "%k%k%k%k",
	};
	vti_config_t *cfg;
	char conf[128];
	size_t i;

	for (i = 0; i < countof(bad); i++)
	{
		snprintf(conf, sizeof(conf),
				 "charon { plugins { vti { name = \"%s\" } } }", bad[i]);
		settings(conf);
		cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 4000000000u);
		assert_string_equal(cfg->name, "vti4000000000");
		vti_config_destroy(cfg);
	}
}

/** XFRM interfaces: xfrm<if_id> by default, from xfrm_name at every level,
 *  never from the VTI name; a bad template falls back with one line */
static void test_xfrm_name(void **state)
{
	vti_config_t *cfg;

	settings("charon { plugins { vti { name = tun%k } } }");
	cfg = vti_config_resolve("site", "net", VTI_KIND_XFRM, 7);
	assert_int_equal(cfg->kind, VTI_KIND_XFRM);
	assert_string_equal(cfg->name, "xfrm7");
	assert_int_equal(line_count, 0);
	vti_config_destroy(cfg);

	settings("charon { plugins { vti {\n"
			 "  xfrm_name = if%k\n"
			 "  keys { 8 { xfrm_name = key%k } }\n"
			 "  connections { site { xfrm_name = site%k\n"
			 "    children { net { xfrm_name = net%k } } } }\n"
			 "} } }");
	cfg = vti_config_resolve("site", "net", VTI_KIND_XFRM, 7);
	assert_string_equal(cfg->name, "net7");
	vti_config_destroy(cfg);
	cfg = vti_config_resolve("site", "other", VTI_KIND_XFRM, 7);
	assert_string_equal(cfg->name, "site7");
	vti_config_destroy(cfg);
	cfg = vti_config_resolve("elsewhere", "net", VTI_KIND_XFRM, 8);
	assert_string_equal(cfg->name, "key8");
	vti_config_destroy(cfg);
	cfg = vti_config_resolve("elsewhere", "net", VTI_KIND_XFRM, 7);
	assert_string_equal(cfg->name, "if7");
	vti_config_destroy(cfg);
	cfg = vti_config_resolve("elsewhere", "net", VTI_KIND_VTI, 7);
	assert_string_equal(cfg->name, "vti7");
	assert_int_equal(cfg->kind, VTI_KIND_VTI);
	vti_config_destroy(cfg);

	settings("charon { plugins { vti { xfrm_name = \"x%d\" } } }");
	cfg = vti_config_resolve("site", "net", VTI_KIND_XFRM, 7);
	assert_string_equal(cfg->name, "xfrm7");
	logged_once("vti: site/net: charon.plugins.vti.xfrm_name = 'x%d' is "
				"invalid", "the if_id", "using xfrm%k");
	vti_config_destroy(cfg);
}

/** Settings for the two kinds of device never compare equal */
static void test_kind_equals(void **state)
{
	vti_config_t *vti, *xfrm;

	settings("charon { plugins { vti { name = dev%k\n"
			 "  xfrm_name = dev%k } } }");
	vti = vti_config_resolve("site", "net", VTI_KIND_VTI, 7);
	xfrm = vti_config_resolve("site", "net", VTI_KIND_XFRM, 7);
	assert_string_equal(vti->name, xfrm->name);
	assert_false(vti_config_equals(vti, xfrm));
	vti_config_destroy(vti);
	vti_config_destroy(xfrm);
}

/** Name templates: %k is the key, %% a percent sign, a fixed name stays */
static void test_expand_name(void **state)
{
	char name[IFNAMSIZ];

	assert_true(vti_config_expand_name("vti%k", 15, name));
	assert_string_equal(name, "vti15");
	assert_true(vti_config_expand_name("tun-to-b", 15, name));
	assert_string_equal(name, "tun-to-b");
	assert_false(vti_config_expand_name("v%%%k", 9, name));
	assert_false(vti_config_expand_name("vti%d", 9, name));
	assert_false(vti_config_expand_name("vti%k%", 9, name));
	assert_false(vti_config_expand_name("%", 9, name));
	assert_true(vti_config_expand_name("vti%k", 0xffffffff, name));
	assert_string_equal(name, "vti4294967295");
	assert_false(vti_config_expand_name("", 1, name));
	assert_false(vti_config_expand_name("..", 1, name));
	assert_true(vti_config_expand_name("abcdefghijklm%k", 15, name));
	assert_false(vti_config_expand_name("abcdefghijklmn%k", 15, name));
}

/** Copies compare equal, changes do not */
static void test_clone_equals(void **state)
{
	vti_config_t *cfg, *clone;

	settings("charon { plugins { vti { addresses = 169.254.0.1/30 } } }");
	cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 15);
	clone = vti_config_clone(cfg);
	assert_true(vti_config_equals(cfg, clone));
	clone->metric = 9;
	assert_false(vti_config_equals(cfg, clone));
	vti_config_destroy(clone);
	clone = vti_config_clone(cfg);
	array_insert_create(&clone->addresses, ARRAY_TAIL,
						vti_prefix_create_from_string("10.0.0.1/32"));
	assert_false(vti_config_equals(cfg, clone));
	vti_config_destroy(clone);
	/* the same address with another length is another entry */
	clone = vti_config_clone(cfg);
	vti_prefix_list_destroy(clone->addresses);
	clone->addresses = NULL;
	array_insert_create(&clone->addresses, ARRAY_TAIL,
						vti_prefix_create_from_string("169.254.0.1/29"));
	assert_false(vti_config_equals(cfg, clone));
	vti_config_destroy(clone);
	vti_config_destroy(cfg);
}

/** Settings are shared by reference; another name gives a copy, the same
 *  name another reference; the last reference frees them */
static void test_refs_and_names(void **state)
{
	vti_config_t *cfg, *same, *renamed;

	settings("charon { plugins { vti { addresses = 169.254.0.1/30 } } }");
	cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 15);
	assert_int_equal(ref_cur(&cfg->refcount), 1);
	same = vti_config_with_name(cfg, "vti15");
	assert_ptr_equal(same, cfg);
	assert_int_equal(ref_cur(&cfg->refcount), 2);
	renamed = vti_config_with_name(cfg, "spoke3");
	assert_ptr_not_equal(renamed, cfg);
	assert_string_equal(renamed->name, "spoke3");
	assert_string_equal(cfg->name, "vti15");
	assert_int_equal(ref_cur(&renamed->refcount), 1);
	assert_int_equal(ref_cur(&cfg->refcount), 2);
	memcpy(renamed->name, cfg->name, sizeof(cfg->name));
	assert_true(vti_config_equals(cfg, renamed));
	vti_config_destroy(renamed);
	assert_ptr_equal(vti_config_get_ref(cfg), cfg);
	vti_config_destroy(same);
	vti_config_destroy(cfg);
	assert_int_equal(ref_cur(&cfg->refcount), 1);
	vti_config_destroy(cfg);
}

/** A route's prefix length must be a number: 10.1.0.0/abc is refused */
static void test_route_len_not_a_number(void **state)
{
	left_out("routes", "10.1.0.0/abc", "expected NET/LEN with LEN 0-32 for "
			 "IPv4 or 0-128 for IPv6, e.g. 10.1.0.0/16; leaving it out");
	left_out("routes", "2001:db8::/x", "NET/LEN");
}

/** A route needs its prefix length: 10.4.0.0/ and 10.4.0.0 are refused */
static void test_route_len_missing(void **state)
{
	left_out("routes", "10.4.0.0/", "NET/LEN");
	left_out("routes", "10.4.0.0", "NET/LEN");
	left_out("routes", "2001:db8::", "NET/LEN");
}

/** A route is no wildcard: %any, %any6 and %any4 are refused */
static void test_route_any(void **state)
{
	left_out("routes", "%any", "NET/LEN");
	left_out("routes", "%any6", "NET/LEN");
	left_out("routes", "%any/0", "NET/LEN");
	left_out("routes", "%any4/0", "NET/LEN");
}

/** A prefix length beyond the family's bits is refused */
static void test_route_len_out_of_range(void **state)
{
	left_out("routes", "10.0.0.0/40", "LEN 0-32 for IPv4");
	left_out("routes", "10.0.0.0/33", "LEN 0-32 for IPv4");
	left_out("routes", "2001:db8::/129", "0-128 for IPv6");
	left_out("routes", "10.0.0.0/4294967312", "NET/LEN");
}

/** Negative lengths and a missing network are refused */
static void test_route_len_negative(void **state)
{
	left_out("routes", "10.0.0.0/-1", "NET/LEN");
	left_out("routes", "/-1", "NET/LEN");
	left_out("routes", "/16", "NET/LEN");
}

/** A route with host bits is refused, and the line shows its network */
static void test_route_host_bits(void **state)
{
	left_out("routes", "10.1.0.1/16",
			 "expected NET/LEN without host bits, here 10.1.0.0/16");
	left_out("routes", "10.1.128.0/15", "here 10.0.0.0/15");
	left_out("routes", "2001:db8::1/32", "here 2001:db8::/32");
	left_out("routes", "0.0.0.1/0", "here 0.0.0.0/0");
}

/** Anything after the prefix length, or inside it, is refused */
static void test_route_trailing_garbage(void **state)
{
	left_out("routes", "10.1.0.0/16x", "NET/LEN");
	left_out("routes", "10.1.0.0/16/8", "NET/LEN");
	left_out("routes", "10.1.0.0/+16", "NET/LEN");
	left_out("routes", "10.1.0.0/ 16", "NET/LEN");
	left_out("routes", "10.1.0.0/0x10", "NET/LEN");
	left_out("routes", "10.1.0.0 10.2.0.0/16", "NET/LEN");
	left_out("routes", "10.1.0/16", "NET/LEN");
	left_out("routes", "fe80::1%eth0/64", "NET/LEN");
	left_out("routes", "none", "NET/LEN");
}

/** Good routes are kept in their canonical form, each once */
static void test_route_canonical(void **state)
{
	vti_config_t *cfg;

	taken("routes", "0.0.0.0/0", "0.0.0.0/0");
	taken("routes", "::/0", "::/0");
	taken("routes", "2001:DB8:0:0::/32", "2001:db8::/32");
	taken("routes", "10.1.0.0/016", "10.1.0.0/16");
	taken("routes", "224.0.0.0/4", "224.0.0.0/4");
	cfg = resolve_with("routes", "10.1.0.0/16,10.1.0.0/16");
	assert_int_equal(array_count(cfg->route_list), 1);
	logged_once("routes entry '10.1.0.0/16' is invalid", "each entry once",
				NULL);
	vti_config_destroy(cfg);
}

/** An address needs a numeric length in range, and nothing after it */
static void test_address_len(void **state)
{
	left_out("addresses", "169.254.15.1/abc", "expected ADDRESS/LEN with "
			 "LEN 0-32 for IPv4 or 0-128 for IPv6, e.g. 169.254.15.1/30");
	left_out("addresses", "169.254.15.1/", "ADDRESS/LEN");
	left_out("addresses", "169.254.15.1", "ADDRESS/LEN");
	left_out("addresses", "169.254.15.1/33", "ADDRESS/LEN");
	left_out("addresses", "fd00::1/129", "ADDRESS/LEN");
	left_out("addresses", "169.254.15.1/-1", "ADDRESS/LEN");
	left_out("addresses", "169.254.15.1/+30", "ADDRESS/LEN");
	left_out("addresses", "169.254.15.1/30x", "ADDRESS/LEN");
}

/** An address is no wildcard: %any and %any6 are refused */
static void test_address_any(void **state)
{
	left_out("addresses", "%any/30", "ADDRESS/LEN");
	left_out("addresses", "%any6/64", "ADDRESS/LEN");
}

/** An address must be a host of its prefix */
static void test_address_not_a_host(void **state)
{
	left_out("addresses", "0.0.0.0/8", "not the unspecified address");
	left_out("addresses", "::/64", "not the unspecified address");
	left_out("addresses", "169.254.15.0/30",
			 "not the network address of its prefix");
	left_out("addresses", "fd00:15::/64",
			 "not the network address of its prefix");
	left_out("addresses", "169.254.15.3/30",
			 "not the broadcast address of its prefix");
	left_out("addresses", "224.0.0.5/24", "not a multicast address");
	left_out("addresses", "ff02::5/64", "not a multicast address");
}

/** Host addresses are taken, in their canonical form */
static void test_address_hosts(void **state)
{
	taken("addresses", "169.254.15.1/30", "169.254.15.1/30");
	taken("addresses", "169.254.15.2/31", "169.254.15.2/31");
	taken("addresses", "169.254.15.3/31", "169.254.15.3/31");
	taken("addresses", "10.8.8.8/32", "10.8.8.8/32");
	taken("addresses", "FD00:15:0::1/64", "fd00:15::1/64");
	taken("addresses", "2001:db8::/127", "2001:db8::/127");
	taken("addresses", "fe80::1/64", "fe80::1/64");
}

/** Below 1280 the kernel runs no IPv6 on a device: IPv6 entries go */
static void test_ipv6_below_1280(void **state)
{
	vti_config_t *cfg;

	settings("charon { plugins { vti {\n"
			 "  mtu = 1279\n"
			 "  addresses = 169.254.15.1/30, fd00:15::1/64\n"
			 "} } }");
	cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 15);
	assert_int_equal(cfg->mtu, 1279);
	assert_int_equal(array_count(cfg->addresses), 1);
	assert_string_equal(first(cfg->addresses), "169.254.15.1/30");
	logged_once("addresses entry 'fd00:15::1/64' is invalid",
				"IPv4 only with mtu = 1279", "below 1280");
	vti_config_destroy(cfg);
	settings("charon { plugins { vti {\n"
			 "  mtu = 1200\n  routes = 2001:db8::/32, 10.1.0.0/16\n"
			 "} } }");
	cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 15);
	assert_int_equal(array_count(cfg->route_list), 1);
	assert_string_equal(first(cfg->route_list), "10.1.0.0/16");
	logged_once("routes entry '2001:db8::/32' is invalid",
				"IPv4 only with mtu = 1200", NULL);
	vti_config_destroy(cfg);
	settings("charon { plugins { vti {\n"
			 "  mtu = 1280\n  routes = 2001:db8::/32\n"
			 "} } }");
	cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 15);
	assert_int_equal(array_count(cfg->route_list), 1);
	assert_int_equal(line_count, 0);
	vti_config_destroy(cfg);
}

/** %d, which the kernel would expand itself, is refused */
static void test_name_percent_d(void **state)
{
	name_refused("vti%d");
	name_refused("%d");
}

/** A trailing %, or % before anything but k, is refused */
static void test_name_other_percent(void **state)
{
	name_refused("vti%k%");
	name_refused("vti%");
	name_refused("vti%K");
	name_refused("v%%%k");
	name_refused("v%s");
}

/** Names the kernel keeps for itself, or whose bytes it refuses */
static void test_name_kernel_refuses(void **state)
{
	name_refused("all");
	name_refused("default");
	name_refused(".");
	name_refused("a\xa0%k");
	name_refused("");
}

/** The MTU range is what both vti (68-65515) and vti6 (68-65495) take */
static void test_mtu_kernel_range(void **state)
{
	vti_config_t *cfg;

	mtu_refused("65535");
	mtu_refused("65496");
	mtu_refused("67");
	mtu_refused("0");
	cfg = resolve_with("mtu", "65495");
	assert_int_equal(cfg->mtu, 65495);
	vti_config_destroy(cfg);
	cfg = resolve_with("mtu", "68");
	assert_int_equal(cfg->mtu, 68);
	assert_int_equal(line_count, 0);
	vti_config_destroy(cfg);
}

/** Numbers are decimal digits only: no sign, spaces, hex or exponent */
static void test_number_forms(void **state)
{
	vti_config_t *cfg;

	mtu_refused("+1400");
	mtu_refused(" 1400");
	mtu_refused("1400 ");
	mtu_refused("0x578");
	mtu_refused("1.4e3");
	mtu_refused("");
	cfg = resolve_with("metric", "+5");
	assert_int_equal(cfg->metric, 0);
	logged_once("charon.plugins.vti.metric = '+5' is invalid", NULL, NULL);
	vti_config_destroy(cfg);
	cfg = resolve_with("table", " 100");
	assert_int_equal(cfg->table, 254);
	logged_once("charon.plugins.vti.table = ' 100' is invalid", NULL, NULL);
	vti_config_destroy(cfg);
	cfg = resolve_with("fail_closed_metric", "4294967296");
	assert_int_equal(cfg->fail_closed_metric, UINT32_MAX);
	logged_once("fail_closed_metric = '4294967296' is invalid", NULL, NULL);
	vti_config_destroy(cfg);
	cfg = resolve_with("metric", "4294967295");
	assert_int_equal(cfg->metric, UINT32_MAX);
	assert_int_equal(line_count, 0);
	vti_config_destroy(cfg);
}

/** An empty strongswan.conf, so that the host's settings do not count */
static char empty_conf[] = "/tmp/vti-unit-XXXXXX";

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_global),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_routes_remote_ts),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_expand_name),
		cmocka_unit_test(test_xfrm_name),
		cmocka_unit_test(test_kind_equals),
		cmocka_unit_test(test_clone_equals),
		cmocka_unit_test(test_route_len_not_a_number),
		cmocka_unit_test(test_route_len_missing),
		cmocka_unit_test(test_route_any),
		cmocka_unit_test(test_route_len_out_of_range),
		cmocka_unit_test(test_route_len_negative),
		cmocka_unit_test(test_route_host_bits),
		cmocka_unit_test(test_route_trailing_garbage),
		cmocka_unit_test(test_route_canonical),
		cmocka_unit_test(test_address_len),
		cmocka_unit_test(test_address_any),
		cmocka_unit_test(test_address_not_a_host),
		cmocka_unit_test(test_address_hosts),
		cmocka_unit_test(test_ipv6_below_1280),
		cmocka_unit_test(test_name_percent_d),
		cmocka_unit_test(test_name_other_percent),
		cmocka_unit_test(test_name_kernel_refuses),
		cmocka_unit_test(test_mtu_kernel_range),
		cmocka_unit_test(test_number_forms),
		cmocka_unit_test(test_protect),
		cmocka_unit_test(test_remote),
		cmocka_unit_test(test_refs_and_names),
	};
	int failed;

	close(mkstemp(empty_conf));
	library_init(empty_conf, "charon");
	dbg = record;
	failed = cmocka_run_group_tests_name("vti_config", tests, NULL, NULL);
	library_deinit();
	unlink(empty_conf);
	return failed;
}
