#!/usr/bin/env bash
# sim-compare.sh OLD NEW — is the simulator faster or slower in tree NEW than
# in tree OLD, measured in one run on one machine so load cannot fake it.
# Each tree is a built checkout (its build/bin/dcops and dcopsd); e.g.
#   git worktree add /tmp/perf-old a09571b && make -C /tmp/perf-old
#   bash tests/bench/sim-compare.sh /tmp/perf-old .
# One private PostgreSQL (pg_stat_statements loaded; autovacuum on, as in
# service: without it the dead rows of extra writes cost more on every
# later scan than they would), one database per tree migrated and seeded
# by that tree's own dcops (its own backend/sql; 290 nodes, SIM_CMP_SCALE),
# copied from a template for every run so each starts from the same rows.
# Then, for OLD NEW OLD NEW (SIM_CMP_ROUNDS):
#   dcopsd --adapter sim flat out (--tick-ms 1 --speed 60000 --seed 7) for
#   SIM_CMP_TICKS ticks: wall s, dcopsd CPU s, server CPU s (the postmaster's
#   reaped children plus its live processes, from /proc), rows written, and
#   the server's statement time by pg_stat_statements.
# Then once per tree under callgrind (SIM_CMP_CG_TICKS ticks): dcopsd's
# instruction count, which no load changes.
# The top statements of the last run of each tree by total time are printed
# (SIM_CMP_TOP), to say where a difference goes.
set -euo pipefail
OLD=$(cd "${1:?usage: sim-compare.sh OLD-TREE NEW-TREE}" && pwd)
NEW=$(cd "${2:?usage: sim-compare.sh OLD-TREE NEW-TREE}" && pwd)
cd "$(dirname "$0")/../.."
TICKS=${SIM_CMP_TICKS:-600}
CG_TICKS=${SIM_CMP_CG_TICKS:-100}
SCALE=${SIM_CMP_SCALE:-1}
TOP=${SIM_CMP_TOP:-12}
ROUNDS=${SIM_CMP_ROUNDS:-"old new old new"}
export LC_ALL=C.UTF-8 TZ=UTC
. tests/lib/pg.sh
WORK=$(mktemp -d /tmp/dcops-simcmp.XXXXXX)
chmod 755 "$WORK"
cleanup() {
	pg_stop "$WORK/pg"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pg_start "$WORK/pg" >/dev/null
psql -qAt -d postgres -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
pg_stop "$WORK/pg"
pg_restart "$WORK/pg"
# statements inside functions and triggers too (a trigger's own cost shows)
psql -qAt -d postgres -c "ALTER SYSTEM SET pg_stat_statements.track = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
PM=$(head -n 1 "$WORK/pg/data/postmaster.pid")
TCK=$(getconf CLK_TCK)

tree() { case $1 in old) echo "$OLD" ;; new) echo "$NEW" ;; esac; }

# server_ticks: CPU clock ticks of the whole cluster so far: the postmaster's
# own and its reaped children's (fields 14-17), plus its live children's.
server_ticks() {
	local total pid
	total=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PM/stat")
	for pid in $(pgrep -P "$PM"); do
		total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
	done
	echo "$total"
}

for t in old new; do
	bin=$(tree $t)/build/bin
	createdb "simcmp_${t}_tpl"
	"$bin/dcops" -q --db "dbname=simcmp_${t}_tpl" db migrate >/dev/null
	"$bin/dcops" -q --db "dbname=simcmp_${t}_tpl" seed --scale "$SCALE" >/dev/null
	psql -qAt -d "simcmp_${t}_tpl" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" -c VACUUM -c ANALYZE
done
nodes=$(psql -At -d simcmp_new_tpl -c "SELECT count(*) FROM dcops.node")
echo "sim-compare: $nodes nodes, $TICKS ticks flat out per run; old $(git -C "$OLD" rev-parse --short HEAD), new $(git -C "$NEW" rev-parse --short HEAD)"
printf '%-4s %8s %8s %10s %10s %10s %9s %9s\n' tree wall-s ticks/s dcopsd-cpu server-cpu stmt-ms rows p50-ms
i=0
for t in $ROUNDS; do
	i=$((i + 1))
	db="simcmp_${t}_$i"
	createdb -T "simcmp_${t}_tpl" "$db"
	psql -qAt -d "$db" -c "SELECT pg_stat_statements_reset()" >/dev/null
	s0=$(server_ticks)
	w0=$(date +%s.%N)
	c0=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
	"$(tree $t)/build/bin/dcopsd" --adapter sim --db "dbname=$db" --speed 60000 --tick-ms 1 \
		--seed 7 --ticks "$TICKS" --log "$WORK/$db.log" --stats >"$WORK/$db.out" 2>&1
	c1=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
	w1=$(date +%s.%N)
	sleep 0.3 # the backend exits after dcopsd closes its connection
	s1=$(server_ticks)
	stmt=$(psql -At -d "$db" -c "SELECT round(sum(total_exec_time)) FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND toplevel")
	psql -At -F ' | ' -d "$db" -c "SELECT round(total_exec_time)::int, calls, rows,
		round((total_exec_time / calls)::numeric, 3),
		CASE WHEN toplevel THEN '' ELSE '(in a function) ' END || left(regexp_replace(query, '\\s+', ' ', 'g'), 110)
		FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		ORDER BY total_exec_time DESC LIMIT $TOP" >"$WORK/top.$t"
	out="$WORK/$db.out"
	printf '%-4s %8.2f %8s %10.2f %10.2f %10s %9s %9s\n' "$t" \
		"$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')" \
		"$(sed -n 's/.*(\([0-9.]*\) ticks\/s).*/\1/p' "$out" | tail -n 1)" \
		"$(awk -v a="$c0" -v b="$c1" -v k="$TCK" 'BEGIN { print (b - a) / k }')" \
		"$(awk -v a="$s0" -v b="$s1" -v k="$TCK" 'BEGIN { print (b - a) / k }')" \
		"$stmt" "$(sed -n 's/.* \([0-9]*\) rows (.*/\1/p' "$out" | tail -n 1)" \
		"$(sed -n 's/.*p50 \([0-9.]*\) ms.*/\1/p' "$out" | tail -n 1)"
	grep -q 'failed ticks' "$out" || { echo "sim-compare: no summary from dcopsd:"; tail -n 5 "$out"; }
	dropdb "$db"
done
for t in old new; do
	echo "-- $t: top statements by server time, last run (ms | calls | rows | ms/call | query)"
	cat "$WORK/top.$t"
done
if [ "$CG_TICKS" -gt 0 ] && command -v valgrind >/dev/null; then
	for t in old new; do
		db="simcmp_${t}_cg"
		createdb -T "simcmp_${t}_tpl" "$db"
		valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$t" "$(tree $t)/build/bin/dcopsd" \
			--adapter sim --db "dbname=$db" --speed 60000 --tick-ms 1 --seed 7 --ticks "$CG_TICKS" \
			--log "$WORK/$db.log" >"$WORK/cg.$t.out" 2>&1
		echo "-- $t: dcopsd instructions for $CG_TICKS ticks: $(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$WORK/cg.$t.out")"
		callgrind_annotate "$WORK/cg.$t" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n '3,10p'
		dropdb "$db"
	done
fi
