#!/usr/bin/env bash
# demo.sh — `dcops demo` end to end, in a private var/ ($TEST_TMP/var) so
# the tree's own var/ is never touched: start; start again (nothing twice);
# psql on the socket; `dcops status` finding the demo by itself; a living
# simulator; stop; recovery after kill -9 of PostgreSQL and dcopsd; var/
# private to its owner, and nothing root writes in a directory PostgreSQL's
# user can write.
set -u
: "${TEST_TMP:?run through tests/run.sh}" "${DCOPS:?}"
export DCOPS_VAR="$TEST_TMP/var"
# run.sh points PG* at its own cluster; the demo must be found without them.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGSERVICEFILE DCOPS_DB
SOCK="$DCOPS_VAR/run"
PGDIR="$DCOPS_VAR/pg"
PIDFILE="$DCOPS_VAR/dcopsd.pid"
OUT="$TEST_TMP/out"

# Pids of this demo's processes: PostgreSQL's work in $PGDIR, dcopsd names
# our pid file on its command line.
demo_pids() {
	local real p cmd
	real=$(realpath "$PGDIR" 2>/dev/null) || real=
	for p in /proc/[0-9]*; do
		if [ -n "$real" ] && [ "$(readlink "$p/cwd" 2>/dev/null)" = "$real" ]; then
			echo "${p#/proc/}"
			continue
		fi
		[ "$(cat "$p/comm" 2>/dev/null)" = dcopsd ] || continue
		cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)
		[[ $cmd == *"$PIDFILE"* ]] && echo "${p#/proc/}"
	done
}

cleanup() {
	"$DCOPS" demo --stop >/dev/null 2>&1
	local pid
	for pid in $(demo_pids); do kill -9 "$pid" 2>/dev/null; done
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	[ -f "$OUT" ] && sed 's/^/  out: /' "$OUT"
	for f in "$DCOPS_VAR"/log/*.log; do
		[ -f "$f" ] && { echo "  -- ${f##*/}"; tail -n 15 "$f" | sed 's/^/  /'; }
	done
	exit 1
}

demo() { "$DCOPS" demo "$@" >"$OUT" 2>&1; }
psql_demo() { psql -X -h "$SOCK" -d dcops -v ON_ERROR_STOP=1 -At "$@"; }
dcopsd_count() {
	local n=0 p
	for p in $(demo_pids); do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = dcopsd ] && n=$((n + 1)); done
	echo $n
}

echo "== first start"
demo --no-console || fail "dcops demo --no-console failed"
grep -q "psql -h $SOCK -d dcops" "$OUT" || fail "summary does not say how to connect"
grep -q "demo --stop" "$OUT" || fail "summary does not say how to stop"
demo --status || fail "demo --status says something is not running"
pg1=$(head -n 1 "$PGDIR/postmaster.pid")
d1=$(cat "$PIDFILE")
[ "$(dcopsd_count)" -eq 1 ] || fail "expected one dcopsd, found $(dcopsd_count)"
if [ "$(id -u)" -ne 0 ]; then
	[ "$(stat -c %a "$SOCK")" = 700 ] || fail "$SOCK is not mode 0700"
fi

echo "== var/ is private; root writes nowhere PostgreSQL's user can"
# Root's var/ lets PostgreSQL's user pass through to pg/ and run/ only.
want=700
[ "$(id -u)" -eq 0 ] && want=711
[ "$(stat -c %a "$DCOPS_VAR")" = $want ] || fail "$DCOPS_VAR is mode $(stat -c %a "$DCOPS_VAR"), not $want"
[ "$(stat -c %a "$DCOPS_VAR/log")" = 700 ] || fail "$DCOPS_VAR/log is not mode 0700"
for f in server.log dcopsd.log; do
	[ "$(stat -c %a "$DCOPS_VAR/log/$f")" = 600 ] || fail "log/$f is mode $(stat -c %a "$DCOPS_VAR/log/$f"), not 0600"
done
# The pid file dcopsd was told to write, and its .tmp, go in a directory
# only its owner can write: PostgreSQL's user cannot plant a symlink there.
pidarg=$(tr '\0' '\n' <"/proc/$d1/cmdline" | sed -n '/^--pidfile$/{n;p}')
[ "$pidarg" = "$PIDFILE" ] || fail "dcopsd writes its pid to '$pidarg', not $PIDFILE"
piddir=$(dirname "$pidarg")
[ "$(stat -c %u "$piddir")" = "$(id -u)" ] && [ $(( 0$(stat -c %a "$piddir") & 022 )) -eq 0 ] ||
	fail "$piddir (holding dcopsd.pid) is not the caller's alone"
if [ "$(id -u)" -eq 0 ]; then
	pguser=${DCOPS_PG_USER:-postgres}
	if runuser -u "$pguser" -- ln -s "$TEST_TMP/target" "$piddir/dcopsd.pid.tmp" 2>/dev/null; then
		fail "$pguser could plant a symlink where dcopsd.pid.tmp goes"
	fi
fi

echo "== second start reuses everything"
demo --no-console || fail "second dcops demo failed"
grep -q "PostgreSQL already running (pid $pg1)" "$OUT" || fail "second run did not reuse PostgreSQL"
grep -q "dcopsd already running (pid $d1)" "$OUT" || fail "second run did not reuse dcopsd"
[ "$(dcopsd_count)" -eq 1 ] || fail "second run left $(dcopsd_count) dcopsd processes"

echo "== psql on the demo socket"
[ "$(psql_demo -c "SELECT nspname FROM pg_namespace WHERE nspname = 'dcops'")" = dcops ] ||
	fail "schema dcops missing"
[ "$(psql_demo -c "SHOW listen_addresses")" = "" ] || fail "the demo cluster listens on TCP"
[ "$(psql_demo -c "SELECT value FROM dcops.setting WHERE key = 'environment'")" = demo ] ||
	fail "setting environment is not 'demo'"
psql_demo -c "INSERT INTO dcops.audit (action, target, reason) VALUES ('test', 'demo.sh', 'test')" \
	>/dev/null || fail "cannot insert an audit row"
if psql_demo -c "UPDATE dcops.audit SET reason = 'changed'" >"$OUT" 2>&1; then
	fail "UPDATE dcops.audit succeeded"
fi
grep -q "append-only" "$OUT" || fail "UPDATE dcops.audit failed for the wrong reason"

echo "== dcops status finds the demo"
"$DCOPS" status >"$OUT" 2>&1 || fail "dcops status failed"
grep -q "using the demo cluster at $SOCK" "$OUT" || fail "dcops status does not say it uses the demo"
grep -Eq '^nodes +290 ' "$OUT" || fail "dcops status does not show 290 nodes"

echo "== the simulator moves the counts"
snap() { "$DCOPS" -q status 2>/dev/null | grep -v -e 'as of' -e 'newest report'; }
first=$(snap)
changed=
for _ in $(seq 1 30); do
	sleep 1
	[ "$(snap)" != "$first" ] && { changed=1; break; }
done
[ -n "$changed" ] || fail "dcops status counts did not change in 30 s (is dcopsd simulating?)"

echo "== kill -9 of PostgreSQL and dcopsd, then demo again"
kill -9 "$pg1" "$d1"
sleep 0.5
demo --no-console || fail "dcops demo after kill -9 failed"
grep -q "stale postmaster.pid" "$OUT" || fail "no stale postmaster.pid cleaned up"
grep -q "stale dcopsd.pid" "$OUT" || fail "no stale dcopsd.pid cleaned up"
pg2=$(head -n 1 "$PGDIR/postmaster.pid")
d2=$(cat "$PIDFILE")
[ "$pg2" != "$pg1" ] && [ "$d2" != "$d1" ] || fail "recovery did not start new processes"
"$DCOPS" -q status >/dev/null 2>&1 || fail "dcops status after recovery failed"
[ "$(dcopsd_count)" -eq 1 ] || fail "recovery left $(dcopsd_count) dcopsd processes"

echo "== stop"
demo --stop || fail "dcops demo --stop failed"
grep -q "stopped dcopsd (pid $d2)" "$OUT" || fail "--stop did not stop dcopsd"
grep -q "stopped PostgreSQL (pid $pg2)" "$OUT" || fail "--stop did not stop PostgreSQL"
for _ in $(seq 1 50); do
	[ -z "$(demo_pids)" ] && break
	sleep 0.1
done
[ -z "$(demo_pids)" ] || fail "processes left after --stop: $(demo_pids)"
[ ! -e "$PGDIR/postmaster.pid" ] || fail "postmaster.pid left after --stop"
[ ! -e "$PIDFILE" ] || fail "dcopsd.pid left after --stop"
demo --status && fail "demo --status says running after --stop"
demo --stop || fail "a second --stop failed"
"$DCOPS" status >"$OUT" 2>&1
grep -q "using the demo cluster" "$OUT" && fail "dcops status still finds the demo after --stop"
echo "ok"
