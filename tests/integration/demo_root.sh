#!/usr/bin/env bash
# demo_root.sh — root's `dcops demo` from a tree PostgreSQL's user cannot
# reach (a clone under /root, mode 0700) just works (issue 12): the demo
# moves to /var/lib/dcops/demo-<hash>, says so, records it in the tree's
# var/location, and every later command finds it without DCOPS_VAR:
# status, the printed psql line, demo --status, demo --stop, make distclean.
# A minimal copy of the tree (binaries, SQL, seed, Makefile) stands in for
# the clone.
set -u
: "${TEST_TMP:?run through tests/run.sh}" "${DCOPS:?}" "${DCOPSD:?}" "${DCOPS_ROOT:?}"
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: only root's demo moves out of an unreachable tree (run make check as root)"
	exit 77
fi
PGUSER_OS=${DCOPS_PG_USER:-postgres}
id "$PGUSER_OS" >/dev/null 2>&1 || { echo "skipped: no user $PGUSER_OS for PostgreSQL"; exit 77; }
unset DCOPS_VAR PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGSERVICEFILE DCOPS_DB

CLOSED="$TEST_TMP/closed"
TREE="$CLOSED/dcops"
OUT="$TEST_TMP/out"
mkdir -p "$TREE/build/bin" "$TREE/backend"
chmod 700 "$CLOSED"
cp "$DCOPS" "$DCOPSD" "$TREE/build/bin/"
cp -r "$DCOPS_ROOT/backend/sql" "$DCOPS_ROOT/backend/seed" "$TREE/backend/"
cp -r "$DCOPS_ROOT/themes" "$DCOPS_ROOT/drills" "$DCOPS_ROOT/Makefile" "$TREE/"
D="$TREE/build/bin/dcops"
LOC=

# Pids of processes of the moved demo: PostgreSQL works in $LOC/pg, dcopsd
# names $LOC on its command line.
demo_pids() {
	[ -n "$LOC" ] || return 0
	local p
	for p in /proc/[0-9]*; do
		case "$(readlink "$p/cwd" 2>/dev/null)" in "$LOC"/*) echo "${p#/proc/}"; continue ;; esac
		[ "$(cat "$p/comm" 2>/dev/null)" = dcopsd ] &&
			tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF "$LOC/" && echo "${p#/proc/}"
	done
}

cleanup() {
	"$D" demo --stop >/dev/null 2>&1
	local pid
	for pid in $(demo_pids); do kill -9 "$pid" 2>/dev/null; done
	case "$LOC" in /var/lib/dcops/demo-?*) rm -rf "$LOC" ;; esac
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	[ -f "$OUT" ] && sed 's/^/  out: /' "$OUT"
	exit 1
}

runuser -u "$PGUSER_OS" -- test -x "$TREE" 2>/dev/null &&
	fail "precondition: $PGUSER_OS can enter $TREE"

echo "== dcops demo from a tree $PGUSER_OS cannot reach"
(cd "$TREE" && "$D" demo --no-console) >"$OUT" 2>&1 || fail "dcops demo --no-console failed"
[ -f "$TREE/var/location" ] || fail "no var/location recorded in the tree"
LOC=$(cat "$TREE/var/location")
case "$LOC" in /var/lib/dcops/demo-?*) ;; *) fail "var/location names '$LOC'" ;; esac
[ "$(stat -c %U:%a "$TREE/var/location")" = root:600 ] || fail "var/location is not root's, mode 0600"
grep -qF "the demo lives in $LOC" "$OUT" || fail "dcops demo does not say where the demo went"
grep -qF "data       $LOC " "$OUT" || fail "the summary does not name $LOC"
[ "$(stat -c %U "$LOC/pg")" = "$PGUSER_OS" ] || fail "$LOC/pg does not belong to $PGUSER_OS"

echo "== the printed psql line works as printed"
psql_line=$(sed -n 's/^  psql       //p' "$OUT")
[ "$psql_line" = "psql -h $LOC/run -d dcops" ] || fail "psql line is '$psql_line'"
[ "$(cd / && $psql_line -X -At -c "SELECT count(*) FROM dcops.node")" = 290 ] ||
	fail "'$psql_line' from / does not reach the seeded demo"

echo "== later commands find it without DCOPS_VAR"
(cd / && "$D" status) >"$OUT" 2>&1 || fail "dcops status failed"
grep -qF "using the demo cluster at $LOC/run" "$OUT" || fail "dcops status did not use the moved demo"
grep -Eq '^nodes +290 ' "$OUT" || fail "dcops status does not show 290 nodes"
"$D" demo --status >"$OUT" 2>&1 || fail "dcops demo --status says something is not running"
grep -qF "demo in $LOC" "$OUT" && grep -qF "recorded in $TREE/var/location" "$OUT" ||
	fail "demo --status does not say where the demo is and why"
DCOPS_VAR="$TEST_TMP/elsewhere" "$D" demo --status >"$OUT" 2>&1
grep -qF "demo in $TEST_TMP/elsewhere" "$OUT" || fail "DCOPS_VAR does not override var/location"

echo "== dcops demo --stop, then make distclean"
"$D" demo --stop >"$OUT" 2>&1 || fail "dcops demo --stop failed"
grep -q "stopped dcopsd" "$OUT" && grep -q "stopped PostgreSQL" "$OUT" || fail "--stop did not stop both"
for _ in $(seq 1 50); do
	[ -z "$(demo_pids)" ] && break
	sleep 0.1
done
[ -z "$(demo_pids)" ] || fail "processes left after --stop: $(demo_pids)"
"$D" demo --status >"$OUT" 2>&1 && fail "demo --status says running after --stop"
echo "== a var/location others could have written is ignored"
chmod 620 "$TREE/var/location"
"$D" demo --status >"$OUT" 2>&1
grep -qF "ignoring $TREE/var/location" "$OUT" && grep -qF "demo in $TREE/var" "$OUT" ||
	fail "a group-writable var/location still steers root's demo"
chmod 600 "$TREE/var/location"
make --no-print-directory -C "$TREE" BUILD=build distclean >"$OUT" 2>&1 || fail "make distclean failed"
[ ! -e "$LOC" ] || fail "make distclean left $LOC"
[ ! -e "$TREE/var" ] || fail "make distclean left var/"
echo "ok"
