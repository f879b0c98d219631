#!/usr/bin/env bash
# incident_drain.sh — the story "drain and resume a faulty node from its
# incident" (issue 17), with the simulator applying the actions: arrive at
# the incident board, open the incident, see its related rows (node, the
# jobs it killed, also one gone from the job window, tenant), jump to the
# node (Enter) and drain it with the incident filled in; the node goes
# DRAINING, then DRAINED once its job ends, in the node and on the
# incident's timeline; Esc comes back to the incident; resume from there
# with "resolve" chosen; the timeline has the drain, DRAINED and the
# resume, and the incident is resolved. Also the Nodes list's DRAINED
# column (since / by) and AGE shown only for late data.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_incdrain_$$"
screen_db "$db"
psql -q -d "$db" -c "UPDATE dcops.setting SET value = '100' WHERE key = 'guard.drain_pct'"
psql -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
INSERT INTO dcops.incident (sev, title, impact) VALUES
  (3, 'Xid 48 on tn-h100-001', '1 job killed (8 GPUs) of 1 tenant; 1 node hit (2 GPUs)');
INSERT INTO dcops.incident_node SELECT 2, id FROM dcops.node WHERE name = 'tn-h100-001';
INSERT INTO dcops.incident_tenant VALUES (2, 1);
INSERT INTO dcops.incident_job (incident_id, job_id, tenant_id, gpus, name, node_list) VALUES
  (2, 1, 1, 2, 'train-llm', 'tn-h100-001'), (2, 9001, 1, 8, 'pretrain-old', 'tn-h100-001');
INSERT INTO dcops.incident_event (incident_id, kind, body) VALUES (2, 'opened', 'Xid 48 on tn-h100-001 gpu0');
-- a node whose data is late (down: it does not report): AGE shows it
UPDATE dcops.node SET sched_state = 'down', last_seen = now() - interval '10 minutes'
 WHERE name = 'tn-h100-002';
SQL
"$DCOPSD" --adapter sim --db "dbname=$db" --speed 60 --log "$TEST_TMP/sim.log" &
sim=$!
cleanup() {
	kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	screen_stop
	dropdb --if-exists "$db"
}
trap cleanup EXIT
screen_start 200 50 --db "dbname=$db"
trap cleanup EXIT
screen_wait "DB UP"

# Nodes: DRAINED since / by for the drained node, none for active ones;
# AGE only for the late node (10m), "-" for fresh ones
screen_match "tn-h100-002 .*drained\+down.* <1m kim +10m"
screen_match "tn-a100-001 .* -$"

# the board, the incident, its related rows
screen_keys 4
screen_wait "Xid 48 on tn-h100-001"
screen_keys / 4 8 Enter
screen_wait "1 open incident (filtered)"
screen_keys Enter
screen_wait "Related (Enter goes there, Esc comes back)"
screen_match "> node +tn-h100-001 +active"
screen_match "job +1 +\(주\)딥비전랩스, 2 GPUs, running"
screen_match "job +9001 +\(주\)딥비전랩스, 8 GPUs, ended \(left the job window\)"
screen_match "tenant +\(주\)딥비전랩스"
# a killed job gone from the job window says so
screen_keys j j Enter
screen_wait "job 9001 ended and left the job window ((주)딥비전랩스, 8 GPUs)"
# the job still listed: its detail in the Queues view, Esc comes back
screen_keys k Enter
screen_wait "h100 > job 1"
screen_keys Escape
screen_wait "Related (Enter goes there"
# the tenant: its detail in the Tenants view, Esc comes back
screen_keys j j Enter
screen_wait "Deepvision Labs  (startup, account id 1)"
screen_keys Escape
screen_wait "Related (Enter goes there"
screen_keys k k k Enter
screen_wait "partition h100  rack r01-01"

# drain from the node's detail: the incident is filled in
screen_keys D
screen_wait "Drain tn-h100-001"
screen_wait "Open incident #2: Xid 48 on tn-h100-001"
screen_match "Incident # +2"
screen_keys "Xid 48 again, pull it" Enter Enter Enter Enter y
screen_wait "applied by the adapter" 20
screen_match "draining by .* at " 10
# its job ends: DRAINED, noticed by the adapter
"$DCOPS" -q --db "dbname=$db" job cancel 1 --reason "node going out for Xid 48" >/dev/null
screen_match "drained by .* at " 20

# Esc: back to the incident, whose timeline has the request and DRAINED
screen_keys Escape
screen_wait "Related (Enter goes there"
screen_wait "drain requested for tn-h100-001: Xid 48 again, pull it"
screen_wait "tn-h100-001 drained: no job left on it"

# resume from the incident, resolving it (the choice defaults to no)
screen_keys R
screen_wait "Resume tn-h100-001"
screen_wait "Open incident #2: Xid 48 on tn-h100-001"
screen_match "Resolve #2 +< no >"
screen_keys "board reseated, dcgmi diag passed" Enter Space
screen_match "Resolve #2 +< yes, the reason is its summary >"
screen_keys Enter y
screen_wait "tn-h100-001 resumed: active, schedulable again" 20
screen_match "state resolved" 20
screen_wait "drain requested for tn-h100-001"
screen_wait "tn-h100-001 drained: no job left on it"
echo "incident drain story: ok"
