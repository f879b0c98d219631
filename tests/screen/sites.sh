#!/usr/bin/env bash
# sites.sh — two sites in one console (--sites): gwangju on the test
# cluster, pangyo on a private one this test stops. Both live; a SEV-1
# raised at the site not on screen shows in the header's count and the
# footer until the site is viewed; a drain from the Sites-selected site
# lands in that site's database only; pangyo's database stopped leaves
# gwangju live and the Sites view marks pangyo DOWN with its data's age.
. "$(dirname "$0")/lib.sh"
. "$DCOPS_ROOT/tests/lib/pg.sh"
set -e
main_host=${PGHOST:-}
main_port=${PGPORT:-5432}
dba="screen_sites_a_$$"
pgdir="$TEST_TMP/pg"
cleanup() {
	screen_stop
	pg_stop "$pgdir"
	PGHOST=$main_host PGPORT=$main_port dropdb --if-exists "$dba"
}
trap cleanup EXIT
screen_db "$dba"
psql -q -d "$dba" -c "UPDATE dcops.setting SET value = '100' WHERE key = 'guard.drain_pct'"

# pangyo: its own cluster, migrated, the same fixture with its own names
pg_start "$pgdir"
createdb sites_tmpl
"$DCOPS" -q --db "dbname=sites_tmpl" db migrate >/dev/null
DCOPS_TEST_TEMPLATE=sites_tmpl screen_db sites_b
psql -q -d sites_b -c "UPDATE dcops.setting SET value = 'Pangyo 판교' WHERE key = 'site.name'" \
	-c "UPDATE dcops.site SET code = 'PG-IC'" \
	-c "UPDATE dcops.setting SET value = '100' WHERE key = 'guard.drain_pct'" \
	-c "UPDATE dcops.node SET name = replace(name, 'tn-', 'pg-')" \
	-c "SET session_replication_role = replica" \
	-c "DELETE FROM dcops.incident_event" -c "DELETE FROM dcops.incident"
# (pangyo's first load holds no incident: the first after it is still news)
export PGHOST=$main_host PGPORT=$main_port

cat >"$TEST_TMP/config.json" <<JSON
{ "profiles": {
    "gwangju": { "db": "host=$main_host port=$main_port dbname=$dba", "readonly": true },
    "pangyo": { "db": "host=$pgdir/sock dbname=sites_b" } },
  "sites": ["gwangju", "pangyo"] }
JSON
screen_start 160 40 --config "$TEST_TMP/config.json"
trap cleanup EXIT

# both live; the header names the current site and counts SEV-1/2 over both
screen_wait "gwangju: Test Site 광주"
screen_wait "READ-ONLY"           # gwangju's profile is read-only
screen_wait "SEV1/2 1"
screen_wait "tn-h100-001"
screen_keys 0
screen_match "^ *pangyo +[A-Za-z0-9-]+ +UP "
screen_match "^ *gwangju +[A-Za-z0-9-]+ +UP "
# pangyo's Slurm accounting unreadable (as dcopsd --adapter slurm reports
# it): the Sites view says its quotas are the last known, then clears
psql -q -h "$pgdir/sock" -d sites_b -c "SELECT dcops.adapter_report('slurm', 'up', '', 60)" \
	-c "SELECT dcops.adapter_report('accounting', 'down', 'sacctmgr exited 1', 60)" >/dev/null
screen_match "^ *pangyo +QUOTAS +UP +quotas\\? "
psql -q -h "$pgdir/sock" -d sites_b -c "SELECT dcops.adapter_report('accounting', 'up', '', 60)" >/dev/null
screen_match "^ *pangyo +ok +UP +up "

# a SEV-1 at pangyo, not on screen: the count and the footer say so
psql -q -h "$pgdir/sock" -d sites_b -c "INSERT INTO dcops.incident (sev, title) VALUES (1, 'PDU trip in row 3')"
screen_wait "SEV1/2 2"
screen_wait "SEV-1 at pangyo: #2 PDU trip in row 3"
screen_match "^ *pangyo +SEV-1 +UP "   # needs attention first
screen_line 4 | grep -q pangyo || { echo "FAIL: pangyo not first"; screen_dump; exit 1; }
# acknowledged there: no longer announced (still counted while open)
psql -q -h "$pgdir/sock" -d sites_b -c "UPDATE dcops.incident SET state = 'acknowledged', acknowledged_at = now() WHERE id = 2"
screen_gone "SEV-1 at pangyo"
screen_wait "SEV1/2 2"
psql -q -h "$pgdir/sock" -d sites_b -c "INSERT INTO dcops.incident (sev, title) VALUES (2, 'Cooling alarm hall B')"
screen_wait "SEV1/2 3"
screen_wait "SEV-2 at pangyo: #3 Cooling alarm hall B"

# Enter on pangyo (the cursor follows its row: up to it): it is current,
# the alert was seen
screen_keys k Enter
screen_wait "pangyo: Pangyo 판교"
screen_wait "pg-h100-001"
screen_gone "SEV-2 at pangyo"
screen_match "pangyo: .* WRITE "    # pangyo writes while gwangju stays read-only

# a drain there lands in pangyo's database only
screen_keys j
screen_match "^ pg-a100-002"
screen_keys D
screen_wait "pangyo: Drain pg-a100-002"
screen_keys "warn health, take it out" Enter Enter Enter Enter
screen_wait "y confirm"
screen_keys y
screen_match "pangyo: drain pg-a100-002: (requested|sending)" 10
sleep 1
nb=$(psql -qtA -h "$pgdir/sock" -d sites_b -c "SELECT count(*) FROM dcops.actions WHERE kind = 'drain' AND target = 'pg-a100-002'")
na=$(psql -qtA -d "$dba" -c "SELECT count(*) FROM dcops.actions")
[ "$nb" = 1 ] || { echo "FAIL: pangyo holds $nb drain actions, expected 1"; exit 1; }
[ "$na" = 0 ] || { echo "FAIL: gwangju holds $na actions, expected 0"; exit 1; }
# the audit row names the site it happened at: the database's own site (080)
as=$(psql -qtA -h "$pgdir/sock" -d sites_b -c "SELECT site FROM dcops.audit WHERE action = 'drain' AND target = 'pg-a100-002'")
[ "$as" = PG-IC ] || { echo "FAIL: pangyo's drain audited at site '$as', expected PG-IC"; exit 1; }

# `:site gwangju` back; pangyo's database stops: gwangju stays live
screen_keys : "site gwangju" Enter
screen_wait "gwangju: Test Site 광주"
screen_keys D
screen_wait "drain: read-only session"
pg_kill "$pgdir"
screen_keys 0
screen_match "^ *pangyo +DOWN +(DOWN|CONNECTING) .* [0-9]+[smhd][0-9]*[smh]? " 20
screen_match "^ *gwangju +[A-Za-z0-9-]+ +UP "
psql -q -d "$dba" -c "UPDATE dcops.node SET sched_state = 'down' WHERE name = 'tn-a100-002'"
screen_keys 1
screen_match "tn-a100-002 .*down" 15
screen_wait "DB UP"
echo "sites: ok"
