/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Unit tests of the route ledger: which routes and blackholes the kernel
 * gets, counted across devices, and that a route the plugin did not
 * install is never replaced or removed, against a recording route sink.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vti_ledger.h"
#include "vti_prefix.h"
#include "mock_sink.h"

/** The place of the IPv4 route with metric 100 */
#define PLACE4 "10.2.0.0/16 table 254 metric 100"

/** The IPv4 route through vti15 */
#define VIA15 "10.2.0.0/16 dev vti15 (5) table 254 metric 100"

/** The IPv4 route through vti16 */
#define VIA16 "10.2.0.0/16 dev vti16 (6) table 254 metric 100"

/** The IPv4 blackhole */
#define HOLE4 "blackhole 10.2.0.0/16 table 254 metric 4294967295"

/** An operator's route with the place of VIA15 */
#define OPERATOR "10.2.0.0/16 via 10.9.0.2 dev eth0 proto boot metric 100"

/**
 * What each test works with.
 */
typedef struct {
	/** recording sink */
	mock_sink_t *sink;
	/** ledger under test */
	vti_ledger_t *ledger;
	/** specs handed out, freed at teardown */
	linked_list_t *specs;
} fixture_t;

/** Log lines of the running test, "LEVEL text" */
static linked_list_t *logged;

/** Record a log line instead of printing it */
static void record_dbg(debug_t group, level_t level, char *fmt, ...)
{
	char buf[512];
	va_list args;
	int len;

	len = snprintf(buf, sizeof(buf), "%d ", level);
	va_start(args, fmt);
	vsnprintf(buf + len, sizeof(buf) - len, fmt, args);
	va_end(args);
	logged->insert_last(logged, strdup(buf));
}

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));

	f->sink = mock_sink_create();
	f->ledger = vti_ledger_create(&f->sink->sink);
	f->specs = linked_list_create();
	logged = linked_list_create();
	dbg = record_dbg;
	*state = f;
	return 0;
}

/** A prefix that parses */
static vti_prefix_t *parse(char *str)
{
	vti_prefix_t *prefix = vti_prefix_create_from_string(str);

	assert_non_null(prefix);
	return prefix;
}

/** Free a spec made by spec() */
static void spec_destroy(vti_link_spec_t *spec)
{
	vti_prefix_list_destroy(spec->routes);
	free(spec->owner);
	free(spec->cfg);
	free(spec);
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	char *line = NULL;

	logged->remove_first(logged, (void**)&line);
	if (line)
	{
		fail_msg("unexpected log line: %s", line);
	}
	assert_null(f->sink->next_call(f->sink));
	f->ledger->destroy(f->ledger);
	f->sink->sink.destroy(&f->sink->sink);
	f->specs->destroy_function(f->specs, (void*)spec_destroy);
	logged->destroy(logged);
	free(f);
	return 0;
}

/** A device's spec: its routes (comma-separated) in table main with a
 *  metric, fail_closed with the default blackhole metric; freed at
 *  teardown */
static vti_link_spec_t *spec(fixture_t *f, char *name, char *owner,
							 char *routes, uint32_t metric)
{
	vti_link_spec_t *spec;
	vti_config_t *cfg;
	enumerator_t *enumerator;
	char *prefix;

	INIT(cfg,
		.table = 254,
		.metric = metric,
		.fail_closed = TRUE,
		.fail_closed_metric = 4294967295u,
	);
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	INIT(spec,
		.owner = strdup(owner),
		.cfg = cfg,
	);
	enumerator = enumerator_create_token(routes, ",", " ");
	while (enumerator->enumerate(enumerator, &prefix))
	{
		array_insert_create(&spec->routes, ARRAY_TAIL, parse(prefix));
	}
	enumerator->destroy(enumerator);
	f->specs->insert_last(f->specs, spec);
	return spec;
}

/** Replace the routes of a spec */
static void set_routes(vti_link_spec_t *spec, char *routes)
{
	enumerator_t *enumerator;
	char *prefix;

	vti_prefix_list_destroy(spec->routes);
	spec->routes = NULL;
	enumerator = enumerator_create_token(routes, ",", " ");
	while (enumerator->enumerate(enumerator, &prefix))
	{
		array_insert_create(&spec->routes, ARRAY_TAIL, parse(prefix));
	}
	enumerator->destroy(enumerator);
}

/** Apply a spec to the ledger */
static void apply(fixture_t *f, int ifindex, vti_link_spec_t *spec, bool up,
				  bool came_up)
{
	f->ledger->apply(f->ledger, ifindex, spec, up, came_up);
}

/** A device goes down: the kernel drops the routes through it first */
static void down(fixture_t *f, int ifindex, vti_link_spec_t *spec)
{
	f->sink->drop(f->sink, spec->cfg->name);
	apply(f, ifindex, spec, FALSE, FALSE);
}

/** Assert the next sink call */
static void expect_call(fixture_t *f, const char *expected)
{
	char *call = f->sink->next_call(f->sink);

	if (!call)
	{
		fail_msg("expected sink call '%s', got none", expected);
	}
	assert_string_equal(call, expected);
	free(call);
}

/** Assert the sink was told nothing more */
static void expect_no_call(fixture_t *f)
{
	char *call = f->sink->next_call(f->sink);

	if (call)
	{
		fail_msg("unexpected sink call: %s", call);
	}
}

/** Assert what the model kernel holds */
static void expect_kernel(fixture_t *f, const char *expected)
{
	char *kernel = f->sink->kernel(f->sink);

	assert_string_equal(kernel, expected);
	free(kernel);
}

/** Assert the next log line has a level and contains each given part */
static void expect_log(int level, ...)
{
	char *line = NULL, *part, prefix[8];
	va_list args;

	logged->remove_first(logged, (void**)&line);
	if (!line)
	{
		fail_msg("expected a log line, got none");
	}
	snprintf(prefix, sizeof(prefix), "%d ", level);
	if (!strpfx(line, prefix))
	{
		fail_msg("expected a line of level %d: %s", level, line);
	}
	va_start(args, level);
	while ((part = va_arg(args, char*)))
	{
		if (!strstr(line, part))
		{
			fail_msg("log line lacks '%s': %s", part, line);
		}
	}
	va_end(args);
	free(line);
}

/** Assert nothing more was logged */
static void expect_no_log(void)
{
	char *line = NULL;

	logged->remove_first(logged, (void**)&line);
	if (line)
	{
		fail_msg("unexpected log line: %s", line);
	}
}

/** Routes through a device while it is up, blackholes all the time; the
 *  kernel's drop on down is followed by nothing but removals, and what it
 *  dropped comes back when the device comes up */
static void test_up_down(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *s = spec(f, "vti15", "net/net",
							  "10.2.0.0/16, fd00:2::/64", 100);

	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	expect_call(f, "install " HOLE4);
	expect_call(f, "install fd00:2::/64 dev vti15 (5) table 254 metric 100");
	expect_call(f, "install blackhole fd00:2::/64 table 254 metric 4294967295");
	apply(f, 5, s, TRUE, FALSE);
	expect_no_call(f);
	down(f, 5, s);
	expect_call(f, "remove " VIA15);
	expect_call(f, "remove fd00:2::/64 dev vti15 (5) table 254 metric 100");
	expect_kernel(f, HOLE4 "; blackhole fd00:2::/64 table 254 metric 4294967295");
	apply(f, 5, s, FALSE, FALSE);
	expect_no_call(f);
	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	expect_call(f, "install fd00:2::/64 dev vti15 (5) table 254 metric 100");
	f->ledger->withdraw(f->ledger, "vti15");
	expect_call(f, "remove " HOLE4);
	expect_call(f, "remove blackhole fd00:2::/64 table 254 metric 4294967295");
	expect_call(f, "remove " VIA15);
	expect_call(f, "remove fd00:2::/64 dev vti15 (5) table 254 metric 100");
	expect_kernel(f, "");
	expect_no_log();
}

/** A device that just came up gets its routes again, though the ledger
 *  thought them in: the kernel dropped them behind its back */
static void test_came_up(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *s = spec(f, "vti15", "net/net", "10.2.0.0/16", 100);

	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	expect_call(f, "install " HOLE4);
	f->sink->drop(f->sink, "vti15");
	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	expect_kernel(f, HOLE4 "; " VIA15);
}

/** An operator's route in the place of ours: one log line that names the
 *  device, the connection, both routes and the fix; ours is not installed,
 *  tried again on every apply without another line, never removed, and
 *  goes in once the operator's route is gone */
static void test_operator_route(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *s = spec(f, "vti15", "site-b/net", "10.2.0.0/16", 100);

	f->sink->foreign(f->sink, PLACE4, OPERATOR);
	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	expect_call(f, "install " HOLE4);
	expect_log(1, "vti: vti15 (site-b/net) does not install route "
			   "10.2.0.0/16 dev vti15 table main metric 100: '" OPERATOR "'",
			   "strongswan-vti did not install", "delete that route or choose "
			   "another metric", NULL);
	expect_kernel(f, "foreign " OPERATOR "; " HOLE4);

	apply(f, 5, s, TRUE, FALSE);
	expect_call(f, "install " VIA15);
	expect_no_log();

	/* down: nothing to remove but what the kernel dropped, which is not
	 * the operator's route */
	down(f, 5, s);
	expect_no_call(f);
	expect_kernel(f, "foreign " OPERATOR "; " HOLE4);

	/* a new up is a new attempt, reported again */
	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	expect_log(1, "vti: vti15 (site-b/net) does not install route", NULL);

	/* the operator deletes theirs: ours goes in on the next apply */
	f->sink->foreign(f->sink, PLACE4, NULL);
	apply(f, 5, s, TRUE, FALSE);
	expect_call(f, "install " VIA15);
	expect_kernel(f, HOLE4 "; " VIA15);
	expect_no_log();
}

/** An operator's route in the place of a blackhole: the line names
 *  fail_closed_metric; the routes through the device are not affected */
static void test_operator_blackhole(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *s = spec(f, "vti15", "site-b/net", "10.2.0.0/16", 100);

	f->sink->foreign(f->sink, "10.2.0.0/16 table 254 metric 4294967295",
					 "blackhole 10.2.0.0/16 proto static metric 4294967295");
	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	expect_call(f, "install " HOLE4);
	expect_log(1, "vti15 (site-b/net) does not install blackhole 10.2.0.0/16 "
			   "table main metric 4294967295", "choose another "
			   "fail_closed_metric", NULL);
	f->ledger->withdraw(f->ledger, "vti15");
	expect_call(f, "remove " VIA15);
	expect_kernel(f, "foreign blackhole 10.2.0.0/16 proto static metric "
				  "4294967295");
}

/** Another of the kernel's errors: one line with the error, retried on
 *  every apply */
static void test_kernel_refuses(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *s = spec(f, "vti15", "site-b/net", "10.2.0.0/16", 100);

	s->cfg->table = 100;
	f->sink->refuse(f->sink, "10.2.0.0/16 table 100 metric 100",
				  "Network is unreachable");
	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install 10.2.0.0/16 dev vti15 (5) table 100 metric 100");
	expect_call(f, "install blackhole 10.2.0.0/16 table 100 metric 4294967295");
	expect_log(1, "vti: vti15 (site-b/net): installing route 10.2.0.0/16 dev "
			   "vti15 table 100 metric 100 failed: Network is unreachable; "
			   "check 'ip route show table 100'", NULL);
	apply(f, 5, s, TRUE, FALSE);
	expect_call(f, "install 10.2.0.0/16 dev vti15 (5) table 100 metric 100");
	f->sink->refuse(f->sink, "10.2.0.0/16 table 100 metric 100", NULL);
	apply(f, 5, s, TRUE, FALSE);
	expect_call(f, "install 10.2.0.0/16 dev vti15 (5) table 100 metric 100");
	apply(f, 5, s, TRUE, FALSE);
	expect_no_call(f);
	expect_no_log();
}

/** Two tunnels route one prefix with one metric: the first device's route
 *  goes in, the second waits (a debug line says so) and takes over when
 *  the first goes down, and the other way round when the second is
 *  removed; the shared blackhole stays until neither claims it */
static void test_shared_route(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *a = spec(f, "vti15", "primary/primary", "10.2.0.0/16", 100);
	vti_link_spec_t *b = spec(f, "vti16", "backup/backup", "10.2.0.0/16", 100);

	apply(f, 5, a, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	expect_call(f, "install " HOLE4);
	apply(f, 6, b, TRUE, TRUE);
	expect_no_call(f);
	expect_log(2, "vti16 (backup/backup) waits with route 10.2.0.0/16 dev "
			   "vti16 table main metric 100: vti15 (primary/primary) has its "
			   "place", NULL);
	expect_kernel(f, VIA15 "; " HOLE4);

	/* the holder goes down: the other's route goes in */
	down(f, 5, a);
	expect_call(f, "install " VIA16);
	expect_kernel(f, HOLE4 "; " VIA16);

	/* it comes back and waits */
	apply(f, 5, a, TRUE, TRUE);
	expect_no_call(f);
	expect_log(2, "vti15 (primary/primary) waits with route", NULL);

	/* the new holder is removed (down_action = delete): its route is
	 * replaced by the waiting one, the blackhole stays */
	f->ledger->withdraw(f->ledger, "vti16");
	expect_call(f, "install " VIA15);
	expect_kernel(f, HOLE4 "; " VIA15);

	f->ledger->withdraw(f->ledger, "vti15");
	expect_call(f, "remove " VIA15);
	expect_call(f, "remove " HOLE4);
	expect_kernel(f, "");
	expect_no_log();
}

/** The README's primary/backup with down_action = delete on the backup:
 *  removing the backup leaves the shared blackhole, so with both tunnels
 *  gone the prefix is still blackholed */
static void test_shared_blackhole(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *a = spec(f, "vti15", "primary/primary", "10.2.0.0/16", 100);
	vti_link_spec_t *b = spec(f, "vti16", "backup/backup", "10.2.0.0/16", 200);

	apply(f, 5, a, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	expect_call(f, "install " HOLE4);
	apply(f, 6, b, TRUE, TRUE);
	expect_call(f, "install 10.2.0.0/16 dev vti16 (6) table 254 metric 200");
	expect_kernel(f, VIA15 "; " HOLE4 "; 10.2.0.0/16 dev vti16 (6) table 254 "
				  "metric 200");

	f->ledger->withdraw(f->ledger, "vti16");
	expect_call(f, "remove 10.2.0.0/16 dev vti16 (6) table 254 metric 200");
	down(f, 5, a);
	expect_call(f, "remove " VIA15);
	expect_kernel(f, HOLE4);
	expect_no_log();
}

/** A device that stops routing a prefix lets go of its blackhole, which
 *  stays for the device that still routes it */
static void test_blackhole_counted(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *a = spec(f, "vti15", "primary/primary", "10.2.0.0/16", 100);
	vti_link_spec_t *b = spec(f, "vti16", "backup/backup", "10.2.0.0/16", 200);

	apply(f, 5, a, FALSE, FALSE);
	expect_call(f, "install " HOLE4);
	apply(f, 6, b, FALSE, FALSE);
	expect_no_call(f);
	set_routes(a, "10.3.0.0/16");
	apply(f, 5, a, FALSE, FALSE);
	expect_call(f, "install blackhole 10.3.0.0/16 table 254 metric 4294967295");
	set_routes(b, "");
	apply(f, 6, b, FALSE, FALSE);
	expect_call(f, "remove " HOLE4);
	expect_kernel(f, "blackhole 10.3.0.0/16 table 254 metric 4294967295");
}

/** A changed metric: the old route goes before the new one comes (a
 *  removal with metric 0 would match any metric) */
static void test_metric_change(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *s = spec(f, "vti15", "net/net", "10.2.0.0/16", 0);

	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install 10.2.0.0/16 dev vti15 (5) table 254 metric 0");
	expect_call(f, "install " HOLE4);
	s->cfg->metric = 100;
	apply(f, 5, s, TRUE, FALSE);
	expect_call(f, "remove 10.2.0.0/16 dev vti15 (5) table 254 metric 0");
	expect_call(f, "install " VIA15);
	s->cfg->metric = 0;
	apply(f, 5, s, TRUE, FALSE);
	expect_call(f, "remove " VIA15);
	expect_call(f, "install 10.2.0.0/16 dev vti15 (5) table 254 metric 0");
	expect_kernel(f, HOLE4 "; 10.2.0.0/16 dev vti15 (5) table 254 metric 0");
}

/** No fail_closed: no blackhole */
static void test_fail_open(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *s = spec(f, "vti15", "net/net", "10.2.0.0/16", 100);

	s->cfg->fail_closed = FALSE;
	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	down(f, 5, s);
	expect_call(f, "remove " VIA15);
	expect_kernel(f, "");
}

/** Where the route through a device and the blackhole share a place, the
 *  route wins while the device is up, the blackhole while it is down */
static void test_route_and_blackhole_one_place(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *s = spec(f, "vti15", "net/net", "10.2.0.0/16", 100);

	s->cfg->fail_closed_metric = 100;
	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	down(f, 5, s);
	expect_call(f, "install blackhole 10.2.0.0/16 table 254 metric 100");
	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	expect_kernel(f, VIA15);
}

/** A device made anew (another ifindex) gets its routes through the new
 *  one */
static void test_new_ifindex(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *s = spec(f, "vti15", "net/net", "10.2.0.0/16", 100);

	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	expect_call(f, "install " HOLE4);
	apply(f, 9, s, TRUE, TRUE);
	expect_call(f, "install 10.2.0.0/16 dev vti15 (9) table 254 metric 100");
	expect_kernel(f, "10.2.0.0/16 dev vti15 (9) table 254 metric 100; " HOLE4);
}

/** Host bits do not make another place */
static void test_prefix_forms(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *a = spec(f, "vti15", "a/a", "10.2.0.1/16, 10.3.0.1/32",
							  100);
	vti_link_spec_t *b = spec(f, "vti16", "b/b", "10.2.255.255/16, "
							  "10.3.0.1/32", 100);

	a->cfg->fail_closed = b->cfg->fail_closed = FALSE;
	apply(f, 5, a, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	expect_call(f, "install 10.3.0.1/32 dev vti15 (5) table 254 metric 100");
	apply(f, 6, b, TRUE, TRUE);
	expect_log(2, "vti16 (b/b) waits with route 10.2.0.0/16", NULL);
	expect_log(2, "vti16 (b/b) waits with route 10.3.0.1/32", NULL);
	expect_no_call(f);
}

/** IPv6 routes with metric 0 get 1024 in the kernel: the same place */
static void test_ipv6_metric_zero(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *a = spec(f, "vti15", "a/a", "fd00:2::/64", 0);
	vti_link_spec_t *b = spec(f, "vti16", "b/b", "fd00:2::/64", 1024);

	a->cfg->fail_closed = b->cfg->fail_closed = FALSE;
	apply(f, 5, a, TRUE, TRUE);
	expect_call(f, "install fd00:2::/64 dev vti15 (5) table 254 metric 1024");
	apply(f, 6, b, TRUE, TRUE);
	expect_log(2, "vti16 (b/b) waits with route fd00:2::/64", NULL);
	expect_no_call(f);
}

/** The default routes of both families are two places, also at one
 *  metric (host_t's ip_equals() takes 0.0.0.0 and :: for equal) */
static void test_default_routes_both_families(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *s = spec(f, "vti15", "net/net", "0.0.0.0/0, ::/0", 100);

	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install 0.0.0.0/0 dev vti15 (5) table 254 metric 100");
	expect_call(f, "install blackhole 0.0.0.0/0 table 254 metric 4294967295");
	expect_call(f, "install ::/0 dev vti15 (5) table 254 metric 100");
	expect_call(f, "install blackhole ::/0 table 254 metric 4294967295");
	expect_no_call(f);
}

/** A device the ledger never saw is withdrawn: nothing happens */
static void test_withdraw_unknown(void **state)
{
	fixture_t *f = *state;

	f->ledger->withdraw(f->ledger, "vti99");
	expect_no_call(f);
}

/** A protection holds blackholes from config load on, shared with a
 *  device's: they stay while either claims them */
static void test_protect(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *s = spec(f, "vti15", "net/net", "10.2.0.0/16", 100);
	linked_list_t *prefixes = linked_list_create(), *none;

	prefixes->insert_last(prefixes, parse("10.2.0.0/16"));
	f->ledger->protect(f->ledger, "protect net/net", "net/net", prefixes, 254,
					   4294967295u);
	expect_call(f, "install " HOLE4);
	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	f->ledger->withdraw(f->ledger, "vti15");
	expect_call(f, "remove " VIA15);
	expect_kernel(f, HOLE4);
	apply(f, 5, s, FALSE, FALSE);
	none = linked_list_create();
	f->ledger->withdraw(f->ledger, "protect net/net");
	expect_no_call(f);
	f->ledger->withdraw(f->ledger, "vti15");
	expect_call(f, "remove " HOLE4);
	expect_kernel(f, "");
	none->destroy(none);
	prefixes->destroy_offset(prefixes, offsetof(vti_prefix_t, destroy));
}

/** The sweep removes what an earlier run left and nothing claims, and
 *  keeps what the ledger holds */
static void test_sweep(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *s = spec(f, "vti15", "net/net", "10.2.0.0/16", 100);
	linked_list_t *stale = linked_list_create();

	stale->insert_last(stale, parse("10.3.0.0/16"));
	f->ledger->protect(f->ledger, "protect old/old", "old/old", stale, 254,
					   4294967295u);
	expect_call(f, "install blackhole 10.3.0.0/16 table 254 metric 4294967295");
	/* a new run does not know it */
	f->ledger->destroy(f->ledger);
	f->ledger = vti_ledger_create(&f->sink->sink);
	apply(f, 5, s, TRUE, TRUE);
	expect_call(f, "install " VIA15);
	expect_call(f, "install " HOLE4);
	f->ledger->sweep(f->ledger);
	expect_call(f, "sweep");
	expect_kernel(f, VIA15 "; " HOLE4);
	stale->destroy_offset(stale, offsetof(vti_prefix_t, destroy));
}

/** A protected prefix whose blackhole takes what a wider route through a
 *  VTI would carry while its tunnel is up gets one line, again only after
 *  it was fine; the blackhole with no such route (the daemon's route not
 *  in yet) is no mistake */
static void test_protect_misrouted(void **state)
{
	fixture_t *f = *state;
	vti_link_spec_t *s = spec(f, "vti15", "net/net", "", 100);
	linked_list_t *prefixes = linked_list_create();

	prefixes->insert_last(prefixes, parse("10.2.0.0/16"));
	f->ledger->protect(f->ledger, "protect net/net", "net/net", prefixes, 254,
					   4294967295u);
	expect_call(f, "install " HOLE4);
	/* tunnel down: nothing to check */
	f->ledger->check(f->ledger);
	expect_no_call(f);
	apply(f, 5, s, TRUE, TRUE);
	/* in the blackhole, no wider route through a VTI: no mistake */
	f->sink->pick(f->sink, 0);
	f->sink->widen(f->sink, 0);
	f->ledger->check(f->ledger);
	expect_call(f, "lookup 10.2.0.0");
	expect_call(f, "wider 10.2.0.0/16");
	expect_no_log();
	/* a wider route through vti15 would carry it */
	f->sink->widen(f->sink, 5);
	f->ledger->check(f->ledger);
	expect_call(f, "lookup 10.2.0.0");
	expect_call(f, "wider 10.2.0.0/16");
	expect_log(1, "net/net: protected prefix 10.2.0.0/16 has no route through "
			   "vti15", "wider route through vti15", NULL);
	f->ledger->check(f->ledger);
	expect_call(f, "lookup 10.2.0.0");
	expect_call(f, "wider 10.2.0.0/16");
	expect_no_log();
	/* fixed, then narrower again */
	f->sink->pick(f->sink, 5);
	f->ledger->check(f->ledger);
	expect_call(f, "lookup 10.2.0.0");
	f->sink->pick(f->sink, 0);
	f->ledger->check(f->ledger);
	expect_call(f, "lookup 10.2.0.0");
	expect_call(f, "wider 10.2.0.0/16");
	expect_log(1, "protected prefix 10.2.0.0/16", NULL);
	prefixes->destroy_offset(prefixes, offsetof(vti_prefix_t, destroy));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_up_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_came_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operator_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operator_blackhole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_blackhole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blackhole_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metric_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_and_blackhole_one_place,
										setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_ifindex, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefix_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_routes_both_families,
										setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_metric_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protect_misrouted, setup,
										teardown),
	};
	int failed;

	library_init(NULL, "vti-unit");
	failed = cmocka_run_group_tests_name("vti_ledger", tests, NULL, NULL);
	library_deinit();
	return failed;
}
