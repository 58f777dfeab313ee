# shellcheck shell=bash
# The Debian package that scripts/package builds, on the lab's Debian (the
# host's root, read-only): dpkg installs it into overlays of /etc, /usr and
# /var whose writes go to the lab's tmpfs, never to the host. charon, as
# the system has it (stock strongswan.conf tree, no LD_PRELOAD), loads the
# plugin from /usr/lib/ipsec/plugins through the package's vti.conf; a
# tunnel with mark_in = mark_out = 15 gets vti15 on both hosts and pings
# pass through it; vti-status lists it. dpkg -r keeps only the conffile,
# dpkg --purge removes that too: afterwards the overlays' upper layers,
# which hold every file created, changed or removed in /etc and /usr,
# hold no file, and dpkg knows nothing of the package.

debs=("$LAB_PACKAGE_DIR"/strongswan-vti_*_*.deb)
if [[ ! -f ${debs[0]} ]]; then
	lab_log "SKIP: no $LAB_PACKAGE_DIR/strongswan-vti_*.deb; run scripts/package first"
	return 0
fi
((${#debs[@]} == 1)) || lab_fail "more than one package in $LAB_PACKAGE_DIR: ${debs[*]##*/}"
deb=${debs[0]}
lab_log "package: ${deb##*/}"
status=$(dpkg-query -W -f='${db:Status-Status}' strongswan-vti 2>/dev/null || true)
[[ -z $status || $status == not-installed ]] ||
	lab_fail "strongswan-vti is on the host already ($status): the scenario needs a system without it"

# The host's root as it is (a plain bind: no lab mounts in it), then an
# overlay over each directory dpkg writes to, with a tmpfs upper layer.
host_root=$LAB_RUN/host-root
ovl=$LAB_RUN/overlay
mkdir -p "$host_root"
mount -n --bind / "$host_root"
# The results folder (hostfs) may lie below one of these directories (a
# clone under /var/tmp): keep a handle on it and put it back on top.
out_keep=$LAB_RUN/lab-out
mkdir -p "$out_keep"
mount -n --bind "$LAB_OUT" "$out_keep"
for d in etc usr var; do
	mkdir -p "$ovl/$d/upper" "$ovl/$d/work"
	mount -n -t overlay overlay \
		-o "lowerdir=$host_root/$d,upperdir=$ovl/$d/upper,workdir=$ovl/$d/work" "/$d" ||
		lab_fail "cannot mount an overlay on /$d"
	if [[ $LAB_OUT == /$d/* ]]; then
		mount -n --bind "$out_keep" "$LAB_OUT"
	fi
done

lab_log "dpkg -i ${deb##*/}"
dpkg -i "$deb" > "$LAB_RUN/dpkg-install.log" 2>&1 || {
	cat "$LAB_RUN/dpkg-install.log"
	lab_fail "dpkg -i ${deb##*/} failed"
}
status=$(dpkg-query -W -f='${db:Status-Status} ${Version}' strongswan-vti)
lab_log "dpkg: strongswan-vti $status"
[[ $status == "installed "* ]] || lab_fail "strongswan-vti is not installed: $status"
mapfile -t files < <(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $NF); print $NF }')
lab_log "the package's files: ${files[*]}"
for f in /usr/lib/ipsec/plugins/libstrongswan-vti.so /etc/strongswan.d/charon/vti.conf \
		/usr/sbin/vti-status /usr/share/man/man8/strongswan-vti.8.gz \
		/usr/share/man/man8/vti-status.8.gz /usr/share/doc/strongswan-vti/README.md; do
	[[ -f $f ]] || lab_fail "$f is not installed"
done
conffiles=$(dpkg-query -W -f='${Conffiles}' strongswan-vti)
[[ $conffiles == *" /etc/strongswan.d/charon/vti.conf "* ]] ||
	lab_fail "vti.conf is no conffile: '$conffiles'"
pages=$(man -w strongswan-vti vti-status | tr '\n' ' ')
[[ $pages == "/usr/share/man/man8/strongswan-vti.8.gz /usr/share/man/man8/vti-status.8.gz " ]] ||
	lab_fail "man finds '$pages' for strongswan-vti and vti-status"

lab_topo_pair
lab_charon_start_system a "addresses = 192.168.15.1/30"
lab_charon_start_system b "addresses = 192.168.15.2/30"
for h in a b; do
	pid=$(lab_charon_pid "$h")
	while IFS= read -r -d '' var; do
		[[ $var != LD_PRELOAD=* ]] || lab_fail "$h: charon runs with $var"
	done < "/proc/$pid/environ"
	lab_assert "$h: charon has no /usr/lib/ipsec/plugins/libstrongswan-vti.so mapped" \
		lab_file_has "/proc/$pid/maps" " /usr/lib/ipsec/plugins/libstrongswan-vti.so"
	lab_assert "$h: charon log has no 'vti: plugin version ' line" \
		lab_log_has "$h" 'vti: plugin version [^ ]+ loaded \(strongSwan '
done

lab_pair_conf mark_in=15 mark_out=15
lab_log "initiating from a"
lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
lab_assert "b has no INSTALLED CHILD_SA 'net'" lab_wait 10 lab_sa_up b net
lab_assert "vti15 is not up with its address on both hosts" \
	lab_wait 10 lab_pair_vti_ready vti15 192.168.15.
before=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
lab_assert "a -> b through vti15 failed" lab_ping a 192.168.15.2
lab_assert "b -> a through vti15 failed" lab_ping b 192.168.15.1
after=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
lab_log "a's outbound SA: $((after - before)) packets during the pings"
(( after - before >= 3 )) ||
	lab_fail "a's outbound ESP SA counted $((after - before)) packets, expected >= 3"
status_out=$(vti-status -n a)
lab_log "vti-status -n a:"
printf '%s\n' "$status_out"
grep -Eq '^vti15 +vti +up +15 +10\.9\.0\.1 +10\.9\.0\.2 +lab/net ' <<< "$status_out" ||
	lab_fail "the installed vti-status does not list vti15 up"

for h in a b; do
	lab_charon_stop "$h"
done

lab_log "dpkg -r strongswan-vti"
dpkg -r strongswan-vti > "$LAB_RUN/dpkg-remove.log" 2>&1 || {
	cat "$LAB_RUN/dpkg-remove.log"
	lab_fail "dpkg -r strongswan-vti failed"
}
status=$(dpkg-query -W -f='${db:Status-Status}' strongswan-vti)
[[ $status == config-files ]] || lab_fail "after dpkg -r: '$status', expected config-files"
[[ ! -e /usr/lib/ipsec/plugins/libstrongswan-vti.so ]] ||
	lab_fail "dpkg -r left the plugin"
[[ -f /etc/strongswan.d/charon/vti.conf ]] ||
	lab_fail "dpkg -r removed the conffile vti.conf (only a purge should)"

lab_log "dpkg --purge strongswan-vti"
dpkg --purge strongswan-vti > "$LAB_RUN/dpkg-purge.log" 2>&1 || {
	cat "$LAB_RUN/dpkg-purge.log"
	lab_fail "dpkg --purge strongswan-vti failed"
}
status=$(dpkg-query -W -f='${db:Status-Status}' strongswan-vti 2>/dev/null || true)
[[ -z $status || $status == not-installed ]] ||
	lab_fail "after dpkg --purge: '$status', expected not-installed"
for f in "${files[@]}"; do
	[[ ! -e $f ]] || lab_fail "dpkg --purge left $f"
done
# What is left in /etc and /usr: the upper layers hold every file created,
# changed or deleted (a whiteout) since the mount; directories that were
# only copied up for the package's files must exist on the host.
left=$(find "$ovl/etc/upper" "$ovl/usr/upper" -mindepth 1 ! -type d)
[[ -z $left ]] || lab_fail "left in /etc or /usr: ${left//$ovl\//}"
while IFS= read -r dir; do
	rel=${dir#"$ovl"/}                   # usr/upper/lib/ipsec/plugins
	path=/${rel%%/*}${rel#*/upper}      # /usr/lib/ipsec/plugins
	[[ -d $host_root$path ]] || lab_fail "directory left behind: $path"
done < <(find "$ovl/etc/upper" "$ovl/usr/upper" -mindepth 1 -type d)
left=$(find "$ovl/var/upper" -name '*strongswan-vti*')
[[ -z $left ]] || lab_fail "left in /var: ${left//$ovl\//}"
lab_log "after the purge, changed in /var: $(cd "$ovl/var/upper" && find . ! -type d | tr '\n' ' ')"
