# shellcheck shell=bash
# Fail-closed where a routing daemon routes: BGP (BIRD 2) over two tunnels
# between two sites, routes = none, the plugin's protect setting.
# a (LAN 10.1.0.0/16 on lan0) and b (LAN 10.2.0.0/16) are joined by two
# underlay links (lab_topo_sites): "primary" runs over link 1 with marks
# 15, "backup" over link 2 with marks 16, both with 0.0.0.0/0 selectors.
# The plugin gives vti15 and vti16 a /30 each (169.254.15.0/30,
# 169.254.16.0/30) and installs no routes; BIRD runs eBGP over each
# (a: AS 65001, b: AS 65002; local preference 200 over vti15, 100 over
# vti16) and announces each site's LAN. Each site's default route crosses
# link 1 in clear: what falls out of BGP and is not blackholed leaks.
# a protects per key (keys.15.protect = 10.2.0.0/16, 169.254.15.0/30;
# keys.16.protect = 10.2.0.0/16, 169.254.16.0/30), b globally (protect =
# 10.1.0.0/16, 169.254.15.0/30, 169.254.16.0/30). The /30s are there for
# BGP's own packets: when a VTI goes down its connected route goes with
# it, and BIRD's last NOTIFICATION and the TCP FIN to the neighbour would
# follow the default route in clear.
#   0. charon up, nothing loaded: no blackhole, and 10.2.0.1 answers
#      10.1.0.1 in clear (the leak is real); the connections loaded: a
#      blackhole per protected prefix (10.2.0.0/16 once, shared by the two
#      tunnels), proto 165, metric 4294967295, before any SA; 10.2.0.1 no
#      longer answers.
#   1. both tunnels up, both sessions Established: 10.1.0.1 <-> 10.2.0.1
#      goes through vti15 as ESP; the blackholes are there once each.
#   2. primary terminated: BGP moves to vti16, pings pass over it.
#   3. backup terminated too: BGP withdraws; a's only route to
#      10.2.0.0/16 is the blackhole ("ip route get" hits it), pings fail
#      both ways.
#   4. both back: both sessions Established again, pings through vti15;
#      no line says a protected prefix has no route through a VTI.
# Background pings 10.1.0.1 <-> 10.2.0.1 run across 1-4, and the
# captures on a's port of each link's switch show nothing from or to an
# inner address in clear (checked after each step, with marker pings
# proving the captures work).
#   5. The blackholes follow settings and configs (reconcile_interval =
#      1): a protected prefix more specific than BGP's route (10.2.5.0/24)
#      gets its blackhole and one line "protected prefix ... has no route
#      through"; with protect unset, the default (the configured
#      remote_ts, here 0.0.0.0/0) protects nothing and installs no
#      blackhole; with the primary's config unloaded (swanctl --load-all
#      of a file without it), the backup's blackholes stay (10.2.0.0/16
#      among them), with both unloaded none is left, loading them brings
#      them back.

lab_require_plugin

# ------------------------------------------------------------- topology
lab_topo_sites

# ------------------------------------------------------------- charon
lab_charon_start a 'reconcile_interval = 1
      routes = none
      keys {
	15 {
	  addresses = 169.254.15.1/30
	  protect = 10.2.0.0/16, 169.254.15.0/30
	}
	16 {
	  addresses = 169.254.16.1/30
	  protect = 10.2.0.0/16, 169.254.16.0/30
	}
      }'
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

# The connections, not loaded yet: "primary" (marks 15) over link 1 in
# primary.conf, "backup" (marks 16) over link 2 in backup.conf, both in
# swanctl.conf.
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
# route with protocol 165 (waits a few reconciles).
holes() {
	lab_holes_wait "$1" a "${a_holes[@]}"
	lab_holes_wait "$1" b "${b_holes[@]}"
}

# ------------------------------------------------------------- 0. configs loaded
lab_log "0. charon up, nothing loaded"
lab_holes_are a || lab_fail "$LAB_WHY (before any config)"
lab_assert "precondition: 10.1.0.1 does not reach 10.2.0.1 in clear before the configs" \
	lab_ping_from a 10.1.0.1 10.2.0.1 1

lab_sites_cap_start
lab_sites_mark

lab_log "0. configs loaded"
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_load_conf b "$LAB_RUN/b/swanctl.conf"
holes "with the configs loaded, before any SA"
sas=$(lab_swanctl a --list-sas)
[[ -z $sas ]] || lab_fail "a has SAs before any initiate: $sas"
lab_sites_closed "with the configs loaded and no tunnel"
lab_sites_no_leak "configs loaded, no tunnel"

# ------------------------------------------------------------- 1. both up
lab_log "1. both tunnels up"
lab_assert "a could not initiate primary" lab_initiate a primary
lab_assert "a could not initiate backup" lab_initiate a backup
lab_links_wait up vti15 "with both tunnels up" a b
lab_links_wait up vti16 "with both tunnels up" a b
lab_bird_start a
lab_bird_start b
lab_bgp_wait t15 "with both tunnels up" a b
lab_bgp_wait t16 "with both tunnels up" a b
lab_sites_through 15 "with both tunnels up"
holes "with both tunnels up"

# Background pings both ways from here on: they cross every transition.
lab_bg_ping_start a 10.1.0.1 10.2.0.1
lab_bg_ping_start b 10.2.0.1 10.1.0.1
lab_sites_no_leak "both tunnels up"

# ------------------------------------------------------------- 2. primary down
lab_log "2. primary terminated"
lab_assert "a could not terminate primary" \
	lab_swanctl a --terminate --ike primary --timeout 30 > /dev/null
lab_links_wait down vti15 "after the primary's terminate" a b
lab_link_up a vti16 || lab_fail "a: vti16 went down with the primary"
lab_sites_through 16 "with the primary terminated"
lab_assert "a: the BGP session over vti16 went down with the primary" \
	lab_bgp_established a t16
holes "with the primary terminated"
lab_sites_no_leak "primary terminated, BGP over the backup"

# ------------------------------------------------------------- 3. both down
lab_log "3. backup terminated too"
lab_assert "a could not terminate backup" \
	lab_swanctl a --terminate --ike backup --timeout 30 > /dev/null
lab_links_wait down vti16 "after the backup's terminate" a b
lab_sites_closed "with both tunnels down"
holes "with both tunnels down"
lab_sites_no_leak "both tunnels down"

# ------------------------------------------------------------- 4. both back
lab_log "4. both tunnels back"
lab_assert "a could not initiate primary again" lab_initiate a primary
lab_assert "a could not initiate backup again" lab_initiate a backup
lab_links_wait up vti15 "with both tunnels back" a b
lab_links_wait up vti16 "with both tunnels back" a b
lab_bgp_wait t15 "with both tunnels back" a b
lab_bgp_wait t16 "with both tunnels back" a b
lab_sites_through 15 "with both tunnels back"
holes "with both tunnels back"

lab_bg_ping_stop 1-4 a b
lab_sites_no_leak "across 1-4"
# No protected prefix is narrower than a route through a VTI: nothing to
# warn about, neither in the seconds between a tunnel's coming up and
# BGP's routes (nothing routes the prefix yet, no misconfiguration) nor
# for b's /30 of a tunnel that is down (b protects both /30s globally,
# and vti16 being up does not make 169.254.15.0/30 its business).
for h in a b; do
	n=$(lab_log_count "$h" 'protected prefix .* has no route through')
	(( n == 0 )) ||
		lab_fail "$h: $n lines say a protected prefix has no route through a VTI, though BGP or the VTI's address routes each: $(grep -E -m 1 'protected prefix .* has no route through' "$(lab_charon_log "$h")")"
done

# ------------------------------------------------------------- 5. settings follow
# No background pings from here on: unprotected, a's pings would leave
# in clear, as they should.
lab_log "5. a protected prefix more specific than BGP's route"
conf=$(lab_conf a)
text=$(< "$conf")
old='protect = 10.2.0.0/16, 169.254.15.0/30'
new=${text/"$old"/"$old, 10.2.5.0/24"}
[[ $new != "$text" ]] || lab_fail "could not rewrite a's settings in $conf"
printf '%s\n' "$new" > "$conf"
lab_swanctl a --reload-settings > /dev/null
lab_holes_wait "after adding 10.2.5.0/24 to keys.15.protect" a "${a_holes[@]}" 10.2.5.0/24
out=$(ip -n a route get 10.2.5.1 2>&1) || true
lab_log "a: ip route get 10.2.5.1: $out"
lab_assert "a: no line 'protected prefix 10.2.5.0/24 has no route through ...'" \
	lab_wait 10 lab_log_has a 'protected prefix 10\.2\.5\.0/24 has no route through'
lab_sleep 3
n=$(lab_log_count a 'protected prefix 10\.2\.5\.0/24 has no route through')
(( n == 1 )) ||
	lab_fail "a: $n lines say 10.2.5.0/24 has no route through vti15 over 3 reconciles, expected one"
lab_log "a: $(grep -E -m 1 'protected prefix 10\.2\.5\.0/24' "$(lab_charon_log a)")"
lab_assert "a: 10.2.0.0/16 is not routed through vti15 any more after the reload" \
	lab_bird_route_via a 10.2.0.0/16 vti15

lab_log "5. protect unset: the configured remote_ts 0.0.0.0/0 protects nothing"
new=''
while IFS= read -r line; do
	[[ $line == *"protect = "* ]] || new+=$line$'\n'
done <<< "$text"
[[ $new != *"protect = "* && $new == *"addresses = 169.254.16.1/30"* ]] ||
	lab_fail "could not take protect out of a's settings in $conf"
printf '%s' "$new" > "$conf"
lab_swanctl a --reload-settings > /dev/null
lab_holes_wait "with protect unset" a
lab_sleep 3
lab_holes_are a || lab_fail "$LAB_WHY (with protect unset, 3 s later)"
line='vti: .*(protect.*0\.0\.0\.0/0|0\.0\.0\.0/0.*protect)'
n=$(lab_log_count a "$line")
(( n >= 1 && n <= 2 )) ||
	lab_fail "a: $n lines say 0.0.0.0/0 is not protected, over 3 reconciles; expected one (per connection at most)"
lab_log "a: $(grep -E -m 1 -- "$line" "$(lab_charon_log a)")"

lab_log "5. protect back; the connections unloaded and loaded"
printf '%s\n' "$text" > "$conf"
lab_swanctl a --reload-settings > /dev/null
lab_holes_wait "protect set again" a "${a_holes[@]}"
for conn in primary backup; do
	lab_assert "a could not terminate $conn" \
		lab_swanctl a --terminate --ike "$conn" --timeout 30 > /dev/null
done
lab_links_wait down vti15 "after the terminates" a b
lab_links_wait down vti16 "after the terminates" a b
lab_load_conf a "$LAB_RUN/a/backup.conf"
lab_holes_wait "with only the backup's config loaded" a 10.2.0.0/16 169.254.16.0/30
lab_sleep 2
lab_holes_are a 10.2.0.0/16 169.254.16.0/30 ||
	lab_fail "$LAB_WHY (with only the backup's config loaded, 2 s later)"
printf 'connections {\n}\n' > "$LAB_RUN/a/none.conf"
lab_load_conf a "$LAB_RUN/a/none.conf"
lab_holes_wait "with no config loaded" a
lab_load_conf a "$LAB_RUN/a/swanctl.conf"
lab_holes_wait "with the configs loaded again" a "${a_holes[@]}"

for h in a b; do
	lab_assert_not "$h: the plugin logged a failure" lab_log_has "$h" 'vti: .*failed'
done
