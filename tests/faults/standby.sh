#!/usr/bin/env bash
# standby.sh — a console on a hot standby (issue 15): a primary with 290
# nodes streams to a standby (pg-standby.sh); the console on the standby
# says STANDBY and its lag, reads no delta while nothing replays (counted
# by the console, DCOPS_STATS), follows changes committed on the primary
# (commit -> screen p50/p99 printed; p99 must be under 250 ms), and its
# writes go to the primary named by --write-db, or are refused in one line
# when it has none; never attempted on the standby. Script commands: the
# same options, the same outcomes. Promoted under a console, the standby
# is followed as a primary (NOTIFY).
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
. "$DCOPS_ROOT/tests/lib/pg-standby.sh"
set -e
pdir="$TEST_TMP/p" sdir="$TEST_TMP/s"
cleanup() { screen_stop; fault_cleanup "$sdir"; fault_cleanup "$pdir"; }
trap cleanup EXIT
fault_standby_pair "$pdir" "$sdir" stb

# ---- script commands against the standby
"$DCOPS" --db "$S" status >"$TEST_TMP/status.out"
grep -q "290" "$TEST_TMP/status.out" || { echo "FAIL: dcops status on the standby"; cat "$TEST_TMP/status.out"; exit 1; }
grep -Eq "^server +socket $FAULT_PAIR_S/sock/\.s\.PGSQL\.[0-9]+, database $FAULT_PAIR_DB \(a hot standby, replay lag [0-9]+ s\)$" \
	"$TEST_TMP/status.out" || { echo "FAIL: dcops status does not say it read a standby"; cat "$TEST_TMP/status.out"; exit 1; }
"$DCOPS" --db "$S" status --json | jq -e '.database.standby == true and .database.replay_lag_s >= 0' >/dev/null ||
	{ echo "FAIL: dcops status --json on the standby"; "$DCOPS" --db "$S" status --json; exit 1; }
"$DCOPS" --db "$S" report handover >/dev/null || { echo "FAIL: report handover on the standby"; exit 1; }
# a write with no primary named: one line, exit 1, nothing written anywhere
rc=0
"$DCOPS" --db "$S" drain tn-a100-002 --reason "standby test: refused" >/dev/null 2>"$TEST_TMP/refused.err" || rc=$?
cat "$TEST_TMP/refused.err"
[ "$rc" = 1 ] && [ "$(wc -l <"$TEST_TMP/refused.err")" = 1 ] &&
	grep -q "a hot standby takes no writes: name the primary with --write-db" "$TEST_TMP/refused.err" ||
	{ echo "FAIL: a write to the standby was not refused in one line (rc $rc)"; exit 1; }
[ "$(onp "SELECT count(*) FROM dcops.actions")" = 0 ] || { echo "FAIL: an action was recorded"; exit 1; }
# never attempted there: the standby's log has no failed write
! grep -q "read-only transaction" "$sdir/server.log" || { echo "FAIL: the write reached the standby"; exit 1; }
# --write-db: reads from the standby, the write to the primary
"$DCOPS" --db "$S" --write-db "$P" drain tn-a100-002 --reason "standby test: via --write-db" >/dev/null
[ "$(onp "SELECT count(*) FROM dcops.actions WHERE target = 'tn-a100-002'")" = 1 ] ||
	{ echo "FAIL: --write-db did not reach the primary"; exit 1; }
# a multi-host --db that prefers the standby for reads: writes find the primary
"$DCOPS" --db "$(pgs_conninfo "$sdir" "$pdir") dbname=stb target_session_attrs=prefer-standby" \
	resume tn-a100-002 --reason "standby test: via the multi-host conninfo" >/dev/null
[ "$(onp "SELECT count(*) FROM dcops.actions WHERE target = 'tn-a100-002'")" = 2 ] ||
	{ echo "FAIL: a multi-host --db did not write to the primary"; exit 1; }
# the profile's write_db, as the console uses it too
mkdir -p "$TEST_TMP/cfg"
printf '{ "profiles": { "stb": { "db": "%s", "write_db": "%s" } } }\n' "$S" "$P" >"$TEST_TMP/cfg/config.json"
"$DCOPS" --config "$TEST_TMP/cfg/config.json" --profile stb incident ack 1 >/dev/null
[ "$(onp "SELECT state FROM dcops.incident WHERE id = 1")" = acknowledged ] ||
	{ echo "FAIL: the profile's write_db did not take the write"; exit 1; }
onp "UPDATE dcops.node SET admin_state = 'active', drain_reason = NULL WHERE name = 'tn-a100-002'"
onp "CHECKPOINT"

# ---- the console on the standby, writes to the primary through the profile
stats="$TEST_TMP/stats"
SCREEN_ENV="DCOPS_STATS=$stats" screen_start 120 40 --config "$TEST_TMP/cfg/config.json" --profile stb
trap cleanup EXIT
screen_wait "DB UP STANDBY lag 0s"
screen_wait "290 nodes"
# :db: the data from the standby, the writes to the profile's write_db
screen_keys : d b Enter
screen_match "server is +a hot standby, replay lag 0 s" 3
screen_match "writes go to +.*host='$FAULT_PAIR_P/sock'" 3
screen_match "writes now +allowed" 3
# its ages count seconds while it is open
c1=$(screen_dump | grep -o "connected .* ago)")
sleep 2.2
c2=$(screen_dump | grep -o "connected .* ago)")
[ -n "$c1" ] && [ "$c1" != "$c2" ] || { echo "FAIL: :db's ages stand still: '$c1' then '$c2'"; exit 1; }
screen_keys Escape
screen_gone "server is" 3

stat() { awk -v k="$1" '$1 == k { print $2 }' "$stats" 2>/dev/null; }
# idle: nothing replays, so no delta read (the old console read every 5 s)
idle_ok=
for _ in 1 2 3; do
	sleep 1.2
	lsn0=$(ons "SELECT pg_last_wal_replay_lsn()") r0=$(stat delta_reads) w0=$(stat watches)
	sleep 6
	lsn1=$(ons "SELECT pg_last_wal_replay_lsn()") r1=$(stat delta_reads) w1=$(stat watches)
	[ "$lsn0" = "$lsn1" ] || continue     # the primary wrote WAL meanwhile: measure again
	echo "idle 6 s on the standby: $((r1 - r0)) delta reads, $((w1 - w0)) replay checks"
	[ "$r1" = "$r0" ] || { echo "FAIL: delta reads while nothing replayed"; exit 1; }
	[ $((w1 - w0)) -ge 20 ] || { echo "FAIL: the replay position was not watched"; exit 1; }
	idle_ok=1
	break
done
[ -n "$idle_ok" ] || { echo "FAIL: the standby never stayed still for 6 s"; exit 1; }

# live: each commit on the primary shows on the standby's screen
fault_screen_latency "commit on the primary -> standby screen at 290 nodes"

# a write from the console: drain goes to the primary, comes back by replay
screen_keys / C-u "tn-a100-002" Enter
screen_wait "1 of 290 nodes"
fault_console_drain "standby console drain"
screen_stop

# a console on the standby with no primary named: READ-ONLY, and an action
# key says why in one line
screen_start 120 40 --db "'$S'"
trap cleanup EXIT
screen_wait "DB UP STANDBY"
screen_wait "READ-ONLY"
screen_keys D
screen_wait "a hot standby takes no writes: name the primary with --write-db"
screen_stop

# --write-db naming the standby by mistake: the write connection finds a
# standby and refuses before sending, one line
screen_start 120 40 --db "'$S'" --write-db "'$S port=5432'"
trap cleanup EXIT
screen_wait "DB UP STANDBY"
screen_keys / "tn-a100-001" Enter
screen_wait "1 of 290 nodes"
screen_keys D
screen_wait "Drain tn-a100-001"
screen_keys "standby console refused" Enter Enter Enter Enter
screen_wait "y confirm"
screen_keys y
screen_wait "refused: a hot standby takes no writes" 10
[ "$(onp "SELECT count(*) FROM dcops.actions WHERE reason = 'standby console refused'")" = 0 ]
! grep -q "read-only transaction" "$sdir/server.log" || { echo "FAIL: a write reached the standby"; exit 1; }

# replay held back (recovery_min_apply_delay): the header shows the lag,
# and 0 again once the commit is applied
ons "ALTER SYSTEM SET recovery_min_apply_delay = '3s'" && ons "SELECT pg_reload_conf()" >/dev/null
sleep 0.3
onp "UPDATE dcops.node SET health = 'fail' WHERE name = 'tn-a100-001'"
screen_match "STANDBY lag [1-9][0-9]*s" 3
screen_match "tn-a100-001 +a100 .* fail" 6
screen_wait "STANDBY lag 0s" 3
ons "ALTER SYSTEM RESET recovery_min_apply_delay" && ons "SELECT pg_reload_conf()" >/dev/null

# the standby under the console is promoted: STANDBY goes, LISTEN starts,
# a change arrives sooner than the 5 s safety-net read would bring it
pgs_promote "$sdir"
screen_gone "STANDBY" 3
screen_match "tn-a100-001 +a100 .*mixed" 1
ons "UPDATE dcops.node SET sched_state = 'down' WHERE name = 'tn-a100-001'"
screen_match "tn-a100-001 +a100 .*down" 2
# the console quits cleanly (under SANITIZE=1: no report from ASan/LSan)
screen_keys q
sleep 1
! grep -q "Sanitizer\|runtime error" "$TEST_TMP/dcops.err" 2>/dev/null ||
	{ echo "FAIL: the console's stderr:"; cat "$TEST_TMP/dcops.err"; exit 1; }
echo "standby: ok"
