# shellcheck shell=bash
# Dynamic routing over the plugin's VTIs: BIRD 2 runs OSPF across two
# tunnels between a and b, each over an underlay link of its own (link 1,
# 10.9.0.0/24: connection "primary", mark 15; link 2, 10.9.1.0/24:
# "backup", mark 16). The plugin gives vti15 and vti16 their addresses
# (keys.15 / keys.16 addresses = 169.254.1X.1/30 on a, .2 on b) and installs
# no routes (routes = none); BIRD runs OSPF over them as point-to-point
# interfaces (cost 10 on vti15, 100 on vti16) and announces the stub
# networks 10.1.0.0/24 (a's dummy lan0) and 10.2.0.0/24 (b's), exporting
# the OSPF routes to the kernel (proto bird).
#   - both adjacencies are Full; a's route to 10.2.0.0/24 goes by vti15;
#     10.1.0.1 pings 10.2.0.1;
#   - primary terminated: the plugin sets vti15 down, BIRD removes the
#     interface from OSPF (the neighbour on vti15 is gone), the route
#     moves to vti16 and the ping passes;
#   - primary re-initiated: vti15 up, the adjacency on it is Full again
#     and the route returns to vti15.
# BIRD runs in the hosts' network namespaces (outside charon's mount
# namespace); config, control socket, pid file and log in $LAB_RUN/HOST.

lab_require_plugin

# ------------------------------------------------------------- topology
lab_host a b
lab_link a 10.9.0.1/24 b 10.9.0.2/24
ip link add eth-b2 netns a type veth peer name eth-a2 netns b
lab_ip a <<-EOF
addr add 10.9.1.1/24 dev eth-b2
link set eth-b2 up
link add lan0 type dummy
addr add 10.1.0.1/24 dev lan0
link set lan0 up
EOF
lab_ip b <<-EOF
addr add 10.9.1.2/24 dev eth-a2
link set eth-a2 up
link add lan0 type dummy
addr add 10.2.0.1/24 dev lan0
link set lan0 up
EOF

# vti_settings N: the plugin settings of host N (1 = a, 2 = b).
vti_settings() {
	printf 'routes = none
      keys {
	15 {
	  addresses = 169.254.15.%s/30
	}
	16 {
	  addresses = 169.254.16.%s/30
	}
      }' "$1" "$1"
}
lab_charon_start a "$(vti_settings 1)"
lab_charon_start b "$(vti_settings 2)"

conf=(local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0 'conn_extra=mobike = no')
lab_primary_backup_conf "${conf[@]}"

# ------------------------------------------------------------- BIRD

# OSPF over vti15 (cost 10) and vti16 (cost 100), lan0 a stub network,
# the route to the other's stub network exported to the kernel
# (lab_bird_ospf_conf); BIRD starts once both tunnels are up.
lab_bird_ospf_conf a 10.1.0.1 10.2.0.0/24
lab_bird_ospf_conf b 10.2.0.1 10.1.0.0/24

# no_neighbor HOST IFACE: true if HOST's BIRD lists no neighbour on IFACE.
no_neighbor() {
	local out
	out=$(lab_birdc "$1" show ospf neighbors core 2>&1) || return 1
	[[ ! $out =~ [[:space:]]$2[[:space:]] ]]
}

# Keep BIRD's logs with the results, whatever the verdict.
trap 'lab_bird_logs a b' EXIT

# check_state WHEN DEV: a's and b's routes to the other's stub network
# go through DEV by BIRD, and 10.1.0.1 <-> 10.2.0.1 pings pass, as ESP.
check_state() {
	local when=$1 dev=$2 out before src=10.9.0.1 dst=10.9.0.2
	[[ $dev == vti16 ]] && src=10.9.1.1 dst=10.9.1.2
	LAB_POLL=1 lab_wait 30 lab_bird_route_via a 10.2.0.0/24 "$dev" ||
		lab_fail "a: 10.2.0.0/24 is not routed through $dev by BIRD $when:" \
			"$(ip -n a route show 10.2.0.0/24)"
	LAB_POLL=1 lab_wait 30 lab_bird_route_via b 10.1.0.0/24 "$dev" ||
		lab_fail "b: 10.1.0.0/24 is not routed through $dev by BIRD $when:" \
			"$(ip -n b route show 10.1.0.0/24)"
	lab_log "a $when: $(ip -n a route show 10.2.0.0/24)"
	out=$(ip -n a route get 10.2.0.1 from 10.1.0.1 2>&1)
	[[ $out == *" dev $dev "* ]] ||
		lab_fail "a: ip route get 10.2.0.1 says '$out' $when, expected dev $dev"
	before=$(lab_esp_packets a "$src" "$dst")
	lab_assert "10.1.0.1 -> 10.2.0.1 failed $when" lab_ping_from a 10.1.0.1 10.2.0.1
	lab_esp_delta_ok a "$src" "$dst" "$before" 3 "$when"
}

# ------------------------------------------------------------- the run

lab_log "both tunnels up"
lab_assert "a could not initiate primary" lab_initiate a primary
lab_assert "a could not initiate backup" lab_initiate a backup
lab_links_wait up vti15 "with both tunnels up" a b
lab_links_wait up vti16 "with both tunnels up" a b
addrs=$(ip -n a -4 -o addr show)
[[ $addrs =~ vti15\ +inet\ 169\.254\.15\.1/30\  &&
	$addrs =~ vti16\ +inet\ 169\.254\.16\.1/30\  ]] ||
	lab_fail "a: the VTIs lack the plugin's addresses: $addrs"
routes=$(ip -n a route show proto 165)
[[ -z $routes ]] || lab_fail "a: the plugin installed routes with routes = none: $routes"

lab_bird_start a
lab_bird_start b
lab_ospf_wait vti15 "with both tunnels up" a b
lab_ospf_wait vti16 "with both tunnels up" a b
lab_log "a: $(lab_birdc a show ospf neighbors core | tr -s '\t ' ' ' | tr '\n' ';')"
check_state "with both tunnels up" vti15

lab_log "terminate the primary"
lab_assert "a could not terminate primary" \
	lab_swanctl a --terminate --ike primary --timeout 30 > /dev/null
lab_links_wait down vti15 "after the terminate" a b
for h in a b; do
	LAB_POLL=1 lab_wait 30 no_neighbor "$h" vti15 ||
		lab_fail "$h: BIRD still has a neighbour on vti15:" \
			"$(lab_birdc "$h" show ospf neighbors core 2>&1 | tr '\n' ';')"
	lab_assert "$h: BIRD did not take vti15 out of OSPF (no 'Removing interface vti15' line)" \
		lab_wait 10 grep -q 'core: Removing interface vti15 ' "$LAB_RUN/$h/bird.log"
	lab_assert "$h: the adjacency on vti16 went too" lab_ospf_full "$h" vti16
done
addrs=$(ip -n a -4 -o addr show dev vti15)
[[ $addrs == *" 169.254.15.1/30 "* ]] ||
	lab_fail "a: vti15 lost its address while down: $addrs"
check_state "with the primary terminated" vti16

lab_log "re-initiate the primary"
lab_assert "a could not initiate primary again" lab_initiate a primary
lab_links_wait up vti15 "after the primary came back" a b
lab_ospf_wait vti15 "after the primary came back" a b
check_state "with the primary back" vti15

for h in a b; do
	lab_assert_not "$h: the plugin logged a failure" lab_log_has "$h" 'vti: .*failed'
done
