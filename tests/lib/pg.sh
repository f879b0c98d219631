# pg.sh — a private PostgreSQL for tests: initdb in a temp dir, Unix socket
# only, no TCP, nothing of the system touched. Source it, then:
#   pg_start DIR   initdb (once) + start; exports PGHOST PGPORT PGUSER
#   pg_stop DIR    stop immediately (safe when not running)
#   pg_kill DIR    stop -m immediate (a crash, for fault tests)
#   pg_restart DIR start again after a stop or kill
# PostgreSQL refuses to run as root: as root the cluster runs as the
# unprivileged user $DCOPS_PG_USER (default: postgres, from Debian's package)
# and the superuser role is named after the calling user, so psql and dcops
# connect with libpq's defaults.

pg_bindir() {
	if [ -n "${DCOPS_PG_BINDIR:-}" ]; then echo "$DCOPS_PG_BINDIR"; return; fi
	if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
		pg_config --bindir; return
	fi
	ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# Runs a PostgreSQL server tool as the cluster's owner, from / : the
# caller's directory (a tree under /root) may be closed to that user, and
# initdb and pg_ctl then say "could not change directory". Paths given to
# these functions are absolute.
pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u "${DCOPS_PG_USER:-postgres}" -- "$@")
	else
		"$@"
	fi
}

pg_start() {
	dir=$1
	bin=$(pg_bindir)
	[ -x "$bin/initdb" ] || { echo "pg.sh: initdb not found (is postgresql installed?)" >&2; return 1; }
	mkdir -p "$dir/sock"
	if [ "$(id -u)" -eq 0 ]; then chown -R "${DCOPS_PG_USER:-postgres}" "$dir"; fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		pg_as_owner "$bin/initdb" -D "$dir/data" -U "$(id -un)" --auth=trust \
			-E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; return 1; }
	fi
	pg_restart "$dir"
}

pg_restart() {
	dir=$1
	bin=$(pg_bindir)
	pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses='' -k '$dir/sock' -c fsync=off -c full_page_writes=off \
		    -c synchronous_commit=off -c max_connections=200 -c timezone=UTC" \
		start >/dev/null || { tail -n 20 "$dir/server.log" >&2; return 1; }
	export PGHOST="$dir/sock" PGPORT=5432 PGUSER="$(id -un)"
}

pg_stop() {
	dir=$1
	[ -f "$dir/data/postmaster.pid" ] || return 0
	pg_as_owner "$(pg_bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

pg_kill() {
	dir=$1
	pg_as_owner "$(pg_bindir)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
}
