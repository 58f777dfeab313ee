# shellcheck shell=bash
# The demo: two hosts, a stock charon with the vti plugin on each, one
# route-based tunnel (mark_in = mark_out = 15). Shows the plugin loading,
# vti15 coming up with the tunnel and carrying pings, and going down with it.

# say TEXT: a line of the demo's story
say() {
	printf '\n== %s\n' "$*"
}

# show HOST CMD...: run a command on a host and indent its output
show() {
	local h=$1
	shift
	printf '%s$ %s\n' "$h" "$*"
	lab_in "$h" "$@" | sed 's/^/    /'
}

# is_down HOST IF: the device exists and is admin down
is_down() {
	[[ $(lab_in "$1" ip -o link show "$2") != *"<"*UP*">"* ]]
}

lab_topo_pair
say "hosts a (10.9.0.1) and b (10.9.0.2), stock charon with the vti plugin on each"
for h in a b; do
	lab_charon_start "$h"
	printf '%s: %s\n' "$h" "$(grep -o 'vti: plugin version.*' "$(lab_charon_log "$h")")"
done

for h in a b; do
	if [[ $h == a ]]; then me=10.9.0.1 peer=10.9.0.2; else me=10.9.0.2 peer=10.9.0.1; fi
	lab_psk_conf "$LAB_RUN/$h/swanctl.conf" "$me" "$peer" conn=demo \
		mark_in=15 mark_out=15
	lab_load_conf "$h" "$LAB_RUN/$h/swanctl.conf"
done
say "swanctl.conf child on both sides: mark_in = 15, mark_out = 15 (the VTI key)"

say "a initiates the tunnel"
lab_assert "the tunnel did not come up" lab_initiate a net
lab_assert "b has no SA" lab_wait 10 lab_sa_up b net
lab_assert "no vti15 on a" lab_wait 10 lab_has_link a vti15
lab_assert "no vti15 on b" lab_wait 10 lab_has_link b vti15
grep -ho 'vti: vti15 up.*' "$(lab_charon_log a)" | sed 's/^/a: /'
grep -ho 'vti: vti15 up.*' "$(lab_charon_log b)" | sed 's/^/b: /'
show a ip -d link show vti15

say "give vti15 inner addresses, ping through the tunnel"
lab_ip a <<-EOT
addr add 192.168.15.1/30 dev vti15
EOT
lab_ip b <<-EOT
addr add 192.168.15.2/30 dev vti15
EOT
lab_assert "ping through vti15 failed" lab_ping a 192.168.15.2 3
printf 'a$ ping 192.168.15.2: 3 of 3 answered through vti15\n'
printf 'a: the outbound ESP SA (mark 15) counted %s packets\n' \
	"$(lab_esp_packets a 10.9.0.1 10.9.0.2)"

say "a terminates the tunnel: vti15 goes down on both sides"
lab_swanctl a --terminate --ike demo > /dev/null
lab_assert "vti15 on a is still up" lab_wait 10 is_down a vti15
lab_assert "vti15 on b is still up" lab_wait 10 is_down b vti15
grep -ho 'vti: vti15 down.*' "$(lab_charon_log a)" | sed 's/^/a: /'
grep -ho 'vti: vti15 down.*' "$(lab_charon_log b)" | sed 's/^/b: /'
show b ip link show vti15

say "charon stops: the plugin removes the devices it made"
lab_charon_stop a
lab_assert "vti15 left behind on a" lab_wait 5 eval '! lab_has_link a vti15'
grep -ho 'vti: vti15 .*deleted.*' "$(lab_charon_log a)" | sed 's/^/a: /'
