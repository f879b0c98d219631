#!/usr/bin/env bash
# story-drill.sh — an operator runs the Xid 79 drill (issue 17, story 4)
# on the seeded Gwangju fleet with the simulator running: from the Drills
# view the briefing (the 64-GPU job on gj-h100-017 to 024, SEV-2) is
# confirmed with y; the header turns to DRILL; the incident the fault
# raises says what the briefing said (SEV-2, one 64-GPU job of that
# tenant killed); the operator acknowledges it and drains only
# gj-h100-017 from it, within the expectations; the scorecard appears
# (PASS, 4 met) and the header goes back to WRITE.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_story_drill_$$"
createdb -T "$DCOPS_TEST_TEMPLATE" "$db"
"$DCOPS" -q --db "dbname=$db" seed >/dev/null
# the drill's speed; no faults of its own to muddle the board
"$DCOPSD" --adapter sim --db "dbname=$db" --speed 60 --fault-x 0.001 --log "$TEST_TMP/sim.log" &
sim=$!
cleanup() {
	kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	screen_stop
	dropdb --if-exists "$db"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; screen_dump >&2; exit 1; }

SCREEN_ENV="DCOPS_DRILLS=$DCOPS_ROOT/drills" screen_start 120 34 --db "dbname=$db"
trap cleanup EXIT
screen_wait "DB UP" 20
screen_wait "WRITE"
screen_keys 7
screen_wait "Scenarios (8)"
screen_wait "No drill has run on this database yet."
# the scenario is the eighth: j moves the cursor, the list scrolls to it
screen_keys j j j j j j j
screen_wait "2-8 of 8 ↑ more above"
screen_keys Enter
screen_wait "Start drill xid79-h100-job"
screen_wait "one 64-GPU job, pretrain-ko-70b, on the eight nodes gj-h100-017 to gj-h100-024."
screen_wait "killed is SEV-2"
screen_wait "1 event, 4 expectations, speed 60 (seed 79)."
screen_keys y
screen_wait "Drill 1 RUNNING Xid 79 during a 64-GPU H100 job" 10
screen_match "^ dcops .* DRILL "
screen_wait "Times: wall clock since the drill started; its data center runs 60x faster."
# the fault lands a minute of drill time (a second) in
screen_match "#[0-9]+ +SEV-2 triggered +not acknowledged +gj-h100-017: Xid 79 on GPU 3" 15

# the incident says what the briefing said
screen_keys 4
screen_wait "[DRILL] gj-h100-017: Xid 79 on GPU"
screen_keys Enter
screen_match "^ S2 #[0-9]+ \[DRILL\] gj-h100-017: Xid 79 on GPU 3"
screen_wait "impact  1 job killed (64 GPUs) of 1 tenant" 10
screen_wait "nodes   gj-h100-017"
screen_wait "tenants 한국광기술원 데이터분석팀"

# acknowledge, then drain the node from the incident (it is filled in)
screen_keys a
screen_wait "You ($(id -un)) become the owner."
screen_keys y
screen_match "ack incident #[0-9]+: done" 10
screen_keys D
screen_wait "Drain gj-h100-017"
screen_match "│ Incident # +[0-9]+"
screen_keys "Xid 79 on GPU 3, fell off the bus" Enter Enter Enter Enter
screen_wait "y confirm"
screen_keys y
screen_wait "drain gj-h100-017 applied by the adapter" 20

# the drill decides itself: the scorecard, in the operator's wall clock
screen_keys 7
screen_wait "Scorecard: PASS  finished, 4 met, 0 missed" 20
screen_match "met +ack_incident +took [0-9]+s of 5m"
screen_match "met +drain_nodes +took [0-9]+s of 15m"
screen_wait "Wrong or unnecessary actions (0)"
screen_match "$(id -un) +drain gj-h100-017: Xid 79 on GPU 3"
screen_match "^ dcops .* WRITE " 10
# and only that node is out: the other seven of the job's nodes are in service
screen_keys 1 / "state:drained" Enter
screen_wait "1 of 290 nodes"
screen_match "^ gj-h100-017 .*drained: Xid 79 on GPU 3"
screen_keys q
echo "story-drill: ok"
