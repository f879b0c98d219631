#!/usr/bin/env bash
# handover_cli.sh — shifts, the handover note and sign-off, and the
# handover report (text, md, json) against a fixture history built with
# the operator commands on tests/isolation/fixture.sql; hostile titles are
# escaped; an empty window gives a short report. Runs under tests/run.sh.
set -u
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
DB="dcops_handover_cli_$$"
createdb -T "$DCOPS_TEST_TEMPLATE" "$DB" || exit 1
trap 'dropdb --force "$DB" >/dev/null 2>&1; dropdb --force "${DB}_empty" >/dev/null 2>&1' EXIT
psql -q -X -v ON_ERROR_STOP=1 -d "$DB" -f "$DCOPS_ROOT/tests/isolation/fixture.sql" >/dev/null 2>&1 ||
	{ echo "fixture failed"; exit 1; }

. "$DCOPS_ROOT/tests/lib/cli-check.sh"
sql() { psql -q -X -A -t -d "$DB" -c "$1"; }
want_json() { # FILTER WANT: on the last stdout
	checks=$((checks + 1))
	local got
	got=$(jq -c "$1" <"$OUT")
	[ "$got" = "$2" ] || { failures=$((failures + 1)); printf 'FAIL: jq %s\n  want %s\n  got  %s\n' "$1" "$2" "$got"; }
}
want_out() { # GREP-E-PATTERN: on the last stdout
	checks=$((checks + 1))
	grep -Eq -- "$1" "$OUT" || { failures=$((failures + 1)); printf 'FAIL: output lacks /%s/:\n' "$1"; sed 's/^/  | /' "$OUT"; }
}

# No shift yet: the rota slot, and a report all the same.
check act_op 0 '^SHIFT HANDOVER: no shift started \(rota slot\)' -- report handover
check act_op 2 'give --shift or --since, not both' -- report handover --shift 1 --since 1h
check act_op 2 '--format is text, md or json' -- report handover --format html
check act_op 1 'unknown shift 7' -- report handover --shift 7

# --- the history: a pending 16-GPU job from before the shift, a budget nearly spent
sql "INSERT INTO dcops.job (tenant_id, partition_id, user_name, gpus, nodes, state, submit_at)
     VALUES (2, 1, 'park', 16, 2, 'pending', now() - interval '2 hours');
     UPDATE dcops.quota SET gpu_hours_used = 950 WHERE tenant_id = 1;
     INSERT INTO dcops.usage_sample (ts, tenant_id, partition_id, gpus_in_use, gpu_hours)
     VALUES (now() - interval '1 hour', 1, 1, 12, 1);
     INSERT INTO dcops.tenant (name, name_en, kind) VALUES ('full house', 'Full', 'startup');
     INSERT INTO dcops.quota (tenant_id, gpu_limit, gpu_hours_budget, storage_tb, term_start, term_end)
     VALUES (3, 8, 100000, 10, current_date, current_date + 90);
     INSERT INTO dcops.job (tenant_id, partition_id, user_name, gpus, state, start_at, submit_at)
     VALUES (3, 2, 'choi', 8, 'running', now(), now());
     UPDATE dcops.quota SET gpu_limit = 12, expires_at = now() + interval '2 days',
            prev_values = '{\"gpu_limit\": 8, \"gpu_hours_budget\": 500, \"storage_tb\": 10}' WHERE tenant_id = 2"
check act_op 0 '^shift 1 started \(audit [0-9]+\)$' -- shift start
check act_op 1 'you are already on shift 1' -- shift start
check act_op 0 '^incident 1 acknowledged' -- incident ack 1
check act_op 0 '^incident 1 note added' -- incident note 1 vendor case 4411 opened, reboot at 23:00
check act_op 0 '^drain recorded: gpu-001' -- drain gpu-001 --reason "Xid 79: GPU fell off the bus" --incident 1
check act_op 0 '^quota change recorded' -- quota set acme gpus=20 --reason "paper deadline next week" --expires 1d
check act_op 0 '^incident 2 opened' -- incident open --sev 4 --title "gpu-002: Xid 63 row remap pending" --node gpu-002
check act_op 0 '^incident 3 opened' -- incident open --sev 4 --title "gpu-002: Xid 64 row remap failure" --node gpu-002
check act_op 0 '^incident 3 resolved' -- incident resolve 3 --summary "GPU reset and burn-in passed"
check act_op 0 '^incident 4 opened' -- incident open --sev 3 \
	--title $'evil \e[31mred\e[0m | *bold* [link](http://x) \u202egnp.exe'
check act_op 0 '^handover note of shift 1 saved' -- handover note "gpu-001 drained for Xid 79; vendor case 4411." \
	"incident 4 unowned: take it first."
check act_op 0 '^handover note of shift 1 saved' -- handover note --shift 1 --file - <<<$'line one\nline two | *x*'
check act_op 1 'you handed shift 1 over: the incoming operator signs it off' -- handover sign-off 1
check act_op2 1 'shift 1 is act_op.s: the outgoing operator writes its handover note' -- handover note --shift 1 "mine now"
check act_op2 0 '^handover of shift 1 signed off \(audit [0-9]+\)$' -- handover sign-off 1
check act_op 1 'you handed shift 1 over' -- handover sign-off 1
check act_op2 1 'the handover of shift 1 was already signed off by act_op2 at ' -- handover sign-off 1
check act_op 1 'was signed off by act_op2 at .*: its note is final' -- handover note --shift 1 "too late"
check act_viewer 1 'permission denied for function handover_sign_off' -- handover sign-off 1
check act_op 0 '^shift 1 ended' -- shift end
check act_op 1 'act_op has no open shift' -- shift end
checks=$((checks + 1))
[ "$(sql "SELECT count(*) FROM dcops.audit WHERE action IN ('shift_start', 'shift_end', 'handover_note_set', 'handover_sign_off')")" = 5 ] ||
	{ failures=$((failures + 1)); echo "FAIL: one audit row per shift/handover call"; }

# --- json: the figures
check act_viewer 0 '"report"' -- report handover --shift 1 --format json
want_json '[.report, .version, .window.source, .shift.id, .shift.operator, .ecc_baseline]' '["handover",1,"shift",1,"act_op",true]'
want_json '.on_call' '["act_op"]'
want_json '[.open_incidents[] | [.id, .sev, .state, .owner, .unowned]]' \
	'[[4,3,"triggered",null,true],[2,4,"triggered",null,true],[1,3,"acknowledged","act_op",false]]'
want_json '.open_incidents[2].last_note' '"vendor case 4411 opened, reboot at 23:00"'
want_json '[.incidents_opened[].id]' '[2,3,4]'
want_json '[.incidents_resolved[] | [.id, .owner, .summary]]' '[[3,"act_op","GPU reset and burn-in passed"]]'
want_json '[.actions[] | [.kind, .target, .status]]' '[["drain","gpu-001","pending"],["quota_set","acme","pending"]]'
want_json '.actions[1] | [.before.gpu_limit, .after.gpu_limit, (.expires_at != null)]' '[16,20,true]'
want_json '.nodes_out' '[]'
# at risk: acme by its budget at the last 24 h's burn (12 GPUs = 288 GPU-h a day, 50 left); 한빛랩's
# 16-GPU job waits on its 12-GPU limit; "full house" at 8 of 8 GPUs with nothing waiting is not listed
want_json '[.quota_risk[] | [.tenant, .gpus_running, .hours_pct, .days_left]]' '[["acme",12,95,0.2],["한빛랩",0,0,null]]'
want_json '[.quota_risk[] | [.burn_gpu_hours_per_day, .pending_blocked, .pending_blocked_gpus]]' '[[288,0,0],[0,1,16]]'
want_json '[.quota_temp[] | [.tenant, .before.gpu_limit, .after.gpu_limit, (.expires_at != null)]]' '[["한빛랩",8,12,true]]'
want_json '[.queues[] | [.partition, .pending, .pending_at_start, .blocked_large, .blocked_large_at_start]]' \
	'[["p1",1,1,1,1],["p2",0,0,0,0]]'
want_json '[.watch[] | [.node, .xid_incidents, .xids]]' '[["gpu-002",2,[63,64]]]'
want_json '[.note.author, .note.body, .note.signed_off_by]' '["act_op","line one\nline two | *x*","act_op2"]'

# --- text: sections in order, figures, escaping
check act_viewer 0 '^SHIFT HANDOVER: shift 1, act_op$' -- report handover --shift 1
checks=$((checks + 1))
got=$(grep -E '^[A-Z][A-Za-z ]+(\(now vs shift start\) )?\([0-9]+\)$' "$OUT" | tr '\n' ';')
want='Open incidents (3);Incidents opened this shift (3);Incidents resolved this shift (1);Nodes drained or down (0);Actions this shift (2);Temporary quotas in effect (1);Tenants at quota risk (2);Queue health (now vs shift start) (2);Watch list (1);'
[ "$got" = "$want" ] || { failures=$((failures + 1)); printf 'FAIL: text sections\n  want %s\n  got  %s\n' "$want" "$got"; }
want_out '^  #4  sev: SEV-3  state: triggered  owner: UNOWNED  age: 0m  next update: -  title: evil \\x1b\[31mred\\x1b\[0m \| \*bold\* \[link\]\(http://x\) <U\+202E>gnp.exe'
want_out 'action: quota_set  target: acme  change: gpu_limit 16 -> 20  status: pending  until: [0-9-]+ [0-9:]+ KST  reason: paper deadline next week$'
want_out '^  p1  pending: 1 \(was 1\)  oldest wait: 2h00m \(was 2h00m\)  blocked >=16 GPUs: 1 \(was 1\)$'
want_out '^  gpu-002  2 Xid incidents this shift \(Xid 63, 64\)$'
want_out '^  한빛랩  change: gpu_limit 8 -> 12  expires: [0-9-]+ [0-9:]+'
want_out 'why: 1 pending job waits \(16 GPUs\) on the limit of 12 GPUs \(0 running\)$'
want_out '^  \| line two \| \*x\*$'
want_out 'written by act_op at .*; signed off by act_op2 at '
checks=$((checks + 1))
if LC_ALL=C grep -q $'\e' "$OUT"; then failures=$((failures + 1)); echo "FAIL: raw ESC in text output"; fi

# --- md: headings, tables, escaped cells
check act_viewer 0 '^## Shift handover: shift 1, act\\_op$' -- report handover --shift 1 --format md
want_out '^### Open incidents \(3\)$'
want_out '^\| id \| sev \| state \| owner \| age \| next update \| title \| last note \|$'
want_out '^\| #4 \| SEV-3 \| triggered \| \*\*UNOWNED\*\* \| 0m \| - \| evil \\x1b\\\[31mred\\x1b\\\[0m \\\| \\\*bold\\\* \\\[link\\\]\(http://x\) <U\+202E>gnp.exe \| sev 3: evil '
want_out '^> line two \\\| \\\*x\\\*$'
checks=$((checks + 1))
if LC_ALL=C grep -q $'\e' "$OUT"; then failures=$((failures + 1)); echo "FAIL: raw ESC in md output"; fi

# --- an empty window: short and correct
createdb -T "$DCOPS_TEST_TEMPLATE" "${DB}_empty" || exit 1
checks=$((checks + 1))
"$DCOPS" -q --db "dbname=${DB}_empty" report handover --since 8h >"$OUT" 2>"$ERR" || { failures=$((failures + 1)); cat "$ERR"; }
lines=$(wc -l <"$OUT")
[ "$lines" -le 33 ] && grep -q '^Open incidents (0)$' "$OUT" && grep -q '^  no note written$' "$OUT" &&
	grep -q '^On call: nobody recorded$' "$OUT" || { failures=$((failures + 1)); echo "FAIL: empty report ($lines lines)"; cat "$OUT"; }
"$DCOPS" -q --db "dbname=${DB}_empty" report handover --since 8h --format json >"$OUT"
want_json '[.window.source, .open_incidents, .actions, .queues, .watch, .note, .ecc_baseline]' '["since",[],[],[],[],null,false]'

# --- a budget of 0 is none (a Slurm account without GrpTRESMins): nothing
# runs out, however much the tenant burns
sql "INSERT INTO dcops.tenant (name, name_en, kind) VALUES ('open lab', 'Open', 'institute');
     INSERT INTO dcops.quota (tenant_id, gpu_limit, gpu_hours_budget, storage_tb, term_start, term_end)
     SELECT id, 48, 0, 0, current_date, current_date + 365 FROM dcops.tenant WHERE name = 'open lab';
     INSERT INTO dcops.usage_sample (ts, tenant_id, partition_id, gpus_in_use, gpu_hours)
     SELECT now() - interval '30 minutes', id, 1, 4, 2 FROM dcops.tenant WHERE name = 'open lab'"
checks=$((checks + 1))
[ "$(sql "SELECT q.burn_gpu_h_day > 0 FROM dcops.quota q JOIN dcops.tenant t ON t.id = q.tenant_id
          WHERE t.name = 'open lab'")" = t ] || { failures=$((failures + 1)); echo "FAIL: open lab burns nothing"; }
check act_viewer 0 '"quota_risk"' -- report handover --shift 1 --format json
want_json '[.quota_risk[] | .tenant]' '["acme","한빛랩"]'

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
