#!/usr/bin/env bash
# tenant_burn.sh — a tenant's burn rate is the mean of its usage samples
# over the last 24 hours (033_tenant_burn.sql), not its use of the moment:
# a day at 5 GPUs then one sample at 9 moves it from 120 to 120.3 GPU-h/day,
# not to 216 (issue 17). The window slides with the newest sample, a tenant
# missing from a sample counts 0, deletes and TRUNCATE take their samples
# out, an idle tenant's quota row is never rewritten, a quota made later
# starts from the samples in the window, and the adapter's role can write
# samples.
set -eu
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
db=dcops_burn_$$
createdb -T "$DCOPS_TEST_TEMPLATE" "$db"
trap 'dropdb --if-exists --force "$db" >/dev/null 2>&1 || true' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
q() { psql -qAtX -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }
burn() { q "SELECT burn_gpu_h_day || ' ' || coalesce(to_char(burn_since AT TIME ZONE 'UTC',
            'HH24:MI'), '-') FROM dcops.quota WHERE tenant_id = $1"; }
expect() { # tenant, "rate since", what
	local got
	got=$(burn "$1")
	[ "$got" = "$2" ] || fail "$3: tenant $1 burn is '$got', want '$2'"
}

q "INSERT INTO dcops.partition (name, gpu_model) VALUES ('h100', 'H100');
   INSERT INTO dcops.tenant (name, name_en, kind) VALUES
     ('(주)딥비전랩스', 'Deepvision', 'startup'), ('Acme', 'Acme', 'enterprise'),
     ('Idle Co', 'Idle Co', 'startup');
   INSERT INTO dcops.quota (tenant_id, gpu_limit, gpu_hours_budget, term_start, term_end)
     SELECT id, 16, 100000, current_date, current_date + 90 FROM dcops.tenant;"
# samples as the simulator writes them: one statement per sample time, as
# the adapter's role; tenant 1 at 5 GPUs every 5 minutes for 24 hours
# (288 samples from 00:00 to 23:55), tenant 2 at 2 GPUs
sample_sql() { # minute offset from 2026-01-01 00:00 UTC, then "tenant:gpus" pairs
	local at=$1; shift
	local rows="" p
	for p in "$@"; do
		rows+="${rows:+, }(timestamptz '2026-01-01 00:00Z' + interval '$at minutes', ${p%%:*}, 1, ${p##*:}, ${p##*:} / 12.0)"
	done
	echo "INSERT INTO dcops.usage_sample (ts, tenant_id, partition_id, gpus_in_use, gpu_hours) VALUES $rows;"
}
sample() { q "SET ROLE dcops_adapter; $(sample_sql "$@")"; }
v3=$(q "SELECT version FROM dcops.quota WHERE tenant_id = 3")
sample 0 1:5 2:2
expect 1 "120.0 00:00" "one sample"
expect 2 "48.0 00:00" "one sample"
for ((m = 5; m < 1440; m += 5)); do sample_sql $m 1:5 2:2; done |
	psql -qAtX -v ON_ERROR_STOP=1 -d "$db" -c "SET ROLE dcops_adapter" -f -
expect 1 "120.0 00:00" "a day at 5 GPUs"
[ "$(q "SELECT count(*) FROM dcops.usage_tick")" = 288 ] || fail "the window does not hold 288 sample times"

# 24:00 at 9 GPUs: 00:00 leaves the window, the mean moves a little
sample 1440 1:9 2:2
expect 1 "120.3 00:05" "one sample at 9 after a day at 5"
# 24:05 without tenant 1: it counts 0 there (286 × 5 + 9 over 288 samples)
sample 1445 2:2
expect 1 "119.9 00:10" "a sample without the tenant"
expect 2 "48.0 00:10" "steady use"
[ "$(q "SELECT version FROM dcops.quota WHERE tenant_id = 3")" = "$v3" ] ||
	fail "the idle tenant's quota row was rewritten by samples it is not in"
expect 3 "0.0 -" "no use"

# a quota made now starts from the tenant's samples in the window
q "INSERT INTO dcops.tenant (name, name_en, kind) VALUES ('Late Co', 'Late Co', 'startup')"
late=$(q "SELECT id FROM dcops.tenant WHERE name = 'Late Co'")
sample 1445 "$late:6"
q "INSERT INTO dcops.quota (tenant_id, gpu_limit, gpu_hours_budget, term_start, term_end)
   VALUES ($late, 8, 1000, current_date, current_date + 30)"
expect "$late" "0.5 00:10" "a quota made after its tenant's samples"

# a late sample from before the window changes nothing
sample 2 1:100
expect 1 "119.9 00:10" "a sample older than the window"

# deletes (retention, a re-seed) take their samples out of the window
q "DELETE FROM dcops.usage_sample WHERE tenant_id = 1 AND ts >= timestamptz '2026-01-01 12:00Z'"
# 00:10 .. 11:55 at 5 GPUs is 142 samples of the 288 still in the window
expect 1 "59.2 00:10" "after a delete"
q "TRUNCATE dcops.usage_sample"
expect 1 "0.0 -" "after TRUNCATE"
[ "$(q "SELECT count(*) FROM dcops.usage_tick")" = 0 ] || fail "TRUNCATE left sample times"
sample 1500 1:3
expect 1 "72.0 01:00" "a fresh start"
echo "tenant burn: ok"
