#!/usr/bin/env bash
# views.sh — the console at 80x24 against a small seeded database: each view
# shows its rows, an UPDATE made with psql appears without a key press,
# filter, sort, detail, commands, help, theme switch and resizing work.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_views_$$"
screen_db "$db"
screen_start 80 24 --db "dbname=$db"
trap 'screen_stop; dropdb --if-exists "$db"' EXIT

# Nodes: the rows, the drain reason, the header
screen_wait "tn-h100-001"
screen_wait "DB UP"
screen_wait "4 nodes"
screen_match "tn-h100-002 +h100 +r01-01 +drained: xid .* 79 fail"
screen_match "tn-h100-001 .* 2/2 +90% +71C +1.5k"
screen_wait "WRITE"
screen_match "KST [0-9:]+ UTC"

# live: a change committed elsewhere shows up with no key pressed
psql -q -d "$db" -c "UPDATE dcops.node SET sched_state = 'down' WHERE name = 'tn-a100-002'"
screen_match "tn-a100-002 .*down"

# filter as you type, negation, clearing
screen_keys / a 1 0 0
screen_wait "2 of 4 nodes"
screen_gone "tn-h100-001"
screen_keys C-u '!' a 1 0 0
screen_wait "/!a100"
screen_gone "tn-a100-001"
screen_keys Escape
screen_wait "4 nodes"

# sort: s moves to the next column, S reverses
screen_keys s
screen_wait "PART^"
[ "$(screen_line 4 | awk '{print $1}')" = tn-a100-001 ]
screen_keys S
screen_wait "PARTv"
[ "$(screen_line 4 | awk '{print $2}')" = h100 ]

# node detail: GPUs one per line, running jobs; Esc back
screen_keys g Enter
screen_wait "Running jobs"
screen_match "^ +0 +[0-9]+% "
screen_keys Escape
screen_wait "PARTv"

# rack map
screen_keys m
screen_wait "Rack map: 2 rows x 2 racks"
screen_wait "allocated"
# one glyph per node by precedence: drained and failed reads D, down X;
# the legend wraps at 80 columns instead of losing its last entries
screen_match "R01 +#D "
screen_match "R02 +X( |$)"
screen_wait "X down"
screen_wait ". empty"
screen_keys m
screen_gone "Rack map"

# queues: partitions, drill into jobs, job detail
screen_keys 2
screen_wait "2 partitions"
# FREE counts only schedulable nodes; the drained (h100) and down (a100)
# nodes' idle GPUs are OUT: GPU USE + FREE + OUT = all
screen_match "GPU USE +FREE +OUT"
screen_match "^ h100 .* 2/4 +0 +2 "
screen_match "^ a100 .* 1/4 +1 +2 "
screen_match "h100 .* Resources 1"
screen_keys : j o b s Space h 1 0 0 Enter
screen_wait "h100 > 2 of 2 active jobs"
screen_match "park +4 pending .*Resources"
screen_keys Enter
screen_wait "job 2"
screen_wait "waiting"
screen_keys Escape Escape
screen_wait "2 partitions"

# tenants: Korean names aligned by display width, :tenant opens one
screen_keys 3
screen_wait "(주)딥비전랩스"
w1=$(screen_dump | grep -F "(주)딥비전랩스" | sed 's/ *$//' | wc -L)
w2=$(screen_dump | grep -F "Acme Research" | sed 's/ *$//' | wc -L)
[ "$w1" = "$w2" ] || { echo "misaligned tenant rows: $w1 vs $w2 columns"; screen_dump; exit 1; }
screen_match "2/4 +\|+\.* +95%"
# burn is the mean over the last 24 h of usage samples (5 GPUs), not the
# 2 GPUs running now × 24 = 48; it arrives live with the samples
screen_wait "BURN/24h"
psql -q -d "$db" -c "INSERT INTO dcops.usage_sample (ts, tenant_id, partition_id, gpus_in_use, gpu_hours)
  VALUES (now() - interval '2 hours', 1, 1, 5, 0.4), (now() - interval '1 hour', 1, 1, 5, 0.4)"
screen_match "딥비전랩스 .* 120 "
screen_keys : t e n a n t Space 딥비전 Enter
screen_wait "Deepvision Labs"
screen_wait "GPU-hours"
screen_wait "burn 120 GPU-h/day"
screen_wait "over the 24 h window: samples since"
screen_keys Escape

# incidents and a timeline
screen_keys 4
screen_wait "Xid 79 on tn-h100-002"
screen_keys Enter
screen_wait "Timeline (2 events)"
screen_wait "vendor ticket opened"
screen_keys Escape

# help is generated from the key tables
screen_keys '?'
screen_wait "Global keys"
screen_keys NPage   # this view's keys come first: the next page has the rest
screen_wait "Moving around"
screen_keys Escape
screen_gone "Global keys"

# :theme switches live; a bad name is reported, not fatal
screen_keys : t h e m e Space l i g h t Enter
screen_wait "theme light"
screen_keys : t h e m e Space n o p e Enter
screen_wait 'theme "nope" not found'

# resize: too small, back, and wide
screen_resize 60 20
screen_wait "terminal too small (need 80x24, have 60x20)"
screen_resize 80 24
screen_wait "4 Incidents"
screen_resize 200 60
screen_wait "dcops Test Site 광주"
screen_keys 1
screen_match "tn-h100-002 .*drained: xid 79 on gpu1"

# q quits and gives the terminal back
screen_keys q
screen_gone "4 Incidents"
echo "views: ok"
