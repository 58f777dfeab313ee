# shellcheck shell=bash
# Children whose marks make no VTI key are refused with one clear log line
# per config and without disturbing their SAs (all INSTALLED, no device):
#   asym:    mark_in = 15, mark_out = 16        "mark_in and mark_out differ"
#   partial: mark_in = mark_out = 15/0xff       "partial mask"
#   udir:    mark_in = mark_out = %unique-dir   "%unique-dir ..."
#   nomark:  no marks                           not a word from the plugin
# One line per config, not per SA: asym goes down and up twice more and
# still has exactly one line. No link appears on either host at all.

lab_require_plugin

children=(asym partial udir nomark)
lab_topo_pair
for h in a b; do
	lab_charon_start "$h"
done

# conf HOST LOCAL REMOTE MINE PEERS IN OUT: HOST's swanctl.conf, one
# connection "lab" with the four children (strongswan.conf syntax merges
# sections of the same name, so single-child files simply follow one
# another). Child i tunnels MINE.i.0/24 to PEERS.i.0/24: no policy is
# shared between children. IN and OUT are asym's marks (mirrored on b).
conf() {
	local h=$1 l=$2 r=$3 mine=$4 peers=$5 i
	local -a marks=("mark_in=$6 mark_out=$7" "mark_in=15/0xff mark_out=15/0xff"
		"mark_in=%unique-dir mark_out=%unique-dir" "")
	for (( i = 0; i < ${#children[@]}; i++ )); do
		# shellcheck disable=SC2086 # marks[i] is a list of KEY=VALUE words
		lab_psk_conf "$LAB_RUN/$h/part$i.conf" "$l" "$r" \
			child="${children[i]}" local_ts="$mine.$i.0/24" \
			remote_ts="$peers.$i.0/24" ${marks[i]}
		cat "$LAB_RUN/$h/part$i.conf"
	done > "$LAB_RUN/$h/swanctl.conf"
	lab_load_conf "$h" "$LAB_RUN/$h/swanctl.conf"
}
conf a 10.9.0.1 10.9.0.2 10.1 10.2 15 16
conf b 10.9.0.2 10.9.0.1 10.2 10.1 16 15

# links HOST: print HOST's links as "INDEX: NAME" lines.
links() {
	local line
	while IFS= read -r line; do
		line=${line%%@*}
		printf '%s\n' "${line%%: <*}"
	done < <(ip -n "$1" -o link show)
}
declare -A links_before
for h in a b; do
	links_before[$h]=$(links "$h")
done

# installed HOST: fail unless HOST has every child INSTALLED (one swanctl).
installed() {
	local line child re='^ +([a-z]+): #[0-9]+, reqid [0-9]+, INSTALLED,'
	local -A up=()
	while IFS= read -r line; do
		[[ $line =~ $re ]] && up[${BASH_REMATCH[1]}]=1
	done < <(lab_swanctl "$1" --list-sas)
	for child in "${children[@]}"; do
		[[ -n ${up[$child]:-} ]] || lab_fail "$1: CHILD_SA $child is not INSTALLED"
	done
}

for child in "${children[@]}"; do
	lab_log "a initiates $child"
	lab_assert "a could not initiate CHILD_SA $child" lab_initiate a "$child"
done
installed a
installed b

# lines HOST: check HOST's plugin lines: one refusal per refused config,
# none about nomark, nothing else but the version line.
lines() {
	local h=$1 child reason c
	declare -A why=(
		[asym]='mark_in and mark_out differ'
		[partial]='marks have a partial mask'
		[udir]='%unique-dir gives each direction its own mark'
	)
	for child in "${!why[@]}"; do
		reason=${why[$child]}
		c=$(lab_log_count "$h" "vti: CHILD_SA $child of 'lab' gets no VTI: $reason")
		(( c == 1 )) ||
			lab_fail "$h: $c 'CHILD_SA $child ... gets no VTI: $reason' lines, expected 1"
	done
	lab_assert_not "$h: the plugin logged about the unmarked child" \
		lab_log_has "$h" 'vti: .*nomark'
	c=$(lab_log_count "$h" 'vti: ')
	(( c == 4 )) || lab_fail "$h: $c plugin log lines, expected the version line" \
		"and 3 refusals: $(grep 'vti: ' "$(lab_charon_log "$h")")"
}

# no_new_links: fail if a link appeared or went on a or b.
no_new_links() {
	local h now
	for h in a b; do
		now=$(links "$h")
		[[ $now == "${links_before[$h]}" ]] ||
			lab_fail "$h: links changed ($1): was ${links_before[$h]//$'\n'/, };" \
				"now ${now//$'\n'/, }"
	done
}

lines a
lines b
no_new_links "all four children up"

for round in 1 2; do
	lab_log "asym down and up again ($round)"
	lab_assert "a could not terminate CHILD_SA asym" \
		lab_swanctl a --terminate --child asym --timeout 30 > /dev/null
	lab_assert "a could not initiate CHILD_SA asym again" lab_initiate a asym
	installed a
	installed b
done
lines a
lines b
no_new_links "asym came up three times"
