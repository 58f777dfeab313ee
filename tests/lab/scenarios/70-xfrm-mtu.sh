# shellcheck shell=bash
# Scenario 31 with an XFRM interface: a child with if_id_in = if_id_out =
# 15 gets xfrm15 with the same automatic MTU as a VTI (1446 for
# aes128gcm16 over a 1500-byte IPv4 underlay; DF pings of that size pass,
# one byte more is refused), recomputed when the tunnel comes up over a
# 1400-byte underlay (1346), and keys.15.mtu = 1400 (keys apply to if_ids
# alike). Needs XFRM interfaces (LAB_KERNEL=qemu).

lab_require_xfrmi
dev=xfrm15
keys="if_id_in=15 if_id_out=15"
# shellcheck source=31-mtu.sh
. "$LAB_DIR/scenarios/31-mtu.sh"
