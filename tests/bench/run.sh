#!/usr/bin/env bash
# make bench — the figures in BENCHMARKS.md. Starts its own private
# PostgreSQL, seeds the Gwangju fleet (290 nodes) and a 25,000-node fleet
# with 100,000 jobs, runs the simulator behind each, and measures the
# console in a pseudo-terminal (tests/bench/console.c) next to a bare libpq
# LISTEN client in the same run, then many headless consoles on a primary
# and a hot standby (consoles.sh); then dcopsd --adapter slurm over
# generated Slurm output (tests/bench/slurm_cycle.sh), the telemetry and
# Xid figures and several sites. Bounded: about 40 minutes in all.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
DCOPS="$ROOT/$BUILD/bin/dcops" DCOPSD="$ROOT/$BUILD/bin/dcopsd"
BENCH="$ROOT/$BUILD/bench/console"
export LC_ALL=C.UTF-8 TZ=UTC
. tests/lib/pg.sh
WORK=$(mktemp -d /tmp/dcops-bench.XXXXXX)
chmod 755 "$WORK"
SIM_PID=
cleanup() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	pg_stop "$WORK/pg"
	rm -rf "$WORK"
}
trap cleanup EXIT
pg_start "$WORK/pg" >/dev/null

. tests/bench/lib.sh

echo "# dcops bench — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r)"
echo
echo "Console in a pty (tests/bench/console.c). Latency in ms, p50 / p99: floor = COMMIT → a bare"
echo "libpq LISTEN client notified; console = COMMIT → the changed text's bytes on the pty (incidents"
echo "view, ${BENCH_SAMPLES:-300} samples each), quiet and with 100 GPU rows changed before each sample. Idle: the simulator stopped"
echo "(SIGSTOP), nodes view. Churn: 1,000 GPU rows/s on top of the simulator, nodes view. Draw µs/frame:"
echo "CPU time inside the console's draw per frame (DCOPS_STATS), over the whole run."
echo
echo "| fleet | terminal | floor p50 / p99 | console p50 / p99 | under churn p50 / p99 | first screen ms | idle B/s | churn B/s | churn CPU s/s | draw µs/frame | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
fleet gj 1
sim_start gj
bench() { "$BENCH" --pause-pid "$SIM_PID" --stats "$WORK/stats" --samples "${BENCH_SAMPLES:-300}" --churn 1000 --seconds 10 "$@"; }
bench --db "dbname=gj" --dcops "$DCOPS" --cols 200 --rows 60 --label "290 nodes" || echo "| 290 nodes | (bench failed) |"
bench --db "dbname=gj" --dcops "$DCOPS" --cols 80 --rows 24 --label "290 nodes" || echo "| 290 nodes | (bench failed) |"
sim_stop
fleet big 86.3
sim_start big
sim_warm big
many_jobs big
JOBS_BEFORE=$(console_jobs big)
bench --db "dbname=big" --dcops "$DCOPS" --cols 200 --rows 60 --label "25,000 nodes, 100,000 jobs" || echo "| 25,000 nodes | (bench failed) |"
JOBS_AFTER=$(console_jobs big)
sim_stop
echo
echo "Simulator at --speed $SPEED. Jobs in the console's window (live, or ended in the last hour) at"
echo "25,000 nodes: $JOBS_BEFORE when it started, $JOBS_AFTER when it ended."
echo "The console's reads over that run (DCOPS_STATS): $(tr '\n' ' ' < "$WORK/stats")"

echo
echo "## With the Slurm adapter running (tests/bench/slurm.sh)"
echo
BUILD=$BUILD bash tests/bench/slurm.sh 15 || echo "(slurm bench failed)"

echo
echo "## Fifty consoles (tests/bench/consoles.sh: headless consoles, primary and hot standby)"
echo
BUILD=$BUILD bash tests/bench/consoles.sh || echo "(consoles bench failed)"

echo
echo "## Through an SSH bastion (tests/bench/ssh.sh: tmux polling, so coarse)"
echo
BUILD=$BUILD bash tests/bench/ssh.sh 15 || echo "(ssh bench failed)"

echo
echo "## Several sites in one console (tests/bench/sites.sh)"
echo
BUILD=$BUILD bash tests/bench/sites.sh || echo "(sites bench failed)"

echo
echo "## Simulator (tests/bench/sim.sh)"
echo
bash tests/bench/sim.sh

echo
echo "## Telemetry cycle (tests/bench/telemetry.c: generated DCGM answers, parse + match + diff)"
echo
for n in 290 25000; do
	for src in exporters federate prometheus; do "$ROOT/$BUILD/bench/telemetry" "$n" "$src"; done
done

echo
echo "## Slurm adapter (tests/bench/slurm_cycle.sh: recorded 22.05 output cloned, fake commands, this PostgreSQL's build)"
echo
bash tests/bench/slurm_cycle.sh "$BUILD" || echo "(slurm bench failed)"

echo
echo "## Xid to incident on screen (tests/bench/xid.sh: test exporter → Prometheus → dcopsd → console)"
echo
BUILD=$BUILD bash tests/bench/xid.sh 20 1 || echo "(xid bench failed)"
BUILD=$BUILD bash tests/bench/xid.sh 12 5 | tail -n 1 || echo "(xid bench failed)"
