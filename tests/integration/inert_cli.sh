#!/usr/bin/env bash
# inert_cli.sh — untrusted text never reaches the terminal raw from a
# script command (issue 12, items 3, 4 and 11). Hostile strings (OSC 2
# title, clear screen, U+0085, U+202E, U+2066) go into audit and action
# reasons, a refusal reason, an incident title, the handover note, the
# site name, and a drill's scenario name, title and expectation kind; the
# server refuses such drill names and kinds from an operator who calls
# dcops.drill_start directly, and rows a superuser writes anyway are
# printed inert by dcops audit, actions, a second drain's refusal, drill
# start/status/report (text, md), report handover (text, md) and status:
# no ESC, BEL, C1 or bidi byte sequence on stdout or stderr, the escapes
# visible instead; every JSON output parses and carries them as \u escapes.
# Words of the command line quoted back in a refusal (an unknown option
# or command, --profile, --config, --sites, demo's) are shown inert too.
# Also: audit --node lists the node's diagnostic runs; a FIFO or a
# directory given to handover note --file is refused at once.
# Runs under tests/run.sh.
set -u
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
DB="dcops_inert_cli_$$"
createdb -T "$DCOPS_TEST_TEMPLATE" "$DB" || exit 1
trap 'dropdb --force "$DB" >/dev/null 2>&1' EXIT
psql -q -X -v ON_ERROR_STOP=1 -d "$DB" -f "$DCOPS_ROOT/tests/isolation/fixture.sql" >/dev/null 2>&1 ||
	{ echo "fixture failed"; exit 1; }

failures=0 checks=0
OUT="$TEST_TMP/out" ERR="$TEST_TMP/err"
fail() { failures=$((failures + 1)); printf 'FAIL: %s\n' "$*"; }

# The hostile text, in bash and as a PostgreSQL E'' literal.
EVIL=$'evil\e]2;x\a\e[2J nel\u0085 rlo\u202e lri\u2066 end'
EVIL_SQL="E'evil\\x1b]2;x\\x07\\x1b[2J nel\\u0085 rlo\\u202e lri\\u2066 end'"
# How text output shows it.
SHOWN='evil\x1b]2;x\x07\x1b[2J nel<U+0085> rlo<U+202E> lri<U+2066> end'

# no_raw FILE WHAT: no ESC, BEL, C1 (UTF-8 c2 80..9f) or bidi override /
# isolate (e2 80 aa..ae, e2 81 a6..a9) byte sequence in FILE.
no_raw() {
	checks=$((checks + 1))
	if LC_ALL=C grep -qaP '[\x1b\x07]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$1" ||
	   od -An -v -tx1 "$1" | grep -qwE '1b|07'; then
		fail "$2: raw control or bidi bytes reach the terminal:"
		LC_ALL=C grep -naP '[\x1b\x07]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$1" | cat -v | head -5
	fi
}

# run AS WANT_RC -- ARGS...: dcops as role AS (user "" is the superuser);
# stdout in $OUT, stderr in $ERR, both checked inert.
run() {
	local as=$1 want=$2
	shift 3
	checks=$((checks + 1))
	"$DCOPS" -q --db "dbname=$DB${as:+ user=$as}" "$@" >"$OUT" 2>"$ERR"
	local rc=$?
	[ "$rc" = "$want" ] || { fail "dcops $* (as ${as:-superuser}): rc $rc, want $want"; sed 's/^/  | /' "$OUT" "$ERR" | cat -v; }
	no_raw "$OUT" "dcops $* (stdout)"
	no_raw "$ERR" "dcops $* (stderr)"
}

# shows FILE FIXED-TEXT WHAT: the escaped form is there to read.
shows() {
	checks=$((checks + 1))
	grep -qF -- "$2" "$1" || { fail "$3: '$2' not shown"; cat -v "$1" | head -20; }
}

# json_ok WHAT JQ-FILTER: $OUT parses, the filter's raw value is $EVIL,
# and the text carries \u escapes, not the characters.
json_ok() {
	checks=$((checks + 1))
	jq -e . "$OUT" >/dev/null 2>&1 || { fail "$1: not valid JSON"; return; }
	local got
	got=$(jq -r "$2" "$OUT")
	[ "$got" = "$EVIL" ] || fail "$1: $2 is '$(cat -v <<<"$got")', not the text stored"
	shows "$OUT" '\u001b]2;x\u0007\u001b[2J nel\u0085 rlo\u202e lri\u2066 end' "$1"
}

sql() { psql -q -X -A -t -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

# --- audit and actions: the reason an operator typed
run act_op 0 -- drain gpu-001 --reason "$EVIL"
run act_viewer 0 -- audit
shows "$OUT" "$SHOWN" "dcops audit"
run act_viewer 0 -- actions
shows "$OUT" "$SHOWN" "dcops actions"

# --- a second drain's refusal quotes the first operator's reason (the
# server's to_json has made ESC and BEL \u escapes already; not C1, bidi)
sql "UPDATE dcops.node SET admin_state = 'drained', drain_reason = $EVIL_SQL, drained_by = 'act_op',
     drained_at = now() WHERE name = 'gpu-010'"
run act_admin 1 -- drain gpu-010 --reason "also broken here" --override
checks=$((checks + 1))
[ "$(wc -l <"$ERR")" = 1 ] || fail "the refusal is not one line"
shows "$ERR" 'node gpu-010 is already drained (by act_op at ' "second drain's refusal"
shows "$ERR" ' nel<U+0085> rlo<U+202E> lri<U+2066> end' "second drain's refusal"

# --- audit --node: the node's diagnostic runs too
psql -q -X -d "dbname=$DB user=act_op" -c "SELECT dcops.diag_record('gpu-005', 'gpu', 0, 858, false)" >/dev/null ||
	fail "an operator could not record a diagnostic"
run act_viewer 0 -- audit --node gpu-005
shows "$OUT" $'\tact_op\tlocal\tdiag\tgpu-005\t' "audit --node gpu-005"

# --- drills: names and kinds checked by the server
sql "INSERT INTO dcops.setting (key, value) VALUES ('environment', 'drill')
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
spec='{"title": "t", "timeline": [], "expectations": [{"kind": "ack_incident", "within_s": 300}]}'
bad_kind="{\"title\": \"t\", \"timeline\": [], \"expectations\": [{\"kind\": \"x\\u001b]2;x\\u0007\\u001b[2J\"}]}"
for call in "dcops.drill_start($EVIL_SQL, '$spec', 0, 60)" \
            "dcops.drill_start(E'ok\\x1b[2J', '$spec', 0, 60)" \
            "dcops.drill_start('ok', '$bad_kind', 0, 60)" \
            "dcops.drill_start('ok', '{\"timeline\": [], \"expectations\": [{\"kind\": \"ack_incident\"}, {}]}', 0, 60)"; do
	checks=$((checks + 1))
	if err=$(psql -q -X -A -t -d "dbname=$DB user=act_op" -c "SELECT * FROM $call" 2>&1); then
		fail "an operator started a drill with a hostile name or kind: $call"
	fi
	grep -qE 'drill scenario name: 1 to 64 characters|expectations\[[01]\]\.kind must be one of ack_incident' <<<"$err" ||
		fail "drill_start refusal does not say what is wrong: $err"
done
checks=$((checks + 1))
[ "$(sql "SELECT count(*) FROM dcops.drill_run")" = 0 ] || fail "a refused drill left a row"

# --- drill rows a superuser wrote anyway are printed inert
sql "ALTER TABLE dcops.drill_run DISABLE TRIGGER drill_run_check;
     INSERT INTO dcops.drill_run (scenario, started_by, title, speed, spec)
     VALUES ($EVIL_SQL, 'act_op', $EVIL_SQL, 60,
             jsonb_build_object('title', $EVIL_SQL, 'timeline', '[]'::jsonb,
                                'expectations', jsonb_build_array(jsonb_build_object('kind', $EVIL_SQL, 'within_s', 300))));
     ALTER TABLE dcops.drill_run ENABLE TRIGGER drill_run_check"
DRILL=$(sql "SELECT id FROM dcops.drill_run")
run act_op2 1 -- drill start xid79-h100-job
shows "$ERR" "drill $DRILL ($SHOWN) is running" "another operator's drill start"
run act_op 0 -- drill status
shows "$OUT" "$SHOWN" "drill status"
run act_viewer 0 -- drill report "$DRILL"
shows "$OUT" "$SHOWN" "drill report (text)"
run act_viewer 0 -- drill report "$DRILL" --format md
shows "$OUT" 'evil\x1b\]2;x\x07\x1b\[2J nel<U+0085> rlo<U+202E> lri<U+2066> end' "drill report (md)"
run act_viewer 0 -- drill report "$DRILL" --format json
json_ok "drill report (json)" .scenario
json_ok "drill report (json)" .title
json_ok "drill report (json)" '.expectations[0].kind'

# --- the handover report: incident title, action reason, note
run act_op 0 -- shift start
sql "UPDATE dcops.incident SET title = $EVIL_SQL WHERE id = 1"
run act_op 0 -- handover note "$EVIL"
run act_viewer 0 -- report handover --since 1h
shows "$OUT" "$SHOWN" "report handover (text)"
run act_viewer 0 -- report handover --since 1h --format md
shows "$OUT" 'evil\x1b\]2;x\x07\x1b\[2J nel<U+0085> rlo<U+202E> lri<U+2066> end' "report handover (md)"
run act_viewer 0 -- report handover --since 1h --format json
json_ok "report handover (json)" .note.body
json_ok "report handover (json)" '.actions[0].reason'
json_ok "report handover (json)" '.open_incidents[] | select(.id == 1) | .title'

# --- status: the site name
sql "INSERT INTO dcops.setting (key, value) VALUES ('site.name', $EVIL_SQL)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
run act_viewer 0 -- status
shows "$OUT" "site          $SHOWN" "status"
run act_viewer 0 -- status --json
json_ok "status --json" .site

# --- the command line quoted back in a refusal (a word a script passed on)
run "" 2 -- "--x$EVIL"
shows "$ERR" "'--x$SHOWN': unknown option" "an unknown option"
run "" 2 -- "$EVIL"
shows "$ERR" "unknown command '$SHOWN'" "an unknown command"
run "" 1 -- --profile "$EVIL" status
shows "$ERR" "--profile $SHOWN: no such profile" "--profile"
run "" 1 -- --config "$TEST_TMP/$EVIL" status
shows "$ERR" "$TEST_TMP/$SHOWN" "--config"
run "" 2 -- --sites "$EVIL" status
shows "$ERR" "no profile named '$SHOWN'" "--sites"
run "" 2 -- --sites "$EVIL" demo
shows "$ERR" "demo: --sites $SHOWN: expected a number" "demo --sites"
run "" 2 -- demo "$EVIL"
shows "$ERR" "demo: unknown option '$SHOWN'" "demo's unknown option"
run "" 2 -- relay "$EVIL"
shows "$ERR" "relay: unexpected argument '$SHOWN'" "relay's argument"
run "" 2 -- relay --telemetry-ms "$EVIL"
shows "$ERR" "relay: --telemetry-ms '$SHOWN': not a whole number of milliseconds" "relay --telemetry-ms"
checks=$((checks + 1))
"$DCOPSD" --adapter "$EVIL" >"$OUT" 2>"$ERR"
[ $? = 2 ] || fail "dcopsd --adapter EVIL: not a usage error"
no_raw "$ERR" "dcopsd --adapter (stderr)"
shows "$ERR" "adapter '$SHOWN' is not available" "dcopsd --adapter"

# --- handover note --file: a FIFO or a directory is refused, not waited on
mkfifo "$TEST_TMP/fifo"
checks=$((checks + 1))
timeout 10 "$DCOPS" -q --db "dbname=$DB user=act_op" handover note --file "$TEST_TMP/fifo" >"$OUT" 2>"$ERR"
rc=$?
[ "$rc" = 1 ] && grep -qx "dcops handover note: $TEST_TMP/fifo: not a regular file (it is a FIFO)" "$ERR" ||
	fail "handover note --file FIFO: rc $rc (124: it hung): $(cat "$ERR")"
run act_op 1 -- handover note --file "$TEST_TMP"
shows "$ERR" "$TEST_TMP: not a regular file (it is a directory)" "handover note --file DIR"

echo "$checks checks, $failures failures"
[ "$failures" = 0 ]
