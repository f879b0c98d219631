#!/usr/bin/env bash
# dcopsd-hang.sh — the server stops answering dcopsd while its host still
# acknowledges: dcopsd's own backend is SIGSTOPped (a backend stuck on its
# storage looks the same), over a Unix socket that no TCP timeout watches.
# libpq waits for good there. dcopsd's watchdog (--db-timeout, here 2 s;
# the time its Slurm commands take is not counted) shuts the connection
# down, the tick rolls back, dcopsd connects again (a new backend) and
# ticks on. The control, --db-timeout 3600: no tick for as long as the
# test waits, which is what every dcopsd did before the watchdog. And a
# Slurm command slower than the limit (squeue taking 2.5 s, --db-timeout 1)
# is not taken for a hung database: the clock stops while it runs. A lock
# held past dcopsd's lock_timeout (30 s; 1 s here, from its connection
# string) fails the tick with the server's reason, which the consoles see
# (adapter.state down, adapter.error), on the connection that still works.
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
set -e
pgdir="$TEST_TMP/pg"
simpid=
stopped=
dpid=
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	[ -n "$stopped" ] && kill -CONT "$stopped" 2>/dev/null
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	fault_sim_kill
	fault_cleanup "$pgdir"
}
trap cleanup EXIT
fault_cluster "$pgdir" dhang
DB="host=$pgdir/sock dbname=dhang"
qd() { psql -Atq -d "$DB" -c "$1"; }
# the server logs dcopsd's session set-up with its parameters
qd "ALTER DATABASE dhang SET log_statement = 'all'"

ticks() { grep -c "^tick " "$1.ticks" || true; }
backend() { qd "SELECT pid FROM pg_stat_activity WHERE application_name = 'dcopsd'"; }

# stop_backend: SIGSTOPs dcopsd's backend between two ticks (idle: it holds
# no lock that the next session would wait for) and sets $stopped
stop_backend() {
	local pid
	pid=$(backend)
	[ -n "$pid" ] || { echo "FAIL: no dcopsd session in pg_stat_activity"; exit 1; }
	for _ in $(seq 50); do
		kill -STOP "$pid"
		if [ "$(qd "SELECT state FROM pg_stat_activity WHERE pid = $pid")" = idle ]; then
			stopped=$pid
			return 0
		fi
		kill -CONT "$pid"
		sleep 0.05
	done
	echo "FAIL: dcopsd's backend was never caught idle"; exit 1
}

# stop_sim: ends dcopsd (its stop grace covers a hung call)
stop_sim() {
	kill "$simpid" 2>/dev/null || true
	wait "$simpid" 2>/dev/null || true
	simpid=
}

# ---- the watchdog: 2 s
log="$TEST_TMP/a.log"
fault_sim_start "$log" --db-timeout 2
stop_backend
t0=$(fault_ms)
for _ in $(seq 100); do grep -q "answered nothing for 2 s" "$log" && break; sleep 0.1; done
detect=$(fault_elapsed "$t0")
grep -q "answered nothing for 2 s (--db-timeout): connection dropped" "$log" ||
	{ echo "FAIL: no watchdog line after $detect ms:"; cat "$log"; exit 1; }
echo "dcopsd's backend stopped: connection dropped after $detect ms (--db-timeout 2)"
[ "$detect" -ge 1500 ] && [ "$detect" -lt 8000 ] || { echo "FAIL: $detect ms"; exit 1; }
n0=$(ticks "$log")
for _ in $(seq 100); do [ "$(ticks "$log")" -gt "$n0" ] && break; sleep 0.1; done
back=$(fault_elapsed "$t0")
[ "$(ticks "$log")" -gt "$n0" ] || { echo "FAIL: no tick after the watchdog:"; cat "$log"; exit 1; }
echo "ticking again $back ms after the backend stopped"
[ "$(grep -c "attached (sim)" "$log")" -ge 2 ] || { echo "FAIL: no second attach:"; cat "$log"; exit 1; }
new=$(backend)
[ -n "$new" ] && [ "$new" != "$stopped" ] || { echo "FAIL: dcopsd's session is still $stopped"; exit 1; }
[ "$(qd "SELECT value FROM dcops.setting WHERE key = 'adapter.state'")" = up ] ||
	{ echo "FAIL: adapter.state is not 'up':"; qd "SELECT key, value FROM dcops.setting WHERE key LIKE 'adapter.%'"; exit 1; }
stop_sim
kill -CONT "$stopped"
stopped=
grep -A1 "set_config('lock_timeout', \$1, false)" "$pgdir/server.log" | grep -q "parameters: \$1 = '30s'" ||
	{ echo "FAIL: dcopsd's session did not set lock_timeout 30s:"; grep -n -A1 "lock_timeout" "$pgdir/server.log" | head; exit 1; }

# ---- the control: a limit longer than the test
log="$TEST_TMP/b.log"
fault_sim_start "$log" --db-timeout 3600
stop_backend
n0=$(ticks "$log")
sleep 6
n1=$(ticks "$log")
echo "control (--db-timeout 3600): $((n1 - n0)) ticks in the 6 s after the backend stopped"
[ "$n1" -eq "$n0" ] || { echo "FAIL: dcopsd ticked with its backend stopped?"; exit 1; }
stop_sim
kill -CONT "$stopped"
stopped=

# ---- a lock held past the session's lock_timeout: down, and why
log="$TEST_TMP/c.log"
DB="$DB options='-c lock_timeout=1s'"
fault_sim_start "$log"
fault_lock dhang dcops.node
t0=$(fault_ms)
state() { qd "SELECT value FROM dcops.setting WHERE key = 'adapter.state'"; }
for _ in $(seq 100); do [ "$(state)" = down ] && break; sleep 0.1; done
ms=$(fault_elapsed "$t0")
why=$(qd "SELECT value FROM dcops.setting WHERE key = 'adapter.error'")
echo "node table locked (lock_timeout 1s): adapter.state $(state) after $ms ms: $why"
[ "$(state)" = down ] && grep -q "lock timeout" <<<"$why" || { echo "FAIL: not reported down with the lock's reason:"; cat "$log"; exit 1; }
! grep -q "answered nothing" "$log" || { echo "FAIL: the watchdog fired for a lock:"; cat "$log"; exit 1; }
fault_unlock dhang
t0=$(fault_ms)
for _ in $(seq 150); do [ "$(state)" = up ] && break; sleep 0.1; done
echo "lock released: adapter.state $(state) $(fault_elapsed "$t0") ms later"
[ "$(state)" = up ] || { echo "FAIL: not up again:"; cat "$log"; exit 1; }
stop_sim

# ---- a slow Slurm command under a short limit: not the database
top=$TEST_TMP/slurm db=dhang_slurm
mkdir -p "$top"
. "$DCOPS_ROOT/tests/lib/slurm-fake.sh"
slurm_fake_bin
fake squeue 'sleep 2.5; cat "$d/squeue.json"'
createdb -T dhang_tmpl "$db"
"$DCOPSD" --adapter slurm --db "host=$pgdir/sock dbname=$db" --slurm-bin "$bin" --db-timeout 1 \
	--poll-nodes 0.3 --poll-jobs 0.3 --verbose --log "$top/dcopsd.log" >"$top/dcopsd.log.ticks" &
dpid=$!
until_ok 30 is "SELECT count(*) > 0 FROM dcops.job" t || { echo "FAIL: no jobs:"; cat "$top/dcopsd.log"; exit 1; }
sleep 6 # two more squeue runs of 2.5 s
slow=$(grep -c "^tick " "$top/dcopsd.log.ticks" || true)
echo "slurm, squeue taking 2.5 s under --db-timeout 1: $slow ticks, $(grep -c "answered nothing" "$top/dcopsd.log" || true) watchdog lines"
! grep -q "answered nothing\|tick failed" "$top/dcopsd.log" ||
	{ echo "FAIL: a slow Slurm command was taken for a hung database:"; cat "$top/dcopsd.log"; exit 1; }
is "SELECT value FROM dcops.setting WHERE key = 'adapter.state'" up || { echo "FAIL: adapter.state not up"; exit 1; }
kill "$dpid"
wait "$dpid" 2>/dev/null || true
dpid=
! grep -q "Sanitizer\|runtime error" "$TEST_TMP/a.log" "$TEST_TMP/b.log" "$TEST_TMP/c.log" "$top/dcopsd.log" ||
	{ echo "FAIL: dcopsd's log:"; cat "$TEST_TMP/a.log" "$TEST_TMP/b.log" "$TEST_TMP/c.log" "$top/dcopsd.log"; exit 1; }
echo "dcopsd-hang: ok"
