#!/usr/bin/env bash
# jobs.sh — a partition's jobs at 80×24 as an operator works them: time
# limit, priority and where each job runs or why it waits, readable at 80
# columns, and the sort column never hidden; hold a pending job and cancel
# a running one from the console (reason, answers No unless y), with the
# simulator applying both; a hold of a running job is refused up front;
# lists filter by state (and tenants by account id); the quota dialog says
# which pending jobs a new limit would let start.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_jobs_$$"
screen_db "$db"
psql -q -d "$db" -c "UPDATE dcops.job SET time_limit = interval '4 hours', priority = 10020 WHERE id = 1" \
	-c "UPDATE dcops.job SET time_limit = interval '1 day', priority = 10040 WHERE id = 2"
# --speed 1: the fixture's running jobs stay running through the test
"$DCOPSD" --adapter sim --db "dbname=$db" --speed 1 --log "$TEST_TMP/sim.log" &
sim=$!
cleanup() {
	kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	screen_stop
	dropdb --if-exists "$db"
}
trap cleanup EXIT
screen_start 80 24 --db "dbname=$db"
trap cleanup EXIT
screen_wait "DB UP"

screen_keys 2
screen_wait "2 partitions"
screen_keys : j o b s Space h 1 0 0 Enter
screen_match "h100 > [0-9]+ of [0-9]+ active jobs"
# every column an operator sorts and reads by fits in 80 columns
screen_match "JOB TENANT +USER +GPUS STATE\^? +TIME +LIMIT +PRIO REASON/NODES"
screen_match "^ +1 \(주\)딥비전랩스 +lee +2 running .* 4h00m 10020 tn-h100-001"
screen_match "^ +2 Acme Research +park +4 pending .* 1d00h 10040 Resources"
# sorting by a column that does not fit (NAME) shows it rather than hiding it
screen_keys s s s s
screen_match "NAME\^"
screen_keys s s s s s s
screen_match "STATE\^"

# filter by state, the same way on every list
screen_keys / s t a t e : p e n d i n g Enter
screen_match "^ +2 Acme Research"
screen_gone "tn-h100-001"
screen_keys / C-u ! s t a t e : p e n d i n g Enter
screen_match "^ +1 \(주\)딥비전랩스"
screen_gone "Resources"
screen_keys / C-u Enter
screen_keys 1
screen_keys / s t a t e : d r a i n e d Enter
screen_match "^ tn-h100-002 "
screen_gone "tn-h100-001"
screen_keys 3
screen_keys / i d : 2 Enter
screen_match "^ Acme Research"
screen_gone "딥비전랩스"
screen_keys / C-u a c c o u n t : 1 Enter
screen_match "^ \(주\)딥비전랩스"
screen_gone "Acme Research"
screen_keys 4
screen_keys / s t a t e : t r i g g e r e d Enter
screen_wait "Xid 79 on tn-h100-002"
screen_keys / C-u s t a t e : r e s o l v e d Enter
screen_gone "Xid 79 on tn-h100-002"
# the quota dialog says which pending jobs a new limit lets start
screen_keys 3
screen_keys / C-u i d : 2 Enter
screen_match "^ Acme Research"
screen_keys Q
screen_wait "Adjust quota of Acme Research"
screen_wait "At 8 GPUs: 1 pending job (4 GPUs) could start: #2 4 GPUs"
screen_wait "if the scheduler finds free GPUs for them (free now: h100 0)"
screen_keys BSpace 4
screen_wait "At 4 GPUs: none of 1 pending job fits (1 GPU running)"
screen_keys Escape
screen_wait "cancelled, nothing sent"
screen_keys 2
screen_match "h100 > "

# hold the pending job: the dialog names it; n answers No
screen_keys / s w e e p Enter
screen_match "^ +2 Acme Research"
screen_keys H
screen_wait "Hold job 2"
screen_wait "does not start until released"
screen_keys "waiting on the dataset fix" Enter n
screen_wait "cancelled, nothing sent"
screen_keys H
screen_wait "Hold job 2"
screen_keys "waiting on the dataset fix" Enter y
screen_match "hold job 2: (requested|sending)|job_hold 2 applied by the adapter"
screen_match "^ +2 Acme Research .* 0 JobHeldAdmin" 20
# the job's detail keeps who held it, why, and what the adapter did
screen_keys Enter
screen_wait "job 2"
screen_match "hold by $(id -un) at .*: applied — waiting on the dataset fix"
screen_keys Escape
# a held job is not one a quota change would start
screen_keys 3 Q
screen_wait "Adjust quota of Acme Research"
screen_wait "At 8 GPUs: no pending job starts; 1 held, waiting for a release"
screen_keys Escape
screen_wait "cancelled, nothing sent"
screen_keys 2
screen_keys U
screen_wait "Release job 2"
screen_keys Escape
screen_wait "cancelled, nothing sent"

# a running job cannot be held: said before any dialog opens
screen_keys / C-u t r a i n Enter
screen_match "^ +1 \(주\)딥비전랩스"
screen_keys H
screen_wait "job 1 is running: only a pending job can be held"
# cancel it: its GPUs come free, it leaves the active list
screen_keys C
screen_wait "Cancel job 1"
screen_wait "Ends the job now and frees its GPUs"
screen_keys "user asked to stop the run" Enter y
screen_match "cancel job 1: (requested|sending)|job_cancel 1 applied by the adapter"
screen_wait "job_cancel 1 applied by the adapter" 20
screen_gone "train-llm" 10
[ "$(psql -qAt -d "$db" -c "SELECT state FROM dcops.job WHERE id = 1")" = cancelled ]
[ "$(psql -qAt -d "$db" -c "SELECT count(*) FROM dcops.gpu WHERE job_id = 1")" = 0 ]
[ "$(psql -qAt -d "$db" -c "SELECT count(*) FROM dcops.audit WHERE action IN ('job_hold', 'job_cancel')")" = 2 ]

# read-only: the job keys leave the footer and say why
screen_stop
screen_start 80 24 --readonly --db "dbname=$db"
trap cleanup EXIT
screen_wait "READ-ONLY"
screen_keys : j o b s Space h 1 0 0 Enter
screen_match "^ +2 Acme Research"
screen_gone "C cancel"
screen_keys C
screen_wait "cancel: read-only session"
screen_gone "Cancel job"
echo "jobs: ok"
