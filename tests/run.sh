#!/usr/bin/env bash
# run.sh — every test dcops has, against real parts: a private PostgreSQL
# started here (and stopped on any exit), real sshd and tmux where a test
# needs them. Ends with "N passed, N failed".
#
# Tests:
#   build/tests/unit/test_*         cmocka, no database
#   build/tests/integration/test_*  cmocka, given PGHOST/PGUSER of the private
#                                   cluster and DCOPS_TEST_TEMPLATE, a migrated
#                                   database to copy (CREATE DATABASE .. TEMPLATE)
#   tests/integration/*.sh          shell, same environment
#   tests/screen/*.sh               tmux screen tests, same environment
#   build/tests/faults/test_*, tests/faults/*.sh
#                                   fault injection; each starts (and kills)
#                                   its own cluster
# Each test gets DCOPS, DCOPSD (binaries) and TEST_TMP (its own scratch dir).
# A test passes when it exits 0; 77 means skipped.
# TESTS='unit/* screen/hostile.sh' runs only the tests whose names (as
# printed: unit/test_draw, integration/status.sh, ...) match one of the
# shell patterns; unset, every test runs.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
export DCOPS="$ROOT/$BUILD/bin/dcops" DCOPSD="$ROOT/$BUILD/bin/dcopsd" DCOPS_ROOT="$ROOT"
export LC_ALL=C.UTF-8 TZ=UTC
. tests/lib/pg.sh

WORK=$(mktemp -d /tmp/dcops-test.XXXXXX)
chmod 755 "$WORK"
cleanup() {
	pg_stop "$WORK/pg"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass=0 fail=0 skip=0
failed=()
# Screen tests name their tmux sockets with this prefix (tests/screen/lib.sh);
# one still there after a test is a tmux server or socket it failed to clean up.
export DCOPS_SCREEN_PREFIX="dcops-screen-$$-"
TMUX_SOCKDIR="${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)"
screen_leftovers() {
	local s n=0
	for s in "$TMUX_SOCKDIR/$DCOPS_SCREEN_PREFIX"*; do
		[ -e "$s" ] || continue
		n=$((n + 1))
		tmux -S "$s" kill-server 2>/dev/null
		rm -f "$s"
	done
	echo $n
}
selected() {
	[ -z "${TESTS:-}" ] && return 0
	local p
	for p in $TESTS; do
		# shellcheck disable=SC2053 # $p is a pattern on purpose
		[[ $1 == $p ]] && return 0
	done
	return 1
}
run_one() {
	local name=$1; shift
	selected "$name" || return 0
	local log="$WORK/logs/${name//\//_}.log"
	mkdir -p "$WORK/logs" "$WORK/tmp/${name//\//_}"
	local start=$SECONDS
	TEST_TMP="$WORK/tmp/${name//\//_}" timeout 600 "$@" >"$log" 2>&1
	local rc=$?
	local took=$((SECONDS - start))
	local left
	left=$(screen_leftovers)
	if [ "$left" -gt 0 ] && [ $rc -ne 77 ]; then
		echo "run.sh: the test left $left tmux server socket(s) $TMUX_SOCKDIR/$DCOPS_SCREEN_PREFIX*" >>"$log"
		rc=1
	fi
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); printf 'PASS %-50s %3ds\n' "$name" "$took"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1)); printf 'SKIP %-50s %s\n' "$name" "$(tail -n 1 "$log")"
	else
		fail=$((fail + 1)); failed+=("$name")
		printf 'FAIL %-50s %3ds (exit %d)\n' "$name" "$took" "$rc"
		sed 's/^/    | /' "$log" | tail -n "${DCOPS_LOG_LINES:-40}"
	fi
}

echo "== unit"
for t in "$BUILD"/tests/unit/test_*; do
	[ -x "$t" ] && run_one "unit/${t##*/}" "$t"
done

echo "== starting a private PostgreSQL in $WORK/pg"
pg_start "$WORK/pg" || { echo "0 passed, 1 failed"; exit 1; }
export DCOPS_TEST_TEMPLATE=dcops_template
createdb "$DCOPS_TEST_TEMPLATE" &&
	"$DCOPS" -q --db "dbname=$DCOPS_TEST_TEMPLATE" db migrate >"$WORK/migrate.log" 2>&1 ||
	{ echo "template migration failed:"; cat "$WORK/migrate.log"; }

echo "== integration"
for t in "$BUILD"/tests/integration/test_*; do
	[ -x "$t" ] && run_one "integration/${t##*/}" "$t"
done
for t in tests/integration/*.sh; do
	[ -f "$t" ] && run_one "integration/${t##*/}" bash "$t"
done

echo "== screen"
for t in tests/screen/*.sh; do
	[ "${t##*/}" = lib.sh ] && continue
	[ -f "$t" ] && run_one "screen/${t##*/}" bash "$t"
done

echo "== faults"
for t in "$BUILD"/tests/faults/test_*; do
	[ -x "$t" ] && run_one "faults/${t##*/}" "$t"
done
for t in tests/faults/*.sh; do
	[ "${t##*/}" = lib.sh ] && continue
	[ -f "$t" ] && run_one "faults/${t##*/}" bash "$t"
done

echo
[ ${#failed[@]} -gt 0 ] && printf 'failed: %s\n' "${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
