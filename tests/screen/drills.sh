#!/usr/bin/env bash
# drills.sh — the Drills view: pick a scenario, start it (briefing, confirm),
# the header turns to DRILL and the sim's injected incident shows in the
# view; X stops it and the server's scorecard is shown (met / missed).
. "$(dirname "$0")/lib.sh"
set -e
db="screen_drills_$$"
screen_db "$db"
trap 'screen_stop; dropdb --if-exists "$db"' EXIT
mkdir -p "$TEST_TMP/drills"
cat >"$TEST_TMP/drills/screen-xid79.json" <<'JSON'
{ "title": "Xid 79 on a small fleet", "briefing": "GPU 1 of tn-h100-001 falls off the bus.", "speed": 60,
  "timeline": [ { "at": "0s", "kind": "xid", "node": "tn-h100-001", "gpu": 1, "xid": 79, "sev": 2 } ],
  "expectations": [ { "kind": "ack_incident", "event": 0, "within": "1h" }, { "kind": "no_drain_healthy" } ] }
JSON
SCREEN_ENV="DCOPS_DRILLS=$TEST_TMP/drills" screen_start 100 30 --db "dbname=$db"
trap 'screen_stop; dropdb --if-exists "$db"' EXIT
screen_wait "WRITE"
screen_keys 7
screen_wait "screen-xid79"
screen_keys S
screen_wait "GPU 1 of tn-h100-001 falls off the bus."
screen_keys y
screen_wait "DRILL"
screen_wait "RUNNING"
"$DCOPSD" --adapter sim --db "dbname=$db" --ticks 3 --tick-ms 200 --speed 60 >/dev/null 2>&1
screen_wait "tn-h100-001: Xid 79 on GPU 1" || { psql -d "$db" -c "select id,drill_id,title from dcops.incident" -c "select * from dcops.setting where key like $$drill%$$"; exit 1; }
screen_wait "not acknowledged"

screen_keys X
screen_wait "Stop the drill"
screen_keys y
screen_wait "Scorecard: FAIL"
screen_match "missed +ack_incident"
screen_gone "DRILL/WRITE"
screen_keys q
echo "drills: ok"
