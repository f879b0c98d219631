#!/usr/bin/env bash
# ssh_console.sh — the database side of diagnostics (sql/020_diag_audit.sql)
# and the console's SSH options: dcops.diag_record writes one audit row for
# an operator, refuses viewers and bad names, replays its idempotency key;
# --ssh-accept-new is an option dcops knows; a hostile --ssh is refused.
set -u
db=ssh_console_$$
createdb -T "$DCOPS_TEST_TEMPLATE" "$db" || exit 1
trap 'dropdb --if-exists "$db" >/dev/null 2>&1; dropuser --if-exists "op_$$" "vw_$$" >/dev/null 2>&1' EXIT
q() { psql -X -Atq -v ON_ERROR_STOP=1 -d "$db" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

psql -q -d "$db" -c "CREATE ROLE op_$$ LOGIN IN ROLE dcops_operator; CREATE ROLE vw_$$ LOGIN IN ROLE dcops_viewer" \
	|| fail "roles"
key=diag-$$-0123456789
id=$(q -U "op_$$" -c "SELECT (r).audit_id FROM (SELECT dcops.diag_record('gpu-a17', 'gpu', 0, 858, false, '$key') r) s") ||
	fail "an operator could not record a diagnostic"
row=$(q -c "SELECT actor, action, target, after->>'diag', after->>'exit_status', after->>'bytes' FROM dcops.audit WHERE id = $id")
[ "$row" = "op_$$|diag|gpu-a17|gpu|0|858" ] || fail "audit row is '$row'"
again=$(q -U "op_$$" -c "SELECT (r).audit_id, (r).replayed FROM (SELECT dcops.diag_record('gpu-a17', 'gpu', 0, 858, false, '$key') r) s")
[ "$again" = "$id|t" ] || fail "a resend did not replay: $again"
[ "$(q -c "SELECT count(*) FROM dcops.audit WHERE action = 'diag'")" = 1 ] || fail "more than one audit row"
err=$(q -U "vw_$$" -c "SELECT dcops.diag_record('gpu-a17', 'gpu', 0, 1, false)" 2>&1) && fail "a viewer recorded a diagnostic"
grep -q "permission denied\|not a dcops operator" <<<"$err" || fail "viewer refusal unclear: $err"
for bad in "a;b" "-oProxyCommand=x" "GPU-A17" "a..b"; do
	err=$(q -U "op_$$" -c "SELECT dcops.diag_record('$bad', 'gpu', 0, 1, false)" 2>&1) && fail "node '$bad' accepted"
	grep -q "not a node name" <<<"$err" || fail "node '$bad': $err"
done
err=$(q -U "op_$$" -c "SELECT dcops.diag_record('gpu-a17', 'rm -rf /', 0, 1, false)" 2>&1) && fail "diag name accepted"
grep -q "not a diagnostic name" <<<"$err" || fail "diag name: $err"
echo "ok: dcops.diag_record"

"$DCOPS" --help | grep -q -- "--ssh-accept-new" || fail "--help does not list --ssh-accept-new"
echo "ok: options"
