# shellcheck shell=bash
# The plugin checks through charon's kernel interface that a VTI child's
# outbound policies carry its key as their mark. A child with marks 15 and
# its policies installed passes the check silently; a child with marks 16
# and "policies = no" (no policies, so nothing routed into its VTI could
# find its SA) gets its VTI and one line naming the missing policy.

lab_require_plugin

lab_topo_pair
lab_switch sw2
lab_switch_port sw2 a 10.9.1.1/24
lab_switch_port sw2 b 10.9.1.2/24
lab_charon_start a
lab_charon_start b
lab_psk_conf "$LAB_RUN/a/1.conf" 10.9.0.1 10.9.0.2 conn=good \
	mark_in=15 mark_out=15
lab_psk_conf "$LAB_RUN/b/1.conf" 10.9.0.2 10.9.0.1 conn=good \
	mark_in=15 mark_out=15
lab_psk_conf "$LAB_RUN/a/2.conf" 10.9.1.1 10.9.1.2 conn=nopol \
	mark_in=16 mark_out=16 child_extra='policies = no'
lab_psk_conf "$LAB_RUN/b/2.conf" 10.9.1.2 10.9.1.1 conn=nopol \
	mark_in=16 mark_out=16 child_extra='policies = no'
# one file: --load-all unloads what the file it loads does not have
for h in a b; do
	cat "$LAB_RUN/$h/1.conf" "$LAB_RUN/$h/2.conf" > "$LAB_RUN/$h/swanctl.conf"
	lab_load_conf "$h" "$LAB_RUN/$h/swanctl.conf"
done

lab_swanctl a --initiate --child net --ike good > /dev/null
lab_assert "a: vti15 is not up" lab_wait 10 lab_link_up a vti15
lab_assert_not "a: the policy check failed for 'good', whose policies exist" \
	lab_log_has a "vti: CHILD_SA net of 'good' has no outbound policy"

lab_log "a child without policies: the check names what is missing"
lab_swanctl a --initiate --child net --ike nopol > /dev/null
lab_assert "a: vti16 is not up" lab_wait 10 lab_link_up a vti16
lab_assert "a: no line saying 'nopol' has no outbound policy with mark 16" \
	lab_wait 10 lab_log_has a \
	"vti: CHILD_SA net of 'nopol' has no outbound policy 0\\.0\\.0\\.0/0 === 0\\.0\\.0\\.0/0 with mark 16 \\(2 of 2 missing\\): traffic routed into vti16 is dropped"
c=$(lab_log_count a "vti: CHILD_SA net of 'nopol' has no outbound policy")
(( c == 1 )) || lab_fail "a: $c lines about nopol's missing policies, expected one"
