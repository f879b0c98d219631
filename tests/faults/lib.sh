# lib.sh — shared by the fault tests, which break their own database and
# so each start a private cluster instead of using the harness's one.
# Source it after tests/screen/lib.sh when the test drives the console:
#   fault_ms                 wall clock in milliseconds
#   fault_cluster DIR DB     a cluster in DIR with database DB, migrated and
#                            loaded with the screen fixture (screen_db);
#                            commits there are durable (see below)
#   fault_pids DIR           the cluster's processes: postmaster and children
#   fault_elapsed T0         milliseconds since T0 (from fault_ms)
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

fault_cleanup() {
	local dir=$1 p
	for p in $(fault_pids "$dir"); do kill -CONT "$p" 2>/dev/null || true; done
	pg_kill "$dir"
}
