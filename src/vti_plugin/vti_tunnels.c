/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_tunnels.h"
#include "vti_prefixes.h"
#include "vti_strings.h"

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

	/** its remote traffic selectors, "NET/LEN" strings */
	linked_list_t *remote_ts;

	/** its connection and CHILD_SA config, "conn/child", for log lines */
	char *name;
};

/**
 * One VTI and the CHILD_SAs that hold its key.
 */
struct tunnel_t {

	/** what the device looks like */
	vti_link_spec_t spec;

	/** connection that made the tunnel */
	char *conn;

	/** CHILD_SA config that made the tunnel */
	char *child;

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
 * Number of installed CHILD_SAs holding a tunnel's key.
 */
static inline int sa_count(tunnel_t *tunnel)
{
	return array_count(tunnel->sas);
}

/**
 * Device name of a tunnel.
 */
static inline char *name_of(tunnel_t *tunnel)
{
	return tunnel->spec.cfg->name;
}

/**
 * Free an SA reference.
 */
static void ref_destroy(sa_ref_t *ref)
{
	vti_strings_destroy(ref->remote_ts);
	free(ref->name);
	free(ref);
}

/**
 * Work out the prefixes to route through a tunnel's device, never one that
 * covers its outer addresses. With routes from the traffic selectors and no
 * SAs left, the last ones stay, so that they can be blackholed and restored.
 * Returns whether they changed.
 */
static bool update_routes(tunnel_t *tunnel)
{
	bool changed;

	enumerator_t *enumerator;
	linked_list_t *routes, *spared;
	sa_ref_t *ref;

	switch (tunnel->spec.cfg->routes)
	{
		case VTI_ROUTES_NONE:
			routes = linked_list_create();
			break;
		case VTI_ROUTES_LIST:
			routes = vti_strings_clone(tunnel->spec.cfg->route_list);
			break;
		case VTI_ROUTES_REMOTE_TS:
		default:
			if (!sa_count(tunnel) && tunnel->spec.routes)
			{
				return FALSE;
			}
			routes = linked_list_create();
			enumerator = array_create_enumerator(tunnel->sas);
			while (enumerator->enumerate(enumerator, &ref))
			{
				vti_strings_merge(routes, ref->remote_ts);
			}
			enumerator->destroy(enumerator);
			break;
	}
	/* the tunnel's own outer addresses stay on the underlay */
	spared = vti_prefixes_spare_endpoints(routes, tunnel->spec.local,
										  tunnel->spec.remote,
										  tunnel->spec.owner, name_of(tunnel));
	vti_strings_destroy(routes);
	routes = spared;
	changed = !vti_strings_equal(tunnel->spec.routes, routes);
	vti_strings_destroy(tunnel->spec.routes);
	tunnel->spec.routes = routes;
	return changed;
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
 * Point a tunnel at the endpoints, owner and settings of an SA.
 */
static void tunnel_retarget(tunnel_t *tunnel, vti_sa_t *sa)
{
	DESTROY_IF(tunnel->spec.local);
	DESTROY_IF(tunnel->spec.remote);
	free(tunnel->spec.owner);
	free(tunnel->conn);
	free(tunnel->child);
	vti_config_destroy(tunnel->spec.cfg);
	tunnel->spec.local = sa->local->clone(sa->local);
	tunnel->spec.remote = sa->remote->clone(sa->remote);
	tunnel->conn = strdup(sa->conn);
	tunnel->child = strdup(sa->child);
	if (asprintf(&tunnel->spec.owner, "%s/%s", sa->conn, sa->child) < 0)
	{
		tunnel->spec.owner = strdup("?");
	}
	tunnel->spec.cfg = vti_config_clone(sa->cfg);
	tunnel->spec.overhead = sa->overhead;
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
	free(tunnel->conn);
	free(tunnel->child);
	vti_config_destroy(tunnel->spec.cfg);
	vti_strings_destroy(tunnel->spec.routes);
	array_destroy_function(tunnel->sas, (void*)ref_destroy, NULL);
	free(tunnel);
}

/**
 * Tell the driver what a tunnel's device should look like now.
 */
static bool tunnel_apply(private_vti_tunnels_t *this, tunnel_t *tunnel,
						 bool up)
{
	update_routes(tunnel);
	return this->link->set(this->link, &tunnel->spec, up);
}

/**
 * Whether a tunnel runs between the endpoints of an SA, with another key:
 * the kernel allows one VTI per pair of endpoints, whatever its key.
 */
static bool shares_endpoints(tunnel_t *tunnel, vti_sa_t *sa)
{
	return tunnel->spec.key != sa->key && same_endpoints(tunnel, sa);
}

/**
 * Find an active tunnel between the endpoints of an SA, with another key.
 */
static tunnel_t *find_endpoint_holder(private_vti_tunnels_t *this,
									  vti_sa_t *sa)
{
	enumerator_t *enumerator;
	tunnel_t *tunnel, *found = NULL;

	enumerator = this->tunnels->create_enumerator(this->tunnels);
	while (!found && enumerator->enumerate(enumerator, NULL, &tunnel))
	{
		if (sa_count(tunnel) && shares_endpoints(tunnel, sa))
		{
			found = tunnel;
		}
	}
	enumerator->destroy(enumerator);
	return found;
}

/**
 * Remove idle tunnels between the endpoints of an SA with another key, so
 * that the SA's device can be made.
 */
static void retire_idle_twins(private_vti_tunnels_t *this, vti_sa_t *sa)
{
	enumerator_t *enumerator;
	tunnel_t *tunnel;

	enumerator = this->tunnels->create_enumerator(this->tunnels);
	while (enumerator->enumerate(enumerator, NULL, &tunnel))
	{
		if (!sa_count(tunnel) && shares_endpoints(tunnel, sa))
		{
			DBG1(DBG_CFG, "vti: %s (%s), down, removed: key %u of '%s' wants "
				 "its endpoints %H === %H", name_of(tunnel),
				 tunnel->spec.owner, sa->key, sa->conn, sa->local,
				 sa->remote);
			this->tunnels->remove_at(this->tunnels, enumerator);
			this->link->remove(this->link, &tunnel->spec);
			tunnel_destroy(tunnel);
		}
	}
	enumerator->destroy(enumerator);
}

/**
 * Find another tunnel that uses a device name, NULL if none does.
 */
static tunnel_t *find_by_name(private_vti_tunnels_t *this, char *name,
							  uint32_t key)
{
	enumerator_t *enumerator;
	tunnel_t *tunnel, *found = NULL;

	enumerator = this->tunnels->create_enumerator(this->tunnels);
	while (enumerator->enumerate(enumerator, NULL, &tunnel))
	{
		if (tunnel->spec.key != key && streq(name_of(tunnel), name))
		{
			found = tunnel;
			break;
		}
	}
	enumerator->destroy(enumerator);
	return found;
}

/**
 * Whether an SA may have the key and name it wants; logs why not.
 */
static bool may_claim(private_vti_tunnels_t *this, tunnel_t *tunnel,
					  vti_sa_t *sa)
{
	tunnel_t *other;

	if (tunnel && sa_count(tunnel) && !same_endpoints(tunnel, sa))
	{
		DBG1(DBG_CFG, "vti: CHILD_SA %s{%u} of '%s' gets no VTI: key %u is "
			 "held by %s for %H === %H (%s); give this child another mark",
			 sa->child, sa->id, sa->conn, sa->key, name_of(tunnel),
			 tunnel->spec.local, tunnel->spec.remote, tunnel->spec.owner);
		return FALSE;
	}
	other = find_endpoint_holder(this, sa);
	if (other)
	{
		DBG1(DBG_CFG, "vti: CHILD_SA %s{%u} of '%s' gets no VTI: %s (key %u, "
			 "%s) runs between %H === %H already, and the kernel allows one "
			 "VTI per pair of endpoints; give all children to this peer one "
			 "mark", sa->child, sa->id, sa->conn, name_of(other),
			 other->spec.key, other->spec.owner, sa->local, sa->remote);
		return FALSE;
	}
	other = find_by_name(this, sa->cfg->name, sa->key);
	if (other)
	{
		DBG1(DBG_CFG, "vti: CHILD_SA %s{%u} of '%s' gets no VTI: the name %s "
			 "is taken by key %u (%s); give the charon.plugins.vti name "
			 "setting a %%k", sa->child, sa->id, sa->conn, sa->cfg->name,
			 other->spec.key, other->spec.owner);
		return FALSE;
	}
	return TRUE;
}

/**
 * Find the tunnel for an SA's key, creating or retargeting it as needed.
 * Returns NULL if the key or the name is held by another tunnel.
 */
static tunnel_t *claim_tunnel(private_vti_tunnels_t *this, vti_sa_t *sa)
{
	tunnel_t *tunnel;

	tunnel = this->tunnels->get(this->tunnels, num_key(sa->key));
	if (!may_claim(this, tunnel, sa))
	{
		return NULL;
	}
	retire_idle_twins(this, sa);
	if (!tunnel)
	{
		tunnel = tunnel_create(sa);
		this->tunnels->put(this->tunnels, num_key(sa->key), tunnel);
	}
	else if (!sa_count(tunnel))
	{
		tunnel_retarget(tunnel, sa);
	}
	return tunnel;
}

/**
 * Forget a tunnel that has no SAs.
 */
static void forget_tunnel(private_vti_tunnels_t *this, tunnel_t *tunnel)
{
	this->tunnels->remove(this->tunnels, num_key(tunnel->spec.key));
	tunnel_destroy(tunnel);
}

/**
 * Record an SA as holding a tunnel's key.
 */
static void add_ref(private_vti_tunnels_t *this, tunnel_t *tunnel,
					vti_sa_t *sa)
{
	sa_ref_t *ref;

	INIT(ref,
		.id = sa->id,
		.ike_id = sa->ike_id,
		.remote_ts = vti_strings_clone(sa->remote_ts),
	);
	if (asprintf(&ref->name, "%s/%s", sa->conn, sa->child) < 0)
	{
		ref->name = strdup("?");
	}
	array_insert(tunnel->sas, ARRAY_TAIL, ref);
	this->by_sa->put(this->by_sa, num_key(sa->id), tunnel);
}

/**
 * Bring up the device of a tunnel whose first SA arrives.
 */
static bool first_sa_up(private_vti_tunnels_t *this, tunnel_t *tunnel,
						vti_sa_t *sa)
{
	add_ref(this, tunnel, sa);
	if (!tunnel_apply(this, tunnel, TRUE))
	{
		this->by_sa->remove(this->by_sa, num_key(sa->id));
		forget_tunnel(this, tunnel);
		return FALSE;
	}
	DBG1(DBG_CFG, "vti: %s up (key %u, %H === %H): CHILD_SA %s{%u} of '%s' "
		 "installed", name_of(tunnel), tunnel->spec.key, tunnel->spec.local,
		 tunnel->spec.remote, sa->child, sa->id, sa->conn);
	return TRUE;
}

/**
 * Add an SA to a tunnel whose device is up already.
 */
static void another_sa_up(private_vti_tunnels_t *this, tunnel_t *tunnel,
						  vti_sa_t *sa)
{
	add_ref(this, tunnel, sa);
	DBG1(DBG_CFG, "vti: %s stays up: CHILD_SA %s{%u} of '%s' joins, %d with "
		 "key %u", name_of(tunnel), sa->child, sa->id, sa->conn,
		 sa_count(tunnel), tunnel->spec.key);
	if (update_routes(tunnel))
	{
		this->link->set(this->link, &tunnel->spec, TRUE);
	}
}

METHOD(vti_tunnels_t, sa_up, void,
	private_vti_tunnels_t *this, vti_sa_t *sa)
{
	tunnel_t *tunnel;

	this->mutex->lock(this->mutex);
	if (!this->by_sa->get(this->by_sa, num_key(sa->id)))
	{
		tunnel = claim_tunnel(this, sa);
		if (tunnel && sa_count(tunnel))
		{
			another_sa_up(this, tunnel, sa);
		}
		else if (tunnel)
		{
			first_sa_up(this, tunnel, sa);
		}
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
 * Take an SA off a tunnel's list; the caller frees it.
 */
static sa_ref_t *drop_ref(tunnel_t *tunnel, uint32_t id)
{
	sa_ref_t *ref;
	int i;

	ref = find_ref(tunnel, id, &i);
	if (ref)
	{
		array_remove(tunnel->sas, i, NULL);
	}
	return ref;
}

/**
 * Take down a tunnel whose last SA went away.
 */
static void tunnel_idle(private_vti_tunnels_t *this, tunnel_t *tunnel,
						sa_ref_t *ref)
{
	if (tunnel->dynamic ||
		tunnel->spec.cfg->down_action == VTI_DOWN_ACTION_DELETE)
	{
		DBG1(DBG_CFG, "vti: %s removed: CHILD_SA {%u} of %s, the last with "
			 "key %u, is gone", name_of(tunnel), ref->id, ref->name,
			 tunnel->spec.key);
		this->link->remove(this->link, &tunnel->spec);
		forget_tunnel(this, tunnel);
		return;
	}
	DBG1(DBG_CFG, "vti: %s down: CHILD_SA {%u} of %s, the last with key %u, "
		 "is gone", name_of(tunnel), ref->id, ref->name, tunnel->spec.key);
	tunnel_apply(this, tunnel, FALSE);
}

/**
 * Let an SA go; the device goes down with the last one. A replaced SA that
 * leaves after a rekey is no news worth a log line at the default level.
 */
static void release_sa(private_vti_tunnels_t *this, uint32_t id,
					   level_t level)
{
	tunnel_t *tunnel;
	sa_ref_t *ref;

	tunnel = this->by_sa->remove(this->by_sa, num_key(id));
	if (!tunnel)
	{
		return;
	}
	ref = drop_ref(tunnel, id);
	if (sa_count(tunnel))
	{
		dbg(DBG_CFG, level, "vti: %s stays up: CHILD_SA {%u} gone, %d left "
			"with key %u (it served %s)", name_of(tunnel), id,
			sa_count(tunnel), tunnel->spec.key, ref->name);
		if (update_routes(tunnel))
		{
			this->link->set(this->link, &tunnel->spec, TRUE);
		}
	}
	else
	{
		tunnel_idle(this, tunnel, ref);
	}
	ref_destroy(ref);
}

METHOD(vti_tunnels_t, sa_down, void,
	private_vti_tunnels_t *this, uint32_t id)
{
	this->mutex->lock(this->mutex);
	release_sa(this, id, LEVEL_CTRL);
	this->mutex->unlock(this->mutex);
}

METHOD(vti_tunnels_t, sa_destroyed, void,
	private_vti_tunnels_t *this, uint32_t id)
{
	this->mutex->lock(this->mutex);
	release_sa(this, id, LEVEL_DIAG);
	this->mutex->unlock(this->mutex);
}

METHOD(vti_tunnels_t, sa_rekeyed, void,
	private_vti_tunnels_t *this, uint32_t old_id, uint32_t new_id)
{
	tunnel_t *tunnel;
	sa_ref_t *old, *ref;

	this->mutex->lock(this->mutex);
	tunnel = this->by_sa->get(this->by_sa, num_key(old_id));
	if (tunnel && !this->by_sa->get(this->by_sa, num_key(new_id)))
	{
		old = find_ref(tunnel, old_id, NULL);
		INIT(ref,
			.id = new_id,
			.ike_id = old->ike_id,
			.remote_ts = vti_strings_clone(old->remote_ts),
			.name = strdup(old->name),
		);
		array_insert(tunnel->sas, ARRAY_TAIL, ref);
		this->by_sa->put(this->by_sa, num_key(new_id), tunnel);
		DBG2(DBG_CFG, "vti: %s stays up: CHILD_SA {%u} rekeyed to {%u}",
			 name_of(tunnel), old_id, new_id);
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
		 name_of(tunnel), tunnel->spec.local, tunnel->spec.remote,
		 local, remote);
	tunnel->spec.local->destroy(tunnel->spec.local);
	tunnel->spec.remote->destroy(tunnel->spec.remote);
	tunnel->spec.local = local->clone(local);
	tunnel->spec.remote = remote->clone(remote);
	tunnel_apply(this, tunnel, TRUE);
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

/**
 * Give a tunnel new settings; a new name means a new device.
 */
static void tunnel_reconfigure(private_vti_tunnels_t *this, tunnel_t *tunnel,
							   vti_config_t *cfg)
{
	if (vti_config_equals(tunnel->spec.cfg, cfg))
	{
		vti_config_destroy(cfg);
		return;
	}
	DBG1(DBG_CFG, "vti: %s (%s) takes changed settings", name_of(tunnel),
		 tunnel->spec.owner);
	if (!streq(name_of(tunnel), cfg->name))
	{
		DBG1(DBG_CFG, "vti: %s is renamed to %s: the device is made anew",
			 name_of(tunnel), cfg->name);
		this->link->remove(this->link, &tunnel->spec);
	}
	vti_config_destroy(tunnel->spec.cfg);
	tunnel->spec.cfg = cfg;
	tunnel_apply(this, tunnel, sa_count(tunnel) > 0);
}

METHOD(vti_tunnels_t, reconfigure, void,
	private_vti_tunnels_t *this,
	vti_config_t *(*resolve)(char *conn, char *child, uint32_t key))
{
	enumerator_t *enumerator;
	tunnel_t *tunnel;

	this->mutex->lock(this->mutex);
	enumerator = this->tunnels->create_enumerator(this->tunnels);
	while (enumerator->enumerate(enumerator, NULL, &tunnel))
	{
		tunnel_reconfigure(this, tunnel,
						   resolve(tunnel->conn, tunnel->child,
								   tunnel->spec.key));
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
			.sa_destroyed = _sa_destroyed,
			.sa_rekeyed = _sa_rekeyed,
			.ike_rekeyed = _ike_rekeyed,
			.ike_moved = _ike_moved,
			.reconfigure = _reconfigure,
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
