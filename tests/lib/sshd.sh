# sshd.sh — private OpenSSH servers for tests, on 127.0.0.1 only, run as the
# calling user (root in CI, anyone elsewhere), nothing of the system's sshd
# touched. Source it, or run it as a command:
#
#   sshd_start DIR [PORT] [-- EXTRA CONFIG LINES...]
#        host key (generated once), sshd_config, `sshd -D -e` in the
#        background; a free high port unless PORT is given (restart on the
#        same port, same extra lines). $SSHD_USER_PUBS: the authorized public
#        key files (needed the first time).
#        Prints the port; DIR/port and DIR/pid hold port and pid.
#   sshd_stop DIR     TERM the server and its per-connection children
#   sshd_kill DIR     KILL them (a crash)
#   sshd_freeze DIR   STOP them: sockets stay open, nothing answers
#   pgtcp_start DIR   a private PostgreSQL on 127.0.0.1:<free port>
#                     (pg.sh's clusters are socket-only); prints the port
#   pgtcp_stop DIR
#
#   bash tests/lib/sshd.sh with-fixtures CMD...
#        a user key pair (and one with the passphrase "sesame"), a bastion
#        sshd (PermitOpen: the test database and the node only), a node
#        sshd whose PATH starts with tests/fixtures (the fixture
#        nvidia-smi), a TCP PostgreSQL; runs CMD with DCOPS_SSH_* and
#        DCOPS_PGTCP_PORT set, and stops everything on any exit.
#   bash tests/lib/sshd.sh start|stop|kill|freeze DIR [PORT]
#
# As root, sshd insists on its privilege separation directory (/run/sshd on
# Debian); it is created if missing, as the openssh-server package would.

SSHD_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

. "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"
sshd_free_port() { free_port; }

# Children first, then the parent, so none is reparented and missed.
sshd_tree() {
	local pid=$1 c
	for c in $(ps -o pid= --ppid "$pid" 2>/dev/null); do sshd_tree "$c"; done
	echo "$pid"
}

sshd_signal() {
	local dir=$1 sig=$2 pid
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	kill -0 "$pid" 2>/dev/null || return 0
	# shellcheck disable=SC2046
	kill -"$sig" $(sshd_tree "$pid") 2>/dev/null || true
}

sshd_start() {
	local dir=$1 port=${2:-} fixed=${2:-}
	shift; [ $# -gt 0 ] && shift
	[ "${1:-}" = "--" ] && shift
	mkdir -p "$dir"
	# Extra config lines are remembered, so a restart gets the same server.
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@" >"$dir/extra"
	elif [ -f "$dir/extra" ]; then
		mapfile -t extra <"$dir/extra"
		set -- "${extra[@]}"
	fi
	if [ -n "${SSHD_USER_PUBS:-}" ]; then
		cat $SSHD_USER_PUBS >"$dir/authorized_keys" || return 1
	fi
	[ -s "$dir/authorized_keys" ] || { echo "sshd.sh: set SSHD_USER_PUBS" >&2; return 1; }
	local sshd=${DCOPS_SSHD:-/usr/sbin/sshd}
	[ -x "$sshd" ] || { echo "sshd.sh: $sshd not found (is openssh-server installed?)" >&2; return 1; }
	if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
		mkdir -p /run/sshd && chmod 755 /run/sshd
	fi
	[ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "dcops-test-host" -f "$dir/host_ed25519" || return 1
	local tries=0
	while :; do
		[ -n "$port" ] || port=$(sshd_free_port) || return 1
		{
			echo "ListenAddress 127.0.0.1"
			echo "Port $port"
			echo "HostKey $dir/host_ed25519"
			echo "PidFile $dir/sshd.pid"
			echo "AuthorizedKeysFile $dir/authorized_keys"
			echo "PubkeyAuthentication yes"
			echo "PasswordAuthentication no"
			echo "KbdInteractiveAuthentication no"
			echo "UsePAM no"
			echo "StrictModes no"
			echo "PermitRootLogin prohibit-password"
			echo "AllowTcpForwarding yes"
			echo "X11Forwarding no"
			echo "PrintMotd no"
			echo "LoginGraceTime 30"
			echo "MaxStartups 100"
			echo "MaxSessions 100"
			echo "LogLevel VERBOSE"
			for line in "$@"; do echo "$line"; done
		} >"$dir/sshd_config"
		"$sshd" -t -f "$dir/sshd_config" || { echo "sshd.sh: bad config $dir/sshd_config" >&2; return 1; }
		"$sshd" -D -e -f "$dir/sshd_config" >>"$dir/sshd.log" 2>&1 &
		echo $! >"$dir/pid"
		echo "$port" >"$dir/port"
		local i
		for i in $(seq 1 100); do
			if grep -q "Server listening on 127.0.0.1 port $port" "$dir/sshd.log" 2>/dev/null; then
				echo "$port"; return 0
			fi
			kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
			sleep 0.05
		done
		sshd_signal "$dir" KILL
		tries=$((tries + 1))
		if [ -n "$fixed" ] || [ $tries -ge 5 ]; then
			echo "sshd.sh: sshd did not start on port $port:" >&2; tail -n 5 "$dir/sshd.log" >&2
			return 1
		fi
		port=""
	done
}

sshd_stop() { sshd_signal "$1" TERM; sshd_signal "$1" CONT; }
sshd_kill() { sshd_signal "$1" KILL; }
sshd_freeze() { sshd_signal "$1" STOP; }

pgtcp_start() {
	local dir=$1 port bin
	. "$SSHD_LIB_DIR/pg.sh"
	bin=$(pg_bindir)
	[ -x "$bin/initdb" ] || { echo "sshd.sh: initdb not found" >&2; return 1; }
	mkdir -p "$dir/sock"
	[ "$(id -u)" -eq 0 ] && chown -R "${DCOPS_PG_USER:-postgres}" "$dir"
	pg_as_owner "$bin/initdb" -D "$dir/data" -U "$(id -un)" --auth=trust -E UTF8 --locale=C.UTF-8 \
		>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
	port=$(sshd_free_port) || return 1
	pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k '$dir/sock' -c fsync=off -c max_connections=50" \
		start >/dev/null || { tail -n 20 "$dir/server.log" >&2; return 1; }
	echo "$port" >"$dir/port"
	echo "$port"
}

pgtcp_stop() {
	local dir=$1
	[ -f "$dir/data/postmaster.pid" ] || return 0
	. "$SSHD_LIB_DIR/pg.sh"
	pg_as_owner "$(pg_bindir)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
}

sshd_with_fixtures() {
	local top=${TEST_TMP:-}
	if [ -z "$top" ]; then
		top=$(mktemp -d /tmp/dcops-ssh.XXXXXX) && chmod 755 "$top" # postgres must reach its data
	fi
	top=$(cd "$top" && pwd)/ssh
	rm -rf "$top"; mkdir -p "$top"; chmod 755 "$top"
	local fixtures
	fixtures=$(cd "$SSHD_LIB_DIR/../fixtures" && pwd)
	trap "sshd_kill '$top/bastion'; sshd_kill '$top/node'; pgtcp_stop '$top/pg'" EXIT
	trap 'exit 130' INT TERM
	ssh-keygen -q -t ed25519 -N '' -C dcops-test-user -f "$top/user_ed25519" || return 1
	ssh-keygen -q -t ed25519 -N 'sesame' -C dcops-test-enc -f "$top/user_enc" || return 1
	export SSHD_USER_PUBS="$top/user_ed25519.pub $top/user_enc.pub"
	local pgport bport nport
	pgport=$(pgtcp_start "$top/pg") || return 1
	nport=$(sshd_start "$top/node" "" -- "SetEnv PATH=$fixtures:/usr/local/bin:/usr/bin:/bin" "DisableForwarding yes") || return 1
	bport=$(sshd_start "$top/bastion" "" -- "PermitOpen 127.0.0.1:$pgport 127.0.0.1:$nport") || return 1
	export DCOPS_SSH_TEST_ENV=1 DCOPS_SSH_LIB="$SSHD_LIB_DIR/sshd.sh" DCOPS_SSH_TOP="$top" \
		DCOPS_SSH_KEY="$top/user_ed25519" DCOPS_SSH_KEY_ENC="$top/user_enc" \
		DCOPS_SSH_BASTION_DIR="$top/bastion" DCOPS_SSH_BASTION_PORT="$bport" \
		DCOPS_SSH_NODE_DIR="$top/node" DCOPS_SSH_NODE_PORT="$nport" \
		DCOPS_SSH_FIXTURES="$fixtures" DCOPS_PGTCP_PORT="$pgport"
	echo "sshd.sh: bastion 127.0.0.1:$bport, node 127.0.0.1:$nport, postgres 127.0.0.1:$pgport"
	"$@"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	cmd=${1:-}; shift || true
	case "$cmd" in
	with-fixtures) sshd_with_fixtures "$@" ;;
	start) sshd_start "$1" "${2:-}" ;;
	stop) sshd_stop "$1" ;;
	kill) sshd_kill "$1" ;;
	freeze) sshd_freeze "$1" ;;
	*) echo "usage: sshd.sh with-fixtures CMD... | start|stop|kill|freeze DIR [PORT]" >&2; exit 2 ;;
	esac
fi
