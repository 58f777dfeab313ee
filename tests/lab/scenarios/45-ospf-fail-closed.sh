# shellcheck shell=bash
# Fail-closed where a routing daemon routes: OSPF (BIRD 2) over two
# tunnels between two sites, routes = none, the plugin's protect setting.
# a (LAN 10.1.0.0/16 on lan0) and b (LAN 10.2.0.0/16) are joined by two
# underlay links (lab_topo_sites): "primary" runs over link 1 with marks
# 15, "backup" over link 2 with marks 16, both with 0.0.0.0/0 selectors.
# The plugin gives vti15 and vti16 a /30 each (169.254.15.0/30,
# 169.254.16.0/30) and installs no routes; BIRD runs OSPF over them as
# point-to-point interfaces (cost 10 on vti15, 100 on vti16), announces
# each site's LAN as a stub network and exports the OSPF route to the
# other LAN into the kernel. Each site's default route crosses link 1 in
# clear: what falls out of OSPF and is not blackholed leaks. a protects
# 10.2.0.0/16 globally (protect = 10.2.0.0/16), b protects 10.1.0.0/16
# per connection (connections.primary.protect) and per child
# (connections.backup.children.backup.protect).
#   0. the connections loaded: one blackhole 10.2.0.0/16 on a and one
#      10.1.0.0/16 on b (shared by the two tunnels), proto 165, metric
#      4294967295, before any SA; 10.2.0.1 does not answer 10.1.0.1 (it
#      did in clear before the configs).
#   1. both tunnels up, both adjacencies Full: 10.1.0.1 <-> 10.2.0.1 goes
#      through vti15 as ESP.
#   2. primary terminated: OSPF moves to vti16, pings pass over it.
#   3. backup terminated too: OSPF has no route left; a's only route to
#      10.2.0.0/16 is the blackhole ("ip route get" hits it), pings fail
#      both ways.
#   4. both back: both adjacencies Full again, pings through vti15; no
#      line says a protected prefix has no route through a VTI.
# Background pings 10.1.0.1 <-> 10.2.0.1 run across 1-4, and the
# captures on a's port of each link's switch show nothing from or to an
# inner address in clear (checked after each step, with marker pings
# proving the captures work).

lab_require_plugin

# ------------------------------------------------------------- topology
lab_topo_sites

# ------------------------------------------------------------- charon
lab_charon_start a 'reconcile_interval = 1
      routes = none
      protect = 10.2.0.0/16
      keys {
	15 {
	  addresses = 169.254.15.1/30
	}
	16 {
	  addresses = 169.254.16.1/30
	}
      }'
lab_charon_start b 'reconcile_interval = 1
      routes = none
      keys {
	15 {
	  addresses = 169.254.15.2/30
	}
	16 {
	  addresses = 169.254.16.2/30
	}
      }
      connections {
	primary {
	  protect = 10.1.0.0/16
	}
	backup {
	  children {
	    backup {
	      protect = 10.1.0.0/16
	    }
	  }
	}
      }'

# The connections, not loaded yet: "primary" over link 1, "backup" over
# link 2 (lab_sites_conf).
lab_sites_conf

# ------------------------------------------------------------- BIRD

# OSPF over vti15 (cost 10) and vti16 (cost 100), lan0 a stub network,
# the route to the other LAN exported to the kernel (lab_bird_ospf_conf).
lab_bird_ospf_conf a 10.1.0.1 10.2.0.0/16
lab_bird_ospf_conf b 10.2.0.1 10.1.0.0/16

# Keep BIRD's logs and the captures with the results, whatever the verdict.
trap 'lab_bird_logs a b; lab_cap_stop sw1 sw2' EXIT

# ------------------------------------------------------------- helpers

# holes WHEN: a has its one blackhole (10.2.0.0/16), b its one
# (10.1.0.0/16), and no other route with protocol 165.
holes() {
	lab_holes_wait "$1" a 10.2.0.0/16
	lab_holes_wait "$1" b 10.1.0.0/16
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
lab_ospf_wait vti15 "with both tunnels up" a b
lab_ospf_wait vti16 "with both tunnels up" a b
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
lab_assert "a: the adjacency on vti16 went with the primary" lab_ospf_full a vti16
holes "with the primary terminated"
lab_sites_no_leak "primary terminated, OSPF over the backup"

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
lab_ospf_wait vti15 "with both tunnels back" a b
lab_ospf_wait vti16 "with both tunnels back" a b
lab_sites_through 15 "with both tunnels back"
holes "with both tunnels back"

lab_bg_ping_stop 1-4 a b
lab_sites_no_leak "across 1-4"
# No protected prefix is narrower than a route through a VTI: nothing to
# warn about, also not in the seconds between a tunnel's coming up and
# OSPF's routes (nothing routes the prefix yet, no misconfiguration).
for h in a b; do
	n=$(lab_log_count "$h" 'protected prefix .* has no route through')
	(( n == 0 )) ||
		lab_fail "$h: $n lines say a protected prefix has no route through a VTI, though OSPF routes it: $(grep -E -m 1 'protected prefix .* has no route through' "$(lab_charon_log "$h")")"
	lab_assert_not "$h: the plugin logged a failure" lab_log_has "$h" 'vti: .*failed'
done
