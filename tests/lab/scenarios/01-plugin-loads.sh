# shellcheck shell=bash
# The vti plugin loads into Debian's stock charon: charon logs its version
# line, lists it among the loaded plugins, and reports no load failure.
# The plugin's worker is charon's one batch thread (SCHED_BATCH), so that
# waking it never preempts a bus hook.

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

# batch_threads HOST: the number of HOST's charon threads with policy
# SCHED_BATCH (3, field 41 of /proc/PID/task/TID/stat).
batch_threads() {
	local t stat n=0
	for t in /proc/"$(lab_charon_pid "$1")"/task/*; do
		read -r stat < "$t/stat"
		read -r -a stat <<< "${stat##*) }"
		(( stat[38] == 3 )) && n=$(( n + 1 ))
	done
	printf '%s\n' "$n"
}

for h in a b; do
	n=$(batch_threads "$h")
	(( n == 1 )) || lab_fail "$h: charon has $n batch threads, expected the plugin's worker alone"
	lab_log "$h: one charon thread runs as a batch thread: the plugin's worker"
done
