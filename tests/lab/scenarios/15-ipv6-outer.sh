# shellcheck shell=bash
# A tunnel with IPv6 outer addresses (IKE between fd00:9::1 and fd00:9::2)
# and mark_in = mark_out = 15 gets an ip6_vti device vti15 (kind vti6)
# between those endpoints on both hosts, admin up; it carries IPv4 and
# IPv6 inner pings; terminating the tunnel sets it admin down.

lab_require_plugin

lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done
lab_psk_conf "$LAB_RUN/a/swanctl.conf" fd00:9::1 fd00:9::2 mark_in=15 mark_out=15
lab_psk_conf "$LAB_RUN/b/swanctl.conf" fd00:9::2 fd00:9::1 mark_in=15 mark_out=15
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_load_conf b "$LAB_RUN/b/swanctl.conf"

lab_log "initiating from a"
lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
lab_assert "b has no INSTALLED CHILD_SA 'net'" lab_wait 10 lab_sa_up b net
ike=$(lab_swanctl a --list-sas --ike lab)
[[ $ike == *"local  'fd00:9::1' @ fd00:9::1"* && $ike == *"remote 'fd00:9::2' @ fd00:9::2"* ]] ||
	lab_fail "a's IKE_SA is not between fd00:9::1 and fd00:9::2: $ike"

# check_vti6 HOST LOCAL REMOTE: HOST's vti15 is an ip6_vti device between
# LOCAL and REMOTE, key 15, admin up, ours.
check_vti6() {
	local h=$1 local=$2 remote=$3 words flat
	lab_assert "$h: vti15 is not admin up after the SA came up" \
		lab_wait 10 lab_link_up "$h" vti15
	read -r -d '' -a words < <(ip -n "$h" -d link show dev vti15) || true
	flat=" ${words[*]} "
	lab_log "$h:$flat"
	[[ $flat == *" vti6 remote $remote local $local "* ]] ||
		lab_fail "$h: vti15 is not an ip6_vti (vti6) device with remote $remote local $local"
	[[ $flat == *" ikey 0.0.0.15 okey 0.0.0.15 "* ]] ||
		lab_fail "$h: vti15 does not have ikey and okey 15 (0.0.0.15)"
	[[ $flat == *" alias strongswan-vti lab/net "* ]] ||
		lab_fail "$h: vti15's alias is not 'strongswan-vti lab/net'"
	lab_assert "$h: no 'vti: vti15 up' line for the IPv6 endpoints" \
		lab_log_has "$h" "vti: vti15 up \(key 15, $local === $remote\)"
}
check_vti6 a fd00:9::1 fd00:9::2
check_vti6 b fd00:9::2 fd00:9::1

lab_ip a <<-EOF
addr add 192.168.15.1/30 dev vti15
addr add fd00:15::1/64 dev vti15
EOF
lab_ip b <<-EOF
addr add 192.168.15.2/30 dev vti15
addr add fd00:15::2/64 dev vti15
EOF

before=$(lab_esp_packets a fd00:9::1 fd00:9::2)
lab_log "pings through vti15 (a's outbound SA: $before packets so far)"
lab_assert "a -> b over vti15 (IPv4 inner) failed" lab_ping a 192.168.15.2
lab_assert "b -> a over vti15 (IPv4 inner) failed" lab_ping b 192.168.15.1
lab_assert "a -> b over vti15 (IPv6 inner) failed" lab_ping a fd00:15::2
lab_assert "b -> a over vti15 (IPv6 inner) failed" lab_ping b fd00:15::1
after=$(lab_esp_packets a fd00:9::1 fd00:9::2)
lab_log "a's outbound SA: $after packets"
(( after - before >= 12 )) ||
	lab_fail "a's outbound ESP SA counted $((after - before)) packets, expected >= 12"

lab_log "terminating from a"
lab_swanctl a --terminate --ike lab --timeout 30 > /dev/null
for h in a b; do
	lab_assert "$h: vti15 is not admin down (or is gone) after the termination" \
		lab_wait 10 lab_link_down "$h" vti15
	lab_assert "$h: no 'vti: vti15 down' log line after the termination" \
		lab_wait 5 lab_log_has "$h" 'vti: vti15 down: '
done
