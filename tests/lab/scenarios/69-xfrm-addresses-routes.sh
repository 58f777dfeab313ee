# shellcheck shell=bash
# Scenario 30 with an XFRM interface: a child with if_id_in = if_id_out =
# 15 gets xfrm15, with the plugin's addresses, routes through it with
# their metric next to fail-closed blackholes, pings through it as ESP;
# down with its address and only the blackholes when terminated (nothing
# leaves in clear); back when initiated again; a settings reload changes
# the routes' metric and adds an address without a flap and with the same
# CHILD_SA; charon's stop (keep_protection = no) leaves no route of the
# plugin's and no device. Needs XFRM interfaces (LAB_KERNEL=qemu).

lab_require_xfrmi
dev=xfrm15
keys="if_id_in=15 if_id_out=15"
# shellcheck source=30-addresses-routes.sh
. "$LAB_DIR/scenarios/30-addresses-routes.sh"
