#!/usr/bin/env bash
# readonly.sh — read-only consoles: with --readonly and as a viewer no
# action key does anything (the footer hides them, the key says why, help
# lists them as unavailable, nothing reaches the audit); a production
# profile starts read-only and W arms write mode for its window.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_ro_$$"
screen_db "$db"
# screen_start sets its own EXIT trap: put this one back after each start
cleanup() {
	screen_stop
	dropdb --if-exists "$db"
	psql -q -d postgres -c "DROP ROLE IF EXISTS scr_view_$$" >/dev/null 2>&1
}
trap cleanup EXIT
audit_rows() { psql -Atq -d "$db" -c "SELECT count(*) FROM dcops.audit"; }

# --readonly: the header says so, the footer has no action keys
screen_start 100 30 --readonly --db "dbname=$db"
trap cleanup EXIT
screen_wait "DB UP"
screen_wait "READ-ONLY"
screen_gone "D drain"
for k in D R I; do
	screen_keys "$k"
	screen_wait "read-only session"
done
screen_keys 3 Q
screen_wait "quota: read-only session"
screen_keys 4
screen_wait "Xid 79"
for k in o a A v n L x D; do screen_keys "$k"; done
screen_wait "read-only session"
screen_gone "Acknowledge"
screen_keys W
screen_wait "W: read-only session"
screen_keys '?'
screen_wait "(unavailable: read-only session"
screen_keys Escape
[ "$(audit_rows)" = 0 ]
screen_stop
sleep 0.5

# a viewer: same, with the role as the reason
psql -q -d "$db" -c "CREATE ROLE scr_view_$$ LOGIN IN ROLE dcops_viewer"
screen_start 100 30 --db "'dbname=$db user=scr_view_$$'"
trap cleanup EXIT
screen_wait "viewer scr_view_$$"
screen_wait "READ-ONLY"
screen_gone "D drain"
screen_keys D
screen_wait "drain: viewer role: actions need dcops_operator"
screen_keys 4 a
screen_wait "incident.ack: viewer role"
[ "$(audit_rows)" = 0 ]
screen_stop
sleep 0.5

# a production profile: read-only until W arms write mode for 2 minutes
mkdir -p "$TEST_TMP/cfg"
cat >"$TEST_TMP/cfg/config.json" <<JSON
{ "profiles": { "prod": { "db": "dbname=$db", "readonly": true, "production": true,
                          "write_window_minutes": 2 } } }
JSON
screen_start 100 30 --config "$TEST_TMP/cfg/config.json" --profile prod
trap cleanup EXIT
screen_wait "DB UP"
screen_wait "READ-ONLY"
screen_keys D
screen_wait "press W to arm write mode"
screen_keys W
screen_wait "write mode armed for 2 min"
screen_wait "WRITE 2m"
screen_keys C-l
screen_wait "D drain"
screen_keys D
screen_wait "Drain tn-a100-001"
screen_keys Escape
screen_wait "cancelled, nothing sent"
[ "$(audit_rows)" = 0 ]
