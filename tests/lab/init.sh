#!/bin/bash
# PID 1 of the lab kernel (booted by tests/lab/run with the host's "/" as
# its root: hostfs under UML; under QEMU virtiofs, mounted by qemu-init,
# which then runs this). Prepares filesystems, module loading and the
# kernel's DRBG, runs one scenario, stores the result in $LAB_OUT and
# powers off. Everything that differs between the two kernels is here and
# in the runner; scenarios and lib.sh see the same lab on both.
#
# The runner boots it with the root read-only ("ro"); it also works with
# "rw". Kernel parameters arrive as environment variables:
#   LAB_DIR       absolute path of tests/lab
#   LAB_SCENARIO  absolute path of the scenario file
#   LAB_OUT       host directory for results (hostfs under UML; under QEMU
#                 the virtiofs share "labout")
#   LAB_TIMEOUT   scenario timeout in seconds (default 180)
#   VTI_PLUGIN    plugin to preload into charon (used if it exists)
#   LAB_KERNEL    uml (default) or qemu
#   LAB_MODROOT   qemu: the folder holding lib/modules/KVER of the kernel
#   LAB_APPARMOR  qemu: 1 loads Debian's AppArmor profile for charon in
#                 enforce mode; a DENIED line in the kernel log fails the
#                 scenario
#
# Files written to $LAB_OUT: result (PASS/FAIL), reason, scenario.log,
# diag.txt (on failure), HOST.charon.log, times; under QEMU also
# kernel.log (the kernel's messages).

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Started through uml-fxsr (LAB_FXSR=1), UML restores only the legacy FPU
# state of its processes, at any point they are stopped: glibc's string
# functions and OpenSSL must stay off AVX, whose upper register halves
# would be lost. The runner passes GLIBC_TUNABLES and OPENSSL_ia32cap on
# the kernel command line, so this shell has them from its start; every
# process inherits them, and the modprobe wrapper below sets them for the
# kernel's own module requests, which start with a fixed environment.
export GLIBC_TUNABLES OPENSSL_ia32cap
export LAB_DIR=${LAB_DIR:-${0%/*}}
export LAB_OUT LAB_SCENARIO VTI_PLUGIN LAB_TIMEOUT=${LAB_TIMEOUT:-180}
export LAB_KERNEL=${LAB_KERNEL:-uml} LAB_APPARMOR=${LAB_APPARMOR:-0}
export LAB_RUN=/tmp/lab
# Module tree and modprobe wrapper: in /tmp, which charon's mount
# namespaces keep (they get a private /run).
LAB_SYS=/tmp/lab-sys
# The folder of lib/modules/KVER: the user-mode-linux package's, or the
# cloud kernel's as qemu-kernel extracted it.
LAB_MODULE_TREE=/usr/lib/uml/modules
[[ $LAB_KERNEL == qemu ]] && LAB_MODULE_TREE=$LAB_MODROOT/lib/modules
# Modules loaded at boot (one modprobe: processes are dear under UML):
# ipv6 first, so that interfaces made later get IPv6 at once; then the
# tunnels, ESP, links, and every crypto module the DRBG seeding and
# rfc4106(gcm(aes)) need. Others still load on demand.
LAB_MODULES="ipv6 xfrm_user ip_vti ip6_vti esp4 esp6 xfrm4_tunnel veth bridge
	dummy gcm ghash-generic ctr seqiv echainiv authenc cbc sha512_generic
	hmac drbg"
# The cloud kernel's own: AES-NI and CLMUL code (the crypto API would load
# them on the first SA; each load costs seconds under QEMU's emulation).
[[ $LAB_KERNEL == qemu ]] && LAB_MODULES+=" aesni_intel ghash-clmulni-intel
	sha512_ssse3"

# Always end with a power-off, whatever happens (PID 1 must not exit).
lab_poweroff() {
	trap - EXIT
	sync
	# (Debian 13's minimal root has no poweroff: the sysrq below does it)
	poweroff -f 2>/dev/null
	echo o > /proc/sysrq-trigger
	sleep 10
}
trap lab_poweroff EXIT

say() {
	printf 'lab-init: %s\n' "$*"
}

# Append "WHAT SECONDS-SINCE-BOOT" to $LAB_OUT/times (no process).
mark_time() {
	local up
	read -r up _ < /proc/uptime
	printf '%s %s\n' "$1" "$up" >> "$LAB_OUT/times"
}

# Write the verdict; the first reason recorded wins.
verdict() {
	local result=$1 reason=${2:-}
	[[ -d $LAB_OUT ]] || return 0
	if [[ -n $reason && ! -s $LAB_OUT/reason ]]; then
		printf '%s\n' "$reason" > "$LAB_OUT/reason"
	fi
	printf '%s\n' "$result" > "$LAB_OUT/result"
}

# Filesystems. The root is the host's "/" through hostfs, mounted
# read-only: the lab can write to the host only through the hostfs mount
# of $LAB_OUT made here. Scratch space is tmpfs. -n: no mtab/utab writes.
setup_fs() {
	mount -n -t proc proc /proc || return 1
	mount -n -t tmpfs -o mode=755 tmpfs /run || return 1
	mount -n -t tmpfs -o mode=1777 tmpfs /tmp || return 1
	mount -n -t sysfs sysfs /sys || return 1
	if [[ ! -L /var/run ]]; then
		mount -n -t tmpfs -o mode=755 tmpfs /var/run || return 1
	fi
	# The kernel mounts devtmpfs on /dev itself (DEVTMPFS_MOUNT); make
	# sure, since otherwise /dev would be the host's through hostfs.
	local fs rest devtmpfs=0
	while read -r _ fs rest; do
		[[ $fs == /dev && $rest == devtmpfs* ]] && devtmpfs=1
	done < /proc/mounts
	if ((!devtmpfs)); then
		mount -n -t devtmpfs devtmpfs /dev || return 1
	fi
	# devtmpfs lacks /dev/fd, which bash's process substitution needs.
	ln -s /proc/self/fd /dev/fd
	mkdir -p "$LAB_RUN" "$LAB_SYS/root/lib"
	# The one writable window to the host.
	if [[ $LAB_KERNEL == qemu ]]; then
		mount -n -t virtiofs labout "$LAB_OUT" || return 1
	else
		mount -n -t hostfs -o "$LAB_OUT" hostfs "$LAB_OUT" || return 1
	fi
	mark_time init
}

# modprobe wrapper: the kernel's on-demand loads (crypto templates,
# stdrng, ...) go to the UML module tree.
setup_modules() {
	ln -s "$LAB_MODULE_TREE" "$LAB_SYS/root/lib/modules"
	{
		printf '#!/bin/sh\n'
		[[ -z ${GLIBC_TUNABLES:-} ]] ||
			printf "export GLIBC_TUNABLES='%s' OPENSSL_ia32cap='%s'\n" \
				"$GLIBC_TUNABLES" "${OPENSSL_ia32cap:-}"
		printf 'exec /sbin/modprobe -d %s "$@"\n' "$LAB_SYS/root"
	} > "$LAB_SYS/modprobe"
	chmod 755 "$LAB_SYS/modprobe"
	# shellcheck disable=SC2086 # word splitting intended
	modprobe -d "$LAB_SYS/root" -a $LAB_MODULES || return 1
	echo "$LAB_SYS/modprobe" > /proc/sys/kernel/modprobe
}

# Sysctls of the root namespace that new namespaces inherit: IPv6 DAD
# off, so that addresses work at once.
setup_sysctl() {
	echo 1 > /proc/sys/net/core/devconf_inherit_init_net || return 1
	echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad || return 1
	echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad
}

# The first ESP state of a boot instantiates rfc4106(gcm(aes)) and seeds
# the kernel's DRBG (stdrng). Pay that here rather than in IKE_AUTH. The
# crypto API asks modprobe for some 15 aliases on the way, all in vain
# since the modules are loaded already; at ~0.2 s per modprobe under UML
# that was the "DRBG stall": switch on-demand loading off meanwhile.
seed_drbg() {
	local rc=0
	echo > /proc/sys/kernel/modprobe
	ip xfrm state add src 10.255.0.1 dst 10.255.0.2 proto esp spi 1 \
		mode tunnel aead 'rfc4106(gcm(aes))' \
		0x0102030405060708090a0b0c0d0e0f1011121314 128 || rc=1
	ip xfrm state flush
	echo "$LAB_SYS/modprobe" > /proc/sys/kernel/modprobe
	return "$rc"
}

# AppArmor (QEMU, LAB_APPARMOR=1): Debian's profile for charon, as the
# strongswan-charon package installs it, in enforce mode. Its include
# local/usr.lib.ipsec.charon gets the lab's own paths only (scratch
# folders, the preloaded plugin), from a copy of /etc/apparmor.d: the host's
# files are read-only here. Charon started from now on runs confined.
APPARMOR_PROFILE=usr.lib.ipsec.charon
setup_apparmor() {
	local base=$LAB_SYS/apparmor.d enabled=N
	[[ -r /sys/module/apparmor/parameters/enabled ]] &&
		read -r enabled < /sys/module/apparmor/parameters/enabled
	[[ $enabled == Y ]] || { say "AppArmor is not enabled in this kernel"; return 1; }
	mount -n -t securityfs securityfs /sys/kernel/security || return 1
	[[ -e /etc/apparmor.d/$APPARMOR_PROFILE ]] ||
		{ say "no /etc/apparmor.d/$APPARMOR_PROFILE (strongswan-charon)"; return 1; }
	cp -a /etc/apparmor.d "$base" || return 1
	mkdir -p "$base/local"
	{
		printf '# The lab'"'"'s scratch folders and its preloaded plugin\n'
		printf '%s/** rwk,\n' "$LAB_RUN"
		[[ -n ${VTI_PLUGIN:-} ]] && printf '%s mr,\n' "$VTI_PLUGIN"
	} > "$base/local/$APPARMOR_PROFILE"
	apparmor_parser -r --skip-cache --base "$base" \
		"$base/$APPARMOR_PROFILE" || return 1
	{
		printf -- '--- local/%s as loaded\n' "$APPARMOR_PROFILE"
		cat "$base/local/$APPARMOR_PROFILE"
		printf -- '--- loaded profiles\n'
		cat /sys/kernel/security/apparmor/profiles
	} > "$LAB_OUT/apparmor.txt"
}

# Each running charon's confinement, into apparmor.txt; fails if one runs
# unconfined or only in complain mode.
apparmor_confinement() {
	local h pid label rc=0
	printf -- '--- charon confinement at the end of the scenario\n' >> "$LAB_OUT/apparmor.txt"
	for h in $(lab_hosts); do
		pid=$(lab_charon_pid "$h") || continue
		[[ -r /proc/$pid/attr/current ]] || continue
		read -r label < "/proc/$pid/attr/current"
		printf '%s: charon %s: %s\n' "$h" "$pid" "$label" >> "$LAB_OUT/apparmor.txt"
		[[ $label == "/usr/lib/ipsec/charon (enforce)" ]] || rc=1
	done
	return "$rc"
}

# AppArmor's denials in the kernel log, into apparmor.txt; fails if any.
apparmor_denials() {
	local denied
	denied=$(dmesg | grep 'apparmor="DENIED"')
	printf -- '--- DENIED lines in the kernel log\n%s\n' "${denied:-(none)}" \
		>> "$LAB_OUT/apparmor.txt"
	[[ -z $denied ]] || { printf '%s\n' "$denied" | head -n 1; return 1; }
}

run_scenario() {
	local name rc
	name=${LAB_SCENARIO##*/}
	name=${name%.sh}
	say "scenario $name (timeout ${LAB_TIMEOUT}s)"
	mark_time scenario-start
	# The scenario sees lib.sh, errexit on; charons it starts are in
	# their own sessions and survive a timeout for the diagnostics.
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout -k 5 "$LAB_TIMEOUT" bash -c \
		'. "$1" && lab_errexit && . "$2"' lab-scenario \
		"$LAB_DIR/lib.sh" "$LAB_SCENARIO" > "$LAB_OUT/scenario.log" 2>&1 \
		< /dev/null
	rc=$?
	mark_time scenario-end
	if ((rc == 0)) && [[ -s $LAB_OUT/skip ]]; then
		verdict SKIP "$(< "$LAB_OUT/skip")"
	elif ((rc == 0)); then
		verdict PASS
	elif ((rc == 124 || rc == 137)); then
		verdict FAIL "timed out after ${LAB_TIMEOUT}s"
	else
		local last
		last=$(tail -n 1 "$LAB_OUT/scenario.log")
		verdict FAIL "scenario exited with status $rc${last:+; last output: $last}"
	fi
	say "scenario $name: $(< "$LAB_OUT/result")"
	return "$rc"
}

# Diagnostics and logs, then stop the charons.
collect() {
	local failed=$1 h
	if ((failed)); then
		# shellcheck disable=SC2119 # no hosts given: all of them
		lab_diag > "$LAB_OUT/diag.txt" 2>&1
	fi
	if [[ $LAB_APPARMOR == 1 ]]; then
		apparmor_confinement ||
			verdict FAIL "AppArmor: a charon did not run confined by the enforced profile (apparmor.txt)"
	fi
	lab_charon_stop_all
	local denied
	if [[ $LAB_APPARMOR == 1 ]] && ! denied=$(apparmor_denials); then
		verdict FAIL "AppArmor denied: $denied"
	fi
	for h in $(lab_hosts); do
		[[ -e $LAB_RUN/$h/charon.log ]] &&
			cp "$LAB_RUN/$h/charon.log" "$LAB_OUT/$h.charon.log"
		[[ -s $LAB_RUN/$h/charon.out ]] &&
			cp "$LAB_RUN/$h/charon.out" "$LAB_OUT/$h.charon.out"
	done
	[[ $LAB_KERNEL == qemu ]] && dmesg > "$LAB_OUT/kernel.log" 2>&1
	return 0
}

main() {
	if [[ -z ${LAB_OUT:-} || ! -d $LAB_OUT ]]; then
		say "LAB_OUT missing or not a directory: '${LAB_OUT:-}'"
		return 1
	fi
	setup_fs || { verdict FAIL "lab setup: mounting filesystems failed"; return 1; }
	# shellcheck source-path=SCRIPTDIR source=lib.sh
	. "$LAB_DIR/lib.sh" || { verdict FAIL "lab setup: cannot source lib.sh"; return 1; }
	mark_time fs
	ip link set lo up
	setup_modules || { verdict FAIL "lab setup: loading kernel modules failed"; return 1; }
	setup_sysctl || { verdict FAIL "lab setup: sysctls failed"; return 1; }
	if [[ $LAB_APPARMOR == 1 ]]; then
		setup_apparmor || { verdict FAIL "lab setup: loading charon's AppArmor profile failed"; return 1; }
	fi
	mark_time modules
	seed_drbg || { verdict FAIL "lab setup: dummy ESP state failed (crypto modules?)"; return 1; }
	mark_time drbg
	if [[ ! -f ${LAB_SCENARIO:-} ]]; then
		verdict FAIL "scenario file not found: '${LAB_SCENARIO:-}'"
		return 1
	fi
	local failed=0
	run_scenario || failed=1
	collect "$failed"
}

main
