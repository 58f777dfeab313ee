# shellcheck shell=bash
# A tunnel a <-> b with mark_in = mark_out = 15 and 0.0.0.0/0, ::/0
# selectors gets the plugin's vti15 on both hosts: an ip_vti device, admin
# up, ikey/okey 15, local/remote the IKE endpoints, ifalias
# "strongswan-vti lab/net", IPv4 policy check off (disable_policy 1). It
# carries IPv4 and IPv6 inner pings both ways as ESP; nothing but the
# plugin makes or raises the device (the scenario only adds addresses).

lab_require_plugin

lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done
lab_pair_conf mark_in=15 mark_out=15

lab_assert_not "a has vti15 before any SA" lab_has_link a vti15
lab_assert_not "b has vti15 before any SA" lab_has_link b vti15

lab_log "initiating from a"
lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
lab_assert "b has no INSTALLED CHILD_SA 'net'" lab_wait 10 lab_sa_up b net

# check_vti HOST LOCAL REMOTE: HOST's vti15 is the plugin's, as specified.
check_vti() {
	local h=$1 local=$2 remote=$3 details words flat policy
	lab_assert "$h: vti15 is not admin up after the SA came up" \
		lab_wait 10 lab_link_up "$h" vti15
	details=$(ip -n "$h" -d link show dev vti15)
	# Its words, one space apart.
	read -r -d '' -a words <<< "$details" || true
	flat=" ${words[*]} "
	lab_log "$h:$flat"
	[[ $flat == *" vti remote $remote local $local "* ]] ||
		lab_fail "$h: vti15 is not an ip_vti device with remote $remote local $local"
	[[ $flat == *" ikey 0.0.0.15 okey 0.0.0.15 "* ]] ||
		lab_fail "$h: vti15 does not have ikey and okey 15 (0.0.0.15)"
	[[ $'\n'$details$'\n' == *$'\n'"    alias strongswan-vti lab/net"$'\n'* ]] ||
		lab_fail "$h: vti15's alias is not 'strongswan-vti lab/net'"
	policy=$(lab_in "$h" cat /proc/sys/net/ipv4/conf/vti15/disable_policy)
	[[ $policy == 1 ]] ||
		lab_fail "$h: net.ipv4.conf.vti15.disable_policy is '$policy', expected 1"
	lab_assert "$h: no 'vti: vti15 up' line in charon's log" \
		lab_log_has "$h" 'vti: vti15 up \(key 15, '"$local"' === '"$remote"'\)'
}
check_vti a 10.9.0.1 10.9.0.2
check_vti b 10.9.0.2 10.9.0.1

# Inner addresses only: the device's state is the plugin's business.
lab_ip a <<-EOF
addr add 192.168.15.1/30 dev vti15
addr add fd00:15::1/64 dev vti15
EOF
lab_ip b <<-EOF
addr add 192.168.15.2/30 dev vti15
addr add fd00:15::2/64 dev vti15
EOF

a_out=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
b_out=$(lab_esp_packets b 10.9.0.2 10.9.0.1)
lab_log "pings through vti15 (ESP out so far: a $a_out, b $b_out packets)"
lab_assert "a -> b over vti15 (IPv4 inner) failed" lab_ping a 192.168.15.2
lab_assert "b -> a over vti15 (IPv4 inner) failed" lab_ping b 192.168.15.1
lab_assert "a -> b over vti15 (IPv6 inner) failed" lab_ping a fd00:15::2
lab_assert "b -> a over vti15 (IPv6 inner) failed" lab_ping b fd00:15::1

# 12 echo requests and 12 replies each way, all of them as ESP.
a_now=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
b_now=$(lab_esp_packets b 10.9.0.2 10.9.0.1)
lab_log "ESP out now: a $a_now, b $b_now packets"
(( a_now - a_out >= 12 )) ||
	lab_fail "a's outbound ESP SA counted $((a_now - a_out)) packets, expected >= 12"
(( b_now - b_out >= 12 )) ||
	lab_fail "b's outbound ESP SA counted $((b_now - b_out)) packets, expected >= 12"
