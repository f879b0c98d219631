#!/usr/bin/env bash
# dcopsd-stop.sh — dcopsd is asked to stop (SIGTERM, as systemd or `dcops
# demo --stop` does) while its server hangs: every process of the cluster
# is SIGSTOPped, so dcopsd's next call blocks on a socket that stays open
# and says nothing (a Unix socket: no TCP timeout will ever end it, and
# libpq waits again after EINTR). It must still stop within a few seconds
# (STOP_GRACE_S, 3 s, then its connection is shut down under the call):
# before, it waited for the server for good. Asked to stop while the
# server answers, it stops at once and reports STOPPED, as before.
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
set -e
pgdir="$TEST_TMP/pg"
simpid=
cleanup() {
	fault_sim_kill
	fault_cleanup "$pgdir"
}
trap cleanup EXIT
fault_cluster "$pgdir" dstop
DB="host=$pgdir/sock dbname=dstop"

# stop_ms: SIGTERM, then the ms until it exited (limit 10 s, then SIGKILL)
stop_ms() {
	local t0
	t0=$(fault_ms)
	kill "$simpid"
	for _ in $(seq 100); do kill -0 "$simpid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$simpid" 2>/dev/null; then
		echo 99999
		return
	fi
	wait "$simpid" 2>/dev/null || true
	simpid=
	fault_elapsed "$t0"
}

# ---- the server answers: stops at once, STOPPED on record
fault_sim_start "$TEST_TMP/a.log"
ms=$(stop_ms)
echo "asked to stop while the server answers: stopped in $ms ms"
[ "$ms" -lt 3000 ] || { echo "FAIL: took $ms ms"; cat "$TEST_TMP/a.log"; exit 1; }
[ "$(psql -Atq -d "$DB" -c "SELECT value FROM dcops.setting WHERE key = 'adapter.state'")" = stopped ] ||
	{ echo "FAIL: the adapter's status is not 'stopped'"; psql -Atq -d "$DB" -c "SELECT key, value FROM dcops.setting WHERE key LIKE 'adapter.%'"; exit 1; }

# ---- the server hangs under it
fault_sim_start "$TEST_TMP/b.log"
pids=$(fault_pids "$pgdir")
for p in $pids; do kill -STOP "$p"; done
sleep 1.5 # its next tick's first call is waiting now
ms=$(stop_ms)
for p in $pids; do kill -CONT "$p" 2>/dev/null || true; done
echo "asked to stop while the server hangs: stopped in $ms ms"
[ "$ms" -lt 8000 ] || { echo "FAIL: dcopsd did not stop within 10 s of SIGTERM while its server hung:"; cat "$TEST_TMP/b.log"; exit 1; }
! grep -q "Sanitizer\|runtime error" "$TEST_TMP/a.log" "$TEST_TMP/b.log" ||
	{ echo "FAIL: dcopsd's log:"; cat "$TEST_TMP/a.log" "$TEST_TMP/b.log"; exit 1; }
echo "dcopsd-stop: ok"
