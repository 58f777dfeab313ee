# shellcheck shell=bash
# A PSK IKEv2 tunnel between a and b with mark_in/mark_out 15 and
# 0.0.0.0/0 + ::/0 selectors carries pings through a VTI with key 15.
# The VTI is the plugin's vti15 when the plugin made one; otherwise the
# scenario makes it by hand, so that this also runs without the plugin.

lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done

lab_pair_conf mark_in=15 mark_out=15

lab_log "initiating from a"
lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
lab_assert "b has no INSTALLED CHILD_SA 'net'" lab_wait 5 lab_sa_up b net

# use_vti HOST LOCAL REMOTE INNER4 INNER6: take the plugin's vti15 or make
# one, and give it the inner addresses.
use_vti() {
	local h=$1 local=$2 remote=$3 inner4=$4 inner6=$5
	# With the plugin loaded, give it a moment: never race it.
	if lab_plugin_available; then
		lab_wait 3 lab_has_link "$h" vti15 || true
	fi
	if lab_has_link "$h" vti15; then
		lab_log "$h: using the plugin's vti15"
	else
		lab_log "$h: no vti15 after the SA came up; making one by hand"
		ip -n "$h" link add vti15 type vti key 15 local "$local" remote "$remote"
		lab_sysctl "$h" net/ipv4/conf/vti15/disable_policy 1
	fi
	lab_ip "$h" <<-EOT
	addr replace $inner4 dev vti15
	addr replace $inner6 dev vti15
	link set vti15 up
	EOT
}
use_vti a 10.9.0.1 10.9.0.2 192.168.15.1/30 fd00:15::1/64
use_vti b 10.9.0.2 10.9.0.1 192.168.15.2/30 fd00:15::2/64

before=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
lab_log "pings through vti15 (a's outbound SA: $before packets so far)"
lab_assert "a -> b over vti15 (IPv4 inner) failed" lab_ping a 192.168.15.2
lab_assert "b -> a over vti15 (IPv4 inner) failed" lab_ping b 192.168.15.1
lab_assert "a -> b over vti15 (IPv6 inner) failed" lab_ping a fd00:15::2

after=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
lab_log "a's outbound SA: $after packets"
(( after - before >= 9 )) ||
	lab_fail "a's outbound ESP SA counted $((after - before)) packets, expected >= 9"
sas=$(lab_swanctl b --list-sas --child net)
lab_log "b's SA: $(grep -E '^ +(in|out) ' <<< "$sas" | tr -s ' ' | tr '\n' ';')"
grep -Eq '^ +in +[0-9a-f]+ \(0x0000000f' <<< "$sas" ||
	lab_fail "b's inbound SA does not show mark 15"
