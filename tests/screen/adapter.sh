#!/usr/bin/env bash
# adapter.sh — the adapter's own word reaches the header: silent while it
# is up, ADAPTER STOPPED when dcopsd stops, ADAPTER DOWN (with its error in
# the footer, the data marked STALE) when it says its source is down or
# goes quiet for three report intervals; cleared when it reports again.
# Only the adapter (or an admin) may report, with a known state.
. "$(dirname "$0")/lib.sh"
set -e
db=adapter_status
screen_db "$db"
simpid=
trap 'screen_stop; [ -n "$simpid" ] && kill "$simpid" 2>/dev/null; wait' EXIT
q() { psql -X -q -At -d "$db" -c "$1"; }

screen_start 160 30 --db "'dbname=$db'"
screen_wait "DB UP"
screen_wait "tn-h100-001"
screen_gone "ADAPTER" 1             # never reported: nothing to say

"$DCOPSD" --adapter sim --db "dbname=$db" --tick-ms 200 --speed 60 --log "$TEST_TMP/sim.log" &
simpid=$!
for _ in $(seq 100); do [ "$(q "SELECT value FROM dcops.setting WHERE key = 'adapter.state'")" = up ] && break; sleep 0.1; done
[ "$(q "SELECT value FROM dcops.setting WHERE key = 'adapter.name'")" = sim ]
sleep 1
screen_gone "ADAPTER" 1

# killed without a word: the heartbeat ages past 3 intervals (aged here
# rather than waited for)
kill -9 "$simpid"; wait "$simpid" 2>/dev/null || true; simpid=
q "UPDATE dcops.setting SET value = (floor(extract(epoch FROM now())) - 60)::bigint::text WHERE key = 'adapter.heartbeat'"
screen_wait "ADAPTER DOWN"
screen_wait "STALE"
screen_wait "adapter sim: no report for 3 intervals"

# the adapter says why: its error in the footer, inert
q "SELECT dcops.adapter_report('slurm', 'down', E'slurmctld: Connection refused\\x1b[2J', 5)"
screen_wait "adapter slurm: slurmctld: Connection refused"
screen_wait "ADAPTER DOWN"
[ "$(q "SELECT value FROM dcops.setting WHERE key = 'adapter.since'")" -gt 0 ]

# back up: cleared
q "SELECT dcops.adapter_report('slurm', 'up', NULL, 5)"
screen_gone "ADAPTER"
screen_gone "STALE"
[ -z "$(q "SELECT value FROM dcops.setting WHERE key = 'adapter.error'")" ]

# a clean stop says STOPPED at once
"$DCOPSD" --adapter sim --db "dbname=$db" --tick-ms 200 --speed 60 --ticks 3 >/dev/null 2>&1
[ "$(q "SELECT value FROM dcops.setting WHERE key = 'adapter.state'")" = stopped ]
screen_wait "ADAPTER STOPPED"
screen_wait "adapter sim: dcopsd stopped"

# only the adapter reports, and only known states
q "SELECT dcops.adapter_report('sim', 'sideways', NULL, 5)" 2>"$TEST_TMP/err" && exit 1
grep -q "state 'sideways' is not up, down or stopped" "$TEST_TMP/err"
q "SELECT dcops.adapter_report('Sim;', 'up', NULL, 5)" 2>"$TEST_TMP/err" && exit 1
grep -q "adapter name 'Sim;'" "$TEST_TMP/err"
q "CREATE ROLE adapter_t_op LOGIN IN ROLE dcops_operator"
psql -X -q -At -U adapter_t_op -d "$db" -c "SELECT dcops.adapter_report('sim', 'up', NULL, 5)" \
	2>"$TEST_TMP/err" && exit 1
grep -q "adapter_t_op is not the adapter\|permission denied" "$TEST_TMP/err"
q "DROP ROLE adapter_t_op"
echo "adapter: ok"
