/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_plugin.h"
#include "vti_config.h"
#include "vti_listener.h"
#include "vti_netlink.h"
#include "vti_policy_check.h"
#include "vti_protector.h"
#include "vti_reconciler.h"
#include "vti_status.h"
#include "vti_tunnels.h"
#include "vti_worker.h"

#include <daemon.h>

/** Default seconds between two reconciles of the table with the kernel */
#define DEFAULT_RECONCILE_INTERVAL 30

/** Default seconds a spoke's device waits for the spoke's successor */
#define DEFAULT_SUCCESSOR_WAIT 60

/**
 * Version of strongSwan this plugin was built against; strongSwan 6.0.3 and
 * later refuse plugins whose version differs from their own.
 */
const char *vti_plugin_version = VERSION;

typedef struct private_vti_plugin_t private_vti_plugin_t;

/**
 * Private data of the vti plugin.
 */
struct private_vti_plugin_t {

	/** implements plugin interface */
	vti_plugin_t public;

	/** driver for the kernel's VTI devices */
	vti_link_t *link;

	/** table of tunnels and the CHILD_SAs holding them */
	vti_tunnels_t *tunnels;

	/** listener feeding bus events into the table */
	vti_listener_t *listener;

	/** blackholes for the configured tunnels' prefixes */
	vti_protector_t *protector;

	/** durations of the bus hooks */
	vti_hook_stats_t *stats;

	/** writes the status file */
	vti_status_t *status;

	/** job updating the protector and reconciling the table */
	vti_reconciler_t *reconciler;
};

METHOD(plugin_t, get_name, char*,
	private_vti_plugin_t *this)
{
	return "vti";
}

/**
 * Tear down listener, table and driver, in that order.
 */
static void stop(private_vti_plugin_t *this)
{
	if (this->listener)
	{
		charon->bus->remove_listener(charon->bus, &this->listener->listener);
		this->listener->destroy(this->listener);
	}
	DESTROY_IF(this->reconciler);
	DESTROY_IF(this->protector);
	if (this->status)
	{
		this->status->write(this->status, TRUE);
		this->status->destroy(this->status);
	}
	DESTROY_IF(this->tunnels);
	DESTROY_IF(this->stats);
	DESTROY_IF(this->link);
	this->reconciler = NULL;
	this->protector = NULL;
	this->status = NULL;
	this->stats = NULL;
	this->listener = NULL;
	this->tunnels = NULL;
	this->link = NULL;
}

/**
 * The interface that holds a local address, from charon's own view of the
 * addresses (no kernel dump), for the worker.
 */
static char *charon_interface(host_t *local)
{
	char *name = NULL;

	if (!charon->kernel->get_interface(charon->kernel, local, &name))
	{
		free(name);
		return NULL;
	}
	return name;
}

/**
 * The peer's virtual IPs or its address; see vti_listener_env_t.
 */
static linked_list_t *charon_dynamic_hosts(ike_sa_t *ike_sa)
{
	return ike_sa_get_dynamic_hosts(ike_sa, FALSE);
}

/**
 * What the listener asks of charon.
 */
static vti_listener_env_t charon_env = {
	.get_dynamic_hosts = charon_dynamic_hosts,
	.check_policies = vti_policy_check_queue,
};

/**
 * Set up driver, table and listener once the kernel interface is there.
 */
static bool start(private_vti_plugin_t *this)
{
	uint32_t interval;

	this->link = vti_netlink_create(
						lib->settings->get_bool(lib->settings,
							"%s.plugins.vti.keep_devices", FALSE, lib->ns),
						lib->settings->get_bool(lib->settings,
							"%s.plugins.vti.keep_protection", TRUE, lib->ns));
	if (!this->link)
	{
		return FALSE;
	}
	this->tunnels = vti_worker_create(vti_tunnels_create(this->link,
						lib->settings->get_time(lib->settings,
							"%s.plugins.vti.successor_wait",
							DEFAULT_SUCCESSOR_WAIT, lib->ns),
						vti_config_resolve),
						charon_interface);
	interval = lib->settings->get_time(lib->settings,
							"%s.plugins.vti.reconcile_interval",
							DEFAULT_RECONCILE_INTERVAL, lib->ns);
	this->stats = vti_hook_stats_create();
	this->protector = vti_protector_create(this->tunnels);
	this->status = vti_status_create(this->tunnels, this->stats,
						lib->settings->get_str(lib->settings,
							"%s.plugins.vti.status_file", VTI_STATUS_FILE,
							lib->ns));
	this->reconciler = vti_reconciler_create(this->tunnels, this->protector,
											 this->status, interval);
	this->listener = vti_listener_create(this->tunnels, this->stats,
										 &charon_env);
	charon->bus->add_listener(charon->bus, &this->listener->listener);
	return TRUE;
}

/**
 * Register or unregister with the bus.
 */
static bool plugin_cb(private_vti_plugin_t *this, plugin_feature_t *feature,
					  bool reg, void *cb_data)
{
	if (reg)
	{
		return start(this);
	}
	stop(this);
	return TRUE;
}

METHOD(plugin_t, get_features, int,
	private_vti_plugin_t *this, plugin_feature_t *features[])
{
	static plugin_feature_t f[] = {
		PLUGIN_CALLBACK((plugin_feature_callback_t)plugin_cb, NULL),
			PLUGIN_PROVIDE(CUSTOM, "vti"),
				PLUGIN_DEPENDS(CUSTOM, "kernel-ipsec"),
				PLUGIN_DEPENDS(CUSTOM, "kernel-net"),
	};
	*features = f;
	return countof(f);
}

METHOD(plugin_t, reload, bool,
	private_vti_plugin_t *this)
{
	if (this->tunnels)
	{
		this->tunnels->reconfigure(this->tunnels);
		this->protector->reload(this->protector);
	}
	return TRUE;
}

/**
 * charon's table-220 routes send a VTI tunnel's traffic past its device:
 * unless the operator decided, charon installs none while we are loaded.
 * Runs before kernel-netlink reads the setting (plugins are constructed
 * before their features are loaded).
 */
static void default_install_routes(void)
{
	char *value;

	value = lib->settings->get_str(lib->settings, "%s.install_routes", NULL,
								   lib->ns);
	if (!value)
	{
		lib->settings->set_bool(lib->settings, "%s.install_routes", FALSE,
								lib->ns);
		DBG1(DBG_CFG, "vti: %s.install_routes defaults to no: routes in "
			 "table 220 would send VTI traffic past its interface", lib->ns);
	}
	else if (settings_value_as_bool(value, FALSE))
	{
		DBG1(DBG_CFG, "vti: %s.install_routes = yes: charon's routes in table "
			 "220 send the traffic of tunnels with a VTI past the VTI; remove "
			 "the setting or set it to no", lib->ns);
	}
}

METHOD(plugin_t, destroy, void,
	private_vti_plugin_t *this)
{
	stop(this);
	free(this);
}

/**
 * Plugin constructor
 */
plugin_t *vti_plugin_create()
{
	private_vti_plugin_t *this;

	if (!lib->caps->keep(lib->caps, CAP_NET_ADMIN))
	{
		DBG1(DBG_CFG, "vti: plugin needs the CAP_NET_ADMIN capability to "
			 "manage VTI devices; run charon as root");
		return NULL;
	}
	INIT(this,
		.public = {
			.plugin = {
				.get_name = _get_name,
				.get_features = _get_features,
				.reload = _reload,
				.destroy = _destroy,
			},
		},
	);
	DBG1(DBG_CFG, "vti: plugin version %s loaded (strongSwan %s)",
		 VTI_PLUGIN_VERSION, VERSION);
	default_install_routes();
	return &this->public.plugin;
}
