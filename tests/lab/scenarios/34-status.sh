# shellcheck shell=bash
# src/tools/vti-status lists the plugin's VTIs as an operator sees them.
# a <-> b have two children: net (mark 15, 0.0.0.0/0) and net16 (mark 16,
# 10.16.1.0/24 <-> 10.16.2.0/24), which the plugin refuses a VTI (the
# kernel allows one VTI per pair of endpoints). a also has a VTI made by
# hand (vti99, key 99, no ifalias of ours). With both children INSTALLED,
# "vti-status -n a" prints its header and exactly one line:
#   vti15 up 15 10.9.0.1 10.9.0.2 lab/net 1 1446 ? ? ?
# (net16's SA is not counted: its mark is 16; vti99 is not listed; a's
# charon writes no status file where vti-status looks, so the SAs are
# counted from swanctl --list-sas and up since, last change and reason
# are "?"). After the IKE_SA is terminated: vti15 down ... lab/net 0 1446.

lab_require_plugin

status_cmd=${LAB_DIR:?}/../../src/tools/vti-status
[[ -x $status_cmd ]] || lab_fail "$status_cmd is missing or not executable"

lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done
ts=(local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0)
lab_psk_conf "$LAB_RUN/a/1.conf" 10.9.0.1 10.9.0.2 mark_in=15 mark_out=15 "${ts[@]}"
lab_psk_conf "$LAB_RUN/a/2.conf" 10.9.0.1 10.9.0.2 child=net16 mark_in=16 \
	mark_out=16 local_ts=10.16.1.0/24 remote_ts=10.16.2.0/24
lab_psk_conf "$LAB_RUN/b/1.conf" 10.9.0.2 10.9.0.1 mark_in=15 mark_out=15 "${ts[@]}"
lab_psk_conf "$LAB_RUN/b/2.conf" 10.9.0.2 10.9.0.1 child=net16 mark_in=16 \
	mark_out=16 local_ts=10.16.2.0/24 remote_ts=10.16.1.0/24
for h in a b; do
	cat "$LAB_RUN/$h/1.conf" "$LAB_RUN/$h/2.conf" > "$LAB_RUN/$h/swanctl.conf"
	lab_load_conf "$h" "$LAB_RUN/$h/swanctl.conf"
done

# A foreign VTI, not the plugin's.
lab_ip a <<-EOF
link add vti99 type vti key 99 local 10.9.0.1 remote 10.9.0.99
link set vti99 up
EOF

# sa_gone HOST CHILD: HOST has no INSTALLED CHILD_SA named CHILD.
sa_gone() {
	! lab_sa_up "$1" "$2"
}

# status WHEN: run vti-status -n a (swanctl in it finds a's charon through
# STRONGSWAN_CONF); print its output.
status() {
	local out
	out=$(STRONGSWAN_CONF=$(lab_conf a) "$status_cmd" -n a 2>&1) ||
		lab_fail "vti-status -n a failed $1: $out"
	printf '%s\n' "$out"
}

# expect_status WHEN FIELD...: vti-status -n a prints the header and one
# line with exactly FIELDs.
expect_status() {
	local when=$1 out lines head=() row=()
	shift
	out=$(status "$when")
	lab_log "vti-status -n a $when:"
	printf '%s\n' "$out"
	mapfile -t lines <<< "$out"
	(( ${#lines[@]} == 2 )) ||
		lab_fail "vti-status -n a printed ${#lines[@]} lines $when, expected a header and vti15"
	read -r -a head <<< "${lines[0]}"
	[[ ${head[*]} == "NAME KIND STATE KEY LOCAL REMOTE CONNECTION/CHILD SAS MTU UP CHANGED REASON" ]] ||
		lab_fail "vti-status -n a: unexpected header $when: '${lines[0]}'"
	read -r -a row <<< "${lines[1]}"
	[[ ${row[*]} == "$*" ]] ||
		lab_fail "vti-status -n a $when: line '${row[*]}', expected '$*'"
	[[ $out != *vti99* && $out != *vti16* ]] ||
		lab_fail "vti-status -n a lists a device that is not the plugin's $when"
}

lab_log "net (key 15) and net16 (key 16, refused) up"
lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
lab_assert "a: vti15 is not up" lab_wait 10 lab_link_up a vti15
lab_assert "a could not initiate CHILD_SA 'net16'" lab_initiate a net16
lab_assert "a: no line saying net16 gets no VTI" lab_wait 10 lab_log_has a \
	"vti: CHILD_SA net16\\{[0-9]+\\} of 'lab' gets no VTI yet: vti15 "
lab_assert "a: CHILD_SA net is not INSTALLED" lab_sa_up a net
lab_assert "a: CHILD_SA net16 is not INSTALLED" lab_sa_up a net16
lab_assert_not "a: vti16 exists" lab_has_link a vti16
lab_assert "a: the hand-made vti99 is gone" lab_has_link a vti99
expect_status "with net and net16 up" vti15 vti up 15 10.9.0.1 10.9.0.2 lab/net 1 1446 \
	'?' '?' '?'

lab_log "terminate"
lab_swanctl a --terminate --ike lab --timeout 30 > /dev/null
lab_assert "a: vti15 is not admin down after terminate" lab_wait 10 lab_link_down a vti15
lab_assert "a: CHILD_SA net is still INSTALLED after terminate" \
	lab_wait 10 sa_gone a net
expect_status "after terminate" vti15 vti down 15 10.9.0.1 10.9.0.2 lab/net 0 1446 \
	'?' '?' '?'
