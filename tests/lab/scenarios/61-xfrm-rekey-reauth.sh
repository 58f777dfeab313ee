# shellcheck shell=bash
# No flap on an XFRM interface: a tunnel a <-> b with if_id 7 whose
# CHILD_SA a rekeys every 4 s, then a make-before-break reauthentication;
# xfrm7 keeps its ifindex and sees no link event (ip monitor) while pings
# pass. Needs XFRM interfaces (LAB_KERNEL=qemu).
# charon starts a reauthentication only while every CHILD_SA is INSTALLED
# or REKEYED, else it tries again 6-15 s later; a rekeyed SA lingers
# DELETED for delete_rekeyed_delay (5 s by default), longer than the 4 s
# between rekeys, so a's is 1 s. The reauthentication is asked for with
# swanctl once the plugin saw three rekeys (a reauth_time would end the
# IKE_SA at its hard limit while the reauthentication waits; 0 keeps a
# rekeyed SA until its hard lifetime).
# lab-timeout: 240

lab_require_plugin
lab_require_xfrmi

lab_topo_pair
lab_charon_start a "" $'charon {\n  make_before_break = yes\n  delete_rekeyed_delay = 1\n}'
lab_charon_start b
lab_psk_conf "$LAB_RUN/a/swanctl.conf" 10.9.0.1 10.9.0.2 if_id_in=7 \
	if_id_out=7 local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0 rekey_time=4s \
	child_extra=$'life_time = 120s\n        rand_time = 0s'
lab_psk_conf "$LAB_RUN/b/swanctl.conf" 10.9.0.2 10.9.0.1 if_id_in=7 \
	if_id_out=7 local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_load_conf b "$LAB_RUN/b/swanctl.conf"
lab_assert "a could not initiate" lab_initiate a net
for h in a b; do
	lab_assert "$h: xfrm7 is not up" lab_wait 10 lab_link_up "$h" xfrm7
done
lab_inner_pair xfrm7 192.168.7

# ike_ids HOST: print the IDs of HOST's ESTABLISHED IKE_SAs lab.
ike_ids() {
	local line re='^lab: #([0-9]+), ESTABLISHED'
	while IFS= read -r line; do
		[[ $line =~ $re ]] && printf '%s\n' "${BASH_REMATCH[1]}"
	done < <(lab_swanctl "$1" --list-sas --ike lab)
	return 0
}
old_ike=$(ike_ids a)
[[ $old_ike =~ ^[0-9]+$ ]] || lab_fail "a: not one IKE_SA lab: '$old_ike'"

index=$(lab_ifindex a xfrm7)
mon=$LAB_RUN/a/link.mon
lab_monitor_start a "$mon"
pings=$LAB_RUN/a/pings
lab_ping_start a 192.168.7.2 "$pings" 0.2

# three CHILD_SA rekeys, as the plugin saw them
rekeyed_thrice() {
	(( $(lab_log_count a 'vti: xfrm7 stays up: CHILD_SA \{[0-9]+\} rekeyed to') >= 3 ))
}
lab_assert "a did not rekey its CHILD_SA three times within 60 s" \
	lab_wait 60 rekeyed_thrice

# then one make-before-break reauthentication, the rekeys going on
lab_log "a reauthenticates IKE_SA #$old_ike (make_before_break)"
lab_swanctl a --rekey --ike lab --reauth > /dev/null
# reauthed: a has one IKE_SA lab, not the old one, with net INSTALLED
reauthed() {
	local ids
	ids=$(ike_ids a)
	[[ $ids =~ ^[0-9]+$ && $ids != "$old_ike" ]] && lab_sa_up a net
}
lab_assert "a did not reauthenticate within 60 s" lab_wait 60 reauthed
lab_assert "a: charon did not log a reauthentication" \
	lab_log_has a "reauthenticating IKE_SA"
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
