#!/usr/bin/env bash
# drill_cli.sh — incident drills through the dcops script commands on the
# seeded Gwangju fleet: list; refusal on a production-marked database; a
# scripted Xid 79 run (incident ack + drain of the right node) that meets
# every expectation; a run that does nothing and misses them; stop; the
# scorecard in text, md and json; drill tagging. Runs under tests/run.sh.
set -u
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
DB="dcops_drill_cli_$$"
createdb -T "$DCOPS_TEST_TEMPLATE" "$DB" || exit 1
trap 'dropdb --force "$DB" >/dev/null 2>&1' EXIT
"$DCOPS" -q --db "dbname=$DB" seed >/dev/null || { echo "seed failed"; exit 1; }
psql -q -X -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<'SQL' || { echo "roles failed"; exit 1; }
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drill_op') THEN
        CREATE ROLE drill_op LOGIN IN ROLE dcops_operator;
    END IF;
END $$;
SQL

failures=0 checks=0
OUT="$TEST_TMP/out" ERR="$TEST_TMP/err"

# check WANT_RC PATTERN -- ARGS...: as drill_op; rc 0: pattern on stdout,
# otherwise one line on stderr matching it.
check() {
	local want=$1 pattern=$2
	shift 3
	checks=$((checks + 1))
	"$DCOPS" -q --db "dbname=$DB user=drill_op" "$@" >"$OUT" 2>"$ERR"
	local rc=$? text
	if [ "$want" = 0 ]; then text=$(cat "$OUT"); else text=$(cat "$ERR"); fi
	if [ "$rc" != "$want" ] || ! grep -Eq -- "$pattern" <<<"$text" ||
	   { [ "$want" != 0 ] && [ "$(wc -l <"$ERR")" != 1 ]; }; then
		failures=$((failures + 1))
		printf 'FAIL: dcops %s\n  want rc %s matching /%s/, got rc %s:\n' "$*" "$want" "$pattern" "$rc"
		sed 's/^/  | /' "$OUT" "$ERR"
	fi
}
sql() { psql -q -X -A -t -d "$DB" -c "$1"; }
want_sql() {
	checks=$((checks + 1))
	local got
	got=$(sql "$1")
	[ "$got" = "$2" ] || { failures=$((failures + 1)); printf 'FAIL: %s\n  want %s, got %s\n' "$1" "$2" "$got"; }
}
want_json() { # FILTER WANT: on the last stdout
	checks=$((checks + 1))
	local got
	got=$(jq -r "$1" <"$OUT")
	[ "$got" = "$2" ] || { failures=$((failures + 1)); printf 'FAIL: jq %s\n  want %s, got %s\n' "$1" "$2" "$got"; }
}

check 0 '^xid79-h100-job +Xid 79 during a 64-GPU H100 job \(1 event, 4 expectations, speed 60\)$' -- drill list
check 2 'unknown sub-command' -- drill frob
check 1 'drills/nope.json: No such file' -- drill start nope

# --- refused on production (and on an unmarked database)
sql "UPDATE dcops.setting SET value = 'production' WHERE key = 'environment'"
check 1 "drills run only where dcops.setting 'environment' is drill, staging or demo; this database is \"production\"" -- \
	drill start xid79-h100-job
want_sql "SELECT count(*) FROM dcops.drill_run" 0
sql "UPDATE dcops.setting SET value = 'drill' WHERE key = 'environment'"

# --- a scripted run that does the right things
check 0 '^drill 1 started: xid79-h100-job \(speed 60\)' -- drill start xid79-h100-job --speed 60
check 1 'drill 1 \(xid79-h100-job\) is running, started by drill_op' -- drill start cooling-row5
sleep 1.3
check 0 'Result: PENDING \(running\); 0 met, 0 missed, 4 pending' -- drill status
INC=$(sql "SELECT incident_id FROM dcops.drill_event WHERE drill_id = 1")
want_sql "SELECT sev || ' ' || title || ' ' || drill_id FROM dcops.incident WHERE id = $INC" \
	"2 gj-h100-017: Xid 79 on GPU 3 1"
check 0 "^incident $INC acknowledged" -- incident ack "$INC"
check 0 '^drain recorded: gj-h100-017 = action' -- drain gj-h100-017 --reason "Xid 79: GPU 3 fell off the bus" --incident "$INC"
check 0 'drill 1 has ended: every expectation is decided' -- drill status
grep -q 'Result: PASS (finished); 4 met, 0 missed, 0 pending' "$OUT" || { failures=$((failures + 1)); echo "FAIL: pass scorecard"; cat "$OUT"; }
check 0 '"result":[[:space:]]*"pass"' -- drill report 1 --format json
want_json '[.expectations[].status] | join(",")' "met,met,met,met"
want_json '.expectations[0].measured_s <= 300' true
want_json '.wrong_actions | length' 0
want_json '[.timeline[].who] | join(",")' "drill,drill_op,drill_op"
want_sql "SELECT status || ' ' || (scorecard->>'result') FROM dcops.drill_run WHERE id = 1" "finished pass"
want_sql "SELECT count(*) FROM dcops.actions WHERE drill_id = 1" 1
want_sql "SELECT count(*) FROM dcops.audit WHERE drill_id = 1 AND action IN ('incident_ack', 'drain')" 2
check 0 '^## Drill 1: Xid 79 during a 64-GPU H100 job' -- drill report 1 --format md
grep -q '^- +[0-9hm]*[0-9]*s drill\\_op: incident\\_ack incident/' "$OUT" || { failures=$((failures + 1)); echo "FAIL: md escaping"; cat "$OUT"; }
check 0 'no drill is running' -- drill status

# --- a run that does nothing. The timeline runs at --speed, but the
# limits are the operator's wall-clock time (5 min, 15 min): stopping the
# drill decides what is still open, as missed.
check 0 '^drill 2 started' -- drill start xid79-h100-job --speed 600
sleep 0.2
check 0 'PENDING ack_incident' -- drill status
check 0 'Result: FAIL \(stopped\); 2 met, 2 missed, 0 pending' -- drill stop
grep -q 'MISSED  ack_incident within 5m00s: not acknowledged within 5m00s' "$OUT" ||
	{ failures=$((failures + 1)); echo "FAIL: missed ack line"; cat "$OUT"; }
check 0 '"result":[[:space:]]*"fail"' -- drill report 2 --format json
want_json '[.expectations[].status] | join(",")' "missed,missed,met,met"
want_json '.expectations[1].detail' "not drained within 15m00s (the drill ended first); not drained: gj-h100-017"

# --- stopped early, with a wrong drain
check 0 '^drill 3 started' -- drill start leaf-switch-row2 --speed 60
check 0 '^drain recorded: gj-h100-001' -- drain gj-h100-001 --reason "looks suspicious to me today"
check 0 'Result: FAIL \(stopped\); 0 met, 2 missed' -- drill stop
grep -q 'drained a healthy node: no injected event touched it' "$OUT" || { failures=$((failures + 1)); echo "FAIL: wrong drain"; cat "$OUT"; }
check 1 'no drill is running' -- drill stop
check 1 'unknown drill 99' -- drill report 99
check 2 'report names one drill run' -- drill report x
check 2 '--speed wants a number' -- drill start xid79-h100-job --speed 0

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
