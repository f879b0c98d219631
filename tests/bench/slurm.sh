#!/usr/bin/env bash
# slurm.sh — the console while `dcopsd --adapter slurm` runs against the
# live Slurm 22.05 cluster of tests/lib/slurm.sh (6 nodes, 48 GPUs, 2 jobs),
# polling every second, in one run:
#   - bench-console's row (tests/bench/console.c): commit-to-screen with
#     the adapter's cycles and NOTIFYs going on, first screen, bytes, RSS;
#     the adapter is paused (SIGSTOP) for the idle figure
#   - Slurm-to-screen: `scontrol update ... State=DRAIN Reason=<mark>`
#     returns -> the console's tmux pane shows the mark (polled every
#     5 ms), and -> the row is in dcops.node (psql polled every 5 ms);
#     SAMPLES drains of the node that runs the jobs (DRAINING), each
#     resumed before the next.
# Usage: BUILD=build bash tests/bench/slurm.sh [SAMPLES]
# Needs the PostgreSQL of the environment (PGHOST: run.sh's), tmux and
# Slurm (make deps-check); prints "(skipped: ...)" without Slurm.
set -u
ROOT=${DCOPS_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
export DCOPS=${DCOPS:-$ROOT/$BUILD/bin/dcops} DCOPSD=${DCOPSD:-$ROOT/$BUILD/bin/dcopsd} DCOPS_ROOT=$ROOT
export LC_ALL=C.UTF-8 TZ=UTC
N=${1:-15}
. "$ROOT/tests/lib/slurm.sh"
why=$(slurm_unavailable)
[ -z "$why" ] || { echo "(skipped: $why)"; exit 0; }
export TEST_TMP=${TEST_TMP:-$(mktemp -d /tmp/dcops-bench-slurm.XXXXXX)}
. "$ROOT/tests/screen/lib.sh"
T=$TEST_TMP
db=bench_slurm_$$
dpid=
cleanup() {
	[ -n "$dpid" ] && kill -CONT "$dpid" 2>/dev/null && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	screen_stop
	slurm_stop "$T/slurm"
	dropdb --if-exists --force "$db" >/dev/null 2>&1
}
trap cleanup EXIT
set -e
createdb "$db" && "$DCOPS" -q --db "dbname=$db" db migrate >/dev/null
slurm_start "$T/slurm" >/dev/null
"$DCOPSD" --adapter slurm --db "dbname=$db" --poll-nodes 1 --poll-jobs 1 --poll-accounting 5 \
	--log "$T/dcopsd.log" &
dpid=$!
sbatch -Q -o /dev/null -A hanbit --gres=gpu:2 --wrap 'sleep 600'
sbatch -Q -o /dev/null -A hanbit --gres=gpu:4 --wrap 'sleep 600'
for _ in $(seq 100); do
	[ "$(psql -XAtq -d "$db" -c "SELECT count(*) FROM dcops.job")" = 2 ] && break
	sleep 0.2
done

echo "| fleet | terminal | floor p50 / p99 | console p50 / p99 | under churn p50 / p99 | first screen ms | idle B/s | churn B/s | churn CPU s/s | draw µs/frame | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
"$ROOT/$BUILD/bench/console" --db "dbname=$db" --dcops "$DCOPS" --pause-pid "$dpid" --ready gwj-h100-001 \
	--stats "$T/stats" \
	--samples "${BENCH_SAMPLES:-300}" --churn 1000 --seconds 10 --cols 200 --rows 60 \
	--label "Slurm 22.05, 6 nodes, dcopsd --adapter slurm (1 s polls)" || echo "| Slurm | (bench failed) |"

now_ms() { date +%s%3N; }
screen_start 160 40 --db "dbname=$db"
trap cleanup EXIT   # screen_start sets its own
screen_wait gwj-h100-001 30 >/dev/null
screen_keys / gwj-h100-001 Enter
screen_wait "1 of 6 nodes" >/dev/null
pane=() dbrow=()
for i in $(seq 1 "$N"); do
	mark="bench$i-$RANDOM"
	scontrol update NodeName=gwj-h100-001 State=DRAIN Reason="$mark"
	t0=$(now_ms)
	db_ms=
	while :; do
		[ -z "$db_ms" ] && [ "$(psql -XAtq -d "$db" -c "SELECT drain_reason FROM dcops.node WHERE name = 'gwj-h100-001'")" = "$mark" ] &&
			db_ms=$(($(now_ms) - t0))
		screen_dump | grep -q "$mark" && break
		[ $(($(now_ms) - t0)) -gt 10000 ] && { echo "(sample $i never shown)"; break; }
		sleep 0.005
	done
	pane+=($(($(now_ms) - t0)))
	dbrow+=("${db_ms:-$(($(now_ms) - t0))}")
	scontrol update NodeName=gwj-h100-001 State=RESUME
	screen_gone "$mark" 10 >/dev/null
	sleep 0.$((RANDOM % 10))   # drains land anywhere in the poll interval
done
stats() { sort -n | awk '{ v[NR] = $1 } END { printf "%d / %d / %d ms", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
echo
echo "Slurm-to-screen, $N drains (scontrol returns -> shown; median / min / max): in dcops.node" \
	"$(printf '%s\n' "${dbrow[@]}" | stats), on the console's pane $(printf '%s\n' "${pane[@]}" | stats)."
echo "dcopsd over the run: $(grep -c '' "$T/dcopsd.log") log lines, $(grep -c 'tick failed' "$T/dcopsd.log" || true) failed cycles."
