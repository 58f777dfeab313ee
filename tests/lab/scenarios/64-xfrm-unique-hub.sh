# shellcheck shell=bash
# %unique if_ids on a hub: each of three spokes gets its own XFRM interface
# on h, named after the if_id its first CHILD_SA got (xfrmN); the three
# devices have three different if_ids; a spoke leaving removes its device
# ("vti: xfrmN removed", with successor_wait = 0) and leaves the others up.
# Needs XFRM interfaces (LAB_KERNEL=qemu).

lab_require_plugin
lab_require_xfrmi

lab_topo_hub 3
# successor_wait = 0: a spoke's device goes with its last SA (scenario 42
# shows a device waiting for the spoke's successor).
lab_charon_start h "successor_wait = 0"
for i in 1 2 3; do
	lab_charon_start "s$i"
	lab_psk_conf "$LAB_RUN/h/s$i.conf" 10.9.0.1 "10.9.0.1$i" conn="s$i" \
		if_id_in=%unique if_id_out=%unique local_ts=192.168.0.0/24 \
		remote_ts="192.168.1$i.0/24"
	lab_psk_conf "$LAB_RUN/s$i/swanctl.conf" "10.9.0.1$i" 10.9.0.1 conn=hub \
		if_id_in=$((20 + i)) if_id_out=$((20 + i)) \
		local_ts="192.168.1$i.0/24" remote_ts=192.168.0.0/24
	lab_load_conf "s$i" "$LAB_RUN/s$i/swanctl.conf"
done
cat "$LAB_RUN"/h/s?.conf > "$LAB_RUN/h/swanctl.conf"
lab_load_conf h "$LAB_RUN/h/swanctl.conf"
for i in 1 2 3; do
	lab_assert "s$i could not initiate" lab_initiate "s$i" net
done
# devices HOST: the names of HOST's devices in group 165
devices() {
	ip -n "$1" -o link show group 165 | awk '{ sub(/:$/, "", $2); sub(/@.*/, "", $2); print $2 }'
}
three() {
	(( $(devices h | grep -c '^xfrm') == 3 ))
}
lab_assert "h does not have three xfrm devices" lab_wait 10 three
declare -A ids=()
for d in $(devices h); do
	id=$(lab_xfrm_if_id h "$d")
	[[ -n $id && $d == "xfrm$id" ]] || lab_fail "h: $d has if_id '$id'"
	ids[$id]=1
	lab_assert "h: $d is not up" lab_link_up h "$d"
done
(( ${#ids[@]} == 3 )) || lab_fail "h: the devices share if_ids: ${!ids[*]}"
# s1's device: named after the if_id of h's CHILD_SA with s1
re='^ +in +[0-9a-f]+ \(-\|0x([0-9a-f]+)\)'
s1_id=
while IFS= read -r line; do
	if [[ $line =~ $re ]]; then
		s1_id=$(( 16#${BASH_REMATCH[1]} ))
	fi
done < <(lab_swanctl h --list-sas --ike s1)
[[ -n $s1_id && -n ${ids[$s1_id]:-} ]] ||
	lab_fail "h: no device for the if_id '$s1_id' of s1's CHILD_SA"
s1_dev=xfrm$s1_id
lab_log "s1 leaves; h's $s1_dev must go"
lab_swanctl s1 --terminate --ike hub --timeout 30 > /dev/null
two() {
	(( $(devices h | grep -c '^xfrm') == 2 ))
}
lab_assert "h: s1's device was not removed" lab_wait 10 two
lab_assert_not "h: $s1_dev is still there" lab_has_link h "$s1_dev"
lab_assert "h: no 'vti: $s1_dev removed' line" lab_log_has h "vti: $s1_dev removed: "
for d in $(devices h); do
	lab_assert "h: $d went down when s1 left" lab_link_up h "$d"
done
