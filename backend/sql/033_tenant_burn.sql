-- 033_tenant_burn.sql — a tenant's burn rate over a window of usage, not
-- its allocation of the moment.
--
-- The Tenants view showed GPUs running now × 24 as GPU-h per day, so the
-- figure jumped 120 → 216 → 24 within seconds and the run-out date swung by
-- months. The rate is now the mean GPUs in use over the usage samples of
-- the last 24 hours (sample times, not wall time: the mean of what each
-- sample saw, a tenant absent from a sample counting 0), × 24.
--
-- It lives on the quota row, so consoles keep their delta reads: a sample
-- statement updates the quotas whose figures moved, nothing else. Kept per
-- changed row, never by re-reading the window:
--   usage_tick         the distinct sample times inside the window
--   quota.burn_gpus_sum  Σ gpus_in_use of the tenant's samples in it
--   quota.burn_gpu_h_day 24 × burn_gpus_sum / (ticks in the window)
--   quota.burn_since     the oldest tick in the window (NULL: no use in it)
-- A sample insert adds its rows, then slides the window to 24 h before
-- the newest tick: the ticks that fall out take their rows' sums with
-- them (one index range on usage_sample.ts). Deletes from usage_sample
-- (a re-seed, retention) subtract what they remove.

CREATE INDEX usage_sample_ts_idx ON dcops.usage_sample (ts);

CREATE TABLE dcops.usage_tick (
    ts timestamptz PRIMARY KEY
);
REVOKE ALL ON dcops.usage_tick FROM PUBLIC;
GRANT SELECT ON dcops.usage_tick TO dcops_viewer;

ALTER TABLE dcops.quota
    ADD COLUMN burn_gpus_sum  bigint NOT NULL DEFAULT 0 CHECK (burn_gpus_sum >= 0),
    ADD COLUMN burn_gpu_h_day numeric(12,1) NOT NULL DEFAULT 0,
    ADD COLUMN burn_since     timestamptz;

-- The window's length, one place.
CREATE FUNCTION dcops.burn_window() RETURNS interval
LANGUAGE sql IMMUTABLE AS $$ SELECT interval '24 hours' $$;

-- Writes each quota's rate from its sum and the window's ticks; only rows
-- whose figures change are touched (each update is a change consoles
-- read). A tenant with no use in the window has rate 0 and no window
-- start, so the window sliding does not touch it.
CREATE FUNCTION dcops.burn_publish() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dcops AS $$
DECLARE
    ticks bigint;
    since timestamptz;
BEGIN
    SELECT count(*), min(ts) INTO ticks, since FROM dcops.usage_tick;
    UPDATE dcops.quota q SET burn_gpu_h_day = n.rate, burn_since = n.since
      FROM (SELECT x.id,
                   CASE WHEN ticks > 0 THEN round(24.0 * x.burn_gpus_sum / ticks, 1)
                        ELSE 0 END AS rate,
                   CASE WHEN x.burn_gpus_sum > 0 THEN since END AS since
              FROM dcops.quota x) n
     WHERE q.id = n.id AND (q.burn_gpu_h_day, q.burn_since) IS DISTINCT FROM (n.rate, n.since);
END $$;

CREATE FUNCTION dcops.burn_on_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dcops AS $$
DECLARE
    newest timestamptz;
    cut timestamptz;
    gone timestamptz[];
BEGIN
    SELECT greatest(max(f.ts), (SELECT max(ts) FROM dcops.usage_tick)) INTO newest FROM fresh f;
    IF newest IS NULL THEN
        RETURN NULL;
    END IF;
    cut := newest - dcops.burn_window();
    -- samples older than the window (late arrivals) never enter it
    INSERT INTO dcops.usage_tick (ts)
        SELECT DISTINCT f.ts FROM fresh f WHERE f.ts > cut ON CONFLICT DO NOTHING;
    UPDATE dcops.quota q SET burn_gpus_sum = q.burn_gpus_sum + s.g
      FROM (SELECT f.tenant_id, sum(f.gpus_in_use) AS g FROM fresh f
             WHERE f.ts > cut GROUP BY f.tenant_id) s
     WHERE q.tenant_id = s.tenant_id AND s.g <> 0;
    WITH out AS (DELETE FROM dcops.usage_tick WHERE ts <= cut RETURNING ts)
    SELECT array_agg(ts) INTO gone FROM out;
    IF gone IS NOT NULL THEN
        UPDATE dcops.quota q SET burn_gpus_sum = greatest(q.burn_gpus_sum - s.g, 0)
          FROM (SELECT u.tenant_id, sum(u.gpus_in_use) AS g FROM dcops.usage_sample u
                 WHERE u.ts = ANY (gone) GROUP BY u.tenant_id) s
         WHERE q.tenant_id = s.tenant_id AND s.g <> 0;
    END IF;
    PERFORM dcops.burn_publish();
    RETURN NULL;
END $$;

CREATE FUNCTION dcops.burn_on_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dcops AS $$
BEGIN
    UPDATE dcops.quota q SET burn_gpus_sum = greatest(q.burn_gpus_sum - s.g, 0)
      FROM (SELECT o.tenant_id, sum(o.gpus_in_use) AS g FROM removed o
             JOIN dcops.usage_tick t ON t.ts = o.ts GROUP BY o.tenant_id) s
     WHERE q.tenant_id = s.tenant_id AND s.g <> 0;
    -- a tick with no sample left is no longer a sample time
    DELETE FROM dcops.usage_tick t
     WHERE t.ts IN (SELECT DISTINCT o.ts FROM removed o)
       AND NOT EXISTS (SELECT 1 FROM dcops.usage_sample u WHERE u.ts = t.ts);
    PERFORM dcops.burn_publish();
    RETURN NULL;
END $$;

CREATE FUNCTION dcops.burn_on_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dcops AS $$
BEGIN
    DELETE FROM dcops.usage_tick;
    UPDATE dcops.quota SET burn_gpus_sum = 0 WHERE burn_gpus_sum <> 0;
    PERFORM dcops.burn_publish();
    RETURN NULL;
END $$;

-- A quota made while the tenant's samples are in the window starts from
-- them, not from 0.
CREATE FUNCTION dcops.burn_on_quota() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dcops AS $$
DECLARE
    ticks bigint;
    since timestamptz;
BEGIN
    SELECT count(*), min(ts) INTO ticks, since FROM dcops.usage_tick;
    SELECT coalesce(sum(u.gpus_in_use), 0) INTO NEW.burn_gpus_sum
      FROM dcops.usage_sample u JOIN dcops.usage_tick t ON t.ts = u.ts
     WHERE u.tenant_id = NEW.tenant_id;
    NEW.burn_gpu_h_day := CASE WHEN ticks > 0 THEN round(24.0 * NEW.burn_gpus_sum / ticks, 1) ELSE 0 END;
    NEW.burn_since := CASE WHEN NEW.burn_gpus_sum > 0 THEN since END;
    RETURN NEW;
END $$;

REVOKE ALL ON FUNCTION dcops.burn_publish(), dcops.burn_on_insert(), dcops.burn_on_delete(),
    dcops.burn_on_truncate(), dcops.burn_on_quota() FROM PUBLIC;

CREATE TRIGGER quota_burn_start BEFORE INSERT ON dcops.quota
    FOR EACH ROW EXECUTE FUNCTION dcops.burn_on_quota();

CREATE TRIGGER usage_burn_insert AFTER INSERT ON dcops.usage_sample
    REFERENCING NEW TABLE AS fresh FOR EACH STATEMENT EXECUTE FUNCTION dcops.burn_on_insert();
CREATE TRIGGER usage_burn_delete AFTER DELETE ON dcops.usage_sample
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION dcops.burn_on_delete();
CREATE TRIGGER usage_burn_truncate AFTER TRUNCATE ON dcops.usage_sample
    FOR EACH STATEMENT EXECUTE FUNCTION dcops.burn_on_truncate();

-- Samples already stored: the window as it stands now.
INSERT INTO dcops.usage_tick (ts)
    SELECT DISTINCT ts FROM dcops.usage_sample
     WHERE ts > (SELECT max(ts) FROM dcops.usage_sample) - dcops.burn_window();
UPDATE dcops.quota q SET burn_gpus_sum = s.g
  FROM (SELECT u.tenant_id, sum(u.gpus_in_use) AS g FROM dcops.usage_sample u
          JOIN dcops.usage_tick t ON t.ts = u.ts GROUP BY u.tenant_id) s
 WHERE q.tenant_id = s.tenant_id;
SELECT dcops.burn_publish();
