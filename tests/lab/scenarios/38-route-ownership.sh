# shellcheck shell=bash
# The plugin's routes never touch anyone else's, and fail closed when
# tunnels share a prefix. a and b are joined by two underlay links (sw1:
# 10.9.0.0/24 and fd00:9::/64, sw2: 10.9.1.0/24); "primary" runs over
# link 1 with marks 15, "backup" over link 2 with marks 16. b has 10.2.0.1
# on lo; a's default route goes to b across link 1 in clear, so whatever
# the plugin does not route or blackhole leaves in clear. a's charon
# restarts with new settings for each case; b's stay (10.1.0.0/16 into
# vti15 with metric 100, into vti16 with metric 200).
# 0. The kernel honours the protocol of a deletion, IPv4 and IPv6: a
#    deletion with protocol 165 leaves someone else's route that comes
#    first in the same place.
# 1. An operator's routes to 10.2.0.0/16 and fd00:2::/64 via the underlay
#    with metric 100, the metric of the plugin's routes for key 15: up,
#    the operator's routes are untouched, ours are not installed, one log
#    line each says why; the operator deletes the IPv6 one and a settings
#    reload makes ours go in (no new line); down and charon's stop leave
#    the operator's IPv4 route as it was.
# 2. Both tunnels route 10.2.0.0/16 with metric 100 (backup with
#    down_action = delete): one route through one VTI, one blackhole.
#    The holder's tunnel goes: the other's route goes in, the blackhole
#    stays, pings go through the other tunnel; back and round the other
#    way.
# 3. The README's primary/backup (metrics 100 and 200) with
#    down_action = delete on the backup: the backup is removed, then the
#    primary goes down: "ip route get 10.2.0.1" says blackhole, pings
#    fail, and captures on a's underlay ports see nothing to or from
#    10.2.0.1 in clear (while they do see marker pings).
# 4. charon is killed with that blackhole in place: the next run takes
#    it over (it is the plugin's) and routes through vti15 again.

lab_require_plugin

# ------------------------------------------------------------- topology
lab_host a b
lab_switch sw1
lab_switch sw2
lab_switch_port sw1 a 10.9.0.1/24 fd00:9::1/64
lab_switch_port sw1 b 10.9.0.2/24 fd00:9::2/64
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

# swanctl_conf HOST LOCAL1 REMOTE1 LOCAL2 REMOTE2: write and load HOST's
# connections "primary" over link 1 and "backup" over link 2.
swanctl_conf() {
	cat > "$LAB_RUN/$1/swanctl.conf" <<-EOF
	connections {
	  primary {
	    local_addrs = $2
	    remote_addrs = $3
	    proposals = aes128-sha256-modp2048
	    mobike = no
	    local {
	      auth = psk
	      id = $2
	    }
	    remote {
	      auth = psk
	      id = $3
	    }
	    children {
	      primary {
	        local_ts = 0.0.0.0/0,::/0
	        remote_ts = 0.0.0.0/0,::/0
	        esp_proposals = aes128gcm16
	        mark_in = 15
	        mark_out = 15
	      }
	    }
	  }
	  backup {
	    local_addrs = $4
	    remote_addrs = $5
	    proposals = aes128-sha256-modp2048
	    mobike = no
	    local {
	      auth = psk
	      id = $4
	    }
	    remote {
	      auth = psk
	      id = $5
	    }
	    children {
	      backup {
	        local_ts = 0.0.0.0/0,::/0
	        remote_ts = 0.0.0.0/0,::/0
	        esp_proposals = aes128gcm16
	        mark_in = 16
	        mark_out = 16
	      }
	    }
	  }
	}
	secrets {
	  ike-primary {
	    id-1 = $2
	    id-2 = $3
	    secret = lab-secret-0123456789
	  }
	  ike-backup {
	    id-1 = $4
	    id-2 = $5
	    secret = lab-secret-0123456789
	  }
	}
	EOF
	lab_load_conf "$1" "$LAB_RUN/$1/swanctl.conf"
}

lab_charon_start b 'keys {
	15 {
	  routes = 10.1.0.0/16
	  metric = 100
	}
	16 {
	  routes = 10.1.0.0/16
	  metric = 200
	}
      }'
swanctl_conf b 10.9.0.2 10.9.0.1 10.9.1.2 10.9.1.1

# ------------------------------------------------------------- helpers

# a_start SETTINGS: (re)start a's charon with charon.plugins.vti SETTINGS
# (and keep_protection = no: a stop removes the plugin's routes, which
# this scenario checks) and load its connections.
a_start() {
	lab_charon_running a && lab_charon_stop a 30
	lab_charon_start a "keep_protection = no
$1"
	swanctl_conf a 10.9.0.1 10.9.0.2 10.9.1.1 10.9.1.2
}

# up CONN KEY: initiate CONN from a; wait until vti<KEY> is up on both.
up() {
	local h
	lab_assert "a could not initiate $1" lab_initiate a "$1"
	for h in a b; do
		lab_assert "$h: vti$2 is not up" lab_wait 20 lab_link_up "$h" "vti$2"
	done
}

# terminate CONN: terminate CONN's IKE_SA from a.
terminate() {
	lab_assert "a could not terminate $1" \
		lab_swanctl a --terminate --ike "$1" --timeout 30 > /dev/null
}

# routes FAMILY PREFIX: print a's routes to exactly PREFIX (main table).
routes() {
	ip -n a "-$1" route show "$2"
}

# has_route FAMILY PREFIX REGEX: true if a route of a's to PREFIX matches
# REGEX (whole line, trailing blanks aside).
has_route() {
	grep -Eqx -- "$3 *" <<< "$(routes "$1" "$2")"
}

# kept FAMILY PREFIX LINE WHEN: fail unless a's routes to PREFIX include
# LINE (the operator's route, as "ip route" showed it before) unchanged.
kept() {
	grep -Fxq -- "$3" <<< "$(routes "$1" "$2")" ||
		lab_fail "a: the operator's route '$3' is gone or changed $4: $(routes "$1" "$2")"
}

# hole4: a's IPv4 blackhole for 10.2.0.0/16.
hole4='blackhole 10\.2\.0\.0/16 proto 165 (scope [a-z]+ )?metric 4294967295'

# through KEY METRIC: a's route to 10.2.0.0/16 through vti<KEY>.
through() {
	printf '10\\.2\\.0\\.0/16 dev vti%s proto 165 scope link metric %s' "$1" "$2"
}

# holders: print the VTIs a routes 10.2.0.0/16 through, one per line.
holders() {
	local line
	while read -r line; do
		[[ $line =~ ^10\.2\.0\.0/16\ dev\ (vti[0-9]+)\ proto\ 165\  ]] &&
			printf '%s\n' "${BASH_REMATCH[1]}"
	done <<< "$(routes 4 10.2.0.0/16)"
	return 0
}

# only_through KEY: true if a routes 10.2.0.0/16 through vti<KEY> alone
# (with metric 100) and has the blackhole.
only_through() {
	[[ $(holders) == "vti$1" ]] && has_route 4 10.2.0.0/16 "$(through "$1" 100)" &&
		has_route 4 10.2.0.0/16 "$hole4"
}

# one_holder: true if a routes 10.2.0.0/16 through one of vti15 and vti16
# (not both) and has the blackhole.
one_holder() {
	[[ $(holders) == vti1[56] ]] && has_route 4 10.2.0.0/16 "$hole4"
}

# show WHEN: log a's routes to 10.2.0.0/16.
show() {
	local out
	out=$(routes 4 10.2.0.0/16)
	lab_log "a, $1: routes to 10.2.0.0/16: ${out//$'\n'/; }"
}

# via_tunnel WHEN KEY: "ip route get 10.2.0.1" says vti<KEY>, and pings to
# 10.2.0.1 are counted by a's outbound ESP SA of that tunnel's link.
via_tunnel() {
	local out src dst before after
	out=$(ip -n a route get 10.2.0.1 2>&1)
	[[ $out == *" dev vti$2 "* ]] ||
		lab_fail "a: 10.2.0.1 is routed '$out' $1, expected dev vti$2"
	src=10.9.0.1 dst=10.9.0.2
	[[ $2 == 16 ]] && src=10.9.1.1 dst=10.9.1.2
	before=$(lab_esp_packets a "$src" "$dst")
	lab_assert "a -> 10.2.0.1 failed $1" lab_ping a 10.2.0.1
	after=$(lab_esp_packets a "$src" "$dst")
	(( after - before >= 3 )) ||
		lab_fail "a's ESP SA for vti$2 counted $((after - before)) packets for 3 pings $1"
}

# ------------------------------------------------------------- 0. the kernel
# What the plugin's deletions rely on: the kernel matches their protocol.
# Someone else's route comes first in its place, one with protocol 165
# after it; a deletion as the plugin sends it (protocol, type, table,
# metric; no device for a blackhole) takes the one with protocol 165,
# where a deletion without the protocol would take the first.
lab_log "0. the kernel matches the protocol of a deletion (IPv4 and IPv6)"
lab_ip a <<-EOF
route add blackhole 10.7.0.0/16 metric 7
route append blackhole 10.7.0.0/16 proto 165 metric 7
route del blackhole 10.7.0.0/16 proto 165 metric 7
EOF
lab_ip a -6 <<-EOF
route add fd00:7::/64 via fd00:9::2 metric 7
route append blackhole fd00:7::/64 proto 165 metric 7
route del blackhole fd00:7::/64 proto 165 metric 7
EOF
[[ $(ip -n a route show 10.7.0.0/16) =~ ^blackhole\ 10\.7\.0\.0/16\ metric\ 7\ *$ ]] ||
	lab_fail "a: a deletion with protocol 165 took another route: $(ip -n a route show 10.7.0.0/16)"
[[ $(ip -n a -6 route show fd00:7::/64) =~ ^fd00:7::/64\ via\ fd00:9::2\ dev\ eth-sw1\ metric\ 7\ pref\ medium\ *$ ]] ||
	lab_fail "a: a deletion with protocol 165 took another route: $(ip -n a -6 route show fd00:7::/64)"
ip -n a route del blackhole 10.7.0.0/16 metric 7
ip -n a -6 route del fd00:7::/64 metric 7

# ------------------------------------------------------------- 1. operator's route
lab_log "1. the operator's routes have the place of the plugin's"
a_start 'keys {
	15 {
	  routes = 10.2.0.0/16, fd00:2::/64
	  metric = 100
	}
      }'
lab_ip a <<-EOF
route add 10.2.0.0/16 via 10.9.0.2 metric 100
route add fd00:2::/64 via fd00:9::2 metric 100
EOF
op4=$(routes 4 10.2.0.0/16)
op6=$(routes 6 fd00:2::/64)
lab_log "a: the operator's routes: $op4; $op6"
up primary 15
lab_assert "a: no blackhole for 10.2.0.0/16 with the tunnel up" \
	lab_wait 10 has_route 4 10.2.0.0/16 "$hole4"
show "with the tunnel up"
kept 4 10.2.0.0/16 "$op4" "with the tunnel up"
kept 6 fd00:2::/64 "$op6" "with the tunnel up"
[[ -z $(holders) ]] || lab_fail "a: the plugin routes 10.2.0.0/16 through $(holders)"
[[ $(routes 6 fd00:2::/64) != *"dev vti15"* ]] ||
	lab_fail "a: the plugin routes fd00:2::/64 through vti15: $(routes 6 fd00:2::/64)"
line4='vti: vti15 \(primary/primary\) does not install route 10\.2\.0\.0/16 dev vti15 table main metric 100: .10\.2\.0\.0/16 via 10\.9\.0\.2 dev eth-sw1 proto boot metric 100., which strongswan-vti did not install, is in its place; delete that route or choose another metric'
line6='vti: vti15 \(primary/primary\) does not install route fd00:2::/64 dev vti15 table main metric 100: .fd00:2::/64 via fd00:9::2 dev eth-sw1 proto boot metric 100.'
for line in "$line4" "$line6"; do
	n=$(lab_log_count a "$line")
	(( n == 1 )) || lab_fail "a: $n lines match '$line', expected 1"
done

lab_log "1. the operator deletes the IPv6 route; a settings reload retries"
ip -n a -6 route del fd00:2::/64 via fd00:9::2 metric 100
conf=$(lab_conf a)
text=$(< "$conf")
new=${text/metric = 100/metric = 100
	  mtu = 1400}
[[ $new != "$text" ]] || lab_fail "could not rewrite a's settings in $conf"
printf '%s\n' "$new" > "$conf"
lab_swanctl a --reload-settings > /dev/null
lab_assert "a: no route fd00:2::/64 through vti15 after the operator's went and the settings were reloaded" \
	lab_wait 10 has_route 6 fd00:2::/64 'fd00:2::/64 dev vti15 proto 165 metric 100 pref medium'
show "after the reload"
kept 4 10.2.0.0/16 "$op4" "on reload"
[[ -z $(holders) ]] || lab_fail "a: the plugin routes 10.2.0.0/16 through $(holders) after the reload"
for line in "$line4" "$line6"; do
	n=$(lab_log_count a "$line")
	(( n == 1 )) || lab_fail "a: $n lines match '$line' after the retry, expected 1"
done

lab_log "1. down, then charon stops"
terminate primary
lab_assert "a: vti15 is not down" lab_wait 20 lab_link_down a vti15
kept 4 10.2.0.0/16 "$op4" "with the tunnel down"
lab_charon_stop a 30
[[ $(routes 4 10.2.0.0/16) == "$op4" ]] ||
	lab_fail "a: after charon stopped, the routes to 10.2.0.0/16 are '$(routes 4 10.2.0.0/16)', expected the operator's '$op4'"
[[ -z $(ip -n a -6 route show table all proto 165) ]] ||
	lab_fail "a: routes of the plugin's left after charon stopped: $(ip -n a -6 route show table all proto 165)"
ip -n a route del 10.2.0.0/16 via 10.9.0.2 metric 100

# ------------------------------------------------------------- 2. one prefix, one metric
lab_log "2. both tunnels route 10.2.0.0/16 with metric 100"
a_start 'keys {
	15 {
	  routes = 10.2.0.0/16
	  metric = 100
	}
	16 {
	  routes = 10.2.0.0/16
	  metric = 100
	  down_action = delete
	}
      }'
up primary 15
up backup 16
lab_assert "a: 10.2.0.0/16 is not routed through one VTI with a blackhole" \
	lab_wait 10 one_holder
show "with both tunnels up"
holder=$(holders)
key=${holder#vti} other=$((31 - key))
conn() { [[ $1 == 15 ]] && echo primary || echo backup; }
via_tunnel "with both tunnels up" "$key"

lab_log "2. the holder's tunnel ($holder) goes"
terminate "$(conn "$key")"
lab_assert "a: no route through vti$other alone, with the blackhole, after $holder went" \
	lab_wait 10 only_through "$other"
show "after $holder went"
via_tunnel "after $holder went" "$other"

lab_log "2. $holder comes back and waits; vti$other goes"
up "$(conn "$key")" "$key"
lab_sleep 1
only_through "$other" ||
	lab_fail "a: $holder came back and took the route: $(routes 4 10.2.0.0/16)"
terminate "$(conn "$other")"
lab_assert "a: no route through $holder alone, with the blackhole, after vti$other went" \
	lab_wait 10 only_through "$key"
show "after vti$other went"
via_tunnel "after vti$other went" "$key"
terminate "$(conn "$key")"

# ------------------------------------------------------------- 3. README's primary/backup
lab_log "3. primary (metric 100) and backup (metric 200, down_action = delete)"
a_start 'keys {
	15 {
	  routes = 10.2.0.0/16
	  metric = 100
	}
	16 {
	  routes = 10.2.0.0/16
	  metric = 200
	  down_action = delete
	}
      }'
up primary 15
up backup 16
for want in "$(through 15 100)" "$(through 16 200)" "$hole4"; do
	lab_assert "a: no route '$want' with both tunnels up" \
		lab_wait 10 has_route 4 10.2.0.0/16 "$want"
done
show "with both tunnels up"

# cap_start SWITCH: capture ICMP on a's port of SWITCH into $LAB_RUN/cap-SWITCH.
cap_start() {
	: > "$LAB_RUN/cap-$1.err"
	ip netns exec "$1" tcpdump -n -l --immediate-mode -i p-a icmp \
		> "$LAB_RUN/cap-$1" 2> "$LAB_RUN/cap-$1.err" &
	printf '%s\n' "$!" > "$LAB_RUN/cap-$1.pid"
	disown "$!"
}
for sw in sw1 sw2; do
	cap_start "$sw"
done
# shellcheck disable=SC2016 # expanded when the trap runs
trap '[[ -n ${LAB_OUT:-} && -d $LAB_OUT ]] && cp "$LAB_RUN"/cap-sw? "$LAB_OUT"/ 2>/dev/null' EXIT
for sw in sw1 sw2; do
	lab_assert "tcpdump does not listen on $sw's p-a" \
		lab_wait 20 lab_file_has "$LAB_RUN/cap-$sw.err" "listening on p-a"
done

lab_log "3. the backup is removed, then the primary goes down"
terminate backup
lab_assert "a: vti16 was not removed" lab_wait 20 eval '! lab_has_link a vti16'
terminate primary
lab_assert "a: vti15 is not down" lab_wait 20 lab_link_down a vti15
show "with the backup removed and the primary down"
[[ $(routes 4 10.2.0.0/16) =~ ^$hole4\ *$ ]] ||
	lab_fail "a: with both tunnels gone, the routes to 10.2.0.0/16 are" \
		"'$(routes 4 10.2.0.0/16)', expected the blackhole alone"
# (the kernel answers a lookup that ends in a blackhole with EINVAL; the
# default route would give "10.2.0.1 via 10.9.0.2 dev eth-sw1 ...")
out=$(ip -n a route get 10.2.0.1 2>&1) || true
lab_log "a: ip route get 10.2.0.1: $out"
[[ $out == "RTNETLINK answers: Invalid argument" ]] ||
	lab_fail "a: with both tunnels gone, 10.2.0.1 is routed '$out', expected a blackhole"
lab_assert_not "a reaches 10.2.0.1 with both tunnels gone" lab_ping a 10.2.0.1 2

# markers: a pings b's link addresses in clear; both captures see them.
lab_in a ping -n -q -c 1 -W 2 -s 300 10.9.0.2 > /dev/null
lab_in a ping -n -q -c 1 -W 2 -s 300 10.9.1.2 > /dev/null
for sw in sw1 sw2; do
	lab_assert "tcpdump on $sw did not see the marker ping" \
		lab_wait 10 grep -Eq 'ICMP echo request, id [0-9]+, seq 1, length 308' \
		"$LAB_RUN/cap-$sw"
	read -r pid < "$LAB_RUN/cap-$sw.pid"
	kill -INT "$pid" 2>/dev/null || lab_fail "tcpdump on $sw died early"
	lab_wait 10 lab__gone "$pid" || lab_fail "tcpdump on $sw does not stop"
done
if leaked=$(grep -h '10\.2\.0\.1' "$LAB_RUN"/cap-sw1 "$LAB_RUN"/cap-sw2); then
	lab_fail "packets to or from 10.2.0.1 went out in clear: ${leaked%%$'\n'*}"
fi

# ------------------------------------------------------------- 4. an earlier run's routes
lab_log "4. charon killed with its blackhole in place: the next run takes it over"
lab_charon_kill a
refused=$(lab_log_count a 'vti: vti15 .*(does not install|installing .* failed)')
lab_charon_start a 'keys {
	15 {
	  routes = 10.2.0.0/16
	  metric = 100
	}
      }'
swanctl_conf a 10.9.0.1 10.9.0.2 10.9.1.1 10.9.1.2
up primary 15
lab_assert "a: no route through vti15 with the blackhole after the restart" \
	lab_wait 10 only_through 15
[[ $(grep -c '^blackhole' <<< "$(routes 4 10.2.0.0/16)") == 1 ]] ||
	lab_fail "a: not one blackhole after the restart: $(routes 4 10.2.0.0/16)"
show "after the restart"
n=$(lab_log_count a 'vti: vti15 .*(does not install|installing .* failed)')
(( n == refused )) ||
	lab_fail "a: the new run did not take over the earlier run's blackhole: $(grep -E 'vti: vti15 .*(does not install|installing .* failed)' "$(lab_charon_log a)" | tail -n 1)"
