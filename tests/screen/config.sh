#!/usr/bin/env bash
# config.sh — a config file the console cannot read (issue 12 item 6): the
# profile that made it read-only and production has a trailing comma. The
# console must not open at all (it used to open in WRITE mode without the
# profile, "not valid JSON" in its footer): dcops exits non-zero with the
# file and line on stderr, and never connects to the database.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_cfg_$$"
screen_db "$db"
cleanup() { screen_stop; dropdb --if-exists "$db"; }
trap cleanup EXIT
cat >"$TEST_TMP/config.json" <<JSON
{ "default_profile": "prod",
  "profiles": {
    "prod": { "db": "dbname=$db", "production": true,
              "readonly": true, } } }
JSON
# the pane runs "dcops ARGS 2>>dcops.err; sleep 60": ARGS end the dcops
# command early so its status is kept and its stderr shows in the pane
screen_start 200 30 --config "$TEST_TMP/config.json" "; echo rc=\$? >$TEST_TMP/rc"
trap cleanup EXIT
screen_wait "config.json: line 4: not valid JSON; nothing was started"
for _ in $(seq 1 50); do [ -s "$TEST_TMP/rc" ] && break; sleep 0.1; done
grep -qx "rc=1" "$TEST_TMP/rc" || { echo "FAIL: dcops exited with '$(cat "$TEST_TMP/rc")', not 1"; exit 1; }
sleep 1
if screen_dump | grep -qE "WRITE|READ-ONLY|DB "; then
	echo "FAIL: the console opened with a config it could not read:"; screen_dump; exit 1
fi
n=$(psql -Atq -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db'")
[ "$n" = 0 ] || { echo "FAIL: $n connections to $db"; exit 1; }
echo "ok: a config that cannot be read stops the console before it connects"
