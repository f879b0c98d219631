#!/usr/bin/env bash
# demo_sites.sh — `dcops demo --sites 2` in a private var/: the Pangyo
# interim cluster as a second database of the demo cluster, seeded from the
# same fleet file at a tenth with its own names and its own simulator (a
# different seed); the console opens with both sites live; --stop stops
# both simulators; a later plain demo lists the running pangyo; --sites 3
# is refused.
. "$(dirname "$0")/lib.sh"
set -e
export DCOPS_VAR="$TEST_TMP/var"
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGSERVICEFILE DCOPS_DB
SOCK="$DCOPS_VAR/run"
cleanup() {
	screen_stop
	"$DCOPS" demo --stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 5 "$DCOPS_VAR"/log/dcopsd*.log 2>/dev/null; exit 1; }
q() { psql -qtAX -h "$SOCK" -d "$1" -c "$2"; }

rc=0; "$DCOPS" demo --sites 3 --no-console >"$TEST_TMP/out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q -- '--sites 3: expected a number from 1 to 2' "$TEST_TMP/out" ||
	fail "demo --sites 3: rc $rc: $(cat "$TEST_TMP/out")"

"$DCOPS" demo --sites 2 --no-console >"$TEST_TMP/out" 2>&1 || fail "demo --sites 2: $(cat "$TEST_TMP/out")"
grep -q "seeded pangyo: 29 nodes" "$TEST_TMP/out" || fail "no pangyo seed line: $(cat "$TEST_TMP/out")"
[ "$(q dcops "SELECT count(*) FROM dcops.node")" = 290 ] || fail "gwangju is not 290 nodes"
[ "$(q dcops_pangyo "SELECT count(*) FROM dcops.node")" = 29 ] || fail "pangyo is not 29 nodes"
[ "$(q dcops_pangyo "SELECT count(*) FROM dcops.node WHERE name NOT LIKE 'pg-%'")" = 0 ] ||
	fail "pangyo nodes not named pg-"
[ "$(q dcops_pangyo "SELECT count(*) FROM dcops.rack WHERE name NOT LIKE 'pg-r%'")" = 0 ] ||
	fail "pangyo racks not named pg-r"
q dcops_pangyo "SELECT value FROM dcops.setting WHERE key = 'site.name'" | grep -q "Pangyo interim cluster" ||
	fail "pangyo's site name"
"$DCOPS" demo --status >"$TEST_TMP/status" 2>&1 || fail "demo --status: $(cat "$TEST_TMP/status")"
grep -Eq '^  pangyo +dcopsd running \(pid [0-9]+\), database dcops_pangyo' "$TEST_TMP/status" ||
	fail "status lacks pangyo: $(cat "$TEST_TMP/status")"
pid_gj=$(cat "$DCOPS_VAR/dcopsd.pid") pid_pg=$(cat "$DCOPS_VAR/dcopsd-pangyo.pid")
[ "$pid_gj" != "$pid_pg" ] || fail "one simulator for both sites"
tr '\0' ' ' <"/proc/$pid_pg/cmdline" | grep -q -- "dbname=dcops_pangyo --log .* --seed 20210601" ||
	fail "pangyo's dcopsd: $(tr '\0' ' ' <"/proc/$pid_pg/cmdline")"

# a later plain `dcops demo` leaves pangyo's simulator running, and its
# summary lists it with the rest of what runs
"$DCOPS" demo --no-console >"$TEST_TMP/out" 2>&1 || fail "demo after --sites 2: $(cat "$TEST_TMP/out")"
grep -Eq "^  pangyo +.*Pangyo interim cluster.*: database dcops_pangyo, dcopsd pid $pid_pg," "$TEST_TMP/out" ||
	fail "a plain demo's summary does not list pangyo's simulator: $(cat "$TEST_TMP/out")"

# the console: both sites live, the Sites view lists them
screen_start 160 40 demo --sites 2
trap cleanup EXIT
screen_wait "gwangju: 국가AI데이터센터 광주" 30
screen_keys 0
screen_match "^ *gwangju +[A-Za-z0-9-]+ +UP .* 290 " 20
screen_match "^ *pangyo +[A-Za-z0-9-]+ +UP .* 29 " 20
# pangyo's first load held no incident: the first one after it is news
q dcops_pangyo "INSERT INTO dcops.incident (sev, title) VALUES (1, 'Demo PDU trip')" >/dev/null
screen_match "SEV-1 at pangyo: #[0-9]+ Demo PDU trip" 10
screen_keys : "site pangyo" Enter 1
screen_wait "pg-a100-001" 10
screen_keys q
screen_stop

"$DCOPS" demo --stop >"$TEST_TMP/out" 2>&1 || fail "demo --stop: $(cat "$TEST_TMP/out")"
for p in $pid_gj $pid_pg; do
	grep -q "stopped dcopsd (pid $p)" "$TEST_TMP/out" || fail "--stop did not stop dcopsd $p: $(cat "$TEST_TMP/out")"
done
[ ! -e "$DCOPS_VAR/dcopsd-pangyo.pid" ] || fail "dcopsd-pangyo.pid left after --stop"
echo "demo_sites: ok"
