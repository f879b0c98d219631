#!/usr/bin/env bash
# small.sh — an 80×24 read-only console keeps its words (issue 17): the
# view tabs are abbreviated, not dropped; the column the incidents are
# sorted by (IMPACT) is shown, narrowed, while other columns give way; `?`
# starts with the current view's keys and, at 200 columns, shows the
# longest command whole; the drills list says there are more scenarios
# than rows.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_small_$$"
screen_db "$db"
cleanup() { screen_stop; dropdb --if-exists "$db"; }
psql -q -d "$db" -c "INSERT INTO dcops.incident_tenant (incident_id, tenant_id) VALUES (1, 1), (1, 2)" >/dev/null
trap cleanup EXIT
SCREEN_ENV="DCOPS_DRILLS=$DCOPS_ROOT/drills" screen_start 80 24 --readonly --db "dbname=$db"
trap cleanup EXIT
screen_wait "DB UP"
screen_wait " 1 Nodes 2 Que 3 Ten 4 Inc 5 Aud 6 Hand 7 Drill"

# Incidents: IMPACT is hidden at 80 columns until it is the sort key
screen_keys 4
screen_wait " 1 Node 2 Que 3 Ten 4 Incidents 5 Aud 6 Hand 7 Drill"
screen_wait "Xid 79 on tn-h100-002"
screen_gone "IMPACT"
for _ in 1 2 3 4 5 6 7; do
	screen_dump | grep -q "IMPACT" && break
	screen_keys s
	sleep 0.3
done
screen_wait "IMPACT"
screen_wait "tn-h100-002 dr"
screen_wait "Xid 79 on tn-h100"   # the title keeps its room

# tenant names have spaces: an incident's tenants are joined by " · ",
# which a name cannot hold
screen_keys Enter
screen_wait "tenants (주)딥비전랩스 · Acme Research"
screen_keys Escape
if psql -q -d "$db" -c "INSERT INTO dcops.tenant (name, kind) VALUES ('Acme · Research', 'startup')" 2>/dev/null; then
	echo "FAIL: a tenant name holding the separator was stored"; exit 1
fi
psql -q -d "$db" -c "INSERT INTO dcops.tenant (name, kind) VALUES ('산·학·연 센터', 'university')" >/dev/null

# help: this view's keys first
screen_keys '?'
screen_wait "Incidents view"
first=$(screen_dump | grep -nE '^ ?(Incidents view|Global keys|Moving around)$' | head -1)
case "$first" in *"Incidents view"*) ;; *) echo "FAIL: help starts with '$first', not this view's keys"; screen_dump; exit 1;; esac
screen_keys Escape

# drills: 8 scenarios in fewer rows, and the list says so
screen_keys 7
screen_match "Scenarios \(8\).* 1-[0-9] of 8 ↓ more below"
screen_keys j j j j j j j
screen_match "of 8 ↑ more above"

# at 200 columns the help's command column is whole
screen_resize 200 50
screen_keys '?'
screen_wait "Global keys"
screen_keys NPage NPage NPage NPage
screen_wait ":audit [by:WHO] [node:N] [tenant:T] [since:2h] [WORDS] (:a :log)"
screen_keys Escape
echo "small: ok"
