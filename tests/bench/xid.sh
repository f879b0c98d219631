#!/usr/bin/env bash
# xid.sh — Xid-to-incident-on-screen latency (issue 14), real parts: the
# test exporter's page for gwj-h100-001 changes its Xid, a real Prometheus
# scrapes it every SCRAPE seconds, dcopsd --adapter slurm --telemetry
# prometheus=URL reads every second and raises the incident, and the
# console (tests/bench/console.c --xid, in a pty) draws it. The floor is
# the scrape interval plus the telemetry cycle: the change waits up to one
# of each before dcopsd sees it.
# Usage: BUILD=build bash tests/bench/xid.sh [SAMPLES] [SCRAPE]   (needs
# Slurm, prometheus; a PostgreSQL in PGHOST, as make bench starts)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
export DCOPS_ROOT=$ROOT LC_ALL=C.UTF-8 TZ=UTC
DCOPS="$ROOT/$BUILD/bin/dcops" DCOPSD="$ROOT/$BUILD/bin/dcopsd"
N=${1:-20} SCRAPE=${2:-1}
. "$ROOT/tests/lib/slurm.sh"
. "$ROOT/tests/lib/prom.sh"
why=$(slurm_unavailable)$(prom_unavailable)
[ -z "$why" ] || { echo "(skipped: $why)"; exit 0; }
T=$(mktemp -d /tmp/dcops-bench-xid.XXXXXX)
chmod 755 "$T"
db=bench_xid_$$ dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	prom_cleanup "$T/prom"
	slurm_stop "$T/slurm"
	dropdb --if-exists "$db" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/prom"
page() { # NODE XID: 8 GPUs, the Xid on GPU 3
	local g x
	for g in 0 1 2 3 4 5 6 7; do
		x=0
		[ $g = 3 ] && x=$2
		local l="gpu=\"$g\",UUID=\"GPU-$1-$g\",Hostname=\"$1\""
		printf 'DCGM_FI_DEV_GPU_UTIL{%s} 10\nDCGM_FI_DEV_GPU_TEMP{%s} 40\nDCGM_FI_DEV_XID_ERRORS{%s} %s\n' \
			"$l" "$l" "$l" "$x"
	done
}
createdb "$db" && "$DCOPS" -q --db "dbname=$db" db migrate >/dev/null || exit 1
slurm_start "$T/slurm" >"$T/slurm.log" 2>&1 || { echo "(the Slurm cluster did not start)"; exit 1; }
prom_exporter_start "$T/prom" || exit 1
for n in gwj-h100-001 gwj-h100-002 gwj-h100-003 gwj-h100-004 gwj-a100-001 gwj-a100-002; do
	prom_exporter_write "$T/prom" "$n" "$(page "$n" 0)"
done
prom_start "$T/prom" "$SCRAPE" || exit 1
"$DCOPSD" --adapter slurm --db "dbname=$db" --poll-nodes 1 --poll-jobs 1 --poll-accounting 5 \
	--telemetry "prometheus=$PROM_URL" --telemetry-every 1 --log "$T/dcopsd.log" >/dev/null 2>&1 &
dpid=$!
for _ in $(seq 1 60); do
	[ "$(psql -Atq -d "$db" -c "SELECT count(*) FROM dcops.gpu WHERE metrics_at IS NOT NULL")" = 48 ] && break
	sleep 0.5
done
# the command the bench runs with the Xid: the page rewritten (an atomic mv)
cat >"$T/xid" <<SH
#!/usr/bin/env bash
. "$ROOT/tests/lib/prom.sh"
p=\$(cat "$T/page-\$1")
prom_exporter_write "$T/prom" gwj-h100-001 "\$p"
SH
chmod +x "$T/xid"
for k in 1 2 3 4 5; do page gwj-h100-001 $((11111 * k)) >"$T/page-$((11111 * k))"; done
echo "| scrape interval (the floor, plus a 1 s telemetry cycle) | Xid → incident on screen p50 / p99 / max ms |"
echo "|---|---|"
"$ROOT/$BUILD/bench/console" --db "dbname=$db" --dcops "$DCOPS" --ready gwj- --samples "$N" \
	--xid "$T/xid" --jitter $((SCRAPE * 1000 + 1000)) --label "${SCRAPE} s"
