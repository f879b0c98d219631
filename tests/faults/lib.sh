# lib.sh — shared by the fault tests, which break their own database and
# so each start a private cluster instead of using the harness's one.
# Source it after tests/screen/lib.sh when the test drives the console:
#   fault_ms                 wall clock in milliseconds
#   fault_cluster DIR DB     a cluster in DIR with database DB, migrated and
#                            loaded with the screen fixture (screen_db);
#                            commits there are durable (see below)
#   fault_pids DIR           the cluster's processes: postmaster and children
#   fault_elapsed T0         milliseconds since T0 (from fault_ms)
#   fault_sim_start LOG ARG..  dcopsd --adapter sim on $DB with 200 ms ticks
#                            and the ARGs, its log in LOG and a line per
#                            tick in LOG.ticks; returns once it ticks; sets
#                            simpid
#   fault_sim_kill           SIGKILLs $simpid when it still runs (EXIT traps)
#   fault_lock DB TABLE      another session (application_name "holder")
#                            holds TABLE in ACCESS EXCLUSIVE mode; returns
#                            once the lock is granted; sets holder (its psql)
#   fault_unlock DB          ends that session (its locks go with it)
# A test sets its own EXIT trap; fault_cleanup DIR stops the cluster, even
# a SIGSTOPped one.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "lib.sh is sourced by the fault tests, not run"
	exit 77
fi
. "$DCOPS_ROOT/tests/lib/pg.sh"

fault_ms() { date +%s%3N; }
fault_elapsed() { echo $(($(fault_ms) - $1)); }

# pg.sh starts clusters with synchronous_commit=off for speed: a crash
# (pg_ctl stop -m immediate) may then lose commits the client saw succeed.
# The fault tests kill the server on purpose, so their database asks for
# durable commits, as a production server has by default; a database
# setting outranks the command line.
fault_cluster() {
	local dir=$1 db=$2
	pg_start "$dir" || return 1
	createdb "${db}_tmpl" &&
		"$DCOPS" -q --db "dbname=${db}_tmpl" db migrate >/dev/null &&
		DCOPS_TEST_TEMPLATE="${db}_tmpl" screen_db "$db" &&
		psql -q -d "$db" -c "ALTER DATABASE $db SET synchronous_commit = on" >/dev/null &&
		# the fixture itself was committed asynchronously: write it out
		# before any test kills the server
		psql -q -d "$db" -c "CHECKPOINT" >/dev/null
}

fault_pids() {
	local dir=$1 pm
	[ -f "$dir/data/postmaster.pid" ] || return 0
	pm=$(head -n 1 "$dir/data/postmaster.pid")
	echo "$pm"
	pgrep -P "$pm" || true
}

fault_sim_start() {
	local log=$1
	shift
	"$DCOPSD" --adapter sim --db "$DB" --tick-ms 200 --verbose --log "$log" "$@" >"$log.ticks" &
	simpid=$!
	for _ in $(seq 100); do grep -q "^tick " "$log.ticks" 2>/dev/null && return 0; sleep 0.1; done
	echo "FAIL: dcopsd did not start ticking:"; cat "$log"; exit 1
}

fault_sim_kill() {
	if [ -n "${simpid:-}" ] && kill -0 "$simpid" 2>/dev/null; then
		kill -9 "$simpid" 2>/dev/null || true
		wait "$simpid" 2>/dev/null || true
	fi
}

fault_lock() {
	local db=$1 table=$2
	PGAPPNAME=holder psql -q -d "$db" -c "BEGIN; LOCK TABLE $table IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600)" \
		>/dev/null 2>&1 &
	holder=$!
	for _ in $(seq 50); do
		[ "$(psql -Atq -d "$db" -c "SELECT count(*) FROM pg_locks WHERE relation = '$table'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] && return 0
		sleep 0.1
	done
	echo "FAIL: $table was not locked"; exit 1
}

fault_unlock() {
	psql -Atq -d "$1" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" >/dev/null
	wait "$holder" 2>/dev/null || true
	holder=
}

fault_cleanup() {
	local dir=$1 p
	for p in $(fault_pids "$dir"); do kill -CONT "$p" 2>/dev/null || true; done
	pg_kill "$dir"
}

# fault_standby_pair PDIR SDIR DB: fault_cluster's fixture grown to the
# Gwangju site's 290 nodes (286 idle H100 nodes tn-z001.., guard rail at
# 100%) on a primary in PDIR, and a streaming standby in SDIR
# (pg-standby.sh, which the caller sources) that has replayed it. Sets P
# and S (their conninfo); onp SQL and ons SQL run psql -Atc on either.
fault_standby_pair() {
	local pdir=$1 sdir=$2 db=$3
	fault_cluster "$pdir" "$db" || return 1
	psql -q -d "$db" -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || return 1
UPDATE dcops.setting SET value = '100' WHERE key = 'guard.drain_pct';
INSERT INTO dcops.node (name, rack_id, slot, partition_id, model, gpu_count, sched_state, admin_state, health)
SELECT 'tn-z' || lpad(g::text, 3, '0'), 3, g, 1, 'H100', 8, 'idle', 'active', 'ok' FROM generate_series(1, 286) g;
INSERT INTO dcops.gpu (node_id, idx, uuid, util_pct, mem_used_mib, mem_total_mib, temp_c, power_w)
SELECT n.id, i, format('GPU-%s-%s', n.id, i), 0, 0, 81920, 30, 60
  FROM dcops.node n, generate_series(0, 7) i WHERE n.name LIKE 'tn-z%';
SQL
	pgs_standby "$pdir" "$sdir" || return 1
	P="host=$pdir/sock dbname=$db" S="host=$sdir/sock dbname=$db"
	FAULT_PAIR_DB=$db FAULT_PAIR_P=$pdir FAULT_PAIR_S=$sdir
	for _ in $(seq 100); do [ "$(ons "SELECT count(*) FROM dcops.node" 2>/dev/null)" = 290 ] && return 0; sleep 0.1; done
	echo "FAIL: the standby has not replayed the fixture"
	return 1
}
onp() { psql -q -h "$FAULT_PAIR_P/sock" -d "$FAULT_PAIR_DB" -Atc "$1"; }
ons() { psql -q -h "$FAULT_PAIR_S/sock" -d "$FAULT_PAIR_DB" -Atc "$1"; }

# fault_screen_latency WHAT: 30 commits on the primary (onp) flipping
# tn-a100-002 between down and idle, each timed until the console's screen
# shows it (5 s at most each); prints "WHAT: p50 N ms, p99 N ms" and fails
# when p99 is 250 ms or more (issue 15's goal).
fault_screen_latency() {
	local lat=() state=down i t0 sorted p50 p99
	for i in $(seq 1 30); do
		onp "UPDATE dcops.node SET sched_state = '$state' WHERE name = 'tn-a100-002'"
		t0=$(fault_ms)
		until screen_dump | grep -Eq "tn-a100-002 +a100 .*$state"; do
			[ $(($(fault_ms) - t0)) -lt 5000 ] || { echo "FAIL: change $i not on the screen"; screen_dump; return 1; }
			sleep 0.005
		done
		lat+=($(($(fault_ms) - t0)))
		state=$([ "$state" = down ] && echo idle || echo down)
	done
	sorted=($(printf '%s\n' "${lat[@]}" | sort -n))
	p50=${sorted[14]} p99=${sorted[29]}
	echo "$1: p50 ${p50} ms, p99 ${p99} ms (30 changes)"
	[ "$p99" -lt 250 ] || { echo "FAIL: p99 ${p99} ms (limit 250)"; return 1; }
}

# fault_console_drain REASON: the console on screen (one node filtered,
# tn-a100-002) drains it with REASON; the action must be on the primary
# (onp), the screen must say "drain pending", and no write may have
# reached the standby (its server.log under $sdir).
fault_console_drain() {
	screen_keys D
	screen_wait "Drain tn-a100-002"
	screen_keys "$1" Enter Enter Enter Enter
	screen_wait "y confirm"
	screen_keys y
	screen_wait "requested (action #" 10
	[ "$(onp "SELECT count(*) FROM dcops.actions WHERE reason = '$1'")" = 1 ] ||
		{ echo "FAIL: the console's drain is not on the primary"; return 1; }
	screen_match "tn-a100-002 .*drain pending" 5
	! grep -q "read-only transaction" "$sdir/server.log" || { echo "FAIL: a write reached the standby"; return 1; }
}
