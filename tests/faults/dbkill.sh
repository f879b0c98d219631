#!/usr/bin/env bash
# dbkill.sh — the database crashes (pg_ctl stop -m immediate) under a live
# console: the header says STALE within 2 s with the last data kept, keys
# are answered while it is down, the console is back within 5 s of the
# restart (also after an outage long enough to grow the backoff) and shows
# what changed meanwhile. Prints the measured times.
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
set -e
pgdir="$TEST_TMP/pg"
trap 'screen_stop; fault_cleanup "$pgdir"' EXIT
fault_cluster "$pgdir" dbkill
screen_start 100 30 --db "'host=$pgdir/sock dbname=dbkill'"
trap 'screen_stop; fault_cleanup "$pgdir"' EXIT
screen_wait "DB UP"
screen_wait "tn-h100-001"

# $1: seconds to stay down (keys are pressed meanwhile)
outage() {
	local down_s=$1 t0 stale_ms up_ms
	t0=$(fault_ms)
	pg_kill "$pgdir"
	screen_wait "STALE" 5
	stale_ms=$(fault_elapsed "$t0")
	screen_match "DB (DOWN|CONNECTING)" 1
	screen_wait "tn-h100-001" 1            # the last data stays on screen

	# keys while down: other views draw from the model, then back
	screen_keys 2
	screen_wait "2 partitions" 2
	screen_keys 4
	screen_wait "Xid 79 on tn-h100-002" 2
	screen_keys 1
	screen_wait "4 nodes" 2
	screen_wait "STALE" 1
	# :db says what the link was and that a write now waits, then is refused
	screen_keys : d b Enter
	screen_match "server was +the primary" 2
	screen_match "link +(DOWN|CONNECTING); last data [0-9]+s ago" 2
	screen_match "writes now +allowed; the link is down: a write tries the server" 2
	screen_keys Escape
	screen_gone "server was" 2
	while [ $(($(fault_ms) - t0)) -lt $((down_s * 1000)) ]; do sleep 0.2; done

	pg_restart "$pgdir"
	local t1
	t1=$(fault_ms)
	# changed before the console is back: the catch-up read must bring it
	psql -q -d dbkill -c "UPDATE dcops.node SET sched_state = 'down', health = 'fail'
	                      WHERE name = 'tn-a100-002'"
	screen_wait "DB UP" 12
	up_ms=$(fault_elapsed "$t1")
	screen_gone "STALE" 2
	screen_match "tn-a100-002 .*down" 3
	echo "outage ${down_s}s: STALE after ${stale_ms} ms; DB UP ${up_ms} ms after the restart"
	[ "$stale_ms" -le 2000 ] || { echo "FAIL: STALE took ${stale_ms} ms (limit 2000)"; return 1; }
	[ "$up_ms" -le 5000 ] || { echo "FAIL: reconnect took ${up_ms} ms after the restart (limit 5000)"; return 1; }
	# back to the fixture's state for the next round
	psql -q -d dbkill -c "UPDATE dcops.node SET sched_state = 'idle', health = 'warn'
	                      WHERE name = 'tn-a100-002'"
	screen_match "tn-a100-002 +a100 .*idle" 3
}

outage 3
outage 9      # the backoff has grown past 4 s by then: the restart must still be noticed soon

# a change after the reconnect arrives live (LISTEN was renewed)
psql -q -d dbkill -c "UPDATE dcops.node SET admin_state = 'draining', drain_reason = 'after crash'
                      WHERE name = 'tn-a100-001'"
screen_match "tn-a100-001 .*draining"
echo "dbkill: ok"
