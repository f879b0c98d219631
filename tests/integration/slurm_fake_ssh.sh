#!/usr/bin/env bash
# slurm_fake_ssh.sh — dcopsd --adapter slurm --ssh: the same fake 22.05
# commands as slurm_fake.sh, run on a real sshd (127.0.0.1, the test
# user) through the console's libssh code: the cluster arrives in the
# tables; an unknown host key is refused (adapter DOWN naming the host key,
# nothing written, known_hosts untouched).
set -u
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || { echo "skipped: no sshd"; exit 77; }
if [ -z "${DCOPS_SSH_TEST_ENV:-}" ]; then
	exec bash "$DCOPS_ROOT/tests/lib/sshd.sh" with-fixtures bash "$0"
fi
top=$DCOPS_SSH_TOP/slurm-fake
mkdir -p "$top"
db=dcops_slurm_ssh_$$
dpid=
. "$DCOPS_ROOT/tests/lib/slurm-fake.sh"
trap slurm_fake_cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -n 20 "$top/dcopsd.log" >&2; exit 1; }
slurm_fake_bin
pub=$(cut -d' ' -f1,2 "$DCOPS_SSH_NODE_DIR/host_ed25519.pub")
echo "[127.0.0.1]:$DCOPS_SSH_NODE_PORT $pub" >"$top/known_hosts"
: >"$top/known_empty"
target=$(id -un)@127.0.0.1:$DCOPS_SSH_NODE_PORT

createdb -T "$DCOPS_TEST_TEMPLATE" "$db" || fail "createdb"
# unknown host key: refused, down, nothing written
"$DCOPSD" --adapter slurm --db "dbname=$db" --ssh "$target" --known-hosts "$top/known_empty" \
	--identity "$DCOPS_SSH_KEY" --slurm-bin "$bin" --log "$top/refused.log" >/dev/null 2>&1 &
dpid=$!
until_ok 20 is "SELECT value FROM dcops.setting WHERE key = 'adapter.state'" down || fail "not down"
err=$(q "SELECT value FROM dcops.setting WHERE key = 'adapter.error'")
echo "down: $err"
grep -q "host key" <<<"$err" || fail "error: $err"
is "SELECT count(*) FROM dcops.node" 0 || fail "wrote nodes"
[ -s "$top/known_empty" ] && fail "known_hosts written"
kill "$dpid"; wait "$dpid"; dpid=

# the known key: the cluster arrives over SSH
"$DCOPSD" --adapter slurm --db "dbname=$db" --ssh "$target" --known-hosts "$top/known_hosts" \
	--identity "$DCOPS_SSH_KEY" --slurm-bin "$bin" --poll-nodes 0.5 --poll-jobs 0.5 --poll-accounting 1 \
	--verbose --log "$top/dcopsd.log" >"$top/dcopsd.out" 2>&1 &
dpid=$!
nodes=$(jq '.nodes | length' "$data/sinfo.json")
until_ok 30 is "SELECT count(*) FROM dcops.node" "$nodes" || fail "nodes over ssh"
until_ok 10 is "SELECT value FROM dcops.setting WHERE key = 'adapter.state'" up || fail "not up"
until_ok 10 is "SELECT name FROM dcops.tenant WHERE slurm_account = 'hanbit'" "한빛랩" || fail "tenants over ssh"
# idle between polls: the link stays up across several cycles (waited
# for, not slept: on a loaded CI machine 4 s held only 2 cycles)
until_ok 30 eval '[ $(grep -c "^tick" "$top/dcopsd.out") -ge 3 ]' ||
	fail "only $(grep -c '^tick' "$top/dcopsd.out") cycles in 30 s"
grep -q 'tick failed' "$top/dcopsd.log" && fail "a cycle failed over ssh: $(grep 'tick failed' "$top/dcopsd.log" | tail -n 1)"
grep '^tick' "$top/dcopsd.out" | tail -n 1

# the database link breaks (its backend terminated): dcopsd connects
# again, and keeps its SSH session to the Slurm host (the same TCP
# connection, by its local port)
sshconn() { ss -tnpH state established "( dport = :$DCOPS_SSH_NODE_PORT )" 2>/dev/null | grep "pid=$dpid," | awk '{ print $3 }'; }
c1=$(sshconn)
[ -n "$c1" ] || fail "no SSH connection of dcopsd ($dpid) to port $DCOPS_SSH_NODE_PORT: $(ss -tnpH state established)"
b1=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = 'dcopsd' AND datname = '$db'")
q "SELECT pg_terminate_backend($b1)" >/dev/null
until_ok 20 eval '[ -n "$(q "SELECT pid FROM pg_stat_activity WHERE application_name = '"'dcopsd'"' AND datname = '"'$db'"' AND pid <> $b1")" ]' ||
	fail "dcopsd did not connect again"
n=$(grep -c '^tick' "$top/dcopsd.out")
until_ok 10 eval '[ $(grep -c "^tick" "$top/dcopsd.out") -ge $((n + 2)) ]' || fail "no cycle after the reconnect"
c2=$(sshconn)
[ "$c1" = "$c2" ] || fail "the SSH link was remade after a database failure: $c1 -> ${c2:-none}"
echo "database link remade, SSH connection kept ($c1)"
echo ok
