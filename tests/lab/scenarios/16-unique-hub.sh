# shellcheck shell=bash
# %unique marks on a hub: one hub connection accepts any spoke, its child
# has mark_in = mark_out = %unique; three spokes (fixed mark 15 on their
# side) connect. The hub gets one VTI per spoke, named vti<K> after the
# mark K charon allocated to that spoke's CHILD_SA (ikey = okey = K, as
# swanctl --list-sas shows), remote = that spoke, admin up; every spoke
# pings the hub through its own tunnel. When a spoke leaves (terminate on
# the spoke), the hub's VTI for it is removed ("vti: vtiK removed", with
# successor_wait = 0), the others stay up, untouched.

lab_require_plugin

spokes=(1 2 3)
psk=lab-secret-0123456789
lab_topo_hub "${#spokes[@]}"
# successor_wait = 0: a spoke's device goes with its last SA (scenario 42
# shows the device waiting for the spoke's successor).
lab_charon_start h "successor_wait = 0"
for h in s1 s2 s3; do
	lab_charon_start "$h"
done

# The hub: any peer, PSK per spoke, %unique marks.
{
	cat <<-EOF
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
		psk="$psk" mark_in=15 mark_out=15 local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0
	lab_load_conf "s$n" "$LAB_RUN/s$n/swanctl.conf"
done

for n in "${spokes[@]}"; do
	lab_log "s$n initiates"
	lab_assert "s$n could not initiate CHILD_SA 'net'" lab_initiate "s$n" net
done

# hub_dev_of ADDR: set dev, idx, key, okey, loc, flags, alias to the
# hub's VTI whose remote is ADDR (one ip call).
hub_dev_of() {
	local n i k o l r f a
	dev=
	while read -r n i k o l r f a; do
		if [[ $r == "$1" ]]; then
			dev=$n idx=$i key=$k okey=$o loc=$l flags=$f alias=$a
			return 0
		fi
	done < <(lab_vti_list h)
	return 1
}

# no_link HOST IFNAME: true if HOST has no IFNAME.
no_link() {
	! lab_has_link "$1" "$2"
}

# The marks charon gave the hub's SAs, by spoke address (from swanctl).
declare -A mark_in_of mark_out_of
remote=
while IFS= read -r line; do
	if [[ $line =~ ^\ +remote\ .*\ @\ ([0-9.]+)\[ ]]; then
		remote=${BASH_REMATCH[1]}
	elif [[ $line =~ ^\ +(in|out)\ +[0-9a-f]+\ \(0x([0-9a-f]+)\) ]]; then
		if [[ ${BASH_REMATCH[1]} == in ]]; then
			mark_in_of[$remote]=$(( 16#${BASH_REMATCH[2]} ))
		else
			mark_out_of[$remote]=$(( 16#${BASH_REMATCH[2]} ))
		fi
	fi
done < <(lab_swanctl h --list-sas --ike hub)
for n in "${spokes[@]}"; do
	[[ -n ${mark_in_of[10.9.0.1$n]:-} ]] ||
		lab_fail "hub: swanctl --list-sas shows no marked CHILD_SA with s$n"
done

declare -A dev_of idx_of
for n in "${spokes[@]}"; do
	peer=10.9.0.1$n
	lab_assert "hub: no VTI with remote $peer (s$n)" lab_wait 10 hub_dev_of "$peer"
	lab_log "hub: $dev for s$n: key $key, $loc -> $peer, flags $flags," \
		"alias '$alias'; SA marks in ${mark_in_of[$peer]:-none}" \
		"out ${mark_out_of[$peer]:-none}"
	[[ $key != - && $okey == "$key" ]] ||
		lab_fail "hub: $dev has ikey '$key' okey '$okey', expected equal keys"
	[[ $dev == "vti$key" ]] || lab_fail "hub: device with key $key is named $dev, not vti$key"
	[[ ${mark_in_of[$peer]:-} == "$key" && ${mark_out_of[$peer]:-} == "$key" ]] ||
		lab_fail "hub: $dev has key $key but the SA with s$n has marks" \
			"in ${mark_in_of[$peer]:-none} out ${mark_out_of[$peer]:-none}"
	(( key != 15 )) || lab_fail "hub: $dev has the spokes' key 15, not a %unique one"
	[[ $loc == 10.9.0.1 ]] || lab_fail "hub: $dev has local $loc"
	[[ $flags == *,UP,* ]] || lab_fail "hub: $dev ($flags) is not up"
	[[ $alias == "strongswan-vti hub/net" ]] ||
		lab_fail "hub: $dev has ifalias '$alias'"
	for other in "${!dev_of[@]}"; do
		[[ ${dev_of[$other]} != "$dev" ]] ||
			lab_fail "hub: s$n and s$other share $dev"
	done
	dev_of[$n]=$dev
	idx_of[$n]=$idx
done
lab_assert_not "hub: the vti plugin refused a tunnel" lab_log_has h 'gets no VTI'
mapfile -t all < <(lab_vti_list h)
(( ${#all[@]} == ${#spokes[@]} )) ||
	lab_fail "hub has ${#all[@]} VTIs, expected ${#spokes[@]}: ${all[*]}"

for n in "${spokes[@]}"; do
	lab_assert "s$n: no vti15" lab_wait 10 lab_link_up "s$n" vti15
	printf 'addr add 192.168.%s.1/30 dev %s\n' "$n" "${dev_of[$n]}" | lab_ip h
	printf 'addr add 192.168.%s.2/30 dev vti15\n' "$n" | lab_ip "s$n"
done
for n in "${spokes[@]}"; do
	lab_log "s$n pings the hub through vti15 -> ${dev_of[$n]}"
	lab_assert "s$n -> hub (192.168.$n.1) through its tunnel failed" \
		lab_ping "s$n" "192.168.$n.1"
done

# Spokes leave one by one.
left=()
for n in "${spokes[@]}"; do
	dev=${dev_of[$n]}
	lab_log "s$n leaves (terminate on s$n); hub's $dev must go"
	lab_assert "s$n could not terminate" \
		lab_swanctl "s$n" --terminate --ike lab --timeout 30 > /dev/null
	lab_assert "hub: $dev still exists after s$n left" \
		lab_wait 10 no_link h "$dev"
	c=$(lab_log_count h "vti: $dev removed: ")
	(( c == 1 )) || lab_fail "hub: $c 'vti: $dev removed' log lines, expected 1"
	left+=("$n")
	for m in "${spokes[@]}"; do
		[[ " ${left[*]} " == *" $m "* ]] && continue
		hub_dev_of "10.9.0.1$m" ||
			lab_fail "hub: no VTI for s$m any more after s$n left"
		[[ $dev == "${dev_of[$m]}" && $idx == "${idx_of[$m]}" &&
			$flags == *,UP,* ]] ||
			lab_fail "hub: s$m's ${dev_of[$m]} (index ${idx_of[$m]}) changed" \
				"when s$n left: now $dev, index $idx, flags $flags"
	done
done
mapfile -t all < <(lab_vti_list h)
(( ${#all[@]} == 0 )) || lab_fail "hub still has VTIs after all spokes left: ${all[*]}"
