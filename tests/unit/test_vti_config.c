/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Unit tests of the per-tunnel settings: defaults, the lookup order from
 * child to connection to key to global, and bad values.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vti_config.h"

/** Replace charon's settings with a strongswan.conf snippet */
static void settings(char *conf)
{
	assert_true(lib->settings->load_string(lib->settings, conf, FALSE));
}

/** The first entry of a list of strings */
static char *first(linked_list_t *list)
{
	char *str = NULL;

	list->get_first(list, (void**)&str);
	return str;
}

/** Without settings: vti<key>, automatic MTU, no routes, admin down */
static void test_defaults(void **state)
{
	vti_config_t *cfg;

	settings("");
	cfg = vti_config_resolve("site", "net", 15);
	assert_string_equal(cfg->name, "vti15");
	assert_int_equal(cfg->mtu, 0);
	assert_int_equal(cfg->addresses->get_count(cfg->addresses), 0);
	assert_int_equal(cfg->routes, VTI_ROUTES_NONE);
	assert_int_equal(cfg->table, 254);
	assert_int_equal(cfg->metric, 0);
	assert_true(cfg->fail_closed);
	assert_int_equal(cfg->fail_closed_metric, UINT32_MAX);
	assert_int_equal(cfg->down_action, VTI_DOWN_ACTION_DOWN);
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
	cfg = vti_config_resolve("site", "net", 7);
	assert_string_equal(cfg->name, "ipsec7");
	assert_int_equal(cfg->mtu, 1400);
	assert_int_equal(cfg->addresses->get_count(cfg->addresses), 2);
	assert_string_equal(first(cfg->addresses), "169.254.0.1/30");
	assert_int_equal(cfg->routes, VTI_ROUTES_LIST);
	assert_int_equal(cfg->route_list->get_count(cfg->route_list), 2);
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
	cfg = vti_config_resolve("site", "net", 15);
	assert_int_equal(cfg->metric, 4);
	assert_int_equal(cfg->mtu, 1300);
	vti_config_destroy(cfg);
	cfg = vti_config_resolve("site", "other", 15);
	assert_int_equal(cfg->metric, 3);
	vti_config_destroy(cfg);
	cfg = vti_config_resolve("elsewhere", "net", 15);
	assert_int_equal(cfg->metric, 2);
	vti_config_destroy(cfg);
	cfg = vti_config_resolve("elsewhere", "net", 16);
	assert_int_equal(cfg->metric, 1);
	assert_int_equal(cfg->mtu, 0);
	vti_config_destroy(cfg);
}

/** routes = remote_ts follows the traffic selectors */
static void test_routes_remote_ts(void **state)
{
	vti_config_t *cfg;

	settings("charon { plugins { vti { routes = remote_ts } } }");
	cfg = vti_config_resolve("site", "net", 15);
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
	cfg = vti_config_resolve("site", "net", 15);
	assert_int_equal(cfg->mtu, 0);
	assert_int_equal(cfg->table, 254);
	assert_int_equal(cfg->metric, 0);
	assert_true(cfg->fail_closed);
	assert_int_equal(cfg->down_action, VTI_DOWN_ACTION_DOWN);
	assert_int_equal(cfg->addresses->get_count(cfg->addresses), 1);
	assert_int_equal(cfg->route_list->get_count(cfg->route_list), 1);
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
		cfg = vti_config_resolve("site", "net", 4000000000u);
		assert_string_equal(cfg->name, "vti4000000000");
		vti_config_destroy(cfg);
	}
}

/** Name templates: %k is the key, %% a percent sign, a fixed name stays */
static void test_expand_name(void **state)
{
	char name[IFNAMSIZ];

	assert_true(vti_config_expand_name("vti%k", 15, name));
	assert_string_equal(name, "vti15");
	assert_true(vti_config_expand_name("tun-to-b", 15, name));
	assert_string_equal(name, "tun-to-b");
	assert_true(vti_config_expand_name("v%%%k", 9, name));
	assert_string_equal(name, "v%9");
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
	cfg = vti_config_resolve("site", "net", 15);
	clone = vti_config_clone(cfg);
	assert_true(vti_config_equals(cfg, clone));
	clone->metric = 9;
	assert_false(vti_config_equals(cfg, clone));
	vti_config_destroy(clone);
	clone = vti_config_clone(cfg);
	clone->addresses->insert_last(clone->addresses, strdup("10.0.0.1/32"));
	assert_false(vti_config_equals(cfg, clone));
	vti_config_destroy(clone);
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
		cmocka_unit_test(test_clone_equals),
	};
	int failed;

	close(mkstemp(empty_conf));
	library_init(empty_conf, "charon");
	failed = cmocka_run_group_tests_name("vti_config", tests, NULL, NULL);
	library_deinit();
	unlink(empty_conf);
	return failed;
}
