# shellcheck shell=bash
# The vti plugin loads into Debian's stock charon: charon logs its version
# line, lists it among the loaded plugins, and reports no load failure.

lab_plugin_available ||
	lab_fail "VTI_PLUGIN '${VTI_PLUGIN:-}' does not exist: build the plugin" \
		"(src/vti_plugin/.libs/libstrongswan-vti.so) or set VTI_PLUGIN"

lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done

for h in a b; do
	lab_log "$h: checking charon's log and stats"
	lab_assert "$h: charon log has no 'vti: plugin version ' line" \
		lab_log_has "$h" 'vti: plugin version '
	lab_assert_not "$h: charon log reports a plugin load failure" \
		lab_log_has "$h" "plugin 'vti' failed|failed to load|vti.*failed"
	stats=$(lab_swanctl "$h" --stats)
	plugins=$(grep '^loaded plugins:' <<< "$stats") ||
		lab_fail "$h: swanctl --stats shows no plugin list"
	lab_log "$h: $plugins"
	[[ " ${plugins#loaded plugins:} " == *" vti "* ]] ||
		lab_fail "$h: 'vti' is not among swanctl --stats' loaded plugins"
done
