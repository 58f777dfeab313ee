# shellcheck shell=bash
# Bad values in charon.plugins.vti do not stop charon or the tunnel: each
# is logged once, naming its strongswan.conf path, and its default is
# used; a bad entry of a list is logged once and left out. a has
# mtu = 65535 (more than a vti6 device takes), name = "vti%d" (which the
# kernel would expand itself), metric = -1, table = 0,
# addresses = "bogus, 169.254.15.1/30", down_action = explode, and
# routes = "10.2.0.1/16, 10.2.0.0/16" (host bits in the first; 10.2.0.1
# lives on b). With the tunnel up: vti15 (the default name, the only VTI)
# is up with MTU 1446 (auto) and 169.254.15.1/30 as its only IPv4 address;
# 10.2.0.0/16 is routed through vti15 in the main table with metric 0,
# next to its blackhole; the log has exactly one line per bad value, e.g.
# "charon.plugins.vti.mtu = '65535' is invalid, expected auto or a number
# from 68 to 65495"; pings pass as ESP. Terminated, vti15 stays, admin
# down (down_action = down).

lab_require_plugin

lab_topo_pair
lab_ip b <<-EOF
link add net type dummy
link set net up
addr add 10.2.0.1/32 dev net
EOF
lab_charon_start a 'mtu = 65535
name = "vti%d"
metric = -1
table = 0
addresses = "bogus, 169.254.15.1/30"
down_action = explode
routes = "10.2.0.1/16, 10.2.0.0/16"'
lab_charon_start b 'addresses = 169.254.15.2/30'
lab_pair_conf mark_in=15 mark_out=15

# The bad values: "SETTING|VALUE|EXPECTED", EXPECTED being the start of
# what the log line says after "is invalid, expected "; SETTING is
# "NAME entry" for an entry of a list.
bad=(
	"mtu|65535|auto or a number from 68 to 65495"
	"name|vti%d|at most 15 characters"
	"metric|-1|a number from 0 to 4294967295"
	"table|0|main or a number from 1 to 4294967295"
	"addresses entry|bogus|ADDRESS/LEN"
	"routes entry|10.2.0.1/16|NET/LEN without host bits, here 10.2.0.0/16"
	"down_action|explode|down or delete"
)

# check_bad_lines WHEN: exactly one log line per bad value.
check_bad_lines() {
	local entry name value expect sep re n
	for entry in "${bad[@]}"; do
		IFS='|' read -r name value expect <<< "$entry"
		sep=" = "
		[[ $name == *" entry" ]] && sep=" "
		re="vti: .*charon\\.plugins\\.vti\\.$name$sep'${value//./\\.}' is invalid, expected ${expect//./\\.}"
		n=$(lab_log_count a "$re")
		(( n == 1 )) ||
			lab_fail "a: $n log lines for charon.plugins.vti.$name = '$value' $1, expected 1"
	done
}

lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
lab_assert "b has no INSTALLED CHILD_SA 'net'" lab_wait 10 lab_sa_up b net
lab_assert "vti15 is not up with its address on a and b" lab_wait 15 lab_pair_vti_ready vti15 169.254.15.
lab_log "a's log lines about the settings:"
grep -E 'vti: .*is invalid' "$(lab_charon_log a)" || true
check_bad_lines "with the tunnel up"

mapfile -t vtis < <(lab_vti_list a)
[[ ${#vtis[@]} == 1 && ${vtis[0]} == "vti15 "* ]] ||
	lab_fail "a: expected vti15 as its only VTI, found: ${vtis[*]}"
out=$(ip -n a -o link show dev vti15)
[[ $out == *" mtu 1446 "* ]] || lab_fail "a: vti15 does not have the automatic MTU 1446: $out"
mapfile -t addrs < <(ip -n a -o -4 addr show dev vti15)
[[ ${#addrs[@]} == 1 && ${addrs[0]} == *" inet 169.254.15.1/30 "* ]] ||
	lab_fail "a: vti15's IPv4 addresses are not just 169.254.15.1/30: ${addrs[*]}"

routes=()
while IFS= read -r line; do
	[[ $line == *" proto 165 "* ]] && routes+=("$line")
done < <(ip -n a -4 route show table all)
lab_log "a: routes with proto 165: $(printf '[%s] ' "${routes[@]}")"
(( ${#routes[@]} == 2 )) ||
	lab_fail "a: ${#routes[@]} routes with proto 165, expected the route and its blackhole"
for line in "${routes[@]}"; do
	[[ $line =~ ^10\.2\.0\.0/16\ dev\ vti15\ proto\ 165\ scope\ link\ *$ ||
		$line =~ ^blackhole\ 10\.2\.0\.0/16\ proto\ 165\ metric\ 4294967295\ *$ ]] ||
		lab_fail "a: unexpected route (expected main table, metric 0): $line"
done

before=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
lab_assert "a -> 169.254.15.2 through vti15 failed" lab_ping a 169.254.15.2
lab_assert "a -> 10.2.0.1 through vti15 failed" lab_ping a 10.2.0.1
after=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
(( after - before >= 6 )) ||
	lab_fail "a: the pings did not leave as ESP ($((after - before)) ESP packets for 6)"

lab_log "terminate: down_action falls back to down"
lab_swanctl a --terminate --ike lab --timeout 30 > /dev/null
lab_assert "a: vti15 is not admin down (or is gone) after terminate" \
	lab_wait 10 lab_link_down a vti15
lab_assert "a: no 'vti15 down' line" lab_log_has a 'vti: vti15 down: '
check_bad_lines "after terminate"
