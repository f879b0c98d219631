#!/usr/bin/env bash
# story-small-ro.sh — an operator on a small read-only terminal (issue 17,
# story 6): `--readonly` at 80×24 with NO_COLOR=1. In every view the tabs
# keep all seven labels (abbreviated, the current one whole); in every
# list, whatever column it is sorted by is shown and marked (^/v, or the
# title in reverse video where the mark does not fit), for each column
# `s` steps through; each action key is refused with the read-only
# reason; a long Korean tenant name is whole or cut at a character
# boundary with an ellipsis, and the columns after it stay aligned.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_story_small_$$"
screen_db "$db"
long="한국광기술원 데이터분석팀 초거대AI 학습지원"
psql -q -v ON_ERROR_STOP=1 -d "$db" -v long="$long" >/dev/null <<'SQL'
INSERT INTO dcops.tenant (name, name_en, kind) VALUES (:'long', 'KOPTI data analysis', 'institute');
INSERT INTO dcops.quota (tenant_id, gpu_limit, gpu_hours_budget, gpu_hours_used, storage_tb,
                         storage_used_tb, term_start, term_end)
SELECT id, 8, 5000, 10, 10, 1, current_date - 10, current_date + 100 FROM dcops.tenant WHERE name = :'long';
INSERT INTO dcops.job (tenant_id, partition_id, user_name, name, gpus, state, reason, submit_at)
SELECT id, 2, 'jung', 'eval', 2, 'pending', 'Priority', now() - interval '5 minutes'
  FROM dcops.tenant WHERE name = :'long';
SQL
cleanup() { screen_stop; dropdb --if-exists "$db"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; screen_dump >&2; exit 1; }

SCREEN_ENV="NO_COLOR=1 DCOPS_DRILLS=$DCOPS_ROOT/drills" screen_start 80 24 --readonly --db "dbname=$db"
trap cleanup EXIT
screen_wait "DB UP"
screen_wait "READ-ONLY"

# the tabs: all seven in every view, the current one in full
tabs=("1 Nodes" "2 Queues" "3 Tenants" "4 Incidents" "5 Audit" "6 Handover" "7 Drills")
short=("1 Node" "2 Que" "3 Ten" "4 Inc" "5 Aud" "6 Hand" "7 Drill")
for v in 1 2 3 4 5 6 7; do
	screen_keys "$v"
	screen_wait "${tabs[v - 1]} "
	line=$(screen_line 2)
	for i in 0 1 2 3 4 5 6; do
		want=${short[i]}
		[ $((i + 1)) = "$v" ] && want=${tabs[i]}
		[[ $line == *" $want "* ]] || fail "view $v: the tabs lack '$want': $line"
	done
done

# the sort column: every column s steps through is shown and marked. The
# header is read with its attributes: the mark ^ or v after the title, or
# the title in reverse video (SGR 7) when the column is too narrow for it.
header() { screen_tmux capture-pane -p -e | sed -n 3p; }
plain() { screen_line 3; }
sort_walk() {
	local name=$1 cols=$2 i prev now deadline
	for i in $(seq 1 "$cols"); do
		prev=$(header)
		screen_keys s
		deadline=$((SECONDS + 5))
		now=$(header)
		while [ "$now" = "$prev" ] && [ $SECONDS -lt $deadline ]; do
			sleep 0.1
			now=$(header)
		done
		[ "$now" != "$prev" ] || fail "$name: s did not move the sort column"
		plain | grep -qE '[A-Za-z0-9)]+[v^]( |$)' && continue
		printf '%s' "$now" | grep -qE $'\e\\[([0-9;]*;)?7m(\e\\[[0-9;]*m)*[A-Z]' && continue
		fail "$name: after $i × s the sort column is neither marked nor reversed: $(plain)"
	done
}
screen_keys 1
screen_match "^ NODE\^"
sort_walk nodes 13
screen_keys 2
screen_match "^ PARTITION"
sort_walk queues 12
screen_keys : "jobs a100" Enter
screen_wait "a100 > 2 of 2 active jobs"
sort_walk jobs 12
screen_keys 3
screen_match "^ TENANT"
sort_walk tenants 12
screen_keys 4
screen_match "^ +ID SEV"
sort_walk incidents 8
screen_keys 5
screen_match "^ TIME"
sort_walk audit 7

# action keys: each refused, saying why
refuse() {
	local view=$1 key=$2 what=$3
	screen_keys "$view"
	screen_wait "${tabs[view - 1]} " 5
	screen_keys "$key"
	screen_wait "$what: read-only session (--readonly or a read-only profile)" 5
	screen_keys C-l
	screen_gone "$what: read-only session" 5
}
refuse 1 D drain
refuse 1 R resume
refuse 3 Q quota
refuse 4 a incident.ack
refuse 4 n incident.note
refuse 4 x incident.resolve
refuse 6 s shift
refuse 6 n handover.note
refuse 7 S drill.start
screen_keys : "jobs a100" Enter
screen_wait "a100 > 2 of 2 active jobs"
screen_keys C
screen_wait "job.cancel: read-only session"
screen_gone "Cancel job" 1
[ "$(psql -qAt -d "$db" -c "SELECT count(*) FROM dcops.audit")" = 0 ] || fail "a read-only console wrote to the audit"

# Korean names: whole, or cut at a character boundary with an ellipsis
whole_or_cut() {
	local row=$1 k
	[[ $row == *"$long"* ]] && return 0
	for ((k = ${#long} - 1; k > 0; k--)); do
		[[ $row == *" ${long:0:k}…"* || $row == *" ${long:0:k} …"* ]] && return 0
	done
	return 1
}
screen_match "^ +[0-9]+ 한국광기술원"
row=$(screen_dump | grep -E "^ +[0-9]+ 한국광기술원")
whole_or_cut "$row" || fail "jobs: the Korean tenant is clipped mid-character: $row"
screen_keys 3
screen_match "^ 한국광기술원"
row=$(screen_dump | grep -E "^ 한국광기술원")
whole_or_cut "$row" || fail "tenants: the Korean tenant is clipped mid-character: $row"
# the GPUS column ends at the same cell on every tenant's row
widths=$(screen_dump | sed -n '4,6p' | while IFS= read -r l; do printf '%s' "$l" | grep -oE '^[^/]*/[0-9]+' | wc -L; done | sort -u)
[ "$(echo "$widths" | wc -l)" = 1 ] || fail "tenants: the GPUS column moves with the name's width ($(echo $widths))"
screen_keys q
echo "story-small-ro: ok"
