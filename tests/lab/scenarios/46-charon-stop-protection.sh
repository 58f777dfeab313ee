# shellcheck shell=bash
# Fail-closed across charon's stops: the set-up of scenario 44 (two
# tunnels between sites a and b, eBGP by BIRD 2 over vti15 and vti16,
# routes = none), with each site protecting the other's LAN and both
# tunnels' /30s globally (a: protect = 10.2.0.0/16, 169.254.15.0/30,
# 169.254.16.0/30; b: the mirror). BIRD keeps running on both sites
# throughout; only a's charon stops and starts.
#   1. both tunnels up, BGP over both: 10.1.0.1 <-> 10.2.0.1 through vti15
#      as ESP.
#   2. a's charon stopped cleanly (keep_protection defaults to yes):
#      vti15 and vti16 stay, down (same ifindex, still in group 165); the
#      blackholes stay, each once; BGP withdraws on both sites, a's only
#      route to 10.2.0.0/16 is the blackhole and pings fail both ways.
#   3. a's charon started again: before any config is loaded, the devices
#      are there and down and the blackholes stay (for three reconcile
#      intervals); the configs loaded and the tunnels initiated, the same
#      devices come up, BGP comes back, pings pass, each blackhole once.
#   4. a's charon killed (SIGKILL): devices, SAs and blackholes stay as
#      they were.
#   5. started again: the devices left by the killed charon are set down,
#      BGP withdraws, a's only route to 10.2.0.0/16 is the blackhole, and
#      it stays before the configs are loaded; loaded and initiated (b
#      replaces its stale IKE_SAs, unique = replace), all comes back.
# Background pings 10.1.0.1 <-> 10.2.0.1 run across 1-5, and the
# captures on a's port of each link's switch show nothing from or to an
# inner address in clear (checked after each step, with marker pings
# proving the captures work).
#   6. a's charon stopped cleanly once more, then the one command that
#      removes what the plugin keeps ("ip link delete group 165", flush
#      proto 165 routes): no device in group 165 and no route with proto
#      165 left.
#   7. keep_protection = no: a's tunnels up, charon stopped cleanly: the
#      devices are deleted and no route with proto 165 is left (the plugin
#      as it was before protect; traffic would leave in clear now).

lab_require_plugin

# ------------------------------------------------------------- topology
lab_topo_sites

# ------------------------------------------------------------- charon
# a's plugin settings; keep_protection is left at its default.
a_settings='reconcile_interval = 1
      routes = none
      protect = 10.2.0.0/16, 169.254.15.0/30, 169.254.16.0/30
      keys {
	15 {
	  addresses = 169.254.15.1/30
	}
	16 {
	  addresses = 169.254.16.1/30
	}
      }'
lab_charon_start a "$a_settings"
lab_charon_start b 'reconcile_interval = 1
      routes = none
      protect = 10.1.0.0/16, 169.254.15.0/30, 169.254.16.0/30
      keys {
	15 {
	  addresses = 169.254.15.2/30
	}
	16 {
	  addresses = 169.254.16.2/30
	}
      }'

# The connections, not loaded yet: "primary" over link 1, "backup" over
# link 2 (lab_sites_conf). unique = replace: a new IKE_SA from a
# restarted peer replaces the one it left.
lab_sites_conf

# ------------------------------------------------------------- BIRD

# eBGP over vti15 (local preference 200) and vti16 (100), each site
# announcing its LAN (lab_bird_bgp_conf).
lab_bird_bgp_conf a 10.1.0.1 65001 65002 10.1.0.0/16
lab_bird_bgp_conf b 10.2.0.1 65002 65001 10.2.0.0/16

# Keep BIRD's logs and the captures with the results, whatever the verdict.
trap 'lab_bird_logs a b; lab_cap_stop sw1 sw2' EXIT

# ------------------------------------------------------------- helpers

# Blackholes a and b should have (lab_holes_are).
a_holes=(10.2.0.0/16 169.254.15.0/30 169.254.16.0/30)
b_holes=(10.1.0.0/16 169.254.15.0/30 169.254.16.0/30)

# holes WHEN: a and b have their blackholes, each once, and no other
# route with protocol 165.
holes() {
	lab_holes_wait "$1" a "${a_holes[@]}"
	lab_holes_wait "$1" b "${b_holes[@]}"
}

# vtis_on_a STATE WHEN: a has vti15 and vti16, STATE (up|down), with the
# ifindexes they had at first ($index15, $index16), in group 165.
vtis_on_a() {
	local key want group
	for key in 15 16; do
		lab_links_wait "$1" "vti$key" "$2" a
		want=$index15
		[[ $key == 16 ]] && want=$index16
		[[ $(lab_ifindex a "vti$key") == "$want" ]] ||
			lab_fail "a: vti$key has ifindex $(lab_ifindex a "vti$key") $2, was $want"
	done
	group=$(lab_group165 a | tr '\n' ' ')
	[[ $group == "vti15 vti16 " ]] ||
		lab_fail "a: the devices in group 165 are '$group' $2, expected vti15 and vti16"
}

# up WHEN: initiate both tunnels from a; vti15 and vti16 up on both
# sites, both BGP sessions Established.
up() {
	local conn
	for conn in primary backup; do
		lab_assert "a could not initiate $conn $1" lab_initiate a "$conn"
	done
	lab_links_wait up vti15 "$1" a b
	lab_links_wait up vti16 "$1" a b
	lab_bgp_wait t15 "$1" a b
	lab_bgp_wait t16 "$1" a b
}

# ------------------------------------------------------------- 1. up
lab_log "1. both tunnels up, BGP over both"
lab_sites_cap_start
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_load_conf b "$LAB_RUN/b/swanctl.conf"
holes "with the configs loaded"
lab_assert "a could not initiate primary" lab_initiate a primary
lab_assert "a could not initiate backup" lab_initiate a backup
lab_links_wait up vti15 "with both tunnels up" a
lab_links_wait up vti16 "with both tunnels up" a
index15=$(lab_ifindex a vti15)
index16=$(lab_ifindex a vti16)
lab_bird_start a
lab_bird_start b
lab_bgp_wait t15 "with both tunnels up" a b
lab_bgp_wait t16 "with both tunnels up" a b
vtis_on_a up "with both tunnels up"
lab_sites_through 15 "with both tunnels up"
holes "with both tunnels up"

# Background pings both ways from here on: they cross every stop and start.
lab_bg_ping_start a 10.1.0.1 10.2.0.1
lab_bg_ping_start b 10.2.0.1 10.1.0.1
lab_sites_no_leak "both tunnels up"

# ------------------------------------------------------------- 2. clean stop
lab_log "2. a's charon stops (SIGTERM)"
lab_charon_stop a 30
vtis_on_a down "after a's charon stopped"
holes "after a's charon stopped"
lab_sites_closed "after a's charon stopped"
lab_sites_no_leak "a's charon stopped"

# ------------------------------------------------------------- 3. start again
lab_log "3. a's charon starts again"
lab_charon_start a "$a_settings"
vtis_on_a down "right after a's charon started, before any config"
holes "right after a's charon started, before any config"
lab_sleep 3
holes "3 s after a's charon started, before any config"
vtis_on_a down "3 s after a's charon started, before any config"
lab_sites_closed "with a's charon started, before any config"
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
up "after a's charon started again"
vtis_on_a up "after a's charon started again"
lab_sites_through 15 "after a's charon started again"
holes "after a's charon started again"
lab_sites_no_leak "a's charon started again"

# ------------------------------------------------------------- 4. kill
lab_log "4. a's charon killed (SIGKILL)"
lab_charon_kill a
vtis_on_a up "after a's charon was killed"
holes "after a's charon was killed"
lab_sites_no_leak "a's charon killed"

# ------------------------------------------------------------- 5. start again
lab_log "5. a's charon starts after the kill"
lab_charon_start a "$a_settings"
vtis_on_a down "after a's charon started after the kill, before any config"
holes "after a's charon started after the kill, before any config"
lab_sites_closed "after a's charon started after the kill, before any config"
lab_sleep 3
holes "3 s after a's charon started after the kill, before any config"
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
up "after a's charon started after the kill"
vtis_on_a up "after a's charon started after the kill"
lab_sites_through 15 "after a's charon started after the kill"
holes "after a's charon started after the kill"

lab_bg_ping_stop 1-5 a b
lab_sites_no_leak "across 1-5"

# ------------------------------------------------------------- 6. removal
lab_log "6. a's charon stops; the plugin's devices and routes removed by hand"
lab_charon_stop a 30
vtis_on_a down "after a's charon stopped again"
holes "after a's charon stopped again"
ip -n a link delete group 165
ip -n a -4 route flush proto 165 table all
ip -n a -6 route flush proto 165 table all
left=$(lab_group165 a | tr '\n' ' ')
[[ -z $left ]] || lab_fail "a: devices in group 165 left after 'ip link delete group 165': $left"
lab_holes_are a || lab_fail "$LAB_WHY (after flushing proto 165)"
lab_vti_list a > "$LAB_RUN/a/vtis"
[[ ! -s $LAB_RUN/a/vtis ]] || lab_fail "a: VTIs left: $(< "$LAB_RUN/a/vtis")"

# ------------------------------------------------------------- 7. keep_protection = no
lab_log "7. keep_protection = no: a clean stop removes everything"
lab_charon_start a "keep_protection = no
      $a_settings"
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_holes_wait "keep_protection = no, configs loaded" a "${a_holes[@]}"
up "with keep_protection = no"
lab_sites_through 15 "with keep_protection = no"
lab_charon_stop a 30
for key in 15 16; do
	lab_assert_not "a: vti$key is still there after charon stopped with keep_protection = no" \
		lab_has_link a "vti$key"
done
left=$(lab_group165 a | tr '\n' ' ')
[[ -z $left ]] || lab_fail "a: devices in group 165 left with keep_protection = no: $left"
lab_holes_are a || lab_fail "$LAB_WHY (after charon stopped with keep_protection = no)"

for h in a b; do
	lab_assert_not "$h: the plugin logged a failure" lab_log_has "$h" 'vti: .*failed'
done
