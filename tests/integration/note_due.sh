#!/usr/bin/env bash
# note_due.sh — an update (a note) on an open incident moves its "next
# update due" to now + the severity's update interval (041); a note on a
# resolved incident sets nothing; a bad interval setting is named.
set -eu
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
db=dcops_notedue_$$
createdb -T "$DCOPS_TEST_TEMPLATE" "$db"
trap 'dropdb --if-exists --force "$db" >/dev/null 2>&1 || true' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
q() { psql -qAtX -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }

q "INSERT INTO dcops.incident (sev, title, next_update_at) VALUES
     (2, 'leaf switch row 3 down', now() - interval '5 minutes'),
     (4, 'one node drained', now() + interval '30 minutes')" >/dev/null

# overdue sev 2: a note makes the next update due in 30 minutes
q "SELECT dcops.incident_note(1, 'optics replaced, links coming back', 'note-due-1')" >/dev/null
due=$(q "SELECT round(extract(epoch FROM next_update_at - now()) / 60) FROM dcops.incident WHERE id = 1")
[ "$due" = 30 ] || fail "sev 2 next update due in $due min after a note, want 30"
# sev 4: 4 hours, from the setting
q "SELECT dcops.incident_note(2, 'vendor ticket opened', 'note-due-2')" >/dev/null
due=$(q "SELECT round(extract(epoch FROM next_update_at - now()) / 60) FROM dcops.incident WHERE id = 2")
[ "$due" = 240 ] || fail "sev 4 next update due in $due min after a note, want 240"
# the note changed no version: a dialog opened before it still applies
[ "$(q "SELECT op_version FROM dcops.incident WHERE id = 2")" = 0 ] || fail "a note bumped op_version"

# a resolved incident's post-mortem note sets no due time
q "SELECT dcops.incident_resolve(2, 'replaced the riser card and resumed', NULL, 'note-due-3')" >/dev/null
q "UPDATE dcops.incident SET next_update_at = NULL WHERE id = 2"
q "SELECT dcops.incident_note(2, 'post-mortem: riser cards from lot 7', 'note-due-4')" >/dev/null
[ -z "$(q "SELECT next_update_at FROM dcops.incident WHERE id = 2")" ] ||
	fail "a note on a resolved incident set next_update_at"

# a broken setting is named, and the note is refused whole
q "UPDATE dcops.setting SET value = 'soon' WHERE key = 'incident.update_every.sev2'"
err=$(psql -qAtX -d "$db" -c "SELECT dcops.incident_note(1, 'still on it', 'note-due-5')" 2>&1) &&
	fail "a note went through with a broken interval setting"
case $err in
*'setting incident.update_every.sev2 is not an interval: "soon"'*) ;;
*) fail "unexpected error: $err" ;;
esac
[ "$(q "SELECT count(*) FROM dcops.incident_event WHERE incident_id = 1 AND body = 'still on it'")" = 0 ] ||
	fail "the refused note is in the timeline"
echo "note due: ok"
