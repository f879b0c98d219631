#!/usr/bin/env bash
# adapter.sh — the adapter is down while operators act: the actions wait as
# pending (nothing lost, nothing applied), and when dcopsd --adapter sim
# comes back it applies the backlog in id order, each once.
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
set -e
[ -x "$DCOPSD" ] && "$DCOPSD" --help 2>&1 | grep -q -- "--adapter sim" ||
	{ echo "skipped: dcopsd has no sim adapter yet"; exit 77; }
pgdir="$TEST_TMP/pg"
simpid=
trap '[ -n "$simpid" ] && kill "$simpid" 2>/dev/null; wait; fault_cleanup "$pgdir"' EXIT
fault_cluster "$pgdir" adapter
export PGDATABASE=adapter
psql -q -c "UPDATE dcops.setting SET value = '100' WHERE key = 'guard.drain_pct'"

# no adapter: six intents queue up
"$DCOPS" drain tn-a100-002 --reason "adapter test: first in the queue" >/dev/null
"$DCOPS" resume tn-h100-002 --reason "adapter test: xid cleared by vendor" >/dev/null
"$DCOPS" quota set 'Acme Research' gpus=12 --reason "adapter test: more gpus for the sweep" >/dev/null
"$DCOPS" drain tn-h100-001 --reason "adapter test: fourth in the queue" >/dev/null
"$DCOPS" resume tn-a100-002 --reason "adapter test: drained by mistake" >/dev/null
"$DCOPS" quota set '(주)딥비전랩스' gpus=6 --reason "adapter test: second quota change" >/dev/null
sleep 1
[ "$(psql -Atc "SELECT count(*) FROM dcops.actions WHERE status = 'pending'")" = 6 ]
"$DCOPS" actions --pending | grep -c pending | grep -qx 6
# nothing was applied meanwhile
[ "$(psql -Atc "SELECT admin_state FROM dcops.node WHERE name = 'tn-a100-002'")" = active ]
[ "$(psql -Atc "SELECT gpu_limit FROM dcops.quota WHERE tenant_id = 1")" = 4 ]

"$DCOPSD" --adapter sim --db "dbname=adapter" --tick-ms 200 --verbose --log "$TEST_TMP/sim.log" &
simpid=$!
for _ in $(seq 100); do
	[ "$(psql -Atc "SELECT count(*) FROM dcops.actions WHERE status = 'pending'")" = 0 ] && break
	sleep 0.1
done
kill "$simpid"; wait "$simpid" || true; simpid=
psql -Atc "SELECT id, kind, target, status, coalesce(error, '') FROM dcops.actions ORDER BY id"
[ "$(psql -Atc "SELECT count(*) FROM dcops.actions WHERE status = 'applied'")" = 6 ] ||
	{ echo "FAIL: not all applied"; cat "$TEST_TMP/sim.log"; exit 1; }
# in id order: the sim's log names them as it applies them
grep -o "action [0-9]* applied" "$TEST_TMP/sim.log" | awk '{print $2}' >"$TEST_TMP/order"
[ "$(cat "$TEST_TMP/order" | tr '\n' ' ')" = "1 2 3 4 5 6 " ] ||
	{ echo "FAIL: applied in the order $(tr '\n' ' ' <"$TEST_TMP/order")"; exit 1; }
# and the end state is the last intent: tn-a100-002 drained then resumed
[ "$(psql -Atc "SELECT admin_state FROM dcops.node WHERE name = 'tn-a100-002'")" = active ]
[ "$(psql -Atc "SELECT admin_state FROM dcops.node WHERE name = 'tn-h100-002'")" = active ]
[ "$(psql -Atc "SELECT admin_state FROM dcops.node WHERE name = 'tn-h100-001'")" != active ]
[ "$(psql -Atc "SELECT gpu_limit FROM dcops.quota WHERE tenant_id = 2")" = 12 ]
[ "$(psql -Atc "SELECT gpu_limit FROM dcops.quota WHERE tenant_id = 1")" = 6 ]
echo "adapter: 6 actions queued while down, applied in id order on return"
