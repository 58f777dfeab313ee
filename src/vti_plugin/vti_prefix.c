/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_prefix.h"

/** Bytes of the longest address, IPv6 */
#define MAX_ADDR_LEN 16

typedef struct private_vti_prefix_t private_vti_prefix_t;

/**
 * Private data of a prefix.
 */
struct private_vti_prefix_t {

	/** public interface */
	vti_prefix_t public;

	/** address as given */
	host_t *address;

	/** address with the host bits cleared */
	host_t *network;

	/** prefix length */
	uint8_t length;
};

/**
 * Whether bit i (0 is the most significant) of an address is set.
 */
static inline bool bit_of(u_char *addr, int i)
{
	return addr[i / 8] & (0x80 >> (i % 8));
}

METHOD(vti_prefix_t, get_address, host_t*,
	private_vti_prefix_t *this)
{
	return this->address;
}

METHOD(vti_prefix_t, get_network, host_t*,
	private_vti_prefix_t *this)
{
	return this->network;
}

METHOD(vti_prefix_t, get_length, uint8_t,
	private_vti_prefix_t *this)
{
	return this->length;
}

METHOD(vti_prefix_t, get_family, int,
	private_vti_prefix_t *this)
{
	return this->address->get_family(this->address);
}

METHOD(vti_prefix_t, covers, bool,
	private_vti_prefix_t *this, host_t *addr)
{
	chunk_t a, b;
	int i;

	if (!addr || addr->is_anyaddr(addr) ||
		addr->get_family(addr) != get_family(this))
	{
		return FALSE;
	}
	a = this->address->get_address(this->address);
	b = addr->get_address(addr);
	for (i = 0; i < this->length; i++)
	{
		if (bit_of(a.ptr, i) != bit_of(b.ptr, i))
		{
			return FALSE;
		}
	}
	return TRUE;
}

METHOD(vti_prefix_t, print, char*,
	private_vti_prefix_t *this, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	chunk_t bytes = this->address->get_address(this->address);

	inet_ntop(get_family(this), bytes.ptr, addr, sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, this->length);
	return buf;
}

METHOD(vti_prefix_t, equals, bool,
	private_vti_prefix_t *this, vti_prefix_t *other)
{
	host_t *addr = other->get_address(other);

	/* ip_equals() takes 0.0.0.0 and :: for equal: compare the bytes */
	return this->length == other->get_length(other) &&
		   chunk_equals(this->address->get_address(this->address),
						addr->get_address(addr));
}

METHOD(vti_prefix_t, clone_, vti_prefix_t*,
	private_vti_prefix_t *this)
{
	return vti_prefix_create(get_family(this),
							 this->address->get_address(this->address),
							 this->length);
}

METHOD(vti_prefix_t, destroy, void,
	private_vti_prefix_t *this)
{
	this->address->destroy(this->address);
	this->network->destroy(this->network);
	free(this);
}

/*
 * Described in header
 */
vti_prefix_t *vti_prefix_create(int family, chunk_t address, uint8_t length)
{
	private_vti_prefix_t *this;
	u_char net[MAX_ADDR_LEN];
	size_t bytes = family == AF_INET ? 4 : 16;
	int i;

	if ((family != AF_INET && family != AF_INET6) || address.len != bytes ||
		length > bytes * 8)
	{
		return NULL;
	}
	memcpy(net, address.ptr, bytes);
	for (i = length; i < (int)bytes * 8; i++)
	{
		net[i / 8] &= ~(0x80 >> (i % 8));
	}
	INIT(this,
		.public = {
			.get_address = _get_address,
			.get_network = _get_network,
			.get_length = _get_length,
			.get_family = _get_family,
			.covers = _covers,
			.print = _print,
			.equals = _equals,
			.clone = _clone_,
			.destroy = _destroy,
		},
		.address = host_create_from_chunk(family, address, 0),
		.network = host_create_from_chunk(family, chunk_create(net, bytes), 0),
		.length = length,
	);
	if (!this->address || !this->network)
	{
		DESTROY_IF(this->address);
		DESTROY_IF(this->network);
		free(this);
		return NULL;
	}
	return &this->public;
}

/**
 * Parse a prefix length of decimal digits only, at most max.
 */
static bool parse_length(char *str, u_int max, uint8_t *length)
{
	u_int num = 0;

	if (!*str)
	{
		return FALSE;
	}
	for (; *str; str++)
	{
		if (*str < '0' || *str > '9')
		{
			return FALSE;
		}
		num = num * 10 + (*str - '0');
		if (num > max)
		{
			return FALSE;
		}
	}
	*length = num;
	return TRUE;
}

/*
 * Described in header
 */
vti_prefix_t *vti_prefix_create_from_string(char *str)
{
	char addr[INET6_ADDRSTRLEN], *slash;
	u_char bytes[MAX_ADDR_LEN];
	uint8_t length;
	int family;
	size_t len;

	slash = strchr(str, '/');
	if (!slash || slash == str || (size_t)(slash - str) >= sizeof(addr))
	{
		return NULL;
	}
	memcpy(addr, str, slash - str);
	addr[slash - str] = '\0';
	family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	len = family == AF_INET ? 4 : 16;
	if (inet_pton(family, addr, bytes) != 1 ||
		!parse_length(slash + 1, len * 8, &length))
	{
		return NULL;
	}
	return vti_prefix_create(family, chunk_create(bytes, len), length);
}

/*
 * Described in header
 */
bool vti_prefix_list_has(array_t *list, vti_prefix_t *prefix)
{
	vti_prefix_t *entry;
	int i;

	for (i = 0; i < array_count(list); i++)
	{
		if (array_get(list, i, &entry) && entry->equals(entry, prefix))
		{
			return TRUE;
		}
	}
	return FALSE;
}

/*
 * Described in header
 */
array_t *vti_prefix_list_clone(array_t *list)
{
	array_t *clone = NULL;
	vti_prefix_t *entry;
	int i;

	for (i = 0; i < array_count(list); i++)
	{
		array_get(list, i, &entry);
		array_insert_create(&clone, ARRAY_TAIL, entry->clone(entry));
	}
	return clone;
}

/*
 * Described in header
 */
bool vti_prefix_list_equals(array_t *a, array_t *b)
{
	vti_prefix_t *x, *y;
	int i;

	if (array_count(a) != array_count(b))
	{
		return FALSE;
	}
	for (i = 0; i < array_count(a); i++)
	{
		array_get(a, i, &x);
		array_get(b, i, &y);
		if (!x->equals(x, y))
		{
			return FALSE;
		}
	}
	return TRUE;
}

/*
 * Described in header
 */
void vti_prefix_list_destroy(array_t *list)
{
	array_destroy_offset(list, offsetof(vti_prefix_t, destroy));
}
