# lib.sh — the fleets `make bench` measures on, shared by run.sh and
# consoles.sh, and the setup of a bench with its own PostgreSQL (sim.sh,
# sites.sh). Source after pg.sh, with DCOPS, DCOPSD and WORK set, or
# first and call bench_begin; sim_start leaves the simulator's pid in SIM_PID.

# bench_begin NAME: from the tree's root (cd), with ROOT, BUILD, DCOPS and
# DCOPSD set (the caller's values kept), C.UTF-8 and UTC, a private
# PostgreSQL (tests/lib/pg.sh) started in WORK=/tmp/dcops-NAME.XXXXXX.
# On any exit it runs the script's bench_stop, if it defines one (its own
# processes), then stops that PostgreSQL and removes WORK.
bench_begin() {
	cd "$(dirname "$0")/../.."
	ROOT=$PWD
	BUILD=${BUILD:-build}
	DCOPS=${DCOPS:-$ROOT/$BUILD/bin/dcops}
	DCOPSD=${DCOPSD:-$ROOT/$BUILD/bin/dcopsd}
	export LC_ALL=C.UTF-8 TZ=UTC
	. tests/lib/pg.sh
	WORK=$(mktemp -d "/tmp/dcops-$1.XXXXXX")
	chmod 755 "$WORK"
	trap bench_end EXIT
	trap 'exit 130' INT TERM
	pg_start "$WORK/pg" >/dev/null
}
bench_end() {
	if declare -F bench_stop >/dev/null; then bench_stop; fi
	pg_stop "$WORK/pg"
	rm -rf "$WORK"
}

# fleet DB SCALE: a migrated, seeded database named DB.
fleet() {
	createdb "$1"
	"$DCOPS" -q --db "dbname=$1" db migrate >/dev/null
	"$DCOPS" -q --db "dbname=$1" seed --scale "$2" >/dev/null
}

# Tops the database up to 100,000 jobs: the simulator's own (a 25,000-node
# fleet warms up with ~50,000 running) plus jobs that ended in the last
# 50 minutes, spread over tenants and partitions, so all of them are in the
# console's window (live, or ended in the last hour). The simulator's
# scheduler leaves ended jobs alone, and at --speed 1 its pruning (after 4
# simulated hours) does not reach them during the run.
many_jobs() {
	psql -q -d "$1" -v ON_ERROR_STOP=1 <<'SQL'
WITH t AS (SELECT array_agg(id ORDER BY id) AS ids FROM dcops.tenant),
     p AS (SELECT array_agg(id ORDER BY id) AS ids FROM dcops.partition)
INSERT INTO dcops.job (tenant_id, partition_id, user_name, name, gpus, state, reason, submit_at, start_at, end_at)
SELECT t.ids[1 + g % cardinality(t.ids)], p.ids[1 + g % cardinality(p.ids)],
       'u' || (g % 500), 'bench-' || g, 1 + (g % 8),
       (ARRAY['completed','completed','failed','completed','cancelled','completed','timeout',
              'completed','node_fail','completed'])[1 + g % 10]::dcops.job_state,
       '', now() - make_interval(mins => 60 + g % 600), now() - make_interval(mins => 55 + g % 5),
       now() - make_interval(secs => g * 0.03)
FROM generate_series(1, greatest(0, 100000 - (SELECT count(*) FROM dcops.job))::int) g, t, p;
ANALYZE;
SQL
}

# Waits for the simulator's first tick: on an empty fleet it starts tens of
# thousands of jobs in one transaction, a one-off the console should not
# be measured through.
sim_warm() {
	for _ in $(seq 1 120); do
		[ "$(psql -Atq -d "$1" -c "SELECT count(*) > 0 FROM dcops.job WHERE state = 'running'")" = t ] && return 0
		sleep 1
	done
	echo "run.sh: the simulator never started a job" >&2
	return 1
}

# Jobs the console's full load reads (SQL_JOB_KEEP_S: live, or ended in the last hour).
console_jobs() {
	psql -Atq -d "$1" -c "SELECT count(*) FROM dcops.job WHERE state IN ('pending', 'running') OR end_at > now() - interval '1 hour'"
}

# Real time: telemetry is paced by the wall clock at any speed, but --speed
# scales job arrivals and the simulator's pruning of ended jobs (after 4
# simulated hours), so at --speed 60 the 100,000 jobs would be gone in the
# first minute of the 25,000-node run.
SPEED=${BENCH_SPEED:-1}
sim_start() {
	"$DCOPSD" --adapter sim --db "dbname=$1" --speed "$SPEED" --log "$WORK/sim-$1.log" &
	SIM_PID=$!
	sleep 3
}
sim_stop() {
	kill "$SIM_PID" 2>/dev/null || true
	wait "$SIM_PID" 2>/dev/null || true
	SIM_PID=
}

