# pg-standby.sh — a primary and a streaming hot standby for tests, both on
# Unix sockets in temp dirs (pg.sh's clusters), replicating through a
# physical slot: PostgreSQL's own machinery, nothing of ours in between.
# Source it after pg.sh (tests/faults/lib.sh does), then:
#   pgs_standby PRIMARY DIR    pg_basebackup -R of PRIMARY into DIR, slot
#                              "dcops_standby", started; waits until streaming
#   pgs_sync PRIMARY           makes the standby synchronous
#                              (synchronous_standby_names = '*'); waits for it
#   pgs_promote DIR            pg_ctl promote -w
#   pgs_kill9 DIR              kill -9 the postmaster and all its children
#                              (the machine died: no shutdown, no last WAL)
#   pgs_conninfo DIR...        "host=DIR1/sock,DIR2/sock port=5432,5432"
# pg_start/pg_restart export PGHOST for the last cluster started: the
# functions here leave PGHOST at the primary. Stop both with fault_cleanup
# (tests/faults/lib.sh) or pg_kill in the caller's EXIT trap: a killed or
# promoted cluster stops like any other.

pgs_wait() {
	local what=$1 sql=$2 host=$3 i
	for i in $(seq 1 150); do
		[ "$(psql -h "$host" -d postgres -Atqc "$sql" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	echo "pg-standby.sh: timed out waiting for $what" >&2
	return 1
}

pgs_standby() {
	local primary=$1 dir=$2 bin
	bin=$(pg_bindir)
	mkdir -p "$dir/sock"
	if [ "$(id -u)" -eq 0 ]; then chown -R "${DCOPS_PG_USER:-postgres}" "$dir"; fi
	# -R writes primary_conninfo (the primary's socket) and standby.signal;
	# -C -S creates the slot that keeps the WAL the standby still needs
	pg_as_owner "$bin/pg_basebackup" -h "$primary/sock" -U "$(id -un)" -D "$dir/data" \
		-R -C -S dcops_standby -X stream -c fast >"$dir/basebackup.log" 2>&1 ||
		{ cat "$dir/basebackup.log" >&2; return 1; }
	pg_restart "$dir" || return 1
	export PGHOST="$primary/sock"
	pgs_wait "the standby to stream" \
		"SELECT count(*) > 0 FROM pg_stat_replication WHERE state = 'streaming'" "$primary/sock"
}

# Set on the primary only (postgresql.auto.conf is not in the standby's
# copy): a promoted standby must not wait for a standby of its own.
pgs_sync() {
	local primary=$1
	psql -h "$primary/sock" -d postgres -Atqc "ALTER SYSTEM SET synchronous_standby_names = '*'" >/dev/null &&
		psql -h "$primary/sock" -d postgres -Atqc "SELECT pg_reload_conf()" >/dev/null &&
		pgs_wait "a synchronous standby" \
			"SELECT count(*) > 0 FROM pg_stat_replication WHERE sync_state = 'sync'" "$primary/sock"
}

pgs_promote() {
	pg_as_owner "$(pg_bindir)/pg_ctl" -D "$1/data" -w -t 30 promote >/dev/null
}

pgs_kill9() {
	local dir=$1 pm
	[ -f "$dir/data/postmaster.pid" ] || return 0
	pm=$(head -n 1 "$dir/data/postmaster.pid")
	# children first would let the postmaster notice and clean up: one signal each, at once
	kill -9 "$pm" $(pgrep -P "$pm") 2>/dev/null || true
	# dead once gone or a zombie (its reaper, pid 1 in a container, may be slow)
	while [ -e "/proc/$pm" ] && [ "$(awk '{print $3}' "/proc/$pm/stat" 2>/dev/null)" != Z ]; do
		sleep 0.02
	done
}

pgs_conninfo() {
	local hosts="" ports="" d
	for d in "$@"; do
		hosts="${hosts:+$hosts,}$d/sock"
		ports="${ports:+$ports,}5432"
	done
	echo "host=$hosts port=$ports"
}
