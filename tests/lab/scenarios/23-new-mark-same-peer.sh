# shellcheck shell=bash
# An operator gives a tunnel a new mark: a <-> b runs with mark 15 (vti15,
# address 192.168.15.x from the plugin's keys.15 settings), is terminated,
# and the child's marks are changed to 16 on both sides (swanctl.conf
# rewritten, swanctl --load-all). The kernel allows one VTI per pair of
# outer endpoints, so the idle vti15 stands in the way of vti16: when the
# mark-16 tunnel comes up, each side's plugin removes vti15 ("vti15
# (lab/net), down, removed: key 16 of 'lab' wants its endpoints 10.9.0.1
# === 10.9.0.2") and brings up vti16 (key 16, same endpoints, address
# 192.168.16.x from keys.16), which carries pings as ESP under the new
# mark. No "failed" and no "gets no VTI" line on either side.

lab_require_plugin

lab_topo_pair
lab_charon_start a 'keys {
	15 {
	  addresses = 192.168.15.1/30
	}
	16 {
	  addresses = 192.168.16.1/30
	}
      }'
lab_charon_start b 'keys {
	15 {
	  addresses = 192.168.15.2/30
	}
	16 {
	  addresses = 192.168.16.2/30
	}
      }'

# write_conf MARK: (re)write both hosts' swanctl.conf with MARK as the
# child's mark_in and mark_out, and load them.
write_conf() {
	lab_psk_conf "$LAB_RUN/a/swanctl.conf" 10.9.0.1 10.9.0.2 mark_in="$1" \
		mark_out="$1" local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0
	lab_psk_conf "$LAB_RUN/b/swanctl.conf" 10.9.0.2 10.9.0.1 mark_in="$1" \
		mark_out="$1" local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0
	lab_load_conf a "$LAB_RUN/a/swanctl.conf"
	lab_load_conf b "$LAB_RUN/b/swanctl.conf"
}

# check_vti HOST NAME KEY: fail unless NAME is HOST's only VTI, admin up,
# key KEY both ways, between HOST's and its peer's outer addresses.
check_vti() {
	local h=$1 name=$2 key=$3 local=10.9.0.1 remote=10.9.0.2 vtis
	[[ $h == b ]] && local=10.9.0.2 remote=10.9.0.1
	lab_vti_info "$h" "$name" || lab_fail "$h: no VTI $name"
	lab_log "$h: $name: key $LAB_VTI_IKEY/$LAB_VTI_OKEY," \
		"$LAB_VTI_LOCAL -> $LAB_VTI_REMOTE, flags $LAB_VTI_FLAGS"
	[[ $LAB_VTI_IKEY == "$key" && $LAB_VTI_OKEY == "$key" &&
		$LAB_VTI_LOCAL == "$local" && $LAB_VTI_REMOTE == "$remote" &&
		$LAB_VTI_FLAGS == *,UP,* ]] ||
		lab_fail "$h: $name is key $LAB_VTI_IKEY/$LAB_VTI_OKEY," \
			"$LAB_VTI_LOCAL -> $LAB_VTI_REMOTE, flags $LAB_VTI_FLAGS;" \
			"expected key $key, $local -> $remote, UP"
	vtis=$(lab_vti_list "$h")
	[[ $vtis != *$'\n'* ]] || lab_fail "$h has other VTIs than $name: $vtis"
}

lab_log "the tunnel with mark 15"
write_conf 15
lab_assert "a could not initiate CHILD_SA 'net' with mark 15" lab_initiate a net
for h in a b; do
	lab_assert "$h: vti15 is not up" lab_wait 10 lab_link_up "$h" vti15
	check_vti "$h" vti15 15
done
lab_assert "a -> b over vti15 failed" lab_ping a 192.168.15.2

lab_log "terminate it"
lab_assert "a could not terminate IKE_SA 'lab'" \
	lab_swanctl a --terminate --ike lab --timeout 30 > /dev/null
for h in a b; do
	lab_assert "$h: vti15 is not down after the terminate" \
		lab_wait 10 lab_link_down "$h" vti15
done

lab_log "marks changed to 16 on both sides; initiate again"
write_conf 16
lab_assert "a could not initiate CHILD_SA 'net' with mark 16" lab_initiate a net
lab_assert "b has no INSTALLED CHILD_SA 'net' with mark 16" lab_wait 10 lab_sa_up b net
for h in a b; do
	lab_assert "$h: vti16 is not up" lab_wait 10 lab_link_up "$h" vti16
	lab_assert "$h: no 'vti15 (lab/net), down, removed: key 16 of 'lab' wants its endpoints' line" \
		lab_log_has "$h" \
		"vti: vti15 \\(lab/net\\), down, removed: key 16 of 'lab' wants its endpoints"
	lab_assert_not "$h: vti15 is still there next to vti16" lab_has_link "$h" vti15
	check_vti "$h" vti16 16
done
lab_assert "a: no 'vti16 up (key 16, 10.9.0.1 === 10.9.0.2)' line" \
	lab_log_has a "vti: vti16 up \\(key 16, 10\\.9\\.0\\.1 === 10\\.9\\.0\\.2\\): CHILD_SA net\\{[0-9]+\\} of 'lab' installed"
lab_assert "a: the removal of vti15 does not name both endpoints" \
	lab_log_has a "vti: vti15 \\(lab/net\\), down, removed: key 16 of 'lab' wants its endpoints 10\\.9\\.0\\.1 === 10\\.9\\.0\\.2"

addrs=$(ip -n a -4 -o addr show dev vti16)
[[ $addrs == *" 192.168.16.1/30 "* ]] ||
	lab_fail "a: vti16 lacks its address 192.168.16.1/30: $addrs"

# The new SAs carry mark 16, and the pings go through them.
states=$(ip -n a xfrm state)
[[ $states == *"mark 0x10/0xffffffff"* ]] ||
	lab_fail "a: no ESP state with mark 16: $states"
before=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
lab_assert "a -> b over vti16 failed" lab_ping a 192.168.16.2
lab_assert "b -> a over vti16 failed" lab_ping b 192.168.16.1
after=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
lab_log "a's outbound ESP: $before -> $after packets"
(( after - before >= 6 )) ||
	lab_fail "a's outbound ESP SA counted $((after - before)) packets over the pings, expected >= 6"

for h in a b; do
	lab_assert_not "$h: the plugin logged a failure" lab_log_has "$h" 'vti: .*failed'
	lab_assert_not "$h: the plugin refused a VTI" lab_log_has "$h" 'vti: .*gets no VTI'
done
