# shellcheck shell=bash
# lab-timeout: 300
# A crash with 100 tunnels up. Tunnel tI runs between its own address pair
# (a 10.10.I.1, b 10.10.I.2) with marks 100+I, so vti(100+I) on each side.
# a initiates all of them at once (start_action = start). With all 100
# up, a's charon is SIGKILLed: its 100 VTIs stay as they were (nobody
# cleans up). The restarted charon sets every one of them down at once
# ("left by an earlier run") and, when a initiates all tunnels again,
# reuses each (none deleted, same ifindex, the address put on three of them
# still there): in the end a has exactly one VTI per key, each
# admin up, aliased "strongswan-vti tI/tI", with an INSTALLED CHILD_SA, none
# left stale, and pings pass through a few of them. b, which saw the old
# IKE_SAs replaced (INITIAL_CONTACT), keeps one VTI per key, up.

lab_require_plugin

n=100
# Processes are dear under UML: poll every 2 s.
# shellcheck disable=SC2034 # read by lab_wait
LAB_POLL=2

lab_topo_pair
lab_pair_addrs "$n"
for h in a b; do
	lab_charon_start "$h"
done

# One connection per tunnel; @I@ is the tunnel's number, @ME@ and @PEER@
# the last byte of the own and the peer's address.
conn_tpl='  t@I@ {
    version = 2
    local_addrs = 10.10.@I@.@ME@
    remote_addrs = 10.10.@I@.@PEER@
    proposals = aes128-sha256-modp2048
    local {
      auth = psk
      id = 10.10.@I@.@ME@
    }
    remote {
      auth = psk
      id = 10.10.@I@.@PEER@
    }
    children {
      t@I@ {
        local_ts = 0.0.0.0/0
        remote_ts = 0.0.0.0/0
        esp_proposals = aes128gcm16
        mark_in = @KEY@
        mark_out = @KEY@
        start_action = @START@
      }
    }
  }
'
secret_tpl='  ike-t@I@ {
    id-1 = 10.10.@I@.@ME@
    id-2 = 10.10.@I@.@PEER@
    secret = "lab-secret-0123456789"
  }
'

# write_conf FILE ME PEER START: the swanctl.conf of all tunnels, for the
# host whose addresses end in ME.
write_conf() {
	local i s conns='' secrets=''
	for (( i = 1; i <= n; i++ )); do
		s=${conn_tpl//@I@/$i}
		s=${s//@KEY@/$((100 + i))}
		conns+=$s
		secrets+=${secret_tpl//@I@/$i}
	done
	conns=${conns//@ME@/$2}
	conns=${conns//@PEER@/$3}
	conns=${conns//@START@/$4}
	secrets=${secrets//@ME@/$2}
	secrets=${secrets//@PEER@/$3}
	printf 'connections {\n%s}\nsecrets {\n%s}\n' "$conns" "$secrets" > "$1"
}

write_conf "$LAB_RUN/a/swanctl.conf" 1 2 start
write_conf "$LAB_RUN/b/swanctl.conf" 2 1 none

# read_vtis HOST: fill vti_up[I] (1 if admin up), vti_index[I],
# vti_alias[I] for each VTI of HOST with key 100+I, and count its VTIs
# (vti_total) and what is wrong with them (vti_bad: duplicates, wrong
# name, key, endpoints; one line each). One ip call.
read_vtis() {
	local name idx ikey okey loc rem flags alias i
	vti_up=() vti_index=() vti_alias=() vti_bad=() vti_total=0
	while read -r name idx ikey okey loc rem flags alias; do
		vti_total=$((vti_total + 1))
		i=$((ikey - 100))
		if (( ikey <= 100 || ikey > 100 + n )) || [[ $okey != "$ikey" ]]; then
			vti_bad+=("$name: keys $ikey/$okey")
			continue
		fi
		[[ -z ${vti_index[i]:-} ]] ||
			vti_bad+=("$name: key $ikey twice (also index ${vti_index[i]})")
		[[ $name == "vti$ikey" ]] || vti_bad+=("$name: key $ikey")
		[[ $1 == a && $loc == 10.10.$i.1 && $rem == 10.10.$i.2 ||
			$1 == b && $loc == 10.10.$i.2 && $rem == 10.10.$i.1 ]] ||
			vti_bad+=("$name: endpoints $loc -> $rem")
		vti_index[i]=$idx vti_alias[i]=$alias vti_up[i]=0
		[[ $flags == *,UP,* ]] && vti_up[i]=1
	done < <(lab_vti_list "$1")
	return 0
}

# count_up HOST: print how many of HOST's VTIs are admin up.
count_up() {
	local i c=0
	read_vtis "$1"
	for i in "${!vti_up[@]}"; do
		(( c += vti_up[i] ))
	done
	printf '%s' "$c"
}

# all_up HOST: all n VTIs of HOST are admin up.
all_up() {
	[[ $(count_up "$1") == "$n" ]]
}

# count_children HOST: print how many of HOST's children t1..tn have an
# INSTALLED CHILD_SA; installed[I] says how many tI has.
count_children() {
	local name state c=0
	installed=()
	while read -r name state; do
		[[ $state == INSTALLED && $name =~ ^t([0-9]+)$ ]] || continue
		(( installed[BASH_REMATCH[1]] += 1 ))
	done < <(lab_child_states "$1")
	for name in "${!installed[@]}"; do
		(( c += 1 ))
	done
	printf '%s' "$c"
}

# all_children HOST: every tunnel has an INSTALLED CHILD_SA on HOST.
all_children() {
	[[ $(count_children "$1") == "$n" ]]
}

# check_tunnels HOST WHEN: HOST has exactly n VTIs, one per key, each
# admin up with the ownership alias, and each key has an INSTALLED
# CHILD_SA; no device of HOST's without one (stale).
check_tunnels() {
	local host=$1 when=$2 i
	count_children "$host" > /dev/null
	read_vtis "$host"
	(( ${#vti_bad[@]} == 0 )) ||
		lab_fail "$host: wrong VTIs $when: ${vti_bad[*]}"
	(( vti_total == n )) ||
		lab_fail "$host: $vti_total VTIs $when, expected $n"
	for (( i = 1; i <= n; i++ )); do
		[[ -n ${vti_index[i]:-} ]] || lab_fail "$host: no VTI for t$i $when"
		[[ ${vti_alias[i]} == "strongswan-vti t$i/t$i" ]] ||
			lab_fail "$host: vti$((100 + i)) has alias '${vti_alias[i]}' $when"
		(( vti_up[i] )) || lab_fail "$host: vti$((100 + i)) is down $when"
		(( ${installed[i]:-0} > 0 )) ||
			lab_fail "$host: vti$((100 + i)) is up without an INSTALLED" \
				"CHILD_SA t$i (stale) $when"
	done
}

probes=(1 50 100)
# ping_probes WHEN: pings both ways through the VTIs of the probe tunnels.
ping_probes() {
	local i
	for i in "${probes[@]}"; do
		lab_assert "a -> b through vti$((100 + i)) failed $1" \
			lab_ping a "192.168.$i.2" 2
		lab_assert "b -> a through vti$((100 + i)) failed $1" \
			lab_ping b "192.168.$i.1" 2
	done
}

lab_log "loading $n tunnels on b, then on a (start_action = start)"
lab_load_conf b "$LAB_RUN/b/swanctl.conf"
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_assert "a: not all $n VTIs came up (up: $(count_up a))" \
	lab_wait 240 all_up a
lab_assert "a: not all $n CHILD_SAs INSTALLED ($(count_children a))" \
	lab_wait 60 all_children a
lab_assert "b: not all $n VTIs came up (up: $(count_up b))" \
	lab_wait 60 all_up b
lab_log "all $n tunnels up"
lab_log_memory "$n tunnels up"
check_tunnels a "before the crash"
check_tunnels b "before the crash"
declare -a index_before
read_vtis a
for (( i = 1; i <= n; i++ )); do
	index_before[i]=${vti_index[i]}
done

cmds_a='' cmds_b=''
for i in "${probes[@]}"; do
	cmds_a+="addr add 192.168.$i.1/30 dev vti$((100 + i))"$'\n'
	cmds_b+="addr add 192.168.$i.2/30 dev vti$((100 + i))"$'\n'
done
lab_ip a <<< "$cmds_a"
lab_ip b <<< "$cmds_b"
ping_probes "before the crash"

lab_log "SIGKILL a's charon"
lab_charon_kill a
read_vtis a
(( vti_total == n && $(count_up a) == n )) ||
	lab_fail "a: $vti_total VTIs, $(count_up a) up after the crash; expected" \
		"all $n untouched"
for (( i = 1; i <= n; i++ )); do
	[[ ${vti_index[i]} == "${index_before[i]}" ]] ||
		lab_fail "a: vti$((100 + i)) changed index with nobody to touch it"
done

lab_log "restart a's charon"
rm -f "$LAB_RUN/a/charon.vici"
lab_charon_start a
# down_lines: how many devices the restarted plugin set down.
down_lines() {
	[[ $(lab_log_count a 'vti: vti[0-9]+ \(t[0-9]+/t[0-9]+\) set down: left by an earlier run') == "$n" ]]
}
lab_assert "a: not $n 'set down: left by an earlier run' lines after the restart" \
	lab_wait 30 down_lines
sas=$(lab_swanctl a --list-sas)
[[ -z $sas ]] || lab_fail "a has SAs right after the restart: $sas"
read_vtis a
(( vti_total == n && ${#vti_bad[@]} == 0 )) ||
	lab_fail "a: $vti_total VTIs after the restart (${vti_bad[*]}), expected $n"
[[ $(count_up a) == 0 ]] ||
	lab_fail "a: $(count_up a) VTIs still up after the restart, before any SA"

lab_log "a initiates all $n tunnels again"
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_assert "a: not all $n VTIs came up again (up: $(count_up a))" \
	lab_wait 240 all_up a
lab_assert "a: not all $n CHILD_SAs INSTALLED again ($(count_children a))" \
	lab_wait 60 all_children a
lab_assert "b: not all $n VTIs up after a came back (up: $(count_up b))" \
	lab_wait 60 all_up b
lab_assert "b: not all $n CHILD_SAs INSTALLED after a came back" \
	lab_wait 60 all_children b
lab_log "all $n tunnels up again"
deleted=$(lab_log_count a 'vti: vti[0-9]+ \(t[0-9]+/t[0-9]+\) deleted: ')
(( deleted == 0 )) ||
	lab_fail "a: the restarted plugin deleted $deleted of the devices it should" \
		"reuse: $(grep -m1 -E 'vti: vti[0-9]+ \(t[0-9]+/t[0-9]+\) deleted: ' \
			"$(lab_charon_log a)")"
check_tunnels a "after the restart"
for (( i = 1; i <= n; i++ )); do
	[[ ${vti_index[i]} == "${index_before[i]}" ]] ||
		lab_fail "a: vti$((100 + i)) was made anew (index ${vti_index[i]}," \
			"was ${index_before[i]}) instead of reused"
done
check_tunnels b "after a came back"
lab_assert_not "a: the plugin refused or failed on a tunnel" \
	lab_log_has a 'vti: .*(gets no VTI|failed)'
lab_assert_not "b: the plugin refused or failed on a tunnel" \
	lab_log_has b 'vti: .*(gets no VTI|failed)'
ping_probes "after the restart"
