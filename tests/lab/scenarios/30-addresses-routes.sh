# shellcheck shell=bash
# Addresses, routes and fail-closed blackholes from the plugin's settings.
# a and b each have a "remote network" (10.1.0.1 + fd00:1::1 on a,
# 10.2.0.1 + fd00:2::1 on b, on a dummy) and a default route through the
# other's underlay, so that whatever is not routed into vti15 leaves in
# clear. a's settings: addresses = 169.254.15.1/30, fd00:15::1/64,
# routes = 10.2.0.0/16, fd00:2::/64, metric = 100 (b: the mirror).
# 1. Tunnel up: vti15 has both addresses; the routes go through vti15 with
#    metric 100, proto 165, next to blackholes for the same prefixes with
#    metric 4294967295; pings to 10.2.0.1 and fd00:2::1 pass as ESP.
# 2. Terminated: vti15 admin down, still with its IPv4 address; the routes
#    through it are gone, the blackholes stay: pings to 10.2.0.1 and
#    fd00:2::1 fail and nothing to them leaves a's underlay (tcpdump on
#    eth-b, which does see a clear ping to b's outer address meanwhile).
# 3. Initiated again: both addresses (IPv6 too) and the routes are back;
#    pings pass.
# 4. a's settings change (metric = 200, a third address) and
#    "swanctl --reload-settings": the routes have metric 200 and the
#    metric-100 ones are gone, the new address is there, the CHILD_SA is
#    the same (unique ID and SPIs) and "ip monitor link" shows vti15 never
#    down or deleted (same ifindex, still UP).
# 5. charon stops on a (keep_protection = no): no route with proto 165 is
#    left, vti15 is gone.

lab_require_plugin

# The device and the child's keys (scenario 69 runs this with an XFRM
# interface).
dev=${dev:-vti15}
keys=${keys:-mark_in=15 mark_out=15}

lab_topo_pair
lab_ip a <<-EOF
link add net type dummy
link set net up
addr add 10.1.0.1/32 dev net
addr add fd00:1::1/128 dev net nodad
route add default via 10.9.0.2
route add ::/0 via fd00:9::2
EOF
lab_ip b <<-EOF
link add net type dummy
link set net up
addr add 10.2.0.1/32 dev net
addr add fd00:2::1/128 dev net nodad
route add default via 10.9.0.1
route add ::/0 via fd00:9::1
EOF

a_settings='keep_protection = no
addresses = 169.254.15.1/30, fd00:15::1/64
routes = 10.2.0.0/16, fd00:2::/64
metric = 100'
b_settings='addresses = 169.254.15.2/30, fd00:15::2/64
routes = 10.1.0.0/16, fd00:1::/64
metric = 100'
lab_charon_start a "$a_settings"
lab_charon_start b "$b_settings"
# shellcheck disable=SC2086 # the keys are words
lab_pair_conf $keys

# Why the last check failed.
why=''

# has_addrs HOST ADDR...: true if HOST's device has every ADDR (with its
# prefix length); sets why otherwise.
has_addrs() {
	local host=$1 out a
	shift
	out=$(ip -n "$host" -o addr show dev "$dev" 2>&1) ||
		{ why="$host: no $dev: $out"; return 1; }
	for a in "$@"; do
		[[ $out == *" inet $a "* || $out == *" inet6 $a "* ]] ||
			{ why="$host: $dev lacks address $a; it has: $out"; return 1; }
	done
}

# routes_are HOST FAMILY REGEX...: true if HOST's routes with proto 165
# (all tables) of FAMILY (4 or 6) are exactly one line of "ip route show
# table all" per REGEX (whole line, in any order); sets why otherwise.
routes_are() {
	local host=$1 fam=$2 out all=() lines=() line re n
	shift 2
	out=$(ip -n "$host" "-$fam" route show table all 2>&1) ||
		{ why="$host: ip -$fam route failed: $out"; return 1; }
	mapfile -t all <<< "$out"
	for line in "${all[@]}"; do
		[[ $line == *" proto 165 "* ]] && lines+=("$line")
	done
	if (( ${#lines[@]} != $# )); then
		why="$host: ${#lines[@]} IPv$fam routes with proto 165, expected $#:"
		why+=" $(printf '[%s] ' "${lines[@]}")"
		return 1
	fi
	for re in "$@"; do
		n=0
		for line in "${lines[@]}"; do
			[[ $line =~ ^$re\ *$ ]] && n=$((n + 1))
		done
		(( n == 1 )) || {
			why="$host: no IPv$fam route matches '$re'; proto 165 routes:"
			why+=" $(printf '[%s] ' "${lines[@]}")"
			return 1
		}
	done
}

# Expected route lines of a, in the main table (no "table" word). IPv4
# blackholes have global scope; the kernel shows IPv6 ones on "dev lo".
via4() { printf '10\\.2\\.0\\.0/16 dev %s proto 165 scope link metric %s' "$dev" "$1"; }
via6() { printf 'fd00:2::/64 dev %s proto 165 metric %s pref medium' "$dev" "$1"; }
hole4='blackhole 10\.2\.0\.0/16 proto 165 metric 4294967295'
hole6='blackhole fd00:2::/64 dev lo proto 165 metric 4294967295 pref medium'

# a_up METRIC ADDR...: a's device is admin up with the ADDRs, a's routes
# are through it with METRIC plus the blackholes.
a_up() {
	local m=$1
	shift
	lab_link_up a "$dev" || { why="a: $dev is not admin up"; return 1; }
	has_addrs a "$@" &&
		routes_are a 4 "$(via4 "$m")" "$hole4" &&
		routes_are a 6 "$(via6 "$m")" "$hole6"
}

# a_down: a's device is admin down with its IPv4 address, only the
# blackholes are left.
a_down() {
	lab_link_down a "$dev" || { why="a: $dev is not admin down (or gone)"; return 1; }
	has_addrs a 169.254.15.1/30 &&
		routes_are a 4 "$hole4" &&
		routes_are a 6 "$hole6"
}

# expect STATE WHEN [ARGS...]: wait until STATE (a_up, a_down) holds.
expect() {
	local state=$1 when=$2
	shift 2
	lab_wait 15 "$state" "$@" || lab_fail "$when: $why"
	lab_log "a, $when: $state $* holds"
}

# pings_through WHEN: pings from a to b's network (IPv4 and IPv6) pass
# as ESP.
pings_through() {
	local before after
	before=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
	lab_assert "a -> 10.2.0.1 failed $1" lab_ping a 10.2.0.1
	lab_assert "a -> fd00:2::1 failed $1" lab_ping a fd00:2::1
	after=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
	(( after - before >= 6 )) ||
		lab_fail "a's outbound ESP SA counted $((after - before)) packets for 6 pings $1"
}

# route_get HOST DST: print the first line of "ip route get DST" in HOST
# (or its error).
route_get() {
	local out
	out=$(ip -n "$1" route get "$2" 2>&1) || true
	printf '%s' "${out%%$'\n'*}"
}

# child_summary HOST: print "#ID IN_SPI OUT_SPI" of HOST's INSTALLED
# CHILD_SA net.
child_summary() {
	local out re='net: (#[0-9]+), reqid [0-9]+, INSTALLED,.*
 +in +([0-9a-f]+)[^
]*
 +out +([0-9a-f]+)'
	out=$(lab_swanctl "$1" --list-sas --child net) || return 1
	[[ $out =~ $re ]] || return 1
	printf '%s %s %s' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
}

lab_log "1. tunnel up"
lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
lab_assert "b has no INSTALLED CHILD_SA 'net'" lab_wait 10 lab_sa_up b net
expect a_up "with the tunnel up" 100 169.254.15.1/30 fd00:15::1/64
lab_wait 15 has_addrs b 169.254.15.2/30 fd00:15::2/64 || lab_fail "$why"
lab_log "a: ip route get 10.2.0.1: $(route_get a 10.2.0.1)"
pings_through "with the tunnel up"

lab_log "2. terminated"
lab_swanctl a --terminate --ike lab --timeout 30 > /dev/null
expect a_down "after terminate"
lab_log "a: ip route get 10.2.0.1: $(route_get a 10.2.0.1)"
cap=$LAB_RUN/a/eth-b.pcap.txt
: > "$cap"
ip netns exec a tcpdump -n -l -i eth-b 'icmp or icmp6' > "$cap" 2>&1 &
echo "$!" > "$cap.pid"
lab_wait 20 lab_file_has "$cap" "listening on eth-b" ||
	lab_fail "a: tcpdump on eth-b did not start: $(< "$cap")"
for dst in 10.2.0.1 fd00:2::1; do
	if out=$(lab_in a ping -n -c 2 -i 0.2 -W 1 "$dst" 2>&1); then
		lab_fail "a -> $dst answered with the tunnel down: $out"
	fi
	lab_log "a -> $dst with the tunnel down: $(tr '\n' ' ' <<< "$out")"
done
# A clear ping to b's outer address: the capture sees what leaves.
lab_assert "a -> 10.9.0.2 (underlay) failed" lab_ping a 10.9.0.2 1
lab_wait 10 lab_file_has "$cap" "10.9.0.1 > 10.9.0.2: ICMP echo request" ||
	lab_fail "a: tcpdump on eth-b did not see the clear ping to 10.9.0.2: $(< "$cap")"
kill -INT "$(< "$cap.pid")"
lab_wait 10 lab__gone "$(< "$cap.pid")" || true
lab_log "a: eth-b capture:"
cat "$cap"
if grep -E '(10\.2\.0\.1|fd00:2::1)' "$cap"; then
	lab_fail "a: packets to b's network left eth-b in clear with the tunnel down"
fi

lab_log "3. initiated again"
lab_assert "a could not initiate CHILD_SA 'net' again" lab_initiate a net
expect a_up "after initiating again" 100 169.254.15.1/30 fd00:15::1/64
pings_through "after initiating again"

lab_log "4. changed settings, swanctl --reload-settings"
conf=$(lab_conf a)
text=$(< "$conf")
new=${text/metric = 100/metric = 200}
new=${new/fd00:15::1\/64/fd00:15::1\/64, 169.254.115.1\/24}
[[ $new != "$text" && $new == *"metric = 200"* && $new == *169.254.115.1/24* ]] ||
	lab_fail "could not rewrite a's settings in $conf"
printf '%s\n' "$new" > "$conf"
before=$(child_summary a) || lab_fail "a: no INSTALLED CHILD_SA net before reloading"
index=$(lab_ifindex a "$dev")
mon=$LAB_RUN/a/monitor.txt
lab_monitor_start a "$mon"
lab_swanctl a --reload-settings > /dev/null
expect a_up "after reloading the settings" 200 169.254.15.1/30 fd00:15::1/64 \
	169.254.115.1/24
lab_assert "a: no '$dev (lab/net) takes changed settings' line" \
	lab_log_has a "vti: $dev \\(lab/net\\) takes changed settings"
lab_assert "a: ip monitor link stopped recording" lab_monitor_stop a "$mon"
mapfile -t events < <(lab_monitor_events "$mon" "$dev")
lab_log "a: ${#events[@]} link events of $dev during the reload"
for line in "${events[@]}"; do
	[[ $line != *Deleted* && $line =~ \<([A-Z_]+,)*UP[,\>] ]] ||
		lab_fail "a: $dev went down or away on reload: $line"
done
lab_link_up a "$dev" || lab_fail "a: $dev is not up after reloading"
[[ $(lab_ifindex a "$dev") == "$index" ]] || lab_fail "a: $dev was re-created on reload"
after=$(child_summary a) || lab_fail "a: no INSTALLED CHILD_SA net after reloading"
[[ $after == "$before" ]] ||
	lab_fail "a: the CHILD_SA changed on reload: was '$before', now '$after'"
lab_log "a: CHILD_SA (#ID in out) before and after reload: $after"
pings_through "after reloading the settings"

lab_log "5. charon stops on a"
lab_charon_stop a 30
lab_assert_not "a: $dev is still there after charon stopped" lab_has_link a "$dev"
for fam in 4 6; do
	left=$(ip -n a "-$fam" route show table all proto 165)
	[[ -z $left ]] || lab_fail "a: IPv$fam routes with proto 165 left after charon stopped: $left"
done
