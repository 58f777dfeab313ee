/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_strings.h"

/*
 * Described in header
 */
linked_list_t *vti_strings_clone(linked_list_t *list)
{
	enumerator_t *enumerator;
	linked_list_t *clone;
	char *str;

	clone = linked_list_create();
	enumerator = list->create_enumerator(list);
	while (enumerator->enumerate(enumerator, &str))
	{
		clone->insert_last(clone, strdup(str));
	}
	enumerator->destroy(enumerator);
	return clone;
}

/*
 * Described in header
 */
bool vti_strings_equal(linked_list_t *a, linked_list_t *b)
{
	enumerator_t *ea, *eb;
	char *sa, *sb;
	bool equal = TRUE;

	if (!a || !b || a->get_count(a) != b->get_count(b))
	{
		return a == b;
	}
	ea = a->create_enumerator(a);
	eb = b->create_enumerator(b);
	while (equal && ea->enumerate(ea, &sa) && eb->enumerate(eb, &sb))
	{
		equal = streq(sa, sb);
	}
	ea->destroy(ea);
	eb->destroy(eb);
	return equal;
}

/*
 * Described in header
 */
void vti_strings_merge(linked_list_t *into, linked_list_t *from)
{
	enumerator_t *enumerator;
	char *str;

	enumerator = from->create_enumerator(from);
	while (enumerator->enumerate(enumerator, &str))
	{
		if (!into->find_first(into, linked_list_match_str, NULL, str))
		{
			into->insert_last(into, strdup(str));
		}
	}
	enumerator->destroy(enumerator);
}

/*
 * Described in header
 */
void vti_strings_destroy(linked_list_t *list)
{
	if (list)
	{
		list->destroy_function(list, free);
	}
}
