#!/usr/bin/env bash
# slurm_harness.sh — the live Slurm cluster of tests/lib/slurm.sh, checked
# with Slurm's own commands: the nodes and partitions are there, the
# accounts carry their GPU limits, a 2-GPU job runs on the real slurmd under
# its account, a job over the account's limit pends on AssocGrpGRES, a drain
# shows in sinfo -R; then the stop leaves no process behind, also when the
# command run inside the cluster fails with jobs still running, and when a
# daemon fails to start.
set -u
lib=$(cd "$(dirname "$0")/../lib" && pwd)/slurm.sh
# shellcheck source=../lib/slurm.sh
. "$lib"
why=$(slurm_unavailable)
[ -z "$why" ] || { echo "skipped: $why"; exit 77; }
top=${TEST_TMP:-$(mktemp -d /tmp/dcops-slurm-test.XXXXXX)}
top=$(cd "$top" && pwd)
dir=$top/slurm
trap 'slurm_stop "$dir"' EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "[${SECONDS}s] $*"; }

slurm_start "$dir" || fail "the cluster did not start"
echo "cluster up in $(cat "$dir/startup_ms") ms"
cd "$top" || fail "cd $top"

step "nodes and partitions"
# Nodes and partitions: sinfo --json (scontrol has no --json in 22.05).
sinfo --json >nodes.json || fail "sinfo --json"
jq -e '[.nodes[].name] | sort == ["gwj-a100-001","gwj-a100-002","gwj-h100-001",
       "gwj-h100-002","gwj-h100-003","gwj-h100-004"]' nodes.json >/dev/null ||
	fail "nodes: $(jq -c '[.nodes[].name]' nodes.json)"
jq -e '.nodes[] | select(.name == "gwj-h100-001") | .state == "idle" and .gres == "gpu:h100:8"' \
	nodes.json >/dev/null || fail "gwj-h100-001: $(jq -c '.nodes[0]' nodes.json)"
[ "$(scontrol -o show node | grep -c '^NodeName=gwj-')" -eq 6 ] || fail "scontrol show node: not 6 nodes"
parts=$(scontrol -o show partition | sed -n 's/^PartitionName=\([^ ]*\) .*/\1/p' | tr '\n' ' ')
[ "$parts" = "h100 a100 " ] || fail "partitions: $parts"

# Accounts: Korean descriptions and GPU limits, as sacctmgr stored them.
acct=$(sacctmgr -P -n show account format=Account,Descr)
grep -qx 'hanbit|한빛랩' <<<"$acct" || fail "account hanbit: $acct"
assoc=$(sacctmgr -P -n show assoc format=Account,User,GrpTRES,GrpTRESMins)
grep -qx 'hanbit||gres/gpu=4|' <<<"$assoc" || fail "hanbit's limit: $assoc"
grep -qx 'saebyeol||gres/gpu=8|' <<<"$assoc" || fail "saebyeol's limit: $assoc"
grep -qx 'gwangju-med||gres/gpu=16|gres/gpu=600000' <<<"$assoc" || fail "gwangju-med's limits: $assoc"
grep -qx "hanbit|$(id -un)||" <<<"$assoc" || fail "$(id -un) not in hanbit: $assoc"

# until SECONDS CMD...: polls CMD every 0.2 s.
until_ok() {
	local end=$((SECONDS + $1)); shift
	while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.2; done
	return 1
}
job_is() { # JOBID STATE [REASON]: squeue --json has the job so
	squeue --json >jobs.json &&
		jq -e --argjson id "$1" --arg st "$2" --arg r "${3:-}" '.jobs[] | select(.job_id == $id)
		   | .job_state == $st and ($r == "" or .state_reason == $r)' jobs.json >/dev/null
}

step "jobs"
run=$(sbatch --parsable -o /dev/null -A hanbit --gres=gpu:2 -J smoke-run --wrap 'sleep 60') || fail "sbatch"
until_ok 30 job_is "$run" RUNNING || fail "job $run not running: $(squeue -j "$run" -o '%T %r' 2>&1)"
jq -e --argjson id "$run" '.jobs[] | select(.job_id == $id) | .account == "hanbit"
   and .nodes == "gwj-h100-001" and (.tres_alloc_str | contains("gres/gpu=2"))' jobs.json >/dev/null ||
	fail "job $run: $(jq -c --argjson id "$run" '.jobs[] | select(.job_id == $id)' jobs.json)"
# hanbit may use 4 GPUs; 2 are in use, this one asks for 4 more.
over=$(sbatch --parsable -o /dev/null -A hanbit --gres=gpu:4 -J smoke-over --wrap 'sleep 60') || fail "sbatch over"
until_ok 30 job_is "$over" PENDING AssocGrpGRES ||
	fail "job $over: $(squeue -j "$over" -o '%T %r' 2>&1)"
# The same job fits in saebyeol's 8 GPUs: the limit is the account's.
other=$(sbatch --parsable -o /dev/null -A saebyeol --gres=gpu:4 -J smoke-fits --wrap 'sleep 60') || fail "sbatch saebyeol"
until_ok 30 job_is "$other" RUNNING || fail "job $other (saebyeol) not running"

step "drain"
# A drain with a Korean reason: DRAIN with jobs running is draining.
reason='dcops 김민수: GPU 3 Xid 79'
scontrol update NodeName=gwj-h100-001 State=DRAIN Reason="$reason" || fail "scontrol drain"
sinfo -R -h -o '%N|%E|%T' >drained.txt
grep -qxF "gwj-h100-001|$reason|draining" drained.txt || fail "sinfo -R: $(cat drained.txt)"
sinfo --json >nodes.json
jq -e '.nodes[] | select(.name == "gwj-h100-001") | .state_flags == ["DRAIN"]' nodes.json >/dev/null ||
	fail "state_flags: $(jq -c '.nodes[] | select(.name == "gwj-h100-001") | [.state, .state_flags]' nodes.json)"
scontrol update NodeName=gwj-h100-001 State=RESUME || fail "scontrol resume"
[ -z "$(sinfo -R -h -n gwj-h100-001)" ] || fail "still drained after resume"

# Stop with jobs running: nothing of the cluster survives.
step "stop"
slurm_stop "$dir"
step "stopped"
left=$(slurm_leftovers "$dir")
[ -z "$left" ] || fail "left running after stop: $(ps -o pid,args -p "${left//$'\n'/,}")"
pgrep -f "$dir" >/dev/null && fail "a process still names $dir: $(pgrep -af "$dir")"
[ ! -e "$(cat "$dir/short")" ] || fail "socket directory $(cat "$dir/short") left"
for p in $(pgrep -f 'slurmstepd|sleep 60'); do
	grep -qaF "$dir" "/proc/$p/environ" 2>/dev/null && fail "job process $p left: $(ps -o args= -p "$p")"
done

step "with-cluster"
# with-cluster: the command fails with a job running; the stop still runs.
# A DIR too long for Unix socket paths below it (108 bytes) works the same.
dir2=$top/slurm2-$(printf 'long%.0s' $(seq 1 20))
bash "$lib" with-cluster "$dir2" \
	bash -c 'sbatch -o /dev/null -A saebyeol --gres=gpu:1 --wrap "sleep 60" && sleep 3 && squeue -h -t R | grep -q . && exit 3'
rc=$?
[ $rc -eq 3 ] || fail "with-cluster: exit $rc, wanted the command's 3"
left=$(slurm_leftovers "$dir2")
[ -z "$left" ] || fail "with-cluster left running: $(ps -o pid,args -p "${left//$'\n'/,}")"
pgrep -f "$dir2" >/dev/null && fail "a process still names $dir2: $(pgrep -af "$dir2")"
step "failed start"
# A daemon that does not start: slurm_start says which, stops the others.
dir3=$top/slurm3
mkdir -p "$top/bin"
printf '#!/bin/sh\necho "slurmctld: refusing to start (test)" >&2\nexit 1\n' >"$top/bin/slurmctld"
chmod +x "$top/bin/slurmctld"
PATH="$top/bin:$PATH" slurm_start "$dir3" 2>start3.err && fail "slurm_start succeeded with a broken slurmctld"
grep -q 'slurmctld did not come up' start3.err && grep -q 'refusing to start (test)' start3.err ||
	fail "slurm_start's message: $(cat start3.err)"
left=$(slurm_leftovers "$dir3")
[ -z "$left" ] || fail "failed start left running: $(ps -o pid,args -p "${left//$'\n'/,}")"
step "ok"
