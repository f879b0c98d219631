#!/usr/bin/env bash
# drill.sh — the console during a drill: started with the script command,
# the sim injects an Xid 79 on a node of the small fixture; the header
# turns to DRILL and the incidents view shows the tagged incident; when
# the drill is stopped the header goes back to WRITE.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_drill_$$"
screen_db "$db"
trap 'screen_stop; dropdb --if-exists "$db"' EXIT
cat >"$TEST_TMP/screen-xid79.json" <<'JSON'
{ "title": "Xid 79 on a small fleet", "briefing": "GPU 1 of tn-h100-001 falls off the bus.", "speed": 60,
  "timeline": [ { "at": "0s", "kind": "xid", "node": "tn-h100-001", "gpu": 1, "xid": 79, "sev": 2 } ],
  "expectations": [ { "kind": "ack_incident", "event": 0, "within": "1h" }, { "kind": "no_drain_healthy" } ] }
JSON
screen_start 100 24 --db "dbname=$db"
screen_wait "tn-h100-001"
screen_wait "WRITE"

"$DCOPS" -q --db "dbname=$db" drill start "$TEST_TMP/screen-xid79.json" --speed 60 >/dev/null
screen_wait "DRILL"
"$DCOPSD" --adapter sim --db "dbname=$db" --ticks 3 --tick-ms 200 --speed 60 >/dev/null 2>&1
screen_keys 4
screen_wait "[DRILL] tn-h100-001: Xid 79 on GPU 1"

"$DCOPS" -q --db "dbname=$db" drill stop >/dev/null
screen_wait "WRITE"
screen_line 1 | grep -qv DRILL
screen_keys q
echo "drill: ok"
