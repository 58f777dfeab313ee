# shellcheck shell=bash
# A child with both marks (15) and if_ids (7): the if_id decides, as the
# README's table says. a and b get the plugin's xfrm7 (if_id 7, up), no
# vti15; one line on each says the marks stay on the SAs and policies, and
# only once per config (not again after terminate and initiate). charon
# installs both: a's ESP states and policies carry mark 15 and if_id 7, so
# an unmarked ping routed into xfrm7 sends no ESP packet, and one that
# carries mark 15 (ping -m 15) does. (The replies would need the inbound
# ESP marked on both hosts: not shown here.) Needs XFRM interfaces
# (LAB_KERNEL=qemu).

lab_require_plugin
lab_require_xfrmi

lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done
lab_pair_conf mark_in=15 mark_out=15 if_id_in=7 if_id_out=7 \
	local_ts=192.168.7.0/30 remote_ts=192.168.7.0/30

line='vti: CHILD_SA net of .lab. has marks and if_ids: it gets an XFRM interface with if_id 7, and its SAs and policies keep the marks, so only packets that carry mark 15 pass'
lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
for h in a b; do
	lab_assert "$h: xfrm7 is not admin up" lab_wait 10 lab_link_up "$h" xfrm7
	[[ $(lab_xfrm_if_id "$h" xfrm7) == 7 ]] ||
		lab_fail "$h: xfrm7 is not an XFRM interface with if_id 7"
	lab_assert_not "$h has a VTI for mark 15" lab_has_link "$h" vti15
	lab_assert "$h: no line that the marks stay" lab_log_has "$h" "$line"
done

states=$(ip -n a xfrm state)
[[ $states == *"mark 0xf/0xffffffff"* && $states == *"if_id 0x7"* ]] ||
	lab_fail "a's ESP states do not carry mark 15 and if_id 7: $states"
policies=$(ip -n a xfrm policy)
[[ $policies == *"mark 0xf/0xffffffff"* && $policies == *"if_id 0x7"* ]] ||
	lab_fail "a's policies do not carry mark 15 and if_id 7: $policies"

lab_inner_pair xfrm7 192.168.7
before=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
lab_assert_not "an unmarked ping a -> b over xfrm7 got answers" \
	lab_ping a 192.168.7.2 2
after=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
(( after == before )) ||
	lab_fail "a's outbound ESP SA counted $((after - before)) unmarked packets"
lab_in a ping -n -q -c 3 -i 0.2 -W 1 -m 15 192.168.7.2 > /dev/null 2>&1 || true
marked=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
(( marked - after >= 3 )) ||
	lab_fail "a's outbound ESP SA counted $((marked - after)) packets for 3 pings with mark 15"

lab_swanctl a --terminate --ike lab --timeout 30 > /dev/null
lab_assert "a could not initiate CHILD_SA 'net' again" lab_initiate a net
lab_assert "a: xfrm7 is not admin up again" lab_wait 10 lab_link_up a xfrm7
c=$(lab_log_count a "$line")
(( c == 1 )) || lab_fail "a: $c lines that the marks stay, expected 1 per config"
