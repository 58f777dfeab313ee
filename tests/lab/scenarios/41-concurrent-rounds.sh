# shellcheck shell=bash
# lab-timeout: 360
# Many tunnels up and down at once, in rounds, with rekeys in between.
# 40 tunnels, tI between its own address pair (a 10.10.I.1, b 10.10.I.2)
# with marks 100+I (vti(100+I) on each side); a initiates the odd ones, b
# the even ones; every fifth CHILD_SA rekeys every few seconds (on both
# sides, so rekeys collide), and the IKE_SAs of t3, t11, ... too (on the
# initiator). Both charons run 32 worker threads. Three rounds: both
# hosts load the config that starts their tunnels at the same moment
# (charon initiates all of them at once), then, once some rekeys have
# happened, both load the config without them (charon terminates them all
# at once). After each up phase every tunnel has an
# installed CHILD_SA (INSTALLED, or REKEYING/REKEYED in a rekey) and its
# VTI is admin up; after each down phase no SA is left and every VTI is
# still there, admin down; a host never has two VTIs for one key; both
# charons answer swanctl --stats with idle worker threads left (no
# deadlock). In the end each host logged one "up" and one "down" per
# tunnel and round (rekeys and their collisions do not flap a VTI) and no
# "gets no VTI" or "failed" line.

lab_require_plugin

n=40
rounds=3
# Processes are dear under UML: poll every 2 s.
# shellcheck disable=SC2034 # read by lab_wait
LAB_POLL=2

lab_topo_pair
lab_pair_addrs "$n"
for h in a b; do
	lab_charon_start "$h" "" 'charon {
  threads = 32
}'
done

# One connection per tunnel; @I@ is the tunnel's number, @ME@ and @PEER@
# the last byte of the own and the peer's address, @IKE@ and @CHILD@ the
# rekey settings of the IKE_SA and the CHILD_SA (or nothing).
conn_tpl='  t@I@ {
    version = 2
    local_addrs = 10.10.@I@.@ME@
    remote_addrs = 10.10.@I@.@PEER@
    proposals = aes128-sha256-modp2048
    @IKE@
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
        @CHILD@
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
ike_rekey='rekey_time = 8s
    over_time = 60s
    rand_time = 2s'
child_rekey='rekey_time = 6s
        life_time = 60s
        rand_time = 2s'

# write_conf HOST PHASE: HOST's swanctl.conf for PHASE: "up" has all
# tunnels, those HOST initiates (a the odd, b the even ones) with
# start_action = start; "down" has only those the peer initiates.
write_conf() {
	local host=$1 phase=$2 me=1 peer=2 mine=1 i s conns='' secrets=''
	[[ $host == b ]] && me=2 peer=1 mine=0
	for (( i = 1; i <= n; i++ )); do
		s=${conn_tpl//@I@/$i}
		s=${s//@KEY@/$((100 + i))}
		if (( i % 2 == mine )); then
			[[ $phase == up ]] || continue
			s=${s//@START@/start}
		else
			s=${s//@START@/none}
		fi
		# IKE_SA rekeys on the initiator only: a collision of two makes
		# charon retransmit a delete for the loser for half a minute
		if (( i % 8 == 3 && i % 2 == mine )); then
			s=${s//@IKE@/$ike_rekey}
		else
			s=${s//@IKE@/}
		fi
		if (( i % 5 == 0 )); then
			s=${s//@CHILD@/$child_rekey}
		else
			s=${s//@CHILD@/}
		fi
		conns+=$s
		secrets+=${secret_tpl//@I@/$i}
	done
	conns=${conns//@ME@/$me}
	conns=${conns//@PEER@/$peer}
	secrets=${secrets//@ME@/$me}
	secrets=${secrets//@PEER@/$peer}
	printf 'connections {\n%s}\nsecrets {\n%s}\n' "$conns" "$secrets" \
		> "$LAB_RUN/$host/$phase.conf"
}

for h in a b; do
	write_conf "$h" up
	write_conf "$h" down
done
# Each host knows the tunnels the other starts before it starts any.
for h in a b; do
	lab_load_conf "$h" "$LAB_RUN/$h/down.conf"
done

# load_both PHASE: a and b load their PHASE config at the same moment.
load_both() {
	local pid
	lab_load_conf a "$LAB_RUN/a/$1.conf" &
	pid=$!
	lab_load_conf b "$LAB_RUN/b/$1.conf"
	wait "$pid" || lab_fail "a could not load its $1 config"
}

# read_state HOST: fill, for HOST, vti_up[I] (1 if admin up, 0 if down,
# unset if there is no VTI with key 100+I), held[I] (CHILD_SAs tI whose
# SAs are surely installed: INSTALLED, UPDATING, REKEYING, REKEYED),
# listed[I] (CHILD_SAs tI in any state) and vti_bad (wrong or duplicate
# VTIs, one line each). Two processes: swanctl, then ip.
read_state() {
	local name state ikey okey flags alias i
	held=() listed=() vti_up=() vti_bad=()
	while read -r name state; do
		[[ $name =~ ^t([0-9]+)$ ]] || continue
		i=${BASH_REMATCH[1]}
		(( listed[i] += 1 ))
		[[ $state == @(INSTALLED|UPDATING|REKEYING|REKEYED) ]] &&
			(( held[i] += 1 ))
	done < <(lab_child_states "$1")
	while read -r name _ ikey okey _ _ flags alias; do
		i=$((ikey - 100))
		if (( i < 1 || i > n )) || [[ $okey != "$ikey" ||
			$name != "vti$ikey" || -n ${vti_up[i]:-} ||
			$alias != "strongswan-vti t$i/t$i" ]]; then
			vti_bad+=("$name (key $ikey/$okey, alias '$alias')")
			continue
		fi
		vti_up[i]=0
		[[ $flags == *,UP,* ]] && vti_up[i]=1
	done < <(lab_vti_list "$1")
	return 0
}

# all_up HOST: every tunnel has an installed CHILD_SA and an admin up VTI
# on HOST.
all_up() {
	local i
	read_state "$1"
	for (( i = 1; i <= n; i++ )); do
		(( ${held[i]:-0} > 0 && ${vti_up[i]:-0} == 1 )) || return 1
	done
}

# up_count: print how many tunnels the last read_state found up.
up_count() {
	local i c=0
	for (( i = 1; i <= n; i++ )); do
		(( ${held[i]:-0} > 0 && ${vti_up[i]:-0} == 1 )) && c=$((c + 1))
	done
	printf '%s' "$c"
}

# consistent HOST: HOST has exactly one VTI per tunnel, admin up if the
# tunnel has an installed CHILD_SA, admin down if it has no CHILD_SA at
# all (one in between, deleted but not yet destroyed, may go either way);
# sets mismatch to what is wrong.
consistent() {
	local i
	read_state "$1"
	mismatch=
	if (( ${#vti_bad[@]} )); then
		mismatch="wrong VTIs: ${vti_bad[*]}"
		return 1
	fi
	for (( i = 1; i <= n; i++ )); do
		if [[ -z ${vti_up[i]:-} ]]; then
			mismatch="no vti$((100 + i))"
		elif (( ${held[i]:-0} > 0 && !vti_up[i] )); then
			mismatch="vti$((100 + i)) is down, t$i has ${held[i]} installed CHILD_SAs"
		elif (( ${listed[i]:-0} == 0 && vti_up[i] )); then
			mismatch="vti$((100 + i)) is up, t$i has no CHILD_SA"
		else
			continue
		fi
		return 1
	done
}

# check_state HOST WHEN: consistent, allowing a moment for a snapshot
# taken in the middle of an IKE_SA rekey.
check_state() {
	lab_wait 10 consistent "$1" || lab_fail "$1: $mismatch $2"
}

# established HOST: print how many CHILD_SAs HOST established so far
# (rekeys included).
established() {
	lab_log_count "$1" 'outbound CHILD_SA t[0-9]+\{[0-9]+\} established'
}

# established_at_least HOST N: true once HOST established N CHILD_SAs.
established_at_least() {
	(( $(established "$1") >= $2 ))
}

# responsive WHEN: both charons answer, with idle worker threads left.
responsive() {
	local h
	for h in a b; do
		lab_charon_responsive "$h" ||
			lab_fail "$h: charon does not answer or has no idle worker $1"
	done
}

for (( r = 1; r <= rounds; r++ )); do
	lab_log "round $r: a starts the odd tunnels, b the even ones, at once"
	load_both up
	for h in a b; do
		lab_wait 120 all_up "$h" ||
			lab_fail "$h: only $(up_count) of $n tunnels up in round $r"
	done
	lab_log "round $r: all $n tunnels up on both hosts"
	lab_log_memory "round $r"
	# A few CHILD_SA rekeys (eight children rekey every few seconds).
	base=$(established a)
	lab_assert "a: no CHILD_SA rekeys in round $r" \
		lab_wait 60 established_at_least a $((base + 8))
	for h in a b; do
		check_state "$h" "after the up phase of round $r"
	done
	responsive "after the up phase of round $r"

	lab_log "round $r: both hosts terminate theirs at once"
	load_both down
	for h in a b; do
		lab_assert "$h: SAs left after the down phase of round $r" \
			lab_wait 120 lab_no_sas "$h"
	done
	for h in a b; do
		check_state "$h" "after the down phase of round $r"
	done
	responsive "after the down phase of round $r"
done

for h in a b; do
	ups=$(lab_log_count "$h" 'vti: vti[0-9]+ up \(key ')
	downs=$(lab_log_count "$h" 'vti: vti[0-9]+ down: ')
	lab_log "$h: $ups 'up' and $downs 'down' lines"
	(( ups == n * rounds && downs == n * rounds )) ||
		lab_fail "$h: $ups 'vti: ... up' and $downs 'vti: ... down' log lines," \
			"expected $((n * rounds)) each"
	lab_assert_not "$h: the plugin refused or failed on a tunnel" \
		lab_log_has "$h" 'vti: .*(gets no VTI|failed)'
done
