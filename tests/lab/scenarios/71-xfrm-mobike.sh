# shellcheck shell=bash
# A MOBIKE address move changes nothing on an XFRM interface: it is tied
# to no endpoints. a and b share two links (10.9.0.0/24 and 10.9.1.0/24);
# a initiates over the first with if_id 7, and xfrm7 carries pings. Then a
# loses 10.9.0.1: charon moves the IKE_SA to 10.9.1.1 <-> 10.9.1.2 with
# MOBIKE. On both hosts xfrm7 keeps its ifindex and stays up, "ip monitor
# link" records no event of it (nothing to change: its MTU stays, as the
# new underlay has the same), the plugin logs no move, down or removal of
# it, and inner pings pass both ways through it between the new
# endpoints. Needs XFRM interfaces (LAB_KERNEL=qemu).

lab_require_plugin
lab_require_xfrmi

lab_mobike_pair if_id_in=7 if_id_out=7

lab_log "initiating from a"
lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
lab_assert "b has no INSTALLED CHILD_SA 'net'" lab_wait 10 lab_sa_up b net
for h in a b; do
	lab_assert "$h: xfrm7 is not admin up after the SA came up" \
		lab_wait 10 lab_link_up "$h" xfrm7
	[[ $(lab_xfrm_if_id "$h" xfrm7) == 7 ]] ||
		lab_fail "$h: xfrm7 is not an XFRM interface with if_id 7"
done
lab_assert "a's IKE_SA is not MOBIKE-enabled" lab_log_has a 'peer supports MOBIKE'
lab_inner_pair xfrm7 192.168.7
lab_assert "a -> b over xfrm7 failed before the move" lab_ping a 192.168.7.2
a_ifindex=$(lab_ifindex a xfrm7)
b_ifindex=$(lab_ifindex b xfrm7)

out_dir=${LAB_OUT:-$LAB_RUN}
for h in a b; do
	lab_monitor_start "$h" "$out_dir/$h.link.mon"
done

lab_log "a loses 10.9.0.1: its IKE_SA must move to 10.9.1.1 <-> 10.9.1.2"
ip -n a addr del 10.9.0.1/24 dev eth-b

lab_assert "a: charon did not move the IKE_SA with MOBIKE" \
	lab_wait 60 lab_log_has a 'requesting address change using MOBIKE'
moved() {
	local sas
	sas=$(lab_swanctl a --list-sas --ike lab) || return 1
	[[ $sas == *"@ 10.9.1.1["*"@ 10.9.1.2["* ]]
}
lab_assert "a's IKE_SA is not between 10.9.1.1 and 10.9.1.2" lab_wait 30 moved

lab_assert "a -> b over xfrm7 failed after the move" \
	lab_wait 10 lab_ping a 192.168.7.2
lab_assert "b -> a over xfrm7 failed after the move" lab_ping b 192.168.7.1
esp=$(lab_esp_packets a 10.9.1.1 10.9.1.2)
(( esp >= 3 )) ||
	lab_fail "a's ESP SA from 10.9.1.1 to 10.9.1.2 counted $esp packets after the move"

for h in a b; do
	lab_assert "$h: xfrm7 is not admin up after the move" lab_link_up "$h" xfrm7
	lab_assert_not "$h: the plugin logged xfrm7 moving, going down or removed" \
		lab_log_has "$h" 'vti: xfrm7 (moves|down|removed)'
	mon=$out_dir/$h.link.mon
	lab_assert "$h: ip monitor stopped recording" lab_monitor_stop "$h" "$mon"
	events=$(lab_monitor_events "$mon" xfrm7)
	[[ -z $events ]] ||
		lab_fail "$h: ip monitor link recorded xfrm7 in the move: $events"
done
[[ $(lab_ifindex a xfrm7) == "$a_ifindex" ]] ||
	lab_fail "a: xfrm7 has another ifindex after the move (was $a_ifindex)"
[[ $(lab_ifindex b xfrm7) == "$b_ifindex" ]] ||
	lab_fail "b: xfrm7 has another ifindex after the move (was $b_ifindex)"
