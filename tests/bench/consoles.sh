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
# Standby relay rows: `dcops relay` on the standby, the consoles (their own
# --db the standby, as wall screens) through it (BENCH_STANDBY_RELAY_PHASES,
# default 1,50; with BENCH_ALTERNATE=1 measured after the direct standby
# row of the same count). BENCH_STANDBY_PHASES="" and
# BENCH_STANDBY_RELAY_PHASES="" skip the standby. An empty BENCH_PHASES or
# BENCH_RELAY_PHASES runs none of those rows, alternating or not.
# BENCH_RELAY_READERS=N (default 0: none): each relay row also has N raw
# readers of the relay socket (bench-consoles --readers N: relay clients
# that read and discard every byte and apply nothing, their CPU in no
# column), so "1 console + 49 readers" shows what 50 consoles on one host
# sharing one model would cost; the row's label says "+N readers" (with
# BENCH_BEFORE, that build's bench-consoles must know --readers too).
# After each table, a "marker split" line per row of this build: the first
# console to apply each marker, and the last one's lag behind it.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
DCOPS="$ROOT/$BUILD/bin/dcops" DCOPSD="$ROOT/$BUILD/bin/dcopsd"
CONSOLES="$ROOT/$BUILD/bench/consoles"
SECS=${BENCH_CONSOLE_S:-30}
# BENCH_SAMPLES: a row goes on past BENCH_CONSOLE_S until its consoles have
# this many commit-to-apply samples between them (default 500: one
# console's row ~75 s, its p99 the 5th largest, not the 2nd of 200)
SAMPLES=${BENCH_SAMPLES:-500}
BEFORE_SAMPLES=(--samples "$SAMPLES") # a build before --samples runs --seconds alone
if [ -n "${BENCH_BEFORE:-}" ] && ! grep -qa -e "--samples" "$BENCH_BEFORE/bench/consoles"; then
	BEFORE_SAMPLES=()
fi
READERS=${BENCH_RELAY_READERS:-0}
case $READERS in
'' | *[!0-9]*)
	echo "consoles.sh: BENCH_RELAY_READERS=$READERS: not a count (0 to 63)" >&2
	exit 2
	;;
esac
READERS_OPT=() READERS_LABEL=
if [ "$READERS" -gt 0 ]; then
	READERS_OPT=(--readers "$READERS") READERS_LABEL=", +$READERS readers"
fi
export LC_ALL=C.UTF-8 TZ=UTC
. tests/lib/pg.sh
. tests/lib/pg-standby.sh
. tests/lib/relay.sh
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
# where the markers are committed (pg.sh's clusters commit asynchronously),
# and the server whose CPU the rows show (the one the consoles read)
WRITE=$PRIMARY SERVER_PM=$PM

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
echo "the simulator at --speed $SPEED, ${SECS} s per configuration and on until it has $SAMPLES samples (one console: ~75 s),"
echo "a marker committed every 100–200 ms."
echo "Load: store_start → the full load applied (no draw). Commit-to-apply: COMMIT returns → the"
echo "marker's row in a console's model, p50 / p99 over all consoles' samples, and the worst console's"
echo "p99, and markers a console had not applied within 2 s. Primary CPU: the postmaster and its processes"
echo "(/proc), CPU s per wall s, the simulator's writes included; the consoles' CPU likewise (same machine)."
echo "Delta reads per console per writing transaction (xids used on the primary)."
if [ "$READERS" -gt 0 ]; then
	echo "Relay rows \"+$READERS readers\": $READERS more relay clients that read and discard every byte (no apply),"
	echo "connected before the consoles; their CPU is in no column (the relay's includes serving them)."
fi
if [ -n "${BENCH_STANDBY_PHASES-1,50}${BENCH_STANDBY_RELAY_PHASES-1,50}" ]; then
	echo "Standby rows: the \"primary CPU\" column is the standby's (its postmaster and processes, replay included),"
	echo "and the markers commit with synchronous_commit=${BENCH_STANDBY_COMMIT:-on}."
fi
echo
echo "| where | consoles | load ms p50 / max | peak RSS MB | commit-to-apply p50 / p99 | worst p99 | missed | primary CPU s/s | consoles' CPU s/s | relay CPU s/s | writing xacts/s | delta reads / console / xact |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
# With BENCH_BEFORE, each count is measured with the other build's consoles
# and then this build's, in turn (each from its own full loads).
consoles_run() { # WHERE DB PHASES
	local only
	if [ -z "${BENCH_BEFORE:-}" ]; then
		"$CONSOLES" --split "$WORK/split" --db "$2" --write "$WRITE" --phases "$3" --seconds "$SECS" --samples "$SAMPLES" --pg-pid "$SERVER_PM" --label "$1"
		return
	fi
	for only in ${3//,/ }; do
		"$BENCH_BEFORE/bench/consoles" --db "$2" --write "$WRITE" --phases "$only" --seconds "$SECS" ${BEFORE_SAMPLES[@]+"${BEFORE_SAMPLES[@]}"} \
			--pg-pid "$SERVER_PM" --label "$1, before"
		"$CONSOLES" --split "$WORK/split" --db "$2" --write "$WRITE" --phases "$only" --seconds "$SECS" --samples "$SAMPLES" --pg-pid "$SERVER_PM" \
			--label "$1, this build"
	done
}
# With BENCH_BEFORE, the other build's consoles go through the other
# build's relay (started alongside this build's, both running throughout)
# and each count is measured before, then this build, in turn.
relay_start() { # DB: the relay (relays) read it
	relay_spawn "$DCOPS" "$1" "$WORK/relay.sock" "$WORK/relay.log"
	RELAY_PID=$SPAWNED
	# the relays' own first loads done: a console's first snapshot is then
	# the whole fleet (one during the load is part of it, then a RESET)
	relay_loaded "$WORK/relay.log" || { echo "consoles.sh: the relay did not load in 120 s:" >&2; cat "$WORK/relay.log" >&2; exit 1; }
	[ -n "${BENCH_BEFORE:-}" ] || return 0
	relay_spawn "$BENCH_BEFORE/bin/dcops" "$1" "$WORK/relay-before.sock" "$WORK/relay-before.log"
	BEFORE_RELAY_PID=$SPAWNED
	relay_loaded "$WORK/relay-before.log" 15 || true # an older build does not say
}
relay_stop() {
	local pid
	for pid in $RELAY_PID $BEFORE_RELAY_PID; do
		kill "$pid" && wait "$pid" 2>/dev/null || true
	done
	# its fan-out lines (one a minute and one at exit: they span the counts
	# measured), and what else it said but consoles coming and going: a RESET, a
	# client dropped, the database lost, each of which the figures carry
	if [ -n "$RELAY_PID" ]; then
		grep -hv -e "connected (" -e "listening on" -e "closed by the console" -e "write: Broken pipe" -e "Connection reset by peer" "$WORK/relay.log" | sed 's/^/relay log: /' || true
	fi
	RELAY_PID= BEFORE_RELAY_PID=
	rm -f "$WORK/relay.log" "$WORK/relay-before.log"
}
relay_run() { # WHERE DB PHASES: the consoles' own session on DB, the data through the relay
	local only
	if [ -z "${BENCH_BEFORE:-}" ]; then
		"$CONSOLES" --split "$WORK/split" --db "$2" --write "$WRITE" --phases "$3" --seconds "$SECS" --samples "$SAMPLES" --pg-pid "$SERVER_PM" \
			--relay "$WORK/relay.sock" --relay-pid "$RELAY_PID" ${READERS_OPT[@]+"${READERS_OPT[@]}"} \
			--label "$1 via relay$READERS_LABEL"
		return
	fi
	for only in ${3//,/ }; do
		"$BENCH_BEFORE/bench/consoles" --db "$2" --write "$WRITE" --phases "$only" --seconds "$SECS" ${BEFORE_SAMPLES[@]+"${BEFORE_SAMPLES[@]}"} \
			--pg-pid "$SERVER_PM" --relay "$WORK/relay-before.sock" --relay-pid "$BEFORE_RELAY_PID" \
			${READERS_OPT[@]+"${READERS_OPT[@]}"} --label "$1 via relay$READERS_LABEL, before"
		"$CONSOLES" --split "$WORK/split" --db "$2" --write "$WRITE" --phases "$only" --seconds "$SECS" --samples "$SAMPLES" --pg-pid "$SERVER_PM" \
			--relay "$WORK/relay.sock" --relay-pid "$RELAY_PID" ${READERS_OPT[@]+"${READERS_OPT[@]}"} \
			--label "$1 via relay$READERS_LABEL, this build"
	done
}
# measure WHERE DB DIRECT RELAYED: the counts direct and through the relay
# (started on DB), alternating per count with BENCH_ALTERNATE=1
measure() {
	local n
	[ -n "$4" ] && relay_start "$2"
	if [ "${BENCH_ALTERNATE:-}" = 1 ]; then
		for n in $(echo "$3,$4" | tr ',' '\n' | grep . | sort -nu); do
			case ",$3," in *",$n,"*) consoles_run "$1" "$2" "$n" ;; esac
			case ",$4," in *",$n,"*) relay_run "$1" "$2" "$n" ;; esac
		done
	else
		[ -n "$3" ] && consoles_run "$1" "$2" "$3"
		[ -n "$4" ] && relay_run "$1" "$2" "$4"
	fi
	relay_stop
	# this build's rows, each split in two (consoles.c, --split)
	if [ -s "$WORK/split" ]; then
		sed 's/^/marker split: /' "$WORK/split"
		rm -f "$WORK/split"
	fi
}
measure primary "$PRIMARY" "${BENCH_PHASES-1,10,50}" "${BENCH_RELAY_PHASES-1,10,50}"
STANDBY_PHASES=${BENCH_STANDBY_PHASES-1,50} STANDBY_RELAY_PHASES=${BENCH_STANDBY_RELAY_PHASES-1,50}
if [ -z "$STANDBY_PHASES$STANDBY_RELAY_PHASES" ]; then
	sim_stop
	exit 0
fi
pgs_standby "$WORK/pg" "$WORK/sb" >/dev/null
# as the README's Patroni settings say: vacuum on the primary must not cancel a full load
psql -h "$WORK/sb/sock" -d postgres -Atqc "ALTER SYSTEM SET hot_standby_feedback = on" >/dev/null
psql -h "$WORK/sb/sock" -d postgres -Atqc "SELECT pg_reload_conf()" >/dev/null
export PGHOST="$WORK/pg/sock"
# BENCH_STANDBY_COMMIT=on (the default): the markers commit as a production server does
# (synchronous_commit=on: the WAL flushed, so sent to the standby at
# COMMIT) instead of pg.sh's off, where the WAL writer sends it within
# its wal_writer_delay (200 ms), which the rows then include (=off: as before).
[ "${BENCH_STANDBY_COMMIT:-on}" = on ] && WRITE="$PRIMARY options='-c synchronous_commit=on'"
SERVER_PM=$(head -n 1 "$WORK/sb/data/postmaster.pid")
measure standby "host=$WORK/sb/sock dbname=big" "$STANDBY_PHASES" "$STANDBY_RELAY_PHASES"
sim_stop
