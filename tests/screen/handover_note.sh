#!/usr/bin/env bash
# handover_note.sh — the handover tells the next shift everything (issue
# 17): the note is written over several lines in the console and shown
# whole (view and sign-off dialog); a shift started part-way still shows
# the work since the previous handover; times carry their zone (KST by
# default).
. "$(dirname "$0")/lib.sh"
set -e
db="screen_hnote_$$"
out="scr_hout_$$" prev="scr_hprev_$$"
screen_db "$db"
cleanup() {
	screen_stop
	for r in "$out" "$prev"; do
		psql -q -d "$db" -c "DROP OWNED BY $r" -c "DROP ROLE $r" >/dev/null 2>&1
	done
	dropdb --if-exists "$db"
}
trap cleanup EXIT
psql -q -d "$db" -c "CREATE ROLE $out LOGIN IN ROLE dcops_operator" -c "CREATE ROLE $prev LOGIN IN ROLE dcops_operator"
# the previous shift ended 3 hours ago; an incident opened 2 hours ago,
# before this operator starts a shift
psql -q -d "$db" -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO dcops.shift (operator, started_at, ended_at) VALUES ('$prev', now() - interval '11 hours', now() - interval '3 hours');
INSERT INTO dcops.incident (sev, title, opened_at) VALUES (3, 'PDU-B breaker tripped in row 2', now() - interval '2 hours');
INSERT INTO dcops.job (tenant_id, partition_id, user_name, name, gpus, state, reason, submit_at)
VALUES (2, 1, 'park', 'big', 16, 'pending', 'QOSMaxGRESPerUser', now() - interval '1 hour');
UPDATE dcops.quota SET expires_at = now() + interval '1 day' WHERE tenant_id = 2;
SQL

screen_start 100 40 --db "'dbname=$db user=$out'"
trap cleanup EXIT
screen_wait "operator $out"
screen_keys 6
screen_wait "Handover note"
screen_keys s
screen_wait "Start a shift"
screen_keys y
screen_wait "On call: $out"
screen_wait "from the previous handover (the end of shift 1)"
screen_match "Shift 2 of $out  [0-9-]+ [0-9:]+ KST → now"
screen_wait "Opened this shift (2)"
screen_wait "PDU-B breaker tripped in row 2"
# at risk: the budget 95% used, and a 16-GPU job held by an 8-GPU limit
screen_wait "Tenants at quota risk (2)"
screen_wait "1 pending job (16 GPUs) held by the limit"
screen_wait "Temporary quotas in effect (1)"
screen_match "Acme Research +GPUs 8  GPU-hours 50000  until [0-9-]+ [0-9:]+ KST"

screen_keys n
screen_wait "For the incoming operator"
screen_keys "1. tn-h100-002 drained: Xid 79, vendor case 4411" Enter \
	"2. PDU-B in row 2: watch the breaker" Enter "3. (주)딥비전랩스 asked for 8 more GPUs" Tab y
screen_wait "│ 3. (주)딥비전랩스 asked for 8 more GPUs"
screen_wait "│ 1. tn-h100-002 drained: Xid 79, vendor case 4411"
screen_wait "│ 2. PDU-B in row 2: watch the breaker"
screen_match "shift 2, by $out at [0-9-]+ [0-9:]+ KST"
[ "$(psql -tA -d "$db" -c "SELECT body FROM dcops.handover_note")" = "1. tn-h100-002 drained: Xid 79, vendor case 4411
2. PDU-B in row 2: watch the breaker
3. (주)딥비전랩스 asked for 8 more GPUs" ] || { echo "FAIL: the note was not stored as three lines"; exit 1; }

# editing it again starts from the stored lines
screen_keys n
screen_wait "2. PDU-B in row 2: watch the breaker"
screen_keys Escape
screen_gone "For the incoming operator"

screen_keys q
screen_stop
sleep 0.5

# the incoming operator's sign-off dialog shows the lines too
screen_start 100 40 --db "'dbname=$db user=$prev'"
trap cleanup EXIT
screen_wait "operator $prev"
screen_keys 6
screen_wait "│ 3. (주)딥비전랩스 asked for 8 more GPUs"
screen_keys o
screen_wait "Sign off the handover"
screen_wait "2. PDU-B in row 2: watch the breaker"
screen_wait "3. (주)딥비전랩스 asked for 8 more GPUs"
screen_keys Escape
screen_keys q
echo "handover_note: ok"
