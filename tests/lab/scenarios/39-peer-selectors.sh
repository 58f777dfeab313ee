# shellcheck shell=bash
# routes = remote_ts with a peer that chooses its own selectors: the peer
# must not decide the host's routes. a routes its tunnels' remote traffic
# selectors (charon.plugins.vti routes = remote_ts) and its child allows
# remote_ts = 0.0.0.0/0. a reaches b (10.9.0.2) over its default route, as
# a host on the Internet would, not over a connected subnet. b has
# 192.0.2.1 on a dummy; the VTIs have 169.254.15.1/30 and .2/30.
# 1. b offers local_ts = 0.0.0.0/1,128.0.0.0/1. On a only 128.0.0.0/1 goes
#    into vti15 (and its fail-closed blackhole); one line says 0.0.0.0/1 is
#    not routed because it covers the peer's address 10.9.0.2; "ip route
#    get 10.9.0.2" still leaves on eth-b; a ping to 192.0.2.1 passes as
#    ESP, and IKE still reaches b (b receives a's DELETE).
# 2. b offers its own address (local_ts = dynamic, 10.9.0.2/32): a routes
#    nothing into vti15 and logs one line naming 10.9.0.2/32 and 10.9.0.2;
#    10.9.0.2 stays on eth-b and IKE still reaches b.
# On code that routes what the peer offers, part 2 routes 10.9.0.2/32 into
# vti15: a's IKE messages to b are lost and both sides give up.

lab_require_plugin

lab_topo_pair
# a: the peer over the default route, no connected subnet route to it
lab_ip a <<-EOF
route del 10.9.0.0/24 dev eth-b
route add default dev eth-b
EOF
lab_ip b <<-EOF
link add net type dummy
link set net up
addr add 192.0.2.1/32 dev net
EOF

lab_charon_start a 'routes = remote_ts
addresses = 169.254.15.1/30'
lab_charon_start b 'addresses = 169.254.15.2/30'

cat > "$LAB_RUN/a/swanctl.conf" <<-EOF
connections {
  lab {
    version = 2
    local_addrs = 10.9.0.1
    remote_addrs = 10.9.0.2
    proposals = aes128-sha256-modp2048
    local {
      auth = psk
      id = 10.9.0.1
    }
    remote {
      auth = psk
      id = 10.9.0.2
    }
    children {
      net {
        local_ts = 0.0.0.0/0
        remote_ts = 0.0.0.0/0
        esp_proposals = aes128gcm16
        mark_in = 15
        mark_out = 15
      }
    }
  }
}
secrets {
  ike-lab {
    id-1 = 10.9.0.1
    id-2 = 10.9.0.2
    secret = "lab-secret-0123456789"
  }
}
EOF

# b_conf LOCAL_TS: write and load b's swanctl.conf, offering LOCAL_TS.
b_conf() {
	cat > "$LAB_RUN/b/swanctl.conf" <<-EOF
	connections {
	  lab {
	    version = 2
	    local_addrs = 10.9.0.2
	    remote_addrs = 10.9.0.1
	    proposals = aes128-sha256-modp2048
	    local {
	      auth = psk
	      id = 10.9.0.2
	    }
	    remote {
	      auth = psk
	      id = 10.9.0.1
	    }
	    children {
	      net {
	        local_ts = $1
	        remote_ts = 0.0.0.0/0
	        esp_proposals = aes128gcm16
	        mark_in = 15
	        mark_out = 15
	      }
	    }
	  }
	}
	secrets {
	  ike-lab {
	    id-1 = 10.9.0.2
	    id-2 = 10.9.0.1
	    secret = "lab-secret-0123456789"
	  }
	}
	EOF
	lab_load_conf b "$LAB_RUN/b/swanctl.conf"
}

lab_load_conf a "$LAB_RUN/a/swanctl.conf"
b_conf 0.0.0.0/1,128.0.0.0/1

# routed HOST: print HOST's IPv4 routes with proto 165 in the main table,
# one per line, without "proto 165" and trailing blanks.
routed() {
	local out line
	out=$(ip -n "$1" -4 route show proto 165) || return 1
	while IFS= read -r line; do
		[[ -n $line ]] || continue
		line=${line// proto 165/}
		printf '%s\n' "${line%"${line##*[! ]}"}"
	done <<< "$out"
}

# route_get HOST DST: print the first line of "ip route get DST" in HOST.
route_get() {
	local out
	out=$(ip -n "$1" route get "$2" 2>&1) || true
	printf '%s' "${out%%$'\n'*}"
}

# underlay_to_b WHEN: a's route to b's outer address leaves on eth-b.
underlay_to_b() {
	local out
	out=$(route_get a 10.9.0.2)
	lab_log "a: ip route get 10.9.0.2 ($1): $out"
	[[ $out == *" dev eth-b "* ]] ||
		lab_fail "a: 10.9.0.2 is not routed over the underlay $1: $out"
}

# a_routes_are LINES: a's routed (see above) prints exactly LINES.
a_routes_are() {
	[[ $(routed a) == "$1" ]]
}

# b_deletes: print how many DELETEs for IKE_SA lab b has received.
b_deletes() {
	lab_log_count b 'received DELETE for IKE_SA lab'
}

# b_deletes_above N: b has received more than N DELETEs for IKE_SA lab.
b_deletes_above() {
	(( $(b_deletes) > $1 ))
}

# b_has_no_sa: b has no INSTALLED CHILD_SA net.
b_has_no_sa() {
	! lab_sa_up b net
}

# ike_reaches_b WHEN: a deletes its IKE SA and b receives the DELETE (b
# giving up on a after retransmits would take its SAs down as well).
ike_reaches_b() {
	local before
	before=$(b_deletes)
	lab_swanctl a --terminate --ike lab --timeout 30 > /dev/null 2>&1 || true
	lab_wait 10 b_deletes_above "$before" ||
		lab_fail "b received no DELETE from a $1: IKE to 10.9.0.2 does not reach b"
	lab_assert "b still has CHILD_SA 'net' after a's DELETE $1" \
		lab_wait 10 b_has_no_sa
	lab_log "b received a's DELETE $1"
}

lab_log "1. b offers 0.0.0.0/1 and 128.0.0.0/1"
lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
lab_assert "b has no INSTALLED CHILD_SA 'net'" lab_wait 10 lab_sa_up b net
lab_assert "vti15 is not up with its address on a and b" \
	lab_wait 15 lab_pair_vti_ready vti15 169.254.15.
expected=$'128.0.0.0/1 dev vti15 scope link\nblackhole 128.0.0.0/1 metric 4294967295'
lab_wait 10 a_routes_are "$expected" ||
	lab_fail "a: routes with proto 165 are [$(routed a)], expected [$expected]"
lab_log "a: routes with proto 165: $(routed a | tr '\n' ';')"
refusal='vti: vti15 \(lab/net\): not routing 0\.0\.0\.0/1 into the VTI: it covers the peer.s outer address 10\.9\.0\.2'
n=$(lab_log_count a "$refusal")
(( n == 1 )) || lab_fail "a: $n lines say 0.0.0.0/1 is not routed because it covers 10.9.0.2, expected 1"
lab_log "a: $(grep -E -m 1 "$refusal" "$(lab_charon_log a)")"
underlay_to_b "with 128.0.0.0/1 in vti15"
out=$(route_get a 192.0.2.1)
[[ $out == *" dev vti15 "* ]] || lab_fail "a: 192.0.2.1 is not routed into vti15: $out"
before=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
lab_assert "a -> 192.0.2.1 through vti15 failed" lab_ping a 192.0.2.1
after=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
(( after - before >= 3 )) ||
	lab_fail "a: the pings to 192.0.2.1 did not leave as ESP ($((after - before)) ESP packets)"
lab_log "a: 3 pings to 192.0.2.1 through vti15, $((after - before)) ESP packets out"
ike_reaches_b "with 128.0.0.0/1 in vti15"

lab_log "2. b offers its own address (local_ts = dynamic)"
b_conf dynamic
lab_assert "a could not initiate CHILD_SA 'net' again" lab_initiate a net
lab_assert "b has no INSTALLED CHILD_SA 'net' with dynamic" lab_wait 10 lab_sa_up b net
lab_assert "a: vti15 is not up" lab_wait 10 lab_link_up a vti15
ts=$(lab_swanctl a --list-sas --child net)
[[ $ts == *"remote 10.9.0.2/32"* ]] ||
	lab_fail "a: the CHILD_SA's remote selector is not 10.9.0.2/32: $ts"
lab_wait 10 a_routes_are '' ||
	lab_fail "a: routes with proto 165 left with 10.9.0.2/32 negotiated: $(routed a)"
refusal='vti: vti15 \(lab/net\): not routing 10\.9\.0\.2/32 into the VTI: it covers the peer.s outer address 10\.9\.0\.2'
n=$(lab_log_count a "$refusal")
(( n == 1 )) || lab_fail "a: $n lines say 10.9.0.2/32 is not routed, expected 1"
lab_log "a: $(grep -E -m 1 "$refusal" "$(lab_charon_log a)")"
underlay_to_b "with 10.9.0.2/32 negotiated"
ike_reaches_b "with 10.9.0.2/32 negotiated"
