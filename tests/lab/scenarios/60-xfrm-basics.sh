# shellcheck shell=bash
# XFRM interfaces: a tunnel a <-> b with if_id_in = if_id_out = 7 and no
# marks gets the plugin's xfrm7 on both hosts: kind xfrm, if_id 7, admin
# up, in group 165 with the alias "strongswan-vti lab/net"; it carries
# IPv4 pings both ways as ESP; vti-status lists it with kind xfrm; after
# terminate it is admin down and kept (same ifindex). Needs a kernel with
# XFRM interfaces (LAB_KERNEL=qemu); skipped on one without.

lab_require_plugin
lab_require_xfrmi

lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done
lab_pair_conf if_id_in=7 if_id_out=7 local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0

lab_assert_not "a has xfrm7 before any SA" lab_has_link a xfrm7
lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
for h in a b; do
	lab_assert "$h: xfrm7 is not admin up" lab_wait 10 lab_link_up "$h" xfrm7
	[[ $(lab_xfrm_if_id "$h" xfrm7) == 7 ]] ||
		lab_fail "$h: xfrm7 is not an XFRM interface with if_id 7"
	details=$(ip -n "$h" -d link show dev xfrm7)
	[[ $details == *"group 165"* ]] || lab_fail "$h: xfrm7 is not in group 165"
	[[ $'\n'$details$'\n' == *$'\n'"    alias strongswan-vti lab/net"$'\n'* ]] ||
		lab_fail "$h: xfrm7's alias is not 'strongswan-vti lab/net'"
	lab_assert "$h: no 'vti: xfrm7 up (xfrm, if_id 7)' line" \
		lab_log_has "$h" 'vti: xfrm7 up \(xfrm, if_id 7\)'
done
lab_assert_not "a has a VTI" lab_has_link a vti7

lab_inner_pair xfrm7 192.168.7
a_out=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
lab_assert "a -> b over xfrm7 failed" lab_ping a 192.168.7.2
lab_assert "b -> a over xfrm7 failed" lab_ping b 192.168.7.1
a_now=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
(( a_now - a_out >= 6 )) ||
	lab_fail "a's outbound ESP SA counted $((a_now - a_out)) packets, expected >= 6"

status_out=$("${LAB_DIR:?}/../../src/tools/vti-status" -n a)
lab_log "vti-status -n a:"
printf '%s\n' "$status_out"
grep -Eq '^xfrm7 +xfrm +up +7 +- +- +lab/net ' <<< "$status_out" ||
	lab_fail "vti-status does not list xfrm7 as an XFRM interface, up, if_id 7"

index=$(lab_ifindex a xfrm7)
lab_swanctl a --terminate --ike lab --timeout 30 > /dev/null
lab_assert "a: xfrm7 is not admin down after terminate" \
	lab_wait 10 lab_link_down a xfrm7
[[ $(lab_ifindex a xfrm7) == "$index" ]] ||
	lab_fail "a: xfrm7 was made anew after terminate"
