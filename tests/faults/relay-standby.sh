#!/usr/bin/env bash
# relay-standby.sh — `dcops relay` on a hot standby (issue 15): a primary
# with 290 nodes streams to a standby (pg-standby.sh) and a relay reads the
# standby (its store's replay watch). A wall screen through it (its own
# --db the standby, no primary named) says RELAY UP STANDBY lag 0s and
# READ-ONLY, follows changes committed on the primary (commit -> screen
# p50/p99 printed; p99 must be under 250 ms) with no delta read of its own,
# and shows the lag when replay is held back. The header follows the
# data's source, writes the console's own session: a console whose --db is
# the primary, through the same relay, says STANDBY and may write (its
# drain goes to the primary and comes back through the standby); one on
# the standby through a relay on the primary says neither STANDBY nor
# WRITE. :db says the same in words: the relay and the server it reads, a
# hot standby and its lag, where writes go and why they are off, the
# connection string without its password.
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
. "$DCOPS_ROOT/tests/lib/pg-standby.sh"
. "$DCOPS_ROOT/tests/lib/relay.sh"
set -e
pdir="$TEST_TMP/p" sdir="$TEST_TMP/s"
ssock="$TEST_TMP/s-relay.sock" psock="$TEST_TMP/p-relay.sock"
SPID= PPID_=
cleanup() {
	screen_stop
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	[ -n "$PPID_" ] && kill "$PPID_" 2>/dev/null && wait "$PPID_" 2>/dev/null
	fault_cleanup "$sdir"
	fault_cleanup "$pdir"
}
trap cleanup EXIT
fault_standby_pair "$pdir" "$sdir" rst

# relay_on DB SOCK: a relay reading DB, its pid in RPID
relay_on() {
	relay_spawn "$DCOPS" "$1" "$2" "$2.log" || return 1
	RPID=$SPAWNED
}
relay_on "$S" "$ssock"
SPID=$RPID

# ---- a wall screen: its own session on the standby, the data through the relay
stats="$TEST_TMP/stats"
SCREEN_ENV="DCOPS_STATS=$stats" screen_start 120 40 --db "'$S password=sekrit'" --relay "$ssock"
screen_wait "RELAY UP STANDBY lag 0s"
screen_wait "290 nodes"
screen_wait "READ-ONLY"
screen_keys D
screen_wait "a hot standby takes no writes: name the primary with --write-db"
# :db says where the data comes from and why writes are off, never the password
screen_keys : d b Enter
screen_match "data from +dcops relay on .*s-relay.sock, which reads" 3
screen_match "^ +socket .*/s/sock/.s.PGSQL.[0-9]+, database $FAULT_PAIR_DB" 3
screen_match "server is +a hot standby, replay lag 0 s" 3
screen_match "reads use +.*password=\(hidden\)" 3
screen_match "writes now +a hot standby takes no writes" 3
! screen_dump | grep -q sekrit || { echo "FAIL: :db shows the password"; screen_dump; exit 1; }
screen_keys Escape
screen_gone "server is" 3

fault_screen_latency "commit on the primary -> screen through a relay on the standby at 290 nodes"
sleep 1.1 # the console writes its counters each second
reads=$(awk '$1 == "reads" { print $2 }' "$stats")
[ "$reads" = 0 ] || { echo "FAIL: the console read the database itself ($reads reads)"; exit 1; }

# replay held back: the relay's STATUS carries the lag to the header
ons "ALTER SYSTEM SET recovery_min_apply_delay = '3s'" && ons "SELECT pg_reload_conf()" >/dev/null
sleep 0.3
onp "UPDATE dcops.node SET health = 'fail' WHERE name = 'tn-a100-001'"
screen_match "RELAY UP STANDBY lag [1-9][0-9]*s" 4
screen_match "tn-a100-001 +a100 .* fail" 6
screen_wait "STANDBY lag 0s" 3
ons "ALTER SYSTEM RESET recovery_min_apply_delay" && ons "SELECT pg_reload_conf()" >/dev/null
screen_stop

# ---- a console on the standby through a relay on the primary: live data,
# no STANDBY; READ-ONLY, as its own session cannot write
relay_on "$P" "$psock"
PPID_=$RPID
screen_start 120 40 --db "'$S'" --relay "$psock"
screen_wait "RELAY UP"
screen_wait "READ-ONLY"
! screen_dump | grep -q "STANDBY" || { echo "FAIL: data from the primary says STANDBY"; screen_dump; exit 1; }
onp "UPDATE dcops.node SET sched_state = 'down' WHERE name = 'tn-a100-001'"
screen_match "tn-a100-001 +a100 .*down" 2
screen_stop

# ---- a console on the primary through the same relay: STANDBY (its data),
# and writes, which go to the primary and come back through the standby
screen_start 120 40 --db "'$P'" --relay "$ssock"
screen_wait "RELAY UP STANDBY lag 0s"
! screen_dump | grep -q "READ-ONLY" || { echo "FAIL: a console on the primary says READ-ONLY"; screen_dump; exit 1; }
screen_keys / "tn-a100-002" Enter
screen_wait "1 of 290 nodes"
fault_console_drain "relay standby drain"

# the standby is promoted under the relay: STANDBY goes from the header,
# and the relay, now on a primary, follows it by NOTIFY
pgs_promote "$sdir"
screen_gone "STANDBY" 3
screen_wait "RELAY UP"
screen_keys : d b Enter
screen_match "server is +the primary" 3
screen_match "writes go to +the same server as reads" 3
screen_keys Escape
screen_keys / C-u "tn-h100-001" Enter
screen_wait "1 of 290 nodes"
ons "UPDATE dcops.node SET sched_state = 'down' WHERE name = 'tn-h100-001'"
screen_match "tn-h100-001 +h100 .*down" 2
# the relay's log: on a standby once (not each second of lag), then promoted
grep "dcops relay: database" "$ssock.log" >"$TEST_TMP/relay-db.log" || true
[ "$(grep -c "database up (a hot standby: following its replay)" "$TEST_TMP/relay-db.log")" = 1 ] &&
	tail -n 1 "$TEST_TMP/relay-db.log" | grep -q "database up$" ||
	{ echo "FAIL: the relay's log:"; cat "$ssock.log"; exit 1; }

# the console quits cleanly (under SANITIZE=1: no report from ASan/LSan)
screen_keys q
sleep 1
! grep -q "Sanitizer\|runtime error" "$TEST_TMP/dcops.err" 2>/dev/null ||
	{ echo "FAIL: the console's stderr:"; cat "$TEST_TMP/dcops.err"; exit 1; }
echo "relay-standby: ok"
