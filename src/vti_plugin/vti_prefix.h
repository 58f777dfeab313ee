/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_prefix vti_prefix
 * @{ @ingroup vti
 */

#ifndef VTI_PREFIX_H_
#define VTI_PREFIX_H_

#include <library.h>
#include <collections/array.h>
#include <networking/host.h>

#include <arpa/inet.h>

/** Room for a printed prefix, "ADDRESS/LEN", IPv6 included */
#define VTI_PREFIX_STRLEN (INET6_ADDRSTRLEN + 4)

typedef struct vti_prefix_t vti_prefix_t;

/**
 * An address with a prefix length: an entry of the addresses, routes or
 * protect settings, or a block of a traffic selector. The address keeps
 * its host bits (a device's address needs them); its network has them
 * cleared.
 */
struct vti_prefix_t {

	/**
	 * The address as given, host bits included.
	 *
	 * @return			address, owned by the prefix
	 */
	host_t *(*get_address)(vti_prefix_t *this);

	/**
	 * The network of the prefix: the address with the host bits cleared.
	 *
	 * @return			network address, owned by the prefix
	 */
	host_t *(*get_network)(vti_prefix_t *this);

	/**
	 * The prefix length.
	 *
	 * @return			0 to 32 for IPv4, 0 to 128 for IPv6
	 */
	uint8_t (*get_length)(vti_prefix_t *this);

	/**
	 * The address family.
	 *
	 * @return			AF_INET or AF_INET6
	 */
	int (*get_family)(vti_prefix_t *this);

	/**
	 * Whether the prefix covers an address.
	 *
	 * @param addr		address, may be NULL or %any (covered by nothing)
	 * @return			TRUE if addr lies inside the prefix
	 */
	bool (*covers)(vti_prefix_t *this, host_t *addr);

	/**
	 * Print the prefix as "ADDRESS/LEN" (all zeros print as an address,
	 * not as %any).
	 *
	 * @param buf		buffer of at least VTI_PREFIX_STRLEN bytes
	 * @param len		its size
	 * @return			buf
	 */
	char *(*print)(vti_prefix_t *this, char *buf, size_t len);

	/**
	 * Whether two prefixes have the same address (host bits included) and
	 * length.
	 *
	 * @param other		other prefix
	 * @return			TRUE if equal
	 */
	bool (*equals)(vti_prefix_t *this, vti_prefix_t *other);

	/**
	 * Copy the prefix.
	 *
	 * @return			copy
	 */
	vti_prefix_t *(*clone)(vti_prefix_t *this);

	/**
	 * Free the prefix.
	 */
	void (*destroy)(vti_prefix_t *this);
};

/**
 * Create a prefix from an address's bytes and a length.
 *
 * @param family		AF_INET or AF_INET6
 * @param address		4 or 16 bytes, network order
 * @param length		prefix length
 * @return				prefix, NULL if family, bytes or length do not fit
 */
vti_prefix_t *vti_prefix_create(int family, chunk_t address, uint8_t length);

/**
 * Parse "ADDRESS/LEN" completely: a literal IPv4 or IPv6 address (no
 * %any, no names), a slash and a length of decimal digits only, at most
 * 32 or 128.
 *
 * @param str			string to parse
 * @return				prefix, NULL if str is no such prefix
 */
vti_prefix_t *vti_prefix_create_from_string(char *str);

/**
 * Whether a list of prefixes holds one equal to a prefix. A list of
 * prefixes is an array of vti_prefix_t*, NULL when empty (array_count(),
 * array_create_enumerator() and array_insert_create() take that).
 *
 * @param list			list of prefixes, may be NULL
 * @param prefix		prefix
 * @return				TRUE if an entry equals it
 */
bool vti_prefix_list_has(array_t *list, vti_prefix_t *prefix);

/**
 * Copy a list of prefixes.
 *
 * @param list			list of prefixes, may be NULL
 * @return				copies of its prefixes, NULL if it has none
 */
array_t *vti_prefix_list_clone(array_t *list);

/**
 * Whether two lists hold equal prefixes in the same order.
 *
 * @param a				list of prefixes, may be NULL
 * @param b				other list, may be NULL
 * @return				TRUE if equal
 */
bool vti_prefix_list_equals(array_t *a, array_t *b);

/**
 * Free a list of prefixes and its prefixes.
 *
 * @param list			list of prefixes, may be NULL
 */
void vti_prefix_list_destroy(array_t *list);

#endif /** VTI_PREFIX_H_ @}*/
