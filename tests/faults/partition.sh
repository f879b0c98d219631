#!/usr/bin/env bash
# partition.sh — the database's host falls off the network while dcopsd is
# attached to it over TCP: its link goes down, so packets vanish; nothing
# refuses and nothing closes (a frozen host, a failover's old primary cut
# off). dcopsd's calls block, and before the TCP defaults (db.h,
# DB_TCP_*) it waited on the dead connection for good: with bytes
# unacknowledged TCP gives up after ~15 minutes, and a call waiting for an
# answer, keepalives off, never. Now it must give the connection up within
# 40 s (20 s expected), keep running, and attach again once the link is
# back. A script command meanwhile gives up its connect in 5 s
# (connect_quietly).
# The server runs in its own network namespace behind a veth pair (root
# only: skipped otherwise, or where namespaces cannot be made).
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
set -e
[ "$(id -u)" = 0 ] || { echo "skip: needs root (a network namespace and a veth pair)"; exit 77; }
ns="dcops-part$$" ha="dcpa$$" hb="dcpb$$"
sub="10.231.$(($$ % 250))" host_ip= ns_ip=
host_ip="$sub.1" ns_ip="$sub.2"
pgdir="$TEST_TMP/pg"
simpid=
cleanup() {
	set +e # every step runs, whatever one of them says
	# SIGTERM, then SIGKILL: a dcopsd blocked on a dead connection would not
	# see the first (what this test guards against)
	if [ -n "$simpid" ] && kill "$simpid" 2>/dev/null; then
		for _ in $(seq 50); do kill -0 "$simpid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$simpid" 2>/dev/null || true
		wait "$simpid" 2>/dev/null || true
	fi
	fault_cleanup "$pgdir"
	ip netns del "$ns" 2>/dev/null || true
	ip link del "$ha" 2>/dev/null || true
}
trap cleanup EXIT
if ! { ip netns add "$ns" && ip link add "$ha" type veth peer name "$hb" && ip link set "$hb" netns "$ns"; } 2>"$TEST_TMP/ip.err"; then
	echo "skip: cannot make a network namespace and a veth pair here: $(head -n 1 "$TEST_TMP/ip.err")"
	exit 77
fi
ip addr add "$host_ip/30" dev "$ha" && ip link set "$ha" up
ip netns exec "$ns" ip addr add "$ns_ip/30" dev "$hb"
ip netns exec "$ns" ip link set "$hb" up
ip netns exec "$ns" ip link set lo up
# links_up: both ends report a carrier (LOWER_UP)
links_up() {
	ip link show "$ha" | grep -q LOWER_UP && ip netns exec "$ns" ip link show "$hb" | grep -q LOWER_UP
}
links_say() { ip -br addr show "$ha"; ip netns exec "$ns" ip -br addr; }
for _ in $(seq 100); do links_up && break; sleep 0.05; done
links_up || { echo "FAIL: the veth pair has no carrier 5 s after it was set up:"; links_say; exit 1; }

# the fixture over the Unix socket, then the server again, inside the
# namespace, listening on its side of the pair only
fault_cluster "$pgdir" part
pg_stop "$pgdir"
echo "host all all $sub.0/30 trust" >>"$pgdir/data/pg_hba.conf"
(cd / && ip netns exec "$ns" runuser -u "${DCOPS_PG_USER:-postgres}" -- "$(pg_bindir)/pg_ctl" -D "$pgdir/data" \
	-l "$pgdir/server.log" -w -t 60 -o "-c listen_addresses='$ns_ip' -k '$pgdir/sock' -c max_connections=50" \
	start >/dev/null) || { tail -n 20 "$pgdir/server.log"; exit 1; }
DB="host=$ns_ip dbname=part"
# the first packets may wait on the neighbour's address (ARP): a few tries
rows=
for _ in $(seq 20); do
	rows=$(psql -Atq -d "$DB connect_timeout=2" -c "SELECT count(*) FROM dcops.node" 2>"$TEST_TMP/psql.err") && break
	sleep 0.25
done
[ "${rows:-0}" -gt 0 ] || { echo "FAIL: no rows over TCP at $ns_ip: $(cat "$TEST_TMP/psql.err")"; links_say; exit 1; }

"$DCOPSD" --adapter sim --db "$DB" --tick-ms 200 --verbose --log "$TEST_TMP/sim.log" >"$TEST_TMP/ticks" &
simpid=$!
for _ in $(seq 100); do grep -q "dcopsd: attached" "$TEST_TMP/sim.log" 2>/dev/null && break; sleep 0.1; done
grep -q "dcopsd: attached" "$TEST_TMP/sim.log" || { echo "FAIL: dcopsd did not attach:"; cat "$TEST_TMP/sim.log"; exit 1; }
sleep 1
ticks0=$(grep -c "^tick " "$TEST_TMP/ticks" || true)
[ "$ticks0" -gt 0 ] || { echo "FAIL: dcopsd is not ticking"; exit 1; }

# until_sim T0 LIMIT_MS WHAT CMD...: until CMD succeeds, dcopsd running;
# FAIL with WHAT (and its log) LIMIT_MS after T0
until_sim() {
	local t0=$1 limit=$2 what=$3
	shift 3
	until "$@"; do
		kill -0 "$simpid" 2>/dev/null || { echo "FAIL: dcopsd exited:"; cat "$TEST_TMP/sim.log"; exit 1; }
		[ "$(fault_elapsed "$t0")" -lt "$limit" ] || { echo "FAIL: $what:"; cat "$TEST_TMP/sim.log"; exit 1; }
		sleep 0.1
	done
}

# ---- the server's link goes down: its side of the pair
t0=$(fault_ms)
ip netns exec "$ns" ip link set "$hb" down
until_sim "$t0" 40000 "dcopsd still waits on the lost server 40 s after its link went down" \
	grep -q "tick failed" "$TEST_TMP/sim.log"
lost_ms=$(fault_elapsed "$t0")
echo "link down: dcopsd gave the connection up in $lost_ms ms ($(grep -m1 "tick failed" "$TEST_TMP/sim.log" | cut -c1-120))"

# a script command meanwhile: its connect hears nothing and gives up
t1=$(fault_ms)
if out=$(timeout 30 "$DCOPS" --db "$DB" status 2>&1); then
	echo "FAIL: dcops status succeeded with the server unreachable: $out"; exit 1
fi
st_ms=$(fault_elapsed "$t1")
echo "dcops status meanwhile: failed in $st_ms ms: $(head -n 1 <<<"$out")"
[ "$st_ms" -lt 15000 ] && grep -q "no answer\|timeout expired\|could not connect\|cannot connect" <<<"$out" ||
	{ echo "FAIL: dcops status took $st_ms ms or said no clear reason"; exit 1; }

# ---- the link is back: dcopsd attaches again and ticks
ip netns exec "$ns" ip link set "$hb" up
t2=$(fault_ms)
attached_again() { [ "$(grep -c "dcopsd: attached" "$TEST_TMP/sim.log")" -ge 2 ]; }
until_sim "$t2" 30000 "dcopsd did not attach again within 30 s" attached_again
back_ms=$(fault_elapsed "$t2")
ticks1=$(grep -c "^tick " "$TEST_TMP/ticks" || true)
sleep 1
ticks2=$(grep -c "^tick " "$TEST_TMP/ticks" || true)
[ "$ticks2" -gt "$ticks1" ] || { echo "FAIL: dcopsd attached but does not tick"; cat "$TEST_TMP/sim.log"; exit 1; }
echo "link up: dcopsd attached again $back_ms ms later and ticks ($((ticks2 - ticks1)) ticks in 1 s)"
! grep -q "Sanitizer\|runtime error" "$TEST_TMP/sim.log" ||
	{ echo "FAIL: dcopsd's log:"; cat "$TEST_TMP/sim.log"; exit 1; }
echo "partition: ok"
