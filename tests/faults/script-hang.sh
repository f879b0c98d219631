#!/usr/bin/env bash
# script-hang.sh — a script command whose query gets no answer once it is
# connected (here a lock another session holds; a backend stuck on its
# storage looks the same to the client) ends after its limit with one line
# saying so, instead of waiting for good: status and report handover with
# DCOPS_DB_TIMEOUT=2. DCOPS_DB_TIMEOUT=0 (no limit) still waits (the
# control, cut by timeout(1)); a bad value is refused naming it (shown
# inert); and with the lock gone the same commands work.
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
set -e
pgdir="$TEST_TMP/pg"
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; fault_cleanup "$pgdir"' EXIT
fault_cluster "$pgdir" shang
DB="host=$pgdir/sock dbname=shang"
"$DCOPS" --db "$DB" status >/dev/null

# another session holds the node table
fault_lock shang dcops.node

for cmd in status "report handover"; do
	t0=$(fault_ms)
	rc=0
	# shellcheck disable=SC2086
	DCOPS_DB_TIMEOUT=2 "$DCOPS" --db "$DB" $cmd >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	ms=$(fault_elapsed "$t0")
	echo "$cmd with the node table locked, DCOPS_DB_TIMEOUT=2: exit $rc after $ms ms: $(cat "$TEST_TMP/err")"
	[ "$rc" = 1 ] || { echo "FAIL: exit $rc"; cat "$TEST_TMP/out"; exit 1; }
	[ "$ms" -ge 1800 ] && [ "$ms" -lt 8000 ] || { echo "FAIL: $ms ms"; exit 1; }
	[ "$(wc -l <"$TEST_TMP/err")" = 1 ] || { echo "FAIL: not one line"; exit 1; }
	grep -q "no answer from the server in 2 s (a hung server, or a lock held that long; the limit is DCOPS_DB_TIMEOUT): connection dropped" "$TEST_TMP/err" ||
		{ echo "FAIL: the line does not say why"; exit 1; }
done

# the control: no limit waits as long as the lock is held
rc=0
DCOPS_DB_TIMEOUT=0 timeout 4 "$DCOPS" --db "$DB" status >/dev/null 2>&1 || rc=$?
echo "status with DCOPS_DB_TIMEOUT=0: exit $rc (124: still waiting after 4 s)"
[ "$rc" = 124 ] || { echo "FAIL: expected it to wait"; exit 1; }

# a bad value names itself
rc=0
DCOPS_DB_TIMEOUT=2s "$DCOPS" --db "$DB" status >/dev/null 2>"$TEST_TMP/err" || rc=$?
[ "$rc" = 2 ] && grep -q "DCOPS_DB_TIMEOUT=2s: expected whole seconds" "$TEST_TMP/err" ||
	{ echo "FAIL: a bad DCOPS_DB_TIMEOUT: exit $rc: $(cat "$TEST_TMP/err")"; exit 1; }
# ... and is shown inert (no escape sequence reaches the terminal)
rc=0
DCOPS_DB_TIMEOUT=$'2\e[31m\u202e' "$DCOPS" --db "$DB" status >/dev/null 2>"$TEST_TMP/err" || rc=$?
[ "$rc" = 2 ] && grep -q "DCOPS_DB_TIMEOUT=2" "$TEST_TMP/err" && ! grep -q $'\e\|\u202e' "$TEST_TMP/err" ||
	{ echo "FAIL: a hostile DCOPS_DB_TIMEOUT: exit $rc: $(od -c "$TEST_TMP/err" | head -5)"; exit 1; }

fault_unlock shang
DCOPS_DB_TIMEOUT=2 "$DCOPS" --db "$DB" status | grep -q "^nodes " || { echo "FAIL: status after the lock"; exit 1; }
DCOPS_DB_TIMEOUT=2 "$DCOPS" --db "$DB" report handover >/dev/null || { echo "FAIL: report after the lock"; exit 1; }
echo "script-hang: ok"
