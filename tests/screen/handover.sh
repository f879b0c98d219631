#!/usr/bin/env bash
# handover.sh — the Handover view: an operator starts a shift, writes the
# handover note and cannot sign it off (said before a dialog opens); a
# second operator signs it off and the view says who and when.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_handover_$$"
out="scr_out_$$" in="scr_in_$$"
screen_db "$db"
cleanup() {
	screen_stop
	for r in "$out" "$in"; do
		psql -q -d "$db" -c "DROP OWNED BY $r" -c "DROP ROLE $r" >/dev/null 2>&1
	done
	dropdb --if-exists "$db"
}
trap cleanup EXIT
psql -q -d "$db" -c "CREATE ROLE $out LOGIN IN ROLE dcops_operator" -c "CREATE ROLE $in LOGIN IN ROLE dcops_operator"

screen_start 100 30 --db "'dbname=$db user=$out'"
trap cleanup EXIT
screen_wait "operator $out"
screen_keys 6
screen_wait "Handover note"
screen_wait "nobody on shift"
screen_keys s
screen_wait "Start a shift"
screen_keys y
screen_wait "On call: $out"

screen_keys n
screen_wait "For the incoming operator"
screen_keys "Watch tn-h100-001: Xid 79 twice" Tab y   # the note is multi-line: Enter is a new line
screen_wait "Watch tn-h100-001: Xid 79 twice"
screen_wait "Not signed off"
# the author cannot sign off their own handover: said before any dialog opens
screen_keys o
screen_match "you handed shift [0-9]+ over" 10
screen_gone "Sign off the handover" 1

screen_stop
sleep 0.5
screen_start 100 30 --db "'dbname=$db user=$in'"
trap cleanup EXIT
screen_wait "operator $in"
screen_keys 6
screen_wait "Watch tn-h100-001: Xid 79 twice"
screen_keys o
screen_wait "You ($in) take over"
screen_keys y
screen_wait "Signed off by $in"
[ "$(psql -tA -d "$db" -c "SELECT signed_off_by FROM dcops.handover_note")" = "$in" ]
screen_keys q
echo "handover: ok"
