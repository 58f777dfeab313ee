/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Unit tests of the tunnel table: reference counts, rekey hand-over,
 * collisions and endpoint moves, against a recording link driver.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vti_tunnels.h"
#include "vti_tunnel.h"
#include "vti_tunnel_index.h"
#include "vti_prefix.h"
#include "mock_link.h"

/**
 * Settings a test gave one kind and key.
 */
typedef struct {
	/** kind of the device */
	vti_kind_t kind;
	/** VTI key or if_id */
	uint32_t key;
	/** the settings */
	vti_config_t *cfg;
} given_t;

/**
 * What each test works with.
 */
typedef struct {
	/** recording driver */
	mock_link_t *link;
	/** table under test */
	vti_tunnels_t *tunnels;
	/** hosts, by name */
	host_t *a, *b, *c, *a2;
	/** settings the test gave keys, given_t*, newest first; the table's
	 *  resolver finds them before it asks resolve */
	linked_list_t *given;
	/** what the table's resolver asks for keys without given settings,
	 *  vti_config_resolve() unless a test reloads other settings */
	vti_resolver_t resolve;
	/** remote traffic selectors of the SAs, lists of prefixes */
	linked_list_t *ts;
} fixture_t;

/** the fixture of the running test, for sa() and the resolver */
static fixture_t *current;

/** Free settings given to a key */
static void given_destroy(given_t *given)
{
	vti_config_destroy(given->cfg);
	free(given);
}

/** The table's resolver: settings the test gave the kind and key, else
 *  what the test's resolve gives */
static vti_config_t *test_resolve(char *conn, char *child, vti_kind_t kind,
								  uint32_t key)
{
	enumerator_t *enumerator;
	vti_config_t *cfg = NULL;
	given_t *given;

	enumerator = current->given->create_enumerator(current->given);
	while (!cfg && enumerator->enumerate(enumerator, &given))
	{
		if (given->kind == kind && given->key == key)
		{
			cfg = vti_config_clone(given->cfg);
		}
	}
	enumerator->destroy(enumerator);
	return cfg ?: current->resolve(conn, child, kind, key);
}

/** Reload the settings: those given to keys are gone, resolve gives all */
static void reload(fixture_t *f, vti_resolver_t resolve)
{
	f->given->destroy_function(f->given, (void*)given_destroy);
	f->given = linked_list_create();
	f->resolve = resolve;
	f->tunnels->reconfigure(f->tunnels);
}

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));

	f->link = mock_link_create();
	f->tunnels = vti_tunnels_create(&f->link->link, 0, test_resolve);
	f->resolve = vti_config_resolve;
	f->given = linked_list_create();
	f->a = host_create_from_string("10.9.0.1", 500);
	f->b = host_create_from_string("10.9.0.2", 500);
	f->c = host_create_from_string("10.9.0.3", 500);
	f->a2 = host_create_from_string("10.9.1.1", 4500);
	f->ts = linked_list_create();
	current = f;
	*state = f;
	return 0;
}

/** Free a list of prefixes */
static void free_prefixes(void *list)
{
	vti_prefix_list_destroy(list);
}

/** A prefix that parses */
static vti_prefix_t *prefix(char *str)
{
	vti_prefix_t *prefix = vti_prefix_create_from_string(str);

	assert_non_null(prefix);
	return prefix;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	char *call;

	call = f->link->next_call(f->link);
	assert_null(call);
	f->tunnels->destroy(f->tunnels);
	f->link->link.destroy(&f->link->link);
	f->a->destroy(f->a);
	f->b->destroy(f->b);
	f->c->destroy(f->c);
	f->a2->destroy(f->a2);
	f->given->destroy_function(f->given, (void*)given_destroy);
	f->ts->destroy_function(f->ts, free_prefixes);
	free(f);
	return 0;
}

/** An SA between two hosts, with a VTI; the table resolves its settings */
static vti_sa_t sa(uint32_t id, uint32_t key, host_t *local, host_t *remote)
{
	return (vti_sa_t){
		.id = id, .kind = VTI_KIND_VTI, .key = key,
		.local = local, .remote = remote,
		.conn = "net", .child = "net", .peer = "peer",
	};
}

/** Bring an SA up */
static void up(fixture_t *f, vti_sa_t s)
{
	f->tunnels->sa_up(f->tunnels, &s);
}

/** Rekey an SA to the successor given */
static void rekey(fixture_t *f, uint32_t old_id, vti_sa_t s)
{
	f->tunnels->sa_rekeyed(f->tunnels, old_id, &s);
}

/** A %unique SA of a spoke */
static vti_sa_t spoke_sa(uint32_t id, uint32_t key, host_t *local,
						 host_t *remote, char *peer)
{
	vti_sa_t s = sa(id, key, local, remote);

	s.dynamic = TRUE;
	s.peer = peer;
	return s;
}

/** Move the endpoints of the SAs given, with the overhead of each */
static void move(fixture_t *f, host_t *local, host_t *remote, int count, ...)
{
	vti_sa_move_t moves[8];
	va_list args;
	int i;

	va_start(args, count);
	for (i = 0; i < count; i++)
	{
		moves[i] = (vti_sa_move_t){ .id = va_arg(args, uint32_t) };
	}
	va_end(args);
	f->tunnels->ike_moved(f->tunnels, moves, count, local, remote);
}

/** Assert the next driver call, then none if last */
static void expect_call(fixture_t *f, const char *expected)
{
	char *call = f->link->next_call(f->link);

	assert_non_null(call);
	assert_string_equal(call, expected);
	free(call);
}

/** Assert the driver was told nothing more */
static void expect_no_call(fixture_t *f)
{
	char *call = f->link->next_call(f->link);

	if (call)
	{
		fail_msg("unexpected driver call: %s", call);
	}
}

/** First SA brings the device up, last one takes it down */
static void test_up_down(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 1);
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 1);
}

/** Two SAs with one key: up once, down only when both are gone */
static void test_refcount(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(2, 15, f->a, f->b));
	expect_no_call(f);
	f->tunnels->sa_down(f->tunnels, 1);
	expect_no_call(f);
	f->tunnels->sa_down(f->tunnels, 2);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net");
}

/** A rekeyed SA hands over without any link change */
static void test_rekey_handover(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	rekey(f, 1, sa(2, 15, f->a, f->b));
	rekey(f, 2, sa(3, 15, f->a, f->b));
	expect_no_call(f);
	/* the replaced SAs are gone: their ids no longer count */
	f->tunnels->sa_down(f->tunnels, 1);
	f->tunnels->sa_down(f->tunnels, 2);
	expect_no_call(f);
	f->tunnels->sa_down(f->tunnels, 3);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net");
}

/** Both sides rekey at once: two successors, the loser and the old SA are
 *  destroyed without a down event; the winner holds the device alone */
static void test_rekey_collision(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	rekey(f, 1, sa(2, 15, f->a, f->b));
	rekey(f, 1, sa(3, 15, f->a, f->b));
	f->tunnels->sa_destroyed(f->tunnels, 2);
	f->tunnels->sa_destroyed(f->tunnels, 1);
	expect_no_call(f);
	/* the winner rekeys again later, then the tunnel is closed */
	rekey(f, 3, sa(4, 15, f->a, f->b));
	f->tunnels->sa_destroyed(f->tunnels, 3);
	expect_no_call(f);
	f->tunnels->sa_down(f->tunnels, 4);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net");
	/* its destruction after the down event changes nothing */
	f->tunnels->sa_destroyed(f->tunnels, 4);
	expect_no_call(f);
}

/** Make-before-break reauthentication: new SA up before old goes */
static void test_make_before_break(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(2, 15, f->a, f->b));
	f->tunnels->sa_down(f->tunnels, 1);
	expect_no_call(f);
}

/** A second SA with the same key between other endpoints waits; a down
 *  of the waiting SA changes nothing */
static void test_key_collision(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(2, 15, f->a, f->c));
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
	f->tunnels->sa_down(f->tunnels, 2);
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net");
	/* once free, the key follows the next SA's endpoints */
	up(f, sa(3, 15, f->a, f->c));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.3 net/net");
}

/** A peer reconnects from a new address while its old SA lingers: the new
 *  SA gets the key, and the device, as soon as the old one is gone */
static void test_waiting_for_key(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(2, 15, f->a, f->c));
	expect_no_call(f);
	/* its rekeys keep it waiting */
	rekey(f, 2, sa(3, 15, f->a, f->c));
	f->tunnels->sa_destroyed(f->tunnels, 2);
	expect_no_call(f);
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net");
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.3 net/net");
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
	f->tunnels->sa_down(f->tunnels, 3);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.3 net/net");
}

/** Different keys give different devices */
static void test_two_keys(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(2, 16, f->a, f->c));
	expect_call(f, "set vti16 up key 16 10.9.0.1 10.9.0.3 net/net");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 2);
}

/** One VTI per pair of endpoints: an active one keeps them from another key,
 *  an idle one gives them up */
static void test_endpoints_taken(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(2, 16, f->a, f->b));
	expect_no_call(f);
	f->tunnels->sa_down(f->tunnels, 2);
	expect_no_call(f);
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(3, 16, f->a, f->b));
	expect_call(f, "remove vti15");
	expect_call(f, "set vti16 up key 16 10.9.0.1 10.9.0.2 net/net");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 1);
}

/** An IKE_SA goes down with a tunnel's SA and an SA waiting for the same
 *  endpoints: the waiting one does not take them on its way out */
static void test_ike_down_together(void **state)
{
	fixture_t *f = *state;
	uint32_t ids[] = { 1, 2 };

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(2, 16, f->a, f->b));
	expect_no_call(f);
	f->tunnels->ike_down(f->tunnels, ids, countof(ids));
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net");
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
	/* the child downs that follow change nothing */
	f->tunnels->sa_down(f->tunnels, 1);
	f->tunnels->sa_down(f->tunnels, 2);
	expect_no_call(f);
}

/** A refused device leaves no tunnel; the SA waits, and its down ends
 *  that; the next SA tries again */
static void test_link_refused(void **state)
{
	fixture_t *f = *state;

	f->link->fail_for(f->link, "vti15");
	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "refuse vti15");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 0);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
	f->tunnels->sa_down(f->tunnels, 1);
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
	f->link->fail_for(f->link, NULL);
	up(f, sa(2, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
}

/** A transient failure of the driver: the SA gets its device on a later
 *  rekey or reconcile, not only when its IKE_SA ends */
static void test_transient_failure(void **state)
{
	fixture_t *f = *state;

	f->link->fail_for(f->link, "vti15");
	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "refuse vti15");
	rekey(f, 1, sa(2, 15, f->a, f->b));
	expect_call(f, "refuse vti15");
	f->tunnels->sa_destroyed(f->tunnels, 1);
	f->link->fail_for(f->link, NULL);
	rekey(f, 2, sa(3, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_destroyed(f->tunnels, 2);
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);

	f->link->fail_for(f->link, "vti16");
	up(f, sa(4, 16, f->a, f->c));
	expect_call(f, "refuse vti16");
	f->link->fail_for(f->link, NULL);
	f->tunnels->reconcile(f->tunnels);
	/* the reconcile checks the active device, then places the waiting SA */
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	expect_call(f, "set vti16 up key 16 10.9.0.1 10.9.0.3 net/net");
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
}

/** The reconcile aligns every device that has SAs, and only those */
static void test_reconcile(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(2, 16, f->a, f->c));
	expect_call(f, "set vti16 up key 16 10.9.0.1 10.9.0.3 net/net");
	f->tunnels->sa_down(f->tunnels, 2);
	expect_call(f, "set vti16 down key 16 10.9.0.1 10.9.0.3 net/net");
	f->link->report(f->link, VTI_LINK_CREATED);
	f->tunnels->reconcile(f->tunnels);
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	expect_no_call(f);
}

/** %unique keys: without a successor wait, the device is removed with its
 *  last SA */
static void test_dynamic_removed(void **state)
{
	fixture_t *f = *state;
	up(f, spoke_sa(1, 1234, f->a, f->b, "s1"));
	expect_call(f, "set vti1234 up key 1234 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "remove vti1234");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 0);
}

/** MOBIKE: endpoints follow the IKE_SA, in place and still up */
static void test_ike_moved(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	move(f, f->a2, f->b, 1, 8);
	expect_no_call(f);
	move(f, f->a2, f->b, 1, 1);
	expect_call(f, "set vti15 up key 15 10.9.1.1 10.9.0.2 net/net");
	/* the same addresses again (another port): nothing to do */
	move(f, f->a2, f->b, 1, 1);
	expect_no_call(f);
}

/** A move that changes the ESP overhead (NAT-T, another family) realigns
 *  the device, for its automatic MTU */
static void test_move_overhead(void **state)
{
	fixture_t *f = *state;
	vti_sa_move_t natt = { .id = 1, .overhead = { .fixed = 62, .block = 4 } };

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->ike_moved(f->tunnels, &natt, 1, f->a, f->b);
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->ike_moved(f->tunnels, &natt, 1, f->a, f->b);
	expect_no_call(f);
}

/** A move of one IKE_SA does not drag a device that another IKE_SA's SA
 *  still uses: the moved SA waits for the key */
static void test_move_shared_device(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(2, 15, f->a, f->b));
	move(f, f->a2, f->b, 1, 1);
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
	f->tunnels->sa_down(f->tunnels, 2);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net");
	expect_call(f, "set vti15 up key 15 10.9.1.1 10.9.0.2 net/net");
	/* both SAs of one IKE_SA move together, and the device with them */
	up(f, sa(3, 15, f->a2, f->b));
	move(f, f->a, f->b, 2, 1, 3);
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
}

/** An SA with if_id_in = if_id_out = IF_ID: its device is an XFRM
 *  interface */
static vti_sa_t xfrm_sa(uint32_t id, uint32_t if_id, host_t *local,
						host_t *remote)
{
	vti_sa_t s = sa(id, if_id, local, remote);

	s.kind = VTI_KIND_XFRM;
	return s;
}

/** XFRM interface: up with the first SA, no flap on rekey, down with the
 *  last SA */
static void test_xfrm_up_rekey_down(void **state)
{
	fixture_t *f = *state;

	up(f, xfrm_sa(1, 7, f->a, f->b));
	expect_call(f, "set xfrm7 up if_id 7 10.9.0.1 %any net/net");
	rekey(f, 1, xfrm_sa(2, 7, f->a, f->b));
	f->tunnels->sa_destroyed(f->tunnels, 1);
	up(f, xfrm_sa(3, 7, f->a, f->b));
	f->tunnels->sa_down(f->tunnels, 3);
	expect_no_call(f);
	f->tunnels->sa_down(f->tunnels, 2);
	expect_call(f, "set xfrm7 down if_id 7 10.9.0.1 %any net/net");
}

/** Marks and if_ids are separate spaces: VTI key 7 and if_id 7 are two
 *  devices, even between the same endpoints */
static void test_xfrm_and_vti_same_number(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 7, f->a, f->b));
	expect_call(f, "set vti7 up key 7 10.9.0.1 10.9.0.2 net/net");
	up(f, xfrm_sa(2, 7, f->a, f->b));
	expect_call(f, "set xfrm7 up if_id 7 10.9.0.1 %any net/net");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 2);
	f->tunnels->sa_down(f->tunnels, 2);
	expect_call(f, "set xfrm7 down if_id 7 10.9.0.1 %any net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti7 down key 7 10.9.0.1 10.9.0.2 net/net");
}

/** No endpoint rule: several if_ids to one peer each get their device, and
 *  an idle one is not removed for another */
static void test_xfrm_if_ids_one_peer(void **state)
{
	fixture_t *f = *state;

	up(f, xfrm_sa(1, 7, f->a, f->b));
	expect_call(f, "set xfrm7 up if_id 7 10.9.0.1 %any net/net");
	up(f, xfrm_sa(2, 8, f->a, f->b));
	expect_call(f, "set xfrm8 up if_id 8 10.9.0.1 %any net/net");
	up(f, sa(3, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set xfrm7 down if_id 7 10.9.0.1 %any net/net");
	up(f, xfrm_sa(4, 9, f->a, f->b));
	expect_call(f, "set xfrm9 up if_id 9 10.9.0.1 %any net/net");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 4);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
}

/** Spokes with one if_id share its device: it stays up while any of them
 *  has an SA */
static void test_xfrm_shared_by_peers(void **state)
{
	fixture_t *f = *state;

	up(f, xfrm_sa(1, 7, f->a, f->b));
	expect_call(f, "set xfrm7 up if_id 7 10.9.0.1 %any net/net");
	up(f, xfrm_sa(2, 7, f->a, f->c));
	up(f, xfrm_sa(3, 7, f->a2, f->c));
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
	f->tunnels->sa_down(f->tunnels, 1);
	f->tunnels->sa_down(f->tunnels, 3);
	expect_no_call(f);
	f->tunnels->sa_down(f->tunnels, 2);
	expect_call(f, "set xfrm7 down if_id 7 10.9.0.1 %any net/net");
}

/** A MOBIKE move changes nothing on an XFRM interface, shared or not; a
 *  changed ESP overhead of its newest SA realigns its MTU */
static void test_xfrm_moved(void **state)
{
	fixture_t *f = *state;
	vti_sa_move_t natt = { .id = 2, .overhead = { .fixed = 62, .block = 4 } };

	up(f, xfrm_sa(1, 7, f->a, f->b));
	expect_call(f, "set xfrm7 up if_id 7 10.9.0.1 %any net/net");
	up(f, xfrm_sa(2, 7, f->a, f->c));
	move(f, f->a2, f->b, 1, 1);
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
	f->tunnels->ike_moved(f->tunnels, &natt, 1, f->a2, f->b);
	expect_call(f, "set xfrm7 up if_id 7 10.9.1.1 %any net/net");
	f->tunnels->sa_down(f->tunnels, 2);
	expect_no_call(f);
}

/** %unique if_ids: one device per spoke, re-keyed in place for the
 *  spoke's successor, removed with its last SA */
static void test_xfrm_unique(void **state)
{
	fixture_t *f = *state;
	vti_sa_t s1 = xfrm_sa(1, 41, f->a, f->b), s2 = xfrm_sa(2, 42, f->a, f->c);
	vti_sa_t next = xfrm_sa(3, 43, f->a, f->b);

	s1.dynamic = s2.dynamic = next.dynamic = TRUE;
	s1.peer = next.peer = "s1";
	s2.peer = "s2";
	up(f, s1);
	expect_call(f, "set xfrm41 up if_id 41 10.9.0.1 10.9.0.2 net/net");
	up(f, s2);
	expect_call(f, "set xfrm42 up if_id 42 10.9.0.1 10.9.0.3 net/net");
	up(f, next);
	expect_call(f, "set xfrm41 up if_id 43 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_no_call(f);
	f->tunnels->sa_down(f->tunnels, 3);
	expect_call(f, "remove xfrm41");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 1);
}

/** A repeated up event for one SA does not count twice */
static void test_duplicate_event(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net");
}

/** Give the kind and key of an SA settings of their own, until a reload;
 *  freed at teardown */
static void give(vti_sa_t *s, vti_config_t *cfg)
{
	given_t *given;

	INIT(given,
		.kind = s->kind,
		.key = s->key,
		.cfg = cfg,
	);
	current->given->insert_first(current->given, given);
}

/** An SA whose key has settings of its own, and remote traffic selectors */
static vti_sa_t sa_with(vti_sa_t s, vti_config_t *cfg, char *ts)
{
	array_t *list = NULL;

	if (ts)
	{
		array_insert_create(&list, ARRAY_TAIL, prefix(ts));
		/* freed at teardown along with the settings */
		current->ts->insert_last(current->ts, list);
	}
	give(&s, cfg);
	s.remote_ts = list;
	return s;
}

/** down_action = delete removes the device with its last SA */
static void test_down_action_delete(void **state)
{
	fixture_t *f = *state;
	vti_config_t *cfg = vti_config_resolve("net", "net", VTI_KIND_VTI, 15);

	cfg->down_action = VTI_DOWN_ACTION_DELETE;
	up(f, sa_with(sa(1, 15, f->a, f->b), cfg, NULL));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "remove vti15");
}

/** Routes from traffic selectors: the union of the SAs', kept when idle */
static void test_routes_remote_ts(void **state)
{
	fixture_t *f = *state;
	vti_config_t *cfg = vti_config_resolve("net", "net", VTI_KIND_VTI, 15);

	cfg->routes = VTI_ROUTES_REMOTE_TS;
	up(f, sa_with(sa(1, 15, f->a, f->b), cfg, "10.1.0.0/16"));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net "
				"10.1.0.0/16");
	up(f, sa_with(sa(2, 15, f->a, f->b), vti_config_clone(cfg),
				  "10.2.0.0/16"));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net "
				"10.1.0.0/16 10.2.0.0/16");
	/* a rekey with the same selectors changes nothing */
	rekey(f, 2, sa_with(sa(3, 15, f->a, f->b), vti_config_clone(cfg),
						"10.2.0.0/16"));
	f->tunnels->sa_destroyed(f->tunnels, 2);
	expect_no_call(f);
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net "
				"10.2.0.0/16");
	f->tunnels->sa_down(f->tunnels, 3);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net "
				"10.2.0.0/16");
}

/** Prefixes that cover the tunnel's outer addresses are not routed, from
 *  the traffic selectors or the routes setting; a move decides anew */
static void test_routes_spare_endpoints(void **state)
{
	fixture_t *f = *state;
	vti_config_t *cfg = vti_config_resolve("net", "net", VTI_KIND_VTI, 15);
	vti_config_t *list = vti_config_resolve("net", "net", VTI_KIND_VTI, 16);
	host_t *l = host_create_from_string("172.16.0.1", 500);
	host_t *r = host_create_from_string("172.16.0.2", 500);

	cfg->routes = VTI_ROUTES_REMOTE_TS;
	up(f, sa_with(sa(1, 15, f->a, f->b), cfg, "10.0.0.0/8"));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa_with(sa(2, 15, f->a, f->b), vti_config_clone(cfg),
				  "192.168.0.0/16"));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net "
				"192.168.0.0/16");
	move(f, l, r, 2, 1, 2);
	expect_call(f, "set vti15 up key 15 172.16.0.1 172.16.0.2 net/net "
				"10.0.0.0/8 192.168.0.0/16");

	list->routes = VTI_ROUTES_LIST;
	array_insert_create(&list->route_list, ARRAY_TAIL, prefix("0.0.0.0/0"));
	array_insert_create(&list->route_list, ARRAY_TAIL, prefix("::/0"));
	up(f, sa_with(sa(3, 16, f->a, f->c), list, NULL));
	expect_call(f, "set vti16 up key 16 10.9.0.1 10.9.0.3 net/net ::/0");
	l->destroy(l);
	r->destroy(r);
}

/** After a rekey, the routes are the successor's selectors */
static void test_rekey_new_selectors(void **state)
{
	fixture_t *f = *state;
	vti_config_t *cfg = vti_config_resolve("net", "net", VTI_KIND_VTI, 15);

	cfg->routes = VTI_ROUTES_REMOTE_TS;
	up(f, sa_with(sa(1, 15, f->a, f->b), cfg, "10.1.0.0/16"));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net "
				"10.1.0.0/16");
	rekey(f, 1, sa_with(sa(2, 15, f->a, f->b), vti_config_clone(cfg),
						"10.3.0.0/16"));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net "
				"10.1.0.0/16 10.3.0.0/16");
	f->tunnels->sa_destroyed(f->tunnels, 1);
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net "
				"10.3.0.0/16");
}

/** Explicit routes do not depend on the SAs */
static void test_routes_list(void **state)
{
	fixture_t *f = *state;
	vti_config_t *cfg = vti_config_resolve("net", "net", VTI_KIND_VTI, 15);

	cfg->routes = VTI_ROUTES_LIST;
	array_insert_create(&cfg->route_list, ARRAY_TAIL, prefix("10.9.9.0/24"));
	up(f, sa_with(sa(1, 15, f->a, f->b), cfg, "0.0.0.0/0"));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net "
				"10.9.9.0/24");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net "
				"10.9.9.0/24");
}

/** A fixed name serves one key: a second key is refused */
static void test_name_collision(void **state)
{
	fixture_t *f = *state;
	vti_config_t *cfg15 = vti_config_resolve("net", "net", VTI_KIND_VTI, 15);
	vti_config_t *cfg16 = vti_config_resolve("net", "net", VTI_KIND_VTI, 16);

	assert_true(vti_config_expand_name("tun0", 15, cfg15->name));
	assert_true(vti_config_expand_name("tun0", 16, cfg16->name));
	up(f, sa_with(sa(1, 15, f->a, f->b), cfg15, NULL));
	expect_call(f, "set tun0 up key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa_with(sa(2, 16, f->a, f->c), cfg16, NULL));
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_count(f->tunnels), 1);
}

/** Changed settings reach existing tunnels; a new name makes a new device */
static vti_config_t *renamed(char *conn, char *child, vti_kind_t kind,
							 uint32_t key)
{
	vti_config_t *cfg = vti_config_resolve(conn, child, kind, key);

	vti_config_expand_name("ipsec%k", key, cfg->name);
	return cfg;
}

static void test_reconfigure(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	reload(f, vti_config_resolve);
	expect_no_call(f);
	reload(f, renamed);
	expect_call(f, "remove vti15");
	expect_call(f, "set ipsec15 up key 15 10.9.0.1 10.9.0.2 net/net");
}

/** Unknown SAs are ignored; the successor of one is placed as if it had
 *  come up */
static void test_unknown_sa(void **state)
{
	fixture_t *f = *state;

	f->tunnels->sa_down(f->tunnels, 99);
	f->tunnels->sa_destroyed(f->tunnels, 99);
	move(f, f->a2, f->b, 1, 99);
	expect_no_call(f);
	rekey(f, 99, sa(100, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
}

/** Changed settings cannot give two devices one name: the tunnel whose
 *  new name is taken keeps its own */
static vti_config_t *same_name(char *conn, char *child, vti_kind_t kind,
							   uint32_t key)
{
	vti_config_t *cfg = vti_config_resolve(conn, child, kind, key);

	vti_config_expand_name("tun0", key, cfg->name);
	return cfg;
}

static void test_reconfigure_name_taken(void **state)
{
	fixture_t *f = *state;
	char *call;
	int removed = 0, set = 0;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(2, 16, f->a, f->c));
	expect_call(f, "set vti16 up key 16 10.9.0.1 10.9.0.3 net/net");
	reload(f, same_name);
	while ((call = f->link->next_call(f->link)))
	{
		removed += strpfx(call, "remove vti1");
		set += strpfx(call, "set tun0 up key 1");
		free(call);
	}
	assert_int_equal(removed, 1);
	assert_int_equal(set, 1);
	reload(f, same_name);
	expect_no_call(f);
}

/** What the table last asked its resolver for, and how often */
static struct {
	char conn[16], child[16];
	vti_kind_t kind;
	uint32_t key;
	int calls;
	/** what the resolver gave last, with a reference of the test's */
	vti_config_t *given;
} asked;

/** A resolver that notes what it is asked, giving asked.resolve's
 *  settings (vti_config_resolve()'s if not set) */
static vti_resolver_t asked_resolve;

/** A resolver that notes what it is asked */
static vti_config_t *noting(char *conn, char *child, vti_kind_t kind,
							uint32_t key)
{
	vti_config_t *cfg;

	snprintf(asked.conn, sizeof(asked.conn), "%s", conn);
	snprintf(asked.child, sizeof(asked.child), "%s", child);
	asked.kind = kind;
	asked.key = key;
	asked.calls++;
	cfg = (asked_resolve ?: vti_config_resolve)(conn, child, kind, key);
	vti_config_destroy(asked.given);
	asked.given = vti_config_get_ref(cfg);
	return cfg;
}

/** Let the table resolve with noting() from now on */
static void note_resolves(fixture_t *f)
{
	memset(&asked, 0, sizeof(asked));
	asked_resolve = NULL;
	f->resolve = noting;
}

/** Forget what noting() noted */
static void forget_resolves(void)
{
	vti_config_destroy(asked.given);
	memset(&asked, 0, sizeof(asked));
	asked_resolve = NULL;
}

/** How many hold the settings noting() gave last, the test's own
 *  reference left out */
static int holders(void)
{
	return ref_cur(&asked.given->refcount) - 1;
}

/** The table resolves the settings of the SAs it keeps itself, with the
 *  resolver it was made with, by connection, child, kind and key: once per
 *  tunnel, on up, not for a rekey's successor, and not for an SA it
 *  knows */
static void test_resolves_sa_settings(void **state)
{
	fixture_t *f = *state;
	vti_sa_t x = xfrm_sa(1, 7, f->a, f->b);

	note_resolves(f);
	x.conn = "site";
	up(f, x);
	expect_call(f, "set xfrm7 up if_id 7 10.9.0.1 %any site/net");
	assert_string_equal(asked.conn, "site");
	assert_string_equal(asked.child, "net");
	assert_int_equal(asked.kind, VTI_KIND_XFRM);
	assert_int_equal(asked.key, 7);
	assert_int_equal(asked.calls, 1);
	up(f, x);
	assert_int_equal(asked.calls, 1);
	x.id = 2;
	rekey(f, 1, x);
	expect_no_call(f);
	assert_int_equal(asked.calls, 1);
	up(f, sa(3, 15, f->a, f->c));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.3 net/net");
	assert_string_equal(asked.conn, "net");
	assert_int_equal(asked.kind, VTI_KIND_VTI);
	assert_int_equal(asked.key, 15);
	assert_int_equal(asked.calls, 2);
	forget_resolves();
}

/** A tunnel's further SAs take the settings it holds, without asking the
 *  resolver: a rekey's successor, a make-before-break and a
 *  break-before-make reauthentication, another peer of a shared device, a
 *  move; another connection with the key, or another key, is asked for */
static void test_settings_resolved_once(void **state)
{
	fixture_t *f = *state;
	vti_sa_t other;

	note_resolves(f);
	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	assert_int_equal(asked.calls, 1);
	rekey(f, 1, sa(2, 15, f->a, f->b));
	f->tunnels->sa_destroyed(f->tunnels, 1);
	up(f, sa(3, 15, f->a, f->b));
	f->tunnels->sa_down(f->tunnels, 2);
	move(f, f->a2, f->b, 1, 3);
	expect_call(f, "set vti15 up key 15 10.9.1.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 3);
	expect_call(f, "set vti15 down key 15 10.9.1.1 10.9.0.2 net/net");
	up(f, sa(4, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	assert_int_equal(asked.calls, 1);

	up(f, sa(5, 16, f->a, f->c));
	expect_call(f, "set vti16 up key 16 10.9.0.1 10.9.0.3 net/net");
	assert_int_equal(asked.calls, 2);
	other = sa(6, 15, f->a, f->b);
	other.conn = "other";
	up(f, other);
	expect_no_call(f);
	assert_int_equal(asked.calls, 3);
	assert_string_equal(asked.conn, "other");
	forget_resolves();
}

/** The peers of a shared device (remote = any) take the settings the
 *  first one brought */
static vti_config_t *any_remote_noted(char *conn, char *child,
									  vti_kind_t kind, uint32_t key)
{
	vti_config_t *cfg = vti_config_resolve(conn, child, kind, key);

	cfg->remote = VTI_REMOTE_ANY;
	return cfg;
}

static void test_shared_device_resolved_once(void **state)
{
	fixture_t *f = *state;

	note_resolves(f);
	asked_resolve = any_remote_noted;
	up(f, sa(1, 42, f->a, f->b));
	expect_call(f, "set vti42 up key 42 10.9.0.1 %any net/net");
	up(f, sa(2, 42, f->a, f->c));
	rekey(f, 2, sa(3, 42, f->a, f->c));
	expect_no_call(f);
	assert_int_equal(asked.calls, 1);
	forget_resolves();
}

/** A tunnel and its SAs share one settings object: each SA copy the table
 *  keeps holds a reference to the one the resolver gave, none a copy; the
 *  last to go frees it */
static void test_sas_share_settings(void **state)
{
	fixture_t *f = *state;
	int tunnel;

	note_resolves(f);
	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	tunnel = holders() - 1;
	assert_true(tunnel > 0);
	rekey(f, 1, sa(2, 15, f->a, f->b));
	assert_int_equal(holders(), tunnel + 2);
	up(f, sa(3, 15, f->a, f->b));
	assert_int_equal(holders(), tunnel + 3);
	f->tunnels->sa_destroyed(f->tunnels, 1);
	f->tunnels->sa_down(f->tunnels, 2);
	assert_int_equal(holders(), tunnel + 1);
	assert_int_equal(asked.calls, 1);
	f->tunnels->destroy(f->tunnels);
	assert_int_equal(holders(), 0);
	f->tunnels = vti_tunnels_create(&f->link->link, 0, test_resolve);
	forget_resolves();
}

/** An SA copy shares the settings of the SA it copies and owns the rest:
 *  its hosts, names (no peer is "") and selectors; a move gives it new
 *  endpoints, overhead and underlay, and freeing it lets the settings go */
static void test_sa_copy(void **state)
{
	fixture_t *f = *state;
	vti_sa_t s = sa(1, 15, f->a, f->b), *copy;
	vti_sa_move_t moved = {
		.id = 1, .overhead = { .fixed = 73, .block = 16 },
		.underlay = "eth1",
	};

	s.peer = NULL;
	s.cfg = vti_config_resolve("net", "net", VTI_KIND_VTI, 15);
	array_insert_create(&s.remote_ts, ARRAY_TAIL, prefix("10.1.0.0/16"));
	copy = vti_sa_clone(&s);
	assert_ptr_equal(copy->cfg, s.cfg);
	assert_int_equal(ref_cur(&s.cfg->refcount), 2);
	assert_ptr_not_equal(copy->local, f->a);
	assert_true(copy->local->equals(copy->local, f->a));
	assert_true(copy->remote->equals(copy->remote, f->b));
	assert_ptr_not_equal(copy->conn, s.conn);
	assert_string_equal(copy->conn, "net");
	assert_string_equal(copy->child, "net");
	assert_string_equal(copy->peer, "");
	assert_ptr_not_equal(copy->remote_ts, s.remote_ts);
	assert_true(vti_prefix_list_equals(copy->remote_ts, s.remote_ts));

	assert_ptr_equal(vti_sa_find_move(&moved, 1, 1), &moved);
	assert_null(vti_sa_find_move(&moved, 1, 2));
	vti_sa_move(copy, f->a2, f->c, &moved);
	assert_true(copy->local->equals(copy->local, f->a2));
	assert_true(copy->remote->equals(copy->remote, f->c));
	assert_int_equal(copy->overhead.fixed, 73);
	assert_int_equal(copy->overhead.block, 16);
	assert_string_equal(copy->underlay, "eth1");

	vti_sa_destroy(copy);
	assert_int_equal(ref_cur(&s.cfg->refcount), 1);
	vti_config_destroy(s.cfg);
	vti_prefix_list_destroy(s.remote_ts);
}

/** A reload resolves a tunnel's settings anew, once for it and the SAs
 *  that share them, and applies what changed; later SAs take the new
 *  settings without asking again */
static vti_config_t *routed_noted(char *conn, char *child, vti_kind_t kind,
								  uint32_t key)
{
	vti_config_t *cfg = vti_config_resolve(conn, child, kind, key);

	cfg->routes = VTI_ROUTES_LIST;
	array_insert_create(&cfg->route_list, ARRAY_TAIL, prefix("10.7.0.0/16"));
	return cfg;
}

static void test_reload_shared_settings(void **state)
{
	fixture_t *f = *state;

	note_resolves(f);
	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	rekey(f, 1, sa(2, 15, f->a, f->b));
	asked_resolve = routed_noted;
	f->tunnels->reconfigure(f->tunnels);
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net "
				"10.7.0.0/16");
	assert_int_equal(asked.calls, 2);
	assert_int_equal(holders(), 4);
	f->tunnels->sa_destroyed(f->tunnels, 1);
	f->tunnels->sa_down(f->tunnels, 2);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net "
				"10.7.0.0/16");
	up(f, sa(3, 15, f->a, f->c));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.3 net/net "
				"10.7.0.0/16");
	assert_int_equal(asked.calls, 2);
	asked_resolve = NULL;
	f->tunnels->reconfigure(f->tunnels);
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.3 net/net");
	assert_int_equal(asked.calls, 3);
	forget_resolves();
}

/** A reload resolves waiting SAs anew too: an SA waiting for a name that
 *  its new settings no longer ask for gets its new name */
static void test_reload_waiting(void **state)
{
	fixture_t *f = *state;

	f->resolve = same_name;
	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set tun0 up key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(2, 16, f->a, f->c));
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
	reload(f, vti_config_resolve);
	expect_call(f, "remove tun0");
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	expect_call(f, "set vti16 up key 16 10.9.0.1 10.9.0.3 net/net");
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
}

/** A %unique mark equal to another connection's fixed key never takes
 *  that tunnel over, in either order */
static void test_unique_meets_fixed(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 5, f->a, f->b));
	expect_call(f, "set vti5 up key 5 10.9.0.1 10.9.0.2 net/net");
	up(f, spoke_sa(2, 5, f->a, f->c, "s1"));
	expect_no_call(f);
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti5 down key 5 10.9.0.1 10.9.0.2 net/net");
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
	f->tunnels->sa_down(f->tunnels, 2);
	expect_no_call(f);

	up(f, spoke_sa(3, 6, f->a, f->c, "s1"));
	expect_call(f, "set vti6 up key 6 10.9.0.1 10.9.0.3 net/net");
	up(f, sa(4, 6, f->a, f->b));
	expect_no_call(f);
	f->tunnels->sa_down(f->tunnels, 3);
	expect_call(f, "remove vti6");
	/* the idle vti5 gives up the endpoints it shares with key 6 */
	expect_call(f, "remove vti5");
	expect_call(f, "set vti6 up key 6 10.9.0.1 10.9.0.2 net/net");
}

/** A table whose spokes' devices wait for a successor */
static vti_tunnels_t *waiting_table(fixture_t *f, uint32_t seconds)
{
	f->tunnels->destroy(f->tunnels);
	f->tunnels = vti_tunnels_create(&f->link->link, seconds, test_resolve);
	return f->tunnels;
}

/** Make-before-break reauthentication of a spoke: its successor's new
 *  %unique mark re-keys the spoke's device in place */
static void test_spoke_make_before_break(void **state)
{
	fixture_t *f = *state;

	waiting_table(f, 60);
	up(f, spoke_sa(1, 1, f->a, f->b, "s1"));
	expect_call(f, "set vti1 up key 1 10.9.0.1 10.9.0.2 net/net");
	up(f, spoke_sa(2, 3, f->a, f->c, "s2"));
	expect_call(f, "set vti3 up key 3 10.9.0.1 10.9.0.3 net/net");
	up(f, spoke_sa(3, 2, f->a, f->b, "s1"));
	expect_call(f, "set vti1 up key 2 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_count(f->tunnels), 2);
	/* the newer SA goes first: the device returns to the older one's mark */
	up(f, spoke_sa(4, 4, f->a, f->b, "s1"));
	expect_call(f, "set vti1 up key 4 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 4);
	expect_call(f, "set vti1 up key 2 10.9.0.1 10.9.0.2 net/net");
}

/** Break-before-make reauthentication of a spoke: its device waits, down,
 *  and comes up again for the successor */
static void test_spoke_break_before_make(void **state)
{
	fixture_t *f = *state;

	waiting_table(f, 60);
	up(f, spoke_sa(1, 1, f->a, f->b, "s1"));
	expect_call(f, "set vti1 up key 1 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti1 down key 1 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->reconcile(f->tunnels);
	expect_no_call(f);
	/* the spoke comes back from another address */
	up(f, spoke_sa(2, 2, f->a, f->c, "s1"));
	expect_call(f, "set vti1 up key 2 10.9.0.1 10.9.0.3 net/net");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 1);
}

/** A spoke's device whose successor does not come in time is removed at
 *  the next reconcile */
static void test_spoke_successor_late(void **state)
{
	fixture_t *f = *state;

	waiting_table(f, 1);
	up(f, spoke_sa(1, 1, f->a, f->b, "s1"));
	expect_call(f, "set vti1 up key 1 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti1 down key 1 10.9.0.1 10.9.0.2 net/net");
	sleep(2);
	f->tunnels->reconcile(f->tunnels);
	expect_call(f, "remove vti1");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 0);
}

/** Settings of a key whose device is shared by every peer (remote = any),
 *  routing the peers' selectors */
static vti_config_t *shared_settings(uint32_t key)
{
	vti_config_t *cfg = vti_config_resolve("net", "net", VTI_KIND_VTI, key);

	cfg->remote = VTI_REMOTE_ANY;
	cfg->routes = VTI_ROUTES_REMOTE_TS;
	return cfg;
}

/** remote = any: the SAs of several peers share one device on the local
 *  address, each routing its own selectors; up while any of them is */
static void test_shared_device(void **state)
{
	fixture_t *f = *state;

	up(f, sa_with(sa(1, 42, f->a, f->b), shared_settings(42), "10.1.1.0/24"));
	expect_call(f, "set vti42 up key 42 10.9.0.1 %any net/net 10.1.1.0/24");
	up(f, sa_with(sa(2, 42, f->a, f->c), shared_settings(42), "10.1.2.0/24"));
	expect_call(f, "set vti42 up key 42 10.9.0.1 %any net/net 10.1.1.0/24 "
				"10.1.2.0/24");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 1);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
	/* a per-peer device with another key between a and b coexists */
	up(f, sa(3, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti42 up key 42 10.9.0.1 %any net/net 10.1.2.0/24");
	f->tunnels->sa_down(f->tunnels, 2);
	expect_call(f, "set vti42 down key 42 10.9.0.1 %any net/net "
				"10.1.2.0/24");
}

/** A peer of a shared device moves (MOBIKE): its SA follows in place, the
 *  device stays as it is */
static void test_shared_peer_moves(void **state)
{
	fixture_t *f = *state;

	up(f, sa_with(sa(1, 42, f->a, f->b), shared_settings(42), NULL));
	expect_call(f, "set vti42 up key 42 10.9.0.1 %any net/net");
	up(f, sa_with(sa(2, 42, f->a, f->c), shared_settings(42), NULL));
	move(f, f->a, f->a2, 1, 1);
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
	f->tunnels->sa_down(f->tunnels, 2);
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti42 down key 42 10.9.0.1 %any net/net");
}

/** Settings reloads switch a device between shared and per-peer: per peer,
 *  the newest SA's peer keeps it and the others wait for the key */
static vti_config_t *peer_remote(char *conn, char *child, vti_kind_t kind,
								 uint32_t key)
{
	vti_config_t *cfg = vti_config_resolve(conn, child, kind, key);

	cfg->routes = VTI_ROUTES_REMOTE_TS;
	return cfg;
}

static vti_config_t *any_remote(char *conn, char *child, vti_kind_t kind,
								uint32_t key)
{
	return shared_settings(key);
}

static void test_shared_reload(void **state)
{
	fixture_t *f = *state;

	up(f, sa_with(sa(1, 42, f->a, f->b), shared_settings(42), "10.1.1.0/24"));
	expect_call(f, "set vti42 up key 42 10.9.0.1 %any net/net 10.1.1.0/24");
	up(f, sa_with(sa(2, 42, f->a, f->c), shared_settings(42), "10.1.2.0/24"));
	expect_call(f, "set vti42 up key 42 10.9.0.1 %any net/net 10.1.1.0/24 "
				"10.1.2.0/24");
	reload(f, peer_remote);
	expect_call(f, "set vti42 up key 42 10.9.0.1 10.9.0.3 net/net "
				"10.1.2.0/24");
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
	reload(f, any_remote);
	expect_call(f, "set vti42 up key 42 10.9.0.1 %any net/net 10.1.2.0/24");
	expect_call(f, "set vti42 up key 42 10.9.0.1 %any net/net 10.1.2.0/24 "
				"10.1.1.0/24");
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
}

/** remote = any is for fixed keys: %unique spokes keep a device each */
static void test_shared_dynamic(void **state)
{
	fixture_t *f = *state;
	vti_sa_t s1 = spoke_sa(1, 1, f->a, f->b, "b");
	vti_sa_t s2 = spoke_sa(2, 2, f->a, f->c, "c");
	vti_config_t *cfg1 = vti_config_resolve("net", "net", VTI_KIND_VTI, 1);
	vti_config_t *cfg2 = vti_config_resolve("net", "net", VTI_KIND_VTI, 2);

	cfg1->remote = VTI_REMOTE_ANY;
	cfg2->remote = VTI_REMOTE_ANY;
	give(&s1, cfg1);
	give(&s2, cfg2);
	up(f, s1);
	expect_call(f, "set vti1 up key 1 10.9.0.1 10.9.0.2 net/net");
	up(f, s2);
	expect_call(f, "set vti2 up key 2 10.9.0.1 10.9.0.3 net/net");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 2);
}

/** The endpoint rule follows a MOBIKE move: the old endpoints are free for
 *  another key, the new ones are taken */
static void test_index_after_move(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	move(f, f->a2, f->b, 1, 1);
	expect_call(f, "set vti15 up key 15 10.9.1.1 10.9.0.2 net/net");
	up(f, sa(2, 16, f->a, f->b));
	expect_call(f, "set vti16 up key 16 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(3, 17, f->a2, f->b));
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
	/* vti15 moves back, where vti16 runs: key 17 gets the new endpoints */
	f->tunnels->sa_down(f->tunnels, 2);
	expect_call(f, "set vti16 down key 16 10.9.0.1 10.9.0.2 net/net");
	move(f, f->a, f->b, 1, 1);
	expect_call(f, "remove vti16");
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	expect_call(f, "set vti17 up key 17 10.9.1.1 10.9.0.2 net/net");
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
	assert_int_equal(f->tunnels->get_count(f->tunnels), 2);
}

/** A move that splits a shared device: the device keeps its endpoints in
 *  the index, the moved SA waits and gets them once the others leave */
static void test_index_after_split(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(2, 15, f->a, f->b));
	move(f, f->a2, f->b, 1, 2);
	expect_no_call(f);
	/* the old endpoints stay taken, the new ones are free */
	up(f, sa(3, 16, f->a, f->b));
	expect_no_call(f);
	up(f, sa(4, 17, f->a2, f->c));
	expect_call(f, "set vti17 up key 17 10.9.1.1 10.9.0.3 net/net");
	f->tunnels->sa_down(f->tunnels, 3);
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net");
	expect_call(f, "set vti15 up key 15 10.9.1.1 10.9.0.2 net/net");
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
}

/** An idle tunnel retargeted to other endpoints frees the old ones */
static void test_index_after_retarget(void **state)
{
	fixture_t *f = *state;

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(2, 15, f->a, f->c));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.3 net/net");
	/* no idle twin is left between a and b to be removed */
	up(f, sa(3, 16, f->a, f->b));
	expect_call(f, "set vti16 up key 16 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(4, 17, f->a, f->c));
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_count(f->tunnels), 2);
}

/** A reload that renames: the old name is free for another tunnel, the new
 *  one taken; the renamed device keeps its key and endpoints */
static void test_index_after_rename(void **state)
{
	fixture_t *f = *state;
	vti_config_t *cfg = vti_config_resolve("net", "net", VTI_KIND_VTI, 16);
	vti_config_t *taken = vti_config_resolve("net", "net", VTI_KIND_VTI, 17);

	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	reload(f, renamed);
	expect_call(f, "remove vti15");
	expect_call(f, "set ipsec15 up key 15 10.9.0.1 10.9.0.2 net/net");
	assert_true(vti_config_expand_name("vti15", 16, cfg->name));
	up(f, sa_with(sa(2, 16, f->a, f->c), cfg, NULL));
	expect_call(f, "set vti15 up key 16 10.9.0.1 10.9.0.3 net/net");
	assert_true(vti_config_expand_name("ipsec15", 17, taken->name));
	up(f, sa_with(sa(3, 17, f->a2, f->c), taken, NULL));
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
	/* once renamed back, ipsec15 is free for key 17 */
	f->tunnels->sa_down(f->tunnels, 2);
	expect_call(f, "set vti15 down key 16 10.9.0.1 10.9.0.3 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set ipsec15 down key 15 10.9.0.1 10.9.0.2 net/net");
	expect_no_call(f);
}

/** A spoke's device, re-keyed for its successor, is found by its new key,
 *  by its spoke and by its name; its old key is free */
static void test_index_spoke_rekeyed(void **state)
{
	fixture_t *f = *state;

	waiting_table(f, 60);
	up(f, spoke_sa(1, 1, f->a, f->b, "s1"));
	expect_call(f, "set vti1 up key 1 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti1 down key 1 10.9.0.1 10.9.0.2 net/net");
	up(f, spoke_sa(2, 2, f->a2, f->b, "s1"));
	expect_call(f, "set vti1 up key 2 10.9.1.1 10.9.0.2 net/net");
	/* the old endpoints and key 1 are free; the name is not */
	up(f, spoke_sa(3, 1, f->a, f->b, "s2"));
	expect_no_call(f);
	f->tunnels->sa_down(f->tunnels, 2);
	expect_call(f, "set vti1 down key 2 10.9.1.1 10.9.0.2 net/net");
	up(f, spoke_sa(4, 4, f->a2, f->b, "s1"));
	expect_call(f, "set vti1 up key 4 10.9.1.1 10.9.0.2 net/net");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 1);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
}

/** A removed tunnel leaves nothing in the index: its key, name and
 *  endpoints serve the next SA */
static void test_index_after_removal(void **state)
{
	fixture_t *f = *state;

	up(f, spoke_sa(1, 7, f->a, f->b, "s1"));
	expect_call(f, "set vti7 up key 7 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "remove vti7");
	up(f, sa(2, 7, f->a, f->b));
	expect_call(f, "set vti7 up key 7 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 2);
	expect_call(f, "set vti7 down key 7 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_destroyed(f->tunnels, 2);
	up(f, spoke_sa(3, 8, f->a, f->b, "s1"));
	expect_call(f, "remove vti7");
	expect_call(f, "set vti8 up key 8 10.9.0.1 10.9.0.2 net/net");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 1);
}

/** A tunnel of a spoke's key named tun0, between two hosts, for the
 *  index alone */
static vti_tunnel_t *index_tunnel(uint32_t key, host_t *local, host_t *remote)
{
	vti_sa_t s = spoke_sa(key, key, local, remote, "s1");
	vti_tunnel_t *tunnel;

	s.cfg = vti_config_resolve("net", "net", VTI_KIND_VTI, key);
	assert_true(vti_config_expand_name("tun0", key, s.cfg->name));
	tunnel = vti_tunnel_create(&s);
	vti_config_destroy(s.cfg);
	return tunnel;
}

/** The tunnels of the index between two endpoints, by key, in order */
static void expect_between(vti_tunnel_index_t *index, fixture_t *f,
						   const char *expected)
{
	enumerator_t *enumerator;
	vti_tunnel_t *tunnel;
	char keys[64] = "";
	size_t len = 0;

	enumerator = index->create_between_enumerator(index, VTI_KIND_VTI, f->a,
												  f->b);
	while (enumerator->enumerate(enumerator, &tunnel))
	{
		len += snprintf(keys + len, sizeof(keys) - len, "%s%u",
						len ? " " : "", tunnel->spec.key);
	}
	enumerator->destroy(enumerator);
	assert_string_equal(keys, expected);
}

/** Tunnels that share a name, endpoints and spoke are found in the order
 *  they were filed, whichever of them leaves first; the last one out
 *  empties the index */
static void test_index_shared_buckets(void **state)
{
	fixture_t *f = *state;
	vti_tunnel_index_t *index = vti_tunnel_index_create();
	vti_tunnel_t *t1, *t2, *t3, *t4;
	vti_sa_t spoke = spoke_sa(9, 9, f->a, f->b, "s1");

	t1 = index_tunnel(1, f->a, f->b);
	t2 = index_tunnel(2, f->a, f->b);
	t3 = index_tunnel(3, f->a, f->b);
	t4 = index_tunnel(4, f->a, f->b);
	index->add(index, t1);
	index->add(index, t2);
	index->add(index, t3);
	expect_between(index, f, "1 2 3");
	assert_ptr_equal(index->get_by_name(index, NULL, "tun0"), t1);
	assert_ptr_equal(index->get_by_name(index, t1, "tun0"), t2);
	assert_ptr_equal(index->get_spoke(index, &spoke), t1);

	index->remove(index, t1);
	expect_between(index, f, "2 3");
	assert_ptr_equal(index->get_by_name(index, NULL, "tun0"), t2);
	assert_ptr_equal(index->get_spoke(index, &spoke), t2);
	index->add(index, t4);
	index->remove(index, t3);
	expect_between(index, f, "2 4");
	index->remove(index, t2);
	expect_between(index, f, "4");
	assert_ptr_equal(index->get_by_name(index, t2, "tun0"), t4);
	assert_null(index->get_by_name(index, t4, "tun0"));
	index->remove(index, t4);
	expect_between(index, f, "");
	assert_null(index->get_by_name(index, NULL, "tun0"));
	assert_null(index->get_spoke(index, &spoke));
	assert_int_equal(index->get_count(index), 0);

	index->destroy(index);
	vti_tunnel_destroy(t1);
	vti_tunnel_destroy(t2);
	vti_tunnel_destroy(t3);
	vti_tunnel_destroy(t4);
}

/** Selectors routed through the device, for the tests that count driver
 *  requests: they must not change on a rekey either */
static vti_sa_t routed_sa(uint32_t id, host_t *local, host_t *remote)
{
	vti_config_t *cfg = vti_config_resolve("net", "net", VTI_KIND_VTI, 15);

	cfg->routes = VTI_ROUTES_REMOTE_TS;
	return sa_with(sa(id, 15, local, remote), cfg, "10.1.0.0/16");
}

/** A CHILD_SA rekey causes no driver request: the successor joins (also
 *  when its up event comes too), the replaced SA goes */
static void test_no_request_rekey(void **state)
{
	fixture_t *f = *state;

	up(f, routed_sa(1, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net "
				"10.1.0.0/16");
	rekey(f, 1, routed_sa(2, f->a, f->b));
	up(f, routed_sa(2, f->a, f->b));
	f->tunnels->sa_down(f->tunnels, 1);
	f->tunnels->sa_destroyed(f->tunnels, 1);
	expect_no_call(f);
	rekey(f, 2, routed_sa(3, f->a, f->b));
	f->tunnels->sa_destroyed(f->tunnels, 2);
	expect_no_call(f);
}

/** A rekey collision causes no driver request: two successors, the loser
 *  and the replaced SA go */
static void test_no_request_collision(void **state)
{
	fixture_t *f = *state;

	up(f, routed_sa(1, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net "
				"10.1.0.0/16");
	rekey(f, 1, routed_sa(2, f->a, f->b));
	rekey(f, 1, routed_sa(3, f->a, f->b));
	f->tunnels->sa_destroyed(f->tunnels, 3);
	f->tunnels->sa_destroyed(f->tunnels, 1);
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
}

/** A reauthentication (make-before-break) causes no driver request: the
 *  new IKE_SA's CHILD_SA comes up, the old IKE_SA goes with its own */
static void test_no_request_reauth(void **state)
{
	fixture_t *f = *state;
	uint32_t old[] = { 1 };

	up(f, routed_sa(1, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net "
				"10.1.0.0/16");
	up(f, routed_sa(2, f->a, f->b));
	f->tunnels->ike_down(f->tunnels, old, countof(old));
	f->tunnels->sa_down(f->tunnels, 1);
	f->tunnels->sa_destroyed(f->tunnels, 1);
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_count(f->tunnels), 1);
}

/** A reload that switches remote files the device under its new endpoints:
 *  (local, any) is free for another shared key, (local, peer) is taken */
static void test_index_after_reshare(void **state)
{
	fixture_t *f = *state;

	up(f, sa_with(sa(1, 42, f->a, f->b), shared_settings(42), "10.1.1.0/24"));
	expect_call(f, "set vti42 up key 42 10.9.0.1 %any net/net 10.1.1.0/24");
	up(f, sa_with(sa(2, 42, f->a, f->c), shared_settings(42), "10.1.2.0/24"));
	expect_call(f, "set vti42 up key 42 10.9.0.1 %any net/net 10.1.1.0/24 "
				"10.1.2.0/24");
	/* one shared device per local address */
	up(f, sa_with(sa(3, 43, f->a, f->b), shared_settings(43), NULL));
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
	f->tunnels->sa_down(f->tunnels, 3);
	reload(f, peer_remote);
	expect_call(f, "set vti42 up key 42 10.9.0.1 10.9.0.3 net/net "
				"10.1.2.0/24");
	up(f, sa(4, 44, f->a, f->c));
	expect_no_call(f);
	up(f, sa_with(sa(5, 45, f->a, f->b), shared_settings(45), NULL));
	expect_call(f, "set vti45 up key 45 10.9.0.1 %any net/net");
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 2);
}

/** VTIs and XFRM interfaces share the kernel's names: an XFRM interface
 *  whose name a VTI has waits for it */
static void test_xfrm_name_taken(void **state)
{
	fixture_t *f = *state;
	vti_config_t *vti = vti_config_resolve("net", "net", VTI_KIND_VTI, 15);
	vti_config_t *xfrm = vti_config_resolve("net", "net", VTI_KIND_XFRM, 7);
	vti_sa_t x = xfrm_sa(2, 7, f->a, f->b);

	assert_true(vti_config_expand_name("tun0", 15, vti->name));
	up(f, sa_with(sa(1, 15, f->a, f->b), vti, NULL));
	expect_call(f, "set tun0 up key 15 10.9.0.1 10.9.0.2 net/net");
	assert_true(vti_config_expand_name("tun0", 7, xfrm->name));
	give(&x, xfrm);
	up(f, x);
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set tun0 down key 15 10.9.0.1 10.9.0.2 net/net");
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
}

/** A %unique XFRM interface of a spoke and VTIs between the same endpoints
 *  do not meet under the endpoint rule: a VTI claiming them removes only
 *  an idle VTI, never the spoke's idle XFRM interface */
static void test_xfrm_spoke_beside_vti(void **state)
{
	fixture_t *f = *state;
	vti_sa_t s1;

	waiting_table(f, 60);
	s1 = xfrm_sa(1, 41, f->a, f->b);
	s1.dynamic = TRUE;
	s1.peer = "s1";
	up(f, s1);
	expect_call(f, "set xfrm41 up if_id 41 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(2, 15, f->a, f->b));
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set xfrm41 down if_id 41 10.9.0.1 10.9.0.2 net/net");
	f->tunnels->sa_down(f->tunnels, 2);
	expect_call(f, "set vti15 down key 15 10.9.0.1 10.9.0.2 net/net");
	up(f, sa(3, 16, f->a, f->b));
	expect_call(f, "remove vti15");
	expect_call(f, "set vti16 up key 16 10.9.0.1 10.9.0.2 net/net");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 2);
}

/** A device the table does not know, in the way of a new one */
static vti_link_occupant_t occupant(char *name, bool ours, bool up,
									uint32_t key)
{
	vti_link_occupant_t occupant = {
		.ours = ours, .up = up, .key = key,
	};

	snprintf(occupant.name, sizeof(occupant.name), "%s", name);
	snprintf(occupant.owner, sizeof(occupant.owner), "%s",
			 ours ? "old/net" : "");
	return occupant;
}

/** A device of ours, down, that an earlier run left between the endpoints
 *  makes room: the table has the driver discard it and tries again */
static void test_leftover_makes_room(void **state)
{
	fixture_t *f = *state;
	vti_link_occupant_t old = occupant("vti99", TRUE, FALSE, 99);

	f->link->block(f->link, "vti15", &old);
	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "blocked vti15");
	expect_call(f, "discard vti99");
	expect_call(f, "set vti15 up key 15 10.9.0.1 10.9.0.2 net/net");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 1);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
}

/** The same for an XFRM interface of ours, down, with the if_id */
static void test_xfrm_leftover_makes_room(void **state)
{
	fixture_t *f = *state;
	vti_link_occupant_t old = occupant("xfrm-old", TRUE, FALSE, 7);

	f->link->block(f->link, "xfrm7", &old);
	up(f, xfrm_sa(1, 7, f->a, f->b));
	expect_call(f, "blocked xfrm7");
	expect_call(f, "discard xfrm-old");
	expect_call(f, "set xfrm7 up if_id 7 10.9.0.1 %any net/net");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 1);
}

/** A foreign device, or one of ours that is up, stays: the SA waits, and
 *  a retry asks the driver again without discarding anything */
static void test_occupant_stays(void **state)
{
	fixture_t *f = *state;
	vti_link_occupant_t foreign = occupant("myvti", FALSE, FALSE, 15);
	vti_link_occupant_t busy = occupant("vti98", TRUE, TRUE, 98);

	f->link->block(f->link, "vti15", &foreign);
	up(f, sa(1, 15, f->a, f->b));
	expect_call(f, "blocked vti15");
	assert_int_equal(f->tunnels->get_count(f->tunnels), 0);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
	f->link->block(f->link, "vti15", &busy);
	f->tunnels->reconcile(f->tunnels);
	expect_call(f, "blocked vti15");
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
}

/** A device of ours that the table has a tunnel for is no leftover, even
 *  while it is down */
static void test_known_device_stays(void **state)
{
	fixture_t *f = *state;
	vti_link_occupant_t known = occupant("vti16", TRUE, FALSE, 16);

	up(f, sa(1, 16, f->a, f->c));
	expect_call(f, "set vti16 up key 16 10.9.0.1 10.9.0.3 net/net");
	f->tunnels->sa_down(f->tunnels, 1);
	expect_call(f, "set vti16 down key 16 10.9.0.1 10.9.0.3 net/net");
	f->link->block(f->link, "vti15", &known);
	up(f, sa(2, 15, f->a, f->b));
	expect_call(f, "blocked vti15");
	expect_no_call(f);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_up_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refcount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_handover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_make_before_break, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoints_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dynamic_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ike_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_overhead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_shared_device, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_waiting_for_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ike_down_together, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_transient_failure, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_reconcile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_new_selectors, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_reconfigure_name_taken, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_unique_meets_fixed, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_spoke_make_before_break, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_spoke_break_before_make, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_spoke_successor_late, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xfrm_up_rekey_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xfrm_and_vti_same_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xfrm_if_ids_one_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xfrm_shared_by_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xfrm_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xfrm_unique, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_sa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_down_action_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes_remote_ts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes_spare_endpoints, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_name_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconfigure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_peer_moves, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_shared_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_dynamic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_after_move, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_index_after_split, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_index_after_retarget, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_index_after_rename, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_index_spoke_rekeyed, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_index_after_removal, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_index_shared_buckets, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_no_request_rekey, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_no_request_collision, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_no_request_reauth, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_index_after_reshare, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_xfrm_name_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xfrm_spoke_beside_vti, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_resolves_sa_settings, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_reload_waiting, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_leftover_makes_room, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_xfrm_leftover_makes_room, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_occupant_stays, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_known_device_stays, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_settings_resolved_once, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_shared_device_resolved_once,
										setup, teardown),
		cmocka_unit_test_setup_teardown(test_sas_share_settings, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_sa_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_shared_settings, setup,
										teardown),
	};
	int failed;

	library_init(NULL, "vti-unit");
	failed = cmocka_run_group_tests_name("vti_tunnels", tests, NULL, NULL);
	library_deinit();
	return failed;
}
