# strongswan.m4 - find strongSwan's headers and match the installed charon
# Copyright (C) 2026 The strongswan-vti authors
# SPDX-License-Identifier: GPL-2.0-or-later
#
# strongSwan installs no headers. A plugin is compiled against the source
# tree of the charon that loads it, and must see the same ABI-relevant
# defines (ME above all) that charon itself was built with.

# SW_WITH_STRONGSWAN_SRC: --with-strongswan-src=DIR, default the tree that
# scripts/fetch-strongswan-src unpacks into .strongswan/src.
AC_DEFUN([SW_WITH_STRONGSWAN_SRC], [
	AC_ARG_WITH([strongswan-src],
		[AS_HELP_STRING([--with-strongswan-src=DIR],
			[strongSwan source tree matching the installed charon
			 @<:@default: SRCDIR/.strongswan/src@:>@])],
		[strongswan_src="$withval"],
		[strongswan_src="$(cd "$srcdir" && pwd)/.strongswan/src"])
	AC_MSG_CHECKING([for strongSwan source tree])
	AS_IF([test -f "$strongswan_src/src/libcharon/daemon.h" &&
	       test -f "$strongswan_src/src/libstrongswan/library.h"],
		[strongswan_src="$(cd "$strongswan_src" && pwd)"
		 AC_MSG_RESULT([$strongswan_src])],
		[AC_MSG_RESULT([no])
		 AC_MSG_ERROR([no strongSwan source tree at '$strongswan_src'.
Run scripts/fetch-strongswan-src (Debian: fetches the tree matching the
installed charon), or pass --with-strongswan-src=DIR.])])
	strongswan_version=$(sed -n '/^A@<:@C@:>@_INIT/{s/^@<:@^,@:>@*,//;s/@<:@^0-9.@:>@//g;p;q}' \
		"$strongswan_src/configure.ac" 2>/dev/null)
	AS_IF([test -z "$strongswan_version"],
		[AC_MSG_ERROR([cannot read the version from $strongswan_src/configure.ac])])
	AC_DEFINE_UNQUOTED([VERSION], ["$strongswan_version"],
		[version of the strongSwan tree compiled against])
	STRONGSWAN_CPPFLAGS="-I$strongswan_src/src/libstrongswan -I$strongswan_src/src/libcharon -D_GNU_SOURCE= -DCONFIG_H_INCLUDED -include \$(top_builddir)/config.h"
	AC_SUBST([STRONGSWAN_CPPFLAGS])
	AC_SUBST([strongswan_version])
])

# SW_FIND_LIBCHARON: the libcharon.so the plugin will be loaded beside,
# --with-libcharon=FILE to override.
AC_DEFUN([SW_FIND_LIBCHARON], [
	AC_ARG_WITH([libcharon],
		[AS_HELP_STRING([--with-libcharon=FILE],
			[the installed libcharon.so @<:@default: searched in
			 /usr/lib/ipsec, /usr/libexec/ipsec, /usr/local/lib/ipsec@:>@])],
		[libcharon_path="$withval"],
		[libcharon_path=""
		 for sw_dir in /usr/lib/ipsec /usr/libexec/ipsec /usr/local/lib/ipsec \
		               /usr/lib64/ipsec; do
			AS_IF([test -z "$libcharon_path" && test -f "$sw_dir/libcharon.so.0"],
				[libcharon_path="$sw_dir/libcharon.so.0"])
		 done])
	AC_MSG_CHECKING([for the installed libcharon])
	AS_IF([test -n "$libcharon_path" && test -f "$libcharon_path"],
		[AC_MSG_RESULT([$libcharon_path])
		 libstrongswan_dir=$(dirname "$libcharon_path")],
		[AC_MSG_RESULT([no])
		 libcharon_path=""
		 libstrongswan_dir=""])
	AC_SUBST([libstrongswan_dir])
])

# SW_CHECK_MEDIATION: define ME exactly when the installed charon has
# mediation support (ike_sa_t and peer_cfg_t change layout with it).
AC_DEFUN([SW_CHECK_MEDIATION], [
	AC_ARG_ENABLE([mediation],
		[AS_HELP_STRING([--enable-mediation],
			[charon was built with --enable-mediation (defines ME)
			 @<:@default: detected from the installed libcharon@:>@])],
		[sw_mediation="$enableval"], [sw_mediation=auto])
	AS_IF([test "x$sw_mediation" = xauto], [
		AC_MSG_CHECKING([whether the installed charon was built with mediation])
		AS_IF([test -z "$libcharon_path"],
			[AC_MSG_RESULT([unknown])
			 AC_MSG_ERROR([cannot tell whether charon was built with mediation: no
libcharon found. Pass --with-libcharon=FILE, or --enable-mediation /
--disable-mediation to match the charon that will load the plugin (Debian
and Ubuntu: --enable-mediation).])])
		AC_PATH_TOOL([NM], [nm])
		AS_IF([test -z "$NM"],
			[AC_MSG_ERROR([nm is needed to inspect $libcharon_path; install binutils
or pass --enable-mediation / --disable-mediation])])
		AS_IF([$NM -D "$libcharon_path" | grep -q ' T mediation_manager_create$'],
			[sw_mediation=yes], [sw_mediation=no])
		AC_MSG_RESULT([$sw_mediation])
	])
	AS_IF([test "x$sw_mediation" = xyes],
		[AC_DEFINE([ME], [1], [charon built with mediation support])])
])

# SW_CHECK_ABI_DEFINES: the HAVE_* macros strongSwan's headers branch on.
AC_DEFUN([SW_CHECK_ABI_DEFINES], [
	AC_CHECK_HEADERS([stdbool.h alloca.h sys/param.h sys/capability.h])
	AC_CHECK_FUNCS([clock_gettime explicit_bzero sigwaitinfo memrchr fmemopen closefrom])
	AC_CACHE_CHECK([for monotonic condvar clock], [sw_cv_condattr_mono],
		[AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <pthread.h>]], [[
			pthread_condattr_t attr;
			return pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);]])],
			[sw_cv_condattr_mono=yes], [sw_cv_condattr_mono=no])])
	AS_IF([test "x$sw_cv_condattr_mono" = xyes],
		[AC_DEFINE([HAVE_CONDATTR_CLOCK_MONOTONIC], [1], [monotonic condvars])])
	AC_CHECK_TYPE([__int128], [AC_DEFINE([HAVE_INT128], [1], [128-bit integers])])
])

# SW_WITH_PLUGINDIR: charon's plugin directory, next to libcharon.
AC_DEFUN([SW_WITH_PLUGINDIR], [
	AC_ARG_WITH([plugindir],
		[AS_HELP_STRING([--with-plugindir=DIR],
			[charon's plugin directory @<:@default: beside libcharon@:>@])],
		[plugindir="$withval"],
		[AS_IF([test -n "$libstrongswan_dir"],
			[plugindir="$libstrongswan_dir/plugins"],
			[plugindir='${libdir}/ipsec/plugins'])])
	AC_SUBST([plugindir])
])

# SW_WITH_CONFDIR: where strongswan.conf snippets of charon's plugins live.
AC_DEFUN([SW_WITH_CONFDIR], [
	AC_ARG_WITH([strongswan-confdir],
		[AS_HELP_STRING([--with-strongswan-confdir=DIR],
			[directory of charon's plugin settings
			 @<:@default: /etc/strongswan.d/charon@:>@])],
		[strongswan_confdir="$withval"],
		[strongswan_confdir=/etc/strongswan.d/charon])
	AC_SUBST([strongswan_confdir])
])
