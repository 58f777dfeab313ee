# shellcheck shell=bash
# Devices the plugin does not own stay untouched. Case 1: an administrator's
# vti15 (key 15, a -> b, no ifalias, own address, up) exists before charon
# starts; the tunnel with marks 15 comes up (SA INSTALLED) and goes down:
# the plugin logs that vti15 is not managed by strongswan-vti and leaves it
# alone throughout (same ifindex, no ifalias, still up, address kept), also
# when charon stops. Case 2: a foreign "myvti" with key 15 and the same
# endpoints: the plugin refuses with a line naming myvti, creates no vti15
# and leaves myvti alone. Case 3, for contrast: a device of the plugin's own
# between the same endpoints, as a crashed run with another name setting
# leaves it (vtiold, key 99, group 165, alias "strongswan-vti lab/net"): it
# is set down at load and kept (its owner is configured), and when the
# tunnel comes up the plugin deletes it with one line and makes vti15.

lab_require_plugin

lab_topo_pair
lab_psk_conf "$LAB_RUN/a/swanctl.conf" 10.9.0.1 10.9.0.2 mark_in=15 \
	mark_out=15 local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0
lab_psk_conf "$LAB_RUN/b/swanctl.conf" 10.9.0.2 10.9.0.1 mark_in=15 \
	mark_out=15 local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0

# foreign IFNAME: make an administrator's VTI on a: key 15, a -> b, an
# address of its own, up, no ifalias. Sets index to its ifindex.
foreign() {
	lab_ip a <<-EOF
	link add $1 type vti key 15 local 10.9.0.1 remote 10.9.0.2
	addr add 192.168.99.1/32 dev $1
	link set $1 up
	EOF
	lab_vti_info a "$1" || lab_fail "a: could not make $1"
	index=$LAB_VTI_INDEX
}

# untouched IFNAME WHEN: fail unless a's IFNAME is as foreign made it.
untouched() {
	local addrs nopolicy
	lab_vti_info a "$1" || lab_fail "a: $1 is gone $2"
	[[ $LAB_VTI_INDEX == "$index" ]] ||
		lab_fail "a: $1 was recreated $2 (index $LAB_VTI_INDEX, was $index)"
	[[ -z $LAB_VTI_ALIAS ]] || lab_fail "a: $1 got ifalias '$LAB_VTI_ALIAS' $2"
	[[ $LAB_VTI_FLAGS == *,UP,* ]] || lab_fail "a: $1 is not up $2 ($LAB_VTI_FLAGS)"
	[[ $LAB_VTI_IKEY == 15 && $LAB_VTI_OKEY == 15 && $LAB_VTI_LOCAL == 10.9.0.1 &&
		$LAB_VTI_REMOTE == 10.9.0.2 ]] ||
		lab_fail "a: $1 changed $2: key $LAB_VTI_IKEY/$LAB_VTI_OKEY," \
			"$LAB_VTI_LOCAL -> $LAB_VTI_REMOTE"
	addrs=$(ip -n a -o -4 addr show dev "$1")
	[[ $addrs == *" 192.168.99.1/32 "* ]] ||
		lab_fail "a: $1 lost its address 192.168.99.1/32 $2: $addrs"
	nopolicy=$(lab_in a cat "/proc/sys/net/ipv4/conf/$1/disable_policy")
	[[ $nopolicy == 0 ]] || lab_fail "a: $1 got disable_policy $nopolicy $2"
	lab_log "a: $1 untouched $2"
}

# tunnel_up: bring the tunnel up from a: the plugin must not keep the SA
# from being INSTALLED on both sides.
tunnel_up() {
	lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
	lab_assert "a has no INSTALLED CHILD_SA 'net'" lab_sa_up a net
	lab_assert "b has no INSTALLED CHILD_SA 'net'" lab_wait 10 lab_sa_up b net
}

# tunnel_down: terminate the tunnel from a.
tunnel_down() {
	lab_assert "a could not terminate" \
		lab_swanctl a --terminate --ike lab --timeout 30 > /dev/null
	lab_assert "a: CHILD_SA 'net' still up after terminate" \
		lab_wait 10 sa_gone a net
}

# sa_gone HOST CHILD: true if HOST has no INSTALLED CHILD_SA named CHILD.
sa_gone() {
	! lab_sa_up "$1" "$2"
}

lab_log "case 1: an administrator's vti15 exists before charon starts"
foreign vti15
for h in a b; do
	lab_charon_start "$h"
	lab_load_conf "$h" "$LAB_RUN/$h/swanctl.conf"
done
untouched vti15 "after charon started"
tunnel_up
lab_assert "a: no 'gets no VTI: interface vti15 exists and is not managed by strongswan-vti' line" \
	lab_wait 10 lab_log_has a \
	'vti: lab/net gets no VTI: interface vti15 exists and is not managed by strongswan-vti'
untouched vti15 "with the tunnel up"
tunnel_down
untouched vti15 "after the tunnel went down"
mapfile -t vtis < <(lab_vti_list a)
(( ${#vtis[@]} == 1 )) || lab_fail "a has VTIs besides vti15: ${vtis[*]}"
c=$(lab_log_count a 'vti: .*vti15')
(( c == 1 )) || lab_fail "a: $c plugin lines name vti15, expected the one refusal"
lab_charon_stop a
untouched vti15 "after charon stopped"

lab_log "case 2: an administrator's myvti with key 15 and the same endpoints"
ip -n a link del vti15
foreign myvti
# lab_charon_start waits for the vici socket: drop the old charon's.
rm -f "$LAB_RUN/a/charon.vici"
lab_charon_start a
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
tunnel_up
lab_assert "a: no line saying myvti, not managed by strongswan-vti, holds 10.9.0.1 === 10.9.0.2 with key 15" \
	lab_wait 10 lab_log_has a \
	'vti: lab/net gets no VTI: interface myvti, not managed by strongswan-vti, runs between 10\.9\.0\.1 === 10\.9\.0\.2 already \(key 15\)'
lab_assert_not "a: the plugin made vti15 next to myvti" lab_has_link a vti15
untouched myvti "with the tunnel up"
mapfile -t vtis < <(lab_vti_list a)
(( ${#vtis[@]} == 1 )) || lab_fail "a has VTIs besides myvti: ${vtis[*]}"
tunnel_down
untouched myvti "after the tunnel went down"
lab_charon_stop a
untouched myvti "after charon stopped"
lab_assert_not "a: vti15 exists after charon stopped" lab_has_link a vti15

lab_log "case 3: a device of ours left between the same endpoints"
ip -n a link del myvti
lab_ip a <<-EOF
link add vtiold type vti key 99 local 10.9.0.1 remote 10.9.0.2
link set vtiold group 165 alias "strongswan-vti lab/net"
link set vtiold up
EOF
rm -f "$LAB_RUN/a/charon.vici"
lab_charon_start a
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_assert "a: vtiold was deleted at load, though its owner is configured" \
	lab_has_link a vtiold
tunnel_up
lab_assert "a: vti15 did not come up in vtiold's place" \
	lab_wait 10 lab_link_up a vti15
lab_assert_not "a: vtiold still exists beside vti15" lab_has_link a vtiold
lab_assert "a: no line saying vtiold, left by an earlier run, was removed for lab/net" \
	lab_log_has a \
	'vti: vtiold \(lab/net\), down, removed: left by an earlier run, lab/net wants its endpoints 10\.9\.0\.1 === 10\.9\.0\.2'
tunnel_down
lab_charon_stop a
