#!/usr/bin/env bash
# slurm_cycle.sh — dcopsd --adapter slurm per cycle, at the recorded 22.05
# cluster cloned to 290 nodes / 540 jobs and to 25,000 nodes / 100,000
# jobs (tests/bench/slurm_gen.c, generated here, never committed). Fake
# Slurm commands (--slurm-bin) print the generated output; dcopsd reads,
# maps, explains and diffs it as live, and writes a real PostgreSQL
# (tests/lib/pg.sh). Per cycle: dcopsd's CPU, the Slurm commands' CPU
# (here `cat`), rows written, peak RSS; cycle 1 loads an empty database,
# 2-3 are quiet (0 rows), 4 renames 1% of the jobs, 5 is quiet again.
#
#   bash tests/bench/slurm_cycle.sh [BUILD]      (make bench runs it)
#   BENCH_SLURM_BEFORE=<git ref>           also builds dcopsd at that ref
#                                          and runs it on the same data
#   BENCH_SLURM_SIZES="290x540 25000x100000"   nodes x jobs (the default)
# Needs ~2 GB of /tmp at the large size; prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${1:-${BUILD:-build}}
export LC_ALL=C.UTF-8 TZ=UTC
. tests/lib/pg.sh
WORK=$(mktemp -d /tmp/dcops-bench-slurm.XXXXXX)
chmod 755 "$WORK"
cleanup() {
	pg_stop "$WORK/pg"
	rm -rf "$WORK"
}
trap cleanup EXIT
make -s BUILD="$BUILD" "$BUILD/bench/slurm_gen" "$BUILD/bin/dcopsd" "$BUILD/bin/dcops" >/dev/null
pg_start "$WORK/pg" >/dev/null
FX=$ROOT/tests/fixtures/slurm/22.05

# The dcopsd binaries to compare: this tree's, and BENCH_SLURM_BEFORE's.
declare -A DCOPSD=([now]="$ROOT/$BUILD/bin/dcopsd")
if [ -n "${BENCH_SLURM_BEFORE:-}" ]; then
	mkdir -p "$WORK/before"
	git archive "$BENCH_SLURM_BEFORE" | tar -x -C "$WORK/before"
	make -s -C "$WORK/before" build/bin/dcopsd >/dev/null
	DCOPSD[before]="$WORK/before/build/bin/dcopsd"
fi

# fake_bin DATA BIN: the 22.05 commands over DATA; squeue prints
# squeue-1pct.json from its 4th call on.
fake_bin() {
	local d=$1 b=$2
	mkdir -p "$b"
	cp "$FX"/sacct.json "$FX"/sacctmgr_show_*.txt "$FX"/sshare.txt "$d/"
	f() { printf '#!/bin/sh\nd=%q\n%s\n' "$d" "$2" >"$b/$1" && chmod +x "$b/$1"; }
	f sinfo 'case "$1" in --version) echo "slurm-wlm 22.05.8" ;; *) cat "$d/nodes.json" ;; esac'
	f scontrol 'cat "$d/partitions.txt"'
	f squeue 'n=$(($(cat "$d/calls" 2>/dev/null || echo 0) + 1)); echo $n >"$d/calls"
if [ $n -ge 4 ]; then cat "$d/squeue-1pct.json"; else cat "$d/squeue.json"; fi'
	f sacct 'cat "$d/sacct.json"'
	f sacctmgr 'case "$*" in *assoc*) cat "$d/sacctmgr_show_assoc.txt" ;; *) cat "$d/sacctmgr_show_account.txt" ;; esac'
	f sshare 'cat "$d/sshare.txt"'
}

# run LABEL WHICH DATA: five cycles into a fresh database; one table row
# per cycle.
run() {
	local label=$1 which=$2 d=$3 db="bench_slurm_$2_$RANDOM"
	rm -f "$d/calls"
	createdb "$db"
	"$ROOT/$BUILD/bin/dcops" -q --db "dbname=$db" db migrate >/dev/null
	timeout "${BENCH_SLURM_TIMEOUT:-900}" /usr/bin/time -f '%M' -o "$WORK/rss" "${DCOPSD[$which]}" --adapter slurm --db "dbname=$db" \
		--slurm-bin "$WORK/bin-$label" --poll-nodes 0.2 --poll-jobs 0.2 --poll-accounting 0.2 --ticks 5 \
		--verbose --log "$WORK/dcopsd.log" >"$WORK/ticks" 2>&1 || {
		echo "| $label | $which | (dcopsd failed: $(tail -n 1 "$WORK/dcopsd.log")) |"
		dropdb "$db"
		return 0
	}
	local rss what
	rss=$(($(cat "$WORK/rss") / 1024))
	# "tick 1: 812.3 ms, 640.1 ms CPU (+95.2 ms children), 3162 rows, ..."
	grep '^tick ' "$WORK/ticks" | while read -r _ n ms _ cpu _ _ child _ _ rows _; do
		n=${n%:}
		case $n in 1) what="first (empty database)" ;; 4) what="1% of jobs renamed" ;; *) what="quiet" ;; esac
		echo "| $label | $which | $n $what | ${cpu} | ${child#(+} | ${rows} | ${ms} | $rss |"
	done
	dropdb "$db"
}

echo "| cluster | dcopsd | cycle | dcopsd CPU ms | Slurm commands CPU ms | rows written | wall ms | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|"
for size in ${BENCH_SLURM_SIZES:-290x540 25000x100000}; do
	set -- ${size/x/ }
	label="$1 nodes, $2 jobs"
	label=${label// /_}
	mkdir -p "$WORK/data-$label"
	"$ROOT/$BUILD/bench/slurm_gen" "$FX" "$WORK/data-$label" "$1" "$2"
	fake_bin "$WORK/data-$label" "$WORK/bin-$label"
	for which in before now; do
		[ -n "${DCOPSD[$which]:-}" ] && run "$label" "$which" "$WORK/data-$label" | sed 's/_/ /g'
	done
	rm -rf "$WORK/data-$label"
done
