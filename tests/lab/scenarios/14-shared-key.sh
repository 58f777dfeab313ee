# shellcheck shell=bash
# Two CHILD_SAs of one connection share key 15 (mark_in = mark_out = 15,
# different traffic selectors): they share one vti15. It comes up with the
# first, is left alone (not one netlink link event, as ip monitor records)
# while the other child is terminated, and goes down with the last one.

lab_require_plugin

# conf FILE LOCAL REMOTE NET1_LOCAL NET1_REMOTE NET2_LOCAL NET2_REMOTE:
# a swanctl.conf for connection 'lab' with children child1 and child2,
# both with mark_in = mark_out = 15.
conf() {
	local file=$1 local=$2 remote=$3 c
	local -A lts=([child1]=$4 [child2]=$6) rts=([child1]=$5 [child2]=$7)
	{
		printf 'connections {\n  lab {\n    version = 2\n'
		printf '    local_addrs = %s\n    remote_addrs = %s\n' "$local" "$remote"
		printf '    proposals = aes128-sha256-modp2048\n    dpd_delay = 0\n'
		printf '    local {\n      auth = psk\n      id = %s\n    }\n' "$local"
		printf '    remote {\n      auth = psk\n      id = %s\n    }\n' "$remote"
		printf '    children {\n'
		for c in child1 child2; do
			printf '      %s {\n' "$c"
			printf '        local_ts = %s\n        remote_ts = %s\n' \
				"${lts[$c]}" "${rts[$c]}"
			printf '        esp_proposals = aes128gcm16\n'
			printf '        mark_in = 15\n        mark_out = 15\n      }\n'
		done
		printf '    }\n  }\n}\n'
		printf 'secrets {\n  ike-lab {\n    id-1 = %s\n    id-2 = %s\n' \
			"$local" "$remote"
		printf '    secret = "lab-secret-0123456789"\n  }\n}\n'
	} > "$file"
}

lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done
conf "$LAB_RUN/a/swanctl.conf" 10.9.0.1 10.9.0.2 \
	10.1.0.0/16 10.2.0.0/16 10.3.0.0/16 10.4.0.0/16
conf "$LAB_RUN/b/swanctl.conf" 10.9.0.2 10.9.0.1 \
	10.2.0.0/16 10.1.0.0/16 10.4.0.0/16 10.3.0.0/16
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_load_conf b "$LAB_RUN/b/swanctl.conf"

# children_are HOST STATE...: HOST's CHILD_SAs child1 and child2 are in
# the given states (one swanctl call): "up" (INSTALLED) or "gone".
children_are() {
	local host=$1 sas c
	shift
	sas=$(lab_swanctl "$host" --list-sas 2>/dev/null) || return 1
	for c in child1 child2; do
		if [[ $sas =~ (^|$'\n')\ +$c:\ #[0-9]+,\ reqid\ [0-9]+,\ INSTALLED ]]; then
			[[ $1 == up ]] || return 1
		else
			[[ $1 == gone ]] || return 1
		fi
		shift
	done
}

lab_log "initiating child1 and child2 from a"
lab_assert "a could not initiate child1" lab_initiate a child1
lab_assert "a could not initiate child2" lab_initiate a child2
for h in a b; do
	lab_assert "$h: child1 and child2 are not both INSTALLED" \
		lab_wait 10 children_are "$h" up up
	lab_assert "$h: vti15 is not admin up with both children installed" \
		lab_wait 10 lab_link_up "$h" vti15
	lab_assert "$h: no log line of the second child joining vti15" \
		lab_wait 5 lab_log_has "$h" \
		"vti: vti15 stays up: CHILD_SA child[12]\{[0-9]+\} of 'lab' joins"
done
(( $(grep -c 'vti: vti15 up ' "$(lab_charon_log a)") == 1 )) ||
	lab_fail "a: vti15 was brought up more than once for two children"

# Record link events on both hosts (lab_monitor_start returns once its
# recorder is live).
for h in a b; do
	lab_monitor_start "$h" "$LAB_RUN/$h/links.txt"
done

lab_log "terminating child1 from a"
lab_swanctl a --terminate --child child1 --timeout 30 > /dev/null
for h in a b; do
	lab_assert "$h: after child1's termination, not child1 gone and child2 INSTALLED" \
		lab_wait 10 children_are "$h" gone up
	lab_assert "$h: no log line of vti15 staying up as child1 went" \
		lab_wait 5 lab_log_has "$h" \
		'vti: vti15 stays up: CHILD_SA \{[0-9]+\} gone'
	lab_assert "$h: vti15 is not admin up after child1 went (child2 holds key 15)" \
		lab_link_up "$h" vti15
	# A marker event after the termination: the recorder has caught up.
	lab_assert "$h: the link monitor stopped recording" \
		lab_monitor_mark "$h" "$LAB_RUN/$h/links.txt"
	if lab_file_has "$LAB_RUN/$h/links.txt" vti15; then
		lab_fail "$h: vti15 changed while child1 went:" \
			"$(grep -m 3 vti15 "$LAB_RUN/$h/links.txt")"
	fi
	lab_assert_not "$h: vti15 went down while child1 went" \
		lab_log_has "$h" 'vti: vti15 down'
done

lab_log "terminating child2 from a"
lab_swanctl a --terminate --child child2 --timeout 30 > /dev/null
for h in a b; do
	lab_assert "$h: child2 still INSTALLED after its termination" \
		lab_wait 10 children_are "$h" gone gone
	lab_assert "$h: vti15 is not admin down after the last child went" \
		lab_wait 10 lab_link_down "$h" vti15
	lab_assert "$h: no 'vti: vti15 down' log line after the last child went" \
		lab_wait 5 lab_log_has "$h" \
		'vti: vti15 down: '
	# The same recorder sees vti15 now: it would have seen a change before.
	lab_assert "$h: the link monitor did not record vti15 going down" \
		lab_wait 10 lab_file_has "$LAB_RUN/$h/links.txt" ' vti15@'
	lab_assert "$h: the link monitor stopped recording" \
		lab_monitor_stop "$h" "$LAB_RUN/$h/links.txt"
done
