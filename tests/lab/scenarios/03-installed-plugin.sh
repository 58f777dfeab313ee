# shellcheck shell=bash
# The plugin works installed the way an operator installs it, without
# LD_PRELOAD: libstrongswan-vti.so in charon's plugin directory and
# conf/vti.conf ("vti { load = yes }") in /etc/strongswan.d/charon, with
# Debian's stock strongswan.conf tree (load_modular = yes). charon loads
# it by its file name (version line, "vti" among the loaded plugins) and
# a tunnel with mark_in = mark_out = 15 gets vti15 up on both hosts.

lab_require_plugin

lab_topo_pair
for h in a b; do
	lab_charon_start_installed "$h"
done

for h in a b; do
	pid=$(lab_charon_pid "$h")
	# Not preloaded, but mapped from the plugin directory.
	while IFS= read -r -d '' var; do
		[[ $var != LD_PRELOAD=* ]] || lab_fail "$h: charon runs with $var"
	done < "/proc/$pid/environ"
	lab_assert "$h: charon has no $LAB_PLUGIN_DIR/libstrongswan-vti.so mapped" \
		lab_file_has "/proc/$pid/maps" "$LAB_PLUGIN_DIR/libstrongswan-vti.so"
	lab_assert "$h: charon log has no 'vti: plugin version ' line" \
		lab_log_has "$h" 'vti: plugin version [^ ]+ loaded \(strongSwan '
	lab_assert_not "$h: charon log reports a load failure of the vti plugin" \
		lab_log_has "$h" "plugin 'vti'|vti.*failed"
	stats=$(lab_swanctl "$h" --stats)
	plugins=$(grep '^loaded plugins:' <<< "$stats") ||
		lab_fail "$h: swanctl --stats shows no plugin list"
	lab_log "$h: $plugins"
	[[ " ${plugins#loaded plugins:} " == *" vti "* ]] ||
		lab_fail "$h: 'vti' is not among swanctl --stats' loaded plugins"
	# The stock tree, not the lab's short list, was loaded.
	[[ " ${plugins#loaded plugins:} " == *" stroke "* ]] ||
		lab_fail "$h: charon did not load the stock plugin set (no stroke)"
done

lab_pair_conf mark_in=15 mark_out=15
lab_assert_not "a has vti15 before any SA" lab_has_link a vti15

lab_log "initiating from a"
lab_assert "a could not initiate CHILD_SA 'net'" lab_initiate a net
for h in a b; do
	lab_assert "$h: no INSTALLED CHILD_SA 'net'" lab_wait 10 lab_sa_up "$h" net
	lab_assert "$h: vti15 is not admin up" lab_wait 10 lab_link_up "$h" vti15
	lab_assert "$h: no 'vti: vti15 up' log line" \
		lab_log_has "$h" 'vti: vti15 up \(key 15, '
done
