#!/usr/bin/env bash
# delta-read.sh — the server's CPU for one console delta read, by form, with
# no NOTIFY and no console: pgbench, one client, prepared statements in one
# pipeline per read, on a private PostgreSQL with the 290-node fleet
# (issue 15: is a read's cost its statements, or the wake-ups around it?).
#   one     SELECT 1 (a pipeline's floor)
#   table   BEGIN, xmin + plan settings, one table (incident), its
#           tombstones, COMMIT: the read after a NOTIFY naming one table
#   nobegin the same without BEGIN/COMMIT
#   all     BEGIN, xmin, plan settings, 17 tables, tombstones, COMMIT:
#           every delta read before, the safety net's now
# Server CPU: the postmaster's reaped children and its live processes
# (/proc), per read. DELTA_READS reads per form (8000), DELTA_ROUNDS (2).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${DELTA_READS:-8000}
export LC_ALL=C.UTF-8 TZ=UTC
. tests/lib/pg.sh
WORK=$(mktemp -d /tmp/dcops-delta.XXXXXX)
chmod 755 "$WORK"
trap 'pg_stop "$WORK/pg"; rm -rf "$WORK"' EXIT
pg_start "$WORK/pg" >/dev/null
createdb mb
build/bin/dcops -q --db dbname=mb db migrate >/dev/null
build/bin/dcops -q --db dbname=mb seed --scale 1 >/dev/null
psql -qd mb -c "INSERT INTO dcops.incident (sev, title, source) VALUES (1, 'mark', 'bench')" -c ANALYZE
X=$(psql -Atqd mb -c "SELECT pg_snapshot_xmin(pg_current_snapshot())")
V=$(psql -Atqd mb -c "SELECT last_value FROM dcops.version_seq")
PM=$(head -n 1 "$WORK/pg/data/postmaster.pid")

server_ticks() { # fields after "pid (comm) ": 12 utime 13 stime 14 cutime 15 cstime
	local t p
	set -- $(sed 's/.*) //' "/proc/$PM/stat")
	t=$((${14} + ${15}))
	for p in $(pgrep -P "$PM"); do
		set -- $(sed 's/.*) //' "/proc/$p/stat")
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}
pipeline() { echo '\startpipeline'; cat; echo '\endpipeline'; }
W='version > :v::bigint OR txid >= :x::xid8'
BEGIN='BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;'
XMIN="SELECT pg_snapshot_xmin(pg_current_snapshot())::text, set_config('plan_cache_mode', 'force_generic_plan', true), set_config('enable_seqscan', 'off', true);"
INC="SELECT * FROM dcops.incident WHERE $W OR id = ANY (ARRAY(SELECT incident_id FROM dcops.incident_event WHERE $W));"
TOMB="SELECT tbl, row_id, version FROM dcops.tombstone WHERE ($W) AND tbl = ANY ('{incident}'::text[]);"
printf '%s\n' 'SELECT 1;' | pipeline >"$WORK/one.sql"
printf '%s\n' "$BEGIN" "$XMIN" "$INC" "$TOMB" 'COMMIT;' | pipeline >"$WORK/table.sql"
printf '%s\n' "$XMIN" "$INC" "$TOMB" | pipeline >"$WORK/nobegin.sql"
{
	printf '%s\n' "$BEGIN" 'SELECT pg_snapshot_xmin(pg_current_snapshot())::text;' \
		"SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('enable_seqscan', 'off', true);"
	for t in site rack partition node gpu tenant project quota job incident incident_event actions audit \
		setting shift handover_note drill_run; do
		echo "SELECT * FROM dcops.$t WHERE $W;"
	done
	printf '%s\n' "SELECT tbl, row_id, version FROM dcops.tombstone WHERE $W;" 'COMMIT;'
} | pipeline >"$WORK/all.sql"

echo "| form | server CPU µs / read | wall µs / read | load average |"
echo "|---|---|---|---|"
for _ in $(seq 1 "${DELTA_ROUNDS:-2}"); do
	for f in one table nobegin all; do
		c0=$(server_ticks)
		s0=$(date +%s%N)
		pgbench -n -M prepared -c 1 -t "$N" -D v="$V" -D x="$X" -f "$WORK/$f.sql" mb >"$WORK/$f.out" 2>&1 ||
			{ cat "$WORK/$f.out" >&2; exit 1; }
		s1=$(date +%s%N)
		sleep 0.5 # the backend's exit, so the postmaster has reaped its CPU
		c1=$(server_ticks)
		echo "| $f | $(( (c1 - c0) * 1000000 / $(getconf CLK_TCK) / N )) | $(( (s1 - s0) / 1000 / N )) | $(cut -d' ' -f1 /proc/loadavg) |"
	done
done
