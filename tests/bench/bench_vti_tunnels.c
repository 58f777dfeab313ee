/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What one event costs the tunnel table with N tunnels, and what the
 * table keeps per tunnel: drives the table through its public interface
 * with the recording link driver. Not a test: it prints figures.
 * tests/bench/table-cost runs it under callgrind at several N, which
 * counts the instructions of run_events() alone.
 *
 * Usage: bench_vti_tunnels [TUNNELS [ROUNDS]]
 * Prints one line: tunnels, events, heap per tunnel (bytes, mallinfo2()),
 * CPU time per event (ns).
 */

#include "vti_tunnels.h"
#include "mock_link.h"

#include <inttypes.h>
#include <malloc.h>
#include <time.h>

/** events one round sends */
#define EVENTS_PER_ROUND 8

/**
 * One tunnel of the bench: a key between endpoints of its own, held by one
 * CHILD_SA at a time.
 */
typedef struct {
	/** VTI key; %unique for every other tunnel */
	uint32_t key;
	/** whether the key is %unique (a spoke) */
	bool dynamic;
	/** unique ID of the CHILD_SA that holds it */
	uint32_t id;
	/** its endpoints, and where MOBIKE moves it */
	host_t *local, *remote, *moved;
	/** the peer, for a spoke */
	char peer[32];
} bench_tunnel_t;

/** the table under test */
static vti_tunnels_t *tunnels;

/** the recording driver */
static mock_link_t *mock;

/** the bench's tunnels */
static bench_tunnel_t *all;

/** number of them */
static int count;

/** last CHILD_SA ID and %unique mark handed out */
static uint32_t last_id, last_unique;

/**
 * Forget what the driver was told.
 */
static void drain(void)
{
	char *call;

	while ((call = mock->next_call(mock)))
	{
		free(call);
	}
}

/**
 * Tell the table about the tunnel's SA: up, or rekeyed from an old one.
 */
static void send_sa(bench_tunnel_t *t, uint32_t old, host_t *local)
{
	vti_sa_t sa = {
		.id = t->id,
		.kind = VTI_KIND_VTI,
		.key = t->key,
		.dynamic = t->dynamic,
		.local = local,
		.remote = t->remote,
		.conn = "bench",
		.child = "bench",
		.peer = t->peer,
	};

	if (old)
	{
		tunnels->sa_rekeyed(tunnels, old, &sa);
	}
	else
	{
		tunnels->sa_up(tunnels, &sa);
	}
}

/**
 * Move a tunnel's IKE_SA to another local address.
 */
static void send_move(bench_tunnel_t *t, host_t *local)
{
	vti_sa_move_t move = { .id = t->id };

	tunnels->ike_moved(tunnels, &move, 1, local, t->remote);
}

/**
 * One round of the events a tunnel sees in its life: a CHILD_SA rekey, a
 * reauthentication (break-before-make: a spoke's successor has a new
 * %unique mark), a MOBIKE move there and back, and a status read.
 */
static void round_on(bench_tunnel_t *t)
{
	uint32_t old = t->id;

	t->id = ++last_id;
	send_sa(t, old, t->local);
	tunnels->sa_destroyed(tunnels, old);
	tunnels->sa_down(tunnels, t->id);
	tunnels->sa_destroyed(tunnels, t->id);
	t->id = ++last_id;
	if (t->dynamic)
	{
		t->key = ++last_unique;
	}
	send_sa(t, 0, t->local);
	send_move(t, t->moved);
	send_move(t, t->local);
	tunnels->get_changes(tunnels);
	drain();
}

/**
 * The measured part: rounds on tunnels spread over the table.
 */
void run_events(int rounds);
void __attribute__((noinline)) run_events(int rounds)
{
	int i;

	for (i = 0; i < rounds; i++)
	{
		round_on(&all[(i * 7919) % count]);
	}
}

/**
 * Make the bench's tunnels, without telling the table.
 */
static void make_tunnels(void)
{
	char buf[32];
	int i;

	all = calloc(count, sizeof(*all));
	for (i = 0; i < count; i++)
	{
		all[i].dynamic = i % 2;
		all[i].key = all[i].dynamic ? ++last_unique : 100000u + i;
		snprintf(buf, sizeof(buf), "10.1.%d.%d", i / 250, i % 250 + 1);
		all[i].local = host_create_from_string(buf, 500);
		snprintf(buf, sizeof(buf), "10.3.%d.%d", i / 250, i % 250 + 1);
		all[i].moved = host_create_from_string(buf, 4500);
		snprintf(buf, sizeof(buf), "10.2.%d.%d", i / 250, i % 250 + 1);
		all[i].remote = host_create_from_string(buf, 500);
		snprintf(all[i].peer, sizeof(all[i].peer), "spoke-%d", i);
	}
}

/**
 * Free the bench's tunnels.
 */
static void free_tunnels(void)
{
	int i;

	for (i = 0; i < count; i++)
	{
		all[i].local->destroy(all[i].local);
		all[i].moved->destroy(all[i].moved);
		all[i].remote->destroy(all[i].remote);
	}
	free(all);
}

/**
 * CPU time of the process, in ns.
 */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char *argv[])
{
	struct mallinfo2 before, after;
	uint64_t start, spent;
	int i, rounds;

	count = argc > 1 ? atoi(argv[1]) : 1000;
	rounds = argc > 2 ? atoi(argv[2]) : 2000;
	if (count < 1 || count > 60000 || rounds < 1)
	{
		fprintf(stderr, "usage: %s [TUNNELS (1-60000) [ROUNDS]]\n", argv[0]);
		return 2;
	}
	library_init(NULL, "vti-bench");
	dbg_default_set_level(LEVEL_SILENT);
	mock = mock_link_create();
	/* spokes' devices wait for a successor, as on a hub; the table resolves
	 * the settings of every SA it keeps */
	tunnels = vti_tunnels_create(&mock->link, 60, vti_config_resolve);
	make_tunnels();

	before = mallinfo2();
	for (i = 0; i < count; i++)
	{
		all[i].id = ++last_id;
		send_sa(&all[i], 0, all[i].local);
	}
	drain();
	after = mallinfo2();

	start = cpu_ns();
	run_events(rounds);
	spent = cpu_ns() - start;

	printf("tunnels=%d events=%d heap_per_tunnel=%zu cpu_ns_per_event=%llu\n",
		   count, rounds * EVENTS_PER_ROUND,
		   (after.uordblks - before.uordblks) / count,
		   (unsigned long long)(spent / ((uint64_t)rounds * EVENTS_PER_ROUND)));

	tunnels->destroy(tunnels);
	mock->link.destroy(&mock->link);
	free_tunnels();
	library_deinit();
	return 0;
}
