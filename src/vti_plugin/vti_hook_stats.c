/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_hook_stats.h"

#include <time.h>
#include <sys/resource.h>
#include <threading/mutex.h>

/** Durations kept, the latest ones */
#define SAMPLES 16384

typedef struct private_vti_hook_stats_t private_vti_hook_stats_t;
typedef struct clock_stats_t clock_stats_t;

/**
 * The durations of one clock.
 */
struct clock_stats_t {

	/** the latest durations, in nanoseconds, a ring */
	uint32_t samples[SAMPLES];

	/** longest duration */
	uint64_t max;
};

/**
 * Private data of the hook statistics.
 */
struct private_vti_hook_stats_t {

	/** public interface */
	vti_hook_stats_t public;

	/** durations on the monotonic clock */
	clock_stats_t wall;

	/** durations on the thread's CPU clock */
	clock_stats_t cpu;

	/** whether the thread was switched out during each of the latest
	 *  hooks, a ring beside the durations */
	bool switched[SAMPLES];

	/** longest duration of a hook whose thread was not switched out */
	uint64_t own_max;

	/** hooks timed */
	uint64_t count;

	/** hooks whose thread was switched out */
	uint64_t switched_count;

	/** hooks whose thread was preempted */
	uint64_t preempted_count;

	/** protects the above */
	mutex_t *mutex;
};

/**
 * A clock's time, in nanoseconds.
 */
static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/**
 * Context switches of the calling thread so far: all of them, and the
 * involuntary ones.
 */
static void switches(uint64_t *all, uint64_t *involuntary)
{
	struct rusage usage = {};

	getrusage(RUSAGE_THREAD, &usage);
	*all = usage.ru_nvcsw + usage.ru_nivcsw;
	*involuntary = usage.ru_nivcsw;
}

METHOD(vti_hook_stats_t, start, vti_hook_start_t,
	private_vti_hook_stats_t *this)
{
	vti_hook_start_t start;

	/* the monotonic clock last, so that it times the hook alone */
	switches(&start.switches, &start.preemptions);
	start.cpu = now_ns(CLOCK_THREAD_CPUTIME_ID);
	start.wall = now_ns(CLOCK_MONOTONIC);
	return start;
}

/**
 * Record a duration at a position of the ring.
 */
static void record(clock_stats_t *clock, uint64_t pos, uint64_t duration)
{
	clock->samples[pos % SAMPLES] = min(duration, (uint64_t)UINT32_MAX);
	clock->max = max(clock->max, duration);
}

METHOD(vti_hook_stats_t, stop, void,
	private_vti_hook_stats_t *this, vti_hook_start_t start)
{
	uint64_t wall = now_ns(CLOCK_MONOTONIC) - start.wall;
	uint64_t cpu = now_ns(CLOCK_THREAD_CPUTIME_ID) - start.cpu;
	uint64_t all, involuntary;
	bool switched;

	switches(&all, &involuntary);
	switched = all != start.switches;

	this->mutex->lock(this->mutex);
	record(&this->wall, this->count, wall);
	record(&this->cpu, this->count, cpu);
	this->switched[this->count % SAMPLES] = switched;
	if (switched)
	{
		this->switched_count++;
		if (involuntary != start.preemptions)
		{
			this->preempted_count++;
		}
	}
	else
	{
		this->own_max = max(this->own_max, wall);
	}
	this->count++;
	this->mutex->unlock(this->mutex);
}

/**
 * Order two durations.
 */
static int compare(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t*)a, y = *(const uint32_t*)b;

	return (x > y) - (x < y);
}

METHOD(vti_hook_stats_t, get_count, uint64_t,
	private_vti_hook_stats_t *this)
{
	uint64_t count;

	this->mutex->lock(this->mutex);
	count = this->count;
	this->mutex->unlock(this->mutex);
	return count;
}

/**
 * Median and 99th percentile of n durations, sorted in place.
 */
static void figures(uint32_t *samples, size_t n, vti_hook_figures_t *out)
{
	qsort(samples, n, sizeof(uint32_t), compare);
	out->median = n ? samples[n / 2] : 0;
	out->p99 = n ? samples[min(n - 1, n * 99 / 100)] : 0;
}

METHOD(vti_hook_stats_t, summarize, void,
	private_vti_hook_stats_t *this, vti_hook_summary_t *summary)
{
	uint32_t *wall, *cpu, *own;
	size_t n, i, owned = 0;

	this->mutex->lock(this->mutex);
	summary->count = this->count;
	summary->switched = this->switched_count;
	summary->preempted = this->preempted_count;
	summary->wall.max = this->wall.max;
	summary->cpu.max = this->cpu.max;
	summary->own.max = this->own_max;
	n = min(this->count, (uint64_t)SAMPLES);
	wall = malloc(sizeof(uint32_t) * (n ?: 1));
	cpu = malloc(sizeof(uint32_t) * (n ?: 1));
	own = malloc(sizeof(uint32_t) * (n ?: 1));
	memcpy(wall, this->wall.samples, sizeof(uint32_t) * n);
	memcpy(cpu, this->cpu.samples, sizeof(uint32_t) * n);
	for (i = 0; i < n; i++)
	{
		if (!this->switched[i])
		{
			own[owned++] = wall[i];
		}
	}
	this->mutex->unlock(this->mutex);
	figures(wall, n, &summary->wall);
	figures(cpu, n, &summary->cpu);
	figures(own, owned, &summary->own);
	free(wall);
	free(cpu);
	free(own);
}

METHOD(vti_hook_stats_t, destroy, void,
	private_vti_hook_stats_t *this)
{
	this->mutex->destroy(this->mutex);
	free(this);
}

/*
 * Described in header
 */
vti_hook_stats_t *vti_hook_stats_create(void)
{
	private_vti_hook_stats_t *this;

	INIT(this,
		.public = {
			.start = _start,
			.stop = _stop,
			.get_count = _get_count,
			.summarize = _summarize,
			.destroy = _destroy,
		},
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	return &this->public;
}
