# shellcheck shell=bash
# A shared VTI for road warriors: the hub's key 42 has remote = any, so
# the SAs of all three spokes share one device, vti42, with local 10.9.0.1
# and remote any (strongSwan's route-based rw-shared-vti setup). Each
# spoke's inside network (10.1.N.0/24) is routed into vti42 from its own
# negotiated selectors, and every spoke reaches the hub's 10.0.0.1 through
# it, as ESP. When s1 leaves, vti42 stays up with the same ifindex and no
# link event, s2 and s3 still pass traffic, and s1's network falls to the
# blackhole of the configured remote_ts (10.1.0.0/16) instead of leaving in
# clear. When the last spoke leaves, vti42 goes down.

lab_require_plugin

spokes=(1 2 3)
psk=lab-secret-0123456789
lab_topo_hub "${#spokes[@]}"
lab_ip h <<-EOF
	addr add 10.0.0.1/32 dev lo
EOF
for n in "${spokes[@]}"; do
	printf 'addr add 10.1.%s.1/32 dev lo\n' "$n" | lab_ip "s$n"
done

lab_charon_start h "routes = remote_ts
      keys { 42 { remote = any } }"
for n in "${spokes[@]}"; do
	lab_charon_start "s$n" "routes = remote_ts"
done

# The hub: any peer, one PSK per spoke, key 42 for all of them.
{
	cat <<-EOF
	connections {
	  rw {
	    version = 2
	    local_addrs = 10.9.0.1
	    remote_addrs = %any
	    proposals = aes128-sha256-modp2048
	    local {
	      auth = psk
	      id = 10.9.0.1
	    }
	    remote {
	      auth = psk
	    }
	    children {
	      net {
	        local_ts = 10.0.0.0/24
	        remote_ts = 10.1.0.0/16
	        esp_proposals = aes128gcm16
	        mark_in = 42
	        mark_out = 42
	      }
	    }
	  }
	}
	secrets {
	EOF
	for n in "${spokes[@]}"; do
		printf '  ike-s%s {\n    id-1 = 10.9.0.1\n    id-2 = 10.9.0.1%s\n' "$n" "$n"
		printf '    secret = "%s"\n  }\n' "$psk"
	done
	printf '}\n'
} > "$LAB_RUN/h/swanctl.conf"
lab_load_conf h "$LAB_RUN/h/swanctl.conf"
for n in "${spokes[@]}"; do
	lab_psk_conf "$LAB_RUN/s$n/swanctl.conf" "10.9.0.1$n" 10.9.0.1 \
		psk="$psk" mark_in=42 mark_out=42 local_ts="10.1.$n.0/24" \
		remote_ts=10.0.0.0/24
	lab_load_conf "s$n" "$LAB_RUN/s$n/swanctl.conf"
done

# The hub's protection is in place before any spoke connects.
lab_assert "hub: no blackhole for the configured remote_ts 10.1.0.0/16" \
	lab_wait 10 lab_in h sh -c 'ip route show type blackhole | grep -q "^blackhole 10.1.0.0/16 "'

for n in "${spokes[@]}"; do
	lab_log "s$n initiates"
	lab_assert "s$n could not initiate CHILD_SA 'net'" lab_initiate "s$n" net
done

# shared_ok: vti42 on the hub is one shared VTI, up: local 10.9.0.1,
# remote any, keys 42, the plugin's alias.
shared_ok() {
	lab_vti_info h vti42 &&
		[[ $LAB_VTI_LOCAL == 10.9.0.1 && $LAB_VTI_REMOTE == any &&
			$LAB_VTI_IKEY == 42 && $LAB_VTI_OKEY == 42 &&
			$LAB_VTI_FLAGS == *,UP,* && $LAB_VTI_ALIAS == "strongswan-vti rw/net" ]]
}

# routed HOST PREFIX DEV: HOST routes PREFIX into DEV.
routed() {
	[[ $(ip -n "$1" route show "$2" dev "$3" 2>/dev/null) == "$2 "* ]]
}

# not_routed HOST PREFIX DEV: HOST does not route PREFIX into DEV.
not_routed() {
	! routed "$@"
}

lab_assert "hub: vti42 is not the shared VTI (local 10.9.0.1, remote any, key 42, up, alias)" \
	lab_wait 10 shared_ok
idx=$LAB_VTI_INDEX
mapfile -t others < <(lab_vti_list h)
(( ${#others[@]} == 0 )) ||
	lab_fail "hub has VTIs besides the shared vti42: ${others[*]}"
lab_assert_not "hub: the vti plugin refused a tunnel" lab_log_has h 'gets no VTI'
lab_assert "hub: no 'vti42 up (key 42, 10.9.0.1 === %any)' line" \
	lab_log_has h 'vti: vti42 up \(key 42, 10.9.0.1 === %any\)'

for n in "${spokes[@]}"; do
	lab_assert "hub: 10.1.$n.0/24 (s$n's selectors) is not routed into vti42" \
		lab_wait 10 routed h "10.1.$n.0/24" vti42
	lab_assert "s$n: no vti42 up" lab_wait 10 lab_link_up "s$n" vti42
	lab_assert "s$n: 10.0.0.0/24 is not routed into its vti42" \
		lab_wait 10 routed "s$n" 10.0.0.0/24 vti42
done

esp_before=$(lab_esp_packets h)
for n in "${spokes[@]}"; do
	lab_log "s$n pings the hub's 10.0.0.1 from 10.1.$n.1"
	lab_assert "s$n -> hub through the shared vti42 failed" \
		lab_ping_from "s$n" "10.1.$n.1" 10.0.0.1
done
esp_after=$(lab_esp_packets h)
(( esp_after - esp_before >= 6 * ${#spokes[@]} )) ||
	lab_fail "hub: ESP states counted $((esp_after - esp_before)) packets for" \
		"$(( 6 * ${#spokes[@]} )) echo requests and replies"

# s1 leaves; vti42 must not move.
lab_monitor_start h "$LAB_RUN/h.monitor"
lab_log "s1 leaves (terminate on s1)"
lab_assert "s1 could not terminate" \
	lab_swanctl s1 --terminate --ike lab --timeout 30 > /dev/null
lab_assert "hub: 10.1.1.0/24 is still routed into vti42 after s1 left" \
	lab_wait 10 not_routed h 10.1.1.0/24 vti42
lab_assert "hub: vti42 is not the same shared VTI, up, after s1 left" shared_ok
[[ $LAB_VTI_INDEX == "$idx" ]] ||
	lab_fail "hub: vti42's ifindex changed from $idx to $LAB_VTI_INDEX"
lab_monitor_stop h "$LAB_RUN/h.monitor"
events=$(lab_monitor_events "$LAB_RUN/h.monitor" vti42)
[[ -z $events ]] || lab_fail "hub: vti42 had link events when s1 left: $events"
lab_assert "hub: ip route get 10.1.1.1 does not hit the blackhole after s1 left" \
	lab_route_get_blackhole h 10.1.1.1
for n in 2 3; do
	lab_assert "s$n -> hub failed after s1 left" \
		lab_ping_from "s$n" "10.1.$n.1" 10.0.0.1
done

for n in 2 3; do
	lab_log "s$n leaves"
	lab_assert "s$n could not terminate" \
		lab_swanctl "s$n" --terminate --ike lab --timeout 30 > /dev/null
done
lab_assert "hub: vti42 is not down after the last spoke left" \
	lab_wait 10 lab_link_down h vti42
