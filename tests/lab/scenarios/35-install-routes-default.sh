# shellcheck shell=bash
# charon.install_routes while the plugin is loaded.
# 1. Both charons start with no install_routes line in strongswan.conf
#    (lab_charon_start_defaults): the plugin logs "vti:
#    charon.install_routes defaults to no"; with the tunnel up (0.0.0.0/0
#    and ::/0 selectors) table 220 holds no route (IPv4 or IPv6), and a
#    ping from a to b's inner address (vti15, 169.254.15.2) passes as ESP.
# 2. a's charon restarted with install_routes = yes set explicitly: the
#    plugin logs "vti: charon.install_routes = yes: charon's routes in table
#    220 send the traffic of tunnels with a VTI past the VTI", and charon
#    does install routes in table 220 once the tunnel is up (what case 1
#    would have caught).

lab_require_plugin

lab_topo_pair
lab_charon_start_defaults a 'addresses = 169.254.15.1/30'
lab_charon_start_defaults b 'addresses = 169.254.15.2/30'
for h in a b; do
	lab_assert_not "$h: strongswan.conf mentions install_routes" \
		lab_file_has "$(lab_conf "$h")" install_routes
done
lab_pair_conf mark_in=15 mark_out=15

default_re='vti: charon\.install_routes defaults to no'
yes_re="vti: charon\\.install_routes = yes: charon's routes in table 220 send the traffic"

# table220 HOST: print HOST's IPv4 and IPv6 routes in table 220 (none if
# the table does not exist).
table220() {
	local fam out
	for fam in 4 6; do
		out=$(ip -n "$1" "-$fam" route show table 220 2>&1) || true
		[[ $out == *"does not exist"* ]] && out=''
		[[ -z $out ]] || printf '%s\n' "$out"
	done
}

lab_log "1. no install_routes setting"
for h in a b; do
	lab_assert "$h: no 'vti: charon.install_routes defaults to no' line" \
		lab_log_has "$h" "$default_re"
	lab_assert_not "$h: an 'install_routes = yes' line without the setting" \
		lab_log_has "$h" "$yes_re"
done
lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
lab_assert "b has no INSTALLED CHILD_SA 'net'" lab_wait 10 lab_sa_up b net
lab_assert "vti15 is not up with its address on a and b" lab_wait 15 lab_pair_vti_ready vti15 169.254.15.
for h in a b; do
	routes=$(table220 "$h")
	[[ -z $routes ]] ||
		lab_fail "$h: table 220 has routes with install_routes unset: $routes"
done
before=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
lab_assert "a -> 169.254.15.2 through vti15 failed" lab_ping a 169.254.15.2
after=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
(( after - before >= 3 )) ||
	lab_fail "a: the pings to 169.254.15.2 did not leave as ESP ($((after - before)) ESP packets)"
lab_log "a: 3 pings through vti15, $((after - before)) ESP packets out"

lab_log "2. a's charon restarted with install_routes = yes"
lab_charon_stop a 30
rm -f "$LAB_RUN/a/charon.vici"
lab_charon_start a 'addresses = 169.254.15.1/30' 'charon {
  install_routes = yes
}'
lab_assert "a: no 'vti: charon.install_routes = yes: ...' warning" \
	lab_wait 10 lab_log_has a "$yes_re"
n=$(lab_log_count a "$default_re")
(( n == 1 )) || lab_fail "a: $n 'defaults to no' lines over both runs, expected 1 (the first)"
lab_log "a: $(grep -E -m 1 "$yes_re" "$(lab_charon_log a)")"
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_assert "a could not initiate CHILD_SA 'net' with install_routes = yes" \
	lab_initiate a net
lab_assert "a: vti15 is not up with install_routes = yes" \
	lab_wait 10 lab_link_up a vti15
routes=''
# shellcheck disable=SC2317 # called through lab_wait
has_routes() {
	routes=$(table220 a)
	[[ -n $routes ]]
}
lab_wait 10 has_routes ||
	lab_fail "a: charon installed no route in table 220 with install_routes = yes"
lab_log "a: table 220 with install_routes = yes: ${routes//$'\n'/; }"
