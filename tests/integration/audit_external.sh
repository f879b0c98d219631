#!/usr/bin/env bash
# audit_external.sh — dcops.adapter_audit_external (050_slurm_adapter.sql):
# the adapter records an action taken in Slurm with actor slurm:<user> and
# recorded_by its own role; any other actor is refused; the setting that
# carries the actor names nobody else (an adapter cannot write an
# operator's name, a later row in the same transaction is its own again);
# roles outside dcops_adapter cannot call it.
set -eu
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
db=dcops_audit_ext_$$
suffix=$$
ad=adapter_$suffix vw=viewer_$suffix
createdb -T "$DCOPS_TEST_TEMPLATE" "$db"
trap 'dropdb --if-exists --force "$db" >/dev/null 2>&1; psql -q -d postgres -c "DROP ROLE IF EXISTS $ad, $vw" >/dev/null 2>&1 || true' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
psql -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE ROLE $ad LOGIN IN ROLE dcops_adapter; CREATE ROLE $vw LOGIN IN ROLE dcops_viewer"
as() { local who=$1; shift; psql -X -q -t -A -v ON_ERROR_STOP=1 -U "$who" -d "$db" "$@"; }

id=$(as "$ad" -c "SELECT dcops.adapter_audit_external('slurm.drain', 'gwj-h100-001', '{\"admin_state\": \"active\"}',
       '{\"admin_state\": \"draining\"}', 'fan 3; \$(id)', 'slurm:root')")
row=$(as "$ad" -c "SELECT actor || '|' || recorded_by || '|' || action || '|' || reason FROM dcops.audit WHERE id = $id")
[ "$row" = "slurm:root|$ad|slurm.drain|fan 3; \$(id)" ] || fail "external row: $row"

# another actor is refused, and nothing is written
out=$(as "$ad" -c "SELECT dcops.adapter_audit_external('slurm.drain', 'n1', NULL, NULL, 'r', 'kim')" 2>&1) &&
	fail "actor kim accepted"
grep -q "actor \"kim\" is not slurm:<user>" <<<"$out" || fail "message: $out"
[ "$(as "$ad" -c "SELECT count(*) FROM dcops.audit")" = 1 ] || fail "a refused call wrote a row"

# the setting itself names nobody: not an operator, not after the call
last="SELECT actor FROM dcops.audit ORDER BY id DESC LIMIT 1"
row=$(as "$ad" -c "SET dcops.audit_external_actor = 'kim'" -c "SELECT dcops.adapter_audit('node.note', 'n1', NULL, NULL, 'x')" \
	-c "$last" | tail -n 1)
[ "$row" = "$ad" ] || fail "GUC kim gave actor $row"
row=$(as "$ad" -c "BEGIN" -c "SELECT dcops.adapter_audit_external('slurm.resume', 'n1', NULL, NULL, 'r', 'slurm:root')" \
	-c "SELECT dcops.adapter_audit('node.note', 'n1', NULL, NULL, 'y')" -c "$last" -c "COMMIT" | tail -n 1)
[ "$row" = "$ad" ] || fail "row after an external one in the same transaction: $row"
# a viewer may not call it
out=$(as "$vw" -c "SELECT dcops.adapter_audit_external('slurm.drain', 'n1', NULL, NULL, 'r', 'slurm:root')" 2>&1) &&
	fail "viewer allowed"
grep -q "permission denied" <<<"$out" || fail "viewer: $out"
echo ok
