#!/usr/bin/env bash
# actions_cli.sh — the operator-action script commands end to end: each
# success prints what was recorded and exits 0; each refusal exits non-zero
# with exactly one line on stderr naming the reason; hostile names are
# refused as unknown and change nothing. Ends with the isolation specs of
# tests/isolation/. Runs under tests/run.sh.
set -u
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
DB="dcops_actions_cli_$$"
createdb -T "$DCOPS_TEST_TEMPLATE" "$DB" || exit 1
trap 'dropdb --force "$DB" >/dev/null 2>&1' EXIT
psql -q -X -v ON_ERROR_STOP=1 -d "$DB" -f "$DCOPS_ROOT/tests/isolation/fixture.sql" >/dev/null 2>&1 ||
	{ echo "fixture failed"; exit 1; }

. "$DCOPS_ROOT/tests/lib/cli-check.sh"

sql() { psql -q -X -A -t -d "$DB" -c "$1"; }

want_sql() {
	checks=$((checks + 1))
	local got
	got=$(sql "$1")
	if [ "$got" != "$2" ]; then
		failures=$((failures + 1))
		printf 'FAIL: %s\n  want %s, got %s\n' "$1" "$2" "$got"
	fi
}

R="Xid 79: GPU fell off the bus"

# --- drain / resume
check act_op 0 '^drain recorded: gpu-001 = action 1; pending until the adapter applies it \(audit 1\)$' -- \
	drain gpu-001 --reason "$R" --incident 1 --resume-after 2h
check act_op 1 'refused: node gpu-001 is already draining: drain #1 requested by act_op' -- drain gpu-001 --reason "$R"
# times in refusals are in the operator's zone (053): KST by default, UTC when the config says so
check act_op 1 'requested by act_op at 20[0-9-]{8} [0-9:]{8} KST is pending' -- drain gpu-001 --reason "$R"
printf '{"timezone": "UTC"}\n' >"$TEST_TMP/utc.json"
check act_op 1 'requested by act_op at 20[0-9-]{8} [0-9:]{8}Z is pending' -- --config "$TEST_TMP/utc.json" \
	drain gpu-001 --reason "$R"
check act_op 1 'not allowed: draining 2 more node\(s\) in partition p1 would make 3 of 20' -- \
	drain gpu-002 gpu-003 --reason "$R"
check act_op 1 'conflict: node gpu-002 is at version 0, not the version 4 you saw' -- \
	drain gpu-002 --reason "$R" --expect-version 4
check act_op 1 'not allowed: override needs dcops_admin' -- drain gpu-002 gpu-003 --reason "$R" --override
check act_admin 0 '^drain recorded: gpu-002 = action 2, gpu-003 = action 3;' -- \
	drain gpu-002 gpu-003 --reason "$R" --override
check act_viewer 1 'not allowed: permission denied for function drain \(SQLSTATE 42501\)' -- drain gpu-004 --reason "$R"
check act_op 1 'invalid: drain needs a reason of at least 3 words' -- drain gpu-004 --reason "broken"
check act_op 1 'unknown: unknown incident 99' -- drain gpu-004 --reason "$R" --incident 99
check act_op 2 '--reason is required' -- drain gpu-004
check act_op 2 'name at least one node' -- drain --reason "$R"
check act_op 2 "--resume-after: bad duration '2x': unknown unit" -- drain gpu-004 --reason "$R" --resume-after 2x
check act_op 2 "bad duration '1h1h': units go largest first" -- drain gpu-004 --reason "$R" --resume-after 1h1h
check act_op 2 "--incident: 'abc' is not an incident id" -- drain gpu-004 --reason "$R" --incident abc
check act_op 2 'one --expect-version per node' -- drain gpu-004 gpu-005 --reason "$R" --expect-version 0
check act_op 2 "unknown option '--force'" -- drain gpu-004 --reason "$R" --force
check act_op 2 "option '--expires' does not apply here" -- drain gpu-004 --reason "$R" --expires 1h
check act_op 0 '^resume recorded: gpu-001 = action 4;' -- resume gpu-001 --reason "GPU reseated and burn-in passed"
check act_op 1 'refused: node gpu-004 is not drained or draining' -- resume gpu-004 --reason "GPU reseated and burn-in passed"
"$DCOPS" -q --readonly --db "dbname=$DB user=act_op" resume gpu-002 --reason "GPU reseated and burn-in passed" \
	2>"$ERR" && { echo "FAIL: --readonly allowed a resume"; failures=$((failures + 1)); }
grep -q 'read-only' "$ERR" || { echo "FAIL: --readonly message"; failures=$((failures + 1)); }

# --- quota
check act_op 0 '^quota change recorded: action 5; pending until the adapter applies it' -- \
	quota set acme gpus=20 gpu_hours=1200 --reason "paper deadline next week" --expires 1d
check act_op 1 'not allowed: changing gpu_limit of "acme" by more than 50% needs dcops_admin' -- \
	quota set acme gpus=40 --reason "paper deadline next week"
check act_op 1 'not allowed: gpu_limit 10 for "acme" is below its 12 running GPUs' -- \
	quota set acme gpus=10 --reason "tenant asked for less"
check act_admin 0 '^quota change recorded: action 6;' -- quota set acme gpus=10 --reason "tenant asked for less"
check act_op 1 'conflict: quota of "acme" was changed by act_admin at' -- \
	quota set acme gpus=11 --reason "one more for the demo" --expect-version 1
check act_op 0 'recorded' -- quota set 한빛랩 gpus=9 storage_tb=12.5 --reason "two more for the demo"
check act_op 1 'unknown: unknown tenant "nobody"' -- quota set nobody gpus=9 --reason "two more for the demo"
check act_op 2 "unknown quota key 'gpuz'" -- quota set acme gpuz=9 --reason "two more for the demo"
check act_op 2 "gpus: '-3' is not a GPU count" -- quota set acme gpus=-3 --reason "two more for the demo"
check act_op 2 "gpu_hours: '1e9' is not an amount" -- quota set acme gpu_hours=1e9 --reason "two more for the demo"
check act_op 2 'name a tenant and at least one KEY=VALUE' -- quota set acme --reason "two more for the demo"
check act_op 2 'usage: dcops quota set' -- quota get acme

# --- incidents
check act_op 0 '^incident 2 opened \(audit [0-9]+\)$' -- \
	incident open --sev 3 --title "leaf switch row 2 down" --impact "14 racks" --node gpu-005 --tenant acme
check act_op 0 '^incident 2 acknowledged' -- incident ack 2 --expect-version 0
check act_op2 1 'refused: incident 2 is already acknowledged \(owner act_op' -- incident ack 2
check act_op2 1 'conflict: incident 2 was changed by act_op at' -- \
	incident sev 2 2 --reason "more racks affected now" --expect-version 0
check act_op 0 '^incident 2 severity changed' -- incident sev 2 2 --reason "more racks affected now"
check act_op 0 '^incident 2 note added' -- incident note 2 vendor is on the way
check act_op 0 '^incident 2 linked' -- incident link 2 --node gpu-006 --tenant 한빛랩
check act_op 1 'unknown: unknown node\(s\): "nope"' -- incident link 2 --node nope
check act_op 1 'unknown: unknown operator "nobody"' -- incident assign 2 nobody
check act_op 0 '^incident 2 assigned' -- incident assign 2 act_op2
check act_op 1 'invalid: resolve needs a summary of at least 3 words' -- incident resolve 2 --summary "fixed"
check act_op 0 '^incident 2 resolved' -- incident resolve 2 --summary "replaced the optics on leaf 2"
check act_op 1 'refused: incident 2 is resolved' -- incident ack 2
check act_op 1 'unknown: unknown incident 42' -- incident note 42 hello there
check act_viewer 1 'not allowed: permission denied for function incident_open' -- \
	incident open --sev 3 --title "viewer tries"
check act_op 2 "severity '9' is not 1 to 5" -- incident open --sev 9 --title "leaf switch row 2 down"
check act_op 2 '--sev and --title are required' -- incident open --title "leaf switch row 2 down"
check act_op 2 "unknown sub-command 'frob'" -- incident frob 2
check act_op 2 'wrong number of arguments' -- incident ack
check act_op 2 "'x' is not an incident id" -- incident ack x

# --- hostile names: refused as unknown, nothing changes
for name in "x'; DROP TABLE dcops.node; --" "-oProxyCommand=x" 'a"b\c' "\$(touch $TEST_TMP/pwned)"; do
	check act_op 1 'unknown: unknown node' -- drain --reason "$R" -- "$name"
	check act_op 1 'unknown: unknown node' -- resume --reason "$R" -- "$name"
	check act_op 1 'unknown: unknown tenant' -- quota set --reason "$R" -- "$name" gpus=3
	check act_op 1 'unknown: unknown (node|tenant)' -- incident link 1 --node "$name" --tenant "$name"
	check act_op 1 'unknown: unknown operator' -- incident assign 1 -- "$name"
	check act_viewer 0 '^id' -- audit --node "$name" --tenant "$name" --operator "$name"
done
check act_op 2 "unknown option '-o'" -- drain -oProxyCommand=x --reason "$R"
[ -e "$TEST_TMP/pwned" ] && { echo "FAIL: a name ran a command"; failures=$((failures + 1)); }
want_sql "SELECT count(*) FROM dcops.node" 25

# --- listings (readable by a viewer)
check act_viewer 0 $'^7\t.*\tact_op\tquota_set\t한빛랩\tpending' -- actions --pending --limit 3
check act_viewer 0 $'\tdrain\tgpu-002,gpu-003\t' -- audit --operator act_admin --since 1h
check act_viewer 0 $'incident_link\tincident/2' -- audit --node gpu-006
check act_viewer 0 $'quota_set\t한빛랩' -- audit --tenant 한빛랩
check act_viewer 2 "--since: bad duration 'soon'" -- audit --since soon
check act_viewer 2 "--limit: '0' is not 1 to" -- actions --limit 0

# --- every success wrote exactly one audit row, every refusal none
want_sql "SELECT count(*) FROM dcops.audit" 13
want_sql "SELECT count(*) FROM dcops.audit WHERE before IS NULL AND action NOT IN ('incident_open', 'incident_note', 'incident_link')" 0
want_sql "SELECT count(*) FROM dcops.actions" 7
want_sql "SELECT count(DISTINCT idempotency_key) FROM dcops.audit" 13

# --- concurrency under PostgreSQL's isolation tester (tests/isolation/)
mkdir -p "$TEST_TMP/isolation"
checks=$((checks + 1))
TEST_TMP="$TEST_TMP/isolation" bash "$DCOPS_ROOT/tests/isolation/run.sh"
case $? in
0) ;;
77) echo "isolation specs skipped" ;;
*) failures=$((failures + 1)); echo "FAIL: isolation specs" ;;
esac

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
