# shellcheck shell=bash
# When charon stops (SIGTERM) with keep_protection = no, the plugin
# deletes the VTIs it manages; with keep_devices = yes it keeps them, admin
# down (scenario 47 shows the default, keep_protection = yes). Each stop
# happens with the tunnel up, so both outcomes come from the shutdown
# itself.

lab_require_plugin

lab_topo_pair
lab_charon_start a 'keep_protection = no'
lab_charon_start b 'keep_devices = yes'
lab_pair_conf mark_in=15 mark_out=15

# tunnel_up WHY: initiate from a; the SA and vti15 are up on both hosts.
tunnel_up() {
	local h
	lab_assert "a could not initiate CHILD_SA 'net' $1" lab_initiate a net
	for h in a b; do
		lab_assert "$h: no INSTALLED CHILD_SA 'net' $1" lab_wait 10 lab_sa_up "$h" net
		lab_assert "$h: vti15 is not admin up $1" lab_wait 10 lab_link_up "$h" vti15
	done
}

lab_log "tunnel up, then stopping charon in a (default settings)"
tunnel_up "at first"
lab_charon_stop a 30
lab_assert_not "a: vti15 still exists after charon stopped" lab_has_link a vti15
lab_assert "a: no 'vti15 (lab/net) deleted: charon stops' log line" \
	lab_log_has a 'vti: vti15 \(lab/net\) deleted: charon stops'

# b's vti15 may go down as a's charon deletes the IKE_SA on its way out;
# either way it stays: b's charon still runs.
lab_assert "b: vti15 is gone though b's charon runs" lab_has_link b vti15

lab_log "restarting charon in a; tunnel up again"
# The stopped charon left its vici socket file: lab_charon_start would
# take it for the new charon's.
rm -f "$LAB_RUN/a/charon.vici"
lab_charon_start a 'keep_protection = no'
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
tunnel_up "after a's restart"
idx_b=$(lab_ifindex b vti15)

lab_log "stopping charon in b (keep_devices = yes)"
lab_charon_stop b 30
lab_assert "b: vti15 is gone after charon stopped with keep_devices = yes" \
	lab_has_link b vti15
lab_assert "b: vti15 is not admin down after charon stopped with keep_devices = yes" \
	lab_link_down b vti15
[[ $(lab_ifindex b vti15) == "$idx_b" ]] ||
	lab_fail "b: vti15 was re-created on the way out (ifindex $(lab_ifindex b vti15), was $idx_b)"
lab_assert "b: no 'vti15 (lab/net) set down: charon stops, keep_devices is set' log line" \
	lab_log_has b 'vti: vti15 \(lab/net\) set down: charon stops'
lab_assert_not "b: the log says vti15 was deleted, with keep_devices = yes" \
	lab_log_has b 'vti: vti15 .*deleted'
