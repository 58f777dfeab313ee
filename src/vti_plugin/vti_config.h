/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_config vti_config
 * @{ @ingroup vti
 */

#ifndef VTI_CONFIG_H_
#define VTI_CONFIG_H_

#include <library.h>
#include <collections/array.h>
#include <net/if.h>

typedef struct vti_config_t vti_config_t;
typedef enum vti_kind_t vti_kind_t;
typedef enum vti_route_mode_t vti_route_mode_t;
typedef enum vti_protect_mode_t vti_protect_mode_t;
typedef enum vti_down_action_t vti_down_action_t;
typedef enum vti_remote_t vti_remote_t;

/**
 * Which kind of device a tunnel gets.
 */
enum vti_kind_t {
	/** a VTI (ip_vti, ip6_vti): the key is the child's mark, the device
	 *  runs between the IKE SA's endpoints */
	VTI_KIND_VTI,
	/** an XFRM interface: the key is the child's if_id, the device is
	 *  tied to no endpoints */
	VTI_KIND_XFRM,
};

/**
 * Name of a device kind for log lines and the status ("vti", "xfrm").
 *
 * @param kind			device kind
 * @return				its name
 */
const char *vti_kind_name(vti_kind_t kind);

/**
 * Which routes the plugin installs through a VTI.
 */
enum vti_route_mode_t {
	/** none: a routing daemon or the operator routes */
	VTI_ROUTES_NONE,
	/** the remote traffic selectors of the tunnel's CHILD_SAs */
	VTI_ROUTES_REMOTE_TS,
	/** an explicit list of prefixes */
	VTI_ROUTES_LIST,
};

/**
 * Which prefixes the plugin holds blackholes for, whoever routes them.
 */
enum vti_protect_mode_t {
	/** none */
	VTI_PROTECT_NONE,
	/** the child's configured remote traffic selectors */
	VTI_PROTECT_REMOTE_TS,
	/** an explicit list of prefixes */
	VTI_PROTECT_LIST,
};

/**
 * What happens to a VTI when its last CHILD_SA goes.
 */
enum vti_down_action_t {
	/** set it admin down, keep it and its configuration */
	VTI_DOWN_ACTION_DOWN,
	/** delete the device */
	VTI_DOWN_ACTION_DELETE,
};

/**
 * Which remote address a VTI has.
 */
enum vti_remote_t {
	/** the peer's: one device per pair of endpoints */
	VTI_REMOTE_PEER,
	/** none (any): one device on the local address, shared by the SAs of
	 *  every peer with its key */
	VTI_REMOTE_ANY,
};

/**
 * Settings of one tunnel's VTI, resolved from strongswan.conf.
 *
 * Reference counted: a tunnel and its SAs share one object, so settings
 * are not changed once resolved or copied (vti_config_with_name() gives a
 * copy with another name).
 */
struct vti_config_t {

	/** kind of the device these settings are for */
	vti_kind_t kind;

	/** interface name */
	char name[IFNAMSIZ];

	/** MTU, 0 for automatic */
	uint32_t mtu;

	/** addresses to put on the device, a list of prefixes (see
	 *  vti_prefix_list_has()), NULL if none */
	array_t *addresses;

	/** which routes to install */
	vti_route_mode_t routes;

	/** prefixes for VTI_ROUTES_LIST, NULL if none */
	array_t *route_list;

	/** routing table of the routes */
	uint32_t table;

	/** metric of the routes through the device */
	uint32_t metric;

	/** blackhole the routed prefixes while the tunnel is down */
	bool fail_closed;

	/** metric of the blackhole routes */
	uint32_t fail_closed_metric;

	/** what to do when the last CHILD_SA goes */
	vti_down_action_t down_action;

	/** the device's remote address: the peer's, or any (shared device) */
	vti_remote_t remote;

	/** which prefixes to protect with blackholes from config load on */
	vti_protect_mode_t protect;

	/** prefixes for VTI_PROTECT_LIST, NULL if none */
	array_t *protect_list;

	/** references to these settings, see vti_config_get_ref() */
	refcount_t refcount;
};

/**
 * Resolve the settings of a tunnel from charon.plugins.vti: the section
 * connections.CONN.children.CHILD, then connections.CONN, then keys.KEY,
 * then the plugin's global settings, then built-in defaults.
 *
 * Every value is parsed completely and checked against what the kernel
 * accepts for a vti and a vti6 device. A bad value is logged (naming the
 * setting, the value and the accepted form) and replaced by its default; a
 * bad entry of a list is logged and left out; a name that is no valid
 * interface name makes the whole tunnel fall back to the default name.
 * Bad values of the protect setting are left to
 * vti_config_resolve_protection() to log.
 *
 * The name comes from the name setting for a VTI, from xfrm_name for an
 * XFRM interface; keys.KEY is the mark of a VTI, the if_id of an XFRM
 * interface.
 *
 * @param conn			connection name
 * @param child			CHILD_SA config name
 * @param kind			kind of the device
 * @param key			VTI key or if_id
 * @return				settings with one reference, free with
 *						vti_config_destroy()
 */
vti_config_t *vti_config_resolve(char *conn, char *child, vti_kind_t kind,
								 uint32_t key);

/**
 * Resolve the settings of a tunnel as vti_config_resolve() does, for its
 * protection: bad values of the protect setting are logged, the others
 * are not (vti_config_resolve() logs those and not the protect setting's).
 *
 * @param conn			connection name
 * @param child			CHILD_SA config name
 * @param kind			kind of the device
 * @param key			VTI key or if_id
 * @return				settings, free with vti_config_destroy()
 */
vti_config_t *vti_config_resolve_protection(char *conn, char *child,
											vti_kind_t kind, uint32_t key);

/**
 * Copy settings.
 *
 * @param this			settings to copy
 * @return				copy, with one reference
 */
vti_config_t *vti_config_clone(vti_config_t *this);

/**
 * Take another reference to settings.
 *
 * @param this			settings
 * @return				the same settings
 */
vti_config_t *vti_config_get_ref(vti_config_t *this);

/**
 * The settings under another interface name: another reference to them if
 * they have that name already, else a copy with it.
 *
 * @param this			settings
 * @param name			interface name
 * @return				settings with that name, free with
 *						vti_config_destroy()
 */
vti_config_t *vti_config_with_name(vti_config_t *this, char *name);

/**
 * Compare settings.
 *
 * @param a				settings
 * @param b				other settings
 * @return				TRUE if both say the same
 */
bool vti_config_equals(vti_config_t *a, vti_config_t *b);

/**
 * Let go of a reference to settings; the last one frees them.
 *
 * @param this			settings, may be NULL
 */
void vti_config_destroy(vti_config_t *this);

/**
 * Expand an interface name template: %k becomes the key. Any other '%' is
 * refused, as the kernel refuses '%' in names or, for %d, picks a number.
 *
 * @param template		name template, e.g. "vti%k"
 * @param key			VTI key
 * @param name			receives the name
 * @return				FALSE if the result is no valid interface name
 */
bool vti_config_expand_name(char *template, uint32_t key, char name[IFNAMSIZ]);

#endif /** VTI_CONFIG_H_ @}*/
