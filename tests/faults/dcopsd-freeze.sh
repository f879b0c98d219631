#!/usr/bin/env bash
# dcopsd-freeze.sh — the primary freezes instead of dying (its storage
# hangs, its VM is paused: every process stopped, its socket still
# accepting) and its standby is promoted. dcopsd, on the multi-host string
# "host=primary,standby target_session_attrs=read-write", is cut off the
# frozen server by its watchdog (--db-timeout 2), and its next attach
# tries the other server first: attached to the new primary well under
# the 5 s that libpq's walk of the string would spend waiting on the
# frozen server it names first (db_connect's connect limit). Then it ticks
# there (adapter.state up on the new primary, its heartbeat moving), and
# its log names the server it attached to.
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
. "$DCOPS_ROOT/tests/lib/pg-standby.sh"
set -e
pdir="$TEST_TMP/p" sdir="$TEST_TMP/s"
simpid=
cleanup() {
	fault_sim_kill
	fault_cleanup "$sdir"
	fault_cleanup "$pdir"
}
trap cleanup EXIT
fault_standby_pair "$pdir" "$sdir" frz
DB="$(pgs_conninfo "$pdir" "$sdir") dbname=frz target_session_attrs=read-write"
log="$TEST_TMP/dcopsd.log"
fault_sim_start "$log" --db-timeout 2
grep -q "attached (sim) to socket $pdir/sock/" "$log" ||
	{ echo "FAIL: dcopsd did not attach to the primary:"; cat "$log"; exit 1; }

# the standby is promoted first, so that the only question left is how
# long dcopsd takes to leave the frozen server
pgs_promote "$sdir"
for p in $(fault_pids "$pdir"); do kill -STOP "$p"; done
t0=$(fault_ms)
for _ in $(seq 100); do grep -q "answered nothing for 2 s" "$log" && break; sleep 0.05; done
cut=$(fault_elapsed "$t0")
grep -q "answered nothing for 2 s (--db-timeout): connection dropped" "$log" ||
	{ echo "FAIL: no watchdog line $cut ms after the freeze:"; cat "$log"; exit 1; }
for _ in $(seq 200); do grep -q "attached (sim) to socket $sdir/sock/" "$log" && break; sleep 0.05; done
on=$(fault_elapsed "$t0")
grep -q "attached (sim) to socket $sdir/sock/.* (the server that stopped answering left out of this attempt)" "$log" ||
	{ echo "FAIL: not attached to the new primary $on ms after the freeze:"; cat "$log"; exit 1; }
echo "primary frozen: cut off after $cut ms (--db-timeout 2), attached to the new primary after $on ms ($((on - cut)) ms after the cut)"
# libpq's walk of the whole string would wait 5 s on the frozen server first
[ $((on - cut)) -lt 4000 ] || { echo "FAIL: $((on - cut)) ms from the cut to the new primary"; cat "$log"; exit 1; }

# ticking on the new primary: up, and ticking
for _ in $(seq 100); do [ "$(ons "SELECT value FROM dcops.setting WHERE key = 'adapter.state'")" = up ] && break; sleep 0.1; done
[ "$(ons "SELECT value FROM dcops.setting WHERE key = 'adapter.state'")" = up ] ||
	{ echo "FAIL: adapter.state not up on the new primary:"; ons "SELECT key, value FROM dcops.setting WHERE key LIKE 'adapter.%'"; cat "$log"; exit 1; }
n0=$(grep -c "^tick " "$log.ticks" || true)
sleep 1
n1=$(grep -c "^tick " "$log.ticks" || true)
echo "ticks on the new primary in 1 s: $((n1 - n0))"
[ "$n1" -gt "$n0" ] || { echo "FAIL: no tick on the new primary:"; cat "$log"; exit 1; }
! grep -q "Sanitizer\|runtime error" "$log" || { echo "FAIL: dcopsd's log:"; cat "$log"; exit 1; }
echo "dcopsd-freeze: ok"
