# shellcheck shell=bash
# A crash and a restart with an XFRM interface: with xfrm7 up, a's charon
# is SIGKILLed; xfrm7 stays. The restarted charon sets it down at once and
# reuses it (same ifindex) when the tunnel comes back; it carries a ping.
# Needs XFRM interfaces (LAB_KERNEL=qemu).

lab_require_plugin
lab_require_xfrmi

lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done
lab_pair_conf if_id_in=7 if_id_out=7 local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0
lab_assert "a could not initiate" lab_initiate a net
for h in a b; do
	lab_assert "$h: xfrm7 is not up" lab_wait 10 lab_link_up "$h" xfrm7
done
lab_inner_pair xfrm7 192.168.7
index=$(lab_ifindex a xfrm7)
lab_charon_kill a
lab_assert "a: xfrm7 vanished with the killed charon" lab_has_link a xfrm7
lab_swanctl b --terminate --ike lab --timeout 30 > /dev/null || true
lab_charon_start a
lab_assert "a: the restart did not set xfrm7 down" lab_wait 10 lab_link_down a xfrm7
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_assert "a could not initiate after the restart" lab_initiate a net
lab_assert "a: xfrm7 is not up again" lab_wait 10 lab_link_up a xfrm7
[[ $(lab_ifindex a xfrm7) == "$index" ]] || lab_fail "a: xfrm7 was made anew"
lab_assert "a -> b over xfrm7 failed after the restart" lab_ping a 192.168.7.2
