#!/usr/bin/env bash
# slurm_live.sh — the console against a live Slurm 22.05 cluster
# (tests/lib/slurm.sh) with `dcopsd --adapter slurm` running throughout, as
# an operator has it, every fact read off the screen and checked against
# Slurm's own commands: nodes (full names at 80x24) and partitions; a
# 2-GPU job running under its tenant; a job over its account's limit
# pending on AssocGrpGRES with the reason in its detail; hold and release
# of it (scontrol show job); a quota raise from the console (sacctmgr shows
# the new GrpTRES, the job starts); a drain typed in the console (sinfo -R
# shows "dcops root: <reason>", DRAINING, then DRAINED once the jobs are
# cancelled from the console and squeue no longer has them), resumed; a
# drain and a resume typed with scontrol behind the console's back, seen
# within a poll with Slurm's reason and user (audit actor slurm:<user>;
# the resume says Slurm does not record who); slurmctld stopped -> ADAPTER
# DOWN, data STALE but shown, the database link kept; started again ->
# recovered, no job or node row lost or doubled; NO_COLOR=1 and
# --readonly (an action refused with one line).
. "$(dirname "$0")/lib.sh"
. "$DCOPS_ROOT/tests/lib/slurm.sh"
why=$(slurm_unavailable)
[ -z "$why" ] || { echo "skipped: $why"; exit 77; }
set -e
db="screen_slurm_live_$$"
dir=$TEST_TMP/slurm
dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	screen_stop
	slurm_stop "$dir"
	dropdb --if-exists --force "$db" >/dev/null 2>&1 || true
}
trap cleanup EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }
fail() {
	echo "FAIL: $*" >&2
	screen_dump >&2
	echo "--- dcopsd log:" >&2
	tail -n 20 "$TEST_TMP/dcopsd.log" >&2
	exit 1
}
# until SECS CMD...: polls CMD every 0.2 s.
until_ok() {
	local end=$((SECONDS + $1)); shift
	while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.2; done
	return 1
}
is() { [ "$(q "$1")" = "$2" ]; }
# a bare check that fails under set -e says where
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2; screen_dump >&2' ERR
# screen_match, then the same line must hold more (one row of a table)
row() { screen_match "$1" "${2:-10}"; }
# a job's state|reason as Slurm has it
job_state() { scontrol -o show job "$1" | grep -o 'JobState=[A-Z]* Reason=[A-Za-z]*'; }
t_start=$SECONDS

createdb -T "$DCOPS_TEST_TEMPLATE" "$db"
# a 4-node partition: one drained node is 25% of it
q "UPDATE dcops.setting SET value = '50' WHERE key = 'guard.drain_pct'"
slurm_start "$dir" || fail "the cluster did not start"
echo "cluster up in $(cat "$dir/startup_ms") ms"
me=$(id -un)
# the site's word on what Slurm does not know: hanbit is a university's
echo '{"nodes": {}, "tenants": {"hanbit": {"kind": "university"}}}' >"$TEST_TMP/site.json"
"$DCOPSD" --adapter slurm --db "dbname=$db" --poll-nodes 1 --poll-jobs 1 --poll-accounting 1 \
	--inventory "$TEST_TMP/site.json" --log "$TEST_TMP/dcopsd.log" &
dpid=$!
until_ok 20 is "SELECT count(*) FROM dcops.node" 6 || fail "dcopsd did not load the nodes"
dbpid=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = 'dcopsd'")

screen_start 80 24 --db "dbname=$db"
trap cleanup EXIT
screen_wait "DB UP"
# --- nodes and partitions, full names at 80 columns
for n in gwj-h100-001 gwj-h100-002 gwj-h100-003 gwj-h100-004 gwj-a100-001 gwj-a100-002; do
	screen_match "^ $n +(h100|a100) "
done
screen_match "^ gwj-h100-001 +h100 +unplaced +idle "
screen_wait "6 nodes"
screen_keys 2
row "^ h100 +4 "
row "^ a100 +2 "
screen_gone "other" 1   # no partition "other" when every name is one dcops takes

# --- a job under its tenant; one over its account's GPU limit; a CPU-only
# job, which holds its node too
run=$(sbatch --parsable -o /dev/null -A hanbit --gres=gpu:2 -J train --wrap 'sleep 60')
over=$(sbatch --parsable -o /dev/null -A hanbit --gres=gpu:4 -J over --wrap 'sleep 60')
cpu=$(sbatch --parsable -o /dev/null -A saebyeol -J prep --wrap 'sleep 6')
screen_keys : "jobs h100" Enter
row "^ +$cpu 새별ai연구소 +$me +0 running .* gwj-h100-001 *$"
row "^ +$run 한빛랩 +$me +2 running .* gwj-h100-001 *$"
row "^ +$over 한빛랩 +$me +4 pending .* AssocGrpGRES *$"
screen_keys / "over" Enter
screen_match "^ +$over 한빛랩"
screen_gone "gwj-h100-001" 2
screen_keys Enter
screen_wait "job $over"
screen_match "why tenant 한빛랩's quota is 4 GPUs, 2 in use by 1 job; this job"

# --- hold and release it from the console: Slurm has it held, then not
screen_keys Escape H
screen_wait "Hold job $over"
screen_keys "waiting for the dataset owner" Enter y
until_ok 10 eval '[ "$(job_state "$over")" = "JobState=PENDING Reason=JobHeldAdmin" ]' ||
	fail "hold: $(job_state "$over")"
row "^ +$over 한빛랩 .* JobHeldAdmin"
screen_keys U
screen_wait "Release job $over"
screen_keys "dataset owner answered" Enter y
until_ok 10 eval '[ "$(job_state "$over")" = "JobState=PENDING Reason=AssocGrpGRES" ]' ||
	fail "release: $(job_state "$over")"
row "^ +$over 한빛랩 .* AssocGrpGRES"

# --- a quota raise from the console: sacctmgr has it, the job starts
# (no GrpTRESMins on hanbit: no budget, nothing to run out of; a kind
# from the inventory, institute where it names none)
screen_keys 3
row "^ 한빛랩 +2/4 +no budget +0 +- "
row "^ 광주의료ai센터 +0/16 .* 0% "
is "SELECT string_agg(slurm_account || ':' || kind, ' ' ORDER BY slurm_account) FROM dcops.tenant" \
	"gwangju-med:institute hanbit:university saebyeol:institute" ||
	fail "kinds: $(q "SELECT slurm_account, kind FROM dcops.tenant")"
screen_keys / "hanbit" Enter
screen_wait "1 of 3 tenants"
screen_keys Q
screen_wait "Adjust quota of 한빛랩"
screen_keys C-u 6
screen_wait "GPUs       4 → 6"
screen_keys Enter Enter Enter "paper deadline this week" Enter 7d Enter y
until_ok 15 eval 'sacctmgr -P -n show assoc where account=hanbit user= format=GrpTRES | grep -qx "gres/gpu=6"' ||
	fail "sacctmgr: $(sacctmgr -P -n show assoc where account=hanbit format=User,GrpTRES)"
row "^ 한빛랩 +6/6 " 15
until_ok 10 eval '[ "$(job_state "$over")" = "JobState=RUNNING Reason=None" ]' || fail "over: $(job_state "$over")"

# --- a larger window from here on
screen_resize 160 40
# drain from the console: Slurm's reason names the operator; DRAINING
# while the jobs run
screen_keys 1 / "gwj-h100-001" Enter
screen_wait "1 of 6 nodes"
screen_keys D
screen_wait "Drain gwj-h100-001"
screen_wait "한빛랩: 2 jobs, 6 GPUs here"
screen_keys "fan 3 noisy, vendor ticket 4411" Enter Enter Enter Enter y
until_ok 10 eval 'sinfo -h -R -o "%E|%u|%N" | grep -qx "dcops $me: fan 3 noisy, vendor ticket 4411|$me|gwj-h100-001"' ||
	fail "sinfo -R: $(sinfo -h -R -o '%E|%u|%N')"
row "^ gwj-h100-001 +h100 .* draining: fan 3 noisy, vendor.* <1m $me "
# cancel both jobs from the console: squeue no longer has them, DRAINED
screen_keys 2 : "jobs h100" Enter
for j in "$run" "$over"; do
	screen_keys / C-u "id:$j" Enter
	row "^ +$j 한빛랩"
	screen_keys C
	screen_wait "Cancel job $j"
	screen_keys "drained for the fan, user agreed" Enter y
	until_ok 10 eval '[ -z "$(squeue -h -j "$j" -t PD,R,CG -o %i 2>/dev/null)" ]' || fail "job $j still in squeue"
done
screen_keys 1
row "^ gwj-h100-001 +h100 .* drained: fan 3 noisy" 15
[ "$(sinfo -h -n gwj-h100-001 -o %T)" = drained ]
screen_keys R
screen_wait "Resume gwj-h100-001"
screen_keys "fan replaced by the vendor" Enter y
row "^ gwj-h100-001 +h100 +unplaced +idle " 10
# (idle* until slurmd answers slurmctld's ping)
t0=$SECONDS
until_ok 15 eval '[ "$(sinfo -h -n gwj-h100-001 -o %T)" = idle ]' ||
	fail "sinfo after the resume: $(sinfo -h -n gwj-h100-001 -o %T)"
echo "idle in sinfo $((SECONDS - t0)) s after the resume"
screen_match "^ gwj-h100-001 +h100 +unplaced +idle "

# --- behind the console's back: within one poll, Slurm's reason and user
t0=$SECONDS
scontrol update NodeName=gwj-h100-001 State=DRAIN Reason='PSU 2 alarm; swap Monday'
row "^ gwj-h100-001 +h100 .* drained: PSU 2 alarm; swap Monday .* slurm:$me" 3
echo "external drain on screen in $((SECONDS - t0)) s"
is "SELECT count(*) FROM dcops.audit WHERE action = 'slurm.drain' AND target = 'gwj-h100-001'
    AND actor = 'slurm:$me' AND reason = 'PSU 2 alarm; swap Monday'" 1 ||
	fail "audit: $(q "SELECT actor, action, target, reason FROM dcops.audit ORDER BY id")"
scontrol update NodeName=gwj-h100-001 State=RESUME
row "^ gwj-h100-001 +h100 +unplaced +idle " 3
# Slurm does not record who resumes a node: the audit says so, no user made up
until_ok 5 is "SELECT actor || '|' || reason FROM dcops.audit WHERE action = 'slurm.resume'
               AND target = 'gwj-h100-001'" "slurm:not-recorded|resumed in Slurm; Slurm does not record who resumes a node" ||
	fail "resume audit: $(q "SELECT actor, reason FROM dcops.audit WHERE action = 'slurm.resume'")"
screen_keys 5
screen_match "slurm:not-recorded +slurm.resume +gwj-h100-001"

# --- the data's age: fresh while the adapter polls, even with nothing new
q "UPDATE dcops.node SET last_seen = now() - interval '10 minutes'"
screen_keys 1
sleep 1.5
screen_match " data now " 3
screen_match "^ gwj-h100-001 +h100 .* (ok|warn) +-$" 3   # AGE: Slurm's as of the last poll
screen_gone "10m" 1

# --- slurmctld stopped: ADAPTER DOWN, the data STALE but shown
nodes_before=$(q "SELECT string_agg(name || ':' || admin_state, ' ' ORDER BY name) FROM dcops.node")
jobs_before=$(q "SELECT string_agg(id || ':' || state, ' ' ORDER BY id) FROM dcops.job")
kill -TERM "$(cat "$dir/pids/slurmctld")"
screen_wait "ADAPTER DOWN" 40
screen_wait "STALE"
screen_match "^ gwj-h100-001 +h100 "
screen_match "adapter slurm: .*(sinfo|squeue|sacctmgr|sshare|scontrol)"
slurm_spawn "$dir" slurmctld slurmctld -D -i && slurm_wait "$dir" slurmctld 60 slurm_ctld_up ||
	fail "slurmctld did not come back"
# (the adapter retries a failing source at least every 5 s, its report
# interval, however long the outage was)
t0=$SECONDS
screen_gone "ADAPTER DOWN" 20
screen_gone "STALE"
echo "recovered on screen $((SECONDS - t0)) s after slurmctld answered"
# the database link outlived Slurm's outage
is "SELECT pid FROM pg_stat_activity WHERE application_name = 'dcopsd'" "$dbpid" ||
	fail "dcopsd reconnected to the database: $(q "SELECT pid, backend_start FROM pg_stat_activity WHERE application_name = 'dcopsd'")"
sleep 1.5
is "SELECT string_agg(name || ':' || admin_state, ' ' ORDER BY name) FROM dcops.node" "$nodes_before" || fail "nodes"
is "SELECT string_agg(id || ':' || state, ' ' ORDER BY id) FROM dcops.job" "$jobs_before" ||
	fail "jobs before '$jobs_before' after '$(q "SELECT string_agg(id || ':' || state, ' ' ORDER BY id) FROM dcops.job")'"
is "SELECT count(*) || ' ' || count(DISTINCT name) FROM dcops.node" "6 6" || fail "node rows"
is "SELECT count(*) || ' ' || count(DISTINCT (node_id, idx)) FROM dcops.gpu" "48 48" || fail "gpu rows"

# --- NO_COLOR=1 and --readonly: readable, and actions refused with one line
screen_stop
SCREEN_ENV="NO_COLOR=1" screen_start 80 24 --readonly --db "dbname=$db"
trap cleanup EXIT
screen_wait "READ-ONLY"
screen_match "^ gwj-h100-001 +h100 +unplaced +idle "
screen_keys D
screen_wait "drain: read-only session"
[ "$(screen_dump | grep -c 'read-only session')" = 1 ]
screen_gone "Drain gwj-h100-001" 1
is "SELECT count(*) FROM dcops.actions WHERE status = 'pending'" 0
echo "slurm_live: ok in $((SECONDS - t_start)) s"
