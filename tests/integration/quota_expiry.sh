#!/usr/bin/env bash
# quota_expiry.sh — a time-boxed quota returns to its old limits by itself:
# `dcops quota set ... --expires 2s`, the adapter applies it, and once it has
# expired the adapter's next tick queues a quota_revert (audited as such)
# and applies it.
set -eu
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
db=dcops_qexp_$$
createdb -T "$DCOPS_TEST_TEMPLATE" "$db"
trap 'dropdb --if-exists --force "$db" >/dev/null 2>&1 || true' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
q() { psql -qAtX -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }
tick() { "$DCOPSD" --adapter sim --db "dbname=$db" --ticks 1 --log "$TEST_TMP/sim.log"; }

"$DCOPS" -q --db "dbname=$db" seed >/dev/null
tenant=$(q "SELECT t.name FROM dcops.tenant t JOIN dcops.quota x ON x.tenant_id = t.id
            WHERE x.gpu_limit = 8 ORDER BY t.id LIMIT 1")
[ -n "$tenant" ] || fail "no tenant with an 8-GPU quota in the seed"
tid=$(q "SELECT id FROM dcops.tenant WHERE name = '$tenant'")

"$DCOPS" -q --db "dbname=$db" quota set "$tenant" gpus=10 \
	--reason "extra GPUs for a conference deadline" --expires 2s || fail "quota set refused"
tick
[ "$(q "SELECT gpu_limit FROM dcops.quota WHERE tenant_id = $tid")" = 10 ] ||
	fail "the adapter did not apply the new limit"

sleep 3
tick
[ "$(q "SELECT gpu_limit FROM dcops.quota WHERE tenant_id = $tid")" = 8 ] ||
	fail "the limit did not return to 8 after expiry: $(q "SELECT gpu_limit, expires_at FROM dcops.quota WHERE tenant_id = $tid")"
[ "$(q "SELECT count(*) FROM dcops.actions WHERE kind = 'quota_revert' AND status = 'applied'
        AND (params->>'tenant_id')::int = $tid")" = 1 ] || fail "no applied quota_revert action"
[ "$(q "SELECT count(*) FROM dcops.audit WHERE action LIKE '%revert%'")" -ge 1 ] ||
	fail "the revert left no audit row: $(q "SELECT action FROM dcops.audit")"

# Further ticks queue nothing more: the revert happens once.
tick
[ "$(q "SELECT count(*) FROM dcops.actions WHERE kind = 'quota_revert'")" = 1 ] ||
	fail "the revert was queued more than once"
echo "quota expiry: ok"
