/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Unit tests of the automatic MTU: ESP overhead of negotiated algorithms.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vti_mtu.h"

/** The MTU for an ESP proposal string over an underlay */
static uint32_t mtu_for(char *esp, uint32_t underlay, bool ipv6, bool encap)
{
	proposal_t *proposal = NULL;
	uint32_t mtu;

	if (esp)
	{
		proposal = proposal_create_from_string(PROTO_ESP, esp);
		assert_non_null(proposal);
	}
	mtu = vti_mtu_inner(underlay, vti_mtu_overhead(proposal, ipv6, encap));
	DESTROY_IF(proposal);
	return mtu;
}

/** AES-GCM-16 over IPv4: 20 + 8 + 8 + 16 + 2, padded to 4 (kernel: 1446) */
static void test_gcm_ipv4(void **state)
{
	assert_int_equal(mtu_for("aes128gcm16", 1500, FALSE, FALSE), 1446);
}

/** NAT-T adds 8 bytes of UDP */
static void test_gcm_natt(void **state)
{
	assert_int_equal(mtu_for("aes128gcm16", 1500, FALSE, TRUE), 1438);
}

/** IPv6 outer header is 40 bytes */
static void test_gcm_ipv6(void **state)
{
	assert_int_equal(mtu_for("aes256gcm16", 1500, TRUE, FALSE), 1426);
}

/** AES-CBC with SHA-256: 16-byte IV and blocks, 16-byte ICV */
static void test_cbc_sha256(void **state)
{
	/* 1500 - 20 - 8 - 16 - 16 = 1440, a multiple of 16, less 2 */
	assert_int_equal(mtu_for("aes128-sha256", 1500, FALSE, FALSE), 1438);
	/* one byte less underlay loses a whole block */
	assert_int_equal(mtu_for("aes128-sha256", 1499, FALSE, FALSE), 1422);
}

/** SHA-1 has a 12-byte ICV */
static void test_cbc_sha1(void **state)
{
	assert_int_equal(mtu_for("aes128-sha1", 1500, FALSE, FALSE), 1438);
}

/** Without a proposal, the worst case of any algorithm */
static void test_worst_case(void **state)
{
	assert_true(mtu_for(NULL, 1500, FALSE, FALSE) <=
				mtu_for("aes128-sha512", 1500, FALSE, FALSE));
}

/** A tiny underlay never gives less than IPv4's minimum */
static void test_minimum(void **state)
{
	assert_int_equal(mtu_for("aes128gcm16", 60, FALSE, FALSE), 68);
	assert_int_equal(mtu_for("aes128gcm16", 0, FALSE, FALSE), 68);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gcm_ipv4),
		cmocka_unit_test(test_gcm_natt),
		cmocka_unit_test(test_gcm_ipv6),
		cmocka_unit_test(test_cbc_sha256),
		cmocka_unit_test(test_cbc_sha1),
		cmocka_unit_test(test_worst_case),
		cmocka_unit_test(test_minimum),
	};
	int failed;

	library_init(NULL, "vti-unit");
	failed = cmocka_run_group_tests_name("vti_mtu", tests, NULL, NULL);
	library_deinit();
	return failed;
}
