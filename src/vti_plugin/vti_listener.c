/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_listener.h"
#include "vti_compat.h"
#include "vti_key.h"
#include "vti_mtu.h"
#include "vti_prefixes.h"

#include <daemon.h>
#include <collections/hashtable.h>
#include <threading/mutex.h>

typedef struct private_vti_listener_t private_vti_listener_t;

/**
 * Private data of the listener.
 */
struct private_vti_listener_t {

	/** public interface */
	vti_listener_t public;

	/** table the events go to */
	vti_tunnels_t *tunnels;

	/** durations of the hooks */
	vti_hook_stats_t *stats;

	/** what it asks of charon */
	vti_listener_env_t *env;

	/** "conn/child" of configs already told why they get no VTI */
	hashtable_t *warned;

	/** protects warned */
	mutex_t *mutex;
};

/**
 * Whether a config is told for the first time why it gets no VTI.
 */
static bool first_warning(private_vti_listener_t *this, char *conn,
						  char *child)
{
	char *name;
	bool first = FALSE;

	if (asprintf(&name, "%s/%s", conn, child) < 0)
	{
		return TRUE;
	}
	this->mutex->lock(this->mutex);
	if (!this->warned->get(this->warned, name))
	{
		this->warned->put(this->warned, name, name);
		first = TRUE;
	}
	this->mutex->unlock(this->mutex);
	if (!first)
	{
		free(name);
	}
	return first;
}

/**
 * The marks and interface IDs of a CHILD_SA, resolved and configured (a
 * child without if_ids of its own takes the connection's).
 */
static vti_key_source_t source_of(ike_sa_t *ike_sa, child_sa_t *child_sa)
{
	child_cfg_t *cfg = child_sa->get_config(child_sa);
	peer_cfg_t *peer = ike_sa->get_peer_cfg(ike_sa);
	uint32_t if_id = cfg->get_if_id(cfg, TRUE);

	if (!if_id && peer)
	{
		if_id = peer->get_if_id(peer, TRUE);
	}
	return (vti_key_source_t){
		.mark_in = child_sa->get_mark(child_sa, TRUE),
		.mark_out = child_sa->get_mark(child_sa, FALSE),
		.mark_configured = cfg->get_mark(cfg, TRUE),
		.if_id_in = child_sa->get_if_id(child_sa, TRUE),
		.if_id_out = child_sa->get_if_id(child_sa, FALSE),
		.if_id_configured = if_id,
	};
}

/**
 * Tell once per config that a child's marks stay on its SAs and policies
 * while its if_ids give it an XFRM interface.
 */
static void warn_marks(private_vti_listener_t *this, ike_sa_t *ike_sa,
					   child_sa_t *child_sa, vti_key_source_t *source,
					   uint32_t key)
{
	if ((source->mark_in.value || source->mark_out.value) &&
		first_warning(this, ike_sa->get_name(ike_sa),
					  child_sa->get_name(child_sa)))
	{
		DBG1(DBG_CFG, "vti: CHILD_SA %s of '%s' has marks and if_ids: it "
			 "gets an XFRM interface with if_id %u, and its SAs and policies "
			 "keep the marks, so only packets that carry mark %u pass; "
			 "remove mark_in and mark_out unless you mark the traffic",
			 child_sa->get_name(child_sa), ike_sa->get_name(ike_sa), key,
			 source->mark_out.value);
	}
}

/**
 * Derive the kind and key of a CHILD_SA's device; log once per config why
 * there is none.
 */
static bool key_of(private_vti_listener_t *this, ike_sa_t *ike_sa,
				   child_sa_t *child_sa, vti_kind_t *kind, uint32_t *key,
				   bool *dynamic)
{
	vti_key_source_t source = source_of(ike_sa, child_sa);
	vti_key_verdict_t verdict;
	bool if_ids = source.if_id_in || source.if_id_out ||
				  source.if_id_configured;

	verdict = vti_key_choose(&source, kind, key);
	if (verdict == VTI_KEY_VALID)
	{
		if (*kind == VTI_KIND_XFRM)
		{
			warn_marks(this, ike_sa, child_sa, &source, *key);
		}
		*dynamic = vti_key_source_is_dynamic(&source, *kind);
		return TRUE;
	}
	if (verdict != VTI_KEY_UNMARKED &&
		first_warning(this, ike_sa->get_name(ike_sa),
					  child_sa->get_name(child_sa)))
	{
		DBG1(DBG_CFG, "vti: CHILD_SA %s of '%s' gets no %s: %s",
			 child_sa->get_name(child_sa), ike_sa->get_name(ike_sa),
			 if_ids ? "XFRM interface" : "VTI", vti_key_explain(verdict));
	}
	return FALSE;
}

/**
 * The prefixes to route for the remote traffic selectors of a CHILD_SA, as
 * far as its config allows them; "dynamic" resolves as charon resolves it
 * when narrowing (the peer's virtual IPs or its address).
 */
static array_t *remote_ts_of(private_vti_listener_t *this, ike_sa_t *ike_sa,
							 child_sa_t *child_sa)
{
	child_cfg_t *cfg = child_sa->get_config(child_sa);
	linked_list_t *hosts, *configured, *negotiated;
	array_t *prefixes;
	char name[128];

	hosts = this->env->get_dynamic_hosts(ike_sa);
	configured = vti_child_cfg_ts(cfg, FALSE, hosts);
	hosts->destroy(hosts);
	negotiated = linked_list_create_from_enumerator(
							child_sa->create_ts_enumerator(child_sa, FALSE));
	snprintf(name, sizeof(name), "%s/%s", ike_sa->get_name(ike_sa),
			 child_sa->get_name(child_sa));
	prefixes = vti_prefixes_from_selectors(negotiated, configured, name);
	negotiated->destroy(negotiated);
	configured->destroy_offset(configured,
							   offsetof(traffic_selector_t, destroy));
	return prefixes;
}

/**
 * Format with strongSwan's printf hooks (%Y), which the compiler's format
 * checks do not know.
 */
static char *format(char *fmt, ...)
{
	char buf[256];
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	return strdup(buf);
}

/**
 * Describe an installed CHILD_SA for the tunnel table, which resolves its
 * settings; the caller frees it with free_sa().
 */
static vti_sa_t describe_sa(private_vti_listener_t *this, ike_sa_t *ike_sa,
							child_sa_t *child_sa, vti_kind_t kind,
							uint32_t key, bool dynamic)
{
	host_t *local = ike_sa->get_my_host(ike_sa);
	vti_sa_t sa;

	sa = (vti_sa_t){
		.id = child_sa->get_unique_id(child_sa),
		.kind = kind,
		.key = key,
		.dynamic = dynamic,
		.local = local,
		.remote = ike_sa->get_other_host(ike_sa),
		.conn = ike_sa->get_name(ike_sa),
		.child = child_sa->get_name(child_sa),
		.peer = format("%Y", ike_sa->get_other_id(ike_sa)),
		.remote_ts = remote_ts_of(this, ike_sa, child_sa),
		.overhead = vti_mtu_overhead(child_sa->get_proposal(child_sa),
									 local->get_family(local) == AF_INET6,
									 child_sa->has_encap(child_sa)),
	};
	return sa;
}

/**
 * Free what describe_sa() allocated.
 */
static void free_sa(vti_sa_t *sa)
{
	free(sa->peer);
	vti_prefix_list_destroy(sa->remote_ts);
}

/**
 * Handle child_updown(); see listener_t.
 */
static void handle_child_updown(private_vti_listener_t *this,
							ike_sa_t *ike_sa, child_sa_t *child_sa, bool up)
{
	vti_kind_t kind;
	vti_sa_t sa;
	uint32_t key;
	bool dynamic;

	if (!up)
	{
		this->tunnels->sa_down(this->tunnels,
							   child_sa->get_unique_id(child_sa));
	}
	else if (key_of(this, ike_sa, child_sa, &kind, &key, &dynamic))
	{
		if (kind == VTI_KIND_VTI)
		{
			this->env->check_policies(ike_sa, child_sa, key);
		}
		sa = describe_sa(this, ike_sa, child_sa, kind, key, dynamic);
		this->tunnels->sa_up(this->tunnels, &sa);
		free_sa(&sa);
	}
	return;
}

/**
 * Handle child_rekey(); see listener_t.
 */
static void handle_child_rekey(private_vti_listener_t *this, ike_sa_t *ike_sa,
							child_sa_t *old, child_sa_t *new)
{
	vti_kind_t kind;
	vti_sa_t sa;
	uint32_t key;
	bool dynamic;

	if (key_of(this, ike_sa, new, &kind, &key, &dynamic))
	{
		sa = describe_sa(this, ike_sa, new, kind, key, dynamic);
		this->tunnels->sa_rekeyed(this->tunnels, old->get_unique_id(old),
								  &sa);
		free_sa(&sa);
	}
	return;
}

/**
 * Handle child_state_change(); see listener_t.
 */
static void handle_child_state_change(private_vti_listener_t *this,
							ike_sa_t *ike_sa, child_sa_t *child_sa,
							child_sa_state_t state)
{
	if (state == CHILD_DESTROYING)
	{
		this->tunnels->sa_destroyed(this->tunnels,
									child_sa->get_unique_id(child_sa));
	}
	return;
}

/**
 * Handle ike_updown(); see listener_t.
 */
static void handle_ike_updown(private_vti_listener_t *this, ike_sa_t *ike_sa,
							bool up)
{
	enumerator_t *enumerator;
	child_sa_t *child_sa;
	uint32_t *ids;
	u_int count = 0;

	if (up)
	{
		return;
	}
	ids = calloc(ike_sa->get_child_count(ike_sa) + 1, sizeof(*ids));
	enumerator = ike_sa->create_child_sa_enumerator(ike_sa);
	while (enumerator->enumerate(enumerator, &child_sa))
	{
		ids[count++] = child_sa->get_unique_id(child_sa);
	}
	enumerator->destroy(enumerator);
	if (count)
	{
		this->tunnels->ike_down(this->tunnels, ids, count);
	}
	free(ids);
	return;
}

/**
 * Handle ike_update(); see listener_t.
 */
static void handle_ike_update(private_vti_listener_t *this, ike_sa_t *ike_sa,
							host_t *local, host_t *remote)
{
	enumerator_t *enumerator;
	child_sa_t *child_sa;
	vti_sa_move_t *moves;
	u_int count = 0;
	vti_kind_t kind;
	uint32_t key;
	bool dynamic;

	moves = calloc(ike_sa->get_child_count(ike_sa) + 1, sizeof(*moves));
	enumerator = ike_sa->create_child_sa_enumerator(ike_sa);
	while (enumerator->enumerate(enumerator, &child_sa))
	{
		if (key_of(this, ike_sa, child_sa, &kind, &key, &dynamic))
		{
			moves[count] = (vti_sa_move_t){
				.id = child_sa->get_unique_id(child_sa),
				.overhead = vti_mtu_overhead(
								child_sa->get_proposal(child_sa),
								local->get_family(local) == AF_INET6,
								ike_sa->has_condition(ike_sa, COND_NAT_ANY)),
			};
			count++;
		}
	}
	enumerator->destroy(enumerator);
	if (count)
	{
		this->tunnels->ike_moved(this->tunnels, moves, count, local, remote);
	}
	free(moves);
	return;
}

METHOD(listener_t, child_updown, bool,
	private_vti_listener_t *this, ike_sa_t *ike_sa, child_sa_t *child_sa, bool up)
{
	vti_hook_start_t start = this->stats->start(this->stats);

	handle_child_updown(this, ike_sa, child_sa, up);
	this->stats->stop(this->stats, start);
	return TRUE;
}

METHOD(listener_t, child_rekey, bool,
	private_vti_listener_t *this, ike_sa_t *ike_sa, child_sa_t *old, child_sa_t *new)
{
	vti_hook_start_t start = this->stats->start(this->stats);

	handle_child_rekey(this, ike_sa, old, new);
	this->stats->stop(this->stats, start);
	return TRUE;
}

METHOD(listener_t, child_state_change, bool,
	private_vti_listener_t *this, ike_sa_t *ike_sa, child_sa_t *child_sa, child_sa_state_t state)
{
	vti_hook_start_t start = this->stats->start(this->stats);

	handle_child_state_change(this, ike_sa, child_sa, state);
	this->stats->stop(this->stats, start);
	return TRUE;
}

METHOD(listener_t, ike_updown, bool,
	private_vti_listener_t *this, ike_sa_t *ike_sa, bool up)
{
	vti_hook_start_t start = this->stats->start(this->stats);

	handle_ike_updown(this, ike_sa, up);
	this->stats->stop(this->stats, start);
	return TRUE;
}

METHOD(listener_t, ike_update, bool,
	private_vti_listener_t *this, ike_sa_t *ike_sa, host_t *local, host_t *remote)
{
	vti_hook_start_t start = this->stats->start(this->stats);

	handle_ike_update(this, ike_sa, local, remote);
	this->stats->stop(this->stats, start);
	return TRUE;
}

METHOD(vti_listener_t, destroy, void,
	private_vti_listener_t *this)
{
	this->warned->destroy_function(this->warned, (void*)free);
	this->mutex->destroy(this->mutex);
	free(this);
}

/*
 * Described in header
 */
vti_listener_t *vti_listener_create(vti_tunnels_t *tunnels,
									vti_hook_stats_t *stats,
									vti_listener_env_t *env)
{
	private_vti_listener_t *this;

	INIT(this,
		.public = {
			.listener = {
				.child_updown = _child_updown,
				.child_rekey = _child_rekey,
				.child_state_change = _child_state_change,
				.ike_updown = _ike_updown,
				.ike_update = _ike_update,
			},
			.destroy = _destroy,
		},
		.tunnels = tunnels,
		.stats = stats,
		.env = env,
		.warned = hashtable_create(hashtable_hash_str, hashtable_equals_str, 8),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	return &this->public;
}
