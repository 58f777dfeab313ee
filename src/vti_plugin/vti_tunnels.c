/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_tunnels.h"

#include <collections/array.h>
#include <collections/hashtable.h>
#include <threading/mutex.h>

typedef struct private_vti_tunnels_t private_vti_tunnels_t;
typedef struct tunnel_t tunnel_t;
typedef struct sa_ref_t sa_ref_t;

/**
 * A CHILD_SA holding a tunnel's key.
 */
struct sa_ref_t {

	/** unique ID of the CHILD_SA */
	uint32_t id;

	/** unique ID of its IKE_SA */
	uint32_t ike_id;
};

/**
 * One VTI and the CHILD_SAs that hold its key.
 */
struct tunnel_t {

	/** what the device looks like */
	vti_link_spec_t spec;

	/** the key is %unique: the device lives and dies with its SAs */
	bool dynamic;

	/** installed CHILD_SAs with this key, as sa_ref_t* */
	array_t *sas;
};

/**
 * Private data of the tunnel table.
 */
struct private_vti_tunnels_t {

	/** public interface */
	vti_tunnels_t public;

	/** driver for the devices */
	vti_link_t *link;

	/** tunnels by key */
	hashtable_t *tunnels;

	/** tunnels by unique ID of the CHILD_SAs that hold them */
	hashtable_t *by_sa;

	/** serializes events, and the link driver calls they cause */
	mutex_t *mutex;
};

/**
 * Hashtable key for a 32-bit number (never 0 here).
 */
static inline void *num_key(uint32_t num)
{
	return (void*)(uintptr_t)num;
}

/**
 * Whether an SA was negotiated between the tunnel's endpoints.
 */
static bool same_endpoints(tunnel_t *tunnel, vti_sa_t *sa)
{
	return tunnel->spec.local->ip_equals(tunnel->spec.local, sa->local) &&
		   tunnel->spec.remote->ip_equals(tunnel->spec.remote, sa->remote);
}

/**
 * Number of installed CHILD_SAs holding a tunnel's key.
 */
static inline int sa_count(tunnel_t *tunnel)
{
	return array_count(tunnel->sas);
}

/**
 * Point a tunnel at the endpoints and owner of an SA.
 */
static void tunnel_retarget(tunnel_t *tunnel, vti_sa_t *sa)
{
	DESTROY_IF(tunnel->spec.local);
	DESTROY_IF(tunnel->spec.remote);
	free(tunnel->spec.owner);
	tunnel->spec.local = sa->local->clone(sa->local);
	tunnel->spec.remote = sa->remote->clone(sa->remote);
	if (asprintf(&tunnel->spec.owner, "%s/%s", sa->conn, sa->child) < 0)
	{
		tunnel->spec.owner = strdup("?");
	}
	tunnel->dynamic = sa->dynamic;
}

/**
 * Create a tunnel for the key of an SA, with no SAs yet.
 */
static tunnel_t *tunnel_create(vti_sa_t *sa)
{
	tunnel_t *tunnel;

	INIT(tunnel,
		.spec = {
			.key = sa->key,
		},
		.sas = array_create(0, 0),
	);
	snprintf(tunnel->spec.name, sizeof(tunnel->spec.name), "vti%u", sa->key);
	tunnel_retarget(tunnel, sa);
	return tunnel;
}

/**
 * Free a tunnel.
 */
static void tunnel_destroy(tunnel_t *tunnel)
{
	DESTROY_IF(tunnel->spec.local);
	DESTROY_IF(tunnel->spec.remote);
	free(tunnel->spec.owner);
	array_destroy_function(tunnel->sas, (void*)free, NULL);
	free(tunnel);
}

/**
 * Warn if another active tunnel uses the same outer addresses: the kernel
 * matches inbound VTI traffic by outer addresses only.
 */
static void warn_shared_endpoints(private_vti_tunnels_t *this,
								  tunnel_t *tunnel)
{
	enumerator_t *enumerator;
	tunnel_t *other;

	enumerator = this->tunnels->create_enumerator(this->tunnels);
	while (enumerator->enumerate(enumerator, NULL, &other))
	{
		if (other != tunnel && sa_count(other) &&
			other->spec.local->ip_equals(other->spec.local, tunnel->spec.local) &&
			other->spec.remote->ip_equals(other->spec.remote, tunnel->spec.remote))
		{
			DBG1(DBG_CFG, "vti: %s (%s) and %s (%s) share the outer addresses "
				 "%H === %H: the kernel cannot tell their inbound traffic "
				 "apart; give one of them other endpoints", tunnel->spec.name,
				 tunnel->spec.owner, other->spec.name, other->spec.owner,
				 tunnel->spec.local, tunnel->spec.remote);
		}
	}
	enumerator->destroy(enumerator);
}

/**
 * Find the tunnel for an SA's key, creating or retargeting it as needed.
 * Returns NULL if the key is held by SAs between other endpoints.
 */
static tunnel_t *claim_tunnel(private_vti_tunnels_t *this, vti_sa_t *sa)
{
	tunnel_t *tunnel;

	tunnel = this->tunnels->get(this->tunnels, num_key(sa->key));
	if (!tunnel)
	{
		tunnel = tunnel_create(sa);
		this->tunnels->put(this->tunnels, num_key(sa->key), tunnel);
		return tunnel;
	}
	if (!sa_count(tunnel))
	{
		tunnel_retarget(tunnel, sa);
		return tunnel;
	}
	if (!same_endpoints(tunnel, sa))
	{
		DBG1(DBG_CFG, "vti: CHILD_SA %s{%u} of '%s' gets no VTI: key %u is "
			 "held by %s for %H === %H (%s); give this child another mark",
			 sa->child, sa->id, sa->conn, sa->key, tunnel->spec.name,
			 tunnel->spec.local, tunnel->spec.remote, tunnel->spec.owner);
		return NULL;
	}
	return tunnel;
}

/**
 * Forget a tunnel that has no SAs and whose device could not be made.
 */
static void forget_tunnel(private_vti_tunnels_t *this, tunnel_t *tunnel)
{
	this->tunnels->remove(this->tunnels, num_key(tunnel->spec.key));
	tunnel_destroy(tunnel);
}

METHOD(vti_tunnels_t, sa_up, void,
	private_vti_tunnels_t *this, vti_sa_t *sa)
{
	tunnel_t *tunnel;
	sa_ref_t *ref;

	this->mutex->lock(this->mutex);
	if (this->by_sa->get(this->by_sa, num_key(sa->id)))
	{
		this->mutex->unlock(this->mutex);
		return;
	}
	tunnel = claim_tunnel(this, sa);
	if (tunnel && !sa_count(tunnel))
	{
		warn_shared_endpoints(this, tunnel);
		if (!this->link->set(this->link, &tunnel->spec, TRUE))
		{
			forget_tunnel(this, tunnel);
			tunnel = NULL;
		}
		else
		{
			DBG1(DBG_CFG, "vti: %s up (key %u, %H === %H): CHILD_SA %s{%u} "
				 "of '%s' installed", tunnel->spec.name, tunnel->spec.key,
				 tunnel->spec.local, tunnel->spec.remote, sa->child, sa->id,
				 sa->conn);
		}
	}
	else if (tunnel)
	{
		DBG1(DBG_CFG, "vti: %s stays up: CHILD_SA %s{%u} of '%s' joins "
			 "%d other(s) with key %u", tunnel->spec.name, sa->child, sa->id,
			 sa->conn, sa_count(tunnel), tunnel->spec.key);
	}
	if (tunnel)
	{
		INIT(ref,
			.id = sa->id,
			.ike_id = sa->ike_id,
		);
		array_insert(tunnel->sas, ARRAY_TAIL, ref);
		this->by_sa->put(this->by_sa, num_key(sa->id), tunnel);
	}
	this->mutex->unlock(this->mutex);
}

/**
 * Find the reference of a tunnel to one of its SAs, NULL if none.
 */
static sa_ref_t *find_ref(tunnel_t *tunnel, uint32_t id, int *index)
{
	sa_ref_t *ref;
	int i;

	for (i = 0; i < sa_count(tunnel); i++)
	{
		if (array_get(tunnel->sas, i, &ref) && ref->id == id)
		{
			if (index)
			{
				*index = i;
			}
			return ref;
		}
	}
	return NULL;
}

/**
 * Remove an SA from a tunnel's list.
 */
static void drop_ref(tunnel_t *tunnel, uint32_t id)
{
	sa_ref_t *ref;
	int i;

	ref = find_ref(tunnel, id, &i);
	if (ref)
	{
		array_remove(tunnel->sas, i, NULL);
		free(ref);
	}
}

/**
 * Take down a tunnel whose last SA went away.
 */
static void tunnel_idle(private_vti_tunnels_t *this, tunnel_t *tunnel,
						uint32_t id)
{
	if (tunnel->dynamic)
	{
		DBG1(DBG_CFG, "vti: %s removed: CHILD_SA {%u} of %s, the last with "
			 "key %u, is gone", tunnel->spec.name, id, tunnel->spec.owner,
			 tunnel->spec.key);
		this->link->remove(this->link, tunnel->spec.name);
		forget_tunnel(this, tunnel);
		return;
	}
	DBG1(DBG_CFG, "vti: %s down: CHILD_SA {%u} of %s, the last with key %u, "
		 "is gone", tunnel->spec.name, id, tunnel->spec.owner,
		 tunnel->spec.key);
	this->link->set(this->link, &tunnel->spec, FALSE);
}

METHOD(vti_tunnels_t, sa_down, void,
	private_vti_tunnels_t *this, uint32_t id)
{
	tunnel_t *tunnel;

	this->mutex->lock(this->mutex);
	tunnel = this->by_sa->remove(this->by_sa, num_key(id));
	if (tunnel)
	{
		drop_ref(tunnel, id);
		if (sa_count(tunnel))
		{
			DBG1(DBG_CFG, "vti: %s stays up: CHILD_SA {%u} gone, %d left "
				 "with key %u", tunnel->spec.name, id, sa_count(tunnel),
				 tunnel->spec.key);
		}
		else
		{
			tunnel_idle(this, tunnel, id);
		}
	}
	this->mutex->unlock(this->mutex);
}

METHOD(vti_tunnels_t, sa_rekeyed, void,
	private_vti_tunnels_t *this, uint32_t old_id, uint32_t new_id)
{
	tunnel_t *tunnel;
	sa_ref_t *ref;

	this->mutex->lock(this->mutex);
	tunnel = this->by_sa->remove(this->by_sa, num_key(old_id));
	if (tunnel)
	{
		ref = find_ref(tunnel, old_id, NULL);
		ref->id = new_id;
		this->by_sa->put(this->by_sa, num_key(new_id), tunnel);
		DBG2(DBG_CFG, "vti: %s stays up: CHILD_SA {%u} rekeyed to {%u}",
			 tunnel->spec.name, old_id, new_id);
	}
	this->mutex->unlock(this->mutex);
}

/**
 * Whether any SA of a tunnel belongs to an IKE_SA.
 */
static bool has_ike_sa(tunnel_t *tunnel, uint32_t ike_id)
{
	sa_ref_t *ref;
	int i;

	for (i = 0; i < sa_count(tunnel); i++)
	{
		if (array_get(tunnel->sas, i, &ref) && ref->ike_id == ike_id)
		{
			return TRUE;
		}
	}
	return FALSE;
}

METHOD(vti_tunnels_t, ike_rekeyed, void,
	private_vti_tunnels_t *this, uint32_t old_ike, uint32_t new_ike)
{
	enumerator_t *enumerator;
	tunnel_t *tunnel;
	sa_ref_t *ref;
	int i;

	this->mutex->lock(this->mutex);
	enumerator = this->tunnels->create_enumerator(this->tunnels);
	while (enumerator->enumerate(enumerator, NULL, &tunnel))
	{
		for (i = 0; i < sa_count(tunnel); i++)
		{
			if (array_get(tunnel->sas, i, &ref) && ref->ike_id == old_ike)
			{
				ref->ike_id = new_ike;
			}
		}
	}
	enumerator->destroy(enumerator);
	this->mutex->unlock(this->mutex);
}

/**
 * Move one tunnel's device to new endpoints, in place.
 */
static void tunnel_move(private_vti_tunnels_t *this, tunnel_t *tunnel,
						host_t *local, host_t *remote)
{
	if (tunnel->spec.local->ip_equals(tunnel->spec.local, local) &&
		tunnel->spec.remote->ip_equals(tunnel->spec.remote, remote))
	{
		return;
	}
	DBG1(DBG_CFG, "vti: %s moves from %H === %H to %H === %H",
		 tunnel->spec.name, tunnel->spec.local, tunnel->spec.remote,
		 local, remote);
	tunnel->spec.local->destroy(tunnel->spec.local);
	tunnel->spec.remote->destroy(tunnel->spec.remote);
	tunnel->spec.local = local->clone(local);
	tunnel->spec.remote = remote->clone(remote);
	this->link->set(this->link, &tunnel->spec, TRUE);
}

METHOD(vti_tunnels_t, ike_moved, void,
	private_vti_tunnels_t *this, uint32_t ike_id, host_t *local,
	host_t *remote)
{
	enumerator_t *enumerator;
	tunnel_t *tunnel;

	this->mutex->lock(this->mutex);
	enumerator = this->tunnels->create_enumerator(this->tunnels);
	while (enumerator->enumerate(enumerator, NULL, &tunnel))
	{
		if (has_ike_sa(tunnel, ike_id))
		{
			tunnel_move(this, tunnel, local, remote);
		}
	}
	enumerator->destroy(enumerator);
	this->mutex->unlock(this->mutex);
}

METHOD(vti_tunnels_t, get_count, u_int,
	private_vti_tunnels_t *this)
{
	u_int count;

	this->mutex->lock(this->mutex);
	count = this->tunnels->get_count(this->tunnels);
	this->mutex->unlock(this->mutex);
	return count;
}

METHOD(vti_tunnels_t, destroy, void,
	private_vti_tunnels_t *this)
{
	enumerator_t *enumerator;
	tunnel_t *tunnel;

	enumerator = this->tunnels->create_enumerator(this->tunnels);
	while (enumerator->enumerate(enumerator, NULL, &tunnel))
	{
		tunnel_destroy(tunnel);
	}
	enumerator->destroy(enumerator);
	this->tunnels->destroy(this->tunnels);
	this->by_sa->destroy(this->by_sa);
	this->mutex->destroy(this->mutex);
	free(this);
}

/*
 * Described in header
 */
vti_tunnels_t *vti_tunnels_create(vti_link_t *link)
{
	private_vti_tunnels_t *this;

	INIT(this,
		.public = {
			.sa_up = _sa_up,
			.sa_down = _sa_down,
			.sa_rekeyed = _sa_rekeyed,
			.ike_rekeyed = _ike_rekeyed,
			.ike_moved = _ike_moved,
			.get_count = _get_count,
			.destroy = _destroy,
		},
		.link = link,
		.tunnels = hashtable_create(hashtable_hash_ptr, hashtable_equals_ptr, 8),
		.by_sa = hashtable_create(hashtable_hash_ptr, hashtable_equals_ptr, 8),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	return &this->public;
}
