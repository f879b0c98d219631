#!/usr/bin/env bash
# slurm_act.sh — the Slurm adapter's acting side against a real Slurm 22.05
# cluster (tests/lib/slurm.sh) and a database from the template, each case
# through dcops's own commands and checked with Slurm's:
#   quota set -> sacctmgr shows GrpTRES gres/gpu=N, and a job pending on
#     AssocGrpGRES starts; a tenant found by tenant.slurm_account, or by
#     its account's description;
#     a time-boxed quota reverts on time
#   drain -> sinfo -R shows "dcops <operator>: <reason>" (hostile text
#     stays one argument), the node is DRAINING, DRAINED when its jobs end;
#     resume reverses it
#   drain of a node, quota of an account Slurm does not know -> failed
#     with Slurm's message; slurmctld down -> the drain stays pending and
#     applies once slurmctld is back
#   job hold -> squeue shows JobHeldAdmin; release -> it runs once its
#     dependency ends; cancel -> sacct shows CANCELLED, a second cancel
#     sends nothing; hold of a job Slurm runs -> failed, nothing sent
#     (scontrol would take it quietly and mark the running job held);
#     cancel of a job Slurm does not know -> failed with scancel's message
#   exactly once: the adapter killed after scontrol (or sacctmgr) ran and
#     before it recorded anything; the next run finds the change in Slurm,
#     records applied and does not send it again (calls counted by a
#     wrapper bindir)
# First one acting cycle at a time, through tests/integration/slurm_act_once.c
# (slurm_act_outbox with a real runner, built here against the build's
# libdcops.a), which counts what each cycle did; then the quota, drain,
# resume and kill cases again through dcopsd --adapter slurm, which reads
# the cluster into a fresh database and acts each cycle.
set -u
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
. "$DCOPS_ROOT/tests/lib/slurm.sh"
why=$(slurm_unavailable)
[ -z "$why" ] || { echo "skipped: $why"; exit 77; }

DB=dcops_slurm_act_$$
DB2=dcops_slurm_act2_$$
CL="$TEST_TMP/slurm"
BIN="$TEST_TMP/bin"
CALLS="$TEST_TMP/calls"
KILL="$TEST_TMP/kill-after-update"
dpid=
createdb -T "$DCOPS_TEST_TEMPLATE" "$DB" || exit 1
createdb -T "$DCOPS_TEST_TEMPLATE" "$DB2" || exit 1
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	slurm_stop "$CL"
	dropdb --force "$DB" >/dev/null 2>&1
	dropdb --force "$DB2" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$DCOPS_ROOT/tests/lib/live-check.sh"

psql -qX -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<'SQL' || { echo "fixture failed"; exit 1; }
DO $$
DECLARE
    r text[];
BEGIN
    FOREACH r SLICE 1 IN ARRAY ARRAY[['slurm_op', 'dcops_operator'], ['slurm_admin', 'dcops_admin'],
                                     ['slurm_adapter', 'dcops_adapter']] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r[1]) THEN
            EXECUTE format('CREATE ROLE %I LOGIN IN ROLE %I', r[1], r[2]);
        END IF;
    END LOOP;
END $$;
INSERT INTO dcops.site (code, name) VALUES ('gwj', 'Gwangju test');
INSERT INTO dcops.hall (site_id, name) VALUES (1, 'hall-1');
INSERT INTO dcops.rack (hall_id, name, row_no, position, power_cap_kw) VALUES (1, 'r1', 1, 1, 40);
INSERT INTO dcops.partition (name, gpu_model) VALUES ('h100', 'H100'), ('a100', 'A100');
-- gwj-h100-999 is dcops's, not Slurm's: its drain fails in Slurm
INSERT INTO dcops.node (name, rack_id, partition_id, model, gpu_count)
SELECT n, 1, CASE WHEN n LIKE 'gwj-a100%' THEN 2 ELSE 1 END, 'H100', 8
  FROM unnest(ARRAY['gwj-h100-001', 'gwj-h100-002', 'gwj-h100-003', 'gwj-h100-004', 'gwj-h100-999',
                    'gwj-a100-001', 'gwj-a100-002']) n;
-- hanbit is the account's name; 새별AI연구소 is the description of account saebyeol
INSERT INTO dcops.tenant (name, name_en, kind) VALUES ('hanbit', 'Hanbit Lab', 'university'),
    ('새별AI연구소', 'Saebyeol AI', 'institute');
-- the reading side links the tenants it makes to their accounts (050)
INSERT INTO dcops.tenant (name, name_en, kind, slurm_account) VALUES ('GJ Medical', '', 'institute', 'gwangju-med'),
    ('Ghost Lab', '', 'startup', 'ghost');
INSERT INTO dcops.quota (tenant_id, gpu_limit, gpu_hours_budget, storage_tb, term_start, term_end)
VALUES (1, 4, 10000, 10, current_date, current_date + 90), (2, 8, 10000, 10, current_date, current_date + 90),
       (3, 16, 10000, 10, current_date, current_date + 90), (4, 8, 100, 10, current_date, current_date + 90);
UPDATE dcops.setting SET value = '100' WHERE key = 'guard.drain_pct';
SQL

slurm_start "$CL" || exit $?
echo "slurm: up in $(cat "$CL/startup_ms") ms"

# Slurm's commands through wrappers that log each call; with $KILL present
# a `scontrol update` or `sacctmgr -i modify` runs and then kills its
# caller, the adapter, before it can record anything.
mkdir -p "$BIN"
for c in scontrol sinfo sacctmgr squeue sacct sshare scancel; do
	real=$(command -v "$c")
	cat >"$BIN/$c" <<EOF
#!/bin/bash
printf '%s\n' "$c \$*" >>"$CALLS"
if [ -e "$KILL" ] && { [ "$c \$1" = "scontrol update" ] || [ "$c \$1" = "sacctmgr -i" ]; }; then
	"$real" "\$@"
	kill -KILL \$PPID
	exit 0
fi
exec "$real" "\$@"
EOF
	chmod +x "$BIN/$c"
done

LIBDIR=$(dirname "$(dirname "$DCOPSD")")
ACT="$TEST_TMP/slurm_act_once"
# shellcheck disable=SC2046 # pkg-config's words are separate flags
cc -std=c11 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 -I"$DCOPS_ROOT/backend" \
	${SANITIZE:+-fsanitize=address,undefined} $(pkg-config --cflags libpq libcjson) \
	-o "$ACT" "$DCOPS_ROOT/tests/integration/slurm_act_once.c" "$LIBDIR/libdcops.a" \
	$(pkg-config --libs ncursesw libssh libpq libcjson) -lm || { echo "could not build slurm_act_once"; exit 1; }

act() { "$ACT" "dbname=$DB user=slurm_adapter" "$BIN" "$SLURM_CLUSTER" 2>>"$TEST_TMP/act.log"; }
as() { local who=$1; shift; "$DCOPS" -q --db "dbname=$DB user=$who" "$@" >/dev/null; }
job_state() { squeue -h -j "$1" -o %T; }
grp_gpu() { sacctmgr -n -P show assoc where account="$1" format=User,GrpTRES | awk -F'|' '$1 == "" { print $2 }'; }
node_state() { sinfo -h -N -n "$1" -o %T | head -n 1; }

# ---- a quota change lets a pending job start
j1=$(sbatch --parsable -A hanbit -J held-2 --gres=gpu:2 -o /dev/null -e /dev/null --wrap 'sleep 300')
wait_for 30 RUNNING job_state "$j1" >/dev/null || fail "job $j1 did not start: $(job_state "$j1")"
j2=$(sbatch --parsable -A hanbit -J wants-4 --gres=gpu:4 -o /dev/null -e /dev/null --wrap 'sleep 300')
got=$(wait_for 30 AssocGrpGRES squeue -h -j "$j2" -o %r)
want "job over hanbit's 4 GPUs pends on" "$got" AssocGrpGRES

as slurm_admin quota set hanbit gpus=8 --reason "conference deadline needs eight GPUs" || fail "quota set refused"
want "first cycle" "$(act)" "applied 1 failed 0 already 0 sent 1 reverts 0"
want "sacctmgr GrpTRES of hanbit" "$(grp_gpu hanbit)" "gres/gpu=8"
want "dcops.quota of hanbit" "$(q "SELECT gpu_limit FROM dcops.quota WHERE tenant_id = 1")" 8
want "quota action" "$(q "SELECT status FROM dcops.actions WHERE kind = 'quota_set'")" applied
want "quota audit" "$(q "SELECT count(*) FROM dcops.audit WHERE action = 'quota_set.applied'
                          AND actor = 'slurm_adapter' AND after->>'account' = 'hanbit'")" 1
got=$(wait_for 30 RUNNING job_state "$j2")
want "the pending job once the limit allows it" "$got" RUNNING

# ---- a tenant named like its account's description
as slurm_admin quota set 새별AI연구소 gpus=10 --reason "new project for the winter term" || fail "quota set refused"
want "description cycle" "$(act)" "applied 1 failed 0 already 0 sent 1 reverts 0"
want "sacctmgr GrpTRES of saebyeol" "$(grp_gpu saebyeol)" "gres/gpu=10"

# ---- a tenant linked to its account by tenant.slurm_account
as slurm_admin quota set "GJ Medical" gpus=20 --reason "imaging pipeline needs four more" || fail "quota set refused"
want "linked account cycle" "$(act)" "applied 1 failed 0 already 0 sent 1 reverts 0"
want "sacctmgr GrpTRES of gwangju-med" "$(grp_gpu gwangju-med)" "gres/gpu=20"
want "its GPU-minutes" "$(sacctmgr -n -P show assoc where account=gwangju-med format=User,GrpTRESMins |
	awk -F'|' '$1 == "" { print $2 }')" "gres/gpu=600000"

# ---- an account Slurm does not have: failed with sacctmgr's words
as slurm_admin quota set "Ghost Lab" gpus=10 --reason "an account Slurm never had" || fail "quota set refused"
want "unknown account cycle" "$(act)" "applied 0 failed 1 already 0 sent 1 reverts 0"
want "its action" "$(q "SELECT status || ': ' || error FROM dcops.actions WHERE target = 'Ghost Lab'")" \
	"failed: Nothing modified"
want "its quota in dcops" "$(q "SELECT gpu_limit FROM dcops.quota WHERE tenant_id = 4")" 8

# ---- drain with jobs running: DRAINING, then DRAINED when they end
R='Xid 79 on GPU 3; "fell off" the bus $(reboot) `id`'
as slurm_op drain gwj-h100-001 --reason "$R" || fail "drain refused"
want "drain cycle" "$(act)" "applied 1 failed 0 already 0 sent 1 reverts 0"
want "sinfo -R" "$(sinfo -R -h -n gwj-h100-001 -o '%E')" "dcops slurm_op: Xid 79 on GPU 3; 'fell off' the bus \$(reboot) \`id\`"
want "node with jobs" "$(node_state gwj-h100-001)" draining
want "dcops.node" "$(q "SELECT admin_state || ' ' || drained_by FROM dcops.node WHERE name = 'gwj-h100-001'")" \
	"draining slurm_op"
scancel "$j1" "$j2"
got=$(wait_for 30 drained node_state gwj-h100-001)
want "node once its jobs ended" "$got" drained

as slurm_op resume gwj-h100-001 --reason "GPU 3 reseated and tested" || fail "resume refused"
want "resume cycle" "$(act)" "applied 1 failed 0 already 0 sent 1 reverts 0"
got=$(wait_for 15 idle node_state gwj-h100-001)
want "resumed node" "$got" idle
want "resumed node in dcops" "$(q "SELECT admin_state FROM dcops.node WHERE name = 'gwj-h100-001'")" active

# ---- Slurm refuses: the action fails with Slurm's own message
as slurm_op drain gwj-h100-999 --reason "a node Slurm never heard of" || fail "drain refused"
want "failing cycle" "$(act)" "applied 0 failed 1 already 0 sent 1 reverts 0"
want "failed action" "$(q "SELECT status || ': ' || error FROM dcops.actions WHERE target = 'gwj-h100-999'")" \
	"failed: slurm_update error: Invalid node name specified"
want "the adapter's log line" "$(grep -c 'drain gwj-h100-999: failed: slurm_update error: Invalid node name specified$' \
	"$TEST_TMP/act.log")" 1
want "failure audit" "$(q "SELECT reason FROM dcops.audit WHERE action = 'drain.failed' AND target = 'gwj-h100-999'")" \
	"slurm_update error: Invalid node name specified"

# ---- exactly once: killed between scontrol and the commit
: >"$CALLS"
touch "$KILL"
as slurm_op drain gwj-h100-002 --reason "PSU 2 replaced, burn-in due" || fail "drain refused"
act >/dev/null 2>&1
want "the killed cycle's exit" "$?" 137
rm -f "$KILL"
want "action after the kill" "$(q "SELECT status FROM dcops.actions WHERE target = 'gwj-h100-002'")" pending
want "Slurm after the kill" "$(sinfo -R -h -n gwj-h100-002 -o '%E')" "dcops slurm_op: PSU 2 replaced, burn-in due"
# the killed session's locks go when PostgreSQL sees it gone
wait_for 10 0 q "SELECT count(*) FROM pg_stat_activity WHERE usename = 'slurm_adapter'" >/dev/null
want "cycle after the restart" "$(act)" "applied 1 failed 0 already 1 sent 0 reverts 0"
want "scontrol updates of gwj-h100-002" "$(grep -c '^scontrol update NodeName=gwj-h100-002' "$CALLS")" 1
want "the audit says nothing was sent" \
	"$(q "SELECT after->>'sent' FROM dcops.audit WHERE action = 'drain.applied' AND target = 'gwj-h100-002'")" false
want "another cycle" "$(act)" "applied 0 failed 0 already 0 sent 0 reverts 0"

# ---- resuming a drained node no slurmd serves: scontrol exits 1 (UNKNOWN
# state) yet clears the drain, which is what was asked
as slurm_op resume gwj-h100-002 --reason "burn-in passed, back to work" || fail "resume refused"
want "resume of an unserved node" "$(act)" "applied 1 failed 0 already 0 sent 1 reverts 0"
want "its drain flag" "$(sinfo -h -N -n gwj-h100-002 -O StateComplete:0 | grep -c drain)" 0
echo "Slurm said: $(q "SELECT coalesce(after->>'slurm_message', '(nothing)') FROM dcops.audit
                     WHERE action = 'resume.applied' AND target = 'gwj-h100-002'")"

# ---- a time-boxed quota reverts on time
as slurm_admin quota set hanbit gpus=6 --reason "short burst for a demo run" --expires 3s || fail "quota set refused"
want "time-boxed cycle" "$(act)" "applied 1 failed 0 already 0 sent 1 reverts 0"
want "time-boxed GrpTRES" "$(grp_gpu hanbit)" "gres/gpu=6"
sleep 4
want "revert cycle" "$(act)" "applied 1 failed 0 already 0 sent 1 reverts 1"
want "reverted GrpTRES" "$(grp_gpu hanbit)" "gres/gpu=8"
want "revert audit" "$(q "SELECT count(*) FROM dcops.audit WHERE action = 'quota_revert.applied'")" 1

# ---- exactly once for a quota: killed between sacctmgr and the commit
touch "$KILL"
as slurm_admin quota set 새별AI연구소 gpus=12 --reason "second project joins in spring" || fail "quota set refused"
act >/dev/null 2>&1
want "the killed quota cycle's exit" "$?" 137
rm -f "$KILL"
want "Slurm after the kill" "$(grp_gpu saebyeol)" "gres/gpu=12"
wait_for 10 0 q "SELECT count(*) FROM pg_stat_activity WHERE usename = 'slurm_adapter'" >/dev/null
want "quota cycle after the restart" "$(act)" "applied 1 failed 0 already 1 sent 0 reverts 0"
want "sacctmgr modifications of saebyeol" "$(grep -c '^sacctmgr -i modify account where name=saebyeol .*gres/gpu=12' "$CALLS")" 1
want "dcops.quota of saebyeol" "$(q "SELECT gpu_limit FROM dcops.quota WHERE tenant_id = 2")" 12

# ---- slurmctld down: nothing is decided, the drain waits and then applies
ctld=$(cat "$CL/pids/slurmctld")
kill -TERM "$ctld"
for _ in $(seq 1 100); do kill -0 "$ctld" 2>/dev/null || break; sleep 0.1; done
as slurm_op drain gwj-h100-003 --reason "fan tray 2 failing, swap it" || fail "drain refused"
t0=$SECONDS
out=$(act)
want "cycle with slurmctld down exits" "$?" 1
want "cycle with slurmctld down" "$out" "applied 0 failed 0 already 0 sent 0 reverts 0"
echo "slurmctld down: the cycle gave up after $((SECONDS - t0)) s: $(tail -n 1 "$TEST_TMP/act.log")"
want "the drain while slurmctld is down" "$(q "SELECT status FROM dcops.actions WHERE target = 'gwj-h100-003'")" pending
slurm_spawn "$CL" slurmctld slurmctld -D -i && slurm_wait "$CL" slurmctld 60 slurm_ctld_up ||
	fail "slurmctld did not come back"
want "cycle with slurmctld back" "$(act)" "applied 1 failed 0 already 0 sent 1 reverts 0"
want "sinfo -R after the outage" "$(sinfo -R -h -n gwj-h100-003 -o '%E')" "dcops slurm_op: fan tray 2 failing, swap it"

# ---- jobs: hold and release a pending job, cancel a running one. dcops's
# job ids are Slurm's (the reading side writes dcops.job.id = the job id);
# here the rows are written by hand, as the reading side would.
jr=$(sbatch --parsable -A hanbit -J to-cancel --gres=gpu:1 -o /dev/null -e /dev/null --wrap 'sleep 300')
wait_for 30 RUNNING job_state "$jr" >/dev/null || fail "job $jr did not start: $(job_state "$jr")"
jp=$(sbatch --parsable -A hanbit -J after-it --gres=gpu:1 -d "afterany:$jr" -o /dev/null -e /dev/null \
	--wrap 'sleep 300')
want "the dependent job pends on" "$(wait_for 15 Dependency squeue -h -j "$jp" -o %r)" Dependency
# dcops still sees $jr pending (its picture lags Slurm's); 999999 is dcops's only
q "INSERT INTO dcops.job (id, tenant_id, partition_id, user_name, gpus, state, reason)
   VALUES ($jr, 1, 1, 'kim', 1, 'pending', 'Priority'), ($jp, 1, 1, 'kim', 1, 'pending', 'Dependency'),
          (999999, 1, 1, 'kim', 1, 'running', '')" || fail "job rows"
jaction() { q "SELECT status || ': ' || coalesce(error, '') FROM dcops.actions WHERE target = '$1' ORDER BY id DESC LIMIT 1"; }

as slurm_op job hold "$jp" --reason "hold until the dataset is fixed" || fail "job hold refused"
want "hold cycle" "$(act)" "applied 1 failed 0 already 0 sent 1 reverts 0"
want "squeue reason of the held job" "$(squeue -h -j "$jp" -o '%T %r %Q')" "PENDING JobHeldAdmin 0"
want "hold action" "$(jaction "$jp")" "applied: "
want "scontrol holds sent" "$(grep -c "^scontrol hold $jp\$" "$CALLS")" 1

q "UPDATE dcops.job SET reason = 'JobHeldAdmin' WHERE id = $jp"
as slurm_op job release "$jp" --reason "dataset fixed, let it run" || fail "job release refused"
want "release cycle" "$(act)" "applied 1 failed 0 already 0 sent 1 reverts 0"
want "the released job" "$(job_state "$jp")" PENDING
want "its reason is no hold" "$(squeue -h -j "$jp" -o %r | grep -c JobHeld)" 0
want "release action" "$(jaction "$jp")" "applied: "

as slurm_op job hold "$jr" --reason "hold what dcops thinks is pending" || fail "job hold refused"
want "hold of a running job" "$(act)" "applied 0 failed 1 already 0 sent 0 reverts 0"
got=$(jaction "$jr")
echo "scontrol hold of a running job: $got"
want "the hold fails with Slurm's picture" "$got" "failed: job $jr is RUNNING in Slurm: only a pending job can be held; nothing sent"
want "its reason in Slurm" "$(squeue -h -j "$jr" -o %r)" None
want "the running job" "$(job_state "$jr")" RUNNING

q "UPDATE dcops.job SET state = 'running' WHERE id = $jr"
as slurm_op job cancel "$jr" --reason "runaway job filling the scratch" || fail "job cancel refused"
want "cancel cycle" "$(act)" "applied 1 failed 0 already 0 sent 1 reverts 0"
want "cancel action" "$(jaction "$jr")" "applied: "
want "sacct of the cancelled job" "$(wait_for 15 CANCELLED sh -c "sacct -n -X -j $jr -o State%20 | awk '{ print \$1 }'")" \
	CANCELLED
want "cancel audit" "$(q "SELECT count(*) FROM dcops.audit WHERE action = 'job_cancel.applied' AND target = '$jr'
                          AND actor = 'slurm_adapter' AND after->>'sent' = 'true'")" 1
got=$(wait_for 30 RUNNING job_state "$jp")
want "the released job once its dependency ended" "$got" RUNNING
# cancelled in Slurm already: recorded applied, nothing sent
as slurm_op job cancel "$jr" --reason "runaway job filling the scratch" || fail "job cancel refused"
want "cancel of a cancelled job" "$(act)" "applied 1 failed 0 already 1 sent 0 reverts 0"
want "scancels of $jr" "$(grep -c "^scancel -v $jr\$" "$CALLS")" 1

as slurm_op job cancel 999999 --reason "a job Slurm never had" || fail "job cancel refused"
want "cancel of a job Slurm does not know" "$(act)" "applied 0 failed 1 already 0 sent 1 reverts 0"
got=$(jaction 999999)
echo "scancel of an unknown job: $got"
want "its failure names Slurm's reason" "$(case $got in "failed: "*"Invalid job id specified"*) echo ok;; *) echo "$got";; esac)" ok
scancel "$jp"

want "actions left pending" "$(q "SELECT count(*) FROM dcops.actions WHERE status = 'pending'")" 0

# ==== the same through dcopsd --adapter slurm: it reads the cluster into a
# fresh database (tenants from Slurm's accounts, linked by slurm_account)
# and applies what dcops's commands queue, each cycle
q2() { psql -qAtX -v ON_ERROR_STOP=1 -d "$DB2" -c "$1"; }
as2() { local who=$1; shift; "$DCOPS" -q --db "dbname=$DB2 user=$who" "$@" >/dev/null; }
dcopsd_start() {
	"$DCOPSD" --adapter slurm --db "dbname=$DB2" --slurm-bin "$BIN" --poll-nodes 1 --poll-jobs 1 \
		--poll-accounting 1 --log "$TEST_TMP/dcopsd.log" >>"$TEST_TMP/dcopsd.out" 2>&1 &
	dpid=$!
}
action2() { q2 "SELECT status FROM dcops.actions WHERE id = (SELECT max(id) FROM dcops.actions)"; }
q2 "UPDATE dcops.setting SET value = '100' WHERE key = 'guard.drain_pct'"
dcopsd_start
got=$(wait_for 30 1 q2 "SELECT count(*) FROM dcops.quota q JOIN dcops.tenant t ON t.id = q.tenant_id
                        WHERE t.slurm_account = 'hanbit' AND q.gpu_limit = 8")
want "dcopsd read hanbit's quota" "$got" 1
hanbit=$(q2 "SELECT name FROM dcops.tenant WHERE slurm_account = 'hanbit'")

# a quota lowered from dcops holds a job, raised again lets it start
as2 slurm_admin quota set "$hanbit" gpus=4 --reason "term ends, back to the base quota" || fail "dcopsd: quota set refused"
got=$(wait_for 20 "gres/gpu=4" grp_gpu hanbit)
want "dcopsd: GrpTRES after quota set" "$got" "gres/gpu=4"
# hanbit has no GPU-minute limit, which dcops reads as a budget of 0 and
# carries along unchanged: Slurm must not get a limit of 0 from it
want "dcopsd: GrpTRESMins after quota set" "$(sacctmgr -n -P show assoc where account=hanbit format=User,GrpTRESMins |
	awk -F'|' '$1 == "" { print "[" $2 "]" }')" "[]"
got=$(wait_for 10 applied action2) # Slurm shows it a moment before dcopsd commits
want "dcopsd: the action" "$got" applied
j3=$(sbatch --parsable -A hanbit -J wants-6 --gres=gpu:6 -o /dev/null -e /dev/null --wrap 'sleep 300')
got=$(wait_for 30 AssocGrpGRES squeue -h -j "$j3" -o %r)
want "dcopsd: job over the new limit pends on" "$got" AssocGrpGRES
as2 slurm_admin quota set "$hanbit" gpus=6 --reason "six GPUs for the retraining job" || fail "dcopsd: quota set refused"
got=$(wait_for 30 RUNNING job_state "$j3")
want "dcopsd: the pending job once the limit allows it" "$got" RUNNING
want "dcopsd: GrpTRES" "$(grp_gpu hanbit)" "gres/gpu=6"

# a drain from dcops: DRAINING under the job, DRAINED once it ends, no
# external audit row for dcops's own change; resume reverses it
as2 slurm_op drain gwj-h100-001 --reason "ECC errors climbing on GPU 5" || fail "dcopsd: drain refused"
got=$(wait_for 20 "dcops slurm_op: ECC errors climbing on GPU 5" sinfo -R -h -n gwj-h100-001 -o '%E')
want "dcopsd: sinfo -R" "$got" "dcops slurm_op: ECC errors climbing on GPU 5"
want "dcopsd: node under its job" "$(node_state gwj-h100-001)" draining
got=$(wait_for 10 draining q2 "SELECT admin_state FROM dcops.node WHERE name = 'gwj-h100-001'")
want "dcopsd: dcops.node under its job" "$got" draining
scancel "$j3"
got=$(wait_for 30 drained node_state gwj-h100-001)
want "dcopsd: node once its job ended" "$got" drained
got=$(wait_for 10 "drained slurm_op" q2 "SELECT admin_state || ' ' || drained_by FROM dcops.node WHERE name = 'gwj-h100-001'")
want "dcopsd: dcops.node once the job ended" "$got" "drained slurm_op"
as2 slurm_op resume gwj-h100-001 --reason "GPU 5 replaced, ECC clean" || fail "dcopsd: resume refused"
got=$(wait_for 20 idle node_state gwj-h100-001)
want "dcopsd: resumed node" "$got" idle
got=$(wait_for 10 active q2 "SELECT admin_state FROM dcops.node WHERE name = 'gwj-h100-001'")
want "dcopsd: resumed node in dcops" "$got" active
want "dcopsd: external audit rows for dcops's own changes" \
	"$(q2 "SELECT count(*) FROM dcops.audit WHERE actor LIKE 'slurm:%'")" 0

# exactly once: dcopsd killed after scontrol ran, started again
: >"$CALLS"
touch "$KILL"
as2 slurm_op drain gwj-h100-004 --reason "rail 2 switch port flapping" || fail "dcopsd: drain refused"
for _ in $(seq 1 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.2; done
wait "$dpid" 2>/dev/null
want "dcopsd killed by the wrapper" "$?" 137
rm -f "$KILL"
want "dcopsd: the action after the kill" "$(action2)" pending
dcopsd_start
got=$(wait_for 20 applied action2)
want "dcopsd: the action after the restart" "$got" applied
want "dcopsd: scontrol updates of gwj-h100-004" "$(grep -c '^scontrol update NodeName=gwj-h100-004' "$CALLS")" 1
want "dcopsd: sinfo -R after the restart" "$(sinfo -R -h -n gwj-h100-004 -o '%E')" \
	"dcops slurm_op: rail 2 switch port flapping"
kill "$dpid" && wait "$dpid" 2>/dev/null
dpid=
# under SANITIZE=1 a leak or bad access reports here
want "sanitizer reports" "$(cat "$TEST_TMP/act.log" "$TEST_TMP/dcopsd.out" 2>/dev/null | grep -c Sanitizer)" 0
echo "ms in Slurm's commands per cycle:" $(sed -n 's/^slurm_act_once: \([0-9]*\) ms.*/\1/p' "$TEST_TMP/act.log")
grep -v ' ms in ' "$TEST_TMP/act.log"
echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
