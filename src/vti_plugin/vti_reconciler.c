/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_reconciler.h"

#include <processing/jobs/callback_job.h>
#include <threading/mutex.h>

typedef struct private_vti_reconciler_t private_vti_reconciler_t;
typedef struct ticket_t ticket_t;

/**
 * What the plugin and its scheduled job share; the last to let go frees it.
 */
struct ticket_t {

	/** table to reconcile, NULL once the plugin stopped */
	vti_tunnels_t *tunnels;

	/** protector to update */
	vti_protector_t *protector;

	/** status file writer */
	vti_status_t *status;

	/** seconds between two reconciles, 0 for none */
	uint32_t interval;

	/** when the table was reconciled last */
	time_t reconciled;

	/** holders: the plugin and the job */
	refcount_t refs;

	/** held while reconciling and while stopping */
	mutex_t *mutex;
};

/**
 * Private data of the reconciler.
 */
struct private_vti_reconciler_t {

	/** public interface */
	vti_reconciler_t public;

	/** shared with the job */
	ticket_t *ticket;
};

/**
 * Let go of a ticket.
 */
static void ticket_release(ticket_t *ticket)
{
	if (ref_put(&ticket->refs))
	{
		ticket->mutex->destroy(ticket->mutex);
		free(ticket);
	}
}

/**
 * The job: update the protector, reconcile when it is time, and come back
 * in a second unless stopped.
 */
static job_requeue_t reconcile(ticket_t *ticket)
{
	job_requeue_t requeue = JOB_REQUEUE_NONE;
	time_t now = time_monotonic(NULL);

	ticket->mutex->lock(ticket->mutex);
	if (ticket->tunnels)
	{
		ticket->protector->update(ticket->protector);
		if (ticket->interval &&
			now - ticket->reconciled >= (time_t)ticket->interval)
		{
			ticket->tunnels->reconcile(ticket->tunnels);
			ticket->reconciled = now;
		}
		ticket->status->write(ticket->status, FALSE);
		requeue = JOB_RESCHEDULE(1);
	}
	ticket->mutex->unlock(ticket->mutex);
	return requeue;
}

/**
 * Schedule the next run of the job.
 */
static void schedule(ticket_t *ticket)
{
	ref_get(&ticket->refs);
	lib->scheduler->schedule_job(lib->scheduler,
		(job_t*)callback_job_create((callback_job_cb_t)reconcile, ticket,
									(callback_job_cleanup_t)ticket_release,
									NULL),
		1);
}

METHOD(vti_reconciler_t, destroy, void,
	private_vti_reconciler_t *this)
{
	this->ticket->mutex->lock(this->ticket->mutex);
	this->ticket->tunnels = NULL;
	this->ticket->mutex->unlock(this->ticket->mutex);
	ticket_release(this->ticket);
	free(this);
}

/*
 * Described in header
 */
vti_reconciler_t *vti_reconciler_create(vti_tunnels_t *tunnels,
										vti_protector_t *protector,
										vti_status_t *status,
										uint32_t interval)
{
	private_vti_reconciler_t *this;
	ticket_t *ticket;

	INIT(ticket,
		.tunnels = tunnels,
		.protector = protector,
		.status = status,
		.interval = interval,
		.reconciled = time_monotonic(NULL),
		.refs = 1,
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	INIT(this,
		.public = {
			.destroy = _destroy,
		},
		.ticket = ticket,
	);
	schedule(ticket);
	return &this->public;
}
