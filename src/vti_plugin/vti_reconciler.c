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

	/** seconds between two reconciles */
	uint32_t interval;

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
 * The job: reconcile, and come back after the interval unless stopped.
 */
static job_requeue_t reconcile(ticket_t *ticket)
{
	job_requeue_t requeue = JOB_REQUEUE_NONE;

	ticket->mutex->lock(ticket->mutex);
	if (ticket->tunnels)
	{
		ticket->tunnels->reconcile(ticket->tunnels);
		requeue = JOB_RESCHEDULE(ticket->interval);
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
		ticket->interval);
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
										uint32_t interval)
{
	private_vti_reconciler_t *this;
	ticket_t *ticket;

	INIT(ticket,
		.tunnels = tunnels,
		.interval = interval,
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
