#!/usr/bin/env bash
# sites_narrow.sh — two sites (--sites) at 80x24: the header's first line
# keeps the current site's name readable (lower-priority parts go first),
# and still shows the SEV-1/2 count, the links and the clock.
. "$(dirname "$0")/lib.sh"
set -e
dba="screen_narrow_a_$$" dbb="screen_narrow_b_$$"
cleanup() {
	screen_stop
	dropdb --if-exists "$dba"
	dropdb --if-exists "$dbb"
}
trap cleanup EXIT
screen_db "$dba"
screen_db "$dbb"
psql -q -d "$dbb" -c "UPDATE dcops.setting SET value = 'Pangyo 판교' WHERE key = 'site.name'"
cat >"$TEST_TMP/config.json" <<JSON
{ "profiles": {
    "gwangju": { "db": "host=${PGHOST:-} port=${PGPORT:-5432} dbname=$dba", "readonly": true },
    "pangyo": { "db": "host=${PGHOST:-} port=${PGPORT:-5432} dbname=$dbb" } },
  "sites": ["gwangju", "pangyo"] }
JSON
screen_start 80 24 --config "$TEST_TMP/config.json"
screen_wait "tn-h100-001"
screen_wait "SEV1/2 2"
head=$(screen_line 1)
echo "80x24 header: $head"
fail() { echo "FAIL: $*"; screen_dump; exit 1; }
echo "$head" | grep -q "gwangju" || fail "the site's name is not on the header's first line"
echo "$head" | grep -q "…" && fail "the header's first line cuts something short"
echo "$head" | grep -q "DB UP" || fail "no link state"
echo "$head" | grep -qE "[0-9]{2}:[0-9]{2} (KST|UTC)" || fail "no clock"
# the other site, current: its name
screen_keys 0
screen_match "^ *pangyo +[A-Za-z0-9-]+ +UP "
screen_keys j Enter
screen_wait "pangyo"
until_head() { local i; for i in $(seq 50); do screen_line 1 | grep -q "$1" && return 0; sleep 0.1; done; return 1; }
until_head pangyo || fail "pangyo not named on the first line"
head=$(screen_line 1)
echo "80x24 header at pangyo: $head"
echo "$head" | grep -q "…" && fail "the header's first line cuts something short at pangyo"
exit 0
