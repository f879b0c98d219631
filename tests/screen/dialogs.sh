#!/usr/bin/env bash
# dialogs.sh — dialogs behave the same everywhere (issue 17): Tab to the
# action button then Enter does not submit, y does, and the border's hint
# says so; no dialog offers what the server refuses (acknowledging an
# acknowledged incident, assigning it to its owner, a severity it has, a
# reason shorter than the guard rail's minimum);
# the end-of-shift dialog asks for a note only when there is none; a note
# moves "next update due"; Backspace on an empty filter keeps the filter
# line open.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_dialogs_$$"
screen_db "$db"
me=$(psql -tA -d "$db" -c "SELECT current_user")
psql -q -d "$db" -c "UPDATE dcops.incident SET owner = current_user, state = 'acknowledged',
                     acknowledged_at = now(), next_update_at = now() - interval '5 minutes'"
screen_start 100 30 --db "dbname=$db"
trap 'screen_stop; dropdb --if-exists "$db"' EXIT
screen_wait "DB UP"
screen_wait "4 nodes"

# Backspace on an empty filter stays in the filter: 002 filters, 2 is not Queues
screen_keys / a BSpace BSpace 0 0 2
screen_wait "/002  2 of 4 nodes"
screen_match "^ tn-h100-002"
screen_keys Escape
screen_wait "4 nodes"

screen_keys 4
screen_wait "Xid 79 on tn-h100-002"
# acknowledging an acknowledged incident: said up front, no dialog
screen_keys a
screen_match "incident #1 is acknowledged already \(owner $me\)"
screen_gone "Acknowledge incident #1" 1
# assigning: the owner is not offered, and naming it is refused in the dialog
screen_keys A
screen_wait "Assign incident #1"
screen_wait "another operator's role"
screen_keys "$me" Enter y
screen_wait "$me owns it already: name another operator"
screen_keys Escape
screen_wait "Assign incident #1: cancelled, nothing sent"
# a reason under the guard rail's minimum, and a severity change to the
# one it has, are refused in the dialog too
screen_keys v
screen_wait "Change severity of incident #1"
screen_keys Enter "rack" Enter y
screen_wait "too short: 3 words and 15 characters at least"
screen_keys " r01-01 is affected now" Enter y
screen_wait "sev 2 already: pick another severity"
screen_keys Escape
screen_wait "cancelled, nothing sent"

# a note: Tab to Add then Enter does not send it; y does
screen_keys Enter
screen_wait "(overdue)"
screen_keys n
screen_wait "Note on incident #1"
screen_wait "Enter next field  Esc cancel"
screen_keys "vendor on site with optics" Tab
screen_wait "y confirm  n/Esc cancel"
screen_keys Enter
screen_wait "press y to Add"
screen_wait "Note on incident #1"
[ "$(psql -tA -d "$db" -c "SELECT count(*) FROM dcops.incident_event WHERE body = 'vendor on site with optics'")" = 0 ] ||
	{ echo "FAIL: Enter on the action button sent the note"; exit 1; }
screen_keys y
screen_wait "note incident #1: done"
# the update moved the next update due (sev 2: 30 minutes on)
screen_gone "(overdue)"
screen_wait "next update due"
screen_keys Escape

# ending a shift: the dialog asks for a note only while there is none
screen_keys 6
screen_wait "Handover note"
screen_keys s
screen_wait "Start a shift"
screen_keys y
screen_wait "On call: $me"
screen_keys s
screen_wait "End your shift"
screen_wait "No handover note yet: write it (n)"
screen_keys Escape n
screen_wait "For the incoming operator"
screen_keys "Watch tn-h100-001" Tab y   # the note is multi-line: Enter is a new line, Tab leaves
screen_wait "handover note: done"
screen_wait "Not signed off"              # the note is in the view's model too
screen_keys s
screen_wait "End your shift"
screen_wait "Your handover note is written"
screen_gone "No handover note yet" 1
screen_keys Escape
echo "dialogs: ok"
