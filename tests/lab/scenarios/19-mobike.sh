# shellcheck shell=bash
# A MOBIKE address move moves the VTI in place. a and b share two links
# (10.9.0.0/24 and 10.9.1.0/24, IPv4 only so that the only other path is
# the second link); a initiates over the first, and vti15 (local 10.9.0.1,
# remote 10.9.0.2) carries pings. Then a loses 10.9.0.1: charon notices,
# moves the IKE_SA to 10.9.1.1 <-> 10.9.1.2 with MOBIKE, and the plugin
# logs "vti: vti15 moves from ... to ..." on both hosts. Afterwards
# "ip -d link" shows vti15 with the new local and remote on both, vti15 kept
# its ifindex, "ip monitor link" recorded the change of endpoints but never
# vti15 without UP (no down/up, no re-creation), and inner pings pass both
# ways (the kernel's VTI drops traffic whose SA's outer addresses differ
# from its own: they only pass if the device really moved).

lab_require_plugin

lab_mobike_pair mark_in=15 mark_out=15

lab_log "initiating from a"
lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
lab_assert "b has no INSTALLED CHILD_SA 'net'" lab_wait 10 lab_sa_up b net

# vti_endpoints HOST LOCAL REMOTE: true if HOST's vti15 is an ip_vti with
# that local and remote.
vti_endpoints() {
	local details
	details=$(ip -n "$1" -d link show dev vti15 2>/dev/null) || return 1
	[[ $details =~ [[:space:]]vti[[:space:]]+remote[[:space:]]+$3[[:space:]]+local[[:space:]]+$2[[:space:]] ]]
}

for h in a b; do
	lab_assert "$h: vti15 is not admin up after the SA came up" \
		lab_wait 10 lab_link_up "$h" vti15
done
lab_assert "a: vti15 is not 10.9.0.1 === 10.9.0.2 before the move" \
	vti_endpoints a 10.9.0.1 10.9.0.2
lab_assert "b: vti15 is not 10.9.0.2 === 10.9.0.1 before the move" \
	vti_endpoints b 10.9.0.2 10.9.0.1
lab_assert "a's IKE_SA is not MOBIKE-enabled" lab_log_has a 'peer supports MOBIKE'
lab_inner_pair vti15 192.168.15
lab_assert "a -> b over vti15 failed before the move" lab_ping a 192.168.15.2
a_ifindex=$(lab_ifindex a vti15)
b_ifindex=$(lab_ifindex b vti15)

out_dir=${LAB_OUT:-$LAB_RUN}
for h in a b; do
	lab_monitor_start "$h" "$out_dir/$h.link.mon"
done

lab_log "a loses 10.9.0.1: its IKE_SA must move to 10.9.1.1 <-> 10.9.1.2"
ip -n a addr del 10.9.0.1/24 dev eth-b

lab_assert "a: charon did not move the IKE_SA with MOBIKE" \
	lab_wait 60 lab_log_has a 'requesting address change using MOBIKE'
lab_assert "a: no 'vti: vti15 moves from 10.9.0.1 === 10.9.0.2 to 10.9.1.1 === 10.9.1.2'" \
	lab_wait 30 lab_log_has a 'vti: vti15 moves from 10\.9\.0\.1 === 10\.9\.0\.2 to 10\.9\.1\.1 === 10\.9\.1\.2'
lab_assert "b: no 'vti: vti15 moves from 10.9.0.2 === 10.9.0.1 to 10.9.1.2 === 10.9.1.1'" \
	lab_wait 30 lab_log_has b 'vti: vti15 moves from 10\.9\.0\.2 === 10\.9\.0\.1 to 10\.9\.1\.2 === 10\.9\.1\.1'
lab_assert "a: vti15 is not 10.9.1.1 === 10.9.1.2 after the move" \
	lab_wait 10 vti_endpoints a 10.9.1.1 10.9.1.2
lab_assert "b: vti15 is not 10.9.1.2 === 10.9.1.1 after the move" \
	lab_wait 10 vti_endpoints b 10.9.1.2 10.9.1.1
sas=$(lab_swanctl a --list-sas --ike lab)
[[ $sas == *"@ 10.9.1.1["*"@ 10.9.1.2["* ]] ||
	lab_fail "a's IKE_SA is not between 10.9.1.1 and 10.9.1.2: $sas"
lab_log "a: $(ip -n a -d -o link show dev vti15 | tr -s ' ')"
lab_log "b: $(ip -n b -d -o link show dev vti15 | tr -s ' ')"

lab_assert "a -> b over vti15 failed after the move" \
	lab_wait 10 lab_ping a 192.168.15.2
lab_assert "b -> a over vti15 failed after the move" lab_ping b 192.168.15.1

for h in a b; do
	lab_assert "$h: vti15 is not admin up after the move" lab_link_up "$h" vti15
	lab_assert_not "$h: the plugin logged vti15 going down in the move" \
		lab_log_has "$h" 'vti: vti15 (down|removed)'
	mon=$out_dir/$h.link.mon
	lab_assert "$h: ip monitor stopped recording" lab_monitor_stop "$h" "$mon"
	events=$(lab_monitor_events "$mon" vti15)
	lab_log "$h: vti15 events: $(wc -l <<< "$events")"
	if [[ $h == a ]]; then local=10.9.1.1 remote=10.9.1.2; else local=10.9.1.2 remote=10.9.1.1; fi
	[[ $events == *"link/ipip $local peer $remote"* ]] ||
		lab_fail "$h: ip monitor link did not record vti15 moving to $local === $remote: $events"
	while IFS= read -r line; do
		[[ $line == Deleted* || $line != *[\<,]UP[,\>]* ]] &&
			lab_fail "$h: ip monitor link saw vti15 down or deleted in the move: $line"
	done <<< "$events"
done
[[ $(lab_ifindex a vti15) == "$a_ifindex" ]] ||
	lab_fail "a: vti15 has another ifindex after the move (was $a_ifindex)"
[[ $(lab_ifindex b vti15) == "$b_ifindex" ]] ||
	lab_fail "b: vti15 has another ifindex after the move (was $b_ifindex)"
