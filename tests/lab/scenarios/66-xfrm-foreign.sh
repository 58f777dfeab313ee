# shellcheck shell=bash
# Foreign XFRM interfaces are never touched: on a, someone else's xfrm7
# (if_id 70, no alias, not in group 165) has the name the plugin wants,
# and someone else's xfrm-other has if_id 8, the if_id of a second
# tunnel. Both tunnels' SAs come up without a device, with one line each;
# both foreign devices keep their ifindex, if_id and state. Needs XFRM
# interfaces (LAB_KERNEL=qemu). The tunnels are two children of one
# connection (see 62 for why).

lab_require_plugin
lab_require_xfrmi

lab_topo_pair
lab_ip a <<-EOF
link add xfrm7 type xfrm if_id 70
link add xfrm-other type xfrm if_id 8
EOF
i7=$(lab_ifindex a xfrm7)
i8=$(lab_ifindex a xfrm-other)
for h in a b; do
	lab_charon_start "$h"
done
lab_two_if_ids_conf
lab_assert "a could not initiate 'seven'" lab_initiate a seven
lab_assert "a could not initiate 'eight'" lab_initiate a eight
lab_assert "a: no line that xfrm7 is someone else's" lab_wait 10 lab_log_has a \
	"vti: lab/seven gets no XFRM interface: interface xfrm7 exists and is not managed by strongswan-vti"
lab_assert "a: no line that if_id 8 is someone else's" lab_wait 10 lab_log_has a \
	"vti: lab/eight gets no XFRM interface: interface xfrm-other, not managed by strongswan-vti, has if_id 8"
lab_assert "a: CHILD_SA seven is not INSTALLED" lab_sa_up a seven
lab_assert "a: CHILD_SA eight is not INSTALLED" lab_sa_up a eight
[[ $(lab_ifindex a xfrm7) == "$i7" && $(lab_xfrm_if_id a xfrm7) == 70 ]] ||
	lab_fail "a: the foreign xfrm7 was changed"
[[ $(lab_ifindex a xfrm-other) == "$i8" && $(lab_xfrm_if_id a xfrm-other) == 8 ]] ||
	lab_fail "a: the foreign xfrm-other was changed"
lab_assert_not "a: the plugin made a device" lab_has_link a xfrm8
lab_charon_stop a
lab_assert "a: the foreign xfrm7 is gone after charon stopped" lab_has_link a xfrm7
lab_assert "a: the foreign xfrm-other is gone after charon stopped" lab_has_link a xfrm-other
