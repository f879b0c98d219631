#!/usr/bin/env bash
# slurm_fake.sh — dcopsd --adapter slurm on any machine, no Slurm needed:
# fake commands (--slurm-bin) print the recorded 22.05 output of
# tests/fixtures/slurm/22.05. Checks the tables against the fixtures, a
# quiet cluster writing nothing, a job that leaves the queue unseen (not in
# sacct either) ending as cancelled, a job both squeue and sacct list
# (squeue's record wins), and a command printing broken JSON:
# nothing written, adapter.state down with the parser's message, the
# rows kept; fixed again: up. Accounting failing after its first read:
# accounting.state down with sacctmgr's error, the console (tmux) shows
# QUOTAS STALE and marks the Tenants view's columns; readable again: up.
# A command's error carrying escapes and a bidi override reaches dcopsd's
# log escaped.
set -u
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
command -v jq >/dev/null || { echo "skipped: no jq"; exit 77; }
top=${TEST_TMP:-$(mktemp -d /tmp/dcops-slurm-fake.XXXXXX)}
mkdir -p "$top" && top=$(cd "$top" && pwd)
db=dcops_slurm_fake_$$
. "$DCOPS_ROOT/tests/screen/lib.sh"
dpid=
. "$DCOPS_ROOT/tests/lib/slurm-fake.sh"
cleanup() { screen_stop; slurm_fake_cleanup; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- dcopsd log:" >&2; tail -n 20 "$top/dcopsd.log" >&2; exit 1; }
slurm_fake_bin

# two accounts described alike (tenant.name is unique)
echo 'hanbit2|한빛랩|한빛대학교' >>"$data/sacctmgr_show_account.txt"
echo 'gwangju-test|hanbit2|||root|1|gres/gpu=2||||normal|' >>"$data/sacctmgr_show_assoc.txt"
# no GrpTRES of its own: under hanbit (4 GPUs), which Slurm holds it to;
# and under root with none on its path: the cluster's GPUs, no budget
printf '%s\n' 'hanbit-vision|한빛랩 비전팀|한빛대학교' 'open-lab|열린연구실|광주' >>"$data/sacctmgr_show_account.txt"
printf '%s\n' 'gwangju-test|hanbit-vision|||hanbit|1|||||normal|' 'gwangju-test|open-lab|||root|1|||||normal|' \
	>>"$data/sacctmgr_show_assoc.txt"
# a bad inventory is refused at start, naming the key and what is wrong
printf '{"nodes": {"gwj-h100-001": {"hall": "a", "row": 1, "rack": "r 1;$(id)"}}}' >"$top/bad.json"
out=$("$DCOPSD" --adapter slurm --db "dbname=nowhere" --slurm-bin "$bin" --inventory "$top/bad.json" 2>&1) &&
	fail "a bad inventory was accepted"
grep -qF "$top/bad.json: nodes.gwj-h100-001.rack: expected [A-Za-z0-9_.-]{1,32}" <<<"$out" || fail "bad inventory: $out"
printf '{"nodes": {}, "tenants": {"hanbit": {"kind": "Uni;$(id)"}}}' >"$top/bad.json"
out=$("$DCOPSD" --adapter slurm --db "dbname=nowhere" --slurm-bin "$bin" --inventory "$top/bad.json" 2>&1) &&
	fail "a bad tenant kind was accepted"
grep -qF "$top/bad.json: tenants.hanbit.kind: expected startup, sme, enterprise, university or institute" <<<"$out" ||
	fail "bad kind: $out"
createdb -T "$DCOPS_TEST_TEMPLATE" "$db" || fail "createdb"
"$DCOPSD" --adapter slurm --db "dbname=$db" --slurm-bin "$bin" --poll-nodes 0.3 --poll-jobs 0.3 \
	--poll-accounting 0.6 --verbose --log "$top/dcopsd.log" >"$top/dcopsd.out" 2>&1 &
dpid=$!

nodes=$(jq '.nodes | length' "$data/sinfo.json")
gpus=$(jq '[.nodes[].gres | capture("gpu:[a-z0-9]*:?(?<n>[0-9]+)").n | tonumber] | add' "$data/sinfo.json")
jobs=$(jq '[.jobs[] | select(.tres_req_str | test("gres/gpu"))] | length' "$data/squeue.json")
until_ok 20 is "SELECT count(*) FROM dcops.job" "$jobs" || fail "jobs: $(q 'SELECT count(*) FROM dcops.job') of $jobs"
is "SELECT count(*) FROM dcops.node" "$nodes" || fail "nodes"
is "SELECT count(*) FROM dcops.gpu" "$gpus" || fail "gpus: $(q 'SELECT count(*) FROM dcops.gpu') of $gpus"
is "SELECT count(*) FROM dcops.node n JOIN dcops.rack r ON r.id = n.rack_id WHERE r.name = 'unplaced'" "$nodes" ||
	fail "without an inventory every node is unplaced"
is "SELECT string_agg(slurm_account || '=' || name, ' ' ORDER BY slurm_account) FROM dcops.tenant" \
	"gwangju-med=광주의료ai센터 hanbit=한빛랩 hanbit-vision=한빛랩 비전팀 hanbit2=한빛랩 (hanbit2) open-lab=열린연구실 saebyeol=새별ai연구소" || fail "tenants: $(q 'SELECT slurm_account, name FROM dcops.tenant')"
is "SELECT count(*) FROM dcops.job WHERE state = 'pending' AND explain <> ''" \
	"$(jq '[.jobs[] | select(.job_state == "PENDING")] | length' "$data/squeue.json")" || fail "explanations"
is "SELECT admin_state || '|' || drain_reason FROM dcops.node WHERE name = 'gwj-h100-003'" \
	"drained|NVLink errors; RMA #4411" || fail "drained node: $(q "SELECT admin_state, drain_reason FROM dcops.node WHERE name = 'gwj-h100-003'")"
# GPUs held: as many as the running jobs' GPUs on known nodes
held=$(jq '[.jobs[] | select(.job_state == "RUNNING") | .tres_alloc_str | capture("gres/gpu=(?<n>[0-9]+)").n | tonumber] | add' "$data/squeue.json")
until_ok 5 is "SELECT count(*) FROM dcops.gpu WHERE job_id IS NOT NULL" "$held" || fail "held GPUs"

lim() { q "SELECT q.gpu_limit || ' ' || q.gpu_hours_budget FROM dcops.quota q JOIN dcops.tenant t ON t.id = q.tenant_id
            WHERE t.slurm_account = '$1'"; }
until_ok 5 is "SELECT count(*) FROM dcops.quota" 6 || fail "quotas: $(q 'SELECT * FROM dcops.quota')"
[ "$(lim hanbit-vision)" = "4 0.0" ] || fail "hanbit-vision: $(lim hanbit-vision), not its parent's 4 GPUs"
[ "$(lim open-lab)" = "$gpus 0.0" ] || fail "open-lab: $(lim open-lab), not the cluster's $gpus GPUs"

# quiet: nothing written over several cycles
vmax="SELECT max(v) FROM (SELECT max(version) v FROM dcops.node UNION ALL SELECT max(version) FROM dcops.gpu
      UNION ALL SELECT max(version) FROM dcops.job UNION ALL SELECT max(version) FROM dcops.tenant
      UNION ALL SELECT max(version) FROM dcops.quota UNION ALL SELECT max(version) FROM dcops.partition) x"
sleep 1
v1=$(q "$vmax")
sleep 2
[ "$(q "$vmax")" = "$v1" ] || fail "a quiet cluster wrote rows: $(for t in node gpu job tenant quota partition; do
	echo "$t: $(q "SELECT to_json(x) FROM dcops.$t x WHERE version > $v1")"; done)"

# a node leaves the cluster: open-lab's limit follows the cluster's GPUs,
# which is no limit change anyone made (no slurm.quota_set in the audit)
jq 'del(.nodes[0])' "$fx/sinfo.json" >"$data/sinfo.json.new" && mv "$data/sinfo.json.new" "$data/sinfo.json"
less=$(jq '[.nodes[].gres | capture("gpu:[a-z0-9]*:?(?<n>[0-9]+)").n | tonumber] | add' "$data/sinfo.json")
until_ok 5 eval '[ "$(lim open-lab)" = "$less 0.0" ]' || fail "open-lab after a node left: $(lim open-lab), not $less"
is "SELECT count(*) FROM dcops.audit WHERE action = 'slurm.quota_set'" 0 ||
	fail "a resize audited as a limit change: $(q "SELECT target, reason FROM dcops.audit WHERE action = 'slurm.quota_set'")"
cp "$fx/sinfo.json" "$data/sinfo.json"
until_ok 5 eval '[ "$(lim open-lab)" = "$gpus 0.0" ]' || fail "open-lab back: $(lim open-lab)"

# a pending job leaves the queue unseen and sacct does not know it
gone=$(jq '[.jobs[] | select(.job_state == "PENDING") | .job_id] | max' "$data/squeue.json")
jq --argjson id "$gone" 'del(.jobs[] | select(.job_id == $id))' "$fx/squeue.json" >"$data/squeue.json.new"
jq --argjson id "$gone" 'del(.jobs[] | select(.job_id == $id))' "$fx/sacct.json" >"$data/sacct.json"
mv "$data/squeue.json.new" "$data/squeue.json"
until_ok 5 is "SELECT state || '|' || reason FROM dcops.job WHERE id = $gone" \
	"cancelled|gone from Slurm's queue; accounting has no record" || fail "gone job: $(q "SELECT state, reason FROM dcops.job WHERE id = $gone")"

# sacct answers with a job squeue also lists (it runs on for a job squeue
# missed): squeue's live record wins, and no cycle sends an id twice
# ("ON CONFLICT DO UPDATE command cannot affect row a second time")
cp "$data/squeue.json" "$top/squeue.kept"
jq 'del(.jobs[] | select(.job_id == 7))' "$top/squeue.kept" >"$data/squeue.json.new"
jq '(.jobs[] | select(.job_id == 4)).name = "from-sacct"' "$fx/sacct.json" >"$data/sacct.json"
mv "$data/squeue.json.new" "$data/squeue.json"
live4=$(jq -r '.jobs[] | select(.job_id == 4) | .name' "$data/squeue.json")
sleep 1
for i in 1 2 3 4 5 6 7 8 9 10; do   # over several cycles: neither record alternates with the other
	is "SELECT value FROM dcops.setting WHERE key = 'adapter.state'" up ||
		fail "a job in both squeue and sacct: $(q "SELECT value FROM dcops.setting WHERE key = 'adapter.error'")"
	n4=$(q "SELECT name FROM dcops.job WHERE id = 4")
	[ "$n4" = "$live4" ] || fail "job 4 (check $i): $n4, not squeue's $live4"
	sleep 0.2
done
is "SELECT state FROM dcops.job WHERE id = 7" running || fail "job 7 (running in sacct): $(q 'SELECT state FROM dcops.job WHERE id = 7')"
mv "$top/squeue.kept" "$data/squeue.json"

# slurmdbd down (sacctmgr fails) while slurmctld answers: nodes and jobs keep
# flowing on the last limits, the adapter stays up and says so in its log,
# and accounting is read again once it answers
fake sacctmgr 'echo "sacctmgr: error: slurm_persist_conn_open: Something happened with the receiving/processing of the persistent connection init message" >&2; exit 1'
jq '(.nodes[] | select(.name == "gwj-h100-003")).reason = "NVLink errors; RMA #4412"' "$fx/sinfo.json" >"$data/sinfo.json.new"
mv "$data/sinfo.json.new" "$data/sinfo.json"
until_ok 10 grep -q "accounting unreadable, keeping its last limits and usage: .*slurm_persist_conn_open" \
	"$top/dcopsd.log" || fail "the log does not say accounting is stale"
# a node change made after accounting failed still arrives
jq '(.nodes[] | select(.name == "gwj-h100-003")).reason = "NVLink errors; RMA #4413"' "$fx/sinfo.json" >"$data/sinfo.json.new"
mv "$data/sinfo.json.new" "$data/sinfo.json"
until_ok 10 is "SELECT drain_reason FROM dcops.node WHERE name = 'gwj-h100-003'" "NVLink errors; RMA #4413" ||
	fail "a node change did not arrive while accounting failed: $(q "SELECT value FROM dcops.setting WHERE key = 'adapter.error'")"
is "SELECT value FROM dcops.setting WHERE key = 'adapter.state'" up || fail "accounting alone took the adapter down"
[ "$(lim hanbit-vision)" = "4 0.0" ] || fail "limits lost while accounting failed: $(lim hanbit-vision)"
# ... and says so where the consoles look: accounting.* (084), QUOTAS STALE
until_ok 10 is "SELECT value FROM dcops.setting WHERE key = 'accounting.state'" down ||
	fail "accounting.state: $(q "SELECT value FROM dcops.setting WHERE key = 'accounting.state'")"
q "SELECT value FROM dcops.setting WHERE key = 'accounting.error'" | grep -q "sacctmgr.*slurm_persist_conn_open" ||
	fail "accounting.error: $(q "SELECT value FROM dcops.setting WHERE key = 'accounting.error'")"
is "SELECT (value::bigint BETWEEN extract(epoch FROM now()) - 60 AND extract(epoch FROM now()) + 1)::text
    FROM dcops.setting WHERE key = 'accounting.since'" true || fail "accounting.since"
is "SELECT value FROM dcops.setting WHERE key = 'adapter.name'" slurm || fail "the accounting report took the adapter's keys"
screen_start 100 30 --db "dbname=$db"
screen_wait "QUOTAS STALE" || fail "no QUOTAS STALE in the header"
screen_line 1 | grep -q "ADAPTER" && fail "accounting alone shows as the adapter's trouble: $(screen_line 1)"
screen_resize 80 24   # it fits 80 columns with the data age beside it
screen_match "QUOTAS STALE +data " || fail "QUOTAS STALE does not fit 80 columns"
screen_resize 100 30
screen_keys 3
screen_wait "* last known: Slurm accounting unreadable since" || fail "the Tenants view does not say quotas are stale"
screen_match "TENANT .* GPUS\* +GPU-H BUDGET\*" || fail "the Tenants view's quota columns are not marked"
screen_wait "): sacctmgr exited" || fail "the Tenants view does not say why"
fake sacctmgr 'case "$*" in *assoc*) cat "$d/sacctmgr_show_assoc.txt" ;; *) cat "$d/sacctmgr_show_account.txt" ;; esac'
until_ok 15 grep -q "accounting readable again" "$top/dcopsd.log" || fail "accounting not read again"
until_ok 10 is "SELECT value FROM dcops.setting WHERE key = 'accounting.state'" up || fail "accounting.state not up again"
screen_gone "QUOTAS STALE" || fail "QUOTAS STALE stayed after accounting was read again"
screen_gone "last known" || fail "the Tenants view still says stale"
screen_stop
cp "$fx/sinfo.json" "$data/sinfo.json"

# broken JSON: down, nothing written while it lasts, rows kept
head -c 2000 "$fx/sinfo.json" >"$data/sinfo.json"
until_ok 10 is "SELECT value FROM dcops.setting WHERE key = 'adapter.state'" down || fail "not down"
v1=$(q "$vmax")
err=$(q "SELECT value FROM dcops.setting WHERE key = 'adapter.error'")
echo "down: $err"
grep -q "JSON" <<<"$err" || fail "error: $err"
sleep 1.5
[ "$(q "$vmax")" = "$v1" ] || fail "a broken cycle wrote rows: $(for t in node gpu job tenant quota partition; do
	echo "$t: $(q "SELECT to_json(x) FROM dcops.$t x WHERE version > $v1")"; done)"
is "SELECT count(*) FROM dcops.node" "$nodes" || fail "nodes lost"
cp "$fx/sinfo.json" "$data/sinfo.json"
until_ok 40 is "SELECT value FROM dcops.setting WHERE key = 'adapter.state'" up || fail "not up again (backoff reaches 30 s)"
is "SELECT count(*) FROM dcops.job" "$jobs" || fail "jobs after recovery"

# a command's error text is Slurm's, untrusted: dcopsd's log (a file an
# operator tails, or its stderr) shows it escaped, like the console does
fake squeue 'printf "squeue: error: \033]2;pwn\007\033[2J node \342\200\256x\n" >&2; exit 1'
until_ok 10 grep -q "tick failed, rolled back: squeue exited 1: squeue: error: " "$top/dcopsd.log" ||
	fail "no line for the failing squeue"
! LC_ALL=C grep -qaP '[\x1b\x07]|\xe2\x80[\xaa-\xae]' "$top/dcopsd.log" ||
	fail "raw control or bidi bytes in dcopsd's log: $(grep -a "squeue exited" "$top/dcopsd.log" | head -1 | cat -v)"
grep -qF 'squeue: error: \x1b]2;pwn\x07\x1b[2J node <U+202E>x' "$top/dcopsd.log" ||
	fail "the escaped text is not in the log: $(grep -a "squeue exited" "$top/dcopsd.log" | head -1 | cat -v)"
fake squeue 'cat "$d/squeue.json"'
until_ok 40 is "SELECT value FROM dcops.setting WHERE key = 'adapter.state'" up || fail "not up after squeue answers again"
echo ok
