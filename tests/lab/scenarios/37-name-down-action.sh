# shellcheck shell=bash
# Per-connection settings for the name and the down action: a's child gets
# "name = ipsec-%k" and "down_action = delete" in charon.plugins.vti's
# connections.lab section, b keeps the defaults. Up: a has ipsec-15 (key 15,
# our alias) and no vti15, b has vti15. Terminate: a's device is deleted
# (log "removed"), b's vti15 stays, admin down. Up again: a's ipsec-15 is
# back (a new device), pings pass.

lab_require_plugin

lab_topo_pair
lab_charon_start a 'connections {
	lab {
		children {
			net {
				name = ipsec-%k
			}
		}
		down_action = delete
	}
}'
lab_charon_start b
lab_pair_conf mark_in=15 mark_out=15

# up_and_ping: bring the tunnel up from a and ping through it
up_and_ping() {
	lab_assert "a could not initiate" lab_initiate a net
	lab_assert "a has no ipsec-15 up" lab_wait 10 lab_link_up a ipsec-15
	lab_assert "b has no vti15 up" lab_wait 10 lab_link_up b vti15
	lab_vti_info a ipsec-15
	[[ $LAB_VTI_IKEY == 15 && $LAB_VTI_OKEY == 15 ]] ||
		lab_fail "a: ipsec-15 has keys $LAB_VTI_IKEY/$LAB_VTI_OKEY, expected 15/15"
	[[ $LAB_VTI_ALIAS == "strongswan-vti lab/net" ]] ||
		lab_fail "a: ipsec-15 has alias '$LAB_VTI_ALIAS'"
	lab_assert_not "a has a vti15 next to ipsec-15" lab_has_link a vti15
	lab_ip a <<-EOT
	addr replace 192.168.15.1/30 dev ipsec-15
	EOT
	lab_ip b <<-EOT
	addr replace 192.168.15.2/30 dev vti15
	EOT
	lab_assert "ping a -> b through ipsec-15 failed" lab_ping a 192.168.15.2
}

lab_log "up: a's device is named by its connection's template"
up_and_ping
first=$(lab_ifindex a ipsec-15)

lab_log "terminate: a deletes its device, b sets vti15 down"
lab_swanctl a --terminate --ike lab > /dev/null
lab_assert "a: ipsec-15 was not deleted" \
	lab_wait 10 eval '! lab_has_link a ipsec-15'
lab_assert "a: no 'vti: ipsec-15 removed' line" lab_log_has a 'vti: ipsec-15 removed: '
lab_assert "b: vti15 is not down" lab_wait 10 lab_link_down b vti15

lab_log "up again: a gets a new ipsec-15"
up_and_ping
second=$(lab_ifindex a ipsec-15)
[[ $first != "$second" ]] ||
	lab_fail "a: ipsec-15 kept ifindex $first: it was not deleted and made anew"
