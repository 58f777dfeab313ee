/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_config.h"
#include "vti_strings.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>

/** Default interface name template */
#define DEFAULT_NAME "vti%k"

/** Routing table "main" */
#define TABLE_MAIN 254

/** Default metric of the blackhole routes: the last resort */
#define DEFAULT_FAIL_CLOSED_METRIC UINT32_MAX

/** Where a tunnel's settings come from, most specific first */
typedef struct {
	/** connection name */
	char *conn;
	/** CHILD_SA config name */
	char *child;
	/** VTI key */
	uint32_t key;
} scope_t;

/** Room for the strongswan.conf path of a setting */
#define PATH_LEN 256

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
 * Log a bad value: which tunnel, which setting, what was wrong, what fits.
 */
static void complain(scope_t *scope, char *path, char *value, char *form,
					 char *fallback)
{
	DBG1(DBG_CFG, "vti: %s/%s: %s.plugins.vti.%s = '%s' is invalid, expected "
		 "%s; using %s", scope->conn, scope->child, lib->ns, path, value,
		 form, fallback);
}

/**
 * Parse an unsigned 32-bit number within bounds.
 */
static bool parse_u32(char *value, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long num;
	char *end;

	if (!value || !*value || *value == '-')
	{
		return FALSE;
	}
	errno = 0;
	num = strtoull(value, &end, 10);
	if (errno || *end || num < min || num > max)
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
 * Whether a string is an address or prefix; with need_len, the prefix
 * length must be given.
 */
static bool is_prefix(char *str, bool need_len)
{
	host_t *host;
	int bits;

	if (need_len && !strchr(str, '/'))
	{
		return FALSE;
	}
	host = host_create_from_subnet(str, &bits);
	if (!host)
	{
		return FALSE;
	}
	host->destroy(host);
	return TRUE;
}

/**
 * Parse a comma-separated list of prefixes; bad entries are logged and left
 * out.
 */
static linked_list_t *get_prefixes(scope_t *scope, char *path, char *value,
								   bool need_len)
{
	enumerator_t *enumerator;
	linked_list_t *list;
	char *entry;

	list = linked_list_create();
	if (!value)
	{
		return list;
	}
	enumerator = enumerator_create_token(value, ",", " ");
	while (enumerator->enumerate(enumerator, &entry))
	{
		if (is_prefix(entry, need_len))
		{
			list->insert_last(list, strdup(entry));
		}
		else
		{
			complain(scope, path, entry, need_len ? "ADDRESS/PREFIXLEN, "
					 "e.g. 169.254.15.1/30" : "a prefix, e.g. 10.1.0.0/16",
					 "the others");
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
	char *template, path[PATH_LEN];

	template = lookup(scope, "name", path) ?: DEFAULT_NAME;
	if (!vti_config_expand_name(template, scope->key, cfg->name))
	{
		complain(scope, path, template, "at most 15 characters without "
				 "'/', ':' or spaces once %k is the key", DEFAULT_NAME);
		vti_config_expand_name(DEFAULT_NAME, scope->key, cfg->name);
	}
}

/**
 * Resolve the MTU: a number, or "auto".
 */
static void resolve_mtu(scope_t *scope, vti_config_t *cfg)
{
	char *value, path[PATH_LEN];

	value = lookup(scope, "mtu", path);
	if (!value || strcaseeq(value, "auto"))
	{
		return;
	}
	if (!parse_u32(value, 68, 65535, &cfg->mtu))
	{
		complain(scope, path, value, "auto or a number from 68 to 65535",
				 "auto");
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
		cfg->route_list = linked_list_create();
	}
	else if (strcaseeq(value, "remote_ts"))
	{
		cfg->routes = VTI_ROUTES_REMOTE_TS;
		cfg->route_list = linked_list_create();
	}
	else
	{
		cfg->routes = VTI_ROUTES_LIST;
		cfg->route_list = get_prefixes(scope, path, value, FALSE);
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

/*
 * Described in header
 */
vti_config_t *vti_config_resolve(char *conn, char *child, uint32_t key)
{
	scope_t scope = { .conn = conn, .child = child, .key = key };
	vti_config_t *cfg;
	char path[PATH_LEN];

	INIT(cfg);
	resolve_name(&scope, cfg);
	resolve_mtu(&scope, cfg);
	cfg->addresses = get_prefixes(&scope, path,
								  lookup(&scope, "addresses", path), TRUE);
	resolve_routes(&scope, cfg);
	resolve_table(&scope, cfg);
	cfg->metric = get_u32(&scope, "metric", 0, UINT32_MAX, 0,
						  "a number from 0 to 4294967295");
	cfg->fail_closed = get_bool(&scope, "fail_closed", TRUE);
	cfg->fail_closed_metric = get_u32(&scope, "fail_closed_metric", 0,
								UINT32_MAX, DEFAULT_FAIL_CLOSED_METRIC,
								"a number from 0 to 4294967295");
	resolve_down_action(&scope, cfg);
	return cfg;
}

/*
 * Described in header
 */
vti_config_t *vti_config_clone(vti_config_t *this)
{
	vti_config_t *clone;

	clone = malloc_thing(vti_config_t);
	*clone = *this;
	clone->addresses = vti_strings_clone(this->addresses);
	clone->route_list = vti_strings_clone(this->route_list);
	return clone;
}

/*
 * Described in header
 */
bool vti_config_equals(vti_config_t *a, vti_config_t *b)
{
	return streq(a->name, b->name) && a->mtu == b->mtu &&
		   vti_strings_equal(a->addresses, b->addresses) &&
		   a->routes == b->routes &&
		   vti_strings_equal(a->route_list, b->route_list) &&
		   a->table == b->table && a->metric == b->metric &&
		   a->fail_closed == b->fail_closed &&
		   a->fail_closed_metric == b->fail_closed_metric &&
		   a->down_action == b->down_action;
}

/*
 * Described in header
 */
void vti_config_destroy(vti_config_t *this)
{
	if (this)
	{
		vti_strings_destroy(this->addresses);
		vti_strings_destroy(this->route_list);
		free(this);
	}
}

/**
 * Whether the kernel accepts a name for a network interface.
 */
static bool valid_ifname(char *name)
{
	if (!*name || streq(name, ".") || streq(name, ".."))
	{
		return FALSE;
	}
	for (; *name; name++)
	{
		if (*name == '/' || *name == ':' || isspace((unsigned char)*name))
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
	char buf[64] = "";
	size_t len = 0;
	int written;

	for (; *template; template++)
	{
		if (*template == '%' && template[1] == 'k')
		{
			written = snprintf(buf + len, sizeof(buf) - len, "%u", key);
			template++;
		}
		else if (*template == '%' && template[1] == '%')
		{
			written = snprintf(buf + len, sizeof(buf) - len, "%%");
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
	if (len >= IFNAMSIZ || !valid_ifname(buf))
	{
		return FALSE;
	}
	memcpy(name, buf, len + 1);
	return TRUE;
}
