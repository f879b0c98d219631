#!/usr/bin/env bash
# burn_writes.sh — a usage sample writes each quota row whose burn figures
# move exactly once (044_burn_one_write.sql): 033 wrote it twice, the sum
# and then the rate, and that second write per tenant per sample was most
# of the simulator's slowdown (tests/bench/sim-compare.sh). Rows whose
# figures do not move are not written at all, and the figures are the
# ones the two writes gave.
set -eu
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
db=dcops_burnw_$$
createdb -T "$DCOPS_TEST_TEMPLATE" "$db"
trap 'dropdb --if-exists --force "$db" >/dev/null 2>&1 || true' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
q() { psql -qAtX -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }

q "INSERT INTO dcops.partition (name, gpu_model) VALUES ('h100', 'H100');
   INSERT INTO dcops.tenant (name, name_en, kind) VALUES
     ('(주)딥비전랩스', 'Deepvision', 'startup'), ('Acme', 'Acme', 'enterprise'),
     ('Idle Co', 'Idle Co', 'startup');
   INSERT INTO dcops.quota (tenant_id, gpu_limit, gpu_hours_budget, term_start, term_end)
     SELECT id, 16, 100000, current_date, current_date + 90 FROM dcops.tenant;
   CREATE TABLE public.quota_write (tenant_id int, burn text);
   CREATE FUNCTION public.quota_write_log() RETURNS trigger LANGUAGE plpgsql AS \$\$
   BEGIN
       INSERT INTO public.quota_write VALUES (NEW.tenant_id,
           NEW.burn_gpus_sum || ' ' || NEW.burn_gpu_h_day || ' ' || coalesce(NEW.burn_since::text, '-'));
       RETURN NULL;
   END \$\$;
   CREATE TRIGGER quota_write_log AFTER UPDATE ON dcops.quota
       FOR EACH ROW EXECUTE FUNCTION public.quota_write_log();"
sample() { # minute offset from 2026-01-01 00:00 UTC, then "tenant:gpus" pairs
	local at=$1 rows="" p; shift
	for p in "$@"; do
		rows+="${rows:+, }(timestamptz '2026-01-01 00:00Z' + interval '$at minutes', ${p%%:*}, 1, ${p##*:}, 0)"
	done
	q "TRUNCATE public.quota_write;
	   INSERT INTO dcops.usage_sample (ts, tenant_id, partition_id, gpus_in_use, gpu_hours) VALUES $rows"
}
writes() { q "SELECT string_agg(tenant_id || ': ' || burn, '; ' ORDER BY tenant_id) FROM public.quota_write"; }
expect() { # "tenant: sum rate since; ...", what
	local got
	got=$(writes)
	[ "$got" = "$1" ] || fail "$2: quota writes '$got', want '$1'"
}

sample 0 1:5 2:2
expect "1: 5 120.0 2026-01-01 00:00:00+00; 2: 2 48.0 2026-01-01 00:00:00+00" "the first sample"
# tenant 2 steady: its sum moves (2 -> 4) but not its rate, still written once
sample 5 1:1 2:2
expect "1: 6 72.0 2026-01-01 00:00:00+00; 2: 4 48.0 2026-01-01 00:00:00+00" "a second sample"
# tenant 1 absent: its rate falls as the window grows; the idle tenant 3 is never written
sample 10 2:2
expect "1: 6 48.0 2026-01-01 00:00:00+00; 2: 6 48.0 2026-01-01 00:00:00+00" "a sample without tenant 1"
# a day later the first three ticks leave the window: each row once, sums back to the new sample
sample 1450 1:3
expect "1: 3 72.0 2026-01-02 00:10:00+00; 2: 0 0.0 -" "ticks leaving the window"
sample 1455 1:3
expect "1: 6 72.0 2026-01-02 00:10:00+00" "only the tenant whose figures move"

# The simulator's tick turns hash and merge joins off (its statements join
# small arrays to big tables by key); the trigger runs inside that tick and
# joins every quota row to a sample's tenants, which as a nested loop took
# 8.8-10.6 s per sample at 17,200 tenants. It sets its own join methods.
conf=$(q "SELECT array_to_string(proconfig, ' ') FROM pg_proc WHERE oid = 'dcops.burn_on_insert()'::regprocedure")
for m in enable_hashjoin enable_mergejoin; do
	case " $conf " in
	*" $m=on "*) ;;
	*) fail "burn_on_insert() inherits the caller's $m (proconfig: $conf)" ;;
	esac
done
q "BEGIN; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off;
   TRUNCATE public.quota_write;
   INSERT INTO dcops.usage_sample (ts, tenant_id, partition_id, gpus_in_use, gpu_hours)
     VALUES (timestamptz '2026-01-02 00:20Z', 1, 1, 3, 0); COMMIT"
expect "1: 9 72.0 2026-01-02 00:10:00+00" "a sample inside a tick with hash joins off"
