#!/usr/bin/env bash
# slurm_rows.sh — dcopsd --adapter slurm writes by row, against the fake
# 22.05 commands of tests/lib/slurm-fake.sh: two renamed jobs and a node
# whose reason changed are the only rows a cycle writes; a job whose state
# changed is written; a node that leaves Slurm is marked and comes back.
# What the adapter remembers of the last committed cycle (each row's hash,
# each element it parsed) is forgotten by a failed cycle: a row changed
# behind its back stays so over quiet cycles (the adapter trusts what it
# committed), and is written again after a fetch that fails and after a
# write that rolls back (the next cycle compares every row again).
set -u
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
command -v jq >/dev/null || { echo "skipped: no jq"; exit 77; }
top=${TEST_TMP:-$(mktemp -d /tmp/dcops-slurm-rows.XXXXXX)}
mkdir -p "$top" && top=$(cd "$top" && pwd)
db=dcops_slurm_rows_$$
dpid=
. "$DCOPS_ROOT/tests/lib/slurm-fake.sh"
trap slurm_fake_cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	echo "--- dcopsd log:" >&2; tail -n 20 "$top/dcopsd.log" >&2
	echo "--- its last cycles:" >&2; tail -n 8 "$top/dcopsd.out" >&2
	exit 1
}
slurm_fake_bin
createdb -T "$DCOPS_TEST_TEMPLATE" "$db" || fail "createdb"
"$DCOPSD" --adapter slurm --db "dbname=$db" --slurm-bin "$bin" --poll-nodes 0.3 --poll-jobs 0.3 \
	--poll-accounting 0.6 --verbose --log "$top/dcopsd.log" >"$top/dcopsd.out" 2>&1 &
dpid=$!

jobs=$(jq '[.jobs[] | select(.tres_req_str | test("gres/gpu"))] | length' "$data/squeue.json")
nodes=$(jq '.nodes | length' "$data/sinfo.json")
until_ok 20 is "SELECT count(*) FROM dcops.job" "$jobs" || fail "jobs: $(q 'SELECT count(*) FROM dcops.job') of $jobs"
until_ok 5 is "SELECT count(*) FROM dcops.node" "$nodes" || fail "nodes"
until_ok 5 eval '[ "$(q "SELECT count(*) FROM dcops.quota")" -gt 0 ]' || fail "quotas"
# rows written after version $1, over every table the adapter writes
since() {
	q "SELECT (SELECT count(*) FROM dcops.node WHERE version > $1) || ' ' ||
	          (SELECT count(*) FROM dcops.job WHERE version > $1) || ' ' ||
	          (SELECT count(*) FROM dcops.gpu WHERE version > $1) || ' ' ||
	          (SELECT count(*) FROM dcops.tenant WHERE version > $1) || ' ' ||
	          (SELECT count(*) FROM dcops.quota WHERE version > $1) || ' ' ||
	          (SELECT count(*) FROM dcops.partition WHERE version > $1)"
}
vmax="SELECT max(v) FROM (SELECT max(version) v FROM dcops.node UNION ALL SELECT max(version) FROM dcops.gpu
      UNION ALL SELECT max(version) FROM dcops.job UNION ALL SELECT max(version) FROM dcops.tenant
      UNION ALL SELECT max(version) FROM dcops.quota UNION ALL SELECT max(version) FROM dcops.partition) x"
sleep 1
v0=$(q "$vmax")

# two jobs renamed and a drained node's reason changed: those three rows,
# nothing else, however many cycles pass
jq '(.jobs[] | select(.job_id == 5)).name = "renamed-5" | (.jobs[] | select(.job_id == 8)).name = "renamed; $(id)"' \
	"$fx/squeue.json" >"$data/squeue.json.new" && mv "$data/squeue.json.new" "$data/squeue.json"
jq '(.nodes[] | select(.name == "gwj-h100-003")).reason = "NVLink errors; RMA #4499"' "$fx/sinfo.json" \
	>"$data/sinfo.json.new" && mv "$data/sinfo.json.new" "$data/sinfo.json"
until_ok 5 is "SELECT count(*) FROM dcops.job WHERE name IN ('renamed-5', 'renamed; \$(id)')" 2 || fail "renames not written"
until_ok 5 is "SELECT drain_reason FROM dcops.node WHERE name = 'gwj-h100-003'" "NVLink errors; RMA #4499" ||
	fail "node reason not written"
sleep 1.5
[ "$(since "$v0")" = "1 2 0 0 0 0" ] || fail "rows written (node job gpu tenant quota partition): $(since "$v0")"

# a state changed: written
v1=$(q "$vmax")
jq '(.jobs[] | select(.job_id == 5)).job_state = "CANCELLED"' "$data/squeue.json" >"$data/squeue.json.new" &&
	mv "$data/squeue.json.new" "$data/squeue.json"
until_ok 5 is "SELECT state FROM dcops.job WHERE id = 5" cancelled || fail "job 5's state: $(q 'SELECT state FROM dcops.job WHERE id = 5')"

# a node leaves Slurm: marked; back: as it was
first=$(jq -r '.nodes[0].name' "$fx/sinfo.json")
was=$(q "SELECT sched_state || '|' || health_detail FROM dcops.node WHERE name = '$first'")
jq 'del(.nodes[0]) | (.nodes[] | select(.name == "gwj-h100-003")).reason = "NVLink errors; RMA #4499"' "$fx/sinfo.json" \
	>"$data/sinfo.json.new" && mv "$data/sinfo.json.new" "$data/sinfo.json"
until_ok 5 is "SELECT sched_state || '|' || health_detail FROM dcops.node WHERE name = '$first'" \
	"unknown|not in Slurm's node list" || fail "a node gone from Slurm: $(q "SELECT sched_state, health_detail FROM dcops.node WHERE name = '$first'")"
jq '(.nodes[] | select(.name == "gwj-h100-003")).reason = "NVLink errors; RMA #4499"' "$fx/sinfo.json" \
	>"$data/sinfo.json.new" && mv "$data/sinfo.json.new" "$data/sinfo.json"
until_ok 5 is "SELECT sched_state || '|' || health_detail FROM dcops.node WHERE name = '$first'" "$was" ||
	fail "the node back: $(q "SELECT sched_state, health_detail FROM dcops.node WHERE name = '$first'")"
# (its return moved every unplaced node after it one slot: all written then)
sleep 1

# rows changed behind the adapter's back stay over quiet cycles ...
tamper() {
	q "UPDATE dcops.job SET name = 'tampered' WHERE id = 4" >/dev/null
	q "UPDATE dcops.node SET health_detail = 'tampered' WHERE name = 'gwj-h100-001'" >/dev/null
}
repaired() {
	is "SELECT name FROM dcops.job WHERE id = 4" llm-pretrain &&
		is "SELECT health_detail FROM dcops.node WHERE name = 'gwj-h100-001'" ""
}
tamper
sleep 1.5
is "SELECT name FROM dcops.job WHERE id = 4" tampered || fail "a quiet cycle rewrote a row it had committed"
is "SELECT health_detail FROM dcops.node WHERE name = 'gwj-h100-001'" tampered || fail "a quiet cycle rewrote a node"

# ... and are written again after a fetch that failed
fake squeue 'echo "squeue: error: slurm_receive_msg: Socket timed out" >&2; exit 1'
until_ok 10 is "SELECT value FROM dcops.setting WHERE key = 'adapter.state'" down || fail "squeue failing: not down"
fake squeue 'cat "$d/squeue.json"'
until_ok 40 repaired || fail "after a failed fetch: job 4 $(q 'SELECT name FROM dcops.job WHERE id = 4'), node $(q \
	"SELECT health_detail FROM dcops.node WHERE name = 'gwj-h100-001'")"

# ... and after a write that rolled back
tamper
sleep 1
is "SELECT name FROM dcops.job WHERE id = 4" tampered || fail "a quiet cycle rewrote a row it had committed (2)"
q "ALTER TABLE dcops.job ADD CONSTRAINT slurm_rows_boom CHECK (name <> 'boom') NOT VALID" >/dev/null ||
	fail "cannot add the test's constraint"
jq '(.jobs[] | select(.job_id == 8)).name = "boom"' "$data/squeue.json" >"$data/squeue.json.new" &&
	mv "$data/squeue.json.new" "$data/squeue.json"
until_ok 10 eval 'q "SELECT value FROM dcops.setting WHERE key = '"'adapter.error'"'" | grep -q slurm_rows_boom' ||
	fail "the write did not fail: $(q "SELECT value FROM dcops.setting WHERE key = 'adapter.error'")"
is "SELECT name FROM dcops.job WHERE id = 8" 'renamed; $(id)' || fail "a rolled-back cycle wrote job 8"
q "ALTER TABLE dcops.job DROP CONSTRAINT slurm_rows_boom" >/dev/null
until_ok 40 repaired || fail "after a rollback: job 4 $(q 'SELECT name FROM dcops.job WHERE id = 4'), node $(q \
	"SELECT health_detail FROM dcops.node WHERE name = 'gwj-h100-001'")"
is "SELECT name FROM dcops.job WHERE id = 8" boom || fail "job 8 after the rollback"
echo ok
