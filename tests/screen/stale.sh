#!/usr/bin/env bash
# stale.sh — losing the database: with a private cluster that the test kills
# and restarts, the header turns STALE (data kept on screen), then clears
# after the reconnect, and a change made meanwhile shows up.
. "$(dirname "$0")/lib.sh"
. "$DCOPS_ROOT/tests/lib/pg.sh"
set -e
pgdir="$TEST_TMP/pg"
trap 'screen_stop; pg_stop "$pgdir"' EXIT
pg_start "$pgdir"
createdb stale_tmpl
"$DCOPS" -q --db "dbname=stale_tmpl" db migrate >/dev/null
DCOPS_TEST_TEMPLATE=stale_tmpl screen_db stale
screen_start 80 24 --db "'host=$pgdir/sock dbname=stale'"
trap 'screen_stop; pg_stop "$pgdir"' EXIT

screen_wait "DB UP"
screen_wait "tn-h100-001"
pg_kill "$pgdir"
screen_wait "STALE" 15
screen_match "DB (DOWN|CONNECTING)"
screen_wait "tn-h100-001"          # the last data stays on screen
pg_restart "$pgdir"
psql -q -d stale -c "UPDATE dcops.node SET sched_state = 'down' WHERE name = 'tn-a100-002'"
screen_wait "DB UP" 30
screen_gone "STALE"
screen_match "tn-a100-002 .*down" 20
psql -q -d stale -c "UPDATE dcops.node SET sched_state = 'idle', admin_state = 'draining', drain_reason = 'after reconnect' WHERE name = 'tn-a100-001'"
screen_match "tn-a100-001 .*draining"
echo "stale: ok"
