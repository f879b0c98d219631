#!/usr/bin/env bash
# console.sh — a scripted console session under valgrind: dcops in a tmux
# pane against its own cluster, with the sim adapter churning the fleet
# (when dcopsd has it) and a psql loop changing rows, driven through a few
# hundred key presses over every view (filters, sorts, details, help,
# commands, resizes), then quit. Passes when valgrind reports no invalid
# access and no definite leak (--error-exitcode, definite leaks counted).
# Run by `make valgrind` and by tests/faults/valgrind.sh; VALGRIND_ROUNDS
# sets the number of key rounds (default 12, about 25 keys each).
set -u
cd "$(dirname "$0")/../.."
export DCOPS_ROOT=${DCOPS_ROOT:-$PWD}
export DCOPS=${DCOPS:-$PWD/${BUILD:-build}/bin/dcops} DCOPSD=${DCOPSD:-$PWD/${BUILD:-build}/bin/dcopsd}
export LC_ALL=C.UTF-8 TZ=UTC
command -v valgrind >/dev/null || { echo "skipped: valgrind is not installed (apt-get install valgrind)"; exit 77; }
own_tmp=
if [ -z "${TEST_TMP:-}" ]; then
	TEST_TMP=$(mktemp -d /tmp/dcops-valgrind.XXXXXX)
	chmod 755 "$TEST_TMP"
	own_tmp=$TEST_TMP
fi
export TEST_TMP
. tests/screen/lib.sh
. tests/faults/lib.sh
pgdir="$TEST_TMP/pg"
simpid= churnpid=
cleanup() {
	screen_stop
	[ -n "$churnpid" ] && kill "$churnpid" 2>/dev/null
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null
	wait 2>/dev/null
	fault_cleanup "$pgdir"
	[ -n "$own_tmp" ] && rm -rf "$own_tmp"
}
trap cleanup EXIT
fault_cluster "$pgdir" vg || exit 1
conn="host=$pgdir/sock dbname=vg"

if "$DCOPSD" --help 2>&1 | grep -q -- "--adapter sim"; then
	"$DCOPSD" --adapter sim --db "$conn" --tick-ms 250 --log "$TEST_TMP/sim.log" >/dev/null 2>&1 &
	simpid=$!
	echo "churn: dcopsd --adapter sim, a tick every 250 ms, and a psql loop"
else
	echo "churn: a psql loop (dcopsd has no sim adapter)"
fi
# rows changing under the console: nodes, GPUs, jobs come and go, incidents
(
	i=0
	while :; do
		i=$((i + 1))
		psql -q -d vg >/dev/null 2>&1 <<SQL
UPDATE dcops.node SET sched_state = (ARRAY['idle','mixed','allocated','down'])[1 + $i % 4]::dcops.sched_state,
                      power_w = 100 + $i % 900 WHERE name = 'tn-a100-002';
UPDATE dcops.gpu SET util_pct = $i % 100, temp_c = 30 + $i % 50 WHERE node_id = 3;
INSERT INTO dcops.job (tenant_id, partition_id, user_name, name, gpus, state, reason, submit_at)
VALUES (1 + $i % 2, 1, 'vg', 'churn-$i', 1, 'pending', 'Priority', now());
DELETE FROM dcops.job WHERE name = 'churn-$((i - 5))';
INSERT INTO dcops.incident (sev, title, impact, owner) SELECT 4, 'churn $i', 'none', 'vg' WHERE $i % 10 = 0;
SQL
		sleep 0.2
	done
) &
churnpid=$!

SCREEN_ENV="" screen_tmux -f /dev/null new-session -d -x 120 -y 40 \
	"env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC valgrind -q --leak-check=full \
	 --errors-for-leak-kinds=definite --error-exitcode=99 --track-fds=no \
	 --log-file=$TEST_TMP/valgrind.log $DCOPS --db '$conn' 2>>$TEST_TMP/dcops.err; \
	 echo \$? >$TEST_TMP/status; sleep 60"
screen_wait "DB UP" 60 || exit 1
screen_wait "tn-h100-001" 30 || exit 1

rounds=${VALGRIND_ROUNDS:-12}
keys=0
press() { screen_keys "$@"; keys=$((keys + $#)); sleep 0.05; }
for ((r = 0; r < rounds; r++)); do
	press 1 j j k G g s s S / t n - a Escape m m Enter Escape
	press 2 j Enter j k Escape s
	press 3 j k s S Enter Escape
	press 4 Enter Escape j k
	press 5 j k
	press '?' j Escape
	press : s o r t Tab Escape
	[ $((r % 4)) -eq 3 ] && { screen_resize $((90 + r)) $((30 + r % 7)); screen_resize 120 40; }
	screen_wait "DB UP" 20 || exit 1
done
press 1
screen_wait "nodes" 20 || exit 1
screen_keys q
for _ in $(seq 600); do [ -s "$TEST_TMP/status" ] && break; sleep 0.1; done
st=$(cat "$TEST_TMP/status" 2>/dev/null)
echo "valgrind: $keys keys in $rounds rounds; dcops exited ${st:-?}"
[ -s "$TEST_TMP/dcops.err" ] && sed 's/^/dcops stderr: /' "$TEST_TMP/dcops.err"
# -q keeps the log to errors and leaks; ncurses's own caches show as
# "possibly lost" and do not count
grep -E "definitely lost|Invalid|uninitialised|ERROR SUMMARY" "$TEST_TMP/valgrind.log"
if [ "$st" != 0 ]; then
	cat "$TEST_TMP/valgrind.log"
	echo "FAIL: valgrind reported errors or definite leaks (exit ${st:-none})"
	exit 1
fi
echo "valgrind: no invalid accesses, no definite leaks"
