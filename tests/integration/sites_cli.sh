#!/usr/bin/env bash
# sites_cli.sh — `dcops status --sites` and `dcops report handover --sites`
# over two databases (the screen fixture; the second with a SEV-1 of its
# own) and a third site that cannot be reached: a section per site, the
# unreachable one NOT REACHED with its reason and the others still there,
# the combined counts summed, in text, md and json; exit 1 while a site is
# down, 0 when all answer; usage errors once. Runs under tests/run.sh.
set -u
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
. "$DCOPS_ROOT/tests/screen/lib.sh"
A="dcops_sites_a_$$" B="dcops_sites_b_$$"
trap 'dropdb --force "$A" >/dev/null 2>&1; dropdb --force "$B" >/dev/null 2>&1' EXIT
screen_db "$A" || exit 1
screen_db "$B" || exit 1
psql -q -d "$B" -c "UPDATE dcops.setting SET value = 'Pangyo 판교' WHERE key = 'site.name'" \
	-c "INSERT INTO dcops.incident (sev, title) VALUES (1, 'PDU trip in row 3')" >/dev/null

cfg="$TEST_TMP/config.json"
cat >"$cfg" <<JSON
{ "profiles": {
    "gwangju": { "db": "dbname=$A" },
    "pangyo": { "db": "dbname=$B" },
    "gone": { "db": "dbname=dcops_no_such_db_$$" } } }
JSON
failures=0 checks=0
OUT="$TEST_TMP/out" ERR="$TEST_TMP/err"
run() { # WANT_RC ARGS...
	local want=$1; shift
	checks=$((checks + 1))
	"$DCOPS" -q --config "$cfg" "$@" >"$OUT" 2>"$ERR"
	local rc=$?
	[ "$rc" = "$want" ] || { failures=$((failures + 1)); echo "FAIL: dcops $* exited $rc, want $want"; sed 's/^/  | /' "$OUT" "$ERR"; }
}
want() { # FILE GREP-E-PATTERN
	checks=$((checks + 1))
	grep -Eq -- "$2" "$1" || { failures=$((failures + 1)); echo "FAIL: $(basename "$1") lacks /$2/:"; sed 's/^/  | /' "$1"; }
}
want_json() { # JQ-FILTER WANT
	checks=$((checks + 1))
	local got
	got=$(jq -c "$1" <"$OUT")
	[ "$got" = "$2" ] || { failures=$((failures + 1)); printf 'FAIL: jq %s\n  want %s\n  got  %s\n' "$1" "$2" "$got"; }
}

# two sites that answer: sections, then the combined counts
run 0 status --sites gwangju,pangyo
want "$OUT" '^== site gwangju ==$'
want "$OUT" '^site +Test Site 광주'
want "$OUT" '^== site pangyo ==$'
want "$OUT" '^site +Pangyo 판교'
want "$OUT" '^2 of 2 answered$'
want "$OUT" '^  nodes.total +8$'
want "$OUT" '^  incidents.sev1 +1$'
want "$OUT" '^  incidents.sev2 +2$'

run 0 status --sites gwangju,pangyo --json
want_json '[.sites[] | [.site, .ok, .result.nodes.total]]' '[["gwangju",true,4],["pangyo",true,4]]'
want_json '[.combined.nodes.total, .combined.incidents.open, .combined.tenants, .combined.partitions]' '[8,3,4,4]'
# where each site's answer came from is the site's, never added up
want_json '[(.sites[] | .result.database.standby), (.combined | has("database"))]' '[false,false,false]'

# a site that cannot be reached: said, and the others still reported
run 1 status --sites gone,pangyo
want "$OUT" '^== site gone ==$'
want "$OUT" '^NOT REACHED: status: .*dcops_no_such_db'
want "$OUT" '^== site pangyo ==$'
want "$OUT" '^1 of 2 answered$'
want "$OUT" '^  gone +status: '
want "$ERR" '^site gone: dcops: status: '

# the handover report over two sites, in md and json
run 0 report handover --since 2h --format md --sites gwangju,pangyo
want "$OUT" '^## Site gwangju$'
want "$OUT" '^## Site pangyo$'
want "$OUT" 'PDU trip in row 3'
want "$OUT" '^## All sites$'
want "$OUT" '^\| open_incidents \| 3 \|$'
run 0 report handover --since 2h --format json --sites pangyo,gwangju
want_json '[.sites[].site]' '["pangyo","gwangju"]'
want_json '[.sites[0].result.open_incidents[].title]' '["PDU trip in row 3","Xid 79 on tn-h100-002"]'
want_json '.combined.open_incidents' '3'

# usage: once, not per site; no such profile; --db is one database
run 2 report handover --format html --sites gwangju,pangyo
want "$ERR" '--format is text, md or json'
checks=$((checks + 1))
[ "$(grep -c 'format is' "$ERR")" = 1 ] || { failures=$((failures + 1)); echo "FAIL: usage said more than once"; cat "$ERR"; }
run 2 status --sites gwangju,nowhere
want "$ERR" "no profile named 'nowhere'"
run 2 status --db "dbname=$A" --sites gwangju
want "$ERR" '--db names one database'
run 2 drain tn-a100-001 --reason "x y z" --sites gwangju
want "$ERR" '--sites is for the console, status and report handover'

echo "sites_cli: $checks checks, $failures failed"
[ "$failures" = 0 ]
