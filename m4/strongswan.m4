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
	# the second argument of the first AC@&t@_INIT, as is: "6.0.3rc1" stays
	# "6.0.3rc1", the string charon compares plugin versions with
	AC_MSG_CHECKING([for the strongSwan version of the tree])
	strongswan_version=$(sed -n '/^AC@&t@_INIT(/{s/^AC@&t@_INIT(@<:@^,@:>@*, *\@<:@*\(@<:@^@:>@,) @:>@*\).*/\1/p;q;}' \
		"$strongswan_src/configure.ac" 2>/dev/null)
	AS_CASE([$strongswan_version],
		[@<:@0-9@:>@*.@<:@0-9@:>@*.@<:@0-9@:>@*], [AC_MSG_RESULT([$strongswan_version])],
		[AC_MSG_RESULT([no])
		 AC_MSG_ERROR([cannot read strongSwan's version from AC@&t@_INIT in $strongswan_src/configure.ac])])
	AC_DEFINE_UNQUOTED([VERSION], ["$strongswan_version"],
		[version of the strongSwan tree compiled against])
	STRONGSWAN_TREE_CPPFLAGS="-I$strongswan_src/src/libstrongswan -I$strongswan_src/src/libcharon -D_GNU_SOURCE= -DCONFIG_H_INCLUDED"
	STRONGSWAN_CPPFLAGS="$STRONGSWAN_TREE_CPPFLAGS -include \$(top_builddir)/config.h"
	AC_SUBST([STRONGSWAN_CPPFLAGS])
	AC_SUBST([strongswan_version])
])

# SW_FIND_LIBCHARON: the libcharon.so the plugin will be loaded beside,
# --with-libcharon=FILE to override, --without-libcharon for none; and the
# libstrongswan the unit tests link against, beside it unless
# --with-libstrongswan-dir=DIR says otherwise.
AC_DEFUN([SW_FIND_LIBCHARON], [
	AC_ARG_WITH([libcharon],
		[AS_HELP_STRING([--with-libcharon=FILE],
			[the installed libcharon.so the plugin goes beside, or no for none
			 @<:@default: searched in /usr/lib/ipsec, /usr/libexec/ipsec,
			 /usr/local/lib/ipsec@:>@])],
		[libcharon_path="$withval"], [libcharon_path=yes])
	AS_CASE([$libcharon_path],
		[no], [libcharon_path=""; sw_libcharon="none (--without-libcharon)"],
		[yes], [libcharon_path=""; sw_libcharon="not found"
		 for sw_dir in /usr/lib/ipsec /usr/libexec/ipsec /usr/local/lib/ipsec \
		               /usr/lib64/ipsec; do
			AS_IF([test -z "$libcharon_path" && test -f "$sw_dir/libcharon.so.0"],
				[libcharon_path="$sw_dir/libcharon.so.0"])
		 done])
	AC_MSG_CHECKING([for the installed libcharon])
	AS_IF([test -n "$libcharon_path" && test -f "$libcharon_path"],
		[AC_MSG_RESULT([$libcharon_path])
		 sw_libcharon="$libcharon_path"
		 libstrongswan_dir=$(dirname "$libcharon_path")],
		[test -n "$libcharon_path"],
		[AC_MSG_RESULT([no])
		 AC_MSG_ERROR([--with-libcharon=$libcharon_path: no such file])],
		[AC_MSG_RESULT([$sw_libcharon])
		 libstrongswan_dir=""])
	AC_ARG_WITH([libstrongswan-dir],
		[AS_HELP_STRING([--with-libstrongswan-dir=DIR],
			[directory of the libstrongswan.so the unit tests and the fuzzer
			 link against @<:@default: beside libcharon@:>@])],
		[libstrongswan_dir="$withval"])
	AS_IF([test -z "$libstrongswan_dir"],
		[AC_MSG_WARN([no libstrongswan for the unit tests: 'make check' cannot link them; pass --with-libstrongswan-dir=DIR])],
		[test ! -f "$libstrongswan_dir/libstrongswan.so"],
		[AC_MSG_WARN([no libstrongswan.so in $libstrongswan_dir: 'make check' cannot link the unit tests])])
	AC_SUBST([libcharon_path])
	AC_SUBST([libstrongswan_dir])
])

# SW_CHECK_CHARON_VERSION: a plugin binary works only with the strongSwan
# version it was built against (6.0.3 and later refuse any other), so the
# tree must be the installed charon's. --disable-charon-check builds for a
# charon elsewhere; the summary then says so, and `make install` still
# refuses to put the plugin beside an installed charon of another version.
AC_DEFUN([SW_CHECK_CHARON_VERSION], [
	AC_ARG_ENABLE([charon-check],
		[AS_HELP_STRING([--disable-charon-check],
			[do not compare the tree's version with the installed charon's,
			 to build for a charon of the tree's version elsewhere])],
		[sw_charon_check="$enableval"], [sw_charon_check=yes])
	charon_version=""
	charon_version_from=""
	AS_IF([test -n "$libcharon_path"], [
		AC_MSG_CHECKING([for the strongSwan version of the installed charon])
		sw_found=$($SHELL "$srcdir/scripts/charon-version" "$libcharon_path" \
			2>&AS_MESSAGE_LOG_FD) || sw_found=""
		AS_IF([test -n "$sw_found"],
			[charon_version=${sw_found%% *}
			 charon_version_from=${sw_found#* }
			 AC_MSG_RESULT([$charon_version ($charon_version_from)])],
			[AC_MSG_RESULT([unknown])])
	])
	AS_IF([test "x$sw_charon_check" != xno], [
		AS_IF([test -z "$libcharon_path"],
			[AC_MSG_ERROR([no installed charon to check the strongSwan $strongswan_version tree against: pass --with-libcharon=FILE, or --disable-charon-check to build for a charon $strongswan_version elsewhere])])
		AS_IF([test -z "$charon_version"],
			[AC_MSG_ERROR([cannot tell the strongSwan version of $libcharon_path (see config.log): pass --disable-charon-check if it is $strongswan_version, the tree's])])
		AS_IF([test "x$charon_version" != "x$strongswan_version"],
			[AC_MSG_ERROR([strongSwan tree $strongswan_src is $strongswan_version but the installed charon is $charon_version ($charon_version_from): run scripts/fetch-strongswan-src for its tree, or pass --with-strongswan-src=DIR of strongSwan $charon_version])])
		sw_charon_summary="$charon_version ($charon_version_from), the tree's"
	], [
		sw_charon_summary="NOT CHECKED (--disable-charon-check): the plugin loads only into a charon $strongswan_version"
		AS_IF([test -n "$charon_version" &&
		       test "x$charon_version" != "x$strongswan_version"],
			[sw_charon_summary="$sw_charon_summary; the installed one is $charon_version: make install refuses"])
	])
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

# SW_CHECK_TREE_API: what differs between the strongSwan versions the
# plugin builds against.
AC_DEFUN([SW_CHECK_TREE_API], [
	sw_save_CPPFLAGS="$CPPFLAGS"
	CPPFLAGS="$CPPFLAGS $STRONGSWAN_TREE_CPPFLAGS"
	# after 6.0.1, get_traffic_selectors() lost its supplied and log
	# arguments to the new select_traffic_selectors()
	AC_CHECK_MEMBERS([child_cfg_t.select_traffic_selectors], [], [],
		[[#include <config/child_cfg.h>]])
	CPPFLAGS="$sw_save_CPPFLAGS"
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
