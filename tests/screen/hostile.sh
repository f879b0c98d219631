#!/usr/bin/env bash
# hostile.sh — text from the database is data, never terminal control. A
# drain reason, a tenant's name, a job's name, an incident's title and
# timeline and the site's name hold clear-screen, cursor moves, OSC 52
# (clipboard) and OSC 2 (window title), C1 controls, bidi overrides and
# invalid UTF-8 as far as the server lets them through. The console must
# draw them inert: the screen not cleared, every row in its columns, tmux's
# paste buffer and the pane's title untouched.
# Invalid UTF-8 cannot reach the console from a UTF8 database; from a
# SQL_ASCII one the server refuses to send it to a UTF8 client, and the
# console must say so and stay up (first part). The drawing of invalid
# bytes is covered by tests/unit/test_draw.c (test_sanitize_invalid_utf8).
. "$(dirname "$0")/lib.sh"
set -e
db="screen_hostile_$$"
adb="screen_hostile_ascii_$$"
trap 'screen_stop; dropdb --if-exists "$db"; dropdb --if-exists "$adb"' EXIT

# -- a SQL_ASCII database with invalid UTF-8 in a row
createdb -E SQL_ASCII -T template0 --locale=C "$adb"
"$DCOPS" -q --db "dbname=$adb" db migrate >/dev/null
psql -q -v ON_ERROR_STOP=1 -d "$adb" >/dev/null <<'SQL'
INSERT INTO dcops.site (code, name) VALUES ('T', E'Bad\xff\xfe\x9b2Jsite');
SQL
screen_start 100 30 --db "dbname=$adb"
trap 'screen_stop; dropdb --if-exists "$db"; dropdb --if-exists "$adb"' EXIT
screen_wait "invalid byte sequence for encoding" 10
screen_match "DB (DOWN|CONNECTING)" 1
screen_keys 2 3 1
screen_wait "0 nodes" 2
echo "SQL_ASCII database with invalid UTF-8: refused with the server's message, console up"
screen_stop
for _ in $(seq 50); do screen_tmux ls >/dev/null 2>&1 || break; sleep 0.1; done

# -- a UTF8 database: everything else the server passes
DCOPS_TEST_TEMPLATE=${DCOPS_TEST_TEMPLATE:?} screen_db "$db"
# Each hostile string ends in a marker word, so a row can be found.
# \xc2\x9b is CSI as a UTF-8 C1 control, \xc2\x9d OSC; \xe2\x80\xae
# RIGHT-TO-LEFT OVERRIDE; \xe2\x81\xa6 LEFT-TO-RIGHT ISOLATE.
psql -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
UPDATE dcops.setting SET value = E'Site\x1b]2;pwned-title\x07\x1b[2J' WHERE key = 'site.name';
UPDATE dcops.node SET drain_reason = E'\x1b[2J\x1b[Hcleared\x1b]52;c;cHduZWQ=\x07\xe2\x80\xaeRLO BADMARK'
 WHERE name = 'tn-h100-002';
UPDATE dcops.tenant SET name = E'Evil\x1b[31m\xc2\x9b2J\xe2\x80\xae\xe2\x81\xa6TENMARK',
                        name_en = E'Evil\x1b[5A\x1bc\x1b]52;c;cHduZWQ=\x1b\\EN'
 WHERE name = 'Acme Research';
UPDATE dcops.job SET name = E'job\x1b[1;1H\x1b[K\x08\x08\x7f\r\nJOBMARK' WHERE name = 'sweep';
UPDATE dcops.incident SET title = E'Xid\x1b]52;c;cHduZWQ=\x07\x1b[2J\xe2\x80\xae esrever INCMARK';
INSERT INTO dcops.incident_event (incident_id, kind, body)
VALUES (1, 'note', E'\x1b]2;pwned-title\x1b\\\x1bP+q\x1b\\\x1b[6n\xc2\x9d0;x\xc2\x9c\xe2\x80\xaeEVMARK');
SQL

screen_start 100 30 --db "dbname=$db"
trap 'screen_stop; dropdb --if-exists "$db"; dropdb --if-exists "$adb"' EXIT
# accept OSC 52 from the pane, as a terminal with clipboard access would
screen_tmux set-option -g set-clipboard on
screen_tmux set-option -g allow-rename on 2>/dev/null || true

# no control character, escape or replacement-free byte reaches the screen
inert() {
	local what=$1
	screen_wait "DB UP" 5
	if screen_tmux capture-pane -p -e | sed 's/\x1b\[[0-9;]*m//g' | grep -q $'\x1b'; then
		echo "FAIL: $what: an escape sequence other than colour reached the pane"
		screen_tmux capture-pane -p -e | sed 's/\x1b\[[0-9;]*m//g' | grep $'\x1b' | cat -v
		exit 1
	fi
	if screen_tmux show-buffer >/dev/null 2>&1; then
		echo "FAIL: $what: OSC 52 set tmux's paste buffer: $(screen_tmux show-buffer | cat -v)"
		exit 1
	fi
	case "$(screen_tmux display -p '#{pane_title}')" in
	*pwned*) echo "FAIL: $what: OSC 2 set the pane's title"; exit 1 ;;
	esac
	# nothing moved the cursor: the header is still on line 1, the footer last
	screen_line 1 | grep -q "DB UP" || { echo "FAIL: $what: header gone"; screen_dump; exit 1; }
	[ "$(screen_dump | wc -l)" -eq 30 ]
	# display width (wc -L), not bytes: Korean names are two columns each
	[ "$(screen_dump | wc -L)" -le 100 ] ||
		{ echo "FAIL: $what: a line is wider than the pane"; screen_dump; exit 1; }
	echo "$what: inert"
}

# The row holding marker $1 and the row holding $2 have their first $3 at
# the same display column: the hostile text took exactly its cell.
aligned() {
	local a b ia ib
	a=$(screen_dump | grep -F -- "$1" | head -n 1)
	b=$(screen_dump | grep -F -- "$2" | head -n 1)
	[ -n "$a" ] && [ -n "$b" ] || { echo "FAIL: rows '$1' / '$2' not shown"; screen_dump; exit 1; }
	ia=$(printf '%s\n' "${a%%"$3"*}" | wc -L)
	ib=$(printf '%s\n' "${b%%"$3"*}" | wc -L)
	[ "$ia" = "$ib" ] || { echo "FAIL: '$3' at column $ia in the hostile row, $ib in '$2':";
		echo "$a"; echo "$b"; exit 1; }
}

screen_wait "tn-h100-002"
screen_wait "BADMARK"
inert "nodes view (drain reason, site name)"
screen_dump >"$TEST_TMP/nodes.txt"
screen_match "^ tn-h100-002 +h100 +r01-01 +drained: .*BADMARK +0/2 +0% .* fail " 1
aligned BADMARK tn-h100-001 "%"

screen_keys 3
screen_wait "TENMARK"
inert "tenants view (tenant name)"
screen_dump >"$TEST_TMP/tenants.txt"
aligned TENMARK 딥비전랩스 "/"

screen_keys 2
screen_wait "2 partitions"
screen_keys j Enter          # h100, where the pending job is
screen_wait "JOBMARK"
inert "jobs (job name)"
screen_dump >"$TEST_TMP/jobs.txt"
# the job name's cell ends where it should: REASON stays under its header
r=$(screen_dump | grep -F JOBMARK); h=$(screen_dump | grep -F REASON)
[ "$(printf '%s\n' "${r%%Resources*}" | wc -L)" = "$(printf '%s\n' "${h%%REASON*}" | wc -L)" ] ||
	{ echo "FAIL: the job row is out of its columns"; screen_dump; exit 1; }
screen_keys Escape
screen_keys 4
screen_wait "INCMARK"
inert "incidents view (title)"
screen_dump >"$TEST_TMP/incidents.txt"
screen_keys Enter
screen_wait "EVMARK"
inert "incident detail (timeline)"
screen_dump >"$TEST_TMP/incident.txt"
screen_keys Escape

echo "hostile: ok"
