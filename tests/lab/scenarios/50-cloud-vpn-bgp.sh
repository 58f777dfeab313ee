# shellcheck shell=bash
# The cloud VPN pattern: a site with two tunnels to two peer addresses,
# BGP (BIRD 2) over both, a peer's charon killed and started again.
# a (LAN 10.1.0.0/16 on lan0) has one tunnel to each of the peer
# gateways b1 (10.9.0.2, over link sw1) and b2 (10.9.1.2, over link sw2),
# as a cloud provider's two tunnel endpoints: "peer1" with marks 15 and
# "peer2" with marks 16, both with 0.0.0.0/0 selectors, both started by
# a (start_action = start), DPD every 2 s with dpd_action = restart and
# keyingtries = 0 (a retries until the peer answers again). b1 and b2
# each hold 10.2.0.1/16 on their lan0: both announce 10.2.0.0/16, and a
# ping to 10.2.0.1 is answered through whichever tunnel it takes.
# The plugin gives each VTI a /30 from 169.254.0.0/16 (vti15
# 169.254.21.2/30 on a, .1 on b1; vti16 169.254.22.2/30 on a, .1 on b2),
# mtu = 1436, routes = none; a protects per key (10.2.0.0/16 and the
# tunnel's /30), b1 and b2 protect 10.1.0.0/16 and their /30. BIRD: a is
# AS 65001 and prefers peer1 (local preference 200 over 100), b1 and b2
# are both AS 65002. Every host's default route crosses its underlay
# link in clear: what falls out of BGP and is not blackholed leaks.
#   0. nothing loaded: 10.2.0.1 (b1) answers 10.1.0.1 in clear.
#   1. both tunnels up: the VTIs have MTU 1436 and their /30; both BGP
#      sessions Established; a routes 10.2.0.0/16 through vti15; pings
#      pass as ESP, a DF ping of exactly 1436 bytes too.
#   2. b1's charon SIGKILLed and its SAs flushed (kept, the kernel would
#      answer through them and DPD would see a live peer): a's DPD gives
#      up on peer1 and vti15 goes down on a; BGP converges on peer2: a
#      routes 10.2.0.0/16 through vti16, pings pass over it; a keeps
#      retrying peer1 ("peer not responding, trying again").
#   3. b1's charon started again with its config: a's restart gets
#      through, vti15 comes back up on both ends, the session over it is
#      Established again, and a routes 10.2.0.0/16 through vti15 again,
#      pings counted by peer1's ESP SA.
# A background ping 10.1.0.1 -> 10.2.0.1 runs across 1-3 and gets
# answers after each change; the captures on a's port of both underlay
# links show nothing from or to 10.1/16, 10.2/16 or 169.254/16 in clear
# (checked after each step, with marker pings proving the captures work).

lab_require_plugin

# ------------------------------------------------------------- topology
# sw1: a 10.9.0.1/24 -- b1 10.9.0.2/24; sw2: a 10.9.1.1/24 -- b2
# 10.9.1.2/24; a's lan0 10.1.0.1/16, b1's and b2's 10.2.0.1/16; each
# host's default route crosses its link in clear.
lab_topo_sites b1 b2

# ------------------------------------------------------------- charon
# Short retransmits (2 s, then x1.4, 2 tries): a dead peer is given up on
# in some ten seconds, and a retry of peer1 takes as long.
retransmit='charon {
  retransmit_base = 1.4
  retransmit_tries = 2
}'
lab_charon_start a 'reconcile_interval = 1
      routes = none
      keys {
	15 {
	  addresses = 169.254.21.2/30
	  mtu = 1436
	  protect = 10.2.0.0/16, 169.254.21.0/30
	}
	16 {
	  addresses = 169.254.22.2/30
	  mtu = 1436
	  protect = 10.2.0.0/16, 169.254.22.0/30
	}
      }' "$retransmit"

# peer_settings N: the plugin's settings of b<N> (key 14 + N).
peer_settings() {
	printf '%s' "reconcile_interval = 1
      routes = none
      mtu = 1436
      keys {
	$((14 + $1)) {
	  addresses = 169.254.2$1.1/30
	  protect = 10.1.0.0/16, 169.254.2$1.0/30
	}
      }"
}
lab_charon_start b1 "$(peer_settings 1)" "$retransmit"
lab_charon_start b2 "$(peer_settings 2)" "$retransmit"

# conn_conf NAME KEY LOCAL REMOTE CONN_EXTRA CHILD_EXTRA: print a
# connection NAME with a child NAME, marks KEY, between the outer
# addresses LOCAL and REMOTE, with the extra lines given, and its PSK.
conn_conf() {
	cat <<-EOF
	connections {
	  $1 {
	    local_addrs = $3
	    remote_addrs = $4
	    proposals = aes128-sha256-modp2048
	    mobike = no
	    $5
	    local {
	      auth = psk
	      id = $3
	    }
	    remote {
	      auth = psk
	      id = $4
	    }
	    children {
	      $1 {
	        local_ts = 0.0.0.0/0
	        remote_ts = 0.0.0.0/0
	        esp_proposals = aes128gcm16
	        mark_in = $2
	        mark_out = $2
	        $6
	      }
	    }
	  }
	}
	secrets {
	  ike-$1 {
	    id-1 = $3
	    id-2 = $4
	    secret = lab-secret-0123456789
	  }
	}
	EOF
}
a_conn='dpd_delay = 2s
	    keyingtries = 0'
a_child='start_action = start
	        dpd_action = restart'
{
	conn_conf peer1 15 10.9.0.1 10.9.0.2 "$a_conn" "$a_child"
	conn_conf peer2 16 10.9.1.1 10.9.1.2 "$a_conn" "$a_child"
} > "$LAB_RUN/a/swanctl.conf"
conn_conf peer1 15 10.9.0.2 10.9.0.1 'unique = replace' '' > "$LAB_RUN/b1/swanctl.conf"
conn_conf peer2 16 10.9.1.2 10.9.1.1 'unique = replace' '' > "$LAB_RUN/b2/swanctl.conf"

# ------------------------------------------------------------- BIRD

# Each bird.conf: lab_bird_bgp_head (log, lan0's prefix, BGP routes into
# the kernel, the template "tunnel"), then the host's sessions.

# a: AS 65001, a session per tunnel, peer1 preferred.
{
	lab_bird_bgp_head a 10.1.0.1
	for n in 1 2; do
		cat <<-EOF

		protocol bgp t$n from tunnel {
			local 169.254.2$n.2 as 65001;
			neighbor 169.254.2$n.1 as 65002;
			ipv4 {
				import filter { bgp_local_pref = $((300 - 100 * n)); accept; };
				export where net = 10.1.0.0/16;
			};
		}
		EOF
	done
} > "$LAB_RUN/a/bird.conf"
# b1, b2: AS 65002 both, one session each, both announce 10.2.0.0/16.
for n in 1 2; do
	{
		lab_bird_bgp_head "b$n" "10.9.$((n - 1)).2"
		cat <<-EOF

		protocol bgp t$n from tunnel {
			local 169.254.2$n.1 as 65002;
			neighbor 169.254.2$n.2 as 65001;
			ipv4 {
				import all;
				export where net = 10.2.0.0/16;
			};
		}
		EOF
	} > "$LAB_RUN/b$n/bird.conf"
done

# Keep BIRD's logs and the captures with the results, whatever the verdict.
trap 'lab_bird_logs a b1 b2; lab_cap_stop sw1 sw2' EXIT

# ------------------------------------------------------------- helpers

# Blackholes each host should have once (lab_holes_are).
a_holes=(10.2.0.0/16 169.254.21.0/30 169.254.22.0/30)
b1_holes=(10.1.0.0/16 169.254.21.0/30)
b2_holes=(10.1.0.0/16 169.254.22.0/30)

# holes WHEN: a, b1 and b2 have their blackholes, each once.
holes() {
	lab_holes_wait "$1" a "${a_holes[@]}"
	lab_holes_wait "$1" b1 "${b1_holes[@]}"
	lab_holes_wait "$1" b2 "${b2_holes[@]}"
}

# bg_replies: print how many replies a's background ping (lab_bg_ping_start)
# has had.
bg_replies() {
	local text='' rest
	IFS= read -r -d '' text < "$LAB_RUN/a/bg-ping" || true
	rest=${text//" bytes from "/}
	printf '%s' $(( (${#text} - ${#rest}) / 12 ))
}

# bg_more N: true once the background ping has had more than N replies.
bg_more() {
	(( $(bg_replies) > $1 ))
}

# bg_answered WHEN: the background ping gets answers (two more from now).
bg_answered() {
	lab_assert "a: the background ping to 10.2.0.1 gets no answers $1" \
		lab_wait 30 bg_more "$(( $(bg_replies) + 1 ))"
}

# not_via HOST PREFIX DEV: true if HOST has no BIRD route to PREFIX
# through DEV.
not_via() {
	! lab_bird_route_via "$@"
}

# vti_ready HOST KEY ADDR: HOST's vti<KEY> has MTU 1436 and ADDR/30.
vti_ready() {
	local link addr
	link=$(ip -n "$1" -o link show dev "vti$2" 2>&1) || true
	addr=$(ip -n "$1" -o -4 addr show dev "vti$2" 2>&1) || true
	[[ $link == *" mtu 1436 "* ]] ||
		lab_fail "$1: vti$2's MTU is not 1436: $link"
	[[ $addr == *" inet $3/30 "* ]] ||
		lab_fail "$1: vti$2 lacks $3/30: $addr"
}

# ------------------------------------------------------------- 1. both up
lab_log "0. nothing loaded: 10.2.0.1 answers 10.1.0.1 in clear (the leak is real)"
lab_assert "precondition: 10.1.0.1 does not reach 10.2.0.1 in clear before the configs" \
	lab_ping_from a 10.1.0.1 10.2.0.1 1

lab_log "1. both tunnels up"
lab_sites_cap_start
lab_sites_mark
lab_load_conf b1 "$LAB_RUN/b1/swanctl.conf"
lab_load_conf b2 "$LAB_RUN/b2/swanctl.conf"
lab_holes_wait "config loaded" b1 "${b1_holes[@]}"
lab_holes_wait "config loaded" b2 "${b2_holes[@]}"
# start_action = start: loading a's config brings both tunnels up.
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_links_wait up vti15 "with both tunnels up" a b1
lab_links_wait up vti16 "with both tunnels up" a b2
for h in a b1 b2; do
	lab_bird_start "$h"
done
vti_ready a 15 169.254.21.2
vti_ready a 16 169.254.22.2
vti_ready b1 15 169.254.21.1
vti_ready b2 16 169.254.22.1
lab_bgp_wait t1 "with both tunnels up" a b1
lab_bgp_wait t2 "with both tunnels up" a b2
lab_sites_through 15 "with both tunnels up" b1
# 1436 bytes: 20 of IP, 8 of ICMP, 1408 of payload, not fragmented.
lab_assert "a: a DF ping of 1436 bytes does not pass through vti15" \
	lab_in a ping -n -q -c 1 -W 2 -M "do" -s 1408 -I 10.1.0.1 10.2.0.1 > /dev/null
holes "with both tunnels up"

# The background ping crosses every change from here on.
lab_bg_ping_start a 10.1.0.1 10.2.0.1
bg_answered "with both tunnels up"
lab_sites_no_leak "both tunnels up"

# ------------------------------------------------------------- 2. b1 killed
lab_log "2. b1's charon SIGKILLed"
lab_charon_kill b1
# Its SAs go with it, as with a gateway that crashed and rebooted: kept,
# b1's kernel would go on answering through them, and the ESP coming in
# would tell a's DPD that the peer is alive.
ip -n b1 xfrm state flush
lab_links_wait down vti15 "after b1's charon was killed (DPD)" a
lab_assert "a: no 'giving up after N retransmits' line for peer1's DPD" \
	lab_log_has a 'giving up after [0-9]+ retransmits'
lab_link_up a vti16 || lab_fail "a: vti16 went down with peer1"
lab_sites_through 16 "with b1's charon dead" b2
lab_assert "a: the BGP session over vti16 went down with peer1" \
	lab_bgp_established a t2
bg_answered "with b1's charon dead"
lab_assert "a: 10.2.0.0/16 is routed through vti15 with peer1 down" \
	lab_wait 20 not_via a 10.2.0.0/16 vti15
lab_holes_wait "b1 dead" a "${a_holes[@]}"
lab_sites_no_leak "b1's charon dead, BGP over peer2"
# dpd_action = restart, keyingtries = 0: a keeps trying b1.
lab_assert "a: no 'peer not responding, trying again' line while b1 is dead" \
	lab_wait 30 lab_log_has a 'peer not responding, trying again'
lab_sites_no_leak "b1's charon dead, a retrying peer1"

# ------------------------------------------------------------- 3. b1 back
lab_log "3. b1's charon started again"
lab_charon_start b1 "$(peer_settings 1)" "$retransmit"
lab_load_conf b1 "$LAB_RUN/b1/swanctl.conf"
# a's DPD restart (keyingtries = 0) gets through on its next try.
lab_links_wait up vti15 "with b1 back" a b1
lab_bgp_wait t1 "with b1 back" a b1
lab_bgp_wait t2 "with b1 back" a b2
lab_sites_through 15 "with b1 back" b1
holes "with b1 back"
bg_answered "with b1 back"

lab_bg_ping_stop 1-3 a
lab_sites_no_leak "across 1-3"

for h in a b1 b2; do
	lab_assert_not "$h: the plugin logged a failure" lab_log_has "$h" 'vti: .*failed'
done
