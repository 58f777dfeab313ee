# shellcheck shell=bash
# NAT traversal with XFRM interfaces: as 53-nat-t, the initiator a
# (10.8.0.2) sits behind a NAT router r that masquerades it as 10.9.0.254
# (iptables-legacy MASQUERADE) towards the responder b (10.9.0.2), but the
# child has if_id_in = if_id_out = 7 and no marks. IKE moves to port 4500
# and ESP is UDP encapsulated (espinudp states with if_id 7). Both sides
# get the plugin's xfrm7 (if_id 7, up) with an automatic MTU of 1438 (1446
# for aes128gcm16 over a 1500-byte IPv4 underlay, less 8 bytes of UDP),
# and traffic between the inside addresses 10.1.0.1 and 10.2.0.1 passes
# through them as ESP-in-UDP, both ways. Needs XFRM interfaces
# (LAB_KERNEL=qemu).

lab_require_plugin
lab_require_xfrmi
lab_nat_pair "if_id_in = 7" "if_id_out = 7"
[[ $LAB_NAT_SAS == *"TUNNEL-in-UDP"* ]] || lab_fail "b's CHILD_SA is not UDP encapsulated"
for h in a b; do
	states=$(ip -n "$h" xfrm state)
	[[ $states == *"encap type espinudp "* && $states == *"if_id 0x7"* ]] ||
		lab_fail "$h: the ESP states are not ESP-in-UDP with if_id 7: $states"
done

# xfrm_ok HOST: HOST's xfrm7 is the plugin's XFRM interface with if_id 7,
# admin up, with an MTU of 1438.
xfrm_ok() {
	local out
	[[ $(lab_xfrm_if_id "$1" xfrm7) == 7 ]] && lab_link_up "$1" xfrm7 || return 1
	out=$(ip -n "$1" -o link show dev xfrm7)
	[[ $out == *" mtu 1438 "* && $out == *" group 165 "* ]]
}

for h in a b; do
	lab_assert "$h: xfrm7 is not the plugin's, up, if_id 7, with MTU 1438" \
		lab_wait 10 xfrm_ok "$h"
	lab_assert "$h: no 'vti: xfrm7 up (xfrm, if_id 7)' line" \
		lab_log_has "$h" 'vti: xfrm7 up \(xfrm, if_id 7\)'
done
lab_assert_not "a has a VTI" lab_has_link a vti7
lab_assert_not "b has a VTI" lab_has_link b vti7
# routed_via_xfrm7 HOST DST: HOST routes DST into xfrm7 (routes = remote_ts)
routed_via_xfrm7() {
	[[ $(ip -n "$1" route get "$2" 2>&1) == *" dev xfrm7 "* ]]
}
lab_assert "a does not route 10.2.0.1 into xfrm7" lab_wait 10 routed_via_xfrm7 a 10.2.0.1
lab_assert "b does not route 10.1.0.1 into xfrm7" lab_wait 10 routed_via_xfrm7 b 10.1.0.1

esp_before=$(lab_esp_packets b)
lab_assert "10.1.0.1 -> 10.2.0.1 through xfrm7 and the NAT failed" \
	lab_ping_from a 10.1.0.1 10.2.0.1
esp_after=$(lab_esp_packets b)
(( esp_after - esp_before >= 6 )) ||
	lab_fail "b's ESP states counted $((esp_after - esp_before)) packets for 3 echo requests and replies"
lab_assert "b -> a (10.2.0.1 -> 10.1.0.1) through xfrm7 and the NAT failed" \
	lab_ping_from b 10.2.0.1 10.1.0.1
