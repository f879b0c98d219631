#!/usr/bin/env bash
# sim.sh — how fast the embedded data center runs: dcopsd --adapter sim at
# 290 nodes (the Gwangju fleet) and ~25,000 nodes (seed --scale 86), each
# in two modes:
#   real-time  --speed 60, a tick a second (the default): can it keep up? (p99
#              well under 1000 ms means yes)
#   flat out   --tick-ms 1 --speed 60000: ticks back to back, 60 simulated
#              seconds each: the most the sim and PostgreSQL sustain
# Prints one table row per run: ticks/s, rows written/s, job events/s
# (arrivals + starts + ends), tick time p50/p99, and the seed time.
# Starts its own private PostgreSQL and stops it on any exit; each run is
# bounded (SIM_BENCH_SECS, default 20 s; the whole script about 3 minutes).
set -euo pipefail
SECS=${SIM_BENCH_SECS:-20}
SCALES=${SIM_BENCH_SCALES:-"1 86"}
. "$(dirname "$0")/lib.sh"
bench_begin simbench

# summary FILE FIELD: a number out of dcopsd's closing summary line.
field() {
	sed -n "s/.*$2.*/\\1/p" "$1" | tail -n 1
}

printf '%-8s %-10s %8s %10s %12s %9s %9s %9s %7s\n' nodes mode ticks/s rows/s job-ev/s p50-ms p99-ms first-ms seed-s
for scale in $SCALES; do
	db="simbench_${scale//./_}"
	createdb "$db"
	"$DCOPS" -q --db "dbname=$db" db migrate >/dev/null
	t0=$(date +%s.%N)
	"$DCOPS" -q --db "dbname=$db" seed --scale "$scale" >/dev/null
	seed_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	nodes=$(psql -At -d "$db" -c "SELECT count(*) FROM dcops.node")
	for mode in real-time flat-out; do
		case $mode in
		real-time) args="--speed 60 --tick-ms 1000" ;;
		flat-out) args="--speed 60000 --tick-ms 1" ;;
		esac
		out="$WORK/$db.$mode.out"
		# SIGTERM after SECS: dcopsd finishes its tick and prints the summary
		# the first tick of a big empty fleet (load + warm start) takes a while
		timeout -k 10 "$((SECS + (nodes > 1000 ? 25 : 0)))" "$DCOPSD" --adapter sim --db "dbname=$db" $args \
			--log "$WORK/$db.log" --stats >"$out" 2>&1 || true
		printf '%-8s %-10s %8s %10s %12s %9s %9s %9s %7.2f\n' "$nodes" "$mode" \
			"$(field "$out" '(\([0-9.]*\) ticks\/s)')" \
			"$(field "$out" 'rows (\([0-9]*\)\/s)')" \
			"$(field "$out" 'job events (\([0-9]*\)\/s)')" \
			"$(field "$out" 'p50 \([0-9.]*\) ms')" \
			"$(field "$out" 'p99 \([0-9.]*\) ms')" \
			"$(field "$out" 'first tick \([0-9]*\) ms')" "$seed_s"
		grep -q 'failed ticks' "$out" || { echo "sim.sh: no summary from dcopsd:"; tail -n 5 "$out"; }
	done
	dropdb "$db"
done
