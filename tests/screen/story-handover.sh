#!/usr/bin/env bash
# story-handover.sh — an operator hands over (issue 17, story 5): starts a
# shift in the Handover view, raises a tenant's quota for a week during
# it (applied by the simulator), reads the window and the sections the
# next shift needs (temporary quotas in effect as old → new, tenants at
# quota risk, open incidents, drained nodes), writes a two-line note
# (Enter is a new line, Tab leaves), ends the shift; `dcops report
# handover` says the same: the action, the temporary quota and its expiry,
# the tenant at risk and the note, line by line. A quota change made before
# the shift started (no earlier handover: the window starts at the rota
# slot) is in the view as in the report, and the view's window starts
# where the report's does.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_story_handover_$$"
op="scr_story_out_$$"
screen_db "$db"
psql -q -d "$db" -c "CREATE ROLE $op LOGIN IN ROLE dcops_operator"
cleanup() {
	screen_stop
	psql -q -d "$db" -c "DROP OWNED BY $op" -c "DROP ROLE $op" >/dev/null 2>&1
	dropdb --if-exists "$db"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; screen_dump >&2; exit 1; }

screen_start 120 40 --db "'dbname=$db user=$op'"
trap cleanup EXIT
screen_wait "operator $op"
screen_keys 6
screen_wait "On call: nobody on shift"
# before the shift: more storage for the startup (no expiry), applied
"$DCOPS" -q --db "dbname=$db user=$op" quota set "(주)딥비전랩스" storage_tb=12 \
	--reason "dataset for the new model" >/dev/null
"$DCOPSD" --adapter sim --db "dbname=$db" --ticks 2 --tick-ms 200 --speed 60 >/dev/null 2>&1
screen_match "quota_set +\(주\)딥비전랩스 +applied" 10
screen_keys s
screen_wait "You ($op) go on call from now."
screen_keys y
screen_wait "On call: $op (started"
screen_match "^ Shift [0-9]+ of $op  [0-9-]+ [0-9:]+ KST → now"

# during the shift: a week's raise for Acme (a script, as the operator),
# which the simulator applies
"$DCOPS" -q --db "dbname=$db user=$op" quota set "Acme Research" gpus=10 \
	--reason "conference demo this week" --expires 7d >/dev/null
"$DCOPSD" --adapter sim --db "dbname=$db" --ticks 3 --tick-ms 200 --speed 60 >/dev/null 2>&1
screen_wait "Temporary quotas in effect (1)" 10
screen_match "^   Acme Research +GPUs 8 → 10  GPU-hours [0-9]+  until [0-9-]+ [0-9:]+ KST"
until_view=$(screen_dump | sed -nE 's/^   Acme Research .* until [0-9]{4}-([0-9-]+ [0-9:]+) KST.*/\1/p')
# the change made before the shift started is in the window
screen_wait "Actions taken (2)"
screen_match "quota_set +Acme Research"
screen_match "quota_set +\(주\)딥비전랩스"
# a budget 95% used is a risk; a tenant merely at its GPU limit is not
screen_wait "Tenants at quota risk (1)"
screen_match "^   \(주\)딥비전랩스 +GPUs 2/4 +GPU-hours 950/1000 \(95%\)"
screen_wait "Open incidents (1)"
screen_match "#1 +SEV-2 triggered +kim .*Xid 79 on tn-h100-002"
screen_match "^   tn-h100-002 +drained .*by kim xid 79 on gpu1"

# the note: two lines, Enter between them, Tab to leave the field, y
screen_keys n
screen_wait "For the incoming operator: shift"
screen_keys "Watch tn-h100-002: Xid 79 twice, vendor case 4411." Enter \
	"Acme runs on a raised quota until next week." Tab
screen_wait "y confirm"
screen_keys y
screen_match "^   │ Watch tn-h100-002: Xid 79 twice, vendor case 4411\.$" 10
screen_match "^   │ Acme runs on a raised quota until next week\.$"
screen_wait "Not signed off: the incoming operator signs it off (o)"

# end the shift: the note exists, so the dialog does not ask for one
screen_keys s
screen_wait "End your shift"
screen_wait "Your handover note is written"
screen_keys y
screen_wait "On call: nobody on shift" 10
screen_match "^ Shift [0-9]+ of $op  [0-9-]+ [0-9:]+ KST → [0-9-]+ [0-9:]+ KST"

# the report tells the next shift the same
"$DCOPS" --db "dbname=$db user=$op" report handover --format text >"$TEST_TMP/report.txt"
want() { grep -qE -- "$1" "$TEST_TMP/report.txt" || { echo "FAIL: the report has no /$1/:" >&2; cat "$TEST_TMP/report.txt" >&2; exit 1; }; }
want "^SHIFT HANDOVER: shift [0-9]+, $op$"
want "^Window: .* KST to .* KST "
want "action: quota_set  target: Acme Research  change: gpu_limit 8 -> 10  status: applied"
want "action: quota_set  target: \(주\)딥비전랩스  change: storage_tb 10 -> 12  status: applied"
want "^Temporary quotas in effect \(1\)$"
want "^  Acme Research  change: gpu_limit 8 -> 10  expires: $until_view KST$"
want "^Tenants at quota risk \(1\)$"
want "^  \(주\)딥비전랩스 .*budget used %: 95 .*why: used 95.0% of the GPU-hour budget"
want "^  #1  sev: SEV-2  state: triggered  owner: kim"
want "^  tn-h100-002  partition: h100  admin: drained"
want "^  \| Watch tn-h100-002: Xid 79 twice, vendor case 4411\.$"
want "^  \| Acme runs on a raised quota until next week\.$"
want "written by $op at .* KST; NOT SIGNED OFF YET"
# the view's window is the report's: the shift's window_from is where the
# report's default window starts (with no earlier handover, the rota slot)
"$DCOPS" --db "dbname=$db user=$op" report handover --format json >"$TEST_TMP/report.json"
report_from=$(jq -r '.window.start + " " + .window.start_kind' "$TEST_TMP/report.json")
view_from=$(psql -tA -d "$db" -c "SELECT dcops.report_ts(window_from) || ' rota_slot' FROM dcops.shift
	WHERE operator = '$op' ORDER BY id DESC LIMIT 1")
[ "$report_from" = "$view_from" ] || fail "report window starts at '$report_from', the view's at '$view_from'"
screen_keys q
echo "story-handover: ok"
