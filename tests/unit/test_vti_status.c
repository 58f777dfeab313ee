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
	vti_tunnels_t *tunnels = vti_tunnels_create(&link->link, 0);
	vti_hook_stats_t *stats = vti_hook_stats_create();
	vti_status_t *status;
	host_t *a, *b;
	vti_sa_t sa;
	uint64_t start;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	status = vti_status_create(tunnels, stats, path);
	a = host_create_from_string("10.9.0.1", 500);
	b = host_create_from_string("10.9.0.2", 500);
	sa = (vti_sa_t){
		.id = 3, .key = 15, .local = a, .remote = b,
		.conn = "site", .child = "net", .peer = "peer",
		.cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 15),
		.remote_ts = linked_list_create(),
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
	vti_config_destroy(sa.cfg);
	sa.remote_ts->destroy(sa.remote_ts);
	a->destroy(a);
	b->destroy(b);
	unlink(path);
}

/** The hook summary: median and 99th percentile of the durations */
static void test_hook_stats(void **state)
{
	vti_hook_stats_t *stats = vti_hook_stats_create();
	uint64_t count, median, p99, max;
	int i;

	stats->summarize(stats, &count, &median, &p99, &max);
	assert_int_equal(count, 0);
	assert_int_equal(median, 0);
	for (i = 0; i < 100; i++)
	{
		stats->stop(stats, stats->start(stats));
	}
	stats->summarize(stats, &count, &median, &p99, &max);
	assert_int_equal(count, 100);
	assert_true(median <= p99 && p99 <= max);
	stats->destroy(stats);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_file),
		cmocka_unit_test(test_hook_stats),
	};
	int failed;

	library_init(NULL, "vti-unit");
	failed = cmocka_run_group_tests_name("vti_status", tests, NULL, NULL);
	library_deinit();
	return failed;
}
