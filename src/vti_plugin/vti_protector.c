/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_protector.h"
#include "vti_compat.h"
#include "vti_key.h"
#include "vti_prefixes.h"

#include <daemon.h>
#include <collections/hashtable.h>
#include <threading/mutex.h>

/** Updates (seconds) the loaded configs must stay the same before what an
 *  earlier run left and no config claims goes: a swanctl --load-all of
 *  many connections takes seconds */
#define QUIET_BEFORE_SWEEP 5

typedef struct private_vti_protector_t private_vti_protector_t;
typedef struct protection_t protection_t;

/**
 * The protection of one configured child.
 */
struct protection_t {

	/** holder name, "protect conn/child", hashtable key */
	char *holder;

	/** "conn/child" */
	char *owner;

	/** the child config it was worked out from (a reference) */
	child_cfg_t *cfg;

	/** settings generation it was worked out with */
	u_int generation;

	/** seen in the update under way */
	bool seen;
};

/**
 * Private data of the protector.
 */
struct private_vti_protector_t {

	/** public interface */
	vti_protector_t public;

	/** table whose driver holds the blackholes */
	vti_tunnels_t *tunnels;

	/** protections by holder name, as protection_t* */
	hashtable_t *protections;

	/** settings generation, counted up on reload */
	u_int generation;

	/** updates in a row that saw configs and no change to them */
	u_int quiet;

	/** a config was new, changed or gone in the update under way */
	bool changed;

	/** the leftovers of an earlier run were swept */
	bool swept;


	/** serializes updates */
	mutex_t *mutex;
};

/**
 * Free a protection.
 */
static void protection_destroy(protection_t *protection)
{
	protection->cfg->destroy(protection->cfg);
	free(protection->holder);
	free(protection->owner);
	free(protection);
}

/**
 * The kind and key of a child config's device, key 0 for %unique; FALSE
 * for a child without one. A child without if_ids of its own takes the
 * connection's.
 */
static bool config_key(peer_cfg_t *peer, child_cfg_t *cfg, vti_kind_t *kind,
					   uint32_t *key)
{
	vti_key_source_t source = {
		.mark_in = cfg->get_mark(cfg, TRUE),
		.mark_out = cfg->get_mark(cfg, FALSE),
		.mark_configured = cfg->get_mark(cfg, TRUE),
		.if_id_in = cfg->get_if_id(cfg, TRUE) ?: peer->get_if_id(peer, TRUE),
		.if_id_out = cfg->get_if_id(cfg, FALSE) ?:
					 peer->get_if_id(peer, FALSE),
	};

	source.if_id_configured = source.if_id_in;
	if (vti_key_choose(&source, kind, key) != VTI_KEY_VALID)
	{
		return FALSE;
	}
	if (vti_key_source_is_dynamic(&source, *kind))
	{
		*key = 0;
	}
	return TRUE;
}

/**
 * The hosts of a comma-separated list of addresses that are addresses.
 */
static linked_list_t *hosts_of(char *addrs)
{
	enumerator_t *enumerator;
	linked_list_t *hosts;
	host_t *host;
	char *token;

	hosts = linked_list_create();
	enumerator = enumerator_create_token(addrs ?: "", ",", " ");
	while (enumerator->enumerate(enumerator, &token))
	{
		host = host_create_from_string(token, 0);
		if (host)
		{
			hosts->insert_last(hosts, host);
		}
	}
	enumerator->destroy(enumerator);
	return hosts;
}

/**
 * The outer address of a config that a prefix covers, NULL if none.
 */
static host_t *covered_endpoint(vti_prefix_t *prefix, linked_list_t *hosts)
{
	enumerator_t *enumerator;
	host_t *host, *found = NULL;

	enumerator = hosts->create_enumerator(hosts);
	while (!found && enumerator->enumerate(enumerator, &host))
	{
		if (prefix->covers(prefix, host))
		{
			found = host;
		}
	}
	enumerator->destroy(enumerator);
	return found;
}

/**
 * Leave out the prefixes that must not be blackholed: default routes, and
 * those that cover the tunnel's own outer addresses; one line each.
 */
static linked_list_t *sparing(array_t *prefixes, peer_cfg_t *peer,
							  char *owner)
{
	ike_cfg_t *ike_cfg = peer->get_ike_cfg(peer);
	enumerator_t *enumerator;
	linked_list_t *hosts, *list;
	vti_prefix_t *prefix;
	host_t *endpoint;
	char str[VTI_PREFIX_STRLEN];

	hosts = hosts_of(ike_cfg->get_other_addr(ike_cfg));
	list = hosts_of(ike_cfg->get_my_addr(ike_cfg));
	while (list->remove_first(list, (void**)&endpoint) == SUCCESS)
	{
		hosts->insert_last(hosts, endpoint);
	}
	enumerator = array_create_enumerator(prefixes);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		endpoint = covered_endpoint(prefix, hosts);
		prefix->print(prefix, str, sizeof(str));
		if (prefix->get_length(prefix) == 0)
		{
			DBG1(DBG_CFG, "vti: %s: not protecting the default route %s: a "
				 "blackhole for it would cut the host off while the tunnel is "
				 "down; list the prefixes behind the peer in "
				 "charon.plugins.vti.protect", owner, str);
		}
		else if (endpoint)
		{
			DBG1(DBG_CFG, "vti: %s: not protecting %s: it covers the "
				 "tunnel's outer address %H, and a blackhole for it would "
				 "stop IKE while the tunnel is down; list narrower prefixes "
				 "in charon.plugins.vti.protect", owner, str, endpoint);
		}
		else
		{
			list->insert_last(list, prefix->clone(prefix));
		}
	}
	enumerator->destroy(enumerator);
	hosts->destroy_offset(hosts, offsetof(host_t, destroy));
	return list;
}

/**
 * The prefixes a child's settings ask to protect.
 */
static array_t *wanted(vti_config_t *settings, child_cfg_t *cfg, char *owner)
{
	linked_list_t *selectors;
	array_t *prefixes;

	switch (settings->protect)
	{
		case VTI_PROTECT_LIST:
			return vti_prefix_list_clone(settings->protect_list);
		case VTI_PROTECT_REMOTE_TS:
			selectors = vti_child_cfg_ts(cfg, FALSE, NULL);
			prefixes = vti_prefixes_from_selectors(selectors, selectors,
												   owner);
			selectors->destroy_offset(selectors,
									  offsetof(traffic_selector_t, destroy));
			return prefixes;
		case VTI_PROTECT_NONE:
		default:
			return NULL;
	}
}

/**
 * Work out and hold the protection of a child config.
 */
static void protect_child(private_vti_protector_t *this, peer_cfg_t *peer,
						  child_cfg_t *cfg, vti_kind_t kind, uint32_t key,
						  protection_t *protection)
{
	vti_config_t *settings;
	linked_list_t *spared;
	array_t *prefixes;
	char *conn = peer->get_name(peer), *child = cfg->get_name(cfg);

	settings = vti_config_resolve_protection(conn, child, kind, key);
	prefixes = wanted(settings, cfg, protection->owner);
	spared = sparing(prefixes, peer, protection->owner);
	if (spared->get_count(spared))
	{
		DBG2(DBG_CFG, "vti: %s: protecting %d prefixes with blackholes in "
			 "table %u, metric %u", protection->owner,
			 spared->get_count(spared), settings->table,
			 settings->fail_closed_metric);
	}
	this->tunnels->protect(this->tunnels, protection->holder,
						   protection->owner, spared, settings->table,
						   settings->fail_closed_metric);
	spared->destroy_offset(spared, offsetof(vti_prefix_t, destroy));
	vti_prefix_list_destroy(prefixes);
	vti_config_destroy(settings);
}

/**
 * Take note of a configured child: work out its protection if it is new
 * or changed.
 */
static void visit_child(private_vti_protector_t *this, peer_cfg_t *peer,
						child_cfg_t *cfg)
{
	protection_t *protection;
	vti_kind_t kind;
	uint32_t key;
	char *holder;

	if (!config_key(peer, cfg, &kind, &key) ||
		asprintf(&holder, "protect %s/%s", peer->get_name(peer),
				 cfg->get_name(cfg)) < 0)
	{
		return;
	}
	protection = this->protections->get(this->protections, holder);
	if (protection && protection->cfg == cfg &&
		protection->generation == this->generation)
	{
		protection->seen = TRUE;
		free(holder);
		return;
	}
	if (!protection)
	{
		INIT(protection,
			.holder = holder,
		);
		if (asprintf(&protection->owner, "%s/%s", peer->get_name(peer),
					 cfg->get_name(cfg)) < 0)
		{
			protection->owner = strdup("?");
		}
		this->protections->put(this->protections, protection->holder,
							   protection);
	}
	else
	{
		free(holder);
		protection->cfg->destroy(protection->cfg);
	}
	protection->cfg = cfg->get_ref(cfg);
	protection->generation = this->generation;
	protection->seen = TRUE;
	this->changed = TRUE;
	protect_child(this, peer, cfg, kind, key, protection);
}

/**
 * Let go of the protections of configs that are gone.
 */
static void drop_unseen(private_vti_protector_t *this)
{
	enumerator_t *enumerator;
	protection_t *protection;
	linked_list_t *none;

	none = linked_list_create();
	enumerator = this->protections->create_enumerator(this->protections);
	while (enumerator->enumerate(enumerator, NULL, &protection))
	{
		if (!protection->seen)
		{
			this->tunnels->protect(this->tunnels, protection->holder,
								   protection->owner, none, 0, 0);
			this->protections->remove_at(this->protections, enumerator);
			protection_destroy(protection);
			this->changed = TRUE;
		}
		else
		{
			protection->seen = FALSE;
		}
	}
	enumerator->destroy(enumerator);
	none->destroy(none);
}

/**
 * The loaded peer configs, each with a reference.
 */
static linked_list_t *loaded_configs(void)
{
	enumerator_t *enumerator;
	linked_list_t *peers;
	peer_cfg_t *peer;

	peers = linked_list_create();
	enumerator = charon->backends->create_peer_cfg_enumerator(
							charon->backends, NULL, NULL, NULL, NULL, IKE_ANY);
	while (enumerator->enumerate(enumerator, &peer))
	{
		peers->insert_last(peers, peer->get_ref(peer));
	}
	enumerator->destroy(enumerator);
	return peers;
}

/**
 * Have the leftovers of an earlier run removed that serve none of the
 * configured children.
 */
static void sweep(private_vti_protector_t *this)
{
	enumerator_t *enumerator;
	protection_t *protection;
	linked_list_t *owners;

	owners = linked_list_create();
	enumerator = this->protections->create_enumerator(this->protections);
	while (enumerator->enumerate(enumerator, NULL, &protection))
	{
		owners->insert_last(owners, protection->owner);
	}
	enumerator->destroy(enumerator);
	this->tunnels->sweep(this->tunnels, owners);
	owners->destroy(owners);
}

METHOD(vti_protector_t, update, void,
	private_vti_protector_t *this)
{
	enumerator_t *enumerator;
	linked_list_t *peers;
	peer_cfg_t *peer;
	child_cfg_t *cfg;

	peers = loaded_configs();
	this->mutex->lock(this->mutex);
	while (peers->remove_first(peers, (void**)&peer) == SUCCESS)
	{
		enumerator = peer->create_child_cfg_enumerator(peer);
		while (enumerator->enumerate(enumerator, &cfg))
		{
			visit_child(this, peer, cfg);
		}
		enumerator->destroy(enumerator);
		peer->destroy(peer);
	}
	drop_unseen(this);
	this->quiet = this->changed ? 0 : this->quiet + 1;
	this->changed = FALSE;
	if (!this->swept && this->protections->get_count(this->protections) &&
		this->quiet >= QUIET_BEFORE_SWEEP)
	{	/* the configs are loaded: what an earlier run left and no config
		 * claims is stale */
		sweep(this);
		this->swept = TRUE;
	}
	this->mutex->unlock(this->mutex);
	peers->destroy(peers);
}

METHOD(vti_protector_t, reload, void,
	private_vti_protector_t *this)
{
	this->mutex->lock(this->mutex);
	this->generation++;
	this->mutex->unlock(this->mutex);
}

METHOD(vti_protector_t, destroy, void,
	private_vti_protector_t *this)
{
	this->protections->destroy_function(this->protections,
										(void*)protection_destroy);
	this->mutex->destroy(this->mutex);
	free(this);
}

/*
 * Described in header
 */
vti_protector_t *vti_protector_create(vti_tunnels_t *tunnels)
{
	private_vti_protector_t *this;

	INIT(this,
		.public = {
			.update = _update,
			.reload = _reload,
			.destroy = _destroy,
		},
		.tunnels = tunnels,
		.protections = hashtable_create(hashtable_hash_str,
										hashtable_equals_str, 8),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	return &this->public;
}
