#!/usr/bin/env bash
# lock.sh — a row lock held by another session: `dcops drain` of the locked
# node gives up after lock_timeout (2 s) with the script command's one line
# (55P03, "busy, try again"), while a console on the same database keeps
# reading and answering keys. A session left idle in a transaction is ended
# by the server's idle_in_transaction_session_timeout, which the console's
# sessions set (checked in the server log), and its locks go with it.
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
set -e
pgdir="$TEST_TMP/pg"
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; screen_stop; fault_cleanup "$pgdir"' EXIT
fault_cluster "$pgdir" lock
export PGDATABASE=lock
# two drains in the small a100 partition: past the guard rail's 10 %
psql -q -c "UPDATE dcops.setting SET value = '100' WHERE key = 'guard.drain_pct'"
# log the console's session set-up with its parameters
psql -q -c "ALTER DATABASE lock SET log_statement = 'all'"
screen_start 100 30 --db "'host=$pgdir/sock dbname=lock'"
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; screen_stop; fault_cleanup "$pgdir"' EXIT
screen_wait "DB UP"
screen_wait "tn-a100-002"

# the console's sessions bound every wait, idle transactions included
grep -q "set_config('idle_in_transaction_session_timeout', \$3" "$pgdir/server.log"
grep -qE "parameters: \\\$1 = '30s', \\\$2 = '2s', \\\$3 = '60s'" "$pgdir/server.log" ||
	{ echo "FAIL: the console's session settings are not in the log:"; grep -n set_config "$pgdir/server.log"; exit 1; }

# another session locks a node and sits on it
psql -q -c "BEGIN; SELECT 1 FROM dcops.node WHERE name = 'tn-a100-002' FOR UPDATE;
            SELECT pg_sleep(60) /* lock holder */; COMMIT" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
	[ "$(psql -Atc "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%/* lock holder */%'
	                AND state = 'active' AND pid <> pg_backend_pid()")" = 1 ] && break
	sleep 0.1
done

t0=$(fault_ms)
set +e
"$DCOPS" drain tn-a100-002 --reason "lock test: the row is held" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
rc=$?
set -e
lock_ms=$(fault_elapsed "$t0")
cat "$TEST_TMP/err"
[ $rc -eq 1 ] || { echo "FAIL: drain of a locked node exited $rc"; exit 1; }
[ "$(wc -l <"$TEST_TMP/err")" -eq 1 ] || { echo "FAIL: more than one line on stderr"; exit 1; }
grep -q "^dcops drain: busy, try again: .*SQLSTATE 55P03" "$TEST_TMP/err"
# it waited for the lock (2 s), and not much longer
[ "$lock_ms" -ge 1800 ] && [ "$lock_ms" -le 4000 ] ||
	{ echo "FAIL: gave up after ${lock_ms} ms (lock_timeout is 2 s)"; exit 1; }

# the console meanwhile: keys answered, live changes to other rows shown
screen_keys 2
screen_wait "2 partitions" 2
screen_keys 1
screen_wait "4 nodes" 2
psql -q -c "UPDATE dcops.node SET sched_state = 'down' WHERE name = 'tn-h100-001'"
screen_match "tn-h100-001 .*down" 5
screen_wait "DB UP" 1
# nothing was recorded by the refused drain
[ "$(psql -Atc "SELECT count(*) FROM dcops.actions")" = 0 ]
[ "$(psql -Atc "SELECT count(*) FROM dcops.audit")" = 0 ]

psql -q -Atc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE query LIKE '%/* lock holder */%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" || true
holder=
"$DCOPS" drain tn-a100-002 --reason "lock test: the row is free again" >/dev/null

# idle in a transaction, holding a lock: the console's settings, with the
# idle timeout at 1 s instead of 60 s so the test does not wait a minute
cat >"$TEST_TMP/idle.sql" <<'SQL'
SELECT set_config('statement_timeout', '30s', false), set_config('lock_timeout', '2s', false),
       set_config('idle_in_transaction_session_timeout', '1s', false);
BEGIN;
SELECT 1 FROM dcops.node WHERE name = 'tn-a100-001' FOR UPDATE;
\! sleep 4
SELECT 'still in the transaction';
SQL
psql -q -f "$TEST_TMP/idle.sql" >"$TEST_TMP/idle.out" 2>&1 &
holder=$!
for _ in $(seq 50); do
	[ "$(psql -Atc "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'")" = 1 ] && break
	sleep 0.1
done
t1=$(fault_ms)
for _ in $(seq 50); do
	[ "$(psql -Atc "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'")" = 0 ] && break
	sleep 0.1
done
idle_ms=$(fault_elapsed "$t1")
# the lock went with the session: the drain goes through at once
t2=$(fault_ms)
"$DCOPS" drain tn-a100-001 --reason "lock test: idle holder was ended" >/dev/null
drain_ms=$(fault_elapsed "$t2")
wait "$holder" || true
holder=
grep -q "idle-in-transaction timeout" "$TEST_TMP/idle.out" ||
	{ echo "FAIL: the idle session was not ended by the server:"; cat "$TEST_TMP/idle.out"; exit 1; }
! grep -q "still in the transaction" "$TEST_TMP/idle.out"
[ "$drain_ms" -le 1500 ] || { echo "FAIL: drain after the idle holder took ${drain_ms} ms"; exit 1; }
echo "lock: drain refused after ${lock_ms} ms (55P03); idle holder ended ${idle_ms} ms after it went idle; drain then took ${drain_ms} ms"
echo "lock: ok"
