/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Loads the plugin from a folder through libstrongswan's plugin loader,
 * as charon loads it from its plugin directory, and prints what the loader
 * logs. strongSwan 6.0.3 and later refuse a plugin whose version string
 * differs from their own: scripts/check-trees runs this with each
 * version's libstrongswan, on that version's build of the plugin and on
 * another version's.
 */

#include <stdio.h>

#include <daemon.h>

/**
 * Print what is logged at level 1.
 */
static void print_dbg(debug_t group, level_t level, char *fmt, ...)
{
	va_list args;

	if (level <= 1)
	{
		va_start(args, fmt);
		vprintf(fmt, args);
		va_end(args);
		printf("\n");
	}
}

/**
 * What the plugin logs through charon's bus, printed the same way.
 */
static void bus_log(bus_t *bus, debug_t group, level_t level, char *fmt, ...)
{
	va_list args;

	if (level <= 1)
	{
		va_start(args, fmt);
		vprintf(fmt, args);
		va_end(args);
		printf("\n");
	}
}

/** charon's bus as far as the plugin's constructor uses it: its log */
static bus_t bus = {
	.log = bus_log,
};

/** charon as far as the plugin's constructor uses it */
static daemon_t fake_charon = {
	.bus = &bus,
};

/**
 * The one data symbol the plugin takes from libcharon, resolved when it is
 * loaded.
 */
daemon_t *charon = &fake_charon;

int main(int argc, char *argv[])
{
	if (argc < 2 || argc > 3)
	{
		fprintf(stderr, "usage: %s PLUGIN_FOLDER [STRONGSWAN_CONF]\n",
				argv[0]);
		return 2;
	}
	dbg = print_dbg;
	if (!library_init(argc > 2 ? argv[2] : NULL, "plugin-load"))
	{
		library_deinit();
		return 1;
	}
	lib->plugins->add_path(lib->plugins, argv[1]);
	lib->plugins->load(lib->plugins, "vti");
	printf("loaded plugins: %s\n", lib->plugins->loaded_plugins(lib->plugins));
	library_deinit();
	return 0;
}
