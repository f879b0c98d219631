#!/usr/bin/env bash
# actions.sh — operator actions through the console's dialogs, with the
# simulator applying them: drain (reason, confirm) goes DRAINING, an idle
# node goes DRAINED, resume; a quota change shows in the tenant row; an
# incident is acknowledged and resolved; a guard rail refusal as a plain
# operator shows the server's message; the audit view shows every step.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_actions_$$"
screen_db "$db"
# the fixture has 2 nodes per partition: let the guard rail pass them
psql -q -d "$db" -c "UPDATE dcops.setting SET value = '100' WHERE key = 'guard.drain_pct'"
psql -q -d "$db" -c "INSERT INTO dcops.incident_node SELECT 1, id FROM dcops.node WHERE name = 'tn-a100-002'"
"$DCOPSD" --adapter sim --db "dbname=$db" --speed 60 --log "$TEST_TMP/sim.log" &
sim=$!
# screen_start sets its own EXIT trap: put this one back after each start
cleanup() {
	kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	screen_stop
	psql -q -d "$db" -c "DROP OWNED BY scr_op_$$" -c "DROP ROLE scr_op_$$" >/dev/null 2>&1
	dropdb --if-exists "$db"
}
trap cleanup EXIT
screen_start 100 30 --db "dbname=$db"
trap cleanup EXIT
screen_wait "DB UP"
screen_wait "superuser"

# drain the cursor's node (running job): blast radius, default No, reason
screen_keys j j
screen_match "^ tn-h100-001"
screen_keys D
screen_wait "Drain tn-h100-001"
screen_wait "(주)딥비전랩스: 1 job, 2 GPUs here"
screen_wait "GPUs out of service: 2"
# Enter on an empty dialog lands on No; y there checks the reason first
screen_keys Enter Enter Enter Enter y
screen_wait "Reason is required"
screen_keys "GPU fell off the bus twice" Enter Enter Enter Enter
screen_wait "y confirm"
screen_keys y
screen_match "drain tn-h100-001: (requested|sending)"
screen_match "tn-h100-001 .*draining: GPU fell off the bus" 20
screen_wait "applied by the adapter" 20

# drain from the incident that reports the node: it goes DRAINED (no jobs)
screen_keys 4
screen_wait "Xid 79 on tn-h100-002"
screen_keys Enter
screen_wait "tn-a100-002"
screen_keys D
screen_wait "Drain tn-a100-002"
screen_wait "No running jobs"
screen_match "Incident # +1"
screen_keys "warn health, take it out" Enter Enter Enter Enter y
screen_wait "requested (action #" 10
screen_keys Escape 1
screen_match "tn-a100-002 .*drained: warn health" 20

# resume it
screen_keys / 0 0 2 Enter
screen_wait "2 of 4 nodes"
screen_keys "/" C-u a 1 0 0 - 0 0 2 Enter
screen_wait "1 of 4 nodes"
screen_keys R
screen_wait "Resume tn-a100-002"
# the node's open incident is shown, resolving it offered (default no)
screen_wait "Open incident #1: Xid 79 on tn-h100-002"
screen_match "Resolve #1 +< no >"
screen_keys "vendor replaced the board" Enter Enter y
screen_match "tn-a100-002 +a100 .*(idle|mixed|allocated)" 20

# quota: GPU limit 8 -> 6, reason, expiry; below-use warning for 딥비전랩스
screen_keys 3
screen_wait "Acme Research"
screen_keys /
screen_keys A c m e Enter
screen_keys Q
screen_wait "Adjust quota of Acme Research"
screen_wait "GPUs       8 → 8"
screen_keys C-u 6
screen_wait "GPUs       8 → 6"
screen_keys Enter Enter Enter "quarterly review cut" Enter 7d Enter y
screen_match "Acme Research +[0-9]+/6 " 20

# incidents: ack (takes ownership), then resolve with a summary
screen_keys 4
screen_wait "Xid 79 on tn-h100-002"
screen_keys a
screen_wait "Acknowledge incident #1"
screen_keys y
screen_wait "ack incident #1: done"
screen_match "acknowledged" 10
screen_keys x
screen_wait "Resolve incident #1"
screen_keys "board replaced and node back in service" Enter y
screen_wait "resolve incident #1: done"

# the audit view shows each step with who and why
screen_keys 5
screen_wait "incident_resolve"
screen_wait "quota_set"
screen_wait "quarterly review cut"
screen_keys : "audit node:tn-h100-001" Enter
screen_wait "1 of"
screen_wait "GPU fell off the bus twice"
screen_keys Enter
screen_wait "before"
screen_wait "tn-h100-001: intent active→draining, drain_reason -→GPU fell off"
screen_keys Escape

# a plain operator is refused by a guard rail (a quota cut of more than
# 50% needs dcops_admin); the footer shows the server's message
psql -q -d "$db" -c "CREATE ROLE scr_op_$$ LOGIN IN ROLE dcops_operator"
screen_stop
sleep 0.5
screen_start 100 30 --db "'dbname=$db user=scr_op_$$'"
trap cleanup EXIT
screen_wait "operator scr_op_$$"
screen_keys 3
screen_wait "Acme Research"
screen_keys / A c m e Enter Q
screen_wait "Adjust quota of Acme Research"
screen_keys C-u 1
screen_wait "needs dcops_admin"
screen_keys Enter Enter Enter "cutting this tenant right down" Enter Enter y
screen_match "quota of Acme Research refused: .*more than 50% needs dcops" 10
screen_match "Acme Research +[0-9]+/6 "
