# tel-stack.sh — the scaffolding of the tests that run dcopsd --telemetry
# end to end against the Slurm test cluster (slurm.sh), a real Prometheus
# and the test exporter (prom.sh), with the console in tmux (screen/lib.sh):
# telemetry.sh and xid_e2e.sh. Sourced; it sources those three and
# db-check.sh.
#   tel_stack_begin NAME  skips (exit 77) without Slurm, Prometheus, tmux or
#                         tests/run.sh's template; sets top (TEST_TMP, made
#                         absolute), dir (the cluster's), pdir (Prometheus's
#                         and the exporter's), db (dcops_NAME_PID) and dpid;
#                         tel_stack_stop runs on any exit
#   tel_stack_start       db from the template, the cluster, the exporter
#                         serving `write NODE` (the test's) for each of
#                         NODES, Prometheus scraping it every second; cd "$top"
#   NODES                 the test cluster's six GPU nodes
#   stop_dcopsd           stops the dcopsd whose pid is in dpid
#   tel_stack_stop        the console, dcopsd, Prometheus and the exporter,
#                         the cluster, and db dropped
#   fail MSG              says why, with dcopsd's log and the screen; exit 1
tel_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$tel_lib/slurm.sh"
. "$tel_lib/prom.sh"
. "$tel_lib/../screen/lib.sh"
. "$tel_lib/db-check.sh"

NODES="gwj-h100-001 gwj-h100-002 gwj-h100-003 gwj-h100-004 gwj-a100-001 gwj-a100-002"

tel_stack_begin() {
	local why
	why=$(slurm_unavailable)
	[ -z "$why" ] || { echo "skipped: $why"; exit 77; }
	why=$(prom_unavailable)
	[ -z "$why" ] || { echo "skipped: $why"; exit 77; }
	command -v tmux >/dev/null || { echo "skipped: no tmux"; exit 77; }
	[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
	top=${TEST_TMP:-$(mktemp -d "/tmp/dcops-$1.XXXXXX")}
	mkdir -p "$top" && top=$(cd "$top" && pwd)
	TEST_TMP=$top
	dir=$top/slurm
	pdir=$top/prom
	mkdir -p "$pdir"
	db=dcops_${1//-/_}_$$
	dpid=
	trap tel_stack_stop EXIT
	trap 'exit 130' INT TERM
}

stop_dcopsd() { [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null; dpid=; }

tel_stack_stop() {
	screen_stop
	stop_dcopsd
	prom_cleanup "$pdir"
	slurm_stop "$dir"
	dropdb --if-exists --force "$db" >/dev/null 2>&1 || true
}

fail() {
	echo "FAIL: $*" >&2
	echo "--- dcopsd log:" >&2; tail -n 30 "$top/dcopsd.log" >&2
	echo "--- screen:" >&2; screen_dump >&2
	exit 1
}

tel_stack_start() {
	local n
	createdb -T "$DCOPS_TEST_TEMPLATE" "$db" || fail "createdb"
	slurm_start "$dir" || fail "the cluster did not start"
	prom_exporter_start "$pdir" || fail "the test exporter did not start"
	for n in $NODES; do write "$n"; done
	prom_start "$pdir" 1 || fail "prometheus did not start"
	cd "$top" || fail "cd $top"
}
