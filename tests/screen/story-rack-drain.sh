#!/usr/bin/env bash
# story-rack-drain.sh — an operator drains a rack (issue 17, story 2): in
# the rack map, D on rack r01-01 opens one dialog for its two nodes; the
# tenants' GPUs on those nodes add up to the GPUs taken out of service,
# a job that spans into another rack counted by its GPUs here, with what
# it holds elsewhere; the count is typed, y confirms; the simulator
# applies it and both nodes show draining (their jobs keep running); the
# audit view shows the one drain with its reason.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_story_rack_$$"
screen_db "$db"
# rack r01-01 holds tn-h100-001 (딥비전랩스's 2-GPU job) and tn-h100-002,
# back in service and running half of Acme's 4-GPU job; the other half runs
# on tn-h100-003 in rack r01-02. The fixture's partitions are 2-3 nodes:
# let the drain guard rail pass.
psql -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
UPDATE dcops.setting SET value = '100' WHERE key = 'guard.drain_pct';
UPDATE dcops.node SET admin_state = 'active', drain_reason = NULL, drained_by = NULL, drained_at = NULL,
       health = 'ok', sched_state = 'allocated', power_w = 1500
 WHERE name = 'tn-h100-002';
INSERT INTO dcops.node (name, rack_id, slot, partition_id, model, gpu_count, sched_state, admin_state, health, power_w)
VALUES ('tn-h100-003', 2, 2, 1, 'H100', 2, 'allocated', 'active', 'ok', 1500);
INSERT INTO dcops.job (tenant_id, partition_id, user_name, name, gpus, state, reason, submit_at, start_at, node_list)
VALUES (2, 1, 'park', 'ddp-run', 4, 'running', '', now() - interval '2 hours', now() - interval '90 minutes',
        'tn-h100-002,tn-h100-003');
UPDATE dcops.gpu SET job_id = 4, util_pct = 90, power_w = 650, last_xid = NULL, last_xid_at = NULL WHERE node_id = 2;
INSERT INTO dcops.gpu (node_id, idx, uuid, util_pct, mem_used_mib, mem_total_mib, temp_c, power_w, job_id)
SELECT id, i, 'GPU-5-' || i, 90, 70000, 81920, 70, 650, 4 FROM dcops.node, generate_series(0, 1) i
 WHERE name = 'tn-h100-003';
SQL
sim=
cleanup() {
	[ -n "$sim" ] && kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	screen_stop
	dropdb --if-exists "$db"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; screen_dump >&2; exit 1; }

screen_start 120 32 --db "dbname=$db"
trap cleanup EXIT
screen_wait "DB UP"
screen_keys 1 m
screen_wait "Rack map"
screen_wait "rack r01-01 (2 nodes"
screen_keys D
screen_wait "Drain 2 nodes (rack r01-01)"
screen_wait "Nodes: tn-h100-001, tn-h100-002"
screen_wait "GPUs out of service: 4, 4 of them in use"
screen_wait "(주)딥비전랩스: 1 job, 2 GPUs here"
screen_wait "Acme Research: 1 job, 2 GPUs here (and 2 on other nodes)"
# the tenants' lines add up to the GPUs out of service
out=$(screen_dump | sed -nE 's/.*GPUs out of service: ([0-9]+),.*/\1/p')
sum=$(screen_dump | sed -nE 's/.*: [0-9]+ jobs?, ([0-9]+) GPUs? here.*/\1/p' | paste -sd+ | bc)
[ "$sum" = "$out" ] || fail "the tenants' GPUs here add up to $sum, the GPUs out of service are $out"
screen_wait "Partition h100: 0 of 3 nodes drained/draining (0%) → 2 (67%)"

# reason, then Enter through the fields; the count must be typed
screen_keys "rack r01-01 PDU swap tonight" Enter Enter Enter Enter
screen_wait "Type 2 to confirm"
screen_keys 2 Enter
screen_wait "y confirm"
screen_keys y
screen_wait "drain tn-h100-001, tn-h100-002: requested"

# the simulator picks the intents up: both nodes drain, their jobs run on
"$DCOPSD" --adapter sim --db "dbname=$db" --speed 60 --log "$TEST_TMP/sim.log" &
sim=$!
screen_match "^ R01 dd " 20
screen_keys m
screen_match "^ tn-h100-001 .*draining: rack r01-01 PDU swap" 10
screen_match "^ tn-h100-002 .*draining: rack r01-01 PDU swap"
screen_match "^ tn-h100-003 .*allocated"

# the audit: one drain of both nodes, by whom and why
screen_keys 5
screen_match "^ [0-9-]+ [0-9:]+ [A-Z]+ +$(id -un) +drain +tn-h100-001" 10
screen_wait "1 audit row"   # one row, said in the singular
screen_gone "1 audit rows" 1
screen_wait "rack r01-01 PDU swap toni"
screen_keys Enter
screen_wait "audit #"
screen_wait "rack r01-01 PDU swap tonight"
screen_wait "tn-h100-001: intent active→draining"
screen_wait "\"tn-h100-002\": {"   # both nodes in the one row
screen_keys q
echo "story-rack-drain: ok"
