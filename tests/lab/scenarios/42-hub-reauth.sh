# shellcheck shell=bash
# A %unique hub keeps each spoke's device across reauthentication.
# Hub h: one connection for any spoke, mark_in = mark_out = %unique, vti
# settings successor_wait = 3, reconcile_interval = 1. Spokes s1 (charon
# with make_before_break = yes) and s2 (break-before-make, 5.9's default)
# connect with fixed marks 15.
# 1. The hub has one device per spoke, named after the spoke's first mark.
# 2. s1 reauthenticates, make-before-break: charon gives the new CHILD_SA a
#    new mark; the hub re-keys s1's device in place to it: same name, same
#    ifindex, never down or deleted ("ip monitor link"), s2's untouched;
#    s1 pings the hub through it afterwards.
# 3. s2 reauthenticates, break-before-make: s2's device goes down when the
#    old SA goes and comes up re-keyed for the new one, with the same
#    ifindex (never deleted); s2 pings the hub through it.
# 4. s2 leaves: its device goes down and waits; no successor comes within
#    successor_wait, so the next reconcile removes it. s1's stays up.

lab_require_plugin

lab_topo_hub 2
psk=lab-secret-0123456789
lab_charon_start h "successor_wait = 3
reconcile_interval = 1"
lab_charon_start s1 "" $'charon {\n  make_before_break = yes\n}'
lab_charon_start s2

cat > "$LAB_RUN/h/swanctl.conf" <<EOF
connections {
  hub {
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
        local_ts = 0.0.0.0/0
        remote_ts = 0.0.0.0/0
        esp_proposals = aes128gcm16
        mark_in = %unique
        mark_out = %unique
      }
    }
  }
}
secrets {
  ike-s1 {
    id-1 = 10.9.0.1
    id-2 = 10.9.0.11
    secret = "$psk"
  }
  ike-s2 {
    id-1 = 10.9.0.1
    id-2 = 10.9.0.12
    secret = "$psk"
  }
}
EOF
lab_load_conf h "$LAB_RUN/h/swanctl.conf"
for n in 1 2; do
	lab_psk_conf "$LAB_RUN/s$n/swanctl.conf" "10.9.0.1$n" 10.9.0.1 \
		psk="$psk" mark_in=15 mark_out=15 local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0
	lab_load_conf "s$n" "$LAB_RUN/s$n/swanctl.conf"
	lab_assert "s$n could not initiate CHILD_SA 'net'" lab_initiate "s$n" net
done

# hub_dev_of ADDR: set dev, idx, key, flags to the hub's VTI whose remote
# is ADDR.
hub_dev_of() {
	local n i k o l r f a
	dev=
	while read -r n i k o l r f a; do
		if [[ $r == "$1" ]]; then
			dev=$n idx=$i key=$k flags=$f
			return 0
		fi
	done < <(lab_vti_list h)
	return 1
}

# rekeyed ADDR KEY: the hub's device for ADDR is up with a key other than
# KEY.
rekeyed() {
	hub_dev_of "$1" && [[ $key != "$2" && $flags == *,UP,* ]]
}

# no_link HOST IFNAME: true if HOST has no IFNAME.
no_link() {
	! lab_has_link "$1" "$2"
}

# spoke_pings N DEV: s<N> and the hub get addresses on their tunnel ends
# (again: the kernel drops IPv4 routes, not addresses, on down) and s<N>
# pings the hub through it.
spoke_pings() {
	printf 'addr replace 192.168.%s.1/30 dev %s\n' "$1" "$2" | lab_ip h
	printf 'addr replace 192.168.%s.2/30 dev vti15\n' "$1" | lab_ip "s$1"
	lab_assert "s$1 -> hub (192.168.$1.1) through $2 failed $3" \
		lab_wait 10 lab_ping "s$1" "192.168.$1.1" 2
}

lab_log "1. both spokes up"
declare -A dev_of idx_of key_of
for n in 1 2; do
	lab_assert "hub: no up VTI for s$n" lab_wait 10 rekeyed "10.9.0.1$n" none
	dev_of[$n]=$dev idx_of[$n]=$idx key_of[$n]=$key
	[[ $dev == "vti$key" ]] || lab_fail "hub: s$n's device $dev has key $key"
	lab_log "hub: s$n has $dev (index $idx, key $key)"
	spoke_pings "$n" "$dev" "with the first SA"
done

lab_log "2. s1 reauthenticates, make-before-break"
mon=$LAB_RUN/h/monitor.txt
lab_monitor_start h "$mon"
lab_swanctl s1 --rekey --ike lab --reauth > /dev/null
lab_assert "hub: s1's device was not re-keyed after its reauthentication" \
	lab_wait 20 rekeyed 10.9.0.11 "${key_of[1]}"
lab_assert "hub: s1's old SA did not go" lab_wait 20 lab_log_has h \
	"vti: ${dev_of[1]} stays up: CHILD_SA \{[0-9]+\} gone, 1 left"
lab_assert "hub: ip monitor link stopped recording" lab_monitor_stop h "$mon"
[[ $dev == "${dev_of[1]}" && $idx == "${idx_of[1]}" ]] ||
	lab_fail "hub: s1's device is $dev (index $idx), was ${dev_of[1]} (index ${idx_of[1]})"
lab_assert "hub: no re-key line for ${dev_of[1]}" lab_log_has h \
	"vti: ${dev_of[1]} \(hub/net\) is re-keyed from ${key_of[1]} to $key"
mapfile -t events < <(lab_monitor_events "$mon" "${dev_of[1]}")
for line in "${events[@]}"; do
	[[ $line != *Deleted* && $line =~ \<([A-Z_]+,)*UP[,\>] ]] ||
		lab_fail "hub: ${dev_of[1]} went down or away during make-before-break: $line"
done
lab_log "hub: ${dev_of[1]} now has key $key, ${#events[@]} link events, never down"
key_of[1]=$key
hub_dev_of 10.9.0.12
[[ $dev == "${dev_of[2]}" && $idx == "${idx_of[2]}" && $key == "${key_of[2]}" &&
	$flags == *,UP,* ]] || lab_fail "hub: s2's device changed with s1's reauthentication"
spoke_pings 1 "${dev_of[1]}" "after make-before-break reauthentication"

lab_log "3. s2 reauthenticates, break-before-make"
lab_swanctl s2 --rekey --ike lab --reauth > /dev/null
lab_assert "hub: s2's device was not re-keyed after its reauthentication" \
	lab_wait 20 rekeyed 10.9.0.12 "${key_of[2]}"
[[ $dev == "${dev_of[2]}" && $idx == "${idx_of[2]}" ]] ||
	lab_fail "hub: s2's device is $dev (index $idx), was ${dev_of[2]} (index ${idx_of[2]})"
lab_assert "hub: no 'waits for the spoke's successor' line for ${dev_of[2]}" \
	lab_log_has h "vti: ${dev_of[2]} down: .* waits up to 3s for the spoke's successor"
lab_log "hub: ${dev_of[2]} now has key $key, same ifindex $idx"
key_of[2]=$key
spoke_pings 2 "${dev_of[2]}" "after break-before-make reauthentication"
lab_assert_not "hub: the plugin refused a spoke" lab_log_has h 'gets no VTI'

lab_log "4. s2 leaves for good"
lab_swanctl s2 --terminate --ike lab --timeout 30 > /dev/null
lab_assert "hub: ${dev_of[2]} was not removed after successor_wait" \
	lab_wait 20 no_link h "${dev_of[2]}"
lab_assert "hub: no 'no successor' line for ${dev_of[2]}" lab_log_has h \
	"vti: ${dev_of[2]} \(hub/net\) removed: no successor of its spoke came within 3s"
hub_dev_of 10.9.0.11
[[ $dev == "${dev_of[1]}" && $idx == "${idx_of[1]}" && $flags == *,UP,* ]] ||
	lab_fail "hub: s1's device changed when s2 left"
