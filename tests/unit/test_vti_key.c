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

/** The SA's marks and interface IDs, configured as resolved */
static vti_key_source_t source(uint32_t mark_in, uint32_t mark_out,
							   uint32_t if_id_in, uint32_t if_id_out)
{
	return (vti_key_source_t){
		.mark_in = PLAIN(mark_in),
		.mark_out = PLAIN(mark_out),
		.mark_configured = PLAIN(mark_in),
		.if_id_in = if_id_in,
		.if_id_out = if_id_out,
		.if_id_configured = if_id_in,
	};
}

/** Equal interface IDs give an XFRM interface with that if_id */
static void test_if_ids_give_xfrm(void **state)
{
	vti_key_source_t src = source(0, 0, 7, 7);
	vti_kind_t kind = VTI_KIND_VTI;
	uint32_t key = 0;

	assert_int_equal(vti_key_choose(&src, &kind, &key), VTI_KEY_VALID);
	assert_int_equal(kind, VTI_KIND_XFRM);
	assert_int_equal(key, 7);
	assert_false(vti_key_source_is_dynamic(&src, kind));
}

/** Equal marks without interface IDs still give a VTI */
static void test_marks_give_vti(void **state)
{
	vti_key_source_t src = source(15, 15, 0, 0);
	vti_kind_t kind = VTI_KIND_XFRM;
	uint32_t key = 0;

	assert_int_equal(vti_key_choose(&src, &kind, &key), VTI_KEY_VALID);
	assert_int_equal(kind, VTI_KIND_VTI);
	assert_int_equal(key, 15);
}

/** Marks and interface IDs together: the if_id decides the device */
static void test_marks_and_if_ids(void **state)
{
	vti_key_source_t src = source(15, 15, 7, 7);
	vti_kind_t kind = VTI_KIND_VTI;
	uint32_t key = 0;

	assert_int_equal(vti_key_choose(&src, &kind, &key), VTI_KEY_VALID);
	assert_int_equal(kind, VTI_KIND_XFRM);
	assert_int_equal(key, 7);

	src = source(15, 16, 7, 7);
	assert_int_equal(vti_key_choose(&src, &kind, &key), VTI_KEY_VALID);
	assert_int_equal(kind, VTI_KIND_XFRM);
}

/** Different interface IDs per direction get no device */
static void test_if_ids_asymmetric(void **state)
{
	vti_key_source_t src = source(0, 0, 7, 8);
	vti_kind_t kind;
	uint32_t key;

	assert_int_equal(vti_key_choose(&src, &kind, &key),
					 VTI_KEY_IF_ID_ASYMMETRIC);
	src = source(0, 0, 7, 0);
	assert_int_equal(vti_key_choose(&src, &kind, &key),
					 VTI_KEY_IF_ID_ASYMMETRIC);
	src = source(15, 15, 0, 7);
	assert_int_equal(vti_key_choose(&src, &kind, &key),
					 VTI_KEY_IF_ID_ASYMMETRIC);
	assert_non_null(strstr(vti_key_explain(VTI_KEY_IF_ID_ASYMMETRIC),
						   "if_id_out"));
}

/** %unique interface IDs give a dynamic XFRM interface, %unique-dir none */
static void test_if_id_unique(void **state)
{
	vti_key_source_t src = source(0, 0, 42, 42);
	vti_kind_t kind;
	uint32_t key = 0;

	src.if_id_configured = IF_ID_UNIQUE;
	assert_int_equal(vti_key_choose(&src, &kind, &key), VTI_KEY_VALID);
	assert_int_equal(key, 42);
	assert_true(vti_key_source_is_dynamic(&src, kind));

	src = source(0, 0, 42, 43);
	src.if_id_configured = IF_ID_UNIQUE_DIR;
	assert_int_equal(vti_key_choose(&src, &kind, &key),
					 VTI_KEY_IF_ID_UNIQUE_DIR);
	assert_non_null(strstr(vti_key_explain(VTI_KEY_IF_ID_UNIQUE_DIR),
						   "%unique"));
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
		cmocka_unit_test(test_if_ids_give_xfrm),
		cmocka_unit_test(test_marks_give_vti),
		cmocka_unit_test(test_marks_and_if_ids),
		cmocka_unit_test(test_if_ids_asymmetric),
		cmocka_unit_test(test_if_id_unique),
	};
	return cmocka_run_group_tests_name("vti_key", tests, NULL, NULL);
}
