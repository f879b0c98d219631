#!/usr/bin/env bash
# remedy_xid.sh — from an Xid to an incident and a drain (issue 14), with
# the real Slurm cluster of tests/lib/slurm.sh read and acted on by
# dcopsd --adapter slurm, and events fed through remedy_cycle (the entry
# point the telemetry reader calls each cycle; tests/integration/
# remedy_feed.c, built here against the build's libdcops.a) as a role
# with dcops_adapter's rights only:
#   Xid 79 on GPU 3 of the node running a tenant's job -> one incident
#     naming the GPU, the Xid and its meaning, the job and the tenant, sev
#     from the table, and a proposed drain; the same event again -> still
#     one incident, no second timeline entry, no second proposal; another
#     Xid on the node -> the same incident
#   the operator's drain with the proposal's reason -> the proposal is
#     gone, sinfo -R shows the reason naming the Xid
#   an opt-in auto_drain (the site's override) -> drained by the adapter
#     through the guard rail, actions.requested_by and the audit's actor
#     'dcopsd (policy xid-fatal-auto)' with the event, recorded_by the
#     adapter's role; sinfo -R says so
#   a burst of Xids across four nodes in one cycle -> one flood incident
#     with four nodes; auto-drains stop at the partition guard rail and
#     the incident says "auto-drain stopped at the guard rail: 1 of 4
#     nodes", the rest stay proposed
#   a flood read over several cycles -> the window's single-node
#     incidents nobody took up become the flood incident (the oldest turned
#     into it, the others merged and resolved saying where), on both
#     timelines and audited; an acknowledged one is left as it is
#   an unknown node, hostile UUIDs and a hostile meaning in the override
#     stay data; the operator role cannot call dcops.remedy_apply and the
#     adapter role cannot write dcops.gpu_event directly; a bad override
#     stops the feed with the file, key and value
set -u
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
. "$DCOPS_ROOT/tests/lib/slurm.sh"
why=$(slurm_unavailable)
[ -z "$why" ] || { echo "skipped: $why"; exit 77; }

DB=dcops_remedy_$$
CL="$TEST_TMP/slurm"
dpid=
createdb -T "$DCOPS_TEST_TEMPLATE" "$DB" || exit 1
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	slurm_stop "$CL"
	dropdb --force "$DB" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$DCOPS_ROOT/tests/lib/live-check.sh"

psql -qX -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<'SQL' || { echo "fixture failed"; exit 1; }
DO $$
DECLARE
    r text[];
BEGIN
    FOREACH r SLICE 1 IN ARRAY ARRAY[['remedy_op', 'dcops_operator'], ['remedy_adapter', 'dcops_adapter']] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r[1]) THEN
            EXECUTE format('CREATE ROLE %I LOGIN IN ROLE %I', r[1], r[2]);
        END IF;
    END LOOP;
END $$;
-- half a partition within the hour: two h100 nodes, one a100 node
UPDATE dcops.setting SET value = '50' WHERE key = 'guard.drain_pct';
SQL

slurm_start "$CL" || exit $?
"$DCOPSD" --adapter slurm --db "dbname=$DB" --poll-nodes 1 --poll-jobs 1 --poll-accounting 2 \
	--log "$TEST_TMP/dcopsd.log" >"$TEST_TMP/dcopsd.out" 2>&1 &
dpid=$!
got=$(wait_for 30 6 q "SELECT count(*) FROM dcops.node")
want "nodes read from Slurm" "$got" 6

job=$(sbatch --parsable -A hanbit -J 'pretrain $(id)' --gres=gpu:4 -o /dev/null -e /dev/null --wrap 'sleep 300')
got=$(wait_for 30 4 q "SELECT count(*) FROM dcops.gpu g JOIN dcops.node n ON n.id = g.node_id
                       WHERE n.name = 'gwj-h100-001' AND g.job_id = $job")
want "job $job's GPUs on gwj-h100-001" "$got" 4

LIBDIR=$(dirname "$(dirname "$DCOPSD")")
FEED="$TEST_TMP/remedy_feed"
# shellcheck disable=SC2046 # pkg-config's words are separate flags
cc -std=c11 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 -I"$DCOPS_ROOT/backend" \
	${SANITIZE:+-fsanitize=address,undefined} $(pkg-config --cflags libpq libcjson) \
	-o "$FEED" "$DCOPS_ROOT/tests/integration/remedy_feed.c" "$LIBDIR/libdcops.a" \
	$(pkg-config --libs ncursesw libssh libpq libcjson) -lm || { echo "could not build remedy_feed"; exit 1; }
TABLE="$DCOPS_ROOT/backend/remedy/xid.json"
OVR="$TEST_TMP/site-remedy.json"
cat >"$OVR" <<'JSON'
{ "events": { "xid.79": { "auto_drain": true, "policy": "xid-fatal-auto" },
              "xid.74": { "auto_drain": true, "policy": "nvlink-auto" },
              "xid.119": { "meaning": "GSP가 응답 없음 \"$(id)\" '; DROP TABLE dcops.node; --" } } }
JSON
feed() { "$FEED" "dbname=$DB user=remedy_adapter" "$@" 2>>"$TEST_TMP/feed.err"; }
ev() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@"; }
T0=$(date +%s)
inc_of() { q "SELECT i.id FROM dcops.incident i JOIN dcops.incident_node l ON l.incident_id = i.id
              JOIN dcops.node n ON n.id = l.node_id WHERE n.name = '$1' AND i.source = 'dcgm'"; }

# ---- Xid 79 on GPU 3 of the node running hanbit's job
want "first cycle" "$(ev xid gwj-h100-001 3 79 1 "$T0" GPU-3 | feed "$TABLE")" \
	"new 1 duplicate 0 unknown 0 opened 1 updated 0 proposed 1 auto 0 stopped 0 ignored 0"
inc=$(inc_of gwj-h100-001)
want "incidents" "$(q "SELECT count(*) FROM dcops.incident")" 1
want "title" "$(q "SELECT title FROM dcops.incident WHERE id = $inc")" \
	"gwj-h100-001: Xid 79 on GPU 3: GPU has fallen off the bus"
want "sev from the table" "$(q "SELECT sev FROM dcops.incident WHERE id = $inc")" 3
want "its job" "$(q "SELECT job_id || ' ' || gpus || ' ' || name FROM dcops.incident_job WHERE incident_id = $inc")" \
	"$job 4 pretrain \$(id)"
want "its tenant" "$(q "SELECT t.name FROM dcops.incident_tenant l JOIN dcops.tenant t ON t.id = l.tenant_id
                         WHERE l.incident_id = $inc")" "한빛랩"
want "impact" "$(q "SELECT impact || ' | ' || jobs_killed || ' ' || tenants_hit || ' ' || gpus_killed
                     FROM dcops.incident WHERE id = $inc")" \
	"1 node, 1 faulty GPU; 1 job of 1 tenant on it (likely dead) | 1 1 4"
want "proposed drain" "$(q "SELECT array_to_string(proposed_drain, ' ') || ' | ' || proposed_reason || ' | ' ||
                             proposed_policy FROM dcops.incident WHERE id = $inc")" \
	"gwj-h100-001 | Xid 79 on GPU 3: GPU has fallen off the bus | xid-fatal"
want "GPU's last Xid" "$(q "SELECT g.last_xid FROM dcops.gpu g JOIN dcops.node n ON n.id = g.node_id
                             WHERE n.name = 'gwj-h100-001' AND g.idx = 3")" 79
want "opened, audited" "$(q "SELECT actor || ' ' || target FROM dcops.audit WHERE action = 'incident_open'")" \
	"remedy_adapter incident/$inc"

# ---- the same event again: nothing new; another Xid: the same incident
want "same event again" "$(ev xid gwj-h100-001 3 79 1 "$T0" GPU-3 | feed "$TABLE")" \
	"new 0 duplicate 1 unknown 0 opened 0 updated 0 proposed 0 auto 0 stopped 0 ignored 0"
want "another Xid on the node" "$(ev xid gwj-h100-001 2 48 1 "$((T0 + 1))" GPU-2 | feed "$TABLE")" \
	"new 1 duplicate 0 unknown 0 opened 0 updated 1 proposed 0 auto 0 stopped 0 ignored 0"
want "still one incident" "$(q "SELECT count(*) FROM dcops.incident")" 1
want "one proposal on the timeline" "$(q "SELECT count(*) FROM dcops.incident_event
                                         WHERE incident_id = $inc AND body LIKE 'proposed: drain %'")" 1
want "one timeline entry per event" "$(q "SELECT count(*) FROM dcops.incident_event
                                          WHERE incident_id = $inc AND body LIKE 'gwj-h100-001 GPU %'")" 2
want "an application's Xid raises nothing" "$(ev xid gwj-h100-001 0 13 1 "$T0" GPU-0 | feed "$TABLE")" \
	"new 0 duplicate 0 unknown 0 opened 0 updated 0 proposed 0 auto 0 stopped 0 ignored 1"

# ---- the operator drains with the proposal's reason: the proposal goes
reason=$(q "SELECT proposed_reason FROM dcops.incident WHERE id = $inc")
"$DCOPS" -q --db "dbname=$DB user=remedy_op" drain gwj-h100-001 --reason "$reason" --incident "$inc" >/dev/null ||
	fail "the operator's drain was refused"
want "proposal after the drain" "$(q "SELECT cardinality(proposed_drain) FROM dcops.incident WHERE id = $inc")" 0
got=$(wait_for 20 "dcops remedy_op: Xid 79 on GPU 3: GPU has fallen off the bus" sinfo -R -h -n gwj-h100-001 -o '%E')
want "sinfo -R gwj-h100-001" "$got" "dcops remedy_op: Xid 79 on GPU 3: GPU has fallen off the bus"

# ---- an opt-in auto-drain
want "auto-drain cycle" "$(ev xid gwj-h100-002 1 79 1 "$((T0 + 2))" GPU-1 | feed "$TABLE" "$OVR")" \
	"new 1 duplicate 0 unknown 0 opened 1 updated 0 proposed 1 auto 1 stopped 0 ignored 0"
inc2=$(inc_of gwj-h100-002)
want "auto-drain intent" "$(q "SELECT requested_by || ' | ' || reason || ' | ' || incident_id FROM dcops.actions
                               WHERE target = 'gwj-h100-002'")" \
	"dcopsd (policy xid-fatal-auto) | Xid 79 on GPU 1: GPU has fallen off the bus | $inc2"
want "auto-drain audit" "$(q "SELECT actor || ' | ' || recorded_by || ' | ' || (after->'event'->>'code') || ' ' ||
                               (after->'event'->>'gpu') || ' | ' || incident_id FROM dcops.audit
                               WHERE action = 'drain' AND target = 'gwj-h100-002'")" \
	"dcopsd (policy xid-fatal-auto) | remedy_adapter | 79 1 | $inc2"
want "nothing left proposed" "$(q "SELECT cardinality(proposed_drain) FROM dcops.incident WHERE id = $inc2")" 0
got=$(wait_for 20 "dcops dcopsd (policy xid-fatal-auto): Xid 79 on GPU 1: GPU has fallen off the bus" \
	sinfo -R -h -n gwj-h100-002 -o '%E')
want "sinfo -R gwj-h100-002" "$got" "dcops dcopsd (policy xid-fatal-auto): Xid 79 on GPU 1: GPU has fallen off the bus"

# ---- a burst across four nodes in one cycle: one incident, the guard rail
got=$({ for n in gwj-h100-003 gwj-h100-004 gwj-a100-001 gwj-a100-002; do
	ev xid "$n" 0 74 1 "$((T0 + 3))" "GPU-$n"; done; } | feed "$TABLE" "$OVR")
want "burst cycle" "$got" "new 4 duplicate 0 unknown 0 opened 1 updated 3 proposed 4 auto 1 stopped 3 ignored 0"
flood=$(inc_of gwj-a100-001)
want "one flood incident" "$(q "SELECT count(DISTINCT l.incident_id) || ' ' || bool_and(i.remedy_flood)
                                 FROM dcops.incident_node l JOIN dcops.incident i ON i.id = l.incident_id
                                 JOIN dcops.node n ON n.id = l.node_id
                                 WHERE n.name IN ('gwj-h100-003', 'gwj-h100-004', 'gwj-a100-001', 'gwj-a100-002')")" \
	"1 true"
want "incidents now" "$(q "SELECT count(*) FROM dcops.incident")" 3
want "flood title" "$(q "SELECT title || ' | sev ' || sev FROM dcops.incident WHERE id = $flood")" \
	"GPU faults on 4 nodes within 120 s | sev 3"
want "guard rail note" "$(q "SELECT remedy_note FROM dcops.incident WHERE id = $flood")" \
	"auto-drain stopped at the guard rail: 1 of 4 nodes; the rest stay proposed (guard.drain_pct 50% within 1 hour)"
want "the rest stay proposed" "$(q "SELECT array_to_string(proposed_drain, ' ') FROM dcops.incident WHERE id = $flood")" \
	"gwj-h100-003 gwj-h100-004 gwj-a100-002"
want "the one drained" "$(q "SELECT string_agg(target, ' ') FROM dcops.actions WHERE requested_by = 'dcopsd (policy nvlink-auto)'")" \
	"gwj-a100-001"

# ---- hostile strings stay data
want "unknown node" "$(ev xid 'gwj-h100-00$(id)' 0 79 1 "$T0" x | feed "$TABLE")" \
	"new 0 duplicate 0 unknown 1 opened 0 updated 0 proposed 0 auto 0 stopped 0 ignored 0"
evil_uuid=$'GPU-\'; DROP TABLE dcops.node; -- $(id) \e[2J'
want "hostile uuid" "$(ev nvlink gwj-h100-004 7 12 12 "$((T0 + 4))" "$evil_uuid" | feed "$TABLE")" \
	"new 1 duplicate 0 unknown 0 opened 0 updated 1 proposed 0 auto 0 stopped 0 ignored 0"
want "uuid kept byte for byte" "$(q "SELECT uuid FROM dcops.gpu_event WHERE kind = 'nvlink'")" "$evil_uuid"
want "hostile meaning" "$(ev xid gwj-a100-002 4 119 1 "$((T0 + 600))" GPU-4 | feed "$TABLE" "$OVR" | cut -d' ' -f1-2)" "new 1"
want "meaning kept as data" "$(q "SELECT count(*) FROM dcops.incident_event
                                   WHERE body LIKE '%GSP가 응답 없음 \"\$(id)\" ''; DROP TABLE dcops.node; --%'")" 1
want "nodes still there" "$(q "SELECT count(*) FROM dcops.node")" 6

# ---- a flood read over several cycles (085): the window's untouched
# single-node incidents become the flood's; an acknowledged one stays
q "UPDATE dcops.incident SET state = 'resolved', resolved_at = now() WHERE state <> 'resolved'" >/dev/null
T1=$((T0 + 2000))
want "split burst, cycle 1" "$(ev xid gwj-h100-003 0 48 1 "$T1" GPU-0 | feed "$TABLE")" \
	"new 1 duplicate 0 unknown 0 opened 1 updated 0 proposed 1 auto 0 stopped 0 ignored 0"
first=$(q "SELECT max(id) FROM dcops.incident")
want "split burst, cycle 2" "$(ev xid gwj-h100-004 0 48 1 "$((T1 + 5))" GPU-0 | feed "$TABLE")" \
	"new 1 duplicate 0 unknown 0 opened 1 updated 0 proposed 1 auto 0 stopped 0 ignored 0"
second=$(q "SELECT max(id) FROM dcops.incident")
ev xid gwj-h100-001 0 48 1 "$((T1 + 6))" GPU-0 | feed "$TABLE" >/dev/null
acked=$(q "SELECT max(id) FROM dcops.incident")
q "UPDATE dcops.incident SET state = 'acknowledged', acknowledged_at = now(), owner = 'kim' WHERE id = $acked" >/dev/null
want "split burst, the fourth node" "$(ev xid gwj-a100-002 0 48 1 "$((T1 + 10))" GPU-0 | feed "$TABLE")" \
	"new 1 duplicate 0 unknown 0 opened 0 updated 1 proposed 1 auto 0 stopped 0 ignored 0"
want "the first became the flood" "$(q "SELECT remedy_flood || ' ' || state || ' | ' || title FROM dcops.incident
                                        WHERE id = $first")" "true triggered | GPU faults on 3 nodes within 120 s"
want "the flood's nodes and events" "$(q "SELECT (SELECT string_agg(n.name, ' ' ORDER BY n.name) FROM dcops.incident_node l
                                                   JOIN dcops.node n ON n.id = l.node_id WHERE l.incident_id = $first)
                                          || ' | ' || (SELECT count(*) FROM dcops.gpu_event WHERE incident_id = $first)")" \
	"gwj-a100-002 gwj-h100-003 gwj-h100-004 | 3"
want "proposed drains gathered" "$(q "SELECT array_to_string(proposed_drain, ' ') FROM dcops.incident WHERE id = $first")" \
	"gwj-h100-003 gwj-h100-004 gwj-a100-002"
want "the second merged" "$(q "SELECT state || ' | ' || summary || ' | ' || cardinality(proposed_drain)
                               FROM dcops.incident WHERE id = $second")" \
	"resolved | merged into #$first: GPU faults on several nodes within 120 s | 0"
want "on both timelines" "$(q "SELECT string_agg(incident_id || ' ' || kind || ' ' || body, ' / ' ORDER BY id)
                               FROM dcops.incident_event WHERE body LIKE '%merged%' OR body LIKE 'a flood:%'")" \
	"$first signal a flood: GPU faults on more nodes within 120 s; this incident gathers them / $second resolved merged into #$first (a flood within 120 s) / $first signal merged #$second into this flood: gwj-h100-004: Xid 48 on GPU 0: double-bit ECC error"
want "audited" "$(q "SELECT string_agg(action || ' ' || target || ' ' || actor, ' / ' ORDER BY id) FROM dcops.audit
                     WHERE action IN ('incident_flood', 'incident_merge')")" \
	"incident_flood incident/$first remedy_adapter / incident_merge incident/$second remedy_adapter"
want "the acknowledged one left alone" "$(q "SELECT remedy_flood || ' ' || state || ' ' || owner FROM dcops.incident
                                             WHERE id = $acked")" "false acknowledged kim"
want "the next node joins the flood" "$(ev xid gwj-h100-002 0 48 1 "$((T1 + 12))" GPU-0 | feed "$TABLE" | cut -d' ' -f1-10)" \
	"new 1 duplicate 0 unknown 0 opened 0 updated 1"
want "four nodes now" "$(q "SELECT title FROM dcops.incident WHERE id = $first")" "GPU faults on 4 nodes within 120 s"

# ---- rights, and a bad override
got=$(psql -qAtX -d "$DB" -U remedy_op -c "SELECT dcops.remedy_apply('[]', '1 minute', 4)" 2>&1)
case $got in *"permission denied for function remedy_apply"*) ;; *) fail "operator calling remedy_apply: $got" ;; esac
got=$(psql -qAtX -d "$DB" -U remedy_adapter -c "INSERT INTO dcops.gpu_event (node_id, gpu, kind, code, rise, at, policy)
                                                 VALUES (1, 0, 'xid', 79, 1, now(), 'p')" 2>&1)
case $got in *"permission denied for table gpu_event"*) ;; *) fail "adapter writing gpu_event: $got" ;; esac
checks=$((checks + 2))
printf '{"events": {"xid.79": {"severity": "high"}}}' >"$TEST_TMP/bad.json"
out=$(ev xid gwj-h100-003 0 79 1 "$T0" x | "$FEED" "dbname=$DB user=remedy_adapter" "$TABLE" "$TEST_TMP/bad.json" 2>&1)
want "bad override" "$out" \
	"remedy_feed: $TEST_TMP/bad.json: events.xid.79.severity: expected a severity 1 to 5, got \"high\""

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
