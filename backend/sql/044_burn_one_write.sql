-- 044_burn_one_write.sql — a usage sample writes each quota row it moves
-- once, not twice.
--
-- 033's insert trigger added the sample to burn_gpus_sum in one UPDATE and
-- then rewrote the rate in a second (burn_publish), so every tenant in a
-- sample had its quota row written twice, each write a new row version
-- with its feed stamp, four index entries and, for the second, the
-- tenant foreign-key check PostgreSQL makes on a row already updated in
-- the transaction. tests/bench/sim-compare.sh measured it as most of the
-- simulator's slowdown since a09571b. The sums and the rate are now
-- computed together and written by one UPDATE; what is stored is the
-- same (tests/integration/tenant_burn.sh, burn_writes.sh).
--
-- The trigger plans its own joins: it runs inside the simulator's tick,
-- which turns hash and merge joins off for its small-array-to-big-table
-- statements (sim.c), and there a join of every quota row to a sample's
-- 12,000 tenants (seed --scale 86) became a nested loop of 8.8-10.6 s
-- per sample instead of ~0.2 s.

CREATE OR REPLACE FUNCTION dcops.burn_on_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dcops
SET enable_hashjoin = on SET enable_mergejoin = on AS $$
DECLARE
    newest timestamptz;
    cut timestamptz;
    gone timestamptz[];
    ticks bigint;
    since timestamptz;
BEGIN
    SELECT greatest(max(f.ts), (SELECT max(ts) FROM dcops.usage_tick)) INTO newest FROM fresh f;
    IF newest IS NULL THEN
        RETURN NULL;
    END IF;
    cut := newest - dcops.burn_window();
    -- samples older than the window (late arrivals) never enter it
    INSERT INTO dcops.usage_tick (ts)
        SELECT DISTINCT f.ts FROM fresh f WHERE f.ts > cut ON CONFLICT DO NOTHING;
    WITH out AS (DELETE FROM dcops.usage_tick WHERE ts <= cut RETURNING ts)
    SELECT array_agg(ts) INTO gone FROM out;
    SELECT count(*), min(ts) INTO ticks, since FROM dcops.usage_tick;
    -- per tenant: what the sample adds and what the ticks leaving take away
    UPDATE dcops.quota q SET burn_gpus_sum = n.s, burn_gpu_h_day = n.rate, burn_since = n.since
      FROM (SELECT x.id, v.s,
                   CASE WHEN ticks > 0 THEN round(24.0 * v.s / ticks, 1) ELSE 0 END AS rate,
                   CASE WHEN v.s > 0 THEN since END AS since
              FROM dcops.quota x
              LEFT JOIN (SELECT f.tenant_id, sum(f.gpus_in_use) AS g FROM fresh f
                          WHERE f.ts > cut GROUP BY f.tenant_id) a ON a.tenant_id = x.tenant_id
              LEFT JOIN (SELECT u.tenant_id, sum(u.gpus_in_use) AS g FROM dcops.usage_sample u
                          WHERE gone IS NOT NULL AND u.ts = ANY (gone)
                          GROUP BY u.tenant_id) r ON r.tenant_id = x.tenant_id
              CROSS JOIN LATERAL (SELECT greatest(x.burn_gpus_sum + coalesce(a.g, 0)
                                                  - coalesce(r.g, 0), 0) AS s) v) n
     WHERE q.id = n.id
       AND (q.burn_gpus_sum, q.burn_gpu_h_day, q.burn_since) IS DISTINCT FROM (n.s, n.rate, n.since);
    RETURN NULL;
END $$;

-- The simulator asks dcops.quota_revert_due() every tick, which looked for
-- expired time-boxed quotas by reading every quota row: 3.5-7 ms a tick at
-- 17,200 tenants (seed --scale 86), 0.1 ms by this index. Few quotas are
-- time-boxed, so only those are indexed.
CREATE INDEX quota_expires_idx ON dcops.quota (expires_at) WHERE expires_at IS NOT NULL;
