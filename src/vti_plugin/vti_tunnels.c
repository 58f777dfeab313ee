/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_tunnels.h"
#include "vti_tunnel_index.h"

#include <collections/array.h>
#include <collections/hashtable.h>
#include <threading/mutex.h>

#include <time.h>

typedef struct private_vti_tunnels_t private_vti_tunnels_t;
typedef enum claim_t claim_t;

/**
 * Why an SA cannot have a device now.
 */
enum claim_t {
	/** it can */
	CLAIM_OK,
	/** its key is held by SAs between other endpoints */
	CLAIM_KEY_ELSEWHERE,
	/** its key is a %unique mark of one tunnel and a fixed key of another */
	CLAIM_KIND_MISMATCH,
	/** another key's device runs between its endpoints */
	CLAIM_ENDPOINTS_TAKEN,
	/** another tunnel's device has its name */
	CLAIM_NAME_TAKEN,
};

/**
 * Private data of the tunnel table.
 */
struct private_vti_tunnels_t {

	/** public interface */
	vti_tunnels_t public;

	/** driver for the devices */
	vti_link_t *link;

	/** seconds a dynamic device waits for a successor of its spoke */
	uint32_t successor_wait;

	/** gives the settings of a tunnel */
	vti_resolver_t resolve;

	/** the tunnels, by kind and key, SA, name, endpoints and spoke */
	vti_tunnel_index_t *index;

	/** installed SAs without a device, by unique ID, as vti_sa_t* */
	hashtable_t *waiting;

	/** counted up with every event, for status readers */
	u_int changes;

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
static inline int sa_count(vti_tunnel_t *tunnel)
{
	return vti_tunnel_sa_count(tunnel);
}

/**
 * Device name of a tunnel.
 */
static inline char *name_of(vti_tunnel_t *tunnel)
{
	return vti_tunnel_name(tunnel);
}

/**
 * Whether a device the table has no tunnel for may go to make room for a
 * tunnel's device: one of ours that is down, left by an earlier run.
 */
static bool is_leftover(private_vti_tunnels_t *this,
						vti_link_occupant_t *occupant)
{
	return occupant->ours && !occupant->up &&
		   !this->index->get_by_name(this->index, NULL, occupant->name);
}

/**
 * Log a line, only at debug level if quiet.
 */
static void log_quietly(bool quiet, char *fmt, ...)
{
	char line[512];
	va_list args;

	va_start(args, fmt);
	vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	if (quiet)
	{
		DBG2(DBG_CFG, "%s", line);
	}
	else
	{
		DBG1(DBG_CFG, "%s", line);
	}
}

/**
 * Log that a device holds what a tunnel's device needs; only at debug
 * level if quiet (a retry).
 */
static void log_occupied(vti_tunnel_t *tunnel, vti_link_occupant_t *occupant,
						 bool quiet)
{
	if (vti_tunnel_is_xfrm(tunnel) && !occupant->ours)
	{
		log_quietly(quiet, "vti: %s gets no XFRM interface: interface %s, "
					"not managed by strongswan-vti, has if_id %u already, and "
					"the kernel allows one XFRM interface per if_id; delete "
					"it to let the plugin manage this tunnel, or give the "
					"child another if_id", tunnel->spec.owner, occupant->name,
					tunnel->spec.key);
	}
	else if (vti_tunnel_is_xfrm(tunnel))
	{
		log_quietly(quiet, "vti: %s gets no XFRM interface: %s (%s) has "
					"if_id %u already", tunnel->spec.owner, occupant->name,
					occupant->owner, tunnel->spec.key);
	}
	else if (!occupant->ours)
	{
		log_quietly(quiet, "vti: %s gets no VTI: interface %s, not managed "
					"by strongswan-vti, runs between %H === %H already (key "
					"%u), and the kernel allows one VTI per pair of "
					"endpoints; delete it to let the plugin manage this "
					"tunnel", tunnel->spec.owner, occupant->name,
					tunnel->spec.local, tunnel->spec.remote, occupant->key);
	}
	else
	{
		log_quietly(quiet, "vti: %s gets no VTI: %s (%s) runs between %H "
					"=== %H already, and the kernel allows one VTI per pair "
					"of endpoints", tunnel->spec.owner, occupant->name,
					occupant->owner, tunnel->spec.local, tunnel->spec.remote);
	}
}

/**
 * Make room for a tunnel's device after the kernel refused it because
 * another device holds its endpoints or if_id: a leftover goes, anything
 * else stays and is logged. The one place that decides about devices the
 * table has no tunnel for.
 */
static bool make_room(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
					  bool quiet)
{
	vti_link_occupant_t occupant;

	if (!this->link->find_occupant(this->link, &tunnel->spec, &occupant))
	{	/* gone meanwhile */
		return TRUE;
	}
	if (!is_leftover(this, &occupant))
	{
		log_occupied(tunnel, &occupant, quiet);
		return FALSE;
	}
	if (vti_tunnel_is_xfrm(tunnel))
	{
		DBG1(DBG_CFG, "vti: %s (%s), down, removed: left by an earlier run, "
			 "%s wants its if_id %u", occupant.name, occupant.owner,
			 tunnel->spec.owner, tunnel->spec.key);
	}
	else
	{
		DBG1(DBG_CFG, "vti: %s (%s), down, removed: left by an earlier run, "
			 "%s wants its endpoints %H === %H", occupant.name,
			 occupant.owner, tunnel->spec.owner, tunnel->spec.local,
			 tunnel->spec.remote);
	}
	return this->link->discard(this->link, occupant.name);
}

/**
 * Have the driver make a tunnel's device look as its spec says, making
 * room for it once if another device is in the way; the one place that
 * asks the driver to. A refusal is logged, only at debug level if quiet.
 */
static vti_link_result_t link_set(private_vti_tunnels_t *this,
								  vti_tunnel_t *tunnel, bool up, bool quiet)
{
	vti_link_result_t result;

	result = this->link->set(this->link, &tunnel->spec, up);
	if (result == VTI_LINK_BLOCKED && make_room(this, tunnel, quiet))
	{
		result = this->link->set(this->link, &tunnel->spec, up);
	}
	return result == VTI_LINK_BLOCKED ? VTI_LINK_FAILED : result;
}

/**
 * Tell the driver what a tunnel's device should look like now.
 */
static vti_link_result_t tunnel_apply(private_vti_tunnels_t *this,
									  vti_tunnel_t *tunnel, bool up)
{
	vti_tunnel_update_routes(tunnel);
	return link_set(this, tunnel, up, FALSE);
}

/**
 * File a tunnel under another key of its kind; its device is re-keyed on
 * the next apply.
 */
static void tunnel_rekey(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
						 uint32_t key)
{
	if (tunnel->spec.key == key)
	{
		return;
	}
	this->index->remove(this->index, tunnel);
	tunnel->spec.key = tunnel->id.key = key;
	this->index->add(this->index, tunnel);
}

/**
 * Point a tunnel at the endpoints, owner and settings of an SA, filed
 * anew.
 */
static void tunnel_retarget(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
							vti_sa_t *sa)
{
	this->index->remove(this->index, tunnel);
	vti_tunnel_retarget(tunnel, sa);
	this->index->add(this->index, tunnel);
}

/**
 * Give a tunnel's device new endpoints (any as remote for a shared
 * device), filed anew.
 */
static void tunnel_set_endpoints(private_vti_tunnels_t *this,
								 vti_tunnel_t *tunnel, host_t *local,
								 host_t *remote)
{
	this->index->remove(this->index, tunnel);
	vti_tunnel_set_endpoints(tunnel, local, remote);
	this->index->add(this->index, tunnel);
}

/**
 * Give a tunnel new settings, filed anew under their name.
 */
static void tunnel_set_config(private_vti_tunnels_t *this,
							  vti_tunnel_t *tunnel, vti_config_t *cfg)
{
	this->index->remove(this->index, tunnel);
	vti_config_destroy(tunnel->spec.cfg);
	tunnel->spec.cfg = cfg;
	this->index->add(this->index, tunnel);
}

/**
 * Forget a tunnel, and leave its device to the driver.
 */
static void tunnel_forget(private_vti_tunnels_t *this, vti_tunnel_t *tunnel)
{
	this->index->remove(this->index, tunnel);
	vti_tunnel_destroy(tunnel);
}

/**
 * Remove a tunnel's device and forget the tunnel.
 */
static void tunnel_remove(private_vti_tunnels_t *this, vti_tunnel_t *tunnel)
{
	this->link->remove(this->link, &tunnel->spec);
	tunnel_forget(this, tunnel);
}

/**
 * The kernel's rule for VTIs: one device per pair of outer endpoints,
 * whatever its key, since it tells them apart by those addresses alone (a
 * shared device's pair is its local address and any). Finds a VTI other
 * than the one given, active or idle as asked, whose device runs between
 * the endpoints of an SA; NULL if there is none. XFRM interfaces are tied
 * to no endpoints: the rule neither binds an XFRM SA nor counts an XFRM
 * device. The one place that knows which devices the rule binds.
 */
static vti_tunnel_t *endpoint_twin(private_vti_tunnels_t *this,
								   vti_tunnel_t *own, vti_sa_t *sa,
								   bool active)
{
	enumerator_t *enumerator;
	vti_tunnel_t *tunnel, *found = NULL;
	host_t *remote;

	if (vti_sa_is_xfrm(sa))
	{
		return NULL;
	}
	remote = vti_sa_device_remote(sa);
	enumerator = this->index->create_between_enumerator(this->index,
											VTI_KIND_VTI, sa->local, remote);
	while (!found && enumerator->enumerate(enumerator, &tunnel))
	{
		if (tunnel != own && (sa_count(tunnel) > 0) == active)
		{
			found = tunnel;
		}
	}
	enumerator->destroy(enumerator);
	remote->destroy(remote);
	return found;
}

/**
 * Remove idle tunnels other than the one given between the endpoints of an
 * SA, so that the SA's device can be made.
 */
static void retire_idle_twins(private_vti_tunnels_t *this, vti_tunnel_t *own,
							  vti_sa_t *sa)
{
	vti_tunnel_t *tunnel;

	while ((tunnel = endpoint_twin(this, own, sa, FALSE)))
	{
		DBG1(DBG_CFG, "vti: %s (%s), down, removed: key %u of '%s' wants "
			 "its endpoints %H === %H", name_of(tunnel), tunnel->spec.owner,
			 sa->key, sa->conn, sa->local, sa->remote);
		tunnel_remove(this, tunnel);
	}
}

/**
 * Whether an SA may have the tunnel given (NULL for a new one), and if
 * not, which tunnel is in the way.
 */
static claim_t check_claim(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
						   vti_sa_t *sa, vti_tunnel_t **other)
{
	char *name = sa->cfg->name;

	*other = tunnel;
	if (tunnel && tunnel->dynamic != sa->dynamic)
	{
		return CLAIM_KIND_MISMATCH;
	}
	if (tunnel && sa_count(tunnel) && !vti_tunnel_fits_endpoints(tunnel, sa) &&
		!vti_tunnel_serves_spoke(tunnel, sa))
	{
		return CLAIM_KEY_ELSEWHERE;
	}
	*other = endpoint_twin(this, tunnel, sa, TRUE);
	if (*other)
	{
		return CLAIM_ENDPOINTS_TAKEN;
	}
	if (tunnel && tunnel->dynamic)
	{
		name = name_of(tunnel);
	}
	*other = this->index->get_by_name(this->index, tunnel, name);
	if (*other)
	{
		return CLAIM_NAME_TAKEN;
	}
	return CLAIM_OK;
}

/**
 * Log why an SA gets no VTI for now.
 */
static void log_refusal(vti_sa_t *sa, claim_t claim, vti_tunnel_t *other)
{
	switch (claim)
	{
		case CLAIM_KEY_ELSEWHERE:
			DBG1(DBG_CFG, "vti: CHILD_SA %s{%u} of '%s' gets no VTI yet: key "
				 "%u is held by %s for %H === %H (%s); it gets the key when "
				 "those SAs are gone, or give this child another mark",
				 sa->child, sa->id, sa->conn, sa->key, name_of(other),
				 other->spec.local, other->spec.remote, other->spec.owner);
			break;
		case CLAIM_KIND_MISMATCH:
			DBG1(DBG_CFG, "vti: CHILD_SA %s{%u} of '%s' gets no VTI yet: its "
				 "%s %u is the %s of %s (%s); give fixed-key children marks "
				 "above the number of %%unique SAs charon will allocate",
				 sa->child, sa->id, sa->conn,
				 sa->dynamic ? "%unique mark" : "key", sa->key,
				 other->dynamic ? "%unique mark" : "fixed key",
				 name_of(other), other->spec.owner);
			break;
		case CLAIM_ENDPOINTS_TAKEN:
			DBG1(DBG_CFG, "vti: CHILD_SA %s{%u} of '%s' gets no VTI yet: %s "
				 "(key %u, %s) runs between %H === %H already, and the "
				 "kernel allows one VTI per pair of endpoints; give all "
				 "children to this peer one mark", sa->child, sa->id,
				 sa->conn, name_of(other), other->spec.key,
				 other->spec.owner, sa->local, sa->remote);
			break;
		case CLAIM_NAME_TAKEN:
			DBG1(DBG_CFG, "vti: CHILD_SA %s{%u} of '%s' gets no VTI yet: the "
				 "name %s is taken by key %u (%s); give the "
				 "charon.plugins.vti name setting a %%k", sa->child, sa->id,
				 sa->conn, name_of(other), other->spec.key,
				 other->spec.owner);
			break;
		case CLAIM_OK:
			break;
	}
}

/**
 * Find the tunnel an SA gets, creating, retargeting or re-keying it as
 * needed; NULL if it cannot have one now (logged unless quiet). Tells
 * whether a tunnel with SAs was re-keyed for a spoke's successor.
 */
static vti_tunnel_t *claim_tunnel(private_vti_tunnels_t *this, vti_sa_t *sa,
							  bool quiet, bool *rekeyed)
{
	vti_tunnel_t *tunnel, *other;
	claim_t claim;

	tunnel = this->index->get_by_key(this->index, sa->kind, sa->key);
	if (!tunnel)
	{
		tunnel = this->index->get_spoke(this->index, sa);
	}
	else if (tunnel->dynamic && !sa->dynamic && !sa_count(tunnel))
	{	/* a spoke's idle device waiting for a successor gives way */
		DBG1(DBG_CFG, "vti: %s (%s), down, removed: key %u is '%s''s now",
			 name_of(tunnel), tunnel->spec.owner, sa->key, sa->conn);
		tunnel_remove(this, tunnel);
		tunnel = NULL;
	}
	claim = check_claim(this, tunnel, sa, &other);
	if (claim != CLAIM_OK)
	{
		if (!quiet)
		{
			log_refusal(sa, claim, other);
		}
		return NULL;
	}
	retire_idle_twins(this, tunnel, sa);
	if (!tunnel)
	{
		if (sa->dynamic && sa->cfg->remote == VTI_REMOTE_ANY)
		{
			DBG1(DBG_CFG, "vti: %s/%s: remote = any is ignored for %%unique "
				 "marks, each peer gets a VTI of its own; give the child a "
				 "fixed mark to share one VTI among peers", sa->conn,
				 sa->child);
		}
		tunnel = vti_tunnel_create(sa);
		this->index->add(this->index, tunnel);
	}
	else if (tunnel->dynamic && tunnel->spec.key != sa->key)
	{
		DBG1(DBG_CFG, "vti: %s (%s) is re-keyed from %u to %u for CHILD_SA "
			 "%s{%u}, the spoke's successor", name_of(tunnel),
			 tunnel->spec.owner, tunnel->spec.key, sa->key, sa->child,
			 sa->id);
		tunnel_rekey(this, tunnel, sa->key);
		tunnel_retarget(this, tunnel, sa);
		vti_tunnel_note(tunnel, TRUE, "re-keyed for CHILD_SA %s{%u}, the spoke's "
					"successor", sa->child, sa->id);
		*rekeyed = TRUE;
	}
	else if (!sa_count(tunnel))
	{
		tunnel_retarget(this, tunnel, sa);
	}
	return tunnel;
}

/**
 * Record an SA copy of the table's as holding a tunnel's key; the newest
 * SA sets the overhead.
 */
static void add_sa(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
				   vti_sa_t *sa)
{
	vti_tunnel_add_sa(tunnel, sa);
	this->index->add_sa(this->index, sa->id, tunnel);
}

/**
 * Take an SA off a tunnel's list; the caller frees it.
 */
static vti_sa_t *drop_sa(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
						 uint32_t id)
{
	this->index->remove_sa(this->index, id);
	return vti_tunnel_drop_sa(tunnel, id);
}

/**
 * Bring up the device of a tunnel whose first SA arrives. On failure the
 * SA leaves it again, back to the caller, and a tunnel made for it is
 * forgotten; a device in the way is logged only at debug level if quiet.
 */
static bool first_sa_up(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
						vti_sa_t *sa, bool quiet)
{
	add_sa(this, tunnel, sa);
	vti_tunnel_update_routes(tunnel);
	if (!link_set(this, tunnel, TRUE, quiet))
	{
		drop_sa(this, tunnel, sa->id);
		if (tunnel->dynamic)
		{	/* a spoke's device left down would serve nobody */
			tunnel_remove(this, tunnel);
		}
		else
		{
			tunnel_forget(this, tunnel);
		}
		return FALSE;
	}
	if (vti_tunnel_is_xfrm(tunnel))
	{
		DBG1(DBG_CFG, "vti: %s up (xfrm, if_id %u): CHILD_SA %s{%u} of '%s' "
			 "installed", name_of(tunnel), tunnel->spec.key, sa->child,
			 sa->id, sa->conn);
	}
	else
	{
		DBG1(DBG_CFG, "vti: %s up (key %u, %H === %H): CHILD_SA %s{%u} of "
			 "'%s' installed", name_of(tunnel), tunnel->spec.key,
			 tunnel->spec.local, tunnel->spec.remote, sa->child, sa->id,
			 sa->conn);
	}
	vti_tunnel_note(tunnel, TRUE, "CHILD_SA %s{%u} installed", sa->child, sa->id);
	return TRUE;
}

/**
 * Add an SA to a tunnel whose device is up already; the device changes
 * only if the SA brings a new key, endpoints, overhead or routes.
 */
static void another_sa_up(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
						  vti_sa_t *sa, bool changed)
{
	vti_overhead_t overhead = tunnel->spec.overhead;

	add_sa(this, tunnel, sa);
	changed |= vti_tunnel_update_routes(tunnel);
	changed |= !memeq(&overhead, &sa->overhead, sizeof(overhead));
	DBG1(DBG_CFG, "vti: %s stays up: CHILD_SA %s{%u} of '%s' joins, %d with "
		 "key %u", name_of(tunnel), sa->child, sa->id, sa->conn,
		 sa_count(tunnel), tunnel->spec.key);
	if (changed)
	{
		link_set(this, tunnel, TRUE, FALSE);
	}
}

/**
 * Give an SA copy of the table's its device if it can have one now, which
 * then holds the copy; FALSE if not, and the copy stays the caller's.
 */
static bool place_sa(private_vti_tunnels_t *this, vti_sa_t *sa, bool quiet)
{
	vti_tunnel_t *tunnel;
	bool rekeyed = FALSE;

	tunnel = claim_tunnel(this, sa, quiet, &rekeyed);
	if (!tunnel)
	{
		return FALSE;
	}
	if (sa_count(tunnel))
	{
		another_sa_up(this, tunnel, sa, rekeyed);
		return TRUE;
	}
	return first_sa_up(this, tunnel, sa, quiet);
}

/**
 * Remember an SA copy of the table's that has no device for now.
 */
static void wait_for_device(private_vti_tunnels_t *this, vti_sa_t *sa)
{
	vti_sa_t *old;

	old = this->waiting->put(this->waiting, num_key(sa->id), sa);
	if (old)
	{
		vti_sa_destroy(old);
	}
}

/**
 * Try again to place the SAs that have no device yet.
 */
static void place_waiting(private_vti_tunnels_t *this)
{
	enumerator_t *enumerator;
	array_t *ids;
	vti_sa_t *sa;
	uintptr_t id;

	if (!this->waiting->get_count(this->waiting))
	{
		return;
	}
	ids = array_create(sizeof(uintptr_t), 0);
	enumerator = this->waiting->create_enumerator(this->waiting);
	while (enumerator->enumerate(enumerator, NULL, &sa))
	{
		id = sa->id;
		array_insert(ids, ARRAY_TAIL, &id);
	}
	enumerator->destroy(enumerator);
	while (array_remove(ids, ARRAY_HEAD, &id))
	{
		sa = this->waiting->get(this->waiting, (void*)id);
		if (sa && place_sa(this, sa, TRUE))
		{
			DBG1(DBG_CFG, "vti: CHILD_SA %s{%u} of '%s' has its VTI now",
				 sa->child, sa->id, sa->conn);
			this->waiting->remove(this->waiting, (void*)id);
		}
	}
	array_destroy(ids);
}

/**
 * Whether an SA is known to the table, with a device or waiting.
 */
static bool is_known(private_vti_tunnels_t *this, uint32_t id)
{
	return this->index->get_by_sa(this->index, id) ||
		   this->waiting->get(this->waiting, num_key(id));
}

/**
 * The settings of an SA: those of the tunnel filed under its kind and key
 * if they were resolved for its connection and child too (a rekey's
 * successor, a reauthentication, another peer of a shared device), else
 * resolved. The tunnels' settings are current: reconfigure() resolves
 * them all anew.
 */
static vti_config_t *settings_for(private_vti_tunnels_t *this, vti_sa_t *sa)
{
	vti_tunnel_t *tunnel;

	tunnel = this->index->get_by_key(this->index, sa->kind, sa->key);
	if (tunnel && vti_tunnel_settings_fit(tunnel, sa))
	{
		return vti_config_get_ref(tunnel->settings);
	}
	return this->resolve(sa->conn, sa->child, sa->kind, sa->key);
}

/**
 * The table's own copy of an SA from an event, with its settings.
 */
static vti_sa_t *keep_sa(private_vti_tunnels_t *this, vti_sa_t *sa)
{
	sa = vti_sa_clone(sa);
	vti_config_destroy(sa->cfg);
	sa->cfg = settings_for(this, sa);
	return sa;
}

METHOD(vti_tunnels_t, sa_up, void,
	private_vti_tunnels_t *this, vti_sa_t *sa)
{
	this->mutex->lock(this->mutex);
	this->changes++;
	if (!is_known(this, sa->id))
	{
		sa = keep_sa(this, sa);
		if (!place_sa(this, sa, FALSE))
		{
			wait_for_device(this, sa);
		}
	}
	this->mutex->unlock(this->mutex);
}

/**
 * Take down a tunnel whose last SA went away.
 */
static void tunnel_idle(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
						vti_sa_t *last)
{
	if (tunnel->dynamic && this->successor_wait)
	{
		DBG1(DBG_CFG, "vti: %s down: CHILD_SA %s{%u} of '%s', the last with "
			 "key %u, is gone; the device waits up to %us for the spoke's "
			 "successor", name_of(tunnel), last->child, last->id, last->conn,
			 tunnel->spec.key, this->successor_wait);
		tunnel->idle_since = time_monotonic(NULL);
		vti_tunnel_note(tunnel, FALSE, "last CHILD_SA %s{%u} gone, waits for the "
					"spoke's successor", last->child, last->id);
		tunnel_apply(this, tunnel, FALSE);
		return;
	}
	if (tunnel->dynamic ||
		tunnel->spec.cfg->down_action == VTI_DOWN_ACTION_DELETE)
	{
		DBG1(DBG_CFG, "vti: %s removed: CHILD_SA %s{%u} of '%s', the last "
			 "with key %u, is gone", name_of(tunnel), last->child, last->id,
			 last->conn, tunnel->spec.key);
		tunnel_remove(this, tunnel);
		return;
	}
	DBG1(DBG_CFG, "vti: %s down: CHILD_SA %s{%u} of '%s', the last with key "
		 "%u, is gone", name_of(tunnel), last->child, last->id, last->conn,
		 tunnel->spec.key);
	vti_tunnel_note(tunnel, FALSE, "last CHILD_SA %s{%u} gone", last->child,
				last->id);
	tunnel_apply(this, tunnel, FALSE);
}

/**
 * Align a tunnel that keeps SAs after one left: a dynamic device follows
 * its newest SA's key and endpoints, any device its routes.
 */
static void tunnel_shrunk(private_vti_tunnels_t *this, vti_tunnel_t *tunnel)
{
	vti_sa_t *newest = vti_tunnel_newest_sa(tunnel);
	bool changed = vti_tunnel_update_routes(tunnel);

	if (tunnel->dynamic && (newest->key != tunnel->spec.key ||
							!vti_tunnel_fits_endpoints(tunnel, newest)))
	{
		tunnel_rekey(this, tunnel, newest->key);
		tunnel_retarget(this, tunnel, newest);
		changed = TRUE;
	}
	if (changed)
	{
		tunnel_apply(this, tunnel, TRUE);
	}
}

/**
 * Let an SA go; the device goes down with the last one. A replaced SA that
 * leaves after a rekey is no news worth a log line at the default level.
 * Returns whether a device was freed or changed, which may let waiting SAs
 * in.
 */
static bool release_sa(private_vti_tunnels_t *this, uint32_t id,
					   level_t level)
{
	vti_tunnel_t *tunnel;
	vti_sa_t *sa;

	sa = this->waiting->remove(this->waiting, num_key(id));
	if (sa)
	{
		vti_sa_destroy(sa);
		return FALSE;
	}
	tunnel = this->index->get_by_sa(this->index, id);
	if (!tunnel)
	{
		return FALSE;
	}
	sa = drop_sa(this, tunnel, id);
	if (sa_count(tunnel))
	{
		dbg(DBG_CFG, level, "vti: %s stays up: CHILD_SA {%u} gone, %d left "
			"with key %u (it served %s/%s)", name_of(tunnel), id,
			sa_count(tunnel), tunnel->spec.key, sa->conn, sa->child);
		tunnel_shrunk(this, tunnel);
	}
	else
	{
		tunnel_idle(this, tunnel, sa);
	}
	vti_sa_destroy(sa);
	return TRUE;
}

METHOD(vti_tunnels_t, sa_down, void,
	private_vti_tunnels_t *this, uint32_t id)
{
	this->mutex->lock(this->mutex);
	this->changes++;
	if (release_sa(this, id, LEVEL_CTRL))
	{
		place_waiting(this);
	}
	this->mutex->unlock(this->mutex);
}

METHOD(vti_tunnels_t, ike_down, void,
	private_vti_tunnels_t *this, uint32_t *ids, u_int count)
{
	bool freed = FALSE;
	vti_sa_t *sa;
	u_int i;

	this->mutex->lock(this->mutex);
	this->changes++;
	for (i = 0; i < count; i++)
	{	/* its waiting SAs first: they must not take what the others free */
		sa = this->waiting->remove(this->waiting, num_key(ids[i]));
		if (sa)
		{
			vti_sa_destroy(sa);
		}
	}
	for (i = 0; i < count; i++)
	{
		freed |= release_sa(this, ids[i], LEVEL_CTRL);
	}
	if (freed)
	{
		place_waiting(this);
	}
	this->mutex->unlock(this->mutex);
}

METHOD(vti_tunnels_t, sa_destroyed, void,
	private_vti_tunnels_t *this, uint32_t id)
{
	this->mutex->lock(this->mutex);
	this->changes++;
	if (release_sa(this, id, LEVEL_DIAG))
	{
		place_waiting(this);
	}
	this->mutex->unlock(this->mutex);
}

/**
 * Add a rekeyed SA's successor, a copy of the table's, to its tunnel: its
 * selectors and overhead are the successor's own.
 */
static void successor_joins(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
							uint32_t old_id, vti_sa_t *sa)
{
	vti_overhead_t overhead = tunnel->spec.overhead;
	bool changed;

	add_sa(this, tunnel, sa);
	changed = vti_tunnel_update_routes(tunnel);
	changed |= !memeq(&overhead, &sa->overhead, sizeof(overhead));
	DBG2(DBG_CFG, "vti: %s stays up: CHILD_SA {%u} rekeyed to {%u}",
		 name_of(tunnel), old_id, sa->id);
	if (changed)
	{
		link_set(this, tunnel, TRUE, FALSE);
	}
}

METHOD(vti_tunnels_t, sa_rekeyed, void,
	private_vti_tunnels_t *this, uint32_t old_id, vti_sa_t *sa)
{
	vti_tunnel_t *tunnel;
	bool was_waiting;

	this->mutex->lock(this->mutex);
	this->changes++;
	if (!is_known(this, sa->id))
	{
		tunnel = this->index->get_by_sa(this->index, old_id);
		was_waiting = this->waiting->get(this->waiting,
										 num_key(old_id)) != NULL;
		sa = keep_sa(this, sa);
		if (tunnel && tunnel->spec.key == sa->key)
		{
			successor_joins(this, tunnel, old_id, sa);
		}
		else if (!place_sa(this, sa, was_waiting))
		{
			wait_for_device(this, sa);
		}
	}
	this->mutex->unlock(this->mutex);
}

/**
 * Let an XFRM interface follow its SAs' move: the device has no endpoints,
 * so it changes only if the MTU or the routes that spare the outer
 * addresses do.
 */
static void xfrm_follow(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
						vti_overhead_t overhead, host_t *local,
						host_t *device)
{
	bool changed;

	tunnel_set_endpoints(this, tunnel, local, device);
	changed = vti_tunnel_update_routes(tunnel);
	changed |= !memeq(&overhead, &tunnel->spec.overhead, sizeof(overhead));
	if (changed)
	{
		link_set(this, tunnel, TRUE, FALSE);
	}
}

/**
 * Move a tunnel's moving SAs to new endpoints, and its device with them.
 */
static void tunnel_move(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
						vti_sa_move_t *moves, u_int count, host_t *local,
						host_t *remote)
{
	vti_overhead_t overhead = tunnel->spec.overhead;
	vti_sa_move_t *move;
	vti_sa_t *sa, *newest;
	host_t *device;
	int i;

	for (i = 0; i < sa_count(tunnel); i++)
	{
		array_get(tunnel->sas, i, &sa);
		move = vti_sa_find_move(moves, count, sa->id);
		if (move)
		{
			vti_sa_move(sa, local, remote, move);
		}
	}
	newest = vti_tunnel_newest_sa(tunnel);
	tunnel->spec.overhead = newest->overhead;
	memcpy(tunnel->spec.underlay, newest->underlay,
		   sizeof(tunnel->spec.underlay));
	device = vti_tunnel_shared(tunnel) ?
						host_create_any(remote->get_family(remote)) :
						remote->clone(remote);
	if (vti_tunnel_is_xfrm(tunnel))
	{
		xfrm_follow(this, tunnel, overhead, local, device);
	}
	else if (!vti_tunnel_runs_between(tunnel, local, device) ||
			 !memeq(&overhead, &tunnel->spec.overhead, sizeof(overhead)))
	{
		DBG1(DBG_CFG, "vti: %s moves from %H === %H to %H === %H",
			 name_of(tunnel), tunnel->spec.local, tunnel->spec.remote,
			 local, device);
		retire_idle_twins(this, tunnel, newest);
		tunnel_set_endpoints(this, tunnel, local, device);
		vti_tunnel_note(tunnel, TRUE, "moved to %H === %H", local, device);
		tunnel_apply(this, tunnel, TRUE);
	}
	device->destroy(device);
}

/**
 * Take the moving SAs off a tunnel that other SAs keep between the old
 * endpoints: they wait for the key there.
 */
static void tunnel_split(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
						 vti_sa_move_t *moves, u_int count, host_t *local,
						 host_t *remote)
{
	vti_sa_move_t *move;
	vti_sa_t *sa;
	int i;

	for (i = sa_count(tunnel) - 1; i >= 0; i--)
	{
		array_get(tunnel->sas, i, &sa);
		move = vti_sa_find_move(moves, count, sa->id);
		if (!move)
		{
			continue;
		}
		sa = drop_sa(this, tunnel, sa->id);
		vti_sa_move(sa, local, remote, move);
		DBG1(DBG_CFG, "vti: CHILD_SA %s{%u} of '%s' moves to %H === %H, but "
			 "%s stays between %H === %H for other SAs with key %u; the "
			 "moved SA waits for the key", sa->child, sa->id, sa->conn,
			 local, remote, name_of(tunnel), tunnel->spec.local,
			 tunnel->spec.remote, tunnel->spec.key);
		this->waiting->put(this->waiting, num_key(sa->id), sa);
	}
	tunnel_shrunk(this, tunnel);
}

/**
 * Whether an array of pointers holds one.
 */
static bool array_holds(array_t *array, void *ptr)
{
	void *current;
	int i;

	for (i = 0; i < array_count(array); i++)
	{
		if (array_get(array, i, &current) && current == ptr)
		{
			return TRUE;
		}
	}
	return FALSE;
}

/**
 * The tunnels that hold any of the moving SAs, each once.
 */
static array_t *moving_tunnels(private_vti_tunnels_t *this,
							   vti_sa_move_t *moves, u_int count)
{
	array_t *tunnels;
	vti_tunnel_t *tunnel;
	u_int i;

	tunnels = array_create(0, 0);
	for (i = 0; i < count; i++)
	{
		tunnel = this->index->get_by_sa(this->index, moves[i].id);
		if (tunnel && !array_holds(tunnels, tunnel))
		{
			array_insert(tunnels, ARRAY_TAIL, tunnel);
		}
	}
	return tunnels;
}

/**
 * Move the waiting SAs among the moves to the new endpoints.
 */
static void move_waiting(private_vti_tunnels_t *this, vti_sa_move_t *moves,
						 u_int count, host_t *local, host_t *remote)
{
	vti_sa_t *sa;
	u_int i;

	for (i = 0; i < count; i++)
	{
		sa = this->waiting->get(this->waiting, num_key(moves[i].id));
		if (sa)
		{
			vti_sa_move(sa, local, remote, &moves[i]);
		}
	}
}

METHOD(vti_tunnels_t, ike_moved, void,
	private_vti_tunnels_t *this, vti_sa_move_t *moves, u_int count,
	host_t *local, host_t *remote)
{
	array_t *tunnels;
	vti_tunnel_t *tunnel;

	this->mutex->lock(this->mutex);
	this->changes++;
	move_waiting(this, moves, count, local, remote);
	tunnels = moving_tunnels(this, moves, count);
	while (array_remove(tunnels, ARRAY_HEAD, &tunnel))
	{
		if (vti_tunnel_all_sas_move(tunnel, moves, count) ||
			vti_tunnel_moves_in_place(tunnel, local))
		{
			tunnel_move(this, tunnel, moves, count, local, remote);
		}
		else
		{
			tunnel_split(this, tunnel, moves, count, local, remote);
		}
	}
	array_destroy(tunnels);
	place_waiting(this);
	this->mutex->unlock(this->mutex);
}

/**
 * Point a tunnel's device at the remote address its new settings ask for:
 * any, or its newest SA's peer, whose key the SAs of other peers then wait
 * for. The endpoints change, so the tunnel is filed anew.
 */
static void tunnel_reshare(private_vti_tunnels_t *this, vti_tunnel_t *tunnel)
{
	vti_sa_t *newest = vti_tunnel_newest_sa(tunnel), *sa;
	host_t *any;
	int i;

	if (vti_tunnel_shared(tunnel))
	{
		any = host_create_any(tunnel->spec.remote->get_family(
														tunnel->spec.remote));
		tunnel_set_endpoints(this, tunnel, tunnel->spec.local, any);
		any->destroy(any);
		return;
	}
	if (!newest)
	{
		return;
	}
	tunnel_set_endpoints(this, tunnel, tunnel->spec.local, newest->remote);
	for (i = sa_count(tunnel) - 1; i >= 0; i--)
	{
		array_get(tunnel->sas, i, &sa);
		if (!sa->remote->ip_equals(sa->remote, tunnel->spec.remote))
		{
			sa = drop_sa(this, tunnel, sa->id);
			DBG1(DBG_CFG, "vti: CHILD_SA %s{%u} of '%s' waits for key %u: %s "
				 "is no longer shared (remote = peer) and serves %H",
				 sa->child, sa->id, sa->conn, tunnel->spec.key,
				 name_of(tunnel), tunnel->spec.remote);
			this->waiting->put(this->waiting, num_key(sa->id), sa);
		}
	}
}

/**
 * The settings of a tunnel's device from those resolved for it, under the
 * naming rules: a dynamic device keeps its name, and no two devices get
 * the same one.
 */
static vti_config_t *device_settings(private_vti_tunnels_t *this,
									 vti_tunnel_t *tunnel,
									 vti_config_t *settings)
{
	vti_tunnel_t *other;

	if (streq(settings->name, name_of(tunnel)))
	{
		return vti_config_get_ref(settings);
	}
	other = tunnel->dynamic ? NULL
							  : this->index->get_by_name(this->index, tunnel,
														 settings->name);
	if (other)
	{
		DBG1(DBG_CFG, "vti: %s (%s) keeps its name: the new name %s is taken "
			 "by key %u (%s); give the charon.plugins.vti name setting a %%k",
			 name_of(tunnel), tunnel->spec.owner, settings->name,
			 other->spec.key, other->spec.owner);
	}
	if (other || tunnel->dynamic)
	{
		return vti_config_with_name(settings, name_of(tunnel));
	}
	return vti_config_get_ref(settings);
}

/**
 * Give a tunnel settings resolved anew (adopted); a new name means a new
 * device, a new remote setting new endpoints. Unchanged settings change
 * nothing but the object the tunnel holds.
 */
static void tunnel_reconfigure(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
							   vti_config_t *settings)
{
	vti_config_t *cfg;
	bool reshare;

	vti_config_destroy(tunnel->settings);
	tunnel->settings = settings;
	cfg = device_settings(this, tunnel, settings);
	if (vti_config_equals(tunnel->spec.cfg, cfg))
	{
		tunnel_set_config(this, tunnel, cfg);
		return;
	}
	reshare = tunnel->spec.cfg->remote != cfg->remote;
	DBG1(DBG_CFG, "vti: %s (%s) takes changed settings", name_of(tunnel),
		 tunnel->spec.owner);
	if (!streq(name_of(tunnel), cfg->name))
	{
		DBG1(DBG_CFG, "vti: %s is renamed to %s: the device is made anew",
			 name_of(tunnel), cfg->name);
		this->link->remove(this->link, &tunnel->spec);
	}
	tunnel_set_config(this, tunnel, cfg);
	if (reshare)
	{
		tunnel_reshare(this, tunnel);
	}
	tunnel_apply(this, tunnel, sa_count(tunnel) > 0);
}

/**
 * Give an SA copy settings of its own, resolved anew.
 */
static void resolve_sa(private_vti_tunnels_t *this, vti_sa_t *sa)
{
	vti_config_destroy(sa->cfg);
	sa->cfg = this->resolve(sa->conn, sa->child, sa->kind, sa->key);
}

/**
 * Resolve the settings of a tunnel anew and give them to its SAs they fit;
 * the others get theirs resolved too.
 */
static vti_config_t *resolve_tunnel(private_vti_tunnels_t *this,
									vti_tunnel_t *tunnel)
{
	vti_config_t *settings;
	vti_sa_t *sa;
	int i;

	settings = this->resolve(tunnel->conn, tunnel->child, tunnel->id.kind,
							 tunnel->spec.key);
	for (i = 0; i < sa_count(tunnel); i++)
	{
		array_get(tunnel->sas, i, &sa);
		if (vti_tunnel_settings_fit(tunnel, sa))
		{
			vti_config_destroy(sa->cfg);
			sa->cfg = vti_config_get_ref(settings);
		}
		else
		{
			resolve_sa(this, sa);
		}
	}
	return settings;
}

METHOD(vti_tunnels_t, reconfigure, void,
	private_vti_tunnels_t *this)
{
	enumerator_t *enumerator;
	vti_tunnel_t *tunnel;
	array_t *all;
	vti_sa_t *sa;

	this->mutex->lock(this->mutex);
	this->changes++;
	all = this->index->get_all(this->index);
	while (array_remove(all, ARRAY_HEAD, &tunnel))
	{
		tunnel_reconfigure(this, tunnel, resolve_tunnel(this, tunnel));
	}
	array_destroy(all);
	enumerator = this->waiting->create_enumerator(this->waiting);
	while (enumerator->enumerate(enumerator, NULL, &sa))
	{
		resolve_sa(this, sa);
	}
	enumerator->destroy(enumerator);
	place_waiting(this);
	this->mutex->unlock(this->mutex);
}

/**
 * Whether a dynamic tunnel has waited for a successor long enough.
 */
static bool successor_late(private_vti_tunnels_t *this, vti_tunnel_t *tunnel,
						   time_t now)
{
	return tunnel->dynamic && !sa_count(tunnel) && tunnel->idle_since &&
		   now - tunnel->idle_since >= (time_t)this->successor_wait;
}

/**
 * Restore a tunnel's device if it drifted from what its SAs need.
 */
static void tunnel_restore(private_vti_tunnels_t *this, vti_tunnel_t *tunnel)
{
	vti_sa_t *sa = vti_tunnel_newest_sa(tunnel);

	switch (link_set(this, tunnel, TRUE, FALSE))
	{
		case VTI_LINK_CREATED:
			DBG1(DBG_CFG, "vti: %s restored: it was gone while CHILD_SA "
				 "%s{%u} of '%s' is installed", name_of(tunnel), sa->child,
				 sa->id, sa->conn);
			vti_tunnel_note(tunnel, TRUE, "restored by the reconcile");
			this->changes++;
			break;
		case VTI_LINK_CHANGED:
			DBG1(DBG_CFG, "vti: %s repaired: it was down or changed while "
				 "CHILD_SA %s{%u} of '%s' is installed", name_of(tunnel),
				 sa->child, sa->id, sa->conn);
			vti_tunnel_note(tunnel, TRUE, "repaired by the reconcile");
			this->changes++;
			break;
		default:
			break;
	}
}

METHOD(vti_tunnels_t, reconcile, void,
	private_vti_tunnels_t *this)
{
	vti_tunnel_t *tunnel;
	array_t *all;
	time_t now = time_monotonic(NULL);

	this->mutex->lock(this->mutex);
	all = this->index->get_all(this->index);
	while (array_remove(all, ARRAY_HEAD, &tunnel))
	{
		if (successor_late(this, tunnel, now))
		{
			DBG1(DBG_CFG, "vti: %s (%s) removed: no successor of its spoke "
				 "came within %us", name_of(tunnel), tunnel->spec.owner,
				 this->successor_wait);
			tunnel_remove(this, tunnel);
		}
		else if (sa_count(tunnel))
		{
			tunnel_restore(this, tunnel);
		}
	}
	array_destroy(all);
	place_waiting(this);
	this->link->check(this->link);
	this->mutex->unlock(this->mutex);
}

METHOD(vti_tunnels_t, protect, void,
	private_vti_tunnels_t *this, char *holder, char *owner,
	linked_list_t *prefixes, uint32_t table, uint32_t metric)
{
	this->mutex->lock(this->mutex);
	this->link->protect(this->link, holder, owner, prefixes, table, metric);
	this->mutex->unlock(this->mutex);
}

METHOD(vti_tunnels_t, sweep, void,
	private_vti_tunnels_t *this, linked_list_t *owners)
{
	enumerator_t *enumerator;
	linked_list_t *all;
	vti_tunnel_t *tunnel;

	this->mutex->lock(this->mutex);
	all = linked_list_create_from_enumerator(
								owners->create_enumerator(owners));
	enumerator = this->index->create_enumerator(this->index);
	while (enumerator->enumerate(enumerator, &tunnel))
	{
		all->insert_last(all, tunnel->spec.owner);
	}
	enumerator->destroy(enumerator);
	this->link->sweep(this->link, all);
	all->destroy(all);
	this->mutex->unlock(this->mutex);
}

/*
 * Described in header
 */
void vti_tunnel_status_destroy(vti_tunnel_status_t *status)
{
	free(status->owner);
	free(status->reason);
	free(status);
}

METHOD(vti_tunnels_t, get_status, linked_list_t*,
	private_vti_tunnels_t *this, u_int *changes)
{
	enumerator_t *enumerator;
	linked_list_t *list;
	vti_tunnel_t *tunnel;

	list = linked_list_create();
	this->mutex->lock(this->mutex);
	enumerator = this->index->create_enumerator(this->index);
	while (enumerator->enumerate(enumerator, &tunnel))
	{
		list->insert_last(list, vti_tunnel_get_status(tunnel));
	}
	enumerator->destroy(enumerator);
	*changes = this->changes;
	this->mutex->unlock(this->mutex);
	return list;
}

METHOD(vti_tunnels_t, get_changes, u_int,
	private_vti_tunnels_t *this)
{
	u_int changes;

	this->mutex->lock(this->mutex);
	changes = this->changes;
	this->mutex->unlock(this->mutex);
	return changes;
}

METHOD(vti_tunnels_t, get_count, u_int,
	private_vti_tunnels_t *this)
{
	u_int count;

	this->mutex->lock(this->mutex);
	count = this->index->get_count(this->index);
	this->mutex->unlock(this->mutex);
	return count;
}

METHOD(vti_tunnels_t, get_waiting_count, u_int,
	private_vti_tunnels_t *this)
{
	u_int count;

	this->mutex->lock(this->mutex);
	count = this->waiting->get_count(this->waiting);
	this->mutex->unlock(this->mutex);
	return count;
}

METHOD(vti_tunnels_t, destroy, void,
	private_vti_tunnels_t *this)
{
	enumerator_t *enumerator;
	vti_tunnel_t *tunnel;
	vti_sa_t *sa;

	enumerator = this->index->create_enumerator(this->index);
	while (enumerator->enumerate(enumerator, &tunnel))
	{
		vti_tunnel_destroy(tunnel);
	}
	enumerator->destroy(enumerator);
	enumerator = this->waiting->create_enumerator(this->waiting);
	while (enumerator->enumerate(enumerator, NULL, &sa))
	{
		vti_sa_destroy(sa);
	}
	enumerator->destroy(enumerator);
	this->index->destroy(this->index);
	this->waiting->destroy(this->waiting);
	this->mutex->destroy(this->mutex);
	free(this);
}

/*
 * Described in header
 */
vti_tunnels_t *vti_tunnels_create(vti_link_t *link, uint32_t successor_wait,
								  vti_resolver_t resolve)
{
	private_vti_tunnels_t *this;

	INIT(this,
		.public = {
			.sa_up = _sa_up,
			.sa_down = _sa_down,
			.ike_down = _ike_down,
			.sa_destroyed = _sa_destroyed,
			.sa_rekeyed = _sa_rekeyed,
			.ike_moved = _ike_moved,
			.reconfigure = _reconfigure,
			.reconcile = _reconcile,
			.protect = _protect,
			.sweep = _sweep,
			.get_status = _get_status,
			.get_changes = _get_changes,
			.get_count = _get_count,
			.get_waiting_count = _get_waiting_count,
			.destroy = _destroy,
		},
		.link = link,
		.successor_wait = successor_wait,
		.resolve = resolve,
		.index = vti_tunnel_index_create(),
		.waiting = hashtable_create(hashtable_hash_ptr, hashtable_equals_ptr, 8),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	return &this->public;
}
