/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_tunnel_index.h"

#include <collections/hashtable.h>

typedef struct private_vti_tunnel_index_t private_vti_tunnel_index_t;
typedef struct bucket_t bucket_t;
typedef struct bucket_enumerator_t bucket_enumerator_t;

/**
 * Tunnels that share a name, a pair of endpoints or a spoke. Most buckets
 * hold one tunnel: the first one filed is kept in the bucket itself.
 */
struct bucket_t {

	/** what they share, as bytes; stored right after the bucket */
	chunk_t key;

	/** the tunnel filed first */
	vti_tunnel_t *first;

	/** the tunnels filed after it, as vti_tunnel_t*, oldest first; NULL if
	 *  none */
	array_t *more;
};

/**
 * Enumerator over the tunnels of a bucket.
 */
struct bucket_enumerator_t {

	/** public interface */
	enumerator_t public;

	/** the bucket */
	bucket_t *bucket;

	/** position of the next tunnel */
	int next;
};

/**
 * Private data of the index.
 */
struct private_vti_tunnel_index_t {

	/** public interface */
	vti_tunnel_index_t public;

	/** tunnels by kind and key (vti_tunnel_id_t) */
	hashtable_t *by_key;

	/** tunnels by unique ID of the CHILD_SAs that hold them */
	hashtable_t *by_sa;

	/** buckets by device name */
	hashtable_t *by_name;

	/** buckets by kind and pair of outer endpoints */
	hashtable_t *by_endpoints;

	/** buckets by spoke (connection, child and peer) of dynamic tunnels */
	hashtable_t *by_spoke;
};

/**
 * Hashtable key for a 32-bit number (never 0 here).
 */
static inline void *num_key(uint32_t num)
{
	return (void*)(uintptr_t)num;
}

/**
 * Hash of a tunnel's kind and key.
 */
static u_int hash_id(const void *key)
{
	const vti_tunnel_id_t *id = key;

	return chunk_hash(chunk_from_thing(id->key)) ^ id->kind;
}

/**
 * Whether two tunnels' kinds and keys are equal.
 */
static bool equals_id(const void *key, const void *other_key)
{
	const vti_tunnel_id_t *id = key, *other = other_key;

	return id->kind == other->kind && id->key == other->key;
}

/**
 * Hash of a bucket's key.
 */
static u_int bucket_hash(const void *key)
{
	return chunk_hash(((bucket_t*)key)->key);
}

/**
 * Whether two buckets have the same key.
 */
static bool bucket_equals(const void *a, const void *b)
{
	return chunk_equals(((bucket_t*)a)->key, ((bucket_t*)b)->key);
}

/**
 * Number of tunnels in a bucket.
 */
static inline int bucket_count(bucket_t *bucket)
{
	return 1 + array_count(bucket->more);
}

/**
 * The tunnel at a position of a bucket, oldest filed first.
 */
static vti_tunnel_t *bucket_at(bucket_t *bucket, int i)
{
	vti_tunnel_t *tunnel = NULL;

	if (i == 0)
	{
		return bucket->first;
	}
	array_get(bucket->more, i - 1, &tunnel);
	return tunnel;
}

METHOD(enumerator_t, bucket_enumerate, bool,
	bucket_enumerator_t *this, va_list args)
{
	vti_tunnel_t **tunnel;

	VA_ARGS_VGET(args, tunnel);
	if (this->next >= bucket_count(this->bucket))
	{
		return FALSE;
	}
	*tunnel = bucket_at(this->bucket, this->next++);
	return TRUE;
}

/**
 * Enumerate the tunnels of a bucket, oldest filed first.
 */
static enumerator_t *bucket_create_enumerator(bucket_t *bucket)
{
	bucket_enumerator_t *this;

	INIT(this,
		.public = {
			.enumerate = enumerator_enumerate_default,
			.venumerate = _bucket_enumerate,
			.destroy = (void*)free,
		},
		.bucket = bucket,
	);
	return &this->public;
}

/**
 * A hashtable of buckets.
 */
static hashtable_t *bucket_table_create(void)
{
	return hashtable_create(bucket_hash, bucket_equals, 8);
}

/**
 * The bucket of a key, NULL if none.
 */
static bucket_t *bucket_get(hashtable_t *table, chunk_t key)
{
	bucket_t lookup = { .key = key };

	return table->get(table, &lookup);
}

/**
 * Add a tunnel to the bucket of a key, making it if needed.
 */
static void bucket_file(hashtable_t *table, chunk_t key, vti_tunnel_t *tunnel)
{
	bucket_t *bucket = bucket_get(table, key);

	if (bucket)
	{
		array_insert_create(&bucket->more, ARRAY_TAIL, tunnel);
		return;
	}
	bucket = malloc(sizeof(*bucket) + key.len);
	*bucket = (bucket_t){
		.key = chunk_create((u_char*)(bucket + 1), key.len),
		.first = tunnel,
	};
	memcpy(bucket->key.ptr, key.ptr, key.len);
	table->put(table, bucket, bucket);
}

/**
 * Free a bucket.
 */
static void bucket_destroy(bucket_t *bucket)
{
	array_destroy(bucket->more);
	free(bucket);
}

/**
 * Take a tunnel out of the bucket of a key; the next one filed becomes the
 * first, an empty bucket goes.
 */
static void bucket_unfile(hashtable_t *table, chunk_t key,
						  vti_tunnel_t *tunnel)
{
	bucket_t *bucket = bucket_get(table, key);
	vti_tunnel_t *current;
	int i;

	if (!bucket)
	{
		return;
	}
	if (bucket->first == tunnel &&
		!array_remove(bucket->more, ARRAY_HEAD, &bucket->first))
	{
		table->remove(table, bucket);
		bucket_destroy(bucket);
		return;
	}
	for (i = 0; i < array_count(bucket->more); i++)
	{
		if (array_get(bucket->more, i, &current) && current == tunnel)
		{
			array_remove(bucket->more, i, NULL);
			break;
		}
	}
	if (!array_count(bucket->more))
	{
		array_destroy(bucket->more);
		bucket->more = NULL;
	}
}

/**
 * Free every bucket of a table, and the table.
 */
static void bucket_table_destroy(hashtable_t *table)
{
	enumerator_t *enumerator;
	bucket_t *bucket;

	enumerator = table->create_enumerator(table);
	while (enumerator->enumerate(enumerator, NULL, &bucket))
	{
		bucket_destroy(bucket);
	}
	enumerator->destroy(enumerator);
	table->destroy(table);
}

/** Room for the key of a pair of endpoints: kind, lengths and addresses */
#define ENDPOINTS_KEY_LEN (3 + 2 * 16)

/**
 * Key of a kind and pair of endpoints, in a buffer of ENDPOINTS_KEY_LEN
 * bytes. Ports do not count, as in host_t.ip_equals().
 */
static chunk_t endpoints_key(vti_kind_t kind, host_t *local, host_t *remote,
							 u_char *buf)
{
	chunk_t l = local->get_address(local), r = remote->get_address(remote);

	l.len = min(l.len, (size_t)16);
	r.len = min(r.len, (size_t)16);
	buf[0] = kind;
	buf[1] = l.len;
	buf[2] = r.len;
	memcpy(buf + 3, l.ptr, l.len);
	memcpy(buf + 3 + l.len, r.ptr, r.len);
	return chunk_create(buf, 3 + l.len + r.len);
}

/**
 * A string with its terminating NUL, as bytes.
 */
static inline chunk_t with_nul(char *str)
{
	return chunk_create((u_char*)str, strlen(str) + 1);
}

/**
 * Key of a spoke: connection, child and peer, each with its terminating
 * NUL. Allocated; the caller frees it.
 */
static chunk_t spoke_key(char *conn, char *child, char *peer)
{
	return chunk_cat("ccc", with_nul(conn), with_nul(child), with_nul(peer));
}

/**
 * File a tunnel under, or take it out of, the buckets of its name,
 * endpoints and spoke.
 */
static void bucket_all(private_vti_tunnel_index_t *this, vti_tunnel_t *tunnel,
					   bool file)
{
	void (*op)(hashtable_t*, chunk_t, vti_tunnel_t*);
	u_char buf[ENDPOINTS_KEY_LEN];
	chunk_t key;

	op = file ? bucket_file : bucket_unfile;
	op(this->by_name, chunk_from_str(vti_tunnel_name(tunnel)), tunnel);
	op(this->by_endpoints,
	   endpoints_key(tunnel->id.kind, tunnel->spec.local, tunnel->spec.remote,
					 buf), tunnel);
	if (tunnel->dynamic)
	{
		key = spoke_key(tunnel->conn, tunnel->child, tunnel->peer);
		op(this->by_spoke, key, tunnel);
		chunk_free(&key);
	}
}

METHOD(vti_tunnel_index_t, add_sa, void,
	private_vti_tunnel_index_t *this, uint32_t id, vti_tunnel_t *tunnel)
{
	this->by_sa->put(this->by_sa, num_key(id), tunnel);
}

METHOD(vti_tunnel_index_t, remove_sa, void,
	private_vti_tunnel_index_t *this, uint32_t id)
{
	this->by_sa->remove(this->by_sa, num_key(id));
}

METHOD(vti_tunnel_index_t, add, void,
	private_vti_tunnel_index_t *this, vti_tunnel_t *tunnel)
{
	vti_sa_t *sa;
	int i;

	this->by_key->put(this->by_key, &tunnel->id, tunnel);
	for (i = 0; i < vti_tunnel_sa_count(tunnel); i++)
	{
		array_get(tunnel->sas, i, &sa);
		add_sa(this, sa->id, tunnel);
	}
	bucket_all(this, tunnel, TRUE);
}

METHOD(vti_tunnel_index_t, remove_, void,
	private_vti_tunnel_index_t *this, vti_tunnel_t *tunnel)
{
	vti_sa_t *sa;
	int i;

	if (this->by_key->get(this->by_key, &tunnel->id) == tunnel)
	{
		this->by_key->remove(this->by_key, &tunnel->id);
	}
	for (i = 0; i < vti_tunnel_sa_count(tunnel); i++)
	{
		array_get(tunnel->sas, i, &sa);
		if (this->by_sa->get(this->by_sa, num_key(sa->id)) == tunnel)
		{
			remove_sa(this, sa->id);
		}
	}
	bucket_all(this, tunnel, FALSE);
}

METHOD(vti_tunnel_index_t, get_by_key, vti_tunnel_t*,
	private_vti_tunnel_index_t *this, vti_kind_t kind, uint32_t key)
{
	vti_tunnel_id_t id = { .kind = kind, .key = key };

	return this->by_key->get(this->by_key, &id);
}

METHOD(vti_tunnel_index_t, get_by_sa, vti_tunnel_t*,
	private_vti_tunnel_index_t *this, uint32_t id)
{
	return this->by_sa->get(this->by_sa, num_key(id));
}

METHOD(vti_tunnel_index_t, get_by_name, vti_tunnel_t*,
	private_vti_tunnel_index_t *this, vti_tunnel_t *own, char *name)
{
	bucket_t *bucket;
	vti_tunnel_t *tunnel;
	int i;

	bucket = bucket_get(this->by_name, chunk_from_str(name));
	for (i = 0; bucket && i < bucket_count(bucket); i++)
	{
		tunnel = bucket_at(bucket, i);
		if (tunnel != own)
		{
			return tunnel;
		}
	}
	return NULL;
}

METHOD(vti_tunnel_index_t, get_spoke, vti_tunnel_t*,
	private_vti_tunnel_index_t *this, vti_sa_t *sa)
{
	vti_tunnel_t *tunnel, *found = NULL;
	bucket_t *bucket;
	chunk_t key;
	int i;

	if (!sa->dynamic || !sa->peer)
	{
		return NULL;
	}
	key = spoke_key(sa->conn, sa->child, sa->peer);
	bucket = bucket_get(this->by_spoke, key);
	chunk_free(&key);
	for (i = 0; bucket && !found && i < bucket_count(bucket); i++)
	{
		tunnel = bucket_at(bucket, i);
		if (vti_tunnel_serves_spoke(tunnel, sa))
		{
			found = tunnel;
		}
	}
	return found;
}

METHOD(vti_tunnel_index_t, create_between_enumerator, enumerator_t*,
	private_vti_tunnel_index_t *this, vti_kind_t kind, host_t *local,
	host_t *remote)
{
	u_char buf[ENDPOINTS_KEY_LEN];
	bucket_t *bucket;

	bucket = bucket_get(this->by_endpoints,
						endpoints_key(kind, local, remote, buf));
	if (!bucket)
	{
		return enumerator_create_empty();
	}
	return bucket_create_enumerator(bucket);
}

/**
 * Pass on the values of a hashtable's enumerator.
 */
static bool values_only(void *data, enumerator_t *orig, va_list args)
{
	vti_tunnel_t **out;

	VA_ARGS_VGET(args, out);
	return orig->enumerate(orig, NULL, out);
}

METHOD(vti_tunnel_index_t, create_enumerator, enumerator_t*,
	private_vti_tunnel_index_t *this)
{
	return enumerator_create_filter(
						this->by_key->create_enumerator(this->by_key),
						values_only, NULL, NULL);
}

METHOD(vti_tunnel_index_t, get_all, array_t*,
	private_vti_tunnel_index_t *this)
{
	enumerator_t *enumerator;
	vti_tunnel_t *tunnel;
	array_t *all;

	all = array_create(0, this->by_key->get_count(this->by_key));
	enumerator = create_enumerator(this);
	while (enumerator->enumerate(enumerator, &tunnel))
	{
		array_insert(all, ARRAY_TAIL, tunnel);
	}
	enumerator->destroy(enumerator);
	return all;
}

METHOD(vti_tunnel_index_t, get_count, u_int,
	private_vti_tunnel_index_t *this)
{
	return this->by_key->get_count(this->by_key);
}

METHOD(vti_tunnel_index_t, destroy, void,
	private_vti_tunnel_index_t *this)
{
	this->by_key->destroy(this->by_key);
	this->by_sa->destroy(this->by_sa);
	bucket_table_destroy(this->by_name);
	bucket_table_destroy(this->by_endpoints);
	bucket_table_destroy(this->by_spoke);
	free(this);
}

/*
 * Described in header
 */
vti_tunnel_index_t *vti_tunnel_index_create(void)
{
	private_vti_tunnel_index_t *this;

	INIT(this,
		.public = {
			.add = _add,
			.remove = _remove_,
			.add_sa = _add_sa,
			.remove_sa = _remove_sa,
			.get_by_key = _get_by_key,
			.get_by_sa = _get_by_sa,
			.get_by_name = _get_by_name,
			.get_spoke = _get_spoke,
			.create_between_enumerator = _create_between_enumerator,
			.get_all = _get_all,
			.create_enumerator = _create_enumerator,
			.get_count = _get_count,
			.destroy = _destroy,
		},
		.by_key = hashtable_create(hash_id, equals_id, 8),
		.by_sa = hashtable_create(hashtable_hash_ptr, hashtable_equals_ptr, 8),
		.by_name = bucket_table_create(),
		.by_endpoints = bucket_table_create(),
		.by_spoke = bucket_table_create(),
	);
	return &this->public;
}
