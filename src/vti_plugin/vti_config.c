/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_config.h"
#include "vti_prefix.h"

#include <ctype.h>

/** Default interface name template of a VTI */
#define DEFAULT_NAME "vti%k"

/** Default interface name template of an XFRM interface */
#define DEFAULT_XFRM_NAME "xfrm%k"

/** Routing table "main" */
#define TABLE_MAIN 254

/** Default metric of the blackhole routes: the last resort */
#define DEFAULT_FAIL_CLOSED_METRIC UINT32_MAX

/** Lowest MTU the kernel accepts for vti and vti6 devices (IPv4's minimum) */
#define MTU_MIN 68

/**
 * Highest MTU the kernel accepts for both: 65535 less the outer header,
 * i.e. 65515 for vti, 65495 for vti6.
 */
#define MTU_MAX 65495

/** Lowest MTU at which the kernel runs IPv6 on a device */
#define MTU_MIN_IPV6 1280

/** Where a tunnel's settings come from, most specific first */
typedef struct {
	/** connection name */
	char *conn;
	/** CHILD_SA config name */
	char *child;
	/** kind of the device */
	vti_kind_t kind;
	/** VTI key or if_id */
	uint32_t key;
	/** log bad values of the protect setting, not of the others */
	bool protection;
} scope_t;

/** Room for the strongswan.conf path of a setting */
#define PATH_LEN 256

/** Room for an accepted form or a canonical prefix in a log line */
#define FORM_LEN 160

/**
 * Most specific value of a setting, NULL if it is set nowhere. Also tells
 * where below charon.plugins.vti it was looked up last, for log lines.
 * Names go in as arguments, so that dots in them do not nest sections.
 */
static char *lookup(scope_t *scope, char *name, char path[PATH_LEN])
{
	char *value, key[16];

	snprintf(path, PATH_LEN, "connections.%s.children.%s.%s", scope->conn,
			 scope->child, name);
	value = lib->settings->get_str(lib->settings,
						"%s.plugins.vti.connections.%s.children.%s.%s", NULL,
						lib->ns, scope->conn, scope->child, name);
	if (!value)
	{
		snprintf(path, PATH_LEN, "connections.%s.%s", scope->conn, name);
		value = lib->settings->get_str(lib->settings,
						"%s.plugins.vti.connections.%s.%s", NULL,
						lib->ns, scope->conn, name);
	}
	if (!value)
	{
		snprintf(key, sizeof(key), "%u", scope->key);
		snprintf(path, PATH_LEN, "keys.%s.%s", key, name);
		value = lib->settings->get_str(lib->settings,
						"%s.plugins.vti.keys.%s.%s", NULL, lib->ns, key, name);
	}
	if (!value)
	{
		snprintf(path, PATH_LEN, "%s", name);
		value = lib->settings->get_str(lib->settings, "%s.plugins.vti.%s",
						NULL, lib->ns, name);
	}
	return value;
}

/**
 * Whether a setting's path names the protect setting.
 */
static bool is_protect(char *path)
{
	size_t len = strlen(path);

	return len >= strlen("protect") &&
		   streq(path + len - strlen("protect"), "protect");
}

/**
 * Log a bad value: which tunnel, which setting, what was wrong, what fits;
 * the protect setting's only when resolving a protection, the others' only
 * when resolving a tunnel's settings, so that each is told once.
 */
static void complain(scope_t *scope, char *path, char *value, char *form,
					 char *fallback)
{
	if (scope->protection != is_protect(path))
	{
		return;
	}
	DBG1(DBG_CFG, "vti: %s/%s: %s.plugins.vti.%s = '%s' is invalid, expected "
		 "%s; using %s", scope->conn, scope->child, lib->ns, path, value,
		 form, fallback);
}

/**
 * Parse a decimal number of digits only (no sign, no spaces, no base
 * prefix) within bounds.
 */
static bool parse_u32(char *value, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t num = 0;

	if (!value || !*value)
	{
		return FALSE;
	}
	for (; *value; value++)
	{
		if (*value < '0' || *value > '9')
		{
			return FALSE;
		}
		num = num * 10 + (*value - '0');
		if (num > max)
		{
			return FALSE;
		}
	}
	if (num < min)
	{
		return FALSE;
	}
	*out = num;
	return TRUE;
}

/**
 * Get a number setting, the default if unset or invalid.
 */
static uint32_t get_u32(scope_t *scope, char *name, uint32_t min,
						uint32_t max, uint32_t def, char *form)
{
	char *value, path[PATH_LEN], fallback[16];
	uint32_t num;

	value = lookup(scope, name, path);
	if (!value)
	{
		return def;
	}
	if (!parse_u32(value, min, max, &num))
	{
		snprintf(fallback, sizeof(fallback), "%u", def);
		complain(scope, path, value, form, fallback);
		return def;
	}
	return num;
}

/**
 * Get a boolean setting, the default if unset or invalid.
 */
static bool get_bool(scope_t *scope, char *name, bool def)
{
	char *value, path[PATH_LEN];

	value = lookup(scope, name, path);
	if (!value)
	{
		return def;
	}
	if (strcaseeq(value, "yes") || strcaseeq(value, "true") ||
		strcaseeq(value, "enabled") || streq(value, "1"))
	{
		return TRUE;
	}
	if (strcaseeq(value, "no") || strcaseeq(value, "false") ||
		strcaseeq(value, "disabled") || streq(value, "0"))
	{
		return FALSE;
	}
	complain(scope, path, value, "yes or no", def ? "yes" : "no");
	return def;
}

/**
 * The bytes of a parsed prefix, for the checks of its entry.
 */
typedef struct {
	/** AF_INET or AF_INET6 */
	int family;
	/** address, network byte order */
	uint8_t addr[16];
	/** bytes of the address: 4 or 16 */
	u_int bytes;
	/** prefix length */
	u_int bits;
} prefix_t;

/**
 * The bytes of a prefix.
 */
static void bytes_of(vti_prefix_t *parsed, prefix_t *prefix)
{
	host_t *addr = parsed->get_address(parsed);
	chunk_t bytes = addr->get_address(addr);

	prefix->family = parsed->get_family(parsed);
	prefix->bytes = bytes.len;
	prefix->bits = parsed->get_length(parsed);
	memcpy(prefix->addr, bytes.ptr, bytes.len);
}

/**
 * Whether the host part of a prefix is all zeros (or, with ones, all ones).
 */
static bool host_part_is(prefix_t *prefix, bool ones)
{
	uint8_t want, mask;
	u_int i;

	for (i = prefix->bits / 8; i < prefix->bytes; i++)
	{
		mask = i == prefix->bits / 8 ? 0xff >> (prefix->bits % 8) : 0xff;
		want = ones ? mask : 0;
		if ((prefix->addr[i] & mask) != want)
		{
			return FALSE;
		}
	}
	return TRUE;
}

/**
 * Clear the host part of a prefix, leaving its network.
 */
static void clear_host_part(prefix_t *prefix)
{
	u_int i;

	for (i = prefix->bits / 8; i < prefix->bytes; i++)
	{
		prefix->addr[i] &= i == prefix->bits / 8 ?
							~(0xff >> (prefix->bits % 8)) : 0;
	}
}

/**
 * Print a prefix in its canonical form, e.g. 10.1.0.0/16 or 2001:db8::/32.
 */
static void print_prefix(prefix_t *prefix, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(prefix->family, prefix->addr, addr, sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, prefix->bits);
}

/**
 * What makes an address unfit for any device: being the unspecified or a
 * multicast address; NULL if neither.
 */
static char *special_address(prefix_t *prefix)
{
	prefix_t all = *prefix;

	all.bits = 0;
	if (host_part_is(&all, FALSE))
	{
		return "the unspecified address";
	}
	if ((prefix->family == AF_INET && (prefix->addr[0] & 0xf0) == 0xe0) ||
		(prefix->family == AF_INET6 && prefix->addr[0] == 0xff))
	{
		return "a multicast address";
	}
	return NULL;
}

/**
 * Check an entry of the addresses setting: ADDRESS/LEN with ADDRESS a host
 * of the prefix, i.e. neither the unspecified nor a multicast address, nor
 * the network address of a prefix with room for hosts (IPv4 up to /30, IPv6
 * up to /126: the subnet-router anycast address) nor the broadcast address
 * of an IPv4 one. Fills in the accepted form if not.
 */
static bool check_address(prefix_t *prefix, char *form, size_t len)
{
	u_int hosts = prefix->family == AF_INET ? 30 : 126;
	char *what;

	what = special_address(prefix);
	if (!what && prefix->bits <= hosts && host_part_is(prefix, FALSE))
	{
		what = "the network address of its prefix";
	}
	if (!what && prefix->family == AF_INET && prefix->bits <= hosts &&
		host_part_is(prefix, TRUE))
	{
		what = "the broadcast address of its prefix";
	}
	if (what)
	{
		snprintf(form, len, "ADDRESS/LEN with ADDRESS a host address, not "
				 "%s, e.g. 169.254.15.1/30", what);
		return FALSE;
	}
	return TRUE;
}

/**
 * Check an entry of the routes setting: NET/LEN without host bits. Fills
 * in the accepted form, with the network of the entry, if not.
 */
static bool check_route(prefix_t *prefix, char *form, size_t len)
{
	char net[INET6_ADDRSTRLEN + 4];

	if (host_part_is(prefix, FALSE))
	{
		return TRUE;
	}
	clear_host_part(prefix);
	print_prefix(prefix, net, sizeof(net));
	snprintf(form, len, "NET/LEN without host bits, here %s", net);
	return FALSE;
}

/**
 * Log a bad list entry: which tunnel, which setting, what fits.
 */
static void complain_entry(scope_t *scope, char *path, char *entry,
						   char *form)
{
	if (scope->protection != is_protect(path))
	{
		return;
	}
	DBG1(DBG_CFG, "vti: %s/%s: %s.plugins.vti.%s entry '%s' is invalid, "
		 "expected %s; leaving it out", scope->conn, scope->child, lib->ns,
		 path, entry, form);
}

/**
 * Parse and check one entry of addresses (is_address) or routes; on
 * failure, print the accepted form to form. An explicit MTU below 1280
 * leaves no room for IPv6 entries: the kernel runs no IPv6 on such a
 * device.
 */
static vti_prefix_t *check_entry(char *entry, bool is_address, uint32_t mtu,
								 char *form, size_t len)
{
	vti_prefix_t *parsed;
	prefix_t prefix;

	parsed = vti_prefix_create_from_string(entry);
	if (!parsed)
	{
		snprintf(form, len, "%s/LEN with LEN 0-32 for IPv4 or 0-128 for "
				 "IPv6, e.g. %s", is_address ? "ADDRESS" : "NET",
				 is_address ? "169.254.15.1/30" : "10.1.0.0/16");
		return NULL;
	}
	bytes_of(parsed, &prefix);
	if (is_address ? !check_address(&prefix, form, len)
				   : !check_route(&prefix, form, len))
	{
		parsed->destroy(parsed);
		return NULL;
	}
	if (prefix.family == AF_INET6 && mtu && mtu < MTU_MIN_IPV6)
	{
		snprintf(form, len, "IPv4 only with mtu = %u: the kernel runs no "
				 "IPv6 on a device with an MTU below %u", mtu, MTU_MIN_IPV6);
		parsed->destroy(parsed);
		return NULL;
	}
	return parsed;
}

/**
 * Parse a comma-separated list of addresses or route prefixes; bad and
 * repeated entries are logged and left out.
 */
static array_t *get_prefixes(scope_t *scope, char *path, char *value,
							 bool is_address, uint32_t mtu)
{
	enumerator_t *enumerator;
	array_t *list = NULL;
	vti_prefix_t *prefix;
	char *entry, form[FORM_LEN];

	if (!value)
	{
		return NULL;
	}
	enumerator = enumerator_create_token(value, ",", " \t");
	while (enumerator->enumerate(enumerator, &entry))
	{
		prefix = check_entry(entry, is_address, mtu, form, sizeof(form));
		if (!prefix)
		{
			complain_entry(scope, path, entry, form);
		}
		else if (vti_prefix_list_has(list, prefix))
		{
			complain_entry(scope, path, entry, "each entry once, not again");
			prefix->destroy(prefix);
		}
		else
		{
			array_insert_create(&list, ARRAY_TAIL, prefix);
		}
	}
	enumerator->destroy(enumerator);
	return list;
}

/**
 * Resolve the name template.
 */
static void resolve_name(scope_t *scope, vti_config_t *cfg)
{
	char *template, *def, path[PATH_LEN];
	bool xfrm = scope->kind == VTI_KIND_XFRM;

	def = xfrm ? DEFAULT_XFRM_NAME : DEFAULT_NAME;
	template = lookup(scope, xfrm ? "xfrm_name" : "name", path) ?: def;
	if (!vti_config_expand_name(template, scope->key, cfg->name))
	{
		complain(scope, path, template, xfrm ?
				 "at most 15 characters once %k is the if_id, without any "
				 "other '%', '/', ':' or spaces, and not '.', '..', 'all' or "
				 "'default'" :
				 "at most 15 characters once %k is the key, without any "
				 "other '%', '/', ':' or spaces, and not '.', '..', 'all' or "
				 "'default'", def);
		vti_config_expand_name(def, scope->key, cfg->name);
	}
}

/**
 * Resolve the MTU: a number both vti and vti6 devices accept, or "auto".
 */
static void resolve_mtu(scope_t *scope, vti_config_t *cfg)
{
	char *value, path[PATH_LEN], form[FORM_LEN];

	value = lookup(scope, "mtu", path);
	if (!value || strcaseeq(value, "auto"))
	{
		return;
	}
	if (!parse_u32(value, MTU_MIN, MTU_MAX, &cfg->mtu))
	{
		snprintf(form, sizeof(form), "auto or a number from %u to %u",
				 MTU_MIN, MTU_MAX);
		complain(scope, path, value, form, "auto");
		cfg->mtu = 0;
	}
}

/**
 * Resolve the routes: none, remote_ts, or a list of prefixes.
 */
static void resolve_routes(scope_t *scope, vti_config_t *cfg)
{
	char *value, path[PATH_LEN];

	value = lookup(scope, "routes", path);
	if (!value || strcaseeq(value, "none") || !*value)
	{
		cfg->routes = VTI_ROUTES_NONE;
	}
	else if (strcaseeq(value, "remote_ts"))
	{
		cfg->routes = VTI_ROUTES_REMOTE_TS;
	}
	else
	{
		cfg->routes = VTI_ROUTES_LIST;
		cfg->route_list = get_prefixes(scope, path, value, FALSE, cfg->mtu);
	}
}

/**
 * Resolve the protection: remote_ts (the default), none, or a list of
 * prefixes.
 */
static void resolve_protect(scope_t *scope, vti_config_t *cfg)
{
	char *value, path[PATH_LEN];

	value = lookup(scope, "protect", path);
	if (!value || strcaseeq(value, "remote_ts"))
	{
		cfg->protect = VTI_PROTECT_REMOTE_TS;
	}
	else if (strcaseeq(value, "none") || !*value)
	{
		cfg->protect = VTI_PROTECT_NONE;
	}
	else
	{
		cfg->protect = VTI_PROTECT_LIST;
		cfg->protect_list = get_prefixes(scope, path, value, FALSE, 0);
	}
}

/**
 * Resolve the routing table: a number, or "main".
 */
static void resolve_table(scope_t *scope, vti_config_t *cfg)
{
	char *value, path[PATH_LEN];

	value = lookup(scope, "table", path);
	cfg->table = TABLE_MAIN;
	if (value && !strcaseeq(value, "main") &&
		!parse_u32(value, 1, UINT32_MAX, &cfg->table))
	{
		complain(scope, path, value, "main or a number from 1 to "
				 "4294967295", "main");
		cfg->table = TABLE_MAIN;
	}
}

/**
 * Resolve what happens when the last SA goes: down or delete.
 */
static void resolve_down_action(scope_t *scope, vti_config_t *cfg)
{
	char *value, path[PATH_LEN];

	value = lookup(scope, "down_action", path);
	cfg->down_action = VTI_DOWN_ACTION_DOWN;
	if (value && strcaseeq(value, "delete"))
	{
		cfg->down_action = VTI_DOWN_ACTION_DELETE;
	}
	else if (value && !strcaseeq(value, "down"))
	{
		complain(scope, path, value, "down or delete", "down");
	}
}

/**
 * Resolve the device's remote address: the peer's or any.
 */
static void resolve_remote(scope_t *scope, vti_config_t *cfg)
{
	char *value, path[PATH_LEN];

	value = lookup(scope, "remote", path);
	cfg->remote = VTI_REMOTE_PEER;
	if (value && strcaseeq(value, "any"))
	{
		cfg->remote = VTI_REMOTE_ANY;
	}
	else if (value && !strcaseeq(value, "peer"))
	{
		complain(scope, path, value, "peer or any", "peer");
	}
}

/**
 * Resolve the settings of a tunnel, logging the bad values of the protect
 * setting or of the others.
 */
static vti_config_t *resolve(char *conn, char *child, vti_kind_t kind,
							 uint32_t key, bool protection)
{
	scope_t scope = { .conn = conn, .child = child, .kind = kind,
					  .key = key, .protection = protection };
	vti_config_t *cfg;
	char path[PATH_LEN];

	INIT(cfg,
		.kind = kind,
		.refcount = 1,
	);
	resolve_name(&scope, cfg);
	resolve_mtu(&scope, cfg);
	cfg->addresses = get_prefixes(&scope, path,
								  lookup(&scope, "addresses", path), TRUE,
								  cfg->mtu);
	resolve_routes(&scope, cfg);
	resolve_table(&scope, cfg);
	cfg->metric = get_u32(&scope, "metric", 0, UINT32_MAX, 0,
						  "a number from 0 to 4294967295");
	cfg->fail_closed = get_bool(&scope, "fail_closed", TRUE);
	cfg->fail_closed_metric = get_u32(&scope, "fail_closed_metric", 0,
								UINT32_MAX, DEFAULT_FAIL_CLOSED_METRIC,
								"a number from 0 to 4294967295");
	resolve_down_action(&scope, cfg);
	resolve_remote(&scope, cfg);
	resolve_protect(&scope, cfg);
	return cfg;
}

/*
 * Described in header
 */
vti_config_t *vti_config_resolve(char *conn, char *child, vti_kind_t kind,
								 uint32_t key)
{
	return resolve(conn, child, kind, key, FALSE);
}

/*
 * Described in header
 */
vti_config_t *vti_config_resolve_protection(char *conn, char *child,
											vti_kind_t kind, uint32_t key)
{
	return resolve(conn, child, kind, key, TRUE);
}

/*
 * Described in header
 */
const char *vti_kind_name(vti_kind_t kind)
{
	return kind == VTI_KIND_XFRM ? "xfrm" : "vti";
}

/*
 * Described in header
 */
vti_config_t *vti_config_clone(vti_config_t *this)
{
	vti_config_t *clone;

	clone = malloc_thing(vti_config_t);
	*clone = *this;
	clone->refcount = 1;
	clone->addresses = vti_prefix_list_clone(this->addresses);
	clone->route_list = vti_prefix_list_clone(this->route_list);
	clone->protect_list = vti_prefix_list_clone(this->protect_list);
	return clone;
}

/*
 * Described in header
 */
vti_config_t *vti_config_get_ref(vti_config_t *this)
{
	ref_get(&this->refcount);
	return this;
}

/*
 * Described in header
 */
vti_config_t *vti_config_with_name(vti_config_t *this, char *name)
{
	vti_config_t *renamed;

	if (streq(this->name, name))
	{
		return vti_config_get_ref(this);
	}
	renamed = vti_config_clone(this);
	snprintf(renamed->name, sizeof(renamed->name), "%s", name);
	return renamed;
}

/*
 * Described in header
 */
bool vti_config_equals(vti_config_t *a, vti_config_t *b)
{
	return a->kind == b->kind && streq(a->name, b->name) &&
		   a->mtu == b->mtu &&
		   vti_prefix_list_equals(a->addresses, b->addresses) &&
		   a->routes == b->routes &&
		   vti_prefix_list_equals(a->route_list, b->route_list) &&
		   a->table == b->table && a->metric == b->metric &&
		   a->fail_closed == b->fail_closed &&
		   a->fail_closed_metric == b->fail_closed_metric &&
		   a->down_action == b->down_action && a->remote == b->remote &&
		   a->protect == b->protect &&
		   vti_prefix_list_equals(a->protect_list, b->protect_list);
}

/*
 * Described in header
 */
void vti_config_destroy(vti_config_t *this)
{
	if (this && ref_put(&this->refcount))
	{
		vti_prefix_list_destroy(this->addresses);
		vti_prefix_list_destroy(this->route_list);
		vti_prefix_list_destroy(this->protect_list);
		free(this);
	}
}

/**
 * Whether the kernel accepts a name for a network interface it creates: at
 * most 15 characters, no '/', ':' or spaces (to the kernel, 0xa0 is one),
 * no '%' (it either refuses one or expands "%d" to a number of its own
 * choice), and not a name its per-device sysctls use themselves.
 */
static bool valid_ifname(char *name)
{
	if (!*name || strlen(name) >= IFNAMSIZ || streq(name, ".") ||
		streq(name, "..") || streq(name, "all") || streq(name, "default"))
	{
		return FALSE;
	}
	for (; *name; name++)
	{
		if (*name == '/' || *name == ':' || *name == '%' ||
			isspace((unsigned char)*name) || (unsigned char)*name == 0xa0)
		{
			return FALSE;
		}
	}
	return TRUE;
}

/*
 * Described in header
 */
bool vti_config_expand_name(char *template, uint32_t key, char name[IFNAMSIZ])
{
	char buf[IFNAMSIZ];
	size_t len = 0;
	int written;

	for (; *template; template++)
	{
		if (*template == '%')
		{
			if (template[1] != 'k')
			{
				return FALSE;
			}
			written = snprintf(buf + len, sizeof(buf) - len, "%u", key);
			template++;
		}
		else
		{
			written = snprintf(buf + len, sizeof(buf) - len, "%c", *template);
		}
		if (written < 0 || (size_t)written >= sizeof(buf) - len)
		{
			return FALSE;
		}
		len += written;
	}
	buf[len] = '\0';
	if (!valid_ifname(buf))
	{
		return FALSE;
	}
	memcpy(name, buf, len + 1);
	return TRUE;
}
