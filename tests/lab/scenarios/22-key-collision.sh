# shellcheck shell=bash
# One key, two peers: the hub's connections to s1 and s2 both use mark 15.
# s1 comes first: the hub's vti15 points at s1 and is up. s2's SA is
# INSTALLED but gets no VTI yet ("gets no VTI yet: key 15 is held by vti15
# for 10.9.0.1 === 10.9.0.11 (s1/net)"); vti15 keeps pointing at s1, up.
# When s1 leaves, the waiting SA of s2 gets the key: the same vti15 (same
# ifindex, changed in place) follows s2's endpoints and is up ("has its
# VTI now"); when s2 comes again, vti15 stays s2's, is up and carries a
# ping from s2.
# Two keys, one peer: the kernel refuses a second VTI with the outer
# addresses of another whatever the keys (ip_vti and ip6_vti find tunnels
# by addresses alone: EEXIST), so a second child to s2 with mark 16 gets no
# VTI: the plugin says so in one line naming vti15 and the endpoints, keeps
# net16's SA INSTALLED and leaves vti15 as it was.

lab_require_plugin

lab_topo_hub 2
for h in h s1 s2; do
	lab_charon_start "$h"
done

# The hub: one connection per spoke, all with mark 15; a second child
# net16 (mark 16) to s2, with selectors of its own (the responder picks a
# child config by selectors alone). Sections of the same name merge, so
# single-child files simply follow one another.
ts=(local_ts=0.0.0.0/0 remote_ts=0.0.0.0/0)
lab_psk_conf "$LAB_RUN/h/1.conf" 10.9.0.1 10.9.0.11 conn=s1 mark_in=15 mark_out=15 "${ts[@]}"
lab_psk_conf "$LAB_RUN/h/2.conf" 10.9.0.1 10.9.0.12 conn=s2 mark_in=15 mark_out=15 "${ts[@]}"
lab_psk_conf "$LAB_RUN/h/3.conf" 10.9.0.1 10.9.0.12 conn=s2 child=net16 \
	mark_in=16 mark_out=16 local_ts=10.16.1.0/24 remote_ts=10.16.2.0/24
cat "$LAB_RUN"/h/[123].conf > "$LAB_RUN/h/swanctl.conf"
lab_psk_conf "$LAB_RUN/s1/swanctl.conf" 10.9.0.11 10.9.0.1 mark_in=15 mark_out=15 "${ts[@]}"
lab_psk_conf "$LAB_RUN/s2/1.conf" 10.9.0.12 10.9.0.1 mark_in=15 mark_out=15 "${ts[@]}"
lab_psk_conf "$LAB_RUN/s2/2.conf" 10.9.0.12 10.9.0.1 child=net16 mark_in=16 \
	mark_out=16 local_ts=10.16.2.0/24 remote_ts=10.16.1.0/24
cat "$LAB_RUN"/s2/[12].conf > "$LAB_RUN/s2/swanctl.conf"
for h in h s1 s2; do
	lab_load_conf "$h" "$LAB_RUN/$h/swanctl.conf"
done

# sa_up HOST IKE CHILD: true if HOST's IKE_SA IKE has CHILD INSTALLED.
sa_up() {
	lab_swanctl "$1" --list-sas --ike "$2" 2>/dev/null |
		grep -Eq "^ +$3: #[0-9]+, reqid [0-9]+, INSTALLED"
}

# hub_vti15 REMOTE UP|DOWN OWNER WHEN: fail unless the hub's vti15 is the
# device first made (same ifindex), key 15, 10.9.0.1 -> REMOTE, in that
# admin state, ifalias naming OWNER; and the only VTI of the hub.
hub_vti15() {
	local remote=$1 state=$2 owner=$3 when=$4 now=DOWN vtis
	lab_vti_info h vti15 || lab_fail "hub: vti15 is gone $when"
	[[ $LAB_VTI_FLAGS == *,UP,* ]] && now=UP
	lab_log "hub: vti15 $when: index $LAB_VTI_INDEX, key" \
		"$LAB_VTI_IKEY/$LAB_VTI_OKEY, $LAB_VTI_LOCAL -> $LAB_VTI_REMOTE, $now," \
		"alias '$LAB_VTI_ALIAS'"
	[[ $LAB_VTI_INDEX == "$index" ]] ||
		lab_fail "hub: vti15 was recreated $when (index $LAB_VTI_INDEX, was $index)"
	[[ $LAB_VTI_IKEY == 15 && $LAB_VTI_OKEY == 15 && $LAB_VTI_LOCAL == 10.9.0.1 &&
		$LAB_VTI_REMOTE == "$remote" ]] ||
		lab_fail "hub: vti15 $when is key $LAB_VTI_IKEY/$LAB_VTI_OKEY," \
			"$LAB_VTI_LOCAL -> $LAB_VTI_REMOTE; expected 15, 10.9.0.1 -> $remote"
	[[ $now == "$state" ]] || lab_fail "hub: vti15 is $now $when, expected $state"
	[[ $LAB_VTI_ALIAS == "strongswan-vti $owner" ]] ||
		lab_fail "hub: vti15 has ifalias '$LAB_VTI_ALIAS' $when, expected" \
			"'strongswan-vti $owner'"
	vtis=$(lab_vti_list h)
	[[ $vtis != *$'\n'* ]] || lab_fail "hub has other VTIs than vti15 $when: $vtis"
}

lab_log "s1 comes first"
lab_assert "s1 could not initiate" lab_initiate s1 net
lab_assert "hub: vti15 is not up for s1" lab_wait 10 lab_link_up h vti15
index=$(lab_ifindex h vti15)
hub_vti15 10.9.0.11 UP s1/net "with s1's SA"
lab_ip h <<-EOF
addr add 192.168.15.1/30 dev vti15
EOF

lab_log "s2 comes with the same key"
lab_assert "s2 could not initiate" lab_initiate s2 net
lab_assert "hub: s2's CHILD_SA net is not INSTALLED" lab_wait 10 sa_up h s2 net
lab_assert "hub: no 'CHILD_SA net{N} of 's2' gets no VTI: key 15 is held by vti15 for 10.9.0.1 === 10.9.0.11 (s1/net)' line" \
	lab_wait 10 lab_log_has h \
	"vti: CHILD_SA net\{[0-9]+\} of 's2' gets no VTI yet: key 15 is held by vti15 for 10\.9\.0\.1 === 10\.9\.0\.11 \(s1/net\)"
lab_assert "hub: s1's CHILD_SA net is no longer INSTALLED" sa_up h s1 net
hub_vti15 10.9.0.11 UP s1/net "with s1's and s2's SAs"

lab_log "s1 leaves"
lab_assert "s1 could not terminate" \
	lab_swanctl s1 --terminate --ike lab --timeout 30 > /dev/null
lab_assert "hub: no 'vti15 down: CHILD_SA net{N} of 's1', the last with key 15' line" \
	lab_wait 10 lab_log_has h 'vti: vti15 down: CHILD_SA net\{[0-9]+\} of .s1., the last with key 15, is gone'
lab_assert "hub: s2's CHILD_SA net went with s1's" sa_up h s2 net
lab_assert "hub: no line that s2's waiting SA has vti15 now" lab_wait 10 \
	lab_log_has h "vti: CHILD_SA net\{[0-9]+\} of 's2' has its VTI now"
lab_assert "hub: vti15 is not up for s2's waiting SA" lab_wait 10 lab_link_up h vti15
hub_vti15 10.9.0.12 UP s2/net "after s1 left (s2's waiting SA has it now)"

lab_log "s2 comes again"
lab_assert "s2 could not terminate" \
	lab_swanctl s2 --terminate --ike lab --timeout 30 > /dev/null
lab_assert "s2 could not initiate again" lab_initiate s2 net
lab_assert "hub: vti15 is not up for s2" lab_wait 10 lab_link_up h vti15
lab_assert "hub: no 'vti15 up (key 15, 10.9.0.1 === 10.9.0.12)' line" \
	lab_log_has h "vti: vti15 up \(key 15, 10\.9\.0\.1 === 10\.9\.0\.12\): CHILD_SA net\{[0-9]+\} of 's2' installed"
hub_vti15 10.9.0.12 UP s2/net "with s2's new SA"
lab_assert "s2: vti15 is not up" lab_wait 10 lab_link_up s2 vti15
lab_ip s2 <<-EOF
addr replace 192.168.15.2/30 dev vti15
EOF
lab_assert "s2 -> hub over vti15 failed" lab_ping s2 192.168.15.1

lab_log "a second child to s2 with key 16: same outer addresses as vti15"
c=$(lab_log_count h 'allows one VTI per pair of endpoints')
(( c == 0 )) || lab_fail "hub: $c 'one VTI per pair of endpoints' lines before net16 came up"
lab_assert "s2 could not initiate net16" lab_initiate s2 net16
lab_assert "hub: s2's CHILD_SA net16 is not INSTALLED" lab_wait 10 sa_up h s2 net16
lab_assert "hub: no line saying net16 gets no VTI because vti15 holds 10.9.0.1 === 10.9.0.12" \
	lab_wait 10 lab_log_has h \
	"vti: CHILD_SA net16\\{[0-9]+\\} of 's2' gets no VTI yet: vti15 \\(key 15, s2/net\\) runs between 10\\.9\\.0\\.1 === 10\\.9\\.0\\.12 already"
lab_assert_not "hub: vti16 exists next to vti15 with the same endpoints" \
	lab_has_link h vti16
lab_assert_not "hub: the plugin tried to create vti16 anyway" \
	lab_log_has h 'vti: creating vti16'
lab_assert "hub: s2's CHILD_SA net is no longer INSTALLED" sa_up h s2 net
hub_vti15 10.9.0.12 UP s2/net "with s2's net16 up"
lab_assert "s2 -> hub over vti15 failed with net16 up" lab_ping s2 192.168.15.1
