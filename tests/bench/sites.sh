#!/usr/bin/env bash
# sites.sh — what holding several sites costs one console: 1, 2 and 5
# sites of 290 nodes (the Gwangju fleet, each its own database with its own
# simulator at --speed 60) in one `dcops --sites ...` at 200x60 in tmux.
# Per run: peak RSS (VmHWM), CPU seconds per second over SITES_BENCH_SECS
# with every simulator running (the Sites view on screen, so every site's
# changes draw), and the bytes per second written to the terminal while all
# simulators are stopped (SIGSTOP), over 10 s inside one minute (the
# clock's minute is the one thing that draws then): idle must be 0 B/s. Starts its own
# private PostgreSQL and tmux server and stops them on any exit; about
# 2 minutes at the default 20 s.
set -euo pipefail
SECS=${SITES_BENCH_SECS:-20}
COUNTS=${SITES_BENCH_COUNTS:-"1 2 5"}
SOCK="dcops-sitesbench-$$"
SIMS=()
sims_stop() {
	local p
	for p in "${SIMS[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	SIMS=()
}
bench_stop() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
	sims_stop
}
. "$(dirname "$0")/lib.sh"
bench_begin sitesbench

# site1 seeded once; the others are copies (createdb -T), 290 nodes each
fleet site1 1
max=0
for n in $COUNTS; do [ "$n" -gt "$max" ] && max=$n; done
for i in $(seq 2 "$max"); do createdb -T site1 "site$i"; done
{
	printf '{ "profiles": {'
	for i in $(seq 1 "$max"); do
		printf '%s "site%d": { "db": "host=%s dbname=site%d" }' "$([ "$i" = 1 ] || echo ,)" "$i" "$PGHOST" "$i"
	done
	printf ' } }\n'
} >"$WORK/config.json"

cpu_s() { # PID: user + system CPU seconds so far
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

echo "| sites | nodes | peak RSS MB | MB per site past the first | CPU s/s, simulators running | idle B/s |"
echo "|---|---|---|---|---|---|"
for n in $COUNTS; do
	names=
	for i in $(seq 1 "$n"); do
		"$DCOPSD" --adapter sim --db "dbname=site$i" --speed 60 --seed $((1000 + i)) \
			--log "$WORK/sim$i.log" >/dev/null 2>&1 &
		SIMS+=($!)
		names="$names${names:+,}site$i"
	done
	sleep 3
	out="$WORK/pty-$n"
	: >"$out"
	tmux -L "$SOCK" -f /dev/null new-session -d -x 200 -y 60 \
		"exec env TERM=xterm-256color LANG=C.UTF-8 $DCOPS --config $WORK/config.json --sites $names 2>>$WORK/err"
	tmux -L "$SOCK" pipe-pane -o "cat >>$out"
	pid=$(tmux -L "$SOCK" list-panes -F '#{pane_pid}')
	sleep 5
	# the Sites view where there are several: every site's changes draw
	[ "$n" -gt 1 ] && tmux -L "$SOCK" send-keys 0
	sleep 2
	c0=$(cpu_s "$pid")
	sleep "$SECS"
	c1=$(cpu_s "$pid")
	# a window inside one minute (the clock's minute is time, not data),
	# and before the nodes' reports are 30 s old (their AGE then counts)
	while [ "$((10#$(date +%S)))" -ge 45 ]; do sleep 1; done
	for p in "${SIMS[@]}"; do kill -STOP "$p"; done
	sleep 3
	b0=$(stat -c %s "$out")
	sleep 10
	b1=$(stat -c %s "$out")
	hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
	[ "$n" = 1 ] && hwm1=$hwm
	awk -v n="$n" -v hwm="$hwm" -v hwm1="${hwm1:-0}" -v c0="$c0" -v c1="$c1" -v secs="$SECS" \
		-v b0="$b0" -v b1="$b1" 'BEGIN {
		per = n > 1 && hwm1 > 0 ? sprintf("%.2f", (hwm - hwm1) / 1024 / (n - 1)) : "-"
		printf "| %d | %d | %.1f | %s | %.3f | %.1f |\n", n, n * 290, hwm / 1024, per,
		       (c1 - c0) / secs, (b1 - b0) / 10 }'
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	sims_stop
done
