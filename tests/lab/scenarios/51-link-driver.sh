# shellcheck shell=bash
# The link driver (vti_netlink.c) and the route sink (vti_route_netlink.c)
# on their own, against the lab's kernel: tests/lab/drivers/vti-drivers
# (built by make beside the plugin, never run by make check) calls them
# directly in host a (eth-b: 10.9.0.1/24, fd00:9::1/64, MTU 1400, a veth
# to b) and checks the kernel's state after each call, one "ok"/"FAIL"
# line per check:
# - create: one creating request whose first link event already carries
#   the MTU (the underlay's, less the ESP overhead), admin up and group
#   165, then the alias and disable_policy; the underlay's MTU asked once
#   (3 RTM_GETLINK in all); the same spec again: UNCHANGED, nothing sent;
# - set() results: down, up, explicit and automatic MTU (following the
#   underlay, named or found by its address), re-key and move in place
#   (same ifindex): CHANGED; a vti of ours replaced by a vti6;
# - a second VTI between the same endpoints: refused (EEXIST), one line
#   naming the device in the way (ours and up, or foreign with its key),
#   not repeated; a device of ours there, down, makes room;
# - a foreign device with the wanted name (no alias and not in group 165,
#   or someone else's alias) left untouched, also by remove();
# - start (devices of ours set down), sweep (ours, down, of no configured
#   owner deleted), destroy (deleted, or kept down with keep_devices);
# - the route sink: exclusive add, ours replaced, someone else's static
#   route never replaced or deleted (install is BLOCKED and names it),
#   IPv4 and IPv6 blackholes, lookup, wider, sweep with and without a
#   filter.
# The program is looked for beside $VTI_PLUGIN's build tree, then in the
# source tree (an in-tree build) and build/release.

lab_require_plugin

top=${LAB_DIR:?}/../..
build=${VTI_PLUGIN%/src/vti_plugin/.libs/*}
prog=
for p in "$build/tests/lab/drivers/vti-drivers" \
	"$top/tests/lab/drivers/vti-drivers" \
	"$top/build/release/tests/lab/drivers/vti-drivers"; do
	if [[ -x $p ]]; then
		prog=$p
		break
	fi
done
[[ -n $prog ]] ||
	lab_fail "tests/lab/drivers/vti-drivers is not built: run make (or scripts/build)"
lab_log "running $prog"

lab_topo_pair
lab_ip a <<-EOF
link set eth-b mtu 1400
EOF

out=$LAB_RUN/a/vti-drivers.out
rc=0
ip netns exec a "$prog" > "$out" 2>&1 || rc=$?
cat "$out"
(( rc == 0 )) ||
	lab_fail "vti-drivers: $(grep -c '^FAIL' "$out") check(s) failed (exit $rc): $(grep -m1 '^FAIL' "$out")"
lab_file_has "$out" "checks, 0 failed" ||
	lab_fail "vti-drivers did not finish: $(tail -n 1 "$out")"
