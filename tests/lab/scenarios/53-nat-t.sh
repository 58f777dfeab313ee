# shellcheck shell=bash
# NAT traversal: the initiator a (10.8.0.2) sits behind a NAT router r
# that masquerades it as 10.9.0.254 (iptables-legacy MASQUERADE) towards
# the responder b (10.9.0.2). IKE moves to port 4500 and ESP is UDP
# encapsulated. Both sides' vti15 have the right endpoints (on b the
# remote is the NAT's address, not a's), an automatic MTU of 1438 (1446
# for aes128gcm16 over a 1500-byte IPv4 underlay, less 8 bytes of UDP),
# and traffic between the inside addresses 10.1.0.1 and 10.2.0.1 passes
# through them as ESP-in-UDP.

lab_require_plugin
lab_nat_pair "mark_in = 15" "mark_out = 15"
[[ $LAB_NAT_SAS == *"TUNNEL-in-UDP"* ]] || lab_fail "b's CHILD_SA is not UDP encapsulated"

# vti_ok HOST LOCAL REMOTE: HOST's vti15 is up between LOCAL and REMOTE
# with keys 15 and an MTU of 1438.
vti_ok() {
	local out
	lab_vti_info "$1" vti15 &&
		[[ $LAB_VTI_LOCAL == "$2" && $LAB_VTI_REMOTE == "$3" &&
			$LAB_VTI_IKEY == 15 && $LAB_VTI_OKEY == 15 &&
			$LAB_VTI_FLAGS == *,UP,* ]] || return 1
	out=$(ip -n "$1" -o link show dev vti15)
	[[ $out == *" mtu 1438 "* ]]
}

lab_assert "a: vti15 is not up 10.8.0.2 -> 10.9.0.2 with MTU 1438" \
	lab_wait 10 vti_ok a 10.8.0.2 10.9.0.2
lab_assert "b: vti15 is not up 10.9.0.2 -> 10.9.0.254 (the NAT) with MTU 1438" \
	lab_wait 10 vti_ok b 10.9.0.2 10.9.0.254

esp_before=$(lab_esp_packets b)
lab_assert "10.1.0.1 -> 10.2.0.1 through vti15 and the NAT failed" \
	lab_ping_from a 10.1.0.1 10.2.0.1
esp_after=$(lab_esp_packets b)
(( esp_after - esp_before >= 6 )) ||
	lab_fail "b's ESP states counted $((esp_after - esp_before)) packets for 3 echo requests and replies"
lab_assert "b -> a (10.2.0.1 -> 10.1.0.1) through vti15 and the NAT failed" \
	lab_ping_from b 10.2.0.1 10.1.0.1
