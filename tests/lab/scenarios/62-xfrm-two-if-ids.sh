# shellcheck shell=bash
# Two tunnels to the same peer with different if_ids (7 and 8), both up at
# once: the endpoint rule of VTIs does not apply to XFRM interfaces, so
# xfrm7 and xfrm8 are both up on a and b, nothing is refused, and both
# carry pings at the same time. Needs XFRM interfaces (LAB_KERNEL=qemu).
# The two tunnels are two children, seven and eight, of one connection:
# charon initiates a second connection to the same peer with equal IKE
# settings inside the IKE_SA of the first, and the responder looks for its
# child config only in the IKE_SA's connection (TS_UNACCEPTABLE otherwise).

lab_require_plugin
lab_require_xfrmi

lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done
lab_two_if_ids_conf
lab_assert "a could not initiate 'seven'" lab_initiate a seven
lab_assert "a could not initiate 'eight'" lab_initiate a eight
for h in a b; do
	for d in xfrm7 xfrm8; do
		lab_assert "$h: $d is not up" lab_wait 10 lab_link_up "$h" "$d"
	done
done
lab_assert_not "a: an SA was refused its device" lab_log_has a "gets no"
lab_inner_pair xfrm7 192.168.7
lab_inner_pair xfrm8 192.168.8
pings=$LAB_RUN/a/ping7
lab_ping_start a 192.168.7.2 "$pings" 0.2
lab_assert "a -> b over xfrm8 failed while xfrm7 carries pings" lab_ping a 192.168.8.2
counts=$(lab_ping_stop "$pings") || lab_fail "the ping over xfrm7 did not run"
read -r sent received <<< "$counts"
lab_log "over xfrm7 meanwhile: $received of $sent replies"
(( received >= 3 )) || lab_fail "over xfrm7: $received of $sent replies"
