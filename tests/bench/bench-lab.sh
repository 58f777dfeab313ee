# shellcheck shell=bash
# The benchmark's lab side: a scenario-like script that tests/lab/run boots
# in a fresh UML through a wrapper scripts/bench writes (it sets the
# BENCH_* variables, then sources this file). It measures; it asserts
# nothing about timings. A failure means the run could not be completed.
#
# BENCH_N tunnels between the stock charons of hosts a and b, one address
# pair each (a 10.1.0.0/16 on a's side of one veth, a 10.2.0.0/16 on b's),
# one IKE_SA and one CHILD_SA each, key (mark_in = mark_out) = tunnel
# number. BENCH_CONF says what makes the VTI:
#   plugin  the vti plugin (down_action = delete, status file per host)
#   updown  strongSwan's updown plugin running tests/bench/vti-updown, the
#           documented recipe (fork/exec of ip per event)
#   none    nothing: marked SAs without a VTI, the floor
#   devices "none" plus the same N VTIs, made and raised by one ip -batch
#           per host started beside a's load, and deleted by another
#           started beside its unload: what the devices cost (the kernel's
#           work, charon's reaction to them) without the plugin
# a loads its connections with start_action = start (they are initiated
# as they load), b is the responder. Once every tunnel is up on both hosts
# (its CHILD_SAs and, but for "none", its VTIs), both hold BENCH_HOLD
# seconds; then a unloads its connections, which deletes every IKE_SA. A
# tunnel is gone when its IKE_SAs are deleted and its VTIs too.
#
# The run without VTIs ends with the kernel's floor: N VTIs made, raised
# and deleted by one ip -batch each way, with no charon running.
#
# Raw results in $LAB_OUT: bench.env (parameters, stage times as epoch
# seconds, charon's memory and CPU at each stage), HOST.links (ip -ts -o
# monitor link), HOST.status (the plugin's status file after charon
# stopped), HOST.status-up (while the tunnels were up), HOST.threads (CPU
# ticks of each of charon's threads), HOST.vtis-add.out and
# HOST.vtis-del.out (what the ip -batch of "devices" printed); init.sh adds
# the charon logs. scripts/bench turns them into figures.

: "${BENCH_N:?BENCH_N unset: run this through scripts/bench}"
: "${BENCH_CONF:?BENCH_CONF unset: run this through scripts/bench}"
BENCH_HOLD=${BENCH_HOLD:-3}
bench_dir=${LAB_DIR:?}/../bench
bench_env=$LAB_OUT/bench.env

case $BENCH_CONF in
plugin) lab_require_plugin ;;
updown | none | devices) VTI_PLUGIN='' ;;
*) lab_fail "BENCH_CONF '$BENCH_CONF' is not plugin, updown, none or devices" ;;
esac
if ! [[ $BENCH_N =~ ^[1-9][0-9]*$ ]] || (( BENCH_N > 60000 )); then
	lab_fail "BENCH_N '$BENCH_N' is not a number from 1 to 60000"
fi

# bench_put KEY VALUE: record a result line in bench.env.
bench_put() {
	printf '%s=%s\n' "$1" "$2" >> "$bench_env"
}

# bench_now KEY: record the current time (epoch seconds, microseconds).
bench_now() {
	bench_put "$1" "$EPOCHREALTIME"
}

# The cheapest DH charon has: X25519, else ECP-256 through openssl, else
# MODP-2048 (gmp, with short exponents, see charon's settings below).
LAB_PLUGINS="$LAB_PLUGINS curve25519 openssl"
if [[ -e $LAB_PLUGIN_DIR/libstrongswan-curve25519.so ]]; then
	dh=curve25519
elif [[ -e $LAB_PLUGIN_DIR/libstrongswan-openssl.so ]]; then
	dh=ecp256
else
	dh=modp2048
fi
proposal=${BENCH_PROPOSAL:-aes128-sha256-$dh}

# addr VAR SIDE I: set VAR to tunnel I's outer address on SIDE (1 = a,
# 2 = b). No process: they are dear under UML.
addr() {
	printf -v "$1" '10.%u.%u.%u' "$2" $(( $3 / 250 )) $(( $3 % 250 + 1 ))
}

# The kernel's limits, sized for N: neighbours (one per address pair and
# side; the table is shared by all namespaces) and socket buffers (N
# IKE_SA_INITs arrive at once).
echo $(( 4 * BENCH_N + 1024 )) > /proc/sys/net/ipv4/neigh/default/gc_thresh3
echo $(( 2 * BENCH_N + 512 )) > /proc/sys/net/ipv4/neigh/default/gc_thresh2
echo 8388608 > /proc/sys/net/core/rmem_max
echo 8388608 > /proc/sys/net/core/rmem_default

lab_host a b
ip link add eth-b netns a type veth peer name eth-a netns b
# write_topo SIDE PEER_SIDE IFNAME: N addresses, the peer's /16, link up.
write_topo() {
	local i me
	for (( i = 1; i <= BENCH_N; i++ )); do
		addr me "$1" "$i"
		printf 'addr add %s/32 dev %s\n' "$me" "$3"
	done
	printf 'link set %s up\n' "$3"
	printf 'route add 10.%u.0.0/16 dev %s\n' "$2" "$3"
}
write_topo 1 2 eth-b | lab_ip a
write_topo 2 1 eth-a | lab_ip b

# write_vtis SIDE PEER_SIDE HOST: HOST's ip -batch files for the N VTIs
# the tunnels have there (vtiI, key I, the tunnel's own address pair):
# $LAB_RUN/HOST/vtis-add makes and raises them, vtis-del deletes them.
write_vtis() {
	local i me peer
	for (( i = 1; i <= BENCH_N; i++ )); do
		addr me "$1" "$i"
		addr peer "$2" "$i"
		printf 'link add vti%u type vti local %s remote %s key %u\n' \
			"$i" "$me" "$peer" "$i"
		printf 'link set vti%u up\n' "$i"
	done > "$LAB_RUN/$3/vtis-add"
	for (( i = 1; i <= BENCH_N; i++ )); do
		printf 'link del vti%u\n' "$i"
	done > "$LAB_RUN/$3/vtis-del"
}
write_vtis 1 2 a
write_vtis 2 1 b

# write_swanctl FILE SIDE PEER_SIDE ROLE: one connection tI with child cI
# per tunnel; ROLE "initiator" starts them on load.
write_swanctl() {
	local file=$1 me peer i extra='' conn text
	[[ $4 == initiator ]] && extra+=$'\n        start_action = start'
	[[ $BENCH_CONF == updown ]] && extra+=$'\n        updown = '$bench_dir/vti-updown
	# @I@: tunnel number, @ME@: local address, @PEER@: remote address
	conn='  t@I@ {
    local_addrs = @ME@
    remote_addrs = @PEER@
    proposals = '$proposal'
    dpd_delay = 0
    mobike = no
    local {
      auth = psk
      id = @ME@
    }
    remote {
      auth = psk
      id = @PEER@
    }
    children {
      c@I@ {
        local_ts = 0.0.0.0/0
        remote_ts = 0.0.0.0/0
        esp_proposals = aes128gcm16
        mark_in = @I@
        mark_out = @I@'$extra'
      }
    }
  }
'
	{
		printf 'connections {\n'
		for (( i = 1; i <= BENCH_N; i++ )); do
			addr me "$2" "$i"
			addr peer "$3" "$i"
			text=${conn//@I@/$i}
			text=${text//@ME@/$me}
			printf '%s' "${text//@PEER@/$peer}"
		done
		printf '}\nsecrets {\n  ike-bench {\n    secret = "bench-secret-0123456789"\n  }\n}\n'
	} > "$file"
}

# What every charon of the run shares beyond the lab's defaults: enough
# threads and table buckets for N IKE_SAs, no cookies (N half-open SAs at
# once is the point) and patient half-open SAs (the responder deletes
# those it has not finished after half_open_timeout, 30 s by default,
# which updown's forks at N = 1000 exceed), short DH exponents, patient
# retransmits, roam events as BENCH_ROAM_EVENTS says (charon's default:
# yes), and a log that keeps the lines the figures come from without the
# kernel chatter.
charon_extra="charon {
  threads = 32
  ikesa_table_size = 1024
  dos_protection = no
  half_open_timeout = 900
  dh_exponent_ansi_x9_42 = no
  retransmit_timeout = 10
  retransmit_tries = 5
  plugins {
    kernel-netlink {
      roam_events = ${BENCH_ROAM_EVENTS:-yes}
    }
  }
  filelog {
    lab {
      knl = 1
      cfg = 1
    }
  }
}"
for h in a b; do
	vti_conf=''
	[[ $BENCH_CONF == plugin ]] &&
		vti_conf="down_action = delete
	  status_file = $LAB_RUN/$h/vti.status"
	lab_charon_start "$h" "$vti_conf" "$charon_extra"
done
write_swanctl "$LAB_RUN/a/swanctl.conf" 1 2 initiator
write_swanctl "$LAB_RUN/b/swanctl.conf" 2 1 responder
printf 'connections {\n}\n' > "$LAB_RUN/a/empty.conf"

bench_put n "$BENCH_N"
bench_put conf "$BENCH_CONF"
bench_put proposal "$proposal"
bench_put hold "$BENCH_HOLD"
bench_put roam_events "${BENCH_ROAM_EVENTS:-yes}"
bench_put tz "$(printf '%(%z)T' -1)"
bench_put plugin "${VTI_PLUGIN:-}"

# ---------------------------------------------------------------- probes

# bench_sample STAGE: record VmRSS, VmData (kB) and CPU time (clock ticks:
# charon's own in user space and in the kernel, and that of the children
# it waited for) of both charons.
bench_sample() {
	local h pid key value rest stat
	for h in a b; do
		pid=$(lab_charon_pid "$h")
		while read -r key value rest; do
			case $key in
			VmRSS: | VmData:) bench_put "${h}_${1}_${key%:}" "$value" ;;
			esac
		done < "/proc/$pid/status"
		read -r stat < "/proc/$pid/stat"
		# the fields after the command name: state is field 3
		read -r -a stat <<< "${stat##*) }"
		bench_put "${h}_${1}_cpu_user" "${stat[11]}"
		bench_put "${h}_${1}_cpu_sys" "${stat[12]}"
		bench_put "${h}_${1}_cpu_children" $(( stat[13] + stat[14] ))
	done
}

# Lines read so far from each followed file, by counter name.
declare -A bench_count=()
# Names of VTIs up (1) or present but down (0), by "HOST:NAME".
declare -A bench_link=()

# bench_follow NAME FILE: open FILE for bench_poll under NAME.
bench_follow() {
	local fd
	exec {fd}< "$2"
	printf -v "bench_fd_$1" '%s' "$fd"
	printf -v "bench_part_$1" '%s' ''
}

# bench_next NAME: read the next complete line of NAME's file into
# bench_line; false at its end (a line being written is kept for the next
# call). No process.
bench_next() {
	local fdvar=bench_fd_$1 partvar=bench_part_$1 line=''
	if IFS= read -r -u "${!fdvar}" line; then
		bench_line=${!partvar}$line
		printf -v "$partvar" '%s' ''
		return 0
	fi
	printf -v "$partvar" '%s' "${!partvar}$line"
	return 1
}

# bench_poll: fold new lines of the logs and link monitors into the
# counters: HOST_sa (CHILD_SAs established), HOST_del (IKE_SAs deleted),
# HOST_up (VTIs up), HOST_links (VTIs present).
bench_poll() {
	local h key re='^\[[^]]*\] (Deleted )?[0-9]+: (vti[0-9]+)@[^<]*<([^>]*)>'
	for h in a b; do
		while bench_next "${h}_log"; do
			case $bench_line in
			*" established with SPIs "*)
				bench_count[${h}_sa]=$(( ${bench_count[${h}_sa]:-0} + 1 )) ;;
			*"] <"*"> IKE_SA deleted"*)
				bench_count[${h}_del]=$(( ${bench_count[${h}_del]:-0} + 1 )) ;;
			esac
		done
		[[ $BENCH_CONF == none ]] && continue
		while bench_next "${h}_mon"; do
			[[ $bench_line =~ $re ]] || continue
			if [[ -n ${BASH_REMATCH[1]} ]]; then
				unset "bench_link[$h:${BASH_REMATCH[2]}]"
			elif [[ ,${BASH_REMATCH[3]}, == *,UP,* ]]; then
				bench_link[$h:${BASH_REMATCH[2]}]=1
			else
				bench_link[$h:${BASH_REMATCH[2]}]=0
			fi
		done
	done
	bench_count[a_links]=0 bench_count[b_links]=0
	bench_count[a_up]=0 bench_count[b_up]=0
	for key in "${!bench_link[@]}"; do
		h=${key%%:*}
		bench_count[${h}_links]=$(( bench_count[${h}_links] + 1 ))
		bench_count[${h}_up]=$(( bench_count[${h}_up] + bench_link[$key] ))
	done
	return 0
}

# bench_all_up: every tunnel is up on both hosts (its CHILD_SA and, but
# for "none", its VTI).
bench_all_up() {
	bench_poll
	(( ${bench_count[a_sa]:-0} >= BENCH_N && ${bench_count[b_sa]:-0} >= BENCH_N )) ||
		return 1
	[[ $BENCH_CONF == none ]] ||
		(( bench_count[a_up] >= BENCH_N && bench_count[b_up] >= BENCH_N ))
}

# bench_all_gone: every IKE_SA is deleted on both hosts, and every VTI.
bench_all_gone() {
	bench_poll
	(( ${bench_count[a_del]:-0} >= BENCH_N && ${bench_count[b_del]:-0} >= BENCH_N )) ||
		return 1
	(( bench_count[a_links] == 0 && bench_count[b_links] == 0 ))
}

# bench_until COND LIMIT: poll COND once a second until it holds (true);
# false after LIMIT seconds, or after BENCH_STALL seconds (60) in which no
# counter moved.
bench_until() {
	local now last seen='' deadline
	now=${EPOCHREALTIME%.*}
	deadline=$(( now + $2 )) last=$now
	while ! "$1"; do
		now=${EPOCHREALTIME%.*}
		if [[ "${bench_count[*]}" != "$seen" ]]; then
			seen="${bench_count[*]}" last=$now
		fi
		(( now < deadline && now - last < ${BENCH_STALL:-60} )) || return 1
		lab_sleep 1
	done
}

# bench_state: print the counters.
bench_state() {
	local h
	for h in a b; do
		printf '%s: %s CHILD_SAs up, %s IKE_SAs deleted, %s VTIs (%s up); ' \
			"$h" "${bench_count[${h}_sa]:-0}" "${bench_count[${h}_del]:-0}" \
			"${bench_count[${h}_links]:-0}" "${bench_count[${h}_up]:-0}"
	done
}

# PIDs of the ip -batch processes of "devices" still to be waited for,
# by host.
declare -A bench_vtis_pid=()

# bench_vtis_start WHAT: run each host's vtis-WHAT batch (add, del) in the
# background, beside charon.
bench_vtis_start() {
	local h
	for h in a b; do
		ip -n "$h" -batch - < "$LAB_RUN/$h/vtis-$1" > "$LAB_OUT/$h.vtis-$1.out" 2>&1 &
		bench_vtis_pid[$h]=$!
	done
}

# bench_vtis_wait WHAT: wait for the batches bench_vtis_start started;
# fail naming the host if one of them failed.
bench_vtis_wait() {
	local h rc
	for h in "${!bench_vtis_pid[@]}"; do
		rc=0
		wait "${bench_vtis_pid[$h]}" || rc=$?
		unset "bench_vtis_pid[$h]"
		(( rc == 0 )) ||
			lab_fail "$h: ip -batch vtis-$1 failed (exit $rc): $(< "$LAB_OUT/$h.vtis-$1.out")"
	done
}

# bench_vtis_stop: end the batches still running (a run that failed).
bench_vtis_stop() {
	local h
	for h in "${!bench_vtis_pid[@]}"; do
		kill "${bench_vtis_pid[$h]}" 2> /dev/null || true
		wait "${bench_vtis_pid[$h]}" 2> /dev/null || true
	done
	bench_vtis_pid=()
}

# bench_stuck WHAT: record the processes (the lab's diagnostics do not
# list them), then fail with WHAT and the counters.
bench_stuck() {
	local h pid t
	{
		ps axo pid,ppid,stat,wchan:24,etime,args
		for h in a b; do
			printf -- '--- %s: UDP counters, sockets\n' "$h"
			lab_in "$h" cat /proc/net/snmp | grep '^Udp:'
			lab_in "$h" ss -uanm
			pid=$(lab_charon_pid "$h") || continue
			printf -- '--- %s: charon %s threads (state, wchan)\n' "$h" "$pid"
			for t in /proc/"$pid"/task/*; do
				printf '%s %s %s\n' "${t##*/}" "$(cut -d' ' -f3 "$t/stat")" "$(< "$t/wchan")"
			done
		done
	} > "$LAB_OUT/ps.txt" 2>&1 || true
	bench_vtis_stop
	lab_fail "$1: $(bench_state)"
}

# ---------------------------------------------------------------- the run

lab_log "$BENCH_CONF: $BENCH_N tunnels, $proposal"
# b's load, a stage of its own: what N configurations cost charon
bench_sample start
bench_now t_b_load
lab_load_conf b "$LAB_RUN/b/swanctl.conf"
bench_now t_b_loaded
for h in a b; do
	: > "$LAB_OUT/$h.links"
	ip -n "$h" -ts -o monitor link > "$LAB_OUT/$h.links" 2>&1 &
	printf '%s\n' "$!" > "$(lab__pidfile "$LAB_OUT/$h.links")"
	disown "$!"
	lab_assert "$h: ip monitor link records no events" \
		lab_monitor_mark "$h" "$LAB_OUT/$h.links"
	bench_follow "${h}_log" "$(lab_charon_log "$h")"
	bench_follow "${h}_mon" "$LAB_OUT/$h.links"
done
bench_poll
# Let b settle after its load (the plugin reads the loaded configs once a
# second), then take the baseline.
lab_sleep 2
bench_sample idle

up_limit=$(( 60 + BENCH_N ))
lab_log "loading a's connections: initiating"
bench_now t_load
if [[ $BENCH_CONF == devices ]]; then
	bench_vtis_start add
fi
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
bench_now t_loaded
# Poll once a second: the figures come from the logs' own time stamps.
bench_until bench_all_up "$up_limit" ||
	bench_stuck "not all up (limit ${up_limit}s, or ${BENCH_STALL:-60}s without progress)"
bench_now t_up_seen
bench_vtis_wait add
lab_log "all up: $(bench_state)"

# The hold: what charon does with N tunnels up and nothing happening.
bench_now t_hold
bench_sample held
lab_sleep "$BENCH_HOLD"
bench_sample up
bench_now t_held
for h in a b; do
	[[ -e $LAB_RUN/$h/vti.status ]] && cp "$LAB_RUN/$h/vti.status" "$LAB_OUT/$h.status-up"
done

lab_log "unloading a's connections: deleting"
bench_now t_unload
if [[ $BENCH_CONF == devices ]]; then
	bench_vtis_start del
fi
lab_load_conf a "$LAB_RUN/a/empty.conf"
bench_now t_unloaded
bench_until bench_all_gone "$up_limit" ||
	bench_stuck "not all gone (limit ${up_limit}s, or ${BENCH_STALL:-60}s without progress)"
bench_now t_gone_seen
bench_vtis_wait del
lab_log "all gone: $(bench_state)"
lab_sleep 2
bench_sample down
# CPU ticks of each of charon's threads: the plugin's worker is a thread of
# its own, charon's jobs move between the threads of its pool
for h in a b; do
	pid=$(lab_charon_pid "$h")
	for t in /proc/"$pid"/task/*; do
		read -r stat < "$t/stat"
		read -r -a stat <<< "${stat##*) }"
		printf '%s %s %s\n' "${t##*/}" "${stat[11]}" "${stat[12]}"
	done > "$LAB_OUT/$h.threads"
done

for h in a b; do
	lab_monitor_stop "$h" "$LAB_OUT/$h.links" || true
	lab_charon_stop "$h" 60
	[[ -e $LAB_RUN/$h/vti.status ]] && cp "$LAB_RUN/$h/vti.status" "$LAB_OUT/$h.status"
done

# The kernel's floor, in the run without VTIs once both charons are gone:
# b's N devices made, raised and deleted by one ip process each way.
if [[ $BENCH_CONF == none ]]; then
	bench_now t_kernel_add
	lab_ip b < "$LAB_RUN/b/vtis-add"
	bench_now t_kernel_added
	lab_ip b < "$LAB_RUN/b/vtis-del"
	bench_now t_kernel_deleted
fi
bench_put complete 1
lab_log "done"
