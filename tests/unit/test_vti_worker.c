/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Unit tests of the worker between charon's bus and the tunnel table: the
 * events reach the table in their order, from copies, and none is lost
 * when the worker stops.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vti_worker.h"
#include "vti_prefix.h"

#include <sched.h>

#include <threading/mutex.h>

/** A table that records the events it gets */
typedef struct {
	/** the table's interface */
	vti_tunnels_t public;
	/** events, as text */
	linked_list_t *events;
	/** protects events */
	mutex_t *mutex;
	/** the table was destroyed */
	bool *destroyed;
} recorder_t;

/** Record an event */
static void record(recorder_t *this, char *fmt, ...)
{
	char buf[128];
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	this->mutex->lock(this->mutex);
	this->events->insert_last(this->events, strdup(buf));
	this->mutex->unlock(this->mutex);
}

static void rec_sa_up(vti_tunnels_t *t, vti_sa_t *sa)
{
	record((recorder_t*)t, "up %u key %u %s/%s on '%s'", sa->id, sa->key,
		   sa->conn, sa->child, sa->underlay);
}

static void rec_sa_down(vti_tunnels_t *t, uint32_t id)
{
	record((recorder_t*)t, "down %u", id);
}

static void rec_ike_down(vti_tunnels_t *t, uint32_t *ids, u_int count)
{
	record((recorder_t*)t, "ike down %u %u", count, count ? ids[0] : 0);
}

static void rec_sa_destroyed(vti_tunnels_t *t, uint32_t id)
{
	record((recorder_t*)t, "destroyed %u", id);
}

static void rec_sa_rekeyed(vti_tunnels_t *t, uint32_t old_id, vti_sa_t *sa)
{
	record((recorder_t*)t, "rekeyed %u %u %s on '%s'", old_id, sa->id,
		   vti_kind_name(sa->kind), sa->underlay);
}

static void rec_ike_moved(vti_tunnels_t *t, vti_sa_move_t *moves,
						  u_int count, host_t *local, host_t *remote)
{
	record((recorder_t*)t, "moved %u %u on '%s'", count, moves[0].id,
		   moves[0].underlay);
}

/** charon's interface names: eth0 holds 10.9.0.1, nothing 10.9.0.2 */
static char *get_interface(host_t *local)
{
	host_t *eth0 = host_create_from_string("10.9.0.1", 0);
	char *name = NULL;

	if (local->ip_equals(local, eth0))
	{
		name = strdup("eth0");
	}
	eth0->destroy(eth0);
	return name;
}

static void rec_destroy(vti_tunnels_t *t)
{
	recorder_t *this = (recorder_t*)t;

	*this->destroyed = TRUE;
}

/** Remote traffic selectors of one prefix */
static array_t *one_prefix(void)
{
	array_t *list = NULL;

	array_insert_create(&list, ARRAY_TAIL,
						vti_prefix_create_from_string("10.1.0.0/16"));
	return list;
}

/** The worker delivers every event in order, from copies, with the
 *  underlay it looked up, and drains its queue when it stops */
static void test_order_and_drain(void **state)
{
	recorder_t recorder = {
		.public = {
			.sa_up = rec_sa_up,
			.sa_down = rec_sa_down,
			.ike_down = rec_ike_down,
			.sa_destroyed = rec_sa_destroyed,
			.sa_rekeyed = rec_sa_rekeyed,
			.ike_moved = rec_ike_moved,
			.destroy = rec_destroy,
		},
		.events = linked_list_create(),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	};
	bool destroyed = FALSE;
	vti_tunnels_t *worker;
	vti_sa_move_t move = { .id = 7 };
	uint32_t ids[] = { 9, 10 };
	char conn[] = "net", *event;
	host_t *a, *b;
	vti_sa_t sa;
	int i;

	recorder.destroyed = &destroyed;
	a = host_create_from_string("10.9.0.1", 500);
	b = host_create_from_string("10.9.0.2", 500);
	worker = vti_worker_create(&recorder.public, get_interface);
	for (i = 1; i <= 100; i++)
	{
		sa = (vti_sa_t){
			.id = i, .kind = VTI_KIND_VTI, .key = 15, .local = a,
			.remote = b, .conn = conn, .child = conn, .peer = conn,
			.remote_ts = one_prefix(),
		};
		worker->sa_up(worker, &sa);
		/* the caller's memory is gone once the hook returned */
		vti_prefix_list_destroy(sa.remote_ts);
		conn[0] = 'n';
	}
	sa = (vti_sa_t){
		.id = 101, .kind = VTI_KIND_XFRM, .key = 15, .local = a,
		.remote = b, .conn = conn, .child = conn, .peer = conn,
		.remote_ts = one_prefix(),
	};
	worker->sa_rekeyed(worker, 100, &sa);
	vti_prefix_list_destroy(sa.remote_ts);
	worker->sa_destroyed(worker, 100);
	worker->ike_moved(worker, &move, 1, b, a);
	worker->sa_down(worker, 101);
	worker->ike_down(worker, ids, countof(ids));
	worker->destroy(worker);
	assert_true(destroyed);

	assert_int_equal(recorder.events->get_count(recorder.events), 105);
	for (i = 1; i <= 100; i++)
	{
		char expected[64];

		snprintf(expected, sizeof(expected), "up %d key 15 net/net on 'eth0'",
				 i);
		recorder.events->remove_first(recorder.events, (void**)&event);
		assert_string_equal(event, expected);
		free(event);
	}
	recorder.events->remove_first(recorder.events, (void**)&event);
	assert_string_equal(event, "rekeyed 100 101 xfrm on 'eth0'");
	free(event);
	recorder.events->remove_first(recorder.events, (void**)&event);
	assert_string_equal(event, "destroyed 100");
	free(event);
	recorder.events->remove_first(recorder.events, (void**)&event);
	assert_string_equal(event, "moved 1 7 on ''");
	free(event);
	recorder.events->remove_first(recorder.events, (void**)&event);
	assert_string_equal(event, "down 101");
	free(event);
	recorder.events->remove_first(recorder.events, (void**)&event);
	assert_string_equal(event, "ike down 2 9");
	free(event);
	recorder.events->destroy(recorder.events);
	recorder.mutex->destroy(recorder.mutex);
	a->destroy(a);
	b->destroy(b);
}

/** Record the scheduling policy of the thread that delivers an event */
static void rec_policy(vti_tunnels_t *t, uint32_t id)
{
	record((recorder_t*)t, "%s", sched_getscheduler(0) == SCHED_BATCH ?
		   "batch" : "other");
}

/** The worker thread is a batch thread, so that waking it never preempts
 *  the bus hook that queued the event */
static void test_batch_thread(void **state)
{
	recorder_t recorder = {
		.public = {
			.sa_down = rec_policy,
			.destroy = rec_destroy,
		},
		.events = linked_list_create(),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	};
	bool destroyed = FALSE;
	vti_tunnels_t *worker;
	char *event = NULL;

	recorder.destroyed = &destroyed;
	worker = vti_worker_create(&recorder.public, get_interface);
	worker->sa_down(worker, 1);
	worker->destroy(worker);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	recorder.events->remove_first(recorder.events, (void**)&event);
	assert_non_null(event);
	assert_string_equal(event, "batch");
	free(event);
	recorder.events->destroy(recorder.events);
	recorder.mutex->destroy(recorder.mutex);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_drain),
		cmocka_unit_test(test_batch_thread),
	};
	int failed;

	library_init(NULL, "vti-unit");
	failed = cmocka_run_group_tests_name("vti_worker", tests, NULL, NULL);
	library_deinit();
	return failed;
}
