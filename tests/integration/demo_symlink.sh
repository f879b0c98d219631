#!/usr/bin/env bash
# demo_symlink.sh — a pid file is never written through a symlink planted
# where it or its .tmp goes (issue 12: root's dcopsd would overwrite any
# file the database's user pointed it at). dcopsd is started on a database
# that does not exist: it writes its pid file first, then keeps retrying.
set -u
: "${TEST_TMP:?run through tests/run.sh}" "${DCOPSD:?}"
DIR="$TEST_TMP/run"
mkdir -p "$DIR"
printf 'precious\n' >"$TEST_TMP/target"
printf 'precious too\n' >"$TEST_TMP/target2"
ln -s "$TEST_TMP/target" "$DIR/dcopsd.pid"
ln -s "$TEST_TMP/target2" "$DIR/dcopsd.pid.tmp"

"$DCOPSD" --adapter sim --db "host=$TEST_TMP/nowhere dbname=none connect_timeout=1" \
	--log "$TEST_TMP/dcopsd.log" --pidfile "$DIR/dcopsd.pid" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' EXIT

fail() { echo "FAIL: $*"; sed 's/^/  log: /' "$TEST_TMP/dcopsd.log" 2>/dev/null; exit 1; }

for _ in $(seq 1 50); do
	[ -f "$DIR/dcopsd.pid" ] && [ ! -L "$DIR/dcopsd.pid" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
[ "$(cat "$TEST_TMP/target")" = precious ] || fail "dcopsd wrote through the planted dcopsd.pid symlink"
[ "$(cat "$TEST_TMP/target2")" = "precious too" ] || fail "dcopsd wrote through the planted dcopsd.pid.tmp symlink"
[ ! -L "$DIR/dcopsd.pid" ] || fail "dcopsd.pid is still the planted symlink"
[ "$(cat "$DIR/dcopsd.pid")" = "$pid" ] || fail "dcopsd.pid does not hold dcopsd's pid $pid"
echo "ok"
