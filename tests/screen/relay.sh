#!/usr/bin/env bash
# relay.sh — a console through `dcops relay` at 80 columns: the header says
# RELAY UP and a change shows (a GPU's temperature too, paced); with the relay killed the console reads the
# database itself (DB UP, rows kept) and follows a change; with the relay
# back the header says RELAY again.
. "$(dirname "$0")/lib.sh"
. "$DCOPS_ROOT/tests/lib/relay.sh"
set -e
db="screen_relay_$$"
sock="$TEST_TMP/relay.sock"
RPID=
relay_start() {
	relay_spawn "$DCOPS" "dbname=$db" "$sock" "$TEST_TMP/relay.log" || return 1
	RPID=$SPAWNED
}
cleanup() {
	screen_stop
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	dropdb --if-exists "$db"
}
trap cleanup EXIT
screen_db "$db"
relay_start
[ "$(stat -c %a "$sock")" = 660 ]
screen_start 80 24 --relay "$sock" --db "dbname=$db"
trap cleanup EXIT
screen_wait "RELAY UP"
screen_wait "tn-h100-001"
psql -q -d "$db" -c "UPDATE dcops.node SET sched_state = 'down' WHERE name = 'tn-a100-002'"
screen_match "tn-a100-002 .*down"
# GPU rows come paced (every 100 ms by default): a temperature still shows
grep -q "telemetry (GPU rows, nodes' reports) paced every 100 ms" "$TEST_TMP/relay.log"
grep -Eq "first load done in [0-9]+\.[0-9] s: 4 nodes, 8 GPUs, [0-9]+ jobs" "$TEST_TMP/relay.log" ||
	{ cat "$TEST_TMP/relay.log" >&2; false; }
psql -q -d "$db" -c "UPDATE dcops.gpu SET temp_c = 97 WHERE node_id = (SELECT id FROM dcops.node WHERE name = 'tn-h100-001')"
screen_match "tn-h100-001 .* 97"

kill "$RPID" && wait "$RPID" 2>/dev/null || true
RPID=
screen_wait "DB UP" 15
screen_wait "reading the database directly" # said once on the message line
screen_wait "tn-h100-001"
psql -q -d "$db" -c "UPDATE dcops.node SET admin_state = 'draining', drain_reason = 'while direct' WHERE name = 'tn-a100-001'"
screen_match "tn-a100-001 .*draining"

relay_start
screen_wait "RELAY UP" 20
psql -q -d "$db" -c "UPDATE dcops.node SET sched_state = 'idle' WHERE name = 'tn-a100-002'"
screen_match "tn-a100-002 .*idle"
grep -q "client 1 dropped" "$TEST_TMP/relay.log"
echo "relay: ok"
