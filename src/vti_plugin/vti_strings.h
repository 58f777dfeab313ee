/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_strings vti_strings
 * @{ @ingroup vti
 */

#ifndef VTI_STRINGS_H_
#define VTI_STRINGS_H_

#include <library.h>
#include <collections/linked_list.h>

/**
 * Copy a list of strings.
 *
 * @param list			list of strings
 * @return				deep copy
 */
linked_list_t *vti_strings_clone(linked_list_t *list);

/**
 * Compare two lists of strings, in order.
 *
 * @param a				list of strings, may be NULL
 * @param b				list of strings, may be NULL
 * @return				TRUE if both hold the same strings in the same order
 */
bool vti_strings_equal(linked_list_t *a, linked_list_t *b);

/**
 * Add the strings of one list to another, leaving out those it has.
 *
 * @param into			list to add to
 * @param from			list to add from
 */
void vti_strings_merge(linked_list_t *into, linked_list_t *from);

/**
 * Free a list of strings.
 *
 * @param list			list of strings, may be NULL
 */
void vti_strings_destroy(linked_list_t *list);

#endif /** VTI_STRINGS_H_ @}*/
