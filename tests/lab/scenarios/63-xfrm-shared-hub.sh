# shellcheck shell=bash
# A hub h and three spokes s1..s3, every child with if_id 7: the spokes'
# SAs share one xfrm7 on h (no refusal, one device). It stays up when s1
# leaves, goes down only when the last spoke is gone. Needs XFRM
# interfaces (LAB_KERNEL=qemu).

lab_require_plugin
lab_require_xfrmi

lab_topo_hub 3
lab_charon_start h
for i in 1 2 3; do
	lab_charon_start "s$i"
	lab_psk_conf "$LAB_RUN/h/s$i.conf" 10.9.0.1 "10.9.0.1$i" conn="s$i" \
		if_id_in=7 if_id_out=7 local_ts=192.168.0.0/24 \
		remote_ts="192.168.1$i.0/24"
	lab_psk_conf "$LAB_RUN/s$i/swanctl.conf" "10.9.0.1$i" 10.9.0.1 conn=hub \
		if_id_in=7 if_id_out=7 local_ts="192.168.1$i.0/24" \
		remote_ts=192.168.0.0/24
	lab_load_conf "s$i" "$LAB_RUN/s$i/swanctl.conf"
done
cat "$LAB_RUN"/h/s?.conf > "$LAB_RUN/h/swanctl.conf"
lab_load_conf h "$LAB_RUN/h/swanctl.conf"
for i in 1 2 3; do
	lab_assert "s$i could not initiate" lab_initiate "s$i" net
done
lab_assert "h: xfrm7 is not up" lab_wait 10 lab_link_up h xfrm7
lab_assert_not "h: an SA was refused its device" lab_log_has h "gets no"
n=$(ip -n h -o link show group 165 | grep -c . || true)
(( n == 1 )) || lab_fail "h has $n devices of the plugin's, expected xfrm7 alone"

lab_swanctl s1 --terminate --ike hub --timeout 30 > /dev/null
lab_sleep 2
lab_assert "h: xfrm7 went down when s1 left" lab_link_up h xfrm7
for i in 2 3; do
	lab_swanctl "s$i" --terminate --ike hub --timeout 30 > /dev/null
done
lab_assert "h: xfrm7 is not down after the last spoke left" \
	lab_wait 10 lab_link_down h xfrm7
