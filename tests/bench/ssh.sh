#!/usr/bin/env bash
# ssh.sh — the console through an SSH bastion (issue 5), in one run:
#   commit-to-screen latency direct vs through the tunnel (a node's state
#   changed by psql, the console's tmux pane polled until it shows it;
#   median and max of N samples each), and the bytes on the SSH link per
#   second (both directions, from the kernel's tcp_info via `ss`), idle
#   and under churn (one node update every 100 ms).
# Usage: BUILD=build bash tests/bench/ssh.sh [SAMPLES]   (needs tmux, sshd)
# Re-executes itself under tests/lib/sshd.sh with-fixtures.
set -u
ROOT=${DCOPS_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
export DCOPS=${DCOPS:-$ROOT/${BUILD:-build}/bin/dcops} DCOPS_ROOT=$ROOT LC_ALL=C.UTF-8 TZ=UTC
if [ -z "${DCOPS_SSH_TEST_ENV:-}" ]; then
	export TEST_TMP=${TEST_TMP:-$(mktemp -d /tmp/dcops-bench-ssh.XXXXXX)}
	chmod 755 "$TEST_TMP"
	exec bash "$ROOT/tests/lib/sshd.sh" with-fixtures bash "$0" "$@"
fi
N=${1:-15}
. "$ROOT/tests/screen/lib.sh"
set -e
T=$TEST_TMP
export PGHOST=127.0.0.1 PGPORT=$DCOPS_PGTCP_PORT PGUSER=$(id -un) DCOPS_SSH_NO_AGENT=1
createdb bench_tmpl && "$DCOPS" -q --db dbname=bench_tmpl db migrate >/dev/null
DCOPS_TEST_TEMPLATE=bench_tmpl screen_db bench
{ echo "[127.0.0.1]:$DCOPS_SSH_BASTION_PORT $(cut -d' ' -f1-2 "$DCOPS_SSH_BASTION_DIR/host_ed25519.pub")"; } >"$T/kh"
cat >"$T/config.json" <<JSON
{ "profiles": { "t": { "db": "dbname=bench", "ssh": { "host": "127.0.0.1", "port": $DCOPS_SSH_BASTION_PORT,
  "identity_file": "$DCOPS_SSH_KEY", "known_hosts": "$T/kh", "db_host": "127.0.0.1", "db_port": $DCOPS_PGTCP_PORT } } } }
JSON

now_ms() { date +%s%3N; }
latency() { # samples of commit -> pane shows it, in ms
	local i t0 mark
	for i in $(seq 1 "$N"); do
		mark="bench$i$RANDOM"
		t0=$(now_ms)
		psql -Xq -d bench -c "UPDATE dcops.node SET drain_reason = '$mark', admin_state = 'draining' WHERE name = 'tn-a100-002'"
		until screen_dump | grep -q "$mark"; do sleep 0.005; done
		echo $(($(now_ms) - t0))
		sleep 0.2
	done | sort -n | awk '{ a[NR] = $1 } END { printf "median %d ms, max %d ms", a[int((NR + 1) / 2)], a[NR] }'
}
link_bytes() { # bytes both ways on the console's socket to the bastion
	ss -tinH state established "( dport = :$DCOPS_SSH_BASTION_PORT )" 2>/dev/null |
		grep -o 'bytes_\(acked\|received\):[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }'
}

screen_start 120 30 --db "'host=127.0.0.1 port=$DCOPS_PGTCP_PORT dbname=bench'"
screen_wait "tn-a100-002"
direct=$(latency)
screen_stop
sleep 0.5 # tmux: a new server on the same socket name right after a kill can fail
screen_start 120 30 --config "$T/config.json" --profile t
screen_wait "SSH UP" 15
screen_wait "tn-a100-002" 15
tunnel=$(latency)
sleep 2
b0=$(link_bytes); sleep 10; b1=$(link_bytes)
idle=$(((b1 - b0) / 10))
( for i in $(seq 1 100); do
	psql -Xq -d bench -c "UPDATE dcops.gpu SET util_pct = (random() * 100)::int, temp_c = 30 + (random() * 50)::int"
	sleep 0.1
done ) &
churn_pid=$!
b0=$(link_bytes); sleep 10; b1=$(link_bytes)
wait $churn_pid
churn=$(((b1 - b0) / 10))
screen_stop
echo "ssh: commit-to-screen direct: $direct ($N samples, tmux-polled)"
echo "ssh: commit-to-screen through the tunnel: $tunnel"
echo "ssh: bytes on the SSH link: idle $idle B/s, churn (10 updates/s of 8 GPUs) $churn B/s"
