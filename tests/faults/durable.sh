#!/usr/bin/env bash
# durable.sh — an acknowledged action survives a crash even on a server
# running with synchronous_commit=off (issue 12, "durable actions").
# The cluster runs as tests/lib/pg.sh starts it (synchronous_commit=off)
# with wal_writer_delay at its maximum, 10 s, so an asynchronous commit
# stays in shared memory only, not yet written, for seconds. ROUNDS times:
# 50 actions through the script commands (drain, resume, quota set), each
# acknowledged ("recorded", exit 0); then kill -9 of the postmaster and
# every child, restart, and each of the 50 must have its audit row and its
# actions row(s). Without the durable commit of 030_hardening.sql the last
# commits before the kill are lost. Prints the counts.
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
set -u
pgdir="$TEST_TMP/pg"
trap 'fault_cleanup "$pgdir"' EXIT
rounds=${DURABLE_ROUNDS:-3}
per=50
pg_start "$pgdir" || exit 1
psql -q -d postgres -c "ALTER SYSTEM SET wal_writer_delay = '10s'" -c "SELECT pg_reload_conf()" >/dev/null ||
	exit 1
createdb dur_tmpl &&
	"$DCOPS" -q --db "dbname=dur_tmpl" db migrate >/dev/null &&
	DCOPS_TEST_TEMPLATE=dur_tmpl screen_db dur || exit 1
export PGDATABASE=dur
# About durability, not the drain guard rail (pending drains pile up here
# with no adapter to apply them).
psql -q -c "UPDATE dcops.setting SET value = '100000' WHERE key = 'guard.drain_pct'" -c "CHECKPOINT" || exit 1
[ "$(psql -Atc 'SHOW synchronous_commit')" = off ] || { echo "FAIL: the server is not asynchronous"; exit 1; }

nodes=(tn-h100-001 tn-h100-002 tn-a100-001 tn-a100-002)
declare -A drained=([tn-h100-001]=0 [tn-h100-002]=1 [tn-a100-001]=0 [tn-a100-002]=0)
run=$$ out="$TEST_TMP/out" err="$TEST_TMP/err"

# The i-th action's words, as an array in cmd; advances the model.
action_args() {
	local i=$1 n=${nodes[$((i % 4))]}
	if [ $((i % 5)) -eq 4 ]; then
		cmd=(quota set 'Acme Research' "gpus=$((100 + i))" --reason "durable test quota change $i")
	elif [ "${drained[$n]}" = 0 ]; then
		drained[$n]=1
		cmd=(drain "$n" --reason "durable test drain number $i")
	else
		drained[$n]=0
		cmd=(resume "$n" --reason "durable test resume number $i")
	fi
}

# Kills the postmaster and every child at once, as a crash would, and waits
# until they are gone.
crash() {
	local pids p
	pids=$(fault_pids "$pgdir")
	kill -KILL $pids 2>/dev/null
	for p in $pids; do
		while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
	done
}

acked=0
for ((r = 0; r < rounds; r++)); do
	for ((k = 0; k < per; k++)); do
		i=$((r * per + k))
		action_args "$i"
		"$DCOPS" --db "dbname=dur" "${cmd[@]}" --idempotency-key "dur-$run-$i" >"$out" 2>"$err" &&
			grep -q recorded "$out" ||
			{ echo "FAIL: ${cmd[*]}: not acknowledged: $(cat "$out" "$err")"; exit 1; }
		acked=$((acked + 1))
	done
	crash
	pg_restart "$pgdir" || exit 1
	IFS='|' read -r audit_keys action_keys < <(psql -Atc "
		SELECT (SELECT count(DISTINCT idempotency_key) FROM dcops.audit
		         WHERE idempotency_key LIKE 'dur-$run-%'),
		       (SELECT count(DISTINCT split_part(idempotency_key, '/', 1)) FROM dcops.actions
		         WHERE idempotency_key LIKE 'dur-$run-%')")
	lost=$((acked - audit_keys))
	echo "round $((r + 1)): $acked acknowledged so far; after kill -9 and restart: $audit_keys with audit rows, $action_keys with actions rows"
	if [ "$lost" -ne 0 ] || [ "$action_keys" -ne "$acked" ]; then
		echo "FAIL: $lost acknowledged action(s) lost their audit row, $((acked - action_keys)) their actions rows"
		# the model of drained nodes is no longer the database's: stop here
		exit 1
	fi
done
echo "durable: $acked actions acknowledged over $rounds crashes (synchronous_commit=off, wal_writer_delay=10s), none lost"
