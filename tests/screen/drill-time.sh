#!/usr/bin/env bash
# drill-time.sh — a drill's times have one base, said once: the wall clock
# since the drill started (issue 17: "running for 1m of scenario time" two
# seconds after the start, acknowledgement times multiplied by the speed,
# while the scorecard counted real seconds under "scenario time").
. "$(dirname "$0")/lib.sh"
set -e
db="screen_drilltime_$$"
screen_db "$db"
trap 'screen_stop; dropdb --if-exists "$db"' EXIT
cat >"$TEST_TMP/screen-time.json" <<'JSON'
{ "title": "Xid 79, timed", "briefing": "GPU 1 of tn-h100-001 falls off the bus.", "speed": 60,
  "timeline": [ { "at": "0s", "kind": "xid", "node": "tn-h100-001", "gpu": 1, "xid": 79 } ],
  "expectations": [ { "kind": "ack_incident", "event": 0, "within": "1h" } ] }
JSON
screen_start 120 30 --db "dbname=$db"
screen_wait "WRITE"
screen_keys 7
screen_wait "Scenarios"
"$DCOPS" -q --db "dbname=$db" drill start "$TEST_TMP/screen-time.json" --speed 60 >/dev/null
"$DCOPSD" --adapter sim --db "dbname=$db" --ticks 3 --tick-ms 200 --speed 60 >/dev/null 2>&1
screen_wait "Times: wall clock since the drill started; its data center runs 60x faster."
# at 60x, two seconds of drill are two minutes of its data center: shown as seconds
screen_match "running for [0-9]+s, started by"
inc=$(psql -qAt -d "$db" -c "SELECT incident_id FROM dcops.drill_event")
sleep 1.2
"$DCOPS" -q --db "dbname=$db" incident ack "$inc" >/dev/null
screen_match "acked after [0-9]+s by"
[ "$(screen_dump | grep -c 'Times:')" = 1 ] || { echo "FAIL: the time base is said more than once" >&2; screen_dump >&2; exit 1; }
"$DCOPS" -q --db "dbname=$db" drill stop >/dev/null
"$DCOPS" -q --db "dbname=$db" drill report 1 >"$TEST_TMP/card.txt"
grep -q '^Times: wall clock since the drill started; its data center ran 60x faster.$' "$TEST_TMP/card.txt"
if grep -q 'scenario time' "$TEST_TMP/card.txt"; then
	echo "FAIL: the scorecard still labels wall-clock times as scenario time" >&2
	cat "$TEST_TMP/card.txt" >&2
	exit 1
fi
screen_keys q
echo "drill-time: ok"
