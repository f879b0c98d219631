#!/usr/bin/env bash
# story-unblock.sh — an operator unblocks a tenant (issue 17, story 3):
# (주)딥비전랩스 runs 2 GPUs under a 3-GPU limit and its 2-GPU job
# finetune-ko pends on QuotaExceeded. The quota dialog says, as the new
# limit is typed, that at 4 GPUs that job could start and where there
# are free GPUs; the raise (within the guard rail) is applied, the
# simulator starts the job on free A100 GPUs and it runs on, the tenant's
# row shows 4/4 and the audit has the change with its reason and expiry.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_story_unblock_$$"
screen_db "$db"
psql -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
UPDATE dcops.quota SET gpu_limit = 3 WHERE tenant_id = 1;
INSERT INTO dcops.job (tenant_id, partition_id, user_name, name, gpus, state, reason, submit_at)
VALUES (1, 2, 'lee', 'finetune-ko', 2, 'pending', 'QuotaExceeded', now() - interval '40 minutes');
SQL
job=$(psql -qAt -d "$db" -c "SELECT id FROM dcops.job WHERE name = 'finetune-ko'")
# the data center in motion at its own pace: the job's start is the
# simulator's doing, not a script's
"$DCOPSD" --adapter sim --db "dbname=$db" --speed 1 --log "$TEST_TMP/sim.log" &
sim=$!
cleanup() {
	kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	screen_stop
	dropdb --if-exists "$db"
}
trap cleanup EXIT

screen_start 120 32 --db "dbname=$db"
trap cleanup EXIT
screen_wait "DB UP"
# the job waits on the tenant's quota
screen_keys : "jobs a100" Enter
screen_match "^ +$job \(주\)딥비전랩스 lee +2 pending .* finetune-ko +QuotaExceeded" 10

# the tenant: 2 of 3 GPUs; the dialog names the job a 4-GPU limit lets start
screen_keys 3
screen_match "^ \(주\)딥비전랩스 +2/3 "
screen_keys / "account:1" Enter
screen_wait "1 of 2 tenants"
screen_keys Q
screen_wait "Adjust quota of (주)딥비전랩스"
screen_wait "running 2 (1 job), pending 1 job"
screen_wait "At 3 GPUs: none of 1 pending job fits (2 GPUs running)"
screen_keys C-u 4
screen_wait "GPUs       3 → 4"
screen_wait "At 4 GPUs: 1 pending job (2 GPUs) could start: #$job 2 GPUs"
screen_wait "free now: a100 3"
screen_gone "needs dcops_admin" 1   # +33% is within the guard rail
screen_keys Enter Enter Enter "paper deadline this week" Enter 7d Enter
screen_wait "y confirm"
screen_keys y
screen_match "^ \(주\)딥비전랩스 +[24]/4 " 10

# the simulator starts the job on the free A100 GPUs
screen_match "^ \(주\)딥비전랩스 +4/4 " 20
screen_keys : "jobs a100" Enter
screen_match "^ +$job \(주\)딥비전랩스 lee +2 running .* finetune-ko +tn-a100-00[12]" 10

# the audit: the change, who, why, before → after
screen_keys 5
screen_match "$(id -un) +quota_set +\\(주\\)딥비전" 10
screen_wait "paper deadline this week"
screen_keys Enter
screen_wait "audit #"
screen_match "gpu_limit 3→4"

# and the job keeps running: a job the simulator found pending when it
# started used to end in the tick it started (no run time planned)
sleep 3   # three of the simulator's 1 s ticks
screen_keys : "jobs a100" Enter
screen_match "^ +$job \(주\)딥비전랩스 lee +2 running .* finetune-ko +tn-a100-00[12]" 5
screen_keys 3
screen_match "^ \(주\)딥비전랩스 +4/4 "
screen_keys q
echo "story-unblock: ok"
