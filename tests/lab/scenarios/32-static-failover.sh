# shellcheck shell=bash
# Static failover between two tunnels to the same peer, and fail-closed.
# a and b are joined by two underlay links (10.9.0.0/24 and 10.9.1.0/24);
# the connection "primary" runs over link 1 with mark 15, "backup" over
# link 2 with mark 16. The plugin routes the remote network (10.2.0.0/16
# on a, 10.1.0.0/16 on b; 10.1.0.1 and 10.2.0.1 sit on the hosts' lo) into
# vti15 with metric 100 and into vti16 with metric 200 (keys.15 / keys.16
# settings) and blackholes it with metric 4294967295 (fail_closed default).
# a's default route points across link 1 in clear: without the tunnels
# 10.2.0.1 answers over it, which is what fail_closed has to prevent.
#   - both up: a's traffic to 10.2.0.1 goes by vti15 (ip route get; ESP
#     counters of the primary SA rise, the backup's do not);
#   - primary terminated: traffic moves to vti16; primary back: vti15;
#   - link 1 dies under the primary (b's port on link 1's switch set
#     down): DPD gives up on both sides, vti15 goes down, traffic moves
#     to vti16; link 1 restored and primary re-initiated: back on vti15;
#   - both tunnels terminated: only the blackhole is left, ping fails.
# Throughout (background pings both ways), tcpdump on a's port of each
# link's switch (the wire of both of a's underlay interfaces) sees no ICMP
# from or to 10.1.0.1 / 10.2.0.1 in clear, while it does see marker pings
# sent in clear to the link addresses.
# (The wire, not a's interfaces themselves: an inbound ESP packet under a
# CHILD_SA whose VTI is not up yet, when b's side of a new tunnel comes up
# first, is decrypted by plain xfrm input and shows up in clear on a's
# interface before the policy check drops it; that is no leak.)

lab_require_plugin

# ------------------------------------------------------------- topology
# Link 1 is switch sw1 (a: eth-sw1 10.9.0.1, b: eth-sw1 10.9.0.2), link 2
# is sw2 (eth-sw2, 10.9.1.1 and 10.9.1.2); the switch ports are p-a, p-b.
lab_host a b
lab_switch sw1
lab_switch sw2
lab_switch_port sw1 a 10.9.0.1/24
lab_switch_port sw1 b 10.9.0.2/24
lab_switch_port sw2 a 10.9.1.1/24
lab_switch_port sw2 b 10.9.1.2/24
lab_ip a <<-EOF
addr add 10.1.0.1/32 dev lo
route add default via 10.9.0.2
EOF
lab_ip b <<-EOF
addr add 10.2.0.1/32 dev lo
route add default via 10.9.0.1
EOF

# Short DPD retransmits (2 s, then x1.4, 2 tries): a dead peer is given
# up on in some ten seconds.
retransmit='charon {
  retransmit_base = 1.4
  retransmit_tries = 2
}'
lab_charon_start a 'keys {
	15 {
	  routes = 10.2.0.0/16
	  metric = 100
	}
	16 {
	  routes = 10.2.0.0/16
	  metric = 200
	}
      }' "$retransmit"
lab_charon_start b 'keys {
	15 {
	  routes = 10.1.0.0/16
	  metric = 100
	}
	16 {
	  routes = 10.1.0.0/16
	  metric = 200
	}
      }' "$retransmit"

# Two connections per host; MOBIKE off: each IKE_SA keeps to its link
# (with MOBIKE the primary would roam onto link 2 when link 1 dies).
conf=(local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0 dpd_delay=2s 'conn_extra=mobike = no')
lab_primary_backup_conf "${conf[@]}"

# ------------------------------------------------------------- helpers

# route_dev HOST DST DEV WHEN: fail unless "ip route get DST" in HOST
# says dev DEV.
route_dev() {
	local out
	out=$(ip -n "$1" route get "$2" 2>&1) ||
		lab_fail "$1: ip route get $2 failed $4: $out"
	[[ $out == *" dev $3 "* ]] ||
		lab_fail "$1: $2 is routed '$out' $4, expected dev $3"
	lab_log "$1: $out"
}

# via WHEN ACTIVE: a pings 10.2.0.1 and b pings 10.1.0.1, both routed into
# vti<ACTIVE> (15 or 16); the ESP states of that tunnel's link (a's
# outbound SA) count the pings, those of the other link count nothing.
via() {
	local when=$1 active=$2 p0 b0 p1 b1 up down
	route_dev a 10.2.0.1 "vti$active" "$when"
	route_dev b 10.1.0.1 "vti$active" "$when"
	p0=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
	b0=$(lab_esp_packets a 10.9.1.1 10.9.1.2)
	lab_assert "a -> 10.2.0.1 failed $when" lab_ping a 10.2.0.1
	lab_assert "b -> 10.1.0.1 failed $when" lab_ping b 10.1.0.1
	p1=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
	b1=$(lab_esp_packets a 10.9.1.1 10.9.1.2)
	lab_log "a's outbound ESP $when: primary $p0 -> $p1, backup $b0 -> $b1"
	if [[ $active == 15 ]]; then
		up=$((p1 - p0)) down=$((b1 - b0))
	else
		up=$((b1 - b0)) down=$((p1 - p0))
	fi
	(( up >= 6 )) ||
		lab_fail "$when: a's ESP SA for vti$active counted $up packets over 6 pings"
	(( down == 0 )) ||
		lab_fail "$when: a's ESP SA of the other tunnel counted $down packets, expected none"
}

# both_vti STATE KEY: wait until vti<KEY> is STATE (up|down) in a and b.
both_vti() {
	local state=$1 key=$2 h
	for h in a b; do
		lab_assert "$h: vti$key is not $state" \
			lab_wait 20 "lab_link_$state" "$h" "vti$key"
	done
}

# cap_start SWITCH: capture ICMP on a's port of SWITCH, whole scenario
# long, into $LAB_RUN/cap-SWITCH.
cap_start() {
	: > "$LAB_RUN/cap-$1.err"
	ip netns exec "$1" tcpdump -n -l --immediate-mode -i p-a icmp \
		> "$LAB_RUN/cap-$1" 2> "$LAB_RUN/cap-$1.err" &
	printf '%s\n' "$!" > "$LAB_RUN/cap-$1.pid"
	disown "$!"
}

# gone PID: true once process PID has ended.
gone() {
	! kill -0 "$1" 2>/dev/null
}

# leaks: print captured lines from or to the inner addresses.
leaks() {
	local f line
	for f in "$LAB_RUN"/cap-sw1 "$LAB_RUN"/cap-sw2; do
		while IFS= read -r line; do
			[[ $line == *10.2.0.1* || $line == *10.1.0.1* ]] &&
				printf '%s: %s\n' "${f##*/cap-}" "$line"
		done < "$f"
	done
	return 0
}

# markers SIZE: a pings both of b's link addresses in clear with SIZE
# bytes of payload; both captures must show them.
markers() {
	local size=$1 sw len
	lab_in a ping -n -q -c 1 -W 2 -s "$size" 10.9.0.2 > /dev/null
	lab_in a ping -n -q -c 1 -W 2 -s "$size" 10.9.1.2 > /dev/null
	len="ICMP echo request, id [0-9]+, seq 1, length $((size + 8))"
	for sw in sw1 sw2; do
		lab_assert "tcpdump on $sw did not see the marker ping of $size bytes" \
			lab_wait 10 grep -Eq "$len" "$LAB_RUN/cap-$sw"
	done
}

# ------------------------------------------------------------- the run

# Precondition: without tunnels 10.2.0.1 answers in clear over a's
# default route (so a blackhole is all that keeps it from doing so later).
lab_assert "precondition: a cannot reach 10.2.0.1 in clear before the tunnels" \
	lab_ping a 10.2.0.1 1

for sw in sw1 sw2; do
	cap_start "$sw"
done
# Keep the captures with the results, whatever the verdict.
# shellcheck disable=SC2016 # expanded when the trap runs
trap '[[ -n ${LAB_OUT:-} && -d $LAB_OUT ]] && cp "$LAB_RUN"/cap-sw? "$LAB_OUT"/ 2>/dev/null' EXIT
for sw in sw1 sw2; do
	lab_assert "tcpdump does not listen on $sw's p-a" \
		lab_wait 20 lab_file_has "$LAB_RUN/cap-$sw.err" "listening on p-a"
done
markers 100

lab_log "both tunnels up"
lab_assert "a could not initiate primary" lab_initiate a primary
lab_assert "a could not initiate backup" lab_initiate a backup
both_vti up 15
both_vti up 16
routes=$(ip -n a route show 10.2.0.0/16)
lab_log "a: routes to 10.2.0.0/16: ${routes//$'\n'/; }"
# (the scope of the blackhole does not matter: libnl makes it "link")
for want in "10.2.0.0/16 dev vti15 proto 165 (scope link )?metric 100" \
	"10.2.0.0/16 dev vti16 proto 165 (scope link )?metric 200" \
	"blackhole 10.2.0.0/16 proto 165 (scope [a-z]+ )?metric 4294967295"; do
	grep -Eqx -- "$want *" <<< "$routes" ||
		lab_fail "a: no route '$want' with both tunnels up: ${routes//$'\n'/; }"
done

# Background pings both ways for the rest of the scenario: they cross
# every transition below, and would show up in the captures if anything
# went out in clear.
lab_ping_start a 10.2.0.1 "$LAB_RUN/a/bg-ping" 0.5
lab_ping_start b 10.1.0.1 "$LAB_RUN/b/bg-ping" 0.5

via "with both tunnels up" 15

lab_log "(1) terminate the primary"
lab_assert "a could not terminate primary" \
	lab_swanctl a --terminate --ike primary --timeout 30 > /dev/null
both_vti down 15
lab_link_up a vti16 || lab_fail "a: vti16 went down with the primary"
via "with the primary terminated" 16

lab_log "(1) the primary comes back"
lab_assert "a could not initiate primary again" lab_initiate a primary
both_vti up 15
via "with the primary back" 15

lab_log "(2) link 1 dies under the primary (b's port on sw1 set down)"
ip -n sw1 link set p-b down
# DPD on both sides gives up on the primary; its VTIs go down.
for h in a b; do
	lab_assert "$h: vti15 is not down after link 1 died (DPD)" \
		lab_wait 90 lab_link_down "$h" vti15
done
lab_assert "a: no 'giving up after N retransmits' line for the DPD" \
	lab_log_has a '<primary\|[0-9]+> giving up after [0-9]+ retransmits'
lab_assert "a: no 'vti15 down: CHILD_SA primary{N} of 'primary', the last with key 15' line" \
	lab_log_has a 'vti: vti15 down: CHILD_SA primary\{[0-9]+\} of .primary., the last with key 15, is gone'
lab_link_up a vti16 || lab_fail "a: vti16 went down with link 1"
via "with link 1 dead" 16

lab_log "(2) link 1 restored, the primary re-initiated"
ip -n sw1 link set p-b up
lab_assert "a could not initiate primary after link 1 came back" \
	lab_initiate a primary
both_vti up 15
via "with link 1 and the primary back" 15

lab_log "both tunnels terminated"
lab_assert "a could not terminate primary" \
	lab_swanctl a --terminate --ike primary --timeout 30 > /dev/null
lab_assert "a could not terminate backup" \
	lab_swanctl a --terminate --ike backup --timeout 30 > /dev/null
both_vti down 15
both_vti down 16
routes=$(ip -n a route show 10.2.0.0/16)
lab_log "a: routes to 10.2.0.0/16: ${routes//$'\n'/; }"
grep -Eqx 'blackhole 10\.2\.0\.0/16 proto 165 (scope [a-z]+ )?metric 4294967295 *' \
	<<< "$routes" ||
	lab_fail "a: with both tunnels down, 10.2.0.0/16 has routes '$routes'," \
		"expected the blackhole alone"
[[ -n $(ip -n a route show default via 10.9.0.2) ]] ||
	lab_fail "a: the default route across link 1 is gone: the next check would prove nothing"
lab_assert_not "a reaches 10.2.0.1 with both tunnels down" lab_ping a 10.2.0.1 2
lab_assert_not "b reaches 10.1.0.1 with both tunnels down" lab_ping b 10.1.0.1 2

# The captures still work, and saw nothing in clear.
markers 200
for h in a b; do
	sent=$(lab_ping_stop "$LAB_RUN/$h/bg-ping") ||
		lab_fail "$h: the background ping died: $(< "$LAB_RUN/$h/bg-ping")"
	lab_log "$h: background ping: sent, received: $sent"
done
for sw in sw1 sw2; do
	read -r pid < "$LAB_RUN/cap-$sw.pid"
	kill -INT "$pid" || lab_fail "tcpdump on $sw died early: $(< "$LAB_RUN/cap-$sw.err")"
	lab_wait 10 gone "$pid" || lab_fail "tcpdump on $sw does not stop"
	lab_log "$sw: $(grep -E 'packets (captured|dropped)' "$LAB_RUN/cap-$sw.err" | tr '\n' ';')"
done
mapfile -t leaked < <(leaks)
if (( ${#leaked[@]} )); then
	printf '%s\n' "${leaked[@]}" >&2
	lab_fail "${#leaked[@]} ICMP packets of the tunnels' networks went out in" \
		"clear, the first: ${leaked[0]}"
fi
