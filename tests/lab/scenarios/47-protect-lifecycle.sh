# shellcheck shell=bash
# Protection blackholes follow the configs, not the SAs, and outlive a
# clean stop of charon. a: reconcile_interval = 1, protect at its default
# (remote_ts), routes = none.
# 1. Loaded configs, no SA yet: conn "lab" (remote_ts 10.2.0.0/16, key
#    15) gets a blackhole for 10.2.0.0/16 (proto 165, metric 4294967295);
#    conn "wide" (remote_ts 0.0.0.0/0, key 16) gets none and one line
#    ("not protecting the default route"); conn "near" (protect =
#    10.9.0.0/16, covering the peer, key 17) gets none and one line.
# 2. swanctl --reload-settings with connections.lab.protect = 10.2.0.0/16,
#    10.5.0.0/16: the 10.5.0.0/16 blackhole appears.
# 3. lab unloaded (swanctl --load-all with a file without it): its
#    blackholes go; loaded again, they come back.
# 4. The tunnel comes up and charon stops cleanly: vti15 stays, down, and
#    the blackholes stay ("kept down with the blackholes").
# 5. charon starts again with a config that has no "lab" any more: the
#    stale blackholes and vti15 are removed once the configs are loaded,
#    the others' stay.

lab_require_plugin

lab_topo_pair
settings='reconcile_interval = 1
connections {
  near {
    protect = 10.9.0.0/16
  }
}'
lab_charon_start a "$settings"
lab_charon_start b

# conf FILE LOCAL REMOTE CONNS...: swanctl.conf with the connections
# named (lab, wide, near) from LOCAL to REMOTE.
conf() {
	local file=$1 l=$2 r=$3 c ts key
	shift 3
	printf 'connections {\n' > "$file"
	for c in "$@"; do
		case $c in
		lab) ts=10.2.0.0/16 key=15 ;;
		wide) ts=0.0.0.0/0 key=16 ;;
		near) ts=10.7.0.0/16 key=17 ;;
		esac
		[[ $l == 10.9.0.2 && $c == lab ]] && ts=10.1.0.0/16
		cat >> "$file" <<-EOF
		  $c {
		    local_addrs = $l
		    remote_addrs = $r
		    local {
		      auth = psk
		      id = $l
		    }
		    remote {
		      auth = psk
		      id = $r
		    }
		    children {
		      $c {
		        local_ts = 0.0.0.0/0
		        remote_ts = $ts
		        mark_in = $key
		        mark_out = $key
		      }
		    }
		  }
		EOF
	done
	printf '}\nsecrets {\n  ike {\n    id-1 = %s\n    id-2 = %s\n' "$l" "$r" >> "$file"
	printf '    secret = lab-secret-0123456789\n  }\n}\n' >> "$file"
}

# holes: a's proto-165 blackholes, one "PREFIX" per line, sorted.
holes() {
	ip -n a -4 route show table all proto 165 type blackhole |
		awk '{ print $2 }' | sort | tr '\n' ' '
}

# holes_are LIST: a's blackholes are exactly LIST ("P1 P2 ").
holes_are() {
	[[ $(holes) == "$1" ]]
}

lab_log "1. configs loaded, no SA"
conf "$LAB_RUN/a/swanctl.conf" 10.9.0.1 10.9.0.2 lab wide near
conf "$LAB_RUN/b/swanctl.conf" 10.9.0.2 10.9.0.1 lab
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_load_conf b "$LAB_RUN/b/swanctl.conf"
lab_assert "a: blackholes are '$(holes)', expected 10.2.0.0/16 alone" \
	lab_wait 10 holes_are "10.2.0.0/16 "
lab_assert_not "a: vti15 exists without an SA" lab_has_link a vti15
lab_assert "a: no 'not protecting the default route' line for wide" \
	lab_wait 5 lab_log_has a "vti: wide/wide: not protecting the default route 0\.0\.0\.0/0"
lab_assert "a: no 'not protecting 10.9.0.0/16' line for near" lab_log_has a \
	"vti: near/near: not protecting 10\.9\.0\.0/16: it covers the tunnel's outer address 10\.9\.0\.(1|2)"
route=$(ip -n a route show proto 165 10.2.0.0/16)
[[ $route == *"blackhole 10.2.0.0/16"*"metric 4294967295"* ]] ||
	lab_fail "a: the blackhole is '$route'"
n=$(lab_log_count a "not protecting the default route")
lab_sleep 2
(( $(lab_log_count a "not protecting the default route") == n )) ||
	lab_fail "a: the default-route line repeats at every update"

lab_log "2. reload-settings: lab protects 10.5.0.0/16 too"
printf '%s\n' "charon { plugins { vti { connections { lab { protect = 10.2.0.0/16, 10.5.0.0/16 } } } } }" \
	>> "$(lab_conf a)"
lab_swanctl a --reload-settings > /dev/null
lab_assert "a: blackholes are '$(holes)' after the reload" \
	lab_wait 10 holes_are "10.2.0.0/16 10.5.0.0/16 "

lab_log "3. unload lab (--load-all without it), then load it again"
conf "$LAB_RUN/a/without-lab.conf" 10.9.0.1 10.9.0.2 wide near
lab_load_conf a "$LAB_RUN/a/without-lab.conf"
lab_assert "a: blackholes are '$(holes)' after unloading lab" \
	lab_wait 10 holes_are ""
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_assert "a: blackholes are '$(holes)' after loading lab again" \
	lab_wait 10 holes_are "10.2.0.0/16 10.5.0.0/16 "

lab_log "4. tunnel up, then charon stops cleanly"
lab_assert "a could not initiate lab" lab_initiate a lab
lab_assert "a: vti15 is not up" lab_wait 10 lab_link_up a vti15
lab_charon_stop a 30
lab_assert "a: vti15 was not kept, down" lab_link_down a vti15
holes_are "10.2.0.0/16 10.5.0.0/16 " ||
	lab_fail "a: blackholes are '$(holes)' after the stop"
lab_assert "a: no 'kept down with the blackholes' line" lab_log_has a \
	'vti: vti15 \(lab/lab\) set down: charon stops; kept down with the blackholes'

lab_log "5. charon starts again without conn lab"
cp "$LAB_RUN/a/without-lab.conf" "$LAB_RUN/a/swanctl.conf"
rm -f "$LAB_RUN/a/charon.vici"
lab_charon_start a "$settings"
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_assert "a: blackholes are '$(holes)', expected none once the configs are in" \
	lab_wait 10 holes_are ""
lab_assert "a: vti15, left for conn lab, is still there" \
	lab_wait 10 eval '! lab_has_link a vti15'
lab_assert "a: no line that vti15 was deleted as a leftover" lab_log_has a \
	'vti: vti15 \(lab/lab\) deleted: left by an earlier run for a tunnel that is not configured now'
