/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * strongSwan's linked_list.c, built into the threaded unit test when
 * configured with --enable-tsan. The installed libstrongswan is not
 * instrumented: compiled here, the list code the tunnel table and the
 * recording driver use is, and it takes precedence over the library's, so
 * that ThreadSanitizer also sees races on their lists (e.g. driver calls
 * that the table fails to serialize).
 */

/* strongSwan's own code, built with our stricter warnings */
#pragma GCC diagnostic ignored "-Wsign-compare"

#include <collections/linked_list.c>
