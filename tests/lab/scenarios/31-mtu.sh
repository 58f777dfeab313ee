# shellcheck shell=bash
# The VTI's MTU. A tunnel a <-> b with ESP aes128gcm16 over IPv4 (the
# lab's veth, MTU 1500), inner addresses 169.254.15.1/30 (a) and .2 (b):
# 1. mtu = auto (the default): a's vti15 has MTU 1446 (1500 less 20 IPv4,
#    8 ESP header, 8 IV, 16 ICV, 2 trailer); a ping with DF of 1446 bytes
#    (-M "do" -s 1418) passes through the tunnel (as ESP), one byte more is
#    refused locally by ping ("message too long, mtu=1446") and nothing
#    more leaves as ESP.
# 2. The underlay's MTU is 1400 when the tunnel comes up again: a's vti15
#    gets MTU 1346 (same device, recomputed when it comes up); DF pings of
#    1346 bytes pass, 1347 are refused with mtu=1346.
# 3. charon restarted on a (underlay 1500 again) with the per-key setting
#    keys.15.mtu = 1400: a's vti15 has MTU 1400; DF pings of 1400 bytes
#    pass, 1401 are refused with mtu=1400.

lab_require_plugin

# The device and the child's keys (scenario 70 runs this with an XFRM
# interface).
dev=${dev:-vti15}
keys=${keys:-mark_in=15 mark_out=15}

lab_topo_pair
lab_charon_start a 'addresses = 169.254.15.1/30'
lab_charon_start b 'addresses = 169.254.15.2/30'
# shellcheck disable=SC2086 # the keys are words
lab_psk_conf "$LAB_RUN/a/swanctl.conf" 10.9.0.1 10.9.0.2 $keys \
	esp=aes128gcm16
# shellcheck disable=SC2086
lab_psk_conf "$LAB_RUN/b/swanctl.conf" 10.9.0.2 10.9.0.1 $keys \
	esp=aes128gcm16
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_load_conf b "$LAB_RUN/b/swanctl.conf"

# vti_mtu HOST: print the MTU of HOST's device (fails if there is none).
vti_mtu() {
	local out re=' mtu ([0-9]+) '
	out=$(ip -n "$1" -o link show dev "$dev" 2>/dev/null) || return 1
	[[ $out =~ $re ]] || return 1
	printf '%s' "${BASH_REMATCH[1]}"
}

# ready: the device is up on both hosts, with its inner address.
ready() {
	local out
	lab_link_up a "$dev" && lab_link_up b "$dev" || return 1
	out=$(ip -n b -o addr show dev "$dev") || return 1
	[[ $out == *" inet 169.254.15.2/30 "* ]] || return 1
	out=$(ip -n a -o addr show dev "$dev") || return 1
	[[ $out == *" inet 169.254.15.1/30 "* ]]
}

# up WHEN: initiate from a and wait until ready.
up() {
	lab_assert "a could not initiate CHILD_SA 'net' $1" lab_initiate a net
	lab_assert "b has no INSTALLED CHILD_SA 'net' $1" lab_wait 10 lab_sa_up b net
	lab_assert "$dev is not up with its address on a and b $1" lab_wait 15 ready
}

# check_mtu MTU WHEN: a's vti15 has MTU; a DF ping of MTU bytes from a to
# b's inner address passes as ESP; one of MTU + 1 bytes fails locally as
# too long for MTU (lab_ping_refused_at), and adds no ESP packet.
check_mtu() {
	local mtu=$1 when=$2 now out before after
	now=$(vti_mtu a) || lab_fail "a: no $dev $when"
	lab_log "a: $dev mtu $now $when (b: $(vti_mtu b))"
	[[ $now == "$mtu" ]] || lab_fail "a: $dev has MTU $now $when, expected $mtu"
	before=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
	out=$(lab_in a ping -n -c 2 -i 0.2 -W 2 -M "do" -s $((mtu - 28)) 169.254.15.2 2>&1) ||
		lab_fail "a: DF ping of $mtu bytes through $dev failed $when: $out"
	[[ $out == *" 0% packet loss"* ]] ||
		lab_fail "a: DF ping of $mtu bytes through $dev lost packets $when: $out"
	after=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
	(( after - before >= 2 )) ||
		lab_fail "a: the DF pings of $mtu bytes did not leave as ESP $when ($((after - before)) ESP packets)"
	if out=$(lab_in a ping -n -c 2 -i 0.2 -W 2 -M "do" -s $((mtu - 27)) 169.254.15.2 2>&1); then
		lab_fail "a: DF ping of $((mtu + 1)) bytes through $dev passed $when: $out"
	fi
	lab_log "a: DF ping of $((mtu + 1)) bytes $when: $(grep -m 1 -i 'too long\|frag' <<< "$out" || true)"
	lab_ping_refused_at "$out" "$mtu" ||
		lab_fail "a: DF ping of $((mtu + 1)) bytes did not fail with 'message too long, mtu=$mtu' $when: $out"
	(( $(lab_esp_packets a 10.9.0.1 10.9.0.2) == after )) ||
		lab_fail "a: the refused DF ping of $((mtu + 1)) bytes left as ESP $when"
}

lab_log "1. mtu = auto, underlay 1500"
up "at first"
check_mtu 1446 "with mtu = auto over a 1500-byte underlay"
index=$(lab_ifindex a "$dev")

lab_log "2. underlay MTU 1400, tunnel up again"
lab_swanctl a --terminate --ike lab --timeout 30 > /dev/null
lab_assert "a: $dev is not admin down after terminate" lab_wait 10 lab_link_down a "$dev"
ip -n a link set dev eth-b mtu 1400
ip -n b link set dev eth-a mtu 1400
up "over a 1400-byte underlay"
[[ $(lab_ifindex a "$dev") == "$index" ]] || lab_fail "a: $dev was re-created"
check_mtu 1346 "with mtu = auto over a 1400-byte underlay"

lab_log "3. keys.15.mtu = 1400, charon restarted on a, underlay 1500"
lab_charon_stop a 30
ip -n a link set dev eth-b mtu 1500
ip -n b link set dev eth-a mtu 1500
rm -f "$LAB_RUN/a/charon.vici"
lab_charon_start a 'addresses = 169.254.15.1/30
keys {
  15 {
    mtu = 1400
  }
}'
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
up "after a's restart"
check_mtu 1400 "with keys.15.mtu = 1400"
