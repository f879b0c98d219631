#!/usr/bin/env bash
# job_explain.sh — a pending job's detail says why it waits, in the
# adapter's words with its numbers (job.explain, filled by the Slurm
# adapter from slurm-explain), wrapped to the window and inert; a running
# job's detail has no such line.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_explain_$$"
screen_db "$db"
psql -q -d "$db" -c "UPDATE dcops.job SET reason = 'AssocGrpGRES', explain = E'tenant Acme Research''s quota is 8 GPUs, 8 in use by 2 jobs; this job needs 4 more before it can start on partition h100\\x1b]2;pwned\\x07' WHERE id = 2" \
	-c "UPDATE dcops.job SET explain = 'never shown for a running job' WHERE id = 1"
cleanup() { screen_stop; dropdb --if-exists "$db"; }
trap cleanup EXIT
screen_start 80 24 --db "dbname=$db"
trap cleanup EXIT
screen_wait "DB UP"
screen_keys 2
screen_wait "2 partitions"
screen_keys : j o b s Space h 1 0 0 Enter
screen_match "^ +2 Acme Research +park +4 pending"
screen_keys / s t a t e : p e n d i n g Enter
screen_match "^ +2 Acme Research"
screen_keys Enter
screen_wait "job 2"
screen_match "^ +why tenant Acme Research's quota is 8 GPUs, 8 in use by 2 jobs; this job$"
screen_match "^ +needs 4 more before it can start on partition h100$"
screen_gone "pwned" 1          # the OSC title sequence is dropped whole, not drawn
screen_keys Escape / C-u s t a t e : r u n n i n g Enter
screen_match "^ +1 \(주\)딥비전랩스"
screen_keys Enter
screen_wait "job 1"
screen_gone "why " 1
screen_gone "never shown" 1
echo "job_explain: ok"
