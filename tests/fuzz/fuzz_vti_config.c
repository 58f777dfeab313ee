/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * libFuzzer target for the settings resolver and the name templates.
 *
 * Each line of an input is the value of one setting of charon.plugins.vti,
 * in the order of names[] below: lines 1-11 go to the global section,
 * 12-22 to keys.15, 23-33 to connections.site, 34-44 to
 * connections.site.children.net; settings without a line stay unset. The
 * settings are resolved for the child net of site with key 15, as a VTI
 * and as an XFRM interface, and the first line is also expanded as a name
 * template with a few keys.
 *
 * Besides the sanitizers, it checks what the resolver promises: a valid
 * interface name, an MTU that vti and vti6 devices take, list entries in a
 * canonical form that resolves to itself without a complaint, and copies
 * that compare equal.
 */

#include <stdarg.h>
#include <stdio.h>

#include <library.h>

#include "vti_config.h"
#include "vti_prefix.h"

/** The settings an input sets, in the order of its lines */
static char *names[] = {
	"name", "mtu", "addresses", "routes", "table", "metric", "fail_closed",
	"fail_closed_metric", "down_action", "remote", "xfrm_name",
};

/** The sections below charon.plugins.vti the lines go to, in turn */
static char *sections[] = {
	"", "keys.15.", "connections.site.", "connections.site.children.net.",
};

/** Lines logged since the last reset */
static int logged;

/** The library's own settings, put back after each input */
static settings_t *library_settings;

/**
 * Start over with empty settings. The settings object keeps every value
 * it ever held until it goes, so each input gets one of its own.
 */
static void fresh_settings(void)
{
	if (lib->settings != library_settings)
	{
		lib->settings->destroy(lib->settings);
	}
	lib->settings = settings_create_string("");
}

/**
 * Format each log line, as charon would, and count it.
 */
static void count_line(debug_t group, level_t level, char *fmt, ...)
{
	char line[1024];
	va_list args;

	va_start(args, fmt);
	vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	logged++;
}

/**
 * Stop with a message: libFuzzer keeps the input that got here.
 */
static void broken(char *what, char *value)
{
	fprintf(stderr, "fuzz_vti_config: %s: '%s'\n", what, value);
	abort();
}

/**
 * Whether a name is one the resolver may hand to the kernel.
 */
static bool valid_name(char *name)
{
	size_t len = strnlen(name, IFNAMSIZ);

	return len > 0 && len < IFNAMSIZ && !strpbrk(name, "%/: \t\n\v\f\r") &&
		   !strchr(name, 0xa0) && !streq(name, ".") && !streq(name, "..") &&
		   !streq(name, "all") && !streq(name, "default");
}

/**
 * Join a list of prefixes, printed, with ", ".
 */
static char *join(array_t *list)
{
	enumerator_t *enumerator;
	vti_prefix_t *prefix;
	char str[VTI_PREFIX_STRLEN], *joined = strdup(""), *next;

	enumerator = array_create_enumerator(list);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		prefix->print(prefix, str, sizeof(str));
		if (asprintf(&next, "%s%s%s", joined, *joined ? ", " : "", str) < 0)
		{
			abort();
		}
		free(joined);
		joined = next;
	}
	enumerator->destroy(enumerator);
	return joined;
}

/**
 * Resolve the canonical lists of a config again: they must come back the
 * same, without a log line.
 */
static void check_round_trip(vti_config_t *cfg)
{
	vti_config_t *again;
	char *addresses, *routes, mtu[16];

	addresses = join(cfg->addresses);
	routes = join(cfg->route_list);
	snprintf(mtu, sizeof(mtu), "%u", cfg->mtu);
	fresh_settings();
	if (cfg->mtu)
	{
		lib->settings->set_str(lib->settings, "%s.plugins.vti.mtu", mtu,
							   lib->ns);
	}
	lib->settings->set_str(lib->settings, "%s.plugins.vti.addresses",
						   addresses, lib->ns);
	lib->settings->set_str(lib->settings, "%s.plugins.vti.routes",
						   cfg->routes == VTI_ROUTES_LIST ? routes : "none",
						   lib->ns);
	logged = 0;
	again = vti_config_resolve("site", "net", cfg->kind, 15);
	if (logged)
	{
		broken("canonical lists were refused", routes);
	}
	if (array_count(again->addresses) != array_count(cfg->addresses))
	{
		broken("addresses changed on a second resolve", addresses);
	}
	if (cfg->routes == VTI_ROUTES_LIST &&
		array_count(again->route_list) != array_count(cfg->route_list))
	{
		broken("routes changed on a second resolve", routes);
	}
	vti_config_destroy(again);
	free(addresses);
	free(routes);
}

/**
 * Check what a resolved config promises.
 */
static void check_config(vti_config_t *cfg)
{
	vti_config_t *clone;

	if (!valid_name(cfg->name))
	{
		broken("invalid interface name resolved", cfg->name);
	}
	if (cfg->mtu && (cfg->mtu < 68 || cfg->mtu > 65495))
	{
		broken("MTU out of range resolved", cfg->name);
	}
	clone = vti_config_clone(cfg);
	if (!vti_config_equals(cfg, clone))
	{
		broken("a copy differs", cfg->name);
	}
	vti_config_destroy(clone);
	check_round_trip(cfg);
}

/**
 * Expand a name template with a few keys.
 */
static void check_template(char *template)
{
	uint32_t keys[] = { 0, 15, 4294967295u };
	char name[IFNAMSIZ];
	size_t i;

	for (i = 0; i < countof(keys); i++)
	{
		if (vti_config_expand_name(template, keys[i], name))
		{
			if (!valid_name(name))
			{
				broken("invalid interface name expanded", template);
			}
			if (!strchr(template, '%') && !streq(name, template))
			{
				broken("a fixed name changed", template);
			}
		}
	}
}

/**
 * Set up the library once, with an empty strongswan.conf.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char conf[] = "/tmp/vti-fuzz-XXXXXX";
	int fd;

	fd = mkstemp(conf);
	if (fd < 0)
	{
		return 1;
	}
	close(fd);
	library_init(conf, "charon");
	unlink(conf);
	library_settings = lib->settings;
	dbg = count_line;
	return 0;
}

/**
 * Resolve the settings an input sets.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input, *line, *next;
	vti_config_t *cfg;
	u_int i = 0;

	input = malloc(size + 1);
	memcpy(input, data, size);
	input[size] = '\0';
	line = strndup(input, strcspn(input, "\n"));
	check_template(line);
	free(line);

	fresh_settings();
	for (line = input; line && i < countof(names) * countof(sections); i++)
	{
		next = strchr(line, '\n');
		if (next)
		{
			*next++ = '\0';
		}
		lib->settings->set_str(lib->settings, "%s.plugins.vti.%s%s", line,
							   lib->ns, sections[i / countof(names)],
							   names[i % countof(names)]);
		line = next;
	}
	cfg = vti_config_resolve("site", "net", VTI_KIND_VTI, 15);
	check_config(cfg);
	vti_config_destroy(cfg);
	cfg = vti_config_resolve("site", "net", VTI_KIND_XFRM, 15);
	check_config(cfg);
	vti_config_destroy(cfg);
	free(input);
	lib->settings->destroy(lib->settings);
	lib->settings = library_settings;
	return 0;
}
