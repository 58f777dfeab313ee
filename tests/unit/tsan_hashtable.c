/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * strongSwan's hashtable.c, built into the threaded unit test when configured
 * with --enable-tsan. The installed libstrongswan is not instrumented:
 * compiled here, the hashtable code the tunnel table uses is, and it takes
 * precedence over the library's, so that ThreadSanitizer also sees races
 * on the table's hashtables.
 */

/* strongSwan's own code, built with our stricter warnings */
#pragma GCC diagnostic ignored "-Wsign-compare"

#include <collections/hashtable.c>
