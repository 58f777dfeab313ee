/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Unit tests of the status file vti-status reads and of the hook timing
 * it reports, against the real table and a recording link driver.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "vti_status.h"
#include "mock_link.h"

/** Read a whole file into a string (caller frees) */
static char *slurp(char *path)
{
	char buf[4096];
	size_t len;
	FILE *in;

	in = fopen(path, "r");
	assert_non_null(in);
	len = fread(buf, 1, sizeof(buf) - 1, in);
	fclose(in);
	buf[len] = '\0';
	return strdup(buf);
}

/** The file has a header, one line per tunnel with its state and SAs, and
 *  the hook summary; it is rewritten when something changed */
static void test_status_file(void **state)
{
	char path[] = "/tmp/vti-status-test.XXXXXX", *text;
	mock_link_t *link = mock_link_create();
	vti_tunnels_t *tunnels = vti_tunnels_create(&link->link, 0,
												vti_config_resolve);
	vti_hook_stats_t *stats = vti_hook_stats_create();
	vti_status_t *status;
	host_t *a, *b;
	vti_hook_start_t start;
	vti_sa_t sa;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	status = vti_status_create(tunnels, stats, path);
	a = host_create_from_string("10.9.0.1", 500);
	b = host_create_from_string("10.9.0.2", 500);
	sa = (vti_sa_t){
		.id = 3, .kind = VTI_KIND_VTI, .key = 15, .local = a, .remote = b,
		.conn = "site", .child = "net", .peer = "peer",
	};
	start = stats->start(stats);
	tunnels->sa_up(tunnels, &sa);
	stats->stop(stats, start);
	status->write(status, FALSE);
	text = slurp(path);
	assert_true(strpfx(text, "# name\tkey\tstate\towner\tsas\tup_since\t"
					   "last_change\treason\tkind\n"));
	assert_non_null(strstr(text, "\nvti15\t15\tup\tsite/net\t1\t"));
	assert_non_null(strstr(text, "\tCHILD_SA net{3} installed\tvti\n"));
	assert_non_null(strstr(text, "\n# hooks count=1 median_ns="));
	assert_non_null(strstr(text, " cpu_median_ns="));
	assert_non_null(strstr(text, " cpu_p99_ns="));
	assert_non_null(strstr(text, " cpu_max_ns="));
	assert_non_null(strstr(text, " switched="));
	assert_non_null(strstr(text, " preempted="));
	assert_non_null(strstr(text, " own_median_ns="));
	assert_non_null(strstr(text, " own_p99_ns="));
	assert_non_null(strstr(text, " own_max_ns="));
	free(text);

	tunnels->sa_down(tunnels, 3);
	status->write(status, FALSE);
	text = slurp(path);
	assert_non_null(strstr(text, "\nvti15\t15\tdown\tsite/net\t0\t0\t"));
	assert_non_null(strstr(text, "\tlast CHILD_SA net{3} gone\tvti\n"));
	free(text);

	free(link->next_call(link));
	free(link->next_call(link));
	status->destroy(status);
	stats->destroy(stats);
	tunnels->destroy(tunnels);
	link->link.destroy(&link->link);
	a->destroy(a);
	b->destroy(b);
	unlink(path);
}

/** Assert the order of a clock's figures */
static void assert_ordered(vti_hook_figures_t *figures)
{
	assert_true(figures->median <= figures->p99);
	assert_true(figures->p99 <= figures->max);
}

/** The hook summary: median and 99th percentile of the durations, on
 *  both clocks */
static void test_hook_stats(void **state)
{
	vti_hook_stats_t *stats = vti_hook_stats_create();
	vti_hook_summary_t summary;
	int i;

	stats->summarize(stats, &summary);
	assert_int_equal(summary.count, 0);
	assert_int_equal(summary.wall.median, 0);
	assert_int_equal(summary.cpu.median, 0);
	for (i = 0; i < 100; i++)
	{
		stats->stop(stats, stats->start(stats));
	}
	stats->summarize(stats, &summary);
	assert_int_equal(summary.count, 100);
	assert_int_equal(stats->get_count(stats), 100);
	assert_ordered(&summary.wall);
	assert_ordered(&summary.cpu);
	stats->destroy(stats);
}

/** CPU time of the calling thread, nanoseconds */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/** A hook that waits counts on the monotonic clock only: its CPU time
 *  leaves the wait out, and it counts as switched out, not in the own
 *  time */
static void test_hook_stats_wait(void **state)
{
	vti_hook_stats_t *stats = vti_hook_stats_create();
	struct timespec wait = { .tv_nsec = 20 * 1000 * 1000 };
	vti_hook_summary_t summary;
	vti_hook_start_t start;

	start = stats->start(stats);
	nanosleep(&wait, NULL);
	stats->stop(stats, start);
	stats->summarize(stats, &summary);
	assert_int_equal(summary.count, 1);
	assert_true(summary.wall.median >= 20 * 1000 * 1000);
	assert_true(summary.wall.max >= 20 * 1000 * 1000);
	assert_true(summary.cpu.median < summary.wall.median);
	assert_true(summary.cpu.max < summary.wall.max);
	assert_int_equal(summary.switched, 1);
	assert_int_equal(summary.own.median, 0);
	assert_int_equal(summary.own.max, 0);
	stats->destroy(stats);
}

/** A hook that works counts its CPU time on the thread's clock */
static void test_hook_stats_work(void **state)
{
	vti_hook_stats_t *stats = vti_hook_stats_create();
	vti_hook_summary_t summary;
	vti_hook_start_t start;
	uint64_t until;

	start = stats->start(stats);
	until = thread_cpu_ns() + 2 * 1000 * 1000;
	while (thread_cpu_ns() < until)
	{
		/* spend 2 ms of this thread's CPU */
	}
	stats->stop(stats, start);
	stats->summarize(stats, &summary);
	assert_true(summary.cpu.median >= 2 * 1000 * 1000);
	assert_true(summary.cpu.max >= 2 * 1000 * 1000);
	stats->destroy(stats);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_file),
		cmocka_unit_test(test_hook_stats),
		cmocka_unit_test(test_hook_stats_wait),
		cmocka_unit_test(test_hook_stats_work),
	};
	int failed;

	library_init(NULL, "vti-unit");
	failed = cmocka_run_group_tests_name("vti_status", tests, NULL, NULL);
	library_deinit();
	return failed;
}
