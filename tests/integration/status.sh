#!/usr/bin/env bash
# status.sh — `dcops status` on an empty migrated database (all zeros), on a
# small fleet (text and --json), bad options, and the connection resolution
# order: --db, DCOPS_DB, PG* variables, the demo cluster (and its notice).
set -eu
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
db=dcops_status_$$
createdb -T "$DCOPS_TEST_TEMPLATE" "$db"
trap 'dropdb --if-exists --force "$db" >/dev/null 2>&1 || true' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Empty database: every count zero, no report age.
out=$("$DCOPS" -q --db "dbname=$db" status)
echo "$out"
grep -Eq '^nodes +0 ' <<<"$out" || fail "empty: nodes line"
grep -Eq '^tenants +0$' <<<"$out" || fail "empty: tenants line"
"$DCOPS" -q --db "dbname=$db" status --json >"$TEST_TMP/empty.json"
jq -e '.nodes.total == 0 and .accelerators.total == 0 and .tenants == 0
       and .jobs.running == 0 and .jobs.pending == 0 and .incidents.open == 0
       and .partitions == [] and .newest_report_age_s == null' "$TEST_TMP/empty.json" >/dev/null ||
	fail "empty: JSON $(cat "$TEST_TMP/empty.json")"

# A small fleet.
psql -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
INSERT INTO dcops.site (code, name) VALUES ('gj', 'Gwangju National AI Data Center');
INSERT INTO dcops.setting VALUES ('environment', 'test');
INSERT INTO dcops.hall (site_id, name) VALUES (1, 'room 2');
INSERT INTO dcops.rack (hall_id, name, row_no, position, power_cap_kw) VALUES (1, 'r01-01', 1, 1, 15);
INSERT INTO dcops.partition (name, gpu_model) VALUES ('h100', 'H100 80GB'), ('ipu', 'IPU');
INSERT INTO dcops.node (name, rack_id, partition_id, model, gpu_count, sched_state)
    SELECT 'g' || i, 1, 1, 'H100', 8, 'allocated' FROM generate_series(1, 1100) i;
INSERT INTO dcops.node (name, rack_id, partition_id, model, gpu_count, admin_state, drain_reason, health)
    VALUES ('ipu1', 1, 2, 'IPU', 4, 'drained', 'Xid 79', 'fail');
INSERT INTO dcops.tenant (name, kind) VALUES ('한국전자통신연구원', 'institute'), ('(주)광주', 'startup');
INSERT INTO dcops.job (tenant_id, partition_id, user_name, gpus, state, start_at)
    VALUES (1, 1, 'kim', 16, 'running', now()), (2, 1, 'lee', 8, 'pending', NULL),
           (2, 1, 'lee', 4, 'pending', NULL), (2, 1, 'lee', 1, 'completed', NULL);
INSERT INTO dcops.incident (sev, title) VALUES (1, 'row 3 leaf down'), (3, 'Xid 79 on ipu1');
INSERT INTO dcops.incident (sev, title, state, resolved_at) VALUES (2, 'old', 'resolved', now());
SQL
out=$("$DCOPS" -q --db "dbname=$db" status)
echo "$out"
grep -q 'Gwangju National AI Data Center \[test\]' <<<"$out" || fail "site line"
grep -Eq '^nodes +1,101 ' <<<"$out" || fail "nodes line"
grep -Eq '^accelerators +8,804 ' <<<"$out" || fail "accelerators line"
grep -Eq '^jobs pending +2 +12 GPUs requested' <<<"$out" || fail "pending line"
grep -Eq "^server +socket .*/\.s\.PGSQL\.[0-9]+, database $db \(the primary\)$" <<<"$out" || fail "server line"
"$DCOPS" -q --db "dbname=$db" status --json >"$TEST_TMP/fleet.json"
jq -e '.site == "Gwangju National AI Data Center" and .environment == "test"
       and .nodes.total == 1101 and .nodes.allocated == 1100 and .nodes.idle == 1
       and .nodes.drained == 1 and .nodes.health_fail == 1
       and .partitions == [{"name": "h100", "gpu_model": "H100 80GB", "nodes": 1100, "accelerators": 8800},
                           {"name": "ipu", "gpu_model": "IPU", "nodes": 1, "accelerators": 4}]
       and .accelerators.total == 8804 and .tenants == 2
       and .jobs == {"running": 1, "pending": 2, "gpus_running": 16, "gpus_pending": 12}
       and .incidents == {"open": 2, "sev1": 1, "sev2": 0, "sev3": 1, "sev4": 0, "sev5": 0}
       and .newest_report_age_s >= 0 and (.as_of | test("Z$"))
       and (.database.server | test("^socket .*/[.]s[.]PGSQL[.][0-9]+$")) and .database.name == "'"$db"'"
       and .database.standby == false and .database.replay_lag_s == 0' "$TEST_TMP/fleet.json" >/dev/null ||
	fail "fleet: JSON $(cat "$TEST_TMP/fleet.json")"

# Free GPUs are what the scheduler could place now: a 16-GPU job on g1 and
# g2, g3 down, g4 draining, g5 failed; ipu1 (drained) is out too.
psql -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
INSERT INTO dcops.gpu (node_id, idx, uuid, mem_total_mib, job_id)
    SELECT n.id, i, n.name || '-' || i, 81920, 1 FROM dcops.node n, generate_series(0, 7) i
     WHERE n.name IN ('g1', 'g2');
UPDATE dcops.node SET sched_state = 'down' WHERE name = 'g3';
UPDATE dcops.node SET admin_state = 'draining', drain_reason = 'ecc' WHERE name = 'g4';
UPDATE dcops.node SET health = 'fail' WHERE name = 'g5';
SQL
out=$("$DCOPS" -q --db "dbname=$db" status)
grep -Eq '^accelerators +8,804 +16 in use, 8,760 free, 28 out of service$' <<<"$out" ||
	fail "free/out of service line: $(grep '^accelerators' <<<"$out")"
"$DCOPS" -q --db "dbname=$db" status --json |
	jq -e '.accelerators == {"total": 8804, "in_use": 16, "free": 8760, "out_of_service": 28}' >/dev/null ||
	fail "free/out of service JSON"

# Usage errors exit 2.
set +e
"$DCOPS" -q --db "dbname=$db" status --bogus 2>"$TEST_TMP/err"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q 'usage: dcops status' "$TEST_TMP/err" || fail "bad option: rc $rc"

# Resolution: DCOPS_DB when no --db; --db wins over DCOPS_DB.
DCOPS_DB="dbname=$db" "$DCOPS" -q status --json | jq -e '.tenants == 2' >/dev/null ||
	fail "DCOPS_DB not used"
DCOPS_DB="dbname=no_such_db" "$DCOPS" -q --db "dbname=$db" status >/dev/null || fail "--db did not win"
# PG* variables when neither is given.
PGDATABASE=$db "$DCOPS" -q status --json | jq -e '.tenants == 2' >/dev/null || fail "PGDATABASE not used"

# A failed connection: exit 1, one line naming the server and the reason.
set +e
"$DCOPS" -q --db "dbname=no_such_db" status 2>"$TEST_TMP/err"; rc=$?
set -e
cat "$TEST_TMP/err"
[ $rc -eq 1 ] && [ "$(wc -l <"$TEST_TMP/err")" -eq 1 ] || fail "bad db: rc $rc"
grep -q "socket $PGHOST/.s.PGSQL" "$TEST_TMP/err" && grep -q 'no_such_db' "$TEST_TMP/err" ||
	fail "bad db: message"

# The demo cluster: with no settings, a server on <DCOPS_VAR>/run is used
# and named on stderr (-q silences the notice). The test cluster stands in.
mkdir -p "$TEST_TMP/var"
ln -sfn "$PGHOST" "$TEST_TMP/var/run"
nopg() { env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u DCOPS_DB DCOPS_VAR="$TEST_TMP/var" "$@"; }
nopg "$DCOPS" status >/dev/null 2>"$TEST_TMP/err" || true
cat "$TEST_TMP/err"
grep -q "dcops: using the demo cluster at $TEST_TMP/var/run (no --db, DCOPS_DB or PG\* settings)" \
	"$TEST_TMP/err" || fail "demo notice"
nopg "$DCOPS" -q status >/dev/null 2>"$TEST_TMP/err" || true
! grep -q 'using the demo cluster' "$TEST_TMP/err" || fail "-q did not silence the demo notice"
# No demo cluster: libpq's defaults, no notice.
rm "$TEST_TMP/var/run"
nopg "$DCOPS" status >/dev/null 2>"$TEST_TMP/err" || true
! grep -q 'using the demo cluster' "$TEST_TMP/err" || fail "demo notice without a demo cluster"
echo "status.sh: ok"
