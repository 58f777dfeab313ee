/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_status.h"

#include <errno.h>
#include <stdio.h>
#include <threading/mutex.h>

typedef struct private_vti_status_t private_vti_status_t;

/**
 * Private data of the status writer.
 */
struct private_vti_status_t {

	/** public interface */
	vti_status_t public;

	/** table to describe */
	vti_tunnels_t *tunnels;

	/** hook durations */
	vti_hook_stats_t *stats;

	/** file to write */
	char *path;

	/** table changes at the last write */
	u_int changes;

	/** hooks timed at the last write */
	uint64_t hooks;

	/** nothing was written yet */
	bool first;

	/** a failure to write was logged */
	bool failed;

	/** serializes writes */
	mutex_t *mutex;
};

/**
 * Write the tunnels and the hook durations to a stream.
 */
static void print_status(private_vti_status_t *this, FILE *out,
						 linked_list_t *tunnels)
{
	enumerator_t *enumerator;
	vti_tunnel_status_t *status;
	vti_hook_summary_t hooks;

	fprintf(out, "# name\tkey\tstate\towner\tsas\tup_since\tlast_change"
			"\treason\tkind\n");
	enumerator = tunnels->create_enumerator(tunnels);
	while (enumerator->enumerate(enumerator, &status))
	{
		fprintf(out, "%s\t%u\t%s\t%s\t%u\t%ld\t%ld\t%s\t%s\n",
				status->name, status->key, status->state, status->owner,
				status->sas, (long)status->up_since,
				(long)status->last_change, status->reason,
				vti_kind_name(status->kind));
	}
	enumerator->destroy(enumerator);
	this->stats->summarize(this->stats, &hooks);
	fprintf(out, "# hooks count=%llu median_ns=%llu p99_ns=%llu max_ns=%llu "
			"cpu_median_ns=%llu cpu_p99_ns=%llu cpu_max_ns=%llu switched=%llu "
			"preempted=%llu own_median_ns=%llu own_p99_ns=%llu "
			"own_max_ns=%llu\n",
			(unsigned long long)hooks.count,
			(unsigned long long)hooks.wall.median,
			(unsigned long long)hooks.wall.p99,
			(unsigned long long)hooks.wall.max,
			(unsigned long long)hooks.cpu.median,
			(unsigned long long)hooks.cpu.p99,
			(unsigned long long)hooks.cpu.max,
			(unsigned long long)hooks.switched,
			(unsigned long long)hooks.preempted,
			(unsigned long long)hooks.own.median,
			(unsigned long long)hooks.own.p99,
			(unsigned long long)hooks.own.max);
}

/**
 * Write the file through a temporary one; FALSE with errno set on failure.
 */
static bool replace_file(private_vti_status_t *this, linked_list_t *tunnels)
{
	char tmp[PATH_MAX];
	FILE *out;
	bool ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", this->path);
	out = fopen(tmp, "w");
	if (!out)
	{
		return FALSE;
	}
	print_status(this, out, tunnels);
	ok = fflush(out) == 0 && !ferror(out);
	fclose(out);
	return ok && rename(tmp, this->path) == 0;
}

METHOD(vti_status_t, write_, void,
	private_vti_status_t *this, bool force)
{
	linked_list_t *tunnels = NULL;
	uint64_t hooks;
	u_int changes;

	this->mutex->lock(this->mutex);
	changes = this->tunnels->get_changes(this->tunnels);
	hooks = this->stats->get_count(this->stats);
	if (force || this->first || changes != this->changes ||
		hooks != this->hooks)
	{	/* only now the tunnels are copied and the durations sorted */
		tunnels = this->tunnels->get_status(this->tunnels, &changes);
		if (!replace_file(this, tunnels) && !this->failed)
		{
			DBG1(DBG_CFG, "vti: writing the status file %s failed: %s; set "
				 "charon.plugins.vti.status_file to a path charon may write",
				 this->path, strerror(errno));
			this->failed = TRUE;
		}
		this->first = FALSE;
		this->changes = changes;
		this->hooks = hooks;
	}
	this->mutex->unlock(this->mutex);
	if (tunnels)
	{
		tunnels->destroy_function(tunnels, (void*)vti_tunnel_status_destroy);
	}
}

METHOD(vti_status_t, destroy, void,
	private_vti_status_t *this)
{
	this->mutex->destroy(this->mutex);
	free(this->path);
	free(this);
}

/*
 * Described in header
 */
vti_status_t *vti_status_create(vti_tunnels_t *tunnels,
								vti_hook_stats_t *stats, char *path)
{
	private_vti_status_t *this;

	INIT(this,
		.public = {
			.write = _write_,
			.destroy = _destroy,
		},
		.tunnels = tunnels,
		.stats = stats,
		.path = strdup(path),
		.first = TRUE,
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	return &this->public;
}
