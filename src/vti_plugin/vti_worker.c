/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_worker.h"

#include <pthread.h>
#include <sched.h>

#include <collections/linked_list.h>
#include <threading/condvar.h>
#include <threading/mutex.h>
#include <threading/thread.h>

typedef struct private_vti_worker_t private_vti_worker_t;
typedef struct event_t event_t;
typedef enum event_type_t event_type_t;

/**
 * The SA events the worker queues.
 */
enum event_type_t {
	/** sa_up() */
	EVENT_SA_UP,
	/** sa_down() */
	EVENT_SA_DOWN,
	/** ike_down() */
	EVENT_IKE_DOWN,
	/** sa_destroyed() */
	EVENT_SA_DESTROYED,
	/** sa_rekeyed() */
	EVENT_SA_REKEYED,
	/** ike_moved() */
	EVENT_IKE_MOVED,
};

/**
 * One queued event, with copies of all it refers to.
 */
struct event_t {

	/** which event */
	event_type_t type;

	/** unique ID of the CHILD_SA (down, destroyed; the replaced one of a
	 *  rekey) */
	uint32_t id;

	/** the SA (up, rekeyed) */
	vti_sa_t *sa;

	/** IDs of an IKE_SA's CHILD_SAs (ike_down) */
	uint32_t *ids;

	/** moves of an IKE_SA's CHILD_SAs (ike_moved) */
	vti_sa_move_t *moves;

	/** number of IDs or moves */
	u_int count;

	/** new own address (ike_moved) */
	host_t *local;

	/** new peer address (ike_moved) */
	host_t *remote;
};

/**
 * Private data of the worker.
 */
struct private_vti_worker_t {

	/** the table's interface, queuing the events */
	vti_tunnels_t public;

	/** the table */
	vti_tunnels_t *table;

	/** interface of a local address, NULL if not known */
	char *(*get_interface)(host_t *local);

	/** events not handed to the table yet, as event_t* */
	linked_list_t *queue;

	/** the worker thread */
	thread_t *thread;

	/** the worker is to stop once the queue is empty */
	bool stopping;

	/** protects queue and stopping */
	mutex_t *mutex;

	/** signals a new event, or stopping */
	condvar_t *condvar;
};

/**
 * Free an event.
 */
static void event_destroy(event_t *event)
{
	if (event->sa)
	{
		vti_sa_destroy(event->sa);
	}
	DESTROY_IF(event->local);
	DESTROY_IF(event->remote);
	free(event->ids);
	free(event->moves);
	free(event);
}

static void deliver(private_vti_worker_t *this, event_t *event);

/**
 * Queue an event for the worker; without a worker thread, hand it to the
 * table at once.
 */
static void enqueue(private_vti_worker_t *this, event_t *event)
{
	if (!this->thread)
	{
		deliver(this, event);
		event_destroy(event);
		return;
	}
	this->mutex->lock(this->mutex);
	this->queue->insert_last(this->queue, event);
	this->mutex->unlock(this->mutex);
	/* after the unlock: a woken worker finds the mutex free */
	this->condvar->signal(this->condvar);
}

/**
 * Fill in the interface that holds a local address; "" if not known.
 */
static void underlay_of(private_vti_worker_t *this, host_t *local,
						char underlay[IFNAMSIZ])
{
	char *name = this->get_interface(local);

	snprintf(underlay, IFNAMSIZ, "%s", name ?: "");
	free(name);
}

/**
 * Give the SA or the moves of an event their underlay.
 */
static void find_underlay(private_vti_worker_t *this, event_t *event)
{
	u_int i;

	if (event->sa)
	{
		underlay_of(this, event->sa->local, event->sa->underlay);
	}
	for (i = 0; event->moves && i < event->count; i++)
	{
		underlay_of(this, event->local, event->moves[i].underlay);
	}
}

/**
 * Hand an event to the table.
 */
static void deliver(private_vti_worker_t *this, event_t *event)
{
	vti_tunnels_t *table = this->table;

	find_underlay(this, event);

	switch (event->type)
	{
		case EVENT_SA_UP:
			table->sa_up(table, event->sa);
			break;
		case EVENT_SA_DOWN:
			table->sa_down(table, event->id);
			break;
		case EVENT_IKE_DOWN:
			table->ike_down(table, event->ids, event->count);
			break;
		case EVENT_SA_DESTROYED:
			table->sa_destroyed(table, event->id);
			break;
		case EVENT_SA_REKEYED:
			table->sa_rekeyed(table, event->id, event->sa);
			break;
		case EVENT_IKE_MOVED:
			table->ike_moved(table, event->moves, event->count, event->local,
							 event->remote);
			break;
	}
}

/**
 * Run the calling thread as a batch thread: the scheduler then does not let
 * it preempt the thread that wakes it. On one CPU, a worker woken by a bus
 * hook would otherwise take the CPU from that hook, which holds charon's
 * bus lock, until the device is made.
 */
static void yield_to_hooks(void)
{
	struct sched_param param = {};
	int err;

	err = pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
	if (err)
	{
		DBG2(DBG_CFG, "vti: the worker thread stays a normal thread: %s",
			 strerror(err));
	}
}

/**
 * The worker: hand the queued events to the table until stopped and
 * drained.
 */
static void *run(private_vti_worker_t *this)
{
	event_t *event;

	yield_to_hooks();
	this->mutex->lock(this->mutex);
	while (TRUE)
	{
		if (this->queue->remove_first(this->queue,
									  (void**)&event) == SUCCESS)
		{
			this->mutex->unlock(this->mutex);
			deliver(this, event);
			event_destroy(event);
			this->mutex->lock(this->mutex);
			continue;
		}
		if (this->stopping)
		{
			break;
		}
		this->condvar->wait(this->condvar, this->mutex);
	}
	this->mutex->unlock(this->mutex);
	return NULL;
}

/**
 * A new event of a type.
 */
static event_t *event_create(event_type_t type, uint32_t id)
{
	event_t *event;

	INIT(event,
		.type = type,
		.id = id,
	);
	return event;
}

METHOD(vti_tunnels_t, sa_up, void,
	private_vti_worker_t *this, vti_sa_t *sa)
{
	event_t *event = event_create(EVENT_SA_UP, sa->id);

	event->sa = vti_sa_clone(sa);
	enqueue(this, event);
}

METHOD(vti_tunnels_t, sa_down, void,
	private_vti_worker_t *this, uint32_t id)
{
	enqueue(this, event_create(EVENT_SA_DOWN, id));
}

METHOD(vti_tunnels_t, ike_down, void,
	private_vti_worker_t *this, uint32_t *ids, u_int count)
{
	event_t *event = event_create(EVENT_IKE_DOWN, 0);

	event->ids = calloc(count ?: 1, sizeof(*ids));
	memcpy(event->ids, ids, count * sizeof(*ids));
	event->count = count;
	enqueue(this, event);
}

METHOD(vti_tunnels_t, sa_destroyed, void,
	private_vti_worker_t *this, uint32_t id)
{
	enqueue(this, event_create(EVENT_SA_DESTROYED, id));
}

METHOD(vti_tunnels_t, sa_rekeyed, void,
	private_vti_worker_t *this, uint32_t old_id, vti_sa_t *sa)
{
	event_t *event = event_create(EVENT_SA_REKEYED, old_id);

	event->sa = vti_sa_clone(sa);
	enqueue(this, event);
}

METHOD(vti_tunnels_t, ike_moved, void,
	private_vti_worker_t *this, vti_sa_move_t *moves, u_int count,
	host_t *local, host_t *remote)
{
	event_t *event = event_create(EVENT_IKE_MOVED, 0);

	event->moves = calloc(count ?: 1, sizeof(*moves));
	memcpy(event->moves, moves, count * sizeof(*moves));
	event->count = count;
	event->local = local->clone(local);
	event->remote = remote->clone(remote);
	enqueue(this, event);
}

METHOD(vti_tunnels_t, reconfigure, void,
	private_vti_worker_t *this)
{
	this->table->reconfigure(this->table);
}

METHOD(vti_tunnels_t, reconcile, void,
	private_vti_worker_t *this)
{
	this->table->reconcile(this->table);
}

METHOD(vti_tunnels_t, protect, void,
	private_vti_worker_t *this, char *holder, char *owner,
	linked_list_t *prefixes, uint32_t table, uint32_t metric)
{
	this->table->protect(this->table, holder, owner, prefixes, table, metric);
}

METHOD(vti_tunnels_t, sweep, void,
	private_vti_worker_t *this, linked_list_t *owners)
{
	this->table->sweep(this->table, owners);
}

METHOD(vti_tunnels_t, get_status, linked_list_t*,
	private_vti_worker_t *this, u_int *changes)
{
	return this->table->get_status(this->table, changes);
}

METHOD(vti_tunnels_t, get_changes, u_int,
	private_vti_worker_t *this)
{
	return this->table->get_changes(this->table);
}

METHOD(vti_tunnels_t, get_count, u_int,
	private_vti_worker_t *this)
{
	return this->table->get_count(this->table);
}

METHOD(vti_tunnels_t, get_waiting_count, u_int,
	private_vti_worker_t *this)
{
	return this->table->get_waiting_count(this->table);
}

METHOD(vti_tunnels_t, destroy, void,
	private_vti_worker_t *this)
{
	this->mutex->lock(this->mutex);
	this->stopping = TRUE;
	this->condvar->signal(this->condvar);
	this->mutex->unlock(this->mutex);
	if (this->thread)
	{
		this->thread->join(this->thread);
	}
	this->queue->destroy_function(this->queue, (void*)event_destroy);
	this->table->destroy(this->table);
	this->condvar->destroy(this->condvar);
	this->mutex->destroy(this->mutex);
	free(this);
}

/*
 * Described in header
 */
vti_tunnels_t *vti_worker_create(vti_tunnels_t *table,
								 char *(*get_interface)(host_t *local))
{
	private_vti_worker_t *this;

	INIT(this,
		.public = {
			.sa_up = _sa_up,
			.sa_down = _sa_down,
			.ike_down = _ike_down,
			.sa_destroyed = _sa_destroyed,
			.sa_rekeyed = _sa_rekeyed,
			.ike_moved = _ike_moved,
			.reconfigure = _reconfigure,
			.reconcile = _reconcile,
			.protect = _protect,
			.sweep = _sweep,
			.get_status = _get_status,
			.get_changes = _get_changes,
			.get_count = _get_count,
			.get_waiting_count = _get_waiting_count,
			.destroy = _destroy,
		},
		.table = table,
		.get_interface = get_interface,
		.queue = linked_list_create(),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
		.condvar = condvar_create(CONDVAR_TYPE_DEFAULT),
	);
	this->thread = thread_create((thread_main_t)run, this);
	if (!this->thread)
	{
		DBG1(DBG_CFG, "vti: no worker thread; the tunnel table works in "
			 "charon's bus hooks");
	}
	return &this->public;
}
