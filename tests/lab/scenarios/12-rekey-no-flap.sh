# shellcheck shell=bash
# Rekeying never touches the VTI, and the plugin keeps following the SA
# that rekeying leaves.
# 1. A tunnel a <-> b with marks 15 whose CHILD_SA a rekeys every 4 s
#    carries a continuous ping through vti15 while at least two CHILD_SA
#    rekeys (new CHILD_SA IDs and SPIs) and one IKE_SA rekey (new IKE_SA ID
#    and SPIs) happen. Neither host's "ip monitor link" shows any vti15
#    event, vti15 stays UP with the same ifindex, at most 1% of the pings
#    are lost. Terminating the IKE_SA then sets vti15 down on both hosts
#    (a plugin that ignored rekeys would pass the rest).
# 2. The same with CHILD_SA rekey collisions: a and b both rekey the
#    CHILD_SA at once, IKE delayed by 250 ms each way, until charon
#    logs "CHILD_SA rekey collision won" (RFC 7296 2.8.1: the redundant SA
#    is deleted without a down event). Again no vti15 event, same ifindex,
#    at most 1% ping loss, and terminating the IKE_SA sets vti15 down on
#    both hosts.

lab_require_plugin

lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done
# Only a rekeys by itself (b's CHILD_SA lifetimes stay the default hour):
# phase 1 has no collisions.
lab_psk_conf "$LAB_RUN/a/swanctl.conf" 10.9.0.1 10.9.0.2 mark_in=15 mark_out=15 \
	rekey_time=4s child_extra=$'life_time = 120s\n        rand_time = 0s'
lab_psk_conf "$LAB_RUN/b/swanctl.conf" 10.9.0.2 10.9.0.1 mark_in=15 mark_out=15
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_load_conf b "$LAB_RUN/b/swanctl.conf"

# ike_summary HOST: print "ID SPIS" of HOST's ESTABLISHED IKE_SA lab.
ike_summary() {
	local out re='lab: #([0-9]+), ESTABLISHED, IKEv2, ([0-9a-f]+_i\*? [0-9a-f]+_r\*?)'
	out=$(lab_swanctl "$1" --list-sas --ike lab) || return 1
	[[ $out =~ $re ]] || return 1
	printf '%s %s' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
}

# child_summary HOST: print "#ID OUT_SPI" of HOST's INSTALLED CHILD_SA net.
child_summary() {
	local line id=''
	while IFS= read -r line; do
		if [[ $line =~ ^\ +net:\ (#[0-9]+),\ reqid\ [0-9]+,\ ([A-Z]+), ]]; then
			id=''
			[[ ${BASH_REMATCH[2]} == INSTALLED ]] && id=${BASH_REMATCH[1]}
		elif [[ -n $id && $line =~ ^\ +out\ +([0-9a-f]+) ]]; then
			printf '%s %s' "$id" "${BASH_REMATCH[1]}"
			return 0
		fi
	done < <(lab_swanctl "$1" --list-sas --child net)
	return 1
}

# child_rekeys: number of CHILD_SA rekeys a completed as initiator.
child_rekeys() {
	lab_log_count a 'outbound CHILD_SA net\{[0-9]+\} established'
}

# rekeys_at_least N: true once a completed at least N CHILD_SA rekeys.
rekeys_at_least() {
	(( $(child_rekeys) >= $1 ))
}

# ike_rekeyed OLD_ID: true once a's IKE_SA lab has another ID than OLD_ID.
ike_rekeyed() {
	local now
	now=$(ike_summary a) || return 1
	[[ ${now%% *} != "$1" ]]
}

# bring_up: initiate from a; vti15 up on both, inner addresses, a ping.
bring_up() {
	lab_log "initiating from a"
	lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
	lab_assert "b has no INSTALLED CHILD_SA 'net'" lab_wait 10 lab_sa_up b net
	for h in a b; do
		lab_assert "$h: vti15 is not admin up after the SA came up" \
			lab_wait 10 lab_link_up "$h" vti15
	done
	lab_ip a <<-EOF
	addr replace 192.168.15.1/30 dev vti15
	EOF
	lab_ip b <<-EOF
	addr replace 192.168.15.2/30 dev vti15
	EOF
	lab_assert "a -> b over vti15 failed before the monitors started" \
		lab_ping a 192.168.15.2
	a_ifindex=$(lab_ifindex a vti15)
	b_ifindex=$(lab_ifindex b vti15)
	lab_log "vti15 up: ifindex a $a_ifindex, b $b_ifindex"
}

# Monitor files and ping output go with the results when there are any.
out_dir=${LAB_OUT:-$LAB_RUN}

# watch PHASE: start link monitors on both hosts and the ping a -> b.
watch() {
	local h
	for h in a b; do
		lab_monitor_start "$h" "$out_dir/$h.link$1.mon"
	done
	lab_ping_start a 192.168.15.2 "$out_dir/a.ping$1.out"
	down_before_a=$(lab_log_count a 'vti: vti15 (down|removed)')
	down_before_b=$(lab_log_count b 'vti: vti15 (down|removed)')
}

# no_flap PHASE WHAT: stop the ping of PHASE and check that no monitor saw
# vti15, that vti15 stayed UP with its ifindex and that the ping lost at
# most 1% (WHAT names the events in messages).
no_flap() {
	local phase=$1 what=$2 h events mon
	# At least 300 probes, so that the one in flight at the stop weighs
	# little.
	lab_ping_loss_ok "$out_dir/a.ping$phase.out" 300 "$what"
	for h in a b; do
		mon=$out_dir/$h.link$phase.mon
		lab_assert "$h: ip monitor stopped recording" lab_monitor_mark "$h" "$mon"
		events=$(lab_monitor_events "$mon" vti15)
		[[ -z $events ]] ||
			lab_fail "$h: ip monitor link saw vti15 change across $what: $events"
		lab_assert "$h: vti15 is not admin up after $what" lab_link_up "$h" vti15
	done
	(( $(lab_log_count a 'vti: vti15 (down|removed)') == down_before_a )) ||
		lab_fail "a: the plugin logged vti15 going down across $what"
	(( $(lab_log_count b 'vti: vti15 (down|removed)') == down_before_b )) ||
		lab_fail "b: the plugin logged vti15 going down across $what"
	[[ $(lab_ifindex a vti15) == "$a_ifindex" ]] ||
		lab_fail "a: vti15 has another ifindex after $what (was $a_ifindex)"
	[[ $(lab_ifindex b vti15) == "$b_ifindex" ]] ||
		lab_fail "b: vti15 has another ifindex after $what (was $b_ifindex)"
	lab_assert "a -> b over vti15 failed after $what" lab_ping a 192.168.15.2
}

# terminate PHASE WHAT: terminate the IKE_SA; vti15 must go down on both
# hosts (the plugin still holds the SA that WHAT left), and the monitors
# must see that.
terminate() {
	local phase=$1 what=$2 h mon re downs downs_a downs_b
	re='vti: vti15 down: CHILD_SA net\{[0-9]+\} of .lab., the last with key 15, is gone'
	downs_a=$(lab_log_count a "$re")
	downs_b=$(lab_log_count b "$re")
	lab_log "terminating the IKE_SA: vti15 must go down on both hosts"
	lab_swanctl a --terminate --ike lab --timeout 30 > /dev/null
	for h in a b; do
		lab_assert "$h: vti15 is still up after the tunnel was terminated, following $what" \
			lab_wait 10 lab_link_down "$h" vti15
		if [[ $h == a ]]; then downs=$downs_a; else downs=$downs_b; fi
		(( $(lab_log_count "$h" "$re") > downs )) ||
			lab_fail "$h: no 'vti: vti15 down' line after the termination"
		mon=$out_dir/$h.link$phase.mon
		lab_assert "$h: ip monitor stopped recording" lab_monitor_stop "$h" "$mon"
		[[ -n $(lab_monitor_events "$mon" vti15) ]] ||
			lab_fail "$h: ip monitor link did not see vti15 go down"
	done
}

# ---- phase 1: CHILD_SA rekeys by a's timer, one IKE_SA rekey
bring_up
watch 1
ike_before=$(ike_summary a) || lab_fail "a has no ESTABLISHED IKE_SA lab"
child_before=$(child_summary a) || lab_fail "a has no INSTALLED CHILD_SA net"
base=$(child_rekeys)
lab_log "monitors and ping running; IKE_SA #$ike_before, CHILD_SA" \
	"$child_before (out SPI), $base rekeys so far"

LAB_POLL=1 lab_wait 60 rekeys_at_least $((base + 1)) ||
	lab_fail "a did not rekey its CHILD_SA within 60 s (rekey_time 4s)"
lab_log "CHILD_SA rekeyed; rekeying the IKE_SA"
lab_swanctl a --rekey --ike lab > /dev/null
LAB_POLL=1 lab_wait 60 ike_rekeyed "${ike_before%% *}" ||
	lab_fail "a's IKE_SA lab kept ID #${ike_before%% *} after swanctl --rekey --ike"
ike_after=$(ike_summary a)
lab_log "IKE_SA after: #$ike_after"
[[ ${ike_after#* } != "${ike_before#* }" ]] ||
	lab_fail "a's IKE_SA SPIs did not change in the IKE rekey"
# Another CHILD_SA rekey, under the new IKE_SA.
done_ike=$(child_rekeys)
LAB_POLL=1 lab_wait 60 rekeys_at_least $((done_ike + 1)) ||
	lab_fail "a did not rekey its CHILD_SA after the IKE rekey"
child_after=$(child_summary a) || lab_fail "a has no INSTALLED CHILD_SA net"
lab_log "a completed $(( $(child_rekeys) - base )) CHILD_SA rekeys under the" \
	"monitors; CHILD_SA now: $child_after (was $child_before)"
[[ ${child_after% *} != "${child_before% *}" && ${child_after#* } != "${child_before#* }" ]] ||
	lab_fail "a's INSTALLED CHILD_SA kept its ID or outbound SPI across the rekeys"
no_flap 1 "the CHILD_SA and IKE_SA rekeys"
terminate 1 "CHILD_SA and IKE_SA rekeys"

# ---- phase 2: CHILD_SA rekey collisions
bring_up
watch 2
# IKE (UDP) takes 250 ms each way, so that rekeys started at once by both
# hosts overlap; ESP is not delayed (nor dropped when the delay goes).
for link in a:eth-b b:eth-a; do
	tc -n "${link%%:*}" -batch - <<-EOF
	qdisc add dev ${link#*:} root handle 1: prio
	qdisc add dev ${link#*:} parent 1:3 handle 30: netem delay 250ms
	filter add dev ${link#*:} parent 1: protocol ip prio 1 u32 match ip protocol 17 0xff flowid 1:3
	EOF
done
collision_re='CHILD_SA rekey collision won'
won_before=$(( $(lab_log_count a "$collision_re") + $(lab_log_count b "$collision_re") ))
# collided: true once a or b logged a collision won in this phase.
collided() {
	(( $(lab_log_count a "$collision_re") + $(lab_log_count b "$collision_re") > won_before ))
}
for (( try = 1; try <= 8; try++ )); do
	lab_swanctl a --rekey --child net > /dev/null &
	rekey_a=$!
	lab_swanctl b --rekey --child net > /dev/null &
	rekey_b=$!
	wait "$rekey_a" || lab_fail "a: swanctl --rekey --child net failed"
	wait "$rekey_b" || lab_fail "b: swanctl --rekey --child net failed"
	# Both exchanges and the deletes that follow take a few round trips.
	LAB_POLL=1 lab_wait 5 collided && break
done
tc -n a qdisc del dev eth-b root
tc -n b qdisc del dev eth-a root
collided ||
	lab_fail "no CHILD_SA rekey collision in 8 simultaneous rekeys (test setup)"
for h in a b; do
	lab_log "$h: $(lab_log_count "$h" "$collision_re") rekey collision(s) won," \
		"$(lab_log_count "$h" 'CHILD_SA rekey collision lost') lost"
done
no_flap 2 "the CHILD_SA rekey collisions"
terminate 2 "CHILD_SA rekey collisions"
