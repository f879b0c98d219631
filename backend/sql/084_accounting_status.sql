-- 084_accounting_status: Slurm accounting's own state beside the adapter's.
--
-- The Slurm adapter keeps nodes and jobs flowing when accounting (sacctmgr,
-- slurmdbd) fails after its first read, on the last limits and usage it
-- read. A report named 'accounting' now writes the adapter's keys under
-- accounting.* (as 'telemetry' writes telemetry.*): accounting.state down
-- with sacctmgr's error while the quotas and usage are that old copy, up
-- once a read succeeds; accounting.since says from when. The console shows
-- QUOTAS STALE and marks the Tenants view's quota and usage columns.
--
-- Numbered after 080: the migrator refuses a file older than the newest
-- applied one, and 060 replaces this function, so any number before it
-- would be undone on a fresh database.

CREATE OR REPLACE FUNCTION dcops.adapter_report(p_name text, p_state text, p_error text,
                                                p_interval_s integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    now_s text := floor(extract(epoch FROM now()))::bigint::text;
    pre text := CASE p_name WHEN 'telemetry' THEN 'telemetry.'
                            WHEN 'accounting' THEN 'accounting.' ELSE 'adapter.' END;
    prev text;
BEGIN
    IF NOT (pg_has_role(session_user, 'dcops_adapter', 'MEMBER') OR dcops.act_is_admin()) THEN
        RAISE EXCEPTION 'dcops.adapter_report: % is not the adapter', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_name IS NULL OR p_name !~ '^[a-z][a-z0-9_-]{0,31}$' THEN
        RAISE EXCEPTION 'dcops.adapter_report: adapter name % is not [a-z][a-z0-9_-]{0,31}',
            quote_nullable(p_name) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_state IS NULL OR p_state NOT IN ('up', 'down', 'stopped') THEN
        RAISE EXCEPTION 'dcops.adapter_report: state % is not up, down or stopped',
            quote_nullable(p_state) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_interval_s IS NULL OR p_interval_s NOT BETWEEN 1 AND 3600 THEN
        RAISE EXCEPTION 'dcops.adapter_report: interval_s % is not between 1 and 3600',
            quote_nullable(p_interval_s) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT value INTO prev FROM dcops.setting WHERE key = pre || 'state';
    INSERT INTO dcops.setting (key, value) VALUES
        (pre || 'name', p_name),
        (pre || 'state', p_state),
        (pre || 'error', CASE WHEN p_state = 'up' THEN '' ELSE left(coalesce(p_error, ''), 500) END),
        (pre || 'interval_s', p_interval_s::text),
        (pre || 'heartbeat', now_s)
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
        WHERE dcops.setting.value IS DISTINCT FROM EXCLUDED.value;
    IF prev IS DISTINCT FROM p_state THEN
        INSERT INTO dcops.setting (key, value) VALUES (pre || 'since', now_s)
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
    END IF;
END $$;
