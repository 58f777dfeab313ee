/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Unit tests of what may be routed into a VTI: negotiated selectors within
 * the configured ones, as exact CIDR blocks, never covering the tunnel's
 * own outer addresses; and of the typed prefix they travel as.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vti_prefixes.h"

#include <selectors/traffic_selector.h>

/** Log lines of level 1 or lower since the test began */
static linked_list_t *logged;

/** Records log lines instead of printing them */
static void capture(debug_t group, level_t level, char *fmt, ...)
{
	va_list args;
	char *line;

	if (level > LEVEL_CTRL)
	{
		return;
	}
	va_start(args, fmt);
	if (vasprintf(&line, fmt, args) >= 0)
	{
		logged->insert_last(logged, line);
	}
	va_end(args);
}

static int setup(void **state)
{
	logged = linked_list_create();
	dbg = capture;
	return 0;
}

static int teardown(void **state)
{
	logged->destroy_function(logged, free);
	return 0;
}

/** A selector from "NET/LEN", "FROM-TO" or "NET/LEN PROTO [PORT]" */
static traffic_selector_t *ts(char *str)
{
	char buf[128], *sep;
	traffic_selector_t *ts;
	int proto = 0, port = -1;

	snprintf(buf, sizeof(buf), "%s", str);
	sep = strchr(buf, ' ');
	if (sep)
	{
		*sep = '\0';
		sscanf(sep + 1, "%d %d", &proto, &port);
	}
	sep = strchr(buf, '-');
	if (sep)
	{
		*sep = '\0';
		ts = traffic_selector_create_from_string(0,
					strchr(buf, ':') ? TS_IPV6_ADDR_RANGE : TS_IPV4_ADDR_RANGE,
					buf, 0, sep + 1, 65535);
	}
	else
	{
		ts = traffic_selector_create_from_cidr(buf, proto,
						port < 0 ? 0 : port, port < 0 ? 65535 : port);
	}
	assert_non_null(ts);
	return ts;
}

/** A list of selectors, NULL-terminated arguments as for ts() */
static linked_list_t *ts_list(char *first, ...)
{
	linked_list_t *list = linked_list_create();
	va_list args;
	char *str;

	va_start(args, first);
	for (str = first; str; str = va_arg(args, char*))
	{
		list->insert_last(list, ts(str));
	}
	va_end(args);
	return list;
}

/** Free a list of selectors */
static void ts_free(linked_list_t *list)
{
	list->destroy_offset(list, offsetof(traffic_selector_t, destroy));
}

/** A prefix that parses */
static vti_prefix_t *prefix(char *str)
{
	vti_prefix_t *prefix = vti_prefix_create_from_string(str);

	if (!prefix)
	{
		fail_msg("'%s' does not parse", str);
	}
	return prefix;
}

/** Free a list of prefixes */
static void prefixes_free(array_t *list)
{
	vti_prefix_list_destroy(list);
}

/** A list of prefixes, NULL-terminated arguments */
static array_t *prefixes(char *first, ...)
{
	array_t *list = NULL;
	va_list args;
	char *str;

	va_start(args, first);
	for (str = first; str; str = va_arg(args, char*))
	{
		array_insert_create(&list, ARRAY_TAIL, prefix(str));
	}
	va_end(args);
	return list;
}

/** Assert a list of prefixes printed and joined by spaces, and free it */
static void assert_list(array_t *list, const char *expected)
{
	enumerator_t *enumerator;
	char joined[1024] = "", str[VTI_PREFIX_STRLEN];
	vti_prefix_t *prefix;
	size_t len = 0;

	enumerator = array_create_enumerator(list);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		len += snprintf(joined + len, sizeof(joined) - len, "%s%s",
						len ? " " : "", prefix->print(prefix, str,
													  sizeof(str)));
	}
	enumerator->destroy(enumerator);
	prefixes_free(list);
	assert_string_equal(joined, expected);
}

/** Assert that exactly n lines were logged, each holding one of the
 *  given texts in order, and forget them */
static void assert_logged(int n, ...)
{
	enumerator_t *enumerator;
	va_list args;
	char *line, *text;

	if (logged->get_count(logged) != n)
	{
		enumerator = logged->create_enumerator(logged);
		while (enumerator->enumerate(enumerator, &line))
		{
			print_message("logged: %s\n", line);
		}
		enumerator->destroy(enumerator);
		fail_msg("%d lines logged, expected %d", logged->get_count(logged), n);
	}
	va_start(args, n);
	enumerator = logged->create_enumerator(logged);
	while (enumerator->enumerate(enumerator, &line))
	{
		text = va_arg(args, char*);
		if (!strstr(line, text))
		{
			fail_msg("logged '%s', expected it to hold '%s'", line, text);
		}
	}
	enumerator->destroy(enumerator);
	va_end(args);
	logged->destroy_function(logged, free);
	logged = linked_list_create();
}

/** Routed from negotiated selectors against configured ones */
static array_t *routed(linked_list_t *negotiated, linked_list_t *configured)
{
	array_t *list;

	list = vti_prefixes_from_selectors(negotiated, configured, "lab/net");
	ts_free(negotiated);
	ts_free(configured);
	return list;
}

/** Kept from a list of prefixes between two outer addresses */
static array_t *spared(array_t *prefixes, char *local, char *remote)
{
	host_t *l = host_create_from_string(local, 500);
	host_t *r = host_create_from_string(remote, 500);
	array_t *list;

	list = vti_prefixes_spare_endpoints(prefixes, l, r, "lab/net", "vti15");
	prefixes_free(prefixes);
	l->destroy(l);
	r->destroy(r);
	return list;
}

/** The peer offers 0.0.0.0/1 and 128.0.0.0/1 against remote_ts = 0.0.0.0/0:
 *  both are allowed, but 0.0.0.0/1 covers the peer and is not routed */
static void test_halves(void **state)
{
	array_t *list;

	list = routed(ts_list("0.0.0.0/1", "128.0.0.0/1", NULL),
				  ts_list("0.0.0.0/0", NULL));
	assert_logged(0);
	assert_list(spared(list, "10.9.0.1", "10.9.0.2"), "128.0.0.0/1");
	assert_logged(1, "vti: vti15 (lab/net): not routing 0.0.0.0/1 into the "
				  "VTI: it covers the peer's outer address 10.9.0.2, and the "
				  "tunnel's own IKE and ESP packets must stay on the underlay; "
				  "list narrower prefixes in the routes setting");
}

/** A peer with local_ts = dynamic offers its own outer address */
static void test_peer_dynamic(void **state)
{
	array_t *list;

	list = routed(ts_list("10.9.0.2/32", NULL), ts_list("0.0.0.0/0", NULL));
	assert_logged(0);
	assert_list(spared(list, "10.9.0.1", "10.9.0.2"), "");
	assert_logged(1, "not routing 10.9.0.2/32 into the VTI: it covers the "
				  "peer's outer address 10.9.0.2");
}

/** remote_ts = dynamic, resolved to the peer's address, allows that alone;
 *  unresolved it allows nothing */
static void test_configured_dynamic(void **state)
{
	traffic_selector_t *dynamic;
	linked_list_t *configured;
	host_t *peer;

	peer = host_create_from_string("10.9.0.2", 0);
	dynamic = traffic_selector_create_dynamic(0, 0, 65535);
	dynamic->set_address(dynamic, peer);
	configured = linked_list_create_with_items(dynamic, NULL);
	assert_list(routed(ts_list("10.9.0.2/32", "10.9.0.0/24", NULL),
					   configured), "10.9.0.2/32");
	assert_logged(1, "vti: lab/net: not routing remote traffic selector "
				  "10.9.0.0/24: it is not inside the child's remote_ts "
				  "(10.9.0.2/32)");
	peer->destroy(peer);

	configured = linked_list_create_with_items(
							traffic_selector_create_dynamic(0, 0, 65535), NULL);
	assert_list(routed(ts_list("10.9.0.2/32", NULL), configured), "");
	assert_logged(1, "not routing remote traffic selector 10.9.0.2/32");
}

/** A negotiated selector wider than the configured one is not routed,
 *  neither is one that only overlaps it */
static void test_wider_than_configured(void **state)
{
	assert_list(routed(ts_list("10.0.0.0/8", "10.1.2.0/24",
							   "10.1.255.0-10.2.0.255", NULL),
					   ts_list("10.1.0.0/16", "fd00:1::/64", NULL)),
				"10.1.2.0/24");
	assert_logged(2,
		"vti: lab/net: not routing remote traffic selector 10.0.0.0/8: it is "
		"not inside the child's remote_ts (10.1.0.0/16 fd00:1::/64); narrow "
		"the peer's local_ts or widen remote_ts",
		"not routing remote traffic selector 10.1.255.0..10.2.0.255");
}

/** Networks of all zeros print as addresses, not %any */
static void test_zero_networks(void **state)
{
	assert_list(routed(ts_list("0.0.0.0/0", "0.0.0.0/1", "::/0", "::/1",
							   "0.0.0.0/32", NULL),
					   ts_list("0.0.0.0/0", "::/0", NULL)),
				"0.0.0.0/0 0.0.0.0/1 ::/0 ::/1 0.0.0.0/32");
	assert_logged(0);
}

/** Over an IPv4 outer, the IPv4 default route is refused with its own
 *  line; the IPv6 one covers no endpoint and is routed */
static void test_default_route_ipv4_outer(void **state)
{
	assert_list(spared(prefixes("0.0.0.0/0", "::/0", NULL),
					   "10.9.0.1", "10.9.0.2"), "::/0");
	assert_logged(1, "vti: vti15 (lab/net): not routing the default route "
				  "0.0.0.0/0 into the VTI: it would carry the tunnel's own "
				  "IKE and ESP packets to 10.9.0.2; list the networks behind "
				  "the peer in the routes setting (charon.plugins.vti), or "
				  "set routes = none and route the default yourself, keeping "
				  "10.9.0.2 on the underlay");
}

/** Over an IPv6 outer, it is the other way round */
static void test_default_route_ipv6_outer(void **state)
{
	assert_list(spared(prefixes("0.0.0.0/0", "::/0", "::/1", "8000::/1", NULL),
					   "fd00:9::1", "fd00:9::2"), "0.0.0.0/0 ::/1");
	assert_logged(2, "not routing the default route ::/0 into the VTI: it "
				  "would carry the tunnel's own IKE and ESP packets to "
				  "fd00:9::2",
				  "not routing 8000::/1 into the VTI: it covers the peer's outer "
				  "address fd00:9::2");
}

/** A prefix that covers the local outer address is refused too */
static void test_local_covered(void **state)
{
	assert_list(spared(prefixes("10.9.0.0/16", "10.1.0.0/16", NULL),
					   "10.9.0.1", "192.0.2.2"), "10.1.0.0/16");
	assert_logged(1, "not routing 10.9.0.0/16 into the VTI: it covers the "
				  "local outer address 10.9.0.1");
}

/** Ranges become the CIDR blocks that cover exactly them */
static void test_ranges(void **state)
{
	assert_list(routed(ts_list("10.0.0.1-10.0.0.6", "10.0.1.0-10.0.2.255",
							   "10.0.3.5-10.0.3.5", NULL),
					   ts_list("0.0.0.0/0", NULL)),
				"10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32 "
				"10.0.1.0/24 10.0.2.0/24 10.0.3.5/32");
	assert_list(routed(ts_list("255.255.255.254-255.255.255.255",
							   "0.0.0.0-255.255.255.255",
							   "128.0.0.0-255.255.255.255", NULL),
					   ts_list("0.0.0.0/0", NULL)),
				"255.255.255.254/31 0.0.0.0/0 128.0.0.0/1");
	assert_list(routed(ts_list("fd00::1-fd00::2",
							   "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
							   "fd00::ff00-fd00::1:ff", NULL),
					   ts_list("::/0", NULL)),
				"fd00::1/128 fd00::2/128 ::/0 fd00::ff00/120 fd00::1:0/120");
	assert_logged(0);
}

/** Protocols and ports do not route: one prefix for the address range, but
 *  a selector for more protocols than configured is not inside it */
static void test_ports(void **state)
{
	assert_list(routed(ts_list("10.1.0.0/16 6 80", "10.1.0.0/16 6 443",
							   "10.1.0.0/16", NULL),
					   ts_list("10.1.0.0/16 6", NULL)),
				"10.1.0.0/16");
	assert_logged(1, "not routing remote traffic selector 10.1.0.0/16: it is not "
				  "inside the child's remote_ts (10.1.0.0/16[tcp])");
}

/** Host routes and prefixes with host bits are judged by their network */
static void test_list_entries(void **state)
{
	assert_list(spared(prefixes("10.9.0.2/32", "10.9.0.77/24", "10.9.1.0/24",
								"10.9.0.3/32", NULL),
					   "10.9.0.1", "10.9.0.2"),
				"10.9.1.0/24 10.9.0.3/32");
	assert_logged(2, "not routing 10.9.0.2/32 into the VTI: it covers the "
				  "peer's outer address 10.9.0.2",
				  "not routing 10.9.0.77/24 into the VTI: it covers the "
				  "peer's outer address 10.9.0.2");
}

/** Duplicates from several selectors are routed once */
static void test_duplicates(void **state)
{
	assert_list(routed(ts_list("10.1.0.0/16", "10.1.0.0-10.1.255.255",
							   "10.1.0.0/16 6 80", NULL),
					   ts_list("10.0.0.0/8", NULL)),
				"10.1.0.0/16");
	assert_logged(0);
}

/** Merging adds copies of what the list lacks, in order */
static void test_merge(void **state)
{
	array_t *into = prefixes("10.1.0.0/16", "fd00::/64", NULL);
	array_t *from = prefixes("10.2.0.0/16", "10.1.0.0/16",
							 "fd00::/64", "fd00::/48", NULL);
	array_t *none = NULL;

	vti_prefixes_merge(&into, from);
	assert_list(into, "10.1.0.0/16 fd00::/64 10.2.0.0/16 fd00::/48");
	/* into an empty list, and from one */
	vti_prefixes_merge(&none, NULL);
	assert_null(none);
	vti_prefixes_merge(&none, from);
	prefixes_free(from);
	assert_list(none, "10.2.0.0/16 10.1.0.0/16 fd00::/64 fd00::/48");
}

/** Parsing is strict: a literal address, a slash, decimal digits within
 *  the family's bits; the address keeps its host bits */
static void test_prefix_parse(void **state)
{
	char *bad[] = {
		"10.1.0.0", "10.1.0.0/", "/16", "10.1.0.0/33", "fd00::/129",
		"10.1.0.0/-1", "10.1.0.0/+16", "10.1.0.0/16x", "10.1.0.0/ 16",
		"10.1.0/16", "%any/0", "%any6/0", "host.example/24", "fd00::/x",
		"10.1.0.0/16/8", "", "10.1.0.0/99999999999",
	};
	char str[VTI_PREFIX_STRLEN];
	host_t *addr;
	vti_prefix_t *p;
	size_t i;

	for (i = 0; i < countof(bad); i++)
	{
		p = vti_prefix_create_from_string(bad[i]);
		if (p)
		{
			fail_msg("'%s' parsed as %s", bad[i],
					 p->print(p, str, sizeof(str)));
		}
	}
	p = prefix("169.254.15.1/30");
	assert_int_equal(p->get_family(p), AF_INET);
	assert_int_equal(p->get_length(p), 30);
	assert_string_equal(p->print(p, str, sizeof(str)), "169.254.15.1/30");
	addr = host_create_from_string("169.254.15.1", 0);
	assert_true(addr->ip_equals(addr, p->get_address(p)));
	addr->destroy(addr);
	p->destroy(p);
	p = prefix("2001:DB8:0:0::1/032");
	assert_int_equal(p->get_family(p), AF_INET6);
	assert_int_equal(p->get_length(p), 32);
	assert_string_equal(p->print(p, str, sizeof(str)), "2001:db8::1/32");
	p->destroy(p);
	p = prefix("0.0.0.0/0");
	assert_string_equal(p->print(p, str, sizeof(str)), "0.0.0.0/0");
	p->destroy(p);
	p = prefix("::/0");
	assert_string_equal(p->print(p, str, sizeof(str)), "::/0");
	p->destroy(p);
}

/** The network of a prefix has its host bits cleared */
static void test_prefix_network(void **state)
{
	struct {
		char *prefix;
		char *network;
	} tests[] = {
		{ "10.2.255.255/16", "10.2.0.0" },
		{ "10.2.3.4/32", "10.2.3.4" },
		{ "10.2.3.4/0", "0.0.0.0" },
		{ "10.2.3.255/25", "10.2.3.128" },
		{ "fd00:1:2:3::ffff/64", "fd00:1:2:3::" },
		{ "fd00::1/127", "fd00::" },
	};
	host_t *expected;
	vti_prefix_t *p;
	size_t i;

	for (i = 0; i < countof(tests); i++)
	{
		p = prefix(tests[i].prefix);
		expected = host_create_from_string(tests[i].network, 0);
		assert_true(expected->ip_equals(expected, p->get_network(p)));
		expected->destroy(expected);
		p->destroy(p);
	}
}

/** Equal are prefixes of one address and length; copies are equal, and
 *  lists of prefixes find, compare and copy them */
static void test_prefix_equals_clone(void **state)
{
	vti_prefix_t *a = prefix("10.1.0.0/16"), *b, *found = NULL;
	array_t *list, *copy;

	b = a->clone(a);
	assert_ptr_not_equal(a, b);
	assert_true(a->equals(a, b));
	assert_true(b->equals(b, a));
	assert_true(a->get_address(a)->ip_equals(a->get_address(a),
											 b->get_address(b)));
	b->destroy(b);
	b = prefix("10.1.0.0/17");
	assert_false(a->equals(a, b));
	b->destroy(b);
	b = prefix("10.1.0.1/16");
	assert_false(a->equals(a, b));
	b->destroy(b);
	b = prefix("::ffff:10.1.0.0/16");
	assert_false(a->equals(a, b));
	b->destroy(b);
	b = prefix("0.0.0.0/0");
	found = prefix("::/0");
	assert_false(b->equals(b, found));
	found->destroy(found);
	b->destroy(b);

	list = prefixes("fd00::/64", "10.1.0.0/16", NULL);
	assert_true(vti_prefix_list_has(list, a));
	a->destroy(a);
	a = prefix("10.1.0.0/24");
	assert_false(vti_prefix_list_has(list, a));
	assert_false(vti_prefix_list_has(NULL, a));
	a->destroy(a);

	/* lists compare and copy through the methods; NULL is the empty one */
	copy = vti_prefix_list_clone(list);
	assert_true(vti_prefix_list_equals(list, copy));
	array_remove(copy, ARRAY_TAIL, &b);
	b->destroy(b);
	assert_false(vti_prefix_list_equals(list, copy));
	assert_false(vti_prefix_list_equals(list, NULL));
	assert_true(vti_prefix_list_equals(NULL, NULL));
	assert_null(vti_prefix_list_clone(NULL));
	prefixes_free(copy);
	prefixes_free(list);
	prefixes_free(NULL);
}

/** A prefix covers the addresses of its family inside it; %any and other
 *  families never */
static void test_prefix_covers(void **state)
{
	struct {
		char *prefix;
		char *addr;
		bool covered;
	} tests[] = {
		{ "10.9.0.0/16", "10.9.255.1", TRUE },
		{ "10.9.0.0/16", "10.10.0.1", FALSE },
		{ "10.9.0.77/24", "10.9.0.2", TRUE },
		{ "10.9.0.2/32", "10.9.0.2", TRUE },
		{ "10.9.0.2/32", "10.9.0.3", FALSE },
		{ "0.0.0.0/0", "192.0.2.1", TRUE },
		{ "0.0.0.0/0", "fd00::1", FALSE },
		{ "0.0.0.0/0", "%any", FALSE },
		{ "::/0", "%any6", FALSE },
		{ "::/0", "fd00::1", TRUE },
		{ "8000::/1", "fd00::1", TRUE },
		{ "::/1", "fd00::1", FALSE },
		{ "fd00:9::/64", "fd00:9::2", TRUE },
	};
	vti_prefix_t *p;
	host_t *addr;
	size_t i;

	for (i = 0; i < countof(tests); i++)
	{
		p = prefix(tests[i].prefix);
		addr = host_create_from_string(tests[i].addr, 0);
		assert_non_null(addr);
		if (p->covers(p, addr) != tests[i].covered)
		{
			fail_msg("%s covers %s: expected %d", tests[i].prefix,
					 tests[i].addr, tests[i].covered);
		}
		addr->destroy(addr);
		assert_false(p->covers(p, NULL));
		p->destroy(p);
	}
}

/** Bytes that do not fit the family or a length beyond it give none */
static void test_prefix_create(void **state)
{
	u_char bytes[16] = { 10, 1, 2, 3 };
	char str[VTI_PREFIX_STRLEN];
	vti_prefix_t *p;

	assert_null(vti_prefix_create(AF_INET, chunk_create(bytes, 16), 8));
	assert_null(vti_prefix_create(AF_INET6, chunk_create(bytes, 4), 8));
	assert_null(vti_prefix_create(AF_INET, chunk_create(bytes, 4), 33));
	assert_null(vti_prefix_create(AF_UNSPEC, chunk_create(bytes, 4), 8));
	p = vti_prefix_create(AF_INET, chunk_create(bytes, 4), 8);
	assert_string_equal(p->print(p, str, sizeof(str)), "10.1.2.3/8");
	p->destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_halves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_dynamic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_configured_dynamic, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_wider_than_configured, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_zero_networks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_route_ipv4_outer, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_default_route_ipv6_outer, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_local_covered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefix_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefix_network, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefix_equals_clone, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_prefix_covers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefix_create, setup, teardown),
	};
	int failed;

	library_init(NULL, "vti-unit");
	failed = cmocka_run_group_tests_name("vti_prefixes", tests, NULL, NULL);
	library_deinit();
	return failed;
}
