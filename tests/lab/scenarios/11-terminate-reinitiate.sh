# shellcheck shell=bash
# Terminating a tunnel sets its VTI admin down on both hosts, without
# deleting it; initiating again brings the same device (same ifindex) up
# again. Both directions: terminate and re-initiate from a, then from b.

lab_require_plugin

lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done
lab_pair_conf mark_in=15 mark_out=15

# both_up WHY: the SA is INSTALLED on both hosts and vti15 admin up on both.
both_up() {
	local h
	for h in a b; do
		lab_assert "$h: no INSTALLED CHILD_SA 'net' $1" lab_wait 10 lab_sa_up "$h" net
		lab_assert "$h: vti15 is not admin up $1" lab_wait 10 lab_link_up "$h" vti15
	done
}

# both_down WHY: no SA left on either host and vti15 still there, admin
# down, on both.
both_down() {
	local h
	for h in a b; do
		lab_assert "$h: CHILD_SA 'net' still INSTALLED $1" \
			lab_wait 10 sa_gone "$h"
		lab_assert "$h: vti15 is not admin down (or is gone) $1" \
			lab_wait 10 lab_link_down "$h" vti15
	done
}

# sa_gone HOST: HOST has no INSTALLED CHILD_SA 'net'.
sa_gone() {
	! lab_sa_up "$1" net
}

# log_count HOST REGEX: number of lines of HOST's charon log matching REGEX.
log_count() {
	grep -Ec -- "$2" "$(lab_charon_log "$1")" || true
}

# counts_are HOST UPS DOWNS: HOST's log has UPS "vti15 up" and DOWNS
# "vti15 down" lines.
counts_are() {
	ups=$(log_count "$1" 'vti: vti15 up \(key 15, ')
	downs=$(log_count "$1" 'vti: vti15 down: ')
	(( ups == $2 && downs == $3 ))
}

# check_log_counts WHEN UPS DOWNS: counts_are on a and b (the line may
# trail the device change by a moment).
check_log_counts() {
	local h ups downs
	for h in a b; do
		lab_wait 5 counts_are "$h" "$2" "$3" ||
			lab_fail "$h: $1: expected $2 'vti: vti15 up' and $3 'vti: vti15 down' log lines, found $ups and $downs"
	done
}

# same_devices WHEN: vti15 has the ifindex noted at first on both hosts.
same_devices() {
	local now_a now_b
	now_a=$(lab_ifindex a vti15)
	now_b=$(lab_ifindex b vti15)
	[[ $now_a == "$idx_a" && $now_b == "$idx_b" ]] ||
		lab_fail "vti15 was re-created $1: ifindex a $now_a (was $idx_a), b $now_b (was $idx_b)"
}

lab_log "initiating from a"
lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
both_up "after the first initiate"
idx_a=$(lab_ifindex a vti15)
idx_b=$(lab_ifindex b vti15)
lab_log "vti15 ifindex: a $idx_a, b $idx_b"

lab_log "terminating from a"
lab_swanctl a --terminate --ike lab --timeout 30 > /dev/null
both_down "after a terminated the IKE_SA"
check_log_counts "after a terminated" 1 1

lab_log "initiating from a again"
lab_assert "a could not initiate CHILD_SA 'net' again" lab_initiate a net
both_up "after initiating again from a"
same_devices "after initiating again from a"
check_log_counts "after a initiated again" 2 1

lab_log "terminating from b"
lab_swanctl b --terminate --ike lab --timeout 30 > /dev/null
both_down "after b terminated the IKE_SA"
check_log_counts "after b terminated" 2 2

lab_log "initiating from b"
lab_assert "b could not initiate CHILD_SA 'net'" lab_initiate b net
both_up "after initiating from b"
same_devices "after initiating from b"
check_log_counts "after b initiated" 3 2
