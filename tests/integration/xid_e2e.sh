#!/usr/bin/env bash
# xid_e2e.sh — issue 14 end to end, real parts only: the test exporter
# (tests/lib/dcgm-exporter.c) serves DCGM pages for the Slurm test nodes
# (tests/lib/slurm.sh), a real Prometheus scrapes it every second
# (tests/lib/prom.sh), dcopsd --adapter slurm --telemetry prometheus=URL
# --remedy FILE reads it and raises incidents, and the console (tmux)
# shows them:
#   Xid 79 on GPU 3 of the node running hanbit's job -> ONE incident
#     naming the job and the tenant, with the proposed drain, on the
#     Incidents board; D and confirming drain the node in Slurm (sinfo -R
#     names the Xid); the Xid-to-screen time is printed
#   the exporter restarts (every counter and the Xid back to 0) -> nothing
#   an Xid the site's override marks auto_drain -> dcopsd drains the node
#     itself, audited as 'dcopsd (policy nvlink-auto)' with the event
#   a burst across four nodes -> one flood incident with the four, the
#     automatic drains stop at the guard rail and the incident says so
#   remediation failing (a lock held past its lock_timeout) -> telemetry
#     down with why, Slurm up; the event is applied once the lock goes
#   a bad override -> dcopsd does not start, naming file, key and value
set -u
. "$(dirname "$0")/../lib/tel-stack.sh"
tel_stack_begin xid-e2e
reason_is() { [ "$(sinfo -R -h -n "$1" -o '%E')" = "$2" ]; }

# metrics NODE [VAR=VALUE...]: one node's dcgm-exporter page, 8 GPUs
# (util: every GPU's; xid3: GPU 3's Xid).
metrics() {
	local node=$1 util=10 xid3=0 g x; shift
	[ $# -eq 0 ] || local "$@"
	for g in 0 1 2 3 4 5 6 7; do
		x=0
		[ $g = 3 ] && x=$xid3
		local l="gpu=\"$g\",UUID=\"GPU-$node-$g\",Hostname=\"$node\""
		echo "DCGM_FI_DEV_GPU_UTIL{$l} $util"
		echo "DCGM_FI_DEV_GPU_TEMP{$l} 40"
		echo "DCGM_FI_DEV_POWER_USAGE{$l} 300.5"
		echo "DCGM_FI_DEV_FB_USED{$l} 1000"
		echo "DCGM_FI_DEV_FB_FREE{$l} 80000"
		echo "DCGM_FI_DEV_XID_ERRORS{$l} $x"
		echo "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL{$l} 0"
	done
}
write() { prom_exporter_write "$pdir" "$1" "$(metrics "$@")"; }

tel_stack_start
# half a partition within the hour: two h100 nodes, one a100 node
q "UPDATE dcops.setting SET value = '50' WHERE key = 'guard.drain_pct'" >/dev/null

# a bad override: dcopsd stops before it connects, naming file, key and value
printf '{"events": {"xid.74": {"auto_drain": "yes"}}}' >"$top/bad.json"
out=$("$DCOPSD" --adapter slurm --db "dbname=$db" --telemetry "prometheus=$PROM_URL" --remedy "$top/bad.json" 2>&1)
rc=$?
[ $rc -ne 0 ] || fail "dcopsd started with a bad override"
case $out in *"$top/bad.json: events.xid.74.auto_drain: "*yes*) ;; *) fail "bad override message: $out" ;; esac

# the site's override: Xid 74 drains by itself
cat >"$top/site-remedy.json" <<'JSON'
{ "events": { "xid.74": { "auto_drain": true, "policy": "nvlink-auto" } } }
JSON
"$DCOPSD" --adapter slurm --db "dbname=$db" --poll-nodes 1 --poll-jobs 1 --poll-accounting 5 \
	--telemetry "prometheus=$PROM_URL" --telemetry-every 1 --telemetry-timeout 2 \
	--remedy "$top/site-remedy.json" --log "$top/dcopsd.log" >>"$top/dcopsd.out" 2>&1 &
dpid=$!
until_ok 40 is "SELECT count(*) FROM dcops.gpu WHERE metrics_at IS NOT NULL" 48 || fail "first metrics"
grep -q 'remedy: .* rules, site overrides from ' "$top/dcopsd.log" || fail "the override not logged as loaded"
job=$(sbatch --parsable -A hanbit -J finetune -w gwj-h100-001 --gres=gpu:4 -o /dev/null -e /dev/null --wrap 'sleep 300')
until_ok 30 is "SELECT count(*) FROM dcops.gpu WHERE job_id = $job" 4 || fail "job $job's GPUs"

screen_start 200 50 --db "'dbname=$db'"
screen_wait "DB UP" || fail "the console did not start"
screen_keys 4

# --- Xid 79 on GPU 3 of the node running the job: one incident, a proposal
t0=$(date +%s%N)
write gwj-h100-001 xid3=79
screen_wait "gwj-h100-001: Xid 79 on GPU 3" 20 || fail "the incident is not on the board"
t1=$(date +%s%N)
echo "Xid to incident on screen: $(((t1 - t0) / 1000000)) ms (Prometheus scrapes every 1 s, dcopsd reads every 1 s)"
screen_match "proposed: drain gwj-h100-001 \(Xid 79 on GPU 3: GPU has fallen off the bus\), policy xid-fatal — D to accept" ||
	fail "no proposed drain on the board"
sleep 2   # more cycles see the same Xid
is "SELECT count(*) FROM dcops.incident" 1 || fail "incidents: $(q 'SELECT id, title FROM dcops.incident')"
inc=$(q "SELECT id FROM dcops.incident")
is "SELECT count(*) FROM dcops.gpu_event" 1 || fail "gpu events: $(q 'SELECT count(*) FROM dcops.gpu_event')"
is "SELECT job_id FROM dcops.incident_job WHERE incident_id = $inc" "$job" || fail "the incident does not name job $job"
is "SELECT t.name FROM dcops.incident_tenant l JOIN dcops.tenant t ON t.id = l.tenant_id WHERE l.incident_id = $inc" \
	"한빛랩" || fail "the incident does not name the tenant"

# --- one key drains it in Slurm
screen_keys D
screen_wait "Drain gwj-h100-001" || fail "D did not open the drain dialog"
screen_match "Reason +Xid 79 on GPU 3: GPU has fallen off the bus" || fail "the dialog lacks the proposal's reason"
screen_keys Enter Enter Enter Enter y
until_ok 20 reason_is gwj-h100-001 "dcops $(id -un): Xid 79 on GPU 3: GPU has fallen off the bus" ||
	fail "sinfo -R: $(sinfo -R -h -n gwj-h100-001 -o '%E')"
screen_gone "D to accept" || fail "the proposal stayed on the board"

# --- an exporter restart (counters and the Xid back to 0) raises nothing
write gwj-h100-001 util=55
until_ok 10 is "SELECT count(*) FROM dcops.gpu g JOIN dcops.node n ON n.id = g.node_id
                WHERE n.name = 'gwj-h100-001' AND g.util_pct = 55" 8 || fail "the restarted exporter was not read"
sleep 2
is "SELECT count(*) FROM dcops.gpu_event" 1 || fail "the restart raised events"
is "SELECT count(*) FROM dcops.incident" 1 || fail "the restart raised an incident"

# --- remediation failing (gpu_event locked past remedy_apply's lock_timeout):
# the telemetry reports itself down with why, the Slurm side stays up, and
# the event comes again once the lock goes
psql -X -q -d "$db" -c "BEGIN; LOCK TABLE dcops.gpu_event; SELECT pg_sleep(8); COMMIT" >/dev/null 2>&1 &
locker=$!
until_ok 5 is "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
               WHERE c.relname = 'gpu_event' AND l.mode = 'AccessExclusiveLock' AND l.granted" 1 ||
	fail "the lock was not taken"
# --- an opt-in auto_drain: dcopsd drains by itself, audited as the policy
write gwj-h100-002 xid3=74
until_ok 10 is "SELECT count(*) FROM dcops.setting WHERE key = 'telemetry.error'
                AND value LIKE 'remediation failed, its events are retried: %lock timeout%'" 1 2>/dev/null ||
	fail "telemetry error: $(q "SELECT key, value FROM dcops.setting WHERE key LIKE 'telemetry.%'")"
is "SELECT value FROM dcops.setting WHERE key = 'telemetry.state'" down || fail "telemetry not down"
is "SELECT value FROM dcops.setting WHERE key = 'adapter.state'" up || fail "the Slurm adapter went down too"
wait "$locker"
until_ok 10 is "SELECT value FROM dcops.setting WHERE key = 'telemetry.state'" up || fail "telemetry did not come back"
until_ok 20 reason_is gwj-h100-002 "dcops dcopsd (policy nvlink-auto): Xid 74 on GPU 3: NVLink error" ||
	fail "auto-drain in Slurm: $(sinfo -R -h -n gwj-h100-002 -o '%E')"
is "SELECT actor || ' | ' || (after->'event'->>'code') || ' ' || (after->'event'->>'gpu') FROM dcops.audit
    WHERE action = 'drain' AND target = 'gwj-h100-002'" "dcopsd (policy nvlink-auto) | 74 3" ||
	fail "auto-drain audit: $(q "SELECT actor, after FROM dcops.audit WHERE target = 'gwj-h100-002'")"

# --- a burst across four nodes: one incident, stopped at the guard rail
for n in gwj-h100-003 gwj-h100-004 gwj-a100-001 gwj-a100-002; do write "$n" xid3=74; done
until_ok 20 is "SELECT count(*) FROM dcops.gpu_event" 6 || fail "burst events: $(q 'SELECT count(*) FROM dcops.gpu_event')"
flood="SELECT l.incident_id FROM dcops.incident_node l JOIN dcops.node n ON n.id = l.node_id
        WHERE n.name IN ('gwj-h100-003', 'gwj-h100-004', 'gwj-a100-001', 'gwj-a100-002')"
is "SELECT count(DISTINCT incident_id) || ' ' || count(*) FROM ($flood) f" "1 4" ||
	fail "the burst is not one incident of four nodes: $(q "$flood")"
is "SELECT count(*) FROM dcops.incident" 3 || fail "incidents after the burst: $(q 'SELECT id, title FROM dcops.incident')"
is "SELECT remedy_flood AND remedy_note LIKE 'auto-drain stopped at the guard rail: %'
    FROM dcops.incident WHERE id = ($flood LIMIT 1)" t ||
	fail "no guard rail note: $(q "SELECT remedy_note FROM dcops.incident WHERE id = ($flood LIMIT 1)")"
# one a100 node of two may go (50%), no h100 node (two of four are drained)
is "SELECT string_agg(target, ' ' ORDER BY target) FROM dcops.actions
    WHERE requested_by = 'dcopsd (policy nvlink-auto)' AND target <> 'gwj-h100-002'" "$(
	q "SELECT string_agg(n, ' ' ORDER BY n) FROM unnest(ARRAY['gwj-a100-001', 'gwj-a100-002']) n
	    WHERE n NOT IN (SELECT unnest(proposed_drain) FROM dcops.incident WHERE id = ($flood LIMIT 1))")" ||
	fail "automatic drains: $(q "SELECT target, requested_by FROM dcops.actions")"
is "SELECT cardinality(proposed_drain) || ' ' || ('gwj-h100-003' = ANY (proposed_drain) AND 'gwj-h100-004' = ANY (proposed_drain))
    FROM dcops.incident WHERE id = ($flood LIMIT 1)" "3 true" ||
	fail "the stopped nodes are not proposed: $(q "SELECT proposed_drain FROM dcops.incident WHERE id = ($flood LIMIT 1)")"
screen_wait "GPU faults on 4 nodes within 120 s" 10 || fail "the flood incident is not on the board"
is "SELECT value FROM dcops.setting WHERE key = 'telemetry.state'" up || fail "telemetry not up"
is "SELECT value FROM dcops.setting WHERE key = 'adapter.state'" up || fail "the Slurm adapter not up"
echo "ok: Xid to incident to drain, restart, auto-drain, burst, bad override"
