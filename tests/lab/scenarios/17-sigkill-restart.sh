# shellcheck shell=bash
# A crash and a restart: with the tunnel a <-> b up on vti15, a's charon
# is SIGKILLed; vti15 stays behind on a (nobody cleaned up). The restarted
# charon sets it admin down at once, before any SA exists ("set down: left
# by an earlier run"), and when the tunnel comes back it reuses that very
# device (same ifindex, not recreated, no second VTI with key 15): vti15
# is up again and carries an inner ping.

lab_require_plugin

lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done
lab_psk_conf "$LAB_RUN/a/swanctl.conf" 10.9.0.1 10.9.0.2 mark_in=15 \
	mark_out=15 local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0
lab_psk_conf "$LAB_RUN/b/swanctl.conf" 10.9.0.2 10.9.0.1 mark_in=15 \
	mark_out=15 local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_load_conf b "$LAB_RUN/b/swanctl.conf"

lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
for h in a b; do
	lab_assert "$h: vti15 is not up" lab_wait 10 lab_link_up "$h" vti15
done
lab_inner_pair vti15 192.168.15
lab_assert "a -> b over vti15 failed before the crash" lab_ping a 192.168.15.2 1
lab_vti_info a vti15
index=$LAB_VTI_INDEX
lab_log "a: vti15 is index $index, alias '$LAB_VTI_ALIAS'"

lab_log "SIGKILL a's charon"
lab_charon_kill a
lab_vti_info a vti15 || lab_fail "a: vti15 vanished with the killed charon"
[[ $LAB_VTI_INDEX == "$index" && $LAB_VTI_FLAGS == *,UP,* ]] ||
	lab_fail "a: vti15 changed although nobody was left to touch it:" \
		"index $LAB_VTI_INDEX (was $index), flags $LAB_VTI_FLAGS"

lab_log "restart a's charon"
# lab_charon_start waits for the vici socket: drop the dead charon's.
rm -f "$LAB_RUN/a/charon.vici"
lab_charon_start a
# The plugin sets stale devices down while it loads; its log line may come
# just after the vici socket.
lab_assert "a: no 'vti15 (lab/net) set down: left by an earlier run' line" \
	lab_wait 10 lab_log_has a \
	'vti: vti15 \(lab/net\) set down: left by an earlier run'
sas=$(lab_swanctl a --list-sas)
[[ -z $sas ]] || lab_fail "a has SAs right after the restart: $sas"
lab_vti_info a vti15 || lab_fail "a: vti15 is gone after the restart"
[[ $LAB_VTI_FLAGS != *,UP,* ]] ||
	lab_fail "a: vti15 ($LAB_VTI_FLAGS) is still up after the restart, before any SA"
[[ $LAB_VTI_INDEX == "$index" ]] ||
	lab_fail "a: vti15 has index $LAB_VTI_INDEX after the restart, was $index"

lab_log "a initiates again"
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_assert "a could not initiate CHILD_SA 'net' after the restart" \
	lab_initiate a net
lab_assert "a: vti15 is not up after the tunnel came back" \
	lab_wait 10 lab_link_up a vti15
lab_vti_info a vti15
[[ $LAB_VTI_INDEX == "$index" ]] ||
	lab_fail "a: vti15 was recreated (index $LAB_VTI_INDEX, was $index)"
[[ $LAB_VTI_IKEY == 15 && $LAB_VTI_OKEY == 15 && $LAB_VTI_LOCAL == 10.9.0.1 &&
	$LAB_VTI_REMOTE == 10.9.0.2 && $LAB_VTI_ALIAS == "strongswan-vti lab/net" ]] ||
	lab_fail "a: vti15 is not as it should be: key $LAB_VTI_IKEY/$LAB_VTI_OKEY," \
		"$LAB_VTI_LOCAL -> $LAB_VTI_REMOTE, alias '$LAB_VTI_ALIAS'"
mapfile -t vtis < <(lab_vti_list a)
(( ${#vtis[@]} == 1 )) || lab_fail "a has ${#vtis[@]} VTIs, expected vti15 alone: ${vtis[*]}"
after=$(lab_log_count a 'vti: vti15 up \(key 15, 10\.9\.0\.1 === 10\.9\.0\.2\)')
(( after == 2 )) ||
	lab_fail "a: $after 'vti: vti15 up' log lines over both runs, expected 2"
lab_assert_not "a: the plugin refused or failed on vti15 after the restart" \
	lab_log_has a 'vti: .*(gets no VTI|failed)'

# No address is added again: the IPv4 address stayed on the reused device.
lab_assert "a -> b over vti15 failed after the restart" lab_ping a 192.168.15.2
lab_assert "b -> a over vti15 failed after the restart" lab_ping b 192.168.15.1
