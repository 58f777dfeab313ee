# shellcheck shell=bash
# The reconcile repairs drift, devices are made in one event and ownership
# survives a crash between creating a device and naming its owner.
# a: vti settings reconcile_interval = 1.
# 1. Before a's charon starts, a half-made device of ours is there: vti15,
#    key 15, in the plugin's interface group 165, without an alias (what a
#    crash between the two requests that make a device leaves). The plugin
#    sets it down as "unfinished", and the tunnel then adopts it: same
#    ifindex, aliased, up; no "not managed" line.
# 2. Without that device: the tunnel's VTI appears in two link events (the
#    new device, already up, then its alias), not five.
# 3. vti15 deleted by hand while the SA is up: the reconcile restores it
#    ("vti15 restored"), and pings pass again.
# 4. vti15 set down by hand: the reconcile sets it up again ("vti15
#    repaired").
# 5. b's charon is killed and restarted at another address (10.9.0.3)
#    while a's old IKE_SA lingers: the new SA with key 15 waits ("gets no
#    VTI yet: key 15 is held by vti15"). When a's old IKE_SA is gone, it
#    gets vti15, moved to the new endpoints, and pings pass.

lab_require_plugin

lab_topo_pair
ip -n b addr add 10.9.0.3/24 dev eth-a
psk=lab-secret-0123456789

# conf FILE LOCAL REMOTE...: a swanctl.conf for the tunnel from LOCAL to
# any of the REMOTE addresses, marks 15, a PSK for every address pair.
conf() {
	local file=$1 local_addr=$2 r
	shift 2
	cat > "$file" <<-EOF
	connections {
	  lab {
	    version = 2
	    local_addrs = $local_addr
	    remote_addrs = $(IFS=,; printf '%s' "$*")
	    proposals = aes128-sha256-modp2048
	    local {
	      auth = psk
	      id = $local_addr
	    }
	    remote {
	      auth = psk
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
	EOF
	for r in "$@"; do
		printf '  ike-%s {\n    id-1 = %s\n    id-2 = %s\n    secret = "%s"\n  }\n' \
			"${r//./-}" "$local_addr" "$r" "$psk" >> "$file"
	done
	printf '}\n' >> "$file"
}

# vti_is HOST FLAG: HOST's vti15 exists and its flags contain FLAG (UP) or
# not (!UP).
vti_is() {
	lab_vti_info "$1" vti15 || return 1
	if [[ $2 == '!UP' ]]; then
		[[ $LAB_VTI_FLAGS != *,UP,* ]]
	else
		[[ $LAB_VTI_FLAGS == *,UP,* ]]
	fi
}

# pings: a and b ping each other through vti15.
pings() {
	lab_assert "a -> b through vti15 failed $1" lab_wait 10 lab_ping a 192.168.15.2 2
}

lab_log "1. a half-made device of ours is there before charon starts"
ip -n a link add vti15 group 165 type vti key 15 local 10.9.0.1 remote 10.9.0.2
index=$(lab_ifindex a vti15)
lab_charon_start a "reconcile_interval = 1"
lab_charon_start b
lab_assert "a: no 'vti15 (unfinished) set down' line" \
	lab_log_has a 'vti: vti15 \(unfinished\) set down'
conf "$LAB_RUN/a/swanctl.conf" 10.9.0.1 10.9.0.2 10.9.0.3
conf "$LAB_RUN/b/swanctl.conf" 10.9.0.2 10.9.0.1
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_load_conf b "$LAB_RUN/b/swanctl.conf"
lab_assert "b could not initiate" lab_initiate b net
lab_assert "a: vti15 is not up" lab_wait 10 vti_is a UP
[[ $LAB_VTI_INDEX == "$index" ]] ||
	lab_fail "a: vti15 has index $LAB_VTI_INDEX, the half-made one had $index"
[[ $LAB_VTI_ALIAS == "strongswan-vti lab/net" ]] ||
	lab_fail "a: the adopted vti15 has alias '$LAB_VTI_ALIAS'"
lab_assert_not "a: the plugin took its own device for a foreign one" \
	lab_log_has a 'not managed by strongswan-vti'
printf 'addr add 192.168.15.1/30 dev vti15\n' | lab_ip a
lab_assert "b: vti15 is not up" lab_wait 10 vti_is b UP
printf 'addr add 192.168.15.2/30 dev vti15\n' | lab_ip b
pings "through the adopted device"

lab_log "2. b makes its device anew: two link events"
lab_swanctl b --terminate --ike lab --timeout 30 > /dev/null
lab_assert "b: vti15 did not go down" lab_wait 10 vti_is b '!UP'
ip -n b link del vti15
mon=$LAB_RUN/b/monitor.txt
lab_monitor_start b "$mon"
lab_assert "b could not initiate again" lab_initiate b net
lab_assert "b: vti15 is not up again" lab_wait 10 vti_is b UP
lab_assert "b: ip monitor link stopped recording" lab_monitor_stop b "$mon"
mapfile -t events < <(lab_monitor_events "$mon" vti15)
printf '%s\n' "${events[@]}"
(( ${#events[@]} == 2 )) ||
	lab_fail "b: ${#events[@]} link events while vti15 was made, expected 2"
[[ ${events[0]} =~ \<([A-Z_]+,)*UP[,\>] ]] ||
	lab_fail "b: vti15 appeared down: ${events[0]}"
printf 'addr add 192.168.15.2/30 dev vti15\n' | lab_ip b
lab_assert "a: vti15 is not up" lab_wait 10 vti_is a UP
pings "with b's new device"

lab_log "3. vti15 deleted by hand on a"
ip -n a link del vti15
lab_assert "a: vti15 was not restored" lab_wait 10 vti_is a UP
lab_assert "a: no 'vti15 restored' line" lab_log_has a \
	'vti: vti15 restored: it was gone while CHILD_SA net\{[0-9]+\} of .lab. is installed'
[[ $LAB_VTI_ALIAS == "strongswan-vti lab/net" ]] ||
	lab_fail "a: the restored vti15 has alias '$LAB_VTI_ALIAS'"
printf 'addr add 192.168.15.1/30 dev vti15\n' | lab_ip a
pings "after vti15 was restored"

lab_log "4. vti15 set down by hand on a"
ip -n a link set vti15 down
lab_assert "a: vti15 was not set up again" lab_wait 10 vti_is a UP
lab_assert "a: no 'vti15 repaired' line" lab_log_has a \
	'vti: vti15 repaired: it was down or changed while CHILD_SA'
printf 'addr replace 192.168.15.1/30 dev vti15\n' | lab_ip a
pings "after vti15 was repaired"

lab_log "5. b comes back from 10.9.0.3 while a's old IKE_SA lingers"
old=$(lab_swanctl a --list-sas --ike lab | sed -n 's/^lab: #\([0-9]*\),.*/\1/p')
[[ -n $old ]] || lab_fail "a: no IKE_SA lab"
lab_charon_kill b
lab_charon_start b
conf "$LAB_RUN/b/swanctl.conf" 10.9.0.3 10.9.0.1
lab_load_conf b "$LAB_RUN/b/swanctl.conf"
lab_assert "b could not initiate from 10.9.0.3" lab_initiate b net
lab_assert "a: no line that the new SA waits for key 15" lab_wait 10 \
	lab_log_has a "gets no VTI yet: key 15 is held by vti15 for 10.9.0.1 === 10.9.0.2"
lab_vti_info a vti15
[[ $LAB_VTI_REMOTE == 10.9.0.2 ]] || lab_fail "a: vti15 moved while the old SA is there"
lab_swanctl a --terminate --ike-id "$old" --force --timeout 5 > /dev/null || true
lab_assert "a: vti15 did not move to 10.9.0.3" lab_wait 15 eval \
	'vti_is a UP && [[ $LAB_VTI_REMOTE == 10.9.0.3 ]]'
lab_assert "a: no 'has its VTI now' line" lab_log_has a \
	"vti: CHILD_SA net\{[0-9]+\} of 'lab' has its VTI now"
printf 'addr replace 192.168.15.1/30 dev vti15\n' | lab_ip a
lab_assert "b: vti15 is not up" lab_wait 10 vti_is b UP
printf 'addr replace 192.168.15.2/30 dev vti15\n' | lab_ip b
pings "after the waiting SA got vti15"
