#!/usr/bin/env bash
# consoles.sh — fifty consoles (issue 15), part of `make bench`: a private
# PostgreSQL with the 25,000-node fleet and 100,000 jobs, the simulator
# behind it in real time, and headless consoles (tests/bench/consoles.c:
# the console's store and model, no curses) added 1, 10, 50 on the
# primary, then 1 and 50 on a streaming hot standby (tests/lib/pg-standby.sh).
# BENCH_CONSOLE_S: seconds measured per configuration (default 30);
# BENCH_PHASES, BENCH_STANDBY_PHASES: the console counts (1,10,50 and 1,50);
# BENCH_FIRST_SCREEN=0 skips the first-screen rows.
# Relay rows (issue 15): `dcops relay` on the primary, the consoles through
# it (BENCH_RELAY_PHASES, default 1,10,50; "" for none), the relay's CPU in
# its own column (with BENCH_BEFORE, the other build's consoles through
# the other build's relay, alternately). BENCH_ALTERNATE=1: each count alone, direct then relay
# (counts in BENCH_PHASES and BENCH_RELAY_PHASES), so noise hits both.
# BENCH_STANDBY_PHASES="" skips the standby.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
DCOPS="$ROOT/$BUILD/bin/dcops" DCOPSD="$ROOT/$BUILD/bin/dcopsd"
CONSOLES="$ROOT/$BUILD/bench/consoles"
SECS=${BENCH_CONSOLE_S:-30}
export LC_ALL=C.UTF-8 TZ=UTC
. tests/lib/pg.sh
. tests/lib/pg-standby.sh
WORK=$(mktemp -d /tmp/dcops-bench.XXXXXX)
chmod 755 "$WORK"
SIM_PID=
RELAY_PID=
BEFORE_RELAY_PID=
cleanup() {
	[ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null && wait "$RELAY_PID" 2>/dev/null
	[ -n "$BEFORE_RELAY_PID" ] && kill "$BEFORE_RELAY_PID" 2>/dev/null && wait "$BEFORE_RELAY_PID" 2>/dev/null
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	pg_stop "$WORK/sb" 2>/dev/null || true
	pg_stop "$WORK/pg"
	rm -rf "$WORK"
}
trap cleanup EXIT
. tests/bench/lib.sh
pg_start "$WORK/pg" >/dev/null
PRIMARY="host=$WORK/pg/sock dbname=big"
# BENCH_SCALE: another fleet (seed --scale; 1 is 290 nodes), without the
# 100,000 jobs: the delta reads' cost apart from 50 full loads at once.
fleet big "${BENCH_SCALE:-86.3}"
sim_start big
sim_warm big
if [ -z "${BENCH_SCALE:-}" ]; then
	many_jobs big
fi
PM=$(head -n 1 "$WORK/pg/data/postmaster.pid")

# First screen, BENCH_FIRST_RUNS times each (default 2): the headless full
# load (store_start -> the whole load applied, no draw; its peak RSS) and
# the console in a pty at 200×60 (tests/bench/console.c --first-only):
# spawn -> the nodes view on screen (a first load draws its tables as they
# arrive), -> its GPU column ("/8": the view complete), -> the header's
# DB UP (the whole load drawn), its VmHWM.
# BENCH_BEFORE=DIR: another checkout's build dir (bin/dcops,
# bench/consoles), measured alternately in the same run.
# BENCH_FIRST_ONLY=1: this table alone, then stop.
first_screen() { # LABEL BUILD_DIR
	local load pty
	load=$("$2/bench/consoles" --db "$PRIMARY" --phases 1 --seconds 1 | awk -F'|' '{ print $4 "|" $5 }') || true
	pty=$("$ROOT/$BUILD/bench/console" --db "$PRIMARY" --dcops "$2/bin/dcops" --first-only \
		--complete /8 --cols 200 --rows 60 --label x | awk -F'|' '{ print $3 "|" $4 "|" $5 "|" $6 }') || true
	echo "| $1 |${load%% /*} |${load#*|}|$pty|"
}
if [ "${BENCH_FIRST_SCREEN:-1}" != 0 ]; then
	echo "First screen at $(psql -Atq -d big -c "SELECT count(*) FROM dcops.node") nodes and $(console_jobs big) jobs in the window,"
	echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start, $(date -u +%Y-%m-%d)."
	echo
	echo "| build | headless load ms | headless peak RSS MB | view on screen in a pty ms | view complete ms | whole load on screen ms | pty peak RSS MB |"
	echo "|---|---|---|---|---|---|---|"
	for _ in $(seq 1 "${BENCH_FIRST_RUNS:-2}"); do
		[ -n "${BENCH_BEFORE:-}" ] && first_screen "before ($BENCH_BEFORE)" "$BENCH_BEFORE"
		first_screen "this build" "$ROOT/$BUILD"
	done
	echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
	echo
fi
[ -n "${BENCH_FIRST_ONLY:-}" ] && exit 0

echo "Headless consoles (tests/bench/consoles.c), $(psql -Atq -d big -c 'SELECT count(*) FROM dcops.node') nodes, $(console_jobs big) jobs in the window,"
echo "the simulator at --speed $SPEED, ${SECS} s per configuration, a marker committed every 100–200 ms."
echo "Load: store_start → the full load applied (no draw). Commit-to-apply: COMMIT returns → the"
echo "marker's row in a console's model, p50 / p99 over all consoles' samples, and the worst console's"
echo "p99, and markers a console had not applied within 2 s. Primary CPU: the postmaster and its processes"
echo "(/proc), CPU s per wall s, the simulator's writes included; the consoles' CPU likewise (same machine)."
echo "Delta reads per console per writing transaction (xids used on the primary)."
echo
echo "| where | consoles | load ms p50 / max | peak RSS MB | commit-to-apply p50 / p99 | worst p99 | missed | primary CPU s/s | consoles' CPU s/s | relay CPU s/s | writing xacts/s | delta reads / console / xact |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
# With BENCH_BEFORE, each count is measured with the other build's consoles
# and then this build's, in turn (each from its own full loads).
consoles_run() { # WHERE DB PHASES
	local only
	if [ -z "${BENCH_BEFORE:-}" ]; then
		"$CONSOLES" --db "$2" --write "$PRIMARY" --phases "$3" --seconds "$SECS" --pg-pid "$PM" --label "$1"
		return
	fi
	for only in ${3//,/ }; do
		"$BENCH_BEFORE/bench/consoles" --db "$2" --write "$PRIMARY" --phases "$only" --seconds "$SECS" \
			--pg-pid "$PM" --label "$1, before"
		"$CONSOLES" --db "$2" --write "$PRIMARY" --phases "$only" --seconds "$SECS" --pg-pid "$PM" \
			--label "$1, this build"
	done
}
relay_start() { # [DCOPS SOCKET LOG]: this build's relay, or another's
	"${1:-$DCOPS}" --db "$PRIMARY" relay --socket "${2:-$WORK/relay.sock}" 2>"${3:-$WORK/relay.log}" &
	if [ -n "${1:-}" ]; then BEFORE_RELAY_PID=$!; else RELAY_PID=$!; fi
	for _ in $(seq 1 100); do [ -S "${2:-$WORK/relay.sock}" ] && return 0; sleep 0.1; done
	echo "consoles.sh: the relay did not start:" >&2; cat "${3:-$WORK/relay.log}" >&2; return 1
}
# With BENCH_BEFORE, the other build's consoles go through the other
# build's relay (started alongside this build's, both running throughout)
# and each count is measured before, then this build, in turn.
relay_run() { # PHASES
	local only
	if [ -z "${BENCH_BEFORE:-}" ]; then
		"$CONSOLES" --db "$PRIMARY" --write "$PRIMARY" --phases "$1" --seconds "$SECS" --pg-pid "$PM" \
			--relay "$WORK/relay.sock" --relay-pid "$RELAY_PID" --label "primary via relay"
		return
	fi
	for only in ${1//,/ }; do
		"$BENCH_BEFORE/bench/consoles" --db "$PRIMARY" --write "$PRIMARY" --phases "$only" --seconds "$SECS" \
			--pg-pid "$PM" --relay "$WORK/relay-before.sock" --relay-pid "$BEFORE_RELAY_PID" \
			--label "primary via relay, before"
		"$CONSOLES" --db "$PRIMARY" --write "$PRIMARY" --phases "$only" --seconds "$SECS" --pg-pid "$PM" \
			--relay "$WORK/relay.sock" --relay-pid "$RELAY_PID" --label "primary via relay, this build"
	done
}
RELAY_PHASES=${BENCH_RELAY_PHASES-1,10,50}
[ -n "$RELAY_PHASES" ] && relay_start
if [ -n "$RELAY_PHASES" ] && [ -n "${BENCH_BEFORE:-}" ]; then
	relay_start "$BENCH_BEFORE/bin/dcops" "$WORK/relay-before.sock" "$WORK/relay-before.log"
	sleep 10 # both relays' own full loads done: a console's snapshot is then the whole fleet
fi
if [ "${BENCH_ALTERNATE:-}" = 1 ]; then
	for n in $(echo "${BENCH_PHASES:-1,10,50},$RELAY_PHASES" | tr ',' '\n' | grep . | sort -nu); do
		case ",${BENCH_PHASES:-1,10,50}," in *",$n,"*) consoles_run primary "$PRIMARY" "$n" ;; esac
		case ",$RELAY_PHASES," in *",$n,"*) relay_run "$n" ;; esac
	done
else
	[ -n "${BENCH_PHASES-1,10,50}" ] && consoles_run primary "$PRIMARY" "${BENCH_PHASES:-1,10,50}"
	[ -n "$RELAY_PHASES" ] && relay_run "$RELAY_PHASES"
fi
for pid in $RELAY_PID $BEFORE_RELAY_PID; do
	kill "$pid" && wait "$pid" 2>/dev/null || true
done
RELAY_PID= BEFORE_RELAY_PID=
if [ -z "${BENCH_STANDBY_PHASES-1,50}" ]; then
	sim_stop
	exit 0
fi
pgs_standby "$WORK/pg" "$WORK/sb" >/dev/null
# as the README's Patroni settings say: vacuum on the primary must not cancel a full load
psql -h "$WORK/sb/sock" -d postgres -Atqc "ALTER SYSTEM SET hot_standby_feedback = on" >/dev/null
psql -h "$WORK/sb/sock" -d postgres -Atqc "SELECT pg_reload_conf()" >/dev/null
export PGHOST="$WORK/pg/sock"
consoles_run standby "host=$WORK/sb/sock dbname=big" "${BENCH_STANDBY_PHASES:-1,50}"
sim_stop
