/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_sa.h"
#include "vti_prefix.h"

/*
 * Described in header
 */
vti_sa_t *vti_sa_clone(vti_sa_t *sa)
{
	char *peer = sa->peer ?: "", *names;
	size_t conn = strlen(sa->conn) + 1, child = strlen(sa->child) + 1;
	vti_sa_t *clone;

	/* the names live right after the copy, in one allocation with it */
	INIT_EXTRA(clone, conn + child + strlen(peer) + 1,
		.id = sa->id,
		.kind = sa->kind,
		.key = sa->key,
		.dynamic = sa->dynamic,
		.local = sa->local->clone(sa->local),
		.remote = sa->remote->clone(sa->remote),
		.cfg = sa->cfg ? vti_config_get_ref(sa->cfg) : NULL,
		.remote_ts = vti_prefix_list_clone(sa->remote_ts),
		.overhead = sa->overhead,
	);
	names = (char*)(clone + 1);
	clone->conn = memcpy(names, sa->conn, conn);
	clone->child = memcpy(names + conn, sa->child, child);
	clone->peer = strcpy(names + conn + child, peer);
	memcpy(clone->underlay, sa->underlay, sizeof(clone->underlay));
	return clone;
}

/*
 * Described in header
 */
void vti_sa_destroy(vti_sa_t *sa)
{
	sa->local->destroy(sa->local);
	sa->remote->destroy(sa->remote);
	vti_config_destroy(sa->cfg);
	vti_prefix_list_destroy(sa->remote_ts);
	free(sa);
}

/*
 * Described in header
 */
void vti_sa_move(vti_sa_t *sa, host_t *local, host_t *remote,
				 vti_sa_move_t *move)
{
	sa->local->destroy(sa->local);
	sa->remote->destroy(sa->remote);
	sa->local = local->clone(local);
	sa->remote = remote->clone(remote);
	sa->overhead = move->overhead;
	memcpy(sa->underlay, move->underlay, sizeof(sa->underlay));
}

/*
 * Described in header
 */
vti_sa_move_t *vti_sa_find_move(vti_sa_move_t *moves, u_int count,
								uint32_t id)
{
	u_int i;

	for (i = 0; i < count; i++)
	{
		if (moves[i].id == id)
		{
			return &moves[i];
		}
	}
	return NULL;
}

/*
 * Described in header
 */
bool vti_sa_shares_device(vti_sa_t *sa)
{
	return !sa->dynamic &&
		   (vti_sa_is_xfrm(sa) || sa->cfg->remote == VTI_REMOTE_ANY);
}

/*
 * Described in header
 */
host_t *vti_sa_device_remote(vti_sa_t *sa)
{
	if (vti_sa_shares_device(sa))
	{
		return host_create_any(sa->remote->get_family(sa->remote));
	}
	return sa->remote->clone(sa->remote);
}
