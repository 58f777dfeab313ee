/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_hook_stats.h"

#include <time.h>
#include <threading/mutex.h>

/** Durations kept, the latest ones */
#define SAMPLES 16384

typedef struct private_vti_hook_stats_t private_vti_hook_stats_t;

/**
 * Private data of the hook statistics.
 */
struct private_vti_hook_stats_t {

	/** public interface */
	vti_hook_stats_t public;

	/** the latest durations, in nanoseconds, a ring */
	uint32_t samples[SAMPLES];

	/** hooks timed */
	uint64_t count;

	/** longest duration */
	uint64_t max;

	/** protects the above */
	mutex_t *mutex;
};

/**
 * The monotonic clock, in nanoseconds.
 */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

METHOD(vti_hook_stats_t, start, uint64_t,
	private_vti_hook_stats_t *this)
{
	return now_ns();
}

METHOD(vti_hook_stats_t, stop, void,
	private_vti_hook_stats_t *this, uint64_t start)
{
	uint64_t duration = now_ns() - start;

	this->mutex->lock(this->mutex);
	this->samples[this->count % SAMPLES] = min(duration, (uint64_t)UINT32_MAX);
	this->count++;
	this->max = max(this->max, duration);
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

METHOD(vti_hook_stats_t, summarize, void,
	private_vti_hook_stats_t *this, uint64_t *count, uint64_t *median,
	uint64_t *p99, uint64_t *max)
{
	uint32_t *sorted;
	size_t n;

	this->mutex->lock(this->mutex);
	*count = this->count;
	*max = this->max;
	n = min(this->count, (uint64_t)SAMPLES);
	sorted = malloc(sizeof(uint32_t) * (n ?: 1));
	memcpy(sorted, this->samples, sizeof(uint32_t) * n);
	this->mutex->unlock(this->mutex);
	qsort(sorted, n, sizeof(uint32_t), compare);
	*median = n ? sorted[n / 2] : 0;
	*p99 = n ? sorted[min(n - 1, n * 99 / 100)] : 0;
	free(sorted);
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
