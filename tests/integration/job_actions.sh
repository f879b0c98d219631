#!/usr/bin/env bash
# job_actions.sh — cancel, hold and release a job (040_job_actions.sql):
# `dcops job cancel|hold|release JOBID --reason R` records an audited intent
# or refuses with one line naming why (a running job cannot be held, an
# ended job has nothing to cancel, a big running job needs dcops_admin ...);
# then the simulator applies them: hold keeps a pending job from starting
# (reason JobHeldAdmin, priority 0), release lets it start, cancel ends the
# job as cancelled and frees its GPUs; a hold that reaches a job already
# running fails with the reason. Also: the simulator fills time limits and
# priorities. Runs under tests/run.sh.
set -u
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
DB="dcops_job_actions_$$" SIMDB="dcops_job_sim_$$"
createdb -T "$DCOPS_TEST_TEMPLATE" "$DB" || exit 1
createdb -T "$DCOPS_TEST_TEMPLATE" "$SIMDB" || exit 1
trap 'dropdb --force "$DB" >/dev/null 2>&1; dropdb --force "$SIMDB" >/dev/null 2>&1' EXIT
psql -q -X -v ON_ERROR_STOP=1 -d "$DB" -f "$DCOPS_ROOT/tests/isolation/fixture.sql" >/dev/null 2>&1 ||
	{ echo "fixture failed"; exit 1; }

. "$DCOPS_ROOT/tests/lib/cli-check.sh"

# want DB SQL VALUE
want() {
	checks=$((checks + 1))
	local got
	got=$(psql -q -X -A -t -d "$1" -c "$2")
	if [ "$got" != "$3" ]; then
		failures=$((failures + 1))
		printf 'FAIL: %s\n  want %s, got %s\n' "$2" "$3" "$got"
	fi
}

R="user asked to stop the run"

# Jobs 1 and 2 (fixture) run; 3 is pending, 4 ended, 5 runs on 64 GPUs.
psql -q -X -v ON_ERROR_STOP=1 -d "$DB" -c "
INSERT INTO dcops.job (id, tenant_id, partition_id, user_name, gpus, state, reason, submit_at, start_at, end_at)
VALUES (3, 1, 1, 'kim', 4, 'pending', 'Resources', now(), NULL, NULL),
       (4, 1, 1, 'kim', 4, 'completed', '', now() - interval '2 hours', now() - interval '2 hours', now() - interval '1 hour'),
       (5, 2, 1, 'park', 64, 'running', '', now(), now(), NULL)" || exit 1

check act_op 1 'refused: job 1 is running: a running job cannot be held' -- job hold 1 --reason "$R"
check act_op 0 '^job 3 hold recorded = action [0-9]+; pending until the adapter applies it \(audit [0-9]+\)$' -- \
	job hold 3 --reason "$R"
check act_op 1 'refused: job 3: hold #[0-9]+ requested by act_op at .* is pending' -- job hold 3 --reason "$R"
check act_op2 0 '^job 3 release recorded' -- job release 3 --reason "the user fixed the input data"
check act_op 1 'refused: job 2 is not held \(running, no reason\): nothing to release' -- job release 2 --reason "$R"
check act_op 1 'refused: job 4 has ended \(completed\) at .*: nothing to cancel' -- job cancel 4 --reason "$R"
check act_op 1 'not allowed: cancelling running job 5 \(64 GPUs\) needs dcops_admin: 64 GPUs or more' -- \
	job cancel 5 --reason "$R"
check act_admin 0 '^job 5 cancel recorded' -- job cancel 5 --reason "$R"
check act_op 1 'refused: job 5: cancel #[0-9]+ requested by act_admin at .* is pending' -- job cancel 5 --reason "$R"
check act_op 0 '^job 2 cancel recorded' -- job cancel 2 --reason "$R"
check act_viewer 1 'not allowed: permission denied for function job_cancel' -- job cancel 1 --reason "$R"
check act_op 1 'invalid: cancel needs a reason of at least 3 words' -- job cancel 1 --reason "stop"
check act_op 1 'unknown: unknown job 99999' -- job cancel 99999 --reason "$R"
check act_op 2 '--reason is required' -- job cancel 1
check act_op 2 "'x1' is not a job id" -- job cancel x1 --reason "$R"
check act_op 2 'name one job id' -- job cancel 1 2 --reason "$R"
check act_op 2 "unknown sub-command 'kill'" -- job kill 1 --reason "$R"
check act_op 0 '^job 1 cancel recorded' -- job cancel 1 --reason "$R" --idempotency-key job-1-cancel-k1
check act_op 0 '^already recorded by an earlier try: job 1 cancel recorded' -- \
	job cancel 1 --reason "$R" --idempotency-key job-1-cancel-k1

# One audit row and one outbox row per recorded intent, with who and why.
want "$DB" "SELECT string_agg(action || ':' || target, ',' ORDER BY id) FROM dcops.audit WHERE action LIKE 'job_%'" \
	"job_hold:job 3,job_release:job 3,job_cancel:job 5,job_cancel:job 2,job_cancel:job 1"
want "$DB" "SELECT string_agg(kind || ':' || target || ':' || requested_by, ',' ORDER BY id) FROM dcops.actions" \
	"job_hold:3:act_op,job_release:3:act_op2,job_cancel:5:act_admin,job_cancel:2:act_op,job_cancel:1:act_op"
want "$DB" "SELECT (before->>'state') || '/' || (after->>'intent') || '/' || reason FROM dcops.audit WHERE action = 'job_hold'" \
	"pending/held/$R"

# an operator's audit of a tenant finds its jobs' actions
check act_op 0 'job_release[[:space:]]+job 3' -- audit --tenant acme
check act_op 0 'job_hold[[:space:]]+job 3' -- audit --tenant acme
checks=$((checks + 1))
"$DCOPS" -q --db "dbname=$DB user=act_op" audit --tenant 한빛랩 | grep -q 'job 3' &&
	{ failures=$((failures + 1)); echo "FAIL: acme's job 3 listed under 한빛랩"; }
check act_op 0 'job_cancel[[:space:]]+job 5' -- audit --tenant 한빛랩

# --- the simulator applies them
S() { psql -q -X -A -t -v ON_ERROR_STOP=1 -d "$SIMDB" -c "$1"; }
tick() { "$DCOPSD" --adapter sim --db "dbname=$SIMDB" --speed 600 --ticks "${1:-1}" --log "$TEST_TMP/sim.log" ||
	{ echo "FAIL: dcopsd"; cat "$TEST_TMP/sim.log"; exit 1; }; }
"$DCOPS" -q --db "dbname=$SIMDB" seed >/dev/null || exit 1
tick 3
want "$SIMDB" "SELECT count(*) > 0 FROM dcops.job WHERE state IN ('pending', 'running') AND priority = 0" f
want "$SIMDB" "SELECT count(DISTINCT time_limit) > 2 FROM dcops.job" t
# rows written before 040 (priority 0) get their priority on the next tick
S "UPDATE dcops.job SET priority = 0 WHERE state IN ('pending', 'running')" >/dev/null
tick 1
want "$SIMDB" "SELECT count(*) FROM dcops.job WHERE state IN ('pending', 'running') AND priority = 0" 0
want "$SIMDB" "SELECT count(*) FROM dcops.job WHERE start_at IS NOT NULL AND time_limit < end_at - start_at" 0

pend=$(S "SELECT id FROM dcops.job WHERE state = 'pending' ORDER BY gpus, id LIMIT 1")
run=$(S "SELECT id FROM dcops.job WHERE state = 'running' ORDER BY gpus DESC, id LIMIT 1")
gpus=$(S "SELECT gpus FROM dcops.job WHERE id = $run")
node=$(S "SELECT split_part(node_list, ',', 1) FROM dcops.job WHERE id = $run")
[ -n "$pend" ] && [ -n "$run" ] || { echo "FAIL: no pending or running job after 3 ticks"; exit 1; }
"$DCOPS" -q --db "dbname=$SIMDB" job hold "$pend" --reason "$R" >/dev/null || failures=$((failures + 1))
"$DCOPS" -q --db "dbname=$SIMDB" job cancel "$run" --reason "$R" >/dev/null || failures=$((failures + 1))
# an intent that reaches the adapter after the job started: refused there
S "INSERT INTO dcops.actions (kind, target, params, reason, idempotency_key)
   VALUES ('job_hold', '$run', jsonb_build_object('job_id', $run), '$R', 'late-hold-$run')" >/dev/null
# free the partition so the held job could start if the hold were ignored
S "UPDATE dcops.quota SET gpu_limit = 10000" >/dev/null
tick 3
want "$SIMDB" "SELECT state || '/' || reason || '/' || priority FROM dcops.job WHERE id = $pend" "pending/JobHeldAdmin/0"
want "$SIMDB" "SELECT state || '/' || (end_at IS NOT NULL) FROM dcops.job WHERE id = $run" "cancelled/true"
want "$SIMDB" "SELECT count(*) FROM dcops.gpu WHERE job_id = $run" 0
want "$SIMDB" "SELECT string_agg(kind || '=' || status, ',' ORDER BY id) FROM dcops.actions" \
	"job_hold=applied,job_cancel=applied,job_hold=failed"
want "$SIMDB" "SELECT error FROM dcops.actions WHERE idempotency_key = 'late-hold-$run'" \
	"job $run is not pending or running (it ended, or never existed)"
[ "$gpus" -gt 0 ] || failures=$((failures + 1))
# the node's audit names the cancel of the job that ran on it
checks=$((checks + 1))
"$DCOPS" -q --db "dbname=$SIMDB" audit --node "$node" | grep -Eq "job_cancel[[:space:]]+job $run" ||
	{ failures=$((failures + 1)); echo "FAIL: dcops audit --node $node does not list the cancel of job $run"; }

# a hold reaching a running job: the adapter refuses with the reason
run2=$(S "SELECT id FROM dcops.job WHERE state = 'running' ORDER BY id LIMIT 1")
S "INSERT INTO dcops.actions (kind, target, params, reason, idempotency_key)
   VALUES ('job_hold', '$run2', jsonb_build_object('job_id', $run2), '$R', 'run-hold-$run2')" >/dev/null
"$DCOPS" -q --db "dbname=$SIMDB" job release "$pend" --reason "the user fixed the input data" >/dev/null ||
	failures=$((failures + 1))
tick 2
want "$SIMDB" "SELECT status || ': ' || error FROM dcops.actions WHERE idempotency_key = 'run-hold-$run2'" \
	"failed: job $run2 is running: only a pending job can be held"
want "$SIMDB" "SELECT reason <> 'JobHeldAdmin' AND priority > 0 FROM dcops.job WHERE id = $pend" t
# an action naming a node the fleet lacks, in hostile text (a superuser's
# row): refused by the adapter, and its log line shows the name escaped
S "INSERT INTO dcops.actions (kind, target, params, reason, idempotency_key)
   VALUES ('drain', E'gj-\\x1b]2;pwn\\x07\\x1b[2J\\u202e9', '{}', '$R', 'evil-drain')" >/dev/null
tick 1
want "$SIMDB" "SELECT status FROM dcops.actions WHERE idempotency_key = 'evil-drain'" failed
checks=$((checks + 1))
if LC_ALL=C grep -qaP '[\x1b\x07]|\xe2\x80[\xaa-\xae]' "$TEST_TMP/sim.log" ||
   ! grep -qF "failed: unknown node 'gj-\x1b]2;pwn\x07\x1b[2J<U+202E>9'" "$TEST_TMP/sim.log"; then
	failures=$((failures + 1))
	echo "FAIL: the sim's log line for the refused action is not inert: $(grep -a "unknown node" "$TEST_TMP/sim.log" | cat -v)"
fi
# released, it is the scheduler's again: started (at 600x it may have ended
# too), or waiting for a reason of its own
want "$SIMDB" "SELECT start_at IS NOT NULL OR reason IN ('Resources', 'Priority', 'QuotaExceeded', 'BudgetExhausted')
               FROM dcops.job WHERE id = $pend" t

echo "$checks checks, $failures failed"
[ "$failures" = 0 ]
