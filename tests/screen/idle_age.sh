#!/usr/bin/env bash
# idle_age.sh — a late node's AGE on an idle console (single site, Nodes
# view, 80x24): it moves with the clock in 10 s steps, redrawn when its
# text changes (it stayed at "35s" while nothing else drew), and no more
# often: with the adapter down the header counts seconds, but AGE must not
# add its own output each second (over a slow SSH link each byte costs).
. "$(dirname "$0")/lib.sh"
set -e
db="screen_idle_age_$$"
cleanup() {
	screen_stop
	dropdb --if-exists "$db"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; screen_dump; exit 1; }
screen_db "$db"
# a window that stays inside one minute of the clock (which is time, not data)
while [ "$((10#$(date +%S)))" -ge 30 ]; do sleep 1; done
psql -q -d "$db" -c "UPDATE dcops.node SET last_seen = now() - interval '31 seconds'"
out="$TEST_TMP/pty"
: >"$out"
screen_start 80 24 --db "dbname=$db"
screen_match "^ tn-h100-001 .* 30s *$" || fail "AGE does not show the late reports"
# nothing else draws: AGE still moves, at 40 s
screen_match "^ tn-h100-001 .* 40s *$" 12 || fail "AGE did not move on an idle console"
# the adapter down: the header counts the data's age in seconds
psql -q -d "$db" -c "INSERT INTO dcops.setting (key, value) VALUES ('adapter.name', 'sim'),
  ('adapter.state', 'down'), ('adapter.error', 'test'), ('adapter.interval_s', '5'),
  ('adapter.heartbeat', extract(epoch FROM now())::bigint - 40)"
screen_match "ADAPTER DOWN +STALE 4[0-9]s" || fail "the header does not count"
screen_tmux pipe-pane -o "cat >>$out"
sleep 1
b0=$(stat -c %s "$out")
sleep 7
b1=$(stat -c %s "$out")
screen_tmux pipe-pane
bytes=$((b1 - b0))
age=$(screen_line 4 | grep -oE '[0-9]+[sm] *$')
echo "idle, adapter down, late node reports: $bytes bytes in 7 s; AGE now $age"
# the header's seconds are ~60 B/s here (427 bytes in 7 s measured); AGE
# redrawn each second as well made it 896
[ "$bytes" -le 650 ] || fail "AGE adds output each second: $bytes bytes in 7 s"
