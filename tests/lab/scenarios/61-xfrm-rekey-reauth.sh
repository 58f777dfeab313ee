# shellcheck shell=bash
# No flap on an XFRM interface: a tunnel a <-> b with if_id 7 whose
# CHILD_SA a rekeys every 4 s, then a make-before-break reauthentication;
# xfrm7 keeps its ifindex and sees no link event (ip monitor) while pings
# pass. Needs XFRM interfaces (LAB_KERNEL=qemu).
# lab-timeout: 240

lab_require_plugin
lab_require_xfrmi

lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done
lab_psk_conf "$LAB_RUN/a/swanctl.conf" 10.9.0.1 10.9.0.2 if_id_in=7 \
	if_id_out=7 local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0 rekey_time=4s \
	child_extra=$'life_time = 120s\n        rand_time = 0s' \
	conn_extra='reauth_time = 20s'
lab_psk_conf "$LAB_RUN/b/swanctl.conf" 10.9.0.2 10.9.0.1 if_id_in=7 \
	if_id_out=7 local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_load_conf b "$LAB_RUN/b/swanctl.conf"
lab_assert "a could not initiate" lab_initiate a net
for h in a b; do
	lab_assert "$h: xfrm7 is not up" lab_wait 10 lab_link_up "$h" xfrm7
done
lab_ip a <<-EOF
addr add 192.168.7.1/30 dev xfrm7
EOF
lab_ip b <<-EOF
addr add 192.168.7.2/30 dev xfrm7
EOF
index=$(lab_ifindex a xfrm7)
mon=$LAB_RUN/a/link.mon
lab_monitor_start a "$mon"
pings=$LAB_RUN/a/pings
lab_ping_start a 192.168.7.2 "$pings" 0.2
# three CHILD_SA rekeys and one reauthentication
reauthed() {
	lab_log_has a "reauthenticating IKE_SA" && lab_sa_up a net
}
lab_assert "a did not reauthenticate within 60 s" lab_wait 60 reauthed
lab_sleep 8
counts=$(lab_ping_stop "$pings") || lab_fail "the ping did not run"
read -r sent received <<< "$counts"
lab_log "pings: $received of $sent replies"
(( sent - received <= sent / 20 + 1 )) ||
	lab_fail "pings lost: $received of $sent replies"
lab_assert "a: ip monitor stopped recording" lab_monitor_stop a "$mon"
events=$(lab_monitor_events "$mon" xfrm7)
[[ -z $events ]] || lab_fail "a: link events on xfrm7: $events"
[[ $(lab_ifindex a xfrm7) == "$index" ]] || lab_fail "a: xfrm7 was made anew"
lab_assert "a: xfrm7 is not up" lab_link_up a xfrm7
