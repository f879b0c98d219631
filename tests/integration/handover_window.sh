#!/usr/bin/env bash
# handover_window.sh — the default handover report starts at the previous
# handover, not when the current operator typed `shift start`: an incident
# opened between the last shift's end and the next shift's start is in it,
# and the report says where its window starts (042_handover_window.sql).
# Drill incidents keep their [DRILL] tag in text and Markdown (issue 17).
set -u
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
DB="dcops_handover_window_$$"
createdb -T "$DCOPS_TEST_TEMPLATE" "$DB" || exit 1
trap 'dropdb --force "$DB" >/dev/null 2>&1' EXIT
psql -q -X -v ON_ERROR_STOP=1 -d "$DB" -f "$DCOPS_ROOT/tests/isolation/fixture.sql" >/dev/null 2>&1 ||
	{ echo "fixture failed"; exit 1; }
failures=0 checks=0
OUT="$TEST_TMP/out"
sql() { psql -q -X -A -t -v ON_ERROR_STOP=1 -d "$DB" -c "$1" >/dev/null || { echo "sql failed: $1"; exit 1; }; }
run() { # AS ARGS...: the report on $OUT
	local as=$1; shift
	"$DCOPS" -q --db "dbname=$DB user=$as" "$@" >"$OUT" 2>&1 || { failures=$((failures + 1)); echo "FAIL: dcops $*"; cat "$OUT"; }
}
want_json() { # FILTER WANT
	checks=$((checks + 1))
	local got
	got=$(jq -c "$1" <"$OUT")
	[ "$got" = "$2" ] || { failures=$((failures + 1)); printf 'FAIL: jq %s\n  want %s\n  got  %s\n' "$1" "$2" "$got"; }
}
want_out() { # PATTERN
	checks=$((checks + 1))
	grep -Eq -- "$1" "$OUT" || { failures=$((failures + 1)); printf 'FAIL: output lacks /%s/:\n' "$1"; sed 's/^/  | /' "$OUT"; }
}

# act_op2's shift ended 3 hours ago; a drill incident opened 2 hours ago;
# act_op starts the next shift only now
run act_op2 shift start
run act_op2 shift end
sql "UPDATE dcops.shift SET started_at = now() - interval '10 hours', ended_at = now() - interval '3 hours';
     INSERT INTO dcops.drill_run (scenario) VALUES ('xid79');
     INSERT INTO dcops.incident (sev, title, opened_at, drill_id)
     VALUES (3, 'gpu-003: Xid 79 (drill)', now() - interval '2 hours', 1)"
run act_op shift start

run act_viewer report handover --format json
want_json '[.window.source, .window.start_kind, .window.prev_shift_id, .shift.id, .shift.operator]' \
	'["shift","previous_shift",1,2,"act_op"]'
want_json '[.incidents_opened[] | [.title, .drill_id]]' '[["gpu-001 Xid 79: fallen off the bus",null],["gpu-003: Xid 79 (drill)",1]]'
want_json '(((.window.end | fromdate) - (.window.start | fromdate)) / 3600 | round)' '3'

run act_viewer report handover
want_out '^Window: .* \(3h00m\), from the previous handover \(the end of shift 1\)$'
want_out '^  #2  sev: SEV-3  state now: triggered  opened: [0-9-]+ [0-9:]+.*  title: \[DRILL\] gpu-003: Xid 79 \(drill\)$'
want_out '^  #2  sev: SEV-3  state: triggered  owner: UNOWNED .* title: \[DRILL\] gpu-003'
run act_viewer report handover --format md
want_out '^\| #2 \| SEV-3 \| triggered \| [0-9-]+ [0-9:]+.* \| \\\[DRILL\\\] gpu-003: Xid 79 \(drill\) \|$'

# an explicit shift is that shift; without a previous shift in the last
# day the window starts at the rota slot, never later than the shift
run act_viewer report handover --shift 2 --format json
want_json '[.window.source, .window.start_kind, .window.prev_shift_id]' '["shift","shift",null]'
sql "UPDATE dcops.shift SET started_at = now() - interval '40 hours', ended_at = now() - interval '30 hours' WHERE id = 1"
run act_viewer report handover --format json
want_json '[.window.start_kind, (.window.start <= .shift.started_at)]' '["rota_slot",true]'
run act_viewer report handover
want_out '^Window: .*, from the start of the rota slot$'

# one time zone, labelled: KST unless the operator's config says UTC
run act_viewer report handover --shift 2
want_out '^Window: [0-9-]+ [0-9:]+ KST to [0-9-]+ [0-9:]+ KST \('
printf '{ "timezone": "UTC" }\n' >"$TEST_TMP/utc.json"
run act_viewer --config "$TEST_TMP/utc.json" report handover --shift 2
want_out '^Window: [0-9-]+ [0-9:]+ UTC to [0-9-]+ [0-9:]+ UTC \('
checks=$((checks + 1))
kst=$(date -u -d '+9 hours' +%H); utc=$(date -u +%H)
"$DCOPS" -q --db "dbname=$DB user=act_viewer" --config "$TEST_TMP/utc.json" report handover --shift 2 >"$OUT"
grep -Eq "to [0-9-]+ ($utc|$(date -u -d '+1 minute' +%H)):[0-9]+ UTC" "$OUT" ||
	{ failures=$((failures + 1)); echo "FAIL: UTC window end is not UTC now ($utc)"; cat "$OUT"; }
checks=$((checks + 1))
"$DCOPS" -q --db "dbname=$DB user=act_viewer" report handover --shift 2 >"$OUT"
grep -Eq "to [0-9-]+ ($kst|$(date -u -d '+9 hours 1 minute' +%H)):[0-9]+ KST" "$OUT" ||
	{ failures=$((failures + 1)); echo "FAIL: KST window end is not KST now ($kst)"; cat "$OUT"; }
printf '{ "timezone": "PST" }\n' >"$TEST_TMP/bad.json"
checks=$((checks + 1))
"$DCOPS" -q --db "dbname=$DB user=act_viewer" --config "$TEST_TMP/bad.json" report handover >"$OUT" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q 'bad.json: timezone: expected "KST" or "UTC", got "PST"' "$OUT" ||
	{ failures=$((failures + 1)); echo "FAIL: a bad timezone (rc $rc):"; cat "$OUT"; }

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
