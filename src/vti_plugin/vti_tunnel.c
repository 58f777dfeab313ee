/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_tunnel.h"
#include "vti_prefix.h"
#include "vti_prefixes.h"

#include <stdarg.h>

/*
 * Described in header
 */
bool vti_tunnel_shared(vti_tunnel_t *this)
{
	return !this->dynamic &&
		   (vti_tunnel_is_xfrm(this) ||
			this->spec.cfg->remote == VTI_REMOTE_ANY);
}

/**
 * Free what a tunnel owns of its target: endpoints, owner and settings.
 * Retargeting and destroying a tunnel both start here.
 */
static void clear_target(vti_tunnel_t *this)
{
	DESTROY_IF(this->spec.local);
	DESTROY_IF(this->spec.remote);
	free(this->spec.owner);
	free(this->conn);
	free(this->child);
	free(this->peer);
	vti_config_destroy(this->spec.cfg);
	vti_config_destroy(this->settings);
	this->spec.local = this->spec.remote = NULL;
	this->spec.owner = this->conn = this->child = this->peer = NULL;
	this->spec.cfg = this->settings = NULL;
}

/*
 * Described in header
 */
void vti_tunnel_retarget(vti_tunnel_t *this, vti_sa_t *sa)
{
	char name[IFNAMSIZ];

	memcpy(name, this->dynamic && this->spec.cfg ? vti_tunnel_name(this)
												 : sa->cfg->name, sizeof(name));
	clear_target(this);
	this->spec.local = sa->local->clone(sa->local);
	this->spec.remote = vti_sa_device_remote(sa);
	this->conn = strdup(sa->conn);
	this->child = strdup(sa->child);
	this->peer = strdup(sa->peer ?: "");
	if (asprintf(&this->spec.owner, "%s/%s", sa->conn, sa->child) < 0)
	{
		this->spec.owner = strdup("?");
	}
	this->settings = vti_config_get_ref(sa->cfg);
	this->spec.cfg = vti_config_with_name(sa->cfg, name);
	this->spec.overhead = sa->overhead;
	memcpy(this->spec.underlay, sa->underlay, sizeof(this->spec.underlay));
	this->dynamic = sa->dynamic;
}

/*
 * Described in header
 */
vti_tunnel_t *vti_tunnel_create(vti_sa_t *sa)
{
	vti_tunnel_t *this;

	INIT(this,
		.id = {
			.kind = sa->kind,
			.key = sa->key,
		},
		.spec = {
			.key = sa->key,
		},
		.sas = array_create(0, 0),
	);
	vti_tunnel_retarget(this, sa);
	return this;
}

/*
 * Described in header
 */
void vti_tunnel_set_endpoints(vti_tunnel_t *this, host_t *local,
							  host_t *remote)
{
	local = local->clone(local);
	remote = remote->clone(remote);
	this->spec.local->destroy(this->spec.local);
	this->spec.remote->destroy(this->spec.remote);
	this->spec.local = local;
	this->spec.remote = remote;
}

/*
 * Described in header
 */
bool vti_tunnel_set_routes(vti_tunnel_t *this, array_t *routes)
{
	bool changed;

	changed = !vti_prefix_list_equals(routes, this->spec.routes);
	vti_prefix_list_destroy(this->spec.routes);
	this->spec.routes = routes;
	return changed;
}

/**
 * Drop the prefixes that cover a tunnel's outer addresses: its own, or, for
 * a shared device, those of every peer.
 */
static array_t *spare_endpoints(vti_tunnel_t *this, array_t *routes)
{
	enumerator_t *enumerator;
	array_t *spared;
	vti_sa_t *sa;

	if (!vti_tunnel_shared(this))
	{
		spared = vti_prefixes_spare_endpoints(routes, this->spec.local,
									this->spec.remote, this->spec.owner,
									vti_tunnel_name(this));
		vti_prefix_list_destroy(routes);
		return spared;
	}
	enumerator = array_create_enumerator(this->sas);
	while (enumerator->enumerate(enumerator, &sa))
	{
		spared = vti_prefixes_spare_endpoints(routes, this->spec.local,
									sa->remote, this->spec.owner,
									vti_tunnel_name(this));
		vti_prefix_list_destroy(routes);
		routes = spared;
	}
	enumerator->destroy(enumerator);
	return routes;
}

/*
 * Described in header
 */
bool vti_tunnel_update_routes(vti_tunnel_t *this)
{
	enumerator_t *enumerator;
	array_t *routes = NULL;
	vti_sa_t *sa;

	switch (this->spec.cfg->routes)
	{
		case VTI_ROUTES_NONE:
			break;
		case VTI_ROUTES_LIST:
			routes = vti_prefix_list_clone(this->spec.cfg->route_list);
			break;
		case VTI_ROUTES_REMOTE_TS:
		default:
			if (!vti_tunnel_sa_count(this))
			{
				return FALSE;
			}
			enumerator = array_create_enumerator(this->sas);
			while (enumerator->enumerate(enumerator, &sa))
			{
				vti_prefixes_merge(&routes, sa->remote_ts);
			}
			enumerator->destroy(enumerator);
			break;
	}
	/* the tunnel's own outer addresses stay on the underlay */
	return vti_tunnel_set_routes(this, spare_endpoints(this, routes));
}

/*
 * Described in header
 */
void vti_tunnel_add_sa(vti_tunnel_t *this, vti_sa_t *sa)
{
	array_insert(this->sas, ARRAY_TAIL, sa);
	this->spec.overhead = sa->overhead;
	if (*sa->underlay)
	{
		memcpy(this->spec.underlay, sa->underlay,
			   sizeof(this->spec.underlay));
	}
	this->idle_since = 0;
}

/*
 * Described in header
 */
vti_sa_t *vti_tunnel_drop_sa(vti_tunnel_t *this, uint32_t id)
{
	vti_sa_t *sa;
	int i;

	for (i = 0; i < vti_tunnel_sa_count(this); i++)
	{
		if (array_get(this->sas, i, &sa) && sa->id == id)
		{
			array_remove(this->sas, i, NULL);
			return sa;
		}
	}
	return NULL;
}

/*
 * Described in header
 */
vti_sa_t *vti_tunnel_newest_sa(vti_tunnel_t *this)
{
	vti_sa_t *sa = NULL;

	array_get(this->sas, ARRAY_TAIL, &sa);
	return sa;
}

/*
 * Described in header
 */
bool vti_tunnel_runs_between(vti_tunnel_t *this, host_t *local,
							 host_t *remote)
{
	return this->spec.local->ip_equals(this->spec.local, local) &&
		   this->spec.remote->ip_equals(this->spec.remote, remote);
}

/*
 * Described in header
 */
bool vti_tunnel_fits_endpoints(vti_tunnel_t *this, vti_sa_t *sa)
{
	host_t *remote = this->spec.remote;

	if (vti_tunnel_is_xfrm(this) && vti_sa_is_xfrm(sa))
	{
		return TRUE;
	}
	if (!this->spec.local->ip_equals(this->spec.local, sa->local))
	{
		return FALSE;
	}
	if (vti_sa_shares_device(sa))
	{
		return remote->is_anyaddr(remote);
	}
	return remote->ip_equals(remote, sa->remote);
}

/*
 * Described in header
 */
bool vti_tunnel_settings_fit(vti_tunnel_t *this, vti_sa_t *sa)
{
	return this->id.kind == sa->kind && this->spec.key == sa->key &&
		   streq(this->conn, sa->conn) && streq(this->child, sa->child);
}

/*
 * Described in header
 */
bool vti_tunnel_serves_spoke(vti_tunnel_t *this, vti_sa_t *sa)
{
	return this->dynamic && sa->dynamic &&
		   this->id.kind == sa->kind && streq(this->conn, sa->conn) &&
		   streq(this->child, sa->child) && streq(this->peer, sa->peer);
}

/*
 * Described in header
 */
bool vti_tunnel_all_sas_move(vti_tunnel_t *this, vti_sa_move_t *moves,
							 u_int count)
{
	vti_sa_t *sa;
	int i;

	for (i = 0; i < vti_tunnel_sa_count(this); i++)
	{
		if (array_get(this->sas, i, &sa) &&
			!vti_sa_find_move(moves, count, sa->id))
		{
			return FALSE;
		}
	}
	return TRUE;
}

/*
 * Described in header
 */
bool vti_tunnel_moves_in_place(vti_tunnel_t *this, host_t *local)
{
	if (vti_tunnel_is_xfrm(this))
	{
		return TRUE;
	}
	return vti_tunnel_shared(this) &&
		   this->spec.local->ip_equals(this->spec.local, local);
}

/*
 * Described in header
 */
void vti_tunnel_note(vti_tunnel_t *this, bool up, char *fmt, ...)
{
	char buf[128];
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	free(this->reason);
	this->reason = strdup(buf);
	this->last_change = time(NULL);
	if (!up)
	{
		this->up_since = 0;
	}
	else if (!this->up_since)
	{
		this->up_since = this->last_change;
	}
}

/*
 * Described in header
 */
vti_tunnel_status_t *vti_tunnel_get_status(vti_tunnel_t *this)
{
	vti_tunnel_status_t *status;

	INIT(status,
		.kind = this->id.kind,
		.key = this->spec.key,
		.state = vti_tunnel_sa_count(this) ? "up"
					: this->idle_since ? "waiting" : "down",
		.owner = strdup(this->spec.owner),
		.sas = vti_tunnel_sa_count(this),
		.up_since = this->up_since,
		.last_change = this->last_change,
		.reason = strdup(this->reason ?: ""),
	);
	memcpy(status->name, vti_tunnel_name(this), sizeof(status->name));
	return status;
}

/*
 * Described in header
 */
void vti_tunnel_destroy(vti_tunnel_t *this)
{
	clear_target(this);
	free(this->reason);
	vti_prefix_list_destroy(this->spec.routes);
	array_destroy_function(this->sas, (void*)vti_sa_destroy, NULL);
	free(this);
}
