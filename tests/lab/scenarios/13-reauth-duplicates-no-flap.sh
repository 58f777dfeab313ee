# shellcheck shell=bash
# Duplicate SAs and make-before-break reauthentication never flap the VTI.
# 1. a and b initiate the same child (marks 15) at the same moment. The
#    race leaves two IKE_SAs, each with a CHILD_SA with key 15, on at
#    least one host (on both, unless charon's INITIAL_CONTACT cleanup
#    destroyed one on one host already; the log says which).
#    vti15 is up on both hosts, and the plugin logs the second SA joining.
# 2. With "ip monitor link" running on both hosts, the extra SA is
#    terminated: vti15 stays up (the plugin logs one SA left).
# 3. With a continuous ping a -> b through vti15, the remaining IKE_SA is
#    reauthenticated with charon.make_before_break = yes: new IKE_SA and
#    CHILD_SA IDs, the old ones gone, the new SA joins before the old goes.
# Throughout 2 and 3 neither monitor shows a vti15 event, vti15 keeps its
# ifindex and stays UP, and at most 1% of the pings are lost. Terminating
# the last IKE_SA then sets vti15 down on both (the plugin followed the
# SAs, and the monitors see such a change).

lab_require_plugin

lab_topo_pair
# reuse_ikesa = no: an initiation never joins an IKE_SA the peer has just
# set up (charon would refuse the duplicate CHILD_SA there), so both
# initiations make IKE_SAs of their own.
for h in a b; do
	lab_charon_start "$h" "" $'charon {\n  make_before_break = yes\n  reuse_ikesa = no\n}'
done
lab_pair_conf mark_in=15 mark_out=15

# ike_sas HOST: print "ID ROLE" (i: HOST initiated it, r: the peer did) of
# each of HOST's ESTABLISHED IKE_SAs lab.
ike_sas() {
	local line re='^lab: #([0-9]+), ESTABLISHED, IKEv2, [0-9a-f]+_i(\*?) '
	while IFS= read -r line; do
		if [[ $line =~ $re ]]; then
			printf '%s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]:+i}"
		fi
	done < <(lab_swanctl "$1" --list-sas --ike lab)
}

# child_sas HOST: print "IKE_ID CHILD_ID" of each INSTALLED CHILD_SA net.
child_sas() {
	local line ike=''
	while IFS= read -r line; do
		if [[ $line =~ ^lab:\ #([0-9]+), ]]; then
			ike=${BASH_REMATCH[1]}
		elif [[ $line =~ ^\ +net:\ #([0-9]+),\ reqid\ [0-9]+,\ INSTALLED, ]]; then
			printf '%s %s\n' "$ike" "${BASH_REMATCH[1]}"
		fi
	done < <(lab_swanctl "$1" --list-sas)
}

# count_is N CMD...: true if CMD prints exactly N lines.
count_is() {
	local n=$1 out
	shift
	out=$("$@") || return 1
	[[ -z $out ]] && (( n == 0 )) && return 0
	[[ $(wc -l <<< "$out") -eq $n ]]
}

# log_grew HOST REGEX N: true once HOST's log has more than N such lines.
log_grew() {
	(( $(lab_log_count "$1" "$2") > $3 ))
}

down_re='vti: vti15 (down|removed)'
left_re='vti: vti15 stays up: CHILD_SA \{[0-9]+\} gone, 1 left'

# ---- 1. both sides initiate at once
lab_log "a and b initiate 'net' at the same moment"
lab_swanctl a --initiate --child net --timeout 60 > "$LAB_RUN/a/initiate.out" 2>&1 &
init_a=$!
lab_swanctl b --initiate --child net --timeout 60 > "$LAB_RUN/b/initiate.out" 2>&1 &
init_b=$!
wait "$init_a" || lab_fail "a could not initiate 'net': $(tail -n 3 "$LAB_RUN/a/initiate.out")"
wait "$init_b" || lab_fail "b could not initiate 'net': $(tail -n 3 "$LAB_RUN/b/initiate.out")"

# Both initiations have returned, so both IKE_AUTHs were processed: the
# SAs are what the race left. A responder that gets INITIAL_CONTACT after
# its own IKE_SA came up destroys that IKE_SA locally, before it installs
# the peer's CHILD_SA: no SA holds key 15 there for that moment (vti15 may
# go down and up there), and the peer keeps a stale duplicate.
dup_hosts=()
for h in a b; do
	lab_assert "$h: vti15 is not admin up after both initiations" \
		lab_wait 10 lab_link_up "$h" vti15
	lab_log "$h: IKE_SAs (ID, i = initiated here): $(ike_sas "$h" | tr '\n' ' ')"
	lab_log "$h: CHILD_SAs (IKE_ID CHILD_ID): $(child_sas "$h" | tr '\n' ';')"
	n=$(child_sas "$h" | wc -l)
	(( n >= 1 )) || lab_fail "$h has no INSTALLED CHILD_SA net after both initiated"
	if (( n >= 2 )); then
		dup_hosts+=("$h")
		# The plugin saw both SAs with key 15 come up for the one device.
		lab_assert "$h: no 'vti: vti15 stays up: CHILD_SA net{N} of 'lab' joins' line" \
			lab_log_has "$h" "vti: vti15 stays up: CHILD_SA net\{[0-9]+\} of 'lab' joins"
	fi
	if lab_log_has "$h" 'destroying duplicate IKE_SA .*received INITIAL_CONTACT'; then
		lab_log "$h: charon destroyed its duplicate IKE_SA (INITIAL_CONTACT)"
	elif lab_log_has "$h" "$down_re"; then
		lab_fail "$h: the plugin set vti15 down in the race, but charon destroyed no SA"
	fi
done
(( ${#dup_hosts[@]} )) ||
	lab_fail "no host holds two CHILD_SAs after both initiated (no duplicates)"
lab_log "duplicate CHILD_SAs with key 15 on: ${dup_hosts[*]}"

lab_ip a <<-EOF
addr replace 192.168.15.1/30 dev vti15
EOF
lab_ip b <<-EOF
addr replace 192.168.15.2/30 dev vti15
EOF
a_ifindex=$(lab_ifindex a vti15)
b_ifindex=$(lab_ifindex b vti15)

out_dir=${LAB_OUT:-$LAB_RUN}
for h in a b; do
	lab_monitor_start "$h" "$out_dir/$h.link.mon"
done
down_before_a=$(lab_log_count a "$down_re")
down_before_b=$(lab_log_count b "$down_re")
left_before_a=$(lab_log_count a "$left_re")
left_before_b=$(lab_log_count b "$left_re")
lab_log "monitors running (vti15 ifindex a $a_ifindex, b $b_ifindex)"

# ---- 2. the extra SA goes, on the first host holding two
h=${dup_hosts[0]}
peer=b
[[ $h == a ]] || peer=a
if (( $(ike_sas "$h" | wc -l) >= 2 )); then
	# Keep the IKE_SA h initiated, terminate the one the peer initiated
	# (--force: after a local destroy the peer does not know it any more).
	extra=$(ike_sas "$h" | while read -r id role; do
		[[ $role == i ]] || printf '%s' "$id"; done)
	[[ -n $extra ]] || lab_fail "$h lists no IKE_SA that $peer initiated"
	lab_log "terminating $h's IKE_SA #$extra (initiated by $peer)"
	lab_swanctl "$h" --terminate --ike-id "$extra" --force > /dev/null
else
	extra=$(child_sas "$h" | tail -n 1)
	extra=${extra#* }
	lab_log "terminating $h's CHILD_SA #$extra"
	lab_swanctl "$h" --terminate --child-id "$extra" --timeout 30 > /dev/null
fi
for h in a b; do
	lab_assert "$h: not exactly one INSTALLED CHILD_SA net after the extra one went" \
		lab_wait 10 count_is 1 child_sas "$h"
	lab_assert "$h: vti15 is not admin up with one SA left" lab_link_up "$h" vti15
done
for h in "${dup_hosts[@]}"; do
	if [[ $h == a ]]; then before=$left_before_a; else before=$left_before_b; fi
	lab_assert "$h: no 'vti: vti15 stays up: CHILD_SA {N} gone, 1 left' line" \
		lab_wait 10 log_grew "$h" "$left_re" "$before"
done
lab_assert "a -> b over vti15 failed with one SA left" lab_ping a 192.168.15.2

# ---- 3. make-before-break reauthentication of the remaining IKE_SA
ping_out=$out_dir/a.ping.out
lab_ping_start a 192.168.15.2 "$ping_out"
read -r ike_old role < <(ike_sas a)
child_old=$(child_sas a)
# The IKE_SA's original initiator reauthenticates.
if [[ $role == i ]]; then
	reauth_host=a
	read -r reauth_ike _ < <(ike_sas a)
else
	reauth_host=b
	read -r reauth_ike _ < <(ike_sas b)
fi
lab_log "ping running; a's IKE_SA #$ike_old, CHILD_SA #${child_old#* };" \
	"$reauth_host reauthenticates its IKE_SA #$reauth_ike (make_before_break)"
lab_swanctl "$reauth_host" --rekey --ike-id "$reauth_ike" --reauth > /dev/null

# reauthenticated OLD_ID: a has one IKE_SA, not OLD_ID, holding one
# INSTALLED CHILD_SA net.
reauthenticated() {
	local ikes children
	ikes=$(ike_sas a) || return 1
	children=$(child_sas a) || return 1
	[[ -n $ikes && $ikes != *$'\n'* && ${ikes%% *} != "$1" ]] &&
		[[ -n $children && $children != *$'\n'* && ${children%% *} == "${ikes%% *}" ]]
}
LAB_POLL=1 lab_wait 60 reauthenticated "$ike_old" ||
	lab_fail "a did not end up with one new IKE_SA and CHILD_SA after the reauth: $(ike_sas a | tr '\n' ' ')/ $(child_sas a | tr '\n' ' ')"
child_new=$(child_sas a)
lab_log "after the reauth: a's IKE_SA #${child_new% *}, CHILD_SA #${child_new#* }"
[[ ${child_new#* } != "${child_old#* }" ]] ||
	lab_fail "a's CHILD_SA kept its ID #${child_old#* } across the reauth"
lab_assert "b: not exactly one INSTALLED CHILD_SA net after the reauth" \
	lab_wait 10 count_is 1 child_sas b
# Make-before-break as the plugin saw it: the new SA joined the old one.
lab_assert "a: no 'vti: vti15 stays up: CHILD_SA net{${child_new#* }} ... joins' line" \
	lab_log_has a "vti: vti15 stays up: CHILD_SA net\\{${child_new#* }\\} of 'lab' joins"
lab_assert "$reauth_host: charon did not log the make-before-break reauth" \
	lab_log_has "$reauth_host" 'reauthenticating IKE_SA'

# At least 400 probes, so that the one in flight at the stop (and the odd
# ESP packet that meets a just deleted SA) weighs little.
lab_ping_loss_ok "$ping_out" 400 "the duplicates and the reauthentication"

for h in a b; do
	mon=$out_dir/$h.link.mon
	lab_assert "$h: ip monitor stopped recording" lab_monitor_mark "$h" "$mon"
	events=$(lab_monitor_events "$mon" vti15)
	[[ -z $events ]] ||
		lab_fail "$h: ip monitor link saw vti15 change while an SA remained: $events"
	lab_assert "$h: vti15 is not admin up after the reauth" lab_link_up "$h" vti15
done
(( $(lab_log_count a "$down_re") == down_before_a )) ||
	lab_fail "a: the plugin logged vti15 going down while an SA remained"
(( $(lab_log_count b "$down_re") == down_before_b )) ||
	lab_fail "b: the plugin logged vti15 going down while an SA remained"
[[ $(lab_ifindex a vti15) == "$a_ifindex" ]] ||
	lab_fail "a: vti15 has another ifindex (was $a_ifindex)"
[[ $(lab_ifindex b vti15) == "$b_ifindex" ]] ||
	lab_fail "b: vti15 has another ifindex (was $b_ifindex)"
lab_assert "a -> b over vti15 failed after the reauth" lab_ping a 192.168.15.2

# The plugin holds the reauthenticated SA: terminating it sets vti15 down,
# and the monitors see that.
lab_log "terminating the last IKE_SA: vti15 must go down on both hosts"
lab_swanctl a --terminate --ike lab --timeout 30 > /dev/null
for h in a b; do
	lab_assert "$h: vti15 is still up after the last SA was terminated" \
		lab_wait 10 lab_link_down "$h" vti15
	mon=$out_dir/$h.link.mon
	lab_assert "$h: ip monitor stopped recording" lab_monitor_stop "$h" "$mon"
	[[ -n $(lab_monitor_events "$mon" vti15) ]] ||
		lab_fail "$h: ip monitor link did not see vti15 go down"
done
