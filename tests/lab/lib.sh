# shellcheck shell=bash
# Helpers for lab scenarios. Sourced inside the UML lab (never on the host):
# by init.sh for its own setup and before every scenario.
#
# Conventions:
#   - every host is a network namespace; its scratch dir is $LAB_RUN/HOST
#     (on the lab's tmpfs), holding strongswan.conf, charon.log, the vici
#     socket and charon's PID;
#   - scenarios run with errexit (lab_errexit): any command failing outside
#     a condition fails the scenario, with its line as the reason;
#   - process creation is slow under UML: poll with lab_wait, sparingly.

# Scratch root for all hosts (tmpfs inside the lab).
LAB_RUN=${LAB_RUN:-/tmp/lab}
# Where results go (a host directory through hostfs); may be empty.
LAB_OUT=${LAB_OUT:-}
# Poll interval of lab_wait, in seconds.
LAB_POLL=${LAB_POLL:-0.3}
# Plugin to preload into charon; used only when the file exists.
VTI_PLUGIN=${VTI_PLUGIN:-}
# How lab_charon_start gives charon the plugin: "preload" (LD_PRELOAD) or
# "dir" (from charon's plugin directory, as installed: a copy of it with
# the plugin is mounted over it in charon's mount namespace, no preload).
# tests/lab/run sets "dir" for the Debian 13 lab, whose charon 6 may check
# the plugin's version against its own.
LAB_PLUGIN_LOAD=${LAB_PLUGIN_LOAD:-preload}
# Debian's charon.
LAB_CHARON=${LAB_CHARON:-/usr/lib/ipsec/charon}
# Plugins charon loads (those missing from its plugin dir are skipped);
# "vti" is appended when $VTI_PLUGIN exists. Debian 13 packages no aes,
# sha1, sha2, hmac, kdf or gmp: openssl provides those algorithms there
# (Debian 12 does not install it by default).
LAB_PLUGINS=${LAB_PLUGINS:-random nonce aes sha1 sha2 hmac kdf drbg pem pkcs1
	x509 revocation constraints pubkey gmp openssl kernel-netlink
	socket-default vici updown}
LAB_PLUGIN_DIR=${LAB_PLUGIN_DIR:-/usr/lib/ipsec/plugins}
# Where scripts/package put the Debian package for the lab's system
# (tests/lab/run sets it for another Debian than the host's).
LAB_PACKAGE_DIR=${LAB_PACKAGE_DIR:-${LAB_DIR:-.}/../../build/package}

# ---------------------------------------------------------------- basics

# lab_log MSG...: print a time-stamped progress line of the scenario.
# The stamp is the lab's uptime in seconds.
lab_log() {
	local up
	read -r up _ < /proc/uptime
	printf '[%6.2f] %s\n' "$up" "$*"
}

# lab_fail MSG...: fail the scenario with MSG as reason (first reason wins).
# Call it from the scenario's shell, not from inside $(...).
lab_fail() {
	lab__reason "$*"
	printf 'lab_fail: %s\n' "$*" >&2
	exit 1
}

# Record the failure reason for init.sh / the runner, unless one exists.
lab__reason() {
	[[ -n $LAB_OUT && -d $LAB_OUT ]] || return 0
	[[ -e $LAB_OUT/reason ]] || printf '%s\n' "$*" > "$LAB_OUT/reason"
}

# lab_assert MSG CMD...: run CMD; fail the scenario with MSG if it fails.
lab_assert() {
	local msg=$1
	shift
	"$@" || lab_fail "$msg"
}

# lab_assert_not MSG CMD...: run CMD; fail the scenario with MSG if it
# succeeds.
lab_assert_not() {
	local msg=$1
	shift
	! "$@" || lab_fail "$msg"
}

# lab_sleep SECONDS: sleep without a process (fractions allowed): a read
# with timeout on a pipe nobody writes to. Processes are dear under UML.
lab_sleep() {
	if [[ -z ${LAB_SLEEP_FD:-} ]]; then
		exec {LAB_SLEEP_FD}<> <(:)
	fi
	read -r -t "$1" -u "$LAB_SLEEP_FD" _ || true
}

# lab_wait TIMEOUT CMD...: run CMD every $LAB_POLL s until it succeeds;
# returns 1 if it still fails after TIMEOUT seconds (fractions allowed).
lab_wait() {
	local int=${1%%.*} frac='' deadline
	[[ $1 == *.* ]] && frac=${1#*.}
	frac=${frac}000000
	shift
	# Microsecond clock from bash itself: no process per iteration.
	deadline=$(( ${EPOCHREALTIME/./} + ${int:-0} * 1000000 + 10#${frac:0:6} ))
	while :; do
		"$@" && return 0
		(( ${EPOCHREALTIME/./} < deadline )) || return 1
		lab_sleep "$LAB_POLL"
	done
}

# lab_in HOST CMD...: run CMD inside HOST's network namespace.
lab_in() {
	local host=$1
	shift
	ip netns exec "$host" "$@"
}

# lab_sysctl HOST KEY VALUE: write /proc/sys/KEY in HOST. KEY uses slashes
# (net/ipv4/conf/vti15/disable_policy); dots are taken as separators only
# when KEY has no slash.
lab_sysctl() {
	local key=$2
	[[ $key == */* ]] || key=${key//.//}
	# shellcheck disable=SC2016 # expanded by the inner sh
	lab_in "$1" sh -c 'echo "$2" > "/proc/sys/$1"' sh "$key" "$3"
}

# lab_ping HOST DST [COUNT]: ping DST from HOST (COUNT probes, default 3,
# 0.2 s apart); succeeds if all answers came back.
lab_ping() {
	local host=$1 dst=$2 count=${3:-3} out
	out=$(lab_in "$host" ping -n -q -c "$count" -i 0.2 -W 2 "$dst" 2>&1) ||
		{ printf '%s\n' "$out" >&2; return 1; }
	[[ $out == *" 0% packet loss"* ]] ||
		{ printf '%s\n' "$out" >&2; return 1; }
}

# lab_ping_refused_at OUT MTU: true if OUT, a failed DF ping's output,
# shows the kernel refused it locally as too long for MTU. Debian 12's ping
# reads the error queue and names the MTU ("local error: message too long,
# mtu=1446"): it must be MTU. Debian 13's prints only sendmsg's EMSGSIZE
# ("ping: sendmsg: Message too long"); that the limit is exactly MTU is then
# shown by the DF ping of MTU bytes that passed just before.
lab_ping_refused_at() {
	local out=$1 mtu=$2
	[[ $out == *[Mm]essage\ too\ long* ]] || return 1
	if [[ $out =~ mtu=([0-9]+) ]]; then
		[[ ${BASH_REMATCH[1]} == "$mtu" ]]
	else
		[[ $out == *"sendmsg: Message too long"* ]]
	fi
}

# ---------------------------------------------------------------- topology

# lab_ip HOST [ARGS...]: run the ip commands read from stdin (one per line,
# without "ip") in HOST in a single process: ip -n HOST ARGS -batch -.
# Use it with a heredoc to build topologies cheaply.
lab_ip() {
	local host=$1
	shift
	ip -n "$host" "$@" -batch -
}

# lab_inner_pair DEV NET: the tunnel's inner addresses on its device,
# NET.1/30 on a's DEV and NET.2/30 on b's (NET like 192.168.15).
lab_inner_pair() {
	printf 'addr add %s.1/30 dev %s\n' "$2" "$1" | lab_ip a
	printf 'addr add %s.2/30 dev %s\n' "$2" "$1" | lab_ip b
}

# lab_host NAME...: create hosts (network namespaces) with loopback up.
# IPv6 DAD is off in them (init.sh makes new namespaces inherit that):
# addresses are usable at once.
lab_host() {
	local h
	printf 'netns add %s\n' "$@" | ip -batch -
	for h in "$@"; do
		mkdir -p "$LAB_RUN/$h"
		printf '%s\n' "$h" >> "$LAB_RUN/hosts"
		ip -n "$h" link set lo up
	done
}

# lab_hosts: print the hosts created so far, one per line.
lab_hosts() {
	[[ -e $LAB_RUN/hosts ]] || return 0
	printf '%s\n' "$(< "$LAB_RUN/hosts")"
}

# lab_link A ADDR_A B ADDR_B [ADDR6_A ADDR6_B]: veth pair between hosts A
# and B, named eth-B in A and eth-A in B, up, with the given addresses
# (prefix included, e.g. 10.9.0.1/24; "-" for none).
lab_link() {
	local a=$1 addr_a=$2 b=$3 addr_b=$4 addr6_a=${5:--} addr6_b=${6:--}
	ip link add "eth-$b" netns "$a" type veth peer name "eth-$a" netns "$b"
	lab__if_up "$a" "eth-$b" "$addr_a" "$addr6_a"
	lab__if_up "$b" "eth-$a" "$addr_b" "$addr6_b"
}

# Bring HOST's interface IF up with an IPv4 and an IPv6 address ("-": none).
lab__if_up() {
	local host=$1 ifname=$2 addr=$3 addr6=$4
	{
		[[ $addr == - ]] || printf 'addr add %s dev %s\n' "$addr" "$ifname"
		[[ $addr6 == - ]] || printf 'addr add %s dev %s nodad\n' "$addr6" "$ifname"
		printf 'link set %s up\n' "$ifname"
	} | lab_ip "$host"
}

# lab_switch NAME: a namespace NAME holding a bridge br0 (a LAN segment).
lab_switch() {
	ip netns add "$1"
	lab_ip "$1" <<-EOF
	link add br0 type bridge
	link set br0 up
	EOF
}

# lab_switch_port SWITCH HOST ADDR [ADDR6]: plug HOST into SWITCH through
# a veth named eth-SWITCH in HOST (p-HOST on the bridge).
lab_switch_port() {
	local sw=$1 host=$2 addr=$3 addr6=${4:--}
	ip link add "eth-$sw" netns "$host" type veth peer name "p-$host" netns "$sw"
	ip -n "$sw" link set "p-$host" master br0 up
	lab__if_up "$host" "eth-$sw" "$addr" "$addr6"
}

# lab_topo_pair: hosts a (10.9.0.1/24, fd00:9::1/64 on eth-b) and
# b (10.9.0.2/24, fd00:9::2/64 on eth-a) on one veth.
lab_topo_pair() {
	lab_host a b
	lab_link a 10.9.0.1/24 b 10.9.0.2/24 fd00:9::1/64 fd00:9::2/64
}

# lab_topo_hub [N]: hub h (10.9.0.1/24, fd00:9::1/64) and spokes s1..sN
# (10.9.0.1I/24, fd00:9::1I/64, i.e. s1 = .11, s2 = .12, ...; N defaults
# to 3, at most 9) on one LAN: switch namespace "sw", interface eth-sw.
lab_topo_hub() {
	local n=${1:-3} i
	lab_host h
	lab_switch sw
	lab_switch_port sw h 10.9.0.1/24 fd00:9::1/64
	for (( i = 1; i <= n; i++ )); do
		lab_host "s$i"
		lab_switch_port sw "s$i" "10.9.0.1$i/24" "fd00:9::1$i/64"
	done
}

# ---------------------------------------------------------------- charon

# lab_plugin_available: true if $VTI_PLUGIN names an existing file.
lab_plugin_available() {
	[[ -n $VTI_PLUGIN && -f $VTI_PLUGIN ]]
}

# Plugins swanctl loads (for credentials only; its default list is long
# and costs time under UML).
LAB_SWANCTL_PLUGINS=${LAB_SWANCTL_PLUGINS:-pem pkcs1 pkcs8 x509 pubkey}

# lab__plugin_list [swanctl]: print the plugin list for charon's (or
# swanctl's) "load" setting: the installed ones only, plus vti for charon.
lab__plugin_list() {
	local p list=() want=$LAB_PLUGINS
	[[ ${1:-} == swanctl ]] && want=$LAB_SWANCTL_PLUGINS
	for p in $want; do
		[[ -e $LAB_PLUGIN_DIR/libstrongswan-$p.so ]] && list+=("$p")
	done
	[[ ${1:-} != swanctl ]] && lab_plugin_available && list+=(vti)
	printf '%s' "${list[*]}"
}

# lab_conf HOST: print the path of HOST's strongswan.conf.
lab_conf() {
	printf '%s' "$LAB_RUN/$1/strongswan.conf"
}

# lab_charon_log HOST: print the path of HOST's charon log.
lab_charon_log() {
	printf '%s' "$LAB_RUN/$1/charon.log"
}

# lab_charon_pid HOST: print the PID of HOST's charon (fails if none).
lab_charon_pid() {
	local pid
	[[ -e $LAB_RUN/$1/charon.pid ]] || return 1
	read -r pid < "$LAB_RUN/$1/charon.pid"
	printf '%s' "$pid"
}

# lab_charon_running HOST: true if HOST's charon process is alive.
lab_charon_running() {
	local pid
	pid=$(lab_charon_pid "$1") || return 1
	kill -0 "$pid" 2>/dev/null
}

# lab__write_conf HOST VTI_SETTINGS EXTRA_CONF HEAD [PREFIX]: write HOST's
# strongswan.conf: PREFIX lines first, HEAD lines inside charon { } (how
# plugins load), then what every lab charon shares (short retransmits, the
# host's log, vici socket, charon.plugins.vti = VTI_SETTINGS), EXTRA_CONF.
lab__write_conf() {
	local host=$1 vti_conf=$2 extra=$3 head=$4 prefix=${5:-} dir
	dir=$LAB_RUN/$host
	cat > "$dir/strongswan.conf" <<-EOF
	# Generated by tests/lab/lib.sh for lab host $host
	$prefix
	charon {
	  $head
	}
	charon {
	  # Only the lab's addresses matter; keep retransmits short.
	  retransmit_timeout = 2
	  retransmit_tries = 3
	  filelog {
	    lab {
	      path = $dir/charon.log
	      append = yes
	      flush_line = yes
	      time_format = %H:%M:%S
	      time_add_ms = yes
	      ike_name = yes
	      default = 1
	      knl = 2
	      cfg = 2
	      ike = 1
	    }
	  }
	  syslog {
	    daemon {
	      default = -1
	    }
	  }
	  plugins {
	    vici {
	      socket = unix://$dir/charon.vici
	    }
	    vti {
	      $vti_conf
	    }
	  }
	}
	swanctl {
	  socket = unix://$dir/charon.vici
	  load = $(lab__plugin_list swanctl)
	}
	$extra
	EOF
}

# lab__charon_spawn HOST WAIT LABEL SETUP ENV...: start charon in HOST in its
# own mount namespace (a tmpfs on /run, then the shell commands SETUP, each
# ending in "&&"), with the environment changes ENV (env(1) arguments), and
# wait at most WAIT seconds for its vici socket.
lab__charon_spawn() {
	local host=$1 wait=$2 label=$3 setup=$4 dir pid
	shift 4
	dir=$LAB_RUN/$host
	printf '%s charon start (%s)\n' "--- lab:" "$label" >> "$dir/charon.log"
	# a socket left by an earlier charon would look like readiness
	rm -f "$dir/charon.vici"
	# setsid: charon outlives a scenario killed by its timeout, so that
	# init.sh can still dump its state. ip netns exec, unshare and sh all
	# exec, so $! is charon's PID.
	setsid ip netns exec "$host" unshare -m sh -c \
		"mount -n -t tmpfs tmpfs /run && $setup exec \"\$@\"" sh \
		env "$@" STRONGSWAN_CONF="$dir/strongswan.conf" \
		"$LAB_CHARON" < /dev/null >> "$dir/charon.out" 2>&1 &
	pid=$!
	# No "Killed" job notice when a scenario SIGKILLs it.
	disown "$pid"
	printf '%s\n' "$pid" > "$dir/charon.pid"
	# The vici socket appears once the plugins are loaded; a request sent
	# before charon's threads run just waits. Testing for it costs no
	# process, unlike asking swanctl.
	lab_wait "$wait" lab__charon_ready "$host" "$pid" || true
	kill -0 "$pid" 2>/dev/null ||
		lab_fail "charon in $host exited at start: $(tail -n 3 "$dir/charon.out" "$dir/charon.log" 2>&1)"
	[[ -S $dir/charon.vici ]] ||
		lab_fail "charon in $host has no vici socket after $wait s"
	lab_log "$host: charon $pid up ($label)"
}

# lab__preload: env(1) arguments that preload the plugin if it exists
# (and LAB_PLUGIN_LOAD is preload)
lab__preload() {
	if lab_plugin_available && [[ $LAB_PLUGIN_LOAD == preload ]]; then
		printf 'LD_PRELOAD=%s\n' "$VTI_PLUGIN"
	else
		printf -- '-u\nLD_PRELOAD\n'
	fi
}

# lab_charon_start HOST [VTI_SETTINGS [EXTRA_CONF]]: write HOST's
# strongswan.conf and start charon in HOST (own mount namespace with a
# tmpfs on /run, $VTI_PLUGIN preloaded if it exists); waits until its
# vici socket exists (at most 20 s). VTI_SETTINGS is the body of
# charon.plugins.vti (e.g. "mtu = 1400"); EXTRA_CONF is raw strongswan.conf
# text appended at top level (sections of the same name are merged, later
# values win: e.g. 'charon { retransmit_tries = 5 }'). The log is appended
# to across restarts of the same host.
lab_charon_start() {
	lab__charon_start_preloaded "$1" "${2:-}" "${3:-}" "install_routes = no" \
		"preload"
}

# lab__charon_start_preloaded HOST VTI_SETTINGS EXTRA_CONF HEAD LABEL: as
# lab_charon_start, with HEAD added to the charon section.
lab__charon_start_preloaded() {
	local host=$1 env
	mkdir -p "$LAB_RUN/$host/swanctl"
	lab_charon_running "$host" && lab_fail "charon already running in $host"
	lab__write_conf "$host" "$2" "$3" "load_modular = no
	  load = $(lab__plugin_list)
	  $4"
	mapfile -t env < <(lab__preload)
	if lab_plugin_available && [[ $LAB_PLUGIN_LOAD == dir ]]; then
		lab__plugin_dir_copy
		lab__charon_spawn "$host" 20 \
			"${5/preload/plugin directory}: $LAB_PLUGIN_DIR/libstrongswan-vti.so" \
			"mount -n --bind $LAB_RUN/installed/plugins $LAB_PLUGIN_DIR &&" "${env[@]}"
		return
	fi
	lab__charon_spawn "$host" 20 "$5: ${env[*]}" "" "${env[@]}"
}

# Ready when the vici socket exists; stop polling early if charon died.
lab__charon_ready() {
	kill -0 "$2" 2>/dev/null || return 0
	[[ -S $LAB_RUN/$1/charon.vici ]]
}

# lab_charon_stop HOST [TIMEOUT]: SIGTERM HOST's charon and wait for it to
# exit (default 10 s); fails if it does not.
lab_charon_stop() {
	lab__charon_signal "$1" TERM "${2:-10}"
}

# lab_charon_kill HOST: SIGKILL HOST's charon (a crash: nothing cleaned up)
# and wait for it to be gone.
lab_charon_kill() {
	lab__charon_signal "$1" KILL 5
}

lab__charon_signal() {
	local host=$1 sig=$2 timeout=$3 pid
	pid=$(lab_charon_pid "$host") || lab_fail "no charon started in $host"
	kill -s "$sig" "$pid" 2>/dev/null || true
	lab_wait "$timeout" lab__gone "$pid" ||
		lab_fail "charon in $host (pid $pid) still alive ${timeout}s after SIG$sig"
	rm -f "$LAB_RUN/$host/charon.pid"
}

lab__gone() {
	! kill -0 "$1" 2>/dev/null
}

# lab_charon_stop_all: stop every charon still running (TERM, then KILL).
lab_charon_stop_all() {
	local h pid
	for h in $(lab_hosts); do
		pid=$(lab_charon_pid "$h") || continue
		kill -TERM "$pid" 2>/dev/null || continue
		lab_wait 5 lab__gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
	done
}

# lab_swanctl HOST ARGS...: run swanctl against HOST's charon.
lab_swanctl() {
	local host=$1
	shift
	STRONGSWAN_CONF=$(lab_conf "$host") SWANCTL_DIR=$LAB_RUN/$host/swanctl \
		swanctl "$@"
}

# lab_load_conf HOST FILE: load the swanctl.conf FILE into HOST's charon
# (swanctl's output is shown only if that fails).
lab_load_conf() {
	local out
	out=$(lab_swanctl "$1" --load-all --file "$2" 2>&1) || {
		printf '%s\n' "$out" >&2
		lab_fail "swanctl --load-all --file $2 failed in $1"
	}
}

# lab_initiate HOST CHILD [TIMEOUT]: initiate CHILD from HOST; waits for
# the result (default 30 s).
lab_initiate() {
	lab_swanctl "$1" --initiate --child "$2" --timeout "${3:-30}" > /dev/null
}

# lab_log_has HOST REGEX: true if HOST's charon log has a line matching
# the extended REGEX.
lab_log_has() {
	grep -Eq -- "$2" "$(lab_charon_log "$1")" 2>/dev/null
}

# lab_sa_up HOST CHILD: true if HOST has an INSTALLED CHILD_SA named CHILD.
lab_sa_up() {
	lab_swanctl "$1" --list-sas --child "$2" 2>/dev/null |
		grep -Eq "^ +$2: #[0-9]+, reqid [0-9]+, INSTALLED"
}

# lab_psk_conf FILE LOCAL REMOTE [KEY=VALUE...]: write a swanctl.conf for
# an IKEv2 PSK connection from LOCAL to REMOTE (outer addresses; the IDs
# are the addresses). Keys and defaults:
#   conn=lab child=net psk=lab-secret-0123456789
#   mark_in= mark_out= (omitted when empty; e.g. 15, %unique)
#   if_id_in= if_id_out= (omitted when empty; e.g. 7, %unique)
#   local_ts=0.0.0.0/0,::/0 remote_ts=0.0.0.0/0,::/0
#   ike=aes128-sha256-modp2048 esp=aes128gcm16
#   start_action=none (none|trap|start) dpd_delay=0 rekey_time= (child)
#   conn_extra= child_extra= (raw lines added to the conn/child section)
lab_psk_conf() {
	local file=$1 local_addr=$2 remote_addr=$3 kv
	shift 3
	local conn=lab child=net psk=lab-secret-0123456789 mark_in='' mark_out=''
	local local_ts=0.0.0.0/0,::/0 remote_ts=0.0.0.0/0,::/0
	local ike=aes128-sha256-modp2048 esp=aes128gcm16 start_action=none
	local dpd_delay=0 rekey_time='' conn_extra='' child_extra=''
	local if_id_in='' if_id_out=''
	for kv in "$@"; do
		case ${kv%%=*} in
		conn | child | psk | mark_in | mark_out | local_ts | remote_ts | ike | \
			esp | start_action | dpd_delay | rekey_time | conn_extra | \
			child_extra | if_id_in | if_id_out)
			printf -v "${kv%%=*}" '%s' "${kv#*=}" ;;
		*) lab_fail "lab_psk_conf: unknown key ${kv%%=*}" ;;
		esac
	done
	{
		printf 'connections {\n  %s {\n' "$conn"
		printf '    version = 2\n'
		printf '    local_addrs = %s\n    remote_addrs = %s\n' \
			"$local_addr" "$remote_addr"
		printf '    proposals = %s\n    dpd_delay = %s\n' "$ike" "$dpd_delay"
		printf '    local {\n      auth = psk\n      id = %s\n    }\n' "$local_addr"
		printf '    remote {\n      auth = psk\n      id = %s\n    }\n' "$remote_addr"
		[[ -z $conn_extra ]] || printf '    %s\n' "$conn_extra"
		printf '    children {\n      %s {\n' "$child"
		printf '        local_ts = %s\n        remote_ts = %s\n' \
			"$local_ts" "$remote_ts"
		printf '        esp_proposals = %s\n' "$esp"
		printf '        start_action = %s\n' "$start_action"
		[[ -z $mark_in ]] || printf '        mark_in = %s\n' "$mark_in"
		[[ -z $mark_out ]] || printf '        mark_out = %s\n' "$mark_out"
		[[ -z $if_id_in ]] || printf '        if_id_in = %s\n' "$if_id_in"
		[[ -z $if_id_out ]] || printf '        if_id_out = %s\n' "$if_id_out"
		[[ -z $rekey_time ]] || printf '        rekey_time = %s\n' "$rekey_time"
		[[ -z $child_extra ]] || printf '        %s\n' "$child_extra"
		printf '      }\n    }\n  }\n}\n'
		printf 'secrets {\n  ike-%s {\n' "$conn"
		printf '    id-1 = %s\n    id-2 = %s\n    secret = "%s"\n  }\n}\n' \
			"$local_addr" "$remote_addr" "$psk"
	} > "$file"
}

# lab_mobike_pair KEY=VALUE...: a and b on two links (10.9.0.1 <->
# 10.9.0.2 and 10.9.1.1 <-> 10.9.1.2, IPv4 only, so that the only other
# path is the second link), charon on both, and lab_psk_conf's connection
# with the child's KEY=VALUEs (e.g. mark_in=15 mark_out=15), a allowed to
# use either of its addresses and b taking a from anywhere; both loaded.
lab_mobike_pair() {
	local conf_a=$LAB_RUN/a/swanctl.conf conf_b=$LAB_RUN/b/swanctl.conf h
	lab_host a b
	lab_link a 10.9.0.1/24 b 10.9.0.2/24
	ip link add eth-b2 netns a type veth peer name eth-a2 netns b
	lab_ip a <<-EOF
	addr add 10.9.1.1/24 dev eth-b2
	link set eth-b2 up
	EOF
	lab_ip b <<-EOF
	addr add 10.9.1.2/24 dev eth-a2
	link set eth-a2 up
	EOF
	for h in a b; do
		lab_charon_start "$h"
	done
	lab_psk_conf "$conf_a" 10.9.0.1 10.9.0.2 "$@"
	lab_psk_conf "$conf_b" 10.9.0.2 10.9.0.1 "$@"
	sed -i 's/^    local_addrs = .*/    local_addrs = 10.9.0.1,10.9.1.1/' "$conf_a"
	sed -i -e 's/^    local_addrs = .*/    local_addrs = %any/' \
		-e 's/^    remote_addrs = .*/    remote_addrs = %any/' "$conf_b"
	grep -q 'local_addrs = 10.9.0.1,10.9.1.1' "$conf_a" ||
		lab_fail "could not set a's local_addrs"
	grep -q 'remote_addrs = %any' "$conf_b" || lab_fail "could not set b's remote_addrs"
	lab_load_conf a "$conf_a"
	lab_load_conf b "$conf_b"
}

# lab_two_if_ids_conf: on a and b of lab_topo_pair, one connection "lab"
# with two children: "seven" (if_ids 7, 192.168.7.0/30 both ways) and
# "eight" (if_ids 8, 192.168.8.0/30); loaded on both. (Two connections to
# one peer would not do: charon puts the second's child into the first's
# IKE_SA, and the responder refuses it there.)
lab_two_if_ids_conf() {
	local h me peer
	for h in a b; do
		if [[ $h == a ]]; then me=10.9.0.1 peer=10.9.0.2; else me=10.9.0.2 peer=10.9.0.1; fi
		lab_psk_conf "$LAB_RUN/$h/7.conf" "$me" "$peer" child=seven \
			if_id_in=7 if_id_out=7 local_ts=192.168.7.0/30 remote_ts=192.168.7.0/30
		lab_psk_conf "$LAB_RUN/$h/8.conf" "$me" "$peer" child=eight \
			if_id_in=8 if_id_out=8 local_ts=192.168.8.0/30 remote_ts=192.168.8.0/30
		# one file, sections of the same name merge (--load-all unloads
		# what the file it loads does not have)
		cat "$LAB_RUN/$h/7.conf" "$LAB_RUN/$h/8.conf" > "$LAB_RUN/$h/swanctl.conf"
		lab_load_conf "$h" "$LAB_RUN/$h/swanctl.conf"
	done
}

# lab_nat_pair KEY_LINE...: the initiator a (10.8.0.2, inside 10.1.0.1)
# behind a NAT router r that masquerades it as 10.9.0.254 (iptables-legacy
# MASQUERADE) towards the responder b (10.9.0.2, inside 10.2.0.1); charon
# on a and b with routes = remote_ts, and a connection "nat" (IDs a and b,
# b taking a from anywhere) with a child "net" between the inside /24s
# whose swanctl.conf lines KEY_LINE (e.g. "mark_in = 15") say how it is
# keyed; both loaded, a initiates, and b sees a behind the NAT on 4500.
lab_nat_pair() {
	command -v iptables-legacy > /dev/null ||
		lab_fail "iptables-legacy is missing (package iptables; scripts/install-deps installs it)"
	lab_host a r b
	lab_link a 10.8.0.2/24 r 10.8.0.1/24
	lab_link r 10.9.0.254/24 b 10.9.0.2/24
	lab_ip a <<-EOF
	addr add 10.1.0.1/32 dev lo
	route add default via 10.8.0.1
	EOF
	lab_ip b <<-EOF
	addr add 10.2.0.1/32 dev lo
	EOF
	lab_sysctl r net.ipv4.ip_forward 1
	lab_in r iptables-legacy -t nat -A POSTROUTING -o eth-b -j MASQUERADE
	lab_charon_start a "routes = remote_ts"
	lab_charon_start b "routes = remote_ts"
	lab__nat_conf "$LAB_RUN/a/swanctl.conf" 10.8.0.2 10.9.0.2 a b \
		10.1.0.0/24 10.2.0.0/24 "$@"
	lab__nat_conf "$LAB_RUN/b/swanctl.conf" 10.9.0.2 %any b a \
		10.2.0.0/24 10.1.0.0/24 "$@"
	lab_load_conf a "$LAB_RUN/a/swanctl.conf"
	lab_load_conf b "$LAB_RUN/b/swanctl.conf"
	lab_assert "a could not initiate CHILD_SA 'net' through the NAT" \
		lab_initiate a net
	LAB_NAT_SAS=$(lab_swanctl b --list-sas)
	lab_log "b's SAs: $LAB_NAT_SAS"
	[[ $LAB_NAT_SAS == *"remote 'a' @ 10.9.0.254[4500]"* ]] ||
		lab_fail "b does not see a behind the NAT at 10.9.0.254[4500]"
}

# lab__nat_conf FILE LOCAL_ADDRS REMOTE_ADDRS ME PEER LOCAL_TS REMOTE_TS
# KEY_LINE...: one side's swanctl.conf of lab_nat_pair.
lab__nat_conf() {
	local file=$1 local_addrs=$2 remote_addrs=$3 me=$4 peer=$5 lts=$6 rts=$7
	shift 7
	{
		cat <<-EOF
		connections {
		  nat {
		    version = 2
		    local_addrs = $local_addrs
		    remote_addrs = $remote_addrs
		    proposals = aes128-sha256-modp2048
		    local {
		      auth = psk
		      id = $me
		    }
		    remote {
		      auth = psk
		      id = $peer
		    }
		    children {
		      net {
		        local_ts = $lts
		        remote_ts = $rts
		        esp_proposals = aes128gcm16
		EOF
		printf '        %s\n' "$@"
		cat <<-EOF
		      }
		    }
		  }
		}
		secrets {
		  ike-nat {
		    id-1 = a
		    id-2 = b
		    secret = "lab-secret-0123456789"
		  }
		}
		EOF
	} > "$file"
}

# ---------------------------------------------------------------- xfrm

# lab_esp_packets HOST [SRC DST]: print the number of packets the ESP
# states in HOST (only SRC->DST if given) have processed, summed.
lab_esp_packets() {
	ip -n "$1" -s xfrm state | awk -v src="${2:-}" -v dst="${3:-}" '
		/^src / { sel = (src == "" || ($2 == src && $4 == dst)) }
		/lifetime current:/ { cur = 1; next }
		cur { cur = 0; if (sel) { sub(/\(packets\)/, "", $2); n += $2 } }
		END { print n + 0 }'
}

# lab_pair_vti_ready IF PREFIX: IF is admin up on a and b, each with an
# IPv4 address starting with PREFIX (e.g. "169.254.15.").
lab_pair_vti_ready() {
	local h out
	for h in a b; do
		lab_link_up "$h" "$1" || return 1
		out=$(ip -n "$h" -o -4 addr show dev "$1") || return 1
		[[ $out == *" inet $2"* ]] || return 1
	done
}

# lab_require_plugin: fail the scenario unless $VTI_PLUGIN exists.
lab_require_plugin() {
	lab_plugin_available ||
		lab_fail "VTI_PLUGIN '${VTI_PLUGIN:-}' does not exist: build the plugin"
}

# lab_pair_conf [KEY=VALUE...]: write and load the PSK connection between
# a (10.9.0.1) and b (10.9.0.2) of lab_topo_pair on both hosts, with the
# lab_psk_conf options given (the same on both sides).
lab_pair_conf() {
	lab_psk_conf "$LAB_RUN/a/swanctl.conf" 10.9.0.1 10.9.0.2 "$@"
	lab_psk_conf "$LAB_RUN/b/swanctl.conf" 10.9.0.2 10.9.0.1 "$@"
	lab_load_conf a "$LAB_RUN/a/swanctl.conf"
	lab_load_conf b "$LAB_RUN/b/swanctl.conf"
}

# lab_primary_backup_write [KEY=VALUE...]: write, on a and b, two PSK
# connections between them, each with the lab_psk_conf options given:
# "primary" (child primary, marks 15) over 10.9.0.1/10.9.0.2 into
# $LAB_RUN/HOST/primary.conf, "backup" (child backup, marks 16) over
# 10.9.1.1/10.9.1.2 into backup.conf, and both into swanctl.conf (one
# file: --load-all unloads what the file it loads does not have). Loads
# nothing.
lab_primary_backup_write() {
	local h
	lab_psk_conf "$LAB_RUN/a/primary.conf" 10.9.0.1 10.9.0.2 conn=primary \
		child=primary mark_in=15 mark_out=15 "$@"
	lab_psk_conf "$LAB_RUN/a/backup.conf" 10.9.1.1 10.9.1.2 conn=backup \
		child=backup mark_in=16 mark_out=16 "$@"
	lab_psk_conf "$LAB_RUN/b/primary.conf" 10.9.0.2 10.9.0.1 conn=primary \
		child=primary mark_in=15 mark_out=15 "$@"
	lab_psk_conf "$LAB_RUN/b/backup.conf" 10.9.1.2 10.9.1.1 conn=backup \
		child=backup mark_in=16 mark_out=16 "$@"
	for h in a b; do
		cat "$LAB_RUN/$h/primary.conf" "$LAB_RUN/$h/backup.conf" \
			> "$LAB_RUN/$h/swanctl.conf"
	done
}

# lab_primary_backup_conf [KEY=VALUE...]: lab_primary_backup_write, then
# load swanctl.conf on a and b.
lab_primary_backup_conf() {
	lab_primary_backup_write "$@"
	lab_load_conf a "$LAB_RUN/a/swanctl.conf"
	lab_load_conf b "$LAB_RUN/b/swanctl.conf"
}

# lab_require_xfrmi: end the scenario as skipped (lab_skip) unless the
# kernel makes XFRM interfaces (Debian's UML kernels do not; the QEMU
# kernel does).
lab_require_xfrmi() {
	local ok=0
	ip netns add xfrmi-probe 2> /dev/null || true
	ip -n xfrmi-probe link add xfrmi-probe type xfrm if_id 1 2> /dev/null &&
		ok=1
	ip netns del xfrmi-probe 2> /dev/null || true
	(( ok )) || lab_skip "the kernel has no XFRM interfaces (CONFIG_XFRM_INTERFACE)"
}

# lab_skip MSG...: end the scenario as skipped with MSG as reason: it
# cannot run on this kernel. Call it from the scenario's shell.
lab_skip() {
	[[ -n $LAB_OUT && -d $LAB_OUT ]] && printf '%s\n' "$*" > "$LAB_OUT/skip"
	printf 'lab_skip: %s\n' "$*" >&2
	exit 0
}

# lab_xfrm_if_id HOST IFNAME: print the if_id of HOST's XFRM interface
# IFNAME (decimal), nothing if it is none.
lab_xfrm_if_id() {
	local words i
	read -r -a words <<< "$(ip -n "$1" -d -o link show dev "$2" 2> /dev/null)"
	for (( i = 0; i < ${#words[@]} - 1; i++ )); do
		if [[ ${words[i]} == xfrm && ${words[i + 1]} == if_id ]]; then
			printf '%d' "${words[i + 2]}"
			return
		fi
	done
}

# lab_has_link HOST IFNAME: true if HOST has interface IFNAME.
lab_has_link() {
	ip -n "$1" link show dev "$2" > /dev/null 2>&1
}

# ---------------------------------------------------------------- init side

# lab_diag [HOST...]: print diagnostics of each host (default: all): charon
# state, links, addresses, xfrm states and policies, routes.
lab_diag() {
	local h hosts=("$@") log
	((${#hosts[@]})) || mapfile -t hosts < <(lab_hosts)
	for h in "${hosts[@]}"; do
		printf '======== host %s\n' "$h"
		log=$(lab_charon_log "$h")
		if lab_charon_running "$h"; then
			printf -- '--- charon running (pid %s); swanctl --list-sas\n' \
				"$(lab_charon_pid "$h")"
			timeout 5 env STRONGSWAN_CONF="$(lab_conf "$h")" \
				SWANCTL_DIR="$LAB_RUN/$h/swanctl" swanctl --list-sas 2>&1
		elif [[ -e $log ]]; then
			printf -- '--- charon not running\n'
		fi
		if [[ -e $log ]]; then
			printf -- '--- charon log (last 40 lines)\n'
			tail -n 40 "$log"
		fi
		printf -- '--- ip -d link\n'; ip -n "$h" -d link 2>&1
		printf -- '--- ip -d addr\n'; ip -n "$h" -d addr 2>&1
		printf -- '--- ip -s xfrm state\n'; ip -n "$h" -s xfrm state 2>&1
		printf -- '--- ip xfrm policy\n'; ip -n "$h" xfrm policy 2>&1
		printf -- '--- ip -4 route show table all\n'
		ip -n "$h" -4 route show table all 2>&1
		printf -- '--- ip -6 route show table all\n'
		ip -n "$h" -6 route show table all 2>&1
	done
}

# Frames 0 and 1 are this function and lab__on_err: print FILE:LINE of
# each caller up to the scenario's top level, innermost first.
lab__where() {
	local i out=''
	for (( i = 2; i < ${#BASH_SOURCE[@]}; i++ )); do
		[[ -n ${BASH_SOURCE[i]} ]] || break
		out+="${out:+ <- }${BASH_SOURCE[i]##*/}:${BASH_LINENO[i-1]}"
	done
	printf '%s' "$out"
}

# errexit hook: record the innermost failing line of the scenario file
# (its text says more than the innermost command, often a helper's
# "return 1").
lab__on_err() {
	local rc=$1 cmd=$2 i line='' lines
	for (( i = 1; i < ${#BASH_SOURCE[@]}; i++ )); do
		if [[ ${BASH_SOURCE[i]} == "${LAB_SCENARIO:-}" ]]; then
			mapfile -t lines < "$LAB_SCENARIO"
			line=${lines[BASH_LINENO[i-1]-1]}
			line="${LAB_SCENARIO##*/}:${BASH_LINENO[i-1]}: ${line#"${line%%[![:space:]]*}"}"
			break
		fi
	done
	[[ -n $line ]] || line="'$cmd' at $(lab__where)"
	lab__reason "$line (exit $rc)"
	printf 'lab: failed: %s (exit %s; command %s at %s)\n' "$line" "$rc" \
		"$cmd" "$(lab__where)" >&2
}

# lab_errexit: turn on errexit with a hook recording the failing command.
# init.sh then sources the scenario at top level (sourcing it from inside
# a function trips a bash 5.2 bug on errexit in nested functions).
lab_errexit() {
	set -eE -o pipefail
	trap 'lab__on_err $? "$BASH_COMMAND"' ERR
}

# ---------------------------------------------------------------- link state
# (added for the lifecycle scenarios 03, 10, 11, 14, 15, 20)

# Print ",FLAG,FLAG,...," of HOST's IFNAME (the <...> of ip link); fails if
# there is no such interface.
lab__link_flags() {
	local out
	out=$(ip -n "$1" -o link show dev "$2" 2>/dev/null) || return 1
	out=${out#*<}
	printf ',%s,' "${out%%>*}"
}

# lab_link_up HOST IFNAME: true if HOST has IFNAME and it is admin up.
lab_link_up() {
	local flags
	flags=$(lab__link_flags "$1" "$2") || return 1
	[[ $flags == *,UP,* ]]
}

# lab_link_down HOST IFNAME: true if HOST has IFNAME and it is admin down.
lab_link_down() {
	local flags
	flags=$(lab__link_flags "$1" "$2") || return 1
	[[ $flags != *,UP,* ]]
}

# lab_ifindex HOST IFNAME: print IFNAME's ifindex in HOST (fails if none).
lab_ifindex() {
	local out
	out=$(ip -n "$1" -o link show dev "$2" 2>/dev/null) || return 1
	printf '%s' "${out%%:*}"
}

# lab_links_wait STATE IFNAME WHEN HOST...: wait (60 s) until each HOST
# has IFNAME and it is STATE (up|down: lab_link_up, lab_link_down); fail
# naming the host and WHEN.
lab_links_wait() {
	local state=$1 ifname=$2 when=$3 h
	shift 3
	for h in "$@"; do
		lab_wait 60 "lab_link_$state" "$h" "$ifname" ||
			lab_fail "$h: $ifname is not $state $when"
	done
}

# ---------------------------------------------------------------- link monitor
# (added for the no-flap scenarios 12, 13, 19)

# lab_monitor_start HOST FILE: record HOST's "ip -o monitor link" in FILE in the background, live once this returns.
lab_monitor_start() {
	ip -n "$1" -o monitor link > "$2" 2>&1 &
	printf '%s\n' "$!" > "$(lab__pidfile "$2")"
	disown "$!"
	lab_monitor_mark "$1" "$2" ||
		lab_fail "$1: ip monitor link records no events in $2"
}

# Marker MTUs of lo used so far (lab_monitor_mark).
LAB__MARKS=0

# lab_monitor_mark HOST FILE: change lo's MTU in HOST until FILE shows it (all earlier events are in FILE then).
lab_monitor_mark() {
	local try mtu
	# A monitor just started may not listen yet: up to 10 tries, 1 s apart.
	for (( try = 0; try < 10; try++ )); do
		LAB__MARKS=$((LAB__MARKS + 1))
		mtu=$((65535 - LAB__MARKS))
		ip -n "$1" link set dev lo mtu "$mtu"
		lab_wait 1 lab_file_has "$2" " lo: <LOOPBACK,UP,LOWER_UP> mtu $mtu " &&
			return 0
	done
	return 1
}

# lab_monitor_stop HOST FILE: end FILE's recorder; fails if it had stopped recording (no marker seen).
lab_monitor_stop() {
	local pid rc=0
	lab_monitor_mark "$1" "$2" || rc=1
	read -r pid < "$(lab__pidfile "$2")"
	kill "$pid" 2>/dev/null || rc=1
	lab_wait 5 lab__gone "$pid" || true
	return "$rc"
}

# lab_monitor_events FILE IFNAME: print FILE's events of IFNAME (lab_monitor_mark first to have them all).
lab_monitor_events() {
	local line lines
	mapfile -t lines < "$1"
	for line in "${lines[@]}"; do
		[[ $line =~ ^(\[[^]]*\]\ )?(Deleted\ )?[0-9]+:\ $2[@:] ]] &&
			printf '%s\n' "$line"
	done
	return 0
}

# PID file (in $LAB_RUN) of the background process writing FILE.
lab__pidfile() {
	printf '%s' "$LAB_RUN/pid.${1//\//_}"
}

# lab_file_has FILE STRING: true if FILE contains STRING (no process).
lab_file_has() {
	local text=''
	IFS= read -r -d '' text < "$1" || true
	[[ $text == *"$2"* ]]
}

# lab_ping_loss_ok FILE MIN WHAT: once the background ping of FILE
# (lab_ping_start) had probe MIN answered, stop it; fail unless it sent at
# least MIN probes and lost at most 1% of them (WHAT names the events).
lab_ping_loss_ok() {
	local file=$1 min=$2 what=$3 counts sent received
	lab_assert "the ping got no reply to probe $min or later (across $what)" \
		lab_wait 60 lab_ping_replied "$file" "$min"
	counts=$(lab_ping_stop "$file") ||
		lab_fail "the background ping printed no summary: $(< "$file")"
	read -r sent received <<< "$counts"
	lab_log "ping across $what: $sent sent, $received received"
	(( sent >= min )) || lab_fail "the ping sent only $sent packets"
	(( (sent - received) * 100 <= sent )) ||
		lab_fail "the ping lost $((sent - received)) of $sent packets (> 1%) across $what"
}

# lab_ping_start HOST DST FILE [INTERVAL]: ping DST from HOST every INTERVAL (0.05) s in the background, a line per reply in FILE.
lab_ping_start() {
	ip netns exec "$1" ping -n -i "${4:-0.05}" "$2" > "$3" 2>&1 &
	printf '%s\n' "$!" > "$(lab__pidfile "$3")"
	disown "$!"
}

# lab_ping_replied FILE SEQ: true once the lab_ping_start ping of FILE got a reply to probe SEQ or later.
lab_ping_replied() {
	local text='' seq
	IFS= read -r -d '' text < "$1" || true
	[[ $text == *icmp_seq=* ]] || return 1
	seq=${text##*icmp_seq=}
	seq=${seq%%[!0-9]*}
	[[ -n $seq ]] && (( seq >= $2 ))
}

# lab_ping_stop FILE: SIGINT the lab_ping_start ping of FILE and print "SENT RECEIVED" from its summary.
lab_ping_stop() {
	local pid text='' re='([0-9]+) packets transmitted, ([0-9]+) received'
	read -r pid < "$(lab__pidfile "$1")"
	kill -INT "$pid" 2>/dev/null || true
	lab_wait 10 lab__gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
	IFS= read -r -d '' text < "$1" || true
	[[ $text =~ $re ]] || return 1
	printf '%s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
}

# ---------------------------------------------------------------- VTI parameters
# (added for the scenarios 16, 17, 18, 21, 22)

# lab_vti_info HOST IFNAME: read HOST's tunnel IFNAME (ip -o -d link) into
# LAB_VTI_INDEX, LAB_VTI_FLAGS (",POINTOPOINT,NOARP,UP,...,"), LAB_VTI_KIND
# (vti|vti6), LAB_VTI_LOCAL, LAB_VTI_REMOTE, LAB_VTI_IKEY, LAB_VTI_OKEY
# (decimal, "" if none) and LAB_VTI_ALIAS ("" if none); fails if IFNAME is
# missing or no VTI.
lab_vti_info() {
	local line
	line=$(ip -n "$1" -o -d link show dev "$2" 2>/dev/null) || return 1
	lab__vti_parse "$line"
}

# Parse one line of "ip -o -d link" into the LAB_VTI_* variables (and
# LAB_VTI_NAME); fails if it is no VTI.
# shellcheck disable=SC2034 # the LAB_VTI_* variables are read by scenarios
lab__vti_parse() {
	local line=$1 head='^([0-9]+): ([^@:]+)[^<]*<([^>]*)>'
	local params='[\] +(vti6?) remote ([^ ]+) local ([^ ]+)'
	local keys=' ikey ([0-9.]+) okey ([0-9.]+)' alias='[\] +alias (.*)$'
	[[ $line =~ $head ]] || return 1
	LAB_VTI_INDEX=${BASH_REMATCH[1]} LAB_VTI_NAME=${BASH_REMATCH[2]}
	LAB_VTI_FLAGS=,${BASH_REMATCH[3]},
	[[ $line =~ $params ]] || return 1
	LAB_VTI_KIND=${BASH_REMATCH[1]} LAB_VTI_REMOTE=${BASH_REMATCH[2]}
	LAB_VTI_LOCAL=${BASH_REMATCH[3]} LAB_VTI_IKEY='' LAB_VTI_OKEY=''
	if [[ $line =~ $params$keys ]]; then
		lab__dotted_to_int LAB_VTI_IKEY "${BASH_REMATCH[4]}"
		lab__dotted_to_int LAB_VTI_OKEY "${BASH_REMATCH[5]}"
	fi
	LAB_VTI_ALIAS=''
	[[ $line =~ $alias ]] && LAB_VTI_ALIAS=${BASH_REMATCH[1]}
	return 0
}

# Set variable VAR to the number a dotted quad (a tunnel key as ip shows
# it) stands for, without a subshell.
lab__dotted_to_int() {
	local a b c d
	IFS=. read -r a b c d <<< "$2"
	printf -v "$1" '%u' $(( (a << 24) | (b << 16) | (c << 8) | d ))
}

# lab_vti_list HOST: print HOST's VTI devices (kinds vti and vti6, not the
# kernel's fallback devices with remote "any"), one per line, from a single
# ip call: "NAME IFINDEX IKEY OKEY LOCAL REMOTE FLAGS ALIAS" (IKEY, OKEY
# "-" if none; ALIAS, possibly with spaces, empty if none).
lab_vti_list() {
	local line
	while IFS= read -r line; do
		lab__vti_parse "$line" && [[ $LAB_VTI_REMOTE != any ]] &&
			printf '%s %s %s %s %s %s %s %s\n' "$LAB_VTI_NAME" \
				"$LAB_VTI_INDEX" "${LAB_VTI_IKEY:--}" "${LAB_VTI_OKEY:--}" \
				"$LAB_VTI_LOCAL" "$LAB_VTI_REMOTE" "$LAB_VTI_FLAGS" \
				"$LAB_VTI_ALIAS"
	done < <(ip -n "$1" -o -d link show 2>/dev/null)
	return 0
}

# lab_log_count HOST REGEX: print how many lines of HOST's charon log match
# the extended REGEX.
lab_log_count() {
	grep -Ec -- "$2" "$(lab_charon_log "$1")" 2>/dev/null || true
}

# ---------------------------------------------------------------- installed plugin
# (added for scenario 03)

# lab__plugin_dir_copy: make $LAB_RUN/installed/plugins, a copy of
# $LAB_PLUGIN_DIR with $VTI_PLUGIN as libstrongswan-vti.so (once per lab).
lab__plugin_dir_copy() {
	local inst=$LAB_RUN/installed
	[[ -d $inst/plugins ]] && return 0
	mkdir -p "$inst"
	cp -a "$LAB_PLUGIN_DIR" "$inst/plugins"
	cp "$VTI_PLUGIN" "$inst/plugins/libstrongswan-vti.so"
}

# lab_charon_start_installed HOST [VTI_SETTINGS [EXTRA_CONF]]: like
# lab_charon_start, but with the plugin installed the way an operator does
# it and no LD_PRELOAD: in charon's mount namespace a copy of
# $LAB_PLUGIN_DIR plus $VTI_PLUGIN (as libstrongswan-vti.so) is mounted
# over $LAB_PLUGIN_DIR, and a copy of /etc/strongswan.d/charon plus the
# repository's conf/vti.conf over /etc/strongswan.d/charon. HOST's
# strongswan.conf includes the stock /etc/strongswan.conf (load_modular,
# the /etc/strongswan.d tree) and then sets what the lab needs: log file,
# vici socket, install_routes = no, short retransmits.
lab_charon_start_installed() {
	local host=$1 vti_conf=${2:-} extra=${3:-} inst
	local vti_ini=${LAB_DIR:?}/../../conf/vti.conf
	inst=$LAB_RUN/installed
	mkdir -p "$LAB_RUN/$host/swanctl"
	lab_charon_running "$host" && lab_fail "charon already running in $host"
	lab_plugin_available || lab_fail "VTI_PLUGIN '${VTI_PLUGIN:-}' does not exist"
	[[ -f $vti_ini ]] || lab_fail "$vti_ini does not exist"
	lab__plugin_dir_copy
	if [[ ! -d $inst/charon.d ]]; then
		cp -a /etc/strongswan.d/charon "$inst/charon.d"
		cp "$vti_ini" "$inst/charon.d/vti.conf"
	fi
	lab__write_conf "$host" "$vti_conf" "$extra" \
		"load_modular = yes
	  install_routes = no" "include /etc/strongswan.conf"
	# Dozens of plugins to load: give it longer than lab_charon_start.
	lab__charon_spawn "$host" 60 \
		"installed plugin: $LAB_PLUGIN_DIR/libstrongswan-vti.so" \
		"mount -n --bind $inst/plugins $LAB_PLUGIN_DIR &&
		mount -n --bind $inst/charon.d /etc/strongswan.d/charon &&" \
		-u LD_PRELOAD
}

# ---------------------------------------------------------------- the system's charon
# (added for scenario 49)

# lab_charon_start_system HOST [VTI_SETTINGS [EXTRA_CONF]]: start charon in
# HOST as the system has it installed: the stock /etc/strongswan.conf tree
# (load_modular, the plugins its /etc/strongswan.d files load from the
# plugin directory), no LD_PRELOAD and nothing mounted over those
# directories. HOST's strongswan.conf includes the stock one and then sets
# what the lab needs, as with lab_charon_start_installed.
lab_charon_start_system() {
	local host=$1
	mkdir -p "$LAB_RUN/$host/swanctl"
	lab_charon_running "$host" && lab_fail "charon already running in $host"
	lab__write_conf "$host" "${2:-}" "${3:-}" \
		"load_modular = yes
	  install_routes = no" "include /etc/strongswan.conf"
	# Dozens of plugins to load: give it longer than lab_charon_start.
	lab__charon_spawn "$host" 60 "the system's charon and plugins" "" \
		-u LD_PRELOAD
}

# ---------------------------------------------------------------- install_routes unset
# (added for scenario 35)

# lab_charon_start_defaults HOST [VTI_SETTINGS [EXTRA_CONF]]: lab_charon_start without its charon.install_routes line (the setting is unset).
lab_charon_start_defaults() {
	lab__charon_start_preloaded "$1" "${2:-}" "${3:-}" "" \
		"no install_routes setting, preload"
}

# ================================================================ sites
# Two sites behind two tunnels, a routing daemon over them, captures on
# the underlay (added for the fail-closed scenarios 44, 45, 46; also used
# by 50, and BIRD's helpers by 33).

# lab_topo_sites [PEER1 PEER2]: sites a and b joined by two underlay
# links, each a switch namespace (the wire, for captures): sw1 (a: eth-sw1
# 10.9.0.1/24, b: eth-sw1 10.9.0.2/24) and sw2 (eth-sw2, 10.9.1.1/24 and
# 10.9.1.2/24); the switch ports are p-a and p-b. a's LAN is the dummy
# lan0 with 10.1.0.1/16, b's lan0 has 10.2.0.1/16. Each site's default
# route goes to the other across link 1 in clear: what is neither routed
# into a tunnel nor blackholed reaches the other site's LAN unencrypted.
# With PEER1 and PEER2, the far end of link 1 is the host PEER1 and that
# of link 2 the host PEER2 instead of b: two gateways of one site, each
# with lan0 10.2.0.1/16 and its default route to a across its own link.
lab_topo_sites() {
	local p1=${1:-b} p2=${2:-b} peers p gw
	peers=("$p1")
	[[ $p2 == "$p1" ]] || peers+=("$p2")
	lab_host a "${peers[@]}"
	lab_switch sw1
	lab_switch sw2
	lab_switch_port sw1 a 10.9.0.1/24
	lab_switch_port sw1 "$p1" 10.9.0.2/24
	lab_switch_port sw2 a 10.9.1.1/24
	lab_switch_port sw2 "$p2" 10.9.1.2/24
	lab_ip a <<-EOF
	link add lan0 type dummy
	addr add 10.1.0.1/16 dev lan0
	link set lan0 up
	route add default via 10.9.0.2
	EOF
	for p in "${peers[@]}"; do
		gw=10.9.0.1
		[[ $p == "$p1" ]] || gw=10.9.1.1
		lab_ip "$p" <<-EOF
		link add lan0 type dummy
		addr add 10.2.0.1/16 dev lan0
		link set lan0 up
		route add default via $gw
		EOF
	done
}

# lab_sites_conf: the sites' connections, written by
# lab_primary_backup_write and not loaded: "primary" (marks 15) over link
# 1, "backup" (marks 16) over link 2, 0.0.0.0/0 both ways, no MOBIKE, and
# unique = replace (a restarted peer's new IKE_SA replaces the one it
# left).
lab_sites_conf() {
	lab_primary_backup_write local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0 \
		conn_extra=$'mobike = no\n    unique = replace'
}

# lab_ping_from HOST SRC DST [COUNT]: ping DST from HOST with source
# address SRC (COUNT probes, default 3, 0.2 s apart); succeeds if all
# answers came back.
lab_ping_from() {
	local out
	out=$(lab_in "$1" ping -n -q -c "${4:-3}" -i 0.2 -W 2 -I "$2" "$3" 2>&1) ||
		{ printf '%s\n' "$out" >&2; return 1; }
	[[ $out == *" 0% packet loss"* ]] || { printf '%s\n' "$out" >&2; return 1; }
}

# lab_ping_from_start HOST SRC DST FILE [INTERVAL]: as lab_ping_start,
# with source address SRC; stop it with lab_ping_stop FILE.
lab_ping_from_start() {
	ip netns exec "$1" ping -n -i "${5:-0.05}" -I "$2" "$3" > "$4" 2>&1 &
	printf '%s\n' "$!" > "$(lab__pidfile "$4")"
	disown "$!"
}

# lab_routes_to HOST PREFIX: print HOST's routes to exactly PREFIX (main
# table), trailing blanks removed, one per line.
lab_routes_to() {
	local line
	while IFS= read -r line; do
		[[ -n $line ]] && printf '%s\n' "${line%"${line##*[! ]}"}"
	done < <(ip -n "$1" route show "$2" 2>&1)
	return 0
}

# lab_only_blackhole HOST PREFIX [METRIC]: true if HOST's one route to
# exactly PREFIX (main table) is the plugin's blackhole (protocol 165)
# with METRIC (default 4294967295).
lab_only_blackhole() {
	local re="^blackhole ${2//./\\.} proto 165 (scope [a-z]+ )?metric ${3:-4294967295}$"
	[[ $(lab_routes_to "$1" "$2") =~ $re ]]
}

# Why the last lab_holes_are failed.
LAB_WHY=''

# lab_holes_are HOST PREFIX...: true if HOST's routes with protocol 165
# (lab_proto165) are exactly one blackhole with metric 4294967295 in the
# main table for each PREFIX (none without a PREFIX); sets LAB_WHY
# otherwise.
lab_holes_are() {
	local host=$1 routes=() line p n re
	shift
	mapfile -t routes < <(lab_proto165 "$host")
	LAB_WHY="$host: the routes with proto 165 are [$(IFS=';'; printf '%s' "${routes[*]}")]"
	LAB_WHY+=", expected a blackhole for each of [$*]"
	(( ${#routes[@]} == $# )) || return 1
	for p in "$@"; do
		re="^blackhole ${p//./\\.} proto 165 (scope [a-z]+ )?metric 4294967295$"
		n=0
		for line in "${routes[@]}"; do
			[[ $line =~ $re ]] && n=$((n + 1))
		done
		(( n == 1 )) || return 1
	done
}

# lab_holes_wait WHEN HOST PREFIX...: wait (10 s) until lab_holes_are
# HOST PREFIX... holds (its blackholes are those, each once; a few
# reconcile intervals); fail with LAB_WHY and WHEN.
lab_holes_wait() {
	local when=$1
	shift
	lab_wait 10 lab_holes_are "$@" || lab_fail "$LAB_WHY ($when)"
}

# lab_route_get_blackhole HOST DST: true if "ip route get DST" in HOST
# hits a blackhole (the kernel answers "Invalid argument" to the lookup).
lab_route_get_blackhole() {
	local out
	out=$(ip -n "$1" route get "$2" 2>&1) && return 1
	[[ $out == *"Invalid argument"* ]]
}

# lab_proto165 HOST: print HOST's routes with protocol 165, IPv4 and IPv6,
# all tables, one per line (trailing blanks removed).
lab_proto165() {
	local fam line
	for fam in 4 6; do
		# (filtered by "proto 165", ip would leave the protocol out)
		while IFS= read -r line; do
			[[ $line == *" proto 165 "* ]] &&
				printf '%s\n' "${line%"${line##*[! ]}"}"
		done < <(ip -n "$1" "-$fam" route show table all 2>&1)
	done
	return 0
}

# lab_group165 HOST: print the names of HOST's interfaces in group 165
# (the plugin's devices), one per line.
lab_group165() {
	local line re='^[0-9]+: ([^@:]+)'
	while IFS= read -r line; do
		[[ $line =~ $re ]] && printf '%s\n' "${BASH_REMATCH[1]}"
	done < <(ip -n "$1" -o link show group 165 2>/dev/null)
	return 0
}

# lab_esp_delta_ok HOST SRC DST BEFORE MIN WHEN: fail unless HOST's ESP
# states SRC -> DST counted at least MIN packets more than BEFORE.
lab_esp_delta_ok() {
	local after
	after=$(lab_esp_packets "$1" "$2" "$3")
	lab_log "$1: outbound ESP $2 -> $3 $6: $4 -> $after"
	(( after - $4 >= $5 )) ||
		lab_fail "$1: the ESP SA $2 -> $3 counted $((after - $4)) packets $6, expected at least $5"
}

# ---------------------------------------------------------------- BIRD

# lab_bird_start HOST: start BIRD 2 in HOST's network namespace with the
# config the scenario wrote to $LAB_RUN/HOST/bird.conf (control socket
# bird.ctl and pid file bird.pid next to it; it should log to bird.log
# there, which lab_bird_logs keeps). BIRD forks once its config is read.
lab_bird_start() {
	local dir=$LAB_RUN/$1
	[[ -x /usr/sbin/bird && -x /usr/sbin/birdc ]] ||
		lab_fail "BIRD 2 is not installed (/usr/sbin/bird, birdc): apt-get install bird2"
	lab_in "$1" /usr/sbin/bird -c "$dir/bird.conf" -s "$dir/bird.ctl" \
		-P "$dir/bird.pid" ||
		lab_fail "$1: bird did not start: $(tail -n 5 "$dir/bird.log" 2>&1)"
	lab_log "$1: bird started"
}

# lab_birdc HOST ARGS...: ask HOST's BIRD.
lab_birdc() {
	/usr/sbin/birdc -s "$LAB_RUN/$1/bird.ctl" "${@:2}"
}

# lab_bgp_established HOST PROTOCOL: true if HOST's BIRD has the BGP
# session PROTOCOL established.
lab_bgp_established() {
	local out nl=$'\n'
	local re="(^|$nl)$2 +BGP +[^ ]+ +up .*Established"
	out=$(lab_birdc "$1" show protocols "$2" 2>&1) || return 1
	[[ $out =~ $re ]]
}

# lab_bird_logs HOST...: keep the hosts' BIRD logs in $LAB_OUT as
# HOST.bird.log. BIRD keeps running (until the lab powers off), so that
# the diagnostics after a failure still show its routes.
lab_bird_logs() {
	local h
	for h in "$@"; do
		[[ -n ${LAB_OUT:-} && -d $LAB_OUT && -e $LAB_RUN/$h/bird.log ]] &&
			cp "$LAB_RUN/$h/bird.log" "$LAB_OUT/$h.bird.log"
	done
	return 0
}

# lab_bird_bgp_head HOST ROUTER_ID: print the start of HOST's BGP
# bird.conf: its log (bird.log next to it), ROUTER_ID, lan0's prefix
# (protocol direct), BGP routes exported to the kernel, and the template
# "tunnel" of the sessions over the VTIs (direct, hold time 6 s,
# keepalive 2 s, quick reconnects, no graceful restart).
lab_bird_bgp_head() {
	cat <<-EOF
	log "$LAB_RUN/$1/bird.log" all;
	router id $2;

	protocol device {
	}

	protocol direct {
		ipv4;
		interface "lan0";
	}

	protocol kernel {
		ipv4 {
			import none;
			export where source = RTS_BGP;
		};
	}

	template bgp tunnel {
		direct;
		hold time 6;
		keepalive time 2;
		connect delay time 1;
		connect retry time 2;
		error wait time 1, 4;
		graceful restart off;
	}
	EOF
}

# lab_bird_bgp_conf HOST ROUTER_ID AS PEER_AS LAN: write the bird.conf of
# site HOST (a or b) of lab_topo_sites: lab_bird_bgp_head, then eBGP from
# AS to PEER_AS over vti15 (session t15 on 169.254.15.0/30, local
# preference 200) and vti16 (t16 on 169.254.16.0/30, 100), a at .1 and b
# at .2, announcing LAN (lan0's prefix).
lab_bird_bgp_conf() {
	local h=$1 as=$3 peer_as=$4 lan=$5 me=1 peer=2
	[[ $h == b ]] && me=2 peer=1
	{
		lab_bird_bgp_head "$h" "$2"
		cat <<-EOF

		protocol bgp t15 from tunnel {
			local 169.254.15.$me as $as;
			neighbor 169.254.15.$peer as $peer_as;
			ipv4 {
				import filter { bgp_local_pref = 200; accept; };
				export where net = $lan;
			};
		}

		protocol bgp t16 from tunnel {
			local 169.254.16.$me as $as;
			neighbor 169.254.16.$peer as $peer_as;
			ipv4 {
				import filter { bgp_local_pref = 100; accept; };
				export where net = $lan;
			};
		}
		EOF
	} > "$LAB_RUN/$h/bird.conf"
}

# lab_bird_ospf_conf HOST ROUTER_ID REMOTE_LAN: write HOST's bird.conf:
# OSPF (protocol "core", area 0) over vti15 (point-to-point, cost 10) and
# vti16 (cost 100), hello 1 s, dead 4 s, lan0 as a stub network; the OSPF
# routes to REMOTE_LAN exported to the kernel; its log in bird.log.
lab_bird_ospf_conf() {
	cat > "$LAB_RUN/$1/bird.conf" <<-EOF
	log "$LAB_RUN/$1/bird.log" all;
	router id $2;

	protocol device {
	}

	protocol kernel {
		ipv4 {
			import none;
			export where source = RTS_OSPF && net ~ [ $3 ];
		};
	}

	protocol ospf v2 core {
		debug { states, events };
		ipv4 {
			import all;
			export none;
		};
		area 0 {
			interface "vti15" {
				type ptp;
				cost 10;
				hello 1;
				dead 4;
			};
			interface "vti16" {
				type ptp;
				cost 100;
				hello 1;
				dead 4;
			};
			interface "lan0" {
				stub yes;
			};
		};
	}
	EOF
}

# lab_bird_route_via HOST PREFIX DEV: true if HOST routes exactly PREFIX
# (main table) through DEV by BIRD.
lab_bird_route_via() {
	[[ $(lab_routes_to "$1" "$2") == *" dev $3 proto bird "* ]]
}

# lab_bgp_wait PROTOCOL WHEN HOST...: wait (60 s) until each HOST's BGP
# session PROTOCOL is Established; fail naming the host, WHEN and BIRD's
# view of the session.
lab_bgp_wait() {
	local proto=$1 when=$2 h
	shift 2
	for h in "$@"; do
		LAB_POLL=1 lab_wait 60 lab_bgp_established "$h" "$proto" ||
			lab_fail "$h: BGP session $proto is not Established $when:" \
				"$(lab_birdc "$h" show protocols "$proto" 2>&1 | tr '\n' ';')"
	done
}

# lab_ospf_full HOST IFACE: true if HOST's BIRD has a Full OSPF adjacency
# (protocol "core") on IFACE.
lab_ospf_full() {
	local out
	out=$(lab_birdc "$1" show ospf neighbors core 2>&1) || return 1
	[[ $out =~ [[:space:]]Full/[A-Za-z]+[[:space:]]+[0-9.]+[[:space:]]+$2[[:space:]] ]]
}

# lab_ospf_wait IFACE WHEN HOST...: wait (60 s) until each HOST has a Full
# OSPF adjacency on IFACE (lab_ospf_full); fail naming the host, WHEN and
# BIRD's neighbours.
lab_ospf_wait() {
	local iface=$1 when=$2 h
	shift 2
	for h in "$@"; do
		LAB_POLL=1 lab_wait 60 lab_ospf_full "$h" "$iface" ||
			lab_fail "$h: no Full OSPF adjacency on $iface $when:" \
				"$(lab_birdc "$h" show ospf neighbors core 2>&1 | tr '\n' ';')"
	done
}

# ---------------------------------------------------------------- wire captures

# Filter of the wire captures: IPv4 that is neither ESP nor IKE, i.e.
# anything that crosses the underlay in clear.
LAB_CLEAR_FILTER='ip and not esp and not (udp port 500 or udp port 4500)'

# lab_cap_start SWITCH PORT: capture what crosses PORT of SWITCH in clear
# (LAB_CLEAR_FILTER) into $LAB_RUN/cap-SWITCH, in the background; returns
# once tcpdump listens.
lab_cap_start() {
	local f=$LAB_RUN/cap-$1
	: > "$f.err"
	ip netns exec "$1" tcpdump -n -l --immediate-mode -i "$2" \
		"$LAB_CLEAR_FILTER" > "$f" 2> "$f.err" &
	printf '%s\n' "$!" > "$f.pid"
	disown "$!"
	lab_wait 20 lab_file_has "$f.err" "listening on $2" ||
		lab_fail "tcpdump does not listen on $1's $2: $(< "$f.err")"
}

# lab_cap_stop SWITCH...: stop those captures and keep them in $LAB_OUT
# (cap-SWITCH).
lab_cap_stop() {
	local sw pid
	for sw in "$@"; do
		[[ -s $LAB_RUN/cap-$sw.pid ]] || continue
		read -r pid < "$LAB_RUN/cap-$sw.pid"
		kill -INT "$pid" 2>/dev/null || true
		lab_wait 5 lab__gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
		: > "$LAB_RUN/cap-$sw.pid"
		[[ -n ${LAB_OUT:-} && -d $LAB_OUT ]] &&
			cp "$LAB_RUN/cap-$sw" "$LAB_OUT/cap-$sw"
	done
	return 0
}

# lab_sites_cap_start: capture a's port (p-a) of sw1 and of sw2
# (lab_cap_start), the captures lab_sites_mark and lab_sites_no_leak read.
lab_sites_cap_start() {
	local sw
	for sw in sw1 sw2; do
		lab_cap_start "$sw" p-a
	done
}

# Marker pings sent so far (lab_sites_mark).
LAB__SITE_MARKS=0

# lab_sites_mark: a pings b's address on each underlay link once, in
# clear, with a payload size of its own; returns once the captures of
# sw1 and sw2 (lab_cap_start) show it. Whatever crossed the wire before
# is in the capture files then.
lab_sites_mark() {
	local size len sw
	LAB__SITE_MARKS=$((LAB__SITE_MARKS + 1))
	size=$((200 + LAB__SITE_MARKS))
	lab_in a ping -n -q -c 1 -W 2 -s "$size" 10.9.0.2 > /dev/null || true
	lab_in a ping -n -q -c 1 -W 2 -s "$size" 10.9.1.2 > /dev/null || true
	len="ICMP echo request, id [0-9]+, seq 1, length $((size + 8))"
	for sw in sw1 sw2; do
		lab_wait 10 grep -Eq "$len" "$LAB_RUN/cap-$sw" ||
			lab_fail "the capture on $sw does not show the marker ping of $size bytes: $(tail -n 3 "$LAB_RUN/cap-$sw.err")"
	done
}

# lab_sites_clear REGEX: print the lines of the sw1 and sw2 captures that
# match the extended REGEX, each after its switch's name.
lab_sites_clear() {
	local sw line
	for sw in sw1 sw2; do
		while IFS= read -r line; do
			[[ $line =~ $1 ]] && printf '%s: %s\n' "$sw" "$line"
		done < "$LAB_RUN/cap-$sw"
	done
	return 0
}

# Inner addresses as tcpdump prints them, with or without a port after
# them: the sites' LANs (10.1.0.0/16, 10.2.0.0/16) and the tunnels' own
# (169.254.0.0/16).
LAB_SITES_INNER_RE='(^|[ >])(10\.[12]|169\.254)\.[0-9]+\.[0-9]+[.:]'

# lab_sites_no_leak WHEN: mark the captures (lab_sites_mark), then fail
# if any packet from or to an inner address (LAB_SITES_INNER_RE) crossed
# either underlay link in clear since the captures started.
lab_sites_no_leak() {
	local leaked
	lab_sites_mark
	mapfile -t leaked < <(lab_sites_clear "$LAB_SITES_INNER_RE")
	if (( ${#leaked[@]} )); then
		printf '%s\n' "${leaked[@]}" >&2
		lab_fail "${#leaked[@]} packets of inner addresses crossed the underlay in clear ($1), the first: ${leaked[0]}"
	fi
	lab_log "nothing of the inner addresses crossed the underlay in clear ($1)"
}

# ---------------------------------------------------------------- traffic between the sites

# lab_sites_through KEY WHEN [PEER]: the tunnel with marks KEY (15 over
# link 1, 16 over link 2) carries the sites' traffic: a routes
# 10.2.0.0/16 and PEER (default b) 10.1.0.0/16 through vti<KEY> by BIRD,
# "ip route get" on a agrees, and 10.1.0.1 <-> 10.2.0.1 pings pass both
# ways, counted by a's outbound ESP SA of that tunnel.
lab_sites_through() {
	local key=$1 when=$2 peer=${3:-b} src=10.9.0.1 dst=10.9.0.2 before out
	[[ $key == 16 ]] && src=10.9.1.1 dst=10.9.1.2
	LAB_POLL=1 lab_wait 30 lab_bird_route_via a 10.2.0.0/16 "vti$key" ||
		lab_fail "a: 10.2.0.0/16 is not routed through vti$key by BIRD $when:" \
			"$(lab_routes_to a 10.2.0.0/16 | tr '\n' ';')"
	LAB_POLL=1 lab_wait 30 lab_bird_route_via "$peer" 10.1.0.0/16 "vti$key" ||
		lab_fail "$peer: 10.1.0.0/16 is not routed through vti$key by BIRD $when:" \
			"$(lab_routes_to "$peer" 10.1.0.0/16 | tr '\n' ';')"
	lab_log "a, $when: routes to 10.2.0.0/16: $(lab_routes_to a 10.2.0.0/16 | tr '\n' ';')"
	out=$(ip -n a route get 10.2.0.1 from 10.1.0.1 2>&1) || true
	[[ $out == *" dev vti$key "* ]] ||
		lab_fail "a: ip route get 10.2.0.1 says '$out' $when, expected dev vti$key"
	before=$(lab_esp_packets a "$src" "$dst")
	lab_assert "a: 10.1.0.1 -> 10.2.0.1 failed $when" \
		lab_ping_from a 10.1.0.1 10.2.0.1
	lab_assert "$peer: 10.2.0.1 -> 10.1.0.1 failed $when" \
		lab_ping_from "$peer" 10.2.0.1 10.1.0.1
	lab_esp_delta_ok a "$src" "$dst" "$before" 6 "$when"
}

# lab_sites_closed WHEN: a and b fail closed towards each other: each
# one's only route to the other's LAN is the plugin's blackhole (waits
# for BIRD to withdraw), "ip route get" hits it on both, and pings
# between the LANs fail both ways, while a's default route across link 1
# (which would carry them in clear) is still there.
lab_sites_closed() {
	local when=$1
	lab_wait 20 lab_only_blackhole a 10.2.0.0/16 ||
		lab_fail "a: 10.2.0.0/16 has other routes than the blackhole $when:" \
			"$(lab_routes_to a 10.2.0.0/16 | tr '\n' ';')"
	lab_wait 20 lab_only_blackhole b 10.1.0.0/16 ||
		lab_fail "b: 10.1.0.0/16 has other routes than the blackhole $when:" \
			"$(lab_routes_to b 10.1.0.0/16 | tr '\n' ';')"
	lab_log "a, $when: routes to 10.2.0.0/16: $(lab_routes_to a 10.2.0.0/16 | tr '\n' ';')"
	[[ -n $(ip -n a route show default via 10.9.0.2) ]] ||
		lab_fail "a: the default route across link 1 is gone $when: the checks would prove nothing"
	lab_assert "a: ip route get 10.2.0.1 does not hit the blackhole $when" \
		lab_route_get_blackhole a 10.2.0.1
	lab_assert "b: ip route get 10.1.0.1 does not hit the blackhole $when" \
		lab_route_get_blackhole b 10.1.0.1
	lab_assert_not "10.1.0.1 reaches 10.2.0.1 $when" \
		lab_ping_from a 10.1.0.1 10.2.0.1 2
	lab_assert_not "10.2.0.1 reaches 10.1.0.1 $when" \
		lab_ping_from b 10.2.0.1 10.1.0.1 2
}

# lab_bg_ping_start HOST SRC DST: ping DST from HOST's address SRC every
# 0.3 s in the background (lab_ping_from_start), into
# $LAB_RUN/HOST/bg-ping.
lab_bg_ping_start() {
	lab_ping_from_start "$1" "$2" "$3" "$LAB_RUN/$1/bg-ping" 0.3
}

# lab_bg_ping_stop WHEN HOST...: stop each HOST's lab_bg_ping_start ping;
# fail if one died, log what each sent and received across WHEN.
lab_bg_ping_stop() {
	local when=$1 h sent
	shift
	for h in "$@"; do
		sent=$(lab_ping_stop "$LAB_RUN/$h/bg-ping") ||
			lab_fail "$h: the background ping died: $(tail -n 3 "$LAB_RUN/$h/bg-ping")"
		lab_log "$h: background ping across $when: sent, received: $sent"
	done
}

# ---------------------------------------------------------------- many tunnels
# (added for the fault scenarios 40, 41)

# lab_pair_addrs N: N more address pairs on the veth of lab_topo_pair, one
# per tunnel: 10.10.I.1/24 on a's eth-b, 10.10.I.2/24 on b's eth-a, for
# I = 1..N (at most 254). One ip process per host.
lab_pair_addrs() {
	local i cmds_a='' cmds_b=''
	(( $1 >= 1 && $1 <= 254 )) || lab_fail "lab_pair_addrs: bad count '$1'"
	for (( i = 1; i <= $1; i++ )); do
		cmds_a+="addr add 10.10.$i.1/24 dev eth-b"$'\n'
		cmds_b+="addr add 10.10.$i.2/24 dev eth-a"$'\n'
	done
	lab_ip a <<< "$cmds_a"
	lab_ip b <<< "$cmds_b"
}

# lab_child_states HOST: print "NAME STATE" for each CHILD_SA of HOST
# (INSTALLED, REKEYING, REKEYED, DELETING, ...), one per line; one swanctl
# call.
lab_child_states() {
	local line re='^ +([^ :]+): #[0-9]+, reqid [0-9]+, ([A-Z_]+),'
	while IFS= read -r line; do
		[[ $line =~ $re ]] &&
			printf '%s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
	done < <(lab_swanctl "$1" --list-sas 2>/dev/null)
	return 0
}

# lab_no_sas HOST: true if HOST's charon has no IKE_SA at all.
lab_no_sas() {
	local out
	out=$(lab_swanctl "$1" --list-sas 2>/dev/null) || return 1
	[[ -z $out ]]
}

# lab_charon_responsive HOST: true if HOST's charon answers swanctl --stats
# within 10 s and has at least one idle worker thread; prints the line
# about its worker threads.
lab_charon_responsive() {
	local out line re='^worker threads: ([0-9]+) total, ([0-9]+) idle'
	out=$(timeout 10 env STRONGSWAN_CONF="$(lab_conf "$1")" \
		SWANCTL_DIR="$LAB_RUN/$1/swanctl" swanctl --stats 2>&1) || {
		printf '%s: swanctl --stats got no answer: %s\n' "$1" "$out"
		return 1
	}
	while IFS= read -r line; do
		if [[ $line =~ $re ]]; then
			printf '%s: %s\n' "$1" "$line"
			(( BASH_REMATCH[2] > 0 ))
			return
		fi
	done <<< "$out"
	printf '%s: no worker thread line in swanctl --stats\n' "$1"
	return 1
}

# lab_log_memory WHEN: log the lab kernel's available memory (no process).
lab_log_memory() {
	local key value
	while read -r key value _; do
		[[ $key == MemAvailable: ]] && lab_log "$1: $value kB available"
	done < /proc/meminfo
	return 0
}
