#!/usr/bin/env bash
# relay-prefer-standby.sh — `dcops relay` on a multi-host conninfo that
# prefers a standby (`host=STANDBY,PRIMARY target_session_attrs=
# prefer-standby`), and that standby dies (issue 15). A primary with 290
# nodes streams to a hot standby (pg-standby.sh); the relay reads the
# standby (its log and a console through it say STANDBY; the console says
# RELAY UP). The standby's postmaster and children are killed with -9 (the
# machine died) and a node's change is committed on the primary at once.
# Then: the relay stays up, notices, tries the hosts again by itself and
# lands on the primary (its log: database up, no longer a hot standby);
# its console goes STALE while the link is down, keeps its 290 rows, gets
# one RESET and a fresh snapshot, shows the change, and its header no
# longer says STANDBY; after that it follows the primary live, by NOTIFY
# (a drain by `dcops drain` on the read-write form of the same hosts).
# Prints kill -> STALE and kill -> the change on screen in ms; live again
# within 10 s. Neither the console nor the relay may exit or crash.
# Killed, the standby is then restarted: the relay (on the primary through
# a prefer-standby string, it looks for a standby every 10 s) goes back to
# it and its console says STANDBY again. Stopped once more, it comes back
# behind a change the console shows (its replay held): the relay stays on
# the primary until the standby has replayed that change.
# Hung, a drain by `dcops` on the read-write string (the standby first)
# and one from the console's keys (its write connection) must both reach
# the primary: each connect leaves the server that says nothing.
# relay-prefer-hang.sh runs this with RELAY_PREFER_HANG=1: the standby's
# processes are SIGSTOPped instead (it hangs: its socket still accepts),
# the relay sees it by its deadline (3 s) and its next try leaves that
# server out (libpq moves on from a host that refuses, not from one that
# hangs), so it lands on the primary too.
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
. "$DCOPS_ROOT/tests/lib/pg-standby.sh"
. "$DCOPS_ROOT/tests/lib/relay.sh"
set -e
hang=${RELAY_PREFER_HANG:-}
pdir="$TEST_TMP/p" sdir="$TEST_TMP/s"
rsock="$TEST_TMP/relay.sock" rlog="$TEST_TMP/relay.log"
RPID=
cleanup() {
	screen_stop
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	fault_cleanup "$sdir"
	fault_cleanup "$pdir"
}
trap cleanup EXIT
fault_standby_pair "$pdir" "$sdir" rps
# the standby first: libpq takes it while it is up, the primary otherwise
MH="$(pgs_conninfo "$sdir" "$pdir") dbname=rps target_session_attrs=prefer-standby"
RW="$(pgs_conninfo "$sdir" "$pdir") dbname=rps target_session_attrs=read-write"

relay_spawn "$DCOPS" "$MH" "$rsock" "$rlog"
RPID=$SPAWNED
# a console through the relay on the same conninfo (its writes would go
# to the primary: a multi-host --db is made read-write for them)
SCREEN_ENV="DCOPS_STATS=$TEST_TMP/stats" screen_start 120 40 --db "'$MH'" --relay "$rsock"
screen_wait "RELAY UP STANDBY lag 0s"
screen_wait "290 nodes"
screen_match "tn-a100-001 +a100"
grep -q "database up (a hot standby: following its replay)" "$rlog" ||
	{ echo "FAIL: the relay is not on the standby:"; cat "$rlog"; exit 1; }
# live through the standby before the kill
onp "UPDATE dcops.node SET health = 'warn' WHERE name = 'tn-a100-002'"
screen_match "tn-a100-002 +a100 .* warn" 3
! screen_dump | grep -q STALE || { echo "FAIL: STALE before the kill"; screen_dump; exit 1; }

# ---- the standby dies (or hangs); a change is committed on the primary at once
t_kill=$(fault_ms)
if [ -n "$hang" ]; then
	for p in $(fault_pids "$sdir"); do kill -STOP "$p"; done
else
	pgs_kill9 "$sdir"
fi
onp "UPDATE dcops.node SET sched_state = 'down' WHERE name = 'tn-a100-001'"
stale_ms= live_ms= link=
until [ -n "$live_ms" ]; do
	d=$(screen_dump)
	[ -z "$stale_ms" ] && grep -q STALE <<<"$d" && stale_ms=$(fault_elapsed "$t_kill") &&
		link=$(grep -o "RELAY [A-Z]*" <<<"$d" | head -n 1)
	if grep -Eq "tn-a100-001 +a100 .*down" <<<"$d"; then
		grep -q "RELAY UP" <<<"$d" && ! grep -q "STALE\|STANDBY" <<<"$d" && live_ms=$(fault_elapsed "$t_kill")
	fi
	grep -q "290 nodes" <<<"$d" || { echo "FAIL: the console lost its rows:"; echo "$d"; exit 1; }
	kill -0 "$RPID" 2>/dev/null || { echo "FAIL: the relay exited:"; cat "$rlog"; exit 1; }
	[ "$(fault_elapsed "$t_kill")" -lt 15000 ] ||
		{ echo "FAIL: the console did not follow the relay to the primary:"; echo "$d"; cat "$rlog"; exit 1; }
	sleep 0.02
done
echo "standby $([ -n "$hang" ] && echo hung || echo killed): console through the relay STALE (${link:-?}) ${stale_ms:-never} ms after the kill," \
	"the primary's change on screen (RELAY UP, no STANDBY) ${live_ms} ms after it"
[ -n "$stale_ms" ] || { echo "FAIL: the console never said STALE while its relay had no database"; exit 1; }
[ "$live_ms" -le 10000 ] || { echo "FAIL: live again after ${live_ms} ms (limit 10000)"; exit 1; }

# the relay: down, then up on the primary (not a standby), one RESET and
# snapshot to its one console, nobody dropped
grep "dcops relay: database" "$rlog" >"$TEST_TMP/relay-db.log" || true
tail -n 1 "$TEST_TMP/relay-db.log" | grep -q "database up$" &&
	grep -q "database down\|database connecting" "$TEST_TMP/relay-db.log" &&
	{ [ -z "$hang" ] || grep -q "no answer from the server in 3000 ms (trying the other hosts first)" "$TEST_TMP/relay-db.log"; } ||
	{ echo "FAIL: the relay's log:"; cat "$rlog"; exit 1; }
resets=$(grep -c "RESET and a new snapshot" "$rlog" || true)
drops=$(grep -c "dropped" "$rlog" || true)
echo "relay: $resets RESET + snapshot, $drops clients dropped"
[ "$resets" = 1 ] && [ "$drops" = 0 ] || { echo "FAIL: the relay's console did not follow with one RESET:"; cat "$rlog"; exit 1; }

# ---- on the primary now, by NOTIFY: a drain through `dcops` on the
# read-write form of the same hosts, the standby first (hung: the
# script's connect hears nothing from it for 5 s, leaves it out and
# lands on the primary; it used to wait on it for good)
t0=$(fault_ms)
timeout 30 "$DCOPS" --db "$RW" drain tn-a100-002 --reason "relay prefer-standby drain" >/dev/null ||
	{ echo "FAIL: the drain on '$RW' did not complete (rc $?)"; exit 1; }
drain_ms=$(fault_elapsed "$t0")
screen_match "tn-a100-002 .*drain pending" 3
echo "a drain by dcops on the read-write string: done in $drain_ms ms, on the console through the relay $(fault_elapsed "$t0") ms after it began"
[ -z "$hang" ] || [ "$drain_ms" -lt 15000 ] || { echo "FAIL: the drain took $drain_ms ms (limit 15000)"; exit 1; }
! screen_dump | grep -q "STANDBY" || { echo "FAIL: the header still says STANDBY"; screen_dump; exit 1; }
if [ -n "$hang" ]; then
	# the console's own write connection (the read-write form of its --db):
	# its connect leaves the hung standby too, within the action's 12 s
	t0=$(fault_ms)
	screen_keys / "tn-h100-001" Enter
	screen_keys D
	screen_wait "Drain tn-h100-001"
	screen_keys "hung standby console drain" Enter Enter Enter Enter
	screen_wait "y confirm"
	screen_keys y
	screen_wait "requested (action #" 15
	echo "a drain from the console's keys (its write connection past the hung standby): $(fault_elapsed "$t0") ms"
	[ "$(onp "SELECT count(*) FROM dcops.actions WHERE reason = 'hung standby console drain'")" = 1 ] ||
		{ echo "FAIL: the console's drain is not on the primary"; exit 1; }
	screen_keys Escape
fi

if [ -z "$hang" ]; then
	# ---- the standby comes back: the relay, on the primary through a
	# prefer-standby string, looks for a standby every 10 s and goes back
	# to it (RESET and snapshot), so the primary is spared again
	t0=$(fault_ms)
	keep_pghost=$PGHOST
	# its killed postmaster may linger as a zombie where PID 1 does not
	# reap: postgres would take its pid and socket lock files for a live server
	rm -f "$sdir/data/postmaster.pid" "$sdir"/sock/.s.PGSQL.*
	pg_restart "$sdir"
	export PGHOST=$keep_pghost
	screen_wait "RELAY UP STANDBY" 30
	back_ms=$(fault_elapsed "$t0")
	[ "$(grep -c "database up (a hot standby" "$rlog")" -ge 2 ] ||
		{ echo "FAIL: the relay's log does not say it is on the standby again:"; cat "$rlog"; exit 1; }
	onp "UPDATE dcops.node SET health = 'fail' WHERE name = 'tn-a100-002'"
	screen_match "tn-a100-002 +a100 .* fail" 5
	echo "the standby restarted: the relay back on it, its console saying STANDBY, $back_ms ms after the restart began"
	[ "$back_ms" -le 25000 ] || { echo "FAIL: back on the standby after $back_ms ms (limit 25000)"; exit 1; }

	# ---- it stops again; on the primary, a change; then it comes back
	# behind that change (its replay held by recovery_min_apply_delay):
	# the relay must stay on the primary, for its console would lose the
	# change; once the standby has replayed it, the relay goes back
	pg_stop "$sdir"
	t1=$(fault_ms)
	onp "UPDATE dcops.node SET health = 'warn' WHERE name = 'tn-h100-001'"
	until d=$(screen_dump) && grep -Eq "tn-h100-001 +h100 .* warn" <<<"$d" && grep -q "RELAY UP" <<<"$d" &&
		! grep -q "STALE\|STANDBY" <<<"$d"; do
		[ "$(fault_elapsed "$t1")" -lt 15000 ] || { echo "FAIL: not back on the primary:"; echo "$d"; cat "$rlog"; exit 1; }
		sleep 0.1
	done
	echo "recovery_min_apply_delay = '1h'" >>"$sdir/data/postgresql.auto.conf"
	pg_restart "$sdir"
	export PGHOST=$keep_pghost
	[ "$(ons "SELECT health FROM dcops.node WHERE name = 'tn-h100-001'")" = ok ] ||
		{ echo "FAIL: the restarted standby already has the change: nothing to test"; exit 1; }
	ups=$(grep -c "database up (a hot standby" "$rlog")
	sleep 12 # more than one probe (every 10 s) while it is up and behind
	d=$(screen_dump)
	grep -Eq "tn-h100-001 +h100 .* warn" <<<"$d" && ! grep -q "STANDBY" <<<"$d" &&
		[ "$(grep -c "database up (a hot standby" "$rlog")" = "$ups" ] ||
		{ echo "FAIL: the relay went to a standby that had not replayed what its console showed:"; echo "$d"; cat "$rlog"; exit 1; }
	echo "the standby back but behind (replay held): the relay stayed on the primary for 12 s, the change still on screen"
	sed -i '/recovery_min_apply_delay/d' "$sdir/data/postgresql.auto.conf"
	pg_as_owner "$(pg_bindir)/pg_ctl" -D "$sdir/data" reload >/dev/null
	t1=$(fault_ms)
	screen_wait "RELAY UP STANDBY" 30
	screen_match "tn-h100-001 +h100 .* warn" 3
	echo "its replay let go: the relay back on the standby, the change on screen, $(fault_elapsed "$t1") ms later"
fi

# the console quits cleanly (under SANITIZE=1: no report from ASan/LSan);
# the relay is still running and stops on SIGTERM
screen_keys q
sleep 1
kill -0 "$RPID" 2>/dev/null || { echo "FAIL: the relay exited:"; cat "$rlog"; exit 1; }
kill "$RPID" && wait "$RPID" 2>/dev/null || true
RPID=
! grep -q "Sanitizer\|runtime error" "$TEST_TMP/dcops.err" "$rlog" 2>/dev/null ||
	{ echo "FAIL: the console's or the relay's stderr:"; cat "$TEST_TMP/dcops.err" "$rlog"; exit 1; }
echo "relay-prefer-$([ -n "$hang" ] && echo hang || echo standby): ok"
