/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Unit tests of the VTI key derivation from CHILD_SA marks.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vti_key.h"

/** A mark as swanctl.conf's "mark_in = VALUE" configures it */
#define PLAIN(v) ((mark_t){ .value = (v), .mask = 0xffffffff })

/** Derive with the configured mark equal to the resolved one */
static vti_key_verdict_t derive(mark_t in, mark_t out, uint32_t *key)
{
	return vti_key_derive(in, out, in, key);
}

/** Equal full marks give their value as key */
static void test_equal_marks_give_key(void **state)
{
	uint32_t key = 0;

	assert_int_equal(derive(PLAIN(15), PLAIN(15), &key), VTI_KEY_VALID);
	assert_int_equal(key, 15);
}

/** The largest mark is a valid key */
static void test_largest_key(void **state)
{
	uint32_t key = 0;

	assert_int_equal(derive(PLAIN(0xfffffffd), PLAIN(0xfffffffd), &key),
					 VTI_KEY_VALID);
	assert_int_equal(key, 0xfffffffd);
}

/** No marks: not a VTI tunnel, and key 0 is never one */
static void test_unmarked(void **state)
{
	uint32_t key = 7;

	assert_int_equal(derive(PLAIN(0), PLAIN(0), &key), VTI_KEY_UNMARKED);
	assert_int_equal(derive((mark_t){}, (mark_t){}, &key), VTI_KEY_UNMARKED);
	assert_int_equal(key, 7);
}

/** Different marks per direction get no key */
static void test_asymmetric(void **state)
{
	uint32_t key;

	assert_int_equal(derive(PLAIN(15), PLAIN(16), &key), VTI_KEY_ASYMMETRIC);
	assert_int_equal(derive(PLAIN(15), PLAIN(0), &key), VTI_KEY_ASYMMETRIC);
	assert_int_equal(derive(PLAIN(0), PLAIN(15), &key), VTI_KEY_ASYMMETRIC);
}

/** A partial mask gets no key */
static void test_partial_mask(void **state)
{
	mark_t partial = { .value = 15, .mask = 0xff };
	mark_t other = { .value = 15, .mask = 0xffff };
	uint32_t key;

	assert_int_equal(derive(partial, partial, &key), VTI_KEY_PARTIAL_MASK);
	assert_int_equal(derive(partial, other, &key), VTI_KEY_ASYMMETRIC);
}

/** %unique-dir is refused even though resolved values are valid marks */
static void test_unique_dir(void **state)
{
	mark_t configured = PLAIN(MARK_UNIQUE_DIR);
	uint32_t key;

	assert_int_equal(vti_key_derive(PLAIN(100), PLAIN(101), configured, &key),
					 VTI_KEY_UNIQUE_DIR);
}

/** %unique gives a valid key and a dynamic tunnel */
static void test_unique(void **state)
{
	mark_t configured = PLAIN(MARK_UNIQUE);
	uint32_t key = 0;

	assert_int_equal(vti_key_derive(PLAIN(42), PLAIN(42), configured, &key),
					 VTI_KEY_VALID);
	assert_int_equal(key, 42);
	assert_true(vti_key_is_dynamic(configured));
	assert_false(vti_key_is_dynamic(PLAIN(42)));
}

/** Every refusal has an explanation that names the fix */
static void test_explanations(void **state)
{
	assert_non_null(strstr(vti_key_explain(VTI_KEY_ASYMMETRIC), "mark_in"));
	assert_non_null(strstr(vti_key_explain(VTI_KEY_PARTIAL_MASK), "mask"));
	assert_non_null(strstr(vti_key_explain(VTI_KEY_UNIQUE_DIR), "%unique"));
	assert_non_null(strstr(vti_key_explain(VTI_KEY_UNMARKED), "mark_out"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_marks_give_key),
		cmocka_unit_test(test_largest_key),
		cmocka_unit_test(test_unmarked),
		cmocka_unit_test(test_asymmetric),
		cmocka_unit_test(test_partial_mask),
		cmocka_unit_test(test_unique_dir),
		cmocka_unit_test(test_unique),
		cmocka_unit_test(test_explanations),
	};
	return cmocka_run_group_tests_name("vti_key", tests, NULL, NULL);
}
