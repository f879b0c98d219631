#!/usr/bin/env bash
# slurm_adapter.sh — dcopsd --adapter slurm against the live Slurm cluster
# of tests/lib/slurm.sh, each fact checked against Slurm's own commands:
# nodes, partitions, tenants (Korean account descriptions), quotas, GPUs;
# a 2-GPU job running under its tenant; a job over its account's limit
# pending on AssocGrpGRES with the numbers in its explanation; a drain and
# a resume typed with scontrol and a limit changed with sacctmgr, each in
# the database within a poll interval and in the audit as an external
# action (actor slurm:<user>, recorded_by the adapter's role); a quiet
# cluster writing 0 rows a cycle; slurmctld stopped -> adapter.state down,
# started again -> up with no row lost or doubled; hostile account
# descriptions, node reasons and job names kept as data.
set -u
lib=$(cd "$(dirname "$0")/../lib" && pwd)/slurm.sh
. "$lib"
why=$(slurm_unavailable)
[ -z "$why" ] || { echo "skipped: $why"; exit 77; }
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
top=${TEST_TMP:-$(mktemp -d /tmp/dcops-slurm-adapter.XXXXXX)}
mkdir -p "$top" && top=$(cd "$top" && pwd)
dir=$top/slurm
db=dcops_slurm_$$
dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	slurm_stop "$dir"
	dropdb --if-exists --force "$db" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL: $*" >&2; echo "--- dcopsd log:" >&2; tail -n 30 "$top/dcopsd.log" >&2; exit 1; }
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }
# until SECS CMD...: polls CMD every 0.2 s.
until_ok() {
	local end=$((SECONDS + $1)); shift
	while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.2; done
	return 1
}
is() { [ "$(q "$1")" = "$2" ]; }

createdb -T "$DCOPS_TEST_TEMPLATE" "$db" || fail "createdb"
slurm_start "$dir" || fail "the cluster did not start"
cd "$top"
me=$(id -un)

# Hostile data, typed into Slurm before the adapter reads it.
evil_desc='evil $(touch '"$top"'/pwned); `id` "q" '"'"'s'"'"' ; rm -rf x'
sacctmgr -i add account evil Cluster="$SLURM_CLUSTER" Description="$evil_desc" Organization='o;$(id)' \
	>/dev/null || fail "sacctmgr add evil"
sacctmgr -i add user "$me" Account=evil >/dev/null || fail "sacctmgr add user evil"
evil_reason=$'$(touch '"$top"$'/pwned2); `id` "q" \e[2J;'
scontrol update NodeName=gwj-a100-002 State=DRAIN Reason="$evil_reason" || fail "scontrol drain a100-002"

cat >inventory.json <<'JSON'
{"nodes": {
  "gwj-h100-001": {"hall": "hall-a", "row": 1, "rack": "a01-01", "slot": 1},
  "gwj-h100-002": {"hall": "hall-a", "row": 1, "rack": "a01-01", "slot": 2},
  "gwj-h100-003": {"hall": "hall-a", "row": 1, "rack": "a01-02", "slot": 1},
  "gwj-h100-004": {"hall": "hall-a", "row": 2, "rack": "a02-01", "slot": 1}
}}
JSON

"$DCOPSD" --adapter slurm --db "dbname=$db" --inventory inventory.json --poll-nodes 1 --poll-jobs 1 \
	--poll-accounting 2 --verbose --log "$top/dcopsd.log" >"$top/dcopsd.out" 2>&1 &
dpid=$!

# --- the cluster as Slurm shows it
until_ok 30 is "SELECT count(*) FROM dcops.node" 6 || fail "nodes: $(q 'SELECT name FROM dcops.node')"
is "SELECT string_agg(name, ' ' ORDER BY name) FROM dcops.partition WHERE name <> 'other'" "a100 h100" ||
	fail "partitions: $(q 'SELECT name FROM dcops.partition')"
until_ok 20 is "SELECT name FROM dcops.tenant WHERE slurm_account = 'hanbit'" "한빛랩" ||
	fail "tenant hanbit: $(q 'SELECT slurm_account, name FROM dcops.tenant')"
until_ok 20 is "SELECT q.gpu_limit FROM dcops.quota q JOIN dcops.tenant t ON t.id = q.tenant_id
                WHERE t.slurm_account = 'gwangju-med'" 16 || fail "quota gwangju-med"
is "SELECT q.gpu_hours_budget FROM dcops.quota q JOIN dcops.tenant t ON t.id = q.tenant_id
    WHERE t.slurm_account = 'gwangju-med'" 10000.0 || fail "budget: $(q 'SELECT * FROM dcops.quota')"
is "SELECT count(*) FROM dcops.gpu" 48 || fail "gpus: $(q 'SELECT count(*) FROM dcops.gpu')"
is "SELECT r.name || ' ' || n.slot FROM dcops.node n JOIN dcops.rack r ON r.id = n.rack_id
    WHERE n.name = 'gwj-h100-003'" "a01-02 1" || fail "inventory placement"
is "SELECT string_agg(n.name, ' ' ORDER BY n.name) FROM dcops.node n JOIN dcops.rack r ON r.id = n.rack_id
    WHERE r.name = 'unplaced'" "gwj-a100-001 gwj-a100-002" || fail "unplaced nodes"
# hostile data stays data: byte for byte what Slurm holds, nothing run
slurm_desc=$(sacctmgr -P -n show account evil format=Description)
is "SELECT name FROM dcops.tenant WHERE slurm_account = 'evil'" "$slurm_desc" ||
	fail "evil tenant: '$(q "SELECT name FROM dcops.tenant WHERE slurm_account = 'evil'")' vs '$slurm_desc'"
until_ok 10 is "SELECT admin_state || '|' || drain_reason FROM dcops.node WHERE name = 'gwj-a100-002'" \
	"drained|$evil_reason" || fail "evil reason: $(q "SELECT admin_state, drain_reason FROM dcops.node WHERE name = 'gwj-a100-002'" | od -c | head)"

# --- a job under its tenant, and one over the tenant's limit
run=$(sbatch --parsable -o /dev/null -A hanbit --gres=gpu:2 -J 'job $(touch pwned3); `id`' --wrap 'sleep 60') ||
	fail "sbatch"
until_ok 30 is "SELECT j.state || ' ' || t.name || ' ' || j.gpus || ' ' || j.node_list FROM dcops.job j
                JOIN dcops.tenant t ON t.id = j.tenant_id WHERE j.id = $run" "running 한빛랩 2 gwj-h100-001" ||
	fail "job $run: $(q "SELECT * FROM dcops.job WHERE id = $run") squeue: $(squeue -h -j "$run" -o '%T %a %b')"
is "SELECT name FROM dcops.job WHERE id = $run" 'job $(touch pwned3); `id`' || fail "job name"
until_ok 10 is "SELECT count(*) FROM dcops.gpu WHERE job_id = $run" 2 || fail "gpus held by $run"
over=$(sbatch --parsable -o /dev/null -A hanbit --gres=gpu:4 -J over --wrap 'sleep 60') || fail "sbatch over"
until_ok 30 is "SELECT state || ' ' || reason FROM dcops.job WHERE id = $over" "pending AssocGrpGRES" ||
	fail "job $over: $(q "SELECT state, reason FROM dcops.job WHERE id = $over")"
explain=$(q "SELECT explain FROM dcops.job WHERE id = $over")
echo "explain: $explain"
grep -q "한빛랩's quota is 4 GPUs, 2 in use by 1 job; this job needs 4 more" <<<"$explain" || fail "explain: $explain"

# --- a quiet cluster writes nothing (the version sequence stands still)
vmax="SELECT max(v) FROM (SELECT max(version) v FROM dcops.node UNION ALL SELECT max(version) FROM dcops.gpu
      UNION ALL SELECT max(version) FROM dcops.job UNION ALL SELECT max(version) FROM dcops.tenant
      UNION ALL SELECT max(version) FROM dcops.quota UNION ALL SELECT max(version) FROM dcops.partition
      UNION ALL SELECT max(version) FROM dcops.rack) x"
# Slurm itself changes now and then (the nodes without slurmd turn
# NOT_RESPONDING after a while): a window counts only when Slurm's own view
# is the same at both ends.
sig() { sinfo -h -N -o '%N|%T|%E|%u' && squeue -h -o '%i|%T|%r' && sacctmgr -P -n show assoc format=Account,GrpTRES; }
quiet=
for _ in 1 2 3 4 5 6; do
	s1=$(sig); sleep 1.5
	v1=$(q "$vmax"); n1=$(grep -c '^tick' "$top/dcopsd.out")
	sleep 5
	v2=$(q "$vmax"); n2=$(grep -c '^tick' "$top/dcopsd.out")
	[ "$s1" = "$(sig)" ] || { echo "Slurm changed during the window; again"; continue; }
	quiet=1; break
done
[ -n "$quiet" ] || fail "Slurm never stood still for 5 s"
[ "$v1" = "$v2" ] || fail "quiet cluster: versions $v1 -> $v2: $(for t in node gpu job tenant quota partition rack; do
	echo "$t: $(q "SELECT to_json(x) FROM dcops.$t x WHERE version > $v1")"; done)"
[ $((n2 - n1)) -ge 3 ] || fail "only $((n2 - n1)) cycles in 5 s"
window() { grep '^tick' "$top/dcopsd.out" | sed -n "$((n1 + 1)),${n2}p"; }
window | grep -v ' 0 rows' && fail "a quiet cycle wrote rows"
window | sed 's/[(+]/ /g' | awk '{ ms += $5; ch += $8; n++ }
	END { printf "quiet cycles: %d, mean %.1f ms CPU in dcopsd + %.1f ms in Slurm commands, 0 rows\n", n, ms / n, ch / n }'

# --- a drain and a resume typed in Slurm: within one poll, audited as external
t0=$SECONDS
scontrol update NodeName=gwj-h100-001 State=DRAIN Reason='fan 3 noisy; check Friday' || fail "scontrol drain"
until_ok 5 is "SELECT admin_state || '|' || drain_reason || '|' || drained_by FROM dcops.node
               WHERE name = 'gwj-h100-001'" "draining|fan 3 noisy; check Friday|slurm:$me" ||
	fail "drain not seen: $(q "SELECT admin_state, drain_reason, drained_by FROM dcops.node WHERE name = 'gwj-h100-001'")"
echo "external drain seen in $((SECONDS - t0)) s"
until_ok 5 is "SELECT actor || '|' || recorded_by || '|' || reason FROM dcops.audit
               WHERE action = 'slurm.drain' AND target = 'gwj-h100-001'" "slurm:$me|$(id -un)|fan 3 noisy; check Friday" ||
	fail "drain audit: $(q "SELECT actor, recorded_by, action, target, reason FROM dcops.audit")"
scontrol update NodeName=gwj-h100-001 State=RESUME || fail "scontrol resume"
until_ok 5 is "SELECT admin_state FROM dcops.node WHERE name = 'gwj-h100-001'" active || fail "resume not seen"
until_ok 5 is "SELECT count(*) FROM dcops.audit WHERE action = 'slurm.resume' AND target = 'gwj-h100-001'
               AND actor LIKE 'slurm:%'" 1 || fail "resume audit"
# a limit changed with sacctmgr
sacctmgr -i modify account where name=saebyeol cluster="$SLURM_CLUSTER" set GrpTRES=gres/gpu=12 >/dev/null ||
	fail "sacctmgr modify"
until_ok 10 is "SELECT q.gpu_limit FROM dcops.quota q JOIN dcops.tenant t ON t.id = q.tenant_id
                WHERE t.slurm_account = 'saebyeol'" 12 || fail "limit not seen"
# (sacctmgr stores descriptions lowercased: 새별ai연구소)
until_ok 5 is "SELECT count(*) FROM dcops.audit a JOIN dcops.tenant t ON t.name = a.target
               WHERE a.action = 'slurm.quota_set' AND t.slurm_account = 'saebyeol'
               AND actor = 'slurm:sacctmgr' AND after->>'gpu_limit' = '12'" 1 ||
	fail "quota audit: $(q "SELECT actor, action, target, before, after FROM dcops.audit")"

# --- slurmctld stopped: ADAPTER DOWN; started again: up, nothing lost or doubled
jobs_before=$(q "SELECT string_agg(id || ':' || state, ' ' ORDER BY id) FROM dcops.job")
kill -TERM "$(cat "$dir/pids/slurmctld")"
until_ok 40 is "SELECT value FROM dcops.setting WHERE key = 'adapter.state'" down ||
	fail "adapter not down: $(q "SELECT key, value FROM dcops.setting WHERE key LIKE 'adapter.%'")"
echo "down: $(q "SELECT value FROM dcops.setting WHERE key = 'adapter.error'")"
is "SELECT count(*) FROM dcops.node" 6 || fail "nodes lost while down"
slurm_spawn "$dir" slurmctld slurmctld -D -i && slurm_wait "$dir" slurmctld 60 slurm_ctld_up ||
	fail "slurmctld did not come back"
until_ok 60 is "SELECT value FROM dcops.setting WHERE key = 'adapter.state'" up || fail "adapter not up again"
sleep 2
jobs_after=$(q "SELECT string_agg(id || ':' || state, ' ' ORDER BY id) FROM dcops.job")
[ "$jobs_before" = "$jobs_after" ] || fail "jobs before '$jobs_before' after '$jobs_after'"
is "SELECT count(*) || ' ' || count(DISTINCT (node_id, idx)) FROM dcops.gpu" "48 48" || fail "gpus after restart"
is "SELECT count(*) FROM dcops.tenant" 4 || fail "tenants: $(q 'SELECT slurm_account FROM dcops.tenant')"

ls "$top"/pwned* 2>/dev/null && fail "a hostile string ran"
grep '^tick' "$top/dcopsd.out" | sed 's/[(+]/ /g' | awk '{ ms += $5; ch += $8; rows += $11; n++ } END {
	printf "all cycles: %d, mean %.1f ms CPU in dcopsd + %.1f ms in Slurm commands, %.1f rows a cycle\n",
	n, ms / n, ch / n, rows / n }'
echo ok
