#!/usr/bin/env bash
# story-arrive.sh — an operator arrives on shift (issue 17, story 1). The
# seeded Gwangju fleet runs under the simulator until a fault has killed
# jobs; then the operator reads the header (DB UP, site, mode, clock in
# both zones), the incident board sorted by severity, opens the top
# incident, and checks its impact against what the Nodes view shows for
# its node (drained, the GPUs out of service) and the tenants it names.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_story_arrive_$$"
createdb -T "$DCOPS_TEST_TEMPLATE" "$db"
"$DCOPS" -q --db "dbname=$db" seed >/dev/null
sim=
cleanup() {
	[ -n "$sim" ] && kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	screen_stop
	dropdb --if-exists "$db"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; screen_dump >&2; exit 1; }

# the night before: an hour of simulated time a second until a fault has
# killed jobs (seed 5 gives one within a few seconds)
"$DCOPSD" --adapter sim --db "dbname=$db" --speed 3600 --fault-x 5 --seed 5 --tick-ms 200 \
	--log "$TEST_TMP/sim-night.log" &
sim=$!
for _ in $(seq 1 300); do
	[ "$(psql -qAt -d "$db" -c "SELECT count(*) FROM dcops.incident WHERE jobs_killed > 0")" != 0 ] && break
	sleep 0.2
done
kill -TERM "$sim"; wait "$sim" || true
sim=
[ "$(psql -qAt -d "$db" -c "SELECT count(*) FROM dcops.incident WHERE jobs_killed > 0")" != 0 ] ||
	{ echo "FAIL: no fault killed a job in 60 s of simulation" >&2; exit 1; }
# a low-severity incident someone opened by hand, so the board has two severities
"$DCOPS" -q --db "dbname=$db" incident open --sev 5 --title "fan noise in row 3, no impact yet" >/dev/null
# the data center carries on while the operator reads (no new faults)
"$DCOPSD" --adapter sim --db "dbname=$db" --speed 1 --fault-x 0.001 --log "$TEST_TMP/sim-day.log" &
sim=$!

screen_start 160 40 --db "dbname=$db"
trap cleanup EXIT
# the header: database up, the site, the mode, the clock in both zones
screen_wait "DB UP" 20
screen_wait "국가AI데이터센터 광주"
screen_wait "WRITE"
screen_line 1 | grep -qE '[0-9]{2}:[0-9]{2} KST [0-9]{2}:[0-9]{2} UTC' || fail "the header's clock has no KST and UTC"
screen_gone "ADAPTER" 20   # the simulator reports in

# the incident board, sorted by severity (worst first)
screen_keys 4
screen_match "^ +ID SEV\^"
screen_wait "fan noise in row 3"
sevs=$(screen_dump | sed -nE 's/^ +#[0-9]+ S([1-5]) .*/\1/p')
[ "$(echo "$sevs" | wc -l)" -ge 2 ] || fail "fewer than two incidents on the board"
[ "$sevs" = "$(echo "$sevs" | sort -n)" ] || fail "the board is not sorted by severity: $(echo $sevs)"
[ "$(echo "$sevs" | tail -n 1)" = 5 ] || fail "the SEV-5 incident is not last"

# open the top one: its impact in numbers, its node, its tenants
top=$(screen_dump | sed -nE 's/^ +#([0-9]+) S[1-5] .*/\1/p' | head -n 1)
screen_keys Enter
screen_wait "incident #$top"
screen_match "^ impact +[0-9]+ jobs? killed"
impact=$(screen_dump | sed -nE 's/^ impact +//p')
re='^([0-9]+) jobs? killed \(([0-9]+) GPUs?\) of ([0-9]+) tenants?; 1 node auto-drained \(([0-9]+) GPUs?\)'
[[ $impact =~ $re ]] || fail "impact reads '$impact'"
jobs=${BASH_REMATCH[1]} tenants=${BASH_REMATCH[3]} out=${BASH_REMATCH[4]}
[ "$jobs" -ge 1 ] || fail "the top incident killed no job: $impact"
node=$(screen_dump | sed -nE 's/^ nodes +([a-z0-9-]+).*/\1/p')
[ -n "$node" ] || fail "the incident names no node"
named=$(screen_dump | sed -nE 's/^ tenants +//p' | sed 's/ *$//' | awk -F ' · ' '{ print NF }')
[ "$named" = "$tenants" ] || fail "impact says $tenants tenants, the incident names $named"
cause=$(screen_dump | sed -nE "s/^ S[1-5] #$top $node: (.*[^ ]) *$/\1/p")
[ -n "$cause" ] || fail "no title naming $node"
screen_wait "opened    dcopsd"

# the node, as the Nodes view shows it: drained (and down, for a host
# fault) for that cause, all its
# GPUs out of service (none in use) as the impact says
screen_keys Escape 1 /
screen_keys "$node" Enter
screen_wait "1 of 290 nodes"
row=$(screen_dump | grep -E "^ $node ")
echo "$row" | grep -qE "drained(\+down)?: " && echo "$row" | grep -qF ": ${cause:0:20}" || fail "$node is not drained for '$cause': $row"
echo "$row" | grep -qE " 0/$out " || fail "$node does not show 0 of $out GPUs in use: $row"
# its detail has the incident's event
screen_keys Enter
screen_wait "${cause:0:20}"
screen_keys q
echo "story-arrive: ok (incident #$top: $impact)"
